//! What a failed command tells the web view: a stable code the UI translates into Czech or
//! English with the next step, and the engine's own message as a fallback.

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Serialize, PartialEq, TS)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

/// The codes of the app's own failures, besides the engine's [`coffer_core::ErrorCode`]s. The
/// web view has a Czech and an English sentence for each (`error.<code>`), checked by a test.
pub const APP_CODES: &[&str] = &[
    "account_exists",
    "backup_key_kind",
    "browser",
    "consent_required",
    "export_locked",
    "file_exists",
    "internal",
    "invalid_credentials",
    "invalid_totp",
    "locked",
    "mass_deletion",
    "needs_account",
    "no_pending_phrase",
    "not_a_backup",
    "not_connected",
    "ocr_credits_used_up",
    "ocr_failed",
    "ocr_languages",
    "other_vault",
    "payments_unavailable",
    "phrase_mismatch",
    "phrase_not_confirmed",
    "rate_limited",
    "remote_ocr",
    "remote_ocr_no_key",
    "remote_ocr_not_on_plan",
    "server_copy_refused",
    "server_protocol",
    "server_refused",
    "server_unreachable",
    "signed_out",
    "totp_required",
    "untrusted_checkout",
    "watch_failed",
    "weak_passphrase",
    "wrong_backup_key",
];

/// Every code a command's error can carry.
pub fn all_codes() -> impl Iterator<Item = &'static str> {
    let engine = coffer_core::ErrorCode::ALL.iter().map(|c| c.as_str());
    engine.chain(APP_CODES.iter().copied())
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        debug_assert!(
            all_codes().any(|c| c == code),
            "`{code}` is not in APP_CODES: add it there and give it its words in both locales"
        );
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn locked() -> Self {
        Self::new("locked", "the vault is locked; unlock it to continue")
    }
}

impl From<&coffer_core::Error> for CommandError {
    fn from(error: &coffer_core::Error) -> Self {
        Self::new(error.code().as_str(), error.to_string())
    }
}

impl From<coffer_core::Error> for CommandError {
    fn from(error: coffer_core::Error) -> Self {
        Self::from(&error)
    }
}

impl From<coffer_ocr::OcrError> for CommandError {
    fn from(error: coffer_ocr::OcrError) -> Self {
        use coffer_ocr::OcrError as E;
        let code = match &error {
            E::TesseractInit { .. } => "ocr_languages",
            E::Remote(_) => "remote_ocr",
            _ => "ocr_failed",
        };
        Self::new(code, error.to_string())
    }
}

impl From<coffer_ocr::RemoteError> for CommandError {
    fn from(error: coffer_ocr::RemoteError) -> Self {
        Self::new("remote_ocr", error.to_string())
    }
}

impl From<coffer_ocr::vault::DocumentOcrError> for CommandError {
    fn from(error: coffer_ocr::vault::DocumentOcrError) -> Self {
        use coffer_ocr::vault::DocumentOcrError as E;
        match error {
            E::Vault(e) => e.into(),
            E::Ocr(e) => e.into(),
            E::Remote(e) => e.into(),
        }
    }
}

impl From<coffer_core::backup::BackupError> for CommandError {
    fn from(error: coffer_core::backup::BackupError) -> Self {
        use coffer_core::backup::BackupError as E;
        let code = match &error {
            E::Vault(_) => "",
            E::WrongPassphrase | E::WrongIdentity(_) => "wrong_backup_key",
            E::NeedsPassphrase | E::NeedsIdentity => "backup_key_kind",
            E::NotAgeFile { .. } | E::NotABackup(_) | E::UnsupportedVersion { .. } => {
                "not_a_backup"
            }
            E::Damaged(_) => "damaged",
            E::OutputExists(_) => "file_exists",
            _ => "invalid_input",
        };
        match error {
            E::Vault(inner) => inner.into(),
            other => Self::new(code, other.to_string()),
        }
    }
}

impl From<coffer_core::export::ExportError> for CommandError {
    fn from(error: coffer_core::export::ExportError) -> Self {
        use coffer_core::export::ExportError as E;
        match error {
            E::Vault(inner) => inner.into(),
            E::EmptyPeriod { .. } => CommandError::new("invalid_input", error.to_string()),
            E::Locked(_) => CommandError::new("export_locked", error.to_string()),
            E::Zip(_) => CommandError::new("io", error.to_string()),
        }
    }
}

impl From<coffer_core::sync::SyncError> for CommandError {
    fn from(error: coffer_core::sync::SyncError) -> Self {
        use coffer_core::sync::{ErrorCode, SyncError as E};
        let code = match &error {
            E::Vault(_) => "",
            E::Unreachable { .. } => "server_unreachable",
            E::InvalidCredentials => "invalid_credentials",
            E::TotpRequired => "totp_required",
            E::InvalidTotp => "invalid_totp",
            E::SignedOut(_) => "signed_out",
            E::NotConnected => "not_connected",
            E::NeedsAccount => "needs_account",
            E::RemoteOcrNotOnPlan { .. } => "remote_ocr_not_on_plan",
            E::AccountExists(_) => "account_exists",
            E::OtherVault => "other_vault",
            E::RateLimited(_) => "rate_limited",
            E::MassDeletion { .. } => "mass_deletion",
            E::Refused {
                code: ErrorCode::PaymentsUnavailable,
                ..
            } => "payments_unavailable",
            E::Refused {
                code: ErrorCode::OcrCreditsUsedUp,
                ..
            } => "ocr_credits_used_up",
            E::Refused { .. } => "server_refused",
            E::Protocol(_) => "server_protocol",
            E::ServerCopyRefused { .. } => "server_copy_refused",
            E::Export(_) => "",
        };
        match error {
            E::Vault(inner) => inner.into(),
            E::Export(inner) => inner.into(),
            other => Self::new(code, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_map_to_codes_the_ui_translates() {
        assert_eq!(
            CommandError::from(coffer_core::Error::WrongPassword).code,
            "wrong_password"
        );
        let e = CommandError::from(coffer_core::Error::InvalidInput("bad date".into()));
        assert_eq!((e.code, e.message.as_str()), ("invalid_input", "bad date"));
    }

    fn catalogue(language: &str) -> serde_json::Map<String, serde_json::Value> {
        let path = format!(
            "{}/../ui/src/locales/{language}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn every_error_code_has_its_sentence_in_czech_and_english() {
        for language in ["en", "cs"] {
            let words = catalogue(language);
            let missing: Vec<&str> = all_codes()
                .filter(|code| !words.contains_key(&format!("error.{code}")))
                .collect();
            assert!(
                missing.is_empty(),
                "{language}.json lacks error.{missing:?}"
            );
        }
    }

    #[test]
    fn the_engine_codes_and_the_app_codes_do_not_overlap() {
        for code in coffer_core::ErrorCode::ALL {
            assert!(!APP_CODES.contains(&code.as_str()), "{code:?}");
        }
    }
}
