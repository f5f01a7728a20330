//! What the storage keeps for e-mail reminders: per account, an opaque id, the deadline date,
//! the lead time, the language and when it is due and was sent. Nothing about the document.

use super::rows;
use super::{Conn, StorageError, StorageResult};
use coffer_api::Language;
use time::Date;
use time::macros::format_description;
use uuid::Uuid;

/// One stored reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderRecord {
    pub account_id: Uuid,
    pub id: Uuid,
    pub date: Date,
    pub days_before: u32,
    pub language: Language,
    /// Due from (Unix seconds).
    pub send_at: i64,
    /// Not sent from this instant on (the end of the deadline day).
    pub until_at: i64,
    pub sent_at: Option<i64>,
}

impl ReminderRecord {
    /// The same reminder: the same id, deadline and lead time (the language may differ).
    pub fn same_as(&self, other: &ReminderRecord) -> bool {
        (self.id, self.date, self.days_before) == (other.id, other.date, other.days_before)
    }

    pub fn to_api(&self) -> coffer_api::Reminder {
        coffer_api::Reminder {
            id: self.id,
            date: self.date,
            days_before: self.days_before,
            language: self.language,
            send_at: self.send_at,
            sent_at: self.sent_at,
        }
    }
}

/// Where a walk over due reminders continues: after this `(send_at, account_id, id)`.
pub type DueCursor = (i64, Uuid, Uuid);

fn parse_date(s: &str) -> StorageResult<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|_| StorageError::Corrupt(format!("not a date: {s:?}")))
}

fn from_row(row: &sqlx::any::AnyRow) -> StorageResult<ReminderRecord> {
    Ok(ReminderRecord {
        account_id: rows::uuid(row, "account_id")?,
        id: rows::uuid(row, "id")?,
        date: parse_date(&rows::text(row, "deadline")?)?,
        days_before: u32::try_from(rows::int(row, "days_before")?)
            .map_err(|_| StorageError::Corrupt("days_before out of range".into()))?,
        language: rows::wire(row, "language")?,
        send_at: rows::int(row, "send_at")?,
        until_at: rows::int(row, "until_at")?,
        sent_at: rows::opt_int(row, "sent_at")?,
    })
}

/// The account's reminders by send time.
pub async fn list(c: &mut Conn, account: Uuid) -> StorageResult<Vec<ReminderRecord>> {
    let found = sqlx::query("SELECT * FROM reminders WHERE account_id = $1 ORDER BY send_at, id")
        .bind(account.to_string())
        .fetch_all(c)
        .await?;
    found.iter().map(from_row).collect()
}

/// Makes `set` the account's reminders (call in a unit of work that holds the account's row,
/// [`super::accounts::lock`]). A reminder that stays the same ([`ReminderRecord::same_as`])
/// keeps its `sent_at`; a changed one is pending again.
pub async fn replace(
    c: &mut Conn,
    account: Uuid,
    set: &[ReminderRecord],
    now: i64,
) -> StorageResult<()> {
    let acc = account.to_string();
    let batch = Uuid::new_v4().to_string();
    for r in set {
        sqlx::query(
            "INSERT INTO reminders (account_id, id, deadline, days_before, language, send_at, \
             until_at, sent_at, batch, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9) \
             ON CONFLICT (account_id, id) DO UPDATE SET \
             sent_at = CASE WHEN reminders.deadline = excluded.deadline \
               AND reminders.days_before = excluded.days_before \
               THEN reminders.sent_at ELSE NULL END, \
             deadline = excluded.deadline, days_before = excluded.days_before, \
             language = excluded.language, send_at = excluded.send_at, \
             until_at = excluded.until_at, batch = excluded.batch, \
             updated_at = excluded.updated_at",
        )
        .bind(&acc)
        .bind(r.id.to_string())
        .bind(r.date.to_string())
        .bind(i64::from(r.days_before))
        .bind(rows::wire_name(&r.language))
        .bind(r.send_at)
        .bind(r.until_at)
        .bind(&batch)
        .bind(now)
        .execute(&mut *c)
        .await?;
    }
    sqlx::query("DELETE FROM reminders WHERE account_id = $1 AND batch <> $2")
        .bind(&acc)
        .bind(&batch)
        .execute(c)
        .await?;
    Ok(())
}

/// True if it existed.
pub async fn delete(c: &mut Conn, account: Uuid, id: Uuid) -> StorageResult<bool> {
    let done = sqlx::query("DELETE FROM reminders WHERE account_id = $1 AND id = $2")
        .bind(account.to_string())
        .bind(id.to_string())
        .execute(c)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_all(c: &mut Conn, account: Uuid) -> StorageResult<()> {
    sqlx::query("DELETE FROM reminders WHERE account_id = $1")
        .bind(account.to_string())
        .execute(c)
        .await?;
    Ok(())
}

/// Unsent reminders of every account with `send_at <= now < until_at`, in
/// `(send_at, account_id, id)` order after `after`.
pub async fn due(
    c: &mut Conn,
    now: i64,
    after: Option<DueCursor>,
    limit: u32,
) -> StorageResult<Vec<ReminderRecord>> {
    let (send_at, account, id) = after.unwrap_or((i64::MIN, Uuid::nil(), Uuid::nil()));
    let found = sqlx::query(
        "SELECT * FROM reminders WHERE sent_at IS NULL AND send_at <= $1 AND until_at > $1 \
         AND (send_at, account_id, id) > ($2, $3, $4) \
         ORDER BY send_at, account_id, id LIMIT $5",
    )
    .bind(now)
    .bind(send_at)
    .bind(account.to_string())
    .bind(id.to_string())
    .bind(i64::from(limit))
    .fetch_all(c)
    .await?;
    found.iter().map(from_row).collect()
}

/// Records that the reminder's e-mail was queued, unless the reminder changed or went
/// meanwhile; true if recorded.
pub async fn mark_sent(c: &mut Conn, r: &ReminderRecord, now: i64) -> StorageResult<bool> {
    let done = sqlx::query(
        "UPDATE reminders SET sent_at = $5 WHERE account_id = $1 AND id = $2 \
         AND deadline = $3 AND days_before = $4 AND sent_at IS NULL",
    )
    .bind(r.account_id.to_string())
    .bind(r.id.to_string())
    .bind(r.date.to_string())
    .bind(i64::from(r.days_before))
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes reminders whose deadline ended before `before`.
pub async fn delete_past(c: &mut Conn, before: i64) -> StorageResult<u64> {
    let done = sqlx::query("DELETE FROM reminders WHERE until_at < $1")
        .bind(before)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}
