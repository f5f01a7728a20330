//! Every command, driven through Tauri's mock runtime exactly as the web view would call it.

use std::path::Path;
use std::time::{Duration, Instant};

use coffer_core::KdfParams;
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::{AppPaths, Session};

mod account;
mod bulk;
mod deadlines;
mod export;
mod overview;

struct Harness {
    app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    dir: tempfile::TempDir,
}

const PASSWORD: &str = "correct horse battery staple";

impl Harness {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let paths = AppPaths {
            vault_dir: dir.path().join("vault"),
            settings_file: dir.path().join("config/app.json"),
            // The compatibility KDF at its floor keeps the tests quick.
            kdf: KdfParams::default_pbkdf2(),
            // The Stripe stand-in of the account tests.
            checkout_hosts: crate::session::checkout_hosts(Some("checkout.stripe.test")),
        };
        let app = crate::setup(mock_builder(), paths)
            .build(mock_context(noop_assets()))
            .unwrap();
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        Self { app, webview, dir }
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<InvokeResponseBody, Value> {
        tauri::test::get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
    }

    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.invoke(cmd, args)
            .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    /// Remote OCR as the window does it: the consent dialog first, then the send with its
    /// token.
    fn remote_ocr(&self, id: &Value, provider: &str) -> Result<Value, Value> {
        let consent = self.ok(
            "remote_ocr_consent",
            json!({"id": id, "provider": provider}),
        );
        self.call(
            "remote_ocr_document",
            json!({"id": id, "provider": provider, "consent": consent["token"]}),
        )
    }

    fn error_code(&self, cmd: &str, args: Value) -> String {
        let error = self.call(cmd, args).expect_err(cmd);
        error["code"].as_str().unwrap().to_string()
    }

    fn session(&self) -> tauri::State<'_, std::sync::Arc<Session>> {
        self.app.state()
    }

    /// Creates the vault the way the first-run screen does.
    fn create_vault(&self) {
        let words = self.ok("new_recovery_phrase", json!({}));
        let words: Vec<String> = serde_json::from_value(words).unwrap();
        let confirmed: Vec<Value> = [2, 11, 24]
            .iter()
            .map(|&p| json!({"position": p, "word": words[p - 1]}))
            .collect();
        self.ok(
            "create_vault",
            json!({"password": PASSWORD, "confirmed": confirmed}),
        );
    }

    fn sample(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn import(&self, path: &str) -> Value {
        let mut imported = self.ok("import_files", json!({"paths": [path], "kind": "receipt"}));
        assert_eq!(imported["stopped"], Value::Null, "{imported}");
        imported["answers"][0].take()
    }
}

fn png() -> Vec<u8> {
    // The PNG signature is enough for the engine to recognise the media type.
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(b"not really an image, but the bytes round-trip");
    bytes
}

#[test]
fn app_status_reports_a_missing_vault_then_an_unlocked_one() {
    let h = Harness::new();
    let status = h.ok("app_status", json!({}));
    assert_eq!(status["vault"], "missing");
    assert_eq!(status["settings"]["auto_lock_minutes"], 10);
    assert!(
        Path::new(status["vault_path"].as_str().unwrap()).ends_with("vault"),
        "{status}"
    );
    h.create_vault();
    assert_eq!(h.ok("app_status", json!({}))["vault"], "unlocked");
}

#[test]
fn new_recovery_phrase_gives_24_words_and_create_vault_demands_them_back() {
    let h = Harness::new();
    let words: Vec<String> =
        serde_json::from_value(h.ok("new_recovery_phrase", json!({}))).unwrap();
    assert_eq!(words.len(), 24);

    let too_few = json!({"password": PASSWORD, "confirmed": [{"position": 1, "word": words[0]}]});
    assert_eq!(
        h.error_code("create_vault", too_few),
        "phrase_not_confirmed"
    );

    let wrong = json!({"password": PASSWORD, "confirmed": [
        {"position": 1, "word": words[0]},
        {"position": 2, "word": words[1]},
        {"position": 3, "word": "zzzz"},
    ]});
    assert_eq!(h.error_code("create_vault", wrong), "phrase_mismatch");
    assert_eq!(h.ok("app_status", json!({}))["vault"], "missing");

    let right = json!({"password": PASSWORD, "confirmed": [
        {"position": 1, "word": words[0].to_uppercase()},
        {"position": 2, "word": format!(" {} ", words[1])},
        {"position": 24, "word": words[23]},
    ]});
    h.ok("create_vault", right);
    assert_eq!(h.ok("app_status", json!({}))["vault"], "unlocked");
    // The phrase is used up: it cannot create a second vault.
    assert_eq!(
        h.error_code("new_recovery_phrase", json!({})),
        "vault_exists"
    );
}

#[test]
fn create_vault_without_a_phrase_asks_to_start_again() {
    let h = Harness::new();
    let args = json!({"password": PASSWORD, "confirmed": [
        {"position": 1, "word": "a"}, {"position": 2, "word": "b"}, {"position": 3, "word": "c"}
    ]});
    assert_eq!(h.error_code("create_vault", args), "no_pending_phrase");
}

#[test]
fn lock_forgets_the_vault_and_unlock_needs_the_right_password() {
    let h = Harness::new();
    h.create_vault();
    h.ok("lock", json!({}));
    assert_eq!(h.ok("app_status", json!({}))["vault"], "locked");
    assert_eq!(
        h.error_code("search_documents", json!({"query": {}})),
        "locked"
    );
    assert_eq!(
        h.error_code("unlock", json!({"password": "wrong"})),
        "wrong_password"
    );
    let unlocked = h.ok("unlock", json!({"password": PASSWORD}));
    assert_eq!(unlocked["kdf_upgraded"], false);
    assert_eq!(h.ok("app_status", json!({}))["vault"], "unlocked");
}

#[test]
fn recover_opens_the_vault_with_the_phrase_and_sets_a_new_password() {
    let h = Harness::new();
    let words: Vec<String> =
        serde_json::from_value(h.ok("new_recovery_phrase", json!({}))).unwrap();
    let confirmed: Vec<Value> = (1..=3)
        .map(|p| json!({"position": p, "word": words[p - 1]}))
        .collect();
    h.ok(
        "create_vault",
        json!({"password": PASSWORD, "confirmed": confirmed}),
    );
    h.ok("lock", json!({}));

    let bad = json!({"phrase": "not a phrase", "new_password": "another long password"});
    assert_eq!(h.error_code("recover", bad), "invalid_recovery_phrase");
    h.ok(
        "recover",
        json!({"phrase": words.join(" "), "new_password": "another long password"}),
    );
    h.ok("lock", json!({}));
    h.ok("unlock", json!({"password": "another long password"}));
}

#[test]
fn touch_postpones_the_idle_lock_which_then_drops_the_vault() {
    let h = Harness::new();
    h.create_vault();
    h.ok("touch", json!({}));
    let session = h.session();
    let now = Instant::now();
    assert!(!session.lock_if_idle(now + Duration::from_secs(9 * 60)));
    assert!(session.lock_if_idle(now + Duration::from_secs(10 * 60 + 1)));
    assert_eq!(h.ok("app_status", json!({}))["vault"], "locked");
    // Nothing to lock twice.
    assert!(!session.lock_if_idle(now + Duration::from_secs(60 * 60)));
}

#[test]
fn import_files_stores_once_and_answers_each_file_duplicates_and_missing_ones_too() {
    let h = Harness::new();
    h.create_vault();
    let path = h.sample("kettle-receipt.png", &png());
    let first = h.import(&path);
    assert_eq!(first["outcome"], "imported");
    assert_eq!(first["document"]["title"], "kettle-receipt");
    assert_eq!(first["document"]["kind"], "receipt");
    // "Import as" chose it for the batch; nobody has confirmed it for this file yet.
    let doc = h.ok("get_document", json!({"id": first["document"]["id"]}));
    assert_ne!(doc["field_states"]["kind"]["confirmed"], true, "{doc}");
    let again = h.import(&path);
    assert_eq!(again["outcome"], "duplicate");
    assert_eq!(again["existing_id"], first["document"]["id"]);
    // Each file of a call is answered; a missing one does not stop the others.
    let missing = h.dir.path().join("missing.jpg");
    let other = h.sample("toaster.png", &[png(), b"toaster".to_vec()].concat());
    let imported = h.ok(
        "import_files",
        json!({"paths": [missing, other, path], "kind": null}),
    );
    let answers = &imported["answers"];
    assert_eq!(answers[0]["outcome"], "failed");
    assert_eq!(answers[0]["error"]["code"], "io");
    assert_eq!(answers[1]["outcome"], "imported");
    assert_eq!(answers[1]["document"]["kind"], "other");
    assert_eq!(answers[2]["outcome"], "duplicate");
}

#[test]
fn search_documents_finds_by_text_and_filters() {
    let h = Harness::new();
    h.create_vault();
    h.import(&h.sample("kettle.png", &png()));
    h.import(&h.sample("toaster.txt", b"toaster warranty"));
    let all = h.ok("search_documents", json!({"query": {}}));
    assert_eq!(all.as_array().unwrap().len(), 2);
    let found = h.ok("search_documents", json!({"query": {"text": "kett"}}));
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["title"], "kettle");
    let none = h.ok(
        "search_documents",
        json!({"query": {"kinds": ["invoice"], "unconfirmed_only": true, "trash": false}}),
    );
    assert_eq!(none.as_array().unwrap().len(), 0);
    assert_eq!(
        h.error_code(
            "search_documents",
            json!({"query": {"from": "31. 12. 2024"}})
        ),
        "invalid_input"
    );
}

#[test]
fn list_documents_returns_the_window_in_the_chosen_order_and_the_whole_count() {
    let h = Harness::new();
    h.create_vault();
    for (name, total) in [
        ("alza", "1299"),
        ("čedok", "15"),
        ("billa", "420"),
        ("dm", ""),
    ] {
        let id =
            h.import(&h.sample(&format!("{name}.txt"), name.as_bytes()))["document"]["id"].clone();
        let mut edit = json!({"merchant": name});
        if !total.is_empty() {
            edit = json!({"merchant": name, "total": total, "currency": "CZK"});
        }
        h.ok("edit_document", json!({"id": id, "edit": edit}));
    }
    let page = |sort: Value, offset: u32, limit: u32| {
        let page = h.ok(
            "list_documents",
            json!({"query": {"sort": sort, "offset": offset, "limit": limit}}),
        );
        let merchants: Vec<String> = page["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["merchant"].as_str().unwrap().to_owned())
            .collect();
        (page["total"].as_u64().unwrap(), merchants)
    };
    let by_name = json!({"key": "name", "ascending": true});
    assert_eq!(
        page(by_name.clone(), 0, 2),
        (4, vec!["alza".into(), "billa".into()])
    );
    // Č sorts with C, between b and d, not after z.
    assert_eq!(page(by_name, 2, 2), (4, vec!["čedok".into(), "dm".into()]));
    let by_total = json!({"key": "total", "ascending": false});
    assert_eq!(
        page(by_total, 0, 10).1,
        ["alza", "billa", "čedok", "dm"],
        "largest first, no total last"
    );
    let (total, rows) = page(json!({"key": "date", "ascending": false}), 3, 10);
    assert_eq!(
        (total, rows.len()),
        (4, 1),
        "the count is the whole result's"
    );
    let filtered = h.ok(
        "list_documents",
        json!({"query": {"text": "billa", "offset": 0, "limit": 1}}),
    );
    assert_eq!(filtered["total"], 1);
    let unknown_key = json!({"query": {"sort": {"key": "colour", "ascending": true}}});
    assert!(h.call("list_documents", unknown_key).is_err());
}
#[test]
fn get_document_and_document_content_return_the_fields_and_the_decrypted_bytes() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("kettle.png", &png()))["document"]["id"].clone();
    let doc = h.ok("get_document", json!({"id": id}));
    assert_eq!(doc["file"]["media_type"], "image/png");
    assert_eq!(doc["file"]["name"], "kettle.png");
    match h.invoke("document_content", json!({"id": id})).unwrap() {
        InvokeResponseBody::Raw(bytes) => assert_eq!(bytes, png()),
        other => panic!("expected raw bytes, got {other:?}"),
    }
    assert_eq!(
        h.error_code(
            "get_document",
            json!({"id": "00000000-0000-0000-0000-000000000000"})
        ),
        "not_found"
    );
}

#[test]
fn edit_document_corrects_and_confirms_fields() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("kettle.png", &png()))["document"]["id"].clone();
    let doc = h.ok(
        "edit_document",
        json!({"id": id, "edit": {
            "merchant": "Elektro Novák a synové, s.r.o., provozovna Praha 4 – Chodov",
            "date": "2024-11-03",
            "total": "1299,90",
            "currency": "czk",
            "expiry": "2026-11-03",
            "add_tags": ["kitchen"],
            "confirm": ["title"],
        }}),
    );
    assert_eq!(doc["total"], "1299.90");
    assert_eq!(doc["currency"], "CZK");
    assert_eq!(doc["date"], "2024-11-03");
    assert_eq!(doc["tags"], json!(["kitchen"]));
    for field in ["merchant", "issue_date", "total", "expiry", "tags", "title"] {
        assert_eq!(doc["field_states"][field]["confirmed"], true, "{field}");
    }
    let cleared = h.ok(
        "edit_document",
        json!({"id": id, "edit": {"expiry": "", "remove_tags": ["kitchen"]}}),
    );
    assert_eq!(cleared["expiry"], Value::Null);
    assert_eq!(cleared["tags"], json!([]));
    assert_eq!(
        h.error_code(
            "edit_document",
            json!({"id": id, "edit": {"date": "3.11.2024"}})
        ),
        "invalid_input"
    );
}

#[test]
fn trash_document_hides_it_and_restore_document_brings_it_back() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("kettle.png", &png()))["document"]["id"].clone();
    h.ok("trash_document", json!({"id": id}));
    assert_eq!(
        h.ok("search_documents", json!({"query": {}}))
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let trash = h.ok("search_documents", json!({"query": {"trash": true}}));
    assert_eq!(trash[0]["trashed"], true);
    assert_eq!(
        h.error_code("edit_document", json!({"id": id, "edit": {"title": "x"}})),
        "trashed"
    );
    h.ok("untrash_document", json!({"id": id}));
    assert_eq!(
        h.ok("search_documents", json!({"query": {}}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn vault_info_counts_documents_without_secrets() {
    let h = Harness::new();
    h.create_vault();
    h.import(&h.sample("kettle.png", &png()));
    let info = h.ok("vault_info", json!({}));
    assert_eq!(info["documents"], 1);
    assert_eq!(info["kdf"]["alg"], "pbkdf2-sha256");
}

#[test]
fn settings_are_saved_clamped_and_survive_a_restart() {
    let h = Harness::new();
    assert_eq!(h.ok("get_settings", json!({}))["theme"], "system");
    let saved = h.ok(
        "save_settings",
        json!({"settings": {"language": "cs", "theme": "dark", "auto_lock_minutes": 100000}}),
    );
    assert_eq!(saved["auto_lock_minutes"], 240);
    assert_eq!(h.ok("get_settings", json!({}))["language"], "cs");
    let reloaded = crate::Settings::load(&h.dir.path().join("config/app.json"));
    assert_eq!(reloaded.auto_lock_minutes, 240);
}

// ---- OCR, remote OCR, thumbnails, PDF pages, restore, KDF, reminders, watched folder ----

/// A real (small) PNG: a 400×300 light page with a dark band.
fn real_png() -> Vec<u8> {
    sample_picture(image::ImageFormat::Png)
}

/// A 400×300 picture with a dark band across rows 100–140, encoded as `format`.
fn sample_picture(format: image::ImageFormat) -> Vec<u8> {
    let image = image::RgbImage::from_fn(400, 300, |_, y| {
        if (100..140).contains(&y) {
            image::Rgb([20, 20, 20])
        } else {
            image::Rgb([250, 250, 245])
        }
    });
    let mut bytes = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

const RECEIPT_TEXT: &str = "Kavárna U Zlatého klasu s.r.o.\nIČO: 27082440\nDatum: 03.11.2024\n\
Espresso 2x 98,00\nCELKEM 196,00 Kč\nPlatba kartou\n";

#[test]
fn ocr_document_reads_fields_unconfirmed_and_keeps_what_a_person_confirmed() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("receipt.txt", RECEIPT_TEXT.as_bytes()))["document"]["id"].clone();
    h.ok(
        "edit_document",
        json!({"id": id, "edit": {"title": "Coffee with Jana"}}),
    );
    let doc = h.ok("ocr_document", json!({"id": id}));
    assert_eq!(doc["total"], "196.00", "{doc}");
    assert_eq!(doc["currency"], "CZK");
    assert_eq!(doc["date"], "2024-11-03");
    assert_eq!(doc["field_states"]["total"]["confirmed"], false);
    assert!(doc["field_states"]["total"]["confidence"].as_f64().unwrap() > 0.0);
    // The title was typed by a person: OCR does not replace it.
    assert_eq!(doc["title"], "Coffee with Jana");
    assert!(doc["ocr_text"].as_str().unwrap().contains("Espresso"));
    // Confirming a field read by OCR.
    let confirmed = h.ok(
        "edit_document",
        json!({"id": id, "edit": {"confirm": ["total"]}}),
    );
    assert_eq!(confirmed["field_states"]["total"]["confirmed"], true);
}

#[test]
fn ocr_document_reports_an_unreadable_file_and_a_locked_vault() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("broken.png", &png()))["document"]["id"].clone();
    assert_eq!(
        h.error_code("ocr_document", json!({"id": id})),
        "ocr_failed"
    );
    h.ok("lock", json!({}));
    assert_eq!(h.error_code("ocr_document", json!({"id": id})), "locked");
}

/// An OpenAI-compatible endpoint on localhost that answers with `content` and records what it
/// was sent.
fn fake_openai(content: Value) -> coffer_testkit::stand_in::StandIn {
    coffer_testkit::stand_in::StandIn::start(vec![coffer_testkit::stand_in::Answer::ok(
        json!({"choices": [{"message": {"content": content.to_string()}}]}),
    )])
}

#[test]
fn remote_ocr_shows_what_it_would_send_and_sends_only_that_after_consent() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("faded.png", &png()))["document"]["id"].clone();
    h.ok(
        "edit_document",
        json!({"id": id, "edit": {"notes": "private note"}}),
    );

    let consent = h.ok(
        "remote_ocr_consent",
        json!({"id": id, "provider": "openai"}),
    );
    assert_eq!(consent["file_name"], "faded.png");
    assert_eq!(consent["media_type"], "image/png");
    assert_eq!(consent["endpoint"], "https://api.openai.com/v1");
    assert_eq!(consent["has_key"], false);
    assert_eq!(consent["instruction"], coffer_ocr::remote::PROMPT);
    let send = |token: &Value| json!({"id": id, "provider": "openai", "consent": token});
    assert_eq!(
        h.error_code("remote_ocr_document", send(&consent["token"])),
        "remote_ocr_no_key"
    );
    // The consent a dialog showed before the endpoint changed no longer holds.
    let before_change = h.ok(
        "remote_ocr_consent",
        json!({"id": id, "provider": "openai"}),
    );

    let provider = fake_openai(json!({
        "text": "KAVÁRNA\nCELKEM 196,00", "kind": "receipt", "merchant": "Kavárna U Zlatého klasu",
        "issue_date": "2024-11-03", "total": "196.00", "currency": "CZK"
    }));
    let endpoint = format!("{}/v1", provider.url);
    let info = h.ok(
        "save_remote_ocr_provider",
        json!({"provider": "openai", "change": {"api_key": " sk-test-123 ", "endpoint": endpoint}}),
    );
    assert_eq!(info["has_key"], true);
    assert!(
        info.get("api_key").is_none(),
        "the key never comes back: {info}"
    );
    let consent = h.ok(
        "remote_ocr_consent",
        json!({"id": id, "provider": "openai"}),
    );
    assert_eq!(
        (consent["has_key"].clone(), consent["endpoint"].clone()),
        (json!(true), json!(endpoint))
    );

    let other = h.import(&h.sample("other.png", &[png(), b"other".to_vec()].concat()))["document"]
        ["id"]
        .clone();
    let for_other = h.ok(
        "remote_ocr_consent",
        json!({"id": other, "provider": "openai"}),
    );
    for token in [
        before_change["token"].clone(),
        for_other["token"].clone(),
        json!("0123456789abcdef0123456789abcdef"),
        consent["token"]
            .clone()
            .as_str()
            .unwrap()
            .to_uppercase()
            .into(),
    ] {
        assert_eq!(
            h.error_code("remote_ocr_document", send(&token)),
            "consent_required",
            "{token}"
        );
    }
    let doc = h.ok("remote_ocr_document", send(&consent["token"]));
    assert_eq!(
        h.error_code("remote_ocr_document", send(&consent["token"])),
        "consent_required",
        "a consent is used once"
    );
    assert_eq!(doc["merchant"], "Kavárna U Zlatého klasu");
    assert_eq!(doc["field_states"]["merchant"]["confirmed"], false);
    let seen = provider.seen();
    assert_eq!(seen.len(), 1, "one document, sent once");
    assert_eq!(seen[0].header("authorization"), Some("Bearer sk-test-123"));
    let body = String::from_utf8_lossy(&seen[0].body);
    use base64::Engine;
    assert!(body.contains(&base64::engine::general_purpose::STANDARD.encode(png())));
    assert!(
        !body.contains("private note"),
        "only the file and the instruction are sent"
    );
}

#[test]
fn remote_ocr_providers_store_keys_inside_the_vault_and_check_endpoints() {
    let h = Harness::new();
    h.create_vault();
    let providers = h.ok("remote_ocr_providers", json!({}));
    assert_eq!(providers.as_array().unwrap().len(), 2);
    assert_eq!(providers[0]["provider"], "gemini");
    assert_eq!(providers[0]["has_key"], false);
    assert_eq!(providers[0]["model"], providers[0]["default_model"]);

    h.ok(
        "save_remote_ocr_provider",
        json!({"provider": "gemini", "change": {"api_key": "AIza-secret", "model": "gemini-2.5-pro"}}),
    );
    let stored = h
        .session()
        .with_vault(|v| v.setting("ocr.remote.gemini.api_key"))
        .unwrap();
    assert_eq!(stored.as_deref(), Some("AIza-secret"));
    let gemini = &h.ok("remote_ocr_providers", json!({}))[0];
    assert_eq!(
        (gemini["has_key"].clone(), gemini["model"].clone()),
        (json!(true), json!("gemini-2.5-pro"))
    );

    assert_eq!(
        h.error_code(
            "save_remote_ocr_provider",
            json!({"provider": "gemini", "change": {"endpoint": "ftp://example.com"}})
        ),
        "remote_ocr"
    );
    assert_eq!(
        h.error_code(
            "save_remote_ocr_provider",
            json!({"provider": "gemini", "change": {"api_key": "  "}})
        ),
        "invalid_input"
    );
    let removed = h.ok(
        "save_remote_ocr_provider",
        json!({"provider": "gemini", "change": {"remove_key": true, "model": ""}}),
    );
    assert_eq!(removed["has_key"], false);
    assert_eq!(removed["model"], removed["default_model"]);
}

fn raw(body: InvokeResponseBody) -> Vec<u8> {
    match body {
        InvokeResponseBody::Raw(bytes) => bytes,
        other => panic!("expected raw bytes, got {other:?}"),
    }
}

#[test]
fn document_thumbnail_is_a_small_jpeg_cached_encrypted_in_the_vault() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("page.png", &real_png()))["document"]["id"].clone();
    let thumb = raw(h.invoke("document_thumbnail", json!({"id": id})).unwrap());
    let picture = image::load_from_memory(&thumb).unwrap();
    assert_eq!((picture.width(), picture.height()), (128, 96));
    let doc: coffer_core::DocumentId = id.as_str().unwrap().parse().unwrap();
    let cached = h
        .session()
        .with_vault(|v| v.document_cache(doc, "thumbnail.v1"))
        .unwrap();
    assert!(cached.is_some(), "cached inside the encrypted store");
    assert_eq!(
        raw(h.invoke("document_thumbnail", json!({"id": id})).unwrap()),
        thumb
    );

    // No picture for a text file: an empty answer, remembered too.
    let text = h.import(&h.sample("note.txt", b"a note"))["document"]["id"].clone();
    assert!(raw(h.invoke("document_thumbnail", json!({"id": text})).unwrap()).is_empty());
    // Nothing readable about the picture lands outside the vault's encrypted files.
    for entry in std::fs::read_dir(h.dir.path().join("vault")).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(!name.to_string_lossy().contains("thumb"), "{name:?}");
    }
}

#[test]
fn pdf_pages_are_counted_and_rendered_at_the_requested_size() {
    let h = Harness::new();
    h.create_vault();
    let pdf = include_bytes!("../../tests/fixtures/two-pages.pdf");
    let id = h.import(&h.sample("contract.pdf", pdf))["document"]["id"].clone();
    assert_eq!(h.ok("pdf_page_count", json!({"id": id})), 2);
    let page = raw(h
        .invoke("pdf_page", json!({"id": id, "page": 2, "size": 800}))
        .unwrap());
    let page = image::load_from_memory(&page).unwrap();
    assert_eq!((page.width(), page.height()), (600, 800));
    assert_eq!(
        h.error_code("pdf_page", json!({"id": id, "page": 3, "size": 800})),
        "ocr_failed"
    );
    let thumb = raw(h.invoke("document_thumbnail", json!({"id": id})).unwrap());
    assert_eq!(image::load_from_memory(&thumb).unwrap().height(), 128);
}

#[test]
fn pictures_the_web_view_cannot_show_are_converted_to_a_jpeg_at_the_asked_size() {
    let h = Harness::new();
    h.create_vault();
    let tiff = sample_picture(image::ImageFormat::Tiff);
    let id = h.import(&h.sample("scan.tiff", &tiff))["document"]["id"].clone();
    let preview = raw(h
        .invoke("image_preview", json!({"id": id, "size": 200}))
        .unwrap());
    assert_eq!(
        image::guess_format(&preview).unwrap(),
        image::ImageFormat::Jpeg
    );
    let shown = image::load_from_memory(&preview).unwrap();
    assert_eq!((shown.width(), shown.height()), (200, 150));
    // The dark band survives the conversion where it was.
    assert!(shown.to_luma8().get_pixel(100, 60).0[0] < 80);
    assert!(shown.to_luma8().get_pixel(100, 10).0[0] > 200);

    let text = h.import(&h.sample("note.txt", b"a note"))["document"]["id"].clone();
    assert_eq!(
        h.error_code("image_preview", json!({"id": text, "size": 200})),
        "ocr_failed"
    );
}

#[test]
fn restore_vault_rebuilds_a_backup_with_a_new_password_and_phrase() {
    use coffer_core::backup::{BackupEncryption, write_backup};
    let source = Harness::new();
    source.create_vault();
    source.import(&source.sample("kettle.png", &png()));
    let backup = source.dir.path().join("coffer.age");
    source
        .session()
        .with_open_vault(|vault| {
            let encryption =
                BackupEncryption::Passphrase(secrecy::SecretString::from("backup words"));
            write_backup(vault, &encryption, &backup, &mut |_| {})?;
            Ok(())
        })
        .unwrap();

    let h = Harness::new();
    assert_eq!(
        h.ok("backup_protection", json!({"path": backup})),
        "passphrase"
    );
    assert_eq!(
        h.error_code(
            "backup_protection",
            json!({"path": h.sample("x.txt", b"not age")})
        ),
        "not_a_backup"
    );
    let words: Vec<String> =
        serde_json::from_value(h.ok("new_recovery_phrase", json!({}))).unwrap();
    let confirmed: Vec<Value> = [1, 12, 24]
        .iter()
        .map(|&p| json!({"position": p, "word": words[p - 1]}))
        .collect();
    let args = |passphrase: &str| {
        json!({"path": backup, "key": {"passphrase": passphrase}, "password": "a new long password",
               "confirmed": confirmed})
    };
    assert_eq!(
        h.error_code("restore_vault", args("wrong")),
        "wrong_backup_key"
    );
    let restored = h.ok("restore_vault", args("backup words"));
    assert_eq!(restored["documents"], 1);
    assert_eq!(h.ok("app_status", json!({}))["vault"], "unlocked");
    let found = h.ok("search_documents", json!({"query": {}}));
    assert_eq!(found[0]["title"], "kettle");
    h.ok("lock", json!({}));
    h.ok("unlock", json!({"password": "a new long password"}));
}

#[test]
fn change_kdf_needs_the_password_and_rewraps_the_vault_key() {
    let h = Harness::new();
    h.create_vault();
    assert_eq!(
        h.error_code(
            "change_kdf",
            json!({"password": "wrong", "strength": "standard"})
        ),
        "wrong_password"
    );
    h.ok(
        "change_kdf",
        json!({"password": PASSWORD, "strength": "standard"}),
    );
    let info = h.ok("vault_info", json!({}));
    assert_eq!(info["kdf"]["alg"], "argon2id");
    assert_eq!(info["kdf"]["memory_kib"], 128 * 1024);
    h.ok("lock", json!({}));
    h.ok("unlock", json!({"password": PASSWORD}));
}

#[test]
fn reminder_notifications_lists_due_reminders_and_remembers_those_shown() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("kettle.png", &png()))["document"]["id"].clone();
    let in_five_days =
        (time::OffsetDateTime::now_utc().date() + time::Duration::days(5)).to_string();
    h.ok(
        "edit_document",
        json!({"id": id, "edit": {"kind": "warranty", "expiry": in_five_days}}),
    );
    let first = h.ok("reminder_notifications", json!({}));
    assert_eq!(first["shown"], json!([]));
    assert_eq!(first["due"][0]["kind"], "warranty_ends");
    assert_eq!(first["due"][0]["stage"], 7);
    h.ok(
        "show_notifications",
        json!({"notices": [{"title": "Warranty ends soon", "body": "kettle — in 5 days"}],
               "shown": ["key-1"]}),
    );
    assert_eq!(
        h.ok("reminder_notifications", json!({}))["shown"],
        json!(["key-1"])
    );

    // The app's own hourly check is not the person's activity: the idle lock still comes.
    let before_check = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    h.ok("reminder_notifications", json!({}));
    assert!(
        h.session()
            .lock_if_idle(before_check + Duration::from_secs(10 * 60 + 1))
    );
}

#[test]
fn a_documents_own_reminder_settings_change_what_is_due_and_can_be_reset() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("lease.png", &png()))["document"]["id"].clone();
    let in_40_days =
        (time::OffsetDateTime::now_utc().date() + time::Duration::days(40)).to_string();
    h.ok(
        "edit_document",
        json!({"id": id, "edit": {"kind": "contract", "expiry": in_40_days}}),
    );
    let defaults = json!({"lead_days": null, "notice_days": null});
    assert_eq!(h.ok("document_reminders", json!({"id": id})), defaults);
    // Defaults (30 and 7 days): nothing due 40 days ahead.
    assert_eq!(h.ok("reminder_notifications", json!({}))["due"], json!([]));

    // Lead times sorted and deduplicated: the end, 40 days ahead, is within 60 days; a 35-day
    // notice period puts the last day to give notice 5 days ahead, within 7.
    let saved = h.ok(
        "save_document_reminders",
        json!({"id": id, "reminders": {"lead_days": [7, 60, 60], "notice_days": 35}}),
    );
    assert_eq!(saved, json!({"lead_days": [60, 7], "notice_days": 35}));
    assert_eq!(h.ok("document_reminders", json!({"id": id})), saved);
    let due = h.ok("reminder_notifications", json!({}))["due"].clone();
    let kinds: Vec<&str> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"contract_ends") && kinds.contains(&"notice_deadline"),
        "{due}"
    );

    assert_eq!(
        h.error_code(
            "save_document_reminders",
            json!({"id": id, "reminders": {"lead_days": [], "notice_days": null}}),
        ),
        "invalid_input"
    );
    assert_eq!(
        h.ok(
            "save_document_reminders",
            json!({"id": id, "reminders": defaults}),
        ),
        defaults
    );
    assert_eq!(h.ok("reminder_notifications", json!({}))["due"], json!([]));
}

#[test]
fn the_watched_folder_hands_new_files_to_the_web_view_once() {
    let h = Harness::new();
    h.create_vault();
    let folder = h.dir.path().join("scans");
    std::fs::create_dir(&folder).unwrap();
    let mut settings = h.ok("get_settings", json!({}));
    settings["watched_folder"] = json!(folder);
    h.ok("save_settings", json!({"settings": settings}));

    std::fs::write(folder.join(".hidden.jpg"), b"x").unwrap();
    std::fs::write(folder.join("scan-001.png"), png()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen: Vec<std::path::PathBuf> = Vec::new();
    while seen.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        seen = serde_json::from_value(h.ok("take_watched_files", json!({}))).unwrap();
    }
    assert_eq!(seen, vec![folder.join("scan-001.png")]);
    let again: Vec<std::path::PathBuf> =
        serde_json::from_value(h.ok("take_watched_files", json!({}))).unwrap();
    assert!(again.is_empty());

    settings["watched_folder"] = json!(h.dir.path().join("does-not-exist"));
    assert_eq!(
        h.error_code("save_settings", json!({"settings": settings})),
        "watch_failed"
    );
}

#[test]
fn save_settings_refuses_ocr_languages_tesseract_cannot_load() {
    let h = Harness::new();
    let mut settings = h.ok("get_settings", json!({}));
    settings["ocr_languages"] = json!("klingon");
    assert_eq!(
        h.error_code("save_settings", json!({"settings": settings})),
        "ocr_languages"
    );
    settings["ocr_languages"] = json!("eng");
    assert_eq!(
        h.ok("save_settings", json!({"settings": settings}))["ocr_languages"],
        "eng"
    );
}

#[test]
fn going_to_sleep_locks_unless_the_person_opted_out() {
    let h = Harness::new();
    h.create_vault();
    let session = h.session();
    assert!(!crate::sleep::on_prepare_for_sleep(&session, false));
    assert!(crate::sleep::on_prepare_for_sleep(&session, true));
    assert_eq!(h.ok("app_status", json!({}))["vault"], "locked");
    h.ok("unlock", json!({"password": PASSWORD}));
    let mut settings = h.ok("get_settings", json!({}));
    settings["lock_on_sleep"] = json!(false);
    h.ok("save_settings", json!({"settings": settings}));
    assert!(!crate::sleep::on_prepare_for_sleep(&session, true));
    assert_eq!(h.ok("app_status", json!({}))["vault"], "unlocked");
}

#[test]
fn reminder_lead_days_default_to_30_and_7_and_can_be_changed() {
    let h = Harness::new();
    h.create_vault();
    assert_eq!(h.ok("reminder_lead_days", json!({})), json!([30, 7]));
    assert_eq!(
        h.ok("save_reminder_lead_days", json!({"days": [7, 60, 1]})),
        json!([60, 7, 1])
    );
    assert_eq!(h.ok("reminder_lead_days", json!({})), json!([60, 7, 1]));
    assert_eq!(
        h.error_code("save_reminder_lead_days", json!({"days": []})),
        "invalid_input"
    );
}

#[test]
fn a_quick_verify_after_unlock_names_a_missing_file_and_says_what_to_do() {
    let h = Harness::new();
    h.create_vault();
    let id = h.import(&h.sample("kettle.png", &png()))["document"]["id"].clone();
    assert_eq!(h.ok("verify_vault", json!({"quick": true})), json!([]));
    let blobs = h.dir.path().join("vault/blobs");
    let file = std::fs::read_dir(&blobs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("tmp"))
        .flat_map(|shard| std::fs::read_dir(shard).unwrap().map(|e| e.unwrap().path()))
        .next()
        .unwrap();
    std::fs::remove_file(file).unwrap();
    for quick in [true, false] {
        let problems = h.ok("verify_vault", json!({"quick": quick}));
        let problems = problems.as_array().unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0]["id"], id);
        assert!(problems[0]["text"].as_str().unwrap().contains("missing"));
        assert!(problems[0]["advice"].as_str().unwrap().contains("backup"));
    }
}

#[test]
fn webkit_composites_only_where_a_gpu_draws() {
    let dri = tempfile::tempdir().unwrap();
    assert!(!crate::has_render_node(&dri.path().join("absent")));
    assert!(!crate::has_render_node(dri.path()));
    std::fs::write(dri.path().join("card0"), b"").unwrap();
    assert!(!crate::has_render_node(dri.path()), "a display card alone");
    std::fs::write(dri.path().join("renderD128"), b"").unwrap();
    assert!(crate::has_render_node(dri.path()));
    assert!(
        crate::environment().contains(&("OMP_THREAD_LIMIT", "1")),
        "OCR's limit is always set"
    );
}
