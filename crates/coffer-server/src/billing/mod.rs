//! Plans and billing (SPEC §6): the catalog and its calendar, the monthly limits an item
//! becoming live counts against (checked in `crate::items`), locked items, the signed
//! entitlement, the plan lifecycle (buy, upgrade pro rata, cancel, renew, downgrade with a
//! grace period, purge) and the payment providers.

pub mod catalog;
pub mod comgate;
mod lifecycle;
mod ocr_credits;
pub mod stripe;

use crate::app::App;
use crate::error::{ApiError, ApiResult, LimitDetail};
use crate::storage::billing::{self, PlanState};
use crate::storage::items::{self, Counted};
use crate::storage::{Conn, uploads};
use coffer_api::{
    ENTITLEMENT_FORMAT, Entitlement, ErrorCode, KindClass, MonthUsage, Plan, PlanLimitDetail,
    SignedEntitlement,
};
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

/// What a locked item answers to being read, written or exported.
pub(crate) const LOCKED: &str = "This document is locked since the paid plan ended: it cannot \
    be downloaded, edited or exported. Renew a paid plan before the purge date to unlock it.";

/// The monthly limit an item becoming live counts against.
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
    pub fn new(catalog: &Catalog, plan: &Plan, counted: &Counted) -> Self {
        MonthlyLimit {
            plan: plan.id.clone(),
            plan_name: plan.name.clone(),
            kind_class: counted.kind,
            month: counted.month.clone(),
            limit: match counted.kind {
                KindClass::Receipt => plan.limits.receipts_per_month,
                KindClass::Document => plan.limits.documents_per_month,
            },
            reset_at: catalog
                .calendar
                .next_month_start(&counted.month)
                .unwrap_or(i64::MAX),
        }
    }

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

/// The plan in force for a state (the free plan if the stored one left the catalog).
pub(crate) fn plan_of<'c>(catalog: &'c Catalog, state: &PlanState) -> &'c Plan {
    catalog
        .plan(&state.plan)
        .unwrap_or_else(|| catalog.free_plan())
}

pub(crate) async fn load_state(
    c: &mut Conn,
    catalog: &Catalog,
    account: Uuid,
) -> ApiResult<PlanState> {
    Ok(billing::plan_state(c, account)
        .await?
        .unwrap_or_else(|| PlanState::free(account, &catalog.public.free_plan)))
}

impl App {
    /// `423 item_locked` with the purge date.
    pub(crate) async fn locked_error(&self, c: &mut Conn, account: Uuid) -> ApiResult<ApiError> {
        let state = load_state(c, &self.catalog, account).await?;
        let mut e = ApiError::new(ErrorCode::ItemLocked, LOCKED);
        e.purge_at = state.grace.map(|g| g.purge_at);
        Ok(e)
    }

    /// The account's entitlement now, unsigned.
    pub async fn entitlement(&self, account: Uuid) -> ApiResult<Entitlement> {
        let mut db = self.storage.read().await?;
        let state = load_state(&mut db, &self.catalog, account).await?;
        let plan = plan_of(&self.catalog, &state);
        let now = self.clock.unix();
        let calendar = &self.catalog.calendar;
        let month = calendar.month_of(now);
        let count = items::month_usage(&mut db, account, &month).await?;
        let remote_ocr = billing::ocr_credits_used(&mut db, account, &month).await?;
        let locked = items::locked(&mut db, account).await?;
        let stored_bytes = uploads::stored_bytes(&mut db, account).await?;
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
                stored_bytes,
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
