//! What the storage keeps for plans: each account's plan state (paid period, grace period),
//! locked items, payments, invoices, processed webhook events and the e-mail outbox.

use super::StorageResult;
use async_trait::async_trait;
use coffer_api::{
    BillingInterval, Currency, Invoice, KindClass, Language, Money, Payment, PaymentKind,
    PaymentProvider, PaymentStatus,
};
use uuid::Uuid;

/// A paid period and how it renews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub interval: BillingInterval,
    pub currency: Currency,
    pub provider: PaymentProvider,
    /// The provider's subscription (Stripe `sub_...`) or the first recurring payment
    /// (Comgate `transId`) that renewals are charged against.
    pub subscription_ref: Option<String>,
    /// The provider's customer (Stripe `cus_...`).
    pub customer_ref: Option<String>,
    pub period_start: i64,
    pub period_end: i64,
    /// Where the periods are counted from (the start of the first one): each period ends
    /// whole intervals after it, so a short month does not move the renewal day for good.
    pub anchor: i64,
    /// False after a cancel: the plan ends at `period_end`.
    pub renews: bool,
}

/// Locked items after a downgrade, and when they go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GracePeriod {
    pub started_at: i64,
    pub purge_at: i64,
}

/// An account's plan. Without a stored row the account is on the free plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanState {
    pub account_id: Uuid,
    pub plan: String,
    /// `None` on the free plan.
    pub subscription: Option<Subscription>,
    pub language: Language,
    pub grace: Option<GracePeriod>,
    /// Optimistic concurrency: 0 for a state not stored yet.
    pub version: i64,
}

impl PlanState {
    pub fn free(account_id: Uuid, plan: &str) -> Self {
        PlanState {
            account_id,
            plan: plan.to_owned(),
            subscription: None,
            language: Language::En,
            grace: None,
            version: 0,
        }
    }
}

/// What happens to item locks together with a plan change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockChange {
    Keep,
    Lock(Vec<Uuid>),
    UnlockAll,
}

/// A live item as the downgrade sees it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveItem {
    pub id: Uuid,
    pub kind_class: KindClass,
    pub created_month: String,
}

/// Live, unlocked items of one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthCount {
    pub receipts: u32,
    pub documents: u32,
}

impl MonthCount {
    pub fn of(&self, kind: KindClass) -> u32 {
        match kind {
            KindClass::Receipt => self.receipts,
            KindClass::Document => self.documents,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: PaymentKind,
    pub plan: String,
    pub interval: BillingInterval,
    pub amount: Money,
    pub provider: PaymentProvider,
    /// Stripe Checkout session / invoice id, Comgate `transId`.
    pub provider_ref: Option<String>,
    pub status: PaymentStatus,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

impl PaymentRecord {
    pub fn to_api(&self) -> Payment {
        Payment {
            id: self.id,
            kind: self.kind,
            plan: self.plan.clone(),
            interval: self.interval,
            amount: self.amount,
            provider: self.provider,
            status: self.status,
            created_at: self.created_at,
            paid_at: self.paid_at,
        }
    }
}

/// An invoice to issue; the storage gives it the next number of its year.
pub struct NewInvoice<'a> {
    pub account_id: Uuid,
    pub payment: &'a PaymentRecord,
    pub year: i32,
    pub period_start: i64,
    pub period_end: i64,
    pub provider_url: Option<String>,
    pub issued_at: i64,
}

/// An e-mail to send. `dedupe_key` makes queueing idempotent (a warning is queued once even
/// when two job runs overlap). `params` is JSON for the template; it never holds document
/// content.
#[derive(Debug, Clone)]
pub struct MailRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub dedupe_key: String,
    pub to_email: String,
    pub template: String,
    pub language: Language,
    pub params: String,
    pub attempts: u32,
    pub next_attempt_at: i64,
}

#[async_trait]
pub trait BillingStorage: Send + Sync + 'static {
    async fn plan_state(&self, account_id: Uuid) -> StorageResult<Option<PlanState>>;
    /// Stores `state` if its `version` is still the stored one (inserting when 0) and applies
    /// `locks` in the same transaction; false if another writer came first.
    async fn save_plan_state(
        &self,
        state: &PlanState,
        locks: &LockChange,
        now: i64,
    ) -> StorageResult<bool>;
    /// Plan states with a period that ended by `now` or a grace period running.
    async fn plan_states_due(&self, now: i64) -> StorageResult<Vec<PlanState>>;
    async fn plan_state_by_subscription(
        &self,
        provider: PaymentProvider,
        subscription_ref: &str,
    ) -> StorageResult<Option<PlanState>>;

    async fn month_usage(&self, account_id: Uuid, month: &str) -> StorageResult<MonthCount>;
    /// Uses one remote OCR credit of `month` if fewer than `limit` are used (atomically, so
    /// concurrent requests cannot overrun it): the count after, or `None` if none was left.
    async fn use_ocr_credit(
        &self,
        account_id: Uuid,
        month: &str,
        limit: u32,
    ) -> StorageResult<Option<u32>>;
    async fn ocr_credits_used(&self, account_id: Uuid, month: &str) -> StorageResult<u32>;
    /// Live items, per month oldest first (by first commit).
    async fn live_items(&self, account_id: Uuid) -> StorageResult<Vec<LiveItem>>;
    async fn locked_items(&self, account_id: Uuid) -> StorageResult<Vec<Uuid>>;
    async fn item_locked(&self, account_id: Uuid, item_id: Uuid) -> StorageResult<bool>;
    /// True if the blob belongs only to locked items.
    async fn blob_locked(&self, account_id: Uuid, sha256: &str) -> StorageResult<bool>;

    async fn create_payment(&self, payment: &PaymentRecord) -> StorageResult<()>;
    async fn payment(&self, id: Uuid) -> StorageResult<Option<PaymentRecord>>;
    async fn payment_by_ref(
        &self,
        provider: PaymentProvider,
        provider_ref: &str,
    ) -> StorageResult<Option<PaymentRecord>>;
    /// Moves a pending payment to `status`; false if it was not pending (already settled).
    async fn settle_payment(
        &self,
        id: Uuid,
        status: PaymentStatus,
        provider_ref: Option<&str>,
        now: i64,
    ) -> StorageResult<bool>;
    async fn set_payment_ref(&self, id: Uuid, provider_ref: &str) -> StorageResult<()>;
    async fn payments(&self, account_id: Uuid) -> StorageResult<Vec<PaymentRecord>>;
    async fn add_invoice(&self, invoice: &NewInvoice<'_>) -> StorageResult<Invoice>;
    async fn invoices(&self, account_id: Uuid) -> StorageResult<Vec<Invoice>>;

    /// Remembers a provider's event id; false if it was seen before.
    async fn record_webhook_event(
        &self,
        provider: PaymentProvider,
        event_id: &str,
        now: i64,
    ) -> StorageResult<bool>;
    /// Forgets it again (processing failed; the provider's retry gets another chance).
    async fn forget_webhook_event(
        &self,
        provider: PaymentProvider,
        event_id: &str,
    ) -> StorageResult<()>;

    /// Queues an e-mail unless one with the same `dedupe_key` exists; true if queued.
    async fn queue_mail(&self, mail: &MailRecord, now: i64) -> StorageResult<bool>;
    async fn due_mail(&self, now: i64, limit: u32) -> StorageResult<Vec<MailRecord>>;
    async fn mail_sent(&self, id: Uuid, now: i64) -> StorageResult<()>;
    async fn mail_failed(&self, id: Uuid, next_attempt_at: i64) -> StorageResult<()>;
}
