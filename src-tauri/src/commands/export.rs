//! The accountant's export and the backup from the app, through the same `coffer-core`
//! functions as `coffer export` and `coffer backup`. Both write next to nothing until they are
//! complete (a temporary file renamed at the end), report progress as events, and say where
//! the file went so the window can show it in its folder.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::backup::{self, BackupEncryption, Progress};
use coffer_core::export::{self, CsvPreset, ExportFormat, ExportProgress, ExportRequest};
use coffer_core::{DocumentKind, document::parse_date};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};

use super::bulk::Selection;
use super::{Result, blocking, emit_progress};
use crate::error::CommandError;
use crate::session::Session;
use crate::settings::Language;

/// The event carrying `{done, total}` (documents) while an export runs.
pub const EXPORT_PROGRESS_EVENT: &str = "export-progress";
/// The event carrying `{done, total}` (bytes) while a backup runs.
pub const BACKUP_PROGRESS_EVENT: &str = "backup-progress";

/// Where the dialogs suggest saving: the Downloads folder, else Documents, else home.
#[tauri::command]
pub async fn default_output_folder<R: Runtime>(app: AppHandle<R>) -> Result<PathBuf> {
    let paths = app.path();
    paths
        .download_dir()
        .or_else(|_| paths.document_dir())
        .or_else(|_| paths.home_dir())
        .map_err(|e| CommandError::new("io", format!("no folder to save into: {e}")))
}

/// The export dialog's choices.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportForm {
    /// First and last day of the period, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// None: every kind.
    #[serde(default)]
    pub kinds: Vec<DocumentKind>,
    pub preset: CsvPreset,
    #[serde(default)]
    pub formats: Vec<ExportFormat>,
    /// The POHODA cash register for receipts paid in cash (empty: none).
    #[serde(default)]
    pub cash_register: Option<String>,
    /// The ZIP to write (replaced when it exists).
    pub out: PathBuf,
    /// The language of the report's field names.
    pub language: Language,
    /// The list's selection: exactly its documents, the period and kinds aside.
    #[serde(default)]
    pub selection: Option<Selection>,
}

/// One document the accountant will have to complete, or that a format left out.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportNote {
    pub id: String,
    pub file: String,
    pub missing: Vec<&'static str>,
    pub left_out_of: Vec<ExportFormat>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportOutcome {
    pub path: PathBuf,
    pub documents: usize,
    pub by_import_date: usize,
    pub content_bytes: u64,
    pub pohoda_documents: usize,
    pub isdoc_files: usize,
    pub notes: Vec<ExportNote>,
}

fn day(text: &str) -> Result<time::Date> {
    parse_date(text).map_err(|e| CommandError::new("invalid_input", e.to_string()))
}

#[tauri::command]
pub async fn export_documents<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Arc<Session>>,
    form: ExportForm,
) -> Result<ExportOutcome> {
    let mut request = ExportRequest {
        kinds: form.kinds,
        preset: form.preset,
        formats: form.formats,
        cash_register: form.cash_register.filter(|c| !c.trim().is_empty()),
        // The vault's cached entitlement locks documents on its own, as for `coffer export`.
        ..ExportRequest::period(day(&form.from)?, day(&form.to)?)
    };
    let labels = match form.language {
        Language::Cs => CsvPreset::Cz,
        Language::En => CsvPreset::Intl,
    };
    let out = form.out;
    let selection = form.selection;
    blocking(&session, move |session| {
        let mut report = |p: ExportProgress| {
            emit_progress(
                &app,
                EXPORT_PROGRESS_EVENT,
                p.documents_done as u64,
                p.documents as u64,
            )
        };
        let summary = session.with_open_vault(|vault| {
            if let Some(selection) = selection {
                request.only = Some(selection.resolve(vault)?);
            }
            export::write_export(vault, &request, &out, &mut report).map_err(export_error)
        })?;
        let notes = summary
            .report
            .documents
            .iter()
            .map(|doc| ExportNote {
                id: doc.id.to_string(),
                file: doc.file.clone(),
                missing: doc.missing.iter().map(|m| m.label(labels)).collect(),
                left_out_of: doc.left_out_of.clone(),
            })
            .collect();
        Ok(ExportOutcome {
            path: out,
            documents: summary.documents,
            by_import_date: summary.by_import_date,
            content_bytes: summary.content_bytes,
            pohoda_documents: summary.pohoda_documents,
            isdoc_files: summary.isdoc_files,
            notes,
        })
    })
    .await
}

fn export_error(error: export::ExportError) -> CommandError {
    use export::ExportError as E;
    match error {
        E::Vault(inner) => inner.into(),
        E::EmptyPeriod { .. } => CommandError::new("invalid_input", error.to_string()),
        E::Locked(_) => CommandError::new("export_locked", error.to_string()),
        E::Zip(_) => CommandError::new("io", error.to_string()),
    }
}

/// How the backup is encrypted: a passphrase the person chose, or age public keys.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BackupTo {
    Passphrase(String),
    Recipients(Vec<String>),
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupLeftOut {
    pub id: String,
    pub title: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupOutcome {
    pub path: PathBuf,
    pub documents: usize,
    pub content_bytes: u64,
    /// Documents whose content does not verify (or that the plan locks), not in the backup.
    pub left_out: Vec<BackupLeftOut>,
}

/// Shortest passphrase the app accepts for a backup (age's scrypt makes each guess slow, but
/// a backup file can be copied anywhere).
const MIN_PASSPHRASE_CHARS: usize = 12;

#[tauri::command]
pub async fn backup_vault<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Arc<Session>>,
    out: PathBuf,
    to: BackupTo,
) -> Result<BackupOutcome> {
    let encryption = match to {
        BackupTo::Passphrase(passphrase) => {
            if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
                return Err(CommandError::new(
                    "weak_passphrase",
                    format!("the passphrase needs {MIN_PASSPHRASE_CHARS} characters at least"),
                ));
            }
            BackupEncryption::Passphrase(SecretString::from(passphrase))
        }
        BackupTo::Recipients(keys) => BackupEncryption::recipients(&keys)?,
    };
    blocking(&session, move |session| {
        let mut report =
            |p: Progress| emit_progress(&app, BACKUP_PROGRESS_EVENT, p.done_bytes, p.total_bytes);
        let summary = session.with_open_vault(|vault| {
            let summary = backup::write_backup(vault, &encryption, &out, &mut report)?;
            backup::record_backup(vault)?;
            Ok(summary)
        })?;
        Ok(BackupOutcome {
            path: out,
            documents: summary.documents,
            content_bytes: summary.content_bytes,
            left_out: summary
                .left_out
                .into_iter()
                .map(|(id, title, reason)| BackupLeftOut {
                    id: id.to_string(),
                    title,
                    reason,
                })
                .collect(),
        })
    })
    .await
}

/// When the last backup of this vault was written (RFC 3339), by the app or `coffer backup`.
#[tauri::command]
pub async fn last_backup(session: State<'_, Arc<Session>>) -> Result<Option<String>> {
    session.with_open_vault(|vault| {
        Ok(backup::last_backup(vault)?.and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }))
    })
}

/// Opens the file manager at `path` (the export or backup just written).
#[tauri::command]
pub async fn show_in_folder<R: Runtime>(app: AppHandle<R>, path: PathBuf) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    if app.try_state::<tauri_plugin_opener::Opener<R>>().is_none() {
        return Err(CommandError::new(
            "io",
            "no file manager to show the folder in",
        ));
    }
    app.opener().reveal_item_in_dir(&path).map_err(|e| {
        CommandError::new(
            "io",
            format!(
                "cannot open the folder ({e}); the file is {}",
                path.display()
            ),
        )
    })
}
