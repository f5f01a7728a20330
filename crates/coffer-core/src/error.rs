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

    #[error(
        "the vault database could not be opened: {0}; nothing was changed. Rebuild it from the \
         encrypted files with `coffer repair`, or restore the vault from a backup"
    )]
    DatabaseDamaged(String),

    #[error(
        "the vault database (vault.db) is missing; nothing was changed. Rebuild it from the \
         encrypted files with `coffer repair`"
    )]
    DatabaseMissing,

    #[error(
        "the vault database (vault.db) is empty (a crash or a sync tool may have emptied it); \
         nothing was changed. Rebuild it from the encrypted files with `coffer repair`"
    )]
    DatabaseEmpty,

    #[error(
        "the vault database (vault.db) does not open with this vault's key: it is damaged or \
         belongs to another vault; nothing was changed. Rebuild it with `coffer repair`"
    )]
    DatabaseUnreadable,

    #[error(
        "the vault database (vault.db) belongs to another vault or to another copy of this \
         vault (another device's); nothing was changed. Put this vault's own vault.db back, or \
         rebuild it with `coffer repair`"
    )]
    DatabaseForeign,

    #[error(
        "the vault database (vault.db) is older than this vault (it reached change {found}, the \
         vault had reached {expected}): an older copy was put back, e.g. by a backup or sync \
         tool. Nothing was changed, and documents added since are still in blobs/; run \
         `coffer repair`, which keeps the newest version of every document"
    )]
    DatabaseOlder { found: u64, expected: u64 },

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

    #[error(
        "the vault database reported an error: {0}; if it persists, check it with `coffer \
         verify`"
    )]
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
