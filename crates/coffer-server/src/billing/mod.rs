//! Plans and billing (SPEC §6): the catalog and its calendar, the enforcer behind
//! [`crate::entitlements::Entitlements`] (monthly limits, locked items), the signed
//! entitlement, the plan lifecycle (buy, upgrade pro rata, cancel, renew, downgrade with a
//! grace period, purge) and the payment providers.

pub mod catalog;
pub mod comgate;
mod lifecycle;
mod ocr_credits;
pub mod stripe;

use crate::app::App;
use crate::clock::Clock;
use crate::entitlements::{Action, Entitlements, MonthlyLimit};
use crate::error::{ApiError, ApiResult};
use crate::storage::Storage;
use crate::storage::billing::PlanState;
use async_trait::async_trait;
use coffer_api::{
    ENTITLEMENT_FORMAT, Entitlement, ErrorCode, ItemMeta, KindClass, MonthUsage, Plan,
    SignedEntitlement,
};
use std::collections::HashSet;
use std::sync::Arc;
use uuid::Uuid;

pub use catalog::Catalog;
pub use lifecycle::{DowngradeReason, JobReport};

/// The configured payment providers.
pub struct Payments {
    pub http: reqwest::Client,
    pub stripe: Option<stripe::StripeSettings>,
    pub comgate: Option<comgate::ComgateSettings>,
}

/// A payment started at a provider: its reference and where the user pays.
pub(crate) struct StartedPayment {
    pub provider_ref: String,
    pub redirect_url: String,
}

/// How long a client may use an entitlement before fetching a fresh one.
const ENTITLEMENT_REFRESH_SECS: i64 = 24 * 3600;
/// A client in the farthest-east time zone (UTC+14) is up to this far ahead of the billing
/// time zone: its `created_month` may already be next month.
const MONTH_SKEW_SECS: i64 = 14 * 3600;

/// Enforces the plan catalog on every item operation.
pub struct PlanEnforcer {
    storage: Arc<dyn Storage>,
    catalog: Arc<Catalog>,
    clock: Arc<dyn Clock>,
}

impl PlanEnforcer {
    pub fn new(storage: Arc<dyn Storage>, catalog: Arc<Catalog>, clock: Arc<dyn Clock>) -> Self {
        PlanEnforcer {
            storage,
            catalog,
            clock,
        }
    }

    async fn locked_error(&self, account: Uuid) -> ApiResult<ApiError> {
        let state = self.storage.plan_state(account).await?;
        let mut e = ApiError::new(
            ErrorCode::ItemLocked,
            "This document is locked since the paid plan ended: it cannot be downloaded, \
             edited or exported. Renew a paid plan before the purge date to unlock it.",
        );
        e.purge_at = state.and_then(|s| s.grace).map(|g| g.purge_at);
        Ok(e)
    }
}

/// The plan in force for a state (the free plan if the stored one left the catalog).
pub(crate) fn plan_of<'c>(catalog: &'c Catalog, state: &PlanState) -> &'c Plan {
    catalog
        .plan(&state.plan)
        .unwrap_or_else(|| catalog.free_plan())
}

pub(crate) async fn load_state(
    storage: &dyn Storage,
    catalog: &Catalog,
    account: Uuid,
) -> ApiResult<PlanState> {
    Ok(storage
        .plan_state(account)
        .await?
        .unwrap_or_else(|| PlanState::free(account, &catalog.public.free_plan)))
}

#[async_trait]
impl Entitlements for PlanEnforcer {
    async fn authorize(&self, account: Uuid, action: Action<'_>) -> ApiResult<()> {
        match action {
            Action::WriteItem {
                meta,
                existing: false,
                ..
            } => {
                let calendar = &self.catalog.calendar;
                let latest = calendar.month_of(self.clock.unix() + MONTH_SKEW_SECS);
                if meta.created_month > latest {
                    return Err(ApiError::invalid(
                        "created_month lies in the future; check the device's clock.",
                    ));
                }
                Ok(())
            }
            Action::WriteItem { item_id, .. } | Action::ReadItem { item_id } => {
                if self.storage.item_locked(account, item_id).await? {
                    return Err(self.locked_error(account).await?);
                }
                Ok(())
            }
            Action::ReadBlob { sha256 } => {
                if self.storage.blob_locked(account, sha256).await? {
                    return Err(self.locked_error(account).await?);
                }
                Ok(())
            }
            Action::Export => {
                if !self.storage.locked_items(account).await?.is_empty() {
                    let mut e = self.locked_error(account).await?;
                    e.message = "The account has locked documents, which cannot be exported. \
                                 Renew a paid plan to unlock them, or delete them, then export."
                        .into();
                    return Err(e);
                }
                Ok(())
            }
            Action::EmailReminders => {
                let state = load_state(self.storage.as_ref(), &self.catalog, account).await?;
                let plan = plan_of(&self.catalog, &state);
                if plan.limits.email_reminders {
                    return Ok(());
                }
                Err(ApiError::new(
                    ErrorCode::Forbidden,
                    format!(
                        "E-mail reminders are part of the paid plans; the {} plan does not \
                         include them. Upgrade to turn them on; reminders shown in the app keep \
                         working.",
                        plan.name
                    ),
                ))
            }
            Action::DeleteItem { .. } => Ok(()),
        }
    }

    async fn monthly_limit(
        &self,
        account: Uuid,
        meta: &ItemMeta,
    ) -> ApiResult<Option<MonthlyLimit>> {
        let state = load_state(self.storage.as_ref(), &self.catalog, account).await?;
        let plan = plan_of(&self.catalog, &state);
        Ok(Some(MonthlyLimit {
            plan: plan.id.clone(),
            plan_name: plan.name.clone(),
            kind_class: meta.kind_class,
            month: meta.created_month.clone(),
            limit: match meta.kind_class {
                KindClass::Receipt => plan.limits.receipts_per_month,
                KindClass::Document => plan.limits.documents_per_month,
            },
            reset_at: self
                .catalog
                .calendar
                .next_month_start(&meta.created_month)
                .unwrap_or(i64::MAX),
        }))
    }

    async fn locked(&self, account: Uuid) -> ApiResult<HashSet<Uuid>> {
        Ok(self
            .storage
            .locked_items(account)
            .await?
            .into_iter()
            .collect())
    }
}

impl App {
    /// The account's entitlement now, unsigned.
    pub async fn entitlement(&self, account: Uuid) -> ApiResult<Entitlement> {
        let state = load_state(self.storage.as_ref(), &self.catalog, account).await?;
        let plan = plan_of(&self.catalog, &state);
        let now = self.clock.unix();
        let calendar = &self.catalog.calendar;
        let month = calendar.month_of(now);
        let count = self.storage.month_usage(account, &month).await?;
        let remote_ocr = self.storage.ocr_credits_used(account, &month).await?;
        let locked = self.storage.locked_items(account).await?;
        let purge_at = state
            .grace
            .filter(|_| !locked.is_empty())
            .map(|g| g.purge_at);
        let period_end = state.subscription.as_ref().map(|s| s.period_end);
        let refresh_after = [Some(now + ENTITLEMENT_REFRESH_SECS), period_end, purge_at]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .min()
            .unwrap_or(now + ENTITLEMENT_REFRESH_SECS);
        Ok(Entitlement {
            format: ENTITLEMENT_FORMAT,
            account_id: account,
            plan: plan.id.clone(),
            limits: plan.limits.clone(),
            usage: MonthUsage {
                reset_at: calendar.next_month_start(&month).unwrap_or(i64::MAX),
                month,
                receipts: count.receipts,
                documents: count.documents,
                remote_ocr,
            },
            period_end,
            renews: state.subscription.as_ref().is_some_and(|s| s.renews),
            locked,
            purge_at,
            issued_at: now,
            refresh_after,
        })
    }

    pub async fn signed_entitlement(&self, account: Uuid) -> ApiResult<SignedEntitlement> {
        let entitlement = self.entitlement(account).await?;
        Ok(SignedEntitlement::sign(&entitlement, &self.entitlement_key))
    }
}
