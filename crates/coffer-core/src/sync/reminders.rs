//! Opt-in e-mail reminders (paid plans): the vault's upcoming deadlines become the server's
//! set of reminders, each only an opaque id, a date, a lead time and a language (SPEC §7).
//! Ids are a keyed hash of document, deadline kind and lead time under a key from the vault
//! key, so every device computes the same set and the server learns nothing from them.

pub use coffer_api::Language;
use coffer_api::{
    ErrorCode, MAX_REMINDER_DAYS_AHEAD, MAX_REMINDERS, ReminderList, ReminderSet, ReminderWrite,
    routes,
};
use reqwest::Method;
use time::{Date, Duration};
use uuid::{Builder, Uuid};

use super::account;
use super::error::{SyncError, SyncResult};
use crate::crypto::keys::{SubKey, SubKeyPurpose};
use crate::error::Error;
use crate::reminders::Deadline;
use crate::vault::Vault;

/// The vault setting holding the opt-in: `on`, or absent.
pub const EMAIL_SETTING: &str = "reminders.email";
/// The vault setting holding the e-mails' language (`cs` or `en`; English when absent).
pub const EMAIL_LANGUAGE_SETTING: &str = "reminders.email.language";

/// What the server holds after registering the set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailReminders {
    /// The vault has not opted in; nothing was sent.
    Off,
    /// The set is registered: `registered` reminders; `left_out` more than the server takes
    /// (the latest ones) were not sent.
    Registered { registered: usize, left_out: usize },
    /// The account's plan has no e-mail reminders: the server refused the set and keeps none
    /// of it (reminders registered under an earlier paid plan stay paused).
    NotOnPlan,
}

/// Whether this vault has opted in to e-mail reminders.
pub fn email_reminders_enabled(vault: &Vault) -> SyncResult<bool> {
    Ok(vault.setting(EMAIL_SETTING)?.as_deref() == Some("on"))
}

/// The language e-mails are written in.
pub fn email_language(vault: &Vault) -> SyncResult<Language> {
    match vault.setting(EMAIL_LANGUAGE_SETTING)?.as_deref() {
        None | Some("en") => Ok(Language::En),
        Some("cs") => Ok(Language::Cs),
        Some(other) => Err(Error::InvalidInput(format!(
            "the stored e-mail reminder language `{other}` is not cs or en; set it again with \
             `coffer reminders --email on --email-language en`"
        ))
        .into()),
    }
}

/// Opts in (in `language`, or the one chosen before) and registers the set at once. Needs an
/// account: without one nothing is stored.
pub fn enable_email_reminders(
    vault: &mut Vault,
    language: Option<Language>,
) -> SyncResult<EmailReminders> {
    if account::connection(vault)?.is_none() {
        return Err(SyncError::NeedsAccount);
    }
    if let Some(language) = language {
        let code = match language {
            Language::En => "en",
            Language::Cs => "cs",
        };
        vault.set_setting(EMAIL_LANGUAGE_SETTING, Some(code))?;
    }
    vault.set_setting(EMAIL_SETTING, Some("on"))?;
    push_email_reminders(vault)
}

/// Opts out: the setting is cleared and, when the vault has an account, every reminder is
/// deleted on the server (allowed on every plan).
pub fn disable_email_reminders(vault: &mut Vault) -> SyncResult<()> {
    vault.set_setting(EMAIL_SETTING, None)?;
    if account::connection(vault)?.is_some() {
        account::open(vault, None)?.call::<()>(Method::DELETE, routes::REMINDERS, None)?;
    }
    Ok(())
}

/// Replaces the server's set with the one computed from the vault now, when opted in; run
/// after every sync. A plan without e-mail reminders is an answer, not an error.
pub fn push_email_reminders(vault: &Vault) -> SyncResult<EmailReminders> {
    if !email_reminders_enabled(vault)? {
        return Ok(EmailReminders::Off);
    }
    let key = vault.sub_key(SubKeyPurpose::ReminderId);
    let (reminders, left_out) = reminder_set(
        &vault.upcoming_deadlines()?,
        vault.clock().today(),
        &key,
        email_language(vault)?,
    );
    let server = account::open(vault, None)?;
    match server.put::<_, ReminderList>(routes::REMINDERS, &ReminderSet { reminders }) {
        Ok(list) => Ok(EmailReminders::Registered {
            registered: list.reminders.len(),
            left_out,
        }),
        Err(e) if e.code() == Some(ErrorCode::Forbidden) => Ok(EmailReminders::NotOnPlan),
        Err(e) => Err(e),
    }
}

/// The reminders the server holds for this account (ids and dates only).
pub fn registered_email_reminders(vault: &Vault) -> SyncResult<ReminderList> {
    account::open(vault, None)?.get(routes::REMINDERS)
}

/// The opaque id of one reminder: the same on every device of the vault, and telling nothing
/// about the document without the vault key.
fn reminder_id(key: &SubKey, deadline: &Deadline, lead_days: u32) -> Uuid {
    let mut hasher = blake3::Hasher::new_keyed(key.bytes());
    hasher.update(deadline.document.as_bytes());
    hasher.update(deadline.kind.as_str().as_bytes());
    hasher.update(&lead_days.to_le_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    // Version 4 bits: to the server the id looks like any random one.
    Builder::from_random_bytes(bytes).into_uuid()
}

/// One reminder per deadline and lead time whose send date is `today` or later, earliest
/// first; deadlines beyond the server's horizon wait for a later sync. Returns the set, at
/// most [`MAX_REMINDERS`], and how many were left out to stay within it.
fn reminder_set(
    deadlines: &[Deadline],
    today: Date,
    key: &SubKey,
    language: Language,
) -> (Vec<ReminderWrite>, usize) {
    let horizon = today.saturating_add(Duration::days(i64::from(MAX_REMINDER_DAYS_AHEAD)));
    let mut set: Vec<ReminderWrite> = deadlines
        .iter()
        .filter(|d| d.date >= today && d.date <= horizon)
        .flat_map(|d| {
            d.lead_days.iter().map(move |lead| ReminderWrite {
                id: reminder_id(key, d, *lead),
                date: d.date,
                days_before: *lead,
                language,
            })
        })
        .filter(|r| r.send_on().is_some_and(|on| on >= today))
        .collect();
    set.sort_by_key(|r| (r.send_on(), r.id));
    let left_out = set.len().saturating_sub(MAX_REMINDERS);
    set.truncate(MAX_REMINDERS);
    (set, left_out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::VaultKey;
    use crate::reminders::DeadlineKind;
    use crate::reminders::tests::deadline;
    use time::macros::date;

    fn key() -> SubKey {
        VaultKey::generate(&mut rand::rngs::OsRng).derive(SubKeyPurpose::ReminderId)
    }

    #[test]
    fn only_lead_times_whose_send_date_is_today_or_later_are_registered() {
        let today = date!(2025 - 12 - 20);
        let kettle = deadline(DeadlineKind::WarrantyEnds, date!(2026 - 01 - 10), &[30, 7]);
        let (set, left_out) = reminder_set(&[kettle], today, &key(), Language::Cs);
        assert_eq!(left_out, 0);
        assert_eq!(set.len(), 1);
        assert_eq!(
            (set[0].date, set[0].days_before),
            (date!(2026 - 01 - 10), 7)
        );
        assert_eq!(set[0].send_on(), Some(date!(2026 - 01 - 03)));
        assert_eq!(set[0].language, Language::Cs);
    }

    #[test]
    fn ids_are_stable_per_document_kind_and_lead_time_and_differ_across_vaults() {
        let today = date!(2025 - 01 - 01);
        let gym = deadline(DeadlineKind::ContractEnds, date!(2025 - 06 - 30), &[30, 7]);
        let mut notice = gym.clone();
        notice.kind = DeadlineKind::NoticeDeadline;
        let key = key();
        let (first, _) = reminder_set(&[gym.clone(), notice.clone()], today, &key, Language::En);
        let (again, _) = reminder_set(&[notice, gym.clone()], today, &key, Language::En);
        assert_eq!(first, again);
        let mut ids: Vec<Uuid> = first.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 4);
        assert!(first.iter().all(|r| r.id.get_version_num() == 4));
        let (other_vault, _) = reminder_set(&[gym], today, &self::key(), Language::En);
        assert!(other_vault.iter().all(|r| !ids.contains(&r.id)));
    }

    #[test]
    fn deadlines_past_the_servers_horizon_wait_and_the_set_is_capped() {
        let today = date!(2025 - 01 - 01);
        let far = deadline(DeadlineKind::DocumentExpires, date!(2040 - 01 - 01), &[30]);
        assert!(
            reminder_set(&[far], today, &key(), Language::En)
                .0
                .is_empty()
        );
        let many: Vec<Deadline> = (0..MAX_REMINDERS + 5)
            .map(|_| deadline(DeadlineKind::WarrantyEnds, date!(2025 - 03 - 01), &[0]))
            .collect();
        let (set, left_out) = reminder_set(&many, today, &key(), Language::En);
        assert_eq!((set.len(), left_out), (MAX_REMINDERS, 5));
    }
}
