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
        self.ok("import_file", json!({"path": path, "kind": "receipt"}))
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
    assert_eq!(status["settings"]["autoLockMinutes"], 10);
    assert!(
        Path::new(status["vaultPath"].as_str().unwrap()).ends_with("vault"),
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
    assert_eq!(unlocked["kdfUpgraded"], false);
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

    let bad = json!({"phrase": "not a phrase", "newPassword": "another long password"});
    assert_eq!(h.error_code("recover", bad), "invalid_recovery_phrase");
    h.ok(
        "recover",
        json!({"phrase": words.join(" "), "newPassword": "another long password"}),
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
fn import_file_stores_once_and_reports_duplicates_and_unreadable_files() {
    let h = Harness::new();
    h.create_vault();
    let path = h.sample("kettle-receipt.png", &png());
    let first = h.import(&path);
    assert_eq!(first["outcome"], "imported");
    assert_eq!(first["document"]["title"], "kettle-receipt");
    assert_eq!(first["document"]["kind"], "receipt");
    let again = h.import(&path);
    assert_eq!(again["outcome"], "duplicate");
    assert_eq!(again["existingId"], first["document"]["id"]);
    let missing = h.dir.path().join("missing.jpg");
    assert_eq!(
        h.error_code("import_file", json!({"path": missing, "kind": null})),
        "io"
    );
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
        json!({"query": {"kinds": ["invoice"], "unconfirmedOnly": true, "trash": false}}),
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
            "addTags": ["kitchen"],
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
        json!({"id": id, "edit": {"expiry": "", "removeTags": ["kitchen"]}}),
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
    h.ok("restore_document", json!({"id": id}));
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
        json!({"settings": {"language": "cs", "theme": "dark", "autoLockMinutes": 100000}}),
    );
    assert_eq!(saved["autoLockMinutes"], 240);
    assert_eq!(h.ok("get_settings", json!({}))["language"], "cs");
    let reloaded = crate::Settings::load(&h.dir.path().join("config/app.json"));
    assert_eq!(reloaded.auto_lock_minutes, 240);
}
