//! Time, crashes, rate limits and several instances.

use super::support::*;
use coffer_api::*;
use reqwest::{Method, StatusCode};
use std::time::Duration;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tombstones_older_than_90_days_are_purged_and_older_cursors_get_410() {
    let dir = tempfile::tempdir().unwrap();
    let server = InProcessServer::start(dir.path()).await;
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_account("laptop").await;
    let key = VaultKey::random();
    let keep = Uuid::new_v4();
    let doomed = Uuid::new_v4();
    let _: Item = client
        .put_item(keep, None, &small_write(&key, "keep"), None)
        .await
        .ok();
    let _: Item = client
        .put_item(doomed, None, &small_write(&key, "x"), None)
        .await
        .ok();
    let old_cursor = 1;
    let tomb: Item = client.delete_item(doomed, 1).await.ok();

    // 89 days later the tombstone is still served to an old cursor.
    server.clock.advance(time::Duration::days(89));
    server.app.run_maintenance().await.unwrap();
    let (client, _) = anon.login(&email, PASSWORD, "laptop-89").await;
    let page: ChangesPage = client.changes(old_cursor, 100).await.ok();
    assert!(page.changes.iter().any(|i| i.id == doomed && i.deleted));

    // Past 90 days it is purged: a cursor from before it gets 410, a newer one does not.
    server.clock.advance(time::Duration::days(2));
    let report = server.app.run_maintenance().await.unwrap();
    assert_eq!(report.tombstones, 1);
    // The client's session expired long ago (and was cleaned up): log in again.
    assert_eq!(client.changes(0, 10).await.status, StatusCode::UNAUTHORIZED);
    let (client, _) = anon.login(&email, PASSWORD, "laptop-again").await;
    let expired = client.changes(old_cursor, 100).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert_eq!(expired.error().code, ErrorCode::CursorExpired);
    let current: ChangesPage = client.changes(tomb.seq, 100).await.ok();
    assert!(current.changes.is_empty());
    // A full resync from 0 works and no longer lists the purged tombstone.
    let (all, _) = client.pull_all(0).await;
    assert_eq!(all.iter().map(|i| i.id).collect::<Vec<_>>(), vec![keep]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_expires_after_15_minutes_and_refresh_renews_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = InProcessServer::start(dir.path()).await;
    let anon = Client::new(&server.url);
    let (client, session, _) = anon.new_account("laptop").await;
    server.clock.advance(time::Duration::minutes(14));
    let _: DeviceList = client.get(routes::DEVICES).await.ok();
    server.clock.advance(time::Duration::minutes(2));
    let expired = client.get(routes::DEVICES).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.error().code, ErrorCode::TokenExpired);
    let pair: TokenPair = anon
        .post(
            routes::AUTH_REFRESH,
            &RefreshRequest {
                refresh_token: session.refresh_token,
            },
        )
        .await
        .ok();
    let _: DeviceList = anon
        .with_token(&pair.access_token)
        .get(routes::DEVICES)
        .await
        .ok();
    // A refresh token past its 30 days is refused.
    server.clock.advance(time::Duration::days(31));
    let late = anon
        .post(
            routes::AUTH_REFRESH,
            &RefreshRequest {
                refresh_token: pair.refresh_token,
            },
        )
        .await;
    assert_eq!(late.error().code, ErrorCode::InvalidToken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_rate_limited_per_account_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(
        &Backend::Local,
        dir.path(),
        &[("COFFER_LOGIN_PER_ACCOUNT_PER_MINUTE", "3")],
    );
    let anon = Client::new(&server.url);
    let (_, _, email) = anon.new_account("laptop").await; // one attempt used
    for _ in 0..2 {
        assert!(matches!(
            anon.login_attempt(&email, "wrong", "x").await,
            Err(None)
        ));
    }
    let Err(Some(limited)) = anon.login_attempt(&email, PASSWORD, "x").await else {
        panic!("the fourth attempt within a minute must be refused")
    };
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let error = limited.error();
    assert_eq!(error.code, ErrorCode::RateLimited);
    assert!(
        error
            .retry_after_secs
            .is_some_and(|s| (1..=60).contains(&s))
    );
    // Unknown accounts are limited the same way (no hint that they do not exist).
    for _ in 0..3 {
        let _ = anon.login_attempt("ghost@example.test", "x", "x").await;
    }
    let Err(Some(ghost)) = anon.login_attempt("ghost@example.test", "x", "x").await else {
        panic!("unknown accounts must be limited too")
    };
    assert_eq!(ghost.error().code, ErrorCode::RateLimited);
}

async fn server_killed_mid_upload_loses_nothing_and_the_upload_resumes(
    backend: Backend,
    dir: &std::path::Path,
) {
    let mut server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_account("laptop").await;
    let key = VaultKey::random();

    // Something committed before the crash.
    let committed_blob = client.upload_blob(&key.seal(b"already safe"), 1024).await;
    let committed = Uuid::new_v4();
    let _: Item = client
        .put_item(
            committed,
            None,
            &sealed_write(&key, &serde_json::json!({"t": 1}), &committed_blob),
            None,
        )
        .await
        .ok();

    // A 1 MiB blob in 256 KiB chunks: two chunks go in, the third is cut off by SIGKILL
    // while the server is reading its body.
    let data = key.seal(&vec![3u8; 1024 * 1024]);
    let chunk = 256 * 1024;
    let status: UploadStatus = client
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256_hex(&data),
                size: data.len() as u64,
            },
        )
        .await
        .ok();
    let upload_id = status.upload_id.unwrap();
    for i in 0..2 {
        let _: UploadStatus = client
            .put_chunk(
                upload_id,
                (i * chunk) as u64,
                data[i * chunk..(i + 1) * chunk].to_vec(),
            )
            .await
            .ok();
    }
    {
        use tokio::io::AsyncWriteExt;
        let url = reqwest::Url::parse(&server.url).unwrap();
        let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "PUT {}?offset={} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: {chunk}\r\n\r\n",
            routes::upload(upload_id),
            2 * chunk,
            client.token.as_deref().unwrap()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
            .write_all(&data[2 * chunk..2 * chunk + chunk / 2])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.kill();
    }
    server.restart();
    let client = Client {
        base: server.url.clone(),
        ..client
    };
    let anon = Client::new(&server.url);

    // The session survived the crash; the committed item is intact.
    let item: Item = client.get(&routes::item(committed)).await.ok();
    assert_eq!(item.revision, 1);
    // Announcing the same blob again finds the upload where the server left it.
    let resumed: UploadStatus = client
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256_hex(&data),
                size: data.len() as u64,
            },
        )
        .await
        .ok();
    assert_eq!(resumed.upload_id, Some(upload_id));
    assert_eq!(resumed.received, 2 * chunk as u64);
    let blob = client.upload_blob(&data, chunk).await;
    let id = Uuid::new_v4();
    let _: Item = client
        .put_item(
            id,
            None,
            &sealed_write(&key, &serde_json::json!({"t": 2}), &blob),
            None,
        )
        .await
        .ok();
    let fetched = client.get(&routes::blob(&blob.sha256)).await;
    assert_eq!(fetched.body, data);
    // And a fresh login works against the restarted server.
    let (_, _) = anon.login(&email, PASSWORD, "after-crash").await;
}

mod server_killed_mid_upload {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite_and_local_dir() {
        let dir = tempfile::tempdir().unwrap();
        super::server_killed_mid_upload_loses_nothing_and_the_upload_resumes(
            super::Backend::Local,
            dir.path(),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres_and_s3() {
        let Some(backend) = super::Backend::postgres_s3("server_killed_mid_upload").await else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        super::server_killed_mid_upload_loses_nothing_and_the_upload_resumes(backend, dir.path())
            .await;
    }
}

/// Reads server-sent events until one says the feed reached `seq`.
async fn wait_for_nudge(client: &Client, seq: u64, within: Duration) -> bool {
    use futures::StreamExt;
    let response = client
        .http
        .get(format!("{}{}", client.base, routes::EVENTS))
        .bearer_auth(client.token.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut stream = response.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, stream.next()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
        for line in text.lines() {
            if let Some(data) = line.strip_prefix("data:")
                && let Ok(n) = serde_json::from_str::<ChangeNudge>(data.trim())
                && n.latest_seq >= seq
            {
                return true;
            }
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_stream_nudges_another_device_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&Backend::Local, dir.path());
    let anon = Client::new(&server.url);
    let (laptop, _, email) = anon.new_account("laptop").await;
    let (desktop, _) = anon.login(&email, PASSWORD, "desktop").await;
    let key = VaultKey::random();
    let listener =
        tokio::spawn(async move { wait_for_nudge(&desktop, 1, Duration::from_secs(10)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _: Item = laptop
        .put_item(Uuid::new_v4(), None, &small_write(&key, "new"), None)
        .await
        .ok();
    assert!(listener.await.unwrap(), "no nudge within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_and_s3_serve_the_same_account() {
    let Some(backend) = Backend::postgres_s3("two_instances").await else {
        return;
    };
    let redis = std::env::var("COFFER_TEST_REDIS_URL").ok();
    let mut env: Vec<(&str, &str)> = vec![];
    if let Some(url) = &redis {
        env.push(("COFFER_REDIS_URL", url.as_str()));
    }
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = serve_with(&backend, dir_a.path(), &env);
    let b = serve_with(&backend, dir_b.path(), &env);
    let anon_a = Client::new(&a.url);
    let anon_b = Client::new(&b.url);

    // Registered through A, logged in through B; a login started on A finishes on B.
    let (on_a, session, email) = anon_a.new_account("via-a").await;
    let (on_b, _) = anon_b.login(&email, PASSWORD, "via-b").await;
    let _: AccountInfo = anon_b
        .with_token(&session.access_token)
        .get(routes::ACCOUNT)
        .await
        .ok();
    let Ok(LoginFinishResponse::Ok(split)) = anon_a
        .login_attempt_via(&anon_b, &email, PASSWORD, "split")
        .await
    else {
        panic!("a login started on A must finish on B")
    };
    let _: AccountInfo = anon_a
        .with_token(&split.access_token)
        .get(routes::ACCOUNT)
        .await
        .ok();

    // A blob uploaded half through A and finished through B; an item committed on A and read
    // on B; a conflict detected across instances.
    let key = VaultKey::random();
    let data = key.seal(&vec![9u8; 100_000]);
    let started: UploadStatus = on_a
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256_hex(&data),
                size: data.len() as u64,
            },
        )
        .await
        .ok();
    let _: UploadStatus = on_a
        .put_chunk(started.upload_id.unwrap(), 0, data[..50_000].to_vec())
        .await
        .ok();
    let blob = on_b.upload_blob(&data, 50_000).await;
    let id = Uuid::new_v4();
    let nudged = {
        let listener = on_b.clone();
        tokio::spawn(async move { wait_for_nudge(&listener, 1, Duration::from_secs(10)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _: Item = on_a
        .put_item(
            id,
            None,
            &sealed_write(&key, &serde_json::json!({}), &blob),
            None,
        )
        .await
        .ok();
    assert!(nudged.await.unwrap(), "B's event stream saw A's write");
    let (items, _) = on_b.pull_all(0).await;
    assert_eq!(items.len(), 1);
    assert_eq!(on_b.get(&routes::blob(&blob.sha256)).await.body, data);
    let _: Item = on_b
        .put_item(id, Some(1), &small_write(&key, "b"), None)
        .await
        .ok();
    let conflict = on_a
        .put_item(id, Some(1), &small_write(&key, "a"), None)
        .await;
    assert_eq!(conflict.error().code, ErrorCode::RevisionConflict);

    // Revoking on B is seen on A.
    let devices: DeviceList = on_b.get(routes::DEVICES).await.ok();
    let a_device = devices.devices.iter().find(|d| d.name == "via-a").unwrap();
    let r = on_b
        .request(
            Method::DELETE,
            &routes::device(a_device.device_id),
            &[],
            None,
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        on_a.get(routes::DEVICES).await.error().code,
        ErrorCode::SessionRevoked
    );

    // With Redis, the login limit is shared: attempts through A count on B.
    if redis.is_some() {
        let ghost = format!("ghost-{}@example.test", Uuid::new_v4().simple());
        for _ in 0..5 {
            let _ = anon_a.login_attempt(&ghost, "x", "x").await;
            let _ = anon_b.login_attempt(&ghost, "x", "x").await;
        }
        let Err(Some(limited)) = anon_b.login_attempt(&ghost, "x", "x").await else {
            panic!("the shared limit of 10 per minute must be reached")
        };
        assert_eq!(limited.error().code, ErrorCode::RateLimited);
    } else {
        eprintln!("note: shared (Redis) rate limits not checked: COFFER_TEST_REDIS_URL is not set");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_a_data_dir_keeps_everything_in_the_default_data_directory() {
    let home = tempfile::tempdir().unwrap();
    // No --data: the test kit's `command` would add one.
    let (mut child, url) = coffer_testkit::server::spawn(
        std::process::Command::new(env!("CARGO_BIN_EXE_coffer-server"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("HOME", home.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("COFFER_DATA_DIR")
            .env_remove("COFFER_DATABASE_URL")
            .env_remove("COFFER_BLOB_STORE")
            .env("COFFER_LOG", "warn"),
    );
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let anon = Client::new(&url);
    let (client, _, _) = anon.new_account("laptop").await;
    let key = VaultKey::random();
    let _ = client.upload_blob(&key.seal(b"default dir"), 1024).await;
    let _ = child.kill();
    let _ = child.wait();
    let data = home.path().join(".local/share/coffer-server");
    assert!(data.join("coffer.db").is_file());
    assert!(data.join("blobs/accounts").is_dir());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_rate_limited_per_client_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(
        &Backend::Local,
        dir.path(),
        &[("COFFER_LOGIN_PER_IP_PER_MINUTE", "3")],
    );
    let anon = Client::new(&server.url);
    // Three different accounts from one address use up its quota...
    for n in 0..3 {
        let _ = anon
            .login_attempt(&format!("someone-{n}@example.test"), "x", "x")
            .await;
    }
    // ...so a fourth, for yet another account, is refused.
    let Err(Some(limited)) = anon
        .login_attempt("someone-else@example.test", "x", "x")
        .await
    else {
        panic!("the address's fourth attempt within a minute must be refused")
    };
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.error().code, ErrorCode::RateLimited);
}
