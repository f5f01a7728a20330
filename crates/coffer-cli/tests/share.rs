//! `coffer share` end to end: a real `coffer-server` process and vaults driven through the
//! real `coffer` command. The link opens (with the key only it holds) to exactly the export
//! it was made from, downloads are counted, revoking ends it at once, the server never holds
//! a readable byte, and a vault without an account or with a locked document shares nothing.

mod sync_support;

use coffer_core::crypto::share::{ShareKey, decrypt};
use sync_support::{Device, server_with_default_plans, start_server, stored_files, unique_email};

const EVERYTHING: [&str; 4] = ["--from", "2000-01-01", "--to", "2099-12-31"];

/// The id and the key of a printed link to `server_url`.
fn parse_link(link: &str, server_url: &str) -> (String, ShareKey) {
    let rest = link
        .trim()
        .strip_prefix(&format!("{server_url}/s/"))
        .unwrap_or_else(|| panic!("`{link}` is not a link to {server_url}"));
    let (id, key) = rest.split_once('#').expect("the key is in the fragment");
    (id.to_owned(), ShareKey::from_base64url(key).unwrap())
}

fn fetch(server_url: &str, id: &str) -> (u16, Vec<u8>) {
    coffer_testkit::api::init();
    let answer = reqwest::blocking::get(format!("{server_url}/s/{id}/data")).unwrap();
    (answer.status().as_u16(), answer.bytes().unwrap().to_vec())
}

fn listed(device: &Device) -> serde_json::Value {
    serde_json::from_str(&device.ok(&["share", "list", "--json"])).unwrap()
}

#[test]
fn a_share_link_opens_to_the_export_counts_downloads_and_ends_when_revoked() {
    let server = start_server();
    let a = Device::registered(&server, &unique_email());
    let marker = "Kettle-7f3a receipt from the hardware shop";
    a.import(
        "kettle.txt",
        marker.as_bytes(),
        &["--title", "Kettle-7f3a", "--kind", "receipt"],
    );
    a.import(
        "lamp.txt",
        b"Lamp-91c2 receipt",
        &["--title", "Lamp-91c2", "--kind", "invoice"],
    );
    let copy = a.path("copy.zip");
    let mut args = vec!["share", "create"];
    args.extend(EVERYTHING);
    args.extend(["--with", "pohoda", "--with", "isdoc", "--expires-in", "3"]);
    args.extend(["--keep-copy", copy.to_str().unwrap()]);
    let out = a.run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let link = String::from_utf8(out.stdout).unwrap();
    assert_eq!(link.lines().count(), 1, "only the link on stdout: {link}");
    assert!(stderr.contains("Shared 2 documents"), "{stderr}");
    assert!(stderr.contains("share revoke"), "{stderr}");
    let (id, key) = parse_link(&link, &server.url);

    // Whoever holds the link gets exactly the export (the kept copy), named for the period.
    let (status, sealed) = fetch(&server.url, &id);
    assert_eq!(status, 200);
    let mut zip = Vec::new();
    let opened = decrypt(&key, &sealed[..], &mut zip).unwrap();
    assert_eq!(opened.name, "coffer-export-2000-01-01-2099-12-31.zip");
    assert_eq!(zip, std::fs::read(&copy).unwrap());
    assert!(zip.starts_with(b"PK\x03\x04"));
    for name in ["pohoda.xml", "Kettle-7f3a", "Lamp-91c2"] {
        assert!(
            zip.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name} in the ZIP"
        );
    }
    // Another key opens nothing.
    let other = ShareKey::from_bytes([7; 32]);
    assert!(decrypt(&other, &sealed[..], &mut Vec::new()).is_err());
    // The server holds only ciphertext.
    for (path, bytes) in stored_files(&server) {
        for marker in [marker.as_bytes(), b"pohoda.xml", b"Lamp-91c2", &zip[..64]] {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker),
                "{} holds a plaintext marker",
                path.display()
            );
        }
    }

    let shares = listed(&a);
    assert_eq!(shares.as_array().unwrap().len(), 1, "{shares}");
    assert_eq!(shares[0]["id"], id.as_str());
    assert_eq!(shares[0]["state"], "active");
    assert_eq!(shares[0]["downloads"], 1);
    assert_eq!(
        shares[0]["expires_at"].as_i64().unwrap() - shares[0]["created_at"].as_i64().unwrap(),
        3 * 86_400
    );
    let table = a.ok(&["share", "list"]);
    assert!(table.contains(&id) && table.contains("active"), "{table}");

    // Revoked: the link stops at once.
    a.ok(&["share", "revoke", &id]);
    assert_eq!(fetch(&server.url, &id).0, 410);
    assert_eq!(listed(&a)[0]["state"], "revoked");
    let unknown = uuid::Uuid::new_v4().to_string();
    let err = a.fails(&["share", "revoke", &unknown]);
    assert!(err.contains("coffer share list"), "{err}");
    // Bad input is refused before anything is built.
    let out = a.run(&[
        "share",
        "create",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--expires-in",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(listed(&a).as_array().unwrap().len(), 1);
}

#[test]
fn a_vault_without_an_account_or_with_a_locked_document_shares_nothing() {
    let server = server_with_default_plans();
    let alone = Device::new(&server);
    alone.init();
    alone.import("a.txt", b"a receipt", &[]);
    let err = alone.fails(&[&["share", "create"][..], &EVERYTHING[..]].concat());
    assert!(err.contains("account"), "{err}");

    // START takes 3 documents a month; after a paid month and a downgrade one is locked.
    let email = unique_email();
    let a = Device::registered(&server, &email);
    for i in 0..4 {
        a.import(&format!("doc{i}.txt"), format!("doc {i}").as_bytes(), &[]);
    }
    server.admin(&["plan", "grant", &email, "plus", "--until", "2099-12-31"]);
    a.ok(&["sync"]);
    server.admin(&["plan", "expire", &email]);
    // The lock is fetched by the share itself: no sync ran since the downgrade.
    let copy = a.path("copy.zip");
    let err = a.fails(
        &[
            &["share", "create"][..],
            &EVERYTHING[..],
            &["--keep-copy", copy.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(err.contains("are locked"), "{err}");
    assert!(!copy.exists(), "no copy of a refused export");
    assert!(listed(&a).as_array().unwrap().is_empty());
}
