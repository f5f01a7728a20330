//! Private share links (`coffer_api::shares`): the owner shares one of the account's blobs
//! (a file sealed on the device for the share; its key is in the link's fragment and never
//! reaches the server), anyone with the link fetches it until it expires or is revoked, and
//! each fetch is counted. The blob stays the account's, so it counts against the storage
//! quota, until the share ends: then it is deleted, unless an item references it.

use crate::app::App;
use crate::auth::Caller;
use crate::blobs::BlobStream;
use crate::error::{ApiError, ApiResult};
use crate::items::is_sha256_hex;
use crate::storage::shares::{self, ShareRecord};
use crate::storage::{accounts, items, uploads};
use coffer_api::{
    ENDED_SHARE_RETENTION_DAYS, ErrorCode, MAX_LIVE_SHARES, MAX_SHARE_DAYS, Share, ShareCreate,
    ShareList, ShareState,
};
use uuid::Uuid;

const DAY: i64 = 86_400;

/// What the public page of a share shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageState {
    /// Open until `expires_at` (Unix seconds).
    Live {
        expires_at: i64,
    },
    Ended(ShareState),
    Unknown,
}

fn ended() -> ApiError {
    ApiError::new(
        ErrorCode::ShareEnded,
        "This share link expired or was revoked; its file is gone. Ask the sender for a new link.",
    )
}

impl App {
    pub async fn create_share(&self, caller: &Caller, req: ShareCreate) -> ApiResult<Share> {
        let sha256 = req.sha256.to_ascii_lowercase();
        if !is_sha256_hex(&sha256) {
            return Err(ApiError::invalid("sha256 must be 64 hex characters."));
        }
        if !(1..=MAX_SHARE_DAYS).contains(&req.expires_in_days) {
            return Err(ApiError::invalid(format!(
                "A share lives 1 to {MAX_SHARE_DAYS} days."
            )));
        }
        let account = caller.account_id;
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        accounts::lock(&mut tx, account).await?;
        if uploads::blob_size(&mut tx, account, &sha256).await? != Some(req.size) {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "The account has no uploaded blob of that SHA-256 and size; upload the sealed \
                 file first.",
            ));
        }
        if shares::blob_in_items(&mut tx, account, &sha256).await? {
            if items::blob_locked(&mut tx, account, &sha256).await? {
                return Err(self.locked_error(&mut tx, account).await?);
            }
            return Err(ApiError::invalid(
                "A share holds a file sealed for it, not a document's blob.",
            ));
        }
        if shares::live_count(&mut tx, account, now).await? >= MAX_LIVE_SHARES as u64 {
            return Err(ApiError::new(
                ErrorCode::TooManyShares,
                format!(
                    "An account can have {MAX_LIVE_SHARES} live share links; revoke one first."
                ),
            ));
        }
        let record = ShareRecord {
            id: Uuid::new_v4(),
            account_id: account,
            sha256,
            size: req.size,
            created_at: now,
            expires_at: now + i64::from(req.expires_in_days) * DAY,
            revoked_at: None,
            ended_at: None,
            downloads: 0,
            last_download_at: None,
        };
        shares::create(&mut tx, &record).await?;
        tx.commit().await?;
        Ok(record.to_api(now))
    }

    pub async fn list_shares(&self, caller: &Caller) -> ApiResult<ShareList> {
        let now = self.clock.unix();
        let kept_from = now - i64::from(ENDED_SHARE_RETENTION_DAYS) * DAY;
        let mut db = self.storage.read().await?;
        let found = shares::list(&mut db, caller.account_id, kept_from).await?;
        Ok(ShareList {
            shares: found.iter().map(|s| s.to_api(now)).collect(),
        })
    }

    /// Revokes the share and deletes its ciphertext at once; revoking again is fine.
    pub async fn revoke_share(&self, caller: &Caller, id: Uuid) -> ApiResult<()> {
        let account = caller.account_id;
        let mut tx = self.storage.write().await?;
        accounts::lock(&mut tx, account).await?;
        let share = shares::revoke(&mut tx, account, id, self.clock.unix())
            .await?
            .ok_or_else(ApiError::not_found)?;
        let released = shares::release_blob(&mut tx, account, &share.sha256).await?;
        tx.commit().await?;
        if released {
            self.blobs.delete_blob(account, &share.sha256).await?;
        }
        Ok(())
    }

    /// What the page of `id` shows (it fetches the file itself; nothing is counted here).
    pub async fn share_page_state(&self, id: Uuid) -> ApiResult<PageState> {
        let mut db = self.storage.read().await?;
        Ok(match shares::get(&mut db, id).await? {
            None => PageState::Unknown,
            Some(s) => match s.state(self.clock.unix()) {
                ShareState::Active => PageState::Live {
                    expires_at: s.expires_at,
                },
                state => PageState::Ended(state),
            },
        })
    }

    /// The sealed file of a live share, counted as a download.
    pub async fn share_data(&self, id: Uuid) -> ApiResult<(u64, BlobStream)> {
        let mut tx = self.storage.write().await?;
        let Some(share) = shares::count_download(&mut tx, id, self.clock.unix()).await? else {
            return Err(match shares::get(&mut tx, id).await? {
                Some(_) => ended(),
                None => ApiError::not_found(),
            });
        };
        if items::blob_locked(&mut tx, share.account_id, &share.sha256).await? {
            return Err(self.locked_error(&mut tx, share.account_id).await?);
        }
        let opened = self
            .open_blob(&mut tx, share.account_id, &share.sha256)
            .await?;
        tx.commit().await?;
        opened.ok_or_else(ended)
    }

    /// Ends the shares past their expiry, deleting their ciphertext, and forgets those that
    /// ended long ago; returns how many ended now.
    pub(crate) async fn end_expired_shares(&self) -> ApiResult<u64> {
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        let expired = shares::end_expired(&mut tx, now).await?;
        let mut released = Vec::new();
        for (account, sha256) in &expired {
            if shares::release_blob(&mut tx, *account, sha256).await? {
                released.push((*account, sha256));
            }
        }
        shares::purge_ended(&mut tx, now - i64::from(ENDED_SHARE_RETENTION_DAYS) * DAY).await?;
        tx.commit().await?;
        for (account, sha256) in &released {
            self.blobs.delete_blob(*account, sha256).await?;
        }
        Ok(expired.len() as u64)
    }
}
