//! One error type for the vault engine. Every message tells the user what happened and what to
//! do next; none contains a secret or a document's content.

use std::io;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("wrong password; try again, or run `coffer recover` with your recovery phrase")]
    WrongPassword,

    #[error("the recovery phrase does not open this vault; check the 24 words and their order")]
    WrongRecoveryPhrase,

    #[error("that is not a valid recovery phrase ({0}); check the 24 words and their spelling")]
    InvalidRecoveryPhrase(String),

    #[error(
        "{} is not a Coffer vault (no vault.json); create one with `coffer init` or point \
         --vault at an existing vault", .0.display()
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

    #[error("the vault database could not be opened: {0}; restore the vault from a backup")]
    DatabaseDamaged(String),

    #[error("no document matches `{0}`; run `coffer list` to see the ids")]
    DocumentNotFound(String),

    #[error("`{0}` matches several documents; type more characters of the id")]
    AmbiguousId(String),

    #[error(
        "document {id} is locked: the account's plan no longer covers it (after a downgrade), \
         so it cannot be opened, edited or exported; it is deleted {purge} unless you renew a \
         paid plan"
    )]
    DocumentLocked { id: String, purge: String },

    #[error("document {0} is in the trash; restore it with `coffer untrash {0}` first")]
    DocumentTrashed(String),

    #[error(
        "the file changed while it was being imported; wait until it is complete and import it again"
    )]
    SourceChanged,

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

    #[error("the vault database reported an error: {0}; if it persists, restore from a backup")]
    Database(#[from] rusqlite::Error),
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
