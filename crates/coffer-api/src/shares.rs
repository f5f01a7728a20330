//! Private share links for the accountant (`coffer share`): one file (an export ZIP), sealed
//! on the device under a fresh random key that travels only in the link's fragment
//! (`<server>/s/<id>#<key>`), which browsers never send. The server keeps ciphertext, enforces
//! the expiry and revocation, counts downloads and serves a page of its own that decrypts in
//! the browser. The sealed format is `coffer_core::crypto::share`.
//!
//! 1. Upload the sealed file as a blob ([`crate::routes::UPLOADS`], resumable as any blob).
//!    It counts against the plan's storage quota for as long as the share lives.
//! 2. `POST` [`crate::routes::SHARES`] a [`ShareCreate`] naming it → `201` [`Share`]. The blob
//!    must be this account's, of the stated size, and not the blob of a locked item.
//! 3. Anyone with the link opens [`crate::routes::share_page`], whose script fetches
//!    [`crate::routes::share_data`] (each fetch is a download) until the share expires or is
//!    revoked; then both answer `410` and the ciphertext is deleted.
//! 4. `GET` [`crate::routes::SHARES`] lists the account's shares with their downloads;
//!    `DELETE` [`crate::routes::share`] revokes one at once.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a share lives when the client does not say.
pub const DEFAULT_SHARE_DAYS: u32 = 14;
/// The longest a share may live.
pub const MAX_SHARE_DAYS: u32 = 90;
/// Most shares one account may have live at once.
pub const MAX_LIVE_SHARES: usize = 50;
/// How long the server lists a share after it ended (expired or revoked).
pub const ENDED_SHARE_RETENTION_DAYS: u32 = 90;

/// `POST` [`crate::routes::SHARES`] (authenticated, verified): share an uploaded blob.
/// `404 not_found` if the account has no such blob of that size; `422 invalid_field` for an
/// expiry outside 1..=[`MAX_SHARE_DAYS`]; `422 too_many_shares` past [`MAX_LIVE_SHARES`];
/// `423 item_locked` for a locked item's blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareCreate {
    /// The sealed file's blob (lowercase hex SHA-256).
    pub sha256: String,
    pub size: u64,
    pub expires_in_days: u32,
}

/// Where a share stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    Active,
    Expired,
    Revoked,
}

/// A share as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub id: Uuid,
    /// The sealed file's size in bytes.
    pub size: u64,
    /// Unix seconds.
    pub created_at: i64,
    pub expires_at: i64,
    pub state: ShareState,
    /// Fetches of the ciphertext so far.
    pub downloads: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_download_at: Option<i64>,
    /// When it was revoked, for a revoked one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// `GET` [`crate::routes::SHARES`]: the account's shares, newest first (ended ones for
/// [`ENDED_SHARE_RETENTION_DAYS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareList {
    pub shares: Vec<Share>,
}
