//! End-to-end behaviour of the real `coffer-server` binary on a random loopback port, on
//! SQLite + a directory and (under `make test`) on PostgreSQL + S3.

#[path = "server/resilience.rs"]
mod resilience;
mod support;

use coffer_api::*;
use reqwest::{Method, StatusCode};
use support::*;
use uuid::Uuid;

/// Runs a scenario `async fn name(backend: Backend, dir: &Path)` once per backend, as the
/// tests `name::on_sqlite_and_local_dir` and `name::on_postgres_and_s3`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite_and_local_dir() {
                let dir = tempfile::tempdir().unwrap();
                super::$name(super::Backend::Local, dir.path()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres_and_s3() {
                let Some(backend) = super::Backend::postgres_s3(stringify!($name)).await else {
                    return;
                };
                let dir = tempfile::tempdir().unwrap();
                super::$name(backend, dir.path()).await;
            }
        }
    )*};
}

on_both_backends!(
    registered_account_logs_in_and_gets_its_wrapped_keys_back,
    wrong_password_and_unknown_account_are_indistinguishable,
    replayed_login_finish_is_rejected,
    items_round_trip_through_blobs_commit_and_change_feed,
    stale_revision_gets_409_and_the_current_revision,
    retried_write_with_same_idempotency_key_is_applied_once,
    another_account_cannot_reach_items_or_blobs_by_id,
    bad_input_gets_a_structured_4xx_and_stores_nothing,
    bad_tokens_are_refused_with_structured_401,
    devices_are_listed_and_revocable_and_password_change_logs_out_others,
    server_never_stores_plaintext_markers,
    account_deletion_removes_rows_blobs_and_sessions,
    account_export_holds_ciphertext_and_technical_metadata,
    totp_second_factor_is_required_once_enabled,
);

async fn registered_account_logs_in_and_gets_its_wrapped_keys_back(
    backend: Backend,
    dir: &std::path::Path,
) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let health: Health = anon.get(routes::HEALTHZ).await.ok();
    assert_eq!(health.api_version, API_VERSION);
    let ready: Health = anon.get(routes::READYZ).await.ok();
    assert_eq!(ready.status, "ready");

    let (client, session, email) = anon.new_account("laptop").await;
    assert_eq!(session.wrapped_keys, wrapped_keys(7));
    let info: AccountInfo = client.get(routes::ACCOUNT).await.ok();
    assert_eq!(info.email, email);
    assert_eq!(info.account_id, session.account_id);

    // A second registration of the same address answers like the first (no account oracle)
    // and changes nothing: the new password does not open the account, the old one does.
    let again = anon.register(&email, "another password").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(matches!(
        anon.login_attempt(&email, "another password", "x").await,
        Err(None)
    ));
    let (_, again) = anon.login(&email, PASSWORD, "again").await;
    assert_eq!(again.account_id, session.account_id);

    // Refresh rotates the tokens: the new ones work, the old refresh token does not.
    let pair: TokenPair = anon
        .post(
            routes::AUTH_REFRESH,
            &RefreshRequest {
                refresh_token: session.refresh_token.clone(),
            },
        )
        .await
        .ok();
    let refreshed = anon.with_token(&pair.access_token);
    let _: AccountInfo = refreshed.get(routes::ACCOUNT).await.ok();
    let reused = anon
        .post(
            routes::AUTH_REFRESH,
            &RefreshRequest {
                refresh_token: session.refresh_token.clone(),
            },
        )
        .await;
    // Showing a spent refresh token again (a stolen copy) ends the whole session: the tokens
    // it was exchanged for stop working too.
    assert_eq!(reused.error().code, ErrorCode::SessionRevoked);
    assert_eq!(
        refreshed.get(routes::ACCOUNT).await.error().code,
        ErrorCode::SessionRevoked
    );
    let rotated = anon
        .post(
            routes::AUTH_REFRESH,
            &RefreshRequest {
                refresh_token: pair.refresh_token.clone(),
            },
        )
        .await;
    assert_eq!(rotated.error().code, ErrorCode::InvalidToken);
    let (refreshed, _) = anon.login(&email, PASSWORD, "after").await;

    let events: SecurityEventList = refreshed.get(routes::SECURITY_EVENTS).await.ok();
    let kinds: Vec<_> = events.events.iter().map(|e| e.kind).collect();
    assert!(
        kinds.contains(&SecurityEventKind::AccountCreated),
        "{kinds:?}"
    );
    assert!(kinds.contains(&SecurityEventKind::NewDevice), "{kinds:?}");
    assert!(
        kinds.contains(&SecurityEventKind::RefreshTokenReused),
        "{kinds:?}"
    );
}

async fn wrong_password_and_unknown_account_are_indistinguishable(
    backend: Backend,
    dir: &std::path::Path,
) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (_, _, email) = anon.new_account("laptop").await;

    // Both answers to login start have the same shape and size, and both logins fail in the
    // same place (the client cannot open the envelope).
    let start = |email: String| {
        let anon = anon.clone();
        async move {
            let mut rng = rand::rngs::OsRng;
            let start = opaque_ke::ClientLogin::<coffer_api::opaque::CofferCipherSuite>::start(
                &mut rng,
                b"wrong password",
            )
            .unwrap();
            anon.post(
                routes::LOGIN_START,
                &LoginStartRequest {
                    email,
                    credential_request: Bytes(start.message.serialize().to_vec()),
                },
            )
            .await
        }
    };
    let known = start(email.clone()).await;
    let unknown = start("nobody-here@example.test".into()).await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(unknown.status, StatusCode::OK);
    let known: LoginStartResponse = known.json();
    let unknown: LoginStartResponse = unknown.json();
    assert_eq!(
        known.credential_response.len(),
        unknown.credential_response.len()
    );

    // The unknown account's answer is stable per address (a real record's OPRF output is too),
    // so repeated probes cannot tell them apart by variation either: both fail client-side.
    assert!(matches!(
        anon.login_attempt(&email, "wrong password", "x").await,
        Err(None)
    ));
    assert!(matches!(
        anon.login_attempt("nobody-here@example.test", "wrong password", "x")
            .await,
        Err(None)
    ));

    // A forged KE3 for either gets the very same error.
    for started in [known, unknown] {
        let answer = anon
            .post(
                routes::LOGIN_FINISH,
                &LoginFinishRequest {
                    login_id: started.login_id,
                    credential_finalization: Bytes(vec![1; 64]),
                    device_name: "x".into(),
                },
            )
            .await;
        let error = answer.error();
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(error.code, ErrorCode::InvalidCredentials);
        assert_eq!(
            error.message,
            "The e-mail address or password is wrong, or the login attempt expired; start again."
        );
    }
}

async fn replayed_login_finish_is_rejected(backend: Backend, dir: &std::path::Path) {
    use coffer_api::opaque::{CONTEXT, CofferCipherSuite, ksf};
    use opaque_ke::*;
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (_, _, email) = anon.new_account("laptop").await;

    let mut rng = rand::rngs::OsRng;
    let start = ClientLogin::<CofferCipherSuite>::start(&mut rng, PASSWORD.as_bytes()).unwrap();
    let started: LoginStartResponse = anon
        .post(
            routes::LOGIN_START,
            &LoginStartRequest {
                email: email.clone(),
                credential_request: Bytes(start.message.serialize().to_vec()),
            },
        )
        .await
        .ok();
    let ksf = ksf();
    let finish = start
        .state
        .finish(
            &mut rng,
            PASSWORD.as_bytes(),
            CredentialResponse::deserialize(started.credential_response.as_slice()).unwrap(),
            ClientLoginFinishParameters::new(Some(CONTEXT), Identifiers::default(), Some(&ksf)),
        )
        .unwrap();
    let request = LoginFinishRequest {
        login_id: started.login_id,
        credential_finalization: Bytes(finish.message.serialize().to_vec()),
        device_name: "laptop".into(),
    };
    let first: LoginFinishResponse = anon.post(routes::LOGIN_FINISH, &request).await.ok();
    assert!(matches!(first, LoginFinishResponse::Ok(_)));
    let replay = anon.post(routes::LOGIN_FINISH, &request).await;
    assert_eq!(replay.error().code, ErrorCode::InvalidCredentials);
}

async fn items_round_trip_through_blobs_commit_and_change_feed(
    backend: Backend,
    dir: &std::path::Path,
) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (laptop, _, email) = anon.new_account("laptop").await;
    let (desktop, _) = anon.login(&email, PASSWORD, "desktop").await;
    let key = VaultKey::random();

    // A blob in several chunks, then an item referencing it.
    let content = key.seal(&vec![42u8; 300_000]);
    let blob = laptop.upload_blob(&content, 64 * 1024).await;
    let id = Uuid::new_v4();
    let write = sealed_write(&key, &serde_json::json!({"title": "kettle"}), &blob);
    let item: Item = laptop.put_item(id, None, &write, None).await.ok();
    assert_eq!(item.revision, 1);
    assert!(!item.deleted);

    // The other device pulls it and the blob.
    let (items, cursor) = desktop.pull_all(0).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].id, id);
    assert_eq!(items[0].envelope, Some(write.envelope.clone()));
    assert_eq!(items[0].blobs, vec![blob.clone()]);
    let fetched = desktop.get(&routes::blob(&blob.sha256)).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.body, content);

    // A blob larger than one multipart part (5 MiB) is assembled from several.
    let large = key.seal(&vec![5u8; 6 * 1024 * 1024 + 123]);
    let large_ref = laptop.upload_blob(&large, 2 * 1024 * 1024).await;
    let fetched = desktop.get(&routes::blob(&large_ref.sha256)).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert!(fetched.body == large, "the large blob came back different");

    // Uploading the same blob again needs no bytes.
    let again: UploadStatus = laptop
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: blob.sha256.clone(),
                size: blob.size,
            },
        )
        .await
        .ok();
    assert!(again.complete);

    // An edit and a delete appear in order after the cursor; paging works.
    let edit = small_write(&key, "edited");
    let edited: Item = desktop.put_item(id, Some(1), &edit, None).await.ok();
    assert_eq!(edited.revision, 2);
    let gone: Item = laptop.delete_item(id, 2).await.ok();
    assert!(gone.deleted);
    assert_eq!(gone.revision, 3);
    for n in 0..5 {
        let _: Item = laptop
            .put_item(
                Uuid::new_v4(),
                None,
                &small_write(&key, &format!("n{n}")),
                None,
            )
            .await
            .ok();
    }
    let page: ChangesPage = desktop.changes(cursor, 2).await.ok();
    assert_eq!(page.changes.len(), 2);
    assert!(page.has_more);
    assert!(page.changes[0].deleted, "the tombstone comes first");
    assert!(page.changes[0].envelope.is_none());
    let (rest, end) = desktop.pull_all(page.next_since).await;
    assert_eq!(rest.len(), 4);
    assert_eq!(end, page.latest_seq);
    let empty: ChangesPage = desktop.changes(end, 10).await.ok();
    assert!(empty.changes.is_empty() && !empty.has_more);

    // The tombstone is readable as such.
    let tomb: Item = laptop.get(&routes::item(id)).await.ok();
    assert!(tomb.deleted);
}

async fn stale_revision_gets_409_and_the_current_revision(backend: Backend, dir: &std::path::Path) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (a, _, email) = anon.new_account("a").await;
    let (b, _) = anon.login(&email, PASSWORD, "b").await;
    let key = VaultKey::random();
    let id = Uuid::new_v4();
    let _: Item = a
        .put_item(id, None, &small_write(&key, "v1"), None)
        .await
        .ok();
    let _: Item = a
        .put_item(id, Some(1), &small_write(&key, "a2"), None)
        .await
        .ok();

    let conflict = b
        .put_item(id, Some(1), &small_write(&key, "b2"), None)
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    let error = conflict.error();
    assert_eq!(error.code, ErrorCode::RevisionConflict);
    assert_eq!(error.current_revision, Some(2));
    // Creating an existing id is a conflict too; deleting a stale revision as well.
    let create = b.put_item(id, None, &small_write(&key, "b"), None).await;
    assert_eq!(create.error().code, ErrorCode::RevisionConflict);
    assert_eq!(
        b.delete_item(id, 1).await.error().code,
        ErrorCode::RevisionConflict
    );
    // No precondition at all: 428.
    let bare = b
        .send_json(Method::PUT, &routes::item(id), &[], &small_write(&key, "b"))
        .await;
    assert_eq!(bare.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(bare.error().code, ErrorCode::PreconditionRequired);

    let current: Item = b.get(&routes::item(id)).await.ok();
    assert_eq!(current.revision, 2);
    assert_eq!(key.open(current.envelope.unwrap().as_slice()), b"a2");
}

async fn retried_write_with_same_idempotency_key_is_applied_once(
    backend: Backend,
    dir: &std::path::Path,
) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (client, _, _) = anon.new_account("a").await;
    let key = VaultKey::random();
    let id = Uuid::new_v4();
    let write = small_write(&key, "once");
    let first: Item = client.put_item(id, None, &write, Some("k-1")).await.ok();
    let retry: Item = client.put_item(id, None, &write, Some("k-1")).await.ok();
    assert_eq!(first, retry);
    let (items, _) = client.pull_all(0).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].revision, 1);

    // The key with another body is refused.
    let other = client
        .put_item(id, None, &small_write(&key, "different"), Some("k-1"))
        .await;
    assert_eq!(other.error().code, ErrorCode::IdempotencyKeyReused);

    // An update retried after it applied gets its first answer, not a conflict.
    let upd = small_write(&key, "twice");
    let u1: Item = client.put_item(id, Some(1), &upd, Some("k-2")).await.ok();
    let u2: Item = client.put_item(id, Some(1), &upd, Some("k-2")).await.ok();
    assert_eq!(u1, u2);
    assert_eq!(u1.revision, 2);
    let info: AccountInfo = client.get(routes::ACCOUNT).await.ok();
    assert_eq!(info.latest_seq, 2, "two writes, two sequence numbers");
}

async fn another_account_cannot_reach_items_or_blobs_by_id(
    backend: Backend,
    dir: &std::path::Path,
) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (owner, owner_session, _) = anon.new_account("owner").await;
    let (intruder, _, _) = anon.new_account("intruder").await;
    let key = VaultKey::random();

    let content = key.seal(b"owner's receipt scan");
    let blob = owner.upload_blob(&content, 1024).await;
    let id = Uuid::new_v4();
    let original = sealed_write(&key, &serde_json::json!({"title": "mine"}), &blob);
    let _: Item = owner.put_item(id, None, &original, None).await.ok();
    // An unfinished upload of the owner's.
    let pending: UploadStatus = owner
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256_hex(b"abc"),
                size: 3,
            },
        )
        .await
        .ok();
    let upload_id = pending.upload_id.unwrap();

    // List: the intruder's feed is empty.
    let (seen, _) = intruder.pull_all(0).await;
    assert!(seen.is_empty());
    // Read.
    assert_eq!(
        intruder.get(&routes::item(id)).await.error().code,
        ErrorCode::NotFound
    );
    // Overwrite and delete at every plausible revision.
    for rev in 1..=3 {
        // As for an id this account never had: no item to replace.
        let w = intruder
            .put_item(id, Some(rev), &small_write(&key, "pwned"), None)
            .await;
        assert_eq!(w.error().code, ErrorCode::PreconditionFailed);
        assert_eq!(
            intruder.delete_item(id, rev).await.error().code,
            ErrorCode::NotFound
        );
    }
    // Blobs: download, upload status, chunks, completion; referencing the owner's blob.
    assert_eq!(
        intruder.get(&routes::blob(&blob.sha256)).await.error().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        intruder.get(&routes::upload(upload_id)).await.error().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        intruder
            .put_chunk(upload_id, 0, b"xyz".to_vec())
            .await
            .error()
            .code,
        ErrorCode::NotFound
    );
    assert_eq!(
        intruder
            .request(
                Method::POST,
                &routes::upload_complete(upload_id),
                &[],
                None,
                ""
            )
            .await
            .error()
            .code,
        ErrorCode::NotFound
    );
    let steal = sealed_write(&key, &serde_json::json!({}), &blob);
    let referenced = intruder.put_item(Uuid::new_v4(), None, &steal, None).await;
    assert_eq!(referenced.error().code, ErrorCode::MissingBlob);
    // Devices.
    assert_eq!(
        intruder
            .request(
                Method::DELETE,
                &routes::device(owner_session.device_id),
                &[],
                None,
                ""
            )
            .await
            .error()
            .code,
        ErrorCode::NotFound
    );
    // Creating an item with the same id lands in the intruder's own namespace only.
    let _: Item = intruder
        .put_item(id, None, &small_write(&key, "own"), None)
        .await
        .ok();

    // The owner's data is untouched.
    let mine: Item = owner.get(&routes::item(id)).await.ok();
    assert_eq!(mine.revision, 1);
    assert_eq!(mine.envelope, Some(original.envelope));
    let status: UploadStatus = owner.get(&routes::upload(upload_id)).await.ok();
    assert_eq!(status.received, 0);
    let devices: DeviceList = owner.get(routes::DEVICES).await.ok();
    assert_eq!(devices.devices.len(), 1);
}

async fn bad_input_gets_a_structured_4xx_and_stores_nothing(
    backend: Backend,
    dir: &std::path::Path,
) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (client, _, _) = anon.new_account("a").await;
    let key = VaultKey::random();
    let id = Uuid::new_v4();

    // Malformed JSON, wrong types, missing content type, unknown route, bad path id.
    let cases: Vec<(Answer, ErrorCode)> = vec![
        (
            client
                .request(
                    Method::PUT,
                    &routes::item(id),
                    &[("if-none-match", "*")],
                    Some(b"{not json".to_vec()),
                    "application/json",
                )
                .await,
            ErrorCode::MalformedRequest,
        ),
        (
            client
                .request(
                    Method::PUT,
                    &routes::item(id),
                    &[("if-none-match", "*")],
                    Some(br#"{"kind_class":"spaceship","created_month":"2026-11","padded_size":1,"envelope":"AA","blobs":[]}"#.to_vec()),
                    "application/json",
                )
                .await,
            ErrorCode::MalformedRequest,
        ),
        (
            client
                .request(
                    Method::PUT,
                    &routes::item(id),
                    &[("if-none-match", "*")],
                    Some(serde_json::to_vec(&small_write(&key, "x")).unwrap()),
                    "text/plain",
                )
                .await,
            ErrorCode::MalformedRequest,
        ),
        (client.get("/v1/nothing-here").await, ErrorCode::NotFound),
        (client.get("/v1/items/not-a-uuid").await, ErrorCode::NotFound),
        (
            client
                .request(
                    Method::POST,
                    routes::LOGIN_START,
                    &[],
                    Some(br#"{"email": 5}"#.to_vec()),
                    "application/json",
                )
                .await,
            ErrorCode::MalformedRequest,
        ),
        (
            anon.post(
                routes::LOGIN_START,
                &LoginStartRequest {
                    email: "a@b.c".into(),
                    credential_request: Bytes(vec![0; 10]),
                },
            )
            .await,
            ErrorCode::MalformedRequest,
        ),
        (client.changes(0, 5000).await, ErrorCode::InvalidField),
    ];
    for (i, (answer, code)) in cases.iter().enumerate() {
        assert_eq!(answer.error().code, *code, "case {i}: {answer:?}");
    }

    // Invalid field values.
    let mut bad_month = small_write(&key, "x");
    bad_month.meta.created_month = "2026-13".into();
    assert_eq!(
        client
            .put_item(id, None, &bad_month, None)
            .await
            .error()
            .code,
        ErrorCode::InvalidField
    );
    let mut empty = small_write(&key, "x");
    empty.envelope = Bytes(vec![]);
    assert_eq!(
        client.put_item(id, None, &empty, None).await.error().code,
        ErrorCode::InvalidField
    );

    // Oversized bodies: a JSON body over 1 MiB, a chunk over 8 MiB.
    let mut huge = small_write(&key, "x");
    huge.envelope = Bytes(vec![7; 2 * 1024 * 1024]);
    let answer = client.put_item(id, None, &huge, None).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.error().code, ErrorCode::PayloadTooLarge);
    let big = vec![1u8; MAX_CHUNK_BYTES + 10];
    let upload: UploadStatus = client
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256_hex(&big),
                size: big.len() as u64,
            },
        )
        .await
        .ok();
    let upload_id = upload.upload_id.unwrap();
    let answer = client.put_chunk(upload_id, 0, big.clone()).await;
    assert_eq!(answer.error().code, ErrorCode::PayloadTooLarge);

    // Wrong offsets and chunks past the announced size.
    let wrong_offset = client.put_chunk(upload_id, 5, vec![1; 10]).await;
    let error = wrong_offset.error();
    assert_eq!(error.code, ErrorCode::UploadOffsetMismatch);
    assert_eq!(error.expected_offset, Some(0));
    let small: UploadStatus = client
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256_hex(b"four"),
                size: 4,
            },
        )
        .await
        .ok();
    let small_id = small.upload_id.unwrap();
    assert_eq!(
        client
            .put_chunk(small_id, 0, b"fiver".to_vec())
            .await
            .error()
            .code,
        ErrorCode::InvalidField
    );

    // A body shorter than its Content-Length: the connection ends early.
    let url = reqwest::Url::parse(&server.url).unwrap();
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let token = client.token.clone().unwrap();
    let raw = format!(
        "PUT {}?offset=0 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 4\r\n\r\nfo",
        routes::upload(small_id)
    );
    let response = raw_http(&addr, raw.as_bytes(), true).await;
    assert!(
        response.is_empty() || response.starts_with("HTTP/1.1 4"),
        "short body answered: {response}"
    );
    let status: UploadStatus = client.get(&routes::upload(small_id)).await.ok();
    assert_eq!(status.received, 0, "a cut-off chunk is not recorded");

    // Completing with the wrong checksum discards the upload.
    let lie: UploadStatus = client
        .post(
            routes::UPLOADS,
            &CreateUploadRequest {
                sha256: sha256_hex(b"what I claim"),
                size: 4,
            },
        )
        .await
        .ok();
    let lie_id = lie.upload_id.unwrap();
    let _: UploadStatus = client.put_chunk(lie_id, 0, b"lies".to_vec()).await.ok();
    let done = client
        .request(
            Method::POST,
            &routes::upload_complete(lie_id),
            &[],
            None,
            "",
        )
        .await;
    assert_eq!(done.error().code, ErrorCode::ChecksumMismatch);
    assert_eq!(
        client.get(&routes::upload(lie_id)).await.error().code,
        ErrorCode::NotFound
    );
    assert_eq!(
        client
            .get(&routes::blob(&sha256_hex(b"what I claim")))
            .await
            .error()
            .code,
        ErrorCode::NotFound
    );
    // Completing an incomplete upload.
    assert_eq!(
        client
            .request(
                Method::POST,
                &routes::upload_complete(small_id),
                &[],
                None,
                ""
            )
            .await
            .error()
            .code,
        ErrorCode::UploadIncomplete
    );

    // Nothing of the above became an item.
    let (items, _) = client.pull_all(0).await;
    assert!(items.is_empty(), "{items:?}");
    let info: AccountInfo = client.get(routes::ACCOUNT).await.ok();
    assert_eq!(info.latest_seq, 0);
}

/// Sends raw bytes, optionally half-closes, and returns what came back (empty if the server
/// closed without answering).
async fn raw_http(addr: &str, request: &[u8], half_close: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    if half_close {
        stream.shutdown().await.unwrap();
    }
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut buf),
    )
    .await;
    String::from_utf8_lossy(&buf).into_owned()
}

async fn bad_tokens_are_refused_with_structured_401(backend: Backend, dir: &std::path::Path) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (client, session, email) = anon.new_account("a").await;

    let no_token = anon.get(routes::CHANGES).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_token.error().code, ErrorCode::InvalidToken);
    let forged = anon.with_token("cfa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        forged.get(routes::CHANGES).await.error().code,
        ErrorCode::InvalidToken
    );
    let garbage = anon.with_token("ünïcode, not a token at all");
    assert_eq!(
        garbage.get(routes::CHANGES).await.error().code,
        ErrorCode::InvalidToken
    );
    let basic = anon
        .request(
            Method::GET,
            routes::CHANGES,
            &[("authorization", "Basic Zm9vOmJhcg==")],
            None,
            "",
        )
        .await;
    assert_eq!(basic.error().code, ErrorCode::InvalidToken);

    // Revoked: the device logs out, its token stops working.
    let (other, _) = anon.login(&email, PASSWORD, "b").await;
    let r = other
        .request(Method::POST, routes::LOGOUT, &[], None, "")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        other.get(routes::CHANGES).await.error().code,
        ErrorCode::SessionRevoked
    );

    // Logout-all ends this session too, and its refresh token.
    let r = client
        .request(Method::POST, routes::LOGOUT_ALL, &[], None, "")
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        client.get(routes::CHANGES).await.error().code,
        ErrorCode::SessionRevoked
    );
    let refresh = anon
        .post(
            routes::AUTH_REFRESH,
            &RefreshRequest {
                refresh_token: session.refresh_token,
            },
        )
        .await;
    assert_eq!(refresh.error().code, ErrorCode::InvalidToken);
}

async fn devices_are_listed_and_revocable_and_password_change_logs_out_others(
    backend: Backend,
    dir: &std::path::Path,
) {
    use coffer_api::opaque::{CofferCipherSuite, ksf};
    use opaque_ke::*;
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (laptop, laptop_session, email) = anon.new_account("laptop").await;
    let (phone, phone_session) = anon.login(&email, PASSWORD, "phone").await;
    let (tablet, _) = anon.login(&email, PASSWORD, "tablet").await;

    let list: DeviceList = laptop.get(routes::DEVICES).await.ok();
    let mut names: Vec<_> = list.devices.iter().map(|d| d.name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["laptop", "phone", "tablet"]);
    for device in &list.devices {
        assert_eq!(device.current, device.name == "laptop", "{device:?}");
    }

    let revoked = laptop
        .request(
            Method::DELETE,
            &routes::device(phone_session.device_id),
            &[],
            None,
            "",
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        phone.get(routes::DEVICES).await.error().code,
        ErrorCode::SessionRevoked
    );

    // Password change (after a step-up): new OPAQUE record and wrapped keys; the tablet is
    // logged out.
    let laptop = laptop.stepped_up(PASSWORD, None).await;
    let new_password = "a much better passphrase";
    let mut rng = rand::rngs::OsRng;
    let start =
        ClientRegistration::<CofferCipherSuite>::start(&mut rng, new_password.as_bytes()).unwrap();
    let response: RegisterStartResponse = laptop
        .post(
            routes::PASSWORD_START,
            &PasswordChangeStartRequest {
                registration_request: Bytes(start.message.serialize().to_vec()),
            },
        )
        .await
        .ok();
    let ksf = ksf();
    let finish = start
        .state
        .finish(
            &mut rng,
            new_password.as_bytes(),
            RegistrationResponse::deserialize(response.registration_response.as_slice()).unwrap(),
            ClientRegistrationFinishParameters::new(Identifiers::default(), Some(&ksf)),
        )
        .unwrap();
    let changed = laptop
        .post(
            routes::PASSWORD_FINISH,
            &PasswordChangeFinishRequest {
                registration_upload: Bytes(finish.message.serialize().to_vec()),
                wrapped_keys: wrapped_keys(9),
            },
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        tablet.get(routes::DEVICES).await.error().code,
        ErrorCode::SessionRevoked
    );
    let still: DeviceList = laptop.get(routes::DEVICES).await.ok();
    assert_eq!(still.devices.len(), 1);
    assert_eq!(still.devices[0].device_id, laptop_session.device_id);

    assert!(matches!(
        anon.login_attempt(&email, PASSWORD, "old").await,
        Err(None)
    ));
    let (_, session) = anon.login(&email, new_password, "new").await;
    assert_eq!(session.wrapped_keys, wrapped_keys(9));

    let events: SecurityEventList = laptop.get(routes::SECURITY_EVENTS).await.ok();
    let kinds: Vec<_> = events.events.iter().map(|e| e.kind).collect();
    assert!(
        kinds.contains(&SecurityEventKind::PasswordChanged),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&SecurityEventKind::DeviceRevoked),
        "{kinds:?}"
    );
}

async fn server_never_stores_plaintext_markers(backend: Backend, dir: &std::path::Path) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (client, _, _) = anon.new_account("laptop").await;
    let key = VaultKey::random();
    let mut markers = Vec::new();
    let mut sealed_samples = Vec::new();
    for n in 0..5 {
        let m = |what: &str| format!("MARKER-{what}-{n}-{}", Uuid::new_v4().simple());
        let (content, title, tag, merchant, note) =
            (m("CONTENT"), m("TITLE"), m("TAG"), m("MERCHANT"), m("NOTE"));
        let mut file = format!("%PDF-1.7 receipt scan {content} ").into_bytes();
        file.resize(20_000 + n * 5_000, b' ');
        let sealed_file = key.seal(&file);
        let blob = client.upload_blob(&sealed_file, 8 * 1024).await;
        let fields = serde_json::json!({
            "title": title, "tags": [tag], "merchant": merchant, "notes": note,
            "total": {"minor": 129_900 + n, "currency": "CZK"}, "issued": "2026-11-03",
        });
        let write = sealed_write(&key, &fields, &blob);
        sealed_samples.push(write.envelope.as_slice()[..32].to_vec());
        sealed_samples.push(sealed_file[..32].to_vec());
        let _: Item = client
            .put_item(Uuid::new_v4(), None, &write, None)
            .await
            .ok();
        markers.extend([content, title, tag, merchant, note]);
    }
    // What the client can read back is the plaintext, so the markers did travel (encrypted).
    let (items, _) = client.pull_all(0).await;
    let opened = key.open(items[0].envelope.as_ref().unwrap().as_slice());
    assert!(String::from_utf8_lossy(&opened).contains("MARKER-TITLE-0"));

    let stored = backend.stored_bytes(&server.data).await;
    assert!(!stored.is_empty());
    let haystack: Vec<u8> = stored.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    // The scan sees what the server stored: the ciphertext is there...
    for sample in &sealed_samples {
        let as_hex = hex::encode(sample);
        assert!(
            contains(&haystack, sample) || contains(&haystack, as_hex.as_bytes()),
            "the scan did not find the stored ciphertext; it is not looking at the right bytes"
        );
    }
    // ...and no marker, raw or hex-encoded, in any file, row or object.
    for marker in &markers {
        for needle in [marker.clone(), hex::encode(marker.as_bytes())] {
            for (place, bytes) in &stored {
                assert!(
                    !contains(bytes, needle.as_bytes()),
                    "plaintext marker {marker} found in {place}"
                );
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

async fn account_deletion_removes_rows_blobs_and_sessions(backend: Backend, dir: &std::path::Path) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_account("laptop").await;
    let (keeper, _, _) = anon.new_account("keeper").await;
    let key = VaultKey::random();
    let sealed = key.seal(b"to be deleted");
    let blob = client.upload_blob(&sealed, 1024).await;
    let _: Item = client
        .put_item(
            Uuid::new_v4(),
            None,
            &sealed_write(&key, &serde_json::json!({}), &blob),
            None,
        )
        .await
        .ok();
    let kept = keeper.upload_blob(&key.seal(b"keeper's"), 1024).await;

    let client = client.stepped_up(PASSWORD, None).await;
    let refused = client.delete_account("someone-else@example.test").await;
    assert_eq!(refused.error().code, ErrorCode::InvalidField);
    let deleted = client.delete_account(&email).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    assert_eq!(
        client.get(routes::CHANGES).await.error().code,
        ErrorCode::InvalidToken
    );
    assert!(matches!(
        anon.login_attempt(&email, PASSWORD, "x").await,
        Err(None)
    ));
    // No byte of the deleted account's blob is left in the store; the other account's is.
    let stored = backend.stored_bytes(&server.data).await;
    assert!(!stored.iter().any(|(_, b)| contains(b, &sealed)));
    let fetched = keeper.get(&routes::blob(&kept.sha256)).await;
    assert_eq!(fetched.status, StatusCode::OK);
    // The address can be registered again, from scratch.
    assert_eq!(
        anon.register(&email, PASSWORD).await.status,
        StatusCode::CREATED
    );
}

async fn account_export_holds_ciphertext_and_technical_metadata(
    backend: Backend,
    dir: &std::path::Path,
) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_account("laptop").await;
    let key = VaultKey::random();
    let sealed = key.seal(b"exported scan");
    let blob = client.upload_blob(&sealed, 1024).await;
    let id = Uuid::new_v4();
    let write = sealed_write(&key, &serde_json::json!({"title": "x"}), &blob);
    let _: Item = client.put_item(id, None, &write, None).await.ok();
    let gone = Uuid::new_v4();
    let _: Item = client
        .put_item(gone, None, &small_write(&key, "bye"), None)
        .await
        .ok();
    let _: Item = client.delete_item(gone, 1).await.ok();

    let answer = client
        .stepped_up(PASSWORD, None)
        .await
        .get(routes::ACCOUNT_EXPORT)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut archive = tar::Archive::new(answer.body.as_slice());
    let mut files = std::collections::BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        files.insert(path, data);
    }
    assert_eq!(files[&format!("blobs/{}", blob.sha256)], sealed);
    assert_eq!(files[&format!("items/{id}.envelope")], write.envelope.0);
    let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["account"]["email"], email);
    let page: serde_json::Value = serde_json::from_slice(&files["items/page-000001.json"]).unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i["deleted"] == true));
    assert!(items.iter().all(|i| i.get("envelope").is_none()));
    let keys: WrappedKeys = serde_json::from_slice(&files["keys.json"]).unwrap();
    assert_eq!(keys, wrapped_keys(7));
}

async fn totp_second_factor_is_required_once_enabled(backend: Backend, dir: &std::path::Path) {
    let server = serve(&backend, dir);
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_account("laptop").await;
    let client = client.stepped_up(PASSWORD, None).await;
    let setup: TotpSetupResponse = client
        .request(Method::POST, routes::TOTP_SETUP, &[], None, "")
        .await
        .ok();
    assert!(setup.otpauth_uri.starts_with("otpauth://totp/Coffer:"));
    let secret = base32_decode(&setup.secret_base32);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let wrong = client
        .post(
            routes::TOTP_ENABLE,
            &TotpCodeRequest {
                code: "000000".into(),
            },
        )
        .await;
    // (A one-in-a-million chance that 000000 is right; the next step makes it moot.)
    if wrong.status.is_client_error() {
        assert_eq!(wrong.error().code, ErrorCode::InvalidTotp);
    }
    let enabled: TotpEnabledResponse = client
        .post(
            routes::TOTP_ENABLE,
            &TotpCodeRequest {
                code: coffer_server::totp::code_at(&secret, now() / 30),
            },
        )
        .await
        .ok();
    assert_eq!(enabled.recovery_codes.len(), 10);

    // Login now stops at the second factor.
    let Ok(LoginFinishResponse::TotpRequired { totp_token }) =
        anon.login_attempt(&email, PASSWORD, "phone").await
    else {
        panic!("expected totp_required")
    };
    let bad = anon
        .post(
            routes::LOGIN_TOTP,
            &LoginTotpRequest {
                totp_token: totp_token.clone(),
                code: "12345x".into(),
            },
        )
        .await;
    assert_eq!(bad.error().code, ErrorCode::InvalidTotp);
    // A recovery code works once.
    let ok: LoginFinishResponse = anon
        .post(
            routes::LOGIN_TOTP,
            &LoginTotpRequest {
                totp_token,
                code: enabled.recovery_codes[0].clone(),
            },
        )
        .await
        .ok();
    assert!(matches!(ok, LoginFinishResponse::Ok(_)));
    let Ok(LoginFinishResponse::TotpRequired { totp_token }) =
        anon.login_attempt(&email, PASSWORD, "tablet").await
    else {
        panic!("expected totp_required")
    };
    let reused = anon
        .post(
            routes::LOGIN_TOTP,
            &LoginTotpRequest {
                totp_token,
                code: enabled.recovery_codes[0].clone(),
            },
        )
        .await;
    assert_eq!(reused.error().code, ErrorCode::InvalidTotp);
    let info: AccountInfo = client.get(routes::ACCOUNT).await.ok();
    assert!(info.totp_enabled);
}

fn base32_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let v = alphabet.iter().position(|&a| a == c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}
