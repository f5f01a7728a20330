//! The local store: SQLite encrypted page by page with SQLCipher (keyed from the vault key),
//! so titles, amounts, OCR text and the full-text index are ciphertext at rest. Schema
//! changes are numbered migrations tracked in `PRAGMA user_version`.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params, params_from_iter};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::blobs::BlobName;
use crate::crypto::keys::SubKey;
use crate::document::{
    CompanyIds, Currency, Document, DocumentFields, DocumentId, DocumentKind, DocumentSummary,
    Field, FieldState, FileInfo, Money, parse_date,
};
use crate::error::{Error, Result};
use crate::journal::{Entry, Journal};
use crate::reminders::ReminderPlan;
use crate::search::{
    DATE_WALK_MIN_MATCHES, NAME_KEY_FUNCTION, SearchQuery, UNCONFIRMED_FUNCTION, name_key,
    name_key_sql, unconfirmed_sql, untitled_sql,
};

/// Settings under this prefix are per-document caches (thumbnails and the like): derived data,
/// deleted with their document and left out of backups.
pub const DOCUMENT_CACHE: &str = "cache.";

/// The settings-key prefix of one document's cached data.
pub fn document_cache_prefix(id: DocumentId) -> String {
    format!("{DOCUMENT_CACHE}{id}.")
}

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE documents (
    rowid           INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    merchant        TEXT,
    issue_date      TEXT,
    sort_date       TEXT NOT NULL,
    total_minor     INTEGER,
    currency        TEXT,
    vat             TEXT NOT NULL DEFAULT '[]',
    company_ids     TEXT NOT NULL DEFAULT '{}',
    document_number TEXT,
    payment_method  TEXT,
    category        TEXT,
    notes           TEXT,
    expiry          TEXT,
    ocr_text        TEXT,
    field_states    TEXT NOT NULL DEFAULT '{}',
    file_name       TEXT NOT NULL,
    media_type      TEXT NOT NULL,
    size            INTEGER NOT NULL,
    content_hash    BLOB NOT NULL UNIQUE,
    content_version INTEGER NOT NULL,
    blob            TEXT NOT NULL,
    wrapped_key     BLOB NOT NULL,
    imported_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    trashed_at      TEXT
);
CREATE INDEX documents_by_date ON documents(sort_date DESC);
CREATE INDEX documents_by_expiry ON documents(expiry) WHERE expiry IS NOT NULL;
CREATE INDEX documents_by_total ON documents(total_minor) WHERE total_minor IS NOT NULL;
CREATE TABLE tags (
    document INTEGER NOT NULL REFERENCES documents(rowid) ON DELETE CASCADE,
    tag      TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (document, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_tag ON tags(tag);
CREATE VIRTUAL TABLE documents_fts USING fts5(
    title, merchant, tags, notes, ocr_text, file_name, extra,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    r#"
CREATE TABLE reminder_plans (
    document    INTEGER PRIMARY KEY REFERENCES documents(rowid) ON DELETE CASCADE,
    lead_days   TEXT,
    notice_days INTEGER
);
"#,
    // Sync state (see `sync::state`). Triggers count every local change of a document, so
    // each way of changing one (edit, trash, OCR, import from other tools, restore) is tracked
    // without the code that makes it knowing about sync. A document is dirty while
    // `local_version` differs from `synced_version`; a purged document that the server knows
    // stays behind as `deleted` until its tombstone is pushed.
    r#"
CREATE TABLE sync_account (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    server_url    TEXT NOT NULL,
    email         TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    refresh_token TEXT,
    cursor        INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sync_documents (
    document        TEXT PRIMARY KEY,
    revision        INTEGER,
    local_version   INTEGER NOT NULL DEFAULT 1,
    synced_version  INTEGER NOT NULL DEFAULT 0,
    deleted         INTEGER NOT NULL DEFAULT 0,
    pending_version INTEGER,
    pending_key     TEXT,
    pending_body    BLOB,
    hold            TEXT
) WITHOUT ROWID;
INSERT INTO sync_documents (document) SELECT id FROM documents;
CREATE TRIGGER sync_track_insert AFTER INSERT ON documents BEGIN
    INSERT OR IGNORE INTO sync_documents (document, local_version) VALUES (NEW.id, 0);
    UPDATE sync_documents SET local_version = local_version + 1, deleted = 0
        WHERE document = NEW.id;
END;
CREATE TRIGGER sync_track_update AFTER UPDATE ON documents BEGIN
    UPDATE sync_documents SET local_version = local_version + 1 WHERE document = NEW.id;
END;
CREATE TRIGGER sync_track_delete AFTER DELETE ON documents BEGIN
    DELETE FROM sync_documents WHERE document = OLD.id AND revision IS NULL;
    UPDATE sync_documents SET local_version = local_version + 1, deleted = 1
        WHERE document = OLD.id;
END;
CREATE TRIGGER sync_track_plan_insert AFTER INSERT ON reminder_plans BEGIN
    UPDATE sync_documents SET local_version = local_version + 1
        WHERE document = (SELECT id FROM documents WHERE rowid = NEW.document);
END;
CREATE TRIGGER sync_track_plan_update AFTER UPDATE ON reminder_plans BEGIN
    UPDATE sync_documents SET local_version = local_version + 1
        WHERE document = (SELECT id FROM documents WHERE rowid = NEW.document);
END;
CREATE TRIGGER sync_track_plan_delete AFTER DELETE ON reminder_plans BEGIN
    UPDATE sync_documents SET local_version = local_version + 1
        WHERE document = (SELECT id FROM documents WHERE rowid = OLD.document);
END;
"#,
    // The Czech variable symbol, which accounting exports (POHODA, ISDOC) carry.
    r#"
ALTER TABLE documents ADD COLUMN variable_symbol TEXT;
"#,
    // Which vault and which copy of it this database belongs to, and the generation every
    // commit advances (vault.json keeps the last one it saw: an older database is refused).
    // Blobs of purged documents are listed until their files are gone, so nothing else is
    // ever deleted. `generation` on a document is that of the commit that last changed it.
    r#"
CREATE TABLE vault_meta (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    vault_id    TEXT NOT NULL,
    database_id TEXT NOT NULL,
    generation  INTEGER NOT NULL
);
CREATE TABLE purged_blobs (
    blob       TEXT PRIMARY KEY,
    generation INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE documents ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
-- A document another device deleted is moved to the trash here, and purged after this time.
ALTER TABLE documents ADD COLUMN purge_after TEXT;
-- Removals the server asked for (tombstones, or missing from a full listing), applied once a
-- sync has seen them all and they are not a mass deletion the person has to confirm.
CREATE TABLE sync_removals (
    document TEXT PRIMARY KEY,
    revision INTEGER
) WITHOUT ROWID;
"#,
    // The list pages through the documents outside the trash in date or total order: these
    // indexes hold just those, so a page at any offset, and their count, are read from the
    // index alone.
    r#"
CREATE INDEX documents_live_by_date ON documents(sort_date) WHERE trashed_at IS NULL;
CREATE INDEX documents_live_by_total ON documents(total_minor) WHERE trashed_at IS NULL;
"#,
    // Every commit that wrote a blob asks whether a document refers to it before publishing
    // it: by this index, not by reading every document (which made an import at 100,000
    // documents ten times slower than at 10,000).
    r#"
CREATE INDEX documents_by_blob ON documents(blob);
"#,
    // Largest total first, ties newest first: with the date in the index a window at any
    // offset is read from it as the date order's is, instead of sorting every run of equal
    // totals on the way there (0.2-0.4 s at 100,000 documents).
    r#"
DROP INDEX documents_live_by_total;
CREATE INDEX documents_live_by_total ON documents(total_minor, sort_date) WHERE trashed_at IS NULL;
"#,
    // The name order, A to Z and Z to A, unread documents last in both: an index on each
    // direction's expression (`search::name_key_sql`), read backwards so that ties go newest
    // first. Without them every window sorted every document (0.7 s at 100,000).
    concat!(
        "CREATE INDEX documents_live_by_name_up ON documents(",
        name_key_sql!("", "X'FF'"),
        " DESC, sort_date) WHERE trashed_at IS NULL;
         CREATE INDEX documents_live_by_name_down ON documents(",
        name_key_sql!("", "X''"),
        ", sort_date) WHERE trashed_at IS NULL;"
    ),
    // The review queue and its count ("To review (n)", asked at every unlock): the live
    // documents that hold a guess nobody confirmed, in date order. Without it the count read
    // and parsed every document's field states (0.7 s at 100,000).
    concat!(
        "CREATE INDEX documents_live_unconfirmed ON documents(sort_date) \
         WHERE trashed_at IS NULL AND ",
        unconfirmed_sql!(""),
        ";"
    ),
    // Whether this device holds the document at a revision whose envelope was bound to it
    // (pushed from here, or pulled in format 2): from then on the server's copy must be bound
    // too, so an older client's unbound envelope cannot be replayed as a newer revision.
    r#"
ALTER TABLE sync_documents ADD COLUMN bound INTEGER NOT NULL DEFAULT 0;
"#,
];

/// The first schema version with `vault_meta`.
const META_SCHEMA: usize = 5;

/// Everything the vault writes for a new document in one transaction.
pub struct NewDocument<'a> {
    pub id: DocumentId,
    pub fields: &'a DocumentFields,
    pub field_states: &'a BTreeMap<Field, FieldState>,
    pub ocr_text: Option<&'a str>,
    pub file: &'a FileInfo,
    pub content_hash: &'a [u8],
    pub content_version: u32,
    pub blob: &'a BlobName,
    pub wrapped_key: &'a [u8],
    pub now: OffsetDateTime,
}

/// Where a document's content is and how to open it.
pub struct ContentRef {
    pub blob: BlobName,
    pub wrapped_key: Vec<u8>,
    pub content_version: u32,
    pub trashed: bool,
}

/// A document as `repair` reads it from an old database.
pub(crate) struct StoredRow {
    pub doc: Document,
    pub content: ContentRef,
    pub content_hash: Vec<u8>,
    /// The generation of the commit that last changed it.
    pub generation: u64,
    pub reminders: Option<ReminderPlan>,
}

/// Counts for `coffer info`.
pub struct StoreStats {
    pub documents: u64,
    pub trashed: u64,
    pub content_bytes: u64,
}

/// Which vault and which copy of it a database belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreIdentity {
    pub vault_id: Uuid,
    pub database_id: Uuid,
    pub generation: u64,
}

/// What the vault header expects of its database.
pub enum Expected {
    /// A current header: this copy, at least this generation.
    Identity(StoreIdentity),
    /// A header written before databases knew their vault: any schema that has tables, which
    /// is then upgraded (`vault_id` is checked if the upgrade already ran).
    Legacy { vault_id: Uuid },
}

/// Called after each commit with the generation it reached (the vault records it in
/// vault.json).
pub type CommitHook = Box<dyn FnMut(u64) + Send>;

pub struct Store {
    conn: Connection,
    /// The vault directory (to tell a full disk from damage).
    dir: std::path::PathBuf,
    journal: Journal,
    /// Entries of the unit of work in progress, written with its commit.
    pending: Vec<Entry>,
    /// Nesting of units of work (0: none open).
    depth: u32,
    /// The generation the open unit of work commits as.
    unit_generation: u64,
    on_commit: Option<CommitHook>,
}

fn timestamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .expect("timestamps in range format as RFC 3339")
}

fn read_timestamp(text: &str) -> rusqlite::Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| corrupt(e.to_string()))
}

fn corrupt(reason: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, reason.into())
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("document fields serialise to JSON")
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))
}

fn date_column(text: Option<String>) -> rusqlite::Result<Option<Date>> {
    text.map(|t| parse_date(&t).map_err(|e| corrupt(e.to_string())))
        .transpose()
}

fn ymd(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn sort_date(fields: &DocumentFields, imported_at: OffsetDateTime) -> String {
    ymd(fields.issue_date.unwrap_or(imported_at.date()))
}

fn money(minor: Option<i64>, currency: Option<String>) -> rusqlite::Result<Option<Money>> {
    match (minor, currency) {
        (Some(minor), Some(code)) => {
            let currency: Currency = code.parse().map_err(|e: Error| corrupt(e.to_string()))?;
            Ok(Some(Money { minor, currency }))
        }
        _ => Ok(None),
    }
}

pub(crate) fn kind_column(text: String) -> rusqlite::Result<DocumentKind> {
    text.parse().map_err(|e: Error| corrupt(e.to_string()))
}

const DOCUMENT_COLUMNS: &str = "d.id, d.kind, d.title, d.merchant, d.issue_date, d.total_minor, \
    d.currency, d.vat, d.company_ids, d.document_number, d.payment_method, d.category, d.notes, \
    d.expiry, d.ocr_text, d.field_states, d.file_name, d.media_type, d.size, d.imported_at, \
    d.updated_at, d.trashed_at, \
    (SELECT json_group_array(tag) FROM (SELECT tag FROM tags WHERE document = d.rowid ORDER BY tag)), \
    d.variable_symbol";

const SUMMARY_COLUMNS: &str = concat!(
    "d.id, d.kind, d.title, d.merchant, d.issue_date, d.total_minor, \
    d.currency, d.expiry, d.field_states, d.trashed_at, \
    (SELECT json_group_array(tag) FROM (SELECT tag FROM tags WHERE document = d.rowid ORDER BY tag)), \
    d.imported_at, ",
    untitled_sql!("d.")
);

fn id_column(row: &Row, index: usize) -> rusqlite::Result<DocumentId> {
    row.get::<_, String>(index)?
        .parse()
        .map_err(|e: Error| corrupt(e.to_string()))
}

fn document_from_row(row: &Row) -> rusqlite::Result<Document> {
    Ok(Document {
        id: id_column(row, 0)?,
        fields: DocumentFields {
            kind: kind_column(row.get(1)?)?,
            title: row.get(2)?,
            merchant: row.get(3)?,
            issue_date: date_column(row.get(4)?)?,
            total: money(row.get(5)?, row.get(6)?)?,
            vat: from_json(&row.get::<_, String>(7)?)?,
            company_ids: from_json::<CompanyIds>(&row.get::<_, String>(8)?)?,
            document_number: row.get(9)?,
            variable_symbol: row.get(23)?,
            payment_method: row.get(10)?,
            category: row.get(11)?,
            notes: row.get(12)?,
            expiry: date_column(row.get(13)?)?,
            tags: from_json(&row.get::<_, String>(22)?)?,
        },
        ocr_text: row.get(14)?,
        field_states: from_json(&row.get::<_, String>(15)?)?,
        file: FileInfo {
            name: row.get(16)?,
            media_type: row.get(17)?,
            size: row.get::<_, i64>(18)? as u64,
        },
        imported_at: read_timestamp(&row.get::<_, String>(19)?)?,
        updated_at: read_timestamp(&row.get::<_, String>(20)?)?,
        trashed_at: row
            .get::<_, Option<String>>(21)?
            .map(|t| read_timestamp(&t))
            .transpose()?,
    })
}

fn summary_from_row(row: &Row) -> rusqlite::Result<DocumentSummary> {
    let total = money(row.get(5)?, row.get(6)?)?;
    let states: BTreeMap<Field, FieldState> = from_json(&row.get::<_, String>(8)?)?;
    Ok(DocumentSummary {
        id: id_column(row, 0)?,
        kind: kind_column(row.get(1)?)?,
        title: row.get(2)?,
        merchant: row.get(3)?,
        issue_date: date_column(row.get(4)?)?,
        currency: total.map(|m| m.currency),
        total,
        expiry: date_column(row.get(7)?)?,
        unconfirmed: states.values().any(|s| !s.confirmed),
        trashed: row.get::<_, Option<String>>(9)?.is_some(),
        tags: from_json(&row.get::<_, String>(10)?)?,
        imported_at: read_timestamp(&row.get::<_, String>(11)?)?,
        untitled: row.get::<_, bool>(12)?,
    })
}

fn read_identity(conn: &Connection) -> Result<Option<StoreIdentity>> {
    let row: Option<(String, String, i64)> = conn
        .query_row(
            "SELECT vault_id, database_id, generation FROM vault_meta WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((vault_id, database_id, generation)) = row else {
        return Ok(None);
    };
    let uuid = |text: &str| {
        Uuid::parse_str(text).map_err(|_| {
            Error::DatabaseDamaged(format!("its vault record holds `{text}`, not an id"))
        })
    };
    Ok(Some(StoreIdentity {
        vault_id: uuid(&vault_id)?,
        database_id: uuid(&database_id)?,
        generation: generation as u64,
    }))
}

fn reminder_plan_from_row(row: &Row) -> rusqlite::Result<ReminderPlan> {
    Ok(ReminderPlan {
        lead_days: row
            .get::<_, Option<String>>(0)?
            .map(|t| from_json(&t))
            .transpose()?,
        notice_days: row.get(1)?,
    })
}

/// Writes the full-text row for a document (replacing any previous one).
fn reindex(tx: &Connection, rowid: i64) -> Result<()> {
    tx.execute("DELETE FROM documents_fts WHERE rowid = ?1", [rowid])?;
    tx.execute(
        "INSERT INTO documents_fts (rowid, title, merchant, tags, notes, ocr_text, file_name, extra)
         SELECT d.rowid, d.title, d.merchant,
                (SELECT group_concat(tag, ' ') FROM tags WHERE document = d.rowid),
                d.notes, d.ocr_text, d.file_name,
                concat_ws(' ', d.kind, d.category, d.document_number, d.variable_symbol, d.payment_method,
                          json_extract(d.company_ids, '$.ico'), json_extract(d.company_ids, '$.vat_id'))
         FROM documents d WHERE d.rowid = ?1",
        [rowid],
    )?;
    Ok(())
}

fn write_tags(tx: &Connection, rowid: i64, tags: &[String]) -> Result<()> {
    tx.execute("DELETE FROM tags WHERE document = ?1", [rowid])?;
    let mut insert = tx.prepare("INSERT OR IGNORE INTO tags (document, tag) VALUES (?1, ?2)")?;
    for tag in tags {
        insert.execute(params![rowid, tag])?;
    }
    Ok(())
}

/// SQLite reports a write that fails for want of space as a plain I/O error when it happens
/// in its WAL index or journal; a small write beside the database tells which it was.
fn disk_is_full(dir: &Path) -> bool {
    let probe = tempfile::Builder::new()
        .prefix(".coffer-space-")
        .tempfile_in(dir)
        .and_then(|mut f| {
            std::io::Write::write_all(&mut f, &[0u8; 64 << 10])?;
            f.as_file().sync_all()
        });
    probe.is_err_and(|e| {
        matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull
                | std::io::ErrorKind::QuotaExceeded
                | std::io::ErrorKind::FileTooLarge
        )
    })
}

/// An SQLite failure as what it is: a full disk, a file that is not this vault's database,
/// or damage.
fn open_error(dir: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => Error::DiskFull {
            context: "opening the vault database".into(),
        },
        Some(rusqlite::ErrorCode::NotADatabase) => Error::DatabaseUnreadable,
        Some(rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::CannotOpen)
            if disk_is_full(dir) =>
        {
            Error::DiskFull {
                context: "opening the vault database".into(),
            }
        }
        _ => Error::DatabaseDamaged(e.to_string()),
    }
}

/// A write's failure: SQLite's I/O errors are checked for a full disk.
fn write_error(dir: &Path, e: Error) -> Error {
    match &e {
        Error::Database(inner)
            if inner.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure)
                && disk_is_full(dir) =>
        {
            Error::DiskFull {
                context: "writing the vault database".into(),
            }
        }
        _ => e,
    }
}

/// The SQL functions the schema uses. The name indexes are built with [`name_key`] and the
/// review queue's with [`any_unconfirmed`], so every connection that may write documents
/// (or check the indexes) has them.
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    conn.create_scalar_function(NAME_KEY_FUNCTION, 1, flags, |ctx| {
        Ok(ctx.get::<Option<String>>(0)?.map(|name| name_key(&name)))
    })?;
    conn.create_scalar_function(UNCONFIRMED_FUNCTION, 1, flags, |ctx| {
        any_unconfirmed(&ctx.get::<String>(0)?)
            .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
    })
}

/// Whether a document's field states (the JSON of its `field_states` column) hold a guess
/// that waits for a person to confirm it.
fn any_unconfirmed(states: &str) -> serde_json::Result<bool> {
    let states: BTreeMap<String, FieldState> = serde_json::from_str(states)?;
    Ok(states.values().any(|state| !state.confirmed))
}

impl Store {
    fn connect(path: &Path, key: &SubKey, flags: OpenFlags) -> Result<Connection> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let open_error = open_error(dir);
        let conn = Connection::open_with_flags(path, flags).map_err(&open_error)?;
        conn.pragma_update(None, "cipher_log_level", "NONE")
            .map_err(&open_error)?;
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\";",
            hex::encode(key.bytes())
        ))
        .map_err(&open_error)?;
        // SQLCipher accepts any key; the first read tells whether it was the right one.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map_err(&open_error)?;
        register_functions(&conn).map_err(&open_error)?;
        Ok(conn)
    }

    fn assemble(conn: Connection, journal: Journal, dir: &Path) -> Result<Self> {
        // A 64 MiB page cache: SQLCipher decrypts a page on every cache miss, and search over
        // 100,000 documents touches tens of MiB (SQLite's default cache is 2 MiB).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY; PRAGMA busy_timeout = 10000;
             PRAGMA cache_size = -65536;",
        )
        .map_err(open_error(dir))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            conn,
            journal,
            pending: Vec::new(),
            depth: 0,
            unit_generation: 0,
            on_commit: None,
        })
    }

    /// Creates the database of a new vault (the file must not exist yet).
    pub(crate) fn create(
        path: &Path,
        key: &SubKey,
        journal: Journal,
        vault_id: Uuid,
    ) -> Result<(Self, StoreIdentity)> {
        if path.exists() {
            return Err(Error::VaultExists(path.to_path_buf()));
        }
        let conn = Self::connect(
            path,
            key,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        let mut store = Self::assemble(conn, journal, path.parent().unwrap_or(Path::new(".")))?;
        store.migrate()?;
        let identity = store.adopt(vault_id)?;
        Ok((store, identity))
    }

    /// Opens the database of an existing vault, refusing (before anything is written) one that
    /// is empty, of another vault or another copy of it, or older than the header says.
    pub(crate) fn open(
        path: &Path,
        key: &SubKey,
        journal: Journal,
        expected: &Expected,
    ) -> Result<(Self, StoreIdentity)> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::DatabaseMissing);
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
            Ok(meta) if meta.len() == 0 => return Err(Error::DatabaseEmpty),
            Ok(_) => {}
        }
        let conn = Self::connect(path, key, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_error(path.parent().unwrap_or(Path::new("."))))?;
        if version as usize > MIGRATIONS.len() {
            return Err(Error::UnsupportedFormat {
                what: "vault database",
                found: version,
                supported: MIGRATIONS.len() as u32,
            });
        }
        if version == 0 {
            return Err(Error::DatabaseEmpty);
        }
        let found = if version as usize >= META_SCHEMA {
            Some(read_identity(&conn)?.ok_or(Error::DatabaseForeign)?)
        } else {
            None
        };
        match (expected, found) {
            (Expected::Identity(want), Some(found)) => {
                if found.vault_id != want.vault_id || found.database_id != want.database_id {
                    return Err(Error::DatabaseForeign);
                }
                if found.generation < want.generation {
                    return Err(Error::DatabaseOlder {
                        found: found.generation,
                        expected: want.generation,
                    });
                }
            }
            // The header knows its database's identity, so this one predates it.
            (Expected::Identity(want), None) => {
                return Err(Error::DatabaseOlder {
                    found: 0,
                    expected: want.generation,
                });
            }
            (Expected::Legacy { vault_id }, Some(found)) if found.vault_id != *vault_id => {
                return Err(Error::DatabaseForeign);
            }
            (Expected::Legacy { .. }, _) => {}
        }
        let mut store = Self::assemble(conn, journal, path.parent().unwrap_or(Path::new(".")))?;
        store.migrate()?;
        let identity = match found {
            Some(identity) => identity,
            None => match expected {
                Expected::Legacy { vault_id } => store.adopt(*vault_id)?,
                Expected::Identity(_) => unreachable!("refused above"),
            },
        };
        Ok((store, identity))
    }

    /// Opens an old database for `repair` to read: any that opens with this vault's key and is
    /// not another vault's (its schema is brought up to date to be read).
    pub(crate) fn open_for_repair(
        path: &Path,
        key: &SubKey,
        journal: Journal,
        vault_id: Uuid,
    ) -> Result<Self> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::DatabaseMissing);
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
            Ok(meta) if meta.len() == 0 => return Err(Error::DatabaseEmpty),
            Ok(_) => {}
        }
        let conn = Self::connect(path, key, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(open_error(path.parent().unwrap_or(Path::new("."))))?;
        if version == 0 {
            return Err(Error::DatabaseEmpty);
        }
        if version as usize > MIGRATIONS.len() {
            return Err(Error::UnsupportedFormat {
                what: "vault database",
                found: version,
                supported: MIGRATIONS.len() as u32,
            });
        }
        if version as usize >= META_SCHEMA
            && read_identity(&conn)?.is_some_and(|i| i.vault_id != vault_id)
        {
            return Err(Error::DatabaseForeign);
        }
        let mut store = Self::assemble(conn, journal, path.parent().unwrap_or(Path::new(".")))?;
        store.migrate()?;
        Ok(store)
    }

    /// Every document with what `repair` needs of it. Rows that do not read are skipped.
    pub(crate) fn rows_for_repair(&self) -> Result<Vec<StoredRow>> {
        let plans = self.reminder_plans().unwrap_or_default();
        let mut rows = Vec::new();
        for id in self.document_ids()? {
            let (Ok(doc), Ok(content), Ok(content_hash)) = (
                self.document(id),
                self.content_ref(id),
                self.content_hash(id),
            ) else {
                continue;
            };
            let generation: i64 = self
                .conn
                .query_row(
                    "SELECT generation FROM documents WHERE id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .unwrap_or(0);
            rows.push(StoredRow {
                reminders: plans.get(&id).cloned(),
                doc,
                content,
                content_hash,
                generation: generation as u64,
            });
        }
        Ok(rows)
    }

    /// The settings worth keeping (caches are made again).
    pub(crate) fn settings_for_repair(&self) -> Result<BTreeMap<String, String>> {
        Ok(self
            .settings()?
            .into_iter()
            .filter(|(key, _)| !key.starts_with(DOCUMENT_CACHE))
            .collect())
    }

    /// Starts the generation count of a new database past `generation`.
    pub(crate) fn set_generation(&mut self, generation: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE vault_meta SET generation = max(generation, ?1) WHERE id = 1",
            [generation as i64],
        )?;
        Ok(())
    }

    /// Lists a blob as purged (its file may go), inside a unit of work.
    pub(crate) fn list_purged(&mut self, blob: &BlobName) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO purged_blobs (blob, generation) VALUES (?1, ?2)",
            params![blob.as_str(), self.unit_generation as i64],
        )?;
        Ok(())
    }

    /// Copies the account and the per-document sync state of the database at `old` into the
    /// one at `new` (for the documents it has); those in `changed` stay marked as changed.
    pub(crate) fn copy_sync_state(
        new: &Path,
        old: &Path,
        key: &SubKey,
        changed: &HashSet<DocumentId>,
    ) -> Result<()> {
        let conn = Self::connect(new, key, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        conn.execute(
            &format!(
                "ATTACH DATABASE ?1 AS old KEY \"x'{}'\"",
                hex::encode(key.bytes())
            ),
            [old.to_string_lossy()],
        )?;
        conn.execute_batch(
            "BEGIN;
             INSERT OR REPLACE INTO sync_account SELECT * FROM old.sync_account;
             INSERT OR REPLACE INTO sync_documents
                 SELECT * FROM old.sync_documents
                 WHERE document IN (SELECT id FROM documents) OR deleted = 1;
             COMMIT;",
        )?;
        let mut mark = conn.prepare(
            "UPDATE sync_documents SET local_version = local_version + 1 WHERE document = ?1",
        )?;
        for id in changed {
            mark.execute([id.to_string()])?;
        }
        drop(mark);
        conn.execute_batch("DETACH DATABASE old")?;
        Ok(())
    }

    /// Records that this database belongs to vault `vault_id`, as a new copy of it.
    fn adopt(&mut self, vault_id: Uuid) -> Result<StoreIdentity> {
        let identity = StoreIdentity {
            vault_id,
            database_id: Uuid::new_v4(),
            generation: 1,
        };
        self.conn.execute(
            "INSERT INTO vault_meta (id, vault_id, database_id, generation) VALUES (1, ?1, ?2, ?3)",
            params![
                identity.vault_id.to_string(),
                identity.database_id.to_string(),
                identity.generation as i64
            ],
        )?;
        Ok(identity)
    }

    /// Runs `hook` after every commit from now on, with the generation it reached.
    pub(crate) fn on_commit(&mut self, hook: CommitHook) {
        self.on_commit = Some(hook);
    }

    /// The identity as the database holds it now.
    pub(crate) fn identity(&self) -> Result<StoreIdentity> {
        read_identity(&self.conn)?.ok_or(Error::DatabaseForeign)
    }

    /// The connection, for the modules that keep their own tables in this store (sync state)
    /// or read it with their own aggregates (the overview). Writes that must commit together go inside a unit of work (`begin` … `commit`).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()? as usize;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    // -- units of work ---------------------------------------------------------------------

    /// Opens a unit of work: every write until the matching `commit` lands together, with one
    /// new generation and one journal record, or none does. Units nest (as savepoints).
    pub(crate) fn begin(&mut self) -> Result<()> {
        if self.depth == 0 {
            // IMMEDIATE: take the write lock now, so the generation read here is the one this
            // commit follows (and a busy writer is waited for, not failed on).
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(|e| write_error(&self.dir, e.into()))?;
            let current: rusqlite::Result<i64> =
                self.conn
                    .query_row("SELECT generation FROM vault_meta WHERE id = 1", [], |r| {
                        r.get(0)
                    });
            match current {
                Ok(generation) => self.unit_generation = generation as u64 + 1,
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    return Err(e.into());
                }
            }
        } else {
            self.conn
                .execute_batch(&format!("SAVEPOINT unit{}", self.depth))?;
        }
        self.depth += 1;
        Ok(())
    }

    /// Ends the innermost unit of work; the outermost one commits (journal first).
    pub(crate) fn commit(&mut self) -> Result<()> {
        assert!(self.depth > 0, "commit without begin");
        if self.depth > 1 {
            self.depth -= 1;
            self.conn
                .execute_batch(&format!("RELEASE unit{}", self.depth))?;
            return Ok(());
        }
        let generation = self.unit_generation;
        let finish = (|| -> Result<()> {
            self.conn.execute(
                "UPDATE vault_meta SET generation = ?1 WHERE id = 1",
                [generation as i64],
            )?;
            self.journal
                .append(generation, std::mem::take(&mut self.pending))?;
            self.conn.execute_batch("COMMIT")?;
            Ok(())
        })();
        self.depth = 0;
        match finish {
            Ok(()) => {
                if let Some(hook) = &mut self.on_commit {
                    hook(generation);
                }
                Ok(())
            }
            Err(e) => {
                self.pending.clear();
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(write_error(&self.dir, e))
            }
        }
    }

    /// Abandons the innermost unit of work and everything it wrote.
    pub(crate) fn rollback(&mut self, journal_mark: usize) {
        assert!(self.depth > 0, "rollback without begin");
        self.pending.truncate(journal_mark);
        self.depth -= 1;
        // The original error matters more than a failed rollback (SQLite rolls back an open
        // transaction when the connection closes anyway).
        let _ = if self.depth == 0 {
            self.pending.clear();
            self.conn.execute_batch("ROLLBACK")
        } else {
            self.conn
                .execute_batch(&format!("ROLLBACK TO unit{0}; RELEASE unit{0}", self.depth))
        };
    }

    /// Whether a unit of work is open.
    pub(crate) fn in_unit(&self) -> bool {
        self.depth > 0
    }

    /// Where the journal entries of a unit begun now start (for `rollback`).
    pub(crate) fn journal_mark(&self) -> usize {
        self.pending.len()
    }

    /// Runs `work` as a unit of work.
    fn unit<T>(&mut self, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let mark = self.journal_mark();
        self.begin()?;
        match work(self) {
            Ok(value) => {
                self.commit()?;
                Ok(value)
            }
            Err(e) => {
                self.rollback(mark);
                Err(e)
            }
        }
    }

    /// Notes a change for the journal of the unit of work in progress.
    fn record(&mut self, entry: Entry) {
        debug_assert!(self.depth > 0, "journal entries belong to a unit of work");
        self.pending.push(entry);
    }

    pub fn insert(&mut self, doc: &NewDocument) -> Result<()> {
        let clean = doc.fields.without_controls();
        self.unit(|store| {
            let now = timestamp(doc.now);
            let f = &clean;
            let tx = &store.conn;
            tx.execute(
                "INSERT INTO documents (id, kind, title, merchant, issue_date, sort_date, total_minor,
                    currency, vat, company_ids, document_number, payment_method, category, notes,
                    expiry, ocr_text, field_states, file_name, media_type, size, content_hash,
                    content_version, blob, wrapped_key, imported_at, updated_at, variable_symbol,
                    generation)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?25, ?26, ?27)",
                params![
                    doc.id.to_string(),
                    f.kind.as_str(),
                    f.title,
                    f.merchant,
                    f.issue_date.map(ymd),
                    sort_date(f, doc.now),
                    f.total.map(|m| m.minor),
                    f.total.map(|m| m.currency.to_string()),
                    json(&f.vat),
                    json(&f.company_ids),
                    f.document_number,
                    f.payment_method,
                    f.category,
                    f.notes,
                    f.expiry.map(ymd),
                    doc.ocr_text,
                    json(doc.field_states),
                    crate::document::without_controls(&doc.file.name, false),
                    doc.file.media_type,
                    doc.file.size as i64,
                    doc.content_hash,
                    doc.content_version,
                    doc.blob.as_str(),
                    doc.wrapped_key,
                    now,
                    f.variable_symbol,
                    store.unit_generation as i64,
                ],
            )?;
            let rowid = tx.last_insert_rowid();
            write_tags(tx, rowid, &f.tags)?;
            reindex(tx, rowid)?;
            // A blob that comes back (the same file synced again) is no longer garbage.
            tx.execute(
                "DELETE FROM purged_blobs WHERE blob = ?1",
                [doc.blob.as_str()],
            )?;
            store.record(Entry::Fields {
                document: doc.id,
                fields: Box::new(clean.clone()),
                field_states: doc.field_states.clone(),
                ocr_text: doc.ocr_text.map(str::to_string),
                updated_at: doc.now,
            });
            Ok(())
        })
    }

    /// The document already holding this content, if any (trashed ones included).
    pub fn find_by_content_hash(&self, hash: &[u8]) -> Result<Option<DocumentId>> {
        self.conn
            .query_row(
                "SELECT id FROM documents WHERE content_hash = ?1",
                [hash],
                |r| id_column(r, 0),
            )
            .optional()
            .map_err(Into::into)
    }

    /// Resolves a full id or an unambiguous prefix of at least four characters.
    pub fn resolve(&self, text: &str) -> Result<DocumentId> {
        let wanted = text.trim().to_ascii_lowercase();
        if wanted.len() < 4 || !wanted.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(Error::DocumentNotFound(text.to_string()));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM documents WHERE id >= ?1 AND id < ?1 || 'g' LIMIT 2")?;
        let ids = stmt
            .query_map([&wanted], |r| id_column(r, 0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        match ids.as_slice() {
            [id] => Ok(*id),
            [] => Err(Error::DocumentNotFound(text.to_string())),
            _ => Err(Error::AmbiguousId(text.to_string())),
        }
    }

    pub fn document(&self, id: DocumentId) -> Result<Document> {
        self.conn
            .query_row(
                &format!("SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id = ?1"),
                [id.to_string()],
                document_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::DocumentNotFound(id.to_string()))
    }

    pub fn content_ref(&self, id: DocumentId) -> Result<ContentRef> {
        self.conn
            .query_row(
                "SELECT blob, wrapped_key, content_version, trashed_at IS NOT NULL
                 FROM documents WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or_else(|| Error::DocumentNotFound(id.to_string()))
            .and_then(|(blob, wrapped_key, content_version, trashed)| {
                Ok(ContentRef {
                    blob: BlobName::parse(&blob)?,
                    wrapped_key,
                    content_version,
                    trashed,
                })
            })
    }

    /// Replaces a document's fields, provenance and (when given) OCR text.
    pub fn update(
        &mut self,
        id: DocumentId,
        fields: &DocumentFields,
        states: &BTreeMap<Field, FieldState>,
        ocr_text: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let fields = &fields.without_controls();
        self.unit(|store| {
            let tx = &store.conn;
            let (rowid, imported_at): (i64, String) = tx
                .query_row(
                    "SELECT rowid, imported_at FROM documents WHERE id = ?1",
                    [id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| Error::DocumentNotFound(id.to_string()))?;
            let imported_at = read_timestamp(&imported_at)?;
            tx.execute(
                "UPDATE documents SET kind = ?2, title = ?3, merchant = ?4, issue_date = ?5,
                    sort_date = ?6, total_minor = ?7, currency = ?8, vat = ?9, company_ids = ?10,
                    document_number = ?11, payment_method = ?12, category = ?13, notes = ?14,
                    expiry = ?15, field_states = ?16, ocr_text = coalesce(?17, ocr_text),
                    updated_at = ?18, variable_symbol = ?19, generation = ?20
                 WHERE rowid = ?1",
                params![
                    rowid,
                    fields.kind.as_str(),
                    fields.title,
                    fields.merchant,
                    fields.issue_date.map(ymd),
                    sort_date(fields, imported_at),
                    fields.total.map(|m| m.minor),
                    fields.total.map(|m| m.currency.to_string()),
                    json(&fields.vat),
                    json(&fields.company_ids),
                    fields.document_number,
                    fields.payment_method,
                    fields.category,
                    fields.notes,
                    fields.expiry.map(ymd),
                    json(states),
                    ocr_text,
                    timestamp(now),
                    fields.variable_symbol,
                    store.unit_generation as i64,
                ],
            )?;
            write_tags(tx, rowid, &fields.tags)?;
            reindex(tx, rowid)?;
            store.record(Entry::Fields {
                document: id,
                fields: Box::new(fields.clone()),
                field_states: states.clone(),
                ocr_text: ocr_text.map(str::to_string),
                updated_at: now,
            });
            Ok(())
        })
    }

    pub fn set_trashed(&mut self, id: DocumentId, at: Option<OffsetDateTime>) -> Result<()> {
        self.trash_until(id, at, None)
    }

    /// Moves a document to the trash (or, with `None`, back), to be purged after
    /// `purge_after` when given (a document another device deleted).
    pub(crate) fn trash_until(
        &mut self,
        id: DocumentId,
        at: Option<OffsetDateTime>,
        purge_after: Option<OffsetDateTime>,
    ) -> Result<()> {
        self.unit(|store| {
            let changed = store.conn.execute(
                "UPDATE documents SET trashed_at = ?2, generation = ?3, purge_after = ?4
                 WHERE id = ?1",
                params![
                    id.to_string(),
                    at.map(timestamp),
                    store.unit_generation as i64,
                    purge_after.map(timestamp),
                ],
            )?;
            if changed == 0 {
                return Err(Error::DocumentNotFound(id.to_string()));
            }
            store.record(Entry::Trashed { document: id, at });
            Ok(())
        })
    }

    /// Deletes the document's rows and lists its blob as purged (in the same commit); returns
    /// the blob for the caller to remove once the commit is done (`forget_purged` after).
    pub fn delete(&mut self, id: DocumentId) -> Result<BlobName> {
        self.unit(|store| {
            let tx = &store.conn;
            let (rowid, blob): (i64, String) = tx
                .query_row(
                    "SELECT rowid, blob FROM documents WHERE id = ?1",
                    [id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| Error::DocumentNotFound(id.to_string()))?;
            tx.execute("DELETE FROM documents_fts WHERE rowid = ?1", [rowid])?;
            tx.execute("DELETE FROM documents WHERE rowid = ?1", [rowid])?;
            tx.execute(
                "DELETE FROM settings WHERE key LIKE ?1",
                [format!("{}%", document_cache_prefix(id))],
            )?;
            // Another document holding the same blob (never written so, but cheap to check)
            // keeps it.
            let shared: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM documents WHERE blob = ?1)",
                [&blob],
                |r| r.get(0),
            )?;
            if !shared {
                tx.execute(
                    "INSERT OR REPLACE INTO purged_blobs (blob, generation) VALUES (?1, ?2)",
                    params![blob, store.unit_generation as i64],
                )?;
            }
            store.record(Entry::Purged { document: id });
            BlobName::parse(&blob)
        })
    }

    /// Documents in the trash whose time there is over (deleted on another device, then kept
    /// here for the grace period).
    #[cfg(feature = "sync")]
    pub(crate) fn expired_trash(&self, now: OffsetDateTime) -> Result<Vec<DocumentId>> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM documents WHERE purge_after IS NOT NULL AND trashed_at IS NOT NULL
             AND purge_after <= ?1",
        )?;
        let ids = stmt
            .query_map([timestamp(now)], |r| id_column(r, 0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// Blobs of purged documents whose files may still be on disk.
    pub(crate) fn purged_blobs(&self) -> Result<Vec<BlobName>> {
        let mut stmt = self.conn.prepare("SELECT blob FROM purged_blobs")?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        names.iter().map(|n| BlobName::parse(n)).collect()
    }

    /// A purged blob's file is gone: it need not be listed any more.
    pub(crate) fn forget_purged(&self, blob: &BlobName) -> Result<()> {
        self.conn
            .execute("DELETE FROM purged_blobs WHERE blob = ?1", [blob.as_str()])?;
        Ok(())
    }

    /// One document's line of a listing.
    pub(crate) fn summary(&self, id: DocumentId) -> Result<DocumentSummary> {
        self.conn
            .query_row(
                &format!("SELECT {SUMMARY_COLUMNS} FROM documents d WHERE d.id = ?1"),
                [id.to_string()],
                summary_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::DocumentNotFound(id.to_string()))
    }

    /// How many documents match every filter of the query (its limit and offset aside).
    pub fn count(&self, query: &SearchQuery, today: Date) -> Result<u64> {
        let (sql, args) = query.count_sql(today);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_row(params_from_iter(args), |r| r.get::<_, i64>(0))? as u64)
    }

    /// Documents matching every filter of the query, in its order, from its offset on.
    pub fn search(&self, query: &SearchQuery, today: Date) -> Result<Vec<DocumentSummary>> {
        let walk_dates = query.walks_dates(|expr| {
            self.conn.query_row(
                "SELECT count(*) FROM (SELECT 1 FROM documents_fts WHERE documents_fts MATCH ?1 LIMIT ?2)",
                params![expr, DATE_WALK_MIN_MATCHES],
                |r| Ok(r.get::<_, i64>(0)? >= DATE_WALK_MIN_MATCHES),
            )
        })?;
        let (sql, args) = query.to_sql(SUMMARY_COLUMNS, today, walk_dates);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(args), summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The ids of the documents the query matches, in its order, from its offset on (no
    /// summary columns built).
    pub(crate) fn matching_ids(&self, query: &SearchQuery, today: Date) -> Result<Vec<DocumentId>> {
        let (sql, args) = query.to_sql("d.id", today, false);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let ids = stmt
            .query_map(params_from_iter(args), |r| id_column(r, 0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// SQLCipher's check of every page's HMAC, then SQLite's integrity check (its quick
    /// form with `quick`): what they report, nothing when the database is sound.
    pub(crate) fn integrity_check(&self, quick: bool) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut pages = self.conn.prepare("PRAGMA cipher_integrity_check")?;
        for row in pages.query_map([], |r| r.get::<_, String>(0))? {
            found.push(row?);
        }
        let check = if quick {
            "PRAGMA quick_check"
        } else {
            "PRAGMA integrity_check"
        };
        let mut stmt = self.conn.prepare(check)?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                found.push(row);
            }
        }
        Ok(found)
    }

    /// Whether a document refers to this blob (from the index on `documents(blob)`, whatever
    /// the vault's size).
    pub(crate) fn references(&self, blob: &BlobName) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM documents WHERE blob = ?1)",
            [blob.as_str()],
            |r| r.get(0),
        )?)
    }

    /// Every document's id.
    pub(crate) fn document_ids(&self) -> Result<Vec<DocumentId>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM documents ORDER BY rowid")?;
        let ids = stmt
            .query_map([], |r| id_column(r, 0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// The duplicate-detection hash of a stored document.
    pub(crate) fn content_hash(&self, id: DocumentId) -> Result<Vec<u8>> {
        self.conn
            .query_row(
                "SELECT content_hash FROM documents WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::DocumentNotFound(id.to_string()))
    }

    pub fn blob_names(&self) -> Result<HashSet<BlobName>> {
        let mut stmt = self.conn.prepare("SELECT blob FROM documents")?;
        let names = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        names.iter().map(|n| BlobName::parse(n)).collect()
    }

    pub fn stats(&self) -> Result<StoreStats> {
        Ok(self.conn.query_row(
            "SELECT count(*), count(trashed_at), coalesce(sum(size), 0) FROM documents",
            [],
            |r| {
                Ok(StoreStats {
                    documents: r.get::<_, i64>(0)? as u64,
                    trashed: r.get::<_, i64>(1)? as u64,
                    content_bytes: r.get::<_, i64>(2)? as u64,
                })
            },
        )?)
    }

    /// A vault-wide setting (reminder defaults and the like); `None` when never set.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Sets or (with `None`) removes a setting.
    pub fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        self.unit(|store| {
            match value {
                Some(value) => store.conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )?,
                None => store
                    .conn
                    .execute("DELETE FROM settings WHERE key = ?1", [key])?,
            };
            // Caches are derived data, made again when needed.
            if !key.starts_with(DOCUMENT_CACHE) {
                store.record(Entry::Setting {
                    key: key.to_string(),
                    value: value.map(str::to_string),
                });
            }
            Ok(())
        })
    }

    pub fn settings(&self) -> Result<BTreeMap<String, String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// A document's own reminder settings, if it has any.
    pub fn reminder_plan(&self, id: DocumentId) -> Result<Option<ReminderPlan>> {
        self.conn
            .query_row(
                "SELECT p.lead_days, p.notice_days FROM reminder_plans p
                 JOIN documents d ON d.rowid = p.document WHERE d.id = ?1",
                [id.to_string()],
                reminder_plan_from_row,
            )
            .optional()
            .map_err(Into::into)
    }

    /// Every document's own reminder settings.
    pub fn reminder_plans(&self) -> Result<BTreeMap<DocumentId, ReminderPlan>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.lead_days, p.notice_days, d.id FROM reminder_plans p
             JOIN documents d ON d.rowid = p.document",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((id_column(r, 2)?, reminder_plan_from_row(r)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Sets (or with `None` removes) a document's own reminder settings.
    pub fn set_reminder_plan(&mut self, id: DocumentId, plan: Option<&ReminderPlan>) -> Result<()> {
        self.unit(|store| {
            let rowid: i64 = store
                .conn
                .query_row(
                    "SELECT rowid FROM documents WHERE id = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| Error::DocumentNotFound(id.to_string()))?;
            match plan {
                Some(plan) => store.conn.execute(
                    "INSERT INTO reminder_plans (document, lead_days, notice_days) VALUES (?1, ?2, ?3)
                     ON CONFLICT(document) DO UPDATE
                     SET lead_days = excluded.lead_days, notice_days = excluded.notice_days",
                    params![rowid, plan.lead_days.as_ref().map(json), plan.notice_days],
                )?,
                None => store
                    .conn
                    .execute("DELETE FROM reminder_plans WHERE document = ?1", [rowid])?,
            };
            store.record(Entry::Reminders {
                document: id,
                plan: plan.cloned(),
            });
            Ok(())
        })
    }

    /// Sets the timestamps a restored document had in its backup (the sort date follows the
    /// import date when the document has no issue date).
    pub fn set_provenance(
        &mut self,
        id: DocumentId,
        imported_at: OffsetDateTime,
        updated_at: OffsetDateTime,
        trashed_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        self.unit(|store| {
            let changed = store.conn.execute(
                "UPDATE documents SET imported_at = ?2, updated_at = ?3, trashed_at = ?4,
                    sort_date = coalesce(issue_date, ?5), generation = ?6
                 WHERE id = ?1",
                params![
                    id.to_string(),
                    timestamp(imported_at),
                    timestamp(updated_at),
                    trashed_at.map(timestamp),
                    ymd(imported_at.date()),
                    store.unit_generation as i64,
                ],
            )?;
            if changed == 0 {
                return Err(Error::DocumentNotFound(id.to_string()));
            }
            store.record(Entry::Provenance {
                document: id,
                imported_at,
                updated_at,
                trashed_at,
            });
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Sort, SortKey};

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::December, 5).unwrap()
    }

    /// A database with the whole schema, in memory.
    fn schema() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        register_functions(&conn).unwrap();
        for sql in MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        conn
    }

    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut plan = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        plan.query_map([], |row| row.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// The plan of the query that picks a list window's rows.
    fn window_plan(conn: &Connection, query: SearchQuery, walk_dates: bool) -> Vec<String> {
        let query = SearchQuery {
            offset: 5_000,
            limit: Some(50),
            ..query
        };
        let (sql, _) = query.to_sql("d.rowid", today(), walk_dates);
        let page = sql
            .split_once("IN (")
            .and_then(|(_, rest)| rest.rsplit_once(") ORDER BY"))
            .map(|(page, _)| page.to_owned())
            .unwrap();
        plan(conn, &page)
    }

    #[test]
    fn the_review_queue_and_its_count_read_their_own_index() {
        let conn = schema();
        let waiting = SearchQuery {
            unconfirmed_only: true,
            ..SearchQuery::default()
        };
        let (count, _) = waiting.count_sql(today());
        for (what, plan) in [
            ("count", plan(&conn, &count)),
            ("window", window_plan(&conn, waiting.clone(), false)),
            ("date walk", window_plan(&conn, waiting.clone(), true)),
        ] {
            assert!(
                plan.iter()
                    .any(|step| step.contains("documents_live_unconfirmed")),
                "{what}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "{what} sorts: {plan:?}"
            );
        }
    }

    #[test]
    fn a_field_waits_for_review_until_a_person_confirms_it() {
        let guess = FieldState {
            confidence: 0.6,
            confirmed: false,
        };
        let states = |entries: &[(Field, FieldState)]| {
            serde_json::to_string(&entries.iter().copied().collect::<BTreeMap<_, _>>()).unwrap()
        };
        assert!(!any_unconfirmed(&states(&[])).unwrap());
        assert!(!any_unconfirmed(&states(&[(Field::Total, FieldState::CONFIRMED)])).unwrap());
        assert!(
            any_unconfirmed(&states(&[
                (Field::Total, FieldState::CONFIRMED),
                (Field::Merchant, guess)
            ]))
            .unwrap()
        );
        assert!(any_unconfirmed("not json").is_err());
    }

    #[test]
    fn every_order_the_list_offers_reads_its_window_from_an_index_without_sorting() {
        let conn = schema();
        for (key, ascending, index) in [
            (SortKey::Date, false, "documents_live_by_date"),
            (SortKey::Date, true, "documents_live_by_date"),
            (SortKey::Total, false, "documents_live_by_total"),
            (SortKey::Name, true, "documents_live_by_name_up"),
            (SortKey::Name, false, "documents_live_by_name_down"),
        ] {
            let sort = Sort { key, ascending };
            let plan = window_plan(
                &conn,
                SearchQuery {
                    sort,
                    ..SearchQuery::default()
                },
                false,
            );
            assert!(
                plan.iter().any(|step| step.contains(index)),
                "{key:?} ascending={ascending}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "{key:?} ascending={ascending} sorts: {plan:?}"
            );
        }
    }
}
