//! The account and sync commands against a real `coffer-server serve` on a loopback port,
//! with the server's default plans (START: 5 receipts and 3 other documents a month).

use coffer_testkit::server::ServerProcess as Server;
use serde_json::{Value, json};

use super::{Harness, PASSWORD, fake_openai, png};
use coffer_testkit::stand_in::{Answer, StandIn};

const EMAIL: &str = "jana@example.test";

fn form(server: &Server, password: &str) -> Value {
    json!({"form": {"server_url": server.url, "email": EMAIL, "password": password, "totp": null}})
}

/// A new vault signed up to `server`.
fn signed_up(server: &Server) -> Harness {
    let h = Harness::new();
    h.create_vault();
    h.ok("account_register", form(server, PASSWORD));
    h
}

/// Imports `n` distinct receipts; returns their ids.
fn import_receipts(h: &Harness, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut bytes = png();
            bytes.extend_from_slice(format!("receipt {i}").as_bytes());
            let path = h.sample(&format!("receipt-{i}.png"), &bytes);
            h.import(&path)["document"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn sign_up_shows_the_free_plan_and_sign_out_and_in_again_work() {
    let server = Server::in_scratch_dir(&[]);
    let h = Harness::new();
    h.create_vault();
    assert_eq!(h.ok("account_status", json!({})), Value::Null);
    // The account password is the vault password.
    assert_eq!(
        h.error_code("account_register", form(&server, "not the vault password")),
        "wrong_password"
    );

    let view = h.ok("account_register", form(&server, PASSWORD));
    assert_eq!(view["connection"]["email"], EMAIL);
    assert_eq!(view["connection"]["signed_in"], true);
    let entitlement = &view["entitlement"];
    assert_eq!(entitlement["plan"], "start");
    assert_eq!(entitlement["limits"]["receipts_per_month"], 5);
    assert_eq!(entitlement["limits"]["documents_per_month"], 3);
    assert_eq!(entitlement["usage"]["receipts"], 0);
    assert_eq!(entitlement["locked"], json!([]));
    assert_eq!(view["fresh"], true);
    assert_eq!(view["sync"]["last_sync"], Value::Null);
    assert_eq!(view["email_reminders"], false);

    h.ok("account_logout", json!({}));
    let view = h.ok("account_status", json!({}));
    assert_eq!(view["connection"]["signed_in"], false);
    // Signed out, the plan is the cached one.
    assert_eq!(view["fresh"], false);
    assert_eq!(view["entitlement"]["plan"], "start");
    assert_eq!(
        h.error_code("account_login", form(&server, "a wrong password")),
        "invalid_credentials"
    );
    let view = h.ok("account_login", form(&server, PASSWORD));
    assert_eq!(view["connection"]["signed_in"], true);
    // Signing up again with the address and its password opens the same account: the server
    // never says whether an address has an account.
    let again = h.ok("account_register", form(&server, PASSWORD));
    assert_eq!(
        again["connection"]["account_id"],
        view["connection"]["account_id"]
    );
}

#[test]
fn sign_in_to_an_address_nobody_answers_says_so() {
    let h = Harness::new();
    h.create_vault();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let args = json!({"form": {"server_url": url, "email": EMAIL, "password": PASSWORD}});
    assert_eq!(h.error_code("account_login", args), "server_unreachable");
    assert_eq!(h.error_code("sync_now", json!({})), "not_connected");
}

#[test]
fn devices_lists_this_device_and_revoking_it_signs_it_out() {
    let server = Server::in_scratch_dir(&[]);
    let h = signed_up(&server);
    let devices = h.ok("account_devices", json!({}));
    let devices = devices.as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["current"], true);
    assert!(
        devices[0]["name"]
            .as_str()
            .unwrap()
            .starts_with("Coffer desktop")
    );

    let left = h.ok(
        "account_revoke_device",
        json!({"device_id": devices[0]["device_id"]}),
    );
    assert_eq!(left, json!([]));
    let view = h.ok("account_status", json!({}));
    assert_eq!(view["connection"]["signed_in"], false);
    assert_eq!(h.error_code("account_devices", json!({})), "signed_out");
}

#[test]
fn sync_now_keeps_what_the_plan_does_not_take_local_and_locks_after_a_downgrade() {
    let server = Server::in_scratch_dir(&[]);
    let h = signed_up(&server);
    let ids = import_receipts(&h, 6);

    // Thumbnails made now are cached; once locked, the cache is refused like the content.
    for id in &ids {
        h.invoke("document_thumbnail", json!({"id": id})).unwrap();
    }
    let done = h.ok("sync_now", json!({}));
    assert_eq!(done["pushed"], 5, "{done}");
    assert_eq!(done["not_synced"].as_array().unwrap().len(), 1);
    assert_eq!(done["email_reminders"], Value::Null);
    let view = &done["account"];
    assert_eq!(view["entitlement"]["usage"]["receipts"], 5);
    assert_eq!(view["sync"]["pending"], 0);
    assert_eq!(view["sync"]["not_synced"], done["not_synced"]);
    assert!(view["sync"]["last_sync"].as_i64().unwrap() > 1_700_000_000);

    // A paid plan takes the sixth; when it runs out, what is beyond START's limits locks.
    server.admin(&["plan", "grant", EMAIL, "plus", "--until", "2099-12-31"]);
    let done = h.ok("sync_now", json!({}));
    assert_eq!(done["pushed"], 1, "{done}");
    assert_eq!(done["account"]["entitlement"]["plan"], "plus");
    assert_eq!(done["account"]["sync"]["not_synced"], json!([]));
    server.admin(&["plan", "expire", EMAIL]);

    let view = h.ok("account_status", json!({}));
    let entitlement = &view["entitlement"];
    assert_eq!(entitlement["plan"], "start");
    let locked = entitlement["locked"].as_array().unwrap();
    assert_eq!(locked.len(), 1, "{entitlement}");
    assert!(entitlement["purge_at"].as_i64().is_some());
    let locked = locked[0].as_str().unwrap();
    assert!(ids.iter().any(|id| id == locked));
    assert_eq!(view["locked_documents"][0]["id"], locked);
    // A locked document stays listed, but its content does not open and it cannot be edited.
    h.ok("get_document", json!({"id": locked}));
    assert_eq!(
        h.error_code("document_content", json!({"id": locked})),
        "document_locked"
    );
    let edit = json!({"id": locked, "edit": {"kind": "warranty"}});
    assert_eq!(h.error_code("edit_document", edit), "document_locked");
    assert_eq!(
        h.error_code("pdf_page_count", json!({"id": locked})),
        "document_locked"
    );
    assert_eq!(
        h.error_code("document_thumbnail", json!({"id": locked})),
        "document_locked"
    );
}

#[test]
fn remote_ocr_on_a_connected_vault_needs_a_plan_with_credits_and_uses_one() {
    let server = Server::in_scratch_dir(&[]);
    let h = signed_up(&server);
    let id = json!(import_receipts(&h, 1).remove(0));
    // Nothing listens on the discard port: had anything been sent, the error would say so.
    let change = json!({"api_key": "sk-test", "endpoint": "http://127.0.0.1:9/v1"});
    h.ok(
        "save_remote_ocr_provider",
        json!({"provider": "openai", "change": change}),
    );
    assert_eq!(
        h.remote_ocr(&id, "openai").unwrap_err()["code"],
        "remote_ocr_not_on_plan"
    );

    server.admin(&["plan", "grant", EMAIL, "plus", "--until", "2099-12-31"]);
    let provider = fake_openai(json!({
        "text": "CELKEM 196,00", "kind": "receipt", "total": "196.00", "currency": "CZK"
    }));
    let change = json!({"endpoint": format!("{}/v1", provider.url)});
    h.ok(
        "save_remote_ocr_provider",
        json!({"provider": "openai", "change": change}),
    );
    assert_eq!(h.remote_ocr(&id, "openai").unwrap()["total"], "196.00");
    assert_eq!(provider.requests(), 1);
    let usage = &h.ok("account_status", json!({}))["entitlement"]["usage"];
    assert_eq!(usage["remote_ocr"], 1, "{usage}");
}

/// A server whose Stripe is a stand-in answering a checkout with `url`, and the stand-in.
fn stripe_server(url: &str) -> (Server, StandIn) {
    let stripe = StandIn::start(vec![Answer::ok(json!({"id": "cs_test_1", "url": url}))]);
    let server = Server::in_scratch_dir(&[
        ("COFFER_STRIPE_SECRET_KEY", "sk_test_app"),
        ("COFFER_STRIPE_WEBHOOK_SECRET", "whsec_app"),
        ("COFFER_STRIPE_API_BASE", &stripe.url),
    ]);
    (server, stripe)
}

#[test]
fn plans_checkout_opens_the_providers_page_and_cancel_keeps_the_plan_to_the_period_end() {
    let (server, stripe) = stripe_server("https://checkout.stripe.test/pay/cs_test_1");
    let h = signed_up(&server);

    let catalog = h.ok("account_plans", json!({}));
    assert_eq!(catalog["free_plan"], "start");
    assert!(
        catalog["plans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| !p["prices"].as_array().unwrap().is_empty()),
        "{catalog}"
    );
    let paid = catalog["plans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] != "start")
        .unwrap()["id"]
        .clone();

    let checkout = h.ok(
        "account_checkout",
        json!({"plan": paid, "interval": "month", "currency": "EUR", "language": "cs"}),
    );
    assert_eq!(
        checkout["redirect_url"],
        "https://checkout.stripe.test/pay/cs_test_1"
    );
    assert_eq!(checkout["kind"], "new_period");
    let sent = stripe.seen();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].method, "POST");
    assert!(sent[0].path.contains("/v1/checkout/sessions"), "{sent:?}");
    // The payment waits for the provider's confirmation; no invoice before it is paid.
    let history = h.ok("account_billing_history", json!({}));
    let payments = history["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1, "{history}");
    assert_eq!(
        (
            &payments[0]["plan"],
            &payments[0]["status"],
            &payments[0]["amount"]["currency"]
        ),
        (&paid, &json!("pending"), &json!("EUR"))
    );
    assert_eq!(history["invoices"], json!([]));

    assert_eq!(h.error_code("account_cancel", json!({})), "server_refused");
    server.admin(&["plan", "grant", EMAIL, "plus", "--until", "2099-12-31"]);
    let view = h.ok("account_cancel", json!({}));
    assert_eq!(view["entitlement"]["plan"], "plus");
    assert_eq!(view["entitlement"]["renews"], false);
}

#[test]
fn a_checkout_page_off_the_payment_providers_hosts_is_not_opened() {
    let (server, stripe) = stripe_server("https://checkout.stripe.test.evil.example/pay");
    let h = signed_up(&server);
    let args = json!({"plan": "plus", "interval": "month", "currency": "EUR", "language": "en"});
    assert_eq!(h.error_code("account_checkout", args), "untrusted_checkout");
    assert_eq!(stripe.requests(), 1, "the server asked its provider");
}

#[test]
fn checkout_without_a_payment_provider_says_payments_are_unavailable() {
    let server = Server::in_scratch_dir(&[]);
    let h = signed_up(&server);
    let args = json!({"plan": "plus", "interval": "month", "currency": "EUR", "language": "en"});
    assert_eq!(
        h.error_code("account_checkout", args),
        "payments_unavailable"
    );
}

#[test]
fn email_reminders_need_a_plan_with_them_and_can_be_switched_off() {
    let server = Server::in_scratch_dir(&[]);
    let h = Harness::new();
    h.create_vault();
    let on = json!({"enabled": true, "language": "cs"});
    assert_eq!(
        h.error_code("set_email_reminders", on.clone()),
        "needs_account"
    );
    h.ok("account_register", form(&server, PASSWORD));
    // A warranty that ends in 60 days: something to be reminded of.
    let id = import_receipts(&h, 1).remove(0);
    let ends = (time::OffsetDateTime::now_utc().date() + time::Duration::days(60)).to_string();
    h.ok(
        "edit_document",
        json!({"id": id, "edit": {"kind": "warranty", "expiry": ends}}),
    );

    let outcome = h.ok("set_email_reminders", on.clone());
    assert_eq!(outcome["state"], "not_on_plan");
    server.admin(&["plan", "grant", EMAIL, "plus", "--until", "2099-12-31"]);
    let outcome = h.ok("set_email_reminders", on);
    assert_eq!(outcome["state"], "registered", "{outcome}");
    assert!(outcome["registered"].as_u64().unwrap() >= 1, "{outcome}");
    assert_eq!(h.ok("account_status", json!({}))["email_reminders"], true);

    let off = h.ok(
        "set_email_reminders",
        json!({"enabled": false, "language": "cs"}),
    );
    assert_eq!(off, Value::Null);
    assert_eq!(h.ok("account_status", json!({}))["email_reminders"], false);
}

#[test]
fn a_sync_that_would_remove_most_of_the_vault_waits_for_the_persons_confirmation() {
    let plans = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/coffer-server/plans.roomy.toml"
    );
    let server = Server::in_scratch_dir(&[("COFFER_PLANS_FILE", plans)]);
    let h = signed_up(&server);
    let ids = import_receipts(&h, 8);
    assert_eq!(h.ok("sync_now", json!({}))["pushed"], 8);

    // Another device of the account deletes six of the eight for good.
    let password = secrecy::SecretString::from(PASSWORD);
    let creds = coffer_core::sync::Credentials {
        server_url: &server.url,
        email: EMAIL,
        password: &password,
        totp: None,
        device_name: "the other laptop",
    };
    let mut other = coffer_core::sync::init_from_server(
        h.dir.path().join("other device"),
        &creds,
        std::sync::Arc::new(coffer_core::SystemClock),
    )
    .unwrap();
    coffer_core::sync::sync(&mut other, None, &mut |_| {}).unwrap();
    for id in &ids[..6] {
        let id = other.resolve(id).unwrap();
        other.trash(id).unwrap();
        other.purge(id).unwrap();
    }
    coffer_core::sync::sync(&mut other, None, &mut |_| {}).unwrap();

    for _ in 0..2 {
        assert_eq!(h.error_code("sync_now", json!({})), "mass_deletion");
        let listed = h.ok("search_documents", json!({"query": {}}));
        assert_eq!(listed.as_array().unwrap().len(), 8, "nothing removed");
    }
    h.ok("sync_now", json!({"allow_mass_delete": true}));
    let listed = h.ok("search_documents", json!({"query": {}}));
    assert_eq!(listed.as_array().unwrap().len(), 2);
    let trashed = h.ok("search_documents", json!({"query": {"trash": true}}));
    assert_eq!(
        trashed.as_array().unwrap().len(),
        6,
        "in the trash, not gone"
    );
}

#[test]
fn on_a_server_that_sends_e_mail_sign_up_asks_for_the_code_it_sent() {
    let Ok(smtp) = std::env::var("COFFER_TEST_SMTP_URL") else {
        assert!(
            std::env::var("COFFER_TEST_REQUIRE_SERVICES").is_err(),
            "make test runs an SMTP sink"
        );
        eprintln!("note: skipped, no SMTP sink (scripts/with-test-services.sh runs one)");
        return;
    };
    let server = Server::in_scratch_dir(&[("COFFER_SMTP_URL", &smtp)]);
    let h = Harness::new();
    h.create_vault();
    let email = format!("verify-{}@example.test", std::process::id());
    let form = json!({"form": {"server_url": server.url, "email": email, "password": PASSWORD, "totp": null}});
    let view = h.ok("account_register", form);
    assert_eq!(view["email_verified"], false, "{view}");
    assert_eq!(
        h.error_code("account_verify_email", json!({"code": "00000000"})),
        "server_refused"
    );
    // Sent again, the new code replaces the first: wait for the second e-mail.
    h.ok("account_resend_verification", json!({}));
    let mut codes = Vec::new();
    for _ in 0..200 {
        codes = coffer_testkit::maildir::verification_codes(&email);
        if codes.len() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let code = codes
        .pop()
        .expect("the verification e-mails reached the SMTP sink");
    let view = h.ok("account_verify_email", json!({"code": code}));
    assert_eq!(view["email_verified"], true, "{view}");
    assert_eq!(h.ok("account_status", json!({}))["email_verified"], true);
}
