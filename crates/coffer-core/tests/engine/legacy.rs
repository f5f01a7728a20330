//! A vault written by an earlier Coffer (vault format 1, blobs without descriptions; the
//! committed fixture `tests/fixtures/vault-format-1`): it opens with its password, every
//! document reads back whole with its fields, the first unlock describes its blobs, and from
//! then on `repair` can rebuild it without the database.

use std::fs;
use std::path::Path;

use coffer_core::LockedVault;
use secrecy::SecretString;
use sha2::Digest as _;

use crate::support::{Scratch, copy_dir, ids};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vault-format-1");
const RECEIPT: &[u8] = b"Albert supermarket\nCELKEM 248,90 Kc\n";
const SCAN_SHA256: &str = "bbbf46fbbec0185299f95be3ab468e70dec1fa285409d1f8297d13fe8a254afa";

fn password() -> SecretString {
    SecretString::from("format one fixture password")
}

fn open(dir: &Path) -> coffer_core::Vault {
    LockedVault::open(dir)
        .unwrap()
        .unlock(&password())
        .unwrap()
        .vault
}

/// The documents as (title, content's SHA-256, merchant, total).
fn documents(vault: &coffer_core::Vault) -> Vec<(String, String, Option<String>, Option<String>)> {
    let mut docs: Vec<_> = ids(vault)
        .into_iter()
        .map(|id| {
            let doc = vault.document(id).unwrap();
            let mut bytes = Vec::new();
            vault.read_content(id, &mut bytes).unwrap();
            (
                doc.fields.title,
                hex::encode(sha2::Sha256::digest(&bytes)),
                doc.fields.merchant,
                doc.fields.total.map(|t| t.decimal()),
            )
        })
        .collect();
    docs.sort();
    docs
}

#[test]
fn a_format_1_vault_opens_reads_whole_and_can_be_repaired_after_its_first_unlock() {
    let s = Scratch::new();
    let dir = s.path("old vault");
    copy_dir(Path::new(FIXTURE), &dir);
    fs::remove_file(dir.join("README.md")).ok();
    let header = |dir: &Path| -> serde_json::Value {
        serde_json::from_slice(&fs::read(dir.join("vault.json")).unwrap()).unwrap()
    };
    assert_eq!(header(&dir)["format"], 1);

    let expected = vec![
        (
            "receipt".to_string(),
            hex::encode(sha2::Sha256::digest(RECEIPT)),
            None,
            None,
        ),
        (
            "scan".to_string(),
            SCAN_SHA256.to_string(),
            Some("Albert Česká republika".to_string()),
            Some("248.90".to_string()),
        ),
    ];
    let vault = open(&dir);
    assert_eq!(documents(&vault), expected);
    assert!(vault.verify(false, &mut |_| {}).unwrap().is_clean());
    drop(vault);
    assert!(header(&dir)["format"].as_u64().unwrap() > 1, "upgraded");

    // Described now: the database can go, and repair brings both back with their fields.
    for name in ["vault.db", "vault.db-wal", "vault.db-shm"] {
        let _ = fs::remove_file(dir.join(name));
    }
    let report = LockedVault::open(&dir)
        .unwrap()
        .repair(&password())
        .unwrap();
    assert!(report.missing_content.is_empty());
    assert_eq!(documents(&open(&dir)), expected);
    // The fixture itself was only read.
    assert_eq!(header(Path::new(FIXTURE))["format"], 1);
}
