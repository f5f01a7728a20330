//! One error type for the vault engine. Every message tells the user what happened and what to
//! do next, in words of no particular program (the CLI adds its commands, the app says it in
//! the person's language by `ErrorCode`); none contains a secret or a document's content.

use std::io;
use std::path::PathBuf;

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("wrong password; try again, or recover access with your recovery phrase")]
    WrongPassword,

    #[error("the recovery phrase does not open this vault; check the 24 words and their order")]
    WrongRecoveryPhrase,

    #[error("that is not a valid recovery phrase ({0}); check the 24 words and their spelling")]
    InvalidRecoveryPhrase(String),

    #[error(
        "{} is not a Coffer vault (no vault.json); create a vault there or choose an existing \
         one", .0.display()
    )]
    NotAVault(PathBuf),

    #[error(
        "{} already holds files; choose an empty or new directory for the vault", .0.display()
    )]
    VaultExists(PathBuf),

    #[error(
        "this {what} uses format version {found}, but this Coffer reads only version \
         {supported}; update Coffer to open it"
    )]
    UnsupportedFormat {
        what: &'static str,
        found: u32,
        supported: u32,
    },

    #[error(
        "the vault's key-derivation settings are below the safe minimum ({0}); the vault header \
         may have been tampered with: restore vault.json from a backup"
    )]
    KdfBelowFloor(String),

    #[error("unsupported key-derivation settings: {0}; choose values in the supported range")]
    KdfInvalid(String),

    #[error("integrity check failed: {0}")]
    Integrity(String),

    #[error(
        "document {id} is damaged: {reason}; restore it from a backup or another synced device"
    )]
    DocumentDamaged { id: String, reason: String },

    #[error(
        "the vault header is damaged ({0}); restore vault.json from a backup, or recreate the \
         vault and restore a backup"
    )]
    HeaderDamaged(String),

    #[error(
        "the vault database could not be opened: {0}; nothing was changed. Rebuild it from the \
         encrypted files with a repair, or restore the vault from a backup"
    )]
    DatabaseDamaged(String),

    #[error(
        "the vault database (vault.db) is missing; nothing was changed. Rebuild it from the \
         encrypted files with a repair"
    )]
    DatabaseMissing,

    #[error(
        "the vault database (vault.db) is empty (a crash or a sync tool may have emptied it); \
         nothing was changed. Rebuild it from the encrypted files with a repair"
    )]
    DatabaseEmpty,

    #[error(
        "the vault database (vault.db) does not open with this vault's key: it is damaged or \
         belongs to another vault; nothing was changed. Rebuild it with a repair"
    )]
    DatabaseUnreadable,

    #[error(
        "the vault database (vault.db) belongs to another vault or to another copy of this \
         vault (another device's); nothing was changed. Put this vault's own vault.db back, or \
         rebuild it with a repair"
    )]
    DatabaseForeign,

    #[error(
        "the vault database (vault.db) is older than this vault (it reached change {found}, the \
         vault had reached {expected}): an older copy was put back, e.g. by a backup or sync \
         tool. Nothing was changed, and documents added since are still in blobs/; a repair \
         rebuilds it, keeping the newest version of every document"
    )]
    DatabaseOlder { found: u64, expected: u64 },

    #[error("no document matches `{0}`")]
    DocumentNotFound(String),

    #[error("`{0}` matches several documents; type more characters of the id")]
    AmbiguousId(String),

    #[error(
        "document {id} is locked: the account's plan no longer covers it (after a downgrade), \
         so it cannot be opened, edited or exported; it is deleted {purge} unless you renew a \
         paid plan"
    )]
    DocumentLocked { id: String, purge: String },

    #[error("document {0} is in the trash; restore it from the trash first")]
    DocumentTrashed(String),

    #[error(
        "the file changed while it was being imported; wait until it is complete and import it again"
    )]
    SourceChanged,

    #[error("the vault is open in another Coffer window or command; close them and try again")]
    VaultBusy,

    #[error("{0}")]
    InvalidInput(String),

    #[error("{context}: the disk is full; free some space and try again (nothing was saved)")]
    DiskFull { context: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },

    #[error("the vault database reported an error: {0}; if it persists, check the vault (verify)")]
    Database(rusqlite::Error),
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => Self::DiskFull {
                context: "writing the vault database".into(),
            },
            _ => Self::Database(e),
        }
    }
}

impl Error {
    /// An I/O error with what we were doing; "disk full" gets its own actionable message.
    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        let context = context.into();
        match source.kind() {
            io::ErrorKind::StorageFull
            | io::ErrorKind::QuotaExceeded
            | io::ErrorKind::FileTooLarge => Self::DiskFull { context },
            _ => Self::Io { context, source },
        }
    }

    pub(crate) fn read(source: io::Error) -> Self {
        Self::io("reading failed", source)
    }

    pub(crate) fn write(source: io::Error) -> Self {
        Self::io("writing failed", source)
    }
}

/// What kind of failure an [`Error`] is, stable across versions and wordings: the desktop app
/// turns it into its translated sentence, scripts and the CLI can branch on it. New kinds may
/// come; a reader treats one it does not know as [`Error`]'s message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    WrongPassword,
    WrongRecoveryPhrase,
    InvalidRecoveryPhrase,
    NotAVault,
    VaultExists,
    UnsupportedFormat,
    NotFound,
    Trashed,
    DocumentLocked,
    SourceChanged,
    InvalidInput,
    DiskFull,
    /// The database is missing, empty, foreign or older than the vault: `repair` rebuilds it.
    DatabaseNeedsRepair,
    VaultBusy,
    Io,
    /// Something failed its integrity check: restore it from a backup or another device.
    Damaged,
}

impl ErrorCode {
    /// Every code, for checks that each has its words (translations, documentation).
    pub const ALL: &'static [ErrorCode] = &[
        Self::WrongPassword,
        Self::WrongRecoveryPhrase,
        Self::InvalidRecoveryPhrase,
        Self::NotAVault,
        Self::VaultExists,
        Self::UnsupportedFormat,
        Self::NotFound,
        Self::Trashed,
        Self::DocumentLocked,
        Self::SourceChanged,
        Self::InvalidInput,
        Self::DiskFull,
        Self::DatabaseNeedsRepair,
        Self::VaultBusy,
        Self::Io,
        Self::Damaged,
    ];

    /// The code as it is written in JSON: `wrong_password`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongPassword => "wrong_password",
            Self::WrongRecoveryPhrase => "wrong_recovery_phrase",
            Self::InvalidRecoveryPhrase => "invalid_recovery_phrase",
            Self::NotAVault => "not_a_vault",
            Self::VaultExists => "vault_exists",
            Self::UnsupportedFormat => "unsupported_format",
            Self::NotFound => "not_found",
            Self::Trashed => "trashed",
            Self::DocumentLocked => "document_locked",
            Self::SourceChanged => "source_changed",
            Self::InvalidInput => "invalid_input",
            Self::DiskFull => "disk_full",
            Self::DatabaseNeedsRepair => "database_needs_repair",
            Self::VaultBusy => "vault_busy",
            Self::Io => "io",
            Self::Damaged => "damaged",
        }
    }
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Self::WrongPassword => C::WrongPassword,
            Self::WrongRecoveryPhrase => C::WrongRecoveryPhrase,
            Self::InvalidRecoveryPhrase(_) => C::InvalidRecoveryPhrase,
            Self::NotAVault(_) => C::NotAVault,
            Self::VaultExists(_) => C::VaultExists,
            Self::UnsupportedFormat { .. } => C::UnsupportedFormat,
            Self::DocumentNotFound(_) | Self::AmbiguousId(_) => C::NotFound,
            Self::DocumentTrashed(_) => C::Trashed,
            Self::DocumentLocked { .. } => C::DocumentLocked,
            Self::SourceChanged => C::SourceChanged,
            Self::InvalidInput(_) | Self::KdfInvalid(_) => C::InvalidInput,
            Self::DiskFull { .. } => C::DiskFull,
            Self::DatabaseMissing
            | Self::DatabaseEmpty
            | Self::DatabaseUnreadable
            | Self::DatabaseForeign
            | Self::DatabaseOlder { .. } => C::DatabaseNeedsRepair,
            Self::VaultBusy => C::VaultBusy,
            Self::Io { .. } => C::Io,
            Self::KdfBelowFloor(_)
            | Self::Integrity(_)
            | Self::DocumentDamaged { .. }
            | Self::HeaderDamaged(_)
            | Self::DatabaseDamaged(_)
            | Self::Database(_) => C::Damaged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_and_written_as_serde_writes_it() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code:?} twice");
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().into())
            );
        }
        assert_eq!(Error::VaultBusy.code(), ErrorCode::VaultBusy);
        assert_eq!(
            Error::DatabaseEmpty.code().as_str(),
            "database_needs_repair"
        );
    }
}
