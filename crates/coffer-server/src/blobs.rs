//! The blob store: immutable, content-addressed ciphertext over `object_store` (a local
//! directory by default, any S3-compatible store for scale).
//!
//! Small blobs sent inline in a batch are not here: they live in their database row
//! (`storage::uploads::stored_blob`); [`crate::app::App::open_blob`] reads either.
//!
//! Layout, all under one account prefix so that deleting an account is one prefix delete:
//! `accounts/<account>/blobs/<sha256>` for finished blobs and
//! `accounts/<account>/uploads/<upload>/<offset>-<end>` for the chunks of an unfinished upload
//! (the chunk's range is in its name, so a retried chunk overwrites itself and a stale one from
//! an interrupted attempt is never mistaken for part of the blob).

use crate::error::{ApiError, ApiResult};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// A blob's bytes, chunk by chunk.
pub type BlobStream = futures::stream::BoxStream<'static, object_store::Result<Bytes>>;

/// What the blob store is built on.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
}

/// Result of assembling an upload's chunks into the final blob.
#[derive(Debug, PartialEq, Eq)]
pub enum Assembled {
    Stored,
    Mismatch,
}

impl BlobStore {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// A directory on the local disk (created if missing).
    pub fn local(dir: &std::path::Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self::new(Arc::new(fs)))
    }

    fn account_prefix(account: Uuid) -> Path {
        Path::from(format!("accounts/{account}"))
    }

    fn blob_path(account: Uuid, sha256: &str) -> Path {
        Path::from(format!("accounts/{account}/blobs/{sha256}"))
    }

    fn upload_prefix(account: Uuid, upload: Uuid) -> Path {
        Path::from(format!("accounts/{account}/uploads/{upload}"))
    }

    fn chunk_path(account: Uuid, upload: Uuid, offset: u64, end: u64) -> Path {
        Path::from(format!(
            "accounts/{account}/uploads/{upload}/{offset:016}-{end:016}"
        ))
    }

    /// Readiness probe: listing a non-existent prefix must succeed.
    pub async fn ping(&self) -> ApiResult<()> {
        let probe = Path::from("readyz-probe");
        let mut list = self.store.list(Some(&probe));
        if let Some(item) = list.next().await {
            item?;
        }
        Ok(())
    }

    pub async fn put_chunk(
        &self,
        account: Uuid,
        upload: Uuid,
        offset: u64,
        data: Bytes,
    ) -> ApiResult<()> {
        let end = offset + data.len() as u64;
        self.store
            .put(
                &Self::chunk_path(account, upload, offset, end),
                PutPayload::from_bytes(data),
            )
            .await?;
        Ok(())
    }

    /// Streams the chunks, in order, into the final blob, verifying size and SHA-256 before
    /// the blob becomes visible (a multipart upload is only visible once finished).
    pub async fn assemble(
        &self,
        account: Uuid,
        upload: Uuid,
        chunks: &[(u64, u64)],
        sha256: &str,
        size: u64,
    ) -> ApiResult<Assembled> {
        // The chunks must tile [0, size) exactly.
        let mut expected = 0;
        for &(offset, end) in chunks {
            if offset != expected || end < offset {
                return Ok(Assembled::Mismatch);
            }
            expected = end;
        }
        if expected != size {
            return Ok(Assembled::Mismatch);
        }
        let target = Self::blob_path(account, sha256);
        let multipart = self.store.put_multipart(&target).await?;
        let mut writer = WriteMultipart::new(multipart);
        let mut hasher = Sha256::new();
        for &(offset, end) in chunks {
            let got = self
                .store
                .get(&Self::chunk_path(account, upload, offset, end))
                .await;
            let bytes = match got {
                Ok(g) => g.bytes().await?,
                Err(object_store::Error::NotFound { .. }) => {
                    writer.abort().await?;
                    return Ok(Assembled::Mismatch);
                }
                Err(e) => {
                    writer.abort().await?;
                    return Err(e.into());
                }
            };
            if bytes.len() as u64 != end - offset {
                writer.abort().await?;
                return Ok(Assembled::Mismatch);
            }
            hasher.update(&bytes);
            writer.wait_for_capacity(4).await?;
            writer.put(bytes);
        }
        if hex::encode(hasher.finalize()) != sha256 {
            writer.abort().await?;
            return Ok(Assembled::Mismatch);
        }
        writer.finish().await?;
        Ok(Assembled::Stored)
    }

    pub async fn get(&self, account: Uuid, sha256: &str) -> ApiResult<Bytes> {
        let got = self.store.get(&Self::blob_path(account, sha256)).await?;
        Ok(got.bytes().await?)
    }

    /// The blob as a stream of chunks, so large blobs are never held in memory whole.
    pub async fn get_stream(&self, account: Uuid, sha256: &str) -> ApiResult<BlobStream> {
        let got = self.store.get(&Self::blob_path(account, sha256)).await?;
        Ok(got.into_stream())
    }

    pub async fn delete_blob(&self, account: Uuid, sha256: &str) -> ApiResult<()> {
        match self.store.delete(&Self::blob_path(account, sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_upload(&self, account: Uuid, upload: Uuid) -> ApiResult<()> {
        self.delete_prefix(Self::upload_prefix(account, upload))
            .await
    }

    /// Deletes every object of the account.
    pub async fn delete_account(&self, account: Uuid) -> ApiResult<()> {
        self.delete_prefix(Self::account_prefix(account)).await
    }

    async fn delete_prefix(&self, prefix: Path) -> ApiResult<()> {
        let locations = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .boxed();
        let mut deleted = self.store.delete_stream(locations);
        while let Some(result) = deleted.next().await {
            match result {
                Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(ApiError::from(e)),
            }
        }
        Ok(())
    }
}
