//! What a failed command tells the web view: a stable code the UI translates into Czech or
//! English with the next step, and the engine's own message as a fallback.

use serde::Serialize;

#[derive(Debug, Serialize, PartialEq)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn locked() -> Self {
        Self::new("locked", "the vault is locked; unlock it to continue")
    }
}

impl From<coffer_core::Error> for CommandError {
    fn from(error: coffer_core::Error) -> Self {
        use coffer_core::Error as E;
        let code = match &error {
            E::WrongPassword => "wrong_password",
            E::WrongRecoveryPhrase => "wrong_recovery_phrase",
            E::InvalidRecoveryPhrase(_) => "invalid_recovery_phrase",
            E::NotAVault(_) => "not_a_vault",
            E::VaultExists(_) => "vault_exists",
            E::UnsupportedFormat { .. } => "unsupported_format",
            E::DocumentNotFound(_) | E::AmbiguousId(_) => "not_found",
            E::DocumentTrashed(_) => "trashed",
            E::DocumentLocked { .. } => "document_locked",
            E::SourceChanged => "source_changed",
            E::InvalidInput(_) | E::KdfInvalid(_) => "invalid_input",
            E::DiskFull { .. } => "disk_full",
            E::DatabaseMissing
            | E::DatabaseEmpty
            | E::DatabaseUnreadable
            | E::DatabaseForeign
            | E::DatabaseOlder { .. } => "database_needs_repair",
            E::VaultBusy => "vault_busy",
            E::Io { .. } => "io",
            E::KdfBelowFloor(_)
            | E::Integrity(_)
            | E::DocumentDamaged { .. }
            | E::HeaderDamaged(_)
            | E::DatabaseDamaged(_)
            | E::Database(_) => "damaged",
        };
        Self::new(code, error.to_string())
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
        };
        match error {
            E::Vault(inner) => inner.into(),
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
}
