//! The server is the authority (issue 13): the plan's limits and locks, spoken to directly
//! over HTTP as any client can, on SQLite and on PostgreSQL. Every precondition on every
//! write path, tombstone revival, month and kind rewriting, delete and re-create of locked
//! items, the order of locks after a downgrade, the storage quota, byte-bounded feed pages, and
//! batches of writes, write by write.

#[macro_use]
mod support;

use coffer_api::*;
use reqwest::StatusCode;
use support::*;
use uuid::Uuid;

on_both_databases!(
    every_write_path_checks_its_precondition_and_if_match_never_inserts,
    a_write_on_a_tombstone_counts_against_the_month_like_a_new_item,
    rewriting_kind_or_month_is_accepted_but_moves_nothing_it_counts_against,
    a_locked_item_cannot_be_written_revived_or_read_and_deleting_it_is_final,
    after_a_downgrade_the_first_committed_stay_and_the_newest_are_locked,
    uploads_beyond_the_plans_storage_quota_are_refused,
    change_feed_pages_are_bounded_by_bytes_as_well_as_by_count,
    a_batch_holds_each_write_to_the_rules_of_a_single_one,
    a_batch_refuses_what_a_hostile_client_slips_into_it_write_by_write,
    a_batch_write_is_idempotent_across_batches_and_put,
);

const DAY: i64 = 86_400;

fn at(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

/// An in-process server enforcing the default plans, its clock at `now`.
async fn plans_server(db: Option<String>, dir: &std::path::Path, now: &str) -> InProcessServer {
    let server = InProcessServer::start_with(
        dir,
        InProcessOptions {
            plans: true,
            database_url: db,
            ..Default::default()
        },
    )
    .await;
    server.clock.set(at(now));
    server
}

async fn entitlement(client: &Client) -> Entitlement {
    let key: EntitlementKey = client.get(routes::ENTITLEMENT_KEY).await.ok();
    let signed: SignedEntitlement = client.get(routes::ENTITLEMENT).await.ok();
    signed.verify(&key).unwrap()
}

/// Live items in the change feed.
async fn live(client: &Client) -> Vec<Item> {
    let (items, _) = client.pull_all(0).await;
    items.into_iter().filter(|i| !i.deleted).collect()
}

fn unix(server: &InProcessServer) -> i64 {
    use coffer_server::clock::Clock;
    server.clock.unix()
}

async fn every_write_path_checks_its_precondition_and_if_match_never_inserts(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = plans_server(db, dir, "2026-11-10T10:00:00Z").await;
    let (client, _, _) = Client::new(&server.url).new_account("laptop").await;
    let write = item_write(KindClass::Receipt, "2026-11");

    // A new id under If-Match, whatever the revision ("0" too), is no insert.
    let fresh = Uuid::new_v4();
    for revision in [0, 1, 2] {
        let answer = client.put_item(fresh, Some(revision), &write, None).await;
        assert_eq!(answer.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(answer.error().code, ErrorCode::PreconditionFailed);
    }
    // Deleting it is a 404, without If-Match a 428, with If-None-Match a 422.
    assert_eq!(
        client.delete_item(fresh, 1).await.error().code,
        ErrorCode::NotFound
    );
    let bare = client
        .request(reqwest::Method::DELETE, &routes::item(fresh), &[], None, "")
        .await;
    assert_eq!(bare.error().code, ErrorCode::PreconditionRequired);
    let star = client
        .request(
            reqwest::Method::DELETE,
            &routes::item(fresh),
            &[("if-none-match", "*")],
            None,
            "",
        )
        .await;
    assert_eq!(star.error().code, ErrorCode::InvalidField);
    let unconditional = client
        .send_json(reqwest::Method::PUT, &routes::item(fresh), &[], &write)
        .await;
    assert_eq!(unconditional.error().code, ErrorCode::PreconditionRequired);
    assert!(live(&client).await.is_empty(), "nothing was stored");
    assert_eq!(entitlement(&client).await.usage.receipts, 0);

    // Created with If-None-Match: *; that again is a conflict, as is a stale If-Match.
    let _: Item = client.put_item(fresh, None, &write, None).await.ok();
    let again = client.put_item(fresh, None, &write, None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error().current_revision, Some(1));
    for stale in [0, 2, 7] {
        let answer = client.put_item(fresh, Some(stale), &write, None).await;
        assert_eq!(answer.error().code, ErrorCode::RevisionConflict, "{stale}");
        let answer = client.delete_item(fresh, stale).await;
        assert_eq!(answer.error().code, ErrorCode::RevisionConflict, "{stale}");
    }
    let updated: Item = client.put_item(fresh, Some(1), &write, None).await.ok();
    assert_eq!(updated.revision, 2);
    // A tombstone is written on only with If-Match on its revision.
    let tomb: Item = client.delete_item(fresh, 2).await.ok();
    assert!(tomb.deleted);
    assert_eq!(
        client
            .put_item(fresh, None, &write, None)
            .await
            .error()
            .code,
        ErrorCode::RevisionConflict
    );
    assert_eq!(
        client
            .put_item(fresh, Some(2), &write, None)
            .await
            .error()
            .code,
        ErrorCode::RevisionConflict
    );
    let revived: Item = client.put_item(fresh, Some(3), &write, None).await.ok();
    assert_eq!((revived.revision, revived.deleted), (4, false));
    assert_eq!(entitlement(&client).await.usage.receipts, 1);
}

async fn a_write_on_a_tombstone_counts_against_the_month_like_a_new_item(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = plans_server(db, dir, "2026-11-10T10:00:00Z").await;
    let (client, _, _) = Client::new(&server.url).new_account("laptop").await;
    let mut ids = vec![];
    for _ in 0..5 {
        ids.push(client.push_ok(KindClass::Receipt, "2026-11").await);
    }
    // Deleting frees a place; writing the tombstone again takes it back.
    let _: Item = client.delete_item(ids[0], 1).await.ok();
    assert_eq!(entitlement(&client).await.usage.receipts, 4);
    let write = item_write(KindClass::Receipt, "2026-11");
    let _: Item = client.put_item(ids[0], Some(2), &write, None).await.ok();
    assert_eq!(entitlement(&client).await.usage.receipts, 5);
    // Delete one, fill its place with a new id: the old tombstone cannot come back.
    let _: Item = client.delete_item(ids[1], 1).await.ok();
    client.push_ok(KindClass::Receipt, "2026-11").await;
    let over = client.put_item(ids[1], Some(2), &write, None).await;
    assert_eq!(over.status, StatusCode::PAYMENT_REQUIRED);
    let detail = over.error().plan_limit.unwrap();
    assert_eq!((detail.limit, detail.usage), (5, 5));
    // Nor under another kind: it counts as what its first commit said.
    let as_document = item_write(KindClass::Document, "2026-11");
    let over = client.put_item(ids[1], Some(2), &as_document, None).await;
    assert_eq!(
        over.error().plan_limit.unwrap().kind_class,
        KindClass::Receipt
    );
    assert_eq!(live(&client).await.len(), 5);
    // An idempotent retry of a refused write is refused again, not replayed as stored.
    let retried = client.put_item(ids[1], Some(2), &write, Some("k1")).await;
    assert_eq!(retried.error().code, ErrorCode::PlanLimitReached);
    let retried = client.put_item(ids[1], Some(2), &write, Some("k1")).await;
    assert_eq!(retried.error().code, ErrorCode::PlanLimitReached);
}

async fn rewriting_kind_or_month_is_accepted_but_moves_nothing_it_counts_against(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = plans_server(db, dir, "2026-11-10T10:00:00Z").await;
    let (client, _, email) = Client::new(&server.url).new_account("laptop").await;
    let mut receipts = vec![];
    for _ in 0..5 {
        receipts.push(client.push_ok(KindClass::Receipt, "2026-11").await);
    }
    // A person corrects the kind after OCR, and a client claims an old month: both accepted,
    // and neither frees a receipt of November.
    let corrected = item_write(KindClass::Document, "2019-01");
    let item: Item = client
        .put_item(receipts[0], Some(1), &corrected, None)
        .await
        .ok();
    assert_eq!(item.meta.unwrap().kind_class, KindClass::Document);
    let e = entitlement(&client).await;
    assert_eq!((e.usage.receipts, e.usage.documents), (5, 0));
    let (_, refused) = client.push(KindClass::Receipt, "2026-11").await;
    assert_eq!(refused.error().code, ErrorCode::PlanLimitReached);
    // Backdated new items count against this month too: no unlimited uploads.
    for month in ["2026-10", "2020-01"] {
        let (_, refused) = client.push(KindClass::Receipt, month).await;
        assert_eq!(refused.error().plan_limit.unwrap().month, "2026-11");
    }
    // In December the receipts still count against November: December has room for five.
    server.clock.set(at("2026-12-02T10:00:00Z"));
    let client = Client::new(&server.url)
        .login(&email, PASSWORD, "laptop")
        .await
        .0;
    let _: Item = client
        .put_item(
            receipts[1],
            Some(1),
            &item_write(KindClass::Receipt, "2026-12"),
            None,
        )
        .await
        .ok();
    for _ in 0..5 {
        client.push_ok(KindClass::Receipt, "2026-11").await;
    }
    let (_, refused) = client.push(KindClass::Receipt, "2026-12").await;
    assert_eq!(refused.error().plan_limit.unwrap().usage, 5);
}

async fn a_locked_item_cannot_be_written_revived_or_read_and_deleting_it_is_final(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = plans_server(db, dir, "2026-11-10T10:00:00Z").await;
    let (client, session, email) = Client::new(&server.url).new_account("laptop").await;
    let account = session.account_id;
    let app = &server.app;
    app.grant_plan(account, "plus", unix(&server) + 30 * DAY)
        .await
        .unwrap();
    let mut ids = vec![];
    for _ in 0..8 {
        ids.push(client.push_ok(KindClass::Receipt, "2026-11").await);
    }
    let blob = client
        .upload_blob(&VaultKey::random().seal(b"scan"), 1024)
        .await;
    let mut with_blob = item_write(KindClass::Receipt, "2026-11");
    with_blob.blobs = vec![blob.clone()];
    let _: Item = client
        .put_item(ids[7], Some(1), &with_blob, None)
        .await
        .ok();
    app.downgrade(account, coffer_server::billing::DowngradeReason::Expired)
        .await
        .unwrap();
    let e = entitlement(&client).await;
    let mut locked = e.locked.clone();
    locked.sort();
    let mut newest = ids[5..].to_vec();
    newest.sort();
    assert_eq!(locked, newest);

    let write = item_write(KindClass::Receipt, "2026-11");
    for id in &ids[5..] {
        let read = client.get(&routes::item(*id)).await;
        assert_eq!(read.status.as_u16(), 423);
        assert_eq!(read.error().purge_at, e.purge_at);
        let revision = if *id == ids[7] { 2 } else { 1 };
        let answer = client.put_item(*id, Some(revision), &write, None).await;
        assert_eq!(answer.error().code, ErrorCode::ItemLocked);
    }
    assert_eq!(
        client.get(&routes::blob(&blob.sha256)).await.error().code,
        ErrorCode::ItemLocked
    );
    // Deleting a locked item is allowed, and final: its tombstone takes no write, not even
    // after the renewal that unlocks the others.
    let tomb: Item = client.delete_item(ids[6], 1).await.ok();
    let revive = client
        .put_item(ids[6], Some(tomb.revision), &write, None)
        .await;
    assert_eq!(revive.error().code, ErrorCode::ItemLocked);
    app.grant_plan(account, "plus", unix(&server) + 30 * DAY)
        .await
        .unwrap();
    let client = Client::new(&server.url)
        .login(&email, PASSWORD, "laptop")
        .await
        .0;
    assert!(entitlement(&client).await.locked.is_empty());
    let _: Item = client.get(&routes::item(ids[5])).await.ok();
    let _: Item = client.put_item(ids[7], Some(2), &write, None).await.ok();
    let revive = client
        .put_item(ids[6], Some(tomb.revision), &write, None)
        .await;
    assert_eq!(revive.error().code, ErrorCode::ItemLocked);
    let feed = client.get(&routes::item(ids[6])).await;
    assert!(feed.json::<Item>().deleted);
}

async fn after_a_downgrade_the_first_committed_stay_and_the_newest_are_locked(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = plans_server(db, dir, "2026-11-10T10:00:00Z").await;
    let (client, session, _) = Client::new(&server.url).new_account("laptop").await;
    let account = session.account_id;
    server
        .app
        .grant_plan(account, "plus", unix(&server) + 30 * DAY)
        .await
        .unwrap();
    // Ids in falling order, so neither the id nor the order of the last write tells which
    // came first; the oldest are edited last.
    let mut ids: Vec<Uuid> = (0..8).map(|_| Uuid::new_v4()).collect();
    ids.sort_by(|a, b| b.cmp(a));
    for id in &ids {
        let _: Item = client
            .put_item(*id, None, &item_write(KindClass::Receipt, "2026-11"), None)
            .await
            .ok();
    }
    for id in ids[..3].iter().rev() {
        let _: Item = client
            .put_item(
                *id,
                Some(1),
                &item_write(KindClass::Receipt, "2026-01"),
                None,
            )
            .await
            .ok();
    }
    server
        .app
        .downgrade(account, coffer_server::billing::DowngradeReason::Expired)
        .await
        .unwrap();
    let mut locked = entitlement(&client).await.locked;
    locked.sort();
    let mut newest = ids[5..].to_vec();
    newest.sort();
    assert_eq!(locked, newest, "the three pushed last are locked");
}

async fn uploads_beyond_the_plans_storage_quota_are_refused(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = plans_server(db, dir, "2026-11-10T10:00:00Z").await;
    let (client, _, _) = Client::new(&server.url).new_account("laptop").await;
    let quota = server.app.catalog.free_plan().limits.storage_bytes;
    let announce = |size: u64| {
        let client = client.clone();
        async move {
            client
                .post(
                    routes::UPLOADS,
                    &CreateUploadRequest {
                        sha256: sha256_hex(Uuid::new_v4().as_bytes()),
                        size,
                    },
                )
                .await
        }
    };
    // Announced uploads count with their size, stored blobs with theirs.
    let blob = client
        .upload_blob(&VaultKey::random().seal(b"stored"), 1024)
        .await;
    let _: UploadStatus = announce(quota / 2).await.ok();
    let over = announce(quota / 2).await;
    assert_eq!(over.status, StatusCode::PAYMENT_REQUIRED);
    let error = over.error();
    assert_eq!(error.code, ErrorCode::StorageQuotaExceeded);
    let detail = error.storage_quota.unwrap();
    assert_eq!(detail.limit_bytes, quota);
    assert_eq!(detail.used_bytes, quota / 2 + blob.size);
    // Concurrent announcements cannot pass the quota together.
    let left = quota - quota / 2 - blob.size;
    let answers = futures::future::join_all((0..4).map(|_| announce(left / 2 + 1))).await;
    let accepted = answers.iter().filter(|a| a.status.is_success()).count();
    assert_eq!(accepted, 1, "{answers:?}");
    assert_eq!(
        entitlement(&client).await.usage.stored_bytes,
        quota / 2 + blob.size + left / 2 + 1
    );
}

async fn change_feed_pages_are_bounded_by_bytes_as_well_as_by_count(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = InProcessServer::start_with(
        dir,
        InProcessOptions {
            database_url: db,
            ..Default::default()
        },
    )
    .await;
    let (client, _, _) = Client::new(&server.url).new_account("laptop").await;
    // 48 envelopes of 250 KiB: 12 MiB, more than a page may carry.
    for _ in 0..48 {
        let write = ItemWrite {
            envelope: Bytes(vec![7; 250 * 1024]),
            ..item_write(KindClass::Document, "2026-11")
        };
        let _: Item = client
            .put_item(Uuid::new_v4(), None, &write, None)
            .await
            .ok();
    }
    let (mut since, mut pages, mut seen) = (0, 0, 0);
    loop {
        let page: ChangesPage = client.changes(since, 1000).await.ok();
        let bytes: usize = page
            .changes
            .iter()
            .map(|i| i.envelope.as_ref().map_or(0, |e| e.len()))
            .sum();
        assert!(bytes as u64 <= MAX_CHANGES_PAGE_BYTES, "{bytes}");
        assert!(!page.changes.is_empty());
        seen += page.changes.len();
        pages += 1;
        since = page.next_since;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen, 48);
    assert!(pages >= 2, "{pages} pages");
}

/// A batch write creating (or replacing `if_match` of) `id`, its blobs given inline.
fn batch_write(id: Uuid, if_match: Option<u64>, write: ItemWrite, inline: &[&[u8]]) -> BatchWrite {
    BatchWrite {
        id,
        if_match,
        idempotency_key: Uuid::new_v4().to_string(),
        write,
        inline_blobs: inline
            .iter()
            .map(|data| InlineBlob {
                sha256: sha256_hex(data),
                data: Bytes(data.to_vec()),
            })
            .collect(),
    }
}

/// A new receipt with its one blob inline.
fn new_receipt(blob: &[u8]) -> BatchWrite {
    batch_write(
        Uuid::new_v4(),
        None,
        write_with(KindClass::Receipt, &[blob]),
        &[blob],
    )
}

/// A write of `kind` referencing `blobs`.
fn write_with(kind: KindClass, blobs: &[&[u8]]) -> ItemWrite {
    ItemWrite {
        blobs: blobs
            .iter()
            .map(|data| BlobRef {
                sha256: sha256_hex(data),
                size: data.len() as u64,
            })
            .collect(),
        ..item_write(kind, "2026-11")
    }
}

/// A server on the default plans, an account on it, and a vault key to seal with.
async fn batch_account(
    db: Option<String>,
    dir: &std::path::Path,
) -> (InProcessServer, Client, VaultKey) {
    let server = plans_server(db, dir, "2026-11-10T10:00:00Z").await;
    let (client, _, _) = Client::new(&server.url).new_account("laptop").await;
    (server, client, VaultKey::random())
}

async fn send_batch(client: &Client, writes: Vec<BatchWrite>) -> Vec<Result<Item, ErrorCode>> {
    let answer: BatchResponse = client
        .post(routes::ITEMS_BATCH, &BatchRequest { writes })
        .await
        .ok();
    answer
        .results
        .into_iter()
        .map(|r| match r {
            BatchResult::Ok(item) => Ok(item),
            BatchResult::Error(e) => Err(e.code),
        })
        .collect()
}

fn codes(results: &[Result<Item, ErrorCode>]) -> Vec<Option<ErrorCode>> {
    results.iter().map(|r| r.as_ref().err().copied()).collect()
}

async fn a_batch_holds_each_write_to_the_rules_of_a_single_one(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let (server, client, key) = batch_account(db, dir).await;
    let blobs: Vec<Vec<u8>> = (0..7)
        .map(|i| key.seal(&vec![i; 1000 + i as usize]))
        .collect();
    let writes = blobs.iter().map(|b| new_receipt(b)).collect::<Vec<_>>();
    let ids: Vec<Uuid> = writes.iter().map(|w| w.id).collect();
    // The free plan's five receipts a month: the first five go, the last two are refused.
    let results = send_batch(&client, writes).await;
    let mut expected = vec![None; 5];
    expected.extend([Some(ErrorCode::PlanLimitReached); 2]);
    assert_eq!(codes(&results), expected);
    let live = live(&client).await;
    assert_eq!(live.len(), 5);
    assert!(live.iter().all(|i| ids[..5].contains(&i.id)));
    let usage = entitlement(&client).await.usage;
    assert_eq!(usage.receipts, 5);
    // Only the accepted writes' blobs are stored, and they read back as sent.
    let stored: u64 = blobs[..5].iter().map(|b| b.len() as u64).sum();
    assert_eq!(usage.stored_bytes, stored);
    for (i, blob) in blobs.iter().enumerate() {
        let answer = client.get(&routes::blob(&sha256_hex(blob))).await;
        if i < 5 {
            assert_eq!(&answer.body, blob, "blob {i}");
        } else {
            assert_eq!(answer.error().code, ErrorCode::NotFound, "blob {i}");
        }
    }
    // Another account sees none of it.
    let (other, _, _) = Client::new(&server.url).new_account("phone").await;
    let theirs = other.get(&routes::blob(&sha256_hex(&blobs[0]))).await;
    assert_eq!(theirs.error().code, ErrorCode::NotFound);
    let written = send_batch(
        &other,
        vec![batch_write(
            ids[0],
            Some(1),
            item_write(KindClass::Document, "2026-11"),
            &[],
        )],
    )
    .await;
    assert_eq!(codes(&written), [Some(ErrorCode::PreconditionFailed)]);

    // The storage quota counts inline blobs: with the quota all but announced, a blob goes
    // no further, while a write without one in the same batch does.
    let quota = server.app.catalog.free_plan().limits.storage_bytes;
    let _: UploadStatus = client
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256_hex(b"announced"),
                size: quota - stored - 10,
            },
        )
        .await
        .ok();
    let big = key.seal(&[7; 100]);
    let results = send_batch(
        &client,
        vec![
            batch_write(
                Uuid::new_v4(),
                None,
                write_with(KindClass::Document, &[&big]),
                &[&big],
            ),
            batch_write(
                Uuid::new_v4(),
                None,
                item_write(KindClass::Document, "2026-11"),
                &[],
            ),
        ],
    )
    .await;
    assert_eq!(
        codes(&results),
        [Some(ErrorCode::StorageQuotaExceeded), None]
    );
    assert_eq!(entitlement(&client).await.usage.documents, 1);

    // A batch of several MiB (past the 1 MiB of other JSON routes) is taken: these receipts
    // are past the month's limit, so none is stored and none of their blobs counts.
    let before = entitlement(&client).await.usage.stored_bytes;
    let large: Vec<Vec<u8>> = (0..40u8).map(|i| key.seal(&vec![i; 60 * 1024])).collect();
    let results = send_batch(&client, large.iter().map(|b| new_receipt(b)).collect()).await;
    assert_eq!(codes(&results), vec![Some(ErrorCode::PlanLimitReached); 40]);
    assert_eq!(entitlement(&client).await.usage.stored_bytes, before);

    // The size of a batch is bounded: in writes, and in bytes.
    let too_many = (0..=MAX_BATCH_WRITES)
        .map(|_| {
            batch_write(
                Uuid::new_v4(),
                None,
                item_write(KindClass::Document, "2026-11"),
                &[],
            )
        })
        .collect();
    let answer = client
        .post(routes::ITEMS_BATCH, &BatchRequest { writes: too_many })
        .await;
    assert_eq!(answer.error().code, ErrorCode::InvalidField);
    let empty = client
        .post(routes::ITEMS_BATCH, &BatchRequest { writes: vec![] })
        .await;
    assert_eq!(empty.error().code, ErrorCode::InvalidField);
    let huge = vec![0u8; MAX_BATCH_BODY + 1];
    let answer = client
        .request(
            reqwest::Method::POST,
            routes::ITEMS_BATCH,
            &[],
            Some(huge),
            "application/json",
        )
        .await;
    assert_eq!(answer.error().code, ErrorCode::PayloadTooLarge);
    assert_eq!(
        entitlement(&client).await.usage.documents,
        1,
        "nothing more stored"
    );
}

async fn a_batch_refuses_what_a_hostile_client_slips_into_it_write_by_write(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let (server, client, key) = batch_account(db, dir).await;
    let blob = key.seal(b"a receipt");
    let other = key.seal(b"another receipt");
    let oversized = vec![1u8; MAX_INLINE_BLOB_BYTES as usize + 1];
    let twice = Uuid::new_v4();
    let mut wrong_hash = new_receipt(&blob);
    // Bytes of the right size, but not those named.
    wrong_hash.inline_blobs[0].data = Bytes(key.seal(b"A receipt"));
    let mut bad_key = batch_write(
        Uuid::new_v4(),
        None,
        item_write(KindClass::Receipt, "2026-11"),
        &[],
    );
    bad_key.idempotency_key = "not a key\n".into();
    let mut empty_envelope = batch_write(
        Uuid::new_v4(),
        None,
        item_write(KindClass::Receipt, "2026-11"),
        &[],
    );
    empty_envelope.write.envelope = Bytes(vec![]);
    let writes = vec![
        wrong_hash,
        // Too large to go inline.
        new_receipt(&oversized),
        // A blob the write does not reference.
        batch_write(
            Uuid::new_v4(),
            None,
            item_write(KindClass::Receipt, "2026-11"),
            &[&other],
        ),
        // The same blob twice.
        batch_write(
            Uuid::new_v4(),
            None,
            write_with(KindClass::Receipt, &[&blob]),
            &[&blob, &blob],
        ),
        // A blob neither inline nor uploaded.
        batch_write(
            Uuid::new_v4(),
            None,
            write_with(KindClass::Receipt, &[&blob]),
            &[],
        ),
        // If-Match on an id that does not exist is no insert.
        batch_write(
            Uuid::new_v4(),
            Some(1),
            item_write(KindClass::Receipt, "2026-11"),
            &[],
        ),
        bad_key,
        empty_envelope,
        // The same id created twice: the second is a conflict.
        batch_write(
            twice,
            None,
            write_with(KindClass::Receipt, &[&blob]),
            &[&blob],
        ),
        batch_write(twice, None, item_write(KindClass::Receipt, "2026-11"), &[]),
    ];
    let results = send_batch(&client, writes).await;
    use ErrorCode::*;
    assert_eq!(
        codes(&results),
        [
            Some(ChecksumMismatch),
            Some(PayloadTooLarge),
            Some(InvalidField),
            Some(InvalidField),
            Some(MissingBlob),
            Some(PreconditionFailed),
            Some(InvalidField),
            Some(InvalidField),
            None,
            Some(RevisionConflict),
        ]
    );
    // Only the one accepted write is there, and only its blob; nothing refused counted.
    let live = live(&client).await;
    assert_eq!(live.iter().map(|i| i.id).collect::<Vec<_>>(), [twice]);
    let usage = entitlement(&client).await.usage;
    assert_eq!((usage.receipts, usage.stored_bytes), (1, blob.len() as u64));
    let missing = client.get(&routes::blob(&sha256_hex(&other))).await;
    assert_eq!(missing.error().code, NotFound);
    // A body that is not a batch is refused whole.
    let answer = client
        .request(
            reqwest::Method::POST,
            routes::ITEMS_BATCH,
            &[],
            Some(b"{\"writes\": 3}".to_vec()),
            "application/json",
        )
        .await;
    assert!(answer.status.is_client_error());
    // Without a session, nothing.
    let anonymous = Client::new(&server.url)
        .post(routes::ITEMS_BATCH, &BatchRequest { writes: vec![] })
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn a_batch_write_is_idempotent_across_batches_and_put(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let (_server, client, key) = batch_account(db, dir).await;
    let blob = key.seal(b"a receipt");
    let write = new_receipt(&blob);
    let first = send_batch(&client, vec![write.clone()]).await;
    let first = first[0].clone().unwrap();
    // The answer was lost; the same write again, in a batch and through PUT, is answered alike.
    let again = send_batch(&client, vec![write.clone()]).await;
    assert_eq!(again[0].as_ref().unwrap(), &first);
    // Twice in one batch, each time with the first answer: the second mention of a key or an
    // id must not hide from the first what the database holds.
    let twice = send_batch(&client, vec![write.clone(), write.clone()]).await;
    assert_eq!(twice, [Ok(first.clone()), Ok(first.clone())]);
    let mut recreate = write.clone();
    recreate.idempotency_key = Uuid::new_v4().to_string();
    let mut recreate_again = write.clone();
    recreate_again.idempotency_key = Uuid::new_v4().to_string();
    let refused = send_batch(&client, vec![recreate, recreate_again]).await;
    assert_eq!(
        codes(&refused),
        [
            Some(ErrorCode::RevisionConflict),
            Some(ErrorCode::RevisionConflict)
        ],
        "creating an item that exists is a conflict, however often a batch asks"
    );
    let put: Item = client
        .put_item(write.id, None, &write.write, Some(&write.idempotency_key))
        .await
        .ok();
    assert_eq!(put, first);
    // The key with another write is refused, and the item stays as it was.
    let mut changed = write.clone();
    changed.write.envelope = Bytes(key.seal(b"something else"));
    let reused = send_batch(&client, vec![changed]).await;
    assert_eq!(codes(&reused), [Some(ErrorCode::IdempotencyKeyReused)]);
    let live = live(&client).await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].revision, 1);
    assert_eq!(live[0].envelope, Some(write.write.envelope.clone()));
    assert_eq!(entitlement(&client).await.usage.receipts, 1);
    // Updating it in a batch takes its revision.
    let update = batch_write(
        write.id,
        Some(1),
        write_with(KindClass::Receipt, &[&blob]),
        &[],
    );
    let updated = send_batch(&client, vec![update]).await;
    assert_eq!(updated[0].as_ref().unwrap().revision, 2);
}
