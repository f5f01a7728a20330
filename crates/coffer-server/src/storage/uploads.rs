//! Blobs and their resumable uploads: which blobs an account holds (content-addressed, with
//! their sizes), the uploads in progress and the chunks each has received, and how many bytes
//! the account stores or has announced (its storage quota's usage).

use super::rows;
use super::{Conn, StorageResult};
use coffer_api::BlobRef;
use std::collections::HashMap;
use uuid::Uuid;

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

/// A stored blob: its size, and its bytes when they live in its row (a small blob sent inline
/// in a batch); `None` there means the blob store holds them.
pub async fn stored_blob(
    c: &mut Conn,
    account: Uuid,
    sha256: &str,
) -> StorageResult<Option<(u64, Option<Vec<u8>>)>> {
    let row = sqlx::query("SELECT size, data FROM blobs WHERE account_id = $1 AND sha256 = $2")
        .bind(account.to_string())
        .bind(sha256)
        .fetch_optional(c)
        .await?;
    row.map(|r| Ok((rows::count(&r, "size")?, rows::opt_bytes(&r, "data")?)))
        .transpose()
}

pub async fn blob_size(c: &mut Conn, account: Uuid, sha256: &str) -> StorageResult<Option<u64>> {
    Ok(blob_sizes(c, account, &[sha256]).await?.remove(sha256))
}

/// The sizes of those of `hashes` the account holds, by hash.
pub async fn blob_sizes(
    c: &mut Conn,
    account: Uuid,
    hashes: &[&str],
) -> StorageResult<HashMap<String, u64>> {
    rows::fetch_in(
        c,
        "SELECT sha256, size FROM blobs WHERE account_id = $1 AND sha256 IN",
        account,
        hashes.iter().map(|h| (*h).to_owned()),
    )
    .await?
    .iter()
    .map(|r| Ok((rows::text(r, "sha256")?, rows::count(r, "size")?)))
    .collect()
}

/// The account's blobs in hash order after `after`, at most `limit`.
pub async fn blobs_after(
    c: &mut Conn,
    account: Uuid,
    after: &str,
    limit: u32,
) -> StorageResult<Vec<BlobRef>> {
    let found = sqlx::query(
        "SELECT sha256, size FROM blobs WHERE account_id = $1 AND sha256 > $2 \
         ORDER BY sha256 LIMIT $3",
    )
    .bind(account.to_string())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(c)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok(BlobRef {
                sha256: rows::text(r, "sha256")?,
                size: rows::count(r, "size")?,
            })
        })
        .collect()
}

/// Bytes the account's blobs take, plus those announced by its unfinished uploads.
pub async fn stored_bytes(c: &mut Conn, account: Uuid) -> StorageResult<u64> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE((SELECT SUM(size) FROM blobs WHERE account_id = $1), 0) \
         + COALESCE((SELECT SUM(size) FROM uploads WHERE account_id = $1), 0) AS BIGINT) AS n",
    )
    .bind(account.to_string())
    .fetch_one(c)
    .await?;
    rows::count(&row, "n")
}

pub async fn find_upload(
    c: &mut Conn,
    account: Uuid,
    sha256: &str,
    size: u64,
) -> StorageResult<Option<UploadRecord>> {
    let row = sqlx::query(
        "SELECT id, received FROM uploads WHERE account_id = $1 AND sha256 = $2 AND size = $3 \
         ORDER BY created_at LIMIT 1",
    )
    .bind(account.to_string())
    .bind(sha256)
    .bind(rows::to_i64(size))
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(UploadRecord {
            id: rows::uuid(&r, "id")?,
            account_id: account,
            sha256: sha256.to_owned(),
            size,
            received: rows::count(&r, "received")?,
        })
    })
    .transpose()
}

pub async fn create_upload(c: &mut Conn, u: &UploadRecord, now: i64) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO uploads (id, account_id, sha256, size, received, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $5)",
    )
    .bind(u.id.to_string())
    .bind(u.account_id.to_string())
    .bind(&u.sha256)
    .bind(rows::to_i64(u.size))
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn upload(c: &mut Conn, account: Uuid, id: Uuid) -> StorageResult<Option<UploadRecord>> {
    let row =
        sqlx::query("SELECT sha256, size, received FROM uploads WHERE account_id = $1 AND id = $2")
            .bind(account.to_string())
            .bind(id.to_string())
            .fetch_optional(c)
            .await?;
    row.map(|r| {
        Ok(UploadRecord {
            id,
            account_id: account,
            sha256: rows::text(&r, "sha256")?,
            size: rows::count(&r, "size")?,
            received: rows::count(&r, "received")?,
        })
    })
    .transpose()
}

/// Records a stored chunk `[offset, end)` if `offset` is what the upload expects.
pub async fn record_chunk(
    c: &mut Conn,
    account: Uuid,
    id: Uuid,
    offset: u64,
    end: u64,
    now: i64,
) -> StorageResult<ChunkOutcome> {
    let done = sqlx::query(
        "UPDATE uploads SET received = $4, updated_at = $5 \
         WHERE account_id = $1 AND id = $2 AND received = $3",
    )
    .bind(account.to_string())
    .bind(id.to_string())
    .bind(rows::to_i64(offset))
    .bind(rows::to_i64(end))
    .bind(now)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(match upload(c, account, id).await? {
            Some(u) => ChunkOutcome::OffsetMismatch {
                expected: u.received,
            },
            None => ChunkOutcome::NotFound,
        });
    }
    sqlx::query(
        "INSERT INTO upload_chunks (upload_id, chunk_offset, chunk_end) VALUES ($1, $2, $3) \
         ON CONFLICT (upload_id, chunk_offset) DO UPDATE SET chunk_end = excluded.chunk_end",
    )
    .bind(id.to_string())
    .bind(rows::to_i64(offset))
    .bind(rows::to_i64(end))
    .execute(c)
    .await?;
    Ok(ChunkOutcome::Accepted { received: end })
}

/// The recorded chunks `(offset, end)` in order.
pub async fn upload_chunks(c: &mut Conn, id: Uuid) -> StorageResult<Vec<(u64, u64)>> {
    let found = sqlx::query(
        "SELECT chunk_offset, chunk_end FROM upload_chunks WHERE upload_id = $1 \
         ORDER BY chunk_offset",
    )
    .bind(id.to_string())
    .fetch_all(c)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok((
                rows::count(r, "chunk_offset")?,
                rows::count(r, "chunk_end")?,
            ))
        })
        .collect()
}

/// Registers a blob (nothing when the account has it already): one in the blob store
/// (`data` none), or a small one kept in its row.
pub async fn register_blob(
    c: &mut Conn,
    account: Uuid,
    sha256: &str,
    size: u64,
    data: Option<&[u8]>,
    now: i64,
) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO blobs (account_id, sha256, size, created_at, data) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, sha256) DO NOTHING",
    )
    .bind(account.to_string())
    .bind(sha256)
    .bind(rows::to_i64(size))
    .bind(now)
    .bind(data)
    .execute(c)
    .await?;
    Ok(())
}

/// Registers the blob and removes the upload.
pub async fn finish_upload(c: &mut Conn, u: &UploadRecord, now: i64) -> StorageResult<()> {
    register_blob(c, u.account_id, &u.sha256, u.size, None, now).await?;
    remove_upload(c, u.account_id, u.id).await
}

pub async fn remove_upload(c: &mut Conn, account: Uuid, id: Uuid) -> StorageResult<()> {
    let done = sqlx::query("DELETE FROM uploads WHERE account_id = $1 AND id = $2")
        .bind(account.to_string())
        .bind(id.to_string())
        .execute(&mut *c)
        .await?;
    if done.rows_affected() == 1 {
        sqlx::query("DELETE FROM upload_chunks WHERE upload_id = $1")
            .bind(id.to_string())
            .execute(c)
            .await?;
    }
    Ok(())
}
