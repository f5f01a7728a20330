//! Coffer's desktop shell: thin Tauri 2 commands over `coffer-core` and `coffer-ocr`. The
//! shell keeps the open vault in memory behind a mutex, locks it after an idle time, on demand
//! or on system sleep, watches the import folder, and does nothing else of its own; every
//! capability lives in the engine.
#![forbid(unsafe_code)]

#[cfg(test)]
mod bindings;
mod commands;
mod error;
mod session;
mod settings;
mod sleep;
mod watcher;

use std::sync::Arc;
use std::time::Duration;

use tauri::{Builder, Emitter, Manager, Runtime};

pub use session::{AppPaths, Session};
pub use settings::Settings;

/// How often the idle timer looks at the clock; the lock happens at most this late.
const IDLE_CHECK_INTERVAL: Duration = Duration::from_secs(5);

/// The event the web view hears when the vault locks without being asked (idle timeout).
pub const LOCKED_EVENT: &str = "vault-locked";

/// Everything the real app and the mock-runtime tests share: state, commands, the idle lock.
pub fn setup<R: Runtime>(builder: Builder<R>, paths: AppPaths) -> Builder<R> {
    let session = Arc::new(Session::new(paths));
    builder
        .manage(session)
        .manage(watcher::FolderWatch::default())
        .setup(|app| {
            let handle = app.handle().clone();
            let settings = handle.state::<Arc<Session>>().settings();
            // A folder that vanished since last time must not stop the app from starting.
            if let Err(error) = watcher::follow_settings(&handle, &settings) {
                eprintln!("coffer: {}", error.message);
            }
            sleep::watch(&handle);
            std::thread::Builder::new()
                .name("idle-lock".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(IDLE_CHECK_INTERVAL);
                        let session = handle.state::<Arc<Session>>();
                        if session.lock_if_idle(std::time::Instant::now()) {
                            // The web view clears what it shows when it hears this.
                            let _ = handle.emit(LOCKED_EVENT, "idle");
                        }
                    }
                })?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::new_recovery_phrase,
            commands::create_vault,
            commands::unlock,
            commands::recover,
            commands::lock,
            commands::touch,
            commands::search_documents,
            commands::list_documents,
            commands::import_files,
            commands::get_document,
            commands::document_content,
            commands::edit_document,
            commands::trash_document,
            commands::untrash_document,
            commands::vault_info,
            commands::verify_vault,
            commands::get_settings,
            commands::save_settings,
            commands::account::account_register,
            commands::account::account_login,
            commands::account::account_logout,
            commands::account::account_status,
            commands::account::account_verify_email,
            commands::account::account_resend_verification,
            commands::account::account_devices,
            commands::account::account_revoke_device,
            commands::account::sync_now,
            commands::account::account_plans,
            commands::account::account_checkout,
            commands::account::account_cancel,
            commands::account::account_billing_history,
            commands::account::set_email_reminders,
            commands::ocr::ocr_document,
            commands::ocr::remote_ocr_consent,
            commands::ocr::remote_ocr_document,
            commands::ocr::remote_ocr_providers,
            commands::ocr::save_remote_ocr_provider,
            commands::overview::vault_overview,
            commands::bulk::selected_documents,
            commands::bulk::change_documents,
            commands::viewer::document_thumbnail,
            commands::viewer::pdf_page_count,
            commands::viewer::pdf_page,
            commands::viewer::image_preview,
            commands::export::default_output_folder,
            commands::export::export_documents,
            commands::export::share_documents,
            commands::export::backup_vault,
            commands::export::last_backup,
            commands::export::show_in_folder,
            commands::restore::backup_protection,
            commands::restore::restore_vault,
            commands::security::change_kdf,
            commands::reminders::reminder_notifications,
            commands::reminders::show_notifications,
            commands::reminders::reminder_lead_days,
            commands::reminders::save_reminder_lead_days,
            commands::reminders::document_reminders,
            commands::reminders::save_document_reminders,
            commands::reminders::deadlines,
            commands::reminders::save_deadline_snoozes,
            commands::reminders::export_deadlines_ics,
            commands::watch::take_watched_files,
        ])
}

/// The environment the app needs before GTK, WebKit and Tesseract load (`main` sets what is
/// missing by replacing the process once): OCR's (`coffer_ocr::OCR_ENVIRONMENT`), and on Linux
/// without a GPU, WebKit's drawing without accelerated compositing. With no render node its
/// OpenGL is emulated on the CPU, and each frame of the window took 130–330 ms (a jump in a
/// list of 100,000 documents 0.36 s, see docs/app-benchmarks.md); drawn directly, 16 ms
/// (0.04 s). The window uses nothing that needs compositing (no 3-D transforms, no WebGL).
pub fn environment() -> Vec<(&'static str, &'static str)> {
    let mut vars = coffer_ocr::OCR_ENVIRONMENT.to_vec();
    if cfg!(target_os = "linux") && !has_render_node(std::path::Path::new("/dev/dri")) {
        vars.push(("WEBKIT_DISABLE_COMPOSITING_MODE", "1"));
    }
    vars
}

/// Whether `dri` (the kernel's directory of graphics devices) holds a render node, through
/// which OpenGL reaches a GPU.
fn has_render_node(dri: &std::path::Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Starts the desktop app with the vault in `$COFFER_VAULT` or the platform data directory
/// (the same place the `coffer` command uses).
pub fn run() {
    let paths = match AppPaths::from_environment() {
        Ok(paths) => paths,
        Err(message) => {
            eprintln!("coffer: {message}");
            std::process::exit(1);
        }
    };
    setup(
        tauri::Builder::default()
            .plugin(tauri_plugin_dialog::init())
            .plugin(tauri_plugin_notification::init())
            .plugin(tauri_plugin_opener::init()),
        paths,
    )
    .run(tauri::generate_context!())
    .expect("the Coffer window could not start; check that WebKitGTK is installed");
}

#[cfg(test)]
mod tests;
