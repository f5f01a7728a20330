//! Full backups as an open format: a plain tar archive (a JSON manifest plus every original
//! file, stored as it is) encrypted with **age** to a passphrase or X25519 recipients, so the
//! standard `age` tool and `tar` recover everything without Coffer. Backups and restores
//! stream; only the manifest (fields and OCR text, no file content) is held in memory.
//! The layout and the manifest schema are documented in `docs/backup-format.md`.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::clock::Clock;
use crate::crypto::kdf::KdfParams;
use crate::crypto::keys::RecoveryPhrase;
use crate::document::{Document, DocumentFields, DocumentId, Field, FieldState, FileInfo};
use crate::error::Error;
use crate::reminders::ReminderPlan;
use crate::search::{SearchQuery, TrashFilter};
use crate::store::DOCUMENT_CACHE;
use crate::vault::{Describe, StagedContent, Vault};

/// The manifest's `format` value.
pub const MANIFEST_FORMAT: &str = "coffer-backup";
/// The manifest version this Coffer writes and the newest it reads.
pub const MANIFEST_VERSION: u32 = 1;
/// The directory every entry of a backup lives in.
pub const ROOT_DIR: &str = "coffer-backup";
const MANIFEST_NAME: &str = "manifest.json";
/// The vault's clear header (wrapped keys only), so a restore can recreate the same vault.
const HEADER_NAME: &str = "vault.json";
const README_NAME: &str = "README.txt";
const DOCUMENTS_DIR: &str = "documents";
/// A manifest holds fields and OCR text only; anything larger is not one of ours.
const MAX_MANIFEST_BYTES: u64 = 1 << 30;
const MAX_FILE_NAME_BYTES: usize = 180;

const README: &str = "\
This is a Coffer backup: the whole vault, decrypted, in an open format.

  manifest.json              every document's fields, OCR text, dates and settings
                             (schema: docs/backup-format.md in the Coffer sources)
  vault.json                 the vault's header: its id and its key, wrapped by the vault
                             password and the recovery phrase (nothing readable without them)
  documents/<id>/<file>      each original file, exactly as it was imported

Restore it into a new vault with:  coffer --vault NEW_DIR restore BACKUP.age
Keep this folder private: it is not encrypted.
";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{} already exists; choose a new file name for the backup (nothing was written)", .0.display())]
    OutputExists(PathBuf),

    #[error(
        "`{0}` is not an age recipient; give a public key starting with `age1` (print it with \
         `age-keygen -y KEYFILE`)"
    )]
    InvalidRecipient(String),

    #[error(
        "the identity file {} cannot be used ({reason}); give a key file written by `age-keygen`",
        path.display()
    )]
    InvalidIdentity { path: PathBuf, reason: String },

    #[error(
        "{} is not an age-encrypted file ({reason}); give the .age file the backup wrote",
        path.display()
    )]
    NotAgeFile { path: PathBuf, reason: String },

    #[error(
        "this backup is protected by a passphrase, not a key; run restore without --identity \
         and give the passphrase"
    )]
    NeedsPassphrase,

    #[error(
        "this backup is encrypted to an age key; give the matching key file with \
         --identity KEYFILE"
    )]
    NeedsIdentity,

    #[error(
        "the passphrase does not open this backup; check it and try again (nothing was restored)"
    )]
    WrongPassphrase,

    #[error(
        "no key in {} opens this backup; give the key file whose public key the backup was made \
         for (nothing was restored)", .0.display()
    )]
    WrongIdentity(PathBuf),

    #[error(
        "the backup is damaged: {0}. It was truncated or altered after it was written; nothing \
         was restored. Use another copy of the backup"
    )]
    Damaged(String),

    #[error(
        "this is not a Coffer backup ({0}); nothing was restored. Give a file written by \
         `coffer backup`, or a tar archive with Coffer's manifest.json"
    )]
    NotABackup(String),

    #[error(
        "this backup uses format version {found}, but this Coffer reads versions up to \
         {supported}; update Coffer to restore it"
    )]
    UnsupportedVersion { found: u32, supported: u32 },

    #[error(
        "this backup does not carry its vault's header (vault.json, written by Coffer since \
         version 0.2); restore it as a new vault instead (nothing was restored)"
    )]
    NoVaultHeader,

    #[error("the scrypt passphrase work factor is too high for this device: {0}")]
    ExcessiveWork(String),

    #[error(transparent)]
    Vault(#[from] Error),
}

type Result<T> = std::result::Result<T, BackupError>;

/// How a backup is encrypted.
pub enum BackupEncryption {
    /// A passphrase a person chose (age's scrypt recipient).
    Passphrase(SecretString),
    /// One or more X25519 public keys (`age1…`).
    Recipients(Vec<age::x25519::Recipient>),
}

impl BackupEncryption {
    /// Parses `age1…` public keys.
    pub fn recipients<S: AsRef<str>>(keys: &[S]) -> Result<Self> {
        let parsed = keys
            .iter()
            .map(|k| {
                k.as_ref()
                    .trim()
                    .parse::<age::x25519::Recipient>()
                    .map_err(|_| BackupError::InvalidRecipient(k.as_ref().to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        if parsed.is_empty() {
            return Err(BackupError::InvalidRecipient(String::new()));
        }
        Ok(Self::Recipients(parsed))
    }

    fn encryptor(&self) -> age::Encryptor {
        match self {
            Self::Passphrase(passphrase) => {
                age::Encryptor::with_user_passphrase(passphrase.clone())
            }
            Self::Recipients(keys) => {
                age::Encryptor::with_recipients(keys.iter().map(|k| k as &dyn age::Recipient))
                    .expect("X25519 recipients always combine")
            }
        }
    }
}

/// What opens a backup.
pub enum RestoreKey {
    Passphrase(SecretString),
    /// A file of age identities (`AGE-SECRET-KEY-1…`), as `age-keygen` writes.
    IdentityFile(PathBuf),
}

/// The vault a restore creates.
pub struct NewVault<'a> {
    /// The new vault's password; with `phrase: None`, the password the backed-up vault had.
    pub password: &'a SecretString,
    pub params: KdfParams,
    /// A new vault with this recovery phrase (and a new vault key); `None` recreates the
    /// backed-up vault itself from the header the backup carries: same vault id, key and
    /// recovery phrase, so it syncs with its account again.
    pub phrase: Option<&'a RecoveryPhrase>,
    pub clock: Arc<dyn Clock>,
}

/// How far a backup or restore has come, for progress displays.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub done_bytes: u64,
    pub total_bytes: u64,
}

#[derive(Clone, Debug)]
pub struct BackupSummary {
    pub documents: usize,
    pub content_bytes: u64,
    /// Documents left out because their content does not verify: (id, title, why).
    pub left_out: Vec<(DocumentId, String, String)>,
}

#[derive(Clone, Debug)]
pub struct RestoreSummary {
    pub documents: usize,
    pub content_bytes: u64,
    /// Things that were skipped, for the user to know (e.g. files the manifest does not list).
    pub notes: Vec<String>,
}

/// The manifest: everything but the file contents. See `docs/backup-format.md`.
#[derive(Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default)]
    pub generator: Option<String>,
    #[serde(default)]
    pub source_vault_id: Option<Uuid>,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    pub documents: Vec<ManifestDocument>,
}

/// One document in the manifest.
#[derive(Serialize, Deserialize)]
pub struct ManifestDocument {
    pub id: DocumentId,
    /// The original file inside the archive, relative to the manifest: `documents/<id>/<name>`.
    pub path: String,
    pub file: FileInfo,
    pub fields: DocumentFields,
    #[serde(default)]
    pub field_states: BTreeMap<Field, FieldState>,
    #[serde(default)]
    pub ocr_text: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub trashed_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub reminders: Option<ReminderPlan>,
}

/// A file name safe to extract anywhere: no separators, no control characters, no `..`,
/// at most `MAX_FILE_NAME_BYTES` bytes (the extension kept).
pub(crate) fn safe_file_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        return fallback.to_string();
    }
    if cleaned.len() <= MAX_FILE_NAME_BYTES {
        return cleaned;
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 16 => (stem, format!(".{ext}")),
        _ => (cleaned.as_str(), String::new()),
    };
    let mut end = MAX_FILE_NAME_BYTES - ext.len();
    while !stem.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ext}", &stem[..end])
}

fn document_path(id: DocumentId, name: &str) -> String {
    format!("{DOCUMENTS_DIR}/{id}/{}", safe_file_name(name, "document"))
}

fn unix_time(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap_or(0)
}

/// Counts what passes through, so a document's bytes are checked against its tar header.
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn regular_header(size: u64, mtime: OffsetDateTime) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o600);
    header.set_uid(0);
    header.set_gid(0);
    header.set_size(size);
    header.set_mtime(unix_time(mtime));
    header
}

/// Appends an entry whose content `fill` streams in; `fill` must write exactly `size` bytes.
fn append_streamed<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    size: u64,
    mtime: OffsetDateTime,
    fill: impl FnOnce(&mut dyn Write) -> std::result::Result<u64, Error>,
) -> Result<()> {
    let mut header = regular_header(size, mtime);
    // With an empty reader the builder writes only the header (and any long-name entry);
    // the content follows straight from the vault, never buffered whole.
    tar.append_data(&mut header, path, io::empty())
        .map_err(|e| Error::io("writing the backup", e))?;
    let mut counting = Counting {
        inner: tar.get_mut(),
        count: 0,
    };
    fill(&mut counting)?;
    if counting.count != size {
        return Err(Error::Integrity(format!(
            "{path} has {} bytes, but its record says {size}",
            counting.count
        ))
        .into());
    }
    let pad = (512 - size % 512) % 512;
    tar.get_mut()
        .write_all(&[0u8; 512][..pad as usize])
        .map_err(|e| Error::io("writing the backup", e))?;
    Ok(())
}

fn append_bytes<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    bytes: &[u8],
    mtime: OffsetDateTime,
) -> Result<()> {
    let mut header = regular_header(bytes.len() as u64, mtime);
    tar.append_data(&mut header, path, bytes)
        .map_err(|e| Error::io("writing the backup", e).into())
}

/// Everything about the vault except file contents, in manifest form.
pub fn manifest(vault: &Vault) -> Result<Manifest> {
    manifest_without(vault, &std::collections::HashSet::new())
}

/// The manifest without the documents in `left_out`.
fn manifest_without(
    vault: &Vault,
    left_out: &std::collections::HashSet<DocumentId>,
) -> Result<Manifest> {
    let all = SearchQuery {
        trash: TrashFilter::Include,
        ..SearchQuery::default()
    };
    let plans = vault.store().reminder_plans()?;
    let mut documents = Vec::new();
    // Oldest first reads naturally in the manifest and in `tar tv`.
    for summary in vault.search(&all)?.into_iter().rev() {
        if left_out.contains(&summary.id) {
            continue;
        }
        let doc = vault.document(summary.id)?;
        documents.push(ManifestDocument {
            id: doc.id,
            path: document_path(doc.id, &doc.file.name),
            reminders: plans.get(&doc.id).cloned(),
            file: doc.file,
            fields: doc.fields,
            field_states: doc.field_states,
            ocr_text: doc.ocr_text,
            imported_at: doc.imported_at,
            updated_at: doc.updated_at,
            trashed_at: doc.trashed_at,
        });
    }
    Ok(Manifest {
        format: MANIFEST_FORMAT.into(),
        version: MANIFEST_VERSION,
        created_at: vault.clock().now(),
        generator: Some(format!("coffer {}", env!("CARGO_PKG_VERSION"))),
        source_vault_id: Some(vault.info()?.vault_id),
        // Per-document caches are derived data, made again when needed.
        settings: vault
            .store()
            .settings()?
            .into_iter()
            .filter(|(key, _)| !key.starts_with(DOCUMENT_CACHE))
            .collect(),
        documents,
    })
}

/// The vault setting holding when the last backup was written (RFC 3339).
const LAST_BACKUP_SETTING: &str = "backup.last";

/// Remembers that a backup of this vault was written now, for "last backup" in the app and
/// its reminder when the last one is old.
pub fn record_backup(vault: &mut Vault) -> Result<()> {
    let now = vault
        .clock()
        .now()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| Error::InvalidInput(format!("the clock's time: {e}")))?;
    Ok(vault.set_setting(LAST_BACKUP_SETTING, Some(&now))?)
}

/// When the last backup of this vault was written (by the CLI or the app), if ever.
pub fn last_backup(vault: &Vault) -> Result<Option<OffsetDateTime>> {
    Ok(vault.setting(LAST_BACKUP_SETTING)?.and_then(|text| {
        OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).ok()
    }))
}

/// Writes the whole vault to `out` (which must not exist yet) as an age-encrypted tar. The
/// file appears only when complete; on any error nothing is left behind.
pub fn write_backup(
    vault: &Vault,
    encryption: &BackupEncryption,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<BackupSummary> {
    if out.exists() {
        return Err(BackupError::OutputExists(out.to_path_buf()));
    }
    // Every document's content is checked first: one that does not verify is left out (and
    // listed), so a damaged file never costs the backup of the rest.
    let mut left_out = Vec::new();
    for id in vault.document_ids()? {
        if let Err(e) = vault.read_content(id, io::sink()) {
            match e {
                Error::DocumentDamaged { reason, .. } => {
                    left_out.push((id, vault.document(id)?.fields.title, reason));
                }
                // Locked by the plan: not exportable, so not in a backup either (SPEC §6).
                Error::DocumentLocked { purge, .. } => left_out.push((
                    id,
                    vault.document(id)?.fields.title,
                    format!("locked by the plan (deleted {purge} unless renewed)"),
                )),
                other => return Err(other.into()),
            }
        }
    }
    let excluded = left_out.iter().map(|(id, _, _)| *id).collect();
    let manifest = manifest_without(vault, &excluded)?;
    let manifest_json = serde_json::to_vec_pretty(&manifest).expect("the manifest serialises");
    let total_bytes: u64 = manifest.documents.iter().map(|d| d.file.size).sum();

    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".coffer-backup-")
        .tempfile_in(parent)
        .map_err(|e| Error::io(format!("writing to {}", parent.display()), e))?;
    let sink = BufWriter::with_capacity(1 << 20, tmp.as_file());
    let encrypted = encryption
        .encryptor()
        .wrap_output(sink)
        .map_err(|e| Error::io("writing the backup", e))?;
    let mut tar = tar::Builder::new(encrypted);
    let now = manifest.created_at;
    append_bytes(
        &mut tar,
        &format!("{ROOT_DIR}/{README_NAME}"),
        README.as_bytes(),
        now,
    )?;
    append_bytes(
        &mut tar,
        &format!("{ROOT_DIR}/{MANIFEST_NAME}"),
        &manifest_json,
        now,
    )?;
    append_bytes(
        &mut tar,
        &format!("{ROOT_DIR}/{HEADER_NAME}"),
        &vault.header_json(),
        now,
    )?;
    let mut done = 0u64;
    progress(Progress {
        done_bytes: 0,
        total_bytes,
    });
    for doc in &manifest.documents {
        append_streamed(
            &mut tar,
            &format!("{ROOT_DIR}/{}", doc.path),
            doc.file.size,
            doc.updated_at,
            |out| vault.read_content(doc.id, out),
        )?;
        done += doc.file.size;
        progress(Progress {
            done_bytes: done,
            total_bytes,
        });
    }
    let encrypted = tar
        .into_inner()
        .map_err(|e| Error::io("writing the backup", e))?;
    let mut sink = encrypted
        .finish()
        .map_err(|e| Error::io("writing the backup", e))?;
    sink.flush()
        .map_err(|e| Error::io("writing the backup", e))?;
    drop(sink);
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("writing the backup", e))?;
    tmp.persist_noclobber(out).map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            BackupError::OutputExists(out.to_path_buf())
        } else {
            Error::io(format!("writing {}", out.display()), e.error).into()
        }
    })?;
    Ok(BackupSummary {
        documents: manifest.documents.len(),
        content_bytes: total_bytes,
        left_out,
    })
}

fn open_age(source: &Path) -> Result<age::Decryptor<BufReader<CountingReader<File>>>> {
    let file =
        File::open(source).map_err(|e| Error::io(format!("opening {}", source.display()), e))?;
    open_age_reader(source, CountingReader::new(file))
}

fn open_age_reader<R: Read>(source: &Path, reader: R) -> Result<age::Decryptor<BufReader<R>>> {
    age::Decryptor::new_buffered(BufReader::with_capacity(1 << 20, reader)).map_err(|e| match e {
        age::DecryptError::Io(e) if e.kind() != io::ErrorKind::InvalidData => {
            Error::io(format!("reading {}", source.display()), e).into()
        }
        other => BackupError::NotAgeFile {
            path: source.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// Whether the backup at `source` is protected by a passphrase (else by age keys).
pub fn is_passphrase_protected(source: &Path) -> Result<bool> {
    Ok(open_age(source)?.is_scrypt())
}

/// Counts bytes read from the backup file, for progress (read on the decrypting thread).
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            count: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// How much decrypted backup the decrypting thread keeps ready, at most.
const READ_AHEAD_CHUNKS: usize = 8;
const READ_AHEAD_CHUNK: usize = 1 << 20;

/// The backup's decrypted bytes, produced by a thread of their own: age's decryption runs
/// beside the vault's encryption and writes instead of before them, in bounded memory.
struct ReadAhead {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
    /// The producer's error, answered again to every later read.
    failed: Option<(io::ErrorKind, String)>,
    done: bool,
}

impl ReadAhead {
    fn spawn<'scope, R: Read + Send + 'scope>(
        scope: &'scope thread::Scope<'scope, '_>,
        mut source: R,
    ) -> Self {
        let (send, chunks) = mpsc::sync_channel(READ_AHEAD_CHUNKS);
        scope.spawn(move || {
            loop {
                let mut chunk = vec![0u8; READ_AHEAD_CHUNK];
                let read = match crate::crypto::stream::read_full(&mut source, &mut chunk) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                };
                chunk.truncate(read);
                let last = read == 0;
                // The restore stopped (it failed, or has what it needs): so do we.
                if send.send(Ok(chunk)).is_err() || last {
                    return;
                }
            }
        });
        Self {
            chunks,
            current: Vec::new(),
            at: 0,
            failed: None,
            done: false,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some((kind, text)) = &self.failed {
                return Err(io::Error::new(*kind, text.clone()));
            }
            if self.at < self.current.len() {
                let n = buf.len().min(self.current.len() - self.at);
                buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            if self.done {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => self.done = true,
                Ok(Ok(chunk)) => (self.current, self.at) = (chunk, 0),
                Ok(Err(e)) => self.failed = Some((e.kind(), e.to_string())),
                Err(mpsc::RecvError) => {
                    self.failed = Some((
                        io::ErrorKind::UnexpectedEof,
                        "the backup's decryption stopped".into(),
                    ))
                }
            }
        }
    }
}

/// Remembers whether the decrypted stream itself failed (a truncated or altered backup), so
/// errors surfacing later through tar or the vault are reported as what they are.
struct Guarded<R> {
    inner: R,
    failure: Rc<Cell<Option<io::ErrorKind>>>,
    failure_text: Rc<std::cell::RefCell<String>>,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if self.failure.get().is_none() {
                self.failure.set(Some(e.kind()));
                *self.failure_text.borrow_mut() = e.to_string();
            }
        })
    }
}

/// Where an archive entry belongs, once a leading `./` and the root directory are set aside.
enum EntryRole {
    Manifest,
    Header,
    Content(DocumentId),
    Other,
}

fn entry_role(path: &Path) -> EntryRole {
    let parts: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let rel = match parts.first().map(String::as_str) {
        Some(MANIFEST_NAME | HEADER_NAME | DOCUMENTS_DIR | README_NAME) => &parts[..],
        Some(_) => &parts[1..],
        None => &parts[..],
    };
    match rel {
        [name] if name == MANIFEST_NAME => EntryRole::Manifest,
        [name] if name == HEADER_NAME => EntryRole::Header,
        [dir, id, _name] if dir == DOCUMENTS_DIR => id
            .parse::<Uuid>()
            .ok()
            .and_then(|_| id.parse::<DocumentId>().ok())
            .map_or(EntryRole::Other, EntryRole::Content),
        _ => EntryRole::Other,
    }
}

fn identities(path: &Path) -> Result<Vec<Box<dyn age::Identity + Send + Sync>>> {
    let invalid = |reason: String| BackupError::InvalidIdentity {
        path: path.to_path_buf(),
        reason,
    };
    let file = age::IdentityFile::from_file(path.to_string_lossy().into_owned())
        .map_err(|e| invalid(e.to_string()))?;
    let list = file.into_identities().map_err(|e| invalid(e.to_string()))?;
    if list.is_empty() {
        return Err(invalid("it holds no age identity".into()));
    }
    Ok(list)
}

/// A backup whose key was accepted: ready to be restored (its content is verified while
/// it is read).
pub struct OpenedBackup {
    plain: age::stream::StreamReader<BufReader<CountingReader<File>>>,
    read_so_far: Arc<AtomicU64>,
    total_bytes: u64,
}

/// Opens a backup with its passphrase or key file. Only the age header is read, so a wrong
/// key is reported before anything else happens.
pub fn open_backup(source: &Path, key: &RestoreKey) -> Result<OpenedBackup> {
    let total_bytes = fs::metadata(source)
        .map_err(|e| Error::io(format!("reading {}", source.display()), e))?
        .len();
    let file =
        File::open(source).map_err(|e| Error::io(format!("opening {}", source.display()), e))?;
    let counting = CountingReader::new(file);
    let read_so_far = counting.count.clone();
    let decryptor = open_age_reader(source, counting)?;
    let scrypt = decryptor.is_scrypt();
    let plain = match key {
        RestoreKey::Passphrase(passphrase) => {
            if !scrypt {
                return Err(BackupError::NeedsIdentity);
            }
            let identity = age::scrypt::Identity::new(passphrase.clone());
            decryptor
                .decrypt(std::iter::once(&identity as &dyn age::Identity))
                .map_err(|e| match e {
                    age::DecryptError::ExcessiveWork { .. } => {
                        BackupError::ExcessiveWork(e.to_string())
                    }
                    age::DecryptError::InvalidMac => {
                        BackupError::Damaged("its header does not verify".into())
                    }
                    _ => BackupError::WrongPassphrase,
                })?
        }
        RestoreKey::IdentityFile(path) => {
            if scrypt {
                return Err(BackupError::NeedsPassphrase);
            }
            let ids = identities(path)?;
            decryptor
                .decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity))
                .map_err(|e| match e {
                    age::DecryptError::InvalidMac => {
                        BackupError::Damaged("its header does not verify".into())
                    }
                    _ => BackupError::WrongIdentity(path.clone()),
                })?
        }
    };
    Ok(OpenedBackup {
        plain,
        read_so_far,
        total_bytes,
    })
}

impl OpenedBackup {
    /// Rebuilds a vault in `target` (new or empty) from the backup: ours, or any tar archive
    /// with our layout that the `age` tool encrypted. The vault is assembled in a hidden
    /// directory beside `target` and moved into place only when everything verified; on any
    /// error nothing is left behind.
    pub fn restore_into(
        self,
        target: &Path,
        new_vault: NewVault<'_>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<RestoreSummary> {
        let Self {
            plain,
            read_so_far,
            total_bytes,
        } = self;
        thread::scope(|scope| {
            let plain = ReadAhead::spawn(scope, plain);
            restore_stream(plain, read_so_far, total_bytes, target, new_vault, progress)
        })
    }
}

/// `open_backup` and `restore_into` in one step.
pub fn restore_backup(
    source: &Path,
    key: &RestoreKey,
    target: &Path,
    new_vault: NewVault<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreSummary> {
    Vault::check_new_location(target)?;
    open_backup(source, key)?.restore_into(target, new_vault, progress)
}

fn restore_stream(
    plain: impl Read,
    read_so_far: Arc<AtomicU64>,
    total_bytes: u64,
    target: &Path,
    new_vault: NewVault<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreSummary> {
    Vault::check_new_location(target)?;
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let staging = tempfile::Builder::new()
        .prefix(".coffer-restore-")
        .tempdir_in(parent)
        .map_err(|e| Error::io(format!("writing to {}", parent.display()), e))?;
    let mut vault = Target {
        dir: staging.path().to_path_buf(),
        new_vault,
        header: None,
        vault: None,
    };

    let failure = Rc::new(Cell::new(None));
    let failure_text = Rc::new(std::cell::RefCell::new(String::new()));
    let mut guarded = Guarded {
        inner: plain,
        failure: failure.clone(),
        failure_text: failure_text.clone(),
    };
    let damaged_or = |other: BackupError| -> BackupError {
        if failure.get().is_some() {
            BackupError::Damaged(failure_text.borrow().clone())
        } else {
            other
        }
    };

    let summary = read_archive(&mut guarded, &mut vault, &mut |_| {
        progress(Progress {
            done_bytes: read_so_far.load(Ordering::Relaxed),
            total_bytes,
        })
    })
    .and_then(|summary| {
        // The archive may end before the age stream does; reading on to the end is what
        // proves the file was not cut short after the archive's last block.
        io::copy(&mut guarded, &mut io::sink()).map_err(|e| BackupError::Damaged(e.to_string()))?;
        Ok(summary)
    })
    .map_err(damaged_or)?;
    drop(vault);
    progress(Progress {
        done_bytes: total_bytes,
        total_bytes,
    });

    let staged_dir = staging.keep();
    if let Err(e) = fs::rename(&staged_dir, target) {
        let _ = fs::remove_dir_all(&staged_dir);
        return Err(Error::io(
            format!("moving the restored vault to {}", target.display()),
            e,
        )
        .into());
    }
    Ok(summary)
}

/// The vault a restore fills, made when the first thing to put in it arrives: a new one, or
/// the backed-up vault itself from the header the backup carries before its documents.
struct Target<'a> {
    dir: PathBuf,
    new_vault: NewVault<'a>,
    header: Option<Vec<u8>>,
    vault: Option<Vault>,
}

impl Target<'_> {
    fn vault(&mut self) -> Result<&mut Vault> {
        if self.vault.is_none() {
            let nv = &self.new_vault;
            let vault = match (nv.phrase, &self.header) {
                (Some(phrase), _) => {
                    Vault::create(&self.dir, nv.password, nv.params, phrase, nv.clock.clone())?
                }
                (None, Some(header)) => {
                    Vault::recreate(&self.dir, header, nv.password, nv.params, nv.clock.clone())?
                }
                (None, None) => return Err(BackupError::NoVaultHeader),
            };
            self.vault = Some(vault);
        }
        Ok(self.vault.as_mut().expect("made above"))
    }
}

/// Reads the tar stream into `target`: contents are staged as they come, the manifest is
/// parsed whenever it comes, and documents are committed once both are there.
fn read_archive(
    plain: &mut dyn Read,
    target: &mut Target<'_>,
    progress: &mut dyn FnMut(()),
) -> Result<RestoreSummary> {
    let mut archive = tar::Archive::new(plain);
    let mut manifest: Option<Manifest> = None;
    let mut staged: HashMap<DocumentId, StagedContent> = HashMap::new();
    let mut notes = Vec::new();
    let not_tar = |e: io::Error| BackupError::NotABackup(format!("not a tar archive: {e}"));
    for entry in archive.entries().map_err(not_tar)? {
        let mut entry = entry.map_err(not_tar)?;
        let path = entry.path().map_err(not_tar)?.into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        let role = entry_role(&path);
        if !kind.is_file() {
            notes.push(format!("skipped {} (not a regular file)", path.display()));
            continue;
        }
        match role {
            EntryRole::Manifest => {
                if manifest.is_some() {
                    return Err(BackupError::NotABackup("it has two manifests".into()));
                }
                let mut text = Vec::new();
                (&mut entry)
                    .take(MAX_MANIFEST_BYTES + 1)
                    .read_to_end(&mut text)
                    .map_err(|e| Error::io("reading the manifest", e))?;
                manifest = Some(parse_manifest(&text)?);
            }
            EntryRole::Header => {
                let mut text = Vec::new();
                (&mut entry)
                    .take(1 << 20)
                    .read_to_end(&mut text)
                    .map_err(|e| Error::io("reading the vault header", e))?;
                target.header = Some(text);
            }
            EntryRole::Content(id) => {
                if staged.contains_key(&id) {
                    return Err(BackupError::NotABackup(format!(
                        "it holds two files for document {id}"
                    )));
                }
                let size = entry.header().size().map_err(not_tar)?;
                let vault = target.vault()?;
                // Our backups list their documents first; the commit's journal record has the
                // fields in any case.
                let known = manifest
                    .as_ref()
                    .and_then(|m| m.documents.iter().find(|d| d.id == id));
                let name = path
                    .file_name()
                    .map_or_else(|| "document".into(), |n| n.to_string_lossy().into_owned());
                let (file, fields, states, imported_at) = match known {
                    Some(d) => (
                        d.file.clone(),
                        d.fields.clone(),
                        d.field_states.clone(),
                        d.imported_at,
                    ),
                    None => (
                        FileInfo {
                            media_type: "application/octet-stream".into(),
                            name: name.clone(),
                            size,
                        },
                        DocumentFields::new(crate::document::DocumentKind::Other, name),
                        BTreeMap::new(),
                        vault.clock().now(),
                    ),
                };
                let content = vault.stage_content(
                    id,
                    size,
                    &mut entry,
                    Describe {
                        file: &file,
                        fields: &fields,
                        field_states: &states,
                        imported_at,
                        content_hash: None,
                    },
                )?;
                staged.insert(id, content);
            }
            EntryRole::Other => {
                if !path.ends_with(README_NAME) {
                    notes.push(format!(
                        "skipped {} (not part of a Coffer backup)",
                        path.display()
                    ));
                }
            }
        }
        progress(());
    }
    let manifest = manifest.ok_or_else(|| BackupError::NotABackup("no manifest.json".into()))?;
    let vault = target.vault()?;

    let mut content_bytes = 0;
    for doc in &manifest.documents {
        let content = staged.remove(&doc.id).ok_or_else(|| {
            BackupError::Damaged(format!(
                "the file of document {} ({}) is missing",
                doc.id, doc.path
            ))
        })?;
        if content.size() != doc.file.size {
            return Err(BackupError::Damaged(format!(
                "{} has {} bytes, but the manifest says {}",
                doc.path,
                content.size(),
                doc.file.size
            )));
        }
        let document = Document {
            id: doc.id,
            fields: doc.fields.clone(),
            field_states: doc.field_states.clone(),
            ocr_text: doc.ocr_text.clone(),
            file: doc.file.clone(),
            imported_at: doc.imported_at,
            updated_at: doc.updated_at,
            trashed_at: doc.trashed_at,
        };
        vault.commit_restored(&document, &content)?;
        if let Some(plan) = &doc.reminders {
            vault.store_mut().set_reminder_plan(doc.id, Some(plan))?;
        }
        content_bytes += doc.file.size;
    }
    for (id, content) in staged.drain() {
        notes.push(format!(
            "skipped the file of {id}: the manifest does not list that document"
        ));
        vault.discard_staged(content)?;
    }
    for (key, value) in &manifest.settings {
        vault.store_mut().set_setting(key, Some(value))?;
    }
    Ok(RestoreSummary {
        documents: manifest.documents.len(),
        content_bytes,
        notes,
    })
}

fn parse_manifest(text: &[u8]) -> Result<Manifest> {
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(BackupError::NotABackup("manifest.json is too large".into()));
    }
    #[derive(Deserialize)]
    struct Head {
        format: String,
        version: u32,
    }
    let head: Head = serde_json::from_slice(text)
        .map_err(|e| BackupError::NotABackup(format!("manifest.json is not valid: {e}")))?;
    if head.format != MANIFEST_FORMAT {
        return Err(BackupError::NotABackup(format!(
            "manifest.json says format `{}`",
            head.format
        )));
    }
    if head.version > MANIFEST_VERSION || head.version == 0 {
        return Err(BackupError::UnsupportedVersion {
            found: head.version,
            supported: MANIFEST_VERSION,
        });
    }
    serde_json::from_slice(text)
        .map_err(|e| BackupError::NotABackup(format!("manifest.json is not valid: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives `good` bytes, then fails.
    struct FailsAfter {
        good: io::Cursor<Vec<u8>>,
    }

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.good.read(buf)? {
                0 => Err(io::Error::new(io::ErrorKind::InvalidData, "tag mismatch")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn read_ahead_gives_every_byte_in_order_and_then_the_source_error_every_time() {
        let bytes: Vec<u8> = (0..(5 * READ_AHEAD_CHUNK + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let read = thread::scope(|scope| {
            let mut out = Vec::new();
            ReadAhead::spawn(scope, io::Cursor::new(bytes.clone()))
                .read_to_end(&mut out)
                .unwrap();
            out
        });
        assert_eq!(read, bytes);

        thread::scope(|scope| {
            let mut ahead = ReadAhead::spawn(
                scope,
                FailsAfter {
                    good: io::Cursor::new(vec![1u8; 3000]),
                },
            );
            let mut out = Vec::new();
            let err = ahead.read_to_end(&mut out).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
            assert!(out.len() <= 3000);
            assert_eq!(
                ahead.read(&mut [0u8; 8]).unwrap_err().to_string(),
                "tag mismatch"
            );
        });
    }

    #[test]
    fn read_ahead_stops_its_thread_when_the_reader_is_dropped_early() {
        // An endless source: the scope only ends if the thread notices nobody reads any more.
        thread::scope(|scope| {
            let mut ahead = ReadAhead::spawn(scope, io::repeat(7));
            let mut first = [0u8; 10];
            ahead.read_exact(&mut first).unwrap();
            assert_eq!(first, [7u8; 10]);
        });
    }

    #[test]
    fn file_names_are_made_safe_to_extract() {
        assert_eq!(safe_file_name("../../etc/passwd", "x"), "_.._etc_passwd");
        assert_eq!(safe_file_name("účtenka 1.pdf", "x"), "účtenka 1.pdf");
        assert_eq!(safe_file_name("..", "document"), "document");
        assert_eq!(safe_file_name("a\nb", "x"), "a_b");
        let long = format!("{}.pdf", "ž".repeat(200));
        let safe = safe_file_name(&long, "x");
        assert!(safe.len() <= MAX_FILE_NAME_BYTES);
        assert!(safe.ends_with(".pdf"));
    }

    #[test]
    fn entries_are_recognised_with_or_without_a_root_directory() {
        let id = DocumentId::random();
        for path in [
            format!("coffer-backup/documents/{id}/a.pdf"),
            format!("./documents/{id}/a.pdf"),
            format!("backup-2024/documents/{id}/a.pdf"),
        ] {
            assert!(matches!(entry_role(Path::new(&path)), EntryRole::Content(got) if got == id));
        }
        assert!(matches!(
            entry_role(Path::new("coffer-backup/manifest.json")),
            EntryRole::Manifest
        ));
        assert!(matches!(
            entry_role(Path::new("manifest.json")),
            EntryRole::Manifest
        ));
        assert!(matches!(
            entry_role(Path::new("coffer-backup/documents/not-an-id/a.pdf")),
            EntryRole::Other
        ));
    }

    #[test]
    fn a_manifest_from_a_newer_coffer_is_refused_with_its_version() {
        let text = br#"{"format":"coffer-backup","version":7,"created_at":"2024-01-01T00:00:00Z","documents":[]}"#;
        assert!(matches!(
            parse_manifest(text),
            Err(BackupError::UnsupportedVersion { found: 7, .. })
        ));
        let other = br#"{"format":"something","version":1}"#;
        assert!(matches!(
            parse_manifest(other),
            Err(BackupError::NotABackup(_))
        ));
    }
}
