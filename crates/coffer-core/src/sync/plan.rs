//! The account's entitlement (plan, limits, usage, locked items, purge date), signed by the
//! server with Ed25519. The signing key is fetched once at login and kept (trust on first
//! use); every entitlement is verified against it before anything in it counts, cached in the
//! encrypted store, and its lock list is what `locks` enforces offline.

use std::collections::BTreeSet;

use coffer_api::{Entitlement, EntitlementKey, ErrorCode, SignedEntitlement, routes};
use serde::Serialize;
use time::OffsetDateTime;
use ts_rs::TS;

use super::account::{Connection, connection, open};
use super::client::Server;
use super::error::{SyncError, SyncResult};
use super::locks::LockList;
use super::state;
use crate::document::DocumentId;
use crate::error::Error;
use crate::vault::Vault;

const KEY_SETTING: &str = "sync.entitlement_key";
const ENTITLEMENT_SETTING: &str = "sync.entitlement";
/// Documents that left a lock list with a purge date: if their deletion arrives, it is the
/// announced purge, final on this device too.
const PURGED_SETTING: &str = "sync.announced_purges";

/// What `coffer account status` shows.
#[derive(Clone, Debug, Serialize, TS)]
pub struct AccountStatus {
    pub connection: Connection,
    /// `None` when the server has never sent one (or has no plans).
    pub entitlement: Option<Entitlement>,
    /// Whether `entitlement` was just fetched (else it is the cached one: offline).
    pub fresh: bool,
    /// Documents kept on this device only because the plan's monthly limit was reached.
    pub not_synced: Vec<DocumentId>,
}

/// Fetches and keeps the server's entitlement signing key (at login: the user's confirmation
/// of the server, so a new key replaces an old one here and only here).
pub(crate) fn trust_key(vault: &mut Vault, server: &Server) -> SyncResult<()> {
    match server.get::<EntitlementKey>(routes::ENTITLEMENT_KEY) {
        Ok(key) => {
            let text = serde_json::to_string(&key).expect("a key serialises");
            vault.store_mut().set_setting(KEY_SETTING, Some(&text))?;
            Ok(())
        }
        // A server without plans: nothing to honour.
        Err(e) if e.code() == Some(ErrorCode::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

fn setting<T: serde::de::DeserializeOwned>(vault: &Vault, key: &str) -> SyncResult<Option<T>> {
    vault
        .store()
        .setting(key)?
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| SyncError::Vault(Error::DatabaseDamaged(format!("{key}: {e}"))))
        })
        .transpose()
}

fn verify(vault: &Vault, signed: &SignedEntitlement) -> SyncResult<Entitlement> {
    let key: EntitlementKey = setting(vault, KEY_SETTING)?.ok_or_else(|| {
        SyncError::Protocol("no entitlement key was kept for this server; log in again".into())
    })?;
    signed
        .verify(&key)
        .map_err(|e| SyncError::Vault(Error::Integrity(e.to_string())))
}

/// Forgets the server's key, the entitlement and its locks (the account is gone).
pub(crate) fn forget(vault: &mut Vault) -> SyncResult<()> {
    let store = vault.store_mut();
    store.set_setting(KEY_SETTING, None)?;
    store.set_setting(ENTITLEMENT_SETTING, None)?;
    LockList::default().save(store)?;
    Ok(())
}

/// The cached entitlement, verified again.
pub(crate) fn cached(vault: &Vault) -> SyncResult<Option<Entitlement>> {
    match setting::<SignedEntitlement>(vault, ENTITLEMENT_SETTING)? {
        Some(signed) => verify(vault, &signed).map(Some),
        None => Ok(None),
    }
}

/// Fetches, verifies and caches the entitlement, and applies its lock list. When documents
/// come out of a lock (a renewed plan), the next pull lists everything again so that what
/// could not be downloaded while locked arrives.
pub(crate) fn refresh(vault: &mut Vault, server: &Server) -> SyncResult<Option<Entitlement>> {
    let signed = match server.get::<SignedEntitlement>(routes::ENTITLEMENT) {
        Ok(signed) => signed,
        Err(e) if e.code() == Some(ErrorCode::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let entitlement = verify(vault, &signed)?;
    let locks = LockList {
        documents: entitlement
            .locked
            .iter()
            .map(|id| id.to_string().parse())
            .collect::<Result<BTreeSet<DocumentId>, _>>()?,
        purge_at: entitlement
            .purge_at
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok()),
    };
    let before = LockList::load(vault.store())?;
    let text = serde_json::to_string(&signed).expect("an entitlement serialises");
    // A document leaves the lock list when a paid plan comes back (it then arrives live) or
    // when its announced purge came (it then arrives deleted, and that deletion is final).
    let mut purged = announced_purges(vault)?;
    if before.purge_at.is_some() {
        purged.extend(before.documents.difference(&locks.documents).copied());
    }
    vault.atomically(|vault| -> SyncResult<()> {
        vault
            .store_mut()
            .set_setting(ENTITLEMENT_SETTING, Some(&text))?;
        set_announced_purges(vault, &purged)?;
        locks.save(vault.store_mut())?;
        if !before.documents.is_subset(&locks.documents) {
            state::set_cursor(vault.store().conn(), 0)?;
        }
        Ok(())
    })?;
    Ok(Some(entitlement))
}

/// Documents whose deletion the plan announced (locked, and the purge date came).
pub(crate) fn announced_purges(vault: &Vault) -> SyncResult<BTreeSet<DocumentId>> {
    Ok(setting(vault, PURGED_SETTING)?.unwrap_or_default())
}

pub(crate) fn set_announced_purges(
    vault: &mut Vault,
    purged: &BTreeSet<DocumentId>,
) -> SyncResult<()> {
    let text = serde_json::to_string(purged).expect("ids serialise");
    vault.store_mut().set_setting(
        PURGED_SETTING,
        (!purged.is_empty()).then_some(text.as_str()),
    )?;
    Ok(())
}

/// The account, its plan and what it locks: fresh from the server when it answers, else as
/// cached (offline).
pub fn status(vault: &mut Vault) -> SyncResult<AccountStatus> {
    let connection = connection(vault)?.ok_or(SyncError::NotConnected)?;
    let fresh = match open(vault, None) {
        Ok(server) => Some(refresh(vault, &server)?),
        Err(SyncError::Unreachable { .. } | SyncError::SignedOut(_)) => None,
        Err(e) => return Err(e),
    };
    Ok(AccountStatus {
        connection,
        fresh: fresh.is_some(),
        entitlement: match fresh {
            Some(entitlement) => entitlement,
            None => cached(vault)?,
        },
        not_synced: state::held(vault.store().conn())?,
    })
}
