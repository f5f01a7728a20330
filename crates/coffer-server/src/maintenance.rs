//! Periodic clean-up, safe to run on every instance at once: tombstones past 90 days (which
//! moves the account's oldest valid cursor), unreferenced blobs, abandoned uploads, expired
//! idempotency records, sessions and login attempts, security events past 12 months, and the
//! blobs of deleted accounts.

use crate::account::SECURITY_LOG_RETENTION_DAYS;
use crate::app::App;
use crate::storage::{PurgeCutoffs, PurgeReport};
use coffer_api::TOMBSTONE_RETENTION_DAYS;
use std::sync::Arc;
use std::time::Duration;

const DAY: i64 = 86_400;
/// A blob nobody references is kept this long, so an upload is not collected before the
/// commit that references it.
const ORPHAN_BLOB_GRACE_SECS: i64 = DAY;
const UPLOAD_EXPIRY_SECS: i64 = 7 * DAY;
const IDEMPOTENCY_EXPIRY_SECS: i64 = DAY;
const REVOKED_SESSION_KEEP_SECS: i64 = 30 * DAY;

impl App {
    pub async fn run_maintenance(&self) -> anyhow::Result<PurgeReport> {
        let now = self.clock.unix();
        let report = self
            .storage
            .purge(PurgeCutoffs {
                now,
                tombstones_before: now - i64::from(TOMBSTONE_RETENTION_DAYS) * DAY,
                orphan_blobs_before: now - ORPHAN_BLOB_GRACE_SECS,
                uploads_before: now - UPLOAD_EXPIRY_SECS,
                idempotency_before: now - IDEMPOTENCY_EXPIRY_SECS,
                events_before: now - SECURITY_LOG_RETENTION_DAYS * DAY,
                sessions_before: now - REVOKED_SESSION_KEEP_SECS,
            })
            .await?;
        for (account, sha256) in &report.orphan_blobs {
            self.blobs.delete_blob(*account, sha256).await?;
        }
        for (account, upload) in &report.stale_uploads {
            self.blobs.delete_upload(*account, *upload).await?;
        }
        for account in &report.accounts_to_purge {
            self.blobs.delete_account(*account).await?;
            self.storage.finish_account_purge(*account).await?;
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
