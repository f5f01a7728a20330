//! A document's cached data (thumbnails) lives in the encrypted store, goes with the document
//! when it is purged, and stays out of backups.

use std::sync::Arc;

use coffer_core::backup::manifest;
use coffer_core::{ImportOptions, ImportOutcome, KdfParams, RecoveryPhrase, SystemClock, Vault};
use rand::rngs::OsRng;
use secrecy::SecretString;

#[test]
fn a_documents_cache_is_purged_with_it_and_left_out_of_backups() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(
        dir.path().join("vault"),
        &SecretString::from("document cache"),
        KdfParams::default_pbkdf2(),
        &RecoveryPhrase::generate(&mut OsRng),
        Arc::new(SystemClock),
    )
    .unwrap();
    let mut import = |name: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, name).unwrap();
        match vault.import(&file, &ImportOptions::default()).unwrap() {
            ImportOutcome::Imported(doc) => doc.id,
            other => panic!("{other:?}"),
        }
    };
    let (kept, purged) = (import("kept.txt"), import("purged.txt"));
    vault.set_setting("language", Some("cs")).unwrap();
    for id in [kept, purged] {
        vault
            .set_document_cache(id, "thumbnail.v1", Some("picture"))
            .unwrap();
    }

    vault.purge(purged).unwrap();
    assert_eq!(vault.document_cache(purged, "thumbnail.v1").unwrap(), None);
    assert_eq!(
        vault
            .document_cache(kept, "thumbnail.v1")
            .unwrap()
            .as_deref(),
        Some("picture")
    );

    let settings = manifest(&vault).unwrap().settings;
    assert_eq!(settings.get("language").map(String::as_str), Some("cs"));
    assert!(
        settings.keys().all(|k| !k.contains(&kept.to_string())),
        "{settings:?}"
    );
}
