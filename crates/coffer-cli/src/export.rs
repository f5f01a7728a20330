//! `coffer export`: the accounting export for a period, as one ZIP for the accountant.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use coffer_core::DocumentKind;
use coffer_core::document::parse_date;
use coffer_core::export::{self, CsvPreset, ExportRequest};
use time::Date;

use crate::vault_commands::unlock;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Preset {
    /// Semicolons, decimal comma, DD.MM.YYYY, UTF-8 with BOM (Czech accounting tools, Excel).
    Cz,
    /// RFC 4180: commas, decimal point, ISO dates, UTF-8 with BOM.
    Intl,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// First day of the period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    from: Date,
    /// Last day of the period, included (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    to: Date,
    /// Only this kind (receipt, invoice, contract, warranty, other); repeat for several.
    #[arg(long = "kind", value_name = "K")]
    kinds: Vec<DocumentKind>,
    /// The ZIP to write (replaced if it exists).
    #[arg(long, value_name = "FILE.zip")]
    out: PathBuf,
    /// The CSV dialect.
    #[arg(long, value_enum, default_value = "cz")]
    preset: Preset,
}

fn parse_day(text: &str) -> Result<Date, String> {
    parse_date(text).map_err(|e| e.to_string())
}

pub fn run(dir: &Path, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let vault = unlock(dir)?;
    let request = ExportRequest {
        from: args.from,
        to: args.to,
        kinds: args.kinds.clone(),
        preset: match args.preset {
            Preset::Cz => CsvPreset::Cz,
            Preset::Intl => CsvPreset::Intl,
        },
        // No entitlement is cached locally yet (the sync client brings it); a vault never
        // connected to an account has no locked documents.
        locked: Default::default(),
    };
    let summary = export::write_export(&vault, &request, &args.out)?;
    println!("{}", args.out.display());
    eprintln!(
        "Exported {} documents ({} counted by their import date, having no issue date) to {}.",
        summary.documents,
        summary.by_import_date,
        args.out.display()
    );
    if summary.documents == 0 {
        eprintln!(
            "note: no document falls in this period; the ZIP holds an empty CSV and summary."
        );
    }
    Ok(ExitCode::SUCCESS)
}
