//! The reference tools every figure is compared with: openssl, argon2, age and GNU time.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// One row of the table every section prints.
pub fn row(name: &str, ours: String, reference: String, ratio: String) {
    println!("| {name} | {ours} | {reference} | {ratio} |");
}

/// `openssl speed -evp aes-256-gcm` at one block size, in bytes per second (one core).
/// `-elapsed` makes openssl divide by wall-clock time, as our own figures do; by default it
/// divides by CPU time, which flatters it whenever the machine is busy.
pub fn openssl_aes_gcm(block: usize) -> anyhow::Result<f64> {
    let out = Command::new("openssl")
        .args([
            "speed",
            "-elapsed",
            "-evp",
            "aes-256-gcm",
            "-seconds",
            "3",
            "-bytes",
        ])
        .arg(block.to_string())
        .stderr(Stdio::null())
        .output()
        .context("running openssl speed (install openssl)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("aes-256-gcm"))
        .context("openssl speed printed no aes-256-gcm line")?;
    let kilo: f64 = line
        .split_whitespace()
        .last()
        .and_then(|v| v.trim_end_matches('k').parse().ok())
        .context("openssl speed printed an unreadable figure")?;
    Ok(kilo * 1000.0)
}

/// The `argon2` reference CLI on the same parameters, in seconds.
pub fn argon2_cli(memory_kib: u32, passes: u32, lanes: u32) -> anyhow::Result<Duration> {
    let log2_kib = 31 - memory_kib.leading_zeros();
    let start = Instant::now();
    let mut child = Command::new("argon2")
        .args(["somesaltsomesalt", "-id", "-r"])
        .args(["-t", &passes.to_string(), "-m", &log2_kib.to_string()])
        .args(["-p", &lanes.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("running argon2 (install argon2)")?;
    use std::io::Write;
    child
        .stdin
        .take()
        .context("argon2 stdin")?
        .write_all(b"password")?;
    if !child.wait()?.success() {
        bail!("argon2 failed");
    }
    Ok(start.elapsed())
}

/// Runs a command under GNU time; returns (wall time, peak resident memory in bytes).
pub fn timed(cmd: &Command) -> anyhow::Result<(Duration, u64)> {
    let report = tempfile::NamedTempFile::new()?;
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned())))
        .collect();
    let start = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(&program)
        .args(&args)
        .envs(envs)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("running /usr/bin/time (install the `time` package)")?;
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("{} failed", Path::new(&program).display());
    }
    let kib: u64 = std::fs::read_to_string(report.path())?
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .context("GNU time printed no peak memory")?;
    Ok((elapsed, kib * 1024))
}
