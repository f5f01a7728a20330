//! Resumable blob uploads: announce (size + SHA-256), send chunks at the offset the server
//! expects, complete (size and checksum verified before the blob becomes visible).
//!
//! A chunk is stored before the database records it, so a crash between the two only leaves
//! an object the next attempt overwrites; the database's offset is the truth a client resumes
//! from.
//!
//! The plan's storage quota is checked when an upload is announced, counting the account's
//! blobs and the announced size of its unfinished uploads, behind the account's row so that
//! concurrent announcements cannot pass it together.

use crate::app::App;
use crate::auth::Caller;
use crate::billing::{load_state, plan_of};
use crate::blobs::{Assembled, BlobStream};
use crate::error::{ApiError, ApiResult, LimitDetail};
use crate::items::is_sha256_hex;
use crate::storage::Conn;
use crate::storage::accounts;
use crate::storage::items;
use crate::storage::uploads::{self, ChunkOutcome, UploadRecord};
use coffer_api::{
    CreateUploadRequest, ErrorCode, MAX_BLOB_BYTES, Plan, StorageQuotaDetail, UploadStatus,
};
use futures::StreamExt;
use uuid::Uuid;

fn status(u: &UploadRecord, complete: bool) -> UploadStatus {
    UploadStatus {
        upload_id: Some(u.id),
        sha256: u.sha256.clone(),
        size: u.size,
        received: if complete { u.size } else { u.received },
        complete,
    }
}

fn offset_mismatch(expected: u64) -> ApiError {
    let mut e = ApiError::new(
        ErrorCode::UploadOffsetMismatch,
        "The chunk is not at the offset the server expects; resume from expected_offset.",
    );
    e.expected_offset = Some(expected);
    e
}

impl App {
    pub async fn create_upload(
        &self,
        caller: &Caller,
        req: CreateUploadRequest,
    ) -> ApiResult<UploadStatus> {
        let sha256 = req.sha256.to_ascii_lowercase();
        if !is_sha256_hex(&sha256) {
            return Err(ApiError::invalid("sha256 must be 64 hex characters."));
        }
        if req.size > MAX_BLOB_BYTES {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                "A blob may be at most 1 GiB; split the document into several blobs.",
            ));
        }
        let account = caller.account_id;
        let mut tx = self.storage.write().await?;
        accounts::lock(&mut tx, account).await?;
        if let Some(size) = uploads::blob_size(&mut tx, account, &sha256).await?
            && size == req.size
        {
            return Ok(UploadStatus {
                upload_id: None,
                sha256,
                size,
                received: size,
                complete: true,
            });
        }
        if let Some(existing) = uploads::find_upload(&mut tx, account, &sha256, req.size).await? {
            return Ok(status(&existing, false));
        }
        let used = uploads::stored_bytes(&mut tx, account).await?;
        let plan = load_state(&mut tx, &self.catalog, account).await?;
        self.check_storage_quota(plan_of(&self.catalog, &plan), used, req.size)?;
        let upload = UploadRecord {
            id: Uuid::new_v4(),
            account_id: account,
            sha256,
            size: req.size,
            received: 0,
        };
        uploads::create_upload(&mut tx, &upload, self.clock.unix()).await?;
        tx.commit().await?;
        Ok(status(&upload, false))
    }

    /// Refuses storing `requested` more bytes beside the `used` ones past the plan's quota.
    pub(crate) fn check_storage_quota(
        &self,
        plan: &Plan,
        used: u64,
        requested: u64,
    ) -> ApiResult<()> {
        if used.saturating_add(requested) <= plan.limits.storage_bytes {
            return Ok(());
        }
        let mut e = ApiError::new(
            ErrorCode::StorageQuotaExceeded,
            format!(
                "The {} plan stores up to {} MiB and the account holds {} MiB; delete \
                 documents or upgrade to store this one.",
                plan.name,
                plan.limits.storage_bytes >> 20,
                used >> 20
            ),
        );
        e.limit = Some(Box::new(LimitDetail::Storage(StorageQuotaDetail {
            plan: plan.id.clone(),
            limit_bytes: plan.limits.storage_bytes,
            used_bytes: used,
            requested_bytes: requested,
        })));
        Err(e)
    }

    async fn upload_of(&self, caller: &Caller, id: Uuid) -> ApiResult<UploadRecord> {
        let mut db = self.storage.read().await?;
        uploads::upload(&mut db, caller.account_id, id)
            .await?
            .ok_or_else(ApiError::not_found)
    }

    pub async fn upload_status(&self, caller: &Caller, id: Uuid) -> ApiResult<UploadStatus> {
        Ok(status(&self.upload_of(caller, id).await?, false))
    }

    pub async fn put_chunk(
        &self,
        caller: &Caller,
        id: Uuid,
        offset: u64,
        data: bytes::Bytes,
    ) -> ApiResult<UploadStatus> {
        let upload = self.upload_of(caller, id).await?;
        if offset != upload.received {
            return Err(offset_mismatch(upload.received));
        }
        if data.is_empty() {
            return Err(ApiError::invalid("A chunk must not be empty."));
        }
        let end = offset + data.len() as u64;
        if end > upload.size {
            return Err(ApiError::invalid(
                "The chunk goes past the size announced for this blob.",
            ));
        }
        self.blobs
            .put_chunk(caller.account_id, id, offset, data)
            .await?;
        let mut tx = self.storage.write().await?;
        let outcome = uploads::record_chunk(
            &mut tx,
            caller.account_id,
            id,
            offset,
            end,
            self.clock.unix(),
        )
        .await?;
        tx.commit().await?;
        match outcome {
            ChunkOutcome::Accepted { received } => Ok(UploadStatus {
                received,
                ..status(&upload, false)
            }),
            ChunkOutcome::OffsetMismatch { expected } => Err(offset_mismatch(expected)),
            ChunkOutcome::NotFound => Err(ApiError::not_found()),
        }
    }

    pub async fn complete_upload(&self, caller: &Caller, id: Uuid) -> ApiResult<UploadStatus> {
        let upload = self.upload_of(caller, id).await?;
        if upload.received < upload.size {
            return Err(ApiError::new(
                ErrorCode::UploadIncomplete,
                "Not all bytes were received; send the rest from `received` first.",
            ));
        }
        let chunks = uploads::upload_chunks(&mut *self.storage.read().await?, id).await?;
        let assembled = self
            .blobs
            .assemble(caller.account_id, id, &chunks, &upload.sha256, upload.size)
            .await?;
        if assembled == Assembled::Mismatch {
            let mut tx = self.storage.write().await?;
            uploads::remove_upload(&mut tx, caller.account_id, id).await?;
            tx.commit().await?;
            if let Err(e) = self.blobs.delete_upload(caller.account_id, id).await {
                tracing::warn!(error = %e, "could not delete a discarded upload's chunks");
            }
            return Err(ApiError::new(
                ErrorCode::ChecksumMismatch,
                "The uploaded bytes do not match the announced size and SHA-256; upload the blob again.",
            ));
        }
        let mut tx = self.storage.write().await?;
        uploads::finish_upload(&mut tx, &upload, self.clock.unix()).await?;
        tx.commit().await?;
        if let Err(e) = self.blobs.delete_upload(caller.account_id, id).await {
            tracing::warn!(error = %e, "could not delete a finished upload's chunks");
        }
        Ok(status(&upload, true))
    }

    /// The blob's size and its bytes as a stream.
    pub async fn get_blob(&self, caller: &Caller, sha256: &str) -> ApiResult<(u64, BlobStream)> {
        let sha256 = sha256.to_ascii_lowercase();
        if !is_sha256_hex(&sha256) {
            return Err(ApiError::not_found());
        }
        let mut db = self.storage.read().await?;
        if items::blob_locked(&mut db, caller.account_id, &sha256).await? {
            return Err(self.locked_error(&mut db, caller.account_id).await?);
        }
        self.open_blob(&mut db, caller.account_id, &sha256)
            .await?
            .ok_or_else(ApiError::not_found)
    }

    /// A stored blob's size and bytes, from its row (a small one sent inline) or from the
    /// blob store; `None` when the account has no such blob.
    pub(crate) async fn open_blob(
        &self,
        db: &mut Conn,
        account: Uuid,
        sha256: &str,
    ) -> ApiResult<Option<(u64, BlobStream)>> {
        let Some((size, data)) = uploads::stored_blob(db, account, sha256).await? else {
            return Ok(None);
        };
        let stream = match data {
            Some(data) => {
                futures::stream::once(async move { Ok(bytes::Bytes::from(data)) }).boxed()
            }
            None => self.blobs.get_stream(account, sha256).await?,
        };
        Ok(Some((size, stream)))
    }
}
