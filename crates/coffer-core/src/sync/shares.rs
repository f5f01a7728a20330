//! Private share links for the accountant (`coffer share`): the export ZIP of a period,
//! sealed as it is written under a fresh random key (`crypto::share`), uploaded as one of
//! the account's blobs and shared for some days. The link carries the key in its fragment;
//! the server never sees it, and the plaintext ZIP never touches the disk unless a copy is
//! asked for.

use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use coffer_api::{Share, ShareCreate, ShareList, routes};
use rand::rngs::OsRng;
use reqwest::Method;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::account;
use super::error::SyncResult;
use super::plan;
use crate::blobs::HashingWriter;
use crate::crypto::share::{DEFAULT_CHUNK_LOG2, Encryptor, ShareKey};
use crate::error::Error;
use crate::export::{ExportProgress, ExportRequest, ExportSummary, write_zip};
use crate::vault::Vault;

/// Where [`create_share`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareProgress {
    /// Writing (and sealing) the export.
    Export(ExportProgress),
    /// Uploading the sealed file.
    Upload { sent: u64, total: u64 },
}

/// A share made by [`create_share`].
pub struct CreatedShare {
    pub share: Share,
    /// `<server>/s/<id>#<key>`: whoever holds it can open the export until it expires.
    pub link: Zeroizing<String>,
    /// The ZIP's name in the link's page.
    pub name: String,
    pub summary: ExportSummary,
}

/// The name the shared ZIP downloads as.
pub fn share_file_name(request: &ExportRequest) -> String {
    format!("coffer-export-{}-{}.zip", request.from, request.to)
}

/// Writes the export of `request` sealed under a new key, uploads it and shares it for
/// `expires_in_days`; with `copy`, the plaintext ZIP is also saved there (the same bytes the
/// link opens to). The plan's current locks are fetched first: a locked document is never
/// shared.
pub fn create_share(
    vault: &mut Vault,
    request: &ExportRequest,
    expires_in_days: u32,
    copy: Option<&Path>,
    progress: &mut dyn FnMut(ShareProgress),
) -> SyncResult<CreatedShare> {
    let server = account::open(vault, None)?;
    plan::refresh(vault, &server)?;
    let key = ShareKey::random(&mut OsRng);
    let name = share_file_name(request);
    let temp = |e| Error::io("sealing the export in a temporary file", e);
    // Unnamed and gone with the process: nothing is left behind, whatever happens.
    let mut sealed = tempfile::tempfile().map_err(temp)?;
    let hashing = HashingWriter::new(BufWriter::with_capacity(1 << 20, &mut sealed));
    let mut encryptor = Encryptor::new(&key, &name, hashing, DEFAULT_CHUNK_LOG2, &mut OsRng)?;
    let mut export_progress = |p| progress(ShareProgress::Export(p));
    let summary = match copy {
        Some(path) => crate::files::write_replacing(path, ".coffer-export-", |file| {
            let sink = Tee(&mut encryptor, BufWriter::with_capacity(1 << 20, file));
            write_zip(vault, request, sink, &mut export_progress)
        })?,
        None => write_zip(vault, request, &mut encryptor, &mut export_progress)?,
    };
    let (hashing, size) = encryptor.finish()?;
    let (buffered, sha256) = hashing.finish().map_err(temp)?;
    buffered.into_inner().map_err(|e| temp(e.into_error()))?;
    sealed.seek(SeekFrom::Start(0)).map_err(temp)?;
    server.upload(&sha256, size, &mut sealed, 0, &mut |sent, total, _| {
        progress(ShareProgress::Upload { sent, total })
    })?;
    let share: Share = server.post(
        routes::SHARES,
        &ShareCreate {
            sha256,
            size,
            expires_in_days,
        },
    )?;
    let link = Zeroizing::new(format!(
        "{}{}#{}",
        server.url(),
        routes::share_page(share.id),
        key.to_base64url().as_str()
    ));
    Ok(CreatedShare {
        share,
        link,
        name,
        summary,
    })
}

/// The account's share links, newest first, with their downloads.
pub fn list_shares(vault: &Vault) -> SyncResult<ShareList> {
    account::open(vault, None)?.get(routes::SHARES)
}

/// Revokes a share link: its file is deleted from the server at once. False when the account
/// has no such share.
pub fn revoke_share(vault: &Vault, id: Uuid) -> SyncResult<bool> {
    match account::open(vault, None)?.call::<()>(Method::DELETE, &routes::share(id), None) {
        Ok(()) => Ok(true),
        Err(e) if e.code() == Some(coffer_api::ErrorCode::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes to both: the sealed share and the plaintext copy.
struct Tee<A, B>(A, B);

impl<A: Write, B: Write> Write for Tee<A, B> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(buf)?;
        self.1.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()?;
        self.1.flush()
    }
}
