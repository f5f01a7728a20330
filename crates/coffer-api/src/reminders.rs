//! Opt-in e-mail reminders (paid plans): the client registers, per reminder, only an opaque id,
//! a deadline date and how many days before it to send the e-mail. The server never learns what
//! the document is; its e-mail says "a document in your Coffer vault has a deadline on DATE".
//!
//! # How a client uses it
//! 1. Check the cached [`crate::Entitlement`]: `limits.email_reminders` must be true (otherwise
//!    registering answers `403 forbidden`).
//! 2. Compute the reminders locally (one per deadline and lead time), drop those whose
//!    [`ReminderWrite::send_on`] is before today, and `PUT` [`crate::routes::REMINDERS`] the
//!    **whole set** as a [`ReminderSet`]. The answer is the stored [`ReminderList`].
//! 3. Repeat the `PUT` whenever the set changes (or just on every sync): it is idempotent. An
//!    entry that repeats a stored reminder unchanged (same id, date and lead time) is accepted
//!    as it is, even after its send date, and a reminder that was sent is not sent again.
//!    Changing an entry's date or lead time makes it a new reminder that is sent again.
//! 4. To opt out, `DELETE` [`crate::routes::REMINDERS`] (allowed on every plan).
//!
//! Ids: choose ids that do not reveal the document, and that stay the same for the same
//! reminder on every device, e.g. the first 16 bytes of HMAC-SHA256(a key derived from the
//! vault key, document id ‖ deadline kind ‖ lead days) as a UUID. Random v4 ids kept in the
//! vault work too.
//!
//! Time: dates are calendar dates. The e-mail goes out at [`REMINDER_SEND_HOUR`]:00 on the send
//! date in the server's billing time zone ([`crate::PlanCatalog::time_zone`], Europe/Prague),
//! at the first run of the server's jobs after that. A reminder whose deadline has passed is
//! not sent any more and is removed a day later.
//!
//! Plans: when the plan stops including e-mail reminders (a downgrade), nothing more is sent
//! from that moment, and new registrations are refused. The reminders already registered are
//! kept, paused ([`ReminderList::active`] is false), until their deadline passes or the client
//! deletes them: renewing a paid plan resumes those still ahead without the client doing
//! anything, and one whose send date fell in the pause is sent at renewal if its deadline is
//! still ahead.

use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

/// Most reminders one account can register.
pub const MAX_REMINDERS: usize = 2000;
/// Longest lead time: a reminder is sent at most this many days before its deadline.
pub const MAX_REMINDER_LEAD_DAYS: u32 = 3650;
/// Farthest deadline the server accepts, in days after today.
pub const MAX_REMINDER_DAYS_AHEAD: u32 = 3660;
/// Hour of the send date (billing time zone) from which a reminder is due.
pub const REMINDER_SEND_HOUR: u8 = 8;

time::serde::format_description!(ymd, Date, "[year]-[month]-[day]");

/// One reminder as the client registers it. Unknown fields are refused (`400
/// malformed_request`), so nothing about a document can slip in by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderWrite {
    /// Chosen by the client; opaque to the server (see the module docs).
    pub id: Uuid,
    /// The deadline the e-mail names, `YYYY-MM-DD`: at most [`MAX_REMINDER_DAYS_AHEAD`] days
    /// ahead.
    #[serde(with = "ymd")]
    pub date: Date,
    /// Send the e-mail this many days before `date` (0: on the day; at most
    /// [`MAX_REMINDER_LEAD_DAYS`]). The send date must not lie before yesterday (billing time
    /// zone), unless the entry repeats a stored reminder unchanged.
    pub days_before: u32,
    /// Language of the e-mail.
    pub language: crate::Language,
}

impl ReminderWrite {
    /// The date the e-mail is sent: `date - days_before`, `None` if out of range.
    pub fn send_on(&self) -> Option<Date> {
        self.date
            .checked_sub(time::Duration::days(i64::from(self.days_before)))
    }
}

/// `PUT` [`crate::routes::REMINDERS`] (authenticated): the account's complete set of
/// reminders, replacing what was registered before (an empty set deletes them all). At most
/// [`MAX_REMINDERS`], ids unique. Answers `200` [`ReminderList`]; `403 forbidden` when the
/// plan has no e-mail reminders (and the set is not empty); `422 invalid_field` with
/// `reminder_id` for a date in the past or too far ahead, a lead time too long or an id listed
/// twice; `422 too_many_reminders`; `400 malformed_request` for a malformed body or date.
/// Nothing is stored unless the whole set is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSet {
    pub reminders: Vec<ReminderWrite>,
}

/// A registered reminder as the server has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub id: Uuid,
    /// The deadline, `YYYY-MM-DD`.
    #[serde(with = "ymd")]
    pub date: Date,
    pub days_before: u32,
    pub language: crate::Language,
    /// When it becomes due (Unix seconds): [`REMINDER_SEND_HOUR`]:00 on the send date in the
    /// billing time zone.
    pub send_at: i64,
    /// When its e-mail was queued for delivery (Unix seconds); `None` while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<i64>,
}

/// `GET` [`crate::routes::REMINDERS`] (authenticated), and the answer to a [`ReminderSet`]:
/// the account's reminders by send time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderList {
    pub reminders: Vec<Reminder>,
    /// Whether the account's plan includes e-mail reminders now; while false nothing is sent
    /// (the reminders are paused, see the module docs).
    pub active: bool,
    /// [`MAX_REMINDERS`] on this server.
    pub max_reminders: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_is_an_id_a_date_a_lead_time_and_a_language_only() {
        let w: ReminderWrite = serde_json::from_value(serde_json::json!({
            "id": "6f1c1b3e-8d2a-4c1e-9f57-0a1b2c3d4e5f", "date": "2027-02-28",
            "days_before": 30, "language": "cs"}))
        .unwrap();
        assert_eq!(w.send_on(), Some(time::macros::date!(2027 - 01 - 29)));
        assert_eq!(serde_json::to_value(w).unwrap()["date"], "2027-02-28");
        let with_title = serde_json::from_value::<ReminderWrite>(serde_json::json!({
            "id": "6f1c1b3e-8d2a-4c1e-9f57-0a1b2c3d4e5f", "date": "2027-02-28",
            "days_before": 30, "language": "cs", "title": "Kettle warranty"}));
        assert!(with_title.is_err());
        let bad_date = serde_json::from_value::<ReminderWrite>(serde_json::json!({
            "id": "6f1c1b3e-8d2a-4c1e-9f57-0a1b2c3d4e5f", "date": "2027-02-30",
            "days_before": 0, "language": "en"}));
        assert!(bad_date.is_err());
    }
}
