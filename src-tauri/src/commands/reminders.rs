//! Desktop notifications for reminders. The engine says which deadlines are within their lead
//! times; the web view picks those the person has not switched off or already been told about,
//! words them in the person's language, and hands them back here to be shown. Which reminders
//! were shown is kept inside the vault (it names documents and dates).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::document::parse_date;
use coffer_core::{Deadline, DueReminder, Error, ReminderPlan, Vault};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_notification::{Notification, NotificationExt};
use ts_rs::TS;

use super::{Result, document_id};
use crate::session::Session;

/// The vault setting listing the reminders already shown (the web view's keys, JSON).
const SHOWN_SETTING: &str = "app.notifications.shown";
/// The vault setting holding the snoozed deadlines: the web view's key of each, and the day
/// it shows again (`9999-12-31`: marked done), JSON.
const SNOOZE_SETTING: &str = "app.deadlines.snoozed";
/// How far back the deadlines screen shows what was missed.
const OVERDUE_DAYS: u32 = 60;
/// More snoozes than anyone keeps by hand: a bound on what the setting can grow to.
const MAX_SNOOZES: usize = 10_000;

fn snoozes(vault: &Vault) -> coffer_core::Result<BTreeMap<String, String>> {
    Ok(vault
        .setting(SNOOZE_SETTING)?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

#[derive(Debug, Serialize, TS)]
pub struct ReminderNotifications {
    pub due: Vec<DueReminder>,
    pub shown: Vec<String>,
    /// Deadlines the person snoozed: not notified until their day.
    pub snoozes: BTreeMap<String, String>,
}

#[tauri::command]
pub async fn reminder_notifications(
    session: State<'_, Arc<Session>>,
) -> Result<ReminderNotifications> {
    session.with_vault_in_background(|vault| {
        let shown = vault
            .setting(SHOWN_SETTING)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        Ok(ReminderNotifications {
            due: vault.due_reminders(None)?,
            shown,
            snoozes: snoozes(vault)?,
        })
    })
}

#[derive(Debug, Deserialize, TS)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// Shows `notices` and records `shown` (the complete list, old entries pruned by the caller).
#[tauri::command]
pub async fn show_notifications<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Arc<Session>>,
    notices: Vec<Notice>,
    shown: Vec<String>,
) -> Result<()> {
    let json = serde_json::to_string(&shown).expect("strings serialise");
    session.with_vault_in_background(|vault| vault.set_setting(SHOWN_SETTING, Some(&json)))?;
    // Without the notification plugin (the test runtime) there is nowhere to show them.
    if app.try_state::<Notification<R>>().is_some() {
        for notice in notices {
            // A desktop without a notification service must not break the app.
            let _ = app
                .notification()
                .builder()
                .title(notice.title)
                .body(notice.body)
                .show();
        }
    }
    Ok(())
}

/// The vault's default lead times: how many days before a deadline reminders come.
#[tauri::command]
pub async fn reminder_lead_days(session: State<'_, Arc<Session>>) -> Result<Vec<u32>> {
    session.with_vault(|vault| vault.default_lead_days())
}

/// Sets the default lead times (1 to 8 values, each 0 to 3650 days); returns them sorted.
#[tauri::command]
pub async fn save_reminder_lead_days(
    session: State<'_, Arc<Session>>,
    days: Vec<u32>,
) -> Result<Vec<u32>> {
    session.with_vault(|vault| vault.set_default_lead_days(&days))
}

/// A document's own reminder settings; a `None` field follows the vault's default.
#[derive(Debug, Default, Serialize, Deserialize, TS)]
pub struct DocumentReminders {
    /// Days before each of its deadlines to remind.
    pub lead_days: Option<Vec<u32>>,
    /// A contract's notice period in days: the last day to give notice comes this long before
    /// its expiry date.
    pub notice_days: Option<u32>,
}

impl From<Option<ReminderPlan>> for DocumentReminders {
    fn from(plan: Option<ReminderPlan>) -> Self {
        let plan = plan.unwrap_or_default();
        Self {
            lead_days: plan.lead_days,
            notice_days: plan.notice_days,
        }
    }
}

#[tauri::command]
pub async fn document_reminders(
    session: State<'_, Arc<Session>>,
    id: String,
) -> Result<DocumentReminders> {
    session.with_vault(|vault| Ok(vault.reminder_plan(document_id(vault, &id)?)?.into()))
}

/// Saves a document's own reminder settings (both fields `None`: back to the defaults); returns
/// them as stored (lead times sorted, duplicates dropped).
#[tauri::command]
pub async fn save_document_reminders(
    session: State<'_, Arc<Session>>,
    id: String,
    reminders: DocumentReminders,
) -> Result<DocumentReminders> {
    session.with_vault(|vault| {
        let id = document_id(vault, &id)?;
        let plan = ReminderPlan {
            lead_days: reminders.lead_days,
            notice_days: reminders.notice_days,
        };
        vault.set_reminder_plan(id, Some(plan))?;
        Ok(vault.reminder_plan(id)?.into())
    })
}

/// The deadlines screen: every deadline from [`OVERDUE_DAYS`] ago on, and the snoozes.
#[derive(Debug, Serialize, TS)]
pub struct Deadlines {
    pub deadlines: Vec<Deadline>,
    pub snoozes: BTreeMap<String, String>,
}

#[tauri::command]
pub async fn deadlines(session: State<'_, Arc<Session>>) -> Result<Deadlines> {
    session.with_vault(|vault| {
        Ok(Deadlines {
            deadlines: vault.deadlines_since(OVERDUE_DAYS)?,
            snoozes: snoozes(vault)?,
        })
    })
}

/// Replaces the snoozes (the web view prunes old ones); each must end on a calendar day.
#[tauri::command]
pub async fn save_deadline_snoozes(
    session: State<'_, Arc<Session>>,
    snoozes: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    if snoozes.len() > MAX_SNOOZES {
        return Err(Error::InvalidInput(format!("at most {MAX_SNOOZES} snoozed deadlines")).into());
    }
    for until in snoozes.values() {
        parse_date(until)?;
    }
    let json = serde_json::to_string(&snoozes).expect("strings serialise");
    session.with_vault(|vault| vault.set_setting(SNOOZE_SETTING, Some(&json)))?;
    Ok(snoozes)
}

/// Saves the coming deadlines as an iCalendar file at `path`; returns how many.
#[tauri::command]
pub async fn export_deadlines_ics(
    session: State<'_, Arc<Session>>,
    path: PathBuf,
) -> Result<usize> {
    session.with_vault(|vault| vault.save_ics(&path))
}
