//! What the storage keeps for plans: each account's plan state (paid period, grace period),
//! payments (and the period an upgrade was priced for), invoices, processed webhook events and
//! remote OCR credits. Enums are stored as their wire names (`"plus"`, `"CZK"`, `"month"`).

use super::rows;
use super::{Conn, StorageResult};
use coffer_api::{
    BillingInterval, Invoice, Language, Money, Payment, PaymentKind, PaymentProvider,
    PaymentStatus, PriceCurrency,
};
use uuid::Uuid;

/// A paid period and how it renews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub interval: BillingInterval,
    pub currency: PriceCurrency,
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

fn plan_from_row(row: &sqlx::any::AnyRow) -> StorageResult<PlanState> {
    let interval: Option<BillingInterval> = rows::opt_wire(row, "billing_interval")?;
    let currency: Option<PriceCurrency> = rows::opt_wire(row, "currency")?;
    let provider: Option<PaymentProvider> = rows::opt_wire(row, "provider")?;
    let period_start = rows::opt_int(row, "period_start")?;
    let period_end = rows::opt_int(row, "period_end")?;
    let subscription = match (interval, currency, provider, period_start, period_end) {
        (Some(interval), Some(currency), Some(provider), Some(start), Some(end)) => {
            Some(Subscription {
                interval,
                currency,
                provider,
                subscription_ref: rows::opt_text(row, "subscription_ref")?,
                customer_ref: rows::opt_text(row, "customer_ref")?,
                period_start: start,
                period_end: end,
                // Migration 0004 backfilled it for every older period.
                anchor: rows::opt_int(row, "period_anchor")?.ok_or_else(|| {
                    super::StorageError::Corrupt("a paid period has no billing anchor".into())
                })?,
                renews: rows::flag(row, "renews")?,
            })
        }
        _ => None,
    };
    let grace = match (
        rows::opt_int(row, "grace_started_at")?,
        rows::opt_int(row, "purge_at")?,
    ) {
        (Some(started_at), Some(purge_at)) => Some(GracePeriod {
            started_at,
            purge_at,
        }),
        _ => None,
    };
    Ok(PlanState {
        account_id: rows::uuid(row, "account_id")?,
        plan: rows::text(row, "plan")?,
        subscription,
        language: rows::wire(row, "language")?,
        grace,
        version: rows::int(row, "version")?,
    })
}

pub async fn plan_state(c: &mut Conn, account: Uuid) -> StorageResult<Option<PlanState>> {
    let row = sqlx::query("SELECT * FROM account_plans WHERE account_id = $1")
        .bind(account.to_string())
        .fetch_optional(c)
        .await?;
    row.as_ref().map(plan_from_row).transpose()
}

/// Stores `state` if its `version` is still the stored one (inserting when 0); false if
/// another writer came first.
pub async fn save_plan_state(c: &mut Conn, s: &PlanState, now: i64) -> StorageResult<bool> {
    let sub = s.subscription.as_ref();
    let sql = if s.version == 0 {
        "INSERT INTO account_plans (account_id, plan, billing_interval, currency, provider, \
         subscription_ref, customer_ref, period_start, period_end, renews, language, \
         grace_started_at, purge_at, version, updated_at, period_anchor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 + 1, $15, $16) \
         ON CONFLICT (account_id) DO NOTHING"
    } else {
        "UPDATE account_plans SET plan = $2, billing_interval = $3, currency = $4, \
         provider = $5, subscription_ref = $6, customer_ref = $7, period_start = $8, \
         period_end = $9, renews = $10, language = $11, grace_started_at = $12, \
         purge_at = $13, version = $14 + 1, updated_at = $15, period_anchor = $16 \
         WHERE account_id = $1 AND version = $14"
    };
    let done = sqlx::query(sql)
        .bind(s.account_id.to_string())
        .bind(&s.plan)
        .bind(sub.map(|x| rows::wire_name(&x.interval)))
        .bind(sub.map(|x| rows::wire_name(&x.currency)))
        .bind(sub.map(|x| rows::wire_name(&x.provider)))
        .bind(sub.and_then(|x| x.subscription_ref.clone()))
        .bind(sub.and_then(|x| x.customer_ref.clone()))
        .bind(sub.map(|x| x.period_start))
        .bind(sub.map(|x| x.period_end))
        .bind(sub.is_some_and(|x| x.renews))
        .bind(rows::wire_name(&s.language))
        .bind(s.grace.map(|g| g.started_at))
        .bind(s.grace.map(|g| g.purge_at))
        .bind(s.version)
        .bind(now)
        .bind(sub.map(|x| x.anchor))
        .execute(c)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Plan states with a period that ended by `now` or a grace period running.
pub async fn plan_states_due(c: &mut Conn, now: i64) -> StorageResult<Vec<PlanState>> {
    let found = sqlx::query(
        "SELECT * FROM account_plans WHERE period_end <= $1 OR purge_at IS NOT NULL \
         ORDER BY account_id",
    )
    .bind(now)
    .fetch_all(c)
    .await?;
    found.iter().map(plan_from_row).collect()
}

pub async fn plan_state_by_subscription(
    c: &mut Conn,
    provider: PaymentProvider,
    subscription_ref: &str,
) -> StorageResult<Option<PlanState>> {
    let row =
        sqlx::query("SELECT * FROM account_plans WHERE provider = $1 AND subscription_ref = $2")
            .bind(rows::wire_name(&provider))
            .bind(subscription_ref)
            .fetch_optional(c)
            .await?;
    row.as_ref().map(plan_from_row).transpose()
}

// -- remote OCR credits ---------------------------------------------------------------------

/// Uses one remote OCR credit of `month` if fewer than `limit` are used (atomically, so
/// concurrent requests cannot overrun it): the count after, or `None` if none was left.
pub async fn use_ocr_credit(
    c: &mut Conn,
    account: Uuid,
    month: &str,
    limit: u32,
) -> StorageResult<Option<u32>> {
    let row = sqlx::query(
        "INSERT INTO ocr_credits (account_id, month, used) SELECT $1, $2, 1 WHERE $3 > 0 \
         ON CONFLICT (account_id, month) DO UPDATE SET used = ocr_credits.used + 1 \
         WHERE ocr_credits.used < $3 RETURNING used",
    )
    .bind(account.to_string())
    .bind(month)
    .bind(i64::from(limit))
    .fetch_optional(c)
    .await?;
    row.map(|r| rows::small(&r, "used")).transpose()
}

pub async fn ocr_credits_used(c: &mut Conn, account: Uuid, month: &str) -> StorageResult<u32> {
    let row = sqlx::query("SELECT used FROM ocr_credits WHERE account_id = $1 AND month = $2")
        .bind(account.to_string())
        .bind(month)
        .fetch_optional(c)
        .await?;
    Ok(match row {
        Some(r) => rows::small(&r, "used")?,
        None => 0,
    })
}

// -- payments and invoices ------------------------------------------------------------------

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
    /// For an upgrade: the plan and the end of the paid period its price was computed for.
    /// Confirmed once either changed, the payment buys nothing (it is refused).
    pub priced_for: Option<(String, i64)>,
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

fn payment_from_row(row: &sqlx::any::AnyRow) -> StorageResult<PaymentRecord> {
    let priced_for = match (
        rows::opt_text(row, "priced_plan")?,
        rows::opt_int(row, "priced_period_end")?,
    ) {
        (Some(plan), Some(end)) => Some((plan, end)),
        _ => None,
    };
    Ok(PaymentRecord {
        id: rows::uuid(row, "id")?,
        account_id: rows::uuid(row, "account_id")?,
        kind: rows::wire(row, "kind")?,
        plan: rows::text(row, "plan")?,
        interval: rows::wire(row, "billing_interval")?,
        amount: Money {
            amount_minor: rows::int(row, "amount_minor")?,
            currency: rows::wire(row, "currency")?,
        },
        provider: rows::wire(row, "provider")?,
        provider_ref: rows::opt_text(row, "provider_ref")?,
        status: rows::wire(row, "status")?,
        created_at: rows::int(row, "created_at")?,
        paid_at: rows::opt_int(row, "paid_at")?,
        priced_for,
    })
}

pub async fn create_payment(c: &mut Conn, p: &PaymentRecord) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO payments (id, account_id, kind, plan, billing_interval, amount_minor, \
         currency, provider, provider_ref, status, created_at, paid_at, priced_plan, \
         priced_period_end) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(p.id.to_string())
    .bind(p.account_id.to_string())
    .bind(rows::wire_name(&p.kind))
    .bind(&p.plan)
    .bind(rows::wire_name(&p.interval))
    .bind(p.amount.amount_minor)
    .bind(rows::wire_name(&p.amount.currency))
    .bind(rows::wire_name(&p.provider))
    .bind(&p.provider_ref)
    .bind(rows::wire_name(&p.status))
    .bind(p.created_at)
    .bind(p.paid_at)
    .bind(p.priced_for.as_ref().map(|(plan, _)| plan.clone()))
    .bind(p.priced_for.as_ref().map(|(_, end)| *end))
    .execute(c)
    .await?;
    Ok(())
}

pub async fn payment(c: &mut Conn, id: Uuid) -> StorageResult<Option<PaymentRecord>> {
    let row = sqlx::query("SELECT * FROM payments WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(c)
        .await?;
    row.as_ref().map(payment_from_row).transpose()
}

pub async fn payment_by_ref(
    c: &mut Conn,
    provider: PaymentProvider,
    provider_ref: &str,
) -> StorageResult<Option<PaymentRecord>> {
    let row = sqlx::query("SELECT * FROM payments WHERE provider = $1 AND provider_ref = $2")
        .bind(rows::wire_name(&provider))
        .bind(provider_ref)
        .fetch_optional(c)
        .await?;
    row.as_ref().map(payment_from_row).transpose()
}

/// Moves a pending payment to `status`; false if it was not pending (already settled).
pub async fn settle_payment(
    c: &mut Conn,
    id: Uuid,
    status: PaymentStatus,
    provider_ref: Option<&str>,
    now: i64,
) -> StorageResult<bool> {
    let paid = matches!(status, PaymentStatus::Paid | PaymentStatus::Refused);
    let done = sqlx::query(
        "UPDATE payments SET status = $2, provider_ref = COALESCE($3, provider_ref), \
         paid_at = CASE WHEN $4 THEN $5 ELSE paid_at END \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id.to_string())
    .bind(rows::wire_name(&status))
    .bind(provider_ref.map(str::to_owned))
    .bind(paid)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn payments(c: &mut Conn, account: Uuid) -> StorageResult<Vec<PaymentRecord>> {
    let found =
        sqlx::query("SELECT * FROM payments WHERE account_id = $1 ORDER BY created_at DESC, id")
            .bind(account.to_string())
            .fetch_all(c)
            .await?;
    found.iter().map(payment_from_row).collect()
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

pub async fn add_invoice(c: &mut Conn, i: &NewInvoice<'_>) -> StorageResult<Invoice> {
    let row = sqlx::query(
        "INSERT INTO invoice_counters (year, last) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last = invoice_counters.last + 1 RETURNING last",
    )
    .bind(i64::from(i.year))
    .fetch_one(&mut *c)
    .await?;
    let last = rows::int(&row, "last")?;
    let invoice = Invoice {
        number: format!("{}-{last:06}", i.year),
        payment_id: i.payment.id,
        plan: i.payment.plan.clone(),
        amount: i.payment.amount,
        issued_at: i.issued_at,
        period_start: i.period_start,
        period_end: i.period_end,
        provider_url: i.provider_url.clone(),
    };
    sqlx::query(
        "INSERT INTO invoices (number, account_id, payment_id, plan, amount_minor, currency, \
         issued_at, period_start, period_end, provider_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&invoice.number)
    .bind(i.account_id.to_string())
    .bind(invoice.payment_id.to_string())
    .bind(&invoice.plan)
    .bind(invoice.amount.amount_minor)
    .bind(rows::wire_name(&invoice.amount.currency))
    .bind(invoice.issued_at)
    .bind(invoice.period_start)
    .bind(invoice.period_end)
    .bind(&invoice.provider_url)
    .execute(c)
    .await?;
    Ok(invoice)
}

pub async fn invoices(c: &mut Conn, account: Uuid) -> StorageResult<Vec<Invoice>> {
    let found = sqlx::query(
        "SELECT * FROM invoices WHERE account_id = $1 ORDER BY issued_at DESC, number DESC",
    )
    .bind(account.to_string())
    .fetch_all(c)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok(Invoice {
                number: rows::text(r, "number")?,
                payment_id: rows::uuid(r, "payment_id")?,
                plan: rows::text(r, "plan")?,
                amount: Money {
                    amount_minor: rows::int(r, "amount_minor")?,
                    currency: rows::wire(r, "currency")?,
                },
                issued_at: rows::int(r, "issued_at")?,
                period_start: rows::int(r, "period_start")?,
                period_end: rows::int(r, "period_end")?,
                provider_url: rows::opt_text(r, "provider_url")?,
            })
        })
        .collect()
}

/// Remembers a provider's event id, in the unit of work that applies the event; false if it
/// was seen before (a retried delivery: nothing to do).
pub async fn record_webhook_event(
    c: &mut Conn,
    provider: PaymentProvider,
    event_id: &str,
    now: i64,
) -> StorageResult<bool> {
    let done = sqlx::query(
        "INSERT INTO webhook_events (provider, event_id, received_at) VALUES ($1, $2, $3) \
         ON CONFLICT (provider, event_id) DO NOTHING",
    )
    .bind(rows::wire_name(&provider))
    .bind(event_id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}
