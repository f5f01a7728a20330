//! Imports from other tools, mapping fields where they exist: a Paperless-ngx
//! `document_exporter` folder (`manifest.json`, optional per-document `*-manifest.json`, and the
//! originals), and a generic folder of files with a CSV describing them (Coffer's own export
//! CSV included, in either preset). Each file goes through the normal import (duplicates are
//! detected), then its fields are set as confirmed: they were curated in the other tool.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;
use time::Date;

use crate::document::{
    Currency, DocumentFields, DocumentId, DocumentKind, Field, FieldState, Money, VatLine,
    parse_date,
};
use crate::error::{Error, Result};
use crate::vault::{ImportOptions, ImportOutcome, Vault};

/// What happened to one source document.
#[derive(Clone, Debug)]
pub enum InteropEvent {
    Imported { id: DocumentId, title: String },
    Duplicate { id: DocumentId, source: String },
    Failed { source: String, error: String },
}

#[derive(Clone, Debug, Default)]
pub struct InteropSummary {
    pub imported: usize,
    pub duplicates: usize,
    pub failed: usize,
}

impl InteropSummary {
    fn record(&mut self, event: &InteropEvent) {
        match event {
            InteropEvent::Imported { .. } => self.imported += 1,
            InteropEvent::Duplicate { .. } => self.duplicates += 1,
            InteropEvent::Failed { .. } => self.failed += 1,
        }
    }
}

/// The fields another tool knows about one file.
#[derive(Clone, Debug, Default)]
pub struct ForeignDocument {
    /// Where the file is, relative to the folder.
    pub file: String,
    pub kind: Option<DocumentKind>,
    pub title: Option<String>,
    pub merchant: Option<String>,
    pub issue_date: Option<Date>,
    pub total: Option<Money>,
    pub vat: Vec<VatLine>,
    pub document_number: Option<String>,
    pub variable_symbol: Option<String>,
    pub ico: Option<String>,
    pub vat_id: Option<String>,
    pub payment_method: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub expiry: Option<Date>,
    pub ocr_text: Option<String>,
}

/// A path inside `root` from a manifest, refusing absolute paths and `..`.
fn inside(root: &Path, relative: &str) -> Result<PathBuf> {
    let rel = Path::new(relative);
    if relative.is_empty()
        || rel
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(Error::InvalidInput(format!(
            "`{relative}` is not a path inside the folder; the manifest may be damaged"
        )));
    }
    Ok(root.join(rel))
}

/// Document kinds from the names people give them, in English and Czech.
pub fn kind_from_name(name: &str) -> Option<DocumentKind> {
    let n = name.trim().to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| n.contains(w));
    if let Ok(kind) = n.parse::<DocumentKind>() {
        return Some(kind);
    }
    if has(&[
        "receipt",
        "účtenk",
        "uctenk",
        "pokladní",
        "paragon",
        "beleg",
        "quittung",
    ]) {
        Some(DocumentKind::Receipt)
    } else if has(&["invoice", "faktur", "rechnung", "bill"]) {
        Some(DocumentKind::Invoice)
    } else if has(&["warrant", "guarantee", "záru", "zaru", "garantie"]) {
        Some(DocumentKind::Warranty)
    } else if has(&["contract", "smlouv", "vertrag", "agreement"]) {
        Some(DocumentKind::Contract)
    } else if has(&["jiný", "jine", "jiné", "other"]) {
        Some(DocumentKind::Other)
    } else {
        None
    }
}

/// `YYYY-MM-DD` (also the date part of a timestamp) or `DD.MM.YYYY`.
pub fn lenient_date(text: &str) -> Option<Date> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(prefix) = t.get(..10)
        && let Ok(date) = parse_date(prefix)
    {
        return Some(date);
    }
    let parts: Vec<&str> = t.split('.').map(str::trim).collect();
    if let [d, m, y] = parts.as_slice() {
        let (d, m, y) = (d.parse().ok()?, m.parse::<u8>().ok()?, y.parse().ok()?);
        return Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok();
    }
    None
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Imports one file and sets the fields the other tool had.
fn import_one(vault: &mut Vault, root: &Path, doc: &ForeignDocument) -> InteropEvent {
    let source = doc.file.clone();
    let fail = |e: Error| InteropEvent::Failed {
        source: source.clone(),
        error: e.to_string(),
    };
    let path = match inside(root, &doc.file) {
        Ok(path) => path,
        Err(e) => return fail(e),
    };
    let options = ImportOptions {
        kind: doc.kind,
        title: doc.title.clone(),
        ..ImportOptions::default()
    };
    let id = match vault.import(&path, &options) {
        Ok(ImportOutcome::Imported(summary)) => summary.id,
        Ok(ImportOutcome::Duplicate(id)) => return InteropEvent::Duplicate { id, source },
        Err(e) => return fail(e),
    };
    match apply_fields(vault, id, doc) {
        Ok(title) => InteropEvent::Imported { id, title },
        Err(e) => {
            // A file without its fields would be a silent half-import: take it out again.
            let _ = vault.purge(id);
            fail(e)
        }
    }
}

fn apply_fields(vault: &mut Vault, id: DocumentId, doc: &ForeignDocument) -> Result<String> {
    let current = vault.document(id)?;
    let mut f: DocumentFields = current.fields.clone();
    let mut states: BTreeMap<Field, FieldState> = current.field_states.clone();
    let mut set = |field: Field, present: bool| {
        if present {
            states.insert(field, FieldState::CONFIRMED);
        }
    };
    set(Field::Kind, doc.kind.is_some());
    set(Field::Title, doc.title.is_some());
    if doc.merchant.is_some() {
        f.merchant = doc.merchant.clone();
        set(Field::Merchant, true);
    }
    if doc.issue_date.is_some() {
        f.issue_date = doc.issue_date;
        set(Field::IssueDate, true);
    }
    if doc.total.is_some() {
        f.total = doc.total;
        set(Field::Total, true);
    }
    if !doc.vat.is_empty() {
        f.vat = doc.vat.clone();
        set(Field::Vat, true);
    }
    if doc.ico.is_some() || doc.vat_id.is_some() {
        f.company_ids.ico = doc.ico.clone();
        f.company_ids.vat_id = doc.vat_id.clone();
        set(Field::CompanyIds, true);
    }
    for (value, slot, field) in [
        (
            &doc.document_number,
            &mut f.document_number,
            Field::DocumentNumber,
        ),
        (
            &doc.variable_symbol,
            &mut f.variable_symbol,
            Field::VariableSymbol,
        ),
        (
            &doc.payment_method,
            &mut f.payment_method,
            Field::PaymentMethod,
        ),
        (&doc.category, &mut f.category, Field::Category),
        (&doc.notes, &mut f.notes, Field::Notes),
    ] {
        if value.is_some() {
            *slot = value.clone();
            set(field, true);
        }
    }
    if doc.expiry.is_some() {
        f.expiry = doc.expiry;
        set(Field::Expiry, true);
    }
    if !doc.tags.is_empty() {
        for tag in &doc.tags {
            let tag = tag.trim();
            if !tag.is_empty()
                && tag.chars().count() <= 64
                && !f.tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
            {
                f.tags.push(tag.to_string());
            }
        }
        set(Field::Tags, true);
    }
    let doc = vault.replace_fields(id, &f, &states, doc.ocr_text.as_deref())?;
    Ok(doc.fields.title)
}

/// Imports every document a list describes, reporting each as it goes.
pub fn import_documents(
    vault: &mut Vault,
    root: &Path,
    documents: &[ForeignDocument],
    report: &mut dyn FnMut(&InteropEvent),
) -> InteropSummary {
    let mut summary = InteropSummary::default();
    for doc in documents {
        let event = import_one(vault, root, doc);
        summary.record(&event);
        report(&event);
    }
    summary
}

// -------------------------------------------------------------------------------------------
// Paperless-ngx

fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    serde_json::from_slice(&text).map_err(|e| {
        Error::InvalidInput(format!(
            "{} is not valid JSON ({e}); give the folder `document_exporter` wrote",
            path.display()
        ))
    })
}

/// Every `*-manifest.json` under `dir` (Paperless writes them with `--split-manifest`).
fn split_manifests(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries =
        fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?
            .path();
        if path.is_dir() {
            split_manifests(&path, out)?;
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with("-manifest.json"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// A Paperless monetary value: `EUR12.30`, `12.30` (the default currency), or a number.
fn paperless_money(value: &Value, default: Currency) -> Option<Money> {
    let text = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let split = text
        .find(|c: char| c.is_ascii_digit() || c == '-')
        .unwrap_or(0);
    let (code, amount) = text.split_at(split);
    let currency = if code.len() == 3 {
        code.parse().ok()?
    } else {
        default
    };
    Money::parse(amount, currency).ok()
}

/// Reads a Paperless-ngx export folder into foreign documents. `default_currency` is used
/// for monetary custom fields written without a currency.
pub fn read_paperless(dir: &Path, default_currency: Currency) -> Result<Vec<ForeignDocument>> {
    let main = dir.join("manifest.json");
    if !main.is_file() {
        return Err(Error::InvalidInput(format!(
            "{} has no manifest.json; give the folder Paperless-ngx's `document_exporter` wrote",
            dir.display()
        )));
    }
    let mut records: Vec<Value> = Vec::new();
    let mut files = vec![main];
    split_manifests(dir, &mut files)?;
    for file in files {
        match read_json(&file)? {
            Value::Array(items) => records.extend(items),
            _ => {
                return Err(Error::InvalidInput(format!(
                    "{} is not a Paperless manifest (a JSON list)",
                    file.display()
                )));
            }
        }
    }
    let model = |r: &Value| r["model"].as_str().unwrap_or_default().to_string();
    let names = |m: &str| -> HashMap<i64, String> {
        records
            .iter()
            .filter(|r| model(r) == m)
            .filter_map(|r| Some((r["pk"].as_i64()?, r["fields"]["name"].as_str()?.to_string())))
            .collect()
    };
    let correspondents = names("documents.correspondent");
    let tags = names("documents.tag");
    let types = names("documents.documenttype");
    let custom_fields = names("documents.customfield");
    let mut notes: HashMap<i64, Vec<String>> = HashMap::new();
    let mut customs: HashMap<i64, Vec<(String, Value)>> = HashMap::new();
    for r in &records {
        let f = &r["fields"];
        match model(r).as_str() {
            "documents.note" => {
                if let (Some(doc), Some(text)) = (f["document"].as_i64(), f["note"].as_str()) {
                    notes.entry(doc).or_default().push(text.to_string());
                }
            }
            "documents.customfieldinstance" => {
                let (Some(doc), Some(field)) = (f["document"].as_i64(), f["field"].as_i64()) else {
                    continue;
                };
                let name = custom_fields.get(&field).cloned().unwrap_or_default();
                let value = [
                    "value_monetary",
                    "value_date",
                    "value_text",
                    "value_float",
                    "value_int",
                ]
                .iter()
                .map(|k| f[*k].clone())
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null);
                customs.entry(doc).or_default().push((name, value));
            }
            _ => {}
        }
    }

    let mut out = Vec::new();
    for r in records.iter().filter(|r| model(r) == "documents.document") {
        let f = &r["fields"];
        let pk = r["pk"].as_i64().unwrap_or_default();
        let Some(file) = r["__exported_file_name__"].as_str() else {
            continue;
        };
        let type_name = f["document_type"].as_i64().and_then(|t| types.get(&t));
        let kind = type_name.and_then(|t| kind_from_name(t));
        let mut doc = ForeignDocument {
            file: file.to_string(),
            kind,
            title: non_empty(f["title"].as_str()),
            merchant: f["correspondent"]
                .as_i64()
                .and_then(|c| correspondents.get(&c).cloned()),
            issue_date: f["created"].as_str().and_then(lenient_date),
            // A document type that is not one of Coffer's kinds is kept as the category.
            category: type_name.filter(|_| kind.is_none()).cloned(),
            tags: f["tags"]
                .as_array()
                .map(|ts| {
                    ts.iter()
                        .filter_map(|t| t.as_i64().and_then(|t| tags.get(&t).cloned()))
                        .collect()
                })
                .unwrap_or_default(),
            notes: notes.get(&pk).map(|n| n.join("\n\n")),
            ocr_text: non_empty(f["content"].as_str()),
            ..ForeignDocument::default()
        };
        for (name, value) in customs.get(&pk).into_iter().flatten() {
            let name = name.to_lowercase();
            let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
            if has(&[
                "total", "amount", "celkem", "částka", "castka", "betrag", "price", "cena",
            ]) {
                doc.total = doc.total.or(paperless_money(value, default_currency));
            } else if has(&[
                "expir", "warranty", "záruk", "zaruk", "platnost", "valid", "end",
            ]) {
                doc.expiry = doc.expiry.or(value.as_str().and_then(lenient_date));
            } else if has(&["number", "číslo", "cislo", "nummer", "invoice no"]) {
                doc.document_number = doc
                    .document_number
                    .clone()
                    .or(non_empty(value.as_str()))
                    .or(value.as_i64().map(|n| n.to_string()));
            } else if has(&["variab", "vs"]) {
                doc.variable_symbol = doc.variable_symbol.clone().or(value
                    .as_str()
                    .map(|vs| vs.replace(' ', ""))
                    .or(value.as_i64().map(|n| n.to_string()))
                    .filter(|vs| crate::document::is_valid_variable_symbol(vs)));
            } else if has(&["ičo", "ico", "company id"]) {
                doc.ico = doc.ico.clone().or(non_empty(value.as_str()));
            } else if has(&["dič", "dic", "vat id", "ust-id"]) {
                doc.vat_id = doc.vat_id.clone().or(non_empty(value.as_str()));
            } else if has(&["payment", "platba"]) {
                doc.payment_method = doc.payment_method.clone().or(non_empty(value.as_str()));
            }
        }
        out.push(doc);
    }
    Ok(out)
}

// -------------------------------------------------------------------------------------------
// CSV + files

/// What a CSV column holds, from its header (English or Czech; Coffer's export headers too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    File,
    Kind,
    Title,
    Merchant,
    Date,
    /// Coffer's export: whether `Date` is the issue date or (for undated documents) the
    /// import date, which is not an issue date to bring back.
    DateBasis,
    Total,
    Currency,
    DocumentNumber,
    VariableSymbol,
    Ico,
    VatId,
    PaymentMethod,
    Category,
    Tags,
    Notes,
    Expiry,
    OcrText,
    VatBase(u32),
    VatTax(u32),
    Ignored,
}

/// `21`, `12,5` or `12.5` (optionally with `%`) as basis points.
fn rate_basis_points(text: &str) -> Option<u32> {
    let t = text.trim().trim_end_matches('%').trim().replace(',', ".");
    let (whole, fraction) = t.split_once('.').unwrap_or((&t, ""));
    if fraction.len() > 2 || whole.is_empty() {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let fraction: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<2}").parse().ok()?
    };
    Some(whole * 100 + fraction)
}

fn column(header: &str) -> Column {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    let vat = |prefixes: &[&str]| {
        prefixes
            .iter()
            .find_map(|p| h.strip_prefix(p))
            .and_then(rate_basis_points)
    };
    if let Some(rate) = vat(&["vat base ", "základ ", "zaklad ", "base "]) {
        return Column::VatBase(rate);
    }
    if let Some(rate) = vat(&["vat ", "dph "]) {
        return Column::VatTax(rate);
    }
    match h.as_str() {
        "file" | "filename" | "file name" | "path" | "soubor" => Column::File,
        "kind" | "type" | "document type" | "druh" | "typ" => Column::Kind,
        "title" | "name" | "název" | "nazev" => Column::Title,
        "merchant" | "supplier" | "vendor" | "counterparty" | "correspondent" | "dodavatel"
        | "obchodník" | "protistrana" => Column::Merchant,
        "date" | "issue date" | "issued" | "datum" | "datum vystavení" => Column::Date,
        "date basis" | "datum podle" => Column::DateBasis,
        "total" | "amount" | "celkem" | "částka" | "castka" => Column::Total,
        "currency" | "měna" | "mena" => Column::Currency,
        "document number" | "number" | "invoice number" | "číslo dokladu" | "cislo dokladu"
        | "číslo" => Column::DocumentNumber,
        "variable symbol" | "variabilní symbol" | "variabilni symbol" | "vs" => {
            Column::VariableSymbol
        }
        "ico" | "ičo" | "company id" => Column::Ico,
        "vat id" | "vat_id" | "dič" | "dic" => Column::VatId,
        "payment method" | "payment" | "platba" | "způsob platby" => Column::PaymentMethod,
        "category" | "kategorie" => Column::Category,
        "tags" | "tag" | "štítky" | "stitky" => Column::Tags,
        "notes" | "note" | "poznámka" | "poznámky" | "poznamka" => Column::Notes,
        "expiry" | "expires" | "warranty until" | "valid until" | "platnost do" | "záruka do" => {
            Column::Expiry
        }
        "ocr text" | "text" | "content" => Column::OcrText,
        _ => Column::Ignored,
    }
}

/// Reads a CSV describing files in `dir`: a header row naming the columns (a `file` column is
/// required), `;` or `,` separated (whichever the header uses), UTF-8 with or without BOM,
/// amounts with a decimal comma or point, dates as `YYYY-MM-DD` or `DD.MM.YYYY`.
/// `default_currency` applies to totals without a currency column.
pub fn read_csv_folder(
    csv_path: &Path,
    default_currency: Currency,
) -> Result<Vec<std::result::Result<ForeignDocument, (String, String)>>> {
    let text = fs::read_to_string(csv_path)
        .map_err(|e| Error::io(format!("reading {}", csv_path.display()), e))?;
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let bad = |e: csv::Error| {
        Error::InvalidInput(format!(
            "{} is not a readable CSV ({e}); save it as UTF-8 with a header row",
            csv_path.display()
        ))
    };
    let columns: Vec<Column> = reader.headers().map_err(bad)?.iter().map(column).collect();
    if !columns.contains(&Column::File) {
        return Err(Error::InvalidInput(format!(
            "{} has no `file` column; add one naming each file (relative to the folder)",
            csv_path.display()
        )));
    }
    let mut out = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(bad)?;
        let row = line + 2;
        let cell = |c: Column| {
            columns
                .iter()
                .position(|x| *x == c)
                .and_then(|i| record.get(i))
                .map(|v| v.trim().trim_start_matches('\'').to_string())
                .filter(|v| !v.is_empty())
        };
        let parsed = (|| -> std::result::Result<ForeignDocument, String> {
            let file = cell(Column::File).ok_or("the file cell is empty")?;
            let currency = match cell(Column::Currency) {
                Some(c) => c.parse::<Currency>().map_err(|e| e.to_string())?,
                None => default_currency,
            };
            let total = cell(Column::Total)
                .map(|t| Money::parse(&t.replace(' ', ""), currency))
                .transpose()
                .map_err(|e| e.to_string())?;
            let date = |c: Column| -> std::result::Result<Option<Date>, String> {
                cell(c)
                    .map(|t| {
                        lenient_date(&t).ok_or(format!(
                            "`{t}` is not a date; write YYYY-MM-DD or DD.MM.YYYY"
                        ))
                    })
                    .transpose()
            };
            let mut vat = Vec::new();
            let mut rates: Vec<u32> = columns
                .iter()
                .filter_map(|c| match c {
                    Column::VatBase(r) | Column::VatTax(r) => Some(*r),
                    _ => None,
                })
                .collect();
            rates.sort_unstable();
            rates.dedup();
            for rate in rates {
                let amount = |c: Column| -> std::result::Result<Option<i64>, String> {
                    cell(c)
                        .map(|t| {
                            Money::parse(&t.replace(' ', ""), currency)
                                .map(|m| m.minor)
                                .map_err(|e| e.to_string())
                        })
                        .transpose()
                };
                let (base, tax) = (
                    amount(Column::VatBase(rate))?,
                    amount(Column::VatTax(rate))?,
                );
                if base.is_some() || tax.is_some() {
                    vat.push(VatLine {
                        rate_basis_points: rate,
                        base_minor: base.unwrap_or(0),
                        tax_minor: tax.unwrap_or(0),
                    });
                }
            }
            Ok(ForeignDocument {
                kind: match cell(Column::Kind) {
                    Some(k) => Some(kind_from_name(&k).ok_or(format!(
                        "`{k}` is not a document kind; use receipt, invoice, contract, warranty or other"
                    ))?),
                    None => None,
                },
                title: cell(Column::Title),
                merchant: cell(Column::Merchant),
                issue_date: match cell(Column::DateBasis).as_deref() {
                    Some("import" | "importu") => None,
                    _ => date(Column::Date)?,
                },
                total,
                vat,
                document_number: cell(Column::DocumentNumber),
                variable_symbol: cell(Column::VariableSymbol)
                    .map(|vs| vs.replace(' ', ""))
                    .filter(|vs| crate::document::is_valid_variable_symbol(vs)),
                ico: cell(Column::Ico),
                vat_id: cell(Column::VatId),
                payment_method: cell(Column::PaymentMethod),
                category: cell(Column::Category),
                tags: cell(Column::Tags)
                    .map(|t| {
                        t.split(['|', ',', ';'])
                            .map(str::trim)
                            .filter(|t| !t.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                notes: cell(Column::Notes),
                expiry: date(Column::Expiry)?,
                ocr_text: cell(Column::OcrText),
                file,
            })
        })();
        out.push(parsed.map_err(|e| (format!("row {row}"), e)));
    }
    Ok(out)
}

/// The CSV in `dir` when there is exactly one.
pub fn find_csv(dir: &Path) -> Result<PathBuf> {
    let entries =
        fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    let csvs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        })
        .collect();
    match csvs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::InvalidInput(format!(
            "{} holds no .csv file; put one there or give --csv FILE",
            dir.display()
        ))),
        _ => Err(Error::InvalidInput(format!(
            "{} holds several .csv files; choose one with --csv FILE",
            dir.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn kinds_are_recognised_in_english_and_czech() {
        assert_eq!(
            kind_from_name("Faktura přijatá"),
            Some(DocumentKind::Invoice)
        );
        assert_eq!(kind_from_name("účtenka"), Some(DocumentKind::Receipt));
        assert_eq!(kind_from_name("Záruční list"), Some(DocumentKind::Warranty));
        assert_eq!(kind_from_name("Mietvertrag"), Some(DocumentKind::Contract));
        assert_eq!(kind_from_name("Bank statement"), None);
    }

    #[test]
    fn dates_are_read_from_iso_timestamps_and_czech_notation() {
        assert_eq!(
            lenient_date("2024-01-15T00:00:00+01:00"),
            Some(date!(2024 - 01 - 15))
        );
        assert_eq!(lenient_date("5.1.2024"), Some(date!(2024 - 01 - 05)));
        assert_eq!(lenient_date("31.02.2024"), None);
        assert_eq!(lenient_date(""), None);
    }

    #[test]
    fn paperless_money_carries_its_currency_or_the_default() {
        let czk: Currency = "CZK".parse().unwrap();
        let eur = paperless_money(&Value::String("EUR12.30".into()), czk).unwrap();
        assert_eq!((eur.minor, eur.currency.as_str()), (1230, "EUR"));
        let plain = paperless_money(&Value::String("99.5".into()), czk).unwrap();
        assert_eq!((plain.minor, plain.currency.as_str()), (9950, "CZK"));
    }

    #[test]
    fn csv_headers_map_to_columns_including_coffer_export_vat_columns() {
        assert_eq!(column("\u{feff}Datum"), Column::Date);
        assert_eq!(column("Základ 12,5 %"), Column::VatBase(1250));
        assert_eq!(column("DPH 21 %"), Column::VatTax(2100));
        assert_eq!(column("VAT base 21%"), Column::VatBase(2100));
        assert_eq!(column("VAT ID"), Column::VatId);
        assert_eq!(column("Soubor"), Column::File);
    }

    #[test]
    fn paths_outside_the_folder_are_refused() {
        let root = Path::new("/export");
        assert!(inside(root, "../etc/passwd").is_err());
        assert!(inside(root, "/etc/passwd").is_err());
        assert_eq!(
            inside(root, "a/b.pdf").unwrap(),
            Path::new("/export/a/b.pdf")
        );
    }
}
