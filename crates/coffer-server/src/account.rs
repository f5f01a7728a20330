//! The account as a whole: information, immediate deletion, the export archive and the
//! security event log.

use crate::app::App;
use crate::auth::{Caller, normalize_email};
use crate::entitlements::Action;
use crate::error::{ApiError, ApiResult};
use crate::storage::ChangesOutcome;
use coffer_api::{AccountInfo, DeleteAccountRequest, SecurityEventList};
use serde::Serialize;

/// How far back the security log goes (12 months).
pub const SECURITY_LOG_RETENTION_DAYS: i64 = 365;
const EXPORT_PAGE: u32 = 1000;

/// `manifest.json` of the export archive.
#[derive(Serialize)]
struct ExportManifest {
    format: &'static str,
    api_version: u32,
    account: AccountInfo,
    exported_at: i64,
    /// Items and tombstones without their envelopes (those are `items/<id>.envelope`).
    items: Vec<coffer_api::Item>,
    blobs: Vec<coffer_api::BlobRef>,
    security_events: Vec<coffer_api::SecurityEvent>,
    /// E-mail reminders: ids and dates only.
    reminders: Vec<coffer_api::Reminder>,
}

fn append(
    builder: &mut tar::Builder<Vec<u8>>,
    path: &str,
    data: &[u8],
    mtime: i64,
) -> ApiResult<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(u64::try_from(mtime).unwrap_or(0));
    builder
        .append_data(&mut header, path, data)
        .map_err(|_| ApiError::internal())
}

impl App {
    pub async fn account_info(&self, caller: &Caller) -> ApiResult<AccountInfo> {
        let account = self
            .storage
            .account(caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        Ok(AccountInfo {
            account_id: account.id,
            email: account.email,
            totp_enabled: account.totp_secret.is_some(),
            created_at: account.created_at,
            latest_seq: account.last_seq,
        })
    }

    /// Deletes every row at once; the blobs follow right after (and, should the store fail,
    /// maintenance finishes the job from the queued purge).
    pub async fn delete_account(
        &self,
        caller: &Caller,
        req: DeleteAccountRequest,
    ) -> ApiResult<()> {
        let account = self
            .storage
            .account(caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let confirm = normalize_email(&req.confirm_email).unwrap_or_default();
        if confirm != account.email {
            return Err(ApiError::invalid(
                "confirm_email must repeat the account's e-mail address.",
            ));
        }
        self.storage
            .delete_account(account.id, self.clock.unix())
            .await?;
        self.nudge(account.id);
        match self.blobs.delete_account(account.id).await {
            Ok(()) => self.storage.finish_account_purge(account.id).await?,
            Err(e) => tracing::warn!(error = %e, "blob deletion deferred to maintenance"),
        }
        Ok(())
    }

    pub async fn security_events(&self, caller: &Caller) -> ApiResult<SecurityEventList> {
        Ok(SecurityEventList {
            events: self
                .storage
                .security_events(caller.account_id, 1000)
                .await?,
        })
    }

    /// Everything the server holds for the account, as one tar archive.
    pub async fn export(&self, caller: &Caller) -> ApiResult<Vec<u8>> {
        self.entitlements
            .authorize(caller.account_id, Action::Export)
            .await?;
        let info = self.account_info(caller).await?;
        let keys = self.wrapped_keys(caller).await?;
        let now = self.clock.unix();
        let mut builder = tar::Builder::new(Vec::new());
        let mut items = Vec::new();
        let mut since = 0;
        loop {
            let ChangesOutcome::Page { items: page, .. } = self
                .storage
                .changes(caller.account_id, since, EXPORT_PAGE)
                .await?
            else {
                return Err(ApiError::internal());
            };
            let done = (page.len() as u32) < EXPORT_PAGE;
            for mut item in page {
                since = item.seq;
                if let Some(envelope) = item.envelope.take() {
                    append(
                        &mut builder,
                        &format!("items/{}.envelope", item.id),
                        envelope.as_slice(),
                        item.updated_at,
                    )?;
                }
                items.push(item);
            }
            if done {
                break;
            }
        }
        let blobs = self.storage.account_blobs(caller.account_id).await?;
        for blob in &blobs {
            let data = self.blobs.get(caller.account_id, &blob.sha256).await?;
            append(&mut builder, &format!("blobs/{}", blob.sha256), &data, now)?;
        }
        let keys_json = serde_json::to_vec_pretty(&keys).map_err(|_| ApiError::internal())?;
        append(&mut builder, "keys.json", &keys_json, now)?;
        let manifest = ExportManifest {
            format: "coffer-server-export/1",
            api_version: coffer_api::API_VERSION,
            account: info,
            exported_at: now,
            items,
            blobs,
            security_events: self
                .storage
                .security_events(caller.account_id, 100_000)
                .await?,
            reminders: self.reminder_list(caller.account_id).await?.reminders,
        };
        let manifest = serde_json::to_vec_pretty(&manifest).map_err(|_| ApiError::internal())?;
        append(&mut builder, "manifest.json", &manifest, now)?;
        builder.into_inner().map_err(|_| ApiError::internal())
    }
}
