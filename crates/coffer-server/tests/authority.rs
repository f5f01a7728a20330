//! The server is the authority (issue 13): the plan's limits and locks, spoken to directly
//! over HTTP as any client can, on SQLite and on PostgreSQL. Every precondition on every
//! write path, tombstone revival, month and kind rewriting, delete and re-create of locked
//! items, the order of locks after a downgrade, the storage quota, byte-bounded feed pages.

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
