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

struct Doc {
    id: &'static str,
    kind: &'static str,
    merchant: Option<&'static str>,
    date: Option<&'static str>,
    total: Option<(i64, &'static str)>,
    vat: Vec<(u32, i64, i64)>,
    file: &'static str,
    content: &'static [u8],
}

fn manifest_doc(d: &Doc) -> Value {
    json!({
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
    })
}

/// A vault holding `docs`, built from a hand-made backup.
fn vault_with(s: &Sandbox, docs: &[Doc]) -> PathBuf {
    let root = s.path("made/coffer-backup");
    for d in docs {
        s.write(
            &format!("made/coffer-backup/documents/{}/{}", d.id, d.file),
            d.content,
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
            id: "11111111-0000-4000-8000-000000000001",
            kind: "receipt",
            merchant: Some("Silvestr s.r.o."),
            date: Some("2023-12-31"),
            total: Some((12100, "CZK")),
            vat: vec![(2100, 10000, 2100)],
            file: "a.pdf",
            content: b"%PDF a",
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000002",
            kind: "receipt",
            merchant: Some("Pekárna U Nováků; s.r.o."),
            date: Some("2024-01-01"),
            total: Some((123_456, "CZK")),
            vat: vec![(2100, 80000, 16800), (1200, 23800, 2856)],
            file: "b.pdf",
            content: b"%PDF b",
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000003",
            kind: "invoice",
            merchant: Some("Berlin GmbH, \"Büro\""),
            date: Some("2024-01-31"),
            total: Some((5000, "EUR")),
            vat: vec![],
            file: "c.pdf",
            content: b"%PDF c",
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000004",
            kind: "invoice",
            merchant: None,
            date: None,
            total: Some((-2050, "CZK")),
            vat: vec![],
            file: "d.pdf",
            content: b"%PDF d",
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000005",
            kind: "contract",
            merchant: Some("Landlord"),
            date: Some("2024-02-01"),
            total: Some((1_500_000, "CZK")),
            vat: vec![],
            file: "e.pdf",
            content: b"%PDF e",
        },
        Doc {
            id: "11111111-0000-4000-8000-000000000006",
            kind: "receipt",
            merchant: Some("Tokyo"),
            date: Some("2024-02-29"),
            total: Some((1500, "JPY")),
            vat: vec![(1000, 1364, 136)],
            file: "f.pdf",
            content: b"%PDF f",
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
        1,
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
