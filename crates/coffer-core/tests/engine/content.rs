//! What is stored is only ever ciphertext, and what comes back out is the original or an error:
//! tampered, truncated, swapped and unknown-version blobs, a wrong password, a full disk and a
//! killed import.

use std::fs;
use std::time::{Duration, Instant};

use coffer_core::{DocumentId, Error, ImportOptions, LockedVault, Problem};
use secrecy::SecretString;

use crate::support::{Scratch, all_files, content, ids};
use crate::worker;

fn only_blob(s: &Scratch) -> std::path::PathBuf {
    let files = s.blob_files();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn no_plaintext_marker_reaches_any_file_of_the_vault() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let id = s.import(
        &mut vault,
        "MARKERFILENAME.txt",
        b"MARKERCONTENT total 1299",
    );
    vault
        .edit(
            id,
            &coffer_core::DocumentEdit {
                merchant: Some("MARKERMERCHANT".into()),
                notes: Some("MARKERNOTES".into()),
                add_tags: vec!["MARKERTAG".into()],
                ..Default::default()
            },
        )
        .unwrap();
    vault.set_setting("MARKERKEY", Some("MARKERVALUE")).unwrap();
    drop(vault);
    for file in all_files(&s.vault) {
        let bytes = fs::read(&file).unwrap();
        for marker in [
            "MARKERFILENAME",
            "MARKERCONTENT",
            "MARKERMERCHANT",
            "MARKERNOTES",
            "MARKERTAG",
            "MARKERKEY",
            "MARKERVALUE",
        ] {
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "{marker} in {}",
                file.display()
            );
        }
    }
}

#[test]
fn a_flipped_byte_anywhere_in_a_blob_is_named_and_nothing_is_written_out() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let id = s.import(&mut vault, "r.bin", &vec![5u8; 150_000]);
    let blob = only_blob(&s);
    let original = fs::read(&blob).unwrap();
    for at in [1, 7, original.len() / 2, original.len() - 1] {
        let mut bytes = original.clone();
        bytes[at] ^= 0x40;
        fs::write(&blob, &bytes).unwrap();
        let out = s.path("out");
        let err = vault.save_content(id, &out).unwrap_err();
        assert!(
            matches!(err, Error::DocumentDamaged { .. }),
            "byte {at}: {err}"
        );
        assert!(!out.exists());
    }
    fs::write(&blob, &original).unwrap();
    assert_eq!(content(&vault, id), vec![5u8; 150_000]);
}

/// `save_content` fails with `want` in its message and leaves neither the target nor a
/// temporary file beside it.
fn assert_save_fails(s: &Scratch, vault: &coffer_core::Vault, id: DocumentId, want: &str) {
    let out = s.path("out");
    let err = vault.save_content(id, &out).unwrap_err();
    assert!(
        matches!(err, Error::DocumentDamaged { .. }) && err.to_string().contains(want),
        "{id}: {err}"
    );
    assert!(!out.exists());
    let leftovers: Vec<_> = fs::read_dir(s.root.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".coffer-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_blob_truncated_at_a_chunk_boundary_swapped_or_missing_is_named_when_read() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    // 200,000 bytes: three full 64 KiB chunks and a last one of 3,392.
    let (cut, cut_blob) = s.import_with_blob(&mut vault, "cut.bin", &vec![2u8; 200_000]);
    let (a, fa) = s.import_with_blob(&mut vault, "a.bin", &vec![3u8; 5000]);
    let (b, fb) = s.import_with_blob(&mut vault, "b.bin", &vec![4u8; 5000]);
    let (gone, fgone) = s.import_with_blob(&mut vault, "gone.bin", b"its file goes");

    let bytes = fs::read(&cut_blob).unwrap();
    let last_chunk = 200_000 - 3 * 65_536 + 12 + 16;
    fs::write(&cut_blob, &bytes[..bytes.len() - last_chunk]).unwrap();
    assert_save_fails(&s, &vault, cut, "truncated");

    let (x, y) = (fs::read(&fa).unwrap(), fs::read(&fb).unwrap());
    fs::write(&fa, y).unwrap();
    fs::write(&fb, x).unwrap();
    assert_save_fails(&s, &vault, a, "damaged");
    assert_save_fails(&s, &vault, b, "damaged");

    fs::remove_file(&fgone).unwrap();
    assert_save_fails(&s, &vault, gone, "missing");
}

#[test]
fn a_blob_of_an_unknown_format_version_asks_for_an_update() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let id = s.import(&mut vault, "r.txt", b"receipt");
    let blob = only_blob(&s);
    let mut bytes = fs::read(&blob).unwrap();
    bytes[0] = 9;
    fs::write(&blob, bytes).unwrap();
    let err = vault.read_content(id, &mut Vec::new()).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedFormat { found: 9, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("update Coffer"), "{err}");
}

#[test]
fn a_wrong_password_opens_nothing_and_points_to_recovery() {
    let s = Scratch::new();
    let err = LockedVault::open(&s.vault)
        .unwrap()
        .unlock(&SecretString::from("not the password"))
        .err()
        .unwrap();
    assert!(matches!(err, Error::WrongPassword));
    assert!(err.to_string().contains("recover"), "{err}");
}

#[test]
fn a_full_disk_during_import_saves_nothing_and_says_so() {
    let s = Scratch::new();
    let kept = s.with_document("kept.txt", b"already here");
    let big = s.path("big.bin");
    fs::write(&big, vec![9u8; 3_000_000]).unwrap();
    let out = worker::run("import", &s.vault, &big, Some(1024));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("WORKER-ERROR") && said.contains("disk is full"),
        "{said}"
    );
    let vault = s.open().unwrap();
    assert_eq!(ids(&vault), [kept]);
    assert_eq!(s.blob_files().len(), 1);
    assert!(s.tmp_files().is_empty());
    assert!(vault.verify(false, &mut |_| {}).unwrap().is_clean());
}

#[test]
fn a_full_disk_while_opening_is_a_full_disk_not_damage() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    // Enough changes for the database's WAL to be large when it is checkpointed on open.
    for i in 0..40 {
        s.import(
            &mut vault,
            &format!("{i}.txt"),
            format!("document {i}").as_bytes(),
        );
    }
    drop(vault);
    let out = worker::run("open", &s.vault, &s.vault, Some(0));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("WORKER-OK") || said.contains("disk is full"),
        "a full disk on open is never reported as damage: {said}"
    );
    assert!(!said.contains("damaged"), "{said}");
    s.open().unwrap();
}

#[test]
fn an_import_killed_midway_leaves_only_leftovers_the_next_unlock_removes() {
    let s = Scratch::new();
    let kept = s.with_document("kept.txt", b"already here");
    let big = s.path("big.bin");
    fs::write(&big, vec![7u8; 300_000_000]).unwrap();
    let mut child = worker::spawn("import", &s.vault, &big, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let writing = s
            .tmp_files()
            .iter()
            .any(|f| fs::metadata(f).is_ok_and(|m| m.len() > 1_000_000));
        if writing {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!s.tmp_files().is_empty(), "killed while writing");

    let vault = s.open().unwrap();
    assert_eq!(ids(&vault), [kept], "nothing half-imported is visible");
    assert!(s.tmp_files().is_empty(), "the unlock swept the leftovers");
    assert_eq!(s.blob_files().len(), 1);
    assert!(vault.verify(false, &mut |_| {}).unwrap().is_clean());
}

#[test]
fn a_fifo_an_empty_file_and_a_folder_are_refused_at_once() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let fifo = s.path("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let empty = s.path("empty.pdf");
    fs::write(&empty, b"").unwrap();
    let started = Instant::now();
    for (path, said) in [
        (&fifo, "not a regular file"),
        (&empty, "empty"),
        (&s.vault, "folder"),
    ] {
        let err = vault.import(path, &ImportOptions::default()).unwrap_err();
        assert!(err.to_string().contains(said), "{err}");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "nothing waited");
    assert!(ids(&vault).is_empty());
}

#[test]
fn titles_and_file_names_are_stored_without_control_characters() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let id = s.import(&mut vault, "a\nforged\u{1b}[2J.txt", b"x");
    let doc = vault.document(id).unwrap();
    assert_eq!(doc.fields.title, "a forged [2J");
    assert!(!doc.file.name.chars().any(char::is_control));
    let problems = vault.verify(true, &mut |_| {}).unwrap().problems;
    assert!(
        !problems
            .iter()
            .any(|p| matches!(p, Problem::Damaged { .. }))
    );
}

#[test]
fn a_new_password_rewraps_the_vault_key_and_leaves_every_blob_as_it_was() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let id = s.import(&mut vault, "r.bin", &vec![6u8; 100_000]);
    let blobs_before: Vec<_> = s
        .blob_files()
        .iter()
        .map(|f| fs::read(f).unwrap())
        .collect();
    let new = SecretString::from("a brand new passphrase");
    vault
        .change_password(&new, coffer_core::KdfParams::default_pbkdf2())
        .unwrap();
    drop(vault);
    let blobs_after: Vec<_> = s
        .blob_files()
        .iter()
        .map(|f| fs::read(f).unwrap())
        .collect();
    assert_eq!(blobs_before, blobs_after, "no document is re-encrypted");

    let locked = LockedVault::open(&s.vault).unwrap();
    assert!(matches!(
        locked.unlock(&crate::support::password()).err().unwrap(),
        Error::WrongPassword
    ));
    let vault = LockedVault::open(&s.vault)
        .unwrap()
        .unlock(&new)
        .unwrap()
        .vault;
    assert_eq!(content(&vault, id), vec![6u8; 100_000]);
}

#[test]
fn a_duplicate_is_found_by_a_keyed_hash_and_no_plain_hash_of_the_file_is_stored() {
    use sha2::Digest as _;
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let bytes = b"the same receipt, twice".to_vec();
    let first = s.import(&mut vault, "first.txt", &bytes);
    let again = s.path("again.txt");
    fs::write(&again, &bytes).unwrap();
    match vault.import(&again, &ImportOptions::default()).unwrap() {
        coffer_core::ImportOutcome::Duplicate(id) => assert_eq!(id, first),
        other => panic!("{other:?}"),
    }
    drop(vault);
    // The database is encrypted as a whole; a plain hash must not appear even so, nor in
    // any other file of the vault.
    let plain: [Vec<u8>; 2] = [
        sha2::Sha256::digest(&bytes).to_vec(),
        blake3::hash(&bytes).as_bytes().to_vec(),
    ];
    for file in all_files(&s.vault) {
        let data = fs::read(&file).unwrap();
        for hash in &plain {
            for form in [hash.clone(), hex::encode(hash).into_bytes()] {
                assert!(
                    !data.windows(form.len()).any(|w| w == form.as_slice()),
                    "a plain hash in {}",
                    file.display()
                );
            }
        }
    }
}
