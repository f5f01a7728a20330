//! Folder imports in batches: each batch is one unit of work. A file that cannot be imported
//! is answered with its error and the batch goes on; duplicates are found within the batch
//! too; a full disk stops the import with the earlier batches kept and nothing of the failed
//! one visible or left behind.

use std::fs;
use std::path::PathBuf;

use coffer_core::vault::IMPORT_BATCH;
use coffer_core::{ImportOptions, ImportOutcome};

use crate::support::{Scratch, content, ids};
use crate::worker;

#[test]
fn a_batch_answers_each_file_in_order_and_goes_on_past_the_bad_ones() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let stored = s.import(&mut vault, "stored.txt", b"already in the vault");
    let dir = s.path("folder");
    fs::create_dir(&dir).unwrap();
    let file = |name: &str, body: &[u8]| {
        let path = dir.join(name);
        fs::write(&path, body).unwrap();
        path
    };
    let paths: Vec<PathBuf> = vec![
        file("a.txt", b"receipt a"),
        file("b.txt", b"receipt b"),
        file("a-again.txt", b"receipt a"),
        file("empty.txt", b""),
        dir.join("missing.txt"),
        {
            let sub = dir.join("sub");
            fs::create_dir(&sub).unwrap();
            sub
        },
        file("stored-copy.txt", b"already in the vault"),
        file("c.txt", b"receipt c"),
    ];
    let mut calls = Vec::new();
    vault
        .import_many(&paths, &ImportOptions::default(), |answers| {
            calls.push(
                answers
                    .iter()
                    .map(|(path, answer)| {
                        (
                            path.clone(),
                            answer.as_ref().map_err(|e| e.to_string()).cloned(),
                        )
                    })
                    .collect::<Vec<_>>(),
            );
        })
        .unwrap();
    assert_eq!(calls.len(), 1, "one batch");
    let answers = &calls[0];
    assert_eq!(
        answers.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        paths.iter().collect::<Vec<_>>()
    );
    let imported = |i: usize| match &answers[i].1 {
        Ok(ImportOutcome::Imported(doc)) => doc.id,
        other => panic!("{}: {other:?}", paths[i].display()),
    };
    let (a, b, c) = (imported(0), imported(1), imported(7));
    assert!(
        matches!(answers[2].1, Ok(ImportOutcome::Duplicate(id)) if id == a),
        "{:?}",
        answers[2]
    );
    assert!(answers[3].1.as_ref().unwrap_err().contains("empty"));
    assert!(answers[4].1.is_err());
    assert!(answers[5].1.as_ref().unwrap_err().contains("folder"));
    assert!(matches!(answers[6].1, Ok(ImportOutcome::Duplicate(id)) if id == stored));

    let mut expected = vec![stored, a, b, c];
    expected.sort();
    assert_eq!(ids(&vault), expected);
    assert_eq!(content(&vault, c), b"receipt c");
    drop(vault);
    let vault = s.open().unwrap();
    assert!(vault.verify(false, &mut |_| {}).unwrap().is_clean());
    assert_eq!(s.blob_files().len(), 4);
    assert!(s.tmp_files().is_empty());
}

#[test]
fn many_files_go_in_batches_each_reported_once_it_is_committed() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let dir = s.path("folder");
    fs::create_dir(&dir).unwrap();
    let count = IMPORT_BATCH * 2 + 5;
    let paths: Vec<PathBuf> = (0..count)
        .map(|i| {
            let path = dir.join(format!("r{i:03}.txt"));
            fs::write(&path, format!("receipt {i}")).unwrap();
            path
        })
        .collect();
    let mut sizes = Vec::new();
    vault
        .import_many(&paths, &ImportOptions::default(), |answers| {
            assert!(
                answers
                    .iter()
                    .all(|(_, a)| matches!(a, Ok(ImportOutcome::Imported(_))))
            );
            sizes.push(answers.len());
        })
        .unwrap();
    assert_eq!(sizes, [IMPORT_BATCH, IMPORT_BATCH, 5]);
    assert_eq!(ids(&vault).len(), count);
}

#[test]
fn a_full_disk_in_the_second_batch_keeps_the_first_and_nothing_of_the_second() {
    let s = Scratch::new();
    let dir = s.path("folder");
    fs::create_dir(&dir).unwrap();
    for i in 0..IMPORT_BATCH + 10 {
        // Named so that the one too large for the disk is in the second batch.
        let body = if i == IMPORT_BATCH + 3 {
            vec![7u8; 3_000_000]
        } else {
            format!("receipt {i}").into_bytes()
        };
        fs::write(dir.join(format!("r{i:03}.txt")), body).unwrap();
    }
    let out = worker::run("import-batches", &s.vault, &dir, Some(1024));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("WORKER-ERROR") && said.contains("disk is full"),
        "{said}"
    );
    assert_eq!(said.matches("IMPORTED ").count(), IMPORT_BATCH, "{said}");
    let vault = s.open().unwrap();
    assert_eq!(ids(&vault).len(), IMPORT_BATCH);
    assert!(vault.verify(false, &mut |_| {}).unwrap().is_clean());
    assert!(
        s.tmp_files().is_empty(),
        "the unlock swept the failed batch's blobs"
    );
    assert_eq!(s.blob_files().len(), IMPORT_BATCH);
}
