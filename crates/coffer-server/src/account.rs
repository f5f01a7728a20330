//! The account as a whole: information, immediate deletion and the security event log.

use crate::app::App;
use crate::auth::{Caller, normalize_email};
use crate::billing::load_state;
use crate::error::{ApiError, ApiResult};
use crate::mail::Notice;
use crate::storage::{accounts, events};
use coffer_api::{AccountInfo, DeleteAccountRequest, SecurityEventList};
use std::sync::Arc;

/// How far back the security log goes (12 months).
pub const SECURITY_LOG_RETENTION_DAYS: i64 = 365;
/// The most security events an answer (or the export) lists.
pub(crate) const SECURITY_EVENTS_SHOWN: u32 = 1000;

impl App {
    pub async fn account_info(&self, caller: &Caller) -> ApiResult<AccountInfo> {
        let mut db = self.storage.read().await?;
        let account = accounts::by_id(&mut db, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        Ok(AccountInfo {
            account_id: account.id,
            email: account.email,
            totp_enabled: account.totp_secret.is_some(),
            email_verified: account.email_verified_at.is_some(),
            created_at: account.created_at,
            latest_seq: account.last_seq,
        })
    }

    /// Deletes every row at once (step-up); the blobs follow right after (and, should the
    /// store fail, maintenance finishes the job from the queued purge). The address gets a
    /// last e-mail saying so.
    pub async fn delete_account(
        self: &Arc<Self>,
        caller: &Caller,
        req: DeleteAccountRequest,
    ) -> ApiResult<()> {
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        let account = accounts::by_id(&mut tx, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let confirm = normalize_email(&req.confirm_email).unwrap_or_default();
        if confirm != account.email {
            return Err(ApiError::invalid(
                "confirm_email must repeat the account's e-mail address.",
            ));
        }
        let language = load_state(&mut tx, &self.catalog, account.id)
            .await?
            .language;
        accounts::delete(&mut tx, account.id, now).await?;
        let mail = self
            .queue_notice(
                &mut tx,
                account.id,
                &account.email,
                language,
                &format!("deleted:{}", account.id),
                Notice::AccountDeleted,
            )
            .await?;
        tx.commit().await?;
        self.send_soon(mail);
        self.nudge(account.id);
        match self.blobs.delete_account(account.id).await {
            Ok(()) => {
                let mut tx = self.storage.write().await?;
                accounts::finish_purge(&mut tx, account.id).await?;
                tx.commit().await?;
            }
            Err(e) => tracing::warn!(error = %e, "blob deletion deferred to maintenance"),
        }
        Ok(())
    }

    pub async fn security_events(&self, caller: &Caller) -> ApiResult<SecurityEventList> {
        let mut db = self.storage.read().await?;
        Ok(SecurityEventList {
            events: events::list(&mut db, caller.account_id, SECURITY_EVENTS_SHOWN).await?,
        })
    }
}
