//! Items and the change feed: validated writes with optimistic concurrency (`If-Match`),
//! idempotent retries, tombstones, and paging by per-account sequence number.

use crate::app::App;
use crate::auth::Caller;
use crate::entitlements::{Action, MonthlyLimit};
use crate::error::{ApiError, ApiResult};
use crate::storage::{ChangesOutcome, CommitOutcome, Idempotency, ItemCommit, ItemContent};
use coffer_api::{
    ChangesPage, ErrorCode, Item, ItemWrite, MAX_BLOB_BYTES, MAX_BLOBS_PER_ITEM, MAX_CHANGES_LIMIT,
    MAX_ENVELOPE_BYTES,
};
use sha2::{Digest, Sha256};
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
        self.entitlements
            .authorize(
                caller.account_id,
                Action::WriteItem {
                    item_id,
                    meta: &write.meta,
                    existing: pre != Precondition::Absent,
                },
            )
            .await?;
        let limit = match pre {
            Precondition::Absent => {
                self.entitlements
                    .monthly_limit(caller.account_id, &write.meta)
                    .await?
            }
            Precondition::Revision(_) => None,
        };
        let canonical = serde_json::to_vec(&write).map_err(|_| ApiError::internal())?;
        let hash = request_hash("PUT", item_id, pre, &canonical);
        let commit = ItemCommit {
            item_id,
            expected_revision: pre.expected_revision(),
            content: Some(ItemContent {
                kind_class: write.meta.kind_class.as_str(),
                created_month: &write.meta.created_month,
                padded_size: write.meta.padded_size,
                envelope: write.envelope.as_slice(),
                blobs: &write.blobs,
            }),
            month_limit: limit.as_ref().map(|l| l.limit),
            now: self.clock.unix(),
        };
        self.commit(caller, &commit, idempotency_key, &hash, limit.as_ref())
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
        self.entitlements
            .authorize(caller.account_id, Action::DeleteItem { item_id })
            .await?;
        let hash = request_hash("DELETE", item_id, pre, b"");
        let commit = ItemCommit {
            item_id,
            expected_revision: pre.expected_revision(),
            content: None,
            month_limit: None,
            now: self.clock.unix(),
        };
        self.commit(caller, &commit, idempotency_key, &hash, None)
            .await
    }

    async fn commit(
        &self,
        caller: &Caller,
        commit: &ItemCommit<'_>,
        idempotency_key: Option<&str>,
        hash: &[u8],
        limit: Option<&MonthlyLimit>,
    ) -> ApiResult<Item> {
        let idempotency = match idempotency_key {
            Some(key) => Some(Idempotency {
                key: check_idempotency_key(key)?,
                request_hash: hash,
            }),
            None => None,
        };
        let outcome = self
            .storage
            .commit_item(caller.account_id, commit, idempotency.as_ref())
            .await?;
        match outcome {
            CommitOutcome::Applied(item) => {
                self.nudge(caller.account_id);
                Ok(item)
            }
            CommitOutcome::Replayed(item) => Ok(item),
            CommitOutcome::IdempotencyKeyReused => Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used for a different request; use a new key.",
            )),
            CommitOutcome::Conflict { current_revision } => {
                let mut e = ApiError::new(
                    ErrorCode::RevisionConflict,
                    "The item changed on another device; fetch it and keep both versions.",
                );
                e.current_revision = Some(current_revision);
                Err(e)
            }
            CommitOutcome::NotFound => Err(ApiError::not_found()),
            CommitOutcome::MissingBlob(_) => Err(ApiError::new(
                ErrorCode::MissingBlob,
                "A referenced blob was not uploaded (or its size differs); upload it first.",
            )),
            CommitOutcome::OverLimit { usage } => Err(limit
                .map(|l| l.refusal(usage))
                .unwrap_or_else(ApiError::internal)),
        }
    }

    pub async fn get_item(&self, caller: &Caller, item_id: Uuid) -> ApiResult<Item> {
        let item = self
            .storage
            .item(caller.account_id, item_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        self.entitlements
            .authorize(caller.account_id, Action::ReadItem { item_id })
            .await?;
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
        match self
            .storage
            .changes(caller.account_id, since, limit)
            .await?
        {
            ChangesOutcome::CursorExpired => Err(ApiError::new(
                ErrorCode::CursorExpired,
                "The sync cursor is older than the kept deletions; resync from since=0.",
            )),
            ChangesOutcome::Page {
                mut items,
                latest_seq,
            } => {
                let locked = self.entitlements.locked(caller.account_id).await?;
                for item in items.iter_mut().filter(|i| locked.contains(&i.id)) {
                    item.envelope = None;
                    item.blobs.clear();
                }
                let next_since = items.last().map_or(since.min(latest_seq), |i| i.seq);
                Ok(ChangesPage {
                    has_more: next_since < latest_seq && items.len() as u32 == limit,
                    next_since,
                    latest_seq,
                    changes: items,
                })
            }
        }
    }

    pub async fn latest_seq(&self, account_id: Uuid) -> ApiResult<u64> {
        Ok(self.storage.latest_seq(account_id).await?.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn months_are_checked() {
        assert!(valid_month("2026-11"));
        assert!(!valid_month("2026-13"));
        assert!(!valid_month("2026-1"));
        assert!(!valid_month("20x6-01"));
    }
}
