//! Bulk actions on the list's selection. The web view sends either the rows the person picked
//! or, for "select all", the search itself (less the rows unticked since): the selection is
//! every document the query matches, however few of them the list has loaded.

use std::collections::HashSet;
use std::sync::Arc;

use coffer_core::bulk::{BulkChange, BulkOutcome};
use coffer_core::{DocumentId, Vault};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use super::{Result, SearchArgs, blocking};
use crate::session::Session;

#[derive(Debug, Deserialize, TS)]
#[serde(tag = "mode", rename_all = "snake_case")]
#[ts(rename = "SelectionRequest")]
pub enum Selection {
    Ids {
        ids: Vec<String>,
    },
    Query {
        query: SearchArgs,
        except: Vec<String>,
    },
}

/// Ids that are not a document id stand for no document (skipped by a change, like one
/// purged meanwhile), never for a prefix of one.
fn parse_ids(ids: &[String]) -> Vec<DocumentId> {
    ids.iter().filter_map(|id| id.parse().ok()).collect()
}

impl Selection {
    pub(crate) fn resolve(self, vault: &Vault) -> coffer_core::Result<Vec<DocumentId>> {
        match self {
            Self::Ids { ids } => Ok(parse_ids(&ids)),
            Self::Query { query, except } => {
                let except: HashSet<DocumentId> = parse_ids(&except).into_iter().collect();
                let mut ids = vault.matching_ids(&query.into_query()?)?;
                ids.retain(|id| !except.contains(id));
                Ok(ids)
            }
        }
    }
}

/// One selected document, named for the progress of work on it.
#[derive(Debug, Serialize, TS)]
pub struct Selected {
    pub id: String,
    pub title: String,
}

/// The selection's documents, in the list's order (for OCR one at a time), less any that are
/// gone meanwhile.
#[tauri::command]
pub async fn selected_documents(
    session: State<'_, Arc<Session>>,
    selection: Selection,
) -> Result<Vec<Selected>> {
    blocking(&session, move |session| {
        session.with_vault(|vault| {
            let ids = selection.resolve(vault)?;
            Ok(vault
                .summaries(&ids)?
                .into_iter()
                .map(|s| Selected {
                    id: s.id.to_string(),
                    title: s.title,
                })
                .collect())
        })
    })
    .await
}

#[tauri::command]
pub async fn change_documents(
    session: State<'_, Arc<Session>>,
    selection: Selection,
    change: BulkChange,
) -> Result<BulkOutcome> {
    blocking(&session, move |session| {
        session.with_vault(|vault| {
            let ids = selection.resolve(vault)?;
            vault.change_many(&ids, &change)
        })
    })
    .await
}
