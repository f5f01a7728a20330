//! The export and backup dialogs' commands: what they write is what `coffer export` and
//! `coffer backup` write, read back here with the zip crate and `coffer-core`'s restore.

use std::io::Read;

use serde_json::{Value, json};

use super::{Harness, PASSWORD, png};

/// Two receipts of November 2024 with their fields, and one of December.
fn vault_with_receipts(h: &Harness) -> Vec<Value> {
    h.create_vault();
    [
        (
            "albert.png",
            "Albert Česká republika, s.r.o.",
            "2024-11-03",
            "248,90",
        ),
        (
            "lidl.png",
            "Lidl Česká republika v.o.s.",
            "2024-11-28",
            "1 120,00",
        ),
        ("tesco.png", "Tesco Stores ČR a.s.", "2024-12-02", "99,00"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (file, merchant, date, total))| {
        let mut bytes = png();
        bytes.extend_from_slice(&[i as u8; 16]);
        let id = h.import(&h.sample(file, &bytes))["document"]["id"].clone();
        h.ok(
            "edit_document",
            json!({"id": id, "edit": {
                "kind": "receipt", "merchant": merchant, "date": date, "total": total,
                "currency": "czk", "ico": "25673246"
            }}),
        );
        id
    })
    .collect()
}

/// One file of the ZIP, as text.
fn zip_text(path: &std::path::Path, name: &str) -> String {
    let mut text = String::new();
    zip::ZipArchive::new(std::fs::File::open(path).unwrap())
        .unwrap()
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn zip_names(path: &std::path::Path) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().name().unwrap().into_owned())
        .collect()
}

#[test]
fn an_export_of_a_selection_holds_exactly_its_documents_whatever_the_period() {
    let h = Harness::new();
    let ids = vault_with_receipts(&h);
    h.ok("trash_document", json!({"id": ids[1]}));
    let out = h.dir.path().join("vyber.zip");
    let outcome = h.ok(
        "export_documents",
        json!({"form": {
            "from": "2030-01-01", "to": "2030-01-31", "preset": "cz", "out": out,
            "language": "cs",
            "selection": {"mode": "ids", "ids": [ids[0], ids[1], ids[2]]}
        }}),
    );
    // The trashed one is left out; the other two are in, though no period holds them.
    assert_eq!(outcome["documents"], 2, "{outcome}");
    let csv = zip_text(&out, "documents.csv");
    assert!(csv.contains("Albert") && csv.contains("Tesco"), "{csv}");
    assert!(!csv.contains("Lidl"), "{csv}");
}

#[test]
fn an_export_of_a_month_writes_the_zip_with_pohoda_and_isdoc_and_says_what_to_fill_in() {
    let h = Harness::new();
    let ids = vault_with_receipts(&h);
    let out = h.dir.path().join("listopad.zip");
    let outcome = h.ok(
        "export_documents",
        json!({"form": {
            "from": "2024-11-01", "to": "2024-11-30", "preset": "cz",
            "formats": ["pohoda", "isdoc"], "out": out, "language": "cs"
        }}),
    );
    assert_eq!(outcome["documents"], 2, "{outcome}");
    assert_eq!(outcome["pohoda_documents"], 2);
    assert_eq!(outcome["path"], json!(out));
    let names = zip_names(&out);
    for name in ["documents.csv", "summary.pdf", "pohoda.xml"] {
        assert!(names.contains(&name.to_owned()), "{names:?}");
    }
    assert_eq!(
        names.iter().filter(|n| n.starts_with("documents/")).count(),
        2
    );
    // Neither receipt has a document number: the accountant is told, in Czech.
    let notes = outcome["notes"].as_array().unwrap();
    assert!(!notes.is_empty());
    assert!(notes.iter().all(|n| {
        n["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("číslo dokladu"))
    }));
    assert!(
        notes.iter().all(|n| n["id"] != ids[2]),
        "December is not in November"
    );

    let csv = zip_text(&out, "documents.csv");
    assert!(
        csv.contains("Lidl Česká republika v.o.s.") && csv.contains("1120,00"),
        "{csv}"
    );
    assert!(!csv.contains("Tesco"));
}

#[test]
fn an_export_with_the_period_reversed_or_the_vault_locked_writes_nothing() {
    let h = Harness::new();
    vault_with_receipts(&h);
    let out = h.dir.path().join("nothing.zip");
    let form = |from: &str, to: &str| json!({"form": {"from": from, "to": to, "preset": "intl", "out": out, "language": "en"}});
    assert_eq!(
        h.error_code("export_documents", form("2024-12-01", "2024-11-01")),
        "invalid_input"
    );
    assert_eq!(
        h.error_code("export_documents", form("2024-13-01", "2024-12-01")),
        "invalid_input"
    );
    h.ok("lock", json!({}));
    assert_eq!(
        h.error_code("export_documents", form("2024-11-01", "2024-11-30")),
        "locked"
    );
    assert!(!out.exists());
}

#[test]
fn a_backup_restores_every_document_and_is_remembered_as_the_last_one() {
    let h = Harness::new();
    let ids = vault_with_receipts(&h);
    let age = h.ok("last_backup", json!({}));
    assert_eq!(age["last"], Value::Null);
    assert_eq!(
        age["vault_created"],
        h.ok("vault_info", json!({}))["created_at"]
    );
    let out = h.dir.path().join("coffer.age");
    let weak = json!({"out": out, "to": {"passphrase": "short"}});
    assert_eq!(h.error_code("backup_vault", weak), "weak_passphrase");
    let bad_key = json!({"out": out, "to": {"recipients": ["age1notakey"]}});
    assert_eq!(h.error_code("backup_vault", bad_key), "invalid_input");
    assert!(!out.exists());

    let passphrase = "a long backup passphrase";
    let outcome = h.ok(
        "backup_vault",
        json!({"out": out, "to": {"passphrase": passphrase}}),
    );
    assert_eq!(outcome["documents"], 3, "{outcome}");
    assert_eq!(outcome["left_out"], json!([]));
    let last = h.ok("last_backup", json!({}));
    let last = time::OffsetDateTime::parse(
        last["last"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        (time::OffsetDateTime::now_utc() - last)
            .whole_seconds()
            .abs()
            < 60
    );
    // An existing file is never overwritten.
    let again = json!({"out": out, "to": {"passphrase": passphrase}});
    assert_eq!(h.error_code("backup_vault", again), "file_exists");

    let restored = h.dir.path().join("restored");
    let password = secrecy::SecretString::from(PASSWORD);
    let phrase = coffer_core::RecoveryPhrase::generate(&mut rand::rngs::OsRng);
    let summary = coffer_core::backup::restore_backup(
        &out,
        &coffer_core::backup::RestoreKey::Passphrase(passphrase.into()),
        &restored,
        coffer_core::backup::NewVault {
            password: &password,
            params: coffer_core::KdfParams::default_pbkdf2(),
            phrase: Some(&phrase),
            clock: std::sync::Arc::new(coffer_core::SystemClock),
        },
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(summary.documents, ids.len());
}

#[test]
fn an_export_or_backup_into_a_folder_that_is_not_there_says_so_and_writes_nothing() {
    let h = Harness::new();
    vault_with_receipts(&h);
    let gone = h.dir.path().join("no such folder");
    let export = json!({"form": {
        "from": "2024-11-01", "to": "2024-11-30", "preset": "cz",
        "out": gone.join("a.zip"), "language": "en"
    }});
    assert_eq!(h.error_code("export_documents", export), "io");
    let backup =
        json!({"out": gone.join("b.age"), "to": {"passphrase": "a long backup passphrase"}});
    assert_eq!(h.error_code("backup_vault", backup), "io");
    assert!(!gone.exists());
    assert_eq!(
        h.ok("last_backup", json!({}))["last"],
        Value::Null,
        "a failed backup is not one"
    );
}
