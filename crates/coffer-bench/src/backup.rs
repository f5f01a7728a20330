//! Backup and restore throughput on a 1 GiB vault, next to the `age` command encrypting and
//! decrypting the same bytes (the backup's plaintext tar) in the same run. All files go to
//! the same directory; the page cache is warmed first so the disk is not what is measured.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use coffer_core::backup::{self, BackupEncryption, NewVault, RestoreKey};
use coffer_core::{ImportOptions, KdfParams, RecoveryPhrase, SystemClock, Vault};
use rand::RngCore;
use secrecy::SecretString;

const FILES: u64 = 16;
const FILE_MIB: u64 = 64;

fn mib_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / seconds
}

fn timed(what: &str, mut cmd: Command) -> anyhow::Result<f64> {
    let start = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("running {what} (install Debian's `age` package)"))?;
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        bail!("{what} failed");
    }
    Ok(seconds)
}

/// Reads a file once so the page cache holds it.
fn warm(path: &Path) -> anyhow::Result<()> {
    std::io::copy(&mut fs::File::open(path)?, &mut std::io::sink())?;
    Ok(())
}

/// Prints the backup and restore rows of the benchmark table.
pub fn run() -> anyhow::Result<()> {
    let base = std::env::var_os("COFFER_BENCH_DATA").unwrap_or_else(|| "target/bench-data".into());
    fs::create_dir_all(&base)?;
    let work = tempfile::tempdir_in(&base)?;
    let dir = work.path();
    let password = SecretString::from("benchmark password");
    let phrase = RecoveryPhrase::generate(&mut rand::rngs::OsRng);
    let mut vault = Vault::create(
        dir.join("vault"),
        &password,
        KdfParams::default_pbkdf2(),
        &phrase,
        Arc::new(SystemClock),
    )?;

    // 1 GiB of incompressible content in 16 documents.
    let mut block = vec![0u8; 1 << 20];
    for i in 0..FILES {
        let source = dir.join(format!("source-{i}.bin"));
        let mut out = std::io::BufWriter::new(fs::File::create(&source)?);
        for _ in 0..FILE_MIB {
            rand::thread_rng().fill_bytes(&mut block);
            out.write_all(&block)?;
        }
        out.flush()?;
        drop(out);
        vault.import(&source, &ImportOptions::default())?;
        fs::remove_file(&source)?;
    }
    let content = (FILES * FILE_MIB) << 20;

    let key = dir.join("key.txt");
    let out = Command::new("age-keygen").arg("-o").arg(&key).output()?;
    if !out.status.success() {
        bail!("age-keygen failed; install Debian's `age` package");
    }
    let public = String::from_utf8(
        Command::new("age-keygen")
            .arg("-y")
            .arg(&key)
            .output()?
            .stdout,
    )?;
    let encryption = BackupEncryption::recipients(&[public.trim()])?;

    // Warm the vault's blobs, then back up.
    let backup_file = dir.join("backup.age");
    backup::write_backup(&vault, &encryption, &dir.join("warm.age"), &mut |_| {})?;
    fs::remove_file(dir.join("warm.age"))?;
    let start = Instant::now();
    backup::write_backup(&vault, &encryption, &backup_file, &mut |_| {})?;
    let backup_s = start.elapsed().as_secs_f64();
    drop(vault);

    // The same bytes for the reference: the backup's plaintext tar.
    let plain = dir.join("plain.tar");
    let mut decrypt = Command::new("age");
    decrypt
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg("-o")
        .arg(&plain)
        .arg(&backup_file);
    timed("age -d", decrypt)?;
    warm(&plain)?;
    let mut encrypt = Command::new("age");
    encrypt
        .arg("-r")
        .arg(public.trim())
        .arg("-o")
        .arg(dir.join("reference.age"))
        .arg(&plain);
    let age_encrypt_s = timed("age -r", encrypt)?;
    let tar_bytes = fs::metadata(&plain)?.len();

    warm(&backup_file)?;
    let mut decrypt = Command::new("age");
    decrypt
        .arg("-d")
        .arg("-i")
        .arg(&key)
        .arg("-o")
        .arg(dir.join("reference.tar"))
        .arg(&backup_file);
    let age_decrypt_s = timed("age -d", decrypt)?;
    fs::remove_file(dir.join("reference.tar"))?;
    fs::remove_file(&plain)?;

    let start = Instant::now();
    backup::restore_backup(
        &backup_file,
        &RestoreKey::IdentityFile(key.clone()),
        &dir.join("restored"),
        NewVault {
            password: &password,
            params: KdfParams::default_pbkdf2(),
            phrase: Some(&phrase),
            clock: Arc::new(SystemClock),
        },
        &mut |_| {},
    )?;
    let restore_s = start.elapsed().as_secs_f64();

    let row = |name: &str, ours: f64, reference: &str, theirs: f64| {
        println!(
            "| {name} | {:.0} MiB/s | {reference}: {:.0} MiB/s | {:.2} |",
            mib_per_s(content, ours),
            mib_per_s(tar_bytes, theirs),
            mib_per_s(content, ours) / mib_per_s(tar_bytes, theirs)
        );
    };
    row(
        "backup, 1 GiB vault (X25519, fsynced)",
        backup_s,
        "`age -r` on the same tar",
        age_encrypt_s,
    );
    row(
        "restore, 1 GiB vault (into a new vault, fsynced)",
        restore_s,
        "`age -d` of the same backup",
        age_decrypt_s,
    );
    Ok(())
}
