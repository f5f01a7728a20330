//! What periodic clean-up removes from the database; the matching objects in the blob store
//! are deleted by the caller (`crate::maintenance`).

use super::rows;
use super::{Conn, StorageResult};
use std::collections::HashMap;
use uuid::Uuid;

/// What maintenance removed from the database.
#[derive(Debug, Default)]
pub struct PurgeReport {
    pub tombstones: u64,
    pub orphan_blobs: Vec<(Uuid, String)>,
    pub stale_uploads: Vec<(Uuid, Uuid)>,
    pub accounts_to_purge: Vec<Uuid>,
    /// Share links that expired since the last run (their ciphertext deleted).
    pub ended_shares: u64,
}

/// Cut-off times (Unix seconds): anything older goes.
#[derive(Debug, Clone, Copy)]
pub struct PurgeCutoffs {
    pub now: i64,
    pub orphan_blobs_before: i64,
    pub uploads_before: i64,
    pub idempotency_before: i64,
    pub events_before: i64,
    pub sessions_before: i64,
    pub spent_tokens_before: i64,
}

/// Tombstones past retention, moving each account's oldest valid cursor (run in one unit of
/// work, so a feed read sees both or neither).
pub async fn purge_tombstones(c: &mut Conn, before: i64) -> StorageResult<u64> {
    let found = sqlx::query(
        "DELETE FROM items WHERE deleted = $2 AND updated_at < $1 RETURNING account_id, seq",
    )
    .bind(before)
    .bind(true)
    .fetch_all(&mut *c)
    .await?;
    let mut highest: HashMap<String, i64> = HashMap::new();
    for row in &found {
        let seq = rows::int(row, "seq")?;
        let e = highest.entry(rows::text(row, "account_id")?).or_insert(seq);
        *e = (*e).max(seq);
    }
    for (account, seq) in highest {
        sqlx::query("UPDATE accounts SET purged_seq = $2 WHERE id = $1 AND purged_seq < $2")
            .bind(account)
            .bind(seq)
            .execute(&mut *c)
            .await?;
    }
    Ok(found.len() as u64)
}

/// Everything else past its time; see [`PurgeCutoffs`].
pub async fn purge_expired(c: &mut Conn, cut: PurgeCutoffs) -> StorageResult<PurgeReport> {
    let mut report = PurgeReport::default();
    let found = sqlx::query(
        "DELETE FROM blobs WHERE created_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM item_blobs ib WHERE ib.account_id = blobs.account_id \
          AND ib.sha256 = blobs.sha256) AND NOT EXISTS \
         (SELECT 1 FROM shares s WHERE s.account_id = blobs.account_id \
          AND s.sha256 = blobs.sha256 AND s.ended_at IS NULL) RETURNING account_id, sha256",
    )
    .bind(cut.orphan_blobs_before)
    .fetch_all(&mut *c)
    .await?;
    for row in found {
        report
            .orphan_blobs
            .push((rows::uuid(&row, "account_id")?, rows::text(&row, "sha256")?));
    }
    let found = sqlx::query("DELETE FROM uploads WHERE updated_at < $1 RETURNING account_id, id")
        .bind(cut.uploads_before)
        .fetch_all(&mut *c)
        .await?;
    for row in found {
        let id = rows::uuid(&row, "id")?;
        sqlx::query("DELETE FROM upload_chunks WHERE upload_id = $1")
            .bind(id.to_string())
            .execute(&mut *c)
            .await?;
        report
            .stale_uploads
            .push((rows::uuid(&row, "account_id")?, id));
    }
    for (sql, cutoff) in [
        (
            "DELETE FROM idempotency WHERE created_at < $1",
            cut.idempotency_before,
        ),
        (
            "DELETE FROM security_events WHERE at < $1",
            cut.events_before,
        ),
        ("DELETE FROM login_attempts WHERE expires_at < $1", cut.now),
        (
            "DELETE FROM email_verifications WHERE expires_at < $1",
            cut.now,
        ),
        (
            "DELETE FROM spent_refresh_tokens WHERE spent_at < $1",
            cut.spent_tokens_before,
        ),
        (
            "DELETE FROM sessions WHERE refresh_expires_at < $1 \
             OR (revoked_at IS NOT NULL AND revoked_at < $1)",
            cut.sessions_before,
        ),
    ] {
        sqlx::query(sql).bind(cutoff).execute(&mut *c).await?;
    }
    let found = sqlx::query("SELECT account_id FROM account_purges")
        .fetch_all(c)
        .await?;
    for row in found {
        report
            .accounts_to_purge
            .push(rows::uuid(&row, "account_id")?);
    }
    Ok(report)
}
