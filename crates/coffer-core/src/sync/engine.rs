//! `sync`: push, then pull. Push uploads each changed document's blob (resumable: the server
//! remembers how far an upload got; a blob larger than the server takes goes in parts) and
//! commits its envelope with `If-Match` and an idempotency key kept with the exact bytes sent,
//! so a retry after a crash is answered like the first try. Documents go oldest import first,
//! and one the server refuses (the plan's limit, too large, damaged here) waits on this device
//! while the others go on. A conflict keeps both versions: the server's wins the id, the local
//! edit becomes a new document "… (conflicted copy)". Pull pages through the change feed,
//! applying each page and its cursor in one transaction; an expired cursor means a full
//! resync.
//!
//! The server never makes a device lose a document: what it deletes (or no longer lists)
//! moves to the trash here for 30 days, and only once the whole feed is read; a sync that
//! would remove more than a quarter of the vault stops and asks first. Only the purge the
//! signed entitlement announced (locked documents past their purge date) deletes for good.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use coffer_api::{
    BatchResult, BatchWrite, BlobRef, ErrorCode, InlineBlob, Item, ItemWrite, MAX_BATCH_BODY,
    MAX_BATCH_WRITES, MAX_INLINE_BLOB_BYTES, routes,
};
use time::Duration;
use uuid::Uuid;

use super::client::{Precondition, Server};
use super::error::{SyncError, SyncResult};
use super::item::{ItemPayload, item_id};
use super::locks::LockList;
use super::plan;
use super::state::{self, DocumentState, PendingWrite};
use crate::blobs::BlobName;
use crate::crypto::keys::{SubKey, SubKeyPurpose};
use crate::document::DocumentId;
use crate::error::{Error, Result};
use crate::store::NewDocument;
use crate::vault::Vault;

/// Bytes per upload request (the server takes up to 8 MiB).
/// Bytes of a batch body the client fills (half of what the server takes).
const BATCH_BUDGET: usize = MAX_BATCH_BODY / 2;
/// Items per change-feed page (the server's maximum).
const PAGE: u32 = 1000;
/// Conflicted copies made while pushing are pushed in a further round; two more suffice.
const PUSH_ROUNDS: usize = 3;
/// How long a document another device deleted stays in the trash here.
pub const REMOTE_DELETION_TRASH_DAYS: i64 = 30;
/// A sync that would remove more than this share of the vault (and at least
/// `MASS_DELETION_MIN` documents) stops and asks first.
const MASS_DELETION_SHARE: usize = 4;
const MASS_DELETION_MIN: usize = 5;

/// What a sync may do without asking.
#[derive(Clone, Copy, Debug, Default)]
pub struct SyncOptions {
    /// Apply removals even when they are a mass deletion (the person confirmed it).
    pub allow_mass_delete: bool,
}

/// What a sync is doing, for a progress display.
#[derive(Clone, Debug)]
pub enum Progress {
    /// Sending a document's encrypted file; `resumed_from` is set when an earlier, interrupted
    /// upload is continued.
    Uploading {
        sent: u64,
        total: u64,
        resumed_from: Option<u64>,
    },
    /// `done` of `total` local changes are on the server.
    Pushed { done: usize, total: usize },
    /// Both versions of a document were kept: `copy` holds the local edit.
    ConflictKept {
        original: DocumentId,
        copy: DocumentId,
    },
    /// Changes read from the server so far.
    Pulled { items: usize },
    /// The server refused a document (e.g. the plan's monthly limit): it stays on this
    /// device only, and is offered again at the next sync.
    NotSynced {
        document: DocumentId,
        reason: String,
    },
    /// Another device deleted a document: it is in the trash here for 30 days.
    MovedToTrash { document: DocumentId },
}

/// What a sync did.
#[derive(Clone, Debug, Default)]
pub struct SyncReport {
    /// Local changes (writes and deletions) now on the server.
    pub pushed: usize,
    /// Changes from the server applied here.
    pub pulled: usize,
    /// Conflicts: (the document, the new copy holding the local edit).
    pub conflicts: Vec<(DocumentId, DocumentId)>,
    /// The cursor had expired (or documents were unlocked) and everything was listed again.
    pub full_resync: bool,
    /// Documents kept on this device only ("not synced (plan limit)").
    pub not_synced: Vec<DocumentId>,
    /// Documents deleted on another device (or no longer on the server), now in the trash.
    pub trashed: Vec<DocumentId>,
    /// Documents the plan's announced purge deleted for good.
    pub purged: Vec<DocumentId>,
}

pub(crate) struct Engine<'a> {
    vault: &'a mut Vault,
    server: Server,
    key: SubKey,
    options: SyncOptions,
    progress: &'a mut dyn FnMut(Progress),
    report: SyncReport,
    /// The server takes batches (cleared for one from before them).
    batches: bool,
    /// The batch the server is committing while the next one is made ready.
    in_flight: Option<InFlight>,
}

/// A batch sent on a thread of its own, and its entries for the answers.
struct InFlight {
    answer: std::thread::JoinHandle<SyncResult<Vec<BatchResult>>>,
    batch: Vec<Entry>,
}

fn document_id(id: Uuid) -> Result<DocumentId> {
    id.to_string().parse()
}

fn new_key() -> String {
    Uuid::new_v4().to_string()
}

/// The write for the document's current local version: the one already sent for it (byte
/// for byte, same idempotency key), or a new one, saved before it is sent.
fn pending_write(
    vault: &Vault,
    key: &SubKey,
    doc: &DocumentState,
    build: bool,
) -> SyncResult<PendingWrite> {
    if let Some(pending) = &doc.pending
        && pending.version == doc.local_version
    {
        return Ok(PendingWrite {
            version: pending.version,
            key: pending.key.clone(),
            body: pending.body.clone(),
        });
    }
    let body = if build {
        let revision = doc.revision.unwrap_or(0) + 1;
        let write = ItemPayload::read(vault, doc.id)?.to_write(key, doc.id, revision)?;
        serde_json::to_vec(&write).expect("an item write serialises")
    } else {
        Vec::new()
    };
    let pending = PendingWrite {
        version: doc.local_version,
        key: new_key(),
        body,
    };
    state::set_pending(vault.store().conn(), doc.id, &pending)?;
    Ok(pending)
}

/// Pushed documents of a round, for the progress display.
struct Count {
    done: usize,
    total: usize,
}

/// A document's write in a batch, with the pending write it was made from.
struct Entry {
    doc: DocumentState,
    pending: PendingWrite,
    write: BatchWrite,
}

impl Entry {
    /// About what the write takes of a batch's body.
    fn bytes(&self) -> usize {
        let inline: usize = self.write.inline_blobs.iter().map(|b| b.data.len()).sum();
        (self.write.write.envelope.len() + inline) * 4 / 3 + 1024
    }
}

impl<'a> Engine<'a> {
    pub(crate) fn new(
        vault: &'a mut Vault,
        server: Server,
        options: SyncOptions,
        progress: &'a mut dyn FnMut(Progress),
    ) -> Self {
        let key = vault.sub_key(SubKeyPurpose::SyncItem);
        Self {
            vault,
            server,
            key,
            options,
            progress,
            report: SyncReport::default(),
            batches: true,
            in_flight: None,
        }
    }

    pub(crate) fn run(mut self) -> SyncResult<SyncReport> {
        // The plan first: its locks apply to what is pushed, and held documents get a new try.
        plan::refresh(self.vault, &self.server)?;
        self.purge_expired_trash()?;
        state::release_holds(self.vault.store().conn())?;
        self.push()?;
        self.pull()?;
        self.apply_removals()?;
        plan::refresh(self.vault, &self.server)?;
        Ok(self.report)
    }

    /// Keeps a document the server (or this vault) refused on this device only, for now.
    fn hold(&mut self, id: DocumentId, reason: String) -> SyncResult<()> {
        state::hold(self.vault.store().conn(), id, &reason)?;
        self.report.not_synced.push(id);
        (self.progress)(Progress::NotSynced {
            document: id,
            reason,
        });
        Ok(())
    }

    /// Why one document cannot go now, when the failure is about it alone (the others go on);
    /// `None` when it is about the connection or the account (the sync stops).
    fn held_reason(error: &SyncError) -> Option<String> {
        match error {
            SyncError::Refused { code, .. } => match code {
                ErrorCode::PlanLimitReached => Some("plan limit".into()),
                ErrorCode::ItemLocked => Some("locked by the plan".into()),
                ErrorCode::PayloadTooLarge => Some("too large for the server".into()),
                ErrorCode::InvalidField
                | ErrorCode::MissingBlob
                | ErrorCode::ChecksumMismatch
                | ErrorCode::UploadIncomplete
                | ErrorCode::Forbidden
                | ErrorCode::Other => Some(error.to_string()),
                _ => None,
            },
            SyncError::Vault(
                e @ (Error::DocumentDamaged { .. }
                | Error::Integrity(_)
                | Error::InvalidInput(_)
                | Error::DocumentLocked { .. }),
            ) => Some(e.to_string()),
            _ => None,
        }
    }

    /// Deletes what another device deleted, once its time in the trash here is over.
    fn purge_expired_trash(&mut self) -> SyncResult<()> {
        let now = self.vault.clock().now();
        for id in self.vault.store().expired_trash(now)? {
            let blob = self.vault.atomically(|vault| -> SyncResult<BlobName> {
                let blob = vault.store_mut().delete(id)?;
                state::in_step(vault.store().conn(), id, None)?;
                Ok(blob)
            })?;
            self.remove_blobs(&[blob])?;
        }
        Ok(())
    }

    // -- push -----------------------------------------------------------------------------

    fn push(&mut self) -> SyncResult<()> {
        for _ in 0..PUSH_ROUNDS {
            let dirty = state::dirty(self.vault.store().conn())?;
            if dirty.is_empty() {
                break;
            }
            let mut count = Count {
                done: 0,
                total: dirty.len(),
            };
            // Writes go up in batches; a deletion sends the writes before it first, so the
            // order stays that of the imports.
            let mut writes = Vec::new();
            for doc in dirty {
                if !doc.deleted {
                    writes.push(doc);
                    if writes.len() == MAX_BATCH_WRITES {
                        self.push_writes(std::mem::take(&mut writes), &mut count)?;
                    }
                    continue;
                }
                self.push_writes(std::mem::take(&mut writes), &mut count)?;
                self.land(&mut count)?;
                let id = doc.id;
                let pushed = self.push_delete(doc);
                self.settle(id, pushed, &mut count)?;
            }
            self.push_writes(writes, &mut count)?;
            self.land(&mut count)?;
        }
        Ok(())
    }

    /// After one document's push: a refusal about it alone holds it here and the others go
    /// on; any other failure stops the sync.
    fn settle(
        &mut self,
        id: DocumentId,
        pushed: SyncResult<()>,
        count: &mut Count,
    ) -> SyncResult<()> {
        if let Err(e) = pushed {
            match Self::held_reason(&e) {
                Some(reason) => self.hold(id, reason)?,
                None => return Err(e),
            }
        }
        count.done += 1;
        (self.progress)(Progress::Pushed {
            done: count.done,
            total: count.total,
        });
        Ok(())
    }

    /// The writes of `docs`: their pending writes saved in one unit of work, large blobs
    /// uploaded, then the commits in batches with the small blobs inline (one by one to a
    /// server without batches).
    fn push_writes(&mut self, docs: Vec<DocumentState>, count: &mut Count) -> SyncResult<()> {
        if docs.is_empty() {
            return Ok(());
        }
        let key = &self.key;
        let built = self.vault.atomically(|vault| -> SyncResult<Vec<_>> {
            Ok(docs
                .into_iter()
                .map(|doc| {
                    let pending = pending_write(vault, key, &doc, true);
                    (doc, pending)
                })
                .collect())
        })?;
        let mut batch = Vec::new();
        let mut bytes = 0;
        for (doc, pending) in built {
            let id = doc.id;
            let entry = match pending.and_then(|pending| self.batch_entry(doc, pending)) {
                Ok(entry) => entry,
                Err(e) => {
                    self.settle(id, Err(e), count)?;
                    continue;
                }
            };
            if !self.batches {
                let pushed = self.commit_one(entry);
                self.settle(id, pushed, count)?;
                continue;
            }
            let size = entry.bytes();
            if bytes + size > BATCH_BUDGET && !batch.is_empty() {
                self.send_batch(std::mem::take(&mut batch), count)?;
                bytes = 0;
            }
            bytes += size;
            batch.push(entry);
        }
        self.send_batch(batch, count)
    }

    /// A document's write ready for a batch: its blobs too large to go inline uploaded, the
    /// others read.
    fn batch_entry(&mut self, doc: DocumentState, pending: PendingWrite) -> SyncResult<Entry> {
        let write: ItemWrite = serde_json::from_slice(&pending.body)
            .map_err(|e| Error::DatabaseDamaged(format!("a pending sync write: {e}")))?;
        let content = self.vault.store().content_ref(doc.id)?;
        let mut file = self.vault.blobs().open_blob(&content.blob)?;
        let mut inline_blobs = Vec::new();
        let mut offset = 0;
        for blob in &write.blobs {
            if blob.size <= MAX_INLINE_BLOB_BYTES {
                let mut data = vec![0; blob.size as usize];
                file.seek(SeekFrom::Start(offset))
                    .and_then(|_| file.read_exact(&mut data))
                    .map_err(|e| Error::io("reading encrypted content", e))?;
                inline_blobs.push(InlineBlob {
                    sha256: blob.sha256.clone(),
                    data: data.into(),
                });
            } else {
                self.upload(blob, &mut file, offset)?;
            }
            offset += blob.size;
        }
        Ok(Entry {
            write: BatchWrite {
                id: item_id(doc.id),
                if_match: doc.revision,
                idempotency_key: pending.key.clone(),
                write,
                inline_blobs,
            },
            doc,
            pending,
        })
    }

    /// Sends a batch, to be answered while the next one is made ready (see [`Self::land`]).
    fn send_batch(&mut self, batch: Vec<Entry>, count: &mut Count) -> SyncResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.land(count)?;
        let writes = batch.iter().map(|e| e.write.clone()).collect();
        let server = self.server.clone();
        self.in_flight = Some(InFlight {
            answer: std::thread::spawn(move || server.write_batch(writes)),
            batch,
        });
        Ok(())
    }

    /// Waits for the batch in flight, if any, and takes each answer: the pushed ones in one
    /// unit of work, then the conflicts and refusals one by one.
    fn land(&mut self, count: &mut Count) -> SyncResult<()> {
        let Some(InFlight { answer, batch }) = self.in_flight.take() else {
            return Ok(());
        };
        let answer = answer
            .join()
            .unwrap_or_else(|_| Err(SyncError::Protocol("the batch's request stopped".into())));
        let results = match answer {
            Ok(results) => results,
            // A server from before batches: the same writes one by one.
            Err(e) if e.code() == Some(ErrorCode::NotFound) => {
                self.batches = false;
                for entry in batch {
                    let id = entry.doc.id;
                    let pushed = self.commit_one(entry);
                    self.settle(id, pushed, count)?;
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let answers: Vec<(Entry, BatchResult)> = batch.into_iter().zip(results).collect();
        self.vault.atomically(|vault| -> SyncResult<()> {
            for (entry, result) in &answers {
                if let BatchResult::Ok(item) = result {
                    state::pushed(
                        vault.store().conn(),
                        entry.doc.id,
                        item.revision,
                        entry.pending.version,
                    )?;
                }
            }
            Ok(())
        })?;
        for (entry, result) in answers {
            let pushed = match result {
                BatchResult::Ok(_) => {
                    self.report.pushed += 1;
                    Ok(())
                }
                BatchResult::Error(detail) => {
                    self.refused_write(entry.doc.id, SyncError::from_detail(detail))
                }
            };
            self.settle(entry.doc.id, pushed, count)?;
        }
        Ok(())
    }

    /// One write through `PUT`, its inline blobs uploaded first.
    fn commit_one(&mut self, entry: Entry) -> SyncResult<()> {
        let id = entry.doc.id;
        if !entry.write.inline_blobs.is_empty() {
            let content = self.vault.store().content_ref(id)?;
            let mut file = self.vault.blobs().open_blob(&content.blob)?;
            let mut offset = 0;
            for blob in &entry.write.write.blobs {
                if entry
                    .write
                    .inline_blobs
                    .iter()
                    .any(|b| b.sha256 == blob.sha256)
                {
                    self.upload(blob, &mut file, offset)?;
                }
                offset += blob.size;
            }
        }
        let precondition = entry
            .doc
            .revision
            .map_or(Precondition::Absent, Precondition::Revision);
        match self.server.put_item(
            item_id(id),
            precondition,
            &entry.pending.key,
            &entry.pending.body,
        ) {
            Ok(item) => {
                state::pushed(
                    self.vault.store().conn(),
                    id,
                    item.revision,
                    entry.pending.version,
                )?;
                self.report.pushed += 1;
                Ok(())
            }
            Err(e) => self.refused_write(id, e),
        }
    }

    /// A write the server did not take: a conflict keeps both versions; anything else is the
    /// caller's to settle.
    fn refused_write(&mut self, id: DocumentId, error: SyncError) -> SyncResult<()> {
        if error.code() == Some(ErrorCode::RevisionConflict) {
            self.resolve(id)
        } else {
            Err(error)
        }
    }

    fn push_delete(&mut self, doc: DocumentState) -> SyncResult<()> {
        let Some(revision) = doc.revision else {
            state::in_step(self.vault.store().conn(), doc.id, None)?;
            return Ok(());
        };
        let pending = pending_write(self.vault, &self.key, &doc, false)?;
        match self
            .server
            .delete_item(item_id(doc.id), revision, &pending.key)
        {
            Ok(_) => {}
            Err(e) if e.code() == Some(ErrorCode::NotFound) => {}
            // Changed on another device meanwhile: the edit wins over the deletion.
            Err(e) if e.code() == Some(ErrorCode::RevisionConflict) => {
                return self.resolve(doc.id);
            }
            Err(e) => return Err(e),
        }
        state::in_step(self.vault.store().conn(), doc.id, None)?;
        self.report.pushed += 1;
        Ok(())
    }

    /// After a conflict: fetch the server's version and apply it, keeping the local edit. A
    /// document written here over one deleted elsewhere is written again, over the tombstone.
    fn resolve(&mut self, id: DocumentId) -> SyncResult<()> {
        let item = self.server.item(item_id(id))?;
        if item.deleted && self.vault.store().content_ref(id).is_ok() {
            state::set_revision(self.vault.store().conn(), id, item.revision)?;
            return Ok(());
        }
        self.apply_page(&[item], None).map(drop)
    }

    /// Sends one blob (the bytes of `file` from `start` on), continuing where an earlier
    /// upload of it stopped.
    fn upload(&mut self, blob: &BlobRef, file: &mut File, start: u64) -> SyncResult<()> {
        let progress = &mut self.progress;
        self.server.upload(
            &blob.sha256,
            blob.size,
            file,
            start,
            &mut |sent, total, resumed_from| {
                progress(Progress::Uploading {
                    sent,
                    total,
                    resumed_from,
                })
            },
        )
    }

    // -- pull -----------------------------------------------------------------------------

    fn pull(&mut self) -> SyncResult<()> {
        let mut since = state::account(self.vault.store().conn())?
            .ok_or(SyncError::NotConnected)?
            .cursor;
        // On a listing from the start, whatever the server no longer has is gone.
        let mut seen: Option<HashSet<DocumentId>> = (since == 0).then(HashSet::new);
        loop {
            let page = match self.server.changes(since, PAGE) {
                Ok(page) => page,
                Err(e) if e.code() == Some(ErrorCode::CursorExpired) => {
                    self.report.full_resync = true;
                    since = 0;
                    seen = Some(HashSet::new());
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(seen) = &mut seen {
                for item in &page.changes {
                    seen.insert(document_id(item.id)?);
                }
            }
            self.report.pulled += self.apply_page(&page.changes, Some(page.next_since))?;
            (self.progress)(Progress::Pulled {
                items: self.report.pulled,
            });
            since = page.next_since;
            if !page.has_more {
                break;
            }
        }
        if let Some(seen) = seen {
            self.remove_unlisted(&seen)?;
        }
        Ok(())
    }

    /// Documents in step with the server that a full listing did not contain are to go.
    fn remove_unlisted(&mut self, seen: &HashSet<DocumentId>) -> SyncResult<()> {
        let gone: Vec<DocumentId> = state::synced_documents(self.vault.store().conn())?
            .into_iter()
            .filter(|id| !seen.contains(id))
            .collect();
        self.vault.atomically(|vault| -> SyncResult<()> {
            for id in gone {
                state::add_removal(vault.store().conn(), id, None)?;
            }
            Ok(())
        })
    }

    /// Applies what the server removed: the purge the plan announced deletes for good; the
    /// rest moves to the trash, unless it is a mass deletion nobody confirmed, when nothing
    /// is moved and the sync stops, asking.
    fn apply_removals(&mut self) -> SyncResult<()> {
        let all = state::removals(self.vault.store().conn())?;
        if all.is_empty() {
            return Ok(());
        }
        // The server's clock decides when the grace period is over; that the signed
        // entitlement announced the purge is what makes a removal one.
        let locks = LockList::load(self.vault.store())?;
        let mut announced = plan::announced_purges(self.vault)?;
        let (purges, removals): (Vec<_>, Vec<_>) = all.into_iter().partition(|(id, _)| {
            announced.contains(id) || (locks.documents.contains(id) && locks.purge_at.is_some())
        });
        let mut blobs = Vec::new();
        self.vault.atomically(|vault| -> SyncResult<()> {
            for (id, _) in &purges {
                blobs.push(vault.store_mut().delete(*id)?);
                state::in_step(vault.store().conn(), *id, None)?;
                state::clear_removal(vault.store().conn(), *id)?;
                announced.remove(id);
            }
            plan::set_announced_purges(vault, &announced)
        })?;
        self.remove_blobs(&blobs)?;
        self.report.purged.extend(purges.iter().map(|(id, _)| *id));
        if removals.is_empty() {
            return Ok(());
        }
        let total = self.vault.store().stats()?.documents as usize;
        let mass =
            removals.len() >= MASS_DELETION_MIN && removals.len() * MASS_DELETION_SHARE > total;
        if mass && !self.options.allow_mass_delete {
            return Err(SyncError::MassDeletion {
                count: removals.len(),
                total,
            });
        }
        let now = self.vault.clock().now();
        let purge_after = now + Duration::days(REMOTE_DELETION_TRASH_DAYS);
        let mut trashed = Vec::new();
        self.vault.atomically(|vault| -> SyncResult<()> {
            for (id, revision) in &removals {
                let doc = vault.document(*id)?;
                let at = doc.trashed_at.unwrap_or(now);
                vault
                    .store_mut()
                    .trash_until(*id, Some(at), Some(purge_after))?;
                state::detach(vault.store().conn(), *id, *revision)?;
                state::clear_removal(vault.store().conn(), *id)?;
                trashed.push(*id);
            }
            Ok(())
        })?;
        for id in trashed {
            (self.progress)(Progress::MovedToTrash { document: id });
            self.report.trashed.push(id);
        }
        Ok(())
    }

    fn remove_blobs(&self, blobs: &[BlobName]) -> SyncResult<()> {
        Ok(self.vault.remove_purged(blobs)?)
    }

    /// Opens every item of a page, fetches the blobs this vault lacks, then applies the page
    /// (and the new cursor, if given) in one transaction. Returns how many documents changed
    /// here (this device's own writes coming back do not count).
    fn apply_page(&mut self, items: &[Item], cursor: Option<u64>) -> SyncResult<usize> {
        let mut opened = Vec::with_capacity(items.len());
        for item in items {
            let id = document_id(item.id)?;
            let payload = match (&item.envelope, item.deleted) {
                (Some(envelope), false) => {
                    let payload =
                        ItemPayload::open(&self.key, id, envelope.as_slice(), item.revision)
                            .map_err(server_copy_refused)?;
                    match self.fetch_blob(&payload) {
                        Ok(()) => Some(payload),
                        // Locked by the plan: it comes with the full listing that follows
                        // an unlock (see `plan::refresh`).
                        Err(e) if e.code() == Some(ErrorCode::ItemLocked) => continue,
                        Err(e) => return Err(e),
                    }
                }
                _ => None,
            };
            opened.push((id, item.revision, payload));
        }
        let mut conflicts = Vec::new();
        let mut changed = 0;
        self.vault.atomically(|vault| -> SyncResult<()> {
            for (id, revision, payload) in &opened {
                match apply(vault, *id, *revision, payload.as_ref())? {
                    Applied::AlreadyHere => {}
                    Applied::Changed(copy) => {
                        changed += 1;
                        if let Some(copy) = copy {
                            conflicts.push((*id, copy));
                        }
                    }
                }
            }
            if let Some(cursor) = cursor {
                state::set_cursor(vault.store().conn(), cursor)?;
            }
            Ok(())
        })?;
        for (original, copy) in conflicts {
            (self.progress)(Progress::ConflictKept { original, copy });
            self.report.conflicts.push((original, copy));
        }
        Ok(changed)
    }

    /// Downloads a document's encrypted file (joining its parts) unless this vault has it;
    /// checks it is the one the envelope names.
    fn fetch_blob(&mut self, payload: &ItemPayload) -> SyncResult<()> {
        let name = payload.blob()?;
        if self.vault.blobs().open_blob(&name).is_ok() {
            return Ok(());
        }
        let server = &self.server;
        let mut failure = None;
        let written = self.vault.blobs().write(|out| {
            let mut total = 0;
            for part in payload.blobs() {
                total += server
                    .download(&routes::blob(&part.sha256), out)
                    .map_err(|e| {
                        let message = e.to_string();
                        failure = Some(e);
                        Error::InvalidInput(message)
                    })?;
            }
            Ok(total)
        });
        let written = match (written, failure) {
            (_, Some(e)) => return Err(e),
            (result, None) => result?,
        };
        if written != name {
            self.vault.blobs().remove(&written)?;
            return Err(SyncError::Vault(Error::Integrity(format!(
                "the server sent other content than blob {} (refused)",
                name.as_str()
            ))));
        }
        Ok(())
    }
}

/// What [`apply`] did to a local document.
enum Applied {
    /// It already was that version (this device's own write coming back, a page seen before).
    AlreadyHere,
    /// It changed; with the id of the new document that keeps a local edit, if one was made.
    Changed(Option<DocumentId>),
}

/// Makes local document `id` what the server has at `revision` (`payload`, or gone when
/// `None`). A local change not yet pushed is kept as a new document first. A deletion is
/// noted, to be applied once the whole feed is read (`apply_removals`).
fn apply(
    vault: &mut Vault,
    id: DocumentId,
    revision: u64,
    payload: Option<&ItemPayload>,
) -> SyncResult<Applied> {
    let local = state::document(vault.store().conn(), id)?;
    if local
        .as_ref()
        .and_then(|l| l.revision)
        .is_some_and(|r| r >= revision)
    {
        return Ok(Applied::AlreadyHere);
    }
    if payload.is_some_and(|p| !p.is_bound()) && local.as_ref().is_some_and(|l| l.bound) {
        // An old client's envelope opens as any revision: once this device holds the document
        // in one bound to its revision, an unbound one can only be an older version replayed.
        return Err(SyncError::ServerCopyRefused {
            id: id.to_string(),
            reason: format!(
                "revision {revision} came in the format written before revisions were bound, \
                 and this device already has it in the newer one, so it is an older version"
            ),
        });
    }
    let exists_here = vault.store().content_ref(id).is_ok();
    let dirty = local.as_ref().is_some_and(|l| l.dirty);
    if payload.is_none() {
        if !exists_here {
            state::in_step(vault.store().conn(), id, None)?;
            return Ok(Applied::AlreadyHere); // Deleted before this device saw it.
        }
        if dirty {
            // Changed here, deleted there: the change wins, written over the tombstone.
            state::set_revision(vault.store().conn(), id, revision)?;
        } else {
            state::add_removal(vault.store().conn(), id, Some(revision))?;
        }
        return Ok(Applied::Changed(None));
    }
    let mut copy = None;
    if exists_here && dirty {
        let mine = ItemPayload::read(vault, id)?;
        if payload == Some(&mine) {
            // The same version on both sides (a write whose answer was lost).
            in_step_as(vault, id, revision, &mine)?;
            return Ok(Applied::AlreadyHere);
        }
        let copy_id = DocumentId::random();
        let mut doc = mine.document(copy_id);
        doc.fields.title = format!("{} (conflicted copy)", doc.fields.title);
        vault.copy_document(id, &doc)?;
        let store = vault.store_mut();
        store.set_provenance(copy_id, doc.imported_at, doc.updated_at, doc.trashed_at)?;
        store.set_reminder_plan(copy_id, mine.reminder_plan.as_ref())?;
        copy = Some(copy_id);
    }
    state::clear_removal(vault.store().conn(), id)?;
    let mut announced = plan::announced_purges(vault)?;
    if announced.remove(&id) {
        plan::set_announced_purges(vault, &announced)?; // Unlocked by a renewed plan.
    }
    match payload {
        None => unreachable!("deletions are handled above"),
        Some(p) => {
            if exists_here {
                vault.store_mut().update(
                    id,
                    &p.fields,
                    &p.field_states,
                    p.ocr_text.as_deref(),
                    p.updated_at,
                )?;
            } else {
                insert(vault, id, p)?;
            }
            let store = vault.store_mut();
            store.set_provenance(id, p.imported_at, p.updated_at, p.trashed_at)?;
            store.set_reminder_plan(id, p.reminder_plan.as_ref())?;
            in_step_as(vault, id, revision, p)?;
        }
    }
    Ok(Applied::Changed(copy))
}

/// A server's copy that does not open as what the server says it is (damaged, or an older
/// version passed off as a newer one) is the server's fault: nothing here needs restoring.
fn server_copy_refused(error: Error) -> SyncError {
    match error {
        Error::DocumentDamaged { id, reason } => SyncError::ServerCopyRefused { id, reason },
        other => other.into(),
    }
}

/// The local document now is `payload`, the server's `revision`.
fn in_step_as(vault: &Vault, id: DocumentId, revision: u64, payload: &ItemPayload) -> Result<()> {
    state::in_step(vault.store().conn(), id, Some(revision))?;
    if payload.is_bound() {
        state::bind(vault.store().conn(), id)?;
    }
    Ok(())
}

fn insert(vault: &mut Vault, id: DocumentId, p: &ItemPayload) -> SyncResult<()> {
    // The same file may already be here as another document (imported on two devices).
    let content_hash = match vault
        .store()
        .find_by_content_hash(&p.content.content_hash)?
    {
        Some(_) => vault.content_hash_for_copy(&p.content.content_hash, id),
        None => p.content.content_hash.clone(),
    };
    vault.store_mut().insert(&NewDocument {
        id,
        fields: &p.fields,
        field_states: &p.field_states,
        ocr_text: p.ocr_text.as_deref(),
        file: &p.file,
        content_hash: &content_hash,
        content_version: p.content.content_version,
        blob: &p.blob()?,
        wrapped_key: &p.content.wrapped_key,
        now: p.imported_at,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::state::tests::vault_with_document;

    fn title(vault: &Vault, id: DocumentId) -> String {
        vault.document(id).unwrap().fields.title
    }

    /// What another device wrote as `title`, as the server would send it.
    fn edited(vault: &Vault, id: DocumentId, title: &str) -> ItemPayload {
        let mut payload = ItemPayload::read(vault, id).unwrap();
        payload.fields.title = title.into();
        payload
    }

    #[test]
    fn an_unbound_envelope_is_refused_once_the_document_came_bound_to_its_revision() {
        let (_dir, mut vault, id) = vault_with_document();
        // Pulled from an older client (format 1) only: its next write is taken as before.
        state::in_step(vault.store().conn(), id, Some(1)).unwrap();
        let older_client = edited(&vault, id, "from an older client").in_format_1();
        apply(&mut vault, id, 2, Some(&older_client)).unwrap();
        assert_eq!(title(&vault, id), "from an older client");

        // Then a bound revision: an unbound envelope can now only be an old one replayed.
        let bound = edited(&vault, id, "bound to revision 3");
        apply(&mut vault, id, 3, Some(&bound)).unwrap();
        let err = apply(&mut vault, id, 4, Some(&older_client)).err().unwrap();
        assert!(matches!(err, SyncError::ServerCopyRefused { .. }), "{err}");
        assert!(
            err.to_string().contains("this device's copy is unchanged"),
            "{err}"
        );
        assert_eq!(title(&vault, id), "bound to revision 3");
        assert_eq!(
            state::document(vault.store().conn(), id)
                .unwrap()
                .unwrap()
                .revision,
            Some(3)
        );
    }

    #[test]
    fn a_document_pushed_from_here_refuses_an_unbound_envelope() {
        let (_dir, mut vault, id) = vault_with_document();
        let version = state::document(vault.store().conn(), id)
            .unwrap()
            .unwrap()
            .local_version;
        state::pushed(vault.store().conn(), id, 1, version).unwrap();
        let replayed = edited(&vault, id, "replayed").in_format_1();
        assert!(matches!(
            apply(&mut vault, id, 2, Some(&replayed)),
            Err(SyncError::ServerCopyRefused { .. })
        ));
        assert_ne!(title(&vault, id), "replayed");
    }

    #[test]
    fn a_server_copy_that_does_not_open_is_the_servers_fault_not_a_damaged_document() {
        let key = crate::crypto::keys::VaultKey::generate(&mut rand::rngs::OsRng)
            .derive(SubKeyPurpose::SyncItem);
        let (_dir, vault, id) = vault_with_document();
        let sealed = ItemPayload::read(&vault, id)
            .unwrap()
            .to_write(&key, id, 3)
            .unwrap()
            .envelope;
        // Passed off as revision 4: refused as the server's copy, with what to do.
        let err = ItemPayload::open(&key, id, sealed.as_slice(), 4)
            .map_err(server_copy_refused)
            .err()
            .unwrap();
        assert!(matches!(err, SyncError::ServerCopyRefused { .. }), "{err}");
        assert!(
            err.to_string().contains("tell whoever runs the server"),
            "{err}"
        );
        // Other engine errors keep their own meaning.
        assert!(matches!(
            server_copy_refused(Error::WrongPassword),
            SyncError::Vault(Error::WrongPassword)
        ));
    }
}
