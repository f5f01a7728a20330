//! The readers of untrusted bytes, fed damaged and arbitrary input: `vault.json`, content
//! blobs (the stream header and its sealed description), the field journal, and the
//! Paperless-ngx and CSV importers. Each must give an error or a result, never a panic, and
//! never wrong plaintext. Seeded mutations: the seeds below in `make test`, and 50 times as
//! many with `COFFER_LONG=1` (`make test-long`); a failure prints the seed that replays it.

use std::fs;

use coffer_core::{Currency, LockedVault};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::support::{Scratch, blob_files, ids, password};

/// The committed seeds: each starts its own run of mutations.
const SEEDS: &[u64] = &[1, 2, 3, 0x5eed, 0xc0ffee, 20261203];

fn runs() -> usize {
    if coffer_testkit::long_run() { 500 } else { 10 }
}

/// `original` with a few bytes flipped, cut short, grown or replaced by random bytes.
fn mutate(original: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    match rng.gen_range(0..5) {
        0 if !bytes.is_empty() => {
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] ^= 1 << rng.gen_range(0..8);
            }
        }
        1 => bytes.truncate(rng.gen_range(0..=bytes.len())),
        2 => {
            let at = rng.gen_range(0..=bytes.len());
            let extra: Vec<u8> = (0..rng.gen_range(1..64)).map(|_| rng.r#gen()).collect();
            bytes.splice(at..at, extra);
        }
        3 => bytes = (0..rng.gen_range(0..512)).map(|_| rng.r#gen()).collect(),
        _ if !bytes.is_empty() => {
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.r#gen();
        }
        _ => {}
    }
    bytes
}

fn each_mutation(original: &[u8], mut check: impl FnMut(&[u8], u64)) {
    for &seed in SEEDS {
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..runs() {
            check(&mutate(original, &mut rng), seed);
        }
    }
}

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
