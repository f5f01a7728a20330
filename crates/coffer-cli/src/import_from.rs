//! `coffer import-from`: documents from other tools — a Paperless-ngx `document_exporter`
//! folder, or a folder of files with a CSV describing them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use coffer_core::Currency;
use coffer_core::interop::{self, ForeignDocument, InteropEvent};

use crate::vault_commands::unlock;

#[derive(Args, Debug)]
pub struct ImportFromArgs {
    #[command(subcommand)]
    source: Source,
}

#[derive(Subcommand, Debug)]
enum Source {
    /// A folder written by Paperless-ngx's `document_exporter` (manifest.json + originals).
    Paperless {
        dir: PathBuf,
        /// Currency of monetary custom fields written without one.
        #[arg(long, default_value = "CZK")]
        currency: Currency,
    },
    /// A folder of files plus a CSV with a header row and a `file` column (also reads the
    /// CSV of `coffer export`, either preset).
    Csv {
        dir: PathBuf,
        /// The CSV (default: the only .csv file in DIR). Paths in it are relative to DIR.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Currency of totals when the CSV has no currency column.
        #[arg(long, default_value = "CZK")]
        currency: Currency,
    },
}

pub fn run(dir: &Path, args: &ImportFromArgs) -> anyhow::Result<ExitCode> {
    let (root, documents, failures): (PathBuf, Vec<ForeignDocument>, Vec<(String, String)>) =
        match &args.source {
            Source::Paperless { dir, currency } => (
                dir.clone(),
                interop::read_paperless(dir, *currency)?,
                Vec::new(),
            ),
            Source::Csv { dir, csv, currency } => {
                let csv = match csv {
                    Some(csv) => csv.clone(),
                    None => interop::find_csv(dir)?,
                };
                let mut docs = Vec::new();
                let mut bad = Vec::new();
                for row in interop::read_csv_folder(&csv, *currency)? {
                    match row {
                        Ok(doc) => docs.push(doc),
                        Err(failure) => bad.push(failure),
                    }
                }
                (dir.clone(), docs, bad)
            }
        };
    for (source, error) in &failures {
        eprintln!("error: {source}: {error}");
    }
    let mut vault = unlock(dir)?;
    let total = documents.len();
    let mut done = 0;
    let summary = interop::import_documents(&mut vault, &root, &documents, &mut |event| {
        done += 1;
        match event {
            InteropEvent::Imported { id, title } => println!("{id}  {title}"),
            InteropEvent::Duplicate { id, source } => println!("duplicate of {id}  {source}"),
            InteropEvent::Failed { source, error } => {
                eprintln!("error: [{done}/{total}] {source}: {error}")
            }
        }
    });
    let failed = failures.len() + summary.failed;
    eprintln!(
        "Imported {} documents, {} already in the vault, {failed} failed.",
        summary.imported, summary.duplicates
    );
    if failed == 0 {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("The documents above that failed were not imported; the others were.");
        Ok(ExitCode::FAILURE)
    }
}
