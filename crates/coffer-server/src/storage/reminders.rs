//! What the storage keeps for e-mail reminders: per account, an opaque id, the deadline date,
//! the lead time, the language and when it is due and was sent. Nothing about the document.

use super::StorageResult;
use async_trait::async_trait;
use coffer_api::Language;
use time::Date;
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

#[async_trait]
pub trait ReminderStorage: Send + Sync + 'static {
    /// The account's reminders by send time.
    async fn reminders(&self, account_id: Uuid) -> StorageResult<Vec<ReminderRecord>>;
    /// Makes `set` the account's reminders in one transaction. A reminder that stays the same
    /// ([`ReminderRecord::same_as`]) keeps its `sent_at`; a changed one is pending again.
    /// False if the account does not exist (any more).
    async fn replace_reminders(
        &self,
        account_id: Uuid,
        set: &[ReminderRecord],
        now: i64,
    ) -> StorageResult<bool>;
    /// True if it existed.
    async fn delete_reminder(&self, account_id: Uuid, id: Uuid) -> StorageResult<bool>;
    async fn delete_reminders(&self, account_id: Uuid) -> StorageResult<()>;
    /// Unsent reminders of every account with `send_at <= now < until_at`, in
    /// `(send_at, account_id, id)` order after `after`.
    async fn due_reminders(
        &self,
        now: i64,
        after: Option<DueCursor>,
        limit: u32,
    ) -> StorageResult<Vec<ReminderRecord>>;
    /// Records that the reminder's e-mail was queued, unless the reminder changed or went
    /// meanwhile; true if recorded.
    async fn reminder_sent(&self, reminder: &ReminderRecord, now: i64) -> StorageResult<bool>;
    /// Removes reminders whose deadline ended before `before`.
    async fn delete_past_reminders(&self, before: i64) -> StorageResult<u64>;
}
