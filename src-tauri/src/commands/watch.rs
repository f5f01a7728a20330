//! The watched folder's files reach the web view here; it imports them like dropped files,
//! with progress, per-file errors and duplicates reported.

use std::path::PathBuf;
use std::sync::Arc;

use tauri::State;

use super::Result;
use crate::session::Session;

/// The new files seen in the watched folder since the last call (each handed over once).
#[tauri::command]
pub async fn take_watched_files(session: State<'_, Arc<Session>>) -> Result<Vec<PathBuf>> {
    Ok(session.take_watched_files())
}
