//! The server cannot delete a device's documents: what another device purged moves to the
//! trash here, whole, and a sync that would remove most of the vault stops and asks first.
//! Against a real `coffer-server`, served from this process on 127.0.0.1.

use std::path::PathBuf;
use std::sync::Arc;

use coffer_core::sync::{self, Credentials, SyncError, SyncOptions, SyncReport};
use coffer_core::{DocumentId, SystemClock, Vault};
use coffer_server::config::{Config, Overrides};
use tempfile::TempDir;

use crate::support::{Scratch, content, ids, ids_in, password};

/// A server on its own runtime thread, stopped when dropped.
pub(crate) struct LocalServer {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    password: secrecy::SecretString,
    _data: TempDir,
}

impl LocalServer {
    /// A server with the catalog of the server's sync tests (START's limits out of the way),
    /// no SMTP (so addresses need no verification) and room for many sign-ups from one address.
    pub(crate) fn start() -> Self {
        Self::start_as(Version::Current)
    }

    fn start_as(version: Version) -> Self {
        let data = TempDir::new().unwrap();
        let mut config = Config::load(&Overrides {
            config_file: None,
            listen: None,
            data_dir: Some(data.path().to_owned()),
        })
        .unwrap();
        config.plans_file = Some(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../coffer-server/plans.roomy.toml"
        )));
        config.smtp_url = None;
        config.redis_url = None;
        // Every account of these tests registers and logs in from 127.0.0.1, many a minute in
        // the long crash test; the limits themselves are the server's tests'.
        config.rate_limits.register_per_ip_per_hour = 100_000;
        config.rate_limits.login_per_ip_per_minute = 100_000;
        let (ready, url) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                coffer_server::install_crypto_provider();
                let clock = Arc::new(coffer_server::clock::SystemClock);
                let app = coffer_server::app::App::from_config(&config, clock)
                    .await
                    .unwrap();
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                ready
                    .send(format!("http://{}", listener.local_addr().unwrap()))
                    .unwrap();
                let stopped = async {
                    let _ = stopped.await;
                };
                match version {
                    Version::Current => coffer_server::serve(app, listener, stopped).await,
                    Version::BeforeBatches => {
                        // The same routes but the batch, which answers as an unknown route.
                        let router = axum::Router::new()
                            .route(
                                coffer_api::routes::ITEMS_BATCH,
                                axum::routing::any(|| async {
                                    coffer_server::error::ApiError::new(
                                        coffer_api::ErrorCode::NotFound,
                                        "There is no such route.",
                                    )
                                }),
                            )
                            .fallback_service(coffer_server::http::router(app));
                        axum::serve(
                            listener,
                            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
                        )
                        .with_graceful_shutdown(stopped)
                        .await
                    }
                }
                .unwrap();
            });
        });
        Self {
            url: url.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
            password: password(),
            _data: data,
        }
    }

    pub(crate) fn credentials<'a>(&'a self, email: &'a str) -> Credentials<'a> {
        Credentials {
            server_url: &self.url,
            email,
            password: &self.password,
            totp: None,
            device_name: "engine test",
        }
    }
}

/// Which server to serve.
#[derive(Clone, Copy)]
enum Version {
    Current,
    /// One from before `POST /v1/items-batch`.
    BeforeBatches,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(vault: &mut Vault, allow_mass_delete: bool) -> Result<SyncReport, SyncError> {
    let options = SyncOptions { allow_mass_delete };
    sync::sync_with(vault, None, options, &mut |_| {})
}

/// Two devices of one account: `docs` documents imported and synced on the first, the
/// second made from the server and synced.
/// A new address for an account on the server.
pub(crate) fn new_email() -> String {
    format!("engine-{}@example.test", uuid::Uuid::new_v4().simple())
}

fn two_devices(server: &LocalServer, s: &Scratch, docs: usize) -> (Vault, Vault, Vec<DocumentId>) {
    let email = new_email();
    let mut a = s.open().unwrap();
    sync::register(&mut a, &server.credentials(&email)).unwrap();
    let imported: Vec<_> = (0..docs)
        .map(|i| {
            s.import(
                &mut a,
                &format!("d{i}.txt"),
                format!("document {i}").as_bytes(),
            )
        })
        .collect();
    run(&mut a, false).unwrap();
    let b = second_device(server, s, &email);
    assert_eq!(ids(&b).len(), docs);
    (a, b, imported)
}

/// A new device of `email`'s account, made from the server and synced.
fn second_device(server: &LocalServer, s: &Scratch, email: &str) -> Vault {
    let mut b = sync::init_from_server(
        s.path("second device"),
        &server.credentials(email),
        Arc::new(SystemClock),
    )
    .unwrap();
    run(&mut b, false).unwrap();
    b
}

fn trashed(vault: &Vault) -> Vec<DocumentId> {
    ids_in(vault, coffer_core::TrashFilter::Only)
}

#[test]
fn a_purge_on_another_device_moves_the_document_to_the_trash_here_whole() {
    let server = LocalServer::start();
    let s = Scratch::new();
    let (mut a, mut b, docs) = two_devices(&server, &s, 2);
    purge_now(&mut b, docs[1]);
    run(&mut b, false).unwrap();

    let report = run(&mut a, false).unwrap();
    assert_eq!(report.trashed, [docs[1]]);
    assert_eq!(trashed(&a), [docs[1]]);
    assert_eq!(
        content(&a, docs[1]),
        b"document 1",
        "still whole in the trash"
    );
    assert_eq!(ids(&a).len(), 2);
}

#[test]
fn a_sync_that_would_remove_most_of_the_vault_removes_nothing_until_confirmed() {
    let server = LocalServer::start();
    let s = Scratch::new();
    let (mut a, mut b, docs) = two_devices(&server, &s, 8);
    for id in &docs[..6] {
        purge_now(&mut b, *id);
    }
    run(&mut b, false).unwrap();

    for _ in 0..2 {
        match run(&mut a, false) {
            Err(SyncError::MassDeletion { count: 6, total: 8 }) => {}
            other => panic!("{other:?}"),
        }
        assert!(trashed(&a).is_empty(), "nothing removed while unconfirmed");
        assert_eq!(ids(&a).len(), 8);
    }
    let report = run(&mut a, true).unwrap();
    let mut gone = docs[..6].to_vec();
    gone.sort();
    let mut reported = report.trashed.clone();
    reported.sort();
    assert_eq!(reported, gone);
    assert_eq!(trashed(&a), gone);
    for id in &docs[..6] {
        assert!(!content(&a, *id).is_empty());
    }
}

/// Trash and purge at once, as `coffer rm --purge` does.
fn purge_now(vault: &mut Vault, id: DocumentId) {
    vault.trash(id).unwrap();
    vault.purge(id).unwrap();
}

#[test]
fn a_server_from_before_batches_gets_the_same_writes_one_by_one() {
    let server = LocalServer::start_as(Version::BeforeBatches);
    let s = Scratch::new();
    let email = new_email();
    let mut a = s.open().unwrap();
    sync::register(&mut a, &server.credentials(&email)).unwrap();
    // Small documents (their blobs would go inline) and one larger than a batch takes inline.
    let mut docs: Vec<(DocumentId, Vec<u8>)> = (0..4)
        .map(|i| {
            let bytes = format!("document {i}").into_bytes();
            (s.import(&mut a, &format!("d{i}.txt"), &bytes), bytes)
        })
        .collect();
    let large: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    docs.push((s.import(&mut a, "large.bin", &large), large));
    let report = run(&mut a, false).unwrap();
    assert_eq!(report.pushed, docs.len());
    assert!(report.not_synced.is_empty());
    let b = second_device(&server, &s, &email);
    for (id, bytes) in &docs {
        assert_eq!(&content(&b, *id), bytes);
    }
    // Nothing is left to push: the next sync sends nothing.
    assert_eq!(run(&mut a, false).unwrap().pushed, 0);
}
