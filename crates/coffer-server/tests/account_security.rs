//! Guarding the account (issue 13, SPEC §5), spoken to directly over HTTP on SQLite and
//! PostgreSQL: step-up on every route that could take an account over, the second factor's
//! back-off shared by every instance, TOTP secrets and recovery codes at rest, the same answer
//! for new and existing addresses, e-mail verification, rate limits and forwarded-for
//! spoofing.

#[macro_use]
mod support;

use coffer_api::opaque::CofferCipherSuite;
use coffer_api::*;
use coffer_testkit::maildir::verification_codes;
use reqwest::{Method, StatusCode};
use support::*;
use uuid::Uuid;

on_both_databases!(
    every_account_changing_route_needs_a_fresh_step_up_of_its_own_session,
    with_totp_on_a_step_up_needs_the_second_factor_too,
    wrong_second_factor_codes_back_off_and_lock_on_every_instance,
    totp_secrets_are_sealed_and_recovery_codes_salted_in_the_database,
    registration_answers_the_same_for_new_and_existing_addresses,
    an_account_syncs_only_once_its_address_is_verified,
);

fn at(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

async fn server_on(db: Option<String>, dir: &std::path::Path) -> InProcessServer {
    let server = InProcessServer::start_with(
        dir,
        InProcessOptions {
            database_url: db,
            ..Default::default()
        },
    )
    .await;
    server.clock.set(at("2026-11-10T10:00:00Z"));
    server
}

/// Moves the clock on (a TOTP code's time step is usable once).
fn tick(server: &InProcessServer, secs: i64) {
    server.clock.advance(time::Duration::seconds(secs));
}

fn totp_now(server: &InProcessServer, secret: &[u8]) -> String {
    use coffer_server::clock::Clock;
    coffer_server::totp::code_at(secret, coffer_server::totp::step_of(server.clock.unix()))
}

fn base32_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0);
    for c in s.bytes() {
        buffer = (buffer << 5) | alphabet.iter().position(|&a| a == c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// Turns TOTP on (after a step-up); the secret and the recovery codes.
async fn enable_totp(server: &InProcessServer, client: &Client) -> (Vec<u8>, Vec<String>) {
    let stepped = client.stepped_up(PASSWORD, None).await;
    let setup: TotpSetupResponse = stepped
        .request(Method::POST, routes::TOTP_SETUP, &[], None, "")
        .await
        .ok();
    let secret = base32_decode(&setup.secret_base32);
    let enabled: TotpEnabledResponse = stepped
        .post(
            routes::TOTP_ENABLE,
            &TotpCodeRequest {
                code: totp_now(server, &secret),
            },
        )
        .await
        .ok();
    tick(server, 30);
    (secret, enabled.recovery_codes)
}

async fn security_alerts(server: &InProcessServer, account: Uuid) -> i64 {
    server
        .count(
            "SELECT COUNT(*) FROM mail_outbox WHERE account_id = $1 AND template = 'security_alert'",
            &account.to_string(),
        )
        .await
}

async fn events(client: &Client) -> Vec<SecurityEventKind> {
    let list: SecurityEventList = client.get(routes::SECURITY_EVENTS).await.ok();
    list.events.iter().map(|e| e.kind).collect()
}

fn password_registration(
    password: &str,
) -> opaque_ke::ClientRegistrationStartResult<CofferCipherSuite> {
    opaque_ke::ClientRegistration::<CofferCipherSuite>::start(
        &mut rand::rngs::OsRng,
        password.as_bytes(),
    )
    .unwrap()
}

async fn every_account_changing_route_needs_a_fresh_step_up_of_its_own_session(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = server_on(db, dir).await;
    let anon = Client::new(&server.url);
    let (client, session, email) = anon.new_account("laptop").await;
    let (other_device, _) = anon.login(&email, PASSWORD, "phone").await;
    let account = session.account_id;
    let start = password_registration("new password");
    let routes_needing_it: Vec<(Method, &str, Option<serde_json::Value>)> = vec![
        (
            Method::PUT,
            routes::ACCOUNT_KEYS,
            Some(serde_json::to_value(wrapped_keys(8)).unwrap()),
        ),
        (Method::POST, routes::TOTP_SETUP, None),
        (
            Method::POST,
            routes::TOTP_ENABLE,
            Some(serde_json::json!({"code": "000000"})),
        ),
        (Method::POST, routes::TOTP_DISABLE, None),
        (Method::POST, routes::RECOVERY_CODES, None),
        (
            Method::POST,
            routes::PASSWORD_START,
            Some(serde_json::json!({
                "registration_request": Bytes(start.message.serialize().to_vec())
            })),
        ),
        (
            Method::POST,
            routes::PASSWORD_FINISH,
            Some(
                serde_json::json!({"registration_upload": "AAAA", "wrapped_keys": wrapped_keys(8)}),
            ),
        ),
        (Method::GET, routes::ACCOUNT_EXPORT, None),
        (
            Method::DELETE,
            routes::ACCOUNT,
            Some(serde_json::json!({"confirm_email": email})),
        ),
    ];
    let other_token = other_device
        .stepped_up(PASSWORD, None)
        .await
        .step_up
        .unwrap();
    let expired = client.stepped_up(PASSWORD, None).await;
    tick(&server, STEP_UP_TTL_SECS as i64 + 1);
    let send = |c: &Client, m: &Method, path: &str, body: &Option<serde_json::Value>| {
        let (c, m, path, body) = (c.clone(), m.clone(), path.to_owned(), body.clone());
        async move {
            match body {
                Some(b) => c.send_json(m, &path, &[], &b).await,
                None => c.request(m, &path, &[], None, "").await,
            }
        }
    };
    for (method, path, body) in &routes_needing_it {
        // An access token alone; another session's token; a token past its five minutes;
        // a made-up one.
        let forged = Client {
            step_up: Some("cfs_forged".into()),
            ..client.clone()
        };
        let borrowed = Client {
            step_up: Some(other_token.clone()),
            ..client.clone()
        };
        for attempt in [&client, &borrowed, &expired, &forged] {
            let answer = send(attempt, method, path, body).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(
                answer.error().code,
                ErrorCode::StepUpRequired,
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        security_alerts(&server, account).await,
        0,
        "nothing changed"
    );

    // With a fresh step-up each goes through, writes its event and mails an alert.
    let stepped = client.stepped_up(PASSWORD, None).await;
    let put: StatusCode = stepped
        .send_json(Method::PUT, routes::ACCOUNT_KEYS, &[], &wrapped_keys(8))
        .await
        .status;
    assert_eq!(put, StatusCode::NO_CONTENT);
    let codes: TotpEnabledResponse = {
        let setup: TotpSetupResponse = stepped
            .request(Method::POST, routes::TOTP_SETUP, &[], None, "")
            .await
            .ok();
        let secret = base32_decode(&setup.secret_base32);
        stepped
            .post(
                routes::TOTP_ENABLE,
                &TotpCodeRequest {
                    code: totp_now(&server, &secret),
                },
            )
            .await
            .ok()
    };
    let again: TotpEnabledResponse = stepped
        .request(Method::POST, routes::RECOVERY_CODES, &[], None, "")
        .await
        .ok();
    assert_ne!(again.recovery_codes, codes.recovery_codes);
    let off = stepped
        .request(Method::POST, routes::TOTP_DISABLE, &[], None, "")
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    let export = stepped.get(routes::ACCOUNT_EXPORT).await;
    assert_eq!(export.status, StatusCode::OK);
    let kinds = events(&client).await;
    for kind in [
        SecurityEventKind::KeysReplaced,
        SecurityEventKind::TotpEnabled,
        SecurityEventKind::RecoveryCodesReplaced,
        SecurityEventKind::TotpDisabled,
        SecurityEventKind::AccountExported,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }
    assert_eq!(security_alerts(&server, account).await, 5);
    let deleted = stepped.delete_account(&email).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        server
            .count(
                "SELECT COUNT(*) FROM mail_outbox WHERE account_id = $1 AND template = 'account_deleted'",
                &account.to_string(),
            )
            .await,
        1
    );
}

async fn with_totp_on_a_step_up_needs_the_second_factor_too(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = server_on(db, dir).await;
    let anon = Client::new(&server.url);
    let (client, _, _) = anon.new_account("laptop").await;
    let (secret, recovery) = enable_totp(&server, &client).await;
    // A stolen access token cannot replace the secret: setup needs the step-up, and the
    // step-up the code.
    let setup = client
        .request(Method::POST, routes::TOTP_SETUP, &[], None, "")
        .await;
    assert_eq!(setup.error().code, ErrorCode::StepUpRequired);
    let Err(Some(without)) = client.step_up_attempt(PASSWORD, None).await else {
        panic!("a step-up without the code must be refused")
    };
    assert_eq!(without.error().code, ErrorCode::TotpRequired);
    let Err(Some(wrong)) = client.step_up_attempt(PASSWORD, Some("000001")).await else {
        panic!("a wrong code must be refused")
    };
    assert_eq!(wrong.error().code, ErrorCode::InvalidTotp);
    // A wrong password fails on the client; a forged KE3 on the server.
    assert!(matches!(
        client
            .step_up_attempt("not the password", Some("123456"))
            .await,
        Err(None)
    ));
    let started: LoginStartResponse = client
        .post(
            routes::STEP_UP_START,
            &StepUpStartRequest {
                credential_request: Bytes(
                    opaque_ke::ClientLogin::<CofferCipherSuite>::start(
                        &mut rand::rngs::OsRng,
                        PASSWORD.as_bytes(),
                    )
                    .unwrap()
                    .message
                    .serialize()
                    .to_vec(),
                ),
            },
        )
        .await
        .ok();
    let forged = client
        .post(
            routes::STEP_UP_FINISH,
            &StepUpFinishRequest {
                login_id: started.login_id,
                credential_finalization: Bytes(vec![3; 64]),
                second_factor: Some(totp_now(&server, &secret)),
            },
        )
        .await;
    assert_eq!(forged.error().code, ErrorCode::InvalidCredentials);
    // The password and the code (or a recovery code) together: a token, and replacing the
    // secret is an event of its own.
    let stepped = client
        .stepped_up(PASSWORD, Some(&totp_now(&server, &secret)))
        .await;
    let setup: TotpSetupResponse = stepped
        .request(Method::POST, routes::TOTP_SETUP, &[], None, "")
        .await
        .ok();
    let replaced = base32_decode(&setup.secret_base32);
    let _: TotpEnabledResponse = stepped
        .post(
            routes::TOTP_ENABLE,
            &TotpCodeRequest {
                code: totp_now(&server, &replaced),
            },
        )
        .await
        .ok();
    assert!(
        events(&client)
            .await
            .contains(&SecurityEventKind::TotpReplaced)
    );
    // The old recovery codes went with the old secret.
    tick(&server, 30);
    let Err(Some(old)) = client.step_up_attempt(PASSWORD, Some(&recovery[0])).await else {
        panic!("an old recovery code must be refused")
    };
    assert_eq!(old.error().code, ErrorCode::InvalidTotp);
}

async fn wrong_second_factor_codes_back_off_and_lock_on_every_instance(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let a = server_on(db.clone(), dir).await;
    // A second instance on the same database.
    let b = server_on(db, dir).await;
    let (client, _, email) = Client::new(&a.url).new_account("laptop").await;
    let (secret, recovery) = enable_totp(&a, &client).await;
    b.clock.set(at("2026-11-10T10:00:30Z"));
    let totp_token = |server: &InProcessServer| {
        let anon = Client::new(&server.url);
        let email = email.clone();
        async move {
            match anon.login_attempt(&email, PASSWORD, "x").await {
                Ok(LoginFinishResponse::TotpRequired { totp_token }) => (anon, totp_token),
                other => panic!("expected totp_required, got {other:?}"),
            }
        }
    };
    let guess = |anon: &Client, token: &str, code: &str| {
        let (anon, token, code) = (anon.clone(), token.to_owned(), code.to_owned());
        async move {
            anon.post(
                routes::LOGIN_TOTP,
                &LoginTotpRequest {
                    totp_token: token,
                    code,
                },
            )
            .await
        }
    };
    let (on_a, token) = totp_token(&a).await;
    for _ in 0..coffer_server::totp::FREE_GUESSES {
        let answer = guess(&on_a, &token, "000000").await;
        assert_eq!(answer.error().code, ErrorCode::InvalidTotp);
    }
    // The third wrong code in a row made the next guess wait 30 s, on every instance, and
    // even the right code waits.
    let (on_b, token_b) = totp_token(&b).await;
    for (anon, token, server) in [(&on_a, &token, &a), (&on_b, &token_b, &b)] {
        let answer = guess(anon, token, &totp_now(server, &secret)).await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        let error = answer.error();
        assert_eq!(error.code, ErrorCode::RateLimited);
        assert_eq!(error.retry_after_secs, Some(30));
    }
    // Each further wrong code doubles the wait (the login step stays valid five minutes).
    let mut waited = vec![];
    for wait in [30, 60, 120] {
        tick(&a, wait + 1);
        let answer = guess(&on_a, &token, "000000").await;
        assert_eq!(answer.error().code, ErrorCode::InvalidTotp);
        let refused = guess(&on_a, &token, "000000").await;
        waited.push(refused.error().retry_after_secs.unwrap());
    }
    assert_eq!(waited, [60, 120, 240]);
    // A right code after the wait lets the owner in and starts the count over.
    tick(&a, 241);
    let (on_a, token) = totp_token(&a).await;
    let ok: LoginFinishResponse = guess(&on_a, &token, &recovery[0]).await.ok();
    let LoginFinishResponse::Ok(session) = ok else {
        panic!("the recovery code must log in")
    };
    let kinds = events(&on_a.with_token(&session.access_token)).await;
    assert!(
        kinds.contains(&SecurityEventKind::SecondFactorLocked),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&SecurityEventKind::RecoveryCodeUsed),
        "{kinds:?}"
    );
    let answer = guess(&on_a, &token, "000000").await;
    assert_eq!(
        answer.error().code,
        ErrorCode::InvalidCredentials,
        "the step was used"
    );
    let (on_a, token) = totp_token(&a).await;
    let answer = guess(&on_a, &token, "000000").await;
    assert_eq!(
        answer.error().code,
        ErrorCode::InvalidTotp,
        "free guesses again"
    );
}

async fn totp_secrets_are_sealed_and_recovery_codes_salted_in_the_database(
    db: Option<String>,
    dir: &std::path::Path,
) {
    use sqlx::Row as _;
    let server = server_on(db, dir).await;
    let (client, session, _) = Client::new(&server.url).new_account("laptop").await;
    let (secret, codes) = enable_totp(&server, &client).await;
    let mut conn = server.app.storage.read().await.unwrap();
    let row = sqlx::query("SELECT totp_secret FROM accounts WHERE id = $1")
        .bind(session.account_id.to_string())
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let sealed: Vec<u8> = row.try_get(0).unwrap();
    assert_eq!(sealed[0], 1, "a versioned sealed value");
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()));
    let hashes = sqlx::query("SELECT code_hash FROM recovery_codes WHERE account_id = $1")
        .bind(session.account_id.to_string())
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(hashes.len(), codes.len());
    for row in hashes {
        let stored = String::from_utf8(row.try_get::<Vec<u8>, _>(0).unwrap()).unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(codes.iter().all(|c| !stored.contains(&c.replace('-', ""))));
    }
}

async fn registration_answers_the_same_for_new_and_existing_addresses(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let server = server_on(db, dir).await;
    let anon = Client::new(&server.url);
    let (_, session, email) = anon.new_account("laptop").await;
    let fresh = format!("fresh-{}@example.test", Uuid::new_v4().simple());
    let existing = anon.register(&email, "a guess").await;
    let new = anon.register(&fresh, "a guess").await;
    assert_eq!((existing.status, &existing.body), (new.status, &new.body));
    assert_eq!(existing.status, StatusCode::CREATED);
    // Nothing changed for the existing account.
    let (_, again) = anon.login(&email, PASSWORD, "again").await;
    assert_eq!(again.account_id, session.account_id);
    // A failed login writes the same event row for a known and an unknown address.
    let rows = || {
        server.count(
            "SELECT COUNT(*) FROM security_events WHERE kind = $1",
            "login_failed",
        )
    };
    let before = rows().await;
    let ghost = format!("ghost-{}@example.test", Uuid::new_v4().simple());
    for address in [email.as_str(), ghost.as_str()] {
        let started: LoginStartResponse = anon
            .post(
                routes::LOGIN_START,
                &LoginStartRequest {
                    email: address.into(),
                    credential_request: Bytes(
                        opaque_ke::ClientLogin::<CofferCipherSuite>::start(
                            &mut rand::rngs::OsRng,
                            b"x",
                        )
                        .unwrap()
                        .message
                        .serialize()
                        .to_vec(),
                    ),
                },
            )
            .await
            .ok();
        let answer = anon
            .post(
                routes::LOGIN_FINISH,
                &LoginFinishRequest {
                    login_id: started.login_id,
                    credential_finalization: Bytes(vec![5; 64]),
                    device_name: "x".into(),
                },
            )
            .await;
        assert_eq!(answer.error().code, ErrorCode::InvalidCredentials);
    }
    assert_eq!(rows().await, before + 2);
}

async fn an_account_syncs_only_once_its_address_is_verified(
    db: Option<String>,
    dir: &std::path::Path,
) {
    let Ok(smtp_url) = std::env::var("COFFER_TEST_SMTP_URL") else {
        eprintln!(
            "note: e-mail verification skipped: no SMTP sink (scripts/with-test-services.sh)"
        );
        // Without e-mail a server cannot verify, and accepts the address as given.
        let server = server_on(db, dir).await;
        let (client, _, _) = Client::new(&server.url).new_unverified_account("x").await;
        let info: AccountInfo = client.get(routes::ACCOUNT).await.ok();
        assert!(info.email_verified);
        return;
    };
    let server = InProcessServer::start_with(
        dir,
        InProcessOptions {
            database_url: db,
            smtp_url: Some(smtp_url),
            ..Default::default()
        },
    )
    .await;
    let anon = Client::new(&server.url);
    let (client, _, email) = anon.new_unverified_account("laptop").await;
    let info: AccountInfo = client.get(routes::ACCOUNT).await.ok();
    assert!(!info.email_verified);
    for path in [routes::CHANGES, routes::UPLOADS] {
        let answer = if path == routes::UPLOADS {
            client
                .post(
                    path,
                    &CreateUploadRequest {
                        sha256: sha256_hex(b"x"),
                        size: 1,
                    },
                )
                .await
        } else {
            client.get(path).await
        };
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.error().code, ErrorCode::EmailNotVerified);
    }
    let code = verification_code(&email).await;
    // Five wrong codes void the code; a new one is mailed on request.
    for _ in 0..5 {
        let wrong = client
            .post(
                routes::EMAIL_VERIFY,
                &EmailVerifyRequest {
                    code: "00000000".into(),
                },
            )
            .await;
        assert_eq!(wrong.error().code, ErrorCode::InvalidField);
    }
    let late = client
        .post(
            routes::EMAIL_VERIFY,
            &EmailVerifyRequest { code: code.clone() },
        )
        .await;
    assert_eq!(late.error().code, ErrorCode::InvalidField);
    let resent = client
        .request(Method::POST, routes::EMAIL_RESEND, &[], None, "")
        .await;
    assert_eq!(resent.status, StatusCode::ACCEPTED);
    let fresh = loop {
        if let Some(fresh) = verification_codes(&email).into_iter().find(|c| *c != code) {
            break fresh;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let verified = client
        .post(routes::EMAIL_VERIFY, &EmailVerifyRequest { code: fresh })
        .await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT);
    let _: ChangesPage = client.get(routes::CHANGES).await.ok();
    assert!(
        events(&client)
            .await
            .contains(&SecurityEventKind::EmailVerified)
    );
    // Registering the address again mails its owner a notice, and no code.
    let _ = anon.register(&email, "someone else").await;
    let notice = (0..100).find_map(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        coffer_testkit::maildir::messages()?
            .into_iter()
            .find(|m| m.contains(&format!("To: {email}")) && m.contains("tried to"))
    });
    assert!(notice.is_some(), "the owner hears of the attempt");
}

/// `POST /v1/auth/login/start` for `email` (KE1 costs the client nothing), with headers.
async fn login_start(anon: &Client, email: &str, headers: &[(&str, &str)]) -> StatusCode {
    let body = LoginStartRequest {
        email: email.into(),
        credential_request: Bytes(
            opaque_ke::ClientLogin::<CofferCipherSuite>::start(&mut rand::rngs::OsRng, b"x")
                .unwrap()
                .message
                .serialize()
                .to_vec(),
        ),
    };
    anon.send_json(Method::POST, routes::LOGIN_START, headers, &body)
        .await
        .status
}

async fn limited_server(dir: &std::path::Path, proxies: &[&str]) -> InProcessServer {
    InProcessServer::start_with(
        dir,
        InProcessOptions {
            rate_limits: Some(coffer_server::ratelimit::RateLimits {
                login_per_ip_per_minute: 3,
                register_per_address_per_hour: 2,
                register_per_ip_per_hour: 4,
                payment_notifications_per_ip_per_minute: 3,
                ..Default::default()
            }),
            trusted_proxies: coffer_server::config::TrustedProxies::parse(
                &proxies.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
            )
            .unwrap(),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_trusted_proxies_and_from_the_right() {
    let dir = tempfile::tempdir().unwrap();
    // Behind a proxy on this machine: the client is the rightmost address the proxy added,
    // whatever the client wrote on the left.
    let server = limited_server(dir.path(), &["127.0.0.1"]).await;
    let anon = Client::new(&server.url);
    for n in 0..3 {
        let spoofed = format!("10.9.9.{n}, 203.0.113.5");
        let status = login_start(
            &anon,
            &format!("a{n}@x.test"),
            &[("x-forwarded-for", &spoofed)],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let spoofed = "198.51.100.1, 203.0.113.5";
    let status = login_start(&anon, "a9@x.test", &[("x-forwarded-for", spoofed)]).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same client, however dressed"
    );
    let other = login_start(&anon, "b@x.test", &[("x-forwarded-for", "203.0.113.6")]).await;
    assert_eq!(other, StatusCode::OK, "another client behind the proxy");

    // Without trusted proxies the header counts for nothing: every request is the peer's.
    let dir = tempfile::tempdir().unwrap();
    let server = limited_server(dir.path(), &[]).await;
    let anon = Client::new(&server.url);
    for n in 0..3 {
        let forged = format!("192.0.2.{n}");
        let status = login_start(
            &anon,
            &format!("c{n}@x.test"),
            &[("x-forwarded-for", &forged)],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let status = login_start(&anon, "d@x.test", &[("x-forwarded-for", "192.0.2.200")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_is_rate_limited_per_address_and_per_client() {
    let dir = tempfile::tempdir().unwrap();
    let server = limited_server(dir.path(), &[]).await;
    let anon = Client::new(&server.url);
    let start = |email: String| {
        let anon = anon.clone();
        async move {
            let begun = password_registration(PASSWORD);
            anon.post(
                routes::REGISTER_START,
                &RegisterStartRequest {
                    email,
                    registration_request: Bytes(begun.message.serialize().to_vec()),
                },
            )
            .await
        }
    };
    // Two registration steps per address an hour...
    for _ in 0..2 {
        assert_eq!(start("same@x.test".into()).await.status, StatusCode::OK);
    }
    let third = start("same@x.test".into()).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(third.error().retry_after_secs.unwrap() > 0);
    // ...and four per client address (the refused one did not count).
    assert_eq!(start("other@x.test".into()).await.status, StatusCode::OK);
    let fifth = start("third@x.test".into()).await;
    assert_eq!(fifth.error().code, ErrorCode::RateLimited);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comgate_notifications_are_rate_limited_per_client() {
    let dir = tempfile::tempdir().unwrap();
    let server = limited_server(dir.path(), &[]).await;
    let anon = Client::new(&server.url);
    let notify = || async {
        anon.request(
            Method::POST,
            routes::COMGATE_NOTIFY,
            &[],
            Some(b"merchant=1&transId=AB12-CD34-EF56".to_vec()),
            "application/x-www-form-urlencoded",
        )
        .await
    };
    // This server has no Comgate: each costs nothing but is still counted.
    for _ in 0..3 {
        assert_eq!(notify().await.status, StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(notify().await.error().code, ErrorCode::RateLimited);
}
