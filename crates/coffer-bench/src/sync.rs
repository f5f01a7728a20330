//! Sync figures: a real `coffer-server` on loopback; one device imports and pushes 10,000
//! small documents (in batches of writes with their blobs inline), then a new device logs in
//! and pulls them all (envelopes opened, blobs downloaded and verified, every document
//! committed to its SQLCipher store). The reference is importing the same files locally on the
//! first device as a folder import does (in batches), in the same run.

use std::fs;
use std::sync::Arc;
use std::time::Instant;

use coffer_core::sync::{self, Credentials};
use coffer_core::{ImportOptions, KdfParams, SystemClock};
use coffer_testkit::server::ServerProcess;
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::reference::row;
use crate::vault::{new_vault, password, sibling_binary};

const ITEMS: usize = 10_000;

/// The measurement is about sync, not plans: a catalog whose free plan has room for every item.
const ROOMY_PLANS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../coffer-server/plans.roomy.toml"
);

pub fn pull_time() -> anyhow::Result<()> {
    let dir = tempfile::tempdir_in(".")?;
    let server = ServerProcess::start(
        &sibling_binary("coffer-server")?,
        &dir.path().join("server"),
        &[("COFFER_PLANS_FILE", ROOMY_PLANS)],
    );
    let url = server.url.clone();

    let sources = dir.path().join("sources");
    fs::create_dir(&sources)?;
    let mut rng = StdRng::seed_from_u64(2);
    let mut first = new_vault(&dir.path().join("a"), KdfParams::default_pbkdf2())?;
    let mut files = Vec::with_capacity(ITEMS);
    for i in 0..ITEMS {
        let content: Vec<u8> = (0..rng.gen_range(200..2_000))
            .map(|_| rng.r#gen())
            .collect();
        let path = sources.join(format!("receipt-{i}.txt"));
        fs::write(&path, content)?;
        files.push(path);
    }
    let start = Instant::now();
    // As a folder of them is imported: in batches.
    first.import_many(&files, &ImportOptions::default(), |_| {})?;
    let imported = start.elapsed();

    let password = password();
    let creds = Credentials {
        server_url: &url,
        email: "bench@example.test",
        password: &password,
        totp: None,
        device_name: "bench",
    };
    sync::register(&mut first, &creds)?;
    let start = Instant::now();
    let pushed = sync::sync(&mut first, None, &mut |_| {})?;
    let push = start.elapsed();
    anyhow::ensure!(pushed.pushed == ITEMS, "pushed {} items", pushed.pushed);

    let start = Instant::now();
    let mut second = sync::init_from_server(dir.path().join("b"), &creds, Arc::new(SystemClock))?;
    let pulled = sync::sync(&mut second, None, &mut |_| {})?;
    let pull = start.elapsed();
    anyhow::ensure!(pulled.pulled == ITEMS, "pulled {} items", pulled.pulled);

    for (name, took) in [
        ("first device pushes 10,000 small documents", push),
        (
            "new device: log in, restore the key, pull 10,000 items",
            pull,
        ),
    ] {
        row(
            name,
            format!(
                "{:.1} s ({:.0} items/s)",
                took.as_secs_f64(),
                ITEMS as f64 / took.as_secs_f64()
            ),
            format!(
                "local import of the same files: {:.1} s",
                imported.as_secs_f64()
            ),
            format!("{:.2}", imported.as_secs_f64() / took.as_secs_f64()),
        );
    }
    Ok(())
}
