//! [`ReminderStorage`] for SQLite and PostgreSQL, written once like the rest of `sql.rs`.
//! Deadlines are stored as `YYYY-MM-DD` text.

use super::billing::{enum_str, parse_enum};
use super::*;
use crate::storage::reminders::*;
use time::Date;
use time::macros::format_description;

fn parse_date(s: &str) -> StorageResult<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|_| StorageError::Corrupt(format!("not a date: {s:?}")))
}

macro_rules! impl_reminder_storage {
    ($storage:ty, $db:ty) => {
        impl $storage {
            fn reminder_from_row(
                row: &<$db as sqlx::Database>::Row,
            ) -> StorageResult<ReminderRecord> {
                Ok(ReminderRecord {
                    account_id: parse_uuid(&row.try_get::<String, _>("account_id")?)?,
                    id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                    date: parse_date(&row.try_get::<String, _>("deadline")?)?,
                    days_before: u32::try_from(row.try_get::<i64, _>("days_before")?)
                        .map_err(|_| StorageError::Corrupt("days_before out of range".into()))?,
                    language: parse_enum(&row.try_get::<String, _>("language")?)?,
                    send_at: row.try_get("send_at")?,
                    until_at: row.try_get("until_at")?,
                    sent_at: row.try_get("sent_at")?,
                })
            }
        }

        #[async_trait]
        impl ReminderStorage for $storage {
            async fn reminders(&self, account_id: Uuid) -> StorageResult<Vec<ReminderRecord>> {
                let rows = sqlx::query(
                    "SELECT * FROM reminders WHERE account_id = $1 ORDER BY send_at, id",
                )
                .bind(account_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::reminder_from_row).collect()
            }

            async fn replace_reminders(
                &self,
                account_id: Uuid,
                set: &[ReminderRecord],
                now: i64,
            ) -> StorageResult<bool> {
                let acc = account_id.to_string();
                let batch = Uuid::new_v4().to_string();
                let mut tx = self.begin_write().await?;
                // Locks the account row: PUTs of one account run one after the other, and
                // none lands after the account's deletion.
                let exists = sqlx::query("UPDATE accounts SET last_seq = last_seq WHERE id = $1")
                    .bind(&acc)
                    .execute(&mut *tx)
                    .await?;
                if exists.rows_affected() != 1 {
                    return Ok(false);
                }
                for r in set {
                    sqlx::query(
                        "INSERT INTO reminders (account_id, id, deadline, days_before, language, \
                         send_at, until_at, sent_at, batch, updated_at) \
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
                    .bind(enum_str(&r.language))
                    .bind(r.send_at)
                    .bind(r.until_at)
                    .bind(&batch)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("DELETE FROM reminders WHERE account_id = $1 AND batch <> $2")
                    .bind(&acc)
                    .bind(&batch)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn delete_reminder(&self, account_id: Uuid, id: Uuid) -> StorageResult<bool> {
                let done = sqlx::query("DELETE FROM reminders WHERE account_id = $1 AND id = $2")
                    .bind(account_id.to_string())
                    .bind(id.to_string())
                    .execute(self.writes())
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_reminders(&self, account_id: Uuid) -> StorageResult<()> {
                sqlx::query("DELETE FROM reminders WHERE account_id = $1")
                    .bind(account_id.to_string())
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            async fn due_reminders(
                &self,
                now: i64,
                after: Option<DueCursor>,
                limit: u32,
            ) -> StorageResult<Vec<ReminderRecord>> {
                let (send_at, account, id) = after.unwrap_or((i64::MIN, Uuid::nil(), Uuid::nil()));
                let rows = sqlx::query(
                    "SELECT * FROM reminders WHERE sent_at IS NULL AND send_at <= $1 \
                     AND until_at > $1 AND (send_at, account_id, id) > ($2, $3, $4) \
                     ORDER BY send_at, account_id, id LIMIT $5",
                )
                .bind(now)
                .bind(send_at)
                .bind(account.to_string())
                .bind(id.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::reminder_from_row).collect()
            }

            async fn reminder_sent(&self, r: &ReminderRecord, now: i64) -> StorageResult<bool> {
                let done = sqlx::query(
                    "UPDATE reminders SET sent_at = $5 WHERE account_id = $1 AND id = $2 \
                     AND deadline = $3 AND days_before = $4 AND sent_at IS NULL",
                )
                .bind(r.account_id.to_string())
                .bind(r.id.to_string())
                .bind(r.date.to_string())
                .bind(i64::from(r.days_before))
                .bind(now)
                .execute(self.writes())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_past_reminders(&self, before: i64) -> StorageResult<u64> {
                let done = sqlx::query("DELETE FROM reminders WHERE until_at < $1")
                    .bind(before)
                    .execute(self.writes())
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

impl_reminder_storage!(SqliteStorage, sqlx::Sqlite);
impl_reminder_storage!(PostgresStorage, sqlx::Postgres);
