//! How this vault stands with its account's copy, as a sync status display shows it: when it
//! last synced, how many local changes wait, which documents the plan keeps local-only, and
//! which it locks.

use serde::Serialize;
use time::OffsetDateTime;
use ts_rs::TS;

use super::error::SyncResult;
use super::locks::LockList;
use super::state;
use crate::document::{DocumentId, DocumentSummary};
use crate::search::{SearchQuery, TrashFilter};
use crate::vault::Vault;

/// The setting (inside the encrypted store) with the last complete sync, Unix seconds.
const LAST_SYNC_SETTING: &str = "sync.last_sync";

#[derive(Clone, Debug, Serialize, TS)]
pub struct SyncOverview {
    /// When a sync last completed on this device (Unix seconds); `None` before the first.
    pub last_sync: Option<i64>,
    /// Local changes (writes and deletions) not on the server yet.
    pub pending: usize,
    /// Documents kept on this device only because the plan's monthly limit was reached.
    pub not_synced: Vec<DocumentId>,
}

/// Notes that a sync completed now.
pub(crate) fn record_sync(vault: &mut Vault) -> SyncResult<()> {
    let now = vault.clock().now().unix_timestamp().to_string();
    vault.set_setting(LAST_SYNC_SETTING, Some(&now))?;
    Ok(())
}

pub fn overview(vault: &Vault) -> SyncResult<SyncOverview> {
    let conn = vault.store().conn();
    Ok(SyncOverview {
        last_sync: vault
            .setting(LAST_SYNC_SETTING)?
            .and_then(|text| text.parse::<i64>().ok())
            .filter(|&t| OffsetDateTime::from_unix_timestamp(t).is_ok()),
        pending: state::dirty(conn)?.len(),
        not_synced: state::held(conn)?,
    })
}

/// The documents the account's plan locks, as a list shows them (their fields stay readable
/// here; their content does not open).
pub fn locked_documents(vault: &Vault) -> SyncResult<Vec<DocumentSummary>> {
    let locks = LockList::load(vault.store())?;
    if locks.documents.is_empty() {
        return Ok(Vec::new());
    }
    let everything = SearchQuery {
        trash: TrashFilter::Include,
        ..SearchQuery::default()
    };
    Ok(vault
        .search(&everything)?
        .into_iter()
        .filter(|doc| locks.documents.contains(&doc.id))
        .collect())
}
