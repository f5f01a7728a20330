//! One document as the sync server keeps it: the allowed technical metadata in the clear
//! (kind class, month added, padded size), everything else — every field, the OCR text, the
//! file's name, the wrapped data key — in one envelope sealed with the vault's sync sub-key
//! and bound to the item id, padded so its size says little. The content blob travels as the
//! ciphertext the vault already stores.

use std::collections::BTreeMap;

use coffer_api::{BlobRef, Bytes, ItemMeta, ItemWrite, KindClass, MAX_ENVELOPE_BYTES};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
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

/// Version of the sealed item payload.
const PAYLOAD_FORMAT: u32 = 1;

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
    /// The current local state of document `id`.
    pub(crate) fn read(vault: &Vault, id: DocumentId) -> Result<Self> {
        let doc = vault.document(id)?;
        let store = vault.store();
        let content = store.content_ref(id)?;
        let blob_size = vault
            .blobs()
            .open_blob(&content.blob)?
            .metadata()
            .map_err(|e| Error::io("reading encrypted content", e))?
            .len();
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
            },
        })
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

    /// The write that stores this payload as item `id`.
    pub(crate) fn to_write(&self, key: &SubKey, id: DocumentId) -> Result<ItemWrite> {
        let json = Zeroizing::new(serde_json::to_vec(self).expect("the payload serialises"));
        // Padded with spaces (JSON ignores trailing whitespace) to a Padmé bucket.
        let mut padded = Zeroizing::new(vec![b' '; padded_len(json.len() as u64) as usize]);
        padded[..json.len()].copy_from_slice(&json);
        let sealed = envelope::seal(
            key.bytes(),
            Purpose::SyncItem,
            id.as_bytes(),
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
            blobs: vec![BlobRef {
                sha256: self.content.blob.clone(),
                size: self.content.blob_size,
            }],
        })
    }

    /// Opens the envelope of item `id`.
    pub(crate) fn open(key: &SubKey, id: DocumentId, sealed: &[u8]) -> Result<Self> {
        let plain =
            envelope::open(key.bytes(), Purpose::SyncItem, id.as_bytes(), sealed).map_err(|e| {
                match e {
                    Error::Integrity(reason) => Error::DocumentDamaged {
                        id: id.to_string(),
                        reason: format!("its copy on the server does not open ({reason})"),
                    },
                    other => other,
                }
            })?;
        let payload: Self = serde_json::from_slice(&plain).map_err(|e| Error::DocumentDamaged {
            id: id.to_string(),
            reason: format!("its copy on the server is not readable ({e})"),
        })?;
        if payload.format != PAYLOAD_FORMAT {
            return Err(Error::UnsupportedFormat {
                what: "synced document",
                found: payload.format,
                supported: PAYLOAD_FORMAT,
            });
        }
        Ok(payload)
    }
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
            },
        }
    }

    #[test]
    fn an_item_opens_only_under_its_own_id_and_hides_the_title_length() {
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::SyncItem);
        let id = DocumentId::random();
        let short = payload("a").to_write(&key, id).unwrap();
        let long = payload(&"a".repeat(300)).to_write(&key, id).unwrap();
        assert_eq!(short.envelope.len(), long.envelope.len());
        assert_eq!(short.meta.kind_class, KindClass::Receipt);
        assert_eq!(short.meta.created_month, "2027-01");
        let opened = ItemPayload::open(&key, id, short.envelope.as_slice()).unwrap();
        assert!(opened == payload("a"));
        assert!(ItemPayload::open(&key, DocumentId::random(), short.envelope.as_slice()).is_err());
    }
}
