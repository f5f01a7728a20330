//! The app's own preferences (language, theme, locking, OCR, the watched folder, which
//! reminders become desktop notifications). Nothing here is secret, so they live in a small
//! JSON file in the platform config directory, outside the vault and outside the web view's
//! storage. Secrets (remote OCR keys) are kept inside the vault instead.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Cs,
    En,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

pub const MIN_AUTO_LOCK_MINUTES: u32 = 1;
pub const MAX_AUTO_LOCK_MINUTES: u32 = 240;
/// A year: a reminder less often than that is no reminder.
pub const MAX_BACKUP_REMINDER_DAYS: u32 = 365;

/// Which kinds of reminder become a desktop notification (each can be switched off).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct NotificationSettings {
    #[serde(alias = "warrantyEnds")]
    pub warranty_ends: bool,
    #[serde(alias = "contractEnds")]
    pub contract_ends: bool,
    #[serde(alias = "noticeDeadline")]
    pub notice_deadline: bool,
    #[serde(alias = "documentExpires")]
    pub document_expires: bool,
    /// Name the document in the notification; off unless the person chooses it (anyone who
    /// sees the screen, even locked, reads a notification).
    #[serde(alias = "showTitles")]
    pub show_titles: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            warranty_ends: true,
            contract_ends: true,
            notice_deadline: true,
            document_expires: true,
            show_titles: false,
        }
    }
}

/// Written with the app's one spelling (snake_case); files from before it spelt the fields in
/// camelCase, and those names are still read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Settings {
    /// `None` follows the system language.
    pub language: Option<Language>,
    pub theme: Theme,
    #[serde(alias = "autoLockMinutes")]
    pub auto_lock_minutes: u32,
    /// Lock when the system goes to sleep (where the platform says so).
    #[serde(alias = "lockOnSleep")]
    pub lock_on_sleep: bool,
    /// Read the text of each imported file with local OCR right after the import.
    #[serde(alias = "ocrOnImport")]
    pub ocr_on_import: bool,
    /// Tesseract language codes joined by `+`.
    #[serde(alias = "ocrLanguages")]
    pub ocr_languages: String,
    /// New files appearing here are imported while the vault is unlocked.
    #[serde(alias = "watchedFolder")]
    pub watched_folder: Option<PathBuf>,
    pub notifications: NotificationSettings,
    /// Remind to make a backup when the last one is older than this many days (0: never).
    #[serde(alias = "backupReminderDays")]
    pub backup_reminder_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: None,
            theme: Theme::System,
            auto_lock_minutes: 10,
            lock_on_sleep: true,
            ocr_on_import: true,
            ocr_languages: coffer_ocr::DEFAULT_LANGUAGES.to_string(),
            watched_folder: None,
            notifications: NotificationSettings::default(),
            backup_reminder_days: 30,
        }
    }
}

impl Settings {
    /// Reads the file; a missing or unreadable file gives the defaults rather than a dead app.
    pub fn load(path: &Path) -> Self {
        fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Self>(&bytes).ok())
            .map(Self::clamped)
            .unwrap_or_default()
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let json = serde_json::to_vec_pretty(self).expect("settings serialise");
        let tmp = path.with_extension("json.tmp");
        fs::write(&tmp, json)?;
        fs::rename(tmp, path)
    }

    pub fn clamped(mut self) -> Self {
        self.auto_lock_minutes = self
            .auto_lock_minutes
            .clamp(MIN_AUTO_LOCK_MINUTES, MAX_AUTO_LOCK_MINUTES);
        self.ocr_languages = self.ocr_languages.trim().to_string();
        if self.ocr_languages.is_empty() {
            self.ocr_languages = coffer_ocr::DEFAULT_LANGUAGES.to_string();
        }
        self.watched_folder = self
            .watched_folder
            .filter(|folder| !folder.as_os_str().is_empty());
        self.backup_reminder_days = self.backup_reminder_days.min(MAX_BACKUP_REMINDER_DAYS);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/app.json");
        assert_eq!(Settings::load(&path), Settings::default());
        let settings = Settings {
            language: Some(Language::Cs),
            theme: Theme::Dark,
            auto_lock_minutes: 3,
            watched_folder: Some(PathBuf::from("/home/jana/Scans")),
            notifications: NotificationSettings {
                contract_ends: false,
                ..NotificationSettings::default()
            },
            ..Settings::default()
        };
        settings.save(&path).unwrap();
        assert_eq!(Settings::load(&path), settings);
    }

    #[test]
    fn auto_lock_is_kept_within_range_and_blank_choices_fall_back() {
        let s = Settings {
            auto_lock_minutes: 0,
            ocr_languages: "  ".into(),
            watched_folder: Some(PathBuf::new()),
            ..Settings::default()
        }
        .clamped();
        assert_eq!(s.auto_lock_minutes, MIN_AUTO_LOCK_MINUTES);
        assert_eq!(s.ocr_languages, coffer_ocr::DEFAULT_LANGUAGES);
        assert_eq!(s.watched_folder, None);
    }

    #[test]
    fn a_settings_file_from_an_older_version_keeps_its_values_and_gains_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.json");
        fs::write(
            &path,
            r#"{"language":"en","theme":"light","autoLockMinutes":5,"backupReminderDays":7,
                "notifications":{"showTitles":true,"contractEnds":false}}"#,
        )
        .unwrap();
        let s = Settings::load(&path);
        assert_eq!((s.auto_lock_minutes, s.theme), (5, Theme::Light));
        assert_eq!(s.backup_reminder_days, 7);
        assert!(s.notifications.show_titles && !s.notifications.contract_ends);
        assert!(s.lock_on_sleep && s.ocr_on_import && s.notifications.warranty_ends);
        s.save(&path).unwrap();
        let saved = fs::read_to_string(&path).unwrap();
        assert!(saved.contains("\"auto_lock_minutes\": 5") && !saved.contains("autoLock"));
        assert_eq!(Settings::load(&path), s);
    }
}
