//! `repair`: rebuilds the database of a vault from what cannot be lost with it: the blobs,
//! which describe themselves (document id, content version, wrapped data key, fields as of
//! import), and the journal of every later change. The old database, when it still opens
//! with this vault's key, is read too, so its sync state and settings survive. The newest
//! version of each document wins: a journal entry newer than the database's row replaces
//! it. Nothing is deleted: the old database is kept beside the new one, and what could not be
//! recovered is reported.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;

use crate::blobs::{BlobName, BlobStore, fsync_dir};
use crate::clock::Clock;
use crate::crypto::keys::{DataKey, SubKey, SubKeyPurpose, VaultKey};
use crate::crypto::stream::{self, StreamContext};
use crate::description::BlobDescription;
use crate::document::{Document, DocumentFields, DocumentId, Field, FieldState};
use crate::error::{Error, Result};
use crate::journal::{self, Entry, Journal};
use crate::reminders::ReminderPlan;
use crate::store::{NewDocument, Store};
use crate::vault::{Header, VAULT_FORMAT, copy_content_hash, database_path, lock_file};

/// Documents are written in commits of this many, so no journal record grows too large.
const BATCH: usize = 500;

/// What `repair` did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RepairReport {
    /// Documents in the rebuilt database.
    pub documents: usize,
    /// Of them, read from the old database.
    pub from_database: usize,
    /// Of them, recognised from their blobs alone (the old database did not have them).
    pub from_blobs: usize,
    /// Documents whose fields the journal brought up to date.
    pub updated_from_journal: usize,
    /// Documents the journal says were deleted for good: not brought back.
    pub purged_skipped: usize,
    /// Documents of the old database whose encrypted file is missing (kept, without content).
    pub missing_content: Vec<DocumentId>,
    /// Files that could not be recognised or read, with why.
    pub unrecoverable: Vec<String>,
    /// Why the old database could not be used, when it could not.
    pub old_database_problem: Option<String>,
    /// Where the old database was kept.
    pub old_database_kept_at: Option<PathBuf>,
}

/// The newest journal entries of one document, each with its generation.
#[derive(Default)]
struct Latest {
    fields: Option<(
        u64,
        DocumentFields,
        BTreeMap<Field, FieldState>,
        OffsetDateTime,
    )>,
    ocr_text: Option<(u64, String)>,
    provenance: Option<(u64, (OffsetDateTime, OffsetDateTime))>,
    trashed: Option<(u64, Option<OffsetDateTime>)>,
    reminders: Option<(u64, Option<ReminderPlan>)>,
    purged: Option<u64>,
}

impl Latest {
    fn newest_change(&self) -> u64 {
        [
            self.fields.as_ref().map(|f| f.0),
            self.ocr_text.as_ref().map(|o| o.0),
            self.provenance.as_ref().map(|p| p.0),
            self.trashed.as_ref().map(|t| t.0),
            self.reminders.as_ref().map(|r| r.0),
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
    }
}

fn newer<T>(slot: &mut Option<(u64, T)>, generation: u64, value: T) {
    if slot.as_ref().is_none_or(|(g, _)| generation >= *g) {
        *slot = Some((generation, value));
    }
}

/// What the journal says, per document and per setting.
#[derive(Default)]
struct JournalState {
    documents: HashMap<DocumentId, Latest>,
    settings: BTreeMap<String, (u64, Option<String>)>,
    newest: u64,
}

impl JournalState {
    fn read(records: Vec<(u64, Vec<Entry>)>) -> Self {
        let mut state = Self::default();
        let mut records = records;
        // Stable: records of one generation (a commit that failed, then the one that did) keep
        // the order they were written in.
        records.sort_by_key(|(generation, _)| *generation);
        for (generation, entries) in records {
            state.newest = state.newest.max(generation);
            for entry in entries {
                let Some(id) = entry.document() else {
                    if let Entry::Setting { key, value } = entry
                        && state
                            .settings
                            .get(&key)
                            .is_none_or(|(g, _)| generation >= *g)
                    {
                        state.settings.insert(key, (generation, value));
                    }
                    continue;
                };
                let latest = state.documents.entry(id).or_default();
                match entry {
                    Entry::Fields {
                        fields,
                        field_states,
                        ocr_text,
                        updated_at,
                        ..
                    } => {
                        if latest.fields.as_ref().is_none_or(|f| generation >= f.0) {
                            latest.fields = Some((generation, *fields, field_states, updated_at));
                        }
                        if let Some(text) = ocr_text {
                            newer(&mut latest.ocr_text, generation, text);
                        }
                    }
                    Entry::Provenance {
                        imported_at,
                        updated_at,
                        trashed_at,
                        ..
                    } => {
                        newer(
                            &mut latest.provenance,
                            generation,
                            (imported_at, updated_at),
                        );
                        newer(&mut latest.trashed, generation, trashed_at);
                    }
                    Entry::Trashed { at, .. } => newer(&mut latest.trashed, generation, at),
                    Entry::Reminders { plan, .. } => newer(&mut latest.reminders, generation, plan),
                    Entry::Purged { .. } => {
                        latest.purged = Some(latest.purged.unwrap_or(0).max(generation));
                    }
                    Entry::Setting { .. } => unreachable!("settings have no document"),
                }
            }
        }
        state
    }
}

/// A blob recognised by its description.
struct Described {
    blob: BlobName,
    description: BlobDescription,
}

/// One document as the new database gets it.
struct Rebuilt {
    doc: Document,
    blob: BlobName,
    wrapped_key: Vec<u8>,
    content_version: u32,
    content_hash: Vec<u8>,
    reminders: Option<ReminderPlan>,
}

struct Keys {
    database: SubKey,
    description: SubKey,
    journal: SubKey,
    data_key_wrap: SubKey,
    content_hash: SubKey,
}

pub(crate) fn repair(
    dir: &Path,
    header: Header,
    vault_key: VaultKey,
    clock: Arc<dyn Clock>,
) -> Result<RepairReport> {
    let lock = lock_file(dir)?;
    if lock.try_lock().is_err() {
        return Err(Error::VaultBusy);
    }
    let keys = Keys {
        database: vault_key.derive(SubKeyPurpose::LocalDatabase),
        description: vault_key.derive(SubKeyPurpose::BlobDescription),
        journal: vault_key.derive(SubKeyPurpose::Journal),
        data_key_wrap: vault_key.derive(SubKeyPurpose::DataKeyWrap),
        content_hash: vault_key.derive(SubKeyPurpose::ContentHash),
    };
    let vault_id = header.vault_id;
    let mut report = RepairReport::default();
    let blobs = BlobStore::open(dir.join("blobs"))?;
    let db_path = database_path(dir);

    // What the old database still knows.
    let old = match Store::open_for_repair(
        &db_path,
        &keys.database,
        Journal::new(dir, keys.journal.clone(), vault_id),
        vault_id,
    ) {
        Ok(store) => {
            let same_lineage = store.identity().ok().map(|i| i.database_id) == header.database_id;
            let rows = store.rows_for_repair()?;
            let settings = store.settings_for_repair()?;
            let generation = store.identity().map(|i| i.generation).unwrap_or(0);
            Some((rows, settings, generation, same_lineage))
        }
        Err(Error::DatabaseMissing) => {
            report.old_database_problem = Some("it is missing".into());
            None
        }
        Err(e) => {
            report.old_database_problem = Some(e.to_string());
            None
        }
    };
    let (old_rows, old_settings, old_generation, same_lineage) =
        old.unwrap_or_else(|| (Vec::new(), BTreeMap::new(), 0, false));
    let referenced_by_old: HashSet<BlobName> =
        old_rows.iter().map(|r| r.content.blob.clone()).collect();

    // What the blobs say they are (the newest content version of each document).
    let mut described: HashMap<DocumentId, Described> = HashMap::new();
    for (name, _) in blobs.list()? {
        match describe(&blobs, &keys, &name) {
            Ok(Some(description)) => {
                let id = description.document;
                let newer = described
                    .get(&id)
                    .is_none_or(|d| description.content_version > d.description.content_version);
                if newer {
                    described.insert(
                        id,
                        Described {
                            blob: name,
                            description,
                        },
                    );
                }
            }
            Ok(None) if referenced_by_old.contains(&name) => {}
            Ok(None) => report.unrecoverable.push(format!(
                "blob {}: it has no description (written before descriptions existed)",
                name.as_str()
            )),
            Err(e) if referenced_by_old.contains(&name) => {
                let _ = e; // its database row describes it
            }
            Err(e) => report
                .unrecoverable
                .push(format!("blob {}: {e}", name.as_str())),
        }
    }

    let scan = journal::read(dir, &keys.journal, vault_id)?;
    for problem in &scan.problems {
        report.unrecoverable.push(format!("journal: {problem}"));
    }
    let journal = JournalState::read(scan.records);

    // The documents: the old database's rows, brought up to date, then those only the blobs
    // know.
    let mut rebuilt: Vec<Rebuilt> = Vec::new();
    let mut purged_blobs: Vec<BlobName> = Vec::new();
    let mut changed_since_database: HashSet<DocumentId> = HashSet::new();
    let mut seen: HashSet<DocumentId> = HashSet::new();
    for row in old_rows {
        let id = row.doc.id;
        seen.insert(id);
        let row_generation = if same_lineage { row.generation } else { 0 };
        let latest = journal.documents.get(&id);
        if let Some(latest) = latest
            && is_purged_after(latest, row_generation)
        {
            report.purged_skipped += 1;
            purged_blobs.push(row.content.blob.clone());
            continue;
        }
        let on_disk = blobs.open_blob(&row.content.blob).is_ok();
        let (blob, wrapped_key, content_version) = match described.get(&id) {
            // A newer version of its content than the row names.
            Some(d) if !on_disk || d.description.content_version > row.content.content_version => (
                d.blob.clone(),
                d.description.wrapped_key.clone(),
                d.description.content_version,
            ),
            _ => (
                row.content.blob.clone(),
                row.content.wrapped_key.clone(),
                row.content.content_version,
            ),
        };
        if !on_disk && blob == row.content.blob {
            report.missing_content.push(id);
        }
        let mut doc = row.doc;
        let mut reminders = row.reminders;
        if let Some(latest) = latest
            && apply_journal(&mut doc, &mut reminders, latest, row_generation)
        {
            report.updated_from_journal += 1;
            changed_since_database.insert(id);
        }
        report.from_database += 1;
        rebuilt.push(Rebuilt {
            doc,
            blob,
            wrapped_key,
            content_version,
            content_hash: row.content_hash,
            reminders,
        });
    }
    let mut only_in_blobs: Vec<&Described> = described
        .values()
        .filter(|d| !seen.contains(&d.description.document))
        .collect();
    only_in_blobs.sort_by_key(|d| (d.description.imported_at, d.description.document));
    for d in only_in_blobs {
        let description = &d.description;
        let id = description.document;
        let latest = journal.documents.get(&id);
        if let Some(latest) = latest
            && is_purged_after(latest, 0)
        {
            report.purged_skipped += 1;
            purged_blobs.push(d.blob.clone());
            continue;
        }
        let content_hash = match description.content_hash() {
            Some(hash) => hash,
            None => match content_hash_of(&blobs, &keys, d) {
                Ok(hash) => hash,
                Err(e) => {
                    report
                        .unrecoverable
                        .push(format!("blob {}: {e}", d.blob.as_str()));
                    continue;
                }
            },
        };
        let mut doc = Document {
            id,
            fields: description.fields.clone(),
            field_states: description.field_states.clone(),
            ocr_text: None,
            file: description.file.clone(),
            imported_at: description.imported_at,
            updated_at: description.imported_at,
            trashed_at: None,
        };
        let mut reminders = None;
        if let Some(latest) = latest
            && apply_journal(&mut doc, &mut reminders, latest, 0)
        {
            report.updated_from_journal += 1;
        }
        report.from_blobs += 1;
        changed_since_database.insert(id);
        rebuilt.push(Rebuilt {
            doc,
            blob: d.blob.clone(),
            wrapped_key: description.wrapped_key.clone(),
            content_version: description.content_version,
            content_hash,
            reminders,
        });
    }

    // Settings: the old database's, then the journal's newer ones.
    let mut settings = old_settings;
    for (key, (generation, value)) in journal.settings {
        if generation > old_generation || !same_lineage {
            match value {
                Some(value) => settings.insert(key, value),
                None => settings.remove(&key),
            };
        }
    }

    let generation = header.generation.max(old_generation).max(journal.newest);
    let staging = dir.join("vault.db.repairing");
    for suffix in ["", "-wal", "-shm"] {
        // A previous repair that did not finish: its output is derived, made again now.
        remove_if_present(&PathBuf::from(format!("{}{suffix}", staging.display())))?;
    }
    let identity = write_database(
        &staging,
        dir,
        &keys,
        vault_id,
        generation,
        &rebuilt,
        &settings,
        &purged_blobs,
    )?;
    if same_lineage || old_generation > 0 {
        copy_sync_state(&staging, &db_path, &keys.database, &changed_since_database);
    }
    report.documents = rebuilt.len();

    // The swap: the old database aside (never deleted), the new one in place, then the header.
    if fs::symlink_metadata(&db_path).is_ok() {
        let stamp = clock.now().unix_timestamp();
        let kept = dir.join(format!("vault.db.before-repair-{stamp}"));
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", db_path.display()));
            if fs::symlink_metadata(&from).is_ok() {
                fs::rename(&from, format!("{}{suffix}", kept.display()))
                    .map_err(|e| Error::io("keeping the old database", e))?;
            }
        }
        report.old_database_kept_at = Some(kept);
    }
    fs::rename(&staging, &db_path)
        .map_err(|e| Error::io("putting the new database in place", e))?;
    fsync_dir(dir)?;
    let mut header = header;
    header.format = VAULT_FORMAT;
    header.database_id = Some(identity.database_id);
    header.generation = identity.generation;
    header.write(dir)?;
    for r in &rebuilt {
        blobs.publish(&r.blob)?;
    }
    drop(lock);
    Ok(report)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            Err(Error::io(format!("removing {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

/// Whether the journal's last word on a document is that it was purged.
fn is_purged_after(latest: &Latest, row_generation: u64) -> bool {
    latest
        .purged
        .is_some_and(|g| g > row_generation && g >= latest.newest_change())
}

/// Applies the journal's entries newer than `since`; returns whether any was.
fn apply_journal(
    doc: &mut Document,
    reminders: &mut Option<ReminderPlan>,
    latest: &Latest,
    since: u64,
) -> bool {
    let mut applied = false;
    if let Some((g, fields, states, updated_at)) = &latest.fields
        && *g > since
    {
        doc.fields = fields.clone();
        doc.field_states = states.clone();
        doc.updated_at = *updated_at;
        applied = true;
    }
    if let Some((g, text)) = &latest.ocr_text
        && *g > since
    {
        doc.ocr_text = Some(text.clone());
        applied = true;
    }
    if let Some((g, (imported_at, updated_at))) = &latest.provenance
        && *g > since
    {
        doc.imported_at = *imported_at;
        doc.updated_at = (*updated_at).max(doc.updated_at);
        applied = true;
    }
    if let Some((g, trashed_at)) = &latest.trashed
        && *g > since
    {
        doc.trashed_at = *trashed_at;
        applied = true;
    }
    if let Some((g, plan)) = &latest.reminders
        && *g > since
    {
        *reminders = plan.clone();
        applied = true;
    }
    applied
}

fn describe(blobs: &BlobStore, keys: &Keys, name: &BlobName) -> Result<Option<BlobDescription>> {
    let mut file = blobs.open_blob(name)?;
    let sealed = match stream::read_prelude(&mut file)?.description {
        Some(sealed) => Some(sealed),
        None => blobs.sidecar(name)?,
    };
    sealed
        .map(|s| BlobDescription::open(&keys.description, &s))
        .transpose()
}

/// The keyed content hash of a described blob, computed by decrypting it.
fn content_hash_of(blobs: &BlobStore, keys: &Keys, d: &Described) -> Result<Vec<u8>> {
    let id = d.description.document;
    let data_key = DataKey::unwrap(
        &keys.data_key_wrap,
        id.as_bytes(),
        &d.description.wrapped_key,
    )?;
    let ctx = StreamContext {
        document_id: *id.as_bytes(),
        content_version: d.description.content_version,
    };
    let mut hasher = blake3::Hasher::new_keyed(keys.content_hash.bytes());
    stream::decrypt(&data_key, &ctx, blobs.open_blob(&d.blob)?, &mut hasher)?;
    Ok(hasher.finalize().as_bytes().to_vec())
}

/// Writes the rebuilt database at `path`, at a generation past every one seen.
#[allow(clippy::too_many_arguments)]
fn write_database(
    path: &Path,
    dir: &Path,
    keys: &Keys,
    vault_id: uuid::Uuid,
    generation: u64,
    rebuilt: &[Rebuilt],
    settings: &BTreeMap<String, String>,
    purged: &[BlobName],
) -> Result<crate::store::StoreIdentity> {
    let (mut store, _) = Store::create(
        path,
        &keys.database,
        Journal::new(dir, keys.journal.clone(), vault_id),
        vault_id,
    )?;
    store.set_generation(generation)?;
    let mut hashes: HashSet<Vec<u8>> = HashSet::new();
    for batch in rebuilt.chunks(BATCH) {
        let mark = store.journal_mark();
        store.begin()?;
        let written = (|| -> Result<()> {
            for r in batch {
                // Two documents with one file (a conflict's copy restored from its blob alone):
                // the second gets the hash a copy gets.
                let content_hash = if hashes.insert(r.content_hash.clone()) {
                    r.content_hash.clone()
                } else {
                    copy_content_hash(&keys.content_hash, &r.content_hash, r.doc.id)
                };
                store.insert(&NewDocument {
                    id: r.doc.id,
                    fields: &r.doc.fields,
                    field_states: &r.doc.field_states,
                    ocr_text: r.doc.ocr_text.as_deref(),
                    file: &r.doc.file,
                    content_hash: &content_hash,
                    content_version: r.content_version,
                    blob: &r.blob,
                    wrapped_key: &r.wrapped_key,
                    now: r.doc.imported_at,
                })?;
                store.set_provenance(
                    r.doc.id,
                    r.doc.imported_at,
                    r.doc.updated_at,
                    r.doc.trashed_at,
                )?;
                if let Some(plan) = &r.reminders {
                    store.set_reminder_plan(r.doc.id, Some(plan))?;
                }
            }
            Ok(())
        })();
        match written {
            Ok(()) => store.commit()?,
            Err(e) => {
                store.rollback(mark);
                return Err(e);
            }
        }
    }
    let mark = store.journal_mark();
    store.begin()?;
    let finished = (|| -> Result<()> {
        for (key, value) in settings {
            store.set_setting(key, Some(value))?;
        }
        for blob in purged {
            store.list_purged(blob)?;
        }
        Ok(())
    })();
    match finished {
        Ok(()) => store.commit()?,
        Err(e) => {
            store.rollback(mark);
            return Err(e);
        }
    }
    store.identity()
}

/// Brings the old database's sync state (the account, each document's server revision) into
/// the new one; documents changed since the old database was written stay marked as changed.
/// Best effort: without it the next sync compares every document with the server's copy.
fn copy_sync_state(new: &Path, old: &Path, key: &SubKey, changed: &HashSet<DocumentId>) {
    let _ = Store::copy_sync_state(new, old, key, changed);
}
