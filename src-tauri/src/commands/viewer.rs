//! What the document viewer and the list show: PDF pages rendered at the size asked for,
//! pictures the web view cannot decode (HEIC, TIFF) as JPEG, and thumbnails. Thumbnails are
//! made once and cached inside the vault's encrypted store (the document's cache, deleted
//! with it and left out of backups), never as a file; pages and pictures are rendered from
//! decrypted bytes in memory. Rendering runs without holding the vault.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use coffer_core::{DocumentId, Vault};
use tauri::State;
use tauri::ipc::Response;

use super::{Result, blocking, document_id};
use crate::session::Session;

/// What is cached for a document whose file has no picture (text, XML, an attachment).
const NO_THUMBNAIL: &str = "-";

/// The name of the thumbnail in a document's cache.
const THUMBNAIL: &str = "thumbnail.v1";

/// The decrypted file and its media type.
fn content(vault: &Vault, id: &str) -> coffer_core::Result<(DocumentId, String, Vec<u8>)> {
    let id = document_id(vault, id)?;
    let media_type = vault.document(id)?.file.media_type;
    let mut bytes = Vec::new();
    vault.read_content(id, &mut bytes)?;
    Ok((id, media_type, bytes))
}

/// A small JPEG of the document (raw bytes), or nothing when the file has no picture.
#[tauri::command]
pub async fn document_thumbnail(session: State<'_, Arc<Session>>, id: String) -> Result<Response> {
    blocking(&session, move |session| {
        let cached = session.with_vault(|vault| {
            let doc = document_id(vault, &id)?;
            vault.document_cache(doc, THUMBNAIL)
        })?;
        if let Some(cached) = cached {
            // The no-picture marker (and a damaged entry) decode to nothing: the icon shows.
            return Ok(Response::new(BASE64.decode(cached).unwrap_or_default()));
        }
        let (doc, media_type, bytes) = session.with_vault(|vault| content(vault, &id))?;
        // A file that cannot be pictured (damaged image, odd PDF) gets the icon, not an error.
        let jpeg = coffer_ocr::render::thumbnail(&bytes, &media_type)
            .ok()
            .flatten()
            .unwrap_or_default();
        drop(bytes);
        let stored = if jpeg.is_empty() {
            NO_THUMBNAIL.to_string()
        } else {
            BASE64.encode(&jpeg)
        };
        session.with_vault(|vault| vault.set_document_cache(doc, THUMBNAIL, Some(&stored)))?;
        Ok(Response::new(jpeg))
    })
    .await
}

#[tauri::command]
pub async fn pdf_page_count(session: State<'_, Arc<Session>>, id: String) -> Result<u32> {
    blocking(&session, move |session| {
        let (_, _, bytes) = session.with_vault(|vault| content(vault, &id))?;
        Ok(coffer_ocr::render::pdf_page_count(&bytes)?)
    })
    .await
}

/// One PDF page as a PNG whose long side is `size` pixels (the viewer asks for its zoom).
#[tauri::command]
pub async fn pdf_page(
    session: State<'_, Arc<Session>>,
    id: String,
    page: u32,
    size: u32,
) -> Result<Response> {
    blocking(&session, move |session| {
        let (_, _, bytes) = session.with_vault(|vault| content(vault, &id))?;
        Ok(Response::new(coffer_ocr::render::render_pdf_page(
            &bytes, page, size,
        )?))
    })
    .await
}

/// A picture the web view cannot show itself (HEIC, TIFF) as a JPEG whose long side is at most
/// `size` pixels.
#[tauri::command]
pub async fn image_preview(
    session: State<'_, Arc<Session>>,
    id: String,
    size: u32,
) -> Result<Response> {
    blocking(&session, move |session| {
        let (_, _, bytes) = session.with_vault(|vault| content(vault, &id))?;
        Ok(Response::new(coffer_ocr::render::image_preview(
            &bytes, size,
        )?))
    })
    .await
}
