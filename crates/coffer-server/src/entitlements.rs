//! The seam where plans plug in: every item write, item read, blob read, export and e-mail
//! reminder asks the [`Entitlements`] first, and the change feed leaves out the content of locked items.
//! [`crate::billing::PlanEnforcer`] enforces the plan catalog (monthly limits, locked items
//! after a downgrade); [`Unlimited`] lets every account do everything.

use crate::error::{ApiError, ApiResult, LimitDetail};
use async_trait::async_trait;
use coffer_api::{ErrorCode, ItemMeta, KindClass, PlanLimitDetail};
use std::collections::HashSet;
use uuid::Uuid;

/// What an account is about to do.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Create (`existing == false`) or overwrite an item.
    WriteItem {
        item_id: Uuid,
        meta: &'a ItemMeta,
        existing: bool,
    },
    DeleteItem {
        item_id: Uuid,
    },
    ReadItem {
        item_id: Uuid,
    },
    ReadBlob {
        sha256: &'a str,
    },
    Export,
    /// Register e-mail reminders, or have one sent.
    EmailReminders,
}

/// The monthly limit a new item counts against. The storage checks it in the write's own
/// transaction, so concurrent commits cannot overrun it.
#[derive(Debug, Clone)]
pub struct MonthlyLimit {
    pub plan: String,
    pub plan_name: String,
    pub kind_class: KindClass,
    pub month: String,
    pub limit: u32,
    /// When the month's limit resets (Unix seconds).
    pub reset_at: i64,
}

impl MonthlyLimit {
    /// `402 plan_limit_reached`, naming the plan, the limit, the usage and the reset date.
    pub fn refusal(&self, usage: u32) -> ApiError {
        let (limit, month) = (self.limit, &self.month);
        let mut e = ApiError::new(
            ErrorCode::PlanLimitReached,
            format!(
                "The {} plan stores {limit} {} per month and {month} already has {usage}; \
                 keep this one on this device until the limit resets or upgrade.",
                self.plan_name,
                match self.kind_class {
                    KindClass::Receipt => "receipts",
                    KindClass::Document => "documents",
                },
            ),
        );
        e.limit = Some(Box::new(LimitDetail::Items(PlanLimitDetail {
            plan: self.plan.clone(),
            kind_class: self.kind_class,
            month: month.clone(),
            limit,
            usage,
            reset_at: self.reset_at,
        })));
        e
    }
}

#[async_trait]
pub trait Entitlements: Send + Sync + 'static {
    /// `Ok` to go ahead, or an `ApiError` (e.g. `403 forbidden`) to refuse.
    async fn authorize(&self, account: Uuid, action: Action<'_>) -> ApiResult<()>;

    /// The monthly limit a new item with `meta` counts against; `None`: no limit.
    async fn monthly_limit(
        &self,
        _account: Uuid,
        _meta: &ItemMeta,
    ) -> ApiResult<Option<MonthlyLimit>> {
        Ok(None)
    }

    /// The account's locked items, whose envelope and blobs the change feed leaves out.
    async fn locked(&self, _account: Uuid) -> ApiResult<HashSet<Uuid>> {
        Ok(HashSet::new())
    }
}

/// No limits: a self-hosted server, and the default until plans exist.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unlimited;

#[async_trait]
impl Entitlements for Unlimited {
    async fn authorize(&self, _account: Uuid, _action: Action<'_>) -> ApiResult<()> {
        Ok(())
    }
}
