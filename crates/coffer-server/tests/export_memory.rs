//! The account export streams: a 1 GiB account is exported by a real `coffer-server` whose
//! resident memory stays under 64 MiB. Long (it moves 2 GiB through loopback): it runs with
//! `COFFER_LONG=1` (`make test-long`).

mod support;

use coffer_api::*;
use reqwest::Method;
use sha2::{Digest, Sha256};
use support::*;

const GIB: u64 = 1 << 30;
const CHUNK: usize = 8 << 20;
const BLOBS: u64 = 8;

/// The peak resident set of a process since it started (Linux `VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Deterministic bytes of blob `n`, chunk by chunk.
fn chunk_of(n: u64, index: usize) -> Vec<u8> {
    let seed = Sha256::digest(format!("blob {n} chunk {index}").as_bytes());
    seed.iter().cycle().take(CHUNK).copied().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_account_export_streams_in_under_64_mib_of_server_memory() {
    if !coffer_testkit::long_run() {
        eprintln!("note: skipped: set COFFER_LONG=1 (make test-long) for the 1 GiB export");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(&Backend::Local, dir.path());
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_account("laptop").await;
    let per_blob = GIB / BLOBS;
    let chunks = (per_blob as usize) / CHUNK;
    for n in 0..BLOBS {
        let mut hash = Sha256::new();
        for i in 0..chunks {
            hash.update(chunk_of(n, i));
        }
        let sha = hex::encode(hash.finalize());
        let status: UploadStatus = client
            .post(
                routes::UPLOADS,
                &CreateUploadRequest {
                    sha256: sha.clone(),
                    size: per_blob,
                },
            )
            .await
            .ok();
        let id = status.upload_id.unwrap();
        for i in 0..chunks {
            let _: UploadStatus = client
                .put_chunk(id, (i * CHUNK) as u64, chunk_of(n, i))
                .await
                .ok();
        }
        let _: UploadStatus = client
            .request(Method::POST, &routes::upload_complete(id), &[], None, "")
            .await
            .ok();
        let write = ItemWrite {
            blobs: vec![BlobRef {
                sha256: sha,
                size: per_blob,
            }],
            ..item_write(KindClass::Document, "2026-11")
        };
        let _: Item = client
            .put_item(uuid::Uuid::new_v4(), None, &write, None)
            .await
            .ok();
    }
    // A fresh process, so its peak memory is the export's.
    server.restart();
    let anon = Client::new(&server.url);
    let client = anon
        .login(&email, PASSWORD, "laptop")
        .await
        .0
        .stepped_up(PASSWORD, None)
        .await;
    let response = client
        .http
        .get(format!("{}{}", server.url, routes::ACCOUNT_EXPORT))
        .bearer_auth(client.token.as_deref().unwrap())
        .header(STEP_UP_HEADER, client.step_up.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    // Read the archive as it comes: the blobs' bytes in order, past the tar headers.
    let mut body = response;
    let mut tar = TarReader::default();
    while let Some(bytes) = body.chunk().await.unwrap() {
        tar.feed(&bytes);
    }
    assert_eq!(
        (tar.blobs_ok, tar.blob_bytes),
        (BLOBS, GIB),
        "every blob, whole"
    );
    let peak = peak_rss(server.pid().unwrap());
    assert!(peak < 64 << 20, "peak resident memory {} MiB", peak >> 20);
}

/// Reads a tar stream fed in pieces, checking each `blobs/<sha256>` entry against its name.
#[derive(Default)]
struct TarReader {
    header: Vec<u8>,
    /// The current entry: its name, bytes left, and the hash of what came of it.
    name: String,
    left: u64,
    hash: Sha256,
    padding: u64,
    /// Blob entries whose content matched their name, and their bytes.
    blobs_ok: u64,
    blob_bytes: u64,
}

impl TarReader {
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.padding > 0 {
                let n = (self.padding as usize).min(bytes.len());
                self.padding -= n as u64;
                bytes = &bytes[n..];
            } else if self.left > 0 {
                let n = (self.left as usize).min(bytes.len());
                self.hash.update(&bytes[..n]);
                if self.name.starts_with("blobs/") {
                    self.blob_bytes += n as u64;
                }
                self.left -= n as u64;
                bytes = &bytes[n..];
                if self.left == 0 {
                    self.entry_done();
                }
            } else {
                let n = (512 - self.header.len()).min(bytes.len());
                self.header.extend_from_slice(&bytes[..n]);
                bytes = &bytes[n..];
                if self.header.len() == 512 {
                    let header = tar::Header::from_byte_slice(&self.header);
                    let size = header.size().unwrap_or(0);
                    self.name = header
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    self.left = size;
                    self.hash = Sha256::new();
                    self.padding = (512 - size % 512) % 512;
                    self.header.clear();
                    if size == 0 {
                        self.padding = 0;
                    }
                }
            }
        }
    }

    fn entry_done(&mut self) {
        let hash = hex::encode(std::mem::take(&mut self.hash).finalize());
        if self.name.strip_prefix("blobs/") == Some(hash.as_str()) {
            self.blobs_ok += 1;
        }
    }
}
