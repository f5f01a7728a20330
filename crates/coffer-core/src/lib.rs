//! The Coffer vault engine: keys and envelopes, the encrypted local store, documents, search.
//! It knows nothing of any user interface or server; the CLI, the desktop app and the tests
//! all drive this same code.
#![forbid(unsafe_code)]

pub mod backup;
pub mod blobs;
pub mod bulk;
pub mod clock;
pub mod crypto;
mod description;
pub mod document;
pub mod error;
pub mod export;
mod files;
pub mod interop;
mod journal;
pub mod net;
pub mod overview;
pub mod reminders;
pub mod repair;
pub mod search;
pub mod store;
pub mod sync;
pub mod vault;
pub mod verify;

pub use clock::{Clock, ManualClock, SystemClock};
pub use crypto::kdf::{KdfParams, KdfRecord};
pub use crypto::keys::RecoveryPhrase;
pub use document::{
    CompanyIds, Currency, Document, DocumentFields, DocumentId, DocumentKind, DocumentSummary,
    Field, FieldState, FileInfo, Money, PaymentMethod, VatLine,
};
pub use error::{Error, ErrorCode, Result};
pub use reminders::{Deadline, DeadlineKind, DueReminder, ReminderPlan};
pub use repair::RepairReport;
pub use search::{SearchQuery, Sort, SortKey, TrashFilter};
pub use vault::{
    Describe, DocumentEdit, ImportOptions, ImportOutcome, LockedVault, StagedContent,
    UnlockOutcome, Vault, VaultInfo,
};
pub use verify::{Problem, Verification, VerifyProgress, VerifyReport};
