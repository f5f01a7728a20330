//! The storage trait the services talk to, and its SQLite and PostgreSQL implementations.
//!
//! Everything per account is keyed by `(account_id, ...)`, so a query can only ever reach the
//! rows of the account it names. Times are Unix seconds from the injected clock. Every write
//! that touches the change feed first bumps the account's `last_seq`, which also serialises
//! concurrent writers of one account (row lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite).

pub mod billing;
pub mod reminders;
mod sql;

use async_trait::async_trait;
use coffer_api::{BlobRef, Item, SecurityEvent, SecurityEventKind};
use uuid::Uuid;

pub use sql::{PostgresStorage, SqliteStorage};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the record already exists")]
    Conflict,
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Backend(String),
    #[error("a stored row is not readable: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StorageError::Conflict,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StorageError::Unavailable(e.to_string())
            }
            _ => StorageError::Backend(e.to_string()),
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// A new account, as registration finish stores it.
pub struct NewAccount {
    pub id: Uuid,
    pub email: String,
    pub opaque_record: Vec<u8>,
    /// JSON of [`coffer_api::WrappedKeys`]; opaque to the server.
    pub wrapped_keys: Vec<u8>,
    pub created_at: i64,
}

/// An account row.
pub struct AccountRecord {
    pub id: Uuid,
    pub email: String,
    pub opaque_record: Vec<u8>,
    pub wrapped_keys: Vec<u8>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_pending: Option<Vec<u8>>,
    pub last_seq: u64,
    pub created_at: i64,
}

impl std::fmt::Debug for AccountRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRecord")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What a login attempt waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// OPAQUE KE2 sent, waiting for KE3. `state` is the serialised `ServerLogin`.
    Opaque,
    /// Password proven, waiting for a TOTP code. `state` is empty.
    Totp,
}

impl AttemptKind {
    fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Opaque => "opaque",
            AttemptKind::Totp => "totp",
        }
    }
}

/// A pending login step, stored so that any server instance can finish it, and taken (deleted)
/// when used so that a replayed message finds nothing.
pub struct LoginAttempt {
    pub id: Uuid,
    pub kind: AttemptKind,
    /// `None` for an unknown account (the answer was computed from a fake record).
    pub account_id: Option<Uuid>,
    pub state: Vec<u8>,
    pub expires_at: i64,
}

/// A device's session. Tokens are stored only as SHA-256 hashes.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub device_name: String,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub revoked: bool,
}

pub struct NewSession<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub device_name: &'a str,
    pub access_hash: &'a [u8],
    pub access_expires_at: i64,
    pub refresh_hash: &'a [u8],
    pub refresh_expires_at: i64,
    pub now: i64,
}

pub struct RotatedTokens<'a> {
    pub old_refresh_hash: &'a [u8],
    pub access_hash: &'a [u8],
    pub access_expires_at: i64,
    pub refresh_hash: &'a [u8],
    pub refresh_expires_at: i64,
    pub now: i64,
}

/// An item write as the services validated it.
pub struct ItemCommit<'a> {
    pub item_id: Uuid,
    /// 0: the item must not exist yet.
    pub expected_revision: u64,
    /// `None` deletes (writes a tombstone).
    pub content: Option<ItemContent<'a>>,
    /// For a new item: how many live, unlocked items of its kind and month the account may
    /// hold, counted in the write's own transaction so concurrent commits cannot overrun it.
    pub month_limit: Option<u32>,
    pub now: i64,
}

pub struct ItemContent<'a> {
    pub kind_class: &'a str,
    pub created_month: &'a str,
    pub padded_size: u64,
    pub envelope: &'a [u8],
    pub blobs: &'a [BlobRef],
}

/// The idempotency key of a write and the hash of the request it came with.
pub struct Idempotency<'a> {
    pub key: &'a str,
    pub request_hash: &'a [u8],
}

#[derive(Debug)]
pub enum CommitOutcome {
    Applied(Item),
    /// The same idempotency key and request were seen before: the first answer.
    Replayed(Item),
    IdempotencyKeyReused,
    Conflict {
        current_revision: u64,
    },
    NotFound,
    MissingBlob(String),
    /// A new item over `month_limit`: the month already holds `usage` such items.
    OverLimit {
        usage: u32,
    },
}

pub enum ChangesOutcome {
    Page { items: Vec<Item>, latest_seq: u64 },
    CursorExpired,
}

#[derive(Debug, Clone)]
pub struct UploadRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub received: u64,
}

#[derive(Debug)]
pub enum ChunkOutcome {
    Accepted { received: u64 },
    OffsetMismatch { expected: u64 },
    NotFound,
}

/// What maintenance removed from the database; the matching objects are deleted by the caller.
#[derive(Debug, Default)]
pub struct PurgeReport {
    pub tombstones: u64,
    pub orphan_blobs: Vec<(Uuid, String)>,
    pub stale_uploads: Vec<(Uuid, Uuid)>,
    pub accounts_to_purge: Vec<Uuid>,
}

/// Cut-off times (Unix seconds) for [`Storage::purge`]: anything older goes.
#[derive(Debug, Clone, Copy)]
pub struct PurgeCutoffs {
    pub now: i64,
    pub tombstones_before: i64,
    pub orphan_blobs_before: i64,
    pub uploads_before: i64,
    pub idempotency_before: i64,
    pub events_before: i64,
    pub sessions_before: i64,
}

#[async_trait]
pub trait Storage:
    billing::BillingStorage + reminders::ReminderStorage + Send + Sync + 'static
{
    /// Cheap round trip, for readiness.
    async fn ping(&self) -> StorageResult<()>;
    /// The value stored under `name`, storing `fresh` first if there is none. All instances
    /// sharing a database thus agree on server secrets.
    async fn secret_or_init(&self, name: &str, fresh: &[u8]) -> StorageResult<Vec<u8>>;

    async fn create_account(&self, account: &NewAccount) -> StorageResult<()>;
    async fn account_by_email(&self, email: &str) -> StorageResult<Option<AccountRecord>>;
    async fn account(&self, id: Uuid) -> StorageResult<Option<AccountRecord>>;
    /// Replaces the wrapped keys, and the OPAQUE record when given.
    async fn set_credentials(
        &self,
        id: Uuid,
        opaque_record: Option<&[u8]>,
        wrapped_keys: &[u8],
    ) -> StorageResult<()>;
    /// Deletes every row of the account and queues its blobs for deletion.
    async fn delete_account(&self, id: Uuid, now: i64) -> StorageResult<()>;
    async fn finish_account_purge(&self, id: Uuid) -> StorageResult<()>;

    async fn set_totp_pending(&self, id: Uuid, secret: Option<&[u8]>) -> StorageResult<()>;
    async fn enable_totp(
        &self,
        id: Uuid,
        secret: &[u8],
        recovery_code_hashes: &[Vec<u8>],
    ) -> StorageResult<()>;
    async fn disable_totp(&self, id: Uuid) -> StorageResult<()>;
    /// Accepts a TOTP time step only if it is later than the last accepted one (no replay).
    async fn advance_totp_step(&self, id: Uuid, step: i64) -> StorageResult<bool>;
    /// Removes the recovery code; true if it existed.
    async fn consume_recovery_code(&self, id: Uuid, code_hash: &[u8]) -> StorageResult<bool>;

    async fn put_login_attempt(&self, attempt: &LoginAttempt) -> StorageResult<()>;
    /// Removes and returns the attempt if it exists, is of `kind` and has not expired.
    async fn take_login_attempt(
        &self,
        id: Uuid,
        kind: AttemptKind,
        now: i64,
    ) -> StorageResult<Option<LoginAttempt>>;

    async fn create_session(&self, session: &NewSession<'_>) -> StorageResult<()>;
    async fn session_by_access_hash(&self, hash: &[u8]) -> StorageResult<Option<SessionRecord>>;
    /// Swaps both tokens of the live session holding `old_refresh_hash`.
    async fn rotate_tokens(
        &self,
        rotation: &RotatedTokens<'_>,
    ) -> StorageResult<Option<SessionRecord>>;
    async fn live_sessions(&self, account_id: Uuid) -> StorageResult<Vec<SessionRecord>>;
    async fn revoke_session(&self, account_id: Uuid, id: Uuid, now: i64) -> StorageResult<bool>;
    async fn revoke_sessions(
        &self,
        account_id: Uuid,
        except: Option<Uuid>,
        now: i64,
    ) -> StorageResult<u64>;

    async fn commit_item(
        &self,
        account_id: Uuid,
        commit: &ItemCommit<'_>,
        idempotency: Option<&Idempotency<'_>>,
    ) -> StorageResult<CommitOutcome>;
    async fn item(&self, account_id: Uuid, id: Uuid) -> StorageResult<Option<Item>>;
    async fn changes(
        &self,
        account_id: Uuid,
        since: u64,
        limit: u32,
    ) -> StorageResult<ChangesOutcome>;
    async fn latest_seq(&self, account_id: Uuid) -> StorageResult<Option<u64>>;

    async fn blob_size(&self, account_id: Uuid, sha256: &str) -> StorageResult<Option<u64>>;
    async fn account_blobs(&self, account_id: Uuid) -> StorageResult<Vec<BlobRef>>;
    async fn find_upload(
        &self,
        account_id: Uuid,
        sha256: &str,
        size: u64,
    ) -> StorageResult<Option<UploadRecord>>;
    async fn create_upload(&self, upload: &UploadRecord, now: i64) -> StorageResult<()>;
    async fn upload(&self, account_id: Uuid, id: Uuid) -> StorageResult<Option<UploadRecord>>;
    /// Records a stored chunk `[offset, end)` if `offset` is what the upload expects.
    async fn record_chunk(
        &self,
        account_id: Uuid,
        id: Uuid,
        offset: u64,
        end: u64,
        now: i64,
    ) -> StorageResult<ChunkOutcome>;
    /// The recorded chunks `(offset, end)` in order.
    async fn upload_chunks(&self, id: Uuid) -> StorageResult<Vec<(u64, u64)>>;
    /// Registers the blob and removes the upload.
    async fn finish_upload(&self, upload: &UploadRecord, now: i64) -> StorageResult<()>;
    async fn discard_upload(&self, account_id: Uuid, id: Uuid) -> StorageResult<()>;

    async fn log_event(
        &self,
        account_id: Uuid,
        kind: SecurityEventKind,
        device: Option<(Uuid, &str)>,
        at: i64,
    ) -> StorageResult<()>;
    async fn security_events(
        &self,
        account_id: Uuid,
        limit: u32,
    ) -> StorageResult<Vec<SecurityEvent>>;

    async fn purge(&self, cutoffs: PurgeCutoffs) -> StorageResult<PurgeReport>;
}

pub(crate) fn kind_to_str(kind: SecurityEventKind) -> &'static str {
    use SecurityEventKind::*;
    match kind {
        AccountCreated => "account_created",
        LoginSucceeded => "login_succeeded",
        LoginFailed => "login_failed",
        NewDevice => "new_device",
        DeviceRevoked => "device_revoked",
        LogoutAll => "logout_all",
        PasswordChanged => "password_changed",
        TotpEnabled => "totp_enabled",
        TotpDisabled => "totp_disabled",
        RecoveryCodeUsed => "recovery_code_used",
        Other => "other",
    }
}

pub(crate) fn kind_from_str(s: &str) -> SecurityEventKind {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .unwrap_or(SecurityEventKind::Other)
}
