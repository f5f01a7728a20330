//! The accountant's export, its private link and the backup from the app, through the same
//! `coffer-core` functions as `coffer export`, `coffer share create` and `coffer backup`. Both write next to nothing until they are
//! complete (a temporary file renamed at the end), report progress as events, and say where
//! the file went so the window can show it in its folder.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::backup::{self, BackupEncryption, Progress};
use coffer_core::export::{
    self, CsvPreset, ExportFormat, ExportProgress, ExportRequest, ExportSummary,
};
use coffer_core::sync::{self, ShareProgress};
use coffer_core::{DocumentKind, document::parse_date};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};
use ts_rs::TS;

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
#[derive(Debug, Deserialize, TS)]
#[ts(optional_fields = nullable)]
pub struct ExportForm {
    /// First and last day of the period, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// None: every kind.
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub kinds: Vec<DocumentKind>,
    pub preset: CsvPreset,
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub formats: Vec<ExportFormat>,
    /// The POHODA cash register for receipts paid in cash (empty: none).
    #[serde(default)]
    pub cash_register: Option<String>,
    /// The ZIP to write (replaced when it exists); none for a share link.
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// The language of the report's field names.
    pub language: Language,
    /// The list's selection: exactly its documents, the period and kinds aside.
    #[serde(default)]
    pub selection: Option<Selection>,
}

/// One document the accountant will have to complete, or that a format left out.
#[derive(Debug, Serialize, TS)]
pub struct ExportNote {
    pub id: String,
    pub file: String,
    pub missing: Vec<&'static str>,
    pub left_out_of: Vec<ExportFormat>,
}

#[derive(Debug, Serialize, TS)]
pub struct ExportOutcome {
    /// Where the ZIP went; none for a share link.
    pub path: Option<PathBuf>,
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

impl ExportForm {
    /// The engine's request, and the language of the report's field names.
    fn request(&self) -> Result<(ExportRequest, CsvPreset)> {
        let request = ExportRequest {
            kinds: self.kinds.clone(),
            preset: self.preset,
            formats: self.formats.clone(),
            cash_register: self.cash_register.clone().filter(|c| !c.trim().is_empty()),
            // The vault's cached entitlement locks documents on its own, as for `coffer export`.
            ..ExportRequest::period(day(&self.from)?, day(&self.to)?)
        };
        let labels = match self.language {
            Language::Cs => CsvPreset::Cz,
            Language::En => CsvPreset::Intl,
        };
        Ok((request, labels))
    }
}

impl ExportOutcome {
    fn of(summary: &ExportSummary, labels: CsvPreset, path: Option<PathBuf>) -> Self {
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
        ExportOutcome {
            path,
            documents: summary.documents,
            by_import_date: summary.by_import_date,
            content_bytes: summary.content_bytes,
            pohoda_documents: summary.pohoda_documents,
            isdoc_files: summary.isdoc_files,
            notes,
        }
    }
}

#[tauri::command]
pub async fn export_documents<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Arc<Session>>,
    form: ExportForm,
) -> Result<ExportOutcome> {
    let (mut request, labels) = form.request()?;
    let out = form
        .out
        .ok_or_else(|| CommandError::new("invalid_input", "choose where to save the export"))?;
    let selection = form.selection;
    blocking(&session, move |session| {
        let summary = session.with_open_vault(|vault| {
            if let Some(selection) = selection {
                request.only = Some(selection.resolve(vault)?);
            }
            export::write_export(vault, &request, &out, &mut export_progress(&app))
                .map_err(CommandError::from)
        })?;
        Ok(ExportOutcome::of(&summary, labels, Some(out)))
    })
    .await
}

/// Progress events of an export, as the dialog's bar reads them.
fn export_progress<R: Runtime>(app: &AppHandle<R>) -> impl FnMut(ExportProgress) + '_ {
    move |p: ExportProgress| {
        emit_progress(
            app,
            EXPORT_PROGRESS_EVENT,
            p.documents_done as u64,
            p.documents as u64,
        )
    }
}

/// A private link for the accountant made in the export dialog.
#[derive(Debug, Serialize, TS)]
pub struct ShareOutcome {
    /// `<server>/s/<id>#<key>`: the key is only here.
    pub link: String,
    pub share_id: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub export: ExportOutcome,
}

/// "Send to accountant": the export of the form (no file is saved), sealed on this device,
/// uploaded to the account's server and shared for `expires_in_days`, as `coffer share
/// create` does.
#[tauri::command(rename_all = "snake_case")]
pub async fn share_documents<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Arc<Session>>,
    form: ExportForm,
    expires_in_days: u32,
) -> Result<ShareOutcome> {
    let (mut request, labels) = form.request()?;
    let selection = form.selection;
    blocking(&session, move |session| {
        let mut export_progress = export_progress(&app);
        let created = session.with_open_vault(|vault| {
            if let Some(selection) = selection {
                request.only = Some(selection.resolve(vault)?);
            }
            sync::create_share(vault, &request, expires_in_days, None, &mut |p| {
                if let ShareProgress::Export(p) = p {
                    export_progress(p)
                }
            })
            .map_err(CommandError::from)
        })?;
        Ok(ShareOutcome {
            link: created.link.to_string(),
            share_id: created.share.id.to_string(),
            expires_at: created.share.expires_at,
            export: ExportOutcome::of(&created.summary, labels, None),
        })
    })
    .await
}

/// How the backup is encrypted: a passphrase the person chose, or age public keys.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BackupTo {
    Passphrase(String),
    Recipients(Vec<String>),
}

#[derive(Debug, Serialize, TS)]
pub struct BackupLeftOut {
    pub id: String,
    pub title: String,
    pub reason: String,
}

#[derive(Debug, Serialize, TS)]
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

/// What the backup reminder needs, read without touching a document: when the last backup
/// of this vault was written (by the app or `coffer backup`), and when the vault was made.
#[derive(Debug, Serialize, TS)]
pub struct BackupAge {
    /// RFC 3339, or none when no backup was ever made.
    pub last: Option<String>,
    /// RFC 3339.
    pub vault_created: String,
}

#[tauri::command]
pub async fn last_backup(session: State<'_, Arc<Session>>) -> Result<BackupAge> {
    let rfc3339 = |at: time::OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| CommandError::new("internal", format!("a date: {e}")))
    };
    session.with_open_vault(|vault| {
        Ok(BackupAge {
            last: backup::last_backup(vault)?.map(rfc3339).transpose()?,
            vault_created: rfc3339(vault.created_at())?,
        })
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
