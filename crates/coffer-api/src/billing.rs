//! Plans, prices and payments on the wire: the public plan catalog, checkout, cancel, the
//! payment and invoice history, and the detail of a `plan_limit_reached` error.
//!
//! Money is an integer number of minor units (haléře, cents) plus an ISO 4217 currency; times
//! are Unix seconds; a month is `YYYY-MM` in the server's billing time zone (Europe/Prague by
//! default, see [`PlanCatalog::time_zone`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// A plan's stable id, e.g. `start`, `plus`, `business` (the catalog is configurable).
pub type PlanId = String;

/// The currencies plans are priced in: a closed set the server's catalog and payment
/// providers support. (A document's money uses `coffer_core::Currency`, any ISO 4217 code.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
pub enum PriceCurrency {
    #[serde(rename = "CZK")]
    Czk,
    #[serde(rename = "EUR")]
    Eur,
}

impl PriceCurrency {
    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            PriceCurrency::Czk => "CZK",
            PriceCurrency::Eur => "EUR",
        }
    }
}

/// A price or a payment: minor units (1 CZK = 100 haléřů, 1 EUR = 100 cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: PriceCurrency,
}

/// How long one paid period lasts. Periods are calendar months or years in the billing time
/// zone (31 January + 1 month = the last day of February).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BillingInterval {
    Month,
    Year,
}

/// What a plan allows. Monthly limits count the account's live items by their clear
/// `kind_class` and `created_month`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanLimits {
    /// Items of kind class `receipt` per calendar month.
    pub receipts_per_month: u32,
    /// Items of kind class `document` (invoices, contracts, warranties, other) per month.
    pub documents_per_month: u32,
    /// Remote OCR requests through the server's proxy per month (0: local OCR only).
    pub remote_ocr_credits_per_month: u32,
    /// Whether e-mail reminders before a document's expiry are available.
    pub email_reminders: bool,
    /// Bytes of blobs the account may store (uploads in progress count with their announced
    /// size); an upload beyond it answers `402 storage_quota_exceeded`.
    #[serde(default)]
    pub storage_bytes: u64,
}

/// One price of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanPrice {
    pub interval: BillingInterval,
    pub price: Money,
}

/// A plan of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Plan {
    pub id: PlanId,
    /// Display name (the same in every language, e.g. "Plus").
    pub name: String,
    pub limits: PlanLimits,
    /// Empty for the free plan.
    pub prices: Vec<PlanPrice>,
}

/// `GET` [`crate::routes::PLANS`] (public): the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanCatalog {
    /// The plan every account has without paying (`start`).
    pub free_plan: PlanId,
    /// IANA time zone of calendar months, periods and reset dates (`Europe/Prague`).
    pub time_zone: String,
    /// Days locked items are kept after a downgrade before they are deleted (60).
    pub grace_days: u32,
    pub plans: Vec<Plan>,
}

/// Payment providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PaymentProvider {
    /// Card payments (Stripe Checkout).
    Stripe,
    /// Czech payments (Comgate).
    Comgate,
    /// Granted by an operator (`coffer-server admin plan grant`); nothing was paid.
    Admin,
}

/// Languages of e-mails and payment pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    En,
    Cs,
}

/// `POST` [`crate::routes::BILLING_CHECKOUT`] (authenticated): buy `plan`, or upgrade to it.
///
/// Without a paid plan this starts a new period, paid in advance. With an active paid plan and
/// a dearer `plan`, it charges `(new price − old price) × remaining part of the paid period`
/// and keeps the period end (the interval and currency of the current plan are kept; those in
/// the request are ignored). A cheaper or equal plan is refused (`invalid_field`): cancel and
/// buy it when the period ends. `provider` defaults to Comgate for CZK and Stripe for EUR.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckoutRequest {
    pub plan: PlanId,
    pub interval: BillingInterval,
    pub currency: PriceCurrency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<PaymentProvider>,
    /// Language of the payment page and of the account's e-mails from now on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

/// Answer to [`CheckoutRequest`]: open `redirect_url` in a browser to pay. The plan changes
/// when the provider confirms the payment (webhook / notification), not before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CheckoutResponse {
    pub payment_id: Uuid,
    pub redirect_url: String,
    pub amount: Money,
    pub kind: PaymentKind,
}

/// What a payment pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// A new paid period (no paid plan before).
    NewPeriod,
    /// The pro-rata difference of an upgrade within the paid period.
    Upgrade,
    /// The next period of a running plan.
    Renewal,
}

/// State of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    Paid,
    Failed,
    Cancelled,
    /// Paid, but for an upgrade priced for a paid period (or plan) that changed before the
    /// payment was confirmed (a renewal or a downgrade came first): it bought nothing and is
    /// refunded; start the upgrade again.
    Refused,
}

/// One payment of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Payment {
    pub id: Uuid,
    pub kind: PaymentKind,
    pub plan: PlanId,
    pub interval: BillingInterval,
    pub amount: Money,
    pub provider: PaymentProvider,
    pub status: PaymentStatus,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub paid_at: Option<i64>,
}

/// An invoice (tax document) for a paid payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Invoice {
    /// Sequential number, e.g. `2026-000017`.
    pub number: String,
    pub payment_id: Uuid,
    pub plan: PlanId,
    pub amount: Money,
    /// Unix seconds.
    pub issued_at: i64,
    /// The paid period this invoice covers (Unix seconds).
    pub period_start: i64,
    pub period_end: i64,
    /// The provider's own invoice page, when it has one (Stripe's hosted invoice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub provider_url: Option<String>,
}

/// `GET` [`crate::routes::BILLING_HISTORY`] (authenticated), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BillingHistory {
    pub payments: Vec<Payment>,
    pub invoices: Vec<Invoice>,
}

/// Remote OCR credits of the month: the answer of `POST` [`crate::routes::OCR_CREDITS`] (after
/// using one) and the detail of `402 ocr_credits_used_up` (nothing used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcrCredits {
    pub plan: PlanId,
    /// `YYYY-MM` in the billing time zone.
    pub month: String,
    /// The plan's credits per month.
    pub limit: u32,
    /// Credits used this month.
    pub used: u32,
    /// Unix seconds when the next month starts in the billing time zone.
    pub reset_at: i64,
}

/// The detail of a `402 storage_quota_exceeded` error: the upload would take the account's
/// stored bytes past its plan's `storage_bytes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageQuotaDetail {
    pub plan: PlanId,
    pub limit_bytes: u64,
    /// Bytes stored (and announced by unfinished uploads) before this upload.
    pub used_bytes: u64,
    pub requested_bytes: u64,
}

/// The detail of a `402 plan_limit_reached` error: the commit would make the item live beyond
/// the plan's limit for `kind_class` in `month`. The client keeps the document local-only ("not synced (plan
/// limit)") and may retry after `reset_at` or an upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLimitDetail {
    pub plan: PlanId,
    pub kind_class: crate::KindClass,
    /// `YYYY-MM` the limit applies to: the server's month at the item's first commit (for a
    /// new item, this month).
    pub month: String,
    pub limit: u32,
    /// Live items of this kind class already stored for `month`.
    pub usage: u32,
    /// Unix seconds when the next month starts in the billing time zone.
    pub reset_at: i64,
}
