//! The app's own preferences (language, theme, auto-lock). Nothing here is secret, so they live
//! in a small JSON file in the platform config directory, outside the vault and outside the
//! web view's storage.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Cs,
    En,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

pub const MIN_AUTO_LOCK_MINUTES: u32 = 1;
pub const MAX_AUTO_LOCK_MINUTES: u32 = 240;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// `None` follows the system language.
    pub language: Option<Language>,
    pub theme: Theme,
    pub auto_lock_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: None,
            theme: Theme::System,
            auto_lock_minutes: 10,
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
        };
        settings.save(&path).unwrap();
        assert_eq!(Settings::load(&path), settings);
    }

    #[test]
    fn auto_lock_is_kept_within_range() {
        let s = Settings {
            auto_lock_minutes: 0,
            ..Settings::default()
        };
        assert_eq!(s.clamped().auto_lock_minutes, MIN_AUTO_LOCK_MINUTES);
    }
}
