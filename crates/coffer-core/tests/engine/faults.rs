//! The faults a desktop vault meets: a database emptied, deleted, replaced by an older copy or
//! by another vault's; blobs missing, swapped, truncated or left over. Each is refused or
//! reported with nothing deleted, and `repair` brings back every document whose blob is there.

use std::fs;

use coffer_core::{DocumentEdit, Error, LockedVault, Problem};

use crate::support::{Scratch, blob_files, content, ids, password};

fn verify(vault: &coffer_core::Vault, quick: bool) -> Vec<Problem> {
    vault.verify(quick, &mut |_| {}).unwrap().problems
}

fn repair(s: &Scratch) -> coffer_core::RepairReport {
    LockedVault::open(&s.vault)
        .unwrap()
        .repair(&password())
        .unwrap()
}

/// Three documents, one of them edited after import and one in the trash.
fn vault_with_history(s: &Scratch) -> Vec<coffer_core::DocumentId> {
    let mut vault = s.open().unwrap();
    let a = s.import(&mut vault, "kettle.txt", b"kettle receipt");
    let b = s.import(&mut vault, "contract.txt", b"rental contract");
    let c = s.import(&mut vault, "warranty.txt", b"warranty card");
    vault
        .edit(
            a,
            &DocumentEdit {
                merchant: Some("Alza.cz".into()),
                title: Some("Kettle".into()),
                add_tags: vec!["kitchen".into()],
                ..Default::default()
            },
        )
        .unwrap();
    vault.trash(b).unwrap();
    vault.set_setting("language", Some("cs")).unwrap();
    vec![a, b, c]
}

fn assert_history_is_back(s: &Scratch, docs: &[coffer_core::DocumentId]) {
    let vault = s.open().unwrap();
    let mut want = docs.to_vec();
    want.sort();
    assert_eq!(ids(&vault), want);
    let a = vault.document(docs[0]).unwrap();
    assert_eq!(a.fields.title, "Kettle");
    assert_eq!(a.fields.merchant.as_deref(), Some("Alza.cz"));
    assert_eq!(a.fields.tags, ["kitchen"]);
    assert!(a.field_states[&coffer_core::Field::Merchant].confirmed);
    assert!(vault.document(docs[1]).unwrap().trashed_at.is_some());
    assert_eq!(content(&vault, docs[2]), b"warranty card");
    assert_eq!(vault.setting("language").unwrap().as_deref(), Some("cs"));
    assert!(
        verify(&vault, false).is_empty(),
        "{:?}",
        verify(&vault, false)
    );
}

#[test]
fn an_emptied_database_is_refused_with_nothing_deleted_and_repair_brings_everything_back() {
    let s = Scratch::new();
    let docs = vault_with_history(&s);
    let blobs = s.blob_files();
    fs::write(s.vault.join("vault.db"), b"").unwrap();
    let _ = fs::remove_file(s.vault.join("vault.db-wal"));
    for _ in 0..2 {
        assert!(matches!(s.open(), Err(Error::DatabaseEmpty)));
    }
    assert_eq!(s.blob_files(), blobs, "no blob was touched");
    assert_eq!(fs::metadata(s.vault.join("vault.db")).unwrap().len(), 0);

    let report = repair(&s);
    assert_eq!(report.documents, 3);
    assert_eq!(report.from_blobs, 3);
    assert!(
        report.unrecoverable.is_empty(),
        "{:?}",
        report.unrecoverable
    );
    assert!(report.old_database_kept_at.unwrap().exists());
    assert_history_is_back(&s, &docs);
}

#[test]
fn a_deleted_database_is_refused_and_repair_rebuilds_it_from_blobs_and_journal() {
    let s = Scratch::new();
    let docs = vault_with_history(&s);
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(s.vault.join(format!("vault.db{suffix}")));
    }
    let err = s.open().err().unwrap();
    assert!(matches!(err, Error::DatabaseMissing), "{err}");
    // The words of no particular program: the CLI names its command, the app its button.
    assert!(err.to_string().contains("repair"), "{err}");
    assert_eq!(err.code(), coffer_core::ErrorCode::DatabaseNeedsRepair);
    assert!(!s.vault.join("vault.db").exists(), "nothing was created");
    repair(&s);
    assert_history_is_back(&s, &docs);
}

#[test]
fn an_older_database_is_refused_and_repair_keeps_the_newest_version_of_each_document() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let old = s.import(&mut vault, "old.txt", b"imported before the copy");
    let edited = s.import(&mut vault, "edited.txt", b"edited after the copy");
    drop(vault);
    let snapshot = s.snapshot("before");

    let mut vault = s.open().unwrap();
    let newer = s.import(&mut vault, "newer.txt", b"imported after the copy");
    vault
        .edit(
            edited,
            &DocumentEdit {
                notes: Some("changed later".into()),
                ..Default::default()
            },
        )
        .unwrap();
    vault.purge(old).unwrap();
    drop(vault);

    s.put_back_database(&snapshot);
    let blobs = s.blob_files();
    let err = s.open().err().unwrap();
    assert!(matches!(err, Error::DatabaseOlder { .. }), "{err}");
    assert_eq!(s.blob_files(), blobs, "the newer document's blob is kept");

    let report = repair(&s);
    assert_eq!(report.purged_skipped, 1, "the purge after the copy holds");
    let vault = s.open().unwrap();
    let mut want = vec![edited, newer];
    want.sort();
    assert_eq!(ids(&vault), want);
    assert_eq!(
        vault.document(edited).unwrap().fields.notes.as_deref(),
        Some("changed later")
    );
    assert_eq!(content(&vault, newer), b"imported after the copy");
    assert!(verify(&vault, false).is_empty());
}

#[test]
fn another_vaults_database_is_refused_and_left_as_it_is() {
    let s = Scratch::new();
    let other = Scratch::new();
    let mut vault = other.open().unwrap();
    other.import(&mut vault, "theirs.txt", b"someone else's");
    drop(vault);
    let mut vault = s.open().unwrap();
    s.import(&mut vault, "mine.txt", b"mine");
    drop(vault);
    s.put_back_database(&other.vault);
    let before = fs::read(s.vault.join("vault.db")).unwrap();
    let err = s.open().err().unwrap();
    assert!(
        matches!(err, Error::DatabaseUnreadable | Error::DatabaseForeign),
        "{err}"
    );
    assert_eq!(fs::read(s.vault.join("vault.db")).unwrap(), before);
    assert_eq!(s.blob_files().len(), 1);
}

#[test]
fn a_copy_of_the_same_vault_from_another_place_is_refused_as_another_copy() {
    // Two copies of one vault that went their own ways: each database belongs to its own.
    let s = Scratch::new();
    let copy = s.snapshot("copy");
    fs::remove_file(copy.join("vault.db")).unwrap();
    let _ = fs::remove_file(copy.join("vault.db-wal"));
    LockedVault::open(&copy)
        .unwrap()
        .repair(&password())
        .unwrap();
    s.put_back_database(&copy);
    assert!(matches!(s.open(), Err(Error::DatabaseForeign)));
}

#[test]
fn verify_names_missing_swapped_and_truncated_blobs_and_repair_keeps_what_it_can() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let gone = s.import(&mut vault, "gone.txt", b"its file is deleted");
    let a = s.import(&mut vault, "a.txt", &vec![1u8; 200_000]);
    let b = s.import(&mut vault, "b.txt", &vec![2u8; 200_000]);
    let cut = s.import(&mut vault, "cut.txt", &vec![3u8; 200_000]);
    drop(vault);
    let vault = s.open().unwrap();
    assert!(verify(&vault, false).is_empty());
    drop(vault);

    let files = s.blob_files();
    // Which file is whose: damage them one by one and ask verify.
    let mut owner = std::collections::HashMap::new();
    for file in &files {
        let saved = fs::read(file).unwrap();
        fs::remove_file(file).unwrap();
        let vault = s.open().unwrap();
        for p in verify(&vault, true) {
            if let Problem::Missing { id, .. } = p {
                owner.insert(id, file.clone());
            }
        }
        drop(vault);
        fs::write(file, saved).unwrap();
    }
    assert_eq!(owner.len(), 4);
    fs::remove_file(&owner[&gone]).unwrap();
    let (fa, fb) = (fs::read(&owner[&a]).unwrap(), fs::read(&owner[&b]).unwrap());
    fs::write(&owner[&a], &fb).unwrap();
    fs::write(&owner[&b], &fa).unwrap();
    let data = fs::read(&owner[&cut]).unwrap();
    fs::write(&owner[&cut], &data[..data.len() - 100]).unwrap();

    let vault = s.open().unwrap();
    for quick in [true, false] {
        let problems = verify(&vault, quick);
        let found = |want: &dyn Fn(&Problem) -> bool| problems.iter().any(want);
        assert!(found(
            &|p| matches!(p, Problem::Missing { id, .. } if *id == gone)
        ));
        for swapped in [a, b] {
            assert!(
                found(&|p| matches!(p, Problem::Damaged { id, .. } if *id == swapped)),
                "{problems:?}"
            );
        }
        assert!(found(
            &|p| matches!(p, Problem::Damaged { id, .. } if *id == cut)
        ));
        assert_eq!(problems.len(), 4, "{problems:?}");
        for p in &problems {
            assert!(!p.advice().is_empty());
        }
    }
    drop(vault);

    let report = repair(&s);
    assert_eq!(report.missing_content, [gone]);
    let vault = s.open().unwrap();
    assert_eq!(
        ids(&vault).len(),
        4,
        "a document without content stays listed"
    );
}

#[test]
fn a_blob_no_document_refers_to_is_kept_reported_and_brought_back_by_repair() {
    let s = Scratch::new();
    let twin = s.snapshot("twin");
    // The same vault elsewhere imports a document; its blob lands here without a database
    // row (a sync tool copied blobs/ but not the database).
    let mut other = crate::support::open(&twin).unwrap();
    let id = s.import(&mut other, "stray.txt", b"only its blob travelled");
    drop(other);
    for file in blob_files(&twin) {
        let rel = file.strip_prefix(&twin).unwrap();
        fs::create_dir_all(s.vault.join(rel).parent().unwrap()).unwrap();
        fs::copy(&file, s.vault.join(rel)).unwrap();
    }
    let vault = s.open().unwrap();
    let problems = verify(&vault, true);
    assert!(
        matches!(&problems[..], [Problem::Unreferenced { document: Some(d), title: Some(t), .. }]
            if *d == id && t == "stray"),
        "{problems:?}"
    );
    drop(vault);
    // Neither a read nor the sweep of an exclusive unlock deletes it.
    s.open().unwrap();
    assert_eq!(s.blob_files().len(), 1);

    repair(&s);
    let vault = s.open().unwrap();
    assert_eq!(content(&vault, id), b"only its blob travelled");
    assert!(verify(&vault, false).is_empty());
}

#[test]
fn leftovers_of_unfinished_writes_go_and_committed_blobs_in_tmp_are_moved_into_place() {
    let s = Scratch::new();
    let id = s.with_document("kept.txt", b"committed");
    // A committed blob a crash left in tmp/ (killed between the commit and the move)...
    let placed = s.blob_files().pop().unwrap();
    let name = placed.file_name().unwrap().to_owned();
    fs::rename(&placed, s.vault.join("blobs/tmp").join(&name)).unwrap();
    // ...and leftovers of writes that never committed.
    fs::write(s.vault.join("blobs/tmp/blob-half"), b"half written").unwrap();
    fs::write(
        s.vault.join("blobs/tmp").join("ab".repeat(32)),
        b"never committed",
    )
    .unwrap();

    let vault = s.open().unwrap();
    assert!(s.tmp_files().is_empty(), "{:?}", s.tmp_files());
    assert_eq!(s.blob_files(), [placed]);
    assert_eq!(content(&vault, id), b"committed");
    assert!(verify(&vault, false).is_empty());
}

#[test]
fn a_purge_removes_only_the_purged_blob_and_repair_does_not_bring_it_back() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let kept = s.import(&mut vault, "kept.txt", b"kept");
    let purged = s.import(&mut vault, "purged.txt", b"purged");
    vault.purge(purged).unwrap();
    assert_eq!(s.blob_files().len(), 1);
    drop(vault);
    fs::remove_file(s.vault.join("vault.db")).unwrap();
    let _ = fs::remove_file(s.vault.join("vault.db-wal"));
    let report = repair(&s);
    assert_eq!(report.documents, 1);
    assert_eq!(ids(&s.open().unwrap()), [kept]);
}

#[test]
fn repair_on_a_healthy_vault_changes_nothing_a_person_sees() {
    let s = Scratch::new();
    let docs = vault_with_history(&s);
    let report = repair(&s);
    assert_eq!(report.from_database, 3);
    assert_eq!(report.from_blobs, 0);
    assert_history_is_back(&s, &docs);
    // And once more on the result.
    repair(&s);
    assert_history_is_back(&s, &docs);
}

#[test]
fn repair_refuses_while_the_vault_is_open_elsewhere() {
    let s = Scratch::new();
    let _open = s.open().unwrap();
    let err = LockedVault::open(&s.vault)
        .unwrap()
        .repair(&password())
        .err()
        .unwrap();
    assert!(matches!(err, Error::VaultBusy), "{err}");
}

#[test]
fn a_damaged_kdf_record_stops_the_password_but_not_the_recovery_phrase() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("vault");
    let phrase = coffer_core::RecoveryPhrase::generate(&mut rand::rngs::OsRng);
    coffer_core::Vault::create(
        &dir,
        &password(),
        coffer_core::KdfParams::default_pbkdf2(),
        &phrase,
        std::sync::Arc::new(coffer_core::SystemClock),
    )
    .unwrap();
    let header = dir.join("vault.json");
    let mut json: serde_json::Value = serde_json::from_slice(&fs::read(&header).unwrap()).unwrap();
    json["kdf"] = serde_json::json!({"alg": "scrypt??"});
    fs::write(&header, serde_json::to_vec(&json).unwrap()).unwrap();
    let locked = LockedVault::open(&dir).unwrap();
    assert!(locked.kdf().is_err());
    assert!(matches!(
        locked.unlock(&password()),
        Err(Error::HeaderDamaged(_))
    ));
    let vault = LockedVault::open(&dir)
        .unwrap()
        .recover(
            &phrase,
            &"a new password".to_string().into(),
            coffer_core::KdfParams::default_pbkdf2(),
        )
        .unwrap();
    drop(vault);
    LockedVault::open(&dir)
        .unwrap()
        .unlock(&"a new password".to_string().into())
        .unwrap();
}

#[test]
fn a_verification_in_slices_lets_documents_come_and_go_between_them_and_finds_what_is_wrong() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    s.import(&mut vault, "a.txt", b"the first receipt");
    let purged = s.import(&mut vault, "b.txt", b"the second receipt");
    let before = s.blob_files();
    let missing = s.import(&mut vault, "c.txt", b"the third receipt");
    let file = s
        .blob_files()
        .into_iter()
        .find(|f| !before.contains(f))
        .unwrap();
    fs::remove_file(file).unwrap();

    let mut run = vault.begin_verify(true).unwrap();
    assert!(vault.verify_next(&mut run, 1).unwrap(), "two are left");
    assert_eq!(run.progress().done, 1);
    // Between two slices (the app lets other commands in): one document comes, one goes.
    let added = s.import(&mut vault, "d.txt", b"the fourth receipt");
    vault.trash(purged).unwrap();
    vault.purge(purged).unwrap();
    while vault.verify_next(&mut run, 1).unwrap() {}
    let sliced = vault.finish_verify(run).unwrap();
    // Neither the new document's blob nor the purged one's is a problem.
    assert!(
        matches!(sliced.problems[..], [Problem::Missing { id, .. }] if id == missing),
        "{:?}",
        sliced.problems
    );

    let whole = vault.verify(true, &mut |_| {}).unwrap();
    assert_eq!(whole.problems, sliced.problems);
    assert_eq!(whole.documents, 3);
    assert!(ids(&vault).contains(&added));
}
