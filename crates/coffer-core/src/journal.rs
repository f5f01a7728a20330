//! The edit journal: an append-only, sealed record of every change the database commits to a
//! document or a setting, written (and fsynced) inside the same unit of work, just before its
//! commit. With the self-describing blobs it is what `repair` rebuilds a lost, emptied or
//! rolled-back database from, so a large blob is never rewritten for an edit.
//!
//! ```text
//! journal/<segment, 10 digits>.log = record*
//! record   = magic (8 bytes) || length (u32 BE)
//!            || envelope(Purpose::Journal, context = "coffer-journal" || vault id)
//! envelope plaintext = JSON {"generation": G, "entries": [Entry, ...]}, padded with spaces
//! ```
//! A process killed while appending leaves a torn record, and the next process appends after
//! it; the magic lets reading find the next record. A torn record belongs to a commit that
//! never happened and is skipped quietly; a complete record that does not open (damage) is
//! reported and skipped.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::blobs::fsync_dir;
use crate::crypto::envelope::{self, Purpose};
use crate::crypto::keys::SubKey;
use crate::document::{DocumentFields, DocumentId, Field, FieldState};
use crate::error::{Error, Result};
use crate::reminders::ReminderPlan;

pub const JOURNAL_DIR: &str = "journal";
/// A segment is closed and a new one started once it holds this much.
const SEGMENT_BYTES: u64 = 64 << 20;
/// No record is larger: a commit's OCR texts and fields, far below this.
const MAX_RECORD_BYTES: u32 = 256 << 20;
const PAD_TO: usize = 256;
const MAGIC: &[u8; 8] = b"\x89CFJRNL\n";
const FRAME: usize = MAGIC.len() + 4;

/// One change, as the database committed it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Entry {
    /// A document's fields (and its OCR text, when that changed) after the commit.
    Fields {
        document: DocumentId,
        fields: Box<DocumentFields>,
        field_states: BTreeMap<Field, FieldState>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ocr_text: Option<String>,
        #[serde(with = "time::serde::rfc3339")]
        updated_at: OffsetDateTime,
    },
    /// When a document was imported, last changed and trashed (restores and synced documents
    /// bring theirs from elsewhere).
    Provenance {
        document: DocumentId,
        #[serde(with = "time::serde::rfc3339")]
        imported_at: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339")]
        updated_at: OffsetDateTime,
        #[serde(with = "time::serde::rfc3339::option")]
        trashed_at: Option<OffsetDateTime>,
    },
    /// Moved to the trash (`Some`) or back (`None`).
    Trashed {
        document: DocumentId,
        #[serde(with = "time::serde::rfc3339::option")]
        at: Option<OffsetDateTime>,
    },
    /// Deleted for good: `repair` does not bring it back.
    Purged { document: DocumentId },
    /// A document's own reminder settings.
    Reminders {
        document: DocumentId,
        plan: Option<ReminderPlan>,
    },
    /// A vault setting (caches excepted).
    Setting { key: String, value: Option<String> },
}

impl Entry {
    pub(crate) fn document(&self) -> Option<DocumentId> {
        match self {
            Self::Fields { document, .. }
            | Self::Provenance { document, .. }
            | Self::Trashed { document, .. }
            | Self::Purged { document }
            | Self::Reminders { document, .. } => Some(*document),
            Self::Setting { .. } => None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Record {
    generation: u64,
    entries: Vec<Entry>,
}

fn context(vault_id: Uuid) -> Vec<u8> {
    let mut context = b"coffer-journal".to_vec();
    context.extend_from_slice(vault_id.as_bytes());
    context
}

fn segment_name(number: u64) -> String {
    format!("{number:010}.log")
}

fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(format!("listing {}", dir.display()), e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let name = entry.file_name();
        if let Some(number) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".log"))
            .filter(|n| n.len() == 10)
            .and_then(|n| n.parse::<u64>().ok())
        {
            found.push((number, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// The writing end, held by the open store.
pub(crate) struct Journal {
    dir: PathBuf,
    key: SubKey,
    vault_id: Uuid,
    /// The segment being appended to, opened on the first write.
    current: Option<(u64, File, u64)>,
}

impl Journal {
    pub(crate) fn new(vault_dir: &Path, key: SubKey, vault_id: Uuid) -> Self {
        Self {
            dir: vault_dir.join(JOURNAL_DIR),
            key,
            vault_id,
            current: None,
        }
    }

    fn segment(&mut self) -> Result<&mut (u64, File, u64)> {
        let full = self
            .current
            .as_ref()
            .is_some_and(|(_, _, len)| *len >= SEGMENT_BYTES);
        if self.current.is_none() || full {
            let created = !self.dir.exists();
            fs::create_dir_all(&self.dir)
                .map_err(|e| Error::io(format!("creating {}", self.dir.display()), e))?;
            if created && let Some(parent) = self.dir.parent() {
                fsync_dir(parent)?;
            }
            let last = segments(&self.dir)?.last().map(|(n, _)| *n).unwrap_or(1);
            let number = match &self.current {
                Some((n, _, _)) if full => n + 1,
                _ => last,
            };
            let path = self.dir.join(segment_name(number));
            let fresh = !path.exists();
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
            if fresh {
                fsync_dir(&self.dir)?;
            }
            let len = file
                .metadata()
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?
                .len();
            self.current = Some((number, file, len));
            if len >= SEGMENT_BYTES {
                return self.segment();
            }
        }
        Ok(self.current.as_mut().expect("opened above"))
    }

    /// Appends one commit's entries and makes them durable.
    pub(crate) fn append(&mut self, generation: u64, entries: Vec<Entry>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let json = Zeroizing::new(
            serde_json::to_vec(&Record {
                generation,
                entries,
            })
            .expect("journal entries serialise"),
        );
        let mut padded = Zeroizing::new(vec![b' '; json.len().div_ceil(PAD_TO) * PAD_TO]);
        padded[..json.len()].copy_from_slice(&json);
        let sealed = envelope::seal(
            self.key.bytes(),
            Purpose::Journal,
            &context(self.vault_id),
            &padded,
            &mut OsRng,
        );
        let mut record = Vec::with_capacity(FRAME + sealed.len());
        record.extend_from_slice(MAGIC);
        record.extend_from_slice(&(sealed.len() as u32).to_be_bytes());
        record.extend_from_slice(&sealed);
        let (_, file, len) = self.segment()?;
        file.write_all(&record)
            .and_then(|()| file.sync_data())
            .map_err(|e| Error::io("writing the vault journal", e))?;
        *len += record.len() as u64;
        Ok(())
    }
}

/// What reading the journal found: every commit's entries in order, and what could not be read.
pub(crate) struct JournalScan {
    pub records: Vec<(u64, Vec<Entry>)>,
    /// Damaged records (complete, but they do not open).
    pub problems: Vec<String>,
    /// Torn records of appends a crash interrupted (their commits never happened).
    pub torn: usize,
}

/// Reads every record of the journal in `vault_dir` (oldest first).
pub(crate) fn read(vault_dir: &Path, key: &SubKey, vault_id: Uuid) -> Result<JournalScan> {
    let dir = vault_dir.join(JOURNAL_DIR);
    let mut scan = JournalScan {
        records: Vec::new(),
        problems: Vec::new(),
        torn: 0,
    };
    for (_, path) in segments(&dir)? {
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        read_segment(&bytes, key, vault_id, &path, &mut scan);
    }
    Ok(scan)
}

fn next_magic(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(MAGIC.len())
        .position(|w| w == MAGIC)
        .map(|p| from + p)
}

fn read_segment(bytes: &[u8], key: &SubKey, vault_id: Uuid, path: &Path, scan: &mut JournalScan) {
    let context = context(vault_id);
    let name = path.display();
    let mut at = 0usize;
    while at < bytes.len() {
        if !bytes[at..].starts_with(MAGIC) {
            let next = next_magic(bytes, at);
            scan.problems.push(format!(
                "{name}: {} bytes at byte {at} are not a journal record",
                next.unwrap_or(bytes.len()) - at
            ));
            match next {
                Some(next) => {
                    at = next;
                    continue;
                }
                None => return,
            }
        }
        let declared = bytes
            .get(at + MAGIC.len()..at + FRAME)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")) as usize);
        let end = declared.map(|len| at + FRAME + len);
        let opened = match end {
            Some(end) if end <= bytes.len() && declared <= Some(MAX_RECORD_BYTES as usize) => {
                envelope::open(
                    key.bytes(),
                    Purpose::Journal,
                    &context,
                    &bytes[at + FRAME..end],
                )
                .map_err(|e| e.to_string())
                .and_then(|plain| {
                    serde_json::from_slice::<Record>(&plain)
                        .map_err(|e| format!("not readable: {e}"))
                })
            }
            _ => Err("cut short".into()),
        };
        match (opened, end) {
            (Ok(record), Some(end)) => {
                scan.records.push((record.generation, record.entries));
                at = end;
            }
            (failure, _) => {
                // Cut short by the end of the file or by the next record: a torn append.
                // Whole but unreadable: damage.
                let reason = failure.err().unwrap_or_default();
                let next = next_magic(bytes, at + 1);
                let torn = match end {
                    Some(end) if end <= bytes.len() => next.is_some_and(|next| next < end),
                    _ => true,
                };
                if torn {
                    scan.torn += 1;
                } else {
                    scan.problems.push(format!(
                        "{name}: the record at byte {at} is damaged and was skipped ({reason})"
                    ));
                }
                match next {
                    Some(next) => at = next,
                    None => return,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::{SubKeyPurpose, VaultKey};
    use crate::document::DocumentKind;

    fn setting(n: u32) -> Entry {
        Entry::Setting {
            key: format!("k{n}"),
            value: Some(format!("v{n}")),
        }
    }

    fn keys(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e {
                Entry::Setting { key, .. } => key.clone(),
                _ => "other".into(),
            })
            .collect()
    }

    #[test]
    fn records_read_back_in_order_and_a_torn_tail_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::Journal);
        let id = Uuid::new_v4();
        let mut journal = Journal::new(dir.path(), key.clone(), id);
        journal.append(1, vec![setting(1), setting(2)]).unwrap();
        journal
            .append(
                2,
                vec![Entry::Fields {
                    document: DocumentId::random(),
                    fields: Box::new(DocumentFields::new(DocumentKind::Receipt, "kettle")),
                    field_states: BTreeMap::new(),
                    ocr_text: Some("KETTLE 1299".into()),
                    updated_at: OffsetDateTime::UNIX_EPOCH,
                }],
            )
            .unwrap();
        journal.append(3, vec![setting(3)]).unwrap();
        let scan = read(dir.path(), &key, id).unwrap();
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        let generations: Vec<u64> = scan.records.iter().map(|(g, _)| *g).collect();
        assert_eq!(generations, [1, 2, 3]);
        assert_eq!(keys(&scan.records[0].1), ["k1", "k2"]);

        // Nothing of the content is readable on disk.
        let path = dir.path().join(JOURNAL_DIR).join(segment_name(1));
        let mut bytes = fs::read(&path).unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"KETTLE"));

        // A flipped bit in the middle record skips it and is reported; a torn tail is not
        // damage (its commit never happened).
        let record_len = |at: usize| {
            FRAME + u32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize
        };
        let second = record_len(0);
        bytes[second + FRAME + 20] ^= 1;
        bytes.truncate(bytes.len() - 3);
        fs::write(&path, &bytes).unwrap();
        let scan = read(dir.path(), &key, id).unwrap();
        let generations: Vec<u64> = scan.records.iter().map(|(g, _)| *g).collect();
        assert_eq!(generations, [1]);
        assert_eq!(scan.problems.len(), 1, "{:?}", scan.problems);
        assert_eq!(scan.torn, 1);
    }

    #[test]
    fn records_appended_after_a_torn_one_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::Journal);
        let id = Uuid::new_v4();
        let mut journal = Journal::new(dir.path(), key.clone(), id);
        journal.append(1, vec![setting(1)]).unwrap();
        journal.append(2, vec![setting(2)]).unwrap();
        let path = dir.path().join(JOURNAL_DIR).join(segment_name(1));
        let mut bytes = fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 40); // a kill in the middle of the second append
        fs::write(&path, &bytes).unwrap();
        let mut journal = Journal::new(dir.path(), key.clone(), id);
        journal.append(2, vec![setting(3)]).unwrap();
        let scan = read(dir.path(), &key, id).unwrap();
        let read: Vec<String> = scan.records.iter().flat_map(|(_, e)| keys(e)).collect();
        assert_eq!(read, ["k1", "k3"]);
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        assert_eq!(scan.torn, 1);
    }

    #[test]
    fn a_journal_of_another_vault_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::Journal);
        let mut journal = Journal::new(dir.path(), key.clone(), Uuid::new_v4());
        journal.append(1, vec![setting(1)]).unwrap();
        let scan = read(dir.path(), &key, Uuid::new_v4()).unwrap();
        assert!(scan.records.is_empty());
        assert_eq!(scan.problems.len(), 1);
    }
}
