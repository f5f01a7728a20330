//! The account's guards from the command line, against a real `coffer-server`: changes that
//! could take an account over prove the password (and the TOTP code) again, registration of
//! an address with an account says so only to the one who knows its password, a server that
//! sends mail syncs an account once its address is verified, and on START the newest receipt
//! is the one that waits.

mod sync_support;

use sync_support::{Device, server_with_default_plans, start_server, totp_code, unique_email};

/// `account totp setup` then `enable`: the recovery codes.
fn turn_totp_on(device: &Device) -> Vec<String> {
    let setup = device.ok(&["account", "totp", "setup"]);
    let secret = setup
        .lines()
        .map(str::trim)
        .find(|l| {
            !l.is_empty()
                && l.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        .unwrap_or_else(|| panic!("no secret in {setup}"))
        .to_owned();
    let enabled = device.ok(&["account", "totp", "enable", &totp_code(&secret)]);
    let codes: Vec<String> = enabled
        .lines()
        .skip(1)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(codes.len(), 10, "{enabled}");
    codes
}

#[test]
fn account_changes_prove_the_password_and_the_totp_code_again() {
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let recovery = turn_totp_on(&a);

    // With TOTP on, the export needs a code; a recovery code does (once).
    let out = a.path("account.tar");
    let refused = a.fails(&["account", "export", "--out", out.to_str().unwrap()]);
    assert!(refused.contains("--totp"), "{refused}");
    assert!(!out.exists());
    a.ok(&[
        "account",
        "export",
        "--out",
        out.to_str().unwrap(),
        "--totp",
        &recovery[0],
    ]);
    assert!(std::fs::metadata(&out).unwrap().len() > 0);
    let reused = a.fails(&[
        "account",
        "export",
        "--out",
        out.to_str().unwrap(),
        "--totp",
        &recovery[0],
    ]);
    assert!(reused.contains("TOTP code"), "{reused}");

    // A password change proves the old password and the second factor.
    const NEW: &str = "a new password for both";
    let changed = a
        .command(&["passwd"])
        .env("COFFER_NEW_PASSWORD", NEW)
        .env("COFFER_TOTP", &recovery[1])
        .output()
        .unwrap();
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    let a = a.with_password(NEW);
    // Deleting the account too; afterwards the address can be registered afresh.
    let wrong = a.fails(&["account", "delete", "--email", &email, "--totp", "000000"]);
    assert!(wrong.contains("TOTP"), "{wrong}");
    a.ok(&[
        "account",
        "delete",
        "--email",
        &email,
        "--totp",
        &recovery[2],
    ]);
    Device::registered(&server, &email);
}

#[test]
fn registering_an_address_that_has_an_account_tells_only_to_log_in_with_its_password() {
    let server = start_server();
    let email = unique_email();
    Device::registered(&server, &email);
    let other = Device::new(&server).with_password("someone else's password");
    other.init();
    let err = other.fails(&["account", "register", "--email", &email]);
    assert!(err.contains("does not open the account"), "{err}");
    assert!(err.contains("coffer account login"), "{err}");
}

#[test]
fn a_server_that_sends_mail_syncs_an_account_once_its_address_is_verified() {
    if coffer_testkit::maildir::messages().is_none() {
        eprintln!("note: skipped: no SMTP sink (run through scripts/with-test-services.sh)");
        return;
    }
    let server = start_server();
    let email = unique_email();
    let a = Device::new(&server);
    a.init();
    let out = a.ok(&["account", "register", "--email", &email]);
    assert!(out.contains("coffer account verify-email"), "{out}");
    a.import("note.txt", b"a note", &[]);
    let err = a.fails(&["sync"]);
    assert!(
        err.contains("email_not_verified") || err.contains("Verify"),
        "{err}"
    );
    assert!(
        a.fails(&["account", "verify-email", "00000000"])
            .contains("wrong")
    );
    let code = sync_support::verification_code(&email);
    a.ok(&["account", "verify-email", &code]);
    a.ok(&["sync"]);
    let b = Device::from_server(&server, &email);
    assert_eq!(b.documents().len(), 1);
}

/// The client pushes new documents oldest first (by import time) and the server counts and
/// locks by first commit, so the newest is the one that waits, and after a downgrade the one
/// that is locked, on every device.
#[test]
fn on_start_the_sixth_receipt_waits_and_after_a_downgrade_the_newest_is_locked() {
    let server = server_with_default_plans();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let mut ids = vec![];
    for i in 0..6 {
        let title = format!("Receipt {i}");
        ids.push(a.import(
            &format!("r{i}.txt"),
            title.as_bytes(),
            &["--kind", "receipt", "--title", &title],
        ));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    a.ok(&["sync"]);
    let status = a.ok(&["account", "status"]);
    assert!(
        status.contains(&format!("Not synced (plan limit): {}", ids[5])),
        "{status}"
    );
    for id in &ids[..5] {
        assert!(!status.contains(&format!("plan limit): {id}")), "{status}");
    }
    // On Plus all six sync; after the downgrade a second device sees the newest locked.
    server.admin(&["plan", "grant", &email, "plus", "--until", "2099-12-31"]);
    a.ok(&["sync"]);
    let b = Device::from_server(&server, &email);
    server.admin(&["plan", "expire", &email]);
    b.ok(&["sync"]);
    let status: serde_json::Value =
        serde_json::from_str(&b.ok(&["account", "status", "--json"])).unwrap();
    let locked: Vec<&str> = status["entitlement"]["locked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(locked, [ids[5].as_str()]);
    for id in &ids[..5] {
        let out = b.path(&format!("{id}.out"));
        b.ok(&["get", id, "--out", out.to_str().unwrap()]);
    }
}
