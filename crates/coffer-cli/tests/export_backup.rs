//! Backups, restores, the accounting export and reminders as scripts use them: the real
//! `coffer` binary, Debian's `age`, `age-keygen` and `tar`, Python's `csv` and `zipfile`,
//! LibreOffice headless and poppler's `pdftoppm`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod sandbox;

use sandbox::{PASSPHRASE, Sandbox};

impl Sandbox {
    fn str(&self, name: &str) -> &str {
        // The sandbox lives until the test ends; leaking one path string per call is fine.
        Box::leak(
            self.path(name)
                .to_str()
                .unwrap()
                .to_string()
                .into_boxed_str(),
        )
    }

    fn import(&self, name: &str, content: &[u8], extra: &[&str]) -> String {
        let file = self.write(name, content);
        let mut args = vec!["import"];
        args.extend_from_slice(extra);
        args.push(file.to_str().unwrap());
        let out = self.ok(&args);
        out.split_whitespace().next().unwrap().to_string()
    }

    fn show(&self, vault: &Path, id: &str) -> Value {
        serde_json::from_str(&self.ok_in(vault, &["show", id, "--json"])).unwrap()
    }

    /// A new age key pair: (key file, public key).
    fn age_key(&self, name: &str) -> (PathBuf, String) {
        let key = self.path(name);
        run_tool(Command::new("age-keygen").arg("-o").arg(&key));
        let public = run_tool(Command::new("age-keygen").arg("-y").arg(&key));
        (key, String::from_utf8(public).unwrap().trim().to_string())
    }

    /// Restores `backup` into a new vault `name` with a PBKDF2 key (quick), insisting on success.
    fn restore(&self, backup: &Path, name: &str, extra: &[&str]) -> PathBuf {
        let target = self.path(name);
        let phrase = format!("{name}.phrase");
        let mut args = vec![
            "restore",
            backup.to_str().unwrap(),
            "--kdf",
            "pbkdf2",
            "--recovery-file",
            self.str(&phrase),
        ];
        args.extend_from_slice(extra);
        self.ok_in(&target, &args);
        target
    }
}

fn run_tool(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `age` under a pseudo-terminal (it reads passphrases only from a terminal), typing
/// `input`.
fn age_with_terminal(args: &str, input: &str) {
    let mut child = Command::new("script")
        .args(["-qec", &format!("age {args}"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "age {args}");
}

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

const RECEIPT: &[u8] = b"%PDF-1.4 receipt from the bakery";

#[test]
fn a_backup_to_a_recipient_opens_with_the_age_and_tar_tools_alone() {
    let s = Sandbox::new();
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let bakery = s.import("bakery.pdf", RECEIPT, &["--kind", "receipt"]);
    s.import("scan with a very long name that needs more than a hundred bytes in a tar header, really long.bin", &big, &[]);
    s.ok(&[
        "edit",
        &bakery,
        "--merchant",
        "Pekárna U Nováků",
        "--total",
        "123.40",
        "--currency",
        "CZK",
        "--date",
        "2024-01-31",
    ]);
    let (key, public) = s.age_key("key.txt");
    s.ok(&["backup", "--out", s.str("b.age"), "--recipient", &public]);

    let tar = s.path("b.tar");
    run_tool(
        Command::new("age")
            .args(["-d", "-i"])
            .arg(&key)
            .arg("-o")
            .arg(&tar)
            .arg(s.path("b.age")),
    );
    let out = s.path("out");
    fs::create_dir(&out).unwrap();
    run_tool(Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(&out));

    let manifest: Value =
        serde_json::from_slice(&fs::read(out.join("coffer-backup/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["format"], "coffer-backup");
    assert_eq!(manifest["version"], 1);
    let docs = manifest["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    let bakery_doc = docs.iter().find(|d| d["id"] == bakery.as_str()).unwrap();
    assert_eq!(bakery_doc["fields"]["merchant"], "Pekárna U Nováků");
    assert_eq!(bakery_doc["fields"]["total"]["minor"], 12340);
    assert_eq!(bakery_doc["fields"]["total"]["currency"], "CZK");
    assert_eq!(bakery_doc["fields"]["issue_date"], "2024-01-31");
    // Originals are stored as they are: byte for byte, uncompressed, at the manifest's path.
    for doc in docs {
        let path = out
            .join("coffer-backup")
            .join(doc["path"].as_str().unwrap());
        let bytes = fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, doc["file"]["size"].as_u64().unwrap());
    }
    let extracted_big = files_under(&out)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "bin"))
        .unwrap();
    assert_eq!(fs::read(extracted_big).unwrap(), big);
    // The plaintext archive is at least as large as the originals: nothing was compressed.
    assert!(fs::metadata(&tar).unwrap().len() > big.len() as u64);
}

#[test]
fn a_passphrase_backup_opens_with_the_age_tool_and_restores_everything() {
    let s = Sandbox::new();
    let bakery = s.import(
        "bakery.pdf",
        RECEIPT,
        &["--kind", "receipt", "--tag", "food"],
    );
    let kettle = s.import(
        "kettle.jpg",
        b"\xff\xd8\xff kettle warranty",
        &["--kind", "warranty"],
    );
    let gone = s.import("old.txt", b"an old note", &[]);
    s.ok(&[
        "edit",
        &bakery,
        "--merchant",
        "Pekárna",
        "--total",
        "99.90",
        "--currency",
        "EUR",
        "--date",
        "2023-12-31",
        "--ico",
        "25596641",
        "--vat-id",
        "CZ25596641",
    ]);
    s.ok(&["edit", &kettle, "--expiry", "2031-05-01"]);
    s.ok(&[
        "reminders",
        "set",
        &kettle,
        "--lead-days",
        "60,14",
        "--notice-days",
        "10",
    ]);
    s.ok(&["reminders", "defaults", "--lead-days", "45,3"]);
    s.ok(&["rm", &gone]);
    s.ok(&["backup", "--out", s.str("p.age"), "--passphrase"]);

    age_with_terminal(
        &format!("-d -o {} {}", s.str("p.tar"), s.str("p.age")),
        &format!("{PASSPHRASE}\n"),
    );
    let listing = String::from_utf8(run_tool(
        Command::new("tar").arg("-tf").arg(s.path("p.tar")),
    ))
    .unwrap();
    assert!(listing.contains(&format!("coffer-backup/documents/{bakery}/bakery.pdf")));
    assert!(listing.contains("coffer-backup/manifest.json"));

    let restored = s.restore(&s.path("p.age"), "restored", &[]);
    let before = s.show(&s.vault, &bakery);
    let after = s.show(&restored, &bakery);
    for key in [
        "title",
        "merchant",
        "date",
        "total",
        "currency",
        "company_ids",
        "tags",
        "kind",
        "imported_at",
        "field_states",
    ] {
        assert_eq!(before[key], after[key], "{key}");
    }
    s.ok_in(&restored, &["get", &bakery, "--out", s.str("bakery.out")]);
    assert_eq!(fs::read(s.path("bakery.out")).unwrap(), RECEIPT);
    // The trash, reminder settings and vault settings come back too.
    let trash = s.ok_in(&restored, &["list", "--trash"]);
    assert!(trash.contains(&gone), "{trash}");
    assert_eq!(
        s.ok_in(&restored, &["reminders", "defaults"]).trim(),
        "45,3"
    );
    let plan = s.ok_in(
        &restored,
        &["reminders", "set", &kettle, "--lead-days", "60,14"],
    );
    assert!(plan.contains("notice period 10 days"), "{plan}");
    // The restored vault opens with the password it was given, and has its own phrase.
    let phrase = fs::read_to_string(s.path("restored.phrase")).unwrap();
    assert_eq!(phrase.split_whitespace().count(), 24);
    assert_ne!(phrase, fs::read_to_string(s.path("phrase")).unwrap());
}

#[test]
fn a_tar_that_the_age_tool_encrypted_restores_with_the_key_or_a_passphrase() {
    let s = Sandbox::new();
    let id = s.import(
        "contract.pdf",
        b"%PDF contract text",
        &["--kind", "contract"],
    );
    let (key, public) = s.age_key("key.txt");
    s.ok(&["backup", "--out", s.str("b.age"), "--recipient", &public]);
    run_tool(
        Command::new("age")
            .args(["-d", "-i"])
            .arg(&key)
            .arg("-o")
            .arg(s.path("b.tar"))
            .arg(s.path("b.age")),
    );
    // Unpack and pack again with GNU tar (its own entry order and headers), then encrypt with
    // the age tool, once to the key and once with a passphrase.
    let dir = s.path("unpacked");
    fs::create_dir(&dir).unwrap();
    run_tool(
        Command::new("tar")
            .arg("-xf")
            .arg(s.path("b.tar"))
            .arg("-C")
            .arg(&dir),
    );
    run_tool(
        Command::new("tar")
            .arg("-cf")
            .arg(s.path("repacked.tar"))
            .arg("-C")
            .arg(&dir)
            .arg("."),
    );
    run_tool(
        Command::new("age")
            .arg("-r")
            .arg(&public)
            .arg("-o")
            .arg(s.path("tool.age"))
            .arg(s.path("repacked.tar")),
    );
    age_with_terminal(
        &format!("-p -o {} {}", s.str("tool-p.age"), s.str("repacked.tar")),
        &format!("{PASSPHRASE}\n{PASSPHRASE}\n"),
    );

    let by_key = s.restore(
        &s.path("tool.age"),
        "by-key",
        &["--identity", key.to_str().unwrap()],
    );
    let by_passphrase = s.restore(&s.path("tool-p.age"), "by-passphrase", &[]);
    for vault in [by_key, by_passphrase] {
        assert_eq!(s.show(&vault, &id)["kind"], "contract");
        s.ok_in(&vault, &["get", &id, "--out", s.str("c.out")]);
        assert_eq!(fs::read(s.path("c.out")).unwrap(), b"%PDF contract text");
        fs::remove_file(s.path("c.out")).unwrap();
    }
}

#[test]
fn a_truncated_or_tampered_backup_is_refused_and_nothing_is_half_restored() {
    let s = Sandbox::new();
    let big: Vec<u8> = (0..2_000_000u32).map(|i| (i % 253) as u8).collect();
    s.import("big.bin", &big, &[]);
    let (key, public) = s.age_key("key.txt");
    s.ok(&["backup", "--out", s.str("b.age"), "--recipient", &public]);
    let good = fs::read(s.path("b.age")).unwrap();

    let mut tampered = good.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated-in-a-chunk", good[..good.len() / 2].to_vec()),
        (
            "truncated-at-a-chunk-boundary",
            good[..good.len() - 17].to_vec(),
        ),
        ("cut-short-by-one-byte", good[..good.len() - 1].to_vec()),
        ("tampered", tampered),
    ];
    for (name, bytes) in cases {
        let file = s.write(&format!("{name}.age"), &bytes);
        let target = s.path(name);
        let phrase = s.path(&format!("{name}.phrase"));
        let err = s.fails_in(
            &target,
            &[
                "restore",
                file.to_str().unwrap(),
                "--identity",
                key.to_str().unwrap(),
                "--kdf",
                "pbkdf2",
                "--recovery-file",
                phrase.to_str().unwrap(),
            ],
            1,
        );
        assert!(err.contains("the backup is damaged"), "{name}: {err}");
        assert!(err.contains("nothing was restored"), "{name}: {err}");
        assert!(!target.exists(), "{name}: a vault was left behind");
        assert!(
            !phrase.exists(),
            "{name}: a phrase for no vault was left behind"
        );
    }
    let leftovers: Vec<_> = fs::read_dir(s.root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".coffer"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn wrong_keys_and_occupied_targets_get_clear_errors() {
    let s = Sandbox::new();
    s.import("a.txt", b"a", &[]);
    s.ok(&["backup", "--out", s.str("p.age"), "--passphrase"]);
    let err = s.fails_in(
        &s.vault,
        &["backup", "--out", s.str("p.age"), "--passphrase"],
        1,
    );
    assert!(err.contains("already exists"), "{err}");

    let mut wrong = s.command_for(
        &s.path("new"),
        &[
            "restore",
            s.str("p.age"),
            "--kdf",
            "pbkdf2",
            "--recovery-file",
            s.str("x.phrase"),
        ],
    );
    wrong.env("COFFER_BACKUP_PASSPHRASE", "not the passphrase");
    let out = wrong.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the passphrase does not open this backup")
    );
    assert!(!s.path("new").exists() && !s.path("x.phrase").exists());

    let (key, _) = s.age_key("key.txt");
    let err = s.fails_in(
        &s.path("new"),
        &[
            "restore",
            s.str("p.age"),
            "--identity",
            key.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("protected by a passphrase"), "{err}");

    let (_, other_public) = s.age_key("other.txt");
    s.ok(&[
        "backup",
        "--out",
        s.str("k.age"),
        "--recipient",
        &other_public,
    ]);
    let err = s.fails_in(
        &s.path("new"),
        &[
            "restore",
            s.str("k.age"),
            "--identity",
            key.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("no key in"), "{err}");
    let err = s.fails_in(&s.path("new"), &["restore", s.str("k.age")], 1);
    assert!(err.contains("--identity"), "{err}");

    let err = s.fails_in(&s.vault, &["restore", s.str("p.age")], 1);
    assert!(err.contains("already holds files"), "{err}");
    let err = s.fails_in(&s.path("new"), &["restore", s.str("phrase")], 1);
    assert!(err.contains("not an age-encrypted file"), "{err}");
    let err = s.fails_in(
        &s.vault,
        &["backup", "--out", s.str("r.age"), "--recipient", "age1nope"],
        1,
    );
    assert!(err.contains("not an age recipient"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Accounting export. VAT lines have no CLI editor, so the export vault is built the way any
// script can: a backup tar with Coffer's manifest, encrypted by the age tool, restored.

#[derive(Default)]
struct Doc {
    id: String,
    kind: &'static str,
    merchant: Option<&'static str>,
    date: Option<&'static str>,
    total: Option<(i64, &'static str)>,
    vat: Vec<(u32, i64, i64)>,
    file: &'static str,
    content: Vec<u8>,
    /// Fields that replace the defaults below (`{"variable_symbol": "…"}`).
    fields: Value,
}

fn manifest_doc(d: &Doc) -> Value {
    let mut doc = json!({
        "id": d.id,
        "path": format!("documents/{}/{}", d.id, d.file),
        "file": {"name": d.file, "media_type": "application/pdf", "size": d.content.len()},
        "fields": {
            "kind": d.kind,
            "title": format!("doc {}", &d.id[..4]),
            "merchant": d.merchant,
            "issue_date": d.date,
            "total": d.total.map(|(minor, currency)| json!({"minor": minor, "currency": currency})),
            "vat": d.vat.iter().map(|(rate, base, tax)| json!({"rate_basis_points": rate, "base_minor": base, "tax_minor": tax})).collect::<Vec<_>>(),
            "company_ids": {"ico": "25596641", "vat_id": "CZ25596641"},
            "document_number": format!("FV-{}", &d.id[..4]),
            "payment_method": null,
            "category": "=cmd|' /C calc'!A0",
            "tags": [],
            "notes": null,
            "expiry": null
        },
        "imported_at": "2024-02-15T10:00:00Z",
        "updated_at": "2024-02-15T10:00:00Z"
    });
    if let Value::Object(fields) = &d.fields {
        for (key, value) in fields {
            doc["fields"][key] = value.clone();
        }
    }
    doc
}

/// A vault holding `docs`, built from a hand-made backup.
fn vault_with(s: &Sandbox, docs: &[Doc]) -> PathBuf {
    let root = s.path("made/coffer-backup");
    for d in docs {
        s.write(
            &format!("made/coffer-backup/documents/{}/{}", d.id, d.file),
            &d.content,
        );
    }
    let manifest = json!({
        "format": "coffer-backup",
        "version": 1,
        "created_at": "2024-03-01T00:00:00Z",
        "documents": docs.iter().map(manifest_doc).collect::<Vec<_>>(),
    });
    fs::write(
        root.join("manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    run_tool(
        Command::new("tar")
            .arg("-cf")
            .arg(s.path("made.tar"))
            .arg("-C")
            .arg(s.path("made"))
            .arg("coffer-backup"),
    );
    let (key, public) = s.age_key("made-key.txt");
    run_tool(
        Command::new("age")
            .arg("-r")
            .arg(&public)
            .arg("-o")
            .arg(s.path("made.age"))
            .arg(s.path("made.tar")),
    );
    s.restore(
        &s.path("made.age"),
        "books",
        &["--identity", key.to_str().unwrap()],
    )
}

fn books() -> Vec<Doc> {
    vec![
        Doc {
            id: "11111111-0000-4000-8000-000000000001".into(),
            kind: "receipt",
            merchant: Some("Silvestr s.r.o."),
            date: Some("2023-12-31"),
            total: Some((12100, "CZK")),
            vat: vec![(2100, 10000, 2100)],
            file: "a.pdf",
            content: b"%PDF a".to_vec(),
            ..Doc::default()
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000002".into(),
            kind: "receipt",
            merchant: Some("Pekárna U Nováků; s.r.o."),
            date: Some("2024-01-01"),
            total: Some((123_456, "CZK")),
            vat: vec![(2100, 80000, 16800), (1200, 23800, 2856)],
            file: "b.pdf",
            content: b"%PDF b".to_vec(),
            ..Doc::default()
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000003".into(),
            kind: "invoice",
            merchant: Some("Berlin GmbH, \"Büro\""),
            date: Some("2024-01-31"),
            total: Some((5000, "EUR")),
            vat: vec![],
            file: "c.pdf",
            content: b"%PDF c".to_vec(),
            ..Doc::default()
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000004".into(),
            kind: "invoice",
            merchant: None,
            date: None,
            total: Some((-2050, "CZK")),
            vat: vec![],
            file: "d.pdf",
            content: b"%PDF d".to_vec(),
            ..Doc::default()
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000005".into(),
            kind: "contract",
            merchant: Some("Landlord"),
            date: Some("2024-02-01"),
            total: Some((1_500_000, "CZK")),
            vat: vec![],
            file: "e.pdf",
            content: b"%PDF e".to_vec(),
            ..Doc::default()
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000006".into(),
            kind: "receipt",
            merchant: Some("Tokyo"),
            date: Some("2024-02-29"),
            total: Some((1500, "JPY")),
            vat: vec![(1000, 1364, 136)],
            file: "f.pdf",
            content: b"%PDF f".to_vec(),
            ..Doc::default()
        },
    ]
}

const READ_CSV: &str = r#"
import csv, json, sys
path, delimiter = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f, delimiter=delimiter))
print(json.dumps(rows))
"#;

fn export(s: &Sandbox, vault: &Path, args: &[&str], name: &str) -> PathBuf {
    let out = s.path(name);
    let mut all = vec!["export", "--out", out.to_str().unwrap()];
    all.extend_from_slice(args);
    s.ok_in(vault, &all);
    let dir = s.path(&format!("{name}.d"));
    python(
        "import zipfile, sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        &[out.to_str().unwrap(), dir.to_str().unwrap()],
    );
    dir
}

fn csv_rows(path: &Path, delimiter: &str) -> Vec<Vec<String>> {
    serde_json::from_str(&python(READ_CSV, &[path.to_str().unwrap(), delimiter])).unwrap()
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let index = rows[0]
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]));
    rows[1..].iter().map(|r| r[index].clone()).collect()
}

#[test]
fn the_cz_preset_csv_reads_back_with_python_across_a_year_boundary() {
    let s = Sandbox::empty();
    let vault = vault_with(&s, &books());
    let dir = export(
        &s,
        &vault,
        &["--from", "2024-01-01", "--to", "2024-01-31"],
        "jan.zip",
    );
    let bytes = fs::read(dir.join("documents.csv")).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM");
    assert!(String::from_utf8(bytes).unwrap().contains("\r\n"));
    let rows = csv_rows(&dir.join("documents.csv"), ";");
    // 2023-12-31 is out, 2024-01-01 and 2024-01-31 are in; the undated invoice was imported
    // on 2024-02-15 and counts in February.
    assert_eq!(column(&rows, "Datum"), ["01.01.2024", "31.01.2024"]);
    assert_eq!(
        column(&rows, "Dodavatel"),
        ["Pekárna U Nováků; s.r.o.", "Berlin GmbH, \"Büro\""]
    );
    assert_eq!(column(&rows, "Celkem"), ["1234,56", "50,00"]);
    assert_eq!(column(&rows, "Měna"), ["CZK", "EUR"]);
    assert_eq!(column(&rows, "Základ 21 %"), ["800,00", ""]);
    assert_eq!(column(&rows, "DPH 21 %"), ["168,00", ""]);
    assert_eq!(column(&rows, "Základ 12 %"), ["238,00", ""]);
    assert_eq!(column(&rows, "DPH 12 %"), ["28,56", ""]);
    assert_eq!(column(&rows, "IČO"), ["25596641", "25596641"]);
    assert_eq!(column(&rows, "DIČ"), ["CZ25596641", "CZ25596641"]);
    assert_eq!(column(&rows, "Číslo dokladu"), ["FV-1111", "FV-1111"]);
    assert_eq!(
        column(&rows, "Kategorie")[0],
        "'=cmd|' /C calc'!A0",
        "formulas are defused"
    );
    let files = column(&rows, "Soubor");
    assert_eq!(
        files,
        [
            "documents/2024-01-01_Pekarna-U-Novaku-s.r.o_1234.56CZK.pdf",
            "documents/2024-01-31_Berlin-GmbH-Buro_50.00EUR.pdf"
        ]
    );
    for file in &files {
        assert!(dir.join(file).is_file(), "{file} is in the ZIP");
    }
    assert_eq!(fs::read(dir.join(&files[0])).unwrap(), b"%PDF b");
}

#[test]
fn the_intl_preset_csv_is_rfc_4180_with_decimal_points_and_counts_undated_by_import() {
    let s = Sandbox::empty();
    let vault = vault_with(&s, &books());
    let dir = export(
        &s,
        &vault,
        &[
            "--from",
            "2024-02-01",
            "--to",
            "2024-02-29",
            "--preset",
            "intl",
        ],
        "feb.zip",
    );
    let rows = csv_rows(&dir.join("documents.csv"), ",");
    assert_eq!(
        column(&rows, "Date"),
        ["2024-02-01", "2024-02-15", "2024-02-29"]
    );
    assert_eq!(column(&rows, "Date basis"), ["issue", "import", "issue"]);
    assert_eq!(column(&rows, "Total"), ["15000.00", "-20.50", "1500"]);
    assert_eq!(column(&rows, "Currency"), ["CZK", "CZK", "JPY"]);
    assert_eq!(column(&rows, "VAT base 10%"), ["", "", "1364"]);
    assert_eq!(column(&rows, "VAT 10%"), ["", "", "136"]);
    assert_eq!(column(&rows, "Merchant"), ["Landlord", "", "Tokyo"]);

    // Only invoices: the undated one.
    let only = export(
        &s,
        &vault,
        &[
            "--from",
            "2024-02-01",
            "--to",
            "2024-02-29",
            "--preset",
            "intl",
            "--kind",
            "invoice",
        ],
        "feb-invoices.zip",
    );
    let rows = csv_rows(&only.join("documents.csv"), ",");
    assert_eq!(column(&rows, "Kind"), ["invoice"]);
    assert_eq!(
        rows[0]
            .iter()
            .filter(|h| h.starts_with("VAT") && h.ends_with('%'))
            .count(),
        0,
        "no VAT columns without VAT lines"
    );
}

#[test]
fn libreoffice_reads_both_presets_with_numbers_as_numbers() {
    if Command::new("soffice").arg("--version").output().is_err() {
        eprintln!("note: skipped, `soffice` (libreoffice-calc-nogui) is not installed");
        return;
    }
    let s = Sandbox::empty();
    let vault = vault_with(&s, &books());
    for (preset, filter, total_header) in [
        ("cz", "CSV:59,34,76,1,,1029", "Celkem"),
        ("intl", "CSV:44,34,76,1,,1033", "Total"),
    ] {
        let dir = export(
            &s,
            &vault,
            &[
                "--from",
                "2023-12-01",
                "--to",
                "2024-02-29",
                "--preset",
                preset,
            ],
            &format!("lo-{preset}.zip"),
        );
        let profile = s.path(&format!("lo-profile-{preset}"));
        let out = Command::new("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.display()
            ))
            .args([
                "--headless",
                &format!("--infilter={filter}"),
                "--convert-to",
                "xlsx",
                "--outdir",
            ])
            .arg(&dir)
            .arg(dir.join("documents.csv"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "soffice {:?}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Read the sheet back: header texts, and the totals as numeric cells.
        let cells = python(
            r#"
import json, re, sys, zipfile, xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
shared = [ "".join(t.text or "" for t in si.iter("{%s}t" % ns["m"])) for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns)]
def column(ref):
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1
rows = []
for row in ET.fromstring(z.read("xl/worksheets/sheet1.xml")).iter("{%s}row" % ns["m"]):
    out = [["empty", None] for _ in range(40)]
    for c in row.findall("m:c", ns):
        v = c.find("m:v", ns)
        value = None if v is None else v.text
        cell = ["s", shared[int(value)]] if c.get("t") == "s" else ["n" if value is not None else "empty", value]
        out[column(c.get("r"))] = cell
    rows.append(out)
print(json.dumps(rows))
"#,
            &[dir.join("documents.xlsx").to_str().unwrap()],
        );
        let rows: Vec<Vec<(String, Option<String>)>> = serde_json::from_str(&cells).unwrap();
        let header: Vec<String> = rows[0]
            .iter()
            .map(|c| c.1.clone().unwrap_or_default())
            .collect();
        assert!(
            header[0] == "Datum" || header[0] == "Date",
            "no BOM in the first header: {header:?}"
        );
        let total = header.iter().position(|h| h == total_header).unwrap();
        let merchant = header
            .iter()
            .position(|h| h == "Dodavatel" || h == "Merchant")
            .unwrap();
        let totals: Vec<(String, Option<String>)> =
            rows[1..].iter().map(|r| r[total].clone()).collect();
        assert_eq!(
            totals[0],
            ("n".to_string(), Some("121".to_string())),
            "{preset}: {totals:?}"
        );
        assert_eq!(
            totals[1],
            ("n".to_string(), Some("1234.56".to_string())),
            "{preset}: {totals:?}"
        );
        assert_eq!(
            rows[2][merchant].1.as_deref(),
            Some("Pekárna U Nováků; s.r.o."),
            "{preset}"
        );
        assert_eq!(
            rows[3][merchant].1.as_deref(),
            Some("Berlin GmbH, \"Büro\""),
            "{preset}"
        );
    }
}

#[test]
fn the_pdf_summary_renders_with_pdftoppm() {
    let s = Sandbox::empty();
    let vault = vault_with(&s, &books());
    let dir = export(
        &s,
        &vault,
        &["--from", "2023-12-01", "--to", "2024-02-29"],
        "all.zip",
    );
    let pdf = dir.join("summary.pdf");
    let info = String::from_utf8(run_tool(Command::new("pdfinfo").arg(&pdf))).unwrap();
    let pages = info.lines().find_map(|l| l.strip_prefix("Pages:"));
    assert_eq!(pages.map(str::trim), Some("1"), "{info}");
    let text = String::from_utf8(run_tool(
        Command::new("pdftotext")
            .args(["-layout"])
            .arg(&pdf)
            .arg("-"),
    ))
    .unwrap();
    for expected in [
        "2023-12",
        "2024-01",
        "2024-02",
        "CZK",
        "EUR",
        "JPY",
        "21 %",
        "12 %",
        "10 %",
        "1 234,56",
        "14 979,50",
        "16 335,06",
        "6 documents, 1 of them without an issue date",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    let png = s.path("summary");
    run_tool(
        Command::new("pdftoppm")
            .args(["-png", "-r", "60", "-singlefile"])
            .arg(&pdf)
            .arg(&png),
    );
    let rendered = fs::metadata(s.path("summary.png")).unwrap().len();
    assert!(rendered > 5_000, "the page has content ({rendered} bytes)");
    if let Ok(keep) = std::env::var("COFFER_KEEP_PDF") {
        fs::copy(&pdf, format!("{keep}.pdf")).unwrap();
        fs::copy(s.path("summary.png"), format!("{keep}.png")).unwrap();
    }
}

#[test]
fn an_export_with_the_period_reversed_is_refused() {
    let s = Sandbox::new();
    let err = s.fails_in(
        &s.vault,
        &[
            "export",
            "--from",
            "2024-02-01",
            "--to",
            "2024-01-01",
            "--out",
            s.str("x.zip"),
        ],
        1,
    );
    assert!(err.contains("give --from on or before --to"), "{err}");
    assert!(!s.path("x.zip").exists());
}

/// A busy month: `count` receipts and invoices in CZK and EUR at every Czech rate, some
/// without a number or a payment method, each file `size` bytes of its own.
fn busy_month(count: usize, size: usize) -> Vec<Doc> {
    const MERCHANTS: [&str; 5] = [
        "Pekárna U Nováků",
        "Novák Trade s.r.o.",
        "Büro Berlin GmbH",
        "Kavárna U Lva",
        "Tom & Jerry <s.r.o.>",
    ];
    const PAYMENTS: [Option<&str>; 4] = [Some("cash"), Some("card"), Some("bank transfer"), None];
    (0..count)
        .map(|i| {
            let vat = match i % 4 {
                0 => vec![(2100, 10_000 + i as i64, 2_100)],
                1 => vec![(1200, 5_000, 600), (2100, 2_000 + i as i64, 420)],
                2 => vec![(0, 3_000 + i as i64, 0)],
                _ => vec![],
            };
            let gross: i64 = vat.iter().map(|(_, base, tax)| base + tax).sum();
            let mut content = format!("%PDF-1.4 document {i}\n").into_bytes();
            let mut x = i as u64 + 1;
            while content.len() < size {
                // xorshift: bytes that differ from file to file (duplicates are refused).
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                content.push(x as u8);
            }
            Doc {
                id: format!("44444444-0000-4000-8000-{i:012}"),
                kind: if i % 5 == 0 { "invoice" } else { "receipt" },
                merchant: Some(MERCHANTS[i % MERCHANTS.len()]),
                date: Some(Box::leak(
                    format!("2024-05-{:02}", 1 + i % 31).into_boxed_str(),
                )),
                total: Some((gross.max(100), if i % 7 == 0 { "EUR" } else { "CZK" })),
                vat,
                file: "doc.pdf",
                content,
                fields: json!({
                    "payment_method": PAYMENTS[i % PAYMENTS.len()],
                    "document_number": (i % 11 != 0).then(|| format!("D-{i}")),
                    "variable_symbol": (i % 5 == 0).then(|| format!("2024{i:04}")),
                }),
            }
        })
        .collect()
}

/// `/usr/bin/time` around a command (the `time` package; `make test` installs it): wall
/// seconds and the peak resident memory of the process, in bytes.
fn measured(cmd: Command) -> (f64, u64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(report.path())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let out = timed.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = fs::read_to_string(report.path()).unwrap();
    let mut figures = text.lines().last().unwrap().split_whitespace();
    let seconds: f64 = figures.next().unwrap().parse().unwrap();
    let kib: u64 = figures.next().unwrap().parse().unwrap();
    (seconds, kib * 1024)
}

#[test]
fn a_month_of_500_documents_exports_in_under_10_s_and_streams_its_files() {
    const DOCUMENTS: usize = 500;
    const FILE_BYTES: usize = 160 << 10;
    let s = Sandbox::empty();
    let vault = vault_with(&s, &busy_month(DOCUMENTS, FILE_BYTES));
    let out = s.path("may.zip");
    let cmd = s.command_for(
        &vault,
        &[
            "export",
            "--from",
            "2024-05-01",
            "--to",
            "2024-05-31",
            "--with",
            "pohoda",
            "--with",
            "isdoc",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let (seconds, peak) = measured(cmd);
    eprintln!(
        "export of {DOCUMENTS} documents ({} MiB): {seconds:.2} s, peak {} MiB",
        (DOCUMENTS * FILE_BYTES) >> 20,
        peak >> 20
    );
    assert!(seconds < 10.0, "the export took {seconds} s");
    // The files alone are 78 MiB: an export that held them would need more than that.
    assert!(peak < 64 << 20, "peak resident memory {} MiB", peak >> 20);
    let listing = python(
        "import zipfile, sys, json; z = zipfile.ZipFile(sys.argv[1]); \
         print(json.dumps([i.filename for i in z.infolist()]))",
        &[out.to_str().unwrap()],
    );
    let names: Vec<String> = serde_json::from_str(&listing).unwrap();
    let count = |prefix: &str| names.iter().filter(|n| n.starts_with(prefix)).count();
    assert_eq!(count("documents/"), DOCUMENTS);
    assert!(names.contains(&"pohoda.xml".to_string()));
    // ISDOC leaves out the documents without a number (one in eleven) and those of a VAT
    // payer without a VAT recap (one in four).
    let complete = (0..DOCUMENTS).filter(|i| i % 11 != 0 && i % 4 != 3).count();
    assert_eq!(count("isdoc/"), complete);
}

// ---------------------------------------------------------------------------------------
// Reminders

fn in_days(days: i64) -> String {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[test]
fn reminders_list_what_is_due_and_export_an_icalendar_file() {
    let s = Sandbox::new();
    let kettle = s.import(
        "kettle.pdf",
        b"kettle",
        &["--kind", "warranty", "--title", "Kettle, steel"],
    );
    let gym = s.import("gym.pdf", b"gym", &["--kind", "contract", "--title", "Gym"]);
    let far = s.import(
        "passport.pdf",
        b"passport",
        &["--kind", "other", "--title", "Passport"],
    );
    s.ok(&["edit", &kettle, "--expiry", &in_days(20)]);
    s.ok(&["edit", &gym, "--expiry", &in_days(100)]);
    s.ok(&["edit", &far, "--expiry", &in_days(400)]);
    s.ok(&["reminders", "set", &gym, "--notice-days", "95"]);

    let due: Value = serde_json::from_str(&s.ok(&["reminders", "--json"])).unwrap();
    let due = due.as_array().unwrap();
    assert_eq!(due.len(), 2, "{due:?}");
    assert_eq!(due[0]["kind"], "notice_deadline");
    assert_eq!(due[0]["days_left"], 5);
    assert_eq!(due[0]["stage"], 7);
    assert_eq!(due[1]["kind"], "warranty_ends");
    assert_eq!(due[1]["days_left"], 20);
    assert_eq!(due[1]["stage"], 30);

    let within: Value =
        serde_json::from_str(&s.ok(&["reminders", "--within", "365", "--json"])).unwrap();
    assert_eq!(within.as_array().unwrap().len(), 3);
    let text = s.ok(&["reminders"]);
    assert!(text.contains("Warranty ends: Kettle, steel"), "{text}");

    s.ok(&["reminders", "--ics", s.str("coffer.ics")]);
    let ics = fs::read_to_string(s.path("coffer.ics")).unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 4);
    assert!(ics.contains("SUMMARY:Warranty ends: Kettle\\, steel\r\n"));
    assert!(ics.contains(&format!(
        "DTSTART;VALUE=DATE:{}\r\n",
        in_days(20).replace('-', "")
    )));
    assert!(ics.contains("TRIGGER:-P29DT15H\r\n"));
    assert!(ics.contains(&format!("UID:{kettle}-warranty_ends@coffer.invalid\r\n")));

    let err = s.fails_in(
        &s.vault,
        &["reminders", "defaults", "--lead-days", "5000"],
        2,
    );
    assert!(err.contains("lead times"), "{err}");
}

// ---------------------------------------------------------------------------------------
// Imports from other tools

#[test]
fn a_paperless_export_folder_imports_with_its_fields() {
    let s = Sandbox::new();
    let dir = s.path("paperless");
    s.write("paperless/0000001.pdf", b"%PDF paperless one");
    s.write(
        "paperless/originals/0000002.jpg",
        b"\xff\xd8\xff warranty card",
    );
    s.write(
        "paperless/json/0000002-manifest.json",
        serde_json::to_string(&json!([
            {"model": "documents.document", "pk": 2, "fields": {
                "title": "Kettle warranty", "content": "Záruční list rychlovarná konvice",
                "created": "2023-06-01", "correspondent": null, "document_type": 11, "tags": [],
                "mime_type": "image/jpeg"},
             "__exported_file_name__": "originals/0000002.jpg"},
            {"model": "documents.customfieldinstance", "pk": 9, "fields": {
                "document": 2, "field": 2, "value_date": "2026-06-01"}}
        ]))
        .unwrap()
        .as_bytes(),
    );
    let manifest = json!([
        {"model": "documents.correspondent", "pk": 5, "fields": {"name": "Albert Česko"}},
        {"model": "documents.tag", "pk": 7, "fields": {"name": "groceries", "color": "#aaa"}},
        {"model": "documents.documenttype", "pk": 3, "fields": {"name": "Účtenka"}},
        {"model": "documents.documenttype", "pk": 11, "fields": {"name": "Záruční list"}},
        {"model": "documents.customfield", "pk": 1, "fields": {"name": "Total", "data_type": "monetary"}},
        {"model": "documents.customfield", "pk": 2, "fields": {"name": "Warranty until", "data_type": "date"}},
        {"model": "documents.document", "pk": 1, "fields": {
            "title": "Nákup", "content": "ALBERT ČESKO celkem 123,40",
            "created": "2024-01-15T00:00:00+01:00", "correspondent": 5, "document_type": 3,
            "tags": [7], "mime_type": "application/pdf"},
         "__exported_file_name__": "0000001.pdf", "__exported_thumbnail_name__": "0000001-thumbnail.webp"},
        {"model": "documents.note", "pk": 4, "fields": {"document": 1, "note": "paid by card"}},
        {"model": "documents.customfieldinstance", "pk": 8, "fields": {
            "document": 1, "field": 1, "value_monetary": "CZK123.40"}}
    ]);
    s.write(
        "paperless/manifest.json",
        serde_json::to_string(&manifest).unwrap().as_bytes(),
    );
    s.write("paperless/metadata.json", b"{\"version\": \"2.14.0\"}");

    let out = s.ok(&["import-from", "paperless", dir.to_str().unwrap()]);
    let ids: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{out}");
    let receipt = s.show(
        &s.vault,
        ids.iter()
            .find(|id| out.contains(&format!("{id}  Nákup")))
            .unwrap(),
    );
    assert_eq!(receipt["kind"], "receipt");
    assert_eq!(receipt["merchant"], "Albert Česko");
    assert_eq!(receipt["date"], "2024-01-15");
    assert_eq!(receipt["total"], "123.40");
    assert_eq!(receipt["currency"], "CZK");
    assert_eq!(receipt["tags"], json!(["groceries"]));
    assert_eq!(receipt["notes"], "paid by card");
    assert_eq!(receipt["ocr_text"], "ALBERT ČESKO celkem 123,40");
    let found = s.ok(&["search", "albert"]);
    assert!(found.contains("Nákup"), "OCR text is searchable: {found}");
    let warranty = s.show(
        &s.vault,
        ids.iter()
            .find(|id| out.contains(&format!("{id}  Kettle")))
            .unwrap(),
    );
    assert_eq!(warranty["kind"], "warranty");
    assert_eq!(warranty["expiry"], "2026-06-01");

    // Importing the same folder again finds duplicates and stores nothing twice.
    let again = s.ok(&["import-from", "paperless", dir.to_str().unwrap()]);
    assert_eq!(again.matches("duplicate of").count(), 2, "{again}");
}

#[test]
fn a_coffer_export_csv_imports_back_with_vat_lines_and_bad_rows_are_reported() {
    let s = Sandbox::empty();
    let vault = vault_with(&s, &books());
    let dir = export(
        &s,
        &vault,
        &["--from", "2024-01-01", "--to", "2024-02-29"],
        "round.zip",
    );
    // A new vault imports the export folder (files + CSV) and gets the same fields back.
    let other = s.path("other");
    s.ok_in(
        &other,
        &[
            "init",
            "--kdf",
            "pbkdf2",
            "--recovery-file",
            s.str("other.phrase"),
        ],
    );
    let out = s.ok_in(&other, &["import-from", "csv", dir.to_str().unwrap()]);
    assert_eq!(out.lines().count(), 5, "{out}");
    let list: Value = serde_json::from_str(&s.ok_in(&other, &["list", "--json"])).unwrap();
    let b = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["total"] == "1234.56")
        .unwrap();
    let shown = s.show(&other, b["id"].as_str().unwrap());
    assert_eq!(shown["merchant"], "Pekárna U Nováků; s.r.o.");
    assert_eq!(shown["date"], "2024-01-01");
    assert_eq!(
        shown["vat"],
        json!([
            {"rate_basis_points": 1200, "base_minor": 23800, "tax_minor": 2856},
            {"rate_basis_points": 2100, "base_minor": 80000, "tax_minor": 16800}
        ])
    );
    assert_eq!(shown["company_ids"]["ico"], "25596641");
    let undated = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["total"] == "-20.50")
        .unwrap();
    assert_eq!(
        undated["date"],
        Value::Null,
        "an import date is not brought back as an issue date"
    );

    // A hand-written CSV with a bad row: the good rows import, the bad one is named.
    s.write("mine/a.pdf", b"%PDF mine a");
    s.write("mine/b.pdf", b"%PDF mine b");
    s.write("mine/list.csv", "file,title,total,currency,date,kind\na.pdf,Lunch,\"12,50\",EUR,5.1.2024,receipt\nb.pdf,Broken,12,EUR,2024-13-45,receipt\n".as_bytes());
    let out = s.run_in(&other, &["import-from", "csv", s.str("mine")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("row 3") && stderr.contains("is not a date"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Lunch"), "{stdout}");
}

// ---------------------------------------------------------------------------------------
// The formats Czech accounting software imports, read back with Python's ElementTree (an XML
// parser that is not Coffer's) and, for ISDOC, through another vault's import.

/// Every leaf of an XML file as `path → text`, with local names (`invoiceHeader/date`) and
/// `[n]` after a repeated element (`invoiceItem[2]/rateVAT`); the root's tag and attributes;
/// for a POHODA `dataPack`, one such map per `dataPackItem`.
const FLATTEN_XML: &str = r#"
import json, sys, xml.etree.ElementTree as ET
def local(tag): return tag.split('}', 1)[-1]
def flat(e, prefix, out):
    names = [local(c.tag) for c in e]
    seen = {}
    for c in e:
        n = local(c.tag)
        seen[n] = seen.get(n, 0) + 1
        key = prefix + n + (f"[{seen[n]}]" if names.count(n) > 1 else "")
        if len(c):
            flat(c, key + "/", out)
        else:
            out[key] = c.text or ""
    return out
root = ET.parse(sys.argv[1]).getroot()
result = {"tag": root.tag, "attrs": root.attrib}
if local(root.tag) == "dataPack":
    result["items"] = [
        {"id": i.get("id"), "version": i.get("version"), "agenda": i[0].tag,
         "agenda_version": i[0].get("version"), "fields": flat(i[0], "", {})}
        for i in root
    ]
else:
    result["fields"] = flat(root, "", {})
print(json.dumps(result))
"#;

fn flatten_xml(path: &Path) -> Value {
    serde_json::from_str(&python(FLATTEN_XML, &[path.to_str().unwrap()])).unwrap()
}

const POHODA_DAT: &str = "{http://www.stormware.cz/schema/version_2/data.xsd}";
const POHODA_INV: &str = "{http://www.stormware.cz/schema/version_2/invoice.xsd}";
const POHODA_VCH: &str = "{http://www.stormware.cz/schema/version_2/voucher.xsd}";
const ISDOC_NS: &str = "{http://isdoc.cz/namespace/2013}";

/// One month of a small business: invoices and receipts in CZK, EUR and KWD, with and without
/// what an accountant needs, a credit note, a contract and markup in a supplier's name.
fn ledger() -> Vec<Doc> {
    let ids = |ico: Option<&str>, dic: Option<&str>| json!({"ico": ico, "vat_id": dic});
    vec![
        Doc {
            id: "22222222-0000-4000-8000-000000000001".into(),
            kind: "invoice",
            merchant: Some("Novák Trade s.r.o."),
            date: Some("2024-03-05"),
            total: Some((123_456, "CZK")),
            vat: vec![(2100, 80_000, 16_800), (1200, 23_800, 2_856)],
            file: "invoice.pdf",
            content: b"%PDF invoice".to_vec(),
            fields: json!({"document_number": "FV2024-0042", "variable_symbol": "20240042",
                           "payment_method": "bank transfer",
                           "company_ids": ids(Some("25596641"), Some("CZ25596641"))}),
        },
        Doc {
            id: "22222222-0000-4000-8000-000000000002".into(),
            kind: "receipt",
            merchant: Some("Pekárna U Nováků"),
            date: Some("2024-03-06"),
            total: Some((12_100, "CZK")),
            vat: vec![(2100, 10_000, 2_100)],
            file: "bakery.jpg",
            content: b"JPEG bakery".to_vec(),
            fields: json!({"document_number": "P-77", "payment_method": "cash",
                           "company_ids": ids(Some("27082440"), Some("CZ27082440"))}),
        },
        Doc {
            id: "22222222-0000-4000-8000-000000000003".into(),
            kind: "receipt",
            merchant: Some("Büro Berlin GmbH"),
            date: Some("2024-03-07"),
            total: Some((5_000, "EUR")),
            vat: vec![(1900, 4_202, 798)],
            file: "berlin.pdf",
            content: b"%PDF berlin".to_vec(),
            fields: json!({"document_number": "B-9", "payment_method": "card",
                           "company_ids": ids(None, Some("DE123456789"))}),
        },
        Doc {
            id: "22222222-0000-4000-8000-000000000004".into(),
            kind: "invoice",
            merchant: Some("Kuwait Supplies"),
            date: Some("2024-03-08"),
            total: Some((12_345, "KWD")),
            vat: vec![],
            file: "kuwait.pdf",
            content: b"%PDF kuwait".to_vec(),
            fields: json!({"document_number": "KW-1", "payment_method": "bank transfer",
                           "variable_symbol": "777",
                           "company_ids": ids(None, None)}),
        },
        Doc {
            // No issue date (it counts by its import date, 2024-02-15), no number, no VS.
            id: "22222222-0000-4000-8000-000000000005".into(),
            kind: "invoice",
            merchant: Some("Bez čísla a.s."),
            date: None,
            total: Some((60_500, "CZK")),
            vat: vec![(2100, 50_000, 10_500)],
            file: "undated.pdf",
            content: b"%PDF undated".to_vec(),
            fields: json!({"document_number": null,
                           "company_ids": ids(Some("00006947"), Some("CZ00006947"))}),
        },
        Doc {
            id: "22222222-0000-4000-8000-000000000006".into(),
            kind: "contract",
            merchant: Some("Landlord"),
            date: Some("2024-03-01"),
            total: Some((1_500_000, "CZK")),
            vat: vec![],
            file: "lease.pdf",
            content: b"%PDF lease".to_vec(),
            ..Doc::default()
        },
        Doc {
            id: "22222222-0000-4000-8000-000000000007".into(),
            kind: "invoice",
            merchant: Some("Novák Trade s.r.o."),
            date: Some("2024-03-20"),
            total: Some((-12_100, "CZK")),
            vat: vec![(2100, -10_000, -2_100)],
            file: "credit.pdf",
            content: b"%PDF credit".to_vec(),
            fields: json!({"document_number": "DB2024-3", "variable_symbol": "20240003",
                           "company_ids": ids(Some("25596641"), Some("CZ25596641"))}),
        },
        Doc {
            id: "22222222-0000-4000-8000-000000000008".into(),
            kind: "receipt",
            merchant: Some("Tom & Jerry <s.r.o.> \"U Kocoura\""),
            date: Some("2024-03-21"),
            total: Some((2_400, "CZK")),
            vat: vec![],
            file: "kocour.pdf",
            content: b"%PDF kocour".to_vec(),
            fields: json!({"document_number": "1/2024 & <2>", "payment_method": "card",
                           "company_ids": ids(Some("25596641"), None)}),
        },
        Doc {
            // A number and a VS longer than POHODA's schema takes (ISDOC takes them whole).
            id: "22222222-0000-4000-8000-000000000009".into(),
            kind: "invoice",
            merchant: Some("Dlouhé číslo s.r.o."),
            date: Some("2024-03-22"),
            total: Some((24_200, "CZK")),
            vat: vec![(2100, 20_000, 4_200)],
            file: "long.pdf",
            content: b"%PDF long".to_vec(),
            fields: json!({"document_number": "2024/ZAKAZKA/0001234567/OBJEDNAVKA-99",
                           "variable_symbol": "123456789012345678901234",
                           "payment_method": "bank transfer",
                           "company_ids": ids(Some("25596641"), Some("CZ25596641"))}),
        },
    ]
}

fn item<'a>(pohoda: &'a Value, id: &str) -> &'a Value {
    pohoda["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no dataPackItem {id} in {pohoda}"))
}

#[test]
fn pohoda_xml_books_invoices_and_receipts_with_the_vat_recap_per_rate() {
    let s = Sandbox::empty();
    let vault = vault_with(&s, &ledger());
    let period = ["--from", "2024-02-01", "--to", "2024-03-31"];
    let mut args = period.to_vec();
    args.extend(["--with", "pohoda"]);
    let dir = export(&s, &vault, &args, "march.zip");
    let pohoda = flatten_xml(&dir.join("pohoda.xml"));
    assert_eq!(pohoda["tag"], format!("{POHODA_DAT}dataPack"));
    assert_eq!(pohoda["attrs"]["version"], "2.0");
    assert_eq!(pohoda["attrs"]["application"], "Coffer");
    assert_eq!(pohoda["attrs"]["id"], "coffer-2024-02-01-2024-03-31");
    // Eight booked documents; the contract is not one of them.
    let items = pohoda["items"].as_array().unwrap();
    assert_eq!(items.len(), 8, "{pohoda}");
    assert!(items.iter().all(|i| i["version"] == "2.0"));
    assert!(
        items
            .iter()
            .all(|i| i["id"] != "22222222-0000-4000-8000-000000000006")
    );

    let invoice = item(&pohoda, "22222222-0000-4000-8000-000000000001");
    assert_eq!(invoice["agenda"], format!("{POHODA_INV}invoice"));
    assert_eq!(invoice["agenda_version"], "2.0");
    let f = &invoice["fields"];
    let header = |key: &str| f[format!("invoiceHeader/{key}")].clone();
    assert_eq!(header("invoiceType"), "receivedInvoice");
    assert_eq!(header("originalDocument"), "FV2024-0042");
    assert_eq!(header("symVar"), "20240042");
    for date in ["date", "dateTax", "dateAccounting"] {
        assert_eq!(header(date), "2024-03-05", "{date}");
    }
    assert_eq!(
        header("partnerIdentity/address/company"),
        "Novák Trade s.r.o."
    );
    assert_eq!(header("partnerIdentity/address/ico"), "25596641");
    assert_eq!(header("partnerIdentity/address/dic"), "CZ25596641");
    assert_eq!(header("paymentType/paymentType"), "draft");
    let linked = header("intNote");
    let file = linked.as_str().unwrap().strip_prefix("Originál: ").unwrap();
    assert_eq!(
        fs::read(dir.join(file)).unwrap(),
        b"%PDF invoice",
        "the note names the original's file in the ZIP"
    );
    let summary = |key: &str| f[format!("invoiceSummary/homeCurrency/{key}")].clone();
    assert_eq!(summary("priceHigh"), "800.00");
    assert_eq!(summary("priceHighVAT"), "168.00");
    assert_eq!(summary("priceHighSum"), "968.00");
    assert_eq!(summary("priceLow"), "238.00");
    assert_eq!(summary("priceLowVAT"), "28.56");
    assert_eq!(summary("priceLowSum"), "266.56");
    assert_eq!(
        summary("priceNone"),
        Value::Null,
        "nothing outside the recap"
    );

    // A receipt paid in cash, without a cash register named: another liability.
    let bakery = &item(&pohoda, "22222222-0000-4000-8000-000000000002")["fields"];
    assert_eq!(bakery["invoiceHeader/invoiceType"], "commitment");
    assert_eq!(bakery["invoiceHeader/paymentType/paymentType"], "cash");
    assert_eq!(
        bakery["invoiceHeader/symVar"],
        Value::Null,
        "no VS invented"
    );
    assert_eq!(bakery["invoiceSummary/homeCurrency/priceHighSum"], "121.00");

    // A card receipt in EUR at German VAT: the foreign total, the 19 % part without Czech VAT.
    let berlin = &item(&pohoda, "22222222-0000-4000-8000-000000000003")["fields"];
    assert_eq!(
        berlin["invoiceHeader/paymentType/paymentType"],
        "creditcard"
    );
    assert_eq!(
        berlin["invoiceHeader/partnerIdentity/address/ico"],
        Value::Null
    );
    assert_eq!(berlin["invoiceSummary/foreignCurrency/currency/ids"], "EUR");
    assert_eq!(berlin["invoiceSummary/foreignCurrency/priceSum"], "50.00");
    assert_eq!(berlin["invoiceSummary/foreignCurrency/rate"], Value::Null);
    assert_eq!(berlin["invoiceDetail/invoiceItem/rateVAT"], "none");
    assert_eq!(
        berlin["invoiceDetail/invoiceItem/foreignCurrency/unitPrice"],
        "50.00"
    );

    // Three decimals for dinars.
    let kuwait = &item(&pohoda, "22222222-0000-4000-8000-000000000004")["fields"];
    assert_eq!(kuwait["invoiceSummary/foreignCurrency/priceSum"], "12.345");
    assert_eq!(
        kuwait["invoiceDetail/invoiceItem/foreignCurrency/unitPrice"],
        "12.345"
    );
    assert_eq!(
        kuwait["invoiceDetail/invoiceItem/foreignCurrency/priceVAT"],
        "0.000"
    );

    // What a document does not state is left out, not made up.
    let undated = &item(&pohoda, "22222222-0000-4000-8000-000000000005")["fields"];
    for absent in ["date", "dateTax", "originalDocument", "symVar"] {
        assert_eq!(
            undated[format!("invoiceHeader/{absent}")],
            Value::Null,
            "{absent}"
        );
    }

    let credit = &item(&pohoda, "22222222-0000-4000-8000-000000000007")["fields"];
    assert_eq!(credit["invoiceHeader/invoiceType"], "receivedCreditNotice");
    assert_eq!(credit["invoiceSummary/homeCurrency/priceHigh"], "-100.00");
    assert_eq!(credit["invoiceSummary/homeCurrency/priceHighVAT"], "-21.00");

    // Markup in text survives escaping exactly.
    let kocour = &item(&pohoda, "22222222-0000-4000-8000-000000000008")["fields"];
    assert_eq!(
        kocour["invoiceHeader/partnerIdentity/address/company"],
        "Tom & Jerry <s.r.o.> \"U Kocoura\""
    );
    assert_eq!(kocour["invoiceHeader/originalDocument"], "1/2024 & <2>");
    assert_eq!(kocour["invoiceSummary/homeCurrency/priceNone"], "24.00");

    // A value longer than the schema takes is left out, not cut (the report names it).
    let long = &item(&pohoda, "22222222-0000-4000-8000-000000000009")["fields"];
    assert_eq!(long["invoiceHeader/originalDocument"], Value::Null);
    assert_eq!(long["invoiceHeader/symVar"], Value::Null);
    assert_eq!(
        long["invoiceHeader/partnerIdentity/address/dic"],
        "CZ25596641"
    );

    // With the cash register named, the cash receipt goes to the cash book.
    let mut args = period.to_vec();
    args.extend(["--with", "pohoda", "--cash-register", "HP"]);
    let dir = export(&s, &vault, &args, "cash.zip");
    let pohoda = flatten_xml(&dir.join("pohoda.xml"));
    let bakery = item(&pohoda, "22222222-0000-4000-8000-000000000002");
    assert_eq!(bakery["agenda"], format!("{POHODA_VCH}voucher"));
    let f = &bakery["fields"];
    assert_eq!(f["voucherHeader/voucherType"], "expense");
    assert_eq!(f["voucherHeader/cashAccount/ids"], "HP");
    assert_eq!(f["voucherHeader/originalDocument"], "P-77");
    assert_eq!(f["voucherHeader/dateTax"], "2024-03-06");
    assert_eq!(f["voucherSummary/homeCurrency/priceHigh"], "100.00");
    assert_eq!(f["voucherSummary/homeCurrency/priceHighVAT"], "21.00");
    let card = item(&pohoda, "22222222-0000-4000-8000-000000000003");
    assert_eq!(
        card["agenda"],
        format!("{POHODA_INV}invoice"),
        "a card payment is not cash"
    );
}

#[test]
fn isdoc_files_carry_the_recap_leave_out_incomplete_documents_and_import_back() {
    let s = Sandbox::empty();
    let docs = ledger();
    let vault = vault_with(&s, &docs);
    let out = s.path("isdoc.zip");
    let run = s.run_in(
        &vault,
        &[
            "export",
            "--out",
            out.to_str().unwrap(),
            "--from",
            "2024-02-01",
            "--to",
            "2024-03-31",
            "--with",
            "isdoc",
            "--with",
            "pohoda",
        ],
    );
    assert!(run.status.success());
    let stderr = String::from_utf8(run.stderr).unwrap();
    let dir = s.path("isdoc.d");
    python(
        "import zipfile, sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        &[out.to_str().unwrap(), dir.to_str().unwrap()],
    );
    let mut names: Vec<String> = fs::read_dir(dir.join("isdoc"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    // The undated invoice without a number is left out; the contract is not booked.
    assert_eq!(names.len(), 7, "{names:?}");
    let by_uuid = |uuid: &str| -> Value {
        names
            .iter()
            .map(|n| flatten_xml(&dir.join("isdoc").join(n)))
            .find(|x| x["fields"]["UUID"] == uuid)
            .unwrap_or_else(|| panic!("no ISDOC for {uuid}"))
    };
    let invoice = by_uuid("22222222-0000-4000-8000-000000000001");
    assert_eq!(invoice["tag"], format!("{ISDOC_NS}Invoice"));
    assert_eq!(invoice["attrs"]["version"], "6.0.2");
    let f = &invoice["fields"];
    assert_eq!(f["DocumentType"], "1");
    assert_eq!(f["ID"], "FV2024-0042");
    assert_eq!(f["IssueDate"], "2024-03-05");
    assert_eq!(f["LocalCurrencyCode"], "CZK");
    assert_eq!(
        f["AccountingSupplierParty/Party/PartyIdentification/ID"],
        "25596641"
    );
    assert_eq!(
        f["AccountingSupplierParty/Party/PartyName/Name"],
        "Novák Trade s.r.o."
    );
    assert_eq!(
        f["AccountingSupplierParty/Party/PartyTaxScheme/CompanyID"],
        "CZ25596641"
    );
    assert_eq!(
        f["AccountingSupplierParty/Party/PostalAddress/Country/IdentificationCode"],
        "CZ"
    );
    for (n, rate, base, tax) in [(1, "21", "800.00", "168.00"), (2, "12", "238.00", "28.56")] {
        let sub = |key: &str| f[format!("TaxTotal/TaxSubTotal[{n}]/{key}")].clone();
        assert_eq!(sub("TaxCategory/Percent"), rate);
        assert_eq!(sub("TaxableAmount"), base);
        assert_eq!(sub("TaxAmount"), tax);
        let line = |key: &str| f[format!("InvoiceLines/InvoiceLine[{n}]/{key}")].clone();
        assert_eq!(line("ClassifiedTaxCategory/Percent"), rate);
        assert_eq!(line("LineExtensionAmount"), base);
    }
    assert_eq!(f["TaxTotal/TaxAmount"], "196.56");
    assert_eq!(f["LegalMonetaryTotal/TaxExclusiveAmount"], "1038.00");
    assert_eq!(f["LegalMonetaryTotal/PayableAmount"], "1234.56");
    assert_eq!(f["PaymentMeans/Payment/PaymentMeansCode"], "42");

    let bakery = by_uuid("22222222-0000-4000-8000-000000000002");
    assert_eq!(
        bakery["fields"]["DocumentType"], "7",
        "a simplified tax document"
    );
    let credit = by_uuid("22222222-0000-4000-8000-000000000007");
    assert_eq!(credit["fields"]["DocumentType"], "2");
    let kuwait = by_uuid("22222222-0000-4000-8000-000000000004");
    assert_eq!(kuwait["fields"]["LocalCurrencyCode"], "KWD");
    assert_eq!(kuwait["fields"]["VATApplicable"], "false");
    assert_eq!(
        kuwait["fields"]["LegalMonetaryTotal/PayableAmount"],
        "12.345"
    );
    assert_eq!(
        kuwait["fields"]["TaxTotal/TaxSubTotal/TaxableAmount"],
        "12.345"
    );

    // The report names what is missing, on stderr and in the CSV's last column.
    let undated_line = stderr
        .lines()
        .find(|l| l.contains("Bez-cisla"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        undated_line.contains("issue date")
            && undated_line.contains("document number")
            && undated_line.contains("variable symbol")
            && undated_line.contains("not in isdoc"),
        "{undated_line}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("Buro-Berlin") && l.contains("VAT at 19 %")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.contains("Landlord") && l.contains("not in pohoda, isdoc")),
        "{stderr}"
    );
    assert!(
        stderr.lines().any(|l| l.contains("Dlouhe-cislo")
            && l.contains("document number, variable symbol too long for pohoda.xml")),
        "{stderr}"
    );
    let rows = csv_rows(&dir.join("documents.csv"), ";");
    let fill = column(&rows, "Doplnit");
    let files = column(&rows, "Soubor");
    let undated = files.iter().position(|f| f.contains("Bez-cisla")).unwrap();
    assert_eq!(
        fill[undated],
        "datum vystavení, číslo dokladu, variabilní symbol"
    );
    let invoice = files.iter().position(|f| f.contains("1234.56")).unwrap();
    assert_eq!(fill[invoice], "", "a complete invoice lacks nothing");

    // Another vault imports the ISDOC files and reads back the same fields.
    let other = s.path("other");
    s.ok_in(
        &other,
        &[
            "init",
            "--kdf",
            "pbkdf2",
            "--recovery-file",
            s.str("other.phrase"),
        ],
    );
    for name in &names {
        let path = dir.join("isdoc").join(name);
        let id = s.ok_in(&other, &["import", path.to_str().unwrap()]);
        let id = id.split_whitespace().next().unwrap();
        let back = s.show(&other, id);
        let uuid = flatten_xml(&path)["fields"]["UUID"].clone();
        let original = docs.iter().find(|d| d.id == uuid).unwrap();
        let wanted = manifest_doc(original)["fields"].clone();
        for key in ["kind", "merchant", "document_number", "payment_method"] {
            assert_eq!(back[key], wanted[key], "{key} of {name}");
        }
        for key in ["ico", "vat_id"] {
            let ids = |doc: &Value| doc["company_ids"][key].clone();
            assert_eq!(ids(&back), ids(&wanted), "{key} of {name}");
        }
        assert_eq!(back["date"], wanted["issue_date"], "{name}");
        let (minor, currency) = original.total.unwrap();
        assert_eq!(back["currency"], currency, "{name}");
        let minor_digits = match currency {
            "KWD" => 3,
            _ => 2,
        };
        let decimal = format!(
            "{}{}.{:0width$}",
            if minor < 0 { "-" } else { "" },
            minor.abs() / 10i64.pow(minor_digits),
            minor.abs() % 10i64.pow(minor_digits),
            width = minor_digits as usize
        );
        assert_eq!(back["total"], decimal, "{name}");
        let mut vat = wanted["vat"].as_array().unwrap().clone();
        let mut got = back["vat"].as_array().unwrap().clone();
        let rate = |v: &Value| v["rate_basis_points"].as_u64().unwrap();
        vat.sort_by_key(rate);
        got.sort_by_key(rate);
        assert_eq!(got, vat, "VAT lines of {name}");
    }
}
