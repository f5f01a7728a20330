//! Private share links (issue 17), spoken to over HTTP as any client and any visitor can, on
//! SQLite and on PostgreSQL: the sealed file is served to anyone with the link until it
//! expires or is revoked, each fetch is counted for the owner, it counts against the storage
//! quota while it lives, and its ciphertext is deleted when it ends. A hostile client cannot
//! share another account's blob, a document's blob or a locked one.

#[macro_use]
mod support;

use coffer_api::*;
use reqwest::StatusCode;
use support::*;
use uuid::Uuid;

on_both_databases!(
    a_share_serves_its_file_to_anyone_with_the_link_until_it_expires,
    revoking_a_share_deletes_its_file_at_once_and_only_the_owner_can,
    a_hostile_client_can_share_only_a_file_of_its_own_uploaded_for_it,
);

const DAY: i64 = 86_400;

async fn server_at(db: Option<String>, dir: &std::path::Path) -> InProcessServer {
    let server = InProcessServer::start_with(
        dir,
        InProcessOptions {
            plans: true,
            database_url: db,
            ..Default::default()
        },
    )
    .await;
    server.clock.set(
        time::OffsetDateTime::parse(
            "2026-11-10T10:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap(),
    );
    server
}

fn create(blob: &BlobRef, days: u32) -> ShareCreate {
    ShareCreate {
        sha256: blob.sha256.clone(),
        size: blob.size,
        expires_in_days: days,
    }
}

/// Uploads `sealed` and shares it for `days`.
async fn share(client: &Client, sealed: &[u8], days: u32) -> (BlobRef, Share) {
    let blob = client.upload_blob(sealed, 64 * 1024).await;
    let answer = client.post(routes::SHARES, &create(&blob, days)).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    (blob, answer.json())
}

async fn shares(client: &Client) -> Vec<Share> {
    client.get(routes::SHARES).await.ok::<ShareList>().shares
}

async fn stored_bytes(client: &Client) -> u64 {
    let key: EntitlementKey = client.get(routes::ENTITLEMENT_KEY).await.ok();
    let signed: SignedEntitlement = client.get(routes::ENTITLEMENT).await.ok();
    signed.verify(&key).unwrap().usage.stored_bytes
}

/// A visitor's GET: status, the headers that matter and the body.
async fn visit(base: &str, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let answer = reqwest::get(format!("{base}{path}")).await.unwrap();
    let status = answer.status();
    let headers = answer.headers().clone();
    (status, headers, answer.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

async fn a_share_serves_its_file_to_anyone_with_the_link_until_it_expires(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = server_at(db, dir).await;
    let (client, _, email) = Client::new(&server.url).new_account("laptop").await;
    // After the clock moves, the owner signs in again (access tokens are short-lived).
    let owner = || async {
        Client::new(&server.url)
            .login(&email, PASSWORD, "laptop")
            .await
            .0
    };
    let sealed: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (blob, created) = share(&client, &sealed, 14).await;
    assert_eq!(created.state, ShareState::Active);
    assert_eq!((created.size, created.downloads), (blob.size, 0));
    assert_eq!(created.expires_at - created.created_at, 14 * DAY);
    assert_eq!(
        stored_bytes(&client).await,
        blob.size,
        "a share counts against the quota"
    );

    // The page is the server's own, under a policy that allows nothing else.
    let (status, headers, body) = visit(&server.url, &routes::share_page(created.id)).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    assert!(header(&headers, "content-type").starts_with("text/html"));
    let policy = header(&headers, "content-security-policy");
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    assert!(page.contains(&format!("data-share=\"{}\"", created.id)));
    assert_eq!(
        page.matches("<script").count(),
        page.matches(&format!("<script src=\"{}\"", routes::SHARE_SCRIPT))
            .count(),
        "no inline script: {page}"
    );
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no third-party origin"
    );
    for (path, kind) in [
        (routes::SHARE_SCRIPT, "text/javascript"),
        (routes::SHARE_STYLE, "text/css"),
    ] {
        let (status, headers, body) = visit(&server.url, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(header(&headers, "content-type").starts_with(kind), "{path}");
        assert!(!body.is_empty());
    }

    // Anyone with the link gets the sealed bytes; each fetch is counted for the owner.
    for _ in 0..2 {
        let (status, headers, body) = visit(&server.url, &routes::share_data(created.id)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&headers, "cache-control"), "no-store");
        assert_eq!(body, sealed);
    }
    let listed = shares(&client).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].downloads, 2);
    assert_eq!(listed[0].last_download_at, Some(created.created_at));

    // The clean-up of blobs no item references leaves a live share's alone.
    server.clock.advance(time::Duration::days(3));
    server.app.run_maintenance().await.unwrap();
    let (status, _, body) = visit(&server.url, &routes::share_data(created.id)).await;
    assert_eq!((status, body.len()), (StatusCode::OK, sealed.len()));

    // At the expiry the link stops, before any clean-up ran, and says so.
    server.clock.advance(time::Duration::days(11));
    let client = owner().await;
    let (status, _, body) = visit(&server.url, &routes::share_data(created.id)).await;
    assert_eq!(status, StatusCode::GONE);
    let error: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert_eq!(error.error.code, ErrorCode::ShareEnded);
    let (status, headers, body) = visit(&server.url, &routes::share_page(created.id)).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(header(&headers, "content-security-policy").starts_with("default-src 'none'"));
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains("expired") && !page.contains("<script"),
        "{page}"
    );
    let listed = shares(&client).await;
    assert_eq!(
        (listed[0].state, listed[0].downloads),
        (ShareState::Expired, 3)
    );

    // The clean-up deletes the ciphertext and the quota is free again; the owner still sees
    // the share, for a while.
    let report = server.app.run_maintenance().await.unwrap();
    assert_eq!(report.ended_shares, 1);
    assert_eq!(stored_bytes(&client).await, 0);
    assert_eq!(
        client.get(&routes::blob(&blob.sha256)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(no_file_holds(dir, &sealed[..4096]));
    assert_eq!(shares(&client).await[0].state, ShareState::Expired);
    server.clock.advance(time::Duration::days(
        i64::from(ENDED_SHARE_RETENTION_DAYS) + 1,
    ));
    server.app.run_maintenance().await.unwrap();
    assert!(shares(&owner().await).await.is_empty());
}

/// Whether no file under `dir` (the blob directory) holds `marker`.
fn no_file_holds(dir: &std::path::Path, marker: &[u8]) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_none_or(|e| e != "db" && e != "db-wal") {
                let bytes = std::fs::read(&path).unwrap_or_default();
                if bytes.windows(marker.len()).any(|w| w == marker) {
                    return false;
                }
            }
        }
    }
    true
}

async fn revoking_a_share_deletes_its_file_at_once_and_only_the_owner_can(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = server_at(db, dir).await;
    let (owner, _, email) = Client::new(&server.url).new_account("laptop").await;
    let (stranger, _, _) = Client::new(&server.url).new_account("laptop").await;
    let sealed = VaultKey::random().seal(&[42u8; 100_000]);
    let (blob, created) = share(&owner, &sealed, 7).await;

    // Another account neither sees nor revokes it, and cannot share its blob.
    assert!(shares(&stranger).await.is_empty());
    let answer = stranger.delete(&routes::share(created.id)).await;
    assert_eq!(answer.error().code, ErrorCode::NotFound);
    let answer = stranger.post(routes::SHARES, &create(&blob, 7)).await;
    assert_eq!(answer.error().code, ErrorCode::NotFound);
    let (status, _, _) = visit(&server.url, &routes::share_data(created.id)).await;
    assert_eq!(status, StatusCode::OK);

    assert_eq!(
        owner.delete(&routes::share(created.id)).await.status,
        StatusCode::NO_CONTENT
    );
    let (status, _, _) = visit(&server.url, &routes::share_data(created.id)).await;
    assert_eq!(status, StatusCode::GONE);
    let (status, _, body) = visit(&server.url, &routes::share_page(created.id)).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(String::from_utf8(body).unwrap().contains("revoked"));
    // Gone at once: no clean-up needed, nothing counts against the quota.
    assert_eq!(stored_bytes(&owner).await, 0);
    assert_eq!(
        owner.get(&routes::blob(&blob.sha256)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(no_file_holds(dir, &sealed[..4096]));
    // Revoking again is fine; the share is listed as revoked with its one download.
    assert_eq!(
        owner.delete(&routes::share(created.id)).await.status,
        StatusCode::NO_CONTENT
    );
    let listed = shares(&owner).await;
    assert_eq!(
        (listed[0].state, listed[0].downloads),
        (ShareState::Revoked, 1)
    );
    assert!(listed[0].revoked_at.is_some());

    // A share of a blob that a (hostile) item references too keeps the blob for the item.
    let (both, held) = share(&owner, &VaultKey::random().seal(b"held"), 7).await;
    let mut write = item_write(KindClass::Receipt, "2026-11");
    write.blobs = vec![both.clone()];
    let _: Item = owner
        .put_item(Uuid::new_v4(), None, &write, None)
        .await
        .ok();
    assert_eq!(
        owner.delete(&routes::share(held.id)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        owner.get(&routes::blob(&both.sha256)).await.status,
        StatusCode::OK
    );

    // Deleting the account removes its shares with it.
    let (_, live) = share(&owner, &VaultKey::random().seal(b"live"), 7).await;
    let stepped = owner.stepped_up(PASSWORD, None).await;
    assert!(stepped.delete_account(&email).await.status.is_success());
    let (status, _, _) = visit(&server.url, &routes::share_data(live.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_hostile_client_can_share_only_a_file_of_its_own_uploaded_for_it(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = server_at(db, dir).await;
    let (client, session, _) = Client::new(&server.url).new_account("laptop").await;
    let blob = client
        .upload_blob(&VaultKey::random().seal(b"sealed export"), 1024)
        .await;
    let refused = |request: ShareCreate| {
        let client = client.clone();
        async move { client.post(routes::SHARES, &request).await }
    };
    let unknown = BlobRef {
        sha256: sha256_hex(b"never uploaded"),
        size: 13,
    };
    for request in [
        create(&unknown, 7),
        create(
            &BlobRef {
                size: blob.size + 1,
                ..blob.clone()
            },
            7,
        ),
    ] {
        assert_eq!(refused(request).await.error().code, ErrorCode::NotFound);
    }
    for days in [0, MAX_SHARE_DAYS + 1, u32::MAX] {
        assert_eq!(
            refused(create(&blob, days)).await.error().code,
            ErrorCode::InvalidField
        );
    }
    let bad_hash = ShareCreate {
        sha256: "../../etc/passwd".into(),
        ..create(&blob, 7)
    };
    assert_eq!(
        refused(bad_hash).await.error().code,
        ErrorCode::InvalidField
    );
    let extra = client
        .request(
            reqwest::Method::POST,
            routes::SHARES,
            &[],
            Some(
                format!(
                    r#"{{"sha256":"{}","size":{},"expires_in_days":7,"name":"x.zip"}}"#,
                    blob.sha256, blob.size
                )
                .into_bytes(),
            ),
            "application/json",
        )
        .await;
    assert_eq!(extra.error().code, ErrorCode::MalformedRequest);
    let anonymous = Client::new(&server.url);
    assert_eq!(
        anonymous
            .post(routes::SHARES, &create(&blob, 7))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous.get(routes::SHARES).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anonymous
            .delete(&routes::share(Uuid::new_v4()))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // A document's blob is not a share's; a locked document's is refused as locked.
    let app = &server.app;
    let now = {
        use coffer_server::clock::Clock;
        server.clock.unix()
    };
    app.grant_plan(session.account_id, "plus", now + 30 * DAY)
        .await
        .unwrap();
    let mut ids = vec![];
    for _ in 0..5 {
        ids.push(client.push_ok(KindClass::Receipt, "2026-11").await);
    }
    let scan = client
        .upload_blob(&VaultKey::random().seal(b"scan"), 1024)
        .await;
    let mut with_blob = item_write(KindClass::Receipt, "2026-11");
    with_blob.blobs = vec![scan.clone()];
    let _: Item = client
        .put_item(Uuid::new_v4(), None, &with_blob, None)
        .await
        .ok();
    assert_eq!(
        refused(create(&scan, 7)).await.error().code,
        ErrorCode::InvalidField
    );
    app.downgrade(
        session.account_id,
        coffer_server::billing::DowngradeReason::Expired,
    )
    .await
    .unwrap();
    assert_eq!(
        refused(create(&scan, 7)).await.error().code,
        ErrorCode::ItemLocked
    );

    // At most MAX_LIVE_SHARES live at once; revoking one makes room.
    app.grant_plan(session.account_id, "plus", now + 30 * DAY)
        .await
        .unwrap();
    let mut made = vec![];
    for n in 0..MAX_LIVE_SHARES {
        made.push(share(&client, format!("sealed {n}").as_bytes(), 7).await.1);
    }
    let one_more = client.upload_blob(b"one more", 1024).await;
    let answer = refused(create(&one_more, 7)).await;
    assert_eq!(answer.status.as_u16(), 422);
    assert_eq!(answer.error().code, ErrorCode::TooManyShares);
    assert_eq!(
        client.delete(&routes::share(made[0].id)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        refused(create(&one_more, 7)).await.status,
        StatusCode::CREATED
    );

    // Visitors: an unknown id and a malformed one get the same kind of page, never a file.
    let (status, headers, body) = visit(&server.url, &routes::share_page(Uuid::new_v4())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert!(String::from_utf8(body).unwrap().contains("No such link"));
    let (status, _, _) = visit(&server.url, "/s/not-a-share").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = visit(&server.url, &routes::share_data(Uuid::new_v4())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = visit(&server.url, "/s/not-a-share/data").await;
    assert!(status.is_client_error());
}
