//! Test support: starting the real `coffer-server` binary (or the library in-process with a
//! manual clock) on a random loopback port, on SQLite + a directory or on PostgreSQL + S3, and
//! a small protocol client (OPAQUE with opaque-ke + reqwest) that encrypts on the client side
//! the way a real client must.

#![allow(dead_code, unused_macros)]

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use coffer_api::opaque::{CONTEXT, CofferCipherSuite, ksf};
use coffer_api::*;
use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialResponse, Identifiers, RegistrationResponse,
};
use rand::RngCore;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

// ---------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------

/// Where a test server keeps its data.
#[derive(Clone, Debug)]
pub enum Backend {
    /// SQLite + blob directory under `data_dir` (the embedded default).
    Local,
    /// A fresh PostgreSQL database and S3 bucket for this test.
    PostgresS3 {
        database_url: String,
        s3_endpoint: String,
        bucket: String,
    },
}

fn require_services() -> bool {
    std::env::var("COFFER_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

impl Backend {
    /// A fresh database and bucket, or `None` (with a note) when the services are not running.
    pub async fn postgres_s3(test: &str) -> Option<Backend> {
        init();
        let (Ok(pg), Ok(s3)) = (
            std::env::var("COFFER_TEST_POSTGRES_URL"),
            std::env::var("COFFER_TEST_S3_ENDPOINT"),
        ) else {
            assert!(
                !require_services(),
                "COFFER_TEST_REQUIRE_SERVICES=1 but COFFER_TEST_POSTGRES_URL / COFFER_TEST_S3_ENDPOINT are not set"
            );
            eprintln!(
                "note: {test}: skipped on PostgreSQL + S3 (run through scripts/with-test-services.sh, as `make test` does)"
            );
            return None;
        };
        let name = format!("t{}", Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&pg)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let database_url = match pg.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("COFFER_TEST_POSTGRES_URL must name a database"),
        };
        let bucket = format!("coffer-{}", &name[1..20]);
        let created = reqwest::Client::new()
            .put(format!("{s3}/{bucket}"))
            .send()
            .await
            .expect("create bucket");
        assert!(
            created.status().is_success(),
            "create bucket: {}",
            created.status()
        );
        Some(Backend::PostgresS3 {
            database_url,
            s3_endpoint: s3,
            bucket,
        })
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Backend::Local => vec![],
            Backend::PostgresS3 {
                database_url,
                s3_endpoint,
                bucket,
            } => vec![
                ("COFFER_DATABASE_URL", database_url.clone()),
                ("COFFER_BLOB_STORE", format!("s3://{bucket}")),
                ("COFFER_S3_ENDPOINT", s3_endpoint.clone()),
                ("COFFER_S3_REGION", "us-east-1".into()),
                ("COFFER_S3_ACCESS_KEY_ID", "test".into()),
                ("COFFER_S3_SECRET_ACCESS_KEY", "test".into()),
                ("COFFER_S3_ALLOW_HTTP", "true".into()),
            ],
        }
    }

    /// Every byte this backend stores for the server, for marker scans: files under the data
    /// directory, or the database rows (as text, bytea in hex) and every object in the bucket.
    pub async fn stored_bytes(&self, data_dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        collect_files(data_dir, &mut out);
        if let Backend::PostgresS3 {
            database_url,
            s3_endpoint,
            bucket,
        } = self
        {
            let pool = sqlx::PgPool::connect(database_url).await.unwrap();
            let tables: Vec<(String,)> =
                sqlx::query_as("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            for (table,) in tables {
                let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT t::text FROM {table} t"
                )))
                .fetch_all(&pool)
                .await
                .unwrap();
                for (row,) in rows {
                    out.push((format!("pg:{table}"), row.into_bytes()));
                }
            }
            pool.close().await;
            let store = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_endpoint(s3_endpoint)
                .with_region("us-east-1")
                .with_access_key_id("test")
                .with_secret_access_key("test")
                .with_allow_http(true)
                .build()
                .unwrap();
            use futures::TryStreamExt;
            use object_store::{ObjectStore, ObjectStoreExt};
            let objects: Vec<_> = store.list(None).try_collect().await.unwrap();
            for meta in objects {
                let bytes = store
                    .get(&meta.location)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                out.push((format!("s3:{}", meta.location), bytes.to_vec()));
            }
        }
        out
    }
}

fn collect_files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
}

/// Runs `async fn name(db: Option<String>, dir: &Path)` on SQLite and on PostgreSQL (the
/// latter only when the test services run). Needs `#[macro_use] mod support;`.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let dir = tempfile::tempdir().unwrap();
                super::$name(None, dir.path()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                let Some(super::Backend::PostgresS3 { database_url, .. }) =
                    super::Backend::postgres_s3(stringify!($name)).await
                else {
                    return;
                };
                let dir = tempfile::tempdir().unwrap();
                super::$name(Some(database_url), dir.path()).await;
            }
        }
    )*};
}

pub use coffer_testkit::maildir::verification_codes;

/// The latest verification code the SMTP sink received for `email` (waits up to 20 s for
/// the server's immediate delivery).
pub async fn verification_code(email: &str) -> String {
    for _ in 0..200 {
        if let Some(code) = verification_codes(email).pop() {
            return code;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no verification e-mail for {email} reached the SMTP sink")
}

/// `coffer-server admin plan grant EMAIL plus --until 2099-12-31`: an operator's grant.
pub fn grant_plus(data: &Path, email: &str, env: &[(&str, &str)]) -> String {
    let until = ["--until", "2099-12-31"];
    cli(
        data,
        &[&["admin", "plan", "grant", email, "plus"][..], &until].concat(),
        env,
    )
}

/// Runs `coffer-server ARGS --data DATA` with `env` and returns its stdout (asserting success).
pub fn cli(data: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_coffer-server"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("COFFER_LOG", "warn")
        .env_remove("COFFER_DATABASE_URL")
        .env_remove("COFFER_CONFIG")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "coffer-server {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

// ---------------------------------------------------------------------------------------
// Server processes
// ---------------------------------------------------------------------------------------

/// A running `coffer-server serve` process; killed on drop.
pub struct ServerProcess {
    child: Option<Child>,
    pub url: String,
    pub data_dir: PathBuf,
    pub backend: Backend,
    extra_env: Vec<(String, String)>,
}

impl ServerProcess {
    pub fn start(backend: &Backend, data_dir: &Path) -> Self {
        Self::start_with(backend, data_dir, &[])
    }

    pub fn start_with(backend: &Backend, data_dir: &Path, extra_env: &[(&str, &str)]) -> Self {
        let mut server = ServerProcess {
            child: None,
            url: String::new(),
            data_dir: data_dir.to_owned(),
            backend: backend.clone(),
            extra_env: extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let mut cmd = coffer_testkit::server::command(
            Path::new(env!("CARGO_BIN_EXE_coffer-server")),
            &["serve", "--listen", "127.0.0.1:0"],
            &self.data_dir,
        );
        cmd.stderr(Stdio::inherit());
        // The sync suite stores more than START allows; plans.rs passes
        // COFFER_PLANS_FILE="" for the default catalog.
        cmd.env(
            "COFFER_PLANS_FILE",
            concat!(env!("CARGO_MANIFEST_DIR"), "/plans.roomy.toml"),
        );
        for (k, v) in self.backend.env() {
            cmd.env(k, v);
        }
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        let (child, url) = coffer_testkit::server::spawn(&mut cmd);
        self.url = url;
        self.child = Some(child);
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The process id of the running server.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Leaves `name` out of the environment from the next (re)start on.
    pub fn without_env(&mut self, name: &str) {
        self.extra_env.retain(|(k, _)| k != name);
    }

    /// Kill and start again on the same data (a new port).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The library served in-process, with a manual clock (for tests that move time).
pub struct InProcessServer {
    pub url: String,
    pub app: Arc<coffer_server::app::App>,
    pub clock: Arc<coffer_server::clock::ManualClock>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// What an in-process server enforces and talks to.
#[derive(Default)]
pub struct InProcessOptions {
    /// Enforce the default plan catalog (otherwise every account is unlimited).
    pub plans: bool,
    /// PostgreSQL instead of SQLite (blobs stay in the directory).
    pub database_url: Option<String>,
    pub stripe: Option<coffer_server::billing::stripe::StripeSettings>,
    pub comgate: Option<coffer_server::billing::comgate::ComgateSettings>,
    /// `smtp://127.0.0.1:PORT` of a sink.
    pub smtp_url: Option<String>,
    pub rate_limits: Option<coffer_server::ratelimit::RateLimits>,
    pub trusted_proxies: coffer_server::config::TrustedProxies,
}

/// The test catalog the `ServerProcess` servers use too: START's limits out of the way.
pub fn roomy_catalog() -> coffer_server::billing::Catalog {
    coffer_server::billing::Catalog::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/plans.roomy.toml"
    )))
    .unwrap()
}

impl InProcessServer {
    /// Rows of `sql` (one `$1` parameter, a text) counted, for looking behind the API.
    pub async fn count(&self, sql: &str, param: &str) -> i64 {
        use sqlx::Row as _;
        let mut db = self.app.storage.read().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .bind(param.to_owned())
            .fetch_one(&mut *db)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    pub async fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, InProcessOptions::default()).await
    }

    pub async fn start_with(data_dir: &Path, options: InProcessOptions) -> Self {
        init();
        use coffer_server::app::{App, AppParts};
        use coffer_server::clock::ManualClock;
        use coffer_server::storage::Storage;
        let clock = Arc::new(ManualClock::new(
            time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let url = match &options.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", data_dir.join("coffer.db").display()),
        };
        let storage = Arc::new(Storage::connect(&url).await.unwrap());
        let catalog = Arc::new(if options.plans {
            coffer_server::billing::Catalog::default_catalog()
        } else {
            roomy_catalog()
        });
        let app = App::new(AppParts {
            storage,
            blobs: coffer_server::blobs::BlobStore::local(&data_dir.join("blobs")).unwrap(),
            clock: clock.clone(),
            limiter: Arc::new(coffer_server::ratelimit::InProcessLimiter::new(
                options.rate_limits.unwrap_or_default(),
                clock.clone(),
            )),
            catalog,
            payments: coffer_server::billing::Payments {
                http: reqwest::Client::new(),
                stripe: options.stripe,
                comgate: options.comgate,
            },
            mailer: options.smtp_url.map(|url| {
                coffer_server::mail::Mailer::new(&url, "Coffer <no-reply@coffer.test>").unwrap()
            }),
            // Kept in the database: every in-process server on one database shares it.
            server_key: None,
            trusted_proxies: options.trusted_proxies,
        })
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let served = app.clone();
        tokio::spawn(async move {
            coffer_server::serve(served, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        InProcessServer {
            url,
            app,
            clock,
            shutdown: Some(tx),
        }
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Client-side encryption (any AEAD will do for tests)
// ---------------------------------------------------------------------------------------

/// A test vault key: everything the server gets is sealed with it first.
pub struct VaultKey([u8; 32]);

impl VaultKey {
    pub fn random() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        VaultKey(k)
    }

    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(
            cipher
                .encrypt(XNonce::from_slice(&nonce), plaintext)
                .unwrap(),
        );
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let (nonce, ct) = sealed.split_at(24);
        cipher.decrypt(XNonce::from_slice(nonce), ct).unwrap()
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub fn wrapped_keys(tag: u8) -> WrappedKeys {
    WrappedKeys {
        by_export_key: Bytes(vec![tag; 60]),
        by_recovery_key: Bytes(vec![tag.wrapping_add(1); 60]),
        kdf_record: Bytes(b"{\"alg\":\"argon2id\"}".to_vec()),
    }
}

// ---------------------------------------------------------------------------------------
// Protocol client
// ---------------------------------------------------------------------------------------

/// An HTTP answer: status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} is not the expected JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The structured error, asserting the status is a 4xx and the body has the shape.
    pub fn error(&self) -> ErrorDetail {
        assert!(
            self.status.is_client_error(),
            "expected a 4xx, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        self.json::<ErrorBody>().error
    }

    pub fn ok<T: DeserializeOwned>(&self) -> T {
        assert!(
            self.status.is_success(),
            "expected success, got {}: {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
    /// Sent as `coffer-step-up` with every request.
    pub step_up: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        init();
        Client {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            token: None,
            step_up: None,
        }
    }

    pub fn with_token(&self, token: &str) -> Self {
        Client {
            token: Some(token.to_owned()),
            step_up: None,
            ..self.clone()
        }
    }

    /// The OPAQUE step-up of this session: the answer of the finish, or `Err` (`None` when
    /// the client rejected the server's KE2, as for a wrong password).
    pub async fn step_up_attempt(
        &self,
        password: &str,
        second_factor: Option<&str>,
    ) -> Result<StepUpToken, Option<Answer>> {
        let mut rng = rand::rngs::OsRng;
        let start = ClientLogin::<CofferCipherSuite>::start(&mut rng, password.as_bytes()).unwrap();
        let answer = self
            .post(
                routes::STEP_UP_START,
                &StepUpStartRequest {
                    credential_request: Bytes(start.message.serialize().to_vec()),
                },
            )
            .await;
        if !answer.status.is_success() {
            return Err(Some(answer));
        }
        let started: LoginStartResponse = answer.json();
        let ksf = ksf();
        let Ok(finish) = start.state.finish(
            &mut rng,
            password.as_bytes(),
            CredentialResponse::deserialize(started.credential_response.as_slice()).unwrap(),
            ClientLoginFinishParameters::new(Some(CONTEXT), Identifiers::default(), Some(&ksf)),
        ) else {
            return Err(None);
        };
        let answer = self
            .post(
                routes::STEP_UP_FINISH,
                &StepUpFinishRequest {
                    login_id: started.login_id,
                    credential_finalization: Bytes(finish.message.serialize().to_vec()),
                    second_factor: second_factor.map(str::to_owned),
                },
            )
            .await;
        if answer.status.is_success() {
            Ok(answer.json())
        } else {
            Err(Some(answer))
        }
    }

    /// This client with a fresh step-up (the password, and `second_factor` if TOTP is on).
    pub async fn stepped_up(&self, password: &str, second_factor: Option<&str>) -> Client {
        match self.step_up_attempt(password, second_factor).await {
            Ok(token) => Client {
                step_up: Some(token.step_up_token),
                ..self.clone()
            },
            Err(Some(a)) => panic!(
                "step-up failed: {} {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            ),
            Err(None) => panic!("step-up failed on the client side"),
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        content_type: &str,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(step_up) = &self.step_up {
            req = req.header(STEP_UP_HEADER, step_up);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.header("content-type", content_type).body(body);
        }
        let res = req.send().await.expect("request reaches the server");
        let status = res.status();
        let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        Answer { status, body }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.request(Method::GET, path, &[], None, "").await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.request(Method::DELETE, path, &[], None, "").await
    }

    /// `DELETE` [`routes::ACCOUNT`], confirmed with `email`.
    pub async fn delete_account(&self, email: &str) -> Answer {
        let confirm = DeleteAccountRequest {
            confirm_email: email.into(),
        };
        self.send_json(Method::DELETE, routes::ACCOUNT, &[], &confirm)
            .await
    }

    pub async fn send_json<T: Serialize>(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &T,
    ) -> Answer {
        self.request(
            method,
            path,
            headers,
            Some(serde_json::to_vec(body).unwrap()),
            "application/json",
        )
        .await
    }

    pub async fn post<T: Serialize>(&self, path: &str, body: &T) -> Answer {
        self.send_json(Method::POST, path, &[], body).await
    }

    pub async fn register(&self, email: &str, password: &str) -> Answer {
        let mut rng = rand::rngs::OsRng;
        let start =
            ClientRegistration::<CofferCipherSuite>::start(&mut rng, password.as_bytes()).unwrap();
        let answer = self
            .post(
                routes::REGISTER_START,
                &RegisterStartRequest {
                    email: email.into(),
                    registration_request: Bytes(start.message.serialize().to_vec()),
                },
            )
            .await;
        let response: RegisterStartResponse = answer.ok();
        let ksf = ksf();
        let finish = start
            .state
            .finish(
                &mut rng,
                password.as_bytes(),
                RegistrationResponse::deserialize(response.registration_response.as_slice())
                    .unwrap(),
                ClientRegistrationFinishParameters::new(Identifiers::default(), Some(&ksf)),
            )
            .unwrap();
        self.post(
            routes::REGISTER_FINISH,
            &RegisterFinishRequest {
                email: email.into(),
                registration_upload: Bytes(finish.message.serialize().to_vec()),
                wrapped_keys: wrapped_keys(7),
            },
        )
        .await
    }

    /// OPAQUE login. `Err` carries the answer (or `None` if the client itself rejected the
    /// server's KE2, as it does for a wrong password or an unknown account).
    pub async fn login_attempt(
        &self,
        email: &str,
        password: &str,
        device: &str,
    ) -> Result<LoginFinishResponse, Option<Answer>> {
        self.login_attempt_via(self, email, password, device).await
    }

    /// Like [`Client::login_attempt`], with the finishing step sent through `finisher`
    /// (another server instance, say).
    pub async fn login_attempt_via(
        &self,
        finisher: &Client,
        email: &str,
        password: &str,
        device: &str,
    ) -> Result<LoginFinishResponse, Option<Answer>> {
        let mut rng = rand::rngs::OsRng;
        let start = ClientLogin::<CofferCipherSuite>::start(&mut rng, password.as_bytes()).unwrap();
        let answer = self
            .post(
                routes::LOGIN_START,
                &LoginStartRequest {
                    email: email.into(),
                    credential_request: Bytes(start.message.serialize().to_vec()),
                },
            )
            .await;
        if !answer.status.is_success() {
            return Err(Some(answer));
        }
        let started: LoginStartResponse = answer.json();
        let ksf = ksf();
        let finish = start.state.finish(
            &mut rng,
            password.as_bytes(),
            CredentialResponse::deserialize(started.credential_response.as_slice()).unwrap(),
            ClientLoginFinishParameters::new(Some(CONTEXT), Identifiers::default(), Some(&ksf)),
        );
        let Ok(finish) = finish else { return Err(None) };
        let answer = finisher
            .post(
                routes::LOGIN_FINISH,
                &LoginFinishRequest {
                    login_id: started.login_id,
                    credential_finalization: Bytes(finish.message.serialize().to_vec()),
                    device_name: device.into(),
                },
            )
            .await;
        if answer.status.is_success() {
            Ok(answer.json())
        } else {
            Err(Some(answer))
        }
    }

    /// Log in and return a client holding the session's access token.
    pub async fn login(&self, email: &str, password: &str, device: &str) -> (Client, Session) {
        match self.login_attempt(email, password, device).await {
            Ok(LoginFinishResponse::Ok(session)) => {
                (self.with_token(&session.access_token), *session)
            }
            Ok(other) => panic!("login needs more: {other:?}"),
            Err(Some(a)) => panic!(
                "login failed: {} {}",
                a.status,
                String::from_utf8_lossy(&a.body)
            ),
            Err(None) => panic!("login failed on the client side"),
        }
    }

    /// Register and log in a new account with a random address (verifying it with the code
    /// from the SMTP sink when the server sends e-mail to one).
    pub async fn new_account(&self, device: &str) -> (Client, Session, String) {
        let (client, session, email) = self.new_unverified_account(device).await;
        let info: AccountInfo = client.get(routes::ACCOUNT).await.ok();
        if !info.email_verified && std::env::var_os("COFFER_TEST_MAILDIR").is_some() {
            let code = verification_code(&email).await;
            let verified = client
                .post(routes::EMAIL_VERIFY, &EmailVerifyRequest { code })
                .await;
            assert_eq!(verified.status, StatusCode::NO_CONTENT, "{verified:?}");
        }
        (client, session, email)
    }

    /// Register and log in a new account with a random address, as it is before the address
    /// is verified.
    pub async fn new_unverified_account(&self, device: &str) -> (Client, Session, String) {
        let email = format!("user-{}@example.test", Uuid::new_v4().simple());
        let reg = self.register(&email, PASSWORD).await;
        assert_eq!(
            reg.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&reg.body)
        );
        let (client, session) = self.login(&email, PASSWORD, device).await;
        (client, session, email)
    }

    /// Upload a blob in chunks of `chunk` bytes; returns its reference.
    pub async fn upload_blob(&self, data: &[u8], chunk: usize) -> BlobRef {
        let sha = sha256_hex(data);
        let status: UploadStatus = self
            .post(
                routes::UPLOADS,
                &CreateUploadRequest {
                    sha256: sha.clone(),
                    size: data.len() as u64,
                },
            )
            .await
            .ok();
        if !status.complete {
            let id = status.upload_id.unwrap();
            let mut offset = status.received as usize;
            while offset < data.len() {
                let end = (offset + chunk).min(data.len());
                self.put_chunk(id, offset as u64, data[offset..end].to_vec())
                    .await
                    .ok::<UploadStatus>();
                offset = end;
            }
            let done: UploadStatus = self
                .request(Method::POST, &routes::upload_complete(id), &[], None, "")
                .await
                .ok();
            assert!(done.complete);
        }
        BlobRef {
            sha256: sha,
            size: data.len() as u64,
        }
    }

    pub async fn put_chunk(&self, id: Uuid, offset: u64, data: Vec<u8>) -> Answer {
        self.request(
            Method::PUT,
            &format!("{}?offset={offset}", routes::upload(id)),
            &[],
            Some(data),
            "application/octet-stream",
        )
        .await
    }

    pub async fn put_item(
        &self,
        id: Uuid,
        revision: Option<u64>,
        write: &ItemWrite,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let rev;
        let mut headers = vec![];
        match revision {
            Some(r) => {
                rev = format!("\"{r}\"");
                headers.push(("if-match", rev.as_str()));
            }
            None => headers.push(("if-none-match", "*")),
        }
        if let Some(key) = idempotency_key {
            headers.push(("idempotency-key", key));
        }
        self.send_json(Method::PUT, &routes::item(id), &headers, write)
            .await
    }

    pub async fn delete_item(&self, id: Uuid, revision: u64) -> Answer {
        let rev = format!("\"{revision}\"");
        self.request(
            Method::DELETE,
            &routes::item(id),
            &[("if-match", rev.as_str())],
            None,
            "",
        )
        .await
    }

    pub async fn changes(&self, since: u64, limit: u32) -> Answer {
        self.get(&format!("{}?since={since}&limit={limit}", routes::CHANGES))
            .await
    }

    /// Pull the whole feed from `since`.
    pub async fn pull_all(&self, since: u64) -> (Vec<Item>, u64) {
        let mut since = since;
        let mut items = vec![];
        loop {
            let page: ChangesPage = self.changes(since, 100).await.ok();
            items.extend(page.changes);
            since = page.next_since;
            if !page.has_more {
                return (items, since);
            }
        }
    }
}

/// An encrypted item: a sealed JSON envelope with the document's fields and one sealed blob.
pub fn sealed_write(key: &VaultKey, fields: &serde_json::Value, blob: &BlobRef) -> ItemWrite {
    ItemWrite {
        meta: ItemMeta {
            kind_class: KindClass::Receipt,
            created_month: "2026-11".into(),
            padded_size: 4096,
        },
        envelope: Bytes(key.seal(&serde_json::to_vec(fields).unwrap())),
        blobs: vec![blob.clone()],
    }
}

/// An item of `kind` that names `month` (the server counts it against its own month), with a
/// fresh envelope.
pub fn item_write(kind: KindClass, month: &str) -> ItemWrite {
    ItemWrite {
        meta: ItemMeta {
            kind_class: kind,
            created_month: month.into(),
            padded_size: 1024,
        },
        envelope: Bytes(VaultKey::random().seal(b"a document")),
        blobs: vec![],
    }
}

impl Client {
    /// Pushes a new item; its id and the answer.
    pub async fn push(&self, kind: KindClass, month: &str) -> (Uuid, Answer) {
        let id = Uuid::new_v4();
        let answer = self
            .put_item(id, None, &item_write(kind, month), None)
            .await;
        (id, answer)
    }

    /// Pushes a new item that must be stored.
    pub async fn push_ok(&self, kind: KindClass, month: &str) -> Uuid {
        let (id, answer) = self.push(kind, month).await;
        let _: Item = answer.ok();
        id
    }
}

/// A write without blobs.
pub fn small_write(key: &VaultKey, text: &str) -> ItemWrite {
    ItemWrite {
        meta: ItemMeta {
            kind_class: KindClass::Document,
            created_month: "2026-10".into(),
            padded_size: 1024,
        },
        envelope: Bytes(key.seal(text.as_bytes())),
        blobs: vec![],
    }
}
