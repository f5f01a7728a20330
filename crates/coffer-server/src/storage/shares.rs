//! What the storage keeps for private share links: per share, its account, the sealed file's
//! blob and size, its times and its download count. Never a key and never a file name: the
//! server cannot tell what a share holds.

use super::rows;
use super::{Conn, StorageResult};
use coffer_api::{Share, ShareState};
use uuid::Uuid;

/// One stored share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub sha256: String,
    pub size: u64,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// When the ciphertext was deleted; `None` while it is kept.
    pub ended_at: Option<i64>,
    pub downloads: u64,
    pub last_download_at: Option<i64>,
}

impl ShareRecord {
    pub fn state(&self, now: i64) -> ShareState {
        if self.revoked_at.is_some() {
            ShareState::Revoked
        } else if self.ended_at.is_some() || now >= self.expires_at {
            ShareState::Expired
        } else {
            ShareState::Active
        }
    }

    pub fn to_api(&self, now: i64) -> Share {
        Share {
            id: self.id,
            size: self.size,
            created_at: self.created_at,
            expires_at: self.expires_at,
            state: self.state(now),
            downloads: self.downloads,
            last_download_at: self.last_download_at,
            revoked_at: self.revoked_at,
        }
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> StorageResult<ShareRecord> {
    Ok(ShareRecord {
        id: rows::uuid(row, "id")?,
        account_id: rows::uuid(row, "account_id")?,
        sha256: rows::text(row, "sha256")?,
        size: rows::count(row, "size")?,
        created_at: rows::int(row, "created_at")?,
        expires_at: rows::int(row, "expires_at")?,
        revoked_at: rows::opt_int(row, "revoked_at")?,
        ended_at: rows::opt_int(row, "ended_at")?,
        downloads: rows::count(row, "downloads")?,
        last_download_at: rows::opt_int(row, "last_download_at")?,
    })
}

pub async fn create(c: &mut Conn, s: &ShareRecord) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO shares (id, account_id, sha256, size, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(s.id.to_string())
    .bind(s.account_id.to_string())
    .bind(&s.sha256)
    .bind(rows::to_i64(s.size))
    .bind(s.created_at)
    .bind(s.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// A share by its id alone: the public routes know nothing else.
pub async fn get(c: &mut Conn, id: Uuid) -> StorageResult<Option<ShareRecord>> {
    let row = sqlx::query("SELECT * FROM shares WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(c)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The account's shares, newest first, those that ended before `ended_after` left out.
pub async fn list(
    c: &mut Conn,
    account: Uuid,
    ended_after: i64,
) -> StorageResult<Vec<ShareRecord>> {
    let found = sqlx::query(
        "SELECT * FROM shares WHERE account_id = $1 AND (ended_at IS NULL OR ended_at >= $2) \
         ORDER BY created_at DESC, id",
    )
    .bind(account.to_string())
    .bind(ended_after)
    .fetch_all(c)
    .await?;
    found.iter().map(from_row).collect()
}

/// How many of the account's shares are live at `now`.
pub async fn live_count(c: &mut Conn, account: Uuid, now: i64) -> StorageResult<u64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM shares WHERE account_id = $1 AND ended_at IS NULL \
         AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(account.to_string())
    .bind(now)
    .fetch_one(c)
    .await?;
    rows::count(&row, "n")
}

/// Counts a download of a live share and returns it; `None` when the share is not live.
pub async fn count_download(
    c: &mut Conn,
    id: Uuid,
    now: i64,
) -> StorageResult<Option<ShareRecord>> {
    let row = sqlx::query(
        "UPDATE shares SET downloads = downloads + 1, last_download_at = $2 \
         WHERE id = $1 AND ended_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
         RETURNING *",
    )
    .bind(id.to_string())
    .bind(now)
    .fetch_optional(c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Revokes one of the account's shares (a revoked one stays as it was) and returns it;
/// `None` when the account has no such share.
pub async fn revoke(
    c: &mut Conn,
    account: Uuid,
    id: Uuid,
    now: i64,
) -> StorageResult<Option<ShareRecord>> {
    sqlx::query(
        "UPDATE shares SET revoked_at = $3, ended_at = COALESCE(ended_at, $3) \
         WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(account.to_string())
    .bind(id.to_string())
    .bind(now)
    .execute(&mut *c)
    .await?;
    let row = sqlx::query("SELECT * FROM shares WHERE account_id = $1 AND id = $2")
        .bind(account.to_string())
        .bind(id.to_string())
        .fetch_optional(c)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Ends every share past its expiry: returns their accounts and blobs.
pub async fn end_expired(c: &mut Conn, now: i64) -> StorageResult<Vec<(Uuid, String)>> {
    let found = sqlx::query(
        "UPDATE shares SET ended_at = $1 WHERE ended_at IS NULL AND expires_at <= $1 \
         RETURNING account_id, sha256",
    )
    .bind(now)
    .fetch_all(c)
    .await?;
    found
        .iter()
        .map(|row| Ok((rows::uuid(row, "account_id")?, rows::text(row, "sha256")?)))
        .collect()
}

/// Forgets shares that ended before `before`.
pub async fn purge_ended(c: &mut Conn, before: i64) -> StorageResult<u64> {
    let done = sqlx::query("DELETE FROM shares WHERE ended_at < $1")
        .bind(before)
        .execute(c)
        .await?;
    Ok(done.rows_affected())
}

/// Whether an item of the account references the blob.
pub async fn blob_in_items(c: &mut Conn, account: Uuid, sha256: &str) -> StorageResult<bool> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM item_blobs WHERE account_id = $1 AND sha256 = $2")
            .bind(account.to_string())
            .bind(sha256)
            .fetch_one(c)
            .await?;
    Ok(rows::count(&row, "n")? > 0)
}

/// Unregisters an ended share's blob when nothing else holds it (no item, no live share) and
/// says whether it did, so the caller deletes the object.
pub async fn release_blob(c: &mut Conn, account: Uuid, sha256: &str) -> StorageResult<bool> {
    let done = sqlx::query(
        "DELETE FROM blobs WHERE account_id = $1 AND sha256 = $2 \
         AND NOT EXISTS (SELECT 1 FROM item_blobs ib WHERE ib.account_id = $1 AND ib.sha256 = $2) \
         AND NOT EXISTS (SELECT 1 FROM shares s WHERE s.account_id = $1 AND s.sha256 = $2 \
                         AND s.ended_at IS NULL)",
    )
    .bind(account.to_string())
    .bind(sha256)
    .execute(c)
    .await?;
    Ok(done.rows_affected() > 0)
}
