//! Commands about documents: import, list, search, show, edit, trash, get.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use coffer_core::document::parse_date;
use coffer_core::{
    Currency, DocumentEdit, DocumentKind, Field, ImportOptions, ImportOutcome, SearchQuery,
    TrashFilter,
};
use coffer_ocr::ExtractOptions;
use coffer_ocr::vault::recognize_many;
use time::Date;

use crate::render;
use crate::vault_commands::unlock;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Document kind: receipt, invoice, contract, warranty or other.
    #[arg(long)]
    kind: Option<DocumentKind>,
    /// Title (default: the file name without its extension).
    #[arg(long)]
    title: Option<String>,
    /// A tag; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Store the files without reading their text (OCR can run later: `coffer ocr ID`).
    #[arg(long)]
    no_ocr: bool,
    /// Tesseract languages for the OCR that runs on import.
    #[arg(long = "lang", default_value = coffer_ocr::DEFAULT_LANGUAGES)]
    languages: String,
    /// Files to import.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub fn import(dir: &Path, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    let options = ImportOptions {
        kind: args.kind,
        title: args.title.clone(),
        tags: args.tags.clone(),
        kind_hint: None,
    };
    let total = args.files.len();
    let mut failures = 0;
    // One line per file, in the order given, once its text is read.
    let mut lines: Vec<Option<String>> = vec![None; total];
    let mut imported = Vec::new();
    // In batches, each one commit (Vault::import_many); a file's line comes once its batch is
    // committed.
    let mut index = 0;
    let stored = vault.import_many(&args.files, &options, |answers| {
        for (file, answer) in answers {
            let shown = render::printable(&file.display().to_string());
            eprintln!("[{}/{total}] {shown}", index + 1);
            match answer {
                Ok(ImportOutcome::Imported(doc)) => {
                    lines[index] = Some(format!("{}  {}", doc.id, render::printable(&doc.title)));
                    imported.push((index, doc.id, shown));
                }
                Ok(ImportOutcome::Duplicate(id)) => {
                    lines[index] = Some(format!("duplicate of {id}  {shown}"));
                }
                Err(error) => {
                    failures += 1;
                    eprintln!("error: {shown}: {error}");
                }
            }
            index += 1;
        }
    });
    if let Err(error) = stored {
        // The vault itself failed (a full disk): the batch in flight and the rest are not in.
        failures += total - index;
        eprintln!("error: {error}");
    }
    if !args.no_ocr && !imported.is_empty() {
        let ocr_options = ExtractOptions {
            languages: args.languages.clone(),
            ..ExtractOptions::default()
        };
        let ids: Vec<_> = imported.iter().map(|(_, id, _)| *id).collect();
        let vault = std::sync::Mutex::new(vault);
        let results = recognize_many(&vault, &ids, &ocr_options, workers(), &|b| {
            if b.total > 1 {
                eprintln!("read {}/{}", b.done, b.total);
            }
        });
        // The documents are stored either way; unreadable text is only a note.
        for ((index, id, shown), result) in imported.iter().zip(results) {
            match result {
                Ok(read) => {
                    lines[*index] =
                        Some(format!("{id}  {}", render::printable(&read.fields.title)));
                }
                Err(error) => eprintln!("note: {shown}: no text read ({error})"),
            }
        }
    }
    for line in lines.into_iter().flatten() {
        println!("{line}");
    }
    if failures > 0 {
        eprintln!(
            "{failures} of {total} files were not imported (see the errors above); the others were."
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One Tesseract engine per core.
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

pub fn list(dir: &Path, json: bool, trash: bool) -> anyhow::Result<ExitCode> {
    let vault = unlock(dir)?;
    let query = SearchQuery {
        trash: if trash {
            TrashFilter::Only
        } else {
            TrashFilter::Exclude
        },
        ..SearchQuery::default()
    };
    render::summaries(&vault.search(&query)?, json)?;
    Ok(ExitCode::SUCCESS)
}

/// A date to set, or none to clear it (an empty string or `none` on the command line).
#[derive(Clone, Copy, Debug)]
struct DateOrClear(Option<Date>);

fn date_or_clear(text: &str) -> Result<DateOrClear, coffer_core::Error> {
    match text.trim() {
        "" | "none" => Ok(DateOrClear(None)),
        other => parse_date(other).map(|d| DateOrClear(Some(d))),
    }
}

/// An amount as typed (`1234.50`, `-3,2`), or empty to clear the total; its digits are checked
/// against the currency when the edit is applied.
fn amount_or_clear(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let digits = trimmed
        .strip_prefix('-')
        .unwrap_or(trimmed)
        .replace(',', ".");
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if trimmed.is_empty() || (!whole.is_empty() && numeric(whole) && numeric(fraction)) {
        Ok(trimmed.to_string())
    } else {
        Err(format!("`{text}` is not an amount; write it like 1234.50"))
    }
}

/// An ISO 4217 currency code.
fn iso_currency(text: &str) -> Result<Currency, coffer_core::Error> {
    let currency: Currency = text.parse()?;
    if currency.is_iso4217() {
        Ok(currency)
    } else {
        Err(coffer_core::Error::InvalidInput(format!(
            "`{text}` is not an ISO 4217 currency code; use one such as CZK, EUR or USD"
        )))
    }
}

/// An IČO with a valid check digit, or empty to clear it.
fn ico_or_clear(text: &str) -> Result<String, String> {
    let ico = text.trim();
    if ico.is_empty() || coffer_core::CompanyIds::is_valid_ico(ico) {
        Ok(ico.to_string())
    } else {
        Err(format!(
            "`{text}` is not a valid IČO (eight digits with a check digit); check it on the document"
        ))
    }
}

/// A variable symbol (one to ten digits), or empty to clear it.
fn variable_symbol_or_clear(text: &str) -> Result<String, String> {
    let symbol = text.trim().replace(' ', "");
    if symbol.is_empty() || coffer_core::document::is_valid_variable_symbol(&symbol) {
        Ok(symbol)
    } else {
        Err(format!(
            "`{text}` is not a variable symbol; give one to ten digits"
        ))
    }
}

/// An amount with two decimal places at most, in minor units (filters compare minor units).
fn amount_filter(text: &str) -> Result<i64, coffer_core::Error> {
    coffer_core::Money::parse(text, "EUR".parse()?).map(|m| m.minor)
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to find in titles, merchants, tags, notes and OCR text (prefixes match).
    query: String,
    /// Only these kinds; repeat for several.
    #[arg(long = "kind", value_name = "KIND")]
    kinds: Vec<DocumentKind>,
    /// Dated on or after (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    from: Option<Date>,
    /// Dated on or before (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date, value_name = "DATE")]
    to: Option<Date>,
    /// Total at least.
    #[arg(long, value_parser = amount_filter, value_name = "AMOUNT")]
    min_total: Option<i64>,
    /// Total at most.
    #[arg(long, value_parser = amount_filter, value_name = "AMOUNT")]
    max_total: Option<i64>,
    /// Merchant name contains.
    #[arg(long)]
    merchant: Option<String>,
    /// Has this tag; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Expires within this many days from today.
    #[arg(long, value_name = "DAYS")]
    expiring_within: Option<u32>,
    /// Only documents with fields awaiting confirmation.
    #[arg(long)]
    unconfirmed: bool,
    /// At most this many results.
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    json: bool,
}

pub fn search(dir: &Path, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let vault = unlock(dir)?;
    let query = SearchQuery {
        text: Some(args.query.clone()),
        kinds: args.kinds.clone(),
        from: args.from,
        to: args.to,
        min_total_minor: args.min_total,
        max_total_minor: args.max_total,
        merchant: args.merchant.clone(),
        tags: args.tags.clone(),
        expiring_within_days: args.expiring_within,
        unconfirmed_only: args.unconfirmed,
        trash: TrashFilter::Exclude,
        limit: args.limit,
        ..SearchQuery::default()
    };
    render::summaries(&vault.search(&query)?, args.json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn show(dir: &Path, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let vault = unlock(dir)?;
    let doc = vault.document(vault.resolve(id)?)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", render::document(&doc));
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args, Debug)]
pub struct EditArgs {
    /// The document id (or an unambiguous prefix of it).
    id: String,
    #[arg(long)]
    kind: Option<DocumentKind>,
    #[arg(long)]
    title: Option<String>,
    /// Merchant or counterparty ("" clears).
    #[arg(long)]
    merchant: Option<String>,
    /// Issue date, YYYY-MM-DD ("" clears).
    #[arg(long, value_parser = date_or_clear, value_name = "DATE")]
    date: Option<DateOrClear>,
    /// Total amount, e.g. 1234.50 ("" clears).
    #[arg(long, value_parser = amount_or_clear, value_name = "AMOUNT")]
    total: Option<String>,
    /// ISO 4217 currency of the total, e.g. CZK.
    #[arg(long, value_parser = iso_currency)]
    currency: Option<Currency>,
    /// Invoice or receipt number.
    #[arg(long = "number", value_name = "NUMBER")]
    document_number: Option<String>,
    /// Czech variable symbol, up to ten digits ("" clears).
    #[arg(long, value_parser = variable_symbol_or_clear, value_name = "VS")]
    variable_symbol: Option<String>,
    /// Czech company id (IČO), checked against its check digit ("" clears).
    #[arg(long, value_parser = ico_or_clear)]
    ico: Option<String>,
    /// VAT id (DIČ).
    #[arg(long)]
    vat_id: Option<String>,
    #[arg(long)]
    payment_method: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    notes: Option<String>,
    /// Warranty, contract or validity end, YYYY-MM-DD ("" clears).
    #[arg(long, value_parser = date_or_clear, value_name = "DATE")]
    expiry: Option<DateOrClear>,
    /// Add a tag; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    add_tags: Vec<String>,
    /// Remove a tag; repeat for several.
    #[arg(long = "untag", value_name = "TAG")]
    remove_tags: Vec<String>,
    /// Confirm a field's current value as correct; repeat, or use `all`.
    #[arg(long, value_name = "FIELD")]
    confirm: Vec<String>,
}

fn confirmed_fields(names: &[String]) -> Result<Vec<Field>, coffer_core::Error> {
    if names.iter().any(|n| n == "all") {
        return Ok(Field::ALL.to_vec());
    }
    names.iter().map(|n| n.parse()).collect()
}

pub fn edit(dir: &Path, args: &EditArgs) -> anyhow::Result<ExitCode> {
    let edit = DocumentEdit {
        kind: args.kind,
        title: args.title.clone(),
        merchant: args.merchant.clone(),
        issue_date: args.date.map(|d| d.0),
        total: args.total.clone(),
        currency: args.currency,
        document_number: args.document_number.clone(),
        variable_symbol: args.variable_symbol.clone(),
        ico: args.ico.clone(),
        vat_id: args.vat_id.clone(),
        payment_method: args.payment_method.clone(),
        category: args.category.clone(),
        notes: args.notes.clone(),
        expiry: args.expiry.map(|d| d.0),
        add_tags: args.add_tags.clone(),
        remove_tags: args.remove_tags.clone(),
        confirm: confirmed_fields(&args.confirm)?,
    };
    let mut vault = unlock(dir)?;
    let id = vault.resolve(&args.id)?;
    let doc = vault.edit(id, &edit)?;
    println!("{}  {}", doc.id, render::printable(&doc.fields.title));
    Ok(ExitCode::SUCCESS)
}

pub fn remove(dir: &Path, ids: &[String], purge: bool) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    for text in ids {
        let id = vault.resolve(text)?;
        if purge {
            vault.purge(id)?;
            eprintln!("{id} deleted permanently");
        } else {
            vault.trash(id)?;
            eprintln!("{id} moved to the trash (restore with `coffer untrash {id}`)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn untrash(dir: &Path, ids: &[String]) -> anyhow::Result<ExitCode> {
    let mut vault = unlock(dir)?;
    for text in ids {
        let id = vault.resolve(text)?;
        vault.untrash(id)?;
        eprintln!("{id} restored from the trash");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn get(dir: &Path, id: &str, out: &Path) -> anyhow::Result<ExitCode> {
    let vault = unlock(dir)?;
    let id = vault.resolve(id)?;
    let bytes = vault.save_content(id, out)?;
    eprintln!("wrote {bytes} bytes to {}", out.display());
    Ok(ExitCode::SUCCESS)
}
