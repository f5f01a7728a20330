//! Opt-in e-mail reminders end to end: a real `coffer-server` process, vaults driven through
//! the real `coffer` command. Only dates and opaque ids reach the server, and only on a paid
//! plan; a free plan is a note, not a failed sync.
//! Needs the server binary next to `coffer` (`cargo build -p coffer-server`; `make test` does).

mod sync_support;

use std::process::Command;

use sync_support::{Device, Server, start_server, stored_files};
use time::{Duration, OffsetDateTime};

const EMAIL: &str = "jana@example.test";
/// A title the server must never see: searched for in every file it stores.
const TITLE: &str = "Kettle-warranty-title-marker-5c1e";
const NOT_ON_PLAN: &str = "e-mail reminders need a paid plan; they stay off on the server";

/// `coffer reminders --email status --json`.
fn status(device: &Device) -> serde_json::Value {
    serde_json::from_str(&device.ok(&["reminders", "--email", "status", "--json"])).unwrap()
}

/// The server's reminders: (id, date, days before), sorted.
fn registered(device: &Device) -> Vec<(String, String, u64)> {
    let mut out: Vec<_> = status(device)["server"]["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["date"].as_str().unwrap().to_string(),
                r["days_before"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Support grants the account the paid plan (`plus` in the test catalog and the default one,
/// which this admin command reads) for a year.
fn grant_plus(server: &Server) {
    let binary =
        std::path::PathBuf::from(env!("CARGO_BIN_EXE_coffer")).with_file_name("coffer-server");
    let out = Command::new(binary)
        .args([
            "admin",
            "plan",
            "grant",
            EMAIL,
            "plus",
            "--until",
            &in_days(365),
            "--data",
        ])
        .arg(&server.data)
        .env_remove("COFFER_PLANS_FILE")
        .env_remove("COFFER_DATABASE_URL")
        .env_remove("COFFER_BLOB_STORE")
        .env_remove("COFFER_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn in_days(days: i64) -> String {
    (OffsetDateTime::now_utc().date() + Duration::days(days)).to_string()
}

/// A warranty ending in 60 days: reminders 30 and 7 days before.
fn import_warranty(device: &Device) -> String {
    let id = device.import(
        "kettle.txt",
        b"kettle warranty card",
        &["--title", TITLE, "--kind", "warranty"],
    );
    device.ok(&["edit", &id, "--expiry", &in_days(60)]);
    id
}

#[test]
fn email_reminders_cannot_be_switched_on_without_an_account() {
    let server = start_server();
    let lone = Device::new(&server);
    lone.init();
    import_warranty(&lone);
    let err = lone.fails(&["reminders", "--email", "on"]);
    assert!(err.contains("e-mail reminders need an account"), "{err}");
    assert!(err.contains("coffer account register"), "{err}");
    assert_eq!(status(&lone)["email"], false);
    assert!(status(&lone)["server"].is_null());
    // Off needs no account.
    lone.ok(&["reminders", "--email", "off"]);
}

#[test]
fn a_paid_plan_registers_ids_and_dates_only_the_same_on_every_device_and_off_deletes_them() {
    let server = start_server();
    let a = Device::registered(&server, EMAIL);
    import_warranty(&a);
    a.ok(&["sync"]);

    // START: the opt-in is kept, the server refuses and stores nothing, nothing fails.
    let on = a.run(&["reminders", "--email", "on"]);
    assert!(on.status.success());
    assert!(String::from_utf8_lossy(&on.stderr).contains(NOT_ON_PLAN));
    let sync = a.run(&["sync"]);
    assert_eq!(sync.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&sync.stderr).contains(NOT_ON_PLAN));
    assert_eq!(status(&a)["email"], true);
    assert!(registered(&a).is_empty());

    // Plus: the next sync registers one reminder per lead time.
    grant_plus(&server);
    let out = a.ok(&["sync"]);
    assert!(out.contains("E-mail reminders: 2 registered."), "{out}");
    let on_server = registered(&a);
    let deadline = in_days(60);
    let mut dates: Vec<_> = on_server.iter().map(|r| (r.1.as_str(), r.2)).collect();
    dates.sort();
    assert_eq!(dates, vec![(deadline.as_str(), 7), (deadline.as_str(), 30)]);
    assert_eq!(status(&a)["server"]["active"], true);
    assert_eq!(status(&a)["language"], "en");
    for (path, bytes) in stored_files(&server) {
        assert!(
            !bytes.windows(TITLE.len()).any(|w| w == TITLE.as_bytes()),
            "the title is in the clear in {}",
            path.display()
        );
    }

    // Another device of the vault computes the very same ids: a re-registration, not a copy.
    let b = Device::from_server(&server, EMAIL);
    let out = b.ok(&["reminders", "--email", "on", "--email-language", "cs"]);
    assert!(out.contains("2 registered"), "{out}");
    assert_eq!(
        registered(&b).iter().map(|r| &r.0).collect::<Vec<_>>(),
        on_server.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    assert_eq!(status(&b)["server"]["reminders"][0]["language"], "cs");

    // Off deletes them on the server, for every device; a later sync registers nothing.
    let out = a.ok(&["reminders", "--email", "off"]);
    assert!(out.contains("the server holds none"), "{out}");
    assert!(registered(&b).is_empty());
    assert_eq!(status(&a)["email"], false);
    let out = a.ok(&["sync"]);
    assert!(!out.contains("E-mail reminders"), "{out}");
    assert!(registered(&a).is_empty());
}
