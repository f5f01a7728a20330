//! Test support: starting the real `coffer-server` binary (or the library in-process with a
//! manual clock) on a random loopback port, on SQLite + a directory or on PostgreSQL + S3, and
//! a small protocol client (OPAQUE with opaque-ke + reqwest) that encrypts on the client side
//! the way a real client must.

#![allow(dead_code, unused_macros)]

use std::path::Path;
use std::sync::Arc;
use uuid::Uuid;

pub use coffer_testkit::api::*;

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
    let out =
        coffer_testkit::server::command(Path::new(env!("CARGO_BIN_EXE_coffer-server")), args, data)
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

pub use coffer_testkit::server::ServerProcess;

/// `coffer-server serve` (this crate's binary) on `backend`, its data in `data_dir`, with the
/// sync suite's roomy catalog (plans.rs passes `COFFER_PLANS_FILE=""` for the default one).
pub fn serve(backend: &Backend, data_dir: &Path) -> ServerProcess {
    serve_with(backend, data_dir, &[])
}

/// [`serve`] with `extra_env` too.
pub fn serve_with(backend: &Backend, data_dir: &Path, extra_env: &[(&str, &str)]) -> ServerProcess {
    let roomy = concat!(env!("CARGO_MANIFEST_DIR"), "/plans.roomy.toml");
    let backend_env = backend.env();
    let mut env: Vec<(&str, &str)> = vec![("COFFER_PLANS_FILE", roomy)];
    env.extend(backend_env.iter().map(|(k, v)| (*k, v.as_str())));
    env.extend_from_slice(extra_env);
    ServerProcess::start(
        Path::new(env!("CARGO_BIN_EXE_coffer-server")),
        data_dir,
        &env,
    )
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
