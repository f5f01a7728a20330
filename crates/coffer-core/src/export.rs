//! The accounting export for a period: one ZIP with the original files (named
//! `YYYY-MM-DD_merchant_total.ext`), a CSV with one row per document in the preset the
//! accountant's tools read (`cz`: semicolon, decimal comma, UTF-8 with BOM; `intl`: RFC 4180
//! with a decimal point), and a printable PDF summary with totals per month, currency and VAT
//! rate. A document without an issue date counts by its import date. On request the ZIP
//! also holds what Czech accounting software imports: `pohoda.xml` (POHODA's XML import) and
//! `isdoc/*.isdoc` (ISDOC 6.0.2, one per document); `accounting` decides what each document
//! is to the books and what an accountant will have to fill in. The ZIP is written as a
//! stream, one document at a time, so the same bytes go to a file or into a share's
//! encryption (`sync::share`) and memory stays bounded whatever the period holds.

mod accounting;
mod isdoc;
mod pdf;
mod pohoda;
mod summary;
mod xml;

use std::collections::{BTreeSet, HashSet};
use std::io::{self, Write};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use ts_rs::TS;

use crate::document::{Document, DocumentId, DocumentKind, Money};
use crate::error::Error;
use crate::search::SearchQuery;
use crate::sync::locks::LockList;
use crate::vault::Vault;

pub use accounting::{AccountingField, DocumentReport, ExportReport};
pub use isdoc::ISDOC_DIR;
pub use pohoda::POHODA_NAME;
pub use summary::{CurrencyTotals, MonthKey, Summary, VatTotals};

/// Names of the files at the top of the ZIP.
pub const CSV_NAME: &str = "documents.csv";
pub const PDF_NAME: &str = "summary.pdf";
/// The folder in the ZIP holding the original files.
pub const FILES_DIR: &str = "documents";

/// The CSV dialect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum CsvPreset {
    /// What Czech accounting tools import: `;`, decimal comma, `DD.MM.YYYY`, UTF-8 with BOM,
    /// Czech column names.
    #[default]
    Cz,
    /// RFC 4180: `,`, decimal point, ISO 8601 dates, UTF-8 (with a BOM, so Excel detects the
    /// encoding), English column names.
    Intl,
}

impl CsvPreset {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cz => "cz",
            Self::Intl => "intl",
        }
    }

    fn delimiter(self) -> u8 {
        match self {
            Self::Cz => b';',
            Self::Intl => b',',
        }
    }

    fn decimal_mark(self) -> char {
        match self {
            Self::Cz => ',',
            Self::Intl => '.',
        }
    }

    /// An amount as accounting tools read it: no thousands separator, the preset's mark.
    pub fn amount(self, money: Money) -> String {
        let text = money.decimal();
        match self {
            Self::Cz => text.replace('.', ","),
            Self::Intl => text,
        }
    }

    pub fn date(self, date: Date) -> String {
        match self {
            Self::Cz => format!(
                "{:02}.{:02}.{:04}",
                date.day(),
                u8::from(date.month()),
                date.year()
            ),
            Self::Intl => format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
        }
    }

    /// A VAT rate in basis points as a percentage: `2100` is `21`, `1250` is `12,5`.
    pub fn rate(self, basis_points: u32) -> String {
        let whole = basis_points / 100;
        let fraction = basis_points % 100;
        if fraction == 0 {
            return whole.to_string();
        }
        let fraction = format!("{fraction:02}");
        format!(
            "{whole}{}{}",
            self.decimal_mark(),
            fraction.trim_end_matches('0')
        )
    }

    fn kind(self, kind: DocumentKind) -> &'static str {
        match self {
            Self::Intl => kind.as_str(),
            Self::Cz => match kind {
                DocumentKind::Receipt => "účtenka",
                DocumentKind::Invoice => "faktura",
                DocumentKind::Contract => "smlouva",
                DocumentKind::Warranty => "záruční list",
                DocumentKind::Other => "jiný",
            },
        }
    }
}

impl FromStr for CsvPreset {
    type Err = Error;
    fn from_str(s: &str) -> std::result::Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cz" => Ok(Self::Cz),
            "intl" => Ok(Self::Intl),
            _ => Err(Error::InvalidInput(format!(
                "`{s}` is not an export preset; use cz or intl"
            ))),
        }
    }
}

/// A structured format for accounting software, added to the ZIP on request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// `pohoda.xml`: one POHODA XML import (`dataPack`) of the whole period.
    Pohoda,
    /// `isdoc/*.isdoc`: one ISDOC 6.0.2 file per document.
    Isdoc,
}

impl ExportFormat {
    pub const ALL: [Self; 2] = [Self::Pohoda, Self::Isdoc];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pohoda => "pohoda",
            Self::Isdoc => "isdoc",
        }
    }
}

impl FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> std::result::Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "`{s}` is not an export format; use pohoda or isdoc"
                ))
            })
    }
}

/// What to export.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    pub from: Date,
    pub to: Date,
    /// Any of these kinds (none: every kind).
    pub kinds: Vec<DocumentKind>,
    pub preset: CsvPreset,
    /// Documents locked by the account's entitlement (downgrade grace period) besides those
    /// the vault's cached entitlement locks; the export is refused if the period holds any.
    pub locked: HashSet<DocumentId>,
    /// The accounting formats to add (each once, in any order).
    pub formats: Vec<ExportFormat>,
    /// The POHODA cash register (`pokladna`, its abbreviation such as `HP`) that receipts
    /// paid in cash go to as expense vouchers; without it they are other liabilities.
    pub cash_register: Option<String>,
    /// Exactly these documents (the app's selection), whatever their dates and kinds: the
    /// period and the kinds then choose nothing. Trashed ones are left out.
    pub only: Option<Vec<DocumentId>>,
}

impl ExportRequest {
    /// Every document of the period, the Czech CSV, no accounting formats.
    pub fn period(from: Date, to: Date) -> Self {
        Self {
            from,
            to,
            kinds: Vec::new(),
            preset: CsvPreset::default(),
            locked: HashSet::new(),
            formats: Vec::new(),
            cash_register: None,
            only: None,
        }
    }

    fn wants(&self, format: ExportFormat) -> bool {
        self.formats.contains(&format)
    }

    /// The requested formats, each once, in a fixed order.
    fn formats(&self) -> Vec<ExportFormat> {
        ExportFormat::ALL
            .into_iter()
            .filter(|f| self.wants(*f))
            .collect()
    }
}

/// How far the export is, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExportProgress {
    pub documents_done: usize,
    pub documents: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the period starts ({from}) after it ends ({to}); give --from on or before --to")]
    EmptyPeriod { from: Date, to: Date },

    #[error(
        "{} documents in this period are locked since the plan was downgraded ({}); renew the \
         plan to export them, or choose a period or kinds without them (nothing was written)",
        .0.len(),
        .0.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ")
    )]
    Locked(Vec<DocumentId>),

    #[error(
        "writing the export ZIP failed: {0}; check the disk and try again (nothing was written)"
    )]
    Zip(String),

    #[error(transparent)]
    Vault(#[from] Error),
}

type Result<T> = std::result::Result<T, ExportError>;

/// One document of the export, with the date it counts by.
pub struct ExportRow {
    pub document: Document,
    pub date: Date,
    /// True when the document has no issue date and counts by its import date.
    pub by_import_date: bool,
    /// Its path inside the ZIP.
    pub file: String,
}

#[derive(Clone, Debug)]
pub struct ExportSummary {
    pub documents: usize,
    pub by_import_date: usize,
    pub content_bytes: u64,
    pub summary: Summary,
    /// Documents in `pohoda.xml` (0: it was not requested, or nothing in the period is booked
    /// and the file was left out, as its schema needs one document at least).
    pub pohoda_documents: usize,
    /// ISDOC files written.
    pub isdoc_files: usize,
    /// What an accountant will have to fill in, and what the formats left out.
    pub report: ExportReport,
}

/// Folds the Latin letters of Czech, Slovak, German, Polish and similar to ASCII, so file
/// names survive any unzip tool.
fn ascii_fold(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'à' | 'â' | 'ä' | 'ą' | 'å' | 'ã' => "a",
        'Á' | 'À' | 'Â' | 'Ä' | 'Ą' | 'Å' | 'Ã' => "A",
        'č' | 'ć' | 'ç' => "c",
        'Č' | 'Ć' | 'Ç' => "C",
        'ď' => "d",
        'Ď' => "D",
        'é' | 'ě' | 'è' | 'ê' | 'ë' | 'ę' => "e",
        'É' | 'Ě' | 'È' | 'Ê' | 'Ë' | 'Ę' => "E",
        'í' | 'ì' | 'î' | 'ï' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' => "I",
        'ľ' | 'ĺ' | 'ł' => "l",
        'Ľ' | 'Ĺ' | 'Ł' => "L",
        'ň' | 'ń' | 'ñ' => "n",
        'Ň' | 'Ń' | 'Ñ' => "N",
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ő' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' | 'Ő' => "O",
        'ř' | 'ŕ' => "r",
        'Ř' | 'Ŕ' => "R",
        'š' | 'ś' => "s",
        'Š' | 'Ś' => "S",
        'ß' => "ss",
        'ť' => "t",
        'Ť' => "T",
        'ú' | 'ů' | 'ù' | 'û' | 'ü' | 'ű' => "u",
        'Ú' | 'Ů' | 'Ù' | 'Û' | 'Ü' | 'Ű' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' => "Y",
        'ž' | 'ź' | 'ż' => "z",
        'Ž' | 'Ź' | 'Ż' => "Z",
        _ => return None,
    })
}

/// A name part: ASCII letters and digits, other runs become one `-`, at most `max` bytes.
fn name_part(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let piece = match c {
            c if c.is_ascii_alphanumeric() => c.to_string(),
            '.' => ".".to_string(),
            c => match ascii_fold(c) {
                Some(s) => s.to_string(),
                None => "-".to_string(),
            },
        };
        for p in piece.chars() {
            if p == '-' && (out.is_empty() || out.ends_with('-')) {
                continue;
            }
            out.push(p);
        }
    }
    let mut out = out.trim_matches(|c| c == '-' || c == '.').to_string();
    out.truncate(max);
    out.trim_end_matches(['-', '.']).to_string()
}

fn extension(doc: &Document) -> String {
    let from_name = Path::new(&doc.file.name)
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| name_part(&e.to_ascii_lowercase(), 10))
        .filter(|e| !e.is_empty());
    from_name.unwrap_or_else(|| {
        match doc.file.media_type.as_str() {
            "application/pdf" => "pdf",
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "image/heic" | "image/heif" => "heic",
            "text/plain" => "txt",
            "application/xml" => "xml",
            _ => "bin",
        }
        .to_string()
    })
}

/// `YYYY-MM-DD_merchant_total.ext`, made unique among `taken`.
fn export_file_name(doc: &Document, date: Date, taken: &mut HashSet<String>) -> String {
    let f = &doc.fields;
    let who = name_part(f.merchant.as_deref().unwrap_or(&f.title), 60);
    let mut stem = CsvPreset::Intl.date(date);
    if !who.is_empty() {
        stem.push('_');
        stem.push_str(&who);
    }
    if let Some(total) = f.total {
        stem.push_str(&format!("_{}{}", total.decimal(), total.currency));
    }
    let ext = extension(doc);
    let mut name = format!("{stem}.{ext}");
    let mut n = 2;
    while !taken.insert(name.to_ascii_lowercase()) {
        name = format!("{stem}_{n}.{ext}");
        n += 1;
    }
    name
}

/// The documents of the period (or the selection), oldest first, with their export file names.
pub fn select(vault: &Vault, request: &ExportRequest) -> Result<Vec<ExportRow>> {
    let ids: Vec<DocumentId> = match &request.only {
        Some(ids) => ids.clone(),
        None => {
            if request.from > request.to {
                return Err(ExportError::EmptyPeriod {
                    from: request.from,
                    to: request.to,
                });
            }
            let query = SearchQuery {
                from: Some(request.from),
                to: Some(request.to),
                kinds: request.kinds.clone(),
                ..SearchQuery::default()
            };
            vault.search(&query)?.into_iter().map(|s| s.id).collect()
        }
    };
    let cached = LockList::load(vault.store())?;
    let locked: Vec<DocumentId> = ids
        .iter()
        .copied()
        .filter(|id| request.locked.contains(id) || cached.documents.contains(id))
        .collect();
    if !locked.is_empty() {
        return Err(ExportError::Locked(locked));
    }
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let document = vault.document(id)?;
        if document.trashed_at.is_some() {
            continue;
        }
        let (date, by_import_date) = match document.fields.issue_date {
            Some(date) => (date, false),
            None => (document.imported_at.date(), true),
        };
        rows.push((document, date, by_import_date));
    }
    rows.sort_by_key(|(document, date, _)| (*date, document.imported_at));
    let mut taken = HashSet::new();
    Ok(rows
        .into_iter()
        .map(|(document, date, by_import_date)| ExportRow {
            file: format!(
                "{FILES_DIR}/{}",
                export_file_name(&document, date, &mut taken)
            ),
            document,
            date,
            by_import_date,
        })
        .collect())
}

/// Keeps a spreadsheet from reading text as a formula (CSV injection): text that starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe.
fn text_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// The VAT rates present, highest first.
fn vat_rates(rows: &[ExportRow]) -> Vec<u32> {
    let rates: BTreeSet<u32> = rows
        .iter()
        .flat_map(|r| r.document.fields.vat.iter().map(|v| v.rate_basis_points))
        .collect();
    rates.into_iter().rev().collect()
}

/// The CSV: a header, then one row per document.
pub fn write_csv(rows: &[ExportRow], preset: CsvPreset, out: impl Write) -> Result<()> {
    let mut out = out;
    let failed = |e: csv::Error| Error::io("writing the CSV", io::Error::other(e.to_string()));
    // A BOM tells Excel and LibreOffice the file is UTF-8.
    out.write_all("\u{feff}".as_bytes())
        .map_err(|e| Error::io("writing the CSV", e))?;
    let mut csv = csv::WriterBuilder::new()
        .delimiter(preset.delimiter())
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    let rates = vat_rates(rows);
    let mut header: Vec<String> = match preset {
        CsvPreset::Cz => [
            "Datum",
            "Datum podle",
            "Druh",
            "Číslo dokladu",
            "Variabilní symbol",
            "Dodavatel",
            "IČO",
            "DIČ",
            "Celkem",
            "Měna",
        ],
        CsvPreset::Intl => [
            "Date",
            "Date basis",
            "Kind",
            "Document number",
            "Variable symbol",
            "Merchant",
            "Company ID",
            "VAT ID",
            "Total",
            "Currency",
        ],
    }
    .iter()
    .map(|s| s.to_string())
    .collect();
    for rate in &rates {
        let r = preset.rate(*rate);
        match preset {
            CsvPreset::Cz => {
                header.push(format!("Základ {r} %"));
                header.push(format!("DPH {r} %"));
            }
            CsvPreset::Intl => {
                header.push(format!("VAT base {r}%"));
                header.push(format!("VAT {r}%"));
            }
        }
    }
    header.extend(
        match preset {
            CsvPreset::Cz => ["Kategorie", "Název", "Soubor", "Doplnit"],
            CsvPreset::Intl => ["Category", "Title", "File", "To fill in"],
        }
        .iter()
        .map(|s| s.to_string()),
    );
    csv.write_record(&header).map_err(failed)?;

    for row in rows {
        let f = &row.document.fields;
        let basis = match (preset, row.by_import_date) {
            (CsvPreset::Cz, false) => "vystavení",
            (CsvPreset::Cz, true) => "importu",
            (CsvPreset::Intl, false) => "issue",
            (CsvPreset::Intl, true) => "import",
        };
        let mut record: Vec<String> = vec![
            preset.date(row.date),
            basis.to_string(),
            preset.kind(f.kind).to_string(),
            text_cell(f.document_number.as_deref().unwrap_or("")),
            text_cell(f.variable_symbol.as_deref().unwrap_or("")),
            text_cell(f.merchant.as_deref().unwrap_or("")),
            text_cell(f.company_ids.ico.as_deref().unwrap_or("")),
            text_cell(f.company_ids.vat_id.as_deref().unwrap_or("")),
            f.total.map(|m| preset.amount(m)).unwrap_or_default(),
            f.total.map(|m| m.currency.to_string()).unwrap_or_default(),
        ];
        for rate in &rates {
            let lines: Vec<_> = f
                .vat
                .iter()
                .filter(|v| v.rate_basis_points == *rate)
                .collect();
            match (lines.is_empty(), f.total) {
                (false, Some(total)) => {
                    let base: i64 = lines.iter().map(|v| v.base_minor).sum();
                    let tax: i64 = lines.iter().map(|v| v.tax_minor).sum();
                    let money = |minor| Money {
                        minor,
                        currency: total.currency,
                    };
                    record.push(preset.amount(money(base)));
                    record.push(preset.amount(money(tax)));
                }
                (false, None) => {
                    // Without a currency the minor units have no scale; show them as they are.
                    let base: i64 = lines.iter().map(|v| v.base_minor).sum();
                    let tax: i64 = lines.iter().map(|v| v.tax_minor).sum();
                    record.push(base.to_string());
                    record.push(tax.to_string());
                }
                (true, _) => {
                    record.push(String::new());
                    record.push(String::new());
                }
            }
        }
        record.push(text_cell(f.category.as_deref().unwrap_or("")));
        record.push(text_cell(&f.title));
        record.push(row.file.clone());
        let missing = accounting::Role::of(f)
            .map(|role| accounting::missing(f, role))
            .unwrap_or_default();
        let labels: Vec<&str> = missing.iter().map(|m| m.label(preset)).collect();
        record.push(labels.join(", "));
        csv.write_record(&record).map_err(failed)?;
    }
    csv.flush().map_err(|e| Error::io("writing the CSV", e))?;
    Ok(())
}

fn zip_time(t: OffsetDateTime) -> zip::DateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    zip::DateTime::from_date_and_time(
        u16::try_from(t.year()).unwrap_or(1980),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .unwrap_or_default()
}

/// Writes the export ZIP to `out` (replacing it when it exists, only once it is complete).
pub fn write_export(
    vault: &Vault,
    request: &ExportRequest,
    out: &Path,
    progress: &mut dyn FnMut(ExportProgress),
) -> Result<ExportSummary> {
    crate::files::write_replacing(out, ".coffer-export-", |file| {
        write_zip(
            vault,
            request,
            io::BufWriter::with_capacity(1 << 20, file),
            progress,
        )
    })
}

/// Writes the export ZIP as a stream into `sink` (flushed at the end): the CSV, the PDF, the
/// accounting formats requested, then the original files one by one.
pub fn write_zip(
    vault: &Vault,
    request: &ExportRequest,
    sink: impl Write,
    progress: &mut dyn FnMut(ExportProgress),
) -> Result<ExportSummary> {
    let rows = select(vault, request)?;
    let summary = Summary::of(&rows);
    let now = vault.clock().now();
    let formats = request.formats();
    let report = accounting::report(&rows, &formats);

    let mut csv_bytes = Vec::new();
    write_csv(&rows, request.preset, &mut csv_bytes)?;
    let pdf_bytes = pdf::render(&summary, request, &rows, now);

    let mut zip = zip::ZipWriter::new_stream(sink);
    let zip_err = |e: zip::result::ZipError| ExportError::Zip(e.to_string());
    let write_err = |e: io::Error| ExportError::from(Error::io("writing the export", e));
    let options = |size: u64, modified: OffsetDateTime| {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .last_modified_time(zip_time(modified))
            .unix_permissions(0o644)
            .large_file(size >= u64::from(u32::MAX))
    };
    for (name, bytes) in [(CSV_NAME, &csv_bytes), (PDF_NAME, &pdf_bytes)] {
        zip.start_file(name, options(bytes.len() as u64, now))
            .map_err(zip_err)?;
        zip.write_all(bytes).map_err(write_err)?;
    }
    let booked = rows.iter().filter(|r| pohoda::books(r)).count();
    let pohoda_documents = if request.wants(ExportFormat::Pohoda) && booked > 0 {
        zip.start_file(POHODA_NAME, options(0, now))
            .map_err(zip_err)?;
        pohoda::write(&rows, request, &mut zip).map_err(write_err)?;
        booked
    } else {
        0
    };
    let mut isdoc_files = 0;
    if request.wants(ExportFormat::Isdoc) {
        for row in rows.iter().filter(|r| isdoc::writes(r)) {
            zip.start_file(isdoc::file_name(row), options(0, now))
                .map_err(zip_err)?;
            isdoc::write(row, &mut zip).map_err(write_err)?;
            isdoc_files += 1;
        }
    }
    let mut content_bytes = 0;
    for (done, row) in rows.iter().enumerate() {
        zip.start_file(
            row.file.as_str(),
            options(row.document.file.size, row.document.updated_at),
        )
        .map_err(zip_err)?;
        content_bytes += vault.read_content(row.document.id, &mut zip)?;
        progress(ExportProgress {
            documents_done: done + 1,
            documents: rows.len(),
        });
    }
    let mut sink = zip.finish().map_err(zip_err)?.into_inner();
    sink.flush().map_err(write_err)?;
    Ok(ExportSummary {
        documents: rows.len(),
        by_import_date: rows.iter().filter(|r| r.by_import_date).count(),
        content_bytes,
        summary,
        pohoda_documents,
        isdoc_files,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn czk(minor: i64) -> Money {
        Money {
            minor,
            currency: "CZK".parse().unwrap(),
        }
    }

    #[test]
    fn amounts_dates_and_rates_follow_the_preset() {
        assert_eq!(CsvPreset::Cz.amount(czk(123_450)), "1234,50");
        assert_eq!(CsvPreset::Intl.amount(czk(-5)), "-0.05");
        assert_eq!(CsvPreset::Cz.date(date!(2024 - 01 - 05)), "05.01.2024");
        assert_eq!(CsvPreset::Intl.date(date!(2024 - 01 - 05)), "2024-01-05");
        assert_eq!(CsvPreset::Cz.rate(2100), "21");
        assert_eq!(CsvPreset::Cz.rate(1250), "12,5");
        assert_eq!(CsvPreset::Intl.rate(1250), "12.5");
        assert_eq!(CsvPreset::Intl.rate(5), "0.05");
    }

    #[test]
    fn name_parts_fold_diacritics_and_drop_separators() {
        assert_eq!(
            name_part("Žluťoučký kůň, s.r.o.", 60),
            "Zlutoucky-kun-s.r.o"
        );
        assert_eq!(name_part("../../etc", 60), "etc");
        assert_eq!(name_part("日本", 60), "");
        assert_eq!(name_part("abcdef", 3), "abc");
    }

    #[test]
    fn text_that_looks_like_a_formula_is_defused() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text_cell("Albert"), "Albert");
    }
}
