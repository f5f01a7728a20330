//! The commands the web view invokes. Each one parses its arguments, calls the engine and maps
//! the error; none holds logic of its own. Work that can take a while (key derivation,
//! encryption, OCR, rendering) runs on a blocking thread so the window never freezes.

pub mod account;
pub mod bulk;
pub mod export;
pub mod ocr;
pub mod overview;
pub mod reminders;
pub mod restore;
pub mod security;
pub mod viewer;
pub mod watch;

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::document::parse_date;
use coffer_core::{
    Currency, Document, DocumentEdit, DocumentKind, DocumentSummary, Field, ImportOptions,
    ImportOutcome, LockedVault, RecoveryPhrase, SearchQuery, Sort, TrashFilter, Vault, VaultInfo,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::State;
use tauri::ipc::Response;
use ts_rs::TS;

use crate::error::CommandError;
use crate::session::{Session, VaultState};
use crate::settings::Settings;

pub(crate) type Result<T> = std::result::Result<T, CommandError>;

/// How many recovery words the person must type back before the vault is created.
const WORDS_TO_CONFIRM: usize = 3;

pub(crate) async fn blocking<T: Send + 'static>(
    session: &State<'_, Arc<Session>>,
    work: impl FnOnce(&Session) -> Result<T> + Send + 'static,
) -> Result<T> {
    let session = Arc::clone(session.inner());
    tauri::async_runtime::spawn_blocking(move || work(&session))
        .await
        .map_err(|e| CommandError::new("internal", format!("the command stopped: {e}")))?
}

/// How far a long write has come, as the window's progress bars read it: documents for an
/// export, bytes for a backup or a restore.
#[derive(Clone, Serialize, TS)]
pub struct WriteProgress {
    done: u64,
    total: u64,
}

/// Sends `{done, total}` as `event` (`export-progress`, `backup-progress`, `restore-progress`);
/// a window that has gone away just misses it.
pub(crate) fn emit_progress<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    event: &str,
    done: u64,
    total: u64,
) {
    use tauri::Emitter;
    let _ = app.emit(event, WriteProgress { done, total });
}

pub(crate) fn document_id(vault: &Vault, id: &str) -> coffer_core::Result<coffer_core::DocumentId> {
    vault.resolve(id)
}

#[derive(Debug, Serialize, TS)]
pub struct AppStatus {
    pub vault: VaultState,
    pub vault_path: PathBuf,
    pub settings: Settings,
    /// The server the sign-in form offers first (`$COFFER_SERVER_URL`: `make run` sets it to
    /// the local server it starts).
    pub default_server_url: Option<String>,
}

#[tauri::command]
pub async fn app_status(session: State<'_, Arc<Session>>) -> Result<AppStatus> {
    Ok(AppStatus {
        vault: session.state()?,
        vault_path: session.paths().vault_dir.clone(),
        settings: session.settings(),
        default_server_url: std::env::var("COFFER_SERVER_URL")
            .ok()
            .filter(|url| !url.trim().is_empty()),
    })
}

/// Generates the recovery phrase for a new vault and returns its 24 words to show once.
#[tauri::command]
pub async fn new_recovery_phrase(session: State<'_, Arc<Session>>) -> Result<Vec<String>> {
    Vault::check_new_location(&session.paths().vault_dir)?;
    let phrase = RecoveryPhrase::generate(&mut rand::rngs::OsRng);
    Ok(session.start_new_phrase(phrase))
}

#[derive(Debug, Deserialize, TS)]
pub struct WordCheck {
    pub position: usize,
    pub word: String,
}

/// Checks the recovery words the person typed back against the phrase being set up.
pub(crate) fn check_confirmed_words(session: &Session, confirmed: &[WordCheck]) -> Result<()> {
    let checks: Vec<(usize, &str)> = confirmed
        .iter()
        .map(|c| (c.position, c.word.as_str()))
        .collect();
    if checks.len() < WORDS_TO_CONFIRM {
        return Err(CommandError::new(
            "phrase_not_confirmed",
            "type back the requested recovery words first",
        ));
    }
    match session.pending_words_match(&checks) {
        None => Err(no_pending_phrase()),
        Some(false) => Err(CommandError::new(
            "phrase_mismatch",
            "the words do not match the recovery phrase; check them against what you wrote down",
        )),
        Some(true) => Ok(()),
    }
}

fn no_pending_phrase() -> CommandError {
    CommandError::new(
        "no_pending_phrase",
        "start again: no recovery phrase is waiting to be confirmed",
    )
}

/// Runs `create` with the confirmed phrase a new (or restored) vault gets. The phrase is used
/// up only when `create` succeeds, so a mistake (a wrong backup passphrase, a full disk) can be
/// corrected without writing down a new phrase.
pub(crate) fn with_confirmed_phrase<T>(
    session: &Session,
    create: impl FnOnce(&RecoveryPhrase) -> Result<T>,
) -> Result<T> {
    let phrase = session
        .take_pending_phrase()
        .ok_or_else(no_pending_phrase)?;
    let result = create(&phrase);
    if result.is_err() {
        session.keep_pending_phrase(phrase);
    }
    result
}

/// Creates the vault once the person has typed back some of the recovery words.
#[tauri::command]
pub async fn create_vault(
    session: State<'_, Arc<Session>>,
    password: String,
    confirmed: Vec<WordCheck>,
) -> Result<()> {
    let password = SecretString::from(password);
    check_confirmed_words(&session, &confirmed)?;
    blocking(&session, move |session| {
        let paths = session.paths();
        let vault = with_confirmed_phrase(session, |phrase| {
            Ok(Vault::create(
                &paths.vault_dir,
                &password,
                paths.kdf,
                phrase,
                Arc::new(coffer_core::SystemClock),
            )?)
        })?;
        session.open(vault);
        Ok(())
    })
    .await
}

#[derive(Debug, Serialize, TS)]
pub struct UnlockResult {
    /// The vault's password protection was raised to today's defaults during this unlock.
    pub kdf_upgraded: bool,
}

#[tauri::command]
pub async fn unlock(session: State<'_, Arc<Session>>, password: String) -> Result<UnlockResult> {
    let password = SecretString::from(password);
    blocking(&session, move |session| {
        let outcome = LockedVault::open(&session.paths().vault_dir)?.unlock(&password)?;
        session.open(outcome.vault);
        Ok(UnlockResult {
            kdf_upgraded: outcome.kdf_upgraded_to.is_some(),
        })
    })
    .await
}

/// Opens the vault with the recovery phrase and sets a new password.
#[tauri::command(rename_all = "snake_case")]
pub async fn recover(
    session: State<'_, Arc<Session>>,
    phrase: String,
    new_password: String,
) -> Result<()> {
    let new_password = SecretString::from(new_password);
    let phrase = SecretString::from(phrase);
    blocking(&session, move |session| {
        use secrecy::ExposeSecret;
        let phrase = RecoveryPhrase::parse(phrase.expose_secret())?;
        let paths = session.paths();
        let vault =
            LockedVault::open(&paths.vault_dir)?.recover(&phrase, &new_password, paths.kdf)?;
        session.open(vault);
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn lock(session: State<'_, Arc<Session>>) -> Result<()> {
    session.lock();
    Ok(())
}

/// The web view reports that the person is active, postponing the idle lock.
#[tauri::command]
pub async fn touch(session: State<'_, Arc<Session>>) -> Result<()> {
    session.touch();
    Ok(())
}

/// Search filters as the web view sends them. Amounts are in minor units (cents, haléře).
#[derive(Debug, Default, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct SearchArgs {
    pub text: Option<String>,
    #[ts(as = "Option<_>", optional)]
    pub kinds: Vec<DocumentKind>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub min_total_minor: Option<i64>,
    pub max_total_minor: Option<i64>,
    pub merchant: Option<String>,
    #[ts(as = "Option<_>", optional)]
    pub tags: Vec<String>,
    pub expiring_within_days: Option<u32>,
    #[ts(as = "Option<_>", optional)]
    pub unconfirmed_only: bool,
    #[ts(as = "Option<_>", optional)]
    pub trash: bool,
    #[ts(as = "Option<_>", optional)]
    pub sort: Sort,
    #[ts(as = "Option<_>", optional)]
    pub offset: u32,
    pub limit: Option<u32>,
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
}

impl SearchArgs {
    fn into_query(self) -> coffer_core::Result<SearchQuery> {
        let date = |text: Option<String>| non_empty(text).map(|t| parse_date(&t)).transpose();
        Ok(SearchQuery {
            text: non_empty(self.text),
            kinds: self.kinds,
            from: date(self.from)?,
            to: date(self.to)?,
            min_total_minor: self.min_total_minor,
            max_total_minor: self.max_total_minor,
            merchant: non_empty(self.merchant),
            tags: self.tags,
            expiring_within_days: self.expiring_within_days,
            expired_within_days: None,
            unconfirmed_only: self.unconfirmed_only,
            trash: if self.trash {
                TrashFilter::Only
            } else {
                TrashFilter::Exclude
            },
            sort: self.sort,
            offset: self.offset,
            limit: self.limit,
        })
    }
}

#[tauri::command]
pub async fn search_documents(
    session: State<'_, Arc<Session>>,
    query: SearchArgs,
) -> Result<Vec<DocumentSummary>> {
    blocking(&session, move |session| {
        session.with_vault(|vault| vault.search(&query.into_query()?))
    })
    .await
}

/// One window of the document list and the length of the whole list.
#[derive(Debug, Serialize, TS)]
pub struct DocumentPage {
    pub total: u64,
    pub documents: Vec<DocumentSummary>,
}

/// The list's rows from `query.offset`, at most `query.limit` of them, and how many match in
/// all: the window asks for what is on screen, never for every summary.
#[tauri::command]
pub async fn list_documents(
    session: State<'_, Arc<Session>>,
    query: SearchArgs,
) -> Result<DocumentPage> {
    blocking(&session, move |session| {
        session.with_vault(|vault| {
            let query = query.into_query()?;
            Ok(DocumentPage {
                total: vault.count(&query)?,
                documents: vault.search(&query)?,
            })
        })
    })
    .await
}

#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ImportResult {
    Imported {
        document: DocumentSummary,
    },
    Duplicate {
        existing_id: String,
    },
    /// This file could not be imported (gone, empty, a folder, changed while read); the
    /// others were.
    Failed {
        error: CommandError,
    },
}

/// What `import_files` did: an answer for each file up to where it stopped, and why it
/// stopped when the vault itself failed (a full disk): the files without an answer are not in.
#[derive(Debug, Serialize, TS)]
pub struct ImportedFiles {
    pub answers: Vec<ImportResult>,
    pub stopped: Option<CommandError>,
}

/// Encrypts files into the vault in batches (one commit each), answering each file. The web
/// view sends a few dozen at a time, so it can show progress between calls.
#[tauri::command]
pub async fn import_files(
    session: State<'_, Arc<Session>>,
    paths: Vec<PathBuf>,
    kind: Option<DocumentKind>,
) -> Result<ImportedFiles> {
    blocking(&session, move |session| {
        // "Import as" is chosen for a whole batch: a starting point, not a confirmation.
        let options = ImportOptions {
            kind_hint: kind,
            ..ImportOptions::default()
        };
        let mut results = Vec::with_capacity(paths.len());
        let stored = session.with_vault(|vault| {
            vault.import_many(&paths, &options, |answers| {
                results.extend(answers.iter().map(|(_, answer)| match answer {
                    Ok(ImportOutcome::Imported(document)) => ImportResult::Imported {
                        document: document.clone(),
                    },
                    Ok(ImportOutcome::Duplicate(id)) => ImportResult::Duplicate {
                        existing_id: id.to_string(),
                    },
                    Err(e) => ImportResult::Failed { error: e.into() },
                }));
            })
        });
        Ok(ImportedFiles {
            answers: results,
            stopped: stored.err(),
        })
    })
    .await
}

#[tauri::command]
pub async fn get_document(session: State<'_, Arc<Session>>, id: String) -> Result<Document> {
    session.with_vault(|vault| vault.document(document_id(vault, &id)?))
}

/// The decrypted file, as raw bytes (no JSON), for the preview.
#[tauri::command]
pub async fn document_content(session: State<'_, Arc<Session>>, id: String) -> Result<Response> {
    blocking(&session, move |session| {
        session.with_vault(|vault| {
            let mut bytes = Vec::new();
            vault.read_content(document_id(vault, &id)?, &mut bytes)?;
            Ok(Response::new(bytes))
        })
    })
    .await
}

/// A person's corrections. Every field given becomes confirmed; an empty string clears it.
#[derive(Debug, Default, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields = nullable)]
pub struct EditArgs {
    pub kind: Option<DocumentKind>,
    pub title: Option<String>,
    pub merchant: Option<String>,
    pub date: Option<String>,
    pub total: Option<String>,
    pub currency: Option<String>,
    pub document_number: Option<String>,
    pub variable_symbol: Option<String>,
    pub ico: Option<String>,
    pub vat_id: Option<String>,
    pub payment_method: Option<String>,
    pub category: Option<String>,
    pub notes: Option<String>,
    pub expiry: Option<String>,
    #[ts(as = "Option<_>", optional)]
    pub add_tags: Vec<String>,
    #[ts(as = "Option<_>", optional)]
    pub remove_tags: Vec<String>,
    #[ts(as = "Option<_>", optional)]
    pub confirm: Vec<Field>,
}

impl EditArgs {
    fn into_edit(self) -> coffer_core::Result<DocumentEdit> {
        let date = |text: Option<String>| {
            text.map(|t| {
                if t.trim().is_empty() {
                    Ok(None)
                } else {
                    parse_date(&t).map(Some)
                }
            })
            .transpose()
        };
        Ok(DocumentEdit {
            kind: self.kind,
            title: self.title,
            merchant: self.merchant,
            issue_date: date(self.date)?,
            total: self.total,
            currency: non_empty(self.currency)
                .map(|c| c.parse::<Currency>())
                .transpose()?,
            document_number: self.document_number,
            variable_symbol: self.variable_symbol,
            ico: self.ico,
            vat_id: self.vat_id,
            payment_method: self.payment_method,
            category: self.category,
            notes: self.notes,
            expiry: date(self.expiry)?,
            add_tags: self.add_tags,
            remove_tags: self.remove_tags,
            confirm: self.confirm,
        })
    }
}

#[tauri::command]
pub async fn edit_document(
    session: State<'_, Arc<Session>>,
    id: String,
    edit: EditArgs,
) -> Result<Document> {
    session.with_vault(|vault| {
        let id = document_id(vault, &id)?;
        vault.edit(id, &edit.into_edit()?)
    })
}

#[tauri::command]
pub async fn trash_document(session: State<'_, Arc<Session>>, id: String) -> Result<()> {
    session.with_vault(|vault| vault.trash(document_id(vault, &id)?))
}

#[tauri::command]
pub async fn untrash_document(session: State<'_, Arc<Session>>, id: String) -> Result<()> {
    session.with_vault(|vault| vault.untrash(document_id(vault, &id)?))
}

/// The Settings screen's figures: sizes of every file, so off the window's thread.
#[tauri::command]
pub async fn vault_info(session: State<'_, Arc<Session>>) -> Result<VaultInfo> {
    blocking(&session, |session| session.with_vault(|vault| vault.info())).await
}

/// One problem `verify` found, as the window lists it (the engine's words and advice).
#[derive(Debug, Serialize, TS)]
pub struct VaultProblem {
    /// The document it concerns, when there is one.
    pub id: Option<String>,
    pub text: String,
    /// `Problem::kind`: the window words the advice in the person's language by it.
    pub kind: &'static str,
    pub advice: &'static str,
}

/// Documents a verification checks per turn of the session's lock, and the pause between
/// turns: a quick check of 100,000 documents takes about 12 s of work, spread over twice that.
const VERIFY_SLICE: usize = 100;
const VERIFY_PAUSE: std::time::Duration = std::time::Duration::from_millis(10);
/// The check waits while the person used the vault this recently: scrolling the list asks for
/// rows every few frames, and each would share the cores and the lock with a slice.
const VERIFY_GIVE_WAY: std::time::Duration = std::time::Duration::from_millis(400);

/// The vault's health: `quick` checks the database, headers, sizes and references (run in the
/// background after every unlock), otherwise every chunk of every document too.
#[tauri::command]
pub async fn verify_vault(
    session: State<'_, Arc<Session>>,
    quick: bool,
) -> Result<Vec<VaultProblem>> {
    blocking(&session, move |session| {
        // A slice of documents at a time, each under the session's lock on its own, so the
        // list and everything else go on meanwhile (a quick check of 100,000 documents takes
        // seconds).
        let mut run = session.with_vault(|vault| vault.begin_verify(quick))?;
        while session.with_vault_in_background(|vault| vault.verify_next(&mut run, VERIFY_SLICE))? {
            // Out of the way of what the person does: the lock and a core are free a moment,
            // and for as long as they are busy with the vault.
            std::thread::sleep(VERIFY_PAUSE);
            while session.idle_for() < VERIFY_GIVE_WAY {
                std::thread::sleep(VERIFY_GIVE_WAY / 4);
            }
        }
        let report = session.with_vault_in_background(|vault| vault.finish_verify(run))?;
        Ok(report
            .problems
            .iter()
            .map(|problem| {
                use coffer_core::Problem as P;
                let id = match problem {
                    P::Damaged { id, .. } | P::Missing { id, .. } | P::Undescribed { id, .. } => {
                        Some(id.to_string())
                    }
                    P::Unreferenced { document, .. } => document.map(|id| id.to_string()),
                    P::Database { .. } | P::Journal { .. } => None,
                };
                VaultProblem {
                    id,
                    text: problem.to_string(),
                    kind: problem.kind(),
                    advice: problem.advice(),
                }
            })
            .collect())
    })
    .await
}

#[tauri::command]
pub async fn get_settings(session: State<'_, Arc<Session>>) -> Result<Settings> {
    Ok(session.settings())
}

/// Saves the preferences; a new OCR language list is tried first, and the watched folder
/// follows the new choice at once.
#[tauri::command]
pub async fn save_settings<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    session: State<'_, Arc<Session>>,
    settings: Settings,
) -> Result<Settings> {
    let settings = settings.clamped();
    if settings.ocr_languages != session.settings().ocr_languages {
        let languages = settings.ocr_languages.clone();
        tauri::async_runtime::spawn_blocking(move || coffer_ocr::check_languages(&languages))
            .await
            .map_err(|e| CommandError::new("internal", format!("the command stopped: {e}")))?
            .map_err(CommandError::from)?;
    }
    let saved = session.save_settings(settings)?;
    crate::watcher::follow_settings(&app, &saved)?;
    Ok(saved)
}
