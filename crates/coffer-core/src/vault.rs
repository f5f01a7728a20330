//! A vault on disk: `vault.json` (format version, KDF record, the vault key wrapped by the
//! password and by the recovery phrase, and which database belongs to it at which
//! generation), `vault.db` (the SQLCipher store), `blobs/` (the encrypted files, each
//! describing itself) and `journal/` (every committed change, sealed). `LockedVault` is what
//! can be known without a password; `Vault` is open.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;
use uuid::Uuid;

use crate::blobs::{BlobName, BlobStore, fsync_dir};
use crate::clock::{Clock, SystemClock};
use crate::crypto::envelope::Purpose;
use crate::crypto::kdf::{KdfParams, KdfRecord};
use crate::crypto::keys::{
    DataKey, KeyEncryptionKey, RecoveryPhrase, SubKey, SubKeyPurpose, VaultKey,
};
use crate::crypto::stream::{self, DEFAULT_CHUNK_LOG2, StreamContext};
use crate::description::BlobDescription;
use crate::document::{
    CompanyIds, Currency, Document, DocumentFields, DocumentId, DocumentKind, DocumentSummary,
    Field, FieldState, FileInfo, Money, is_valid_variable_symbol,
};
use crate::error::{Error, Result};
use crate::journal::Journal;
use crate::search::SearchQuery;
use crate::store::{Expected, NewDocument, Store, StoreIdentity, document_cache_prefix};
use crate::sync::locks::LockList;

/// Version of the vault layout and header. Version 1 had no database identity; it is read,
/// and upgraded at the first unlock.
pub const VAULT_FORMAT: u32 = 2;
const VAULT_FORMAT_1: u32 = 1;
const HEADER_FILE: &str = "vault.json";
const DATABASE_FILE: &str = "vault.db";
const BLOB_DIR: &str = "blobs";
const LOCK_FILE: &str = "vault.lock";

/// The clear header. Nothing in it is secret: the wraps are AES-GCM envelopes bound to the
/// vault id, and the KDF record is validated against the floors whenever it is used. The KDF
/// record is kept as it was read, so a damaged one stops only the password, not the recovery
/// phrase.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Header {
    pub(crate) format: u32,
    pub(crate) vault_id: Uuid,
    /// The database that belongs to this vault (format 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) database_id: Option<Uuid>,
    /// The generation that database had reached at least, when this header was last written.
    #[serde(default)]
    pub(crate) generation: u64,
    pub(crate) kdf: serde_json::Value,
    #[serde(with = "hex::serde")]
    pub(crate) password_wrap: Vec<u8>,
    #[serde(with = "hex::serde")]
    pub(crate) recovery_wrap: Vec<u8>,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) created_at: OffsetDateTime,
}

impl Header {
    fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(HEADER_FILE);
        let text = match fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NotAVault(dir.to_path_buf()));
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        Self::parse(&text)
    }

    fn parse(text: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        let format: Format = serde_json::from_slice(text)
            .map_err(|e| Error::HeaderDamaged(format!("vault.json is not valid: {e}")))?;
        if format.format != VAULT_FORMAT && format.format != VAULT_FORMAT_1 {
            return Err(Error::UnsupportedFormat {
                what: "vault",
                found: format.format,
                supported: VAULT_FORMAT,
            });
        }
        let header: Self = serde_json::from_slice(text)
            .map_err(|e| Error::HeaderDamaged(format!("vault.json is not valid: {e}")))?;
        if header.format == VAULT_FORMAT && header.database_id.is_none() {
            return Err(Error::HeaderDamaged(
                "vault.json does not name its database".into(),
            ));
        }
        Ok(header)
    }

    /// The KDF record, checked against the floors.
    fn kdf(&self) -> Result<KdfRecord> {
        let record: KdfRecord = serde_json::from_value(self.kdf.clone()).map_err(|e| {
            Error::HeaderDamaged(format!("its key-derivation settings are not valid: {e}"))
        })?;
        record.validate()?;
        Ok(record)
    }

    fn set_kdf(&mut self, record: &KdfRecord) {
        self.kdf = serde_json::to_value(record).expect("a KDF record serialises");
    }

    /// What this header expects of its database.
    fn expected(&self) -> Expected {
        match self.database_id {
            Some(database_id) if self.format == VAULT_FORMAT => Expected::Identity(StoreIdentity {
                vault_id: self.vault_id,
                database_id,
                generation: self.generation,
            }),
            _ => Expected::Legacy {
                vault_id: self.vault_id,
            },
        }
    }

    /// Replaces vault.json atomically: a crash leaves the old or the new header, never half.
    pub(crate) fn write(&self, dir: &Path) -> Result<()> {
        self.write_file(dir)?;
        fsync_dir(dir)
    }

    /// As `write`, but a crash may leave the previous header: enough for a new generation,
    /// since an older generation in the header only ever lets an up-to-date database open.
    fn write_file(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).expect("the header serialises");
        let mut tmp = tempfile::Builder::new()
            .prefix(".vault.json-")
            .tempfile_in(dir)
            .map_err(|e| Error::io("writing the vault header", e))?;
        tmp.write_all(&json)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| Error::io("writing the vault header", e))?;
        tmp.persist(dir.join(HEADER_FILE))
            .map_err(|e| Error::io("writing the vault header", e.error))?;
        Ok(())
    }

    fn context(&self) -> &[u8] {
        self.vault_id.as_bytes()
    }
}

/// The header as the open vault and its commit hook share it: every commit records its
/// generation there.
#[derive(Clone)]
pub(crate) struct SharedHeader {
    dir: PathBuf,
    header: Arc<Mutex<Header>>,
}

impl SharedHeader {
    pub(crate) fn get(&self) -> Header {
        self.header
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the header on disk and here.
    fn replace(&self, header: Header) -> Result<()> {
        let mut current = self.header.lock().unwrap_or_else(|p| p.into_inner());
        header.write(&self.dir)?;
        *current = header;
        Ok(())
    }

    /// Records a generation the database reached. Best effort: should the write fail, the
    /// header keeps an older generation, which still opens this database.
    fn advance(&self, generation: u64) {
        let mut current = self.header.lock().unwrap_or_else(|p| p.into_inner());
        if generation <= current.generation {
            return;
        }
        let mut next = current.clone();
        next.generation = generation;
        if next.write_file(&self.dir).is_ok() {
            *current = next;
        }
    }
}

/// What `coffer info` shows. No secrets: the KDF record's salt is public by design.
#[derive(Clone, Debug, Serialize, TS)]
pub struct VaultInfo {
    pub path: PathBuf,
    pub format: u32,
    pub database_schema: u32,
    pub vault_id: Uuid,
    pub kdf: KdfRecord,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub created_at: OffsetDateTime,
    pub documents: u64,
    pub trashed: u64,
    pub content_bytes: u64,
    pub encrypted_bytes: u64,
    pub database_bytes: u64,
}

/// A vault whose header has been read and checked, not yet unlocked.
pub struct LockedVault {
    dir: PathBuf,
    header: Header,
    clock: Arc<dyn Clock>,
}

/// The result of a successful unlock.
pub struct UnlockOutcome {
    pub vault: Vault,
    /// Set when weak KDF settings were replaced by the current defaults during this unlock.
    pub kdf_upgraded_to: Option<KdfParams>,
}

/// An unlocked vault. Dropping it (or `lock`) forgets every key.
pub struct Vault {
    pub(crate) dir: PathBuf,
    pub(crate) header: SharedHeader,
    pub(crate) vault_key: VaultKey,
    pub(crate) content_hash_key: SubKey,
    pub(crate) data_key_wrap: SubKey,
    pub(crate) description_key: SubKey,
    pub(crate) store: Store,
    pub(crate) blobs: BlobStore,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) _lock: File,
}

/// How a file enters the vault.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The kind, confirmed (a person said so for this file: `coffer import --kind`).
    pub kind: Option<DocumentKind>,
    /// A kind to start with, unconfirmed (chosen for a whole batch, as the app's "Import as"):
    /// OCR may correct it and the person still confirms it. `kind` wins when both are set.
    pub kind_hint: Option<DocumentKind>,
    pub title: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ImportOutcome {
    Imported(DocumentSummary),
    /// The same content is already stored (possibly in the trash); nothing was written.
    Duplicate(DocumentId),
}

/// Files a batch of [`Vault::import_many`] imports in one unit of work, at most.
pub const IMPORT_BATCH: usize = 64;
/// Bytes of files a batch holds, at most (one file larger than this is a batch of its own), so
/// that a batch of photos is answered, and lost by a crash, in seconds rather than minutes.
pub const IMPORT_BATCH_BYTES: u64 = 32 << 20;

/// `paths` cut into batches of at most [`IMPORT_BATCH`] files and [`IMPORT_BATCH_BYTES`].
fn import_batches(paths: &[PathBuf]) -> Vec<&[PathBuf]> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, path) in paths.iter().enumerate() {
        let size = fs::metadata(path).map_or(0, |m| m.len());
        if i > start && (i - start == IMPORT_BATCH || bytes + size > IMPORT_BATCH_BYTES) {
            batches.push(&paths[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < paths.len() {
        batches.push(&paths[start..]);
    }
    batches
}

/// Why one file was not imported: its own trouble (the batch goes on), or the vault's (the
/// batch stops).
enum ImportFailure {
    File(Error),
    Vault(Error),
}

impl From<Error> for ImportFailure {
    fn from(e: Error) -> Self {
        Self::Vault(e)
    }
}

impl From<ImportFailure> for Error {
    fn from(failure: ImportFailure) -> Self {
        match failure {
            ImportFailure::File(e) | ImportFailure::Vault(e) => e,
        }
    }
}

/// The keys and the blob store, to encrypt content on any thread.
struct Sealer<'a> {
    content_hash_key: &'a SubKey,
    data_key_wrap: &'a SubKey,
    description_key: &'a SubKey,
    blobs: &'a BlobStore,
}

impl Sealer<'_> {
    fn stage_content(
        &self,
        id: DocumentId,
        size: u64,
        reader: impl Read,
        describe: Describe<'_>,
    ) -> Result<StagedContent> {
        let data_key = DataKey::generate(&mut OsRng);
        let ctx = StreamContext {
            document_id: *id.as_bytes(),
            content_version: 1,
        };
        let wrapped_key = data_key.wrap(self.data_key_wrap, id.as_bytes(), &mut OsRng);
        let description = BlobDescription::new(
            id,
            ctx.content_version,
            wrapped_key.clone(),
            describe.content_hash,
            describe.file.clone(),
            describe.fields.clone(),
            describe.field_states.clone(),
            describe.imported_at,
        )
        .seal(self.description_key);
        let mut hashing = HashingReader {
            inner: reader.take(size),
            hasher: blake3::Hasher::new_keyed(self.content_hash_key.bytes()),
        };
        let blob = self.blobs.write(|out| {
            stream::encrypt(
                &data_key,
                &ctx,
                size,
                &mut hashing,
                out,
                DEFAULT_CHUNK_LOG2,
                &description,
                &mut OsRng,
            )?;
            Ok(size)
        })?;
        Ok(StagedContent {
            id,
            blob,
            wrapped_key,
            content_hash: hashing.hasher.finalize().as_bytes().to_vec(),
            content_version: ctx.content_version,
            size,
        })
    }

    /// Encrypts a prepared file into `tmp/`.
    fn stage_import(&self, new: &NewImport) -> Result<StagedContent, ImportFailure> {
        // A read of the file that fails is the file's trouble; any other failure the vault's.
        let mut source = WatchedReader {
            inner: open_source(&new.path)?,
            failed: false,
        };
        let staged = self
            .stage_content(
                new.id,
                new.file.size,
                &mut source,
                Describe {
                    file: &new.file,
                    fields: &new.fields,
                    field_states: &new.states,
                    imported_at: new.now,
                    content_hash: Some(&new.content_hash),
                },
            )
            .map_err(|e| {
                if source.failed {
                    ImportFailure::File(e)
                } else {
                    ImportFailure::Vault(e)
                }
            })?;
        if staged.content_hash != new.content_hash {
            self.blobs.remove(&staged.blob)?;
            return Err(ImportFailure::File(Error::SourceChanged));
        }
        Ok(staged)
    }
}

/// A file to import, checked and read once, not yet encrypted.
struct NewImport {
    id: DocumentId,
    path: PathBuf,
    file: FileInfo,
    fields: DocumentFields,
    states: BTreeMap<Field, FieldState>,
    content_hash: Vec<u8>,
    now: OffsetDateTime,
}

enum Prepared {
    New(Box<NewImport>),
    Duplicate(DocumentId),
}

/// A file's own trouble becomes its answer; the vault's stops the batch.
fn settle(attempt: Result<ImportOutcome, ImportFailure>) -> Result<Result<ImportOutcome>> {
    match attempt {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(ImportFailure::File(e)) => Ok(Err(e)),
        Err(ImportFailure::Vault(e)) => Err(e),
    }
}

fn open_source(path: &Path) -> Result<File, ImportFailure> {
    File::open(path)
        .map_err(|e| ImportFailure::File(Error::io(format!("opening {}", path.display()), e)))
}

/// A reader that remembers whether it failed (the source file, read while encrypting).
struct WatchedReader<R> {
    inner: R,
    failed: bool,
}

impl<R: Read> Read for WatchedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf);
        self.failed |= read.is_err();
        read
    }
}

/// A set of changes a person makes; every field set here becomes confirmed. Text fields set
/// to an empty string are cleared.
#[derive(Clone, Debug, Default)]
pub struct DocumentEdit {
    pub kind: Option<DocumentKind>,
    pub title: Option<String>,
    pub merchant: Option<String>,
    pub issue_date: Option<Option<time::Date>>,
    /// A decimal amount (`12.30`), or empty to clear the total.
    pub total: Option<String>,
    pub currency: Option<Currency>,
    pub document_number: Option<String>,
    /// The Czech variable symbol (up to ten digits), or empty to clear it.
    pub variable_symbol: Option<String>,
    pub ico: Option<String>,
    pub vat_id: Option<String>,
    pub payment_method: Option<String>,
    pub category: Option<String>,
    pub notes: Option<String>,
    pub expiry: Option<Option<time::Date>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    /// Confirms values that came from OCR without changing them.
    pub confirm: Vec<Field>,
}

fn optional_text(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

fn clean_tag(tag: &str) -> Result<String> {
    let tag = tag.trim();
    if tag.is_empty() || tag.chars().count() > 64 {
        return Err(Error::InvalidInput(format!(
            "`{tag}` is not a usable tag; use 1 to 64 characters"
        )));
    }
    Ok(tag.to_string())
}

/// What the stored file is, from its first bytes, then its name.
fn media_type(path: &Path) -> String {
    infer::get_from_path(path)
        .ok()
        .flatten()
        .map(|t| t.mime_type().to_string())
        .unwrap_or_else(|| {
            match path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("txt") => "text/plain",
                Some("xml" | "isdoc") => "application/xml",
                Some("csv") => "text/csv",
                // HEIF brands `infer` does not know (e.g. `heim`, `hevc` from burst shots).
                Some("heic" | "heif") => "image/heif",
                _ => "application/octet-stream",
            }
            .to_string()
        })
}

/// The duplicate-detection hash of document `id`, a second document holding a file already
/// stored (its hash bound to the id, so both can exist).
pub(crate) fn copy_content_hash(key: &SubKey, content_hash: &[u8], id: DocumentId) -> Vec<u8> {
    let mut hasher = blake3::Hasher::new_keyed(key.bytes());
    hasher.update(b"coffer/v1/copy");
    hasher.update(content_hash);
    hasher.update(id.as_bytes());
    hasher.finalize().as_bytes().to_vec()
}

pub(crate) fn database_path(dir: &Path) -> PathBuf {
    dir.join(DATABASE_FILE)
}

pub(crate) fn lock_file(dir: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(|e| Error::io(format!("opening {}", dir.join(LOCK_FILE).display()), e))
}

impl LockedVault {
    /// Reads and checks the header of the vault in `dir`.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let header = Header::read(&dir)?;
        Ok(Self {
            dir,
            header,
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The password's key-derivation settings; an error when they are damaged or below the
    /// floor (the recovery phrase still opens the vault then).
    pub fn kdf(&self) -> Result<KdfRecord> {
        self.header.kdf()
    }

    fn vault_key_from_password(&self, password: &SecretString) -> Result<VaultKey> {
        let kdf = self.header.kdf()?;
        let kek = KeyEncryptionKey::from_password(&kdf, password.expose_secret().as_bytes())?;
        VaultKey::unwrap(
            &kek,
            Purpose::VaultKeyByPassword,
            self.header.context(),
            &self.header.password_wrap,
        )
        .map_err(|e| match e {
            Error::UnsupportedFormat { .. } => e,
            _ => Error::WrongPassword,
        })
    }

    fn vault_key_from_phrase(&self, phrase: &RecoveryPhrase) -> Result<VaultKey> {
        VaultKey::unwrap(
            &phrase.key_encryption_key(),
            Purpose::VaultKeyByRecovery,
            self.header.context(),
            &self.header.recovery_wrap,
        )
        .map_err(|e| match e {
            Error::UnsupportedFormat { .. } => e,
            _ => Error::WrongRecoveryPhrase,
        })
    }

    /// Opens the vault with the password; upgrades weak KDF settings once it is open.
    pub fn unlock(self, password: &SecretString) -> Result<UnlockOutcome> {
        let vault_key = self.vault_key_from_password(password)?;
        let upgrade = self.header.kdf()?.params.upgraded();
        let mut vault = Vault::assemble(self.dir, self.header, vault_key, self.clock)?;
        if let Some(params) = upgrade {
            vault.change_password(password, params)?;
        }
        Ok(UnlockOutcome {
            vault,
            kdf_upgraded_to: upgrade,
        })
    }

    /// Opens the vault with the recovery phrase and sets a new password (which also mends a
    /// damaged KDF record).
    pub fn recover(
        self,
        phrase: &RecoveryPhrase,
        new_password: &SecretString,
        params: KdfParams,
    ) -> Result<Vault> {
        let vault_key = self.vault_key_from_phrase(phrase)?;
        let mut vault = Vault::assemble(self.dir, self.header, vault_key, self.clock)?;
        vault.change_password(new_password, params)?;
        Ok(vault)
    }

    /// Rebuilds the database from the blobs and the journal (see `repair`), unlocking with
    /// the password.
    pub fn repair(self, password: &SecretString) -> Result<crate::repair::RepairReport> {
        let vault_key = self.vault_key_from_password(password)?;
        crate::repair::repair(&self.dir, self.header, vault_key, self.clock)
    }
}

impl Vault {
    /// Refuses a target that already holds files, before anything is written or shown.
    pub fn check_new_location(dir: &Path) -> Result<()> {
        let occupied = fs::read_dir(dir)
            .map(|mut entries| entries.next().is_some())
            .unwrap_or(false);
        if occupied || dir.is_file() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        Ok(())
    }

    /// Creates a new vault in `dir` (which must not exist or be empty). The caller generates
    /// the recovery phrase, shows it once and has it confirmed before calling this.
    pub fn create(
        dir: impl Into<PathBuf>,
        password: &SecretString,
        params: KdfParams,
        phrase: &RecoveryPhrase,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let vault_key = VaultKey::generate(&mut OsRng);
        let vault_id = Uuid::new_v4();
        let recovery_wrap = vault_key.wrap(
            &phrase.key_encryption_key(),
            Purpose::VaultKeyByRecovery,
            vault_id.as_bytes(),
            &mut OsRng,
        );
        Self::create_with_key(
            dir.into(),
            password,
            params,
            (vault_id, vault_key, recovery_wrap),
            clock,
        )
    }

    /// Creates this device's copy of a vault that exists elsewhere (a sync account): same
    /// vault id and key, the recovery wrap as it came, a password wrap made here.
    pub(crate) fn create_with_key(
        dir: PathBuf,
        password: &SecretString,
        params: KdfParams,
        (vault_id, vault_key, recovery_wrap): (Uuid, VaultKey, Vec<u8>),
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        Self::check_new_location(&dir)?;
        fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        restrict_to_owner(&dir)?;

        let rng = &mut OsRng;
        let kdf = KdfRecord::new(params, rng)?;
        let kek = KeyEncryptionKey::from_password(&kdf, password.expose_secret().as_bytes())?;
        // The database and blob directory first, the header last: until vault.json exists the
        // directory is not a vault, so an interrupted create never looks like a working one.
        let (store, identity) = Store::create(
            &dir.join(DATABASE_FILE),
            &vault_key.derive(SubKeyPurpose::LocalDatabase),
            Journal::new(&dir, vault_key.derive(SubKeyPurpose::Journal), vault_id),
            vault_id,
        )?;
        BlobStore::open(dir.join(BLOB_DIR))?;
        let mut header = Header {
            format: VAULT_FORMAT,
            vault_id,
            database_id: Some(identity.database_id),
            generation: identity.generation,
            kdf: serde_json::Value::Null,
            password_wrap: vault_key.wrap(
                &kek,
                Purpose::VaultKeyByPassword,
                vault_id.as_bytes(),
                rng,
            ),
            recovery_wrap,
            created_at: clock.now(),
        };
        header.set_kdf(&kdf);
        header.write(&dir)?;
        drop(store);
        Self::assemble(dir, header, vault_key, clock)
    }

    /// Opens the store of an unlocked vault and takes its lock. A database that does not
    /// belong to this header is refused before anything is written; one from before databases
    /// knew their vault is upgraded (its blobs get their descriptions).
    fn assemble(
        dir: PathBuf,
        header: Header,
        vault_key: VaultKey,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let lock = lock_file(&dir)?;
        let (mut store, identity) = Store::open(
            &dir.join(DATABASE_FILE),
            &vault_key.derive(SubKeyPurpose::LocalDatabase),
            Journal::new(
                &dir,
                vault_key.derive(SubKeyPurpose::Journal),
                header.vault_id,
            ),
            &header.expected(),
        )?;
        let blobs = BlobStore::open(dir.join(BLOB_DIR))?;
        let legacy = header.format == VAULT_FORMAT_1;
        let shared = SharedHeader {
            dir: dir.clone(),
            header: Arc::new(Mutex::new(header)),
        };
        let on_commit = shared.clone();
        store.on_commit(Box::new(move |generation| on_commit.advance(generation)));
        let mut vault = Self {
            content_hash_key: vault_key.derive(SubKeyPurpose::ContentHash),
            data_key_wrap: vault_key.derive(SubKeyPurpose::DataKeyWrap),
            description_key: vault_key.derive(SubKeyPurpose::BlobDescription),
            dir,
            header: shared,
            vault_key,
            store,
            blobs,
            clock,
            _lock: lock,
        };
        if legacy {
            vault.upgrade_from_format_1(identity)?;
        }
        // Whoever gets the vault alone tidies up after interrupted work; everyone then shares
        // it, so no sweep can run while another process is between a blob and its commit.
        if vault._lock.try_lock().is_ok() {
            vault.sweep()?;
            vault
                ._lock
                .unlock()
                .map_err(|e| Error::io("releasing the vault lock", e))?;
        }
        vault
            ._lock
            .lock_shared()
            .map_err(|e| Error::io("locking the vault", e))?;
        Ok(vault)
    }

    /// Finishes interrupted writes and purges (see `BlobStore::sweep`).
    fn sweep(&mut self) -> Result<()> {
        let purged = self.store.purged_blobs()?;
        let sweep = self
            .blobs
            .sweep(&|name| self.store.references(name), &purged)?;
        for name in &sweep.purged_removed {
            self.store.forget_purged(name)?;
        }
        Ok(())
    }

    /// A vault written before databases knew their vault: every first-format blob gets its
    /// description beside it (the database still knows their keys), then the header names
    /// the database.
    fn upgrade_from_format_1(&mut self, identity: StoreIdentity) -> Result<()> {
        for id in self.store.document_ids()? {
            let content = self.store.content_ref(id)?;
            if self.blobs.sidecar(&content.blob)?.is_some() {
                continue;
            }
            let Ok(mut file) = self.blobs.open_blob(&content.blob) else {
                continue; // `verify` reports it; nothing to describe.
            };
            if stream::read_prelude(&mut file).is_ok_and(|p| p.description.is_none()) {
                let doc = self.store.document(id)?;
                let description = self.describe(
                    &doc,
                    content.content_version,
                    content.wrapped_key,
                    Some(&self.store.content_hash(id)?),
                );
                self.blobs
                    .write_sidecar(&content.blob, &description.seal(&self.description_key))?;
            }
        }
        let mut header = self.header.get();
        header.format = VAULT_FORMAT;
        header.database_id = Some(identity.database_id);
        header.generation = header.generation.max(identity.generation);
        self.header.replace(header)
    }

    /// The description a blob of `doc` carries.
    fn describe(
        &self,
        doc: &Document,
        content_version: u32,
        wrapped_key: Vec<u8>,
        content_hash: Option<&[u8]>,
    ) -> BlobDescription {
        BlobDescription::new(
            doc.id,
            content_version,
            wrapped_key,
            content_hash,
            doc.file.clone(),
            doc.fields.clone(),
            doc.field_states.clone(),
            doc.imported_at,
        )
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Forgets the keys. Equivalent to dropping the vault; spelled out for readers.
    pub fn lock(self) {}

    /// Re-wraps the vault key under a new password and KDF record. No document is touched.
    pub fn change_password(
        &mut self,
        new_password: &SecretString,
        params: KdfParams,
    ) -> Result<()> {
        let rng = &mut OsRng;
        let kdf = KdfRecord::new(params, rng)?;
        let kek = KeyEncryptionKey::from_password(&kdf, new_password.expose_secret().as_bytes())?;
        let mut header = self.header.get();
        header.password_wrap = self.vault_key.wrap(
            &kek,
            Purpose::VaultKeyByPassword,
            header.vault_id.as_bytes(),
            rng,
        );
        header.set_kdf(&kdf);
        self.header.replace(header)
    }

    /// The keyed hash used for duplicate detection (never a plain hash, which would let anyone
    /// holding the database confirm that the vault contains a known file).
    fn content_hash(&self, reader: impl Read) -> Result<(Vec<u8>, u64)> {
        let mut hasher = blake3::Hasher::new_keyed(self.content_hash_key.bytes());
        let len = io::copy(&mut BufReader::with_capacity(1 << 16, reader), &mut hasher)
            .map_err(|e| Error::io("reading the file", e))?;
        Ok((hasher.finalize().as_bytes().to_vec(), len))
    }

    /// Encrypts a file into the vault. Nothing is visible until the final commit; a crash
    /// before it leaves only an unreferenced blob that the next unlock sweeps away.
    pub fn import(&mut self, path: &Path, options: &ImportOptions) -> Result<ImportOutcome> {
        let outcome = self.import_one(path, options).map_err(Error::from)?;
        self.publish_written()?;
        Ok(outcome)
    }

    /// Imports many files, [`IMPORT_BATCH`] at a time: each batch is one unit of work (its
    /// blobs synced, their folder once, then one commit), so a crash loses at most the batch
    /// in flight and never leaves part of one visible. A file that cannot be imported (gone,
    /// empty, a folder, changed while read) is answered with its error and the others go on;
    /// an error of the vault itself (a full disk, a damaged database) stops the import, the
    /// batch in flight rolled back, the earlier ones kept. `done` hears each batch's answers,
    /// in order, once they are committed.
    pub fn import_many(
        &mut self,
        paths: &[PathBuf],
        options: &ImportOptions,
        mut done: impl FnMut(&[(PathBuf, Result<ImportOutcome>)]),
    ) -> Result<()> {
        for batch in import_batches(paths) {
            self.blobs.set_batch(true);
            let answers = self.atomically(|vault| vault.import_batch(batch, options));
            self.blobs.set_batch(false);
            done(&answers?);
        }
        Ok(())
    }

    /// One batch of `import_many`, inside its unit of work: the files are checked and read in
    /// order, encrypted on every core, then inserted in order.
    fn import_batch(
        &mut self,
        batch: &[PathBuf],
        options: &ImportOptions,
    ) -> Result<Vec<(PathBuf, Result<ImportOutcome>)>> {
        enum Plan {
            Answer(Result<ImportOutcome>),
            Stage(Box<NewImport>),
            /// The same content as an earlier file of the batch.
            SameAs(usize),
        }
        let mut first_with: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut plans = Vec::with_capacity(batch.len());
        for (i, path) in batch.iter().enumerate() {
            plans.push(match self.prepare_import(path, options) {
                Ok(Prepared::Duplicate(existing)) => {
                    Plan::Answer(Ok(ImportOutcome::Duplicate(existing)))
                }
                Ok(Prepared::New(new)) => match first_with.get(&new.content_hash) {
                    Some(&earlier) => Plan::SameAs(earlier),
                    None => {
                        first_with.insert(new.content_hash.clone(), i);
                        Plan::Stage(new)
                    }
                },
                Err(ImportFailure::File(e)) => Plan::Answer(Err(e)),
                Err(ImportFailure::Vault(e)) => return Err(e),
            });
        }

        let jobs: Vec<(usize, &NewImport)> = plans
            .iter()
            .enumerate()
            .filter_map(|(i, plan)| match plan {
                Plan::Stage(new) => Some((i, &**new)),
                _ => None,
            })
            .collect();
        let sealer = self.sealer();
        let next = AtomicUsize::new(0);
        let workers = thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let mut staged: HashMap<usize, Result<StagedContent, ImportFailure>> =
            thread::scope(|scope| {
                let handles: Vec<_> = (0..workers.min(jobs.len()))
                    .map(|_| {
                        scope.spawn(|| {
                            let mut done = Vec::new();
                            loop {
                                let k = next.fetch_add(1, Ordering::Relaxed);
                                let Some(&(i, new)) = jobs.get(k) else {
                                    break done;
                                };
                                done.push((i, sealer.stage_import(new)));
                            }
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("an encryption thread panicked"))
                    .collect()
            });

        let mut answers: Vec<(PathBuf, Result<ImportOutcome>)> = Vec::with_capacity(batch.len());
        for (i, plan) in plans.into_iter().enumerate() {
            let answer = match plan {
                Plan::Answer(answer) => answer,
                Plan::Stage(new) => {
                    let staged = staged.remove(&i).expect("every new file was staged");
                    settle(staged.and_then(|staged| self.insert_import(new, staged)))?
                }
                Plan::SameAs(earlier) => match &answers[earlier].1 {
                    Ok(ImportOutcome::Imported(doc)) => Ok(ImportOutcome::Duplicate(doc.id)),
                    // The earlier one did not make it: this one is tried on its own.
                    _ => settle(self.import_one(&batch[i], options))?,
                },
            };
            answers.push((batch[i].clone(), answer));
        }
        self.blobs.sync_staged()?;
        Ok(answers)
    }

    /// [`Vault::import`] up to its commit: inside a batch's unit of work, the commit is the
    /// batch's.
    fn import_one(
        &mut self,
        path: &Path,
        options: &ImportOptions,
    ) -> Result<ImportOutcome, ImportFailure> {
        match self.prepare_import(path, options)? {
            Prepared::Duplicate(existing) => Ok(ImportOutcome::Duplicate(existing)),
            Prepared::New(new) => {
                let staged = self.sealer().stage_import(&new);
                self.insert_import(new, staged?)
            }
        }
    }

    /// The checks and the reading of a file to import, up to the encryption: what it is, its
    /// fields, whether the vault has it already.
    fn prepare_import(
        &self,
        path: &Path,
        options: &ImportOptions,
    ) -> Result<Prepared, ImportFailure> {
        use ImportFailure::File as Its;
        // Looked at before it is opened: opening a FIFO would wait for a writer for ever.
        let meta = fs::metadata(path)
            .map_err(|e| Its(Error::io(format!("reading {}", path.display()), e)))?;
        if meta.is_dir() {
            return Err(Its(Error::InvalidInput(format!(
                "{} is a folder; give the files inside it",
                path.display()
            ))));
        }
        if !meta.is_file() {
            return Err(Its(Error::InvalidInput(format!(
                "{} is not a regular file (a pipe, socket or device); save it as a file first",
                path.display()
            ))));
        }
        if meta.len() == 0 {
            return Err(Its(Error::InvalidInput(format!(
                "{} is empty (0 bytes): there is nothing to keep; check the file (an unfinished \
                 download?) and import it again",
                path.display()
            ))));
        }
        let file = open_source(path)?;
        let (content_hash, size) = self.content_hash(file).map_err(Its)?;
        if let Some(existing) = self.store.find_by_content_hash(&content_hash)? {
            return Ok(Prepared::Duplicate(existing));
        }

        let name = path
            .file_name()
            .map(|n| crate::document::without_controls(&n.to_string_lossy(), false))
            .unwrap_or_else(|| "document".into());
        let mut fields = DocumentFields::new(
            options
                .kind
                .or(options.kind_hint)
                .unwrap_or(DocumentKind::Other),
            options
                .title
                .as_deref()
                .and_then(optional_text)
                .unwrap_or_else(|| {
                    Path::new(&name)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| name.clone())
                }),
        );
        fields.tags = options
            .tags
            .iter()
            .map(|t| clean_tag(t))
            .collect::<Result<_>>()
            .map_err(Its)?;
        let mut states = BTreeMap::new();
        for (set, field) in [
            (options.kind.is_some(), Field::Kind),
            (options.title.is_some(), Field::Title),
            (!options.tags.is_empty(), Field::Tags),
        ] {
            if set {
                states.insert(field, FieldState::CONFIRMED);
            }
        }
        Ok(Prepared::New(Box::new(NewImport {
            id: DocumentId::random(),
            path: path.to_path_buf(),
            file: FileInfo {
                media_type: media_type(path),
                name,
                size,
            },
            fields,
            states,
            content_hash,
            now: self.clock.now(),
        })))
    }

    /// Makes staged content the new document (visible at the commit of the unit it is in).
    fn insert_import(
        &mut self,
        new: Box<NewImport>,
        staged: StagedContent,
    ) -> Result<ImportOutcome, ImportFailure> {
        let inserted = self.store.insert(&NewDocument {
            id: new.id,
            fields: &new.fields,
            field_states: &new.states,
            ocr_text: None,
            file: &new.file,
            content_hash: &staged.content_hash,
            content_version: staged.content_version,
            blob: &staged.blob,
            wrapped_key: &staged.wrapped_key,
            now: new.now,
        });
        if let Err(e) = inserted {
            self.discard_staged(staged)?;
            // Another process may have stored the same file in the meantime.
            if let Some(existing) = self.store.find_by_content_hash(&new.content_hash)? {
                return Ok(ImportOutcome::Duplicate(existing));
            }
            return Err(ImportFailure::Vault(e));
        }
        Ok(ImportOutcome::Imported(self.summary(new.id)?))
    }

    /// Resolves an id as typed by a person: the full id or an unambiguous prefix.
    pub fn resolve(&self, text: &str) -> Result<DocumentId> {
        self.store.resolve(text)
    }

    pub fn document(&self, id: DocumentId) -> Result<Document> {
        self.store.document(id)
    }

    fn summary(&self, id: DocumentId) -> Result<DocumentSummary> {
        self.store.summary(id)
    }

    /// The list rows of `ids`, in their order, less any that are gone (purged meanwhile).
    pub fn summaries(&self, ids: &[DocumentId]) -> Result<Vec<DocumentSummary>> {
        let mut found = Vec::with_capacity(ids.len());
        for &id in ids {
            match self.summary(id) {
                Ok(summary) => found.push(summary),
                Err(Error::DocumentNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    pub fn search(&self, query: &SearchQuery) -> Result<Vec<DocumentSummary>> {
        self.store.search(query, self.clock.today())
    }

    /// How many documents the query matches, its limit and offset aside: the length of the
    /// list the person pages through.
    pub fn count(&self, query: &SearchQuery) -> Result<u64> {
        self.store.count(query, self.clock.today())
    }

    /// Decrypts a document's original bytes into `out`, verifying every chunk. On error the
    /// bytes already written must be discarded (see `save_content`).
    pub fn read_content(&self, id: DocumentId, out: impl Write) -> Result<u64> {
        let damaged = |e: Error| match e {
            Error::Integrity(reason) => Error::DocumentDamaged {
                id: id.to_string(),
                reason,
            },
            Error::UnsupportedFormat { .. } | Error::DiskFull { .. } | Error::Io { .. } => e,
            other => Error::DocumentDamaged {
                id: id.to_string(),
                reason: other.to_string(),
            },
        };
        LockList::load(&self.store)?.check(id)?;
        let content = self.store.content_ref(id)?;
        self.decrypt_content(id, &content, out).map_err(damaged)
    }

    /// Decrypts the content `content` names as document `id`'s, verifying every chunk.
    pub(crate) fn decrypt_content(
        &self,
        id: DocumentId,
        content: &crate::store::ContentRef,
        out: impl Write,
    ) -> Result<u64> {
        let data_key = DataKey::unwrap(&self.data_key_wrap, id.as_bytes(), &content.wrapped_key)?;
        let blob = self.blobs.open_blob(&content.blob)?;
        let ctx = StreamContext {
            document_id: *id.as_bytes(),
            content_version: content.content_version,
        };
        stream::decrypt(&data_key, &ctx, blob, out)
    }

    /// Writes a document's original bytes to `target` only if all of them verify: they go to a
    /// temporary file beside it first, which is renamed into place at the end.
    pub fn save_content(&self, id: DocumentId, target: &Path) -> Result<u64> {
        crate::files::write_replacing(target, ".coffer-", |file| {
            self.read_content(id, io::BufWriter::new(file))
        })
    }

    /// Applies a person's edit; every field it sets is marked confirmed.
    pub fn edit(&mut self, id: DocumentId, edit: &DocumentEdit) -> Result<Document> {
        LockList::load(&self.store)?.check(id)?;
        let mut doc = self.store.document(id)?;
        if doc.trashed_at.is_some() {
            return Err(Error::DocumentTrashed(id.to_string()));
        }
        let f = &mut doc.fields;
        let mut touched: Vec<Field> = edit.confirm.clone();
        if let Some(kind) = edit.kind {
            f.kind = kind;
            touched.push(Field::Kind);
        }
        if let Some(title) = &edit.title {
            f.title = optional_text(title).ok_or_else(|| {
                Error::InvalidInput("a document needs a title; give a non-empty one".into())
            })?;
            touched.push(Field::Title);
        }
        for (value, slot, field) in [
            (&edit.merchant, &mut f.merchant, Field::Merchant),
            (
                &edit.document_number,
                &mut f.document_number,
                Field::DocumentNumber,
            ),
            (
                &edit.payment_method,
                &mut f.payment_method,
                Field::PaymentMethod,
            ),
            (&edit.category, &mut f.category, Field::Category),
            (&edit.notes, &mut f.notes, Field::Notes),
        ] {
            if let Some(value) = value {
                *slot = optional_text(value);
                touched.push(field);
            }
        }
        if let Some(symbol) = &edit.variable_symbol {
            let symbol = optional_text(symbol).map(|s| s.replace(' ', ""));
            if let Some(symbol) = symbol.as_deref().filter(|s| !is_valid_variable_symbol(s)) {
                return Err(Error::InvalidInput(format!(
                    "`{symbol}` is not a variable symbol; give one to ten digits"
                )));
            }
            f.variable_symbol = symbol;
            touched.push(Field::VariableSymbol);
        }
        for (value, slot) in [
            (&edit.ico, &mut f.company_ids.ico),
            (&edit.vat_id, &mut f.company_ids.vat_id),
        ] {
            if let Some(value) = value {
                *slot = optional_text(value);
                touched.push(Field::CompanyIds);
            }
        }
        if let Some(ico) = f.company_ids.ico.as_deref().filter(|_| edit.ico.is_some())
            && !CompanyIds::is_valid_ico(ico)
        {
            return Err(Error::InvalidInput(format!(
                "`{ico}` is not a valid IČO (eight digits with a check digit); check it on the \
                 document"
            )));
        }
        if let Some(date) = edit.issue_date {
            f.issue_date = date;
            touched.push(Field::IssueDate);
        }
        if let Some(date) = edit.expiry {
            f.expiry = date;
            touched.push(Field::Expiry);
        }
        if let Some(currency) = edit.currency.filter(|c| !c.is_iso4217()) {
            return Err(Error::InvalidInput(format!(
                "`{currency}` is not an ISO 4217 currency code; use one such as CZK, EUR or USD"
            )));
        }
        if edit.total.is_some() || edit.currency.is_some() {
            let currency = edit
                .currency
                .or(f.total.map(|m| m.currency))
                .ok_or_else(|| {
                    Error::InvalidInput("give the currency too, e.g. --currency CZK".into())
                })?;
            f.total = match edit.total.as_deref().map(str::trim) {
                Some("") => None,
                Some(amount) => Some(Money::parse(amount, currency)?),
                None => f.total.map(|m| Money {
                    minor: m.minor,
                    currency,
                }),
            };
            touched.push(Field::Total);
        }
        if !edit.add_tags.is_empty() || !edit.remove_tags.is_empty() {
            for tag in &edit.add_tags {
                let tag = clean_tag(tag)?;
                if !f.tags.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
                    f.tags.push(tag);
                }
            }
            f.tags.retain(|t| {
                !edit
                    .remove_tags
                    .iter()
                    .any(|r| r.trim().eq_ignore_ascii_case(t))
            });
            touched.push(Field::Tags);
        }
        for field in touched {
            doc.field_states.insert(field, FieldState::CONFIRMED);
        }
        self.store
            .update(id, &doc.fields, &doc.field_states, None, self.clock.now())?;
        self.store.document(id)
    }

    /// Moves a document to the trash; it stays restorable until purged.
    pub fn trash(&mut self, id: DocumentId) -> Result<()> {
        self.store.set_trashed(id, Some(self.clock.now()))
    }

    pub fn untrash(&mut self, id: DocumentId) -> Result<()> {
        self.store.set_trashed(id, None)
    }

    /// Deletes a document and its content for good: the database lists its blob as purged in
    /// the same commit, and the file goes after it (or at the next sweep, after a crash).
    pub fn purge(&mut self, id: DocumentId) -> Result<()> {
        let blob = self.store.delete(id)?;
        self.remove_purged(&[blob])
    }

    /// Moves the blobs written by committed work into place.
    fn publish_written(&self) -> Result<()> {
        let store = &self.store;
        self.blobs
            .publish_written(|name| store.references(name).unwrap_or(false))
    }

    /// Removes the files of blobs a commit listed as purged.
    pub(crate) fn remove_purged(&self, blobs: &[BlobName]) -> Result<()> {
        for blob in blobs {
            self.blobs.remove(blob)?;
            self.store.forget_purged(blob)?;
        }
        Ok(())
    }

    /// A setting kept inside the encrypted store (preferences, a remote OCR provider's key).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.store.setting(key)
    }

    /// Sets (or with `None` removes) a setting inside the encrypted store.
    pub fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        self.store.set_setting(key, value)
    }

    /// Data derived from a document and cached inside the encrypted store (a thumbnail): it is
    /// deleted with the document and left out of backups. Locked with the document: a picture
    /// of a locked document's content is refused like the content.
    pub fn document_cache(&self, id: DocumentId, name: &str) -> Result<Option<String>> {
        LockList::load(&self.store)?.check(id)?;
        self.store
            .setting(&format!("{}{name}", document_cache_prefix(id)))
    }

    /// Sets (or with `None` removes) a document's cached data.
    pub fn set_document_cache(
        &mut self,
        id: DocumentId,
        name: &str,
        value: Option<&str>,
    ) -> Result<()> {
        self.store
            .set_setting(&format!("{}{name}", document_cache_prefix(id)), value)
    }

    /// Every document's id, trash included.
    pub fn document_ids(&self) -> Result<Vec<DocumentId>> {
        self.store.document_ids()
    }

    /// The clear header as vault.json holds it (backups carry it, so a restore can recreate
    /// this very vault: its id and its key, wrapped by the password and the recovery phrase).
    pub fn header_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.header.get()).expect("the header serialises")
    }

    /// Recreates, in `dir`, the vault whose header `header_json` is (from a backup): same id,
    /// vault key and recovery phrase; `password` is the one that vault had, and becomes the
    /// password here with the KDF settings `params`. The database starts empty.
    pub fn recreate(
        dir: impl Into<PathBuf>,
        header_json: &[u8],
        password: &SecretString,
        params: KdfParams,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let header = Header::parse(header_json)?;
        let locked = LockedVault {
            dir: PathBuf::new(),
            header,
            clock: clock.clone(),
        };
        let vault_key = locked.vault_key_from_password(password)?;
        let header = locked.header;
        Self::create_with_key(
            dir.into(),
            password,
            params,
            (header.vault_id, vault_key, header.recovery_wrap),
            clock,
        )
    }

    /// When this vault was made (its header's word: no file is read).
    pub fn created_at(&self) -> OffsetDateTime {
        self.header.get().created_at
    }

    pub fn info(&self) -> Result<VaultInfo> {
        let header = self.header.get();
        let stats = self.store.stats()?;
        let database_bytes = ["", "-wal"]
            .iter()
            .filter_map(|suffix| {
                fs::metadata(self.dir.join(format!("{DATABASE_FILE}{suffix}"))).ok()
            })
            .map(|m| m.len())
            .sum();
        Ok(VaultInfo {
            path: self.dir.clone(),
            format: header.format,
            database_schema: self.store.schema_version()?,
            vault_id: header.vault_id,
            kdf: header.kdf()?,
            created_at: header.created_at,
            documents: stats.documents,
            trashed: stats.trashed,
            content_bytes: stats.content_bytes,
            encrypted_bytes: self.blobs.total_size()?,
            database_bytes,
        })
    }
}

/// A document's content encrypted into the vault but not yet visible: it becomes a document
/// with `Vault::commit_restored`, or disappears with `Vault::discard_staged` (or the next
/// unlock's sweep, should the process die in between).
pub struct StagedContent {
    id: DocumentId,
    blob: BlobName,
    wrapped_key: Vec<u8>,
    content_hash: Vec<u8>,
    content_version: u32,
    size: u64,
}

impl StagedContent {
    pub fn id(&self) -> DocumentId {
        self.id
    }

    pub fn size(&self) -> u64 {
        self.size
    }
}

/// What a new blob's description records about its document.
pub struct Describe<'a> {
    pub file: &'a FileInfo,
    pub fields: &'a DocumentFields,
    pub field_states: &'a BTreeMap<Field, FieldState>,
    pub imported_at: OffsetDateTime,
    /// The keyed content hash, when it is known before the content is read.
    pub content_hash: Option<&'a [u8]>,
}

/// Restoring documents (from a backup) and replacing fields wholesale (imports from other
/// tools): the building blocks `backup` and `interop` use.
impl Vault {
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Runs `work` as one unit of work: every store write it makes lands, with one journal
    /// record and one new generation, or none does. (Blob files it writes stay in `tmp/` on
    /// failure until the next sweep, unreferenced.)
    pub(crate) fn atomically<T, E: From<Error>>(
        &mut self,
        work: impl FnOnce(&mut Self) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mark = self.store.journal_mark();
        self.store.begin()?;
        match work(self) {
            Ok(value) => {
                self.store.commit()?;
                if !self.store.in_unit() {
                    self.publish_written()?;
                }
                Ok(value)
            }
            Err(e) => {
                self.store.rollback(mark);
                Err(e)
            }
        }
    }

    /// Encrypts exactly `size` bytes from `reader` as the content of the future document `id`,
    /// its blob describing it as `describe` says.
    pub fn stage_content(
        &self,
        id: DocumentId,
        size: u64,
        reader: impl Read,
        describe: Describe<'_>,
    ) -> Result<StagedContent> {
        self.sealer().stage_content(id, size, reader, describe)
    }

    /// What encrypting content into `tmp/` needs, shareable between threads (the store is not).
    fn sealer(&self) -> Sealer<'_> {
        Sealer {
            content_hash_key: &self.content_hash_key,
            data_key_wrap: &self.data_key_wrap,
            description_key: &self.description_key,
            blobs: &self.blobs,
        }
    }

    /// Removes staged content that will not become a document.
    pub fn discard_staged(&mut self, staged: StagedContent) -> Result<()> {
        self.blobs.remove(&staged.blob)
    }

    /// Makes staged content a document with exactly the given fields, provenance and
    /// timestamps (the id is the staged one). Fails on a duplicate of a stored document's
    /// content, leaving the staged blob for the caller to discard.
    pub fn commit_restored(&mut self, doc: &Document, staged: &StagedContent) -> Result<()> {
        if doc.id != staged.id || doc.file.size != staged.size {
            return Err(Error::InvalidInput(format!(
                "the content staged for {} does not belong to document {}",
                staged.id, doc.id
            )));
        }
        if let Some(existing) = self.store.find_by_content_hash(&staged.content_hash)? {
            return Err(Error::InvalidInput(format!(
                "documents {existing} and {} have the same content; keep one of them",
                doc.id
            )));
        }
        self.atomically(|vault| -> Result<()> {
            vault.store.insert(&NewDocument {
                id: doc.id,
                fields: &doc.fields,
                field_states: &doc.field_states,
                ocr_text: doc.ocr_text.as_deref(),
                file: &doc.file,
                content_hash: &staged.content_hash,
                content_version: staged.content_version,
                blob: &staged.blob,
                wrapped_key: &staged.wrapped_key,
                now: doc.imported_at,
            })?;
            vault
                .store
                .set_provenance(doc.id, doc.imported_at, doc.updated_at, doc.trashed_at)
        })
    }

    /// Replaces a document's fields and provenance as a whole, and its OCR text when given.
    pub fn replace_fields(
        &mut self,
        id: DocumentId,
        fields: &DocumentFields,
        states: &BTreeMap<Field, FieldState>,
        ocr_text: Option<&str>,
    ) -> Result<Document> {
        self.store
            .update(id, fields, states, ocr_text, self.clock.now())?;
        self.store.document(id)
    }
}

/// What the sync client needs from an open vault: its identity and wraps for the account,
/// sub-keys, the encrypted files, and a way to keep two versions of one file.
#[cfg(feature = "sync")]
impl Vault {
    pub(crate) fn vault_id(&self) -> Uuid {
        self.header.get().vault_id
    }

    /// The password's KDF record: an open vault's was checked by `unlock` or written anew by
    /// `recover`.
    pub(crate) fn kdf_record(&self) -> KdfRecord {
        self.header
            .get()
            .kdf()
            .expect("an open vault's KDF record was checked when it opened")
    }

    /// The recovery wrap exactly as the header holds it (another device copies it verbatim).
    pub(crate) fn recovery_wrap(&self) -> Vec<u8> {
        self.header.get().recovery_wrap
    }

    /// The vault key sealed under `kek` for `purpose`, bound to this vault's id.
    pub(crate) fn wrap_vault_key(&self, kek: &KeyEncryptionKey, purpose: Purpose) -> Vec<u8> {
        self.vault_key
            .wrap(kek, purpose, self.vault_id().as_bytes(), &mut OsRng)
    }

    pub(crate) fn sub_key(&self, purpose: SubKeyPurpose) -> SubKey {
        self.vault_key.derive(purpose)
    }

    pub(crate) fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Keeps a second document with the same file (a sync conflict keeps both versions): its
    /// content is re-encrypted under the new id, and its duplicate-detection hash is bound to
    /// that id so both can exist (importing the file again still finds the first).
    pub(crate) fn copy_document(&mut self, source: DocumentId, copy: &Document) -> Result<()> {
        let mut plain = zeroize::Zeroizing::new(Vec::new());
        self.read_content(source, &mut *plain)?;
        let source_hash = self.store.content_hash(source)?;
        let hash = self.content_hash_for_copy(&source_hash, copy.id);
        let staged = self.stage_content(
            copy.id,
            plain.len() as u64,
            plain.as_slice(),
            Describe {
                file: &copy.file,
                fields: &copy.fields,
                field_states: &copy.field_states,
                imported_at: copy.imported_at,
                content_hash: Some(&hash),
            },
        )?;
        let inserted = self.store.insert(&NewDocument {
            id: copy.id,
            fields: &copy.fields,
            field_states: &copy.field_states,
            ocr_text: copy.ocr_text.as_deref(),
            file: &copy.file,
            content_hash: &hash,
            content_version: staged.content_version,
            blob: &staged.blob,
            wrapped_key: &staged.wrapped_key,
            now: copy.imported_at,
        });
        if let Err(e) = inserted {
            self.discard_staged(staged)?;
            return Err(e);
        }
        Ok(())
    }

    /// The duplicate-detection hash a document holding an already stored file gets instead.
    pub(crate) fn content_hash_for_copy(&self, content_hash: &[u8], id: DocumentId) -> Vec<u8> {
        copy_content_hash(&self.content_hash_key, content_hash, id)
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(unix)]
fn restrict_to_owner(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io(format!("securing {}", dir.display()), e))
}

#[cfg(not(unix))]
fn restrict_to_owner(_dir: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_batches_end_at_the_file_count_or_the_bytes_whichever_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, size: u64| {
            let path = dir.path().join(name);
            File::create(&path).unwrap().set_len(size).unwrap();
            path
        };
        let small: Vec<PathBuf> = (0..IMPORT_BATCH + 1)
            .map(|i| file(&format!("s{i}"), 10))
            .collect();
        let sizes = |paths: &[PathBuf]| -> Vec<usize> {
            import_batches(paths).iter().map(|b| b.len()).collect()
        };
        assert_eq!(sizes(&small), [IMPORT_BATCH, 1]);
        let half = IMPORT_BATCH_BYTES / 2;
        let big = [
            file("b0", half),
            file("b1", half),
            file("b2", 1),
            file("huge", IMPORT_BATCH_BYTES * 2),
            dir.path().join("missing"),
        ];
        // A file over the cap is a batch of its own; one of unknown size counts as nothing.
        assert_eq!(sizes(&big), [2, 1, 1, 1]);
        assert!(import_batches(&[]).is_empty());
    }
}
