//! Vault figures: stream cipher throughput, unlock, import, peak memory on a large file, and
//! search latency on a generated vault.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use coffer_core::crypto::keys::DataKey;
use coffer_core::crypto::stream::{self, DEFAULT_CHUNK_LOG2, StreamContext};
use coffer_core::document::parse_date;
use coffer_core::{
    DocumentEdit, DocumentKind, ImportOptions, ImportOutcome, KdfParams, LockedVault,
    RecoveryPhrase, SearchQuery, SystemClock, Vault,
};
use rand::rngs::OsRng;
use rand::{Rng, SeedableRng, rngs::StdRng};
use secrecy::SecretString;

use crate::Options;
use crate::reference::{self, row};

const MIB: f64 = 1024.0 * 1024.0;

pub(crate) fn password() -> SecretString {
    SecretString::from("benchmark password")
}

pub(crate) fn new_vault(dir: &Path, params: KdfParams) -> anyhow::Result<Vault> {
    Ok(Vault::create(
        dir,
        &password(),
        params,
        &RecoveryPhrase::generate(&mut OsRng),
        Arc::new(SystemClock),
    )?)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// A blob's sealed description is about this large.
const DESCRIPTION: &[u8] = &[0; 1024];

/// One core, 64 KiB chunks, memory to memory: the same work `openssl speed` measures.
pub fn stream_throughput() -> anyhow::Result<()> {
    let len: u64 = 512 << 20;
    let key = DataKey::generate(&mut OsRng);
    let ctx = StreamContext {
        document_id: [1; 16],
        content_version: 1,
    };
    let source = || io::Read::take(io::repeat(0x5a), len);
    // Timed into a sink, as openssl reuses one buffer; a fresh 512 MiB Vec would time page
    // faults, not the cipher.
    let start = Instant::now();
    stream::encrypt(
        &key,
        &ctx,
        len,
        source(),
        io::sink(),
        DEFAULT_CHUNK_LOG2,
        DESCRIPTION,
        &mut OsRng,
    )?;
    let encrypt = len as f64 / start.elapsed().as_secs_f64();
    let mut ciphertext =
        Vec::with_capacity(stream::blob_len(len, DEFAULT_CHUNK_LOG2, DESCRIPTION.len()) as usize);
    stream::encrypt(
        &key,
        &ctx,
        len,
        source(),
        &mut ciphertext,
        DEFAULT_CHUNK_LOG2,
        DESCRIPTION,
        &mut OsRng,
    )?;
    let start = Instant::now();
    stream::decrypt(&key, &ctx, &ciphertext[..], io::sink())?;
    let decrypt = len as f64 / start.elapsed().as_secs_f64();
    let openssl = reference::openssl_aes_gcm(1 << DEFAULT_CHUNK_LOG2)?;
    let gbps = |b: f64| format!("{:.2} GB/s", b / 1e9);
    row(
        "stream encryption, 64 KiB chunks, one core",
        gbps(encrypt),
        format!(
            "openssl speed -elapsed -evp aes-256-gcm -bytes 65536: {}",
            gbps(openssl)
        ),
        format!("{:.2}", encrypt / openssl),
    );
    row(
        "stream decryption, 64 KiB chunks, one core",
        gbps(decrypt),
        format!("openssl (encryption, same block): {}", gbps(openssl)),
        format!("{:.2}", decrypt / openssl),
    );
    Ok(())
}

/// Unlock with the default KDF, against the `argon2` reference CLI on the same parameters.
pub fn unlock_time() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let params = KdfParams::default_argon2id();
    drop(new_vault(&dir.path().join("v"), params)?);
    let ours = median(
        (0..3)
            .map(|_| {
                let start = Instant::now();
                LockedVault::open(dir.path().join("v"))
                    .and_then(|v| v.unlock(&password()))
                    .map(|_| start.elapsed())
            })
            .collect::<Result<_, _>>()?,
    );
    let KdfParams::Argon2id {
        memory_kib,
        passes,
        lanes,
    } = params
    else {
        unreachable!("the default KDF is Argon2id")
    };
    let reference = median(
        (0..3)
            .map(|_| reference::argon2_cli(memory_kib, passes, lanes))
            .collect::<Result<_, _>>()?,
    );
    row(
        &format!("unlock, default KDF ({params})"),
        format!("{:.0} ms", ours.as_secs_f64() * 1e3),
        format!(
            "argon2 CLI, same parameters: {:.0} ms",
            reference.as_secs_f64() * 1e3
        ),
        format!("{:.2}", ours.as_secs_f64() / reference.as_secs_f64()),
    );
    Ok(())
}

/// 1,000 small files through the real import path, against writing and fsyncing the same
/// files (the disk's own limit for durable small writes).
pub fn import_throughput() -> anyhow::Result<()> {
    let dir = tempfile::tempdir_in(".")?;
    let sources = dir.path().join("sources");
    fs::create_dir(&sources)?;
    let mut rng = StdRng::seed_from_u64(1);
    let mut total = 0u64;
    let files: Vec<PathBuf> = (0..1000)
        .map(|i| {
            let len = rng.gen_range(2_000..40_000);
            total += len as u64;
            let content: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
            let path = sources.join(format!("receipt-{i}.jpg"));
            fs::write(&path, content).map(|()| path)
        })
        .collect::<Result<_, _>>()?;
    let mut vault = new_vault(&dir.path().join("v"), KdfParams::default_pbkdf2())?;
    let start = Instant::now();
    for file in &files {
        vault.import(file, &ImportOptions::default())?;
    }
    let one_by_one = start.elapsed();
    // What `coffer import`, the app and the watched folder do: batches of one commit each.
    let mut vault = new_vault(&dir.path().join("batched"), KdfParams::default_pbkdf2())?;
    let start = Instant::now();
    vault.import_many(&files, &ImportOptions::default(), |_| {})?;
    let ours = start.elapsed();
    let copies = dir.path().join("copies");
    fs::create_dir(&copies)?;
    let start = Instant::now();
    for file in &files {
        let target = copies.join(file.file_name().context("file name")?);
        fs::copy(file, &target)?;
        fs::File::open(&target)?.sync_all()?;
    }
    let reference = start.elapsed();
    for (what, took) in [
        ("import 1,000 small files (2–40 KB), in batches", ours),
        ("the same, one commit per file", one_by_one),
    ] {
        row(
            what,
            format!(
                "{:.0} files/s, {:.1} MB/s",
                1000.0 / took.as_secs_f64(),
                total as f64 / 1e6 / took.as_secs_f64()
            ),
            format!(
                "copy + fsync each: {:.0} files/s",
                1000.0 / reference.as_secs_f64()
            ),
            format!("{:.2}", reference.as_secs_f64() / took.as_secs_f64()),
        );
    }
    Ok(())
}

pub(crate) fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe
        .parent()
        .context("bench binary has a directory")?
        .join(name);
    anyhow::ensure!(
        path.exists(),
        "{} not built; run `make bench` (it builds coffer first)",
        path.display()
    );
    Ok(path)
}

/// A large file through `coffer import` and `coffer get` as separate processes, peak memory
/// measured by GNU time, against the `age` command on the same file.
pub fn large_file_memory(options: &Options) -> anyhow::Result<()> {
    let coffer = sibling_binary("coffer")?;
    let big = options
        .data
        .join(format!("large-{}MiB.bin", options.large_mib));
    let size = options.large_mib << 20;
    if fs::metadata(&big).map(|m| m.len()).unwrap_or(0) != size {
        let mut rng = StdRng::seed_from_u64(2);
        let mut file = io::BufWriter::new(fs::File::create(&big)?);
        let mut block = vec![0u8; 1 << 20];
        for _ in 0..options.large_mib {
            rng.fill(&mut block[..]);
            io::Write::write_all(&mut file, &block)?;
        }
        io::Write::flush(&mut file)?;
    }
    let work = tempfile::tempdir_in(&options.data)?;
    let vault = work.path().join("v");
    let coffer_cmd = |args: &[&std::ffi::OsStr]| {
        let mut cmd = Command::new(&coffer);
        cmd.arg("--vault")
            .arg(&vault)
            .args(args)
            .env("COFFER_PASSWORD", "benchmark password");
        cmd
    };
    let phrase = work.path().join("phrase");
    reference::timed(&coffer_cmd(&[
        "init".as_ref(),
        "--kdf".as_ref(),
        "pbkdf2".as_ref(),
        "--recovery-file".as_ref(),
        phrase.as_os_str(),
    ]))?;
    let (import_time, import_peak) =
        reference::timed(&coffer_cmd(&["import".as_ref(), big.as_os_str()]))?;
    let id = {
        let out = coffer_cmd(&["list".as_ref(), "--json".as_ref()]).output()?;
        let text = String::from_utf8(out.stdout)?;
        text.split('"')
            .skip_while(|s| *s != "id")
            .nth(2)
            .context("coffer list printed no id")?
            .to_string()
    };
    let restored = work.path().join("restored.bin");
    let (get_time, get_peak) = reference::timed(&coffer_cmd(&[
        "get".as_ref(),
        id.as_ref(),
        "--out".as_ref(),
        restored.as_os_str(),
    ]))?;
    anyhow::ensure!(
        fs::metadata(&restored)?.len() == size,
        "restored size differs"
    );

    let keygen = Command::new("age-keygen")
        .output()
        .context("running age-keygen")?;
    let recipient = String::from_utf8(keygen.stdout)?
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .context("age-keygen printed no public key")?;
    let age_out = work.path().join("big.age");
    let (age_time, age_peak) = reference::timed(
        Command::new("age")
            .arg("-r")
            .arg(&recipient)
            .arg("-o")
            .arg(&age_out)
            .arg(&big),
    )?;
    let mb = |b: u64| format!("{:.1} MiB", b as f64 / MIB);
    let rate = |d: Duration| {
        format!(
            "{:.2} GiB/s",
            size as f64 / (MIB * 1024.0) / d.as_secs_f64()
        )
    };
    row(
        &format!(
            "`coffer import` of a {} MiB file (hash, encrypt, fsync)",
            options.large_mib
        ),
        format!("{}, peak RSS {}", rate(import_time), mb(import_peak)),
        format!(
            "`age -r` same file: {}, peak RSS {}",
            rate(age_time),
            mb(age_peak)
        ),
        format!(
            "time {:.2}",
            import_time.as_secs_f64() / age_time.as_secs_f64()
        ),
    );
    row(
        &format!(
            "`coffer get` of a {} MiB file (verify, decrypt, fsync)",
            options.large_mib
        ),
        format!("{}, peak RSS {}", rate(get_time), mb(get_peak)),
        format!("`age -r` same file: {}", rate(age_time)),
        format!(
            "time {:.2}",
            get_time.as_secs_f64() / age_time.as_secs_f64()
        ),
    );
    Ok(())
}

const MERCHANTS: [&str; 20] = [
    "Albert", "Lidl", "Kaufland", "Alza", "Datart", "IKEA", "Tesco", "Billa", "Penny", "Globus",
    "Rossmann", "Drogerie", "Hornbach", "Shell", "Benzina", "Notino", "Mall", "Pharmacy", "Bakery",
    "Florist",
];
const ITEMS: [&str; 20] = [
    "kettle",
    "toaster",
    "printer",
    "laptop",
    "groceries",
    "fuel",
    "paint",
    "shoes",
    "coffee",
    "phone",
    "headphones",
    "vacuum",
    "bicycle",
    "insurance",
    "electricity",
    "internet",
    "rent",
    "lamp",
    "chair",
    "desk",
];

/// Builds (once, then reuses) a vault of `docs` documents through the real import and edit
/// paths, with varied merchants, items, kinds, dates and totals.
fn generated_vault(options: &Options) -> anyhow::Result<PathBuf> {
    let dir = options.search_data.join(format!("search-{}", options.docs));
    if let Ok(locked) = LockedVault::open(&dir) {
        let vault = locked.unlock(&password())?.vault;
        if vault.info()?.documents == options.docs as u64 {
            return Ok(dir);
        }
    }
    let _ = fs::remove_dir_all(&dir);
    eprintln!(
        "generating a vault of {} documents in {} (kept for later runs)...",
        options.docs,
        dir.display()
    );
    let mut vault = new_vault(&dir, KdfParams::default_pbkdf2())?;
    let mut rng = StdRng::seed_from_u64(3);
    let scratch = tempfile::NamedTempFile::new_in(&options.search_data)?;
    let start = Instant::now();
    for i in 0..options.docs {
        let merchant = MERCHANTS[rng.gen_range(0..MERCHANTS.len())];
        let item = ITEMS[rng.gen_range(0..ITEMS.len())];
        fs::write(
            scratch.path(),
            format!("{i} {merchant} {item} {}", rng.r#gen::<u64>()),
        )?;
        let kind = DocumentKind::ALL[rng.gen_range(0..4)];
        let ImportOutcome::Imported(doc) = vault.import(
            scratch.path(),
            &ImportOptions {
                kind: Some(kind),
                title: Some(format!("{merchant} {item} #{i}")),
                tags: vec![["home", "work", "car", "garden"][i % 4].to_string()],
                kind_hint: None,
            },
        )?
        else {
            anyhow::bail!("generated content collided");
        };
        let date = parse_date(&format!(
            "{}-{:02}-{:02}",
            rng.gen_range(2019..=2026),
            rng.gen_range(1..=12),
            rng.gen_range(1..=28)
        ))?;
        vault.edit(
            doc.id,
            &DocumentEdit {
                merchant: Some(merchant.to_string()),
                issue_date: Some(Some(date)),
                total: Some(format!(
                    "{}.{:02}",
                    rng.gen_range(1..20_000),
                    rng.gen_range(0..100)
                )),
                currency: Some(if i % 3 == 0 { "EUR" } else { "CZK" }.parse()?),
                notes: Some(format!("{item} bought at {merchant}")),
                ..DocumentEdit::default()
            },
        )?;
        if (i + 1) % 10_000 == 0 {
            eprintln!(
                "  {} documents, {:.0} s",
                i + 1,
                start.elapsed().as_secs_f64()
            );
        }
    }
    Ok(dir)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

/// The query shapes the search benchmark mixes, in turn.
const SEARCH_SHAPES: [&str; 5] = [
    "word prefix",
    "two words + kind",
    "word prefix + quarter",
    "kind + tag, no text",
    "rare number prefix",
];

/// Search-as-you-type queries (first page of 100) on the generated vault: word prefixes,
/// word + kind, a date range, an empty query with filters, and a prefix only a dozen documents
/// carry; reported overall and per shape.
pub fn search_latency(options: &Options) -> anyhow::Result<()> {
    let dir = generated_vault(options)?;
    let vault = LockedVault::open(&dir)?.unlock(&password())?.vault;
    let mut rng = StdRng::seed_from_u64(4);
    let mut samples: [Vec<Duration>; 5] = Default::default();
    for n in 0..1000 {
        let word = if n % 2 == 0 {
            ITEMS[rng.gen_range(0..ITEMS.len())]
        } else {
            MERCHANTS[rng.gen_range(0..MERCHANTS.len())]
        };
        let prefix = &word[..word.len().min(rng.gen_range(3..8))];
        let year = rng.gen_range(2019..=2026);
        let query = match n % 5 {
            0 => SearchQuery::text(prefix.to_lowercase()),
            1 => SearchQuery {
                kinds: vec![DocumentKind::Receipt],
                ..SearchQuery::text(format!("{} {}", prefix, ITEMS[n % ITEMS.len()]))
            },
            2 => SearchQuery {
                from: Some(parse_date(&format!("{year}-01-01"))?),
                to: Some(parse_date(&format!("{year}-03-31"))?),
                ..SearchQuery::text(prefix.to_lowercase())
            },
            3 => SearchQuery {
                kinds: vec![DocumentKind::Invoice],
                tags: vec!["car".into()],
                ..SearchQuery::default()
            },
            _ => SearchQuery::text(rng.gen_range(1000..10_000).to_string()),
        };
        let query = SearchQuery {
            limit: Some(100),
            ..query
        };
        let start = Instant::now();
        let found = vault.search(&query)?;
        samples[n % 5].push(start.elapsed());
        std::hint::black_box(found);
    }
    let latency = |mut samples: Vec<Duration>| {
        samples.sort();
        format!(
            "p50 {:.1} ms, p99 {:.1} ms",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99)
        )
    };
    row(
        &format!("search, first 100 results, {} documents", options.docs),
        latency(samples.concat()),
        "target p50 < 20 ms".into(),
        "-".into(),
    );
    for (shape, samples) in SEARCH_SHAPES.iter().zip(samples) {
        row(
            &format!("  of which: {shape}"),
            latency(samples),
            "-".into(),
            "-".into(),
        );
    }
    list_paging(&vault, options.docs, &mut rng, latency)
}

/// The app's list: the count and a window of 50 rows at a random position (a jump of the
/// scroll bar), in each order the list offers, over the whole vault.
fn list_paging(
    vault: &coffer_core::Vault,
    docs: usize,
    rng: &mut StdRng,
    latency: impl Fn(Vec<Duration>) -> String,
) -> anyhow::Result<()> {
    use coffer_core::{Sort, SortKey};
    for (name, key, ascending) in [
        ("newest first", SortKey::Date, false),
        ("largest total first", SortKey::Total, false),
        ("merchant A to Z", SortKey::Name, true),
    ] {
        let mut samples = Vec::new();
        for n in 0..40 {
            let query = SearchQuery {
                sort: Sort { key, ascending },
                offset: if n == 0 {
                    0
                } else {
                    rng.gen_range(0..docs as u32)
                },
                limit: Some(50),
                ..SearchQuery::default()
            };
            let start = Instant::now();
            let count = vault.count(&query)?;
            let page = vault.search(&query)?;
            samples.push(start.elapsed());
            std::hint::black_box((count, page));
        }
        row(
            &format!("list, count + 50 rows at any position, {name}, {docs} documents"),
            latency(samples),
            "target < 100 ms".into(),
            "-".into(),
        );
    }
    Ok(())
}
