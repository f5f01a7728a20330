//! The sync state kept inside the encrypted store (migration 3): the account this vault is
//! connected to (with the refresh token, a secret) and the change-feed cursor, and per document
//! the server revision it descends from, whether it changed since, and the write in flight.

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::document::DocumentId;
use crate::error::{Error, Result};

/// The account a vault is connected to.
pub(crate) struct AccountRow {
    pub server_url: String,
    pub email: String,
    pub account_id: Uuid,
    pub device_id: Uuid,
    /// `None` after `logout`.
    pub refresh_token: Option<Zeroizing<String>>,
    pub cursor: u64,
}

/// A write sent (or about to be sent) for one local version of a document: kept until it is
/// answered, so a retry sends the same bytes with the same idempotency key.
pub(crate) struct PendingWrite {
    pub version: i64,
    pub key: String,
    pub body: Vec<u8>,
}

/// One document's sync state.
pub(crate) struct DocumentState {
    pub id: DocumentId,
    /// The server revision the local version descends from; `None` if never pushed.
    pub revision: Option<u64>,
    pub local_version: i64,
    /// Changed (or purged) here since it was last in step with the server.
    pub dirty: bool,
    /// Purged here; the server still has it.
    pub deleted: bool,
    pub pending: Option<PendingWrite>,
    /// Its revision here was written bound to the revision (see `bind`).
    pub bound: bool,
}

fn uuid(text: String) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

fn document_id(text: String) -> rusqlite::Result<DocumentId> {
    text.parse().map_err(|e: Error| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

pub(crate) fn account(conn: &Connection) -> Result<Option<AccountRow>> {
    Ok(conn
        .query_row(
            "SELECT server_url, email, account_id, device_id, refresh_token, cursor
             FROM sync_account WHERE id = 1",
            [],
            |r| {
                Ok(AccountRow {
                    server_url: r.get(0)?,
                    email: r.get(1)?,
                    account_id: uuid(r.get(2)?)?,
                    device_id: uuid(r.get(3)?)?,
                    refresh_token: r.get::<_, Option<String>>(4)?.map(Zeroizing::new),
                    cursor: r.get::<_, i64>(5)? as u64,
                })
            },
        )
        .optional()?)
}

/// Connects the vault to an account. Another account than before starts over: every document
/// is new to it and the cursor goes back to the start.
pub(crate) fn connect(conn: &Connection, row: &AccountRow) -> Result<()> {
    let same_account = account(conn)?.is_some_and(|old| old.account_id == row.account_id);
    if !same_account {
        forget_server_state(conn)?;
    }
    conn.execute(
        "INSERT INTO sync_account (id, server_url, email, account_id, device_id, refresh_token,
            cursor)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET server_url = excluded.server_url,
            email = excluded.email, account_id = excluded.account_id,
            device_id = excluded.device_id, refresh_token = excluded.refresh_token",
        params![
            row.server_url,
            row.email,
            row.account_id.to_string(),
            row.device_id.to_string(),
            row.refresh_token.as_ref().map(|t| t.as_str()),
            row.cursor as i64,
        ],
    )?;
    Ok(())
}

pub(crate) fn set_refresh_token(conn: &Connection, token: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE sync_account SET refresh_token = ?1 WHERE id = 1",
        [token],
    )?;
    Ok(())
}

pub(crate) fn set_cursor(conn: &Connection, cursor: u64) -> Result<()> {
    conn.execute(
        "UPDATE sync_account SET cursor = ?1 WHERE id = 1",
        [cursor as i64],
    )?;
    Ok(())
}

/// Disconnects the vault (the account was deleted): documents stay, as never synced.
pub(crate) fn disconnect(conn: &Connection) -> Result<()> {
    conn.execute("DELETE FROM sync_account", [])?;
    forget_server_state(conn)
}

fn forget_server_state(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM sync_documents WHERE deleted = 1;
         UPDATE sync_documents SET revision = NULL, synced_version = 0, local_version = 1,
            pending_version = NULL, pending_key = NULL, pending_body = NULL, hold = NULL;
         UPDATE sync_account SET cursor = 0;",
    )?;
    Ok(())
}

const STATE_COLUMNS: &str = "document, revision, local_version, deleted, pending_version, \
    pending_key, pending_body, local_version != synced_version, bound";
/// The same, from `sync_documents s` in a join.
const STATE_COLUMNS_OF_S: &str = "s.document, s.revision, s.local_version, s.deleted, \
    s.pending_version, s.pending_key, s.pending_body, s.local_version != s.synced_version, s.bound";

fn state_from_row(r: &rusqlite::Row) -> rusqlite::Result<DocumentState> {
    let pending = match (r.get(4)?, r.get(5)?, r.get(6)?) {
        (Some(version), Some(key), Some(body)) => Some(PendingWrite { version, key, body }),
        _ => None,
    };
    Ok(DocumentState {
        id: document_id(r.get(0)?)?,
        revision: r.get::<_, Option<i64>>(1)?.map(|v| v as u64),
        local_version: r.get(2)?,
        dirty: r.get(7)?,
        deleted: r.get(3)?,
        pending,
        bound: r.get(8)?,
    })
}

/// Documents changed (or purged) here since they were last in step with the server, oldest
/// import first: on a plan with a monthly limit the first documents of the month are the ones
/// that sync, and the newest wait (deletions go first; they free nothing but cost nothing).
pub(crate) fn dirty(conn: &Connection) -> Result<Vec<DocumentState>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {STATE_COLUMNS_OF_S} FROM sync_documents s LEFT JOIN documents d ON d.id = s.document
         WHERE s.local_version != s.synced_version AND s.hold IS NULL
         ORDER BY d.imported_at IS NOT NULL, d.imported_at, d.rowid, s.document"
    ))?;
    let rows = stmt
        .query_map([], state_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub(crate) fn document(conn: &Connection, id: DocumentId) -> Result<Option<DocumentState>> {
    Ok(conn
        .query_row(
            &format!("SELECT {STATE_COLUMNS} FROM sync_documents WHERE document = ?1"),
            [id.to_string()],
            state_from_row,
        )
        .optional()?)
}

pub(crate) fn set_pending(conn: &Connection, id: DocumentId, pending: &PendingWrite) -> Result<()> {
    conn.execute(
        "UPDATE sync_documents SET pending_version = ?2, pending_key = ?3, pending_body = ?4
         WHERE document = ?1",
        params![id.to_string(), pending.version, pending.key, pending.body],
    )?;
    Ok(())
}

/// The server accepted the local version `version` as `revision` (written here, so bound to
/// it). Changes made here since that version was read keep the document dirty.
pub(crate) fn pushed(conn: &Connection, id: DocumentId, revision: u64, version: i64) -> Result<()> {
    conn.execute(
        "UPDATE sync_documents SET revision = ?2, synced_version = ?3, pending_version = NULL,
            pending_key = NULL, pending_body = NULL, bound = 1
         WHERE document = ?1",
        params![id.to_string(), revision as i64, version],
    )?;
    Ok(())
}

/// The local document now is the server's `revision` (or, with `None`, it is gone on both
/// sides and forgotten).
pub(crate) fn in_step(conn: &Connection, id: DocumentId, revision: Option<u64>) -> Result<()> {
    match revision {
        Some(revision) => conn.execute(
            "UPDATE sync_documents SET revision = ?2, synced_version = local_version,
                deleted = 0, pending_version = NULL, pending_key = NULL, pending_body = NULL
             WHERE document = ?1",
            params![id.to_string(), revision as i64],
        )?,
        None => conn.execute(
            "DELETE FROM sync_documents WHERE document = ?1",
            [id.to_string()],
        )?,
    };
    Ok(())
}

/// The document's revision here came in an envelope bound to it: an unbound one (format 1,
/// written by a client before revisions were bound) is refused for it from now on.
pub(crate) fn bind(conn: &Connection, id: DocumentId) -> Result<()> {
    conn.execute(
        "UPDATE sync_documents SET bound = 1 WHERE document = ?1",
        [id.to_string()],
    )?;
    Ok(())
}

/// The document was deleted on the server (at `revision`, its tombstone) or is no longer
/// listed there (`None`), and moved to the trash here: in step, so nothing is pushed, until
/// a person restores it, which writes it again (over the tombstone).
pub(crate) fn detach(conn: &Connection, id: DocumentId, revision: Option<u64>) -> Result<()> {
    conn.execute(
        "UPDATE sync_documents SET revision = ?2, synced_version = local_version, deleted = 0,
            pending_version = NULL, pending_key = NULL, pending_body = NULL
         WHERE document = ?1",
        params![id.to_string(), revision.map(|r| r as i64)],
    )?;
    Ok(())
}

/// The server may have this document at `revision` (a tombstone a write must replace).
pub(crate) fn set_revision(conn: &Connection, id: DocumentId, revision: u64) -> Result<()> {
    conn.execute(
        "UPDATE sync_documents SET revision = ?2, pending_version = NULL, pending_key = NULL,
            pending_body = NULL
         WHERE document = ?1",
        params![id.to_string(), revision as i64],
    )?;
    Ok(())
}

/// Notes a removal the server asked for, to be applied at the end of the sync.
pub(crate) fn add_removal(conn: &Connection, id: DocumentId, revision: Option<u64>) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO sync_removals (document, revision) VALUES (?1, ?2)",
        params![id.to_string(), revision.map(|r| r as i64)],
    )?;
    Ok(())
}

/// The removals waiting, for documents that are still here.
pub(crate) fn removals(conn: &Connection) -> Result<Vec<(DocumentId, Option<u64>)>> {
    conn.execute(
        "DELETE FROM sync_removals WHERE document NOT IN (SELECT id FROM documents)",
        [],
    )?;
    let mut stmt =
        conn.prepare("SELECT document, revision FROM sync_removals ORDER BY document")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                document_id(r.get(0)?)?,
                r.get::<_, Option<i64>>(1)?.map(|v| v as u64),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub(crate) fn clear_removal(conn: &Connection, id: DocumentId) -> Result<()> {
    conn.execute(
        "DELETE FROM sync_removals WHERE document = ?1",
        [id.to_string()],
    )?;
    Ok(())
}

/// Keeps a document on this device only (the server refused it, e.g. for the plan's monthly
/// limit) until the holds are released at the next sync.
pub(crate) fn hold(conn: &Connection, id: DocumentId, reason: &str) -> Result<()> {
    conn.execute(
        "UPDATE sync_documents SET hold = ?2 WHERE document = ?1",
        params![id.to_string(), reason],
    )?;
    Ok(())
}

pub(crate) fn release_holds(conn: &Connection) -> Result<()> {
    conn.execute(
        "UPDATE sync_documents SET hold = NULL WHERE hold IS NOT NULL",
        [],
    )?;
    Ok(())
}

/// Documents held on this device only.
pub(crate) fn held(conn: &Connection) -> Result<Vec<DocumentId>> {
    let mut stmt = conn
        .prepare("SELECT document FROM sync_documents WHERE hold IS NOT NULL ORDER BY document")?;
    let ids = stmt
        .query_map([], |r| document_id(r.get(0)?))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Documents that are in step with the server (for a full resync, which removes those the
/// server no longer has).
pub(crate) fn synced_documents(conn: &Connection) -> Result<Vec<DocumentId>> {
    let mut stmt = conn.prepare(
        "SELECT document FROM sync_documents
         WHERE revision IS NOT NULL AND local_version = synced_version AND deleted = 0",
    )?;
    let ids = stmt
        .query_map([], |r| document_id(r.get(0)?))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{ImportOptions, ImportOutcome, KdfParams, RecoveryPhrase, SystemClock};
    use rand::rngs::OsRng;
    use secrecy::SecretString;
    use std::sync::Arc;

    pub(crate) fn vault_with_document() -> (tempfile::TempDir, crate::Vault, DocumentId) {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = crate::Vault::create(
            dir.path().join("vault"),
            &SecretString::from("a test password"),
            KdfParams::default_pbkdf2(),
            &RecoveryPhrase::generate(&mut OsRng),
            Arc::new(SystemClock),
        )
        .unwrap();
        let file = dir.path().join("receipt.txt");
        std::fs::write(&file, b"a receipt").unwrap();
        let ImportOutcome::Imported(doc) = vault.import(&file, &ImportOptions::default()).unwrap()
        else {
            panic!("not imported")
        };
        (dir, vault, doc.id)
    }

    fn dirty_ids(vault: &crate::Vault) -> Vec<DocumentId> {
        dirty(vault.store().conn())
            .unwrap()
            .into_iter()
            .map(|d| d.id)
            .collect()
    }

    #[test]
    fn every_local_change_marks_the_document_dirty_until_it_is_in_step() {
        let (_dir, mut vault, id) = vault_with_document();
        assert_eq!(dirty_ids(&vault), vec![id]);
        in_step(vault.store().conn(), id, Some(1)).unwrap();
        assert!(dirty_ids(&vault).is_empty());

        vault.trash(id).unwrap();
        assert_eq!(dirty_ids(&vault), vec![id]);
        in_step(vault.store().conn(), id, Some(2)).unwrap();
        vault
            .store_mut()
            .set_reminder_plan(
                id,
                Some(&crate::ReminderPlan {
                    lead_days: None,
                    notice_days: Some(30),
                }),
            )
            .unwrap();
        assert_eq!(dirty_ids(&vault), vec![id]);
    }

    #[test]
    fn a_purge_leaves_a_tombstone_only_for_documents_the_server_knows() {
        let (_dir, mut vault, id) = vault_with_document();
        in_step(vault.store().conn(), id, Some(3)).unwrap();
        vault.purge(id).unwrap();
        let state = document(vault.store().conn(), id).unwrap().unwrap();
        assert!(state.deleted && state.dirty);
        assert_eq!(state.revision, Some(3));

        let (_dir, mut vault, never_synced) = vault_with_document();
        vault.purge(never_synced).unwrap();
        assert!(
            document(vault.store().conn(), never_synced)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_failed_group_of_writes_leaves_no_trace() {
        let (_dir, mut vault, id) = vault_with_document();
        in_step(vault.store().conn(), id, Some(1)).unwrap();
        let result = vault.atomically(|v| -> Result<()> {
            v.trash(id)?;
            Err(Error::InvalidInput("stop".into()))
        });
        assert!(result.is_err());
        assert!(vault.document(id).unwrap().trashed_at.is_none());
        assert!(dirty_ids(&vault).is_empty());
    }
}
