//! `coffer export`: the accounting export for a period, as one ZIP for the accountant.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use coffer_core::DocumentKind;
use coffer_core::document::parse_date;
use coffer_core::export::{
    self, CsvPreset, ExportFormat, ExportRequest, ExportSummary, ISDOC_DIR, POHODA_NAME,
};
use time::Date;

use crate::vault_commands::unlock;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Preset {
    /// Semicolons, decimal comma, DD.MM.YYYY, UTF-8 with BOM (Czech accounting tools, Excel).
    Cz,
    /// RFC 4180: commas, decimal point, ISO dates, UTF-8 with BOM.
    Intl,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// pohoda.xml: the period as one POHODA XML import.
    Pohoda,
    /// isdoc/*.isdoc: one ISDOC 6.0.2 e-invoice per document (POHODA, Money S3, ABRA Flexi,
    /// iDoklad and others import it).
    Isdoc,
}

/// Which documents go into an export, and in which formats (shared by `export` and `share`).
#[derive(Args, Debug)]
pub struct Selection {
    /// First day of the period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    from: Date,
    /// Last day of the period, included (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    to: Date,
    /// Only this kind (receipt, invoice, contract, warranty, other); repeat for several.
    #[arg(long = "kind", value_name = "K")]
    kinds: Vec<DocumentKind>,
    /// The CSV dialect.
    #[arg(long, value_enum, default_value = "cz")]
    preset: Preset,
    /// Also a format accounting software imports; repeat for several.
    #[arg(long = "with", value_enum, value_name = "FORMAT")]
    with: Vec<Format>,
    /// The POHODA cash register (e.g. HP) for receipts paid in cash: they become expense
    /// cash vouchers there instead of other liabilities.
    #[arg(long, value_name = "CODE")]
    cash_register: Option<String>,
}

impl Selection {
    pub fn request(&self) -> ExportRequest {
        ExportRequest {
            kinds: self.kinds.clone(),
            preset: match self.preset {
                Preset::Cz => CsvPreset::Cz,
                Preset::Intl => CsvPreset::Intl,
            },
            formats: self
                .with
                .iter()
                .map(|f| match f {
                    Format::Pohoda => ExportFormat::Pohoda,
                    Format::Isdoc => ExportFormat::Isdoc,
                })
                .collect(),
            cash_register: self.cash_register.clone(),
            // The vault's cached entitlement locks documents on its own (`LockList`).
            ..ExportRequest::period(self.from, self.to)
        }
    }
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    selection: Selection,
    /// The ZIP to write (replaced if it exists).
    #[arg(long, value_name = "FILE.zip")]
    out: PathBuf,
}

fn parse_day(text: &str) -> Result<Date, String> {
    parse_date(text).map_err(|e| e.to_string())
}

pub fn run(dir: &Path, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let vault = unlock(dir)?;
    let request = args.selection.request();
    let summary = export::write_export(&vault, &request, &args.out, &mut |_| {})?;
    println!("{}", args.out.display());
    eprintln!(
        "Exported {} documents ({} counted by their import date, having no issue date) to {}.",
        summary.documents,
        summary.by_import_date,
        args.out.display()
    );
    describe(&request, &summary);
    Ok(ExitCode::SUCCESS)
}

/// What the ZIP holds beyond the files, and what an accountant will have to fill in (stderr).
pub fn describe(request: &ExportRequest, summary: &ExportSummary) {
    if summary.documents == 0 {
        eprintln!(
            "note: no document falls in this period; the ZIP holds an empty CSV and summary."
        );
    }
    if request.formats.contains(&ExportFormat::Pohoda) {
        match summary.pohoda_documents {
            0 => eprintln!(
                "note: no receipt or invoice in this period, so there is no {POHODA_NAME}."
            ),
            n => eprintln!("{POHODA_NAME}: {n} documents."),
        }
    }
    if request.formats.contains(&ExportFormat::Isdoc) {
        eprintln!("{ISDOC_DIR}/: {} files.", summary.isdoc_files);
    }
    if summary.report.documents.is_empty() {
        return;
    }
    eprintln!("For the accountant (also in the CSV's last column):");
    for doc in &summary.report.documents {
        let mut parts = Vec::new();
        if !doc.missing.is_empty() {
            let fields: Vec<String> = doc.missing.iter().map(|m| m.to_string()).collect();
            parts.push(format!("missing {}", fields.join(", ")));
        }
        if !doc.foreign_vat_rates.is_empty() {
            let rates: Vec<String> = doc
                .foreign_vat_rates
                .iter()
                .map(|r| format!("{} %", CsvPreset::Intl.rate(*r)))
                .collect();
            parts.push(format!(
                "VAT at {} is not a Czech rate (booked without Czech VAT)",
                rates.join(", ")
            ));
        }
        if !doc.too_long_for_pohoda.is_empty() {
            let fields: Vec<String> = doc
                .too_long_for_pohoda
                .iter()
                .map(|m| m.to_string())
                .collect();
            parts.push(format!(
                "{} too long for {POHODA_NAME} (left out there)",
                fields.join(", ")
            ));
        }
        if !doc.left_out_of.is_empty() {
            let formats: Vec<&str> = doc.left_out_of.iter().map(|f| f.as_str()).collect();
            parts.push(format!("not in {}", formats.join(", ")));
        }
        eprintln!("  {}: {}", doc.file, parts.join("; "));
    }
}
