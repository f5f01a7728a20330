//! The watched folder: the operating system reports files that finish arriving in it (notify),
//! they wait in the session, and the web view hears `watched-files` and imports them like
//! dropped files. Only whole files count: on Linux a file is taken when its writer closes it
//! or when it is moved in, never at creation while it is still being written.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::error::CommandError;
use crate::session::Session;
use crate::settings::Settings;

/// The event the web view hears when new files wait in the watched folder.
pub const WATCHED_FILES_EVENT: &str = "watched-files";

/// The folder being watched and its watcher (dropping it stops the watch).
#[derive(Default)]
pub struct FolderWatch(Mutex<Option<(PathBuf, RecommendedWatcher)>>);

/// Whether `event` means a complete file has arrived.
fn is_arrival(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both)) => true,
        // Elsewhere there is no "closed after writing"; creation is the best there is.
        EventKind::Create(CreateKind::File | CreateKind::Any) => !cfg!(target_os = "linux"),
        _ => false,
    }
}

/// Hidden files and the partial files browsers and sync tools write are not documents yet.
fn is_candidate(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let partial = [".part", ".crdownload", ".tmp", ".download", "~"];
    !name.starts_with('.') && !partial.iter().any(|suffix| name.ends_with(suffix)) && path.is_file()
}

/// The files a filesystem event brings to the queue.
pub fn arrivals(event: &Event) -> Vec<PathBuf> {
    if !is_arrival(&event.kind) {
        return Vec::new();
    }
    // A rename reports [from, to]: only the destination is in the folder.
    let paths = match event.kind {
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            &event.paths[event.paths.len().saturating_sub(1)..]
        }
        _ => &event.paths[..],
    };
    paths.iter().filter(|p| is_candidate(p)).cloned().collect()
}

/// Starts, moves or stops the watch to match the settings.
pub fn follow_settings<R: Runtime>(
    app: &AppHandle<R>,
    settings: &Settings,
) -> Result<(), CommandError> {
    let state = app.state::<FolderWatch>();
    let mut current = state.0.lock().unwrap_or_else(|p| p.into_inner());
    let wanted = settings.watched_folder.as_deref();
    if current.as_ref().map(|(folder, _)| folder.as_path()) == wanted {
        return Ok(());
    }
    *current = None;
    let Some(folder) = wanted else {
        return Ok(());
    };
    let session = Arc::clone(&app.state::<Arc<Session>>());
    let handle = app.clone();
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<Event>| {
        if let Ok(event) = result
            && session.add_watched_files(arrivals(&event))
        {
            let _ = handle.emit(WATCHED_FILES_EVENT, ());
        }
    })
    .map_err(|e| watch_error(folder, &e))?;
    watcher
        .watch(folder, RecursiveMode::NonRecursive)
        .map_err(|e| watch_error(folder, &e))?;
    *current = Some((folder.to_path_buf(), watcher));
    Ok(())
}

fn watch_error(folder: &Path, error: &notify::Error) -> CommandError {
    CommandError::new(
        "watch_failed",
        format!(
            "the folder {} cannot be watched ({error}); check that it exists and is readable",
            folder.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_visible_files_arrive() {
        let dir = tempfile::tempdir().unwrap();
        let scan = dir.path().join("scan-001.pdf");
        let partial = dir.path().join("scan-002.pdf.part");
        let hidden = dir.path().join(".scan-003.pdf");
        for path in [&scan, &partial, &hidden] {
            std::fs::write(path, b"%PDF-").unwrap();
        }
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        let event = |kind, paths: &[&PathBuf]| Event {
            kind,
            paths: paths.iter().map(|p| p.to_path_buf()).collect(),
            attrs: Default::default(),
        };
        assert_eq!(
            arrivals(&event(closed, &[&scan, &partial, &hidden])),
            vec![scan.clone()]
        );
        let moved = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        assert_eq!(
            arrivals(&event(moved, &[&partial, &scan])),
            vec![scan.clone()]
        );
        let opened = EventKind::Access(AccessKind::Open(AccessMode::Any));
        assert!(arrivals(&event(opened, &[&scan])).is_empty());
        assert!(arrivals(&event(closed, &[&dir.path().join("gone.pdf")])).is_empty());
    }
}
