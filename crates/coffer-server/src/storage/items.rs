//! Items: the encrypted envelope, the blobs an item references, the clear technical metadata,
//! and what the plan counts the item against. `counted_month` / `counted_kind` are set by the
//! first commit that makes the item live and never change afterwards; `locked_at` marks an item
//! locked after a downgrade (on a tombstone it stays: a locked item deleted is gone for good).
//! Also the idempotency records of item writes.

use super::rows;
use super::{Conn, StorageError, StorageResult};
use coffer_api::{BlobRef, Item, ItemMeta, KindClass};
use sqlx::Connection as _;
use std::collections::HashMap;
use uuid::Uuid;

/// What the plan counts an item against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub month: String,
    pub kind: KindClass,
}

/// An item's row as a write sees it.
#[derive(Debug, Clone)]
pub struct ItemState {
    pub revision: u64,
    pub deleted: bool,
    pub locked: bool,
    /// `None` for a row from before counting was recorded that was never live since.
    pub counted: Option<Counted>,
}

pub async fn state(c: &mut Conn, account: Uuid, id: Uuid) -> StorageResult<Option<ItemState>> {
    Ok(states(c, account, &[id]).await?.remove(&id))
}

/// The states of those of `ids` the account has a row for, by id.
pub async fn states(
    c: &mut Conn,
    account: Uuid,
    ids: &[Uuid],
) -> StorageResult<HashMap<Uuid, ItemState>> {
    let found_rows = rows::fetch_in(
        c,
        "SELECT id, revision, deleted, locked_at, counted_month, counted_kind FROM items \
         WHERE account_id = $1 AND id IN",
        account,
        ids.iter().map(Uuid::to_string),
    )
    .await?;
    let mut found = HashMap::new();
    for row in found_rows {
        let counted = match (
            rows::opt_text(&row, "counted_month")?,
            rows::opt_text(&row, "counted_kind")?,
        ) {
            (Some(month), Some(kind)) => Some(Counted {
                month,
                kind: KindClass::parse(&kind)
                    .ok_or_else(|| StorageError::Corrupt("unknown counted_kind".into()))?,
            }),
            _ => None,
        };
        found.insert(
            rows::uuid(&row, "id")?,
            ItemState {
                revision: rows::count(&row, "revision")?,
                deleted: rows::flag(&row, "deleted")?,
                locked: rows::opt_int(&row, "locked_at")?.is_some(),
                counted,
            },
        );
    }
    Ok(found)
}

/// The content of a live item.
pub struct ItemContent<'a> {
    pub meta: &'a ItemMeta,
    pub envelope: &'a [u8],
    pub blobs: &'a [BlobRef],
}

/// A write the service has checked against every rule.
pub struct ItemRow<'a> {
    pub id: Uuid,
    pub revision: u64,
    pub seq: i64,
    /// `None` writes a tombstone.
    pub content: Option<ItemContent<'a>>,
    /// Recorded only if the row has no count yet (the first commit that makes it live).
    pub counted: Option<&'a Counted>,
    pub now: i64,
    /// Whether the item has a row already (whose blob list the write replaces).
    pub replaces: bool,
}

/// Stores the write; the item as it now is.
pub async fn write(c: &mut Conn, account: Uuid, w: &ItemRow<'_>) -> StorageResult<Item> {
    let acc = account.to_string();
    let id = w.id.to_string();
    let content = w.content.as_ref();
    sqlx::query(
        "INSERT INTO items (account_id, id, revision, seq, deleted, kind_class, created_month, \
         padded_size, envelope, updated_at, created_seq, counted_month, counted_kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $4, $11, $12) \
         ON CONFLICT (account_id, id) DO UPDATE SET revision = excluded.revision, \
         seq = excluded.seq, deleted = excluded.deleted, kind_class = excluded.kind_class, \
         created_month = excluded.created_month, padded_size = excluded.padded_size, \
         envelope = excluded.envelope, updated_at = excluded.updated_at, \
         counted_month = COALESCE(items.counted_month, excluded.counted_month), \
         counted_kind = COALESCE(items.counted_kind, excluded.counted_kind)",
    )
    .bind(&acc)
    .bind(&id)
    .bind(rows::to_i64(w.revision))
    .bind(w.seq)
    .bind(content.is_none())
    .bind(content.map(|ct| ct.meta.kind_class.as_str()))
    .bind(content.map(|ct| ct.meta.created_month.clone()))
    .bind(content.map(|ct| rows::to_i64(ct.meta.padded_size)))
    .bind(content.map(|ct| ct.envelope.to_vec()))
    .bind(w.now)
    .bind(w.counted.map(|k| k.month.clone()))
    .bind(w.counted.map(|k| k.kind.as_str()))
    .execute(&mut *c)
    .await?;
    if w.replaces {
        sqlx::query("DELETE FROM item_blobs WHERE account_id = $1 AND item_id = $2")
            .bind(&acc)
            .bind(&id)
            .execute(&mut *c)
            .await?;
    }
    let blobs = content.map_or(&[][..], |ct| ct.blobs);
    for (position, blob) in blobs.iter().enumerate() {
        sqlx::query(
            "INSERT INTO item_blobs (account_id, item_id, position, sha256, size) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&acc)
        .bind(&id)
        .bind(position as i64)
        .bind(&blob.sha256)
        .bind(rows::to_i64(blob.size))
        .execute(&mut *c)
        .await?;
    }
    Ok(Item {
        id: w.id,
        revision: w.revision,
        seq: u64::try_from(w.seq).unwrap_or(0),
        deleted: content.is_none(),
        meta: content.map(|ct| ct.meta.clone()),
        envelope: content.map(|ct| coffer_api::Bytes(ct.envelope.to_vec())),
        blobs: blobs.to_vec(),
        updated_at: w.now,
    })
}

/// The first blob of `blobs` the account does not hold with that size.
pub async fn missing_blob(
    c: &mut Conn,
    account: Uuid,
    blobs: &[BlobRef],
) -> StorageResult<Option<String>> {
    for blob in blobs {
        let row = sqlx::query("SELECT size FROM blobs WHERE account_id = $1 AND sha256 = $2")
            .bind(account.to_string())
            .bind(&blob.sha256)
            .fetch_optional(&mut *c)
            .await?;
        let matches = match row {
            Some(row) => rows::count(&row, "size")? == blob.size,
            None => false,
        };
        if !matches {
            return Ok(Some(blob.sha256.clone()));
        }
    }
    Ok(None)
}

fn item_from_row(row: &sqlx::any::AnyRow, blobs: Vec<BlobRef>) -> StorageResult<Item> {
    let deleted = rows::flag(row, "deleted")?;
    let meta = if deleted {
        None
    } else {
        let kind_class = rows::opt_text(row, "kind_class")?
            .as_deref()
            .and_then(KindClass::parse)
            .ok_or_else(|| StorageError::Corrupt("unknown kind_class".into()))?;
        Some(ItemMeta {
            kind_class,
            created_month: rows::opt_text(row, "created_month")?.unwrap_or_default(),
            padded_size: u64::try_from(rows::opt_int(row, "padded_size")?.unwrap_or(0))
                .unwrap_or(0),
        })
    };
    Ok(Item {
        id: rows::uuid(row, "id")?,
        revision: rows::count(row, "revision")?,
        seq: rows::count(row, "seq")?,
        deleted,
        meta,
        envelope: rows::opt_bytes(row, "envelope")?.map(coffer_api::Bytes),
        blobs,
        updated_at: rows::int(row, "updated_at")?,
    })
}

async fn blobs_of(
    c: &mut Conn,
    account: Uuid,
    only: Option<Uuid>,
    after: i64,
    upto: i64,
) -> StorageResult<HashMap<Uuid, Vec<BlobRef>>> {
    let found = match only {
        Some(id) => {
            sqlx::query(
                "SELECT item_id, sha256, size FROM item_blobs \
                 WHERE account_id = $1 AND item_id = $2 ORDER BY position",
            )
            .bind(account.to_string())
            .bind(id.to_string())
            .fetch_all(c)
            .await?
        }
        None => {
            sqlx::query(
                "SELECT ib.item_id, ib.sha256, ib.size FROM item_blobs ib \
                 JOIN items i ON i.account_id = ib.account_id AND i.id = ib.item_id \
                 WHERE i.account_id = $1 AND i.seq > $2 AND i.seq <= $3 \
                 ORDER BY ib.item_id, ib.position",
            )
            .bind(account.to_string())
            .bind(after)
            .bind(upto)
            .fetch_all(c)
            .await?
        }
    };
    let mut out: HashMap<Uuid, Vec<BlobRef>> = HashMap::new();
    for row in found {
        out.entry(rows::uuid(&row, "item_id")?)
            .or_default()
            .push(BlobRef {
                sha256: rows::text(&row, "sha256")?,
                size: rows::count(&row, "size")?,
            });
    }
    Ok(out)
}

pub async fn item(c: &mut Conn, account: Uuid, id: Uuid) -> StorageResult<Option<Item>> {
    let row = sqlx::query("SELECT * FROM items WHERE account_id = $1 AND id = $2")
        .bind(account.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *c)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut blobs = blobs_of(c, account, Some(id), 0, 0).await?;
    Ok(Some(item_from_row(
        &row,
        blobs.remove(&id).unwrap_or_default(),
    )?))
}

/// A page of the change feed.
pub struct Page {
    pub items: Vec<Item>,
    /// More items follow the page (it was cut by count or by size).
    pub cut: bool,
    pub latest_seq: u64,
}

pub enum Changes {
    Page(Page),
    /// `since` is older than the oldest tombstone kept.
    CursorExpired,
}

/// The items written after `since`, in sequence order: at most `limit`, and no more than
/// `max_bytes` of envelopes (always at least one item), read in one snapshot.
pub async fn changes(
    c: &mut Conn,
    account: Uuid,
    since: u64,
    limit: u32,
    max_bytes: u64,
) -> StorageResult<Changes> {
    let acc = account.to_string();
    let mut tx = c.begin().await?;
    let Some((latest_seq, purged_seq)) = super::accounts::feed_bounds(&mut tx, account).await?
    else {
        return Ok(Changes::Page(Page {
            items: vec![],
            cut: false,
            latest_seq: 0,
        }));
    };
    if since > 0 && since < purged_seq {
        return Ok(Changes::CursorExpired);
    }
    let since = rows::to_i64(since);
    // Sizes first, so the page is cut before any envelope is read.
    let sizes = sqlx::query(
        "SELECT seq, COALESCE(LENGTH(envelope), 0) AS size FROM items \
         WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(&acc)
    .bind(since)
    .bind(i64::from(limit))
    .fetch_all(&mut *tx)
    .await?;
    let mut upto = since;
    let mut total = 0u64;
    let mut taken = 0usize;
    for row in &sizes {
        // Every item also costs its metadata and blob references.
        let size = rows::count(row, "size")? + 1024;
        if taken > 0 && total + size > max_bytes {
            break;
        }
        total += size;
        taken += 1;
        upto = rows::int(row, "seq")?;
    }
    let cut = taken < sizes.len() || sizes.len() == limit as usize;
    let found = sqlx::query(
        "SELECT * FROM items WHERE account_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
    )
    .bind(&acc)
    .bind(since)
    .bind(upto)
    .fetch_all(&mut *tx)
    .await?;
    let mut blobs = blobs_of(&mut tx, account, None, since, upto).await?;
    let items = found
        .iter()
        .map(|row| {
            let id = rows::uuid(row, "id")?;
            item_from_row(row, blobs.remove(&id).unwrap_or_default())
        })
        .collect::<StorageResult<Vec<_>>>()?;
    tx.commit().await?;
    Ok(Changes::Page(Page {
        items,
        cut,
        latest_seq,
    }))
}

/// Live, unlocked items of one month, by kind class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthCount {
    pub receipts: u32,
    pub documents: u32,
}

impl MonthCount {
    /// One more item of `kind`.
    pub fn add(&mut self, kind: KindClass) {
        match kind {
            KindClass::Receipt => self.receipts += 1,
            KindClass::Document => self.documents += 1,
        }
    }

    pub fn of(&self, kind: KindClass) -> u32 {
        match kind {
            KindClass::Receipt => self.receipts,
            KindClass::Document => self.documents,
        }
    }
}

/// What counts against `month`'s limits: live, unlocked items first committed then.
pub async fn month_usage(c: &mut Conn, account: Uuid, month: &str) -> StorageResult<MonthCount> {
    let found = sqlx::query(
        "SELECT counted_kind, COUNT(*) AS n FROM items \
         WHERE account_id = $1 AND counted_month = $2 AND deleted = $3 \
         AND locked_at IS NULL GROUP BY counted_kind",
    )
    .bind(account.to_string())
    .bind(month)
    .bind(false)
    .fetch_all(c)
    .await?;
    let mut count = MonthCount::default();
    for row in found {
        let n = rows::small(&row, "n")?;
        match KindClass::parse(&rows::text(&row, "counted_kind")?) {
            Some(KindClass::Receipt) => count.receipts = n,
            Some(KindClass::Document) => count.documents = n,
            None => {}
        }
    }
    Ok(count)
}

/// A live item as a downgrade sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveItem {
    pub id: Uuid,
    pub counted: Counted,
}

/// Live items, per counted month in the order of their first commit (oldest first).
pub async fn live_items(c: &mut Conn, account: Uuid) -> StorageResult<Vec<LiveItem>> {
    let found = sqlx::query(
        "SELECT id, counted_month, counted_kind FROM items \
         WHERE account_id = $1 AND deleted = $2 \
         ORDER BY counted_month, created_seq, id",
    )
    .bind(account.to_string())
    .bind(false)
    .fetch_all(c)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok(LiveItem {
                id: rows::uuid(r, "id")?,
                counted: Counted {
                    month: rows::text(r, "counted_month")?,
                    kind: KindClass::parse(&rows::text(r, "counted_kind")?)
                        .ok_or_else(|| StorageError::Corrupt("unknown counted_kind".into()))?,
                },
            })
        })
        .collect()
}

/// Live items that are locked.
pub async fn locked(c: &mut Conn, account: Uuid) -> StorageResult<Vec<Uuid>> {
    let found = sqlx::query(
        "SELECT id FROM items WHERE account_id = $1 AND locked_at IS NOT NULL AND deleted = $2 \
         ORDER BY counted_month, created_seq, id",
    )
    .bind(account.to_string())
    .bind(false)
    .fetch_all(c)
    .await?;
    found.iter().map(|r| rows::uuid(r, "id")).collect()
}

pub async fn is_locked(c: &mut Conn, account: Uuid, id: Uuid) -> StorageResult<bool> {
    Ok(state(c, account, id)
        .await?
        .is_some_and(|s| s.locked && !s.deleted))
}

/// True if the blob belongs only to locked items.
pub async fn blob_locked(c: &mut Conn, account: Uuid, sha256: &str) -> StorageResult<bool> {
    let row = sqlx::query(
        "SELECT \
         SUM(CASE WHEN i.locked_at IS NULL THEN 1 ELSE 0 END) AS open, \
         SUM(CASE WHEN i.locked_at IS NULL THEN 0 ELSE 1 END) AS locked \
         FROM item_blobs ib JOIN items i ON i.account_id = ib.account_id AND i.id = ib.item_id \
         WHERE ib.account_id = $1 AND ib.sha256 = $2",
    )
    .bind(account.to_string())
    .bind(sha256)
    .fetch_one(c)
    .await?;
    let open = rows::opt_int(&row, "open")?.unwrap_or(0);
    let locked = rows::opt_int(&row, "locked")?.unwrap_or(0);
    Ok(open == 0 && locked > 0)
}

/// Locks the given live items.
pub async fn lock(c: &mut Conn, account: Uuid, ids: &[Uuid], now: i64) -> StorageResult<()> {
    for id in ids {
        sqlx::query(
            "UPDATE items SET locked_at = $3 WHERE account_id = $1 AND id = $2 AND deleted = $4",
        )
        .bind(account.to_string())
        .bind(id.to_string())
        .bind(now)
        .bind(false)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Unlocks every live item (a locked item that was deleted stays gone).
pub async fn unlock_all(c: &mut Conn, account: Uuid) -> StorageResult<()> {
    sqlx::query(
        "UPDATE items SET locked_at = NULL \
         WHERE account_id = $1 AND locked_at IS NOT NULL AND deleted = $2",
    )
    .bind(account.to_string())
    .bind(false)
    .execute(c)
    .await?;
    Ok(())
}

// -- idempotency ----------------------------------------------------------------------------

/// The request hash and first answer stored under an idempotency key.
pub async fn idempotent_answer(
    c: &mut Conn,
    account: Uuid,
    key: &str,
) -> StorageResult<Option<(Vec<u8>, Item)>> {
    Ok(idempotent_answers(c, account, &[key]).await?.remove(key))
}

/// [`idempotent_answer`] for those of `keys` that have one, by key.
pub async fn idempotent_answers(
    c: &mut Conn,
    account: Uuid,
    keys: &[&str],
) -> StorageResult<HashMap<String, (Vec<u8>, Item)>> {
    rows::fetch_in(
        c,
        "SELECT key, request_hash, response FROM idempotency WHERE account_id = $1 AND key IN",
        account,
        keys.iter().map(|k| (*k).to_owned()),
    )
    .await?
    .iter()
    .map(|row| {
        let item = serde_json::from_slice(&rows::bytes(row, "response")?)
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        Ok((
            rows::text(row, "key")?,
            (rows::bytes(row, "request_hash")?, item),
        ))
    })
    .collect()
}

pub async fn remember_answer(
    c: &mut Conn,
    account: Uuid,
    key: &str,
    request_hash: &[u8],
    answer: &Item,
    now: i64,
) -> StorageResult<()> {
    let response = serde_json::to_vec(answer).map_err(|e| StorageError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO idempotency (account_id, key, request_hash, response, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account.to_string())
    .bind(key)
    .bind(request_hash)
    .bind(response)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}
