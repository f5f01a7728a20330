//! What a content blob says about itself: the document it belongs to, its content version,
//! its data key (wrapped under the vault key) and the fields as of the write. Sealed inside
//! the blob (stream format 2) or, for blobs of the first format, in a `.desc` file beside it,
//! so `repair` can rebuild a document's database row from `blobs/` alone; later edits are in
//! the journal.

use std::collections::BTreeMap;

use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::crypto::envelope::{self, Purpose};
use crate::crypto::keys::SubKey;
use crate::crypto::stream::MAX_DESCRIPTION;
use crate::document::{DocumentFields, DocumentId, Field, FieldState, FileInfo};
use crate::error::{Error, Result};

const FORMAT: u32 = 1;
const CONTEXT: &[u8] = b"coffer-blob-description";
/// Descriptions are padded to a multiple of this, so their size says little about the fields.
const PAD_TO: usize = 512;

/// A blob's own account of what it holds. (No `Debug`: it holds document text.)
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct BlobDescription {
    format: u32,
    pub document: DocumentId,
    pub content_version: u32,
    #[serde(with = "hex::serde")]
    pub wrapped_key: Vec<u8>,
    /// The keyed hash used for duplicate detection, when known before the content was
    /// written (hex); `repair` computes it otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    pub file: FileInfo,
    pub fields: DocumentFields,
    pub field_states: BTreeMap<Field, FieldState>,
    #[serde(with = "time::serde::rfc3339")]
    pub imported_at: OffsetDateTime,
}

impl BlobDescription {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        document: DocumentId,
        content_version: u32,
        wrapped_key: Vec<u8>,
        content_hash: Option<&[u8]>,
        file: FileInfo,
        fields: DocumentFields,
        field_states: BTreeMap<Field, FieldState>,
        imported_at: OffsetDateTime,
    ) -> Self {
        Self {
            format: FORMAT,
            document,
            content_version,
            wrapped_key,
            content_hash: content_hash.map(hex::encode),
            file,
            fields,
            field_states,
            imported_at,
        }
    }

    pub(crate) fn content_hash(&self) -> Option<Vec<u8>> {
        self.content_hash
            .as_deref()
            .and_then(|h| hex::decode(h).ok())
    }

    /// The description sealed under the vault's description key.
    pub(crate) fn seal(&self, key: &SubKey) -> Vec<u8> {
        let sealed = self.seal_padded(key);
        if sealed.len() <= MAX_DESCRIPTION {
            return sealed;
        }
        // Only long notes make a description this large; the journal keeps them whole.
        let mut shorter = self.clone();
        shorter.fields.notes = None;
        shorter.seal_padded(key)
    }

    fn seal_padded(&self, key: &SubKey) -> Vec<u8> {
        let json = Zeroizing::new(serde_json::to_vec(self).expect("a description serialises"));
        let mut padded = Zeroizing::new(vec![b' '; json.len().div_ceil(PAD_TO) * PAD_TO]);
        padded[..json.len()].copy_from_slice(&json);
        envelope::seal(
            key.bytes(),
            Purpose::BlobDescription,
            CONTEXT,
            &padded,
            &mut OsRng,
        )
    }

    pub(crate) fn open(key: &SubKey, sealed: &[u8]) -> Result<Self> {
        let plain = envelope::open(key.bytes(), Purpose::BlobDescription, CONTEXT, sealed)?;
        let description: Self = serde_json::from_slice(&plain)
            .map_err(|e| Error::Integrity(format!("a blob description is not readable ({e})")))?;
        if description.format != FORMAT {
            return Err(Error::UnsupportedFormat {
                what: "blob description",
                found: description.format,
                supported: FORMAT,
            });
        }
        Ok(description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::{SubKeyPurpose, VaultKey};
    use crate::document::DocumentKind;

    fn description(notes: Option<String>) -> BlobDescription {
        let mut fields = DocumentFields::new(DocumentKind::Receipt, "kettle");
        fields.notes = notes;
        BlobDescription::new(
            DocumentId::random(),
            1,
            vec![7; 60],
            Some(&[9; 32]),
            FileInfo {
                name: "kettle.jpg".into(),
                media_type: "image/jpeg".into(),
                size: 1234,
            },
            fields,
            BTreeMap::new(),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn a_description_opens_only_under_its_vaults_key_and_hides_the_title_length() {
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::BlobDescription);
        let d = description(None);
        let sealed = d.seal(&key);
        let opened = BlobDescription::open(&key, &sealed).unwrap();
        assert_eq!(opened.document, d.document);
        assert_eq!(opened.content_hash(), Some(vec![9; 32]));
        assert_eq!(opened.fields.title, "kettle");
        let other = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::BlobDescription);
        assert!(BlobDescription::open(&other, &sealed).is_err());
        let mut longer = d.clone();
        longer.fields.title = "an electric kettle".into();
        assert_eq!(longer.seal(&key).len(), sealed.len());
    }

    #[test]
    fn huge_notes_are_left_to_the_journal() {
        let key = VaultKey::generate(&mut OsRng).derive(SubKeyPurpose::BlobDescription);
        let sealed = description(Some("x".repeat(MAX_DESCRIPTION))).seal(&key);
        assert!(sealed.len() <= MAX_DESCRIPTION);
        let opened = BlobDescription::open(&key, &sealed).unwrap();
        assert!(opened.fields.notes.is_none());
    }
}
