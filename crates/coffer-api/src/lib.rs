//! Wire types shared by the Coffer sync client and server.
//!
//! This crate is the contract of the HTTP API: route paths, headers, request and response
//! bodies, and error codes. It holds no logic. Everything the server stores about a document
//! is ciphertext produced by the client, plus the few technical fields in [`ItemMeta`].
//!
//! # Conventions
//! - Every body is JSON (`Content-Type: application/json`) except blob chunks
//!   (`application/octet-stream`), blob downloads, and the account export (`application/x-tar`).
//! - Binary values inside JSON (OPAQUE messages, ciphertext envelopes, wrapped keys) are
//!   base64url without padding ([`Bytes`]).
//! - Authenticated routes take `Authorization: Bearer <access token>` ([`AUTHORIZATION`]).
//!   An access token lives [`ACCESS_TOKEN_TTL_SECS`]; renew it with [`routes::AUTH_REFRESH`].
//! - Every error is `{"error": {"code": "...", "message": "..."}}` ([`ErrorBody`]) with a
//!   4xx/5xx status; the client matches on [`ErrorCode`], never on the message.
//! - Writes are safe to retry: item ids are chosen by the client, and item writes accept an
//!   [`IDEMPOTENCY_KEY`] header whose first answer is replayed for 24 hours.
//!
//! - Routes marked *verified* answer `403 email_not_verified` until the account's address is
//!   verified (only on a server that sends e-mail; see [`routes::EMAIL_VERIFY`]).
//! - Routes marked *step-up* (those that could take over or empty an account) also need a
//!   fresh proof of the password and second factor: a [`STEP_UP_HEADER`] token from
//!   [`routes::STEP_UP_START`] / [`routes::STEP_UP_FINISH`], else `401 step_up_required`.
//!   Each writes a security event and mails the account's address, and each is rate limited.
//!
//! # A client, step by step
//! 1. Register: [`routes::REGISTER_START`] then [`routes::REGISTER_FINISH`] (OPAQUE, see the
//!    `opaque` feature for the cipher suite and key-stretching parameters). The answer is the
//!    same for a new and an existing address.
//! 2. Log in: [`routes::LOGIN_START`] then [`routes::LOGIN_FINISH`] (then
//!    [`routes::LOGIN_TOTP`] if the account has a second factor) → [`Session`]. On a server
//!    that sends e-mail, a new account then verifies its address: [`routes::EMAIL_VERIFY`]
//!    with the code from the e-mail ([`AccountInfo::email_verified`] says whether it must).
//! 3. Push: for each blob, [`routes::UPLOADS`] → [`routes::upload`] chunks →
//!    [`routes::upload_complete`]; then `PUT` [`routes::item`] with `If-None-Match: *` (a new
//!    item) or `If-Match` (a new revision; also to revive a tombstone). Push new documents
//!    oldest first: the plan counts an item against the server's month at its first commit,
//!    and a downgrade keeps the oldest ones.
//! 4. Pull: [`routes::CHANGES`]`?since=<cursor>&limit=<n>` until `has_more` is false; fetch
//!    blobs with [`routes::blob`]. A `410 cursor_expired` means: resync from `since=0`.
//! 5. Listen: [`routes::EVENTS`] (server-sent events) says when to pull again.
//! 6. Plans: fetch [`routes::ENTITLEMENT_KEY`] once at register/first login and keep it; then
//!    `GET` [`routes::ENTITLEMENT`] after login and after every change, check it with
//!    [`SignedEntitlement::verify`], cache it, and honour it offline: locked items are not
//!    opened or exported. A push over the month's limit answers `402 plan_limit_reached`
//!    ([`PlanLimitDetail`]); a locked item answers `423 item_locked`. Purged items arrive
//!    as ordinary tombstones in the change feed.
//! 7. E-mail reminders (paid plans, opt-in): `PUT` [`routes::REMINDERS`] the whole
//!    [`ReminderSet`] (ids and dates only, see [`reminders`]); `DELETE` it to opt out.
//! 8. Private links for the accountant: upload a sealed export as a blob, then `POST`
//!    [`routes::SHARES`] (see [`shares`]).
//! 9. Account changes (password, TOTP, recovery codes, wrapped keys, export, deletion): first
//!    [`routes::STEP_UP_START`] / [`routes::STEP_UP_FINISH`] (an OPAQUE login of the same
//!    account, plus the TOTP code), then the route with the [`STEP_UP_HEADER`] token.
#![forbid(unsafe_code)]

#[cfg(feature = "opaque")]
pub mod opaque;

pub mod billing;
mod bytes;
pub mod entitlement;
pub mod reminders;
pub mod routes;
pub mod shares;

pub use billing::*;
pub use bytes::Bytes;
pub use entitlement::*;
pub use reminders::*;
use serde::{Deserialize, Serialize};
pub use shares::*;
use ts_rs::TS;
use uuid::Uuid;

/// Version of this API; sent by the server in [`API_VERSION_HEADER`] on every answer and
/// in [`Health::api_version`].
pub const API_VERSION: u32 = 1;
/// Response header carrying [`API_VERSION`].
pub const API_VERSION_HEADER: &str = "coffer-api-version";
/// Request header with the bearer access token: `Authorization: Bearer <token>`.
pub const AUTHORIZATION: &str = "authorization";
/// Request header with a step-up token ([`StepUpToken`]): the fresh proof of the password (and
/// second factor) that the routes which could take over an account require; see
/// [`routes::STEP_UP_START`].
pub const STEP_UP_HEADER: &str = "coffer-step-up";
/// How long a step-up token counts after the proof.
pub const STEP_UP_TTL_SECS: u64 = 5 * 60;
/// Request header making an item write idempotent: any string of 1–128 visible ASCII
/// characters, unique per intended write. A retry with the same key and the same body gets
/// the first answer again; the same key with another body is `422 idempotency_key_reused`.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Lifetime of an access token.
pub const ACCESS_TOKEN_TTL_SECS: u64 = 15 * 60;
/// Lifetime of a refresh token (each use rotates it and starts a new lifetime).
pub const REFRESH_TOKEN_TTL_SECS: u64 = 30 * 24 * 3600;
/// Largest JSON body the server accepts.
pub const MAX_JSON_BODY: usize = 1024 * 1024;
/// Largest encrypted metadata envelope of one item (decoded bytes).
pub const MAX_ENVELOPE_BYTES: usize = 256 * 1024;
/// Largest blob chunk in one `PUT` [`routes::upload`] request.
pub const MAX_CHUNK_BYTES: usize = 8 * 1024 * 1024;
/// Largest blob.
pub const MAX_BLOB_BYTES: u64 = 1024 * 1024 * 1024;
/// Largest number of blobs one item references.
pub const MAX_BLOBS_PER_ITEM: usize = 64;
/// Largest number of writes in one `POST` [`routes::ITEMS_BATCH`].
pub const MAX_BATCH_WRITES: usize = 100;
/// Largest blob a batch write may carry inline (decoded bytes); larger ones are uploaded.
pub const MAX_INLINE_BLOB_BYTES: u64 = 64 * 1024;
/// Largest `POST` [`routes::ITEMS_BATCH`] body (JSON, binary as base64url).
pub const MAX_BATCH_BODY: usize = 12 * 1024 * 1024;
/// Largest page of the change feed, in items.
pub const MAX_CHANGES_LIMIT: u32 = 1000;
/// Largest page of the change feed, in envelope bytes (plus about 1 KiB per item for its
/// metadata): a page stops before an item that would pass it, but always holds one item.
pub const MAX_CHANGES_PAGE_BYTES: u64 = 8 * 1024 * 1024;
/// How long tombstones are kept; a change-feed cursor older than the oldest kept tombstone
/// answers `410 cursor_expired`.
pub const TOMBSTONE_RETENTION_DAYS: u32 = 90;

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// The body of every error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// One error: a stable machine code, a human sentence, and for some codes a detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// With `revision_conflict`: the item's current revision on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<u64>,
    /// With `upload_offset_mismatch`: the offset the server expects next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_offset: Option<u64>,
    /// With `rate_limited`: seconds to wait before trying again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// With `plan_limit_reached`: which limit, the usage and when it resets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_limit: Option<PlanLimitDetail>,
    /// With `ocr_credits_used_up`: the plan, its monthly credits, the usage and the reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_credits: Option<OcrCredits>,
    /// With `item_locked`: when the locked item is deleted for good (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<i64>,
    /// With `invalid_field` on [`routes::REMINDERS`]: the id of the entry that was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_id: Option<Uuid>,
    /// With `storage_quota_exceeded`: the plan's quota, the bytes used and requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_quota: Option<StorageQuotaDetail>,
}

/// Stable error codes. Unknown codes from a newer server deserialize as [`ErrorCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not valid JSON, or a field is missing or of the wrong type.
    MalformedRequest,
    /// 400/422: a field has an invalid value (e.g. a bad month, a too-long envelope).
    InvalidField,
    /// 413: the body is larger than the route accepts.
    PayloadTooLarge,
    /// 401: no, a malformed or an unknown (forged) bearer/refresh token.
    InvalidToken,
    /// 401: the token's lifetime is over; refresh it (access) or log in again (refresh).
    TokenExpired,
    /// 401: the device's session was revoked (by the user, or by a password change).
    SessionRevoked,
    /// 401: login failed: wrong password, unknown account, or a replayed/expired login
    /// attempt. Deliberately the same for all of them.
    InvalidCredentials,
    /// 401: the TOTP code or recovery code is wrong. After several wrong codes in a row the
    /// next guess must wait (`429 rate_limited` with `retry_after_secs`, doubling each time).
    InvalidTotp,
    /// 401: the route needs a fresh proof of the password (and of the second factor, when the
    /// account has one): a step-up token in [`STEP_UP_HEADER`] (see [`routes::STEP_UP_START`]). The token is
    /// missing, of another session, or older than [`STEP_UP_TTL_SECS`].
    StepUpRequired,
    /// 401: the route needs the second factor and none (or a wrong one) came with the step-up.
    TotpRequired,
    /// 403: the account's e-mail address is not verified yet; send the code from the e-mail
    /// to [`routes::EMAIL_VERIFY`] (a new one: [`routes::EMAIL_RESEND`]).
    EmailNotVerified,
    /// 404: no such item, upload or blob in *this* account (other accounts' ids look the same).
    NotFound,
    /// 409: `If-Match` names a revision that is not the current one, or `If-None-Match: *`
    /// names an id that exists (a live item or a tombstone: revive a tombstone with `If-Match`
    /// on its revision).
    RevisionConflict,
    /// 412: `If-Match` on an item that does not exist; create it with `If-None-Match: *`.
    PreconditionFailed,
    /// 428: an item write without `If-Match` (or `If-None-Match: *` to create).
    PreconditionRequired,
    /// 422: the idempotency key was used before with a different request.
    IdempotencyKeyReused,
    /// 422: a commit references a blob that was not uploaded (completed) first.
    MissingBlob,
    /// 409: a chunk was sent for an offset other than the one the server expects.
    UploadOffsetMismatch,
    /// 422: the assembled blob's size or SHA-256 differs from what was announced.
    ChecksumMismatch,
    /// 422: the upload is not complete yet (fewer bytes received than announced).
    UploadIncomplete,
    /// 410: the change-feed cursor is older than the retained tombstones; resync from 0.
    CursorExpired,
    /// 429: too many attempts; wait `retry_after_secs`.
    RateLimited,
    /// 403: the account's plan does not allow this (e.g. remote OCR or e-mail reminders on
    /// the free plan).
    Forbidden,
    /// 402: the commit would make an item live (a new id, or a write on a tombstone) beyond
    /// the plan's monthly limit; `plan_limit` says which limit, the usage and the reset date.
    /// Keep the document local-only and retry after the reset date or an upgrade.
    PlanLimitReached,
    /// 402: the upload would take the account past its plan's storage quota;
    /// `storage_quota` says how far. Delete documents, or upgrade.
    StorageQuotaExceeded,
    /// 402: no remote OCR credit left: the plan has none (the free plan) or this month's are
    /// used; `ocr_credits` says which plan, the limit, the usage and the reset date.
    OcrCreditsUsedUp,
    /// 423: the item is locked after a downgrade (not downloadable, editable, re-creatable
    /// over its tombstone or exportable); `purge_at` says when it is deleted. Deleting it is
    /// allowed and final. Renewing a paid plan within the grace period unlocks it.
    ItemLocked,
    /// 422: a [`ReminderSet`] with more than [`MAX_REMINDERS`] entries.
    TooManyReminders,
    /// 422: the account has [`MAX_LIVE_SHARES`] live shares; revoke one first.
    TooManyShares,
    /// 410: the share link expired or was revoked; its ciphertext is gone.
    ShareEnded,
    /// 400/401: a payment webhook or notification whose signature or origin does not verify.
    InvalidSignature,
    /// 503: payments with this provider are not configured on this server.
    PaymentsUnavailable,
    /// 503: a backend (database, blob store) is unavailable; retry later.
    Unavailable,
    /// 500: a server bug; nothing was stored.
    Internal,
    /// A code this version of the crate does not know.
    #[serde(other)]
    Other,
}

impl ErrorCode {
    /// The HTTP status the server answers with for this code.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            MalformedRequest => 400,
            InvalidField | IdempotencyKeyReused | MissingBlob | ChecksumMismatch
            | UploadIncomplete | TooManyReminders | TooManyShares => 422,
            PayloadTooLarge => 413,
            InvalidToken | TokenExpired | SessionRevoked | InvalidCredentials | InvalidTotp
            | StepUpRequired | TotpRequired => 401,
            Forbidden | EmailNotVerified => 403,
            PlanLimitReached | OcrCreditsUsedUp | StorageQuotaExceeded => 402,
            ItemLocked => 423,
            InvalidSignature => 400,
            PaymentsUnavailable => 503,
            NotFound => 404,
            RevisionConflict | UploadOffsetMismatch => 409,
            PreconditionFailed => 412,
            CursorExpired | ShareEnded => 410,
            PreconditionRequired => 428,
            RateLimited => 429,
            Unavailable => 503,
            Internal | Other => 500,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------

/// Answer of [`routes::HEALTHZ`] and [`routes::READYZ`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub api_version: u32,
}

// ---------------------------------------------------------------------------------------
// Accounts and login
// ---------------------------------------------------------------------------------------

/// `POST` [`routes::REGISTER_START`]. `email` is the account name (trimmed, lowercased by the
/// server and used as the OPAQUE credential identifier); `registration_request` is
/// `RegistrationRequest::serialize()`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterStartRequest {
    pub email: String,
    pub registration_request: Bytes,
}

/// Answer to [`RegisterStartRequest`]: `RegistrationResponse::serialize()`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterStartResponse {
    pub registration_response: Bytes,
}

/// The vault key, wrapped by the client, plus the client's KDF record. Opaque to the server,
/// which only stores and returns it (each value at most 4 KiB).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKeys {
    /// VK wrapped under a key the client derives from OPAQUE's export key.
    pub by_export_key: Bytes,
    /// VK wrapped under the recovery key.
    pub by_recovery_key: Bytes,
    /// The client's versioned KDF record (serialised by the client).
    pub kdf_record: Bytes,
}

impl std::fmt::Debug for WrappedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WrappedKeys(..)")
    }
}

/// `POST` [`routes::REGISTER_FINISH`] → `201` with no body, whether or not the address already
/// has an account (the answer tells nobody which addresses do). Then log in: for an address
/// that had an account, the new password does not open it. On a server that sends e-mail the
/// new account must verify its address before it syncs ([`routes::EMAIL_VERIFY`]; a code is
/// mailed), and the owner of an existing account gets a notice instead.
/// `registration_upload` is `RegistrationUpload::serialize()`. Rate limited per client address
/// and per e-mail address (`429 rate_limited`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterFinishRequest {
    pub email: String,
    pub registration_upload: Bytes,
    pub wrapped_keys: WrappedKeys,
}

/// `POST` [`routes::LOGIN_START`]. `credential_request` is `CredentialRequest::serialize()`
/// (KE1). Unknown accounts get a well-formed answer too.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginStartRequest {
    pub email: String,
    pub credential_request: Bytes,
}

/// Answer to [`LoginStartRequest`]. `login_id` names this attempt (single use, valid 5
/// minutes); `credential_response` is `CredentialResponse::serialize()` (KE2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginStartResponse {
    pub login_id: Uuid,
    pub credential_response: Bytes,
}

/// `POST` [`routes::LOGIN_FINISH`]. `credential_finalization` is
/// `CredentialFinalization::serialize()` (KE3). `device_name` is shown in the device list
/// (at most 100 characters; do not put personal data in it you would not show the server).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginFinishRequest {
    pub login_id: Uuid,
    pub credential_finalization: Bytes,
    pub device_name: String,
}

/// Answer to [`LoginFinishRequest`] (and to [`LoginTotpRequest`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginFinishResponse {
    /// Logged in.
    Ok(Box<Session>),
    /// The password was right; now send a TOTP or recovery code with
    /// [`routes::LOGIN_TOTP`] and this token (single use, valid 5 minutes).
    TotpRequired { totp_token: String },
}

/// `POST` [`routes::LOGIN_TOTP`] → [`LoginFinishResponse::Ok`]. `code` is the 6-digit TOTP
/// code or one of the recovery codes (each usable once).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginTotpRequest {
    pub totp_token: String,
    pub code: String,
}

/// `POST` [`routes::STEP_UP_START`] (authenticated): an OPAQUE login of the signed-in account
/// (KE1 for the account's own password) → [`LoginStartResponse`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepUpStartRequest {
    pub credential_request: Bytes,
}

/// `POST` [`routes::STEP_UP_FINISH`] (authenticated) → [`StepUpToken`]. `credential_finalization`
/// is KE3 of the login begun with [`StepUpStartRequest`]; `second_factor` a TOTP or recovery
/// code, required when the account has TOTP on (`401 totp_required` without it,
/// `401 invalid_totp` when wrong). A wrong password is `401 invalid_credentials`.
#[derive(Clone, Serialize, Deserialize)]
pub struct StepUpFinishRequest {
    pub login_id: Uuid,
    pub credential_finalization: Bytes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<String>,
}

impl std::fmt::Debug for StepUpFinishRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepUpFinishRequest")
            .field("login_id", &self.login_id)
            .finish_non_exhaustive()
    }
}

/// A fresh proof of the password for this session: send `step_up_token` in
/// [`STEP_UP_HEADER`] with the routes that need it, for `expires_in` seconds
/// ([`STEP_UP_TTL_SECS`]). It works only with the access token of the session that proved it.
#[derive(Clone, Serialize, Deserialize)]
pub struct StepUpToken {
    pub step_up_token: String,
    pub expires_in: u64,
}

impl std::fmt::Debug for StepUpToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepUpToken(..)")
    }
}

/// A logged-in device: tokens plus the wrapped vault key to unlock with.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    pub account_id: Uuid,
    pub device_id: Uuid,
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub wrapped_keys: WrappedKeys,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("account_id", &self.account_id)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// `POST` [`routes::AUTH_REFRESH`] (no `Authorization` header) → [`TokenPair`]. The refresh
/// token is rotated: the old one stops working, and showing it again (a copy in other hands)
/// ends the device's session (`401 session_revoked`; log in again).
#[derive(Clone, Serialize, Deserialize)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest(..)")
    }
}

/// New tokens for the same device.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenPair(..)")
    }
}

/// `POST` [`routes::PASSWORD_START`] (authenticated): OPAQUE registration start for the new
/// password → [`RegisterStartResponse`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordChangeStartRequest {
    pub registration_request: Bytes,
}

/// `POST` [`routes::PASSWORD_FINISH`] (authenticated, step-up) → `204`. Replaces the OPAQUE
/// record and the wrapped keys, and revokes every other device's session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordChangeFinishRequest {
    pub registration_upload: Bytes,
    pub wrapped_keys: WrappedKeys,
}

/// One device (= one login session) of the account, from `GET` [`routes::DEVICES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Device {
    pub device_id: Uuid,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last token refresh or login.
    pub last_seen_at: i64,
    /// True for the device making the request.
    pub current: bool,
}

/// `GET` [`routes::DEVICES`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

/// `DELETE` [`routes::ACCOUNT`] (authenticated, step-up) → `204`. `confirm_email` must repeat
/// the account's e-mail address. Deletes rows, blobs and sessions at once, irreversibly.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteAccountRequest {
    pub confirm_email: String,
}

/// `GET` [`routes::ACCOUNT`] (authenticated).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountInfo {
    pub account_id: Uuid,
    pub email: String,
    pub totp_enabled: bool,
    /// False until the address is verified ([`routes::EMAIL_VERIFY`]); such an account cannot
    /// sync yet (`403 email_not_verified`).
    #[serde(default = "verified_by_default")]
    pub email_verified: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// The latest change-feed sequence number.
    pub latest_seq: u64,
}

fn verified_by_default() -> bool {
    true
}

/// `POST` [`routes::EMAIL_VERIFY`] (authenticated): the code from the verification e-mail.
#[derive(Clone, Serialize, Deserialize)]
pub struct EmailVerifyRequest {
    pub code: String,
}

impl std::fmt::Debug for EmailVerifyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailVerifyRequest(..)")
    }
}

/// `POST` [`routes::TOTP_SETUP`] (authenticated, step-up) → a new secret, not active until
/// [`routes::TOTP_ENABLE`] confirms a code from it (when TOTP is already on, that replaces the
/// secret). TOTP is RFC 6238, SHA-1, 6 digits, 30 s.
#[derive(Clone, Serialize, Deserialize)]
pub struct TotpSetupResponse {
    /// Base32 (RFC 4648, no padding) secret for the authenticator app.
    pub secret_base32: String,
    /// `otpauth://totp/...` URI for a QR code.
    pub otpauth_uri: String,
}

impl std::fmt::Debug for TotpSetupResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSetupResponse(..)")
    }
}

/// `POST` [`routes::TOTP_ENABLE`] (authenticated, step-up) with a current code of the new
/// secret.
#[derive(Clone, Serialize, Deserialize)]
pub struct TotpCodeRequest {
    pub code: String,
}

impl std::fmt::Debug for TotpCodeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpCodeRequest(..)")
    }
}

/// Answer to [`routes::TOTP_ENABLE`] and [`routes::RECOVERY_CODES`]: ten single-use recovery
/// codes, shown once (the server keeps only salted slow hashes of them).
#[derive(Clone, Serialize, Deserialize)]
pub struct TotpEnabledResponse {
    pub recovery_codes: Vec<String>,
}

impl std::fmt::Debug for TotpEnabledResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnabledResponse(..)")
    }
}

/// What happened to the account, for `GET` [`routes::SECURITY_EVENTS`] (kept 12 months).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityEventKind {
    AccountCreated,
    LoginSucceeded,
    LoginFailed,
    NewDevice,
    DeviceRevoked,
    LogoutAll,
    PasswordChanged,
    TotpEnabled,
    TotpDisabled,
    /// A new TOTP secret replaced the old one.
    TotpReplaced,
    RecoveryCodeUsed,
    RecoveryCodesReplaced,
    /// The wrapped vault key was replaced ([`routes::ACCOUNT_KEYS`]).
    KeysReplaced,
    AccountExported,
    EmailVerified,
    /// A refresh token was shown again after it had been exchanged: someone else holds a copy,
    /// and the device's session was ended.
    RefreshTokenReused,
    /// Wrong second-factor codes in a row made the next guess wait.
    SecondFactorLocked,
    #[serde(other)]
    Other,
}

/// One security event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    pub kind: SecurityEventKind,
    /// Unix seconds.
    pub at: i64,
    pub device_id: Option<Uuid>,
    pub device_name: Option<String>,
}

/// `GET` [`routes::SECURITY_EVENTS`], newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityEventList {
    pub events: Vec<SecurityEvent>,
}

// ---------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------

/// The only classification the server sees: needed for plan limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindClass {
    Receipt,
    Document,
}

impl KindClass {
    pub fn as_str(self) -> &'static str {
        match self {
            KindClass::Receipt => "receipt",
            KindClass::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "receipt" => Some(KindClass::Receipt),
            "document" => Some(KindClass::Document),
            _ => None,
        }
    }
}

/// The clear technical metadata of an item: nothing else about a document is visible to the
/// server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemMeta {
    /// What the plan counts the item as. Only the first commit that makes the item live
    /// decides it; later writes may correct it (a kind fixed after OCR) without moving the
    /// count. Clients resend the first commit's value.
    pub kind_class: KindClass,
    /// `YYYY-MM`, the month the document was added, as the client says. The plan does not
    /// use it: an item counts against the server's month (in the plan's time zone) at its
    /// first commit, whatever any write says.
    pub created_month: String,
    /// Total padded ciphertext size in bytes (envelope + blobs) as the client reports it.
    pub padded_size: u64,
}

/// A blob an item references: lowercase hex SHA-256 of the (encrypted) blob bytes and its
/// size. Blobs are immutable and content-addressed per account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobRef {
    pub sha256: String,
    pub size: u64,
}

/// `PUT` [`routes::item`] body. Headers: `If-None-Match: *` to create, or
/// `If-Match: "<revision>"` to overwrite that revision (of a live item, or of a tombstone to
/// write the item again); optional [`IDEMPOTENCY_KEY`]. Every blob must have been uploaded
/// first. Answers `200` with the [`Item`] at its new revision, or:
/// - `409 revision_conflict` (with `current_revision`): the revision is not the current one,
///   or `If-None-Match: *` named an existing id (a tombstone too);
/// - `412 precondition_failed`: `If-Match` on an id that does not exist (never an insert);
/// - `402 plan_limit_reached`: the write would make the item live (new, or over its
///   tombstone) beyond the month's limit;
/// - `423 item_locked`: the item is locked, or was locked when it was deleted;
/// - `422 missing_blob`, `422 invalid_field`, `428 precondition_required`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemWrite {
    #[serde(flatten)]
    pub meta: ItemMeta,
    /// The encrypted metadata envelope (at most [`MAX_ENVELOPE_BYTES`]).
    pub envelope: Bytes,
    pub blobs: Vec<BlobRef>,
}

/// One write of a `POST` [`routes::ITEMS_BATCH`]: what `PUT` [`routes::item`] takes, with the
/// headers as fields and the item's small blobs inline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchWrite {
    pub id: Uuid,
    /// The revision replaced (`If-Match`); absent to create the item (`If-None-Match: *`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_match: Option<u64>,
    /// As [`IDEMPOTENCY_KEY`]: the same key answers a retry, through `PUT` or a batch, with the
    /// first answer.
    pub idempotency_key: String,
    pub write: ItemWrite,
    /// Blobs of `write.blobs` sent here instead of uploaded first, each at most
    /// [`MAX_INLINE_BLOB_BYTES`]; the others must have been uploaded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inline_blobs: Vec<InlineBlob>,
}

/// A small blob's bytes, carried in a [`BatchWrite`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InlineBlob {
    pub sha256: String,
    pub data: Bytes,
}

/// `POST` [`routes::ITEMS_BATCH`] body: up to [`MAX_BATCH_WRITES`] writes, committed in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRequest {
    pub writes: Vec<BatchWrite>,
}

/// One write's answer, in the order of the request: the [`Item`] at its new revision, or why it
/// was refused (the error `PUT` would have answered, e.g. `revision_conflict`,
/// `plan_limit_reached`, `storage_quota_exceeded`, `checksum_mismatch`). A refused write
/// changes nothing; the others are committed all the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchResult {
    Ok(Item),
    Error(ErrorDetail),
}

/// `POST` [`routes::ITEMS_BATCH`] answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    pub results: Vec<BatchResult>,
}

/// An item as the server has it. A deleted item is a tombstone: `deleted` is true, and
/// `meta`, `envelope` and `blobs` are empty. A locked item (listed in the
/// [`Entitlement`]'s `locked`) comes in the change feed without `envelope` and `blobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: Uuid,
    /// Starts at 1 and grows by one with every write (including the delete).
    pub revision: u64,
    /// The change-feed sequence number of this item's latest write.
    pub seq: u64,
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ItemMeta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Bytes>,
    #[serde(default)]
    pub blobs: Vec<BlobRef>,
    /// Unix seconds of the latest write.
    pub updated_at: i64,
}

/// `GET` [`routes::CHANGES`]`?since=<seq>&limit=<n>` → the items written after `since`, in
/// sequence order, at most `limit` (default 500, at most [`MAX_CHANGES_LIMIT`]). Continue with
/// `since = next_since` while `has_more`. `since=0` is a full listing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangesPage {
    pub changes: Vec<Item>,
    pub next_since: u64,
    pub has_more: bool,
    /// The account's latest sequence number when the page was read.
    pub latest_seq: u64,
}

/// One server-sent event on [`routes::EVENTS`] (`event: changed`, `data:` this as JSON): the
/// account's feed reached `latest_seq`; pull if it is beyond your cursor. Sent once at
/// connection and then on changes (within seconds, also for writes made through another
/// server instance).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeNudge {
    pub latest_seq: u64,
}

// ---------------------------------------------------------------------------------------
// Blob uploads
// ---------------------------------------------------------------------------------------

/// `POST` [`routes::UPLOADS`]: announce a blob. If the account already has it, the answer is
/// `complete: true` and nothing needs to be sent; if an unfinished upload of the same blob
/// exists, its id and offset are returned so the client resumes there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateUploadRequest {
    pub sha256: String,
    pub size: u64,
}

/// State of an upload. Send the next chunk with `PUT` [`routes::upload`]`?offset=<received>`
/// (`Content-Type: application/octet-stream`, at most [`MAX_CHUNK_BYTES`]); when `received ==
/// size`, `POST` [`routes::upload_complete`], which verifies size and SHA-256 and answers the
/// final state with `complete: true`. `GET` [`routes::upload`] reads the state (to resume).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadStatus {
    /// `None` when the blob already existed.
    pub upload_id: Option<Uuid>,
    pub sha256: String,
    pub size: u64,
    pub received: u64,
    pub complete: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: ErrorCode::RevisionConflict,
                message: "changed elsewhere".into(),
                current_revision: Some(3),
                expected_offset: None,
                retry_after_secs: None,
                plan_limit: None,
                ocr_credits: None,
                purge_at: None,
                reminder_id: None,
                storage_quota: None,
            },
        };
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "revision_conflict",
                "message": "changed elsewhere", "current_revision": 3}})
        );
    }

    #[test]
    fn plan_limit_error_names_plan_limit_usage_and_reset_date() {
        let body: ErrorBody = serde_json::from_value(serde_json::json!({"error": {
            "code": "plan_limit_reached", "message": "m",
            "plan_limit": {"plan": "start", "kind_class": "receipt", "month": "2026-11",
                "limit": 5, "usage": 5, "reset_at": 1_801_436_400}}}))
        .unwrap();
        assert_eq!(body.error.code, ErrorCode::PlanLimitReached);
        assert_eq!(body.error.code.status(), 402);
        let detail = body.error.plan_limit.unwrap();
        assert_eq!((detail.limit, detail.usage), (5, 5));
        assert_eq!(ErrorCode::ItemLocked.status(), 423);
    }

    #[test]
    fn unknown_error_codes_are_read_as_other() {
        let e: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"brand_new","message":"x"}}"#).unwrap();
        assert_eq!(e.error.code, ErrorCode::Other);
    }

    #[test]
    fn login_finish_response_is_tagged_by_status() {
        let r = LoginFinishResponse::TotpRequired {
            totp_token: "t".into(),
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"status": "totp_required", "totp_token": "t"})
        );
    }

    #[test]
    fn item_write_flattens_technical_metadata() {
        let w = ItemWrite {
            meta: ItemMeta {
                kind_class: KindClass::Receipt,
                created_month: "2026-11".into(),
                padded_size: 4096,
            },
            envelope: Bytes(vec![1, 2, 3]),
            blobs: vec![],
        };
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(json["kind_class"], "receipt");
        assert_eq!(json["envelope"], "AQID");
    }

    #[test]
    fn wrapped_keys_debug_shows_no_bytes() {
        let k = WrappedKeys {
            by_export_key: Bytes(vec![7; 4]),
            by_recovery_key: Bytes(vec![8; 4]),
            kdf_record: Bytes(vec![9; 4]),
        };
        assert_eq!(format!("{k:?}"), "WrappedKeys(..)");
    }
}
