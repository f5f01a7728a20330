//! "Restore on this device" from the first-run screen: a backup file (age, passphrase or key
//! file) becomes this device's vault, with a new password and a new recovery phrase confirmed
//! the same way as for a new vault. Progress reaches the web view as events.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::backup::{
    NewVault, Progress, RestoreKey, is_passphrase_protected, restore_backup,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;

use super::{
    Result, WordCheck, blocking, check_confirmed_words, emit_progress, with_confirmed_phrase,
};
use crate::session::Session;

/// The event carrying `{done, total}` (bytes) while a restore runs.
pub const RESTORE_PROGRESS_EVENT: &str = "restore-progress";

/// How the chosen backup is protected, so the screen asks for the right thing.
#[derive(Debug, Serialize, PartialEq, Eq, TS)]
#[serde(rename_all = "lowercase")]
pub enum BackupProtection {
    Passphrase,
    Keys,
}

#[tauri::command]
pub async fn backup_protection(path: PathBuf) -> Result<BackupProtection> {
    tauri::async_runtime::spawn_blocking(move || {
        Ok(if is_passphrase_protected(&path)? {
            BackupProtection::Passphrase
        } else {
            BackupProtection::Keys
        })
    })
    .await
    .map_err(|e| crate::error::CommandError::new("internal", format!("the command stopped: {e}")))?
}

/// The backup's key: its passphrase, or a file of age identities.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum BackupKey {
    Passphrase(String),
    IdentityFile(PathBuf),
}

#[derive(Debug, Serialize, TS)]
pub struct RestoreResult {
    pub documents: usize,
    pub content_bytes: u64,
    pub notes: Vec<String>,
}

/// Restores `path` into this device's vault location and opens it.
#[tauri::command]
pub async fn restore_vault<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Arc<Session>>,
    path: PathBuf,
    key: BackupKey,
    password: String,
    confirmed: Vec<WordCheck>,
) -> Result<RestoreResult> {
    let password = SecretString::from(password);
    let key = match key {
        BackupKey::Passphrase(passphrase) => RestoreKey::Passphrase(SecretString::from(passphrase)),
        BackupKey::IdentityFile(file) => RestoreKey::IdentityFile(file),
    };
    check_confirmed_words(&session, &confirmed)?;
    blocking(&session, move |session| {
        let paths = session.paths();
        let mut report =
            |p: Progress| emit_progress(&app, RESTORE_PROGRESS_EVENT, p.done_bytes, p.total_bytes);
        let summary = with_confirmed_phrase(session, |phrase| {
            let new_vault = NewVault {
                password: &password,
                params: paths.kdf,
                phrase: Some(phrase),
                clock: Arc::new(coffer_core::SystemClock),
            };
            Ok(restore_backup(
                &path,
                &key,
                &paths.vault_dir,
                new_vault,
                &mut report,
            )?)
        })?;
        let vault = coffer_core::LockedVault::open(&paths.vault_dir)?
            .unlock(&password)?
            .vault;
        session.open(vault);
        Ok(RestoreResult {
            documents: summary.documents,
            content_bytes: summary.content_bytes,
            notes: summary.notes,
        })
    })
    .await
}
