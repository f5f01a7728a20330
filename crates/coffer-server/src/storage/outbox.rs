//! The e-mail outbox: notices queued in the unit of work of what they announce (once per
//! dedupe key), delivered and retried by the jobs.

use super::rows;
use super::{Conn, StorageResult};
use coffer_api::Language;
use uuid::Uuid;

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

/// Queues an e-mail unless one with the same `dedupe_key` exists; true if queued.
pub async fn queue(c: &mut Conn, m: &MailRecord, now: i64) -> StorageResult<bool> {
    let done = sqlx::query(
        "INSERT INTO mail_outbox (id, account_id, dedupe_key, to_email, template, language, \
         params, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(m.id.to_string())
    .bind(m.account_id.to_string())
    .bind(&m.dedupe_key)
    .bind(&m.to_email)
    .bind(&m.template)
    .bind(rows::wire_name(&m.language))
    .bind(&m.params)
    .bind(m.next_attempt_at)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn due(c: &mut Conn, now: i64, limit: u32) -> StorageResult<Vec<MailRecord>> {
    let found = sqlx::query(
        "SELECT * FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, created_at LIMIT $2",
    )
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(c)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok(MailRecord {
                id: rows::uuid(r, "id")?,
                account_id: rows::uuid(r, "account_id")?,
                dedupe_key: rows::text(r, "dedupe_key")?,
                to_email: rows::text(r, "to_email")?,
                template: rows::text(r, "template")?,
                language: rows::wire(r, "language")?,
                params: rows::text(r, "params")?,
                attempts: rows::small(r, "attempts")?,
                next_attempt_at: rows::int(r, "next_attempt_at")?,
            })
        })
        .collect()
}

pub async fn sent(c: &mut Conn, id: Uuid, now: i64) -> StorageResult<()> {
    sqlx::query("UPDATE mail_outbox SET sent_at = $2, attempts = attempts + 1 WHERE id = $1")
        .bind(id.to_string())
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn failed(c: &mut Conn, id: Uuid, next_attempt_at: i64) -> StorageResult<()> {
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $2 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(next_attempt_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Drops the account's unsent mails of `template` (a verification code once the address is
/// verified).
pub async fn drop_unsent(c: &mut Conn, account: Uuid, template: &str) -> StorageResult<()> {
    sqlx::query(
        "DELETE FROM mail_outbox WHERE account_id = $1 AND template = $2 AND sent_at IS NULL",
    )
    .bind(account.to_string())
    .bind(template)
    .execute(c)
    .await?;
    Ok(())
}
