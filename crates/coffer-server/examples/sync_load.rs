//! Load benchmark of the sync server over loopback: small-item commit throughput and latency,
//! change-feed throughput and latency, and the time a new device takes to pull 10,000 items.
//!
//! ```text
//! cargo run --release -p coffer-server --example sync_load -- [sqlite|postgres] [CLIENTS]
//! ```
//! `postgres` needs `COFFER_TEST_POSTGRES_URL` (e.g. through `scripts/with-test-services.sh`);
//! a fresh database is created for the run. The server runs in this process on 127.0.0.1 with
//! the same router and storage as `coffer-server serve`; the load generator shares the machine.
//! Every request loop is bounded in count.

use coffer_api::*;
use coffer_server::app::{App, AppParts};
use coffer_server::clock::SystemClock;
use coffer_testkit::api::PASSWORD;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const COMMITS_PER_CLIENT: usize = 500;
const FEED_READS_PER_CLIENT: usize = 500;
const PULL_ITEMS: usize = 10_000;
const ENVELOPE_BYTES: usize = 512;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    coffer_server::install_crypto_provider();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = args.first().map_or("sqlite", String::as_str).to_owned();
    let clients: usize = args.get(1).map_or(Ok(8), |s| s.parse())?;
    let dir = tempfile::tempdir()?;
    let url = match backend.as_str() {
        "sqlite" => format!("sqlite://{}", dir.path().join("coffer.db").display()),
        "postgres" => {
            let admin_url = std::env::var("COFFER_TEST_POSTGRES_URL")
                .map_err(|_| anyhow::anyhow!("set COFFER_TEST_POSTGRES_URL"))?;
            let name = format!("bench{}", Uuid::new_v4().simple());
            let admin = sqlx::PgPool::connect(&admin_url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await?;
            let (base, _) = admin_url
                .rsplit_once('/')
                .ok_or_else(|| anyhow::anyhow!("the URL must name a database"))?;
            format!("{base}/{name}")
        }
        other => anyhow::bail!("unknown backend {other}; use sqlite or postgres"),
    };
    let storage = Arc::new(coffer_server::storage::Storage::connect(&url).await?);
    let clock = Arc::new(SystemClock);
    let app = App::new(AppParts {
        storage,
        blobs: coffer_server::blobs::BlobStore::local(&dir.path().join("blobs"))?,
        clock: clock.clone(),
        limiter: Arc::new(coffer_server::ratelimit::InProcessLimiter::new(
            Default::default(),
            clock,
        )),
        // Limits out of the way: this measures the storage.
        catalog: Arc::new(coffer_server::billing::Catalog::load(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/plans.roomy.toml")),
        )?),
        payments: coffer_server::billing::Payments {
            http: reqwest::Client::new(),
            stripe: None,
            comgate: None,
        },
        mailer: None,
        server_key: Some(coffer_server::server_key::ServerKey::random()),
        trusted_proxies: Default::default(),
    })
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(coffer_server::serve(app, listener, std::future::pending()));

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients * 2)
        .build()?;
    // Accounts are made and logged in with the test kit's API client (OPAQUE); the load
    // itself goes through plain requests.
    let account = coffer_testkit::api::Client::new(&base);
    let email = "bench@example.test";
    let registered = account.register(email, PASSWORD).await;
    anyhow::ensure!(
        registered.status.is_success(),
        "register: {}",
        registered.status
    );
    let token = account.login(email, PASSWORD, "bench").await.1.access_token;

    // 1. Small-item commits, `clients` concurrent writers.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(COMMITS_PER_CLIENT);
            for _ in 0..COMMITS_PER_CLIENT {
                let t = Instant::now();
                commit(&http, &base, &token).await?;
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut commit_latencies = Vec::new();
    for t in tasks {
        commit_latencies.extend(t.await??);
    }
    let commit_secs = started.elapsed().as_secs_f64();

    // 2. Change-feed pages of 100 from random cursors, `clients` concurrent readers.
    let written = (clients * COMMITS_PER_CLIENT) as u64;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(FEED_READS_PER_CLIENT);
            for i in 0..FEED_READS_PER_CLIENT {
                let since = (c * 7919 + i * 104_729) as u64 % written;
                let t = Instant::now();
                let r = http
                    .get(format!("{base}{}?since={since}&limit=100", routes::CHANGES))
                    .bearer_auth(&token)
                    .send()
                    .await?;
                anyhow::ensure!(r.status().is_success(), "changes: {}", r.status());
                let _ = r.bytes().await?;
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut feed_latencies = Vec::new();
    for t in tasks {
        feed_latencies.extend(t.await??);
    }
    let feed_secs = started.elapsed().as_secs_f64();

    // 3. Fill up to 10,000 items, then a new device pulls everything.
    let missing = PULL_ITEMS.saturating_sub(clients * COMMITS_PER_CLIENT);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        let n = missing / clients + usize::from(c < missing % clients);
        tasks.push(tokio::spawn(async move {
            for _ in 0..n {
                commit(&http, &base, &token).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let new_device = account
        .login(email, PASSWORD, "new device")
        .await
        .1
        .access_token;
    let started = Instant::now();
    let (mut since, mut pulled, mut pages) = (0u64, 0usize, 0usize);
    loop {
        let page: ChangesPage = http
            .get(format!(
                "{base}{}?since={since}&limit=1000",
                routes::CHANGES
            ))
            .bearer_auth(&new_device)
            .send()
            .await?
            .json()
            .await?;
        pulled += page.changes.len();
        pages += 1;
        since = page.next_since;
        if !page.has_more {
            break;
        }
    }
    let pull_secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(pulled >= PULL_ITEMS, "pulled only {pulled} items");

    println!("backend: {backend}, concurrent clients: {clients}");
    println!(
        "| {backend} | commit (512 B envelope) | {:.0} commits/s | p50 {:.1} ms | p99 {:.1} ms | {} requests |",
        commit_latencies.len() as f64 / commit_secs,
        ms(percentile(&mut commit_latencies, 0.50)),
        ms(percentile(&mut commit_latencies, 0.99)),
        commit_latencies.len()
    );
    println!(
        "| {backend} | change feed (pages of 100) | {:.0} pages/s | p50 {:.1} ms | p99 {:.1} ms | {} requests |",
        feed_latencies.len() as f64 / feed_secs,
        ms(percentile(&mut feed_latencies, 0.50)),
        ms(percentile(&mut feed_latencies, 0.99)),
        feed_latencies.len()
    );
    println!(
        "| {backend} | new device pulls {pulled} items | {:.2} s | {pages} pages of 1000 | {:.0} items/s |",
        pull_secs,
        pulled as f64 / pull_secs
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(i).copied().unwrap_or_default()
}

async fn commit(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
    let mut envelope = vec![0u8; ENVELOPE_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut envelope);
    let write = ItemWrite {
        meta: ItemMeta {
            kind_class: KindClass::Receipt,
            created_month: "2026-11".into(),
            padded_size: 4096,
        },
        envelope: Bytes(envelope),
        blobs: vec![],
    };
    let r = http
        .put(format!("{base}{}", routes::item(Uuid::new_v4())))
        .bearer_auth(token)
        .header("if-none-match", "*")
        .json(&write)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "commit: {}", r.status());
    let _ = r.bytes().await?;
    Ok(())
}
