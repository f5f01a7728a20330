//! The readers of untrusted bytes, fed damaged and arbitrary input: `vault.json`, content
//! blobs (the stream header and its sealed description), the field journal, a backup's
//! manifest, and the Paperless-ngx and CSV importers (ISDOC: coffer-ocr's tests). Each must give an error or a result, never a panic, and
//! never wrong plaintext. Seeded mutations (`coffer_testkit::fuzz`): the committed seeds in
//! `make test`, ten minutes per reader with `COFFER_LONG=1` (`make test-long`); a failure
//! prints the seed that replays it.

use std::fs;

use coffer_core::{Currency, LockedVault};

use crate::support::{Scratch, blob_files, ids, password};

use coffer_testkit::fuzz::each_mutation;

#[test]
fn a_damaged_vault_json_is_an_error_or_opens_the_same_vault() {
    let s = Scratch::new();
    let id = s.with_document("a.txt", b"a receipt");
    let header = s.vault.join("vault.json");
    let original = fs::read(&header).unwrap();
    each_mutation(&original, |bytes, seed| {
        fs::write(&header, bytes).unwrap();
        // Opening reads only the header; a mutation that still parses must still open the
        // same documents or be refused, never show something else.
        if let Ok(Ok(unlocked)) = LockedVault::open(&s.vault).map(|l| l.unlock(&password())) {
            assert_eq!(ids(&unlocked.vault), [id], "seed {seed}");
        }
    });
    fs::write(&header, &original).unwrap();
    assert_eq!(ids(&s.open().unwrap()), [id]);
}

#[test]
fn a_damaged_blob_never_gives_wrong_bytes() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let id = s.import(&mut vault, "big.bin", &body);
    let blob = blob_files(&s.vault).pop().unwrap();
    let original = fs::read(&blob).unwrap();
    each_mutation(&original, |bytes, seed| {
        fs::write(&blob, bytes).unwrap();
        let mut out = Vec::new();
        if vault.read_content(id, &mut out).is_ok() {
            assert_eq!(out, body, "seed {seed}: a damaged blob gave other bytes");
        }
        // verify names the damage (or finds the blob whole) without panicking.
        let report = vault.verify(false, &mut |_| {}).unwrap();
        assert_eq!(
            report.is_clean(),
            bytes == original.as_slice(),
            "seed {seed}"
        );
    });
}

#[test]
fn a_damaged_journal_leaves_the_vault_open_and_repair_keeps_every_document() {
    let s = Scratch::new();
    let mut vault = s.open().unwrap();
    let id = s.import(&mut vault, "a.txt", b"a receipt");
    vault
        .edit(
            id,
            &coffer_core::DocumentEdit {
                title: Some("Kettle".into()),
                ..Default::default()
            },
        )
        .unwrap();
    drop(vault);
    let journal = fs::read_dir(s.vault.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "log"))
        .expect("a journal file");
    let original = fs::read(&journal).unwrap();
    each_mutation(&original, |bytes, seed| {
        fs::write(&journal, bytes).unwrap();
        let vault = s.open().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(vault.document(id).unwrap().fields.title, "Kettle");
        vault.verify(false, &mut |_| {}).unwrap();
        drop(vault);
        // repair reads the journal too: it may lose the edit, never the document.
        let copy = s.path("copy");
        if copy.exists() {
            fs::remove_dir_all(&copy).unwrap();
        }
        crate::support::copy_dir(&s.vault, &copy);
        fs::remove_file(copy.join("vault.db")).unwrap();
        LockedVault::open(&copy)
            .unwrap()
            .repair(&password())
            .unwrap_or_else(|e| panic!("seed {seed}: repair: {e}"));
        let repaired = crate::support::open(&copy).unwrap();
        assert_eq!(ids(&repaired), [id], "seed {seed}");
    });
}

#[test]
fn arbitrary_csv_and_paperless_manifests_are_read_or_refused() {
    let s = Scratch::new();
    let dir = s.path("import");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("a.pdf"), b"%PDF-1.7").unwrap();
    let csv = "file;date;merchant;total;currency;kind;tags\n\
               a.pdf;2026-03-14;Alza.cz;1 299,00;CZK;receipt;kitchen\n";
    let manifest = r#"[{"model": "documents.document", "pk": 1, "fields": {"title": "Kettle",
        "created": "2026-03-14T10:00:00Z", "correspondent": null, "tags": []},
        "__exported_file_name__": "a.pdf"}]"#;
    each_mutation(csv.as_bytes(), |bytes, seed| {
        let path = dir.join("documents.csv");
        fs::write(&path, bytes).unwrap();
        if let Ok(rows) = coffer_core::interop::read_csv_folder(&path, czk()) {
            assert!(rows.len() <= bytes.len(), "seed {seed}");
        }
    });
    fs::remove_file(dir.join("documents.csv")).unwrap();
    each_mutation(manifest.as_bytes(), |bytes, seed| {
        fs::write(dir.join("manifest.json"), bytes).unwrap();
        if let Ok(docs) = coffer_core::interop::read_paperless(&dir, czk()) {
            assert!(docs.len() <= 1, "seed {seed}");
        }
    });
}

fn czk() -> Currency {
    "CZK".parse().unwrap()
}

/// A backup's tar rebuilt with `manifest` in place of its manifest and encrypted to `to`.
fn backup_with_manifest(
    entries: &[(String, Vec<u8>)],
    manifest: &[u8],
    to: &age::x25519::Recipient,
) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, bytes) in entries {
        let bytes = if path.ends_with("/manifest.json") {
            manifest
        } else {
            bytes
        };
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, path, bytes).unwrap();
    }
    let plain = tar.into_inner().unwrap();
    let mut sealed = Vec::new();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(to as &dyn age::Recipient)).unwrap();
    let mut writer = encryptor.wrap_output(&mut sealed).unwrap();
    std::io::Write::write_all(&mut writer, &plain).unwrap();
    writer.finish().unwrap();
    sealed
}

#[test]
fn a_backup_with_a_damaged_manifest_restores_right_or_is_refused() {
    use secrecy::ExposeSecret;
    let s = Scratch::new();
    let bodies = [b"first receipt".to_vec(), vec![7u8; 100_000]];
    {
        let mut vault = s.open().unwrap();
        for (i, body) in bodies.iter().enumerate() {
            s.import(&mut vault, &format!("{i}.bin"), body);
        }
    }
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let key_file = s.path("key.txt");
    fs::write(&key_file, identity.to_string().expose_secret()).unwrap();
    let backup = s.path("backup.age");
    let vault = s.open().unwrap();
    coffer_core::backup::write_backup(
        &vault,
        &coffer_core::backup::BackupEncryption::recipients(&[recipient.to_string()]).unwrap(),
        &backup,
        &mut |_| {},
    )
    .unwrap();
    drop(vault);
    // Its plaintext, entry by entry.
    let sealed = fs::read(&backup).unwrap();
    let decryptor = age::Decryptor::new(&sealed[..]).unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .unwrap(),
        &mut plain,
    )
    .unwrap();
    let mut entries = Vec::new();
    let mut archive = tar::Archive::new(&plain[..]);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        entries.push((path, bytes));
    }
    let manifest = entries
        .iter()
        .find(|(p, _)| p.ends_with("/manifest.json"))
        .expect("a manifest")
        .1
        .clone();

    let restore = |file: &std::path::Path, target: &std::path::Path| {
        let phrase = coffer_core::RecoveryPhrase::generate(&mut rand::rngs::OsRng);
        coffer_core::backup::restore_backup(
            file,
            &coffer_core::backup::RestoreKey::IdentityFile(key_file.clone()),
            target,
            coffer_core::backup::NewVault {
                password: &password(),
                params: coffer_core::KdfParams::default_pbkdf2(),
                phrase: Some(&phrase),
                clock: std::sync::Arc::new(coffer_core::SystemClock),
            },
            &mut |_| {},
        )
    };
    // The rebuilt backup itself restores whole: the harness changes nothing but the manifest.
    let same = s.path("same.age");
    fs::write(&same, backup_with_manifest(&entries, &manifest, &recipient)).unwrap();
    assert_eq!(restore(&same, &s.path("same")).unwrap().documents, 2);

    let mut trial = 0;
    each_mutation(&manifest, |bytes, seed| {
        trial += 1;
        let file = s.path(&format!("mutated-{trial}.age"));
        fs::write(&file, backup_with_manifest(&entries, bytes, &recipient)).unwrap();
        let target = s.path(&format!("restored-{trial}"));
        if restore(&file, &target).is_ok() {
            let vault = crate::support::open(&target).unwrap();
            for id in ids(&vault) {
                let mut bytes = Vec::new();
                if vault.read_content(id, &mut bytes).is_ok() {
                    assert!(bodies.contains(&bytes), "seed {seed}: {id}");
                }
            }
        }
        let _ = fs::remove_dir_all(&target);
        fs::remove_file(&file).unwrap();
    });
}
