//! One document as the sync server keeps it: the allowed technical metadata in the clear
//! (kind class, month added, padded size), everything else — every field, the OCR text, the
//! file's name, the wrapped data key — in one envelope sealed with the vault's sync sub-key
//! and bound to the item id and the revision it is written as (so a server cannot pass an old
//! envelope off as a newer revision), padded so its size says little. The content blob travels
//! as the ciphertext the vault already stores; one larger than the server takes travels in
//! parts, byte ranges of it, which the receiving device joins again.

use std::collections::BTreeMap;

use std::io::{Read, Seek, SeekFrom};

use coffer_api::{
    BlobRef, Bytes, ItemMeta, ItemWrite, KindClass, MAX_BLOB_BYTES, MAX_BLOBS_PER_ITEM,
    MAX_ENVELOPE_BYTES,
};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::blobs::BlobName;
use crate::crypto::envelope::{self, Purpose};
use crate::crypto::keys::SubKey;
use crate::crypto::stream::padded_len;
use crate::document::{
    Document, DocumentFields, DocumentId, DocumentKind, Field, FieldState, FileInfo,
};
use crate::error::{Error, Result};
use crate::reminders::ReminderPlan;
use crate::vault::Vault;

/// Version of the sealed item payload. Version 2 binds the revision in the envelope's
/// associated data; version 1 (bound to the id only) is still read.
const PAYLOAD_FORMAT: u32 = 2;
const PAYLOAD_FORMAT_1: u32 = 1;
/// Lowers the largest blob sent (for a proxy in front of the server that limits request
/// sizes); the API's maximum otherwise.
const MAX_PART_ENV: &str = "COFFER_SYNC_MAX_BLOB_BYTES";

/// The largest blob this client sends; a document's larger blob goes in parts of this size.
pub(crate) fn max_part_bytes() -> u64 {
    std::env::var(MAX_PART_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(MAX_BLOB_BYTES, |v| v.clamp(1 << 20, MAX_BLOB_BYTES))
}

/// Where a document's content is and how to open it, as another device needs it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ContentPayload {
    /// SHA-256 of the ciphertext blob (its name here and on the server).
    pub blob: String,
    /// Size of the ciphertext blob.
    pub blob_size: u64,
    #[serde(with = "hex::serde")]
    pub content_hash: Vec<u8>,
    pub content_version: u32,
    #[serde(with = "hex::serde")]
    pub wrapped_key: Vec<u8>,
    /// The blob in byte ranges of at most `max_part_bytes`, when it is larger: each its own
    /// blob on the server, joined in order they are `blob`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<BlobRef>,
}

/// Everything about a document except its content: what the envelope holds. (No `Debug`: it
/// is document text.)
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ItemPayload {
    format: u32,
    pub fields: DocumentFields,
    pub field_states: BTreeMap<Field, FieldState>,
    pub ocr_text: Option<String>,
    pub file: FileInfo,
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub trashed_at: Option<OffsetDateTime>,
    pub reminder_plan: Option<ReminderPlan>,
    pub content: ContentPayload,
}

pub(crate) fn item_id(id: DocumentId) -> Uuid {
    Uuid::from_bytes(*id.as_bytes())
}

impl ItemPayload {
    /// Its envelope was bound to the revision it came as (format 2 on); format 1, written by a
    /// client before revisions were bound, opens as any revision of its item.
    pub(crate) fn is_bound(&self) -> bool {
        self.format != PAYLOAD_FORMAT_1
    }

    /// The same payload as a client before format 2 wrote it.
    #[cfg(test)]
    pub(crate) fn in_format_1(self) -> Self {
        Self {
            format: PAYLOAD_FORMAT_1,
            ..self
        }
    }

    /// The current local state of document `id`.
    pub(crate) fn read(vault: &Vault, id: DocumentId) -> Result<Self> {
        let doc = vault.document(id)?;
        let store = vault.store();
        let content = store.content_ref(id)?;
        let mut file = vault.blobs().open_blob(&content.blob)?;
        let blob_size = file
            .metadata()
            .map_err(|e| Error::io("reading encrypted content", e))?
            .len();
        let parts = parts(&mut file, blob_size, max_part_bytes())?;
        Ok(Self {
            format: PAYLOAD_FORMAT,
            fields: doc.fields,
            field_states: doc.field_states,
            ocr_text: doc.ocr_text,
            file: doc.file,
            imported_at: doc.imported_at,
            updated_at: doc.updated_at,
            trashed_at: doc.trashed_at,
            reminder_plan: store.reminder_plan(id)?,
            content: ContentPayload {
                blob: content.blob.as_str().to_string(),
                blob_size,
                content_hash: store.content_hash(id)?,
                content_version: content.content_version,
                wrapped_key: content.wrapped_key,
                parts,
            },
        })
    }

    /// The blobs the server keeps for this document: the whole blob, or its parts.
    pub(crate) fn blobs(&self) -> Vec<BlobRef> {
        if self.content.parts.is_empty() {
            vec![BlobRef {
                sha256: self.content.blob.clone(),
                size: self.content.blob_size,
            }]
        } else {
            self.content.parts.clone()
        }
    }

    pub(crate) fn document(&self, id: DocumentId) -> Document {
        Document {
            id,
            fields: self.fields.clone(),
            field_states: self.field_states.clone(),
            ocr_text: self.ocr_text.clone(),
            file: self.file.clone(),
            imported_at: self.imported_at,
            updated_at: self.updated_at,
            trashed_at: self.trashed_at,
        }
    }

    pub(crate) fn blob(&self) -> Result<BlobName> {
        BlobName::parse(&self.content.blob)
    }

    /// The write that stores this payload as item `id` at `revision` (the one it replaces plus
    /// one, 1 for a new item).
    pub(crate) fn to_write(
        &self,
        key: &SubKey,
        id: DocumentId,
        revision: u64,
    ) -> Result<ItemWrite> {
        let json = Zeroizing::new(serde_json::to_vec(self).expect("the payload serialises"));
        // Padded with spaces (JSON ignores trailing whitespace) to a Padmé bucket.
        let mut padded = Zeroizing::new(vec![b' '; padded_len(json.len() as u64) as usize]);
        padded[..json.len()].copy_from_slice(&json);
        let sealed = envelope::seal(
            key.bytes(),
            Purpose::SyncItem,
            &context(id, self.is_bound().then_some(revision)),
            &padded,
            &mut OsRng,
        );
        if sealed.len() > MAX_ENVELOPE_BYTES {
            return Err(Error::InvalidInput(format!(
                "document {id} has too much text to sync ({} KiB of fields and OCR text; the \
                 server takes {} KiB); shorten its notes or OCR text",
                json.len() / 1024,
                MAX_ENVELOPE_BYTES / 1024
            )));
        }
        Ok(ItemWrite {
            meta: ItemMeta {
                kind_class: match self.fields.kind {
                    DocumentKind::Receipt => KindClass::Receipt,
                    _ => KindClass::Document,
                },
                created_month: format!(
                    "{:04}-{:02}",
                    self.imported_at.year(),
                    u8::from(self.imported_at.month())
                ),
                padded_size: sealed.len() as u64 + self.content.blob_size,
            },
            envelope: Bytes(sealed),
            blobs: self.blobs(),
        })
    }

    /// Opens the envelope of item `id` as the server says it is at `revision`.
    pub(crate) fn open(key: &SubKey, id: DocumentId, sealed: &[u8], revision: u64) -> Result<Self> {
        let open = |context: &[u8]| envelope::open(key.bytes(), Purpose::SyncItem, context, sealed);
        let (plain, bound) = match open(&context(id, Some(revision))) {
            Ok(plain) => (plain, true),
            // Written by a client before revisions were bound (format 1 only, checked below).
            Err(first) => match open(&context(id, None)) {
                Ok(plain) => (plain, false),
                Err(_) => {
                    return Err(match first {
                        Error::Integrity(reason) => Error::DocumentDamaged {
                            id: id.to_string(),
                            reason: format!(
                                "its copy on the server does not open as revision {revision} \
                                 ({reason}): the server may have sent an older version"
                            ),
                        },
                        other => other,
                    });
                }
            },
        };
        let payload: Self = serde_json::from_slice(&plain).map_err(|e| Error::DocumentDamaged {
            id: id.to_string(),
            reason: format!("its copy on the server is not readable ({e})"),
        })?;
        if payload.format > PAYLOAD_FORMAT || payload.format == 0 {
            return Err(Error::UnsupportedFormat {
                what: "synced document",
                found: payload.format,
                supported: PAYLOAD_FORMAT,
            });
        }
        if !bound && payload.format != PAYLOAD_FORMAT_1 {
            return Err(Error::DocumentDamaged {
                id: id.to_string(),
                reason: format!(
                    "its copy on the server was written for another revision than {revision}: \
                     the server sent an older version"
                ),
            });
        }
        Ok(payload)
    }
}

/// The envelope's associated context: the item id, and (format 2) the revision.
fn context(id: DocumentId, revision: Option<u64>) -> Vec<u8> {
    let mut context = id.as_bytes().to_vec();
    if let Some(revision) = revision {
        context.extend_from_slice(b"@revision");
        context.extend_from_slice(&revision.to_be_bytes());
    }
    context
}

/// A blob of `size` bytes in parts of at most `part` bytes (none when it fits in one).
fn parts(file: &mut (impl Read + Seek), size: u64, part: u64) -> Result<Vec<BlobRef>> {
    if size <= part {
        return Ok(Vec::new());
    }
    let count = size.div_ceil(part);
    if count > MAX_BLOBS_PER_ITEM as u64 {
        return Err(Error::InvalidInput(format!(
            "too large to sync: {} GiB in {count} parts, above the {MAX_BLOBS_PER_ITEM} an item \
             may have",
            size >> 30
        )));
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| Error::io("reading encrypted content", e))?;
    let mut parts = Vec::with_capacity(count as usize);
    let mut buf = vec![0u8; 1 << 20];
    for index in 0..count {
        let len = part.min(size - index * part);
        let mut hasher = Sha256::new();
        let mut left = len;
        while left > 0 {
            let n = (left as usize).min(buf.len());
            file.read_exact(&mut buf[..n])
                .map_err(|e| Error::io("reading encrypted content", e))?;
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
        parts.push(BlobRef {
            sha256: hex::encode(hasher.finalize()),
            size: len,
        });
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::{SubKeyPurpose, VaultKey};

    fn payload(title: &str) -> ItemPayload {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        ItemPayload {
            format: PAYLOAD_FORMAT,
            fields: DocumentFields::new(DocumentKind::Receipt, title),
            field_states: BTreeMap::new(),
            ocr_text: None,
            file: FileInfo {
                name: "r.pdf".into(),
                media_type: "application/pdf".into(),
                size: 10,
            },
            imported_at: now,
            updated_at: now,
            trashed_at: None,
            reminder_plan: None,
            content: ContentPayload {
                blob: "ab".repeat(32),
                blob_size: 4096,
                content_hash: vec![1; 32],
                content_version: 1,
                wrapped_key: vec![2; 60],
                parts: Vec::new(),
            },
        }
    }

    #[test]
    fn a_damaged_envelope_from_the_server_is_refused_and_never_opens_as_something_else() {
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::SyncItem);
        let id = DocumentId::random();
        let sealed = payload("Kavárna U Lva")
            .to_write(&key, id, 3)
            .unwrap()
            .envelope
            .0;
        coffer_testkit::fuzz::each_mutation(&sealed, |bytes, seed| {
            if let Ok(opened) = ItemPayload::open(&key, id, bytes, 3) {
                assert_eq!(bytes, &sealed[..], "seed {seed}: a changed envelope opened");
                assert_eq!(opened.fields.title, "Kavárna U Lva", "seed {seed}");
            }
        });
    }

    #[test]
    fn an_item_opens_only_under_its_own_id_and_hides_the_title_length() {
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::SyncItem);
        let id = DocumentId::random();
        let short = payload("a").to_write(&key, id, 1).unwrap();
        let long = payload(&"a".repeat(300)).to_write(&key, id, 1).unwrap();
        assert_eq!(short.envelope.len(), long.envelope.len());
        assert_eq!(short.meta.kind_class, KindClass::Receipt);
        assert_eq!(short.meta.created_month, "2027-01");
        let opened = ItemPayload::open(&key, id, short.envelope.as_slice(), 1).unwrap();
        assert!(opened == payload("a"));
        assert!(
            ItemPayload::open(&key, DocumentId::random(), short.envelope.as_slice(), 1).is_err()
        );
    }

    #[test]
    fn an_envelope_passed_off_as_another_revision_is_refused() {
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::SyncItem);
        let id = DocumentId::random();
        let old = payload("old title").to_write(&key, id, 3).unwrap();
        let err = ItemPayload::open(&key, id, old.envelope.as_slice(), 4)
            .err()
            .unwrap();
        assert!(matches!(err, Error::DocumentDamaged { .. }), "{err}");
        assert!(ItemPayload::open(&key, id, old.envelope.as_slice(), 3).is_ok());
    }

    #[test]
    fn an_envelope_of_format_1_opens_as_any_revision_of_its_item_only() {
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::SyncItem);
        let id = DocumentId::random();
        let old = payload("old client").in_format_1();
        let sealed = old.to_write(&key, id, 3).unwrap().envelope;
        for revision in [1, 3, 9] {
            let opened = ItemPayload::open(&key, id, sealed.as_slice(), revision).unwrap();
            assert!(!opened.is_bound());
            assert_eq!(opened.fields.title, "old client");
        }
        assert!(ItemPayload::open(&key, DocumentId::random(), sealed.as_slice(), 3).is_err());
        assert!(payload("new client").is_bound());
    }

    #[test]
    fn a_blob_larger_than_a_part_travels_in_ranges_that_join_again() {
        let data: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut cursor = std::io::Cursor::new(&data);
        let ranges = parts(&mut cursor, data.len() as u64, 2 << 20).unwrap();
        assert_eq!(ranges.len(), 3);
        assert_eq!(
            ranges.iter().map(|p| p.size).sum::<u64>(),
            data.len() as u64
        );
        let mut offset = 0usize;
        for part in &ranges {
            let range = &data[offset..offset + part.size as usize];
            assert_eq!(part.sha256, hex::encode(Sha256::digest(range)));
            offset += part.size as usize;
        }
        assert!(parts(&mut cursor, 100, 2 << 20).unwrap().is_empty());
    }
}
