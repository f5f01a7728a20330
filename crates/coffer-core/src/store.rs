//! The local store: SQLite encrypted page by page with SQLCipher (keyed from the vault key),
//! so titles, amounts, OCR text and the full-text index are ciphertext at rest. Schema
//! changes are numbered migrations tracked in `PRAGMA user_version`.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::blobs::BlobName;
use crate::crypto::keys::SubKey;
use crate::document::{
    CompanyIds, Currency, Document, DocumentFields, DocumentId, DocumentKind, DocumentSummary,
    Field, FieldState, FileInfo, Money, parse_date,
};
use crate::error::{Error, Result};
use crate::reminders::ReminderPlan;
use crate::search::{DATE_WALK_MIN_MATCHES, SearchQuery};

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
];

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

/// Counts for `coffer info`.
pub struct StoreStats {
    pub documents: u64,
    pub trashed: u64,
    pub content_bytes: u64,
}

pub struct Store {
    conn: Connection,
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

fn kind_column(text: String) -> rusqlite::Result<DocumentKind> {
    text.parse().map_err(|e: Error| corrupt(e.to_string()))
}

const DOCUMENT_COLUMNS: &str = "d.id, d.kind, d.title, d.merchant, d.issue_date, d.total_minor, \
    d.currency, d.vat, d.company_ids, d.document_number, d.payment_method, d.category, d.notes, \
    d.expiry, d.ocr_text, d.field_states, d.file_name, d.media_type, d.size, d.imported_at, \
    d.updated_at, d.trashed_at, \
    (SELECT json_group_array(tag) FROM (SELECT tag FROM tags WHERE document = d.rowid ORDER BY tag)), \
    d.variable_symbol";

const SUMMARY_COLUMNS: &str = "d.id, d.kind, d.title, d.merchant, d.issue_date, d.total_minor, \
    d.currency, d.expiry, d.field_states, d.trashed_at, \
    (SELECT json_group_array(tag) FROM (SELECT tag FROM tags WHERE document = d.rowid ORDER BY tag))";

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
    })
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

impl Store {
    /// Opens (creating if needed) the encrypted database and brings its schema up to date.
    pub fn open(path: &Path, key: &SubKey) -> Result<Self> {
        let conn = Connection::open(path).map_err(|e| Error::DatabaseDamaged(e.to_string()))?;
        conn.pragma_update(None, "cipher_log_level", "NONE")?;
        conn.execute_batch(&format!(
            "PRAGMA key = \"x'{}'\";",
            hex::encode(key.bytes())
        ))?;
        // SQLCipher accepts any key; the first read tells whether it was the right one.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map_err(|e| Error::DatabaseDamaged(e.to_string()))?;
        // A 64 MiB page cache: SQLCipher decrypts a page on every cache miss, and search over
        // 100,000 documents touches tens of MiB (SQLite's default cache is 2 MiB).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY; PRAGMA busy_timeout = 10000;
             PRAGMA cache_size = -65536;",
        )?;
        let mut store = Self { conn };
        store.migrate()?;
        Ok(store)
    }

    #[cfg(feature = "sync")]
    /// The connection, for the modules that keep their own tables in this store (sync state).
    /// The store's own writes use savepoints, so a caller can group several in one
    /// transaction (`Vault::atomically`).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()? as usize;
        if current > MIGRATIONS.len() {
            return Err(Error::UnsupportedFormat {
                what: "vault database",
                found: current as u32,
                supported: MIGRATIONS.len() as u32,
            });
        }
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

    pub fn insert(&mut self, doc: &NewDocument) -> Result<()> {
        let tx = self.conn.savepoint()?;
        let now = timestamp(doc.now);
        let f = doc.fields;
        tx.execute(
            "INSERT INTO documents (id, kind, title, merchant, issue_date, sort_date, total_minor,
                currency, vat, company_ids, document_number, payment_method, category, notes,
                expiry, ocr_text, field_states, file_name, media_type, size, content_hash,
                content_version, blob, wrapped_key, imported_at, updated_at, variable_symbol)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?25, ?26)",
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
                doc.file.name,
                doc.file.media_type,
                doc.file.size as i64,
                doc.content_hash,
                doc.content_version,
                doc.blob.as_str(),
                doc.wrapped_key,
                now,
                f.variable_symbol,
            ],
        )?;
        let rowid = tx.last_insert_rowid();
        write_tags(&tx, rowid, &f.tags)?;
        reindex(&tx, rowid)?;
        tx.commit()?;
        Ok(())
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
        let tx = self.conn.savepoint()?;
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
                updated_at = ?18, variable_symbol = ?19
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
            ],
        )?;
        write_tags(&tx, rowid, &fields.tags)?;
        reindex(&tx, rowid)?;
        tx.commit()?;
        Ok(())
    }

    pub fn set_trashed(&mut self, id: DocumentId, at: Option<OffsetDateTime>) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE documents SET trashed_at = ?2 WHERE id = ?1",
            params![id.to_string(), at.map(timestamp)],
        )?;
        if changed == 0 {
            return Err(Error::DocumentNotFound(id.to_string()));
        }
        Ok(())
    }

    /// Deletes the document's rows; returns its blob for the caller to remove afterwards.
    pub fn delete(&mut self, id: DocumentId) -> Result<BlobName> {
        let tx = self.conn.savepoint()?;
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
        tx.commit()?;
        BlobName::parse(&blob)
    }

    /// Documents matching every filter of the query, newest first.
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
        match value {
            Some(value) => self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?,
            None => self
                .conn
                .execute("DELETE FROM settings WHERE key = ?1", [key])?,
        };
        Ok(())
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
        let rowid: i64 = self
            .conn
            .query_row(
                "SELECT rowid FROM documents WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::DocumentNotFound(id.to_string()))?;
        match plan {
            Some(plan) => self.conn.execute(
                "INSERT INTO reminder_plans (document, lead_days, notice_days) VALUES (?1, ?2, ?3)
                 ON CONFLICT(document) DO UPDATE
                 SET lead_days = excluded.lead_days, notice_days = excluded.notice_days",
                params![rowid, plan.lead_days.as_ref().map(json), plan.notice_days],
            )?,
            None => self
                .conn
                .execute("DELETE FROM reminder_plans WHERE document = ?1", [rowid])?,
        };
        Ok(())
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
        let changed = self.conn.execute(
            "UPDATE documents SET imported_at = ?2, updated_at = ?3, trashed_at = ?4,
                sort_date = coalesce(issue_date, ?5)
             WHERE id = ?1",
            params![
                id.to_string(),
                timestamp(imported_at),
                timestamp(updated_at),
                trashed_at.map(timestamp),
                ymd(imported_at.date()),
            ],
        )?;
        if changed == 0 {
            return Err(Error::DocumentNotFound(id.to_string()));
        }
        Ok(())
    }
}
