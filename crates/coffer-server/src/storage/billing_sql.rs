//! [`BillingStorage`] for SQLite and PostgreSQL, written once like the rest of `sql.rs`.
//! Enums are stored as their wire names (`"plus"`, `"CZK"`, `"month"`).

use super::*;
use crate::storage::billing::*;
use coffer_api::{BillingInterval, Currency, Invoice, Money, PaymentProvider, PaymentStatus};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(super) fn enum_str<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub(super) fn parse_enum<T: DeserializeOwned>(s: &str) -> StorageResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StorageError::Corrupt(format!("unknown value {s:?}")))
}

fn opt_enum<T: DeserializeOwned>(s: Option<String>) -> StorageResult<Option<T>> {
    s.as_deref().map(parse_enum).transpose()
}

macro_rules! impl_billing_storage {
    ($storage:ty, $db:ty) => {
        impl $storage {
            fn plan_from_row(row: &<$db as sqlx::Database>::Row) -> StorageResult<PlanState> {
                let interval: Option<BillingInterval> = opt_enum(row.try_get("billing_interval")?)?;
                let currency: Option<Currency> = opt_enum(row.try_get("currency")?)?;
                let provider: Option<PaymentProvider> = opt_enum(row.try_get("provider")?)?;
                let period_start: Option<i64> = row.try_get("period_start")?;
                let period_end: Option<i64> = row.try_get("period_end")?;
                let anchor: Option<i64> = row.try_get("period_anchor")?;
                let subscription = match (interval, currency, provider, period_start, period_end) {
                    (Some(interval), Some(currency), Some(provider), Some(start), Some(end)) => {
                        Some(Subscription {
                            interval,
                            currency,
                            provider,
                            subscription_ref: row.try_get("subscription_ref")?,
                            customer_ref: row.try_get("customer_ref")?,
                            period_start: start,
                            period_end: end,
                            // Migration 0004 backfilled it for every older period.
                            anchor: anchor.ok_or_else(|| {
                                StorageError::Corrupt("a paid period has no billing anchor".into())
                            })?,
                            renews: row.try_get("renews")?,
                        })
                    }
                    _ => None,
                };
                let grace_started: Option<i64> = row.try_get("grace_started_at")?;
                let purge_at: Option<i64> = row.try_get("purge_at")?;
                Ok(PlanState {
                    account_id: parse_uuid(&row.try_get::<String, _>("account_id")?)?,
                    plan: row.try_get("plan")?,
                    subscription,
                    language: parse_enum(&row.try_get::<String, _>("language")?)?,
                    grace: match (grace_started, purge_at) {
                        (Some(started_at), Some(purge_at)) => Some(GracePeriod {
                            started_at,
                            purge_at,
                        }),
                        _ => None,
                    },
                    version: row.try_get("version")?,
                })
            }

            fn payment_from_row(row: &<$db as sqlx::Database>::Row) -> StorageResult<PaymentRecord> {
                Ok(PaymentRecord {
                    id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                    account_id: parse_uuid(&row.try_get::<String, _>("account_id")?)?,
                    kind: parse_enum(&row.try_get::<String, _>("kind")?)?,
                    plan: row.try_get("plan")?,
                    interval: parse_enum(&row.try_get::<String, _>("billing_interval")?)?,
                    amount: Money {
                        amount_minor: row.try_get("amount_minor")?,
                        currency: parse_enum(&row.try_get::<String, _>("currency")?)?,
                    },
                    provider: parse_enum(&row.try_get::<String, _>("provider")?)?,
                    provider_ref: row.try_get("provider_ref")?,
                    status: parse_enum(&row.try_get::<String, _>("status")?)?,
                    created_at: row.try_get("created_at")?,
                    paid_at: row.try_get("paid_at")?,
                })
            }

            fn invoice_from_row(row: &<$db as sqlx::Database>::Row) -> StorageResult<Invoice> {
                Ok(Invoice {
                    number: row.try_get("number")?,
                    payment_id: parse_uuid(&row.try_get::<String, _>("payment_id")?)?,
                    plan: row.try_get("plan")?,
                    amount: Money {
                        amount_minor: row.try_get("amount_minor")?,
                        currency: parse_enum(&row.try_get::<String, _>("currency")?)?,
                    },
                    issued_at: row.try_get("issued_at")?,
                    period_start: row.try_get("period_start")?,
                    period_end: row.try_get("period_end")?,
                    provider_url: row.try_get("provider_url")?,
                })
            }

            fn mail_from_row(row: &<$db as sqlx::Database>::Row) -> StorageResult<MailRecord> {
                Ok(MailRecord {
                    id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                    account_id: parse_uuid(&row.try_get::<String, _>("account_id")?)?,
                    dedupe_key: row.try_get("dedupe_key")?,
                    to_email: row.try_get("to_email")?,
                    template: row.try_get("template")?,
                    language: parse_enum(&row.try_get::<String, _>("language")?)?,
                    params: row.try_get("params")?,
                    attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(0),
                    next_attempt_at: row.try_get("next_attempt_at")?,
                })
            }
        }

        #[async_trait]
        impl BillingStorage for $storage {
            async fn plan_state(&self, account_id: Uuid) -> StorageResult<Option<PlanState>> {
                let row = sqlx::query("SELECT * FROM account_plans WHERE account_id = $1")
                    .bind(account_id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::plan_from_row).transpose()
            }

            async fn save_plan_state(
                &self,
                s: &PlanState,
                locks: &LockChange,
                now: i64,
            ) -> StorageResult<bool> {
                let acc = s.account_id.to_string();
                let sub = s.subscription.as_ref();
                let mut tx = self.begin_write().await?;
                let sql = if s.version == 0 {
                    "INSERT INTO account_plans (account_id, plan, billing_interval, currency, \
                     provider, subscription_ref, customer_ref, period_start, period_end, renews, \
                     language, grace_started_at, purge_at, version, updated_at, period_anchor) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 + 1, $15, \
                     $16) \
                     ON CONFLICT (account_id) DO NOTHING"
                } else {
                    "UPDATE account_plans SET plan = $2, billing_interval = $3, currency = $4, \
                     provider = $5, subscription_ref = $6, customer_ref = $7, period_start = $8, \
                     period_end = $9, renews = $10, language = $11, grace_started_at = $12, \
                     purge_at = $13, version = $14 + 1, updated_at = $15, period_anchor = $16 \
                     WHERE account_id = $1 AND version = $14"
                };
                let done = sqlx::query(sql)
                    .bind(&acc)
                    .bind(&s.plan)
                    .bind(sub.map(|x| enum_str(&x.interval)))
                    .bind(sub.map(|x| enum_str(&x.currency)))
                    .bind(sub.map(|x| enum_str(&x.provider)))
                    .bind(sub.and_then(|x| x.subscription_ref.clone()))
                    .bind(sub.and_then(|x| x.customer_ref.clone()))
                    .bind(sub.map(|x| x.period_start))
                    .bind(sub.map(|x| x.period_end))
                    .bind(sub.is_some_and(|x| x.renews))
                    .bind(enum_str(&s.language))
                    .bind(s.grace.map(|g| g.started_at))
                    .bind(s.grace.map(|g| g.purge_at))
                    .bind(s.version)
                    .bind(now)
                    .bind(sub.map(|x| x.anchor))
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                match locks {
                    LockChange::Keep => {}
                    LockChange::UnlockAll => {
                        sqlx::query(
                            "UPDATE items SET locked_at = NULL \
                             WHERE account_id = $1 AND locked_at IS NOT NULL",
                        )
                        .bind(&acc)
                        .execute(&mut *tx)
                        .await?;
                    }
                    LockChange::Lock(ids) => {
                        for id in ids {
                            sqlx::query(
                                "UPDATE items SET locked_at = $3 \
                                 WHERE account_id = $1 AND id = $2 AND deleted = $4",
                            )
                            .bind(&acc)
                            .bind(id.to_string())
                            .bind(now)
                            .bind(false)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn plan_states_due(&self, now: i64) -> StorageResult<Vec<PlanState>> {
                let rows = sqlx::query(
                    "SELECT * FROM account_plans WHERE period_end <= $1 OR purge_at IS NOT NULL \
                     ORDER BY account_id",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::plan_from_row).collect()
            }

            async fn plan_state_by_subscription(
                &self,
                provider: PaymentProvider,
                subscription_ref: &str,
            ) -> StorageResult<Option<PlanState>> {
                let row = sqlx::query(
                    "SELECT * FROM account_plans WHERE provider = $1 AND subscription_ref = $2",
                )
                .bind(enum_str(&provider))
                .bind(subscription_ref)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::plan_from_row).transpose()
            }

            async fn month_usage(&self, account_id: Uuid, month: &str) -> StorageResult<MonthCount> {
                let rows = sqlx::query(
                    "SELECT kind_class, COUNT(*) AS n FROM items \
                     WHERE account_id = $1 AND created_month = $2 AND deleted = $3 \
                     AND locked_at IS NULL GROUP BY kind_class",
                )
                .bind(account_id.to_string())
                .bind(month)
                .bind(false)
                .fetch_all(&self.pool)
                .await?;
                let mut count = MonthCount::default();
                for row in rows {
                    let n = u32::try_from(row.try_get::<i64, _>("n")?).unwrap_or(u32::MAX);
                    match KindClass::parse(&row.try_get::<String, _>("kind_class")?) {
                        Some(KindClass::Receipt) => count.receipts = n,
                        Some(KindClass::Document) => count.documents = n,
                        None => {}
                    }
                }
                Ok(count)
            }

            async fn use_ocr_credit(
                &self,
                account_id: Uuid,
                month: &str,
                limit: u32,
            ) -> StorageResult<Option<u32>> {
                let row = sqlx::query(
                    "INSERT INTO ocr_credits (account_id, month, used) SELECT $1, $2, 1 WHERE $3 > 0 \
                     ON CONFLICT (account_id, month) DO UPDATE SET used = ocr_credits.used + 1 \
                     WHERE ocr_credits.used < $3 RETURNING used",
                )
                .bind(account_id.to_string())
                .bind(month)
                .bind(i64::from(limit))
                .fetch_optional(self.writes())
                .await?;
                row.map(|r| Ok(u32::try_from(r.try_get::<i64, _>("used")?).unwrap_or(u32::MAX)))
                    .transpose()
            }

            async fn ocr_credits_used(&self, account_id: Uuid, month: &str) -> StorageResult<u32> {
                let row = sqlx::query(
                    "SELECT used FROM ocr_credits WHERE account_id = $1 AND month = $2",
                )
                .bind(account_id.to_string())
                .bind(month)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => u32::try_from(r.try_get::<i64, _>("used")?).unwrap_or(u32::MAX),
                    None => 0,
                })
            }

            async fn live_items(&self, account_id: Uuid) -> StorageResult<Vec<LiveItem>> {
                let rows = sqlx::query(
                    "SELECT id, kind_class, created_month FROM items \
                     WHERE account_id = $1 AND deleted = $2 \
                     ORDER BY created_month, created_seq, id",
                )
                .bind(account_id.to_string())
                .bind(false)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(LiveItem {
                            id: parse_uuid(&r.try_get::<String, _>("id")?)?,
                            kind_class: KindClass::parse(&r.try_get::<String, _>("kind_class")?)
                                .ok_or_else(|| StorageError::Corrupt("unknown kind_class".into()))?,
                            created_month: r.try_get("created_month")?,
                        })
                    })
                    .collect()
            }

            async fn locked_items(&self, account_id: Uuid) -> StorageResult<Vec<Uuid>> {
                let rows = sqlx::query(
                    "SELECT id FROM items WHERE account_id = $1 AND locked_at IS NOT NULL \
                     ORDER BY created_month, created_seq, id",
                )
                .bind(account_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| parse_uuid(&r.try_get::<String, _>("id")?))
                    .collect()
            }

            async fn item_locked(&self, account_id: Uuid, item_id: Uuid) -> StorageResult<bool> {
                let row = sqlx::query(
                    "SELECT 1 AS one FROM items WHERE account_id = $1 AND id = $2 \
                     AND locked_at IS NOT NULL",
                )
                .bind(account_id.to_string())
                .bind(item_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.is_some())
            }

            async fn blob_locked(&self, account_id: Uuid, sha256: &str) -> StorageResult<bool> {
                let row = sqlx::query(
                    "SELECT \
                     SUM(CASE WHEN i.locked_at IS NULL THEN 1 ELSE 0 END) AS open, \
                     SUM(CASE WHEN i.locked_at IS NULL THEN 0 ELSE 1 END) AS locked \
                     FROM item_blobs ib JOIN items i \
                     ON i.account_id = ib.account_id AND i.id = ib.item_id \
                     WHERE ib.account_id = $1 AND ib.sha256 = $2",
                )
                .bind(account_id.to_string())
                .bind(sha256)
                .fetch_one(&self.pool)
                .await?;
                let open: Option<i64> = row.try_get("open")?;
                let locked: Option<i64> = row.try_get("locked")?;
                Ok(open.unwrap_or(0) == 0 && locked.unwrap_or(0) > 0)
            }

            async fn create_payment(&self, p: &PaymentRecord) -> StorageResult<()> {
                sqlx::query(
                    "INSERT INTO payments (id, account_id, kind, plan, billing_interval, \
                     amount_minor, currency, provider, provider_ref, status, created_at, paid_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(p.id.to_string())
                .bind(p.account_id.to_string())
                .bind(enum_str(&p.kind))
                .bind(&p.plan)
                .bind(enum_str(&p.interval))
                .bind(p.amount.amount_minor)
                .bind(enum_str(&p.amount.currency))
                .bind(enum_str(&p.provider))
                .bind(&p.provider_ref)
                .bind(enum_str(&p.status))
                .bind(p.created_at)
                .bind(p.paid_at)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            async fn payment(&self, id: Uuid) -> StorageResult<Option<PaymentRecord>> {
                let row = sqlx::query("SELECT * FROM payments WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::payment_from_row).transpose()
            }

            async fn payment_by_ref(
                &self,
                provider: PaymentProvider,
                provider_ref: &str,
            ) -> StorageResult<Option<PaymentRecord>> {
                let row = sqlx::query(
                    "SELECT * FROM payments WHERE provider = $1 AND provider_ref = $2",
                )
                .bind(enum_str(&provider))
                .bind(provider_ref)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::payment_from_row).transpose()
            }

            async fn settle_payment(
                &self,
                id: Uuid,
                status: PaymentStatus,
                provider_ref: Option<&str>,
                now: i64,
            ) -> StorageResult<bool> {
                let done = sqlx::query(
                    "UPDATE payments SET status = $2, provider_ref = COALESCE($3, provider_ref), \
                     paid_at = CASE WHEN $2 = 'paid' THEN $4 ELSE paid_at END \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(id.to_string())
                .bind(enum_str(&status))
                .bind(provider_ref)
                .bind(now)
                .execute(self.writes())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_payment_ref(&self, id: Uuid, provider_ref: &str) -> StorageResult<()> {
                sqlx::query("UPDATE payments SET provider_ref = $2 WHERE id = $1")
                    .bind(id.to_string())
                    .bind(provider_ref)
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            async fn payments(&self, account_id: Uuid) -> StorageResult<Vec<PaymentRecord>> {
                let rows = sqlx::query(
                    "SELECT * FROM payments WHERE account_id = $1 ORDER BY created_at DESC, id",
                )
                .bind(account_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::payment_from_row).collect()
            }

            async fn add_invoice(&self, i: &NewInvoice<'_>) -> StorageResult<Invoice> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "INSERT INTO invoice_counters (year, last) VALUES ($1, 1) \
                     ON CONFLICT (year) DO UPDATE SET last = invoice_counters.last + 1 \
                     RETURNING last",
                )
                .bind(i64::from(i.year))
                .fetch_one(&mut *tx)
                .await?;
                let last: i64 = row.try_get("last")?;
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
                    "INSERT INTO invoices (number, account_id, payment_id, plan, amount_minor, \
                     currency, issued_at, period_start, period_end, provider_url) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&invoice.number)
                .bind(i.account_id.to_string())
                .bind(invoice.payment_id.to_string())
                .bind(&invoice.plan)
                .bind(invoice.amount.amount_minor)
                .bind(enum_str(&invoice.amount.currency))
                .bind(invoice.issued_at)
                .bind(invoice.period_start)
                .bind(invoice.period_end)
                .bind(&invoice.provider_url)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(invoice)
            }

            async fn invoices(&self, account_id: Uuid) -> StorageResult<Vec<Invoice>> {
                let rows = sqlx::query(
                    "SELECT * FROM invoices WHERE account_id = $1 ORDER BY issued_at DESC, number DESC",
                )
                .bind(account_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::invoice_from_row).collect()
            }

            async fn record_webhook_event(
                &self,
                provider: PaymentProvider,
                event_id: &str,
                now: i64,
            ) -> StorageResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO webhook_events (provider, event_id, received_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (provider, event_id) DO NOTHING",
                )
                .bind(enum_str(&provider))
                .bind(event_id)
                .bind(now)
                .execute(self.writes())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn forget_webhook_event(
                &self,
                provider: PaymentProvider,
                event_id: &str,
            ) -> StorageResult<()> {
                sqlx::query("DELETE FROM webhook_events WHERE provider = $1 AND event_id = $2")
                    .bind(enum_str(&provider))
                    .bind(event_id)
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            async fn queue_mail(&self, m: &MailRecord, now: i64) -> StorageResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO mail_outbox (id, account_id, dedupe_key, to_email, template, \
                     language, params, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) \
                     ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .bind(m.id.to_string())
                .bind(m.account_id.to_string())
                .bind(&m.dedupe_key)
                .bind(&m.to_email)
                .bind(&m.template)
                .bind(enum_str(&m.language))
                .bind(&m.params)
                .bind(now)
                .execute(self.writes())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn due_mail(&self, now: i64, limit: u32) -> StorageResult<Vec<MailRecord>> {
                let rows = sqlx::query(
                    "SELECT * FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
                     ORDER BY next_attempt_at, created_at LIMIT $2",
                )
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::mail_from_row).collect()
            }

            async fn mail_sent(&self, id: Uuid, now: i64) -> StorageResult<()> {
                sqlx::query(
                    "UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1 WHERE id = $1",
                )
                .bind(id.to_string())
                .bind(now)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            async fn mail_failed(&self, id: Uuid, next_attempt_at: i64) -> StorageResult<()> {
                sqlx::query(
                    "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2 \
                     WHERE id = $1",
                )
                .bind(id.to_string())
                .bind(next_attempt_at)
                .execute(self.writes())
                .await?;
                Ok(())
            }
        }
    };
}

impl_billing_storage!(SqliteStorage, sqlx::Sqlite);
impl_billing_storage!(PostgresStorage, sqlx::Postgres);
