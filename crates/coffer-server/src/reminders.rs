//! Opt-in e-mail reminders (SPEC §7): clients register dates and opaque ids only (see
//! [`coffer_api::reminders`]); the jobs queue each due reminder's e-mail once through the mail
//! outbox, while the account's plan includes e-mail reminders. A plan without them pauses the
//! registered reminders (kept, not sent) until a renewal or their deadline.

use crate::app::App;
use crate::auth::Caller;
use crate::billing::{load_state, plan_of};
use crate::error::{ApiError, ApiResult};
use crate::mail::Notice;
use crate::storage::reminders::{self, ReminderRecord};
use crate::storage::{Conn, accounts};
use coffer_api::{
    ErrorCode, MAX_REMINDER_DAYS_AHEAD, MAX_REMINDER_LEAD_DAYS, MAX_REMINDERS, REMINDER_SEND_HOUR,
    ReminderList, ReminderSet, ReminderWrite,
};
use jiff::ToSpan;
use jiff::civil::Date;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

const DAY: i64 = 86_400;
const DUE_BATCH: u32 = 500;

/// The same calendar date in jiff's terms.
fn civil(date: time::Date) -> Option<Date> {
    Date::new(
        i16::try_from(date.year()).ok()?,
        i8::try_from(u8::from(date.month())).ok()?,
        i8::try_from(date.day()).ok()?,
    )
    .ok()
}

fn refused(id: Uuid, message: String) -> ApiError {
    let mut e = ApiError::invalid(message);
    e.reminder_id = Some(id);
    e
}

impl App {
    /// Replaces the account's reminders with `set` (see [`coffer_api::ReminderSet`]).
    pub async fn put_reminders(
        &self,
        caller: &Caller,
        set: ReminderSet,
    ) -> ApiResult<ReminderList> {
        let account = caller.account_id;
        let mut tx = self.storage.write().await?;
        // Locks the account row: PUTs of one account run one after the other, and none lands
        // after the account's deletion.
        if !accounts::lock(&mut tx, account).await? {
            return Err(ApiError::invalid_token());
        }
        if !set.reminders.is_empty() && !self.reminders_allowed(&mut tx, account).await? {
            let state = load_state(&mut tx, &self.catalog, account).await?;
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                format!(
                    "E-mail reminders are part of the paid plans; the {} plan does not include                      them. Upgrade to turn them on; reminders shown in the app keep working.",
                    plan_of(&self.catalog, &state).name
                ),
            ));
        }
        if set.reminders.len() > MAX_REMINDERS {
            return Err(ApiError::new(
                ErrorCode::TooManyReminders,
                format!(
                    "An account can have at most {MAX_REMINDERS} e-mail reminders; this set has \
                     {}. Register fewer lead times or only the nearest deadlines.",
                    set.reminders.len()
                ),
            ));
        }
        let now = self.clock.unix();
        let today = self.catalog.calendar.date_of(now);
        let stored: HashMap<Uuid, ReminderRecord> = reminders::list(&mut tx, account)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut seen = HashSet::new();
        let mut records = Vec::with_capacity(set.reminders.len());
        for write in &set.reminders {
            if !seen.insert(write.id) {
                return Err(refused(
                    write.id,
                    format!("Reminder {} is listed twice; ids must be unique.", write.id),
                ));
            }
            let (record, send_on) = self.schedule(account, write, today)?;
            // A stored reminder repeated unchanged is fine even after its send date: re-sync.
            let unchanged = stored.get(&write.id).is_some_and(|s| s.same_as(&record));
            if !unchanged && send_on < today.yesterday().unwrap_or(today) {
                return Err(refused(
                    write.id,
                    format!(
                        "Reminder {} would be sent on {send_on}, which has passed; leave out \
                         reminders whose send date is before today.",
                        write.id
                    ),
                ));
            }
            records.push(record);
        }
        reminders::replace(&mut tx, account, &records, now).await?;
        let list = self.reminder_list(&mut tx, account).await?;
        tx.commit().await?;
        Ok(list)
    }

    pub async fn delete_reminder(&self, caller: &Caller, id: Uuid) -> ApiResult<()> {
        let mut tx = self.storage.write().await?;
        if !reminders::delete(&mut tx, caller.account_id, id).await? {
            return Err(ApiError::not_found());
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_reminders(&self, caller: &Caller) -> ApiResult<()> {
        let mut tx = self.storage.write().await?;
        reminders::delete_all(&mut tx, caller.account_id).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn reminders(&self, caller: &Caller) -> ApiResult<ReminderList> {
        self.reminder_list(&mut *self.storage.read().await?, caller.account_id)
            .await
    }

    /// The account's reminders and whether they are sent now.
    pub(crate) async fn reminder_list(
        &self,
        c: &mut Conn,
        account: Uuid,
    ) -> ApiResult<ReminderList> {
        Ok(ReminderList {
            reminders: reminders::list(c, account)
                .await?
                .iter()
                .map(ReminderRecord::to_api)
                .collect(),
            active: self.reminders_allowed(c, account).await?,
            max_reminders: MAX_REMINDERS as u32,
        })
    }

    /// Whether the account's plan includes e-mail reminders now.
    pub(crate) async fn reminders_allowed(&self, c: &mut Conn, account: Uuid) -> ApiResult<bool> {
        let state = load_state(c, &self.catalog, account).await?;
        Ok(plan_of(&self.catalog, &state).limits.email_reminders)
    }

    /// Checks one entry and works out when it is due: [`REMINDER_SEND_HOUR`] on the send date,
    /// until the end of the deadline day (billing time zone).
    fn schedule(
        &self,
        account: Uuid,
        write: &ReminderWrite,
        today: Date,
    ) -> ApiResult<(ReminderRecord, Date)> {
        let id = write.id;
        if write.days_before > MAX_REMINDER_LEAD_DAYS {
            return Err(refused(
                id,
                format!(
                    "Reminder {id}: days_before is at most {MAX_REMINDER_LEAD_DAYS} (ten years)."
                ),
            ));
        }
        let horizon = today
            .checked_add(i64::from(MAX_REMINDER_DAYS_AHEAD).days())
            .unwrap_or(Date::MAX);
        let deadline = civil(write.date).filter(|d| *d <= horizon).ok_or_else(|| {
            refused(
                id,
                format!(
                    "Reminder {id}: the date {} is more than {MAX_REMINDER_DAYS_AHEAD} days \
                         ahead; register it closer to the deadline.",
                    write.date
                ),
            )
        })?;
        let send_on = deadline
            .checked_sub(i64::from(write.days_before).days())
            .map_err(|_| refused(id, format!("Reminder {id}: the send date is out of range.")))?;
        let calendar = &self.catalog.calendar;
        Ok((
            ReminderRecord {
                account_id: account,
                id,
                date: write.date,
                days_before: write.days_before,
                language: write.language,
                send_at: calendar.at_hour(send_on, REMINDER_SEND_HOUR as i8),
                until_at: calendar.end_of_date(deadline),
                sent_at: None,
            },
            send_on,
        ))
    }

    /// Queues the e-mail of every due reminder once, for accounts whose plan includes e-mail
    /// reminders (the others stay paused), then forgets reminders whose deadline ended more
    /// than a day ago. Returns how many were queued.
    pub(crate) async fn queue_due_reminders(&self) -> ApiResult<u32> {
        let now = self.clock.unix();
        let mut allowed: HashMap<Uuid, bool> = HashMap::new();
        let mut after = None;
        let mut queued = 0;
        loop {
            let due =
                reminders::due(&mut *self.storage.read().await?, now, after, DUE_BATCH).await?;
            for reminder in &due {
                let mut tx = self.storage.write().await?;
                let ok = match allowed.get(&reminder.account_id) {
                    Some(ok) => *ok,
                    None => {
                        let ok = self.reminders_allowed(&mut tx, reminder.account_id).await?;
                        allowed.insert(reminder.account_id, ok);
                        ok
                    }
                };
                if ok && self.queue_reminder(&mut tx, reminder, now).await? {
                    queued += 1;
                }
                tx.commit().await?;
            }
            match due.last() {
                Some(last) if due.len() == DUE_BATCH as usize => {
                    after = Some((last.send_at, last.account_id, last.id));
                }
                _ => break,
            }
        }
        let mut tx = self.storage.write().await?;
        reminders::delete_past(&mut tx, now - DAY).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// The outbox's dedupe key names the reminder as registered, so its e-mail is queued once
    /// even if marking it sent fails or two job runs overlap.
    async fn queue_reminder(
        &self,
        c: &mut Conn,
        reminder: &ReminderRecord,
        now: i64,
    ) -> ApiResult<bool> {
        let Some(deadline) = civil(reminder.date) else {
            return Ok(false);
        };
        let calendar = &self.catalog.calendar;
        let days_left = calendar
            .date_of(now)
            .until(deadline)
            .map(|span| u32::try_from(span.get_days()).unwrap_or(0))
            .unwrap_or(0);
        let Some(account) = accounts::by_id(c, reminder.account_id).await? else {
            return Ok(false);
        };
        self.queue_notice(
            c,
            reminder.account_id,
            &account.email,
            reminder.language,
            &format!(
                "reminder:{}:{}:{}:{}",
                reminder.account_id, reminder.id, reminder.date, reminder.days_before
            ),
            Notice::Reminder {
                deadline: calendar.at_hour(deadline, REMINDER_SEND_HOUR as i8),
                days_left,
            },
        )
        .await?;
        Ok(reminders::mark_sent(c, reminder, now).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates_convert_between_time_and_jiff() {
        let d = time::macros::date!(2028 - 02 - 29);
        assert_eq!(civil(d), Some(jiff::civil::date(2028, 2, 29)));
    }
}
