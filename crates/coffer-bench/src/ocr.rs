//! Local OCR against the `tesseract` command on the same receipts in the same run: time per
//! receipt (including decoding, preprocessing and field extraction) and batch throughput on
//! all cores, each printed as a row of the benchmark table.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use coffer_ocr::{ExtractOptions, extract_many, extract_path, preprocess};

/// Receipts timed one by one, and receipts in the batch.
const SINGLE: usize = 8;
const BATCH: usize = 24;

fn receipts() -> anyhow::Result<Vec<PathBuf>> {
    // The shared folder sits next to the repository; COFFER_BENCH_RECEIPTS points elsewhere.
    let dir = std::env::var_os("COFFER_BENCH_RECEIPTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/receipts/sroie-dev/images")
        });
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| {
            format!(
                "the OCR benchmark needs the SROIE receipts in {}",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    if files.len() < BATCH {
        bail!(
            "the OCR benchmark needs at least {BATCH} receipts in {}",
            dir.display()
        );
    }
    Ok(files)
}

/// One `tesseract` run as a user would type it (one thread, text to stdout).
fn tesseract_cli(image: &Path, languages: &str) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let status = Command::new("tesseract")
        .arg(image)
        .args(["-", "-l", languages, "--psm", "4"])
        .env("OMP_THREAD_LIMIT", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context(
            "the `tesseract` command is needed as the reference (apt install tesseract-ocr)",
        )?;
    if !status.success() {
        bail!("tesseract failed on {}", image.display());
    }
    Ok(start.elapsed())
}

fn row(name: &str, ours: String, reference: String, ratio: f64) {
    crate::reference::row(name, ours, reference, format!("{ratio:.2}×"));
}

pub fn run() -> anyhow::Result<()> {
    let files = receipts()?;
    let options = ExtractOptions::default();
    let languages = options.languages.clone();
    // Warm up: the first call starts this thread's engine (loading language models), which a
    // long-running app pays once; the command pays it on every run, so it is timed below.
    extract_path(&files[0], &options)?;

    let one_reading = ExtractOptions {
        second_look: false,
        ..options.clone()
    };
    let scratch = tempfile::tempdir()?;
    let (mut ours, mut ours_once) = (Duration::ZERO, Duration::ZERO);
    let (mut cli, mut cli_prepared) = (Duration::ZERO, Duration::ZERO);
    for (i, file) in files.iter().take(SINGLE).enumerate() {
        let start = Instant::now();
        extract_path(file, &options)?;
        ours += start.elapsed();
        let start = Instant::now();
        extract_path(file, &one_reading)?;
        ours_once += start.elapsed();
        cli += tesseract_cli(file, &languages)?;
        // The same command on the image as we prepare it (scaled to ~300 DPI): isolates the
        // cost of the bindings and extraction from the cost of reading at a higher resolution.
        let gray = preprocess::to_ocr_gray(&preprocess::decode(&std::fs::read(file)?)?);
        let prepared = scratch.path().join(format!("{i}.png"));
        gray.save(&prepared)?;
        cli_prepared += tesseract_cli(&prepared, &languages)?;
    }
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / SINGLE as f64;
    row(
        "OCR per receipt, one reading (decode, preprocess, OCR, fields)",
        format!("{:.0} ms", per(ours_once)),
        format!("{:.0} ms `tesseract` on the original", per(cli)),
        per(ours_once) / per(cli),
    );
    row(
        "OCR per receipt, second look where doubtful (the default)",
        format!("{:.0} ms", per(ours)),
        format!("{:.0} ms `tesseract` on the original", per(cli)),
        per(ours) / per(cli),
    );
    row(
        "OCR per receipt, one reading, vs the command on our prepared image",
        format!("{:.0} ms", per(ours_once)),
        format!(
            "{:.0} ms `tesseract` on the prepared image",
            per(cli_prepared)
        ),
        per(ours_once) / per(cli_prepared),
    );

    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let batch: Vec<PathBuf> = files.iter().take(BATCH).cloned().collect();
    let start = Instant::now();
    extract_many(&batch, &options, workers, &|_, _| {}, &|_, result| {
        if let Err(e) = result {
            eprintln!("ocr bench: {e}");
        }
    });
    let ours_rate = BATCH as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let mine: Vec<&PathBuf> = batch.iter().skip(w).step_by(workers).collect();
                let languages = languages.as_str();
                scope.spawn(move || {
                    mine.into_iter()
                        .try_for_each(|f| tesseract_cli(f, languages).map(drop))
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a tesseract worker panicked"))??;
        }
        Ok(())
    })?;
    let cli_rate = BATCH as f64 / start.elapsed().as_secs_f64();
    row(
        &format!("OCR batch throughput, {workers} workers"),
        format!("{ours_rate:.2} receipts/s"),
        format!("{cli_rate:.2} receipts/s, {workers} `tesseract` processes"),
        cli_rate / ours_rate,
    );
    Ok(())
}
