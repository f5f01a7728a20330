//! One change to many documents (the app's bulk actions: a kind, tags, confirming every guess,
//! the trash). The whole selection is one unit of work, so a crash lands all of it or none.
//! A document the change cannot apply to (trashed meanwhile, locked by the plan, gone) is
//! named with the reason and the others go on; an invalid change (an empty tag) changes
//! nothing at all.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::document::{DocumentId, DocumentKind, Field};
use crate::error::{Error, Result};
use crate::search::SearchQuery;
use crate::vault::{DocumentEdit, Vault};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum BulkChange {
    SetKind {
        kind: DocumentKind,
    },
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
    /// Every field that holds an unconfirmed guess becomes confirmed as it stands.
    ConfirmAll,
    Trash,
    Restore,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct BulkOutcome {
    /// Documents the change was written to.
    pub changed: usize,
    /// Documents it had nothing to do for (every guess already confirmed, already in the
    /// trash).
    pub unchanged: usize,
    pub skipped: Vec<Skipped>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Skipped {
    pub id: DocumentId,
    pub reason: String,
}

/// Whether `error` concerns one document only, so the others can still be changed.
fn concerns_one_document(error: &Error) -> bool {
    matches!(
        error,
        Error::DocumentNotFound(_) | Error::DocumentTrashed(_) | Error::DocumentLocked { .. }
    )
}

impl Vault {
    /// Every document the query matches (its offset and limit aside), in its order: what "select
    /// all" means for the list the person sees.
    pub fn matching_ids(&self, query: &SearchQuery) -> Result<Vec<DocumentId>> {
        let every = SearchQuery {
            offset: 0,
            limit: None,
            ..query.clone()
        };
        self.store().matching_ids(&every, self.clock().today())
    }

    /// Applies `change` to each of `ids` in one unit of work.
    pub fn change_many(&mut self, ids: &[DocumentId], change: &BulkChange) -> Result<BulkOutcome> {
        self.atomically(|vault| {
            let mut outcome = BulkOutcome::default();
            for &id in ids {
                match vault.change_one(id, change) {
                    Ok(true) => outcome.changed += 1,
                    Ok(false) => outcome.unchanged += 1,
                    Err(e) if concerns_one_document(&e) => outcome.skipped.push(Skipped {
                        id,
                        reason: e.to_string(),
                    }),
                    Err(e) => return Err(e),
                }
            }
            Ok(outcome)
        })
    }

    /// Whether anything was written.
    fn change_one(&mut self, id: DocumentId, change: &BulkChange) -> Result<bool> {
        let edit = match change {
            BulkChange::SetKind { kind } => DocumentEdit {
                kind: Some(*kind),
                ..DocumentEdit::default()
            },
            BulkChange::AddTags { tags } => DocumentEdit {
                add_tags: tags.clone(),
                ..DocumentEdit::default()
            },
            BulkChange::RemoveTags { tags } => DocumentEdit {
                remove_tags: tags.clone(),
                ..DocumentEdit::default()
            },
            BulkChange::ConfirmAll => {
                let doc = self.document(id)?;
                let guesses: Vec<Field> = doc
                    .field_states
                    .iter()
                    .filter(|(_, state)| !state.confirmed)
                    .map(|(field, _)| *field)
                    .collect();
                if guesses.is_empty() {
                    return Ok(false);
                }
                DocumentEdit {
                    confirm: guesses,
                    ..DocumentEdit::default()
                }
            }
            BulkChange::Trash | BulkChange::Restore => {
                let trash = matches!(change, BulkChange::Trash);
                if self.document(id)?.trashed_at.is_some() == trash {
                    return Ok(false);
                }
                if trash {
                    self.trash(id)?;
                } else {
                    self.untrash(id)?;
                }
                return Ok(true);
            }
        };
        self.edit(id, &edit)?;
        Ok(true)
    }
}
