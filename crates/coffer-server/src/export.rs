//! The account export (EU Data Act): everything the server holds for the account, as a tar
//! archive written while it is sent. Items are read a page at a time and blobs streamed from
//! the blob store, through a small bounded channel, so the server's memory stays the same
//! whatever the size of the account. A copy of the archive's format is on
//! [`coffer_api::routes::ACCOUNT_EXPORT`].

use crate::app::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::Bucket;
use crate::storage::{events, items, uploads};
use bytes::Bytes;
use coffer_api::{AccountInfo, BlobRef, Item, SecurityEventKind};
use futures::StreamExt as _;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Items per `items/page-NNNNNN.json`, and blobs listed per query.
const PAGE: u32 = 1000;
/// Envelope bytes read per page of items.
const PAGE_BYTES: u64 = 4 * 1024 * 1024;
/// Chunks in flight between the reader and the connection.
const IN_FLIGHT: usize = 8;
const BLOCK: usize = 512;

/// `manifest.json` of the export archive.
#[derive(Serialize)]
struct ExportManifest {
    format: &'static str,
    api_version: u32,
    account: AccountInfo,
    exported_at: i64,
    security_events: Vec<coffer_api::SecurityEvent>,
    /// E-mail reminders: ids and dates only.
    reminders: Vec<coffer_api::Reminder>,
    /// Share links (their sealed files are among `blobs/`).
    shares: Vec<coffer_api::Share>,
}

/// One page of items' technical metadata (their envelopes are `items/<id>.envelope`).
#[derive(Serialize)]
struct ItemPage {
    items: Vec<Item>,
}

type Chunk = Result<Bytes, std::io::Error>;

/// Writes tar entries into the channel; fails when the connection went away.
struct TarWriter {
    out: mpsc::Sender<Chunk>,
    mtime: u64,
}

#[derive(Debug)]
struct Gone;

impl TarWriter {
    async fn send(&self, bytes: Bytes) -> Result<(), Gone> {
        self.out.send(Ok(bytes)).await.map_err(|_| Gone)
    }

    async fn header(&self, path: &str, size: u64) -> Result<(), Gone> {
        let mut header = tar::Header::new_gnu();
        // Paths are ours and short (`blobs/<sha256>` is 70 characters).
        if header.set_path(path).is_err() {
            return Err(Gone);
        }
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        self.send(Bytes::copy_from_slice(header.as_bytes())).await
    }

    async fn padding(&self, size: u64) -> Result<(), Gone> {
        let rest = (BLOCK - (size % BLOCK as u64) as usize) % BLOCK;
        if rest > 0 {
            self.send(Bytes::from(vec![0u8; rest])).await?;
        }
        Ok(())
    }

    async fn file(&self, path: &str, data: Vec<u8>) -> Result<(), Gone> {
        let size = data.len() as u64;
        self.header(path, size).await?;
        self.send(Bytes::from(data)).await?;
        self.padding(size).await
    }

    async fn json(&self, path: &str, value: &impl Serialize) -> Result<(), Gone> {
        let data = serde_json::to_vec_pretty(value).map_err(|_| Gone)?;
        self.file(path, data).await
    }

    async fn finish(&self) -> Result<(), Gone> {
        self.send(Bytes::from(vec![0u8; 2 * BLOCK])).await
    }

    /// Ends the archive with an error: the client sees a broken transfer, never a short
    /// archive that looks complete.
    async fn fail(&self, why: &str) {
        tracing::warn!(why, "the account export stopped");
        let _ = self
            .out
            .send(Err(std::io::Error::other("export failed")))
            .await;
    }
}

impl App {
    /// Checks the export may start (no locked items; rate limit), records it, and streams
    /// the archive (step-up).
    pub async fn export(
        self: &Arc<Self>,
        caller: &Caller,
    ) -> ApiResult<impl futures::Stream<Item = Chunk> + use<>> {
        self.limiter
            .check(Bucket::Export, &caller.account_id.to_string())
            .await
            .map_err(crate::auth::too_many)?;
        {
            let mut db = self.storage.read().await?;
            if !items::locked(&mut db, caller.account_id).await?.is_empty() {
                let mut e = self.locked_error(&mut db, caller.account_id).await?;
                e.message = "The account has locked documents, which cannot be exported. \
                             Renew a paid plan to unlock them, or delete them, then export."
                    .into();
                return Err(e);
            }
        }
        let info = self.account_info(caller).await?;
        let keys = self.wrapped_keys(caller).await?;
        let mut tx = self.storage.write().await?;
        let mail = self
            .account_changed(
                &mut tx,
                caller.account_id,
                caller.device(),
                SecurityEventKind::AccountExported,
            )
            .await?;
        tx.commit().await?;
        self.send_soon(mail);
        let (out, receiver) = mpsc::channel(IN_FLIGHT);
        let now = self.clock.unix();
        let writer = TarWriter {
            out,
            mtime: u64::try_from(now).unwrap_or(0),
        };
        let app = self.clone();
        let account = caller.account_id;
        tokio::spawn(async move {
            let manifest = async {
                let mut db = app.storage.read().await?;
                Ok::<_, ApiError>(ExportManifest {
                    format: "coffer-server-export/2",
                    api_version: coffer_api::API_VERSION,
                    account: info,
                    exported_at: now,
                    security_events: events::list(
                        &mut db,
                        account,
                        crate::account::SECURITY_EVENTS_SHOWN,
                    )
                    .await?,
                    reminders: app.reminder_list(&mut db, account).await?.reminders,
                    shares: crate::storage::shares::list(&mut db, account, 0)
                        .await?
                        .iter()
                        .map(|s| s.to_api(now))
                        .collect(),
                })
            };
            let manifest = match manifest.await {
                Ok(m) => m,
                Err(_) => return writer.fail("the manifest could not be read").await,
            };
            let written = async {
                writer.json("manifest.json", &manifest).await?;
                writer.json("keys.json", &keys).await?;
                app.export_items(&writer, account).await?;
                app.export_blobs(&writer, account).await?;
                writer.finish().await
            };
            if written.await.is_err() {
                writer.fail("the connection or the storage failed").await;
            }
        });
        Ok(tokio_stream_from(receiver))
    }

    async fn export_items(&self, w: &TarWriter, account: uuid::Uuid) -> Result<(), Gone> {
        let mut since = 0;
        let mut page_no = 0u32;
        loop {
            let page = {
                let mut db = self.storage.read().await.map_err(|_| Gone)?;
                match items::changes(&mut db, account, since, PAGE, PAGE_BYTES).await {
                    Ok(items::Changes::Page(page)) => page,
                    _ => return Err(Gone),
                }
            };
            if page.items.is_empty() {
                return Ok(());
            }
            page_no += 1;
            let mut metadata = Vec::with_capacity(page.items.len());
            for mut item in page.items {
                since = item.seq;
                if let Some(envelope) = item.envelope.take() {
                    w.file(&format!("items/{}.envelope", item.id), envelope.0)
                        .await?;
                }
                metadata.push(item);
            }
            w.json(
                &format!("items/page-{page_no:06}.json"),
                &ItemPage { items: metadata },
            )
            .await?;
            if !page.cut {
                return Ok(());
            }
        }
    }

    async fn export_blobs(&self, w: &TarWriter, account: uuid::Uuid) -> Result<(), Gone> {
        let mut after = String::new();
        loop {
            let batch: Vec<BlobRef> = {
                let mut db = self.storage.read().await.map_err(|_| Gone)?;
                uploads::blobs_after(&mut db, account, &after, PAGE)
                    .await
                    .map_err(|_| Gone)?
            };
            let Some(last) = batch.last() else {
                return Ok(());
            };
            after = last.sha256.clone();
            for blob in batch {
                w.header(&format!("blobs/{}", blob.sha256), blob.size)
                    .await?;
                let opened = async {
                    let mut db = self.storage.read().await?;
                    self.open_blob(&mut db, account, &blob.sha256).await
                };
                let Ok(Some((_, mut stream))) = opened.await else {
                    return Err(Gone);
                };
                let mut sent = 0u64;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|_| Gone)?;
                    sent += chunk.len() as u64;
                    if sent > blob.size {
                        return Err(Gone);
                    }
                    w.send(chunk).await?;
                }
                if sent != blob.size {
                    return Err(Gone);
                }
                w.padding(blob.size).await?;
            }
        }
    }
}

/// The receiving end of the channel as a stream.
fn tokio_stream_from(
    receiver: mpsc::Receiver<Chunk>,
) -> impl futures::Stream<Item = Chunk> + use<> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    })
}
