//! `coffer extract FILE...`: OCR and field extraction without a vault. Prints one JSON object
//! per input (in input order) on stdout, progress and per-file errors on stderr.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use coffer_ocr::{DEFAULT_LANGUAGES, Explanation, ExtractOptions, Extraction, OcrError};
use serde::Serialize;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// One JSON object per line.
    Jsonl,
    /// Indented JSON objects, for reading by eye.
    Pretty,
}

/// Extract fields (merchant, date, total, VAT, ids…) from receipts, invoices and scans.
#[derive(clap::Args, Debug)]
pub struct ExtractArgs {
    /// Tesseract languages joined by '+', e.g. ces+eng+deu.
    #[arg(long = "lang", default_value = DEFAULT_LANGUAGES)]
    pub languages: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    pub format: OutputFormat,
    /// Include the recognised text in each object.
    #[arg(long)]
    pub with_text: bool,
    /// Include why the date, total and merchant were chosen: each field's rule and what
    /// every reading of the page saw (document content, like --with-text).
    #[arg(long)]
    pub explain: bool,
    /// Worker threads (default: one per CPU core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Images (JPEG, PNG, HEIC, TIFF, WebP…), PDFs, ISDOC invoices or text files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Record<'a> {
    file: String,
    #[serde(flatten)]
    extraction: &'a Extraction,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explain: Option<&'a Explanation>,
}

#[derive(Serialize)]
struct Failure {
    file: String,
    error: String,
}

pub fn run(args: &ExtractArgs) -> anyhow::Result<ExitCode> {
    // A bad language list is a usage error: say so once instead of failing every file.
    if let Err(e) = coffer_ocr::check_languages(&args.languages) {
        eprintln!("coffer extract: {e}");
        return Ok(ExitCode::from(2));
    }
    let options = ExtractOptions {
        languages: args.languages.clone(),
        ..ExtractOptions::default()
    };
    let workers = args
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let total = args.files.len();
    let interactive = std::io::stderr().is_terminal();
    let failed = Mutex::new(0usize);

    let progress = |done: usize, total: usize| {
        if interactive {
            eprint!("\rcoffer extract: {done}/{total}");
            if done == total {
                eprintln!();
            }
        }
    };
    let emit = |index: usize, result: Result<Extraction, OcrError>| {
        let file = args.files[index].display().to_string();
        let line = match result {
            Ok(extraction) => {
                let text = args.with_text.then(|| extraction.text.to_plain());
                let record = Record {
                    file: file.clone(),
                    extraction: &extraction,
                    text,
                    explain: args.explain.then_some(&extraction.explain),
                };
                to_json(&record, args.format)
            }
            Err(error) => {
                *failed.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                if interactive {
                    eprintln!();
                }
                eprintln!("coffer extract: {file}: {error}");
                to_json(
                    &Failure {
                        file: file.clone(),
                        error: error.to_string(),
                    },
                    args.format,
                )
            }
        };
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not worth a panic; the batch simply stops printing.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        if !interactive {
            eprintln!("coffer extract: {}/{total} {file}", index + 1);
        }
    };
    coffer_ocr::extract_many(&args.files, &options, workers, &progress, &emit);

    let failed = *failed.lock().unwrap_or_else(|e| e.into_inner());
    if failed > 0 {
        eprintln!("coffer extract: {failed} of {total} files could not be extracted");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn to_json<T: Serialize>(value: &T, format: OutputFormat) -> String {
    let result = match format {
        OutputFormat::Jsonl => serde_json::to_string(value),
        OutputFormat::Pretty => serde_json::to_string_pretty(value),
    };
    result.unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise result: {e}\"}}"))
}
