//! Periodic clean-up, safe to run on every instance at once: tombstones past 90 days (which
//! moves the account's oldest valid cursor), unreferenced blobs, abandoned uploads, expired
//! idempotency records, sessions, spent refresh tokens, login attempts and verification codes,
//! security events past 12 months, share links past their expiry, accounts whose address was never verified within a week,
//! and the blobs of deleted accounts.

use crate::account::SECURITY_LOG_RETENTION_DAYS;
use crate::app::App;
use crate::storage::accounts;
use crate::storage::maintenance::{self, PurgeCutoffs, PurgeReport};
use coffer_api::{REFRESH_TOKEN_TTL_SECS, TOMBSTONE_RETENTION_DAYS};
use std::sync::Arc;
use std::time::Duration;

const DAY: i64 = 86_400;
/// A blob nobody references is kept this long, so an upload is not collected before the
/// commit that references it.
const ORPHAN_BLOB_GRACE_SECS: i64 = DAY;
const UPLOAD_EXPIRY_SECS: i64 = 7 * DAY;
const IDEMPOTENCY_EXPIRY_SECS: i64 = DAY;
const REVOKED_SESSION_KEEP_SECS: i64 = 30 * DAY;
/// An account whose address nobody verified in this time is removed.
const UNVERIFIED_ACCOUNT_SECS: i64 = 7 * DAY;

impl App {
    pub async fn run_maintenance(&self) -> anyhow::Result<PurgeReport> {
        let now = self.clock.unix();
        let ended_shares = self.end_expired_shares().await?;
        let mut tx = self.storage.write().await?;
        let tombstones =
            maintenance::purge_tombstones(&mut tx, now - i64::from(TOMBSTONE_RETENTION_DAYS) * DAY)
                .await?;
        for account in accounts::unverified_before(&mut tx, now - UNVERIFIED_ACCOUNT_SECS).await? {
            accounts::delete(&mut tx, account, now).await?;
        }
        let mut report = maintenance::purge_expired(
            &mut tx,
            PurgeCutoffs {
                now,
                orphan_blobs_before: now - ORPHAN_BLOB_GRACE_SECS,
                uploads_before: now - UPLOAD_EXPIRY_SECS,
                idempotency_before: now - IDEMPOTENCY_EXPIRY_SECS,
                events_before: now - SECURITY_LOG_RETENTION_DAYS * DAY,
                sessions_before: now - REVOKED_SESSION_KEEP_SECS,
                spent_tokens_before: now - REFRESH_TOKEN_TTL_SECS as i64,
            },
        )
        .await?;
        tx.commit().await?;
        report.tombstones = tombstones;
        report.ended_shares = ended_shares;
        for (account, sha256) in &report.orphan_blobs {
            self.blobs.delete_blob(*account, sha256).await?;
        }
        for (account, upload) in &report.stale_uploads {
            self.blobs.delete_upload(*account, *upload).await?;
        }
        for account in &report.accounts_to_purge {
            self.blobs.delete_account(*account).await?;
            let mut tx = self.storage.write().await?;
            accounts::finish_purge(&mut tx, *account).await?;
            tx.commit().await?;
        }
        Ok(report)
    }
}

/// Runs the plan jobs and maintenance ([`App::run_jobs`]) every `interval` until the process
/// ends.
pub fn spawn(app: Arc<App>, interval: Duration) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            match app.run_jobs().await {
                Ok(report) => tracing::info!(
                    renewed = report.renewed,
                    downgraded = report.downgraded,
                    warnings = report.warnings,
                    purged_items = report.purged_items,
                    reminders = report.reminders,
                    mails_sent = report.mails_sent,
                    "jobs done"
                ),
                Err(e) => tracing::warn!(error = %e, "jobs failed; retrying next time"),
            }
        }
    });
}
