//! Support for the sync tests: a real `coffer-server serve` process on a loopback port (which
//! can be killed and restarted on the same port and data), devices that run the real `coffer`
//! binary, and a bare protocol client for probing the server as another account would.
//! Shared by several test binaries, each of which uses only part of it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";

/// An address no other test uses.
pub fn unique_email() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "user-{}-{nanos}-{}@example.test",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A running `coffer-server serve` (coffer-testkit's), killed on drop; it restarts on the same
/// port and data.
pub use coffer_testkit::server::ServerProcess as Server;

/// A plan catalog whose free plan does not get in the way of tests about syncing, and a paid
/// plan for the features only paid plans have (the server's own test catalog).
const ROOMY_PLANS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../coffer-server/plans.roomy.toml"
);

/// The server of these tests: the built-in catalog (START: 5 receipts, 3 documents a month)
/// or, with `roomy`, [`ROOMY_PLANS`]; the SMTP sink of `scripts/with-test-services.sh` when it
/// runs one.
fn server(roomy: bool) -> Server {
    let smtp = std::env::var("COFFER_TEST_SMTP_URL").ok();
    let mut env = Vec::new();
    if roomy {
        env.push(("COFFER_PLANS_FILE", ROOMY_PLANS));
    }
    if let Some(url) = &smtp {
        env.push(("COFFER_SMTP_URL", url.as_str()));
    }
    Server::in_scratch_dir(&env)
}

/// A server whose free plan has room for everything the tests store.
pub fn start_server() -> Server {
    server(true)
}

/// A server with the default plans, whose limits apply.
pub fn server_with_default_plans() -> Server {
    server(false)
}

/// Every file the server stored: (path, bytes).
pub fn stored_files(server: &Server) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&server.data, &mut out);
    out
}

/// One device: a vault directory driven through the `coffer` binary.
pub struct Device {
    root: TempDir,
    pub vault: PathBuf,
    server: String,
    password: String,
}

impl Device {
    pub fn new(server: &Server) -> Self {
        let root = TempDir::new().unwrap();
        Self {
            vault: root.path().join("vault"),
            root,
            server: server.url.clone(),
            password: PASSWORD.into(),
        }
    }

    /// A new vault (PBKDF2 keeps the many unlocks quick) registered as a new account (its
    /// address verified with the code from the SMTP sink when the server sends e-mail).
    pub fn registered(server: &Server, email: &str) -> Self {
        let device = Self::new(server);
        device.init();
        let out = device.ok(&["account", "register", "--email", email]);
        if out.contains("verify-email") {
            let code = verification_code(email);
            device.ok(&["account", "verify-email", &code]);
        }
        device
    }

    /// A second device of `email`'s account: `coffer init --from-server`, then a sync.
    pub fn from_server(server: &Server, email: &str) -> Self {
        let device = Self::new(server);
        device.ok(&["init", "--from-server", "--email", email]);
        device.ok(&["sync"]);
        device
    }

    pub fn init(&self) {
        let phrase = self.path("phrase");
        self.ok(&[
            "init",
            "--kdf",
            "pbkdf2",
            "--recovery-file",
            phrase.to_str().unwrap(),
        ]);
    }

    pub fn with_password(mut self, password: &str) -> Self {
        self.password = password.into();
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coffer"));
        cmd.arg("--vault")
            .arg(&self.vault)
            .args(args)
            .env("COFFER_PASSWORD", &self.password)
            .env("COFFER_SERVER", &self.server)
            .env_remove("COFFER_VAULT")
            .env_remove("COFFER_TOTP")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Starts `coffer sync`, kills the server at the first progress line `at` accepts, and
    /// insists that the sync then fails saying the server cannot be reached; returns the
    /// sync's progress output from that line on.
    pub fn sync_until_the_server_dies(
        &self,
        server: &mut Server,
        at: impl Fn(&str) -> bool,
    ) -> String {
        let mut sync = self
            .command(&["sync"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(sync.stderr.take().unwrap());
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap() > 0 && !at(&line) {
            line.clear();
        }
        assert!(at(&line), "the sync ended before the awaited progress line");
        server.kill();
        std::io::Read::read_to_string(&mut stderr, &mut line).unwrap();
        assert_eq!(
            sync.wait().unwrap().code(),
            Some(1),
            "the interrupted sync must fail: {line}"
        );
        assert!(line.contains("cannot reach the Coffer server"), "{line}");
        line
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "coffer {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and insists on exit status 1; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "coffer {args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    /// Imports one file; returns the new document's id.
    pub fn import(&self, name: &str, content: &[u8], extra: &[&str]) -> String {
        let file = self.write(name, content);
        let mut args = vec!["import", "--no-ocr"];
        args.extend_from_slice(extra);
        args.push(file.to_str().unwrap());
        self.ok(&args)
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    }

    /// Every document (trash included): (id, title, trashed).
    pub fn documents(&self) -> Vec<(String, String, bool)> {
        let mut docs = Vec::new();
        for trash in [false, true] {
            let mut args = vec!["list", "--json"];
            if trash {
                args.push("--trash");
            }
            let list: serde_json::Value = serde_json::from_str(&self.ok(&args)).unwrap();
            for doc in list.as_array().unwrap() {
                docs.push((
                    doc["id"].as_str().unwrap().to_string(),
                    doc["title"].as_str().unwrap().to_string(),
                    doc["trashed"].as_bool().unwrap(),
                ));
            }
        }
        docs.sort();
        docs
    }

    pub fn title(&self, id: &str) -> Option<String> {
        self.documents()
            .into_iter()
            .find(|(doc, _, _)| doc == id)
            .map(|(_, title, _)| title)
    }

    pub fn content(&self, id: &str) -> Vec<u8> {
        let out = self.path(&format!("out-{id}"));
        self.ok(&["get", id, "--out", out.to_str().unwrap()]);
        std::fs::read(out).unwrap()
    }

    /// The names (SHA-256 of the ciphertext) of the vault's encrypted files.
    pub fn blob_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for shard in std::fs::read_dir(self.vault.join("blobs")).unwrap() {
            let shard = shard.unwrap().path();
            if shard.file_name().unwrap() != "tmp" {
                for blob in std::fs::read_dir(&shard).unwrap() {
                    names.push(blob.unwrap().file_name().into_string().unwrap());
                }
            }
        }
        names
    }
}

/// The test kit's HTTP API client logged in to an account, for requests the `coffer` command
/// would never make (another account's ids).
pub struct Probe {
    runtime: tokio::runtime::Runtime,
    client: coffer_testkit::api::Client,
}

impl Probe {
    pub fn login(server: &Server, email: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (client, _) = runtime.block_on(
            coffer_testkit::api::Client::new(&server.url).login(email, PASSWORD, "probe"),
        );
        Self { runtime, client }
    }

    /// Sends a request with a JSON body; returns the status and the body.
    pub fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> (u16, Vec<u8>) {
        let body = body.map(|b| serde_json::to_vec(b).unwrap());
        let answer = self.runtime.block_on(self.client.request(
            method,
            path,
            headers,
            body,
            "application/json",
        ));
        (answer.status.as_u16(), answer.body)
    }
}

pub use coffer_testkit::maildir::verification_code;

/// An OpenAI-compatible vision endpoint on 127.0.0.1 (for `coffer ocr --remote openai
/// --endpoint URL`): every request is answered with one receipt's text and fields; its
/// `requests()` tell whether a document left the device.
pub fn remote_ocr_stand_in() -> coffer_testkit::stand_in::StandIn {
    let answer = serde_json::json!({
        "text": "Kavárna U Lva s.r.o.\nCelkem 121,00 Kč",
        "kind": "receipt",
        "merchant": "Kavárna U Lva s.r.o.",
        "total": "121.00",
        "currency": "CZK"
    });
    coffer_testkit::stand_in::StandIn::start(vec![coffer_testkit::stand_in::Answer::ok(
        serde_json::json!({"choices": [{"message": {"content": answer.to_string()}}]}),
    )])
}

/// The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret now, as an authenticator app
/// shows it.
pub fn totp_code(secret_base32: &str) -> String {
    use hmac::{Hmac, Mac};
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut key, mut buffer, mut bits) = (Vec::new(), 0u32, 0);
    for c in secret_base32.trim().bytes() {
        let v = alphabet.iter().position(|&a| a == c).expect("base32") as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            key.push((buffer >> bits) as u8);
        }
    }
    let step = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}
