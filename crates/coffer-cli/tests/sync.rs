//! Sync end to end: a real `coffer-server` process on a loopback port and vaults driven
//! through the real `coffer` command, as scripts and people use them.
//! Needs the server binary next to `coffer` (`cargo build -p coffer-server`; `make test` does).

mod sync_support;

use rand::RngCore;
use reqwest::Method;
use sync_support::{
    Device, PASSWORD, Probe, remote_ocr_stand_in, server_with_default_plans, start_server,
    stored_files, unique_email,
};

fn show(device: &Device, id: &str) -> serde_json::Value {
    serde_json::from_str(&device.ok(&["show", id, "--json"])).unwrap()
}

fn copy_of<'a>(docs: &'a [(String, String, bool)], title: &str) -> &'a str {
    let wanted = format!("{title} (conflicted copy)");
    &docs
        .iter()
        .find(|(_, t, _)| *t == wanted)
        .unwrap_or_else(|| panic!("no `{wanted}` among {docs:?}"))
        .0
}

#[test]
fn two_devices_sync_imports_edits_deletes_and_conflicts_both_ways() {
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let kettle = a.import("kettle.txt", b"kettle receipt", &["--title", "Kettle"]);
    a.ok(&["sync"]);

    // A second device gets the vault and its documents from the server.
    let b = Device::from_server(&server, &email);
    assert_eq!(b.title(&kettle).as_deref(), Some("Kettle"));
    assert_eq!(b.content(&kettle), b"kettle receipt");

    // Imports travel both ways.
    let toaster = b.import("toaster.txt", b"toaster warranty", &["--title", "Toaster"]);
    // Its own write coming back in the change feed is not counted as pulled.
    let out = b.ok(&["sync"]);
    assert!(out.contains("1 change(s) pushed, 0 pulled"), "{out}");
    let out = a.ok(&["sync"]);
    assert!(out.contains("0 change(s) pushed, 1 pulled"), "{out}");
    assert_eq!(a.title(&toaster).as_deref(), Some("Toaster"));
    assert_eq!(a.content(&toaster), b"toaster warranty");

    // So do edits.
    a.ok(&["edit", &kettle, "--title", "Kettle A", "--tag", "home"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(show(&b, &kettle)["title"], "Kettle A");
    assert_eq!(show(&b, &kettle)["tags"], serde_json::json!(["home"]));
    b.ok(&["edit", &toaster, "--merchant", "Alza"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(show(&a, &toaster)["merchant"], "Alza");

    // A conflict, A first: A's version keeps the id, B's edit becomes a copy.
    a.ok(&["edit", &kettle, "--title", "Kettle by A"]);
    b.ok(&["edit", &kettle, "--title", "Kettle by B"]);
    a.ok(&["sync"]);
    let out = b.ok(&["sync"]);
    assert!(out.contains("1 conflict(s)"), "{out}");
    assert_eq!(b.title(&kettle).as_deref(), Some("Kettle by A"));
    let docs = b.documents();
    let kettle_copy = copy_of(&docs, "Kettle by B").to_string();
    assert_eq!(b.content(&kettle_copy), b"kettle receipt");

    // The other way round, B first.
    b.ok(&["edit", &toaster, "--title", "Toaster by B"]);
    a.ok(&["edit", &toaster, "--title", "Toaster by A"]);
    b.ok(&["sync"]);
    let out = a.ok(&["sync"]);
    assert!(out.contains("1 conflict(s)"), "{out}");
    assert_eq!(a.title(&toaster).as_deref(), Some("Toaster by B"));
    let toaster_copy = copy_of(&a.documents(), "Toaster by A").to_string();
    assert_eq!(a.content(&toaster_copy), b"toaster warranty");
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(a.documents(), b.documents());
    assert_eq!(a.documents().len(), 4);

    // Trash travels as trash (restorable everywhere); a purge as a deletion.
    a.ok(&["rm", &kettle]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert!(
        b.documents()
            .iter()
            .any(|(id, _, trashed)| *id == kettle && *trashed)
    );
    b.ok(&["rm", "--purge", &kettle]);
    b.ok(&["rm", "--purge", &toaster_copy]);
    b.ok(&["sync"]);
    // A deletion from another device never deletes here at once: it moves to the trash for
    // 30 days (restorable), and emptying the trash is this device's own decision.
    a.ok(&["sync"]);
    let trashed = |d: &Device, id: &str| d.documents().iter().any(|(i, _, t)| i == id && *t);
    assert!(trashed(&a, &kettle) && trashed(&a, &toaster_copy));
    a.ok(&["rm", "--purge", &kettle, &toaster_copy]);
    a.ok(&["sync"]);
    assert_eq!(a.title(&kettle), None);
    assert_eq!(a.title(&toaster_copy), None);
    a.ok(&["rm", "--purge", &kettle_copy]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert!(trashed(&b, &kettle_copy));
    b.ok(&["rm", "--purge", &kettle_copy]);
    b.ok(&["sync"]);
    assert_eq!(b.title(&kettle_copy), None);
    assert_eq!(a.documents(), b.documents());
    let remaining: Vec<String> = b.documents().into_iter().map(|(id, _, _)| id).collect();
    assert_eq!(remaining, vec![toaster.clone()]);

    // A third device starting now sees exactly the same.
    let c = Device::from_server(&server, &email);
    assert_eq!(c.documents(), a.documents());
    assert_eq!(c.content(&toaster), b"toaster warranty");
}

#[test]
fn another_account_cannot_list_read_overwrite_or_delete_the_first_accounts_items() {
    let server = start_server();
    let first = unique_email();
    let a = Device::registered(&server, &first);
    let secret = a.import("lease.txt", b"the lease", &["--title", "Lease"]);
    a.ok(&["sync"]);
    let blob = a.blob_names().pop().unwrap();

    let other = unique_email();
    let intruder = Device::registered(&server, &other);
    intruder.import("own.txt", b"my own", &["--title", "Own"]);
    intruder.ok(&["sync"]);
    let titles: Vec<String> = intruder.documents().into_iter().map(|d| d.1).collect();
    assert_eq!(titles, vec!["Own".to_string()]);

    let probe = Probe::login(&server, &other);
    let item = coffer_api::routes::item(secret.parse().unwrap());
    let forged = serde_json::json!({
        "kind_class": "document", "created_month": "2026-11", "padded_size": 4096,
        "envelope": "AAAA", "blobs": [{"sha256": blob, "size": 4096}]
    });
    let (status, _) = probe.send(Method::GET, &item, &[], None);
    assert_eq!(status, 404, "reading another account's item");
    let (status, _) = probe.send(Method::PUT, &item, &[("if-match", "\"1\"")], Some(&forged));
    // As for any id this account never wrote: nothing to replace (never an insert).
    assert_eq!(status, 412, "overwriting another account's item");
    let (status, _) = probe.send(Method::DELETE, &item, &[("if-match", "\"1\"")], None);
    assert_eq!(status, 404, "deleting another account's item");
    let (status, _) = probe.send(Method::GET, &coffer_api::routes::blob(&blob), &[], None);
    assert_eq!(status, 404, "reading another account's blob");
    let (status, body) = probe.send(Method::GET, "/v1/changes?since=0", &[], None);
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&body).contains(&secret));
    // Creating an item under the same id lands in the intruder's own account only.
    let (status, _) = probe.send(Method::PUT, &item, &[("if-none-match", "*")], Some(&forged));
    assert_ne!(status, 200, "a commit naming another account's blob");

    // The first account's document is untouched, on its devices and for a new one.
    a.ok(&["sync"]);
    assert_eq!(a.title(&secret).as_deref(), Some("Lease"));
    let fresh = Device::from_server(&server, &first);
    assert_eq!(fresh.title(&secret).as_deref(), Some("Lease"));
    assert_eq!(fresh.content(&secret), b"the lease");
}

#[test]
fn a_server_killed_mid_upload_loses_nothing_and_the_next_sync_resumes() {
    let mut server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let mut big = vec![0u8; 96 * 1024 * 1024];
    rand::rngs::OsRng.fill_bytes(&mut big);
    let id = a.import("scan.bin", &big, &["--title", "Big scan"]);

    // Kill the server as soon as the first chunk is through.
    a.sync_until_the_server_dies(&mut server, |line| line.contains("uploading"));

    // Nothing is lost locally; after a restart the upload continues where it stopped.
    assert_eq!(a.content(&id), big);
    server.restart();
    let out = a.command(&["sync"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("resuming an upload at"), "{err}");

    let b = Device::from_server(&server, &email);
    assert_eq!(b.title(&id).as_deref(), Some("Big scan"));
    assert_eq!(b.content(&id), big);
}

#[test]
fn a_server_killed_while_batches_are_in_flight_loses_nothing_and_stores_each_document_once() {
    const DOCUMENTS: usize = 1_000;
    let mut server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let mut contents = Vec::with_capacity(DOCUMENTS);
    let mut files = Vec::with_capacity(DOCUMENTS);
    for i in 0..DOCUMENTS {
        let mut content = vec![0u8; 300 + i % 700];
        rand::rngs::OsRng.fill_bytes(&mut content);
        files.push(a.write(&format!("receipt-{i}.bin"), &content));
        contents.push(content);
    }
    let mut args = vec!["import", "--no-ocr"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let imported = a.ok(&args);
    let ids: Vec<&str> = imported
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids.len(), DOCUMENTS);

    // Kill the server once the first batch is answered, while the next ones are on their way.
    let rest = a.sync_until_the_server_dies(&mut server, |line| line.starts_with("pushed "));
    assert!(
        !rest.contains(&format!("pushed {DOCUMENTS}/{DOCUMENTS}")),
        "the kill came too late to test anything: {rest}"
    );
    assert_eq!(a.documents().len(), DOCUMENTS);

    // After a restart the same writes go again; the server takes each document once.
    server.restart();
    a.ok(&["sync"]);
    let again = a.run(&["sync"]);
    let again = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.contains("pushed"),
        "a second sync pushed again: {again}"
    );
    let b = Device::from_server(&server, &email);
    let mut theirs: Vec<String> = b.documents().into_iter().map(|(id, _, _)| id).collect();
    let mut ours: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    theirs.sort();
    ours.sort();
    assert_eq!(
        theirs, ours,
        "the new device holds every document exactly once"
    );
    for i in [0, DOCUMENTS / 2, DOCUMENTS - 1] {
        assert_eq!(b.content(ids[i]), contents[i], "document {i}");
    }
}

#[test]
fn the_server_never_stores_content_titles_tags_or_fields_in_the_clear() {
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let markers = [
        "MARKERCONTENT7f3a",
        "MARKERTITLE91bc",
        "MARKERTAG55de",
        "MARKERMERCHANT0a1b",
        "MARKERNOTES2c3d",
        "MARKERNUMBER4e5f",
        "MARKERFILENAME6a7b",
    ];
    let id = a.import(
        &format!("{}.txt", markers[6]),
        format!("receipt text {} total 12.30", markers[0]).as_bytes(),
        &["--title", markers[1], "--tag", markers[2]],
    );
    a.ok(&[
        "edit",
        &id,
        "--merchant",
        markers[3],
        "--notes",
        markers[4],
        "--number",
        markers[5],
        "--total",
        "12.30",
        "--currency",
        "CZK",
    ]);
    a.ok(&["sync"]);
    // The markers did reach the server, encrypted: a second device reads them all back.
    let b = Device::from_server(&server, &email);
    let doc = show(&b, &id);
    assert_eq!(doc["title"], markers[1]);
    assert_eq!(doc["merchant"], markers[3]);
    assert!(
        String::from_utf8(b.content(&id))
            .unwrap()
            .contains(markers[0])
    );

    let files = stored_files(&server);
    assert!(
        files.iter().any(|(_, bytes)| bytes.len() > 1000),
        "the server stored nothing?"
    );
    for (path, bytes) in &files {
        for marker in &markers {
            let found = bytes
                .windows(marker.len())
                .any(|w| w.eq_ignore_ascii_case(marker.as_bytes()));
            assert!(!found, "{marker} in clear in {}", path.display());
        }
    }
}

#[test]
fn wrong_password_revoked_device_and_server_down_give_clear_errors() {
    let mut server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);

    let lost = Device::new(&server).with_password("not the password at all");
    let err = lost.fails(&["init", "--from-server", "--email", &email]);
    assert!(err.contains("wrong e-mail address or password"), "{err}");
    assert!(!lost.vault.join("vault.json").exists());
    let err =
        Device::new(&server).fails(&["init", "--from-server", "--email", "nobody@example.test"]);
    assert!(err.contains("wrong e-mail address or password"), "{err}");

    let b = Device::from_server(&server, &email);
    let devices: serde_json::Value =
        serde_json::from_str(&b.ok(&["account", "devices", "--json"])).unwrap();
    let this = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["current"] == true)
        .unwrap()["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    a.ok(&["account", "revoke", &this]);
    let err = b.fails(&["sync"]);
    assert!(
        err.contains("no longer signed in") && err.contains("account login"),
        "{err}"
    );
    // Logging in again brings it back.
    b.ok(&["account", "login"]);
    b.ok(&["sync"]);

    let alone = Device::new(&server);
    alone.init();
    let err = alone.fails(&["sync"]);
    assert!(err.contains("not connected to an account"), "{err}");

    server.kill();
    let err = a.fails(&["sync"]);
    assert!(err.contains("cannot reach the Coffer server"), "{err}");
    assert!(err.contains("nothing was lost"), "{err}");
}

#[test]
fn account_export_writes_the_archive_and_delete_disconnects_the_vault() {
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let id = a.import("bill.txt", b"a bill", &["--title", "Bill"]);
    a.ok(&["sync"]);
    let archive = a.path("account.tar");
    a.ok(&["account", "export", "--out", archive.to_str().unwrap()]);
    let bytes = std::fs::read(&archive).unwrap();
    assert!(bytes.len() > 1024);
    assert!(
        bytes.windows(id.len()).any(|w| w == id.as_bytes()),
        "the archive lists the item"
    );
    let payments = a.ok(&["account", "payments"]);
    assert_eq!(payments, "No payments yet.\n");
    let payments: serde_json::Value =
        serde_json::from_str(&a.ok(&["account", "payments", "--json"])).unwrap();
    assert_eq!(
        payments,
        serde_json::json!({"payments": [], "invoices": []})
    );
    let err = a.fails(&["account", "delete", "--email", "someone-else@example.test"]);
    assert!(err.contains("server refused"), "{err}");
    a.ok(&["account", "delete", "--email", &email]);
    let err = a.fails(&["sync"]);
    assert!(err.contains("not connected to an account"), "{err}");
    assert_eq!(a.title(&id).as_deref(), Some("Bill"));
    let err = Device::new(&server).fails(&["init", "--from-server", "--email", &email]);
    assert!(err.contains("wrong e-mail address or password"), "{err}");
}

#[test]
fn the_plan_limit_keeps_documents_local_and_locked_documents_stay_shut_even_offline() {
    let mut server = server_with_default_plans();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let ids: Vec<String> = (0..4)
        .map(|i| {
            let title = format!("Doc {i}");
            a.import(
                &format!("doc{i}.txt"),
                title.as_bytes(),
                &["--title", &title],
            )
        })
        .collect();

    // START takes 3 documents a month: the fourth stays on this device.
    let out = a.run(&["sync"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("not synced (plan limit)"), "{err}");
    let status = a.ok(&["account", "status"]);
    assert!(status.contains("Plan:      start"), "{status}");
    assert!(status.contains("3 of 3 documents"), "{status}");
    let held: Vec<&str> = status
        .lines()
        .filter_map(|l| l.strip_prefix("Not synced (plan limit): "))
        .collect();
    assert_eq!(held.len(), 1, "{status}");
    assert!(ids.iter().any(|id| held[0].starts_with(id.as_str())));

    // A paid plan lifts the limit: the next sync sends it.
    server.admin(&["plan", "grant", &email, "plus", "--until", "2099-12-31"]);
    let out = a.ok(&["sync"]);
    assert!(out.contains("0 not synced"), "{out}");

    // Back to START: what is beyond its limits is locked, here and on the server.
    server.admin(&["plan", "expire", &email]);
    a.ok(&["sync"]);
    let status: serde_json::Value =
        serde_json::from_str(&a.ok(&["account", "status", "--json"])).unwrap();
    let locked: Vec<String> = status["entitlement"]["locked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(locked.len(), 1, "{status}");
    assert!(status["entitlement"]["purge_at"].is_i64());
    let locked = &locked[0];
    let open = ids.iter().find(|id| *id != locked).unwrap();

    // Offline, the lock still holds; the other documents open.
    server.kill();
    let target = a.path("locked.out");
    let err = a.fails(&["get", locked, "--out", target.to_str().unwrap()]);
    assert!(err.contains("is locked"), "{err}");
    assert!(!target.exists());
    let err = a.fails(&["edit", locked, "--title", "changed"]);
    assert!(err.contains("is locked"), "{err}");
    // Nor does an accounting export take it (and it leaves no partial archive).
    let books = a.path("books.zip");
    let err = a.fails(&[
        "export",
        "--from",
        "2000-01-01",
        "--to",
        "2099-12-31",
        "--out",
        books.to_str().unwrap(),
    ]);
    assert!(err.contains("are locked"), "{err}");
    assert!(err.contains(locked.as_str()), "{err}");
    assert!(!books.exists());
    assert!(!a.content(open).is_empty());
    let status = a.ok(&["account", "status"]);
    assert!(
        status.contains("offline") && status.contains("Locked:    1"),
        "{status}"
    );

    // Renewing within the grace period unlocks it.
    server.restart();
    server.admin(&["plan", "grant", &email, "plus", "--until", "2099-12-31"]);
    a.ok(&["sync"]);
    assert!(!a.content(locked).is_empty());
}

/// `coffer ocr ID --remote openai --endpoint URL`.
fn remote_ocr<'a>(id: &'a str, endpoint: &'a str) -> [&'a str; 6] {
    ["ocr", id, "--remote", "openai", "--endpoint", endpoint]
}

#[test]
fn remote_ocr_on_a_connected_vault_uses_the_plans_credits_and_start_refuses_it_even_offline() {
    let mut server = start_server();
    let provider = remote_ocr_stand_in();
    let png = b"\x89PNG\r\n\x1a\n a photographed receipt";
    let remote = |device: &Device, id: &str| {
        device.run(&[&remote_ocr(id, &provider.url)[..], &["--json"]].concat())
    };
    let with_key = |device: &Device| {
        let out = device
            .command(&["ocr-key", "openai"])
            .env("COFFER_OCR_API_KEY", "sk-test")
            .output()
            .unwrap();
        assert!(out.status.success());
    };

    // A vault never connected to an account is the user's own: their key, no limits.
    let own = Device::new(&server);
    own.init();
    with_key(&own);
    let id = own.import("receipt.png", png, &[]);
    let out = remote(&own, &id);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("credit"), "{err}");
    assert_eq!(provider.requests(), 1);

    // A connected START vault: refused before anything is sent.
    let email = unique_email();
    let a = Device::registered(&server, &email);
    with_key(&a);
    let id = a.import("receipt.png", png, &[]);
    let err = a.fails(&remote_ocr(&id, &provider.url));
    assert!(
        err.contains("remote OCR is part of the paid plans") && err.contains("(start)"),
        "{err}"
    );
    assert_eq!(provider.requests(), 1);

    // A paid plan: each remote call uses one of its credits.
    server.admin(&["plan", "grant", &email, "plus", "--until", "2099-12-31"]);
    let out = remote(&a, &id);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("used a remote OCR credit of the plus plan: 1 of 100 this month"),
        "{err}"
    );
    assert_eq!(provider.requests(), 2);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["ocr_text"].as_str().unwrap().contains("Kavárna"),
        "{doc}"
    );
    let status = a.ok(&["account", "status"]);
    assert!(status.contains("1 of 100 remote OCR credits"), "{status}");

    // The plan ends: remote OCR stops at once, offline too (from the cached entitlement).
    server.admin(&["plan", "expire", &email]);
    a.ok(&["account", "status"]);
    server.kill();
    let err = a.fails(&remote_ocr(&id, &provider.url));
    assert!(
        err.contains("remote OCR is part of the paid plans"),
        "{err}"
    );
    assert_eq!(provider.requests(), 2);
}

#[test]
fn a_password_change_or_recovery_reaches_the_account_and_signs_the_other_devices_out() {
    const NEW: &str = "a brand new password for both";
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let note = a.import("note.txt", b"a note", &[]);
    a.ok(&["sync"]);
    let b = Device::from_server(&server, &email);

    let out = a
        .command(&["passwd"])
        .env("COFFER_NEW_PASSWORD", NEW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("other devices are signed out"));

    // This device goes on with its session and the new password.
    let a = a.with_password(NEW);
    a.ok(&["sync"]);
    // The other device was signed out.
    assert!(b.fails(&["sync"]).contains("log"), "a clear sign-in hint");
    // A new device needs the new password; the old one no longer opens the account.
    Device::new(&server).fails(&["init", "--from-server", "--email", &email]);
    let c = Device::new(&server).with_password(NEW);
    c.ok(&["init", "--from-server", "--email", &email]);
    c.ok(&["sync"]);
    assert_eq!(c.content(&note), b"a note");

    // Recovery with the phrase sets a password for the account as well.
    const RECOVERED: &str = "a password set with the recovery phrase";
    // The second device's vault has the first one's recovery phrase (the same vault key).
    let phrase = a.path("phrase");
    // Changing the account's password needs its current one (a step-up): the phrase opens the
    // vault, not the account.
    let out = c
        .command(&["recover", "--recovery-file", phrase.to_str().unwrap()])
        .env("COFFER_NEW_PASSWORD", RECOVERED)
        .env("COFFER_ACCOUNT_PASSWORD", NEW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d = Device::new(&server).with_password(RECOVERED);
    d.ok(&["init", "--from-server", "--email", &email]);
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// The `locked` ids and `purge_at` (Unix seconds) of a device's cached entitlement.
fn locked_and_purge_at(device: &Device) -> (Vec<String>, i64) {
    let status: serde_json::Value =
        serde_json::from_str(&device.ok(&["account", "status", "--json"])).unwrap();
    let locked = status["entitlement"]["locked"]
        .as_array()
        .unwrap_or_else(|| panic!("no lock list in {status}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    (
        locked,
        status["entitlement"]["purge_at"].as_i64().unwrap_or(0),
    )
}

#[test]
fn a_downgrade_locks_on_every_device_and_the_purge_after_the_grace_period_removes_it_everywhere() {
    let server = server_with_default_plans();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    server.admin(&["plan", "grant", &email, "plus", "--until", "2099-12-31"]);
    // Six receipts in one month: START keeps five of them.
    for i in 0..6 {
        let title = format!("Receipt {i}");
        a.import(
            &format!("r{i}.txt"),
            title.as_bytes(),
            &["--kind", "receipt", "--title", &title],
        );
    }
    a.ok(&["sync"]);
    let b = Device::from_server(&server, &email);
    assert_eq!(b.documents().len(), 6);

    server.admin(&["plan", "expire", &email]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let (locked, purge_at) = locked_and_purge_at(&b);
    assert_eq!(locked.len(), 1, "one receipt beyond START's five");
    assert_eq!(
        locked_and_purge_at(&a).0,
        locked,
        "the same lock on both devices"
    );
    let locked = &locked[0];
    let target = b.path("locked.out");
    assert!(
        b.fails(&["get", locked, "--out", target.to_str().unwrap()])
            .contains("is locked")
    );
    assert!(!target.exists());

    // The jobs warn by e-mail 14 and 3 days before the purge (each warning once).
    for days in [14, 3] {
        server.operate(&["jobs", "run", "--now", &rfc3339(purge_at - days * 86_400)]);
    }
    if let Some(messages) = coffer_testkit::maildir::messages() {
        let warnings = messages
            .iter()
            .filter(|m| m.contains(&email) && m.contains("locked documents will be deleted on"))
            .count();
        assert_eq!(warnings, 2, "{messages:#?}");
    } else {
        eprintln!("note: no SMTP sink (run through scripts/with-test-services.sh); mail not read");
    }

    // The jobs one hour past the purge date delete it on the server (and, two months on, the
    // sessions have expired too); each device logs in again and its sync removes the receipt
    // there as well, while the five unlocked ones stay.
    server.operate(&["jobs", "run", "--now", &rfc3339(purge_at + 3600)]);
    for device in [&a, &b] {
        device.ok(&["account", "login"]);
        device.ok(&["sync"]);
        let docs = device.documents();
        assert_eq!(docs.len(), 5, "{docs:?}");
        assert!(docs.iter().all(|(id, _, _)| id != locked), "{docs:?}");
    }
}

#[test]
fn a_password_change_with_the_server_down_says_how_to_finish_it_later() {
    const NEW: &str = "a new password while offline";
    let mut server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    server.kill();
    let out = a
        .command(&["passwd"])
        .env("COFFER_NEW_PASSWORD", NEW)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("run `coffer passwd`"), "{err}");

    // The vault already has the new password; running passwd again once the server is back
    // brings the account along (proving the account's old password once).
    server.restart();
    let a = a.with_password(NEW);
    let out = a
        .command(&["passwd"])
        .env("COFFER_NEW_PASSWORD", NEW)
        .env("COFFER_ACCOUNT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Device::new(&server)
        .with_password(NEW)
        .ok(&["init", "--from-server", "--email", &email]);
}

#[test]
fn a_deletion_on_another_device_moves_to_the_trash_here_and_can_be_restored() {
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let kept = a.import("kept.txt", b"kept receipt", &[]);
    let gone = a.import("gone.txt", b"deleted elsewhere", &[]);
    a.ok(&["sync"]);
    let b = Device::from_server(&server, &email);
    b.ok(&["rm", "--purge", &gone]);
    b.ok(&["sync"]);

    let out = a.command(&["sync"]).output().unwrap();
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("moved to the trash"), "{said}");
    let trashed: Vec<_> = a.documents().into_iter().filter(|d| d.2).collect();
    assert_eq!(trashed.len(), 1);
    assert_eq!(trashed[0].0, gone);
    assert_eq!(
        a.content(&gone),
        b"deleted elsewhere",
        "still whole in the trash"
    );

    // Restoring it writes it again over the tombstone; the other device gets it back.
    a.ok(&["untrash", &gone]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    assert_eq!(b.content(&gone), b"deleted elsewhere");
    assert!(b.documents().iter().all(|d| !d.2));
    assert_eq!(b.title(&kept).as_deref(), Some("kept"));
}

#[test]
fn a_sync_that_would_remove_most_of_the_vault_stops_and_asks_first() {
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let ids: Vec<String> = (0..8)
        .map(|i| {
            a.import(
                &format!("d{i}.txt"),
                format!("document {i}").as_bytes(),
                &[],
            )
        })
        .collect();
    a.ok(&["sync"]);
    let b = Device::from_server(&server, &email);
    let mut purge = vec!["rm", "--purge"];
    purge.extend(ids[..6].iter().map(String::as_str));
    b.ok(&purge);
    b.ok(&["sync"]);

    let err = a.fails(&["sync"]);
    assert!(
        err.contains("6 of the 8") && err.contains("--allow-mass-delete"),
        "{err}"
    );
    assert_eq!(
        a.documents().iter().filter(|d| !d.2).count(),
        8,
        "nothing removed"
    );
    // Asking again still asks; confirming moves them to the trash.
    a.fails(&["sync"]);
    a.ok(&["sync", "--allow-mass-delete"]);
    let docs = a.documents();
    assert_eq!(docs.iter().filter(|d| d.2).count(), 6);
    assert_eq!(docs.iter().filter(|d| !d.2).count(), 2);
    a.ok(&["sync"]);
}

#[test]
fn a_document_larger_than_the_server_takes_syncs_in_parts() {
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let mut big = vec![0u8; 3_500_000];
    rand::thread_rng().fill_bytes(&mut big);
    let id = a.import("scan.bin", &big, &[]);
    let small = a.import("small.txt", b"small", &[]);
    let out = a
        .command(&["sync"])
        .env("COFFER_SYNC_MAX_BLOB_BYTES", "1048576")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server holds it as parts, none above the limit.
    let sizes: Vec<usize> = stored_files(&server).iter().map(|(_, b)| b.len()).collect();
    assert!(
        sizes.iter().all(|&s| s <= 1_048_576 + 64 * 1024),
        "{sizes:?}"
    );
    assert!(
        sizes.iter().filter(|&&s| s > 500_000).count() >= 3,
        "{sizes:?}"
    );
    let b = Device::from_server(&server, &email);
    assert_eq!(b.content(&id), big);
    assert_eq!(b.content(&small), b"small");
}

#[test]
fn a_document_that_cannot_go_waits_while_the_others_sync() {
    let server = start_server();
    let email = unique_email();
    let a = Device::registered(&server, &email);
    let broken = a.import("broken.txt", b"its file is lost", &[]);
    let before = a.blob_names();
    let fine = a.import("fine.txt", b"fine", &[]);
    // The first document's encrypted file is gone: it cannot be sent, the second can.
    for name in &before {
        let path = a.vault.join("blobs").join(&name[..2]).join(name);
        std::fs::remove_file(path).unwrap();
    }
    let out = a.command(&["sync"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("{broken}: not synced")), "{said}");
    let b = Device::from_server(&server, &email);
    assert_eq!(b.content(&fine), b"fine");
    assert_eq!(b.title(&broken), None);
}
