//! Items and the change feed: validated writes with optimistic concurrency (`If-Match`),
//! idempotent retries, tombstones, and paging by per-account sequence number.
//!
//! The plan's rules hold whatever a client sends, in the write's own unit of work behind the
//! account's row (so concurrent writes of several devices cannot overrun them):
//! - a write that makes an item live which was not (a new id, a write on a tombstone) counts
//!   against the month's limit and is refused over it; `If-Match` on a missing id is a
//!   precondition failure, never an insert;
//! - what an item counts against is fixed at that first commit: the server's month and the
//!   kind class written then; later writes may say otherwise without moving it;
//! - a locked item cannot be written, re-created over its tombstone or read; deleting it is
//!   allowed and final.

use crate::app::App;
use crate::auth::Caller;
use crate::billing::{MonthlyLimit, load_state, plan_of};
use crate::error::{ApiError, ApiResult};
use crate::storage::billing::PlanState;
use crate::storage::items::{self, Changes, Counted, ItemContent, ItemRow, ItemState, MonthCount};
use crate::storage::{Conn, accounts, uploads};
use coffer_api::{
    BatchRequest, BatchResponse, BatchResult, BatchWrite, BlobRef, ChangesPage, ErrorCode, Item,
    ItemWrite, MAX_BATCH_WRITES, MAX_BLOB_BYTES, MAX_BLOBS_PER_ITEM, MAX_CHANGES_LIMIT,
    MAX_CHANGES_PAGE_BYTES, MAX_ENVELOPE_BYTES, MAX_INLINE_BLOB_BYTES,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

const DEFAULT_CHANGES_LIMIT: u32 = 500;

/// The revision a write expects to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// `If-None-Match: *`: the item must not exist.
    Absent,
    /// `If-Match: "<n>"`.
    Revision(u64),
}

impl Precondition {
    /// From the `If-Match` / `If-None-Match` header values.
    pub fn from_headers(if_match: Option<&str>, if_none_match: Option<&str>) -> ApiResult<Self> {
        match (if_match, if_none_match) {
            (Some(v), _) => {
                let v = v.trim().trim_start_matches("W/").trim_matches('"');
                v.parse::<u64>().map(Precondition::Revision).map_err(|_| {
                    ApiError::invalid("If-Match must be the item's revision, e.g. \"3\".")
                })
            }
            (None, Some(v)) if v.trim() == "*" => Ok(Precondition::Absent),
            (None, Some(_)) => Err(ApiError::invalid("If-None-Match only accepts \"*\".")),
            (None, None) => Err(ApiError::new(
                ErrorCode::PreconditionRequired,
                "Send If-Match with the revision you are replacing, or If-None-Match: * to create.",
            )),
        }
    }

    fn expected_revision(self) -> u64 {
        match self {
            Precondition::Absent => 0,
            Precondition::Revision(n) => n,
        }
    }
}

/// What a write does to an item, once its precondition holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Create,
    Update,
    /// Written again over its tombstone.
    Revive,
    Delete,
}

impl Effect {
    /// The item becomes live: the plan's monthly limit applies.
    pub fn makes_live(self) -> bool {
        matches!(self, Effect::Create | Effect::Revive)
    }
}

/// Why a write is refused before the plan is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Conflict { current_revision: u64 },
    PreconditionFailed,
    NotFound,
    Locked,
}

/// The rules of preconditions and locks: what a write (`content`, or a delete) with `pre` does
/// to an item in state `current`.
pub fn effect(
    current: Option<&ItemState>,
    pre: Precondition,
    content: bool,
) -> Result<Effect, Refusal> {
    let Some(state) = current else {
        return match (pre, content) {
            (Precondition::Absent, true) => Ok(Effect::Create),
            (Precondition::Revision(_), true) => Err(Refusal::PreconditionFailed),
            (_, false) => Err(Refusal::NotFound),
        };
    };
    if pre != Precondition::Revision(state.revision) {
        return Err(Refusal::Conflict {
            current_revision: state.revision,
        });
    }
    match (content, state.deleted) {
        // A locked item (and the tombstone of one) takes no content; deleting is final.
        (true, _) if state.locked => Err(Refusal::Locked),
        (true, true) => Ok(Effect::Revive),
        (true, false) => Ok(Effect::Update),
        (false, _) => Ok(Effect::Delete),
    }
}

/// Checks an `Idempotency-Key` header value.
pub fn check_idempotency_key(key: &str) -> ApiResult<&str> {
    if (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(key)
    } else {
        Err(ApiError::invalid(
            "Idempotency-Key must be 1 to 128 visible ASCII characters.",
        ))
    }
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn valid_month(m: &str) -> bool {
    let b = m.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[5..].iter().all(u8::is_ascii_digit)
        && matches!(m[5..].parse::<u8>(), Ok(1..=12))
}

fn validate(write: &ItemWrite) -> ApiResult<()> {
    if write.envelope.is_empty() || write.envelope.len() > MAX_ENVELOPE_BYTES {
        return Err(ApiError::invalid(
            "The envelope must be 1 byte to 256 KiB of ciphertext.",
        ));
    }
    if write.blobs.len() > MAX_BLOBS_PER_ITEM {
        return Err(ApiError::invalid("An item references at most 64 blobs."));
    }
    for blob in &write.blobs {
        if !is_sha256_hex(&blob.sha256) || blob.size > MAX_BLOB_BYTES {
            return Err(ApiError::invalid(
                "A blob reference needs a lowercase hex SHA-256 and a size up to 1 GiB.",
            ));
        }
    }
    if !valid_month(&write.meta.created_month) {
        return Err(ApiError::invalid("created_month must look like 2026-11."));
    }
    if write.meta.padded_size > u64::from(u32::MAX) * 64 {
        return Err(ApiError::invalid("padded_size is not plausible."));
    }
    Ok(())
}

fn request_hash(method: &str, item_id: Uuid, pre: Precondition, body: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(format!("{method} {item_id} {}\n", pre.expected_revision()).as_bytes());
    h.update(body);
    h.finalize().to_vec()
}

fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::Conflict { current_revision } => {
            let mut e = ApiError::new(
                ErrorCode::RevisionConflict,
                "The item changed on another device (or exists already); fetch it and keep \
                 both versions.",
            );
            e.current_revision = Some(current_revision);
            e
        }
        Refusal::PreconditionFailed => ApiError::new(
            ErrorCode::PreconditionFailed,
            "There is no such item to replace; create it with If-None-Match: *.",
        ),
        Refusal::NotFound => ApiError::not_found(),
        Refusal::Locked => ApiError::new(ErrorCode::ItemLocked, crate::billing::LOCKED),
    }
}

/// What the writes of one unit of work count against, read once (behind the account's row,
/// so nothing else changes it meanwhile) and kept up to date by the writes.
struct Usage {
    plan: Option<PlanState>,
    stored_bytes: Option<u64>,
    months: HashMap<String, MonthCount>,
    /// The change feed's last sequence number as the unit of work took the account's row,
    /// and as its writes took the next ones (stored by [`Usage::finish`]).
    locked_seq: i64,
    last_seq: i64,
    /// A batch's reads, done for all its writes at once (see [`Known`]).
    known: Known,
}

impl Usage {
    /// For a unit of work that holds the account's row (see [`accounts::lock_feed`]).
    fn new(last_seq: i64) -> Self {
        Self {
            plan: None,
            stored_bytes: None,
            months: HashMap::new(),
            locked_seq: last_seq,
            last_seq,
            known: Known::default(),
        }
    }

    /// The change feed's next sequence number.
    fn next_seq(&mut self) -> i64 {
        self.last_seq += 1;
        self.last_seq
    }

    /// Stores the sequence numbers the writes took, before the unit of work commits.
    async fn finish(self, tx: &mut Conn, account: Uuid) -> ApiResult<()> {
        if self.last_seq != self.locked_seq {
            accounts::set_last_seq(tx, account, self.last_seq).await?;
        }
        Ok(())
    }
}

/// What each write of a batch would look up (its idempotency record, its item's state, its
/// inline blobs), read for the whole batch in one query each. Every entry (`None`: nothing
/// stored) is taken by the first write that asks: only that write's key, item or blob
/// changes it, and so no earlier write of the batch can have made it stale. A second write
/// of the batch with the same id, key or blob asks the database.
#[derive(Default)]
struct Known {
    answers: HashMap<String, Option<(Vec<u8>, Item)>>,
    states: HashMap<Uuid, Option<ItemState>>,
    blob_sizes: HashMap<String, Option<u64>>,
}

impl Known {
    async fn read(tx: &mut Conn, account: Uuid, writes: &[&Prepared]) -> ApiResult<Self> {
        let keys: Vec<&str> = writes.iter().map(|w| w.key.as_str()).collect();
        let ids: Vec<Uuid> = writes.iter().map(|w| w.id).collect();
        let hashes: Vec<&str> = writes
            .iter()
            .flat_map(|w| w.inline.iter().map(|b| b.sha256.as_str()))
            .collect();
        // A key, id or hash a batch names twice is entered once, from its first mention: a
        // later `None` would hide from the first write what the database holds.
        let mut known = Self::default();
        let mut answers = items::idempotent_answers(tx, account, &keys).await?;
        for key in keys {
            known
                .answers
                .entry(key.to_owned())
                .or_insert_with(|| answers.remove(key));
        }
        let mut states = items::states(tx, account, &ids).await?;
        for id in ids {
            known.states.entry(id).or_insert_with(|| states.remove(&id));
        }
        let mut sizes = uploads::blob_sizes(tx, account, &hashes).await?;
        for hash in hashes {
            known
                .blob_sizes
                .entry(hash.to_owned())
                .or_insert_with(|| sizes.remove(hash));
        }
        Ok(known)
    }
}

/// A small blob's bytes, checked against its hash and the write that references it.
struct InlineBytes {
    sha256: String,
    data: bytes::Bytes,
}

/// One write to commit, with what it replaces and its idempotency record.
struct Commit<'a> {
    item_id: Uuid,
    pre: Precondition,
    key: Option<&'a str>,
    hash: &'a [u8],
    write: Option<&'a ItemWrite>,
    inline: &'a [InlineBytes],
}

/// A batch write whose own fields were checked before the unit of work.
struct Prepared {
    id: Uuid,
    pre: Precondition,
    key: String,
    hash: Vec<u8>,
    write: ItemWrite,
    inline: Vec<InlineBytes>,
}

impl Prepared {
    fn new(w: BatchWrite) -> ApiResult<Self> {
        check_idempotency_key(&w.idempotency_key)?;
        validate(&w.write)?;
        let mut inline: Vec<InlineBytes> = Vec::with_capacity(w.inline_blobs.len());
        for blob in w.inline_blobs {
            let data = blob.data.into_vec();
            if data.len() as u64 > MAX_INLINE_BLOB_BYTES {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "An inline blob may be at most 64 KiB; upload larger ones.",
                ));
            }
            let referenced = w
                .write
                .blobs
                .iter()
                .any(|b| b.sha256 == blob.sha256 && b.size == data.len() as u64);
            if !referenced || inline.iter().any(|i| i.sha256 == blob.sha256) {
                return Err(ApiError::invalid(
                    "Each inline blob must be one of the write's blobs, with its size, once.",
                ));
            }
            if hex::encode(Sha256::digest(&data)) != blob.sha256 {
                return Err(ApiError::new(
                    ErrorCode::ChecksumMismatch,
                    "An inline blob's bytes do not match its SHA-256.",
                ));
            }
            inline.push(InlineBytes {
                sha256: blob.sha256,
                data: data.into(),
            });
        }
        let pre = w
            .if_match
            .map_or(Precondition::Absent, Precondition::Revision);
        let canonical = serde_json::to_vec(&w.write).map_err(|_| ApiError::internal())?;
        Ok(Self {
            id: w.id,
            pre,
            // The hash of the same write through `PUT`: a retry either way gets the first answer.
            hash: request_hash("PUT", w.id, pre, &canonical),
            key: w.idempotency_key,
            write: w.write,
            inline,
        })
    }

    fn commit(&self) -> Commit<'_> {
        Commit {
            item_id: self.id,
            pre: self.pre,
            key: Some(&self.key),
            hash: &self.hash,
            write: Some(&self.write),
            inline: &self.inline,
        }
    }
}

impl App {
    pub async fn put_item(
        &self,
        caller: &Caller,
        item_id: Uuid,
        pre: Precondition,
        idempotency_key: Option<&str>,
        write: ItemWrite,
    ) -> ApiResult<Item> {
        validate(&write)?;
        let canonical = serde_json::to_vec(&write).map_err(|_| ApiError::internal())?;
        let hash = request_hash("PUT", item_id, pre, &canonical);
        self.commit(caller, item_id, pre, idempotency_key, &hash, Some(&write))
            .await
    }

    pub async fn delete_item(
        &self,
        caller: &Caller,
        item_id: Uuid,
        pre: Precondition,
        idempotency_key: Option<&str>,
    ) -> ApiResult<Item> {
        if pre == Precondition::Absent {
            return Err(ApiError::invalid(
                "Deleting needs If-Match with the item's revision.",
            ));
        }
        let hash = request_hash("DELETE", item_id, pre, b"");
        self.commit(caller, item_id, pre, idempotency_key, &hash, None)
            .await
    }

    /// One write (or deletion, without `write`) in a unit of work of its own.
    async fn commit(
        &self,
        caller: &Caller,
        item_id: Uuid,
        pre: Precondition,
        idempotency_key: Option<&str>,
        hash: &[u8],
        write: Option<&ItemWrite>,
    ) -> ApiResult<Item> {
        let c = Commit {
            item_id,
            pre,
            key: idempotency_key.map(check_idempotency_key).transpose()?,
            hash,
            write,
            inline: &[],
        };
        let account = caller.account_id;
        let mut tx = self.storage.write().await?;
        let last_seq = accounts::lock_feed(&mut tx, account)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let mut usage = Usage::new(last_seq);
        let item = self.commit_in(&mut tx, account, &c, &mut usage).await?;
        usage.finish(&mut tx, account).await?;
        tx.commit().await?;
        self.nudge(account);
        Ok(item)
    }

    /// One write, every rule checked, then the write, its inline blobs' records, its
    /// idempotency record and the feed's sequence number, in the caller's unit of work, which
    /// holds the account's row (so the counts below cannot change before it commits). A
    /// refused write has written nothing.
    async fn commit_in(
        &self,
        tx: &mut Conn,
        account: Uuid,
        c: &Commit<'_>,
        usage: &mut Usage,
    ) -> ApiResult<Item> {
        let now = self.clock.unix();
        let answer = match c.key {
            Some(key) => match usage.known.answers.remove(key) {
                Some(known) => known,
                None => items::idempotent_answer(tx, account, key).await?,
            },
            None => None,
        };
        if let Some((hash, first)) = answer {
            return if hash == c.hash {
                Ok(first)
            } else {
                Err(ApiError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "This Idempotency-Key was used for a different request; use a new key.",
                ))
            };
        }
        let current = match usage.known.states.remove(&c.item_id) {
            Some(known) => known,
            None => items::state(tx, account, c.item_id).await?,
        };
        let effect = match effect(current.as_ref(), c.pre, c.write.is_some()) {
            Ok(effect) => effect,
            Err(Refusal::Locked) => return Err(self.locked_error(tx, account).await?),
            Err(other) => return Err(refused(other)),
        };
        let counted = match (effect.makes_live(), c.write) {
            (true, Some(write)) => {
                let counted = current
                    .as_ref()
                    .and_then(|s| s.counted.clone())
                    .unwrap_or_else(|| Counted {
                        month: self.catalog.calendar.month_of(now),
                        kind: write.meta.kind_class,
                    });
                self.check_month_limit(tx, account, &counted, usage).await?;
                Some(counted)
            }
            _ => None,
        };
        if let Some(write) = c.write {
            let uploaded: Vec<BlobRef> = write
                .blobs
                .iter()
                .filter(|b| !c.inline.iter().any(|i| i.sha256 == b.sha256))
                .cloned()
                .collect();
            if items::missing_blob(tx, account, &uploaded).await?.is_some() {
                return Err(ApiError::new(
                    ErrorCode::MissingBlob,
                    "A referenced blob was not uploaded (or its size differs); upload it first.",
                ));
            }
            self.register_inline(tx, account, c.inline, usage, now)
                .await?;
        }
        let seq = usage.next_seq();
        let item = items::write(
            tx,
            account,
            &ItemRow {
                id: c.item_id,
                revision: c.pre.expected_revision() + 1,
                seq,
                content: c.write.map(|w| ItemContent {
                    meta: &w.meta,
                    envelope: w.envelope.as_slice(),
                    blobs: &w.blobs,
                }),
                counted: counted.as_ref(),
                now,
                replaces: current.is_some(),
            },
        )
        .await?;
        if let Some(key) = c.key {
            items::remember_answer(tx, account, key, c.hash, &item, now).await?;
        }
        if let Some(counted) = &counted
            && let Some(month) = usage.months.get_mut(&counted.month)
        {
            month.add(counted.kind);
        }
        Ok(item)
    }

    /// Records the inline blobs the account does not hold yet, within its storage quota.
    async fn register_inline(
        &self,
        tx: &mut Conn,
        account: Uuid,
        inline: &[InlineBytes],
        usage: &mut Usage,
        now: i64,
    ) -> ApiResult<()> {
        let mut new = Vec::new();
        for blob in inline {
            let size = match usage.known.blob_sizes.remove(&blob.sha256) {
                Some(known) => known,
                None => uploads::blob_size(tx, account, &blob.sha256).await?,
            };
            if size.is_none() {
                new.push(blob);
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        let used = match usage.stored_bytes {
            Some(used) => used,
            None => uploads::stored_bytes(tx, account).await?,
        };
        let requested = new.iter().map(|b| b.data.len() as u64).sum();
        let plan = self.plan_state(tx, account, usage).await?;
        self.check_storage_quota(plan_of(&self.catalog, &plan), used, requested)?;
        for blob in new {
            let size = blob.data.len() as u64;
            uploads::register_blob(tx, account, &blob.sha256, size, Some(&blob.data), now).await?;
        }
        usage.stored_bytes = Some(used + requested);
        Ok(())
    }

    /// Several writes in one unit of work, each with the rules of `PUT` and an answer of its
    /// own; a refused write changes nothing and the others go on. The inline blobs of the
    /// accepted writes are kept in their rows, committed with the writes.
    pub async fn write_batch(
        &self,
        caller: &Caller,
        batch: BatchRequest,
    ) -> ApiResult<BatchResponse> {
        if batch.writes.is_empty() || batch.writes.len() > MAX_BATCH_WRITES {
            return Err(ApiError::invalid(format!(
                "A batch holds 1 to {MAX_BATCH_WRITES} writes."
            )));
        }
        let prepared: Vec<ApiResult<Prepared>> =
            batch.writes.into_iter().map(Prepared::new).collect();
        let account = caller.account_id;
        let mut tx = self.storage.write().await?;
        let last_seq = accounts::lock_feed(&mut tx, account)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let mut usage = Usage::new(last_seq);
        let valid: Vec<&Prepared> = prepared.iter().filter_map(|w| w.as_ref().ok()).collect();
        usage.known = Known::read(&mut tx, account, &valid).await?;
        let mut results = Vec::with_capacity(prepared.len());
        for write in prepared {
            let done = match write {
                Ok(w) => {
                    self.commit_in(&mut tx, account, &w.commit(), &mut usage)
                        .await
                }
                Err(e) => Err(e),
            };
            results.push(match done {
                Ok(item) => BatchResult::Ok(item),
                // The server failed, not the write: nothing of the batch is committed.
                Err(e) if e.code.status() >= 500 => return Err(e),
                Err(e) => BatchResult::Error(e.into()),
            });
        }
        usage.finish(&mut tx, account).await?;
        tx.commit().await?;
        if results.iter().any(|r| matches!(r, BatchResult::Ok(_))) {
            self.nudge(account);
        }
        Ok(BatchResponse { results })
    }

    /// Refuses an item becoming live beyond the plan's limit for what it counts against.
    async fn check_month_limit(
        &self,
        c: &mut Conn,
        account: Uuid,
        counted: &Counted,
        usage: &mut Usage,
    ) -> ApiResult<()> {
        let plan = self.plan_state(c, account, usage).await?;
        let limit = MonthlyLimit::new(&self.catalog, plan_of(&self.catalog, &plan), counted);
        let month = match usage.months.get(&counted.month) {
            Some(month) => *month,
            None => {
                let month = items::month_usage(c, account, &counted.month).await?;
                usage.months.insert(counted.month.clone(), month);
                month
            }
        };
        let used = month.of(counted.kind);
        if used >= limit.limit {
            return Err(limit.refusal(used));
        }
        Ok(())
    }

    /// The account's plan state, read once per unit of work.
    async fn plan_state(
        &self,
        c: &mut Conn,
        account: Uuid,
        usage: &mut Usage,
    ) -> ApiResult<PlanState> {
        if let Some(plan) = &usage.plan {
            return Ok(plan.clone());
        }
        let plan = load_state(c, &self.catalog, account).await?;
        usage.plan = Some(plan.clone());
        Ok(plan)
    }

    pub async fn get_item(&self, caller: &Caller, item_id: Uuid) -> ApiResult<Item> {
        let mut db = self.storage.read().await?;
        let item = items::item(&mut db, caller.account_id, item_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        if !item.deleted && items::is_locked(&mut db, caller.account_id, item_id).await? {
            return Err(self.locked_error(&mut db, caller.account_id).await?);
        }
        Ok(item)
    }

    pub async fn changes(
        &self,
        caller: &Caller,
        since: u64,
        limit: Option<u32>,
    ) -> ApiResult<ChangesPage> {
        let limit = limit.unwrap_or(DEFAULT_CHANGES_LIMIT);
        if limit == 0 || limit > MAX_CHANGES_LIMIT {
            return Err(ApiError::invalid("limit must be between 1 and 1000."));
        }
        let mut db = self.storage.read().await?;
        match items::changes(
            &mut db,
            caller.account_id,
            since,
            limit,
            MAX_CHANGES_PAGE_BYTES,
        )
        .await?
        {
            Changes::CursorExpired => Err(ApiError::new(
                ErrorCode::CursorExpired,
                "The sync cursor is older than the kept deletions; resync from since=0.",
            )),
            Changes::Page(mut page) => {
                let locked = items::locked(&mut db, caller.account_id).await?;
                for item in page.items.iter_mut().filter(|i| locked.contains(&i.id)) {
                    item.envelope = None;
                    item.blobs.clear();
                }
                let next_since = page
                    .items
                    .last()
                    .map_or(since.min(page.latest_seq), |i| i.seq);
                Ok(ChangesPage {
                    has_more: page.cut && next_since < page.latest_seq,
                    next_since,
                    latest_seq: page.latest_seq,
                    changes: page.items,
                })
            }
        }
    }

    /// The account's latest sequence number; `None` once the account is gone.
    pub async fn feed_position(&self, account_id: Uuid) -> ApiResult<Option<u64>> {
        let mut db = self.storage.read().await?;
        Ok(accounts::feed_bounds(&mut db, account_id)
            .await?
            .map(|(latest, _)| latest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_api::KindClass;

    fn state(revision: u64, deleted: bool, locked: bool) -> ItemState {
        ItemState {
            revision,
            deleted,
            locked,
            counted: Some(Counted {
                month: "2026-01".into(),
                kind: KindClass::Receipt,
            }),
        }
    }

    #[test]
    fn preconditions_parse_quoted_and_bare_revisions() {
        assert_eq!(
            Precondition::from_headers(Some("\"3\""), None).unwrap(),
            Precondition::Revision(3)
        );
        assert_eq!(
            Precondition::from_headers(Some("W/\"4\""), None).unwrap(),
            Precondition::Revision(4)
        );
        assert_eq!(
            Precondition::from_headers(None, Some("*")).unwrap(),
            Precondition::Absent
        );
        assert_eq!(
            Precondition::from_headers(None, None).unwrap_err().code,
            ErrorCode::PreconditionRequired
        );
        assert!(Precondition::from_headers(Some("abc"), None).is_err());
    }

    #[test]
    fn if_match_on_a_missing_item_is_never_an_insert() {
        for n in [0, 1, 7] {
            assert_eq!(
                effect(None, Precondition::Revision(n), true),
                Err(Refusal::PreconditionFailed)
            );
        }
        assert_eq!(effect(None, Precondition::Absent, true), Ok(Effect::Create));
        assert_eq!(
            effect(None, Precondition::Revision(1), false),
            Err(Refusal::NotFound)
        );
    }

    #[test]
    fn a_write_on_a_tombstone_revives_and_counts_as_becoming_live() {
        let tomb = state(2, true, false);
        assert_eq!(
            effect(Some(&tomb), Precondition::Revision(2), true),
            Ok(Effect::Revive)
        );
        assert!(Effect::Revive.makes_live() && Effect::Create.makes_live());
        assert!(!Effect::Update.makes_live());
        assert_eq!(
            effect(Some(&tomb), Precondition::Absent, true),
            Err(Refusal::Conflict {
                current_revision: 2
            })
        );
    }

    #[test]
    fn a_locked_item_takes_no_content_but_may_be_deleted_for_good() {
        let live = state(3, false, true);
        assert_eq!(
            effect(Some(&live), Precondition::Revision(3), true),
            Err(Refusal::Locked)
        );
        assert_eq!(
            effect(Some(&live), Precondition::Revision(3), false),
            Ok(Effect::Delete)
        );
        let tomb = state(4, true, true);
        assert_eq!(
            effect(Some(&tomb), Precondition::Revision(4), true),
            Err(Refusal::Locked)
        );
    }

    #[test]
    fn a_stale_revision_conflicts_with_the_current_one() {
        let live = state(5, false, false);
        assert_eq!(
            effect(Some(&live), Precondition::Revision(4), true),
            Err(Refusal::Conflict {
                current_revision: 5
            })
        );
        assert_eq!(
            effect(Some(&live), Precondition::Revision(5), true),
            Ok(Effect::Update)
        );
    }

    #[test]
    fn months_are_checked() {
        assert!(valid_month("2026-11"));
        assert!(!valid_month("2026-13"));
        assert!(!valid_month("2026-1"));
        assert!(!valid_month("20x6-01"));
    }
}
