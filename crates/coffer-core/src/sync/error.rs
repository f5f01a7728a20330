//! What can go wrong while talking to the sync server, each with what to do next in words of no
//! particular program (the CLI adds its commands as hints, the app its own sentences). Server
//! answers are matched on their stable `ErrorCode`, never on the message text.

use coffer_api::{ErrorCode, ErrorDetail};

pub type SyncResult<T, E = SyncError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "cannot reach the Coffer server at {url} ({reason}); check the address and your \
         connection, then sync again (nothing was lost)"
    )]
    Unreachable { url: String, reason: String },

    #[error("wrong e-mail address or password for this server (or no such account)")]
    InvalidCredentials,

    #[error(
        "this account asks for a second factor: the current code of its authenticator app, or a recovery code"
    )]
    TotpRequired,

    #[error("the TOTP code (or recovery code) is wrong; try the current code again")]
    InvalidTotp,

    #[error("this device is no longer signed in to the account ({0}); sign in again")]
    SignedOut(&'static str),

    #[error("this vault is not connected to an account; sign up or sign in first")]
    NotConnected,

    #[error(
        "e-mail reminders need an account: connect this vault to one (sign up or sign in), then \
         turn them on again; nothing was changed"
    )]
    NeedsAccount,

    #[error(
        "remote OCR is part of the paid plans and this account's plan ({plan}) does not include \
         it; read the document on this device or upgrade the plan"
    )]
    RemoteOcrNotOnPlan { plan: String },

    #[error(
        "this password does not open the account for {0}: an account with this address may exist \
         already; sign in with its password"
    )]
    AccountExists(String),

    #[error(
        "the account holds a different vault than this one; get that vault from the server in a \
         new place"
    )]
    OtherVault,

    #[error(
        "the server would remove {count} of the {total} documents in this vault, so nothing was \
         removed: if you deleted them on another device, confirm the removal (they go to the \
         trash here for 30 days); if not, check the account's other devices and the server"
    )]
    MassDeletion { count: usize, total: usize },

    #[error("the server refused: too many attempts; wait {0} s and try again")]
    RateLimited(u64),

    #[error("the server refused the request: {message} ({code:?})")]
    Refused { code: ErrorCode, message: String },

    #[error(
        "the server answered something this Coffer does not understand ({0}); update Coffer \
         or check the server address"
    )]
    Protocol(String),

    #[error(
        "the server's copy of document {id} was refused: {reason}; this device's copy is \
         unchanged, and syncing stops here until the server sends a good one: tell whoever \
         runs the server"
    )]
    ServerCopyRefused { id: String, reason: String },

    #[error("{0}")]
    Vault(#[from] crate::Error),

    /// The export behind a share link could not be made (locked documents, an empty period).
    #[error("{0}")]
    Export(crate::export::ExportError),
}

impl From<crate::export::ExportError> for SyncError {
    fn from(error: crate::export::ExportError) -> Self {
        match error {
            crate::export::ExportError::Vault(inner) => Self::Vault(inner),
            other => Self::Export(other),
        }
    }
}

impl SyncError {
    /// Turns a structured server error into the message a person can act on.
    pub(crate) fn from_detail(detail: ErrorDetail) -> Self {
        match detail.code {
            ErrorCode::InvalidCredentials => Self::InvalidCredentials,
            ErrorCode::InvalidTotp => Self::InvalidTotp,
            ErrorCode::SessionRevoked => Self::SignedOut("the session was revoked"),
            ErrorCode::TokenExpired => Self::SignedOut("the session expired"),
            ErrorCode::InvalidToken => Self::SignedOut("the server does not know this session"),
            ErrorCode::RateLimited => Self::RateLimited(detail.retry_after_secs.unwrap_or(60)),
            code => Self::Refused {
                code,
                message: detail.message,
            },
        }
    }

    /// The server's error code, when the server answered with one.
    pub(crate) fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Vault(e.into())
    }
}
