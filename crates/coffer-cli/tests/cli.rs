//! The `coffer` command as scripts use it: real processes, a real SQLCipher vault on disk,
//! real files. Each test reads like the behaviour it pins down.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod sandbox;

use sandbox::{PASSWORD, Sandbox};

impl Sandbox {
    fn import(&self, file: &Path, extra: &[&str]) -> String {
        let mut args = vec!["import"];
        args.extend_from_slice(extra);
        args.push(file.to_str().unwrap());
        let out = self.ok(&args);
        out.split_whitespace().next().unwrap().to_string()
    }

    fn blob_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for shard in fs::read_dir(self.vault.join("blobs")).unwrap() {
            let shard = shard.unwrap().path();
            if shard.file_name().unwrap() != "tmp" {
                files.extend(fs::read_dir(&shard).unwrap().map(|e| e.unwrap().path()));
            }
        }
        files.sort();
        files
    }

    fn all_vault_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.vault, &mut files);
        files
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn init_writes_a_24_word_phrase_to_a_private_new_file() {
    let s = Sandbox::new();
    let phrase = fs::read_to_string(s.path("phrase")).unwrap();
    assert_eq!(phrase.split_whitespace().count(), 24);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(s.path("phrase")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let info = json(&s.ok(&["info", "--json"]));
    assert_eq!(info["format"], 2);
    assert_eq!(info["kdf"]["alg"], "pbkdf2-sha256");
    assert_eq!(info["documents"], 0);
}

#[test]
fn init_refuses_an_existing_vault_or_phrase_file_and_needs_a_terminal_to_show_the_phrase() {
    let s = Sandbox::new();
    let err = s.fails(
        &["init", "--recovery-file", s.path("other").to_str().unwrap()],
        1,
    );
    assert!(err.contains("already holds files"), "{err}");
    assert!(!s.path("other").exists());

    let fresh = Sandbox::empty();
    let taken = fresh.write("taken", b"do not overwrite");
    let err = fresh.fails(&["init", "--recovery-file", taken.to_str().unwrap()], 1);
    assert!(err.contains("must not exist"), "{err}");
    assert_eq!(fs::read(&taken).unwrap(), b"do not overwrite");
    assert!(!fresh.vault.join("vault.json").exists());

    let err = fresh.fails(&["init"], 1);
    assert!(err.contains("--recovery-file"), "{err}");
    assert!(!fresh.vault.join("vault.json").exists());
}

#[test]
fn default_vault_is_argon2id_128_mib_and_weak_settings_are_upgraded_on_unlock() {
    let s = Sandbox::empty();
    s.ok(&[
        "init",
        "--kdf-memory",
        "64",
        "--recovery-file",
        s.path("p").to_str().unwrap(),
    ]);
    let header: serde_json::Value = json(&fs::read_to_string(s.vault.join("vault.json")).unwrap());
    assert_eq!(header["kdf"]["alg"], "argon2id");
    assert_eq!(header["kdf"]["memory_kib"], 64 * 1024);
    let out = s.run(&["list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("strengthened"));
    let header: serde_json::Value = json(&fs::read_to_string(s.vault.join("vault.json")).unwrap());
    assert_eq!(header["kdf"]["memory_kib"], 128 * 1024);
    assert_eq!(header["kdf"]["passes"], 3);
    assert_eq!(header["kdf"]["lanes"], 4);
    s.ok(&["list"]);
}

#[test]
fn kdf_below_the_floor_is_refused_at_init_and_when_read_from_a_tampered_header() {
    let s = Sandbox::empty();
    let err = s.fails(
        &[
            "init",
            "--kdf-memory",
            "32",
            "--recovery-file",
            s.path("p").to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("below the safe minimum"), "{err}");
    let err = s.fails(
        &[
            "init",
            "--kdf",
            "pbkdf2",
            "--pbkdf2-iterations",
            "100000",
            "--recovery-file",
            s.path("p").to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("below the safe minimum"), "{err}");

    let s = Sandbox::new();
    let path = s.vault.join("vault.json");
    let mut header = json(&fs::read_to_string(&path).unwrap());
    header["kdf"]["iterations"] = 1000.into();
    fs::write(&path, header.to_string()).unwrap();
    let err = s.fails(&["list"], 1);
    assert!(err.contains("below the safe minimum"), "{err}");
}

#[test]
fn import_prints_one_id_per_file_and_reports_duplicates_by_keyed_hash() {
    let s = Sandbox::new();
    let a = s.write("kettle.txt", b"kettle receipt");
    let b = s.write("toaster.txt", b"toaster receipt");
    let copy = s.write("kettle-copy.txt", b"kettle receipt");
    let out = s.ok(&[
        "import",
        "--kind",
        "receipt",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        copy.to_str().unwrap(),
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let first = lines[0].split_whitespace().next().unwrap();
    assert_eq!(first.len(), 36);
    assert!(
        lines[2].starts_with(&format!("duplicate of {first}")),
        "{out}"
    );
    let listed = json(&s.ok(&["list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(s.blob_files().len(), 2);
}

#[test]
fn import_goes_on_after_a_bad_file_and_exits_1() {
    let s = Sandbox::new();
    let good = s.write("good.txt", b"fine");
    let out = s.run(&[
        "import",
        s.path("missing.pdf").to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.pdf"));
    assert_eq!(
        json(&s.ok(&["list", "--json"])).as_array().unwrap().len(),
        1
    );
}

#[test]
fn list_search_and_show_print_ids_titles_and_the_json_contract() {
    let s = Sandbox::new();
    let id = s.import(
        &s.write("a.txt", b"a"),
        &[
            "--kind",
            "invoice",
            "--title",
            "Electricity March",
            "--tag",
            "home",
        ],
    );
    let other = s.import(
        &s.write("b.txt", b"b"),
        &["--kind", "receipt", "--title", "Kettle"],
    );
    s.ok(&[
        "edit",
        &id,
        "--date",
        "2026-03-05",
        "--total",
        "1234,50",
        "--currency",
        "czk",
        "--merchant",
        "ČEZ Prodej",
    ]);
    s.ok(&[
        "edit",
        &other,
        "--date",
        "2025-12-24",
        "--total",
        "31.80",
        "--currency",
        "EUR",
    ]);

    let plain = s.ok(&["list"]);
    assert!(
        plain
            .lines()
            .any(|l| l.starts_with(&id) && l.contains("Electricity March")),
        "{plain}"
    );

    let listed = json(&s.ok(&["list", "--json"]));
    let doc = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id.as_str())
        .unwrap();
    assert_eq!(doc["kind"], "invoice");
    assert_eq!(doc["title"], "Electricity March");
    assert_eq!(doc["date"], "2026-03-05");
    assert_eq!(doc["total"], "1234.50");
    assert_eq!(doc["currency"], "CZK");

    let found = json(&s.ok(&["search", "electr", "--json"]));
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], id.as_str());
    // Diacritics are folded: "cez" finds "ČEZ".
    assert_eq!(
        json(&s.ok(&["search", "cez", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        json(&s.ok(&["search", "", "--kind", "receipt", "--json"]))[0]["id"],
        other.as_str()
    );
    let in_2026 = json(&s.ok(&[
        "search",
        "",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--json",
    ]));
    assert_eq!(in_2026.as_array().unwrap().len(), 1);
    assert_eq!(in_2026[0]["id"], id.as_str());
    assert_eq!(
        json(&s.ok(&["search", "", "--tag", "HOME", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        json(&s.ok(&["search", "", "--min-total", "100", "--json"]))[0]["id"],
        id.as_str()
    );

    let shown = json(&s.ok(&["show", &id[..8], "--json"]));
    assert_eq!(shown["merchant"], "ČEZ Prodej");
    assert_eq!(shown["field_states"]["total"]["confirmed"], true);
    assert!(s.ok(&["show", &id]).contains("ČEZ Prodej"));
}

#[test]
fn usage_errors_exit_2_and_other_errors_exit_1_with_advice() {
    let s = Sandbox::new();
    s.fails(&["frobnicate"], 2);
    s.fails(&["search", "x", "--from", "5.3.2026"], 2);
    s.fails(&["import", "--kind", "bill", "x"], 2);
    let err = s.fails(&["show", "ffffffff"], 1);
    assert!(err.contains("coffer list"), "{err}");
    let err = s.fails(&["edit", "ffffffff", "--title", "x"], 1);
    assert!(err.contains("no document"), "{err}");
}

#[test]
fn verify_says_what_to_do_and_the_command_that_does_it() {
    let s = Sandbox::new();
    let id = s.import(&s.write("receipt.txt", b"a receipt"), &[]);
    for blob in s.blob_files() {
        fs::remove_file(blob).unwrap();
    }
    let out = s.run(&["verify"]);
    assert!(!out.status.success());
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("what to do: restore this document"),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "hint: `coffer rm --purge {id}` removes it for good"
        )),
        "{report}"
    );
}

#[test]
fn edit_checks_amounts_currency_codes_ico_and_variable_symbols_as_usage() {
    let s = Sandbox::new();
    let id = s.import(&s.write("invoice.pdf", b"invoice"), &["--kind", "invoice"]);
    for (args, expected) in [
        (["--total", "abc"], "not an amount"),
        (["--currency", "XYZ"], "ISO 4217"),
        (["--ico", "25596642"], "IČO"),
        (["--variable-symbol", "12345678901"], "variable symbol"),
    ] {
        let mut edit = vec!["edit", id.as_str()];
        edit.extend_from_slice(&args);
        let err = s.fails(&edit, 2);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    s.ok(&[
        "edit",
        &id,
        "--total",
        "1210,50",
        "--currency",
        "czk",
        "--ico",
        "25596641",
        "--variable-symbol",
        "2026 0001",
    ]);
    let doc = json(&s.ok(&["show", &id, "--json"]));
    assert_eq!(doc["total"], "1210.50");
    assert_eq!(doc["currency"], "CZK");
    assert_eq!(doc["company_ids"]["ico"], "25596641");
    assert_eq!(doc["variable_symbol"], "20260001");
    assert_eq!(doc["field_states"]["variable_symbol"]["confirmed"], true);
    assert_eq!(json(&s.ok(&["search", "20260001", "--json"]))[0]["id"], id);
    s.ok(&["edit", &id, "--variable-symbol", ""]);
    assert!(json(&s.ok(&["show", &id, "--json"]))["variable_symbol"].is_null());
}

#[test]
fn wrong_password_is_a_clear_error_that_points_to_recovery() {
    let s = Sandbox::new();
    let out = s
        .command(&["list"])
        .env("COFFER_PASSWORD", "wrong password!")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wrong password") && err.contains("coffer recover"),
        "{err}"
    );
}

#[test]
fn a_directory_that_is_not_a_vault_or_of_an_unknown_version_is_named_as_such() {
    let s = Sandbox::empty();
    fs::create_dir_all(&s.vault).unwrap();
    let err = s.fails(&["list"], 1);
    assert!(err.contains("is not a Coffer vault"), "{err}");

    let s = Sandbox::new();
    let path = s.vault.join("vault.json");
    let mut header = json(&fs::read_to_string(&path).unwrap());
    header["format"] = 7.into();
    fs::write(&path, header.to_string()).unwrap();
    let err = s.fails(&["list"], 1);
    assert!(
        err.contains("format version 7") && err.contains("update Coffer"),
        "{err}"
    );

    fs::write(&path, b"{ not json").unwrap();
    let err = s.fails(&["list"], 1);
    assert!(err.contains("header is damaged"), "{err}");
}

#[test]
fn get_writes_the_original_bytes() {
    let s = Sandbox::new();
    let content: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let id = s.import(&s.write("scan.pdf", &content), &[]);
    let out = s.path("out.pdf");
    s.ok(&["get", &id, "--out", out.to_str().unwrap()]);
    assert_eq!(fs::read(&out).unwrap(), content);
}

/// What the engine reports for a damaged, missing or newer blob (tested in coffer-core)
/// reaches the person as one line naming the document, exit 1, and no output file.
#[test]
fn a_damaged_missing_or_newer_blob_is_named_with_exit_1_and_no_output_file() {
    let s = Sandbox::new();
    let id = s.import(&s.write("a.bin", &vec![1u8; 200_000]), &[]);
    let blob = s.blob_files()[0].clone();
    let original = fs::read(&blob).unwrap();
    let out = s.path("restored.bin");
    let mut flipped = original.clone();
    flipped[original.len() / 2] ^= 0x20;
    let mut newer = original.clone();
    newer[0] = 9;
    for (bytes, expected) in [
        (Some(flipped), vec![id.as_str(), "damaged"]),
        (Some(newer), vec!["format version 9", "update Coffer"]),
        (None, vec![id.as_str(), "missing"]),
    ] {
        match bytes {
            Some(bytes) => fs::write(&blob, bytes).unwrap(),
            None => fs::remove_file(&blob).unwrap(),
        }
        let err = s.fails(&["get", &id, "--out", out.to_str().unwrap()], 1);
        assert!(expected.iter().all(|e| err.contains(e)), "{err}");
        assert!(!out.exists(), "no output file may be left behind");
    }
}

#[test]
fn edit_marks_fields_confirmed_and_tags_can_be_added_and_removed() {
    let s = Sandbox::new();
    let id = s.import(&s.write("w.jpg", b"warranty"), &["--tag", "kitchen"]);
    s.ok(&[
        "edit",
        &id,
        "--kind",
        "warranty",
        "--expiry",
        "2028-01-31",
        "--tag",
        "appliance",
        "--untag",
        "kitchen",
        "--notes",
        "Bosch kettle",
    ]);
    let doc = json(&s.ok(&["show", &id, "--json"]));
    assert_eq!(doc["kind"], "warranty");
    assert_eq!(doc["expiry"], "2028-01-31");
    assert_eq!(doc["tags"], serde_json::json!(["appliance"]));
    for field in ["kind", "expiry", "tags", "notes"] {
        assert_eq!(doc["field_states"][field]["confirmed"], true, "{field}");
    }
    s.ok(&["edit", &id, "--expiry", ""]);
    assert!(json(&s.ok(&["show", &id, "--json"]))["expiry"].is_null());
    let err = s.fails(&["edit", &id, "--total", "12.30"], 2);
    assert!(err.contains("--currency"), "{err}");
}

#[test]
fn rm_moves_to_trash_untrash_restores_and_purge_deletes_content() {
    let s = Sandbox::new();
    let id = s.import(&s.write("a.txt", b"a"), &[]);
    s.ok(&["rm", &id]);
    assert_eq!(
        json(&s.ok(&["list", "--json"])).as_array().unwrap().len(),
        0
    );
    assert_eq!(
        json(&s.ok(&["list", "--trash", "--json"]))[0]["id"],
        id.as_str()
    );
    // Still a duplicate while in the trash: nothing stored twice.
    assert!(
        s.ok(&["import", s.path("a.txt").to_str().unwrap()])
            .starts_with("duplicate of")
    );
    s.ok(&["untrash", &id]);
    assert_eq!(
        json(&s.ok(&["list", "--json"])).as_array().unwrap().len(),
        1
    );
    s.ok(&["rm", "--purge", &id]);
    assert!(s.blob_files().is_empty());
    s.fails(&["show", &id], 1);
}

#[test]
fn passwd_rewraps_only_the_vault_key() {
    let s = Sandbox::new();
    let id = s.import(&s.write("a.bin", &vec![5u8; 100_000]), &[]);
    let blob_before = fs::read(&s.blob_files()[0]).unwrap();
    let out = s
        .command(&["passwd"])
        .env("COFFER_NEW_PASSWORD", "a brand new passphrase")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read(&s.blob_files()[0]).unwrap(),
        blob_before,
        "content untouched"
    );
    s.fails(&["list"], 1);
    let out = s
        .command(&["get", &id, "--out", s.path("o").to_str().unwrap()])
        .env("COFFER_PASSWORD", "a brand new passphrase")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(fs::read(s.path("o")).unwrap(), vec![5u8; 100_000]);
}

#[test]
fn recover_sets_a_new_password_from_the_phrase_and_refuses_a_wrong_phrase() {
    let s = Sandbox::new();
    let id = s.import(&s.write("a.txt", b"keep me"), &[]);
    let phrase = s.path("phrase");
    let wrong = s.path("wrong");
    // A valid phrase of another vault.
    let other = Sandbox::new();
    fs::copy(other.path("phrase"), &wrong).unwrap();
    let out = s
        .command(&["recover", "--recovery-file", wrong.to_str().unwrap()])
        .env("COFFER_NEW_PASSWORD", "recovered at last")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("recovery phrase does not open"));

    let out = s
        .command(&["recover", "--recovery-file", phrase.to_str().unwrap()])
        .env("COFFER_PASSWORD", "forgotten")
        .env("COFFER_NEW_PASSWORD", "recovered at last")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = s
        .command(&["show", &id, "--json"])
        .env("COFFER_PASSWORD", "recovered at last")
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn a_full_disk_during_import_loses_nothing_and_says_so() {
    let s = Sandbox::new();
    let kept = s.import(&s.write("kept.txt", b"already here"), &[]);
    let big = s.write("big.bin", &vec![9u8; 3_000_000]);
    // RLIMIT_FSIZE makes writes past 1 MiB fail with EFBIG, as a full disk would.
    let script = format!(
        "trap '' XFSZ; ulimit -f 1024; exec \"$0\" --vault '{}' import '{}'",
        s.vault.display(),
        big.display()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_coffer"))
        .env("COFFER_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("disk is full") && err.contains("nothing was saved"),
        "{err}"
    );
    let listed = json(&s.ok(&["list", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], kept.as_str());
    assert_eq!(s.blob_files().len(), 1);
    assert_eq!(fs::read_dir(s.vault.join("blobs/tmp")).unwrap().count(), 0);
    // With space again, the same file imports.
    s.import(&big, &[]);
}

#[test]
fn import_reads_text_and_fields_as_unconfirmed_and_ocr_never_overwrites_a_confirmed_field() {
    let s = Sandbox::new();
    let receipt = s.write(
        "albert.txt",
        "ALBERT Česká republika, s.r.o.\nIČO: 44012373\nDatum: 05.03.2026\nMléko 2x 24,90\nCelkem 123,50 Kč\nPlatba kartou\n".as_bytes(),
    );
    let id = s.import(&receipt, &[]);
    let doc = json(&s.ok(&["show", &id, "--json"]));
    assert_eq!(doc["total"], "123.50");
    assert_eq!(doc["currency"], "CZK");
    assert_eq!(doc["date"], "2026-03-05");
    assert_eq!(doc["field_states"]["total"]["confirmed"], false);
    assert!(doc["ocr_text"].as_str().unwrap().contains("Mléko"));
    // OCR text is searchable, and unconfirmed documents can be found as such.
    assert_eq!(
        json(&s.ok(&["search", "mleko", "--json"]))[0]["id"],
        id.as_str()
    );
    assert_eq!(
        json(&s.ok(&["search", "", "--unconfirmed", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        1
    );

    s.ok(&[
        "edit",
        &id,
        "--total",
        "120",
        "--currency",
        "CZK",
        "--confirm",
        "all",
    ]);
    assert_eq!(
        json(&s.ok(&["search", "", "--unconfirmed", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let again = json(&s.ok(&["ocr", &id, "--json"]));
    assert_eq!(
        again["total"], "120.00",
        "a confirmed value stays as the person set it"
    );
    assert_eq!(again["field_states"]["total"]["confirmed"], true);

    // Several documents are read at once, one line each in the order given; remote OCR
    // takes one document at a time.
    let other = s.write(
        "billa.txt",
        "BILLA s.r.o.\nDatum: 07.03.2026\nCelkem 45,00 Kč\n".as_bytes(),
    );
    let other = s.import(&other, &["--no-ocr"]);
    let out = s.ok(&["ocr", &other, &id]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(&other) && lines[0].contains("BILLA"),
        "{out}"
    );
    assert!(lines[1].starts_with(&id), "{out}");
    assert_eq!(json(&s.ok(&["show", &other, "--json"]))["total"], "45.00");
    let err = s.fails(&["ocr", &other, &id, "--remote", "gemini"], 2);
    assert!(err.contains("one id"), "{err}");
}

/// A warranty card rendered by ImageMagick into `name`; the extension picks the format.
fn warranty_card(s: &Sandbox, name: &str) -> PathBuf {
    let image = s.path(name);
    let made = Command::new("convert")
        .args([
            "-size",
            "1400x500",
            "xc:white",
            "-font",
            "DejaVu-Sans",
            "-pointsize",
            "56",
            "-fill",
            "black",
        ])
        .args([
            "-annotate",
            "+60+150",
            "Warranty card Kettle KX-200",
            "-annotate",
            "+60+300",
            "Purchase 12.03.2026",
        ])
        .arg(&image)
        .status()
        .expect("ImageMagick's convert is installed by make setup");
    assert!(made.success());
    image
}

#[test]
fn a_scanned_image_is_read_by_tesseract_on_import_and_found_by_its_words() {
    let s = Sandbox::new();
    let image = warranty_card(&s, "card.png");
    let id = s.import(&image, &["--no-ocr"]);
    assert!(
        json(&s.ok(&["search", "kettle", "--json"]))
            .as_array()
            .unwrap()
            .is_empty()
    );
    s.ok(&["ocr", &id]);
    assert_eq!(
        json(&s.ok(&["search", "kettle", "--json"]))[0]["id"],
        id.as_str()
    );
    assert_eq!(json(&s.ok(&["show", &id, "--json"]))["date"], "2026-03-12");
}

#[test]
fn an_iphone_heic_photo_is_extracted_and_read_on_import_like_any_image() {
    let s = Sandbox::new();
    // ImageMagick writes HEIC through libheif's HEVC encoder, as a phone does.
    let photo = warranty_card(&s, "IMG_0042.HEIC");
    assert_eq!(&fs::read(&photo).unwrap()[4..12], b"ftypheic");

    let out = s.ok(&["extract", "--with-text", photo.to_str().unwrap()]);
    let record = json(out.lines().next().unwrap());
    assert_eq!(record["source"], "ocr");
    assert_eq!(record["date"], "2026-03-12", "{record}");
    assert!(
        record["text"].as_str().unwrap().contains("Kettle"),
        "{record}"
    );

    let id = s.import(&photo, &[]);
    let doc = json(&s.ok(&["show", &id, "--json"]));
    assert_eq!(doc["file"]["media_type"], "image/heif");
    assert_eq!(doc["date"], "2026-03-12", "OCR ran on import");
    assert_eq!(
        json(&s.ok(&["search", "kettle", "--json"]))[0]["id"],
        id.as_str()
    );
}

#[test]
fn remote_ocr_needs_a_key_stored_in_the_vault_and_says_how_to_store_it() {
    let s = Sandbox::new();
    let id = s.import(&s.write("a.txt", b"receipt"), &["--no-ocr"]);
    let err = s.fails(&["ocr", &id, "--remote", "gemini"], 1);
    assert!(err.contains("coffer ocr-key gemini"), "{err}");
    let out = s
        .command(&["ocr-key", "gemini"])
        .env("COFFER_OCR_API_KEY", "TESTKEYMARKER123")
        .output()
        .unwrap();
    assert!(out.status.success());
    // The key is stored encrypted, like everything else.
    for path in s.all_vault_files() {
        assert!(
            !contains(&fs::read(&path).unwrap(), b"TESTKEYMARKER123"),
            "{}",
            path.display()
        );
    }
}

#[test]
fn remote_ocr_refuses_plain_http_to_another_machine_before_anything_is_sent() {
    let s = Sandbox::new();
    let id = s.import(&s.write("a.txt", b"receipt"), &["--no-ocr"]);
    let out = s
        .command(&["ocr-key", "openai"])
        .env("COFFER_OCR_API_KEY", "sk-test")
        .output()
        .unwrap();
    assert!(out.status.success());
    // 192.0.2.0/24 is TEST-NET-1: nothing answers there, so a request would time out.
    let endpoint = ["--endpoint", "http://192.0.2.7:11434/v1"];
    let err = s.fails(
        &[&["ocr", &id, "--remote", "openai"][..], &endpoint].concat(),
        1,
    );
    assert!(
        err.contains("plain http") && err.contains("https://"),
        "{err}"
    );
    assert!(!err.contains("sk-test"), "{err}");
}
