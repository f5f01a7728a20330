//! Documents the account's plan has locked (after a downgrade, spec §6): they are not opened,
//! edited or exported, on any device and offline too. The sync client writes the list from
//! the server's verified, signed entitlement; the vault checks it in every build, whether or
//! not that build can sync.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::document::DocumentId;
use crate::error::{Error, Result};
use crate::store::Store;

/// The setting (inside the encrypted store) that holds the list.
const SETTING: &str = "sync.locked";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LockList {
    pub documents: BTreeSet<DocumentId>,
    /// When the locked documents are deleted for good unless a paid plan is renewed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub purge_at: Option<OffsetDateTime>,
}

impl LockList {
    pub(crate) fn load(store: &Store) -> Result<Self> {
        match store.setting(SETTING)? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| Error::DatabaseDamaged(format!("the list of locked documents: {e}"))),
            None => Ok(Self::default()),
        }
    }

    #[cfg(feature = "sync")]
    pub(crate) fn save(&self, store: &mut Store) -> Result<()> {
        let text = serde_json::to_string(self).expect("the lock list serialises");
        store.set_setting(
            SETTING,
            (!self.documents.is_empty()).then_some(text.as_str()),
        )
    }

    /// Refuses a locked document.
    pub(crate) fn check(&self, id: DocumentId) -> Result<()> {
        if !self.documents.contains(&id) {
            return Ok(());
        }
        Err(Error::DocumentLocked {
            id: id.to_string(),
            purge: self
                .purge_at
                .map(|t| format!("on {}", t.date()))
                .unwrap_or_else(|| "at the end of the grace period".into()),
        })
    }
}
