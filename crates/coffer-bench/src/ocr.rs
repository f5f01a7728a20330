//! Local OCR against the `tesseract` command on the same receipts in the same run: time per
//! receipt (including decoding, preprocessing and field extraction) and batch throughput on
//! all cores, each printed as a row of the benchmark table, and the peak memory with both
//! recognisers loaded. The receipts are rendered by coffer-ocr's synthetic generator (Czech
//! receipts and invoices, noise, a slight rotation), so the benchmark needs nothing outside
//! the repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use coffer_ocr::{ExtractOptions, extract_many, extract_path, preprocess};

/// Receipts timed one by one, and receipts in the batch.
const SINGLE: usize = 8;
const BATCH: usize = 24;

use coffer_testkit::samples::synth;

/// Renders `BATCH` receipts and invoices as PNG files in `dir`.
fn receipts(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    (0..BATCH as u64)
        .map(|seed| {
            let invoice = seed % 4 == 3;
            let doc = synth::generate(seed + 100, invoice, seed % 5 == 4);
            let angle = (seed % 3) as f32 * 0.4 - 0.4;
            let path = dir.join(format!("receipt-{seed:02}.png"));
            synth::render(&doc, seed, angle)
                .save(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(path)
        })
        .collect()
}

/// Starts the peak-memory count afresh (Linux: writing 5 to `/proc/self/clear_refs` resets
/// `VmHWM`), so that the OCR figure is not that of an earlier section in the same process
/// (the search section's 100,000-document vault).
fn reset_peak_rss() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!(
            "ocr bench: the peak memory cannot be reset ({e}); it counts earlier sections too"
        );
    }
}

/// The peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
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
    reset_peak_rss();
    let scratch = tempfile::tempdir()?;
    let files = receipts(scratch.path())?;
    let options = ExtractOptions::default();
    let second = match coffer_ocr::ppocr::PaddleOcr::shared() {
        Ok(_) => "both recognisers",
        Err(e) => {
            eprintln!("ocr bench: {e}");
            "Tesseract alone (no PP-OCRv6 models)"
        }
    };
    let languages = options.languages.clone();
    // Warm up: the first call starts this thread's engine (loading language models), which a
    // long-running app pays once; the command pays it on every run, so it is timed below.
    extract_path(&files[0], &options)?;

    let one_reading = ExtractOptions {
        second_look: false,
        second_recogniser: false,
        ..options.clone()
    };
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
        &format!("OCR per receipt, the default ({second}, second look where doubtful)"),
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
    if let Some(peak) = peak_rss_mib() {
        crate::reference::row(
            &format!("OCR peak memory, {second}, {workers} workers"),
            format!("{peak:.0} MiB"),
            "limit 500 MiB".to_string(),
            format!("{:.2}×", peak / 500.0),
        );
    }
    Ok(())
}
