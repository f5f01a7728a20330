//! How results look on a terminal, and as JSON for scripts.

use std::fmt::Write as _;

use coffer_core::{Document, DocumentSummary, Problem, RepairReport, VaultInfo, VerifyReport};

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".into())
}

/// Text from a document (a title, a file name) as it may be printed on a terminal: control
/// characters escaped, so a name with a newline cannot forge a row and an escape sequence
/// cannot take over the terminal.
pub fn printable(text: &str) -> String {
    escape(text, false)
}

/// As `printable`, keeping line breaks and tabs (notes, OCR text).
pub fn printable_lines(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, keep_lines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if keep_lines => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Bidirectional overrides and isolates, which reorder what a terminal shows.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// One line per document: id, date, kind, total, title. With `json`, one JSON array.
pub fn summaries(docs: &[DocumentSummary], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(docs)?);
        return Ok(());
    }
    for doc in docs {
        println!(
            "{}  {:<10}  {:<8}  {:>14}  {}{}",
            doc.id,
            or_dash(doc.issue_date.map(|d| d.to_string())),
            doc.kind,
            or_dash(doc.total.map(|m| m.to_string())),
            printable(&doc.title),
            if doc.unconfirmed {
                "  (unconfirmed)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

pub fn document(doc: &Document) -> String {
    let f = &doc.fields;
    let mut out = String::new();
    let state = |field| match doc.field_states.get(&field) {
        Some(s) if s.confirmed => String::new(),
        Some(s) => format!("  (unconfirmed, {:.0} % sure)", s.confidence * 100.0),
        None => String::new(),
    };
    use coffer_core::Field;
    let rows: Vec<(&str, Option<String>, Field)> = vec![
        ("Kind", Some(f.kind.to_string()), Field::Kind),
        ("Title", Some(f.title.clone()), Field::Title),
        ("Merchant", f.merchant.clone(), Field::Merchant),
        (
            "Date",
            f.issue_date.map(|d| d.to_string()),
            Field::IssueDate,
        ),
        ("Total", f.total.map(|m| m.to_string()), Field::Total),
        ("Number", f.document_number.clone(), Field::DocumentNumber),
        ("VS", f.variable_symbol.clone(), Field::VariableSymbol),
        ("IČO", f.company_ids.ico.clone(), Field::CompanyIds),
        ("VAT id", f.company_ids.vat_id.clone(), Field::CompanyIds),
        ("Payment", f.payment_method.clone(), Field::PaymentMethod),
        ("Category", f.category.clone(), Field::Category),
        (
            "Tags",
            (!f.tags.is_empty()).then(|| f.tags.join(", ")),
            Field::Tags,
        ),
        ("Expiry", f.expiry.map(|d| d.to_string()), Field::Expiry),
        ("Notes", f.notes.clone(), Field::Notes),
    ];
    let _ = writeln!(out, "{:<10}{}", "Id", doc.id);
    for (label, value, field) in rows {
        if let Some(value) = value {
            let value = if field == Field::Notes {
                printable_lines(&value)
            } else {
                printable(&value)
            };
            let _ = writeln!(out, "{label:<10}{value}{}", state(field));
        }
    }
    for line in &f.vat {
        let _ = writeln!(
            out,
            "{:<10}{}.{:02} %: base {} tax {} (minor units)",
            "VAT",
            line.rate_basis_points / 100,
            line.rate_basis_points % 100,
            line.base_minor,
            line.tax_minor
        );
    }
    let _ = writeln!(
        out,
        "{:<10}{} ({}, {} bytes)",
        "File",
        printable(&doc.file.name),
        doc.file.media_type,
        doc.file.size
    );
    let _ = writeln!(out, "{:<10}{}", "Imported", doc.imported_at.date());
    if let Some(at) = doc.trashed_at {
        let _ = writeln!(out, "{:<10}{}", "Trashed", at.date());
    }
    if let Some(text) = doc.ocr_text.as_deref().filter(|t| !t.trim().is_empty()) {
        let _ = writeln!(out, "\n{}", printable_lines(text));
    }
    out
}

pub fn info(info: &VaultInfo) -> String {
    let mib = |b: u64| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0));
    format!(
        "Vault           {}\nFormat          {} (database schema {})\nVault id        {}\n\
         Key derivation  {} (record v{}, salt {})\nCreated         {}\n\
         Documents       {} ({} in the trash)\nOriginals       {}\nEncrypted files {}\n\
         Database        {}\n",
        info.path.display(),
        info.format,
        info.database_schema,
        info.vault_id,
        info.kdf.params,
        info.kdf.version,
        hex_salt(&info.kdf.salt),
        info.created_at.date(),
        info.documents,
        info.trashed,
        mib(info.content_bytes),
        mib(info.encrypted_bytes),
        mib(info.database_bytes),
    )
}

fn hex_salt(salt: &[u8]) -> String {
    salt.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `verify` found, one problem per line with what to do.
pub fn verify(report: &VerifyReport, quick: bool) -> String {
    let mut out = String::new();
    let depth = if quick {
        "headers and sizes"
    } else {
        "every byte"
    };
    let _ = writeln!(
        out,
        "Checked the database, {} documents and {} encrypted files ({depth}).",
        report.documents, report.blobs
    );
    if report.is_clean() {
        let _ = writeln!(out, "No problems found.");
        return out;
    }
    let _ = writeln!(out, "{} problem(s):", report.problems.len());
    for problem in &report.problems {
        let _ = writeln!(out, "  - {}", printable(&problem.to_string()));
        let _ = writeln!(out, "    what to do: {}", problem.advice());
        if let Some(command) = verify_command(problem) {
            let _ = writeln!(out, "    hint: {command}");
        }
    }
    out
}

/// The command that does what a problem's advice says.
fn verify_command(problem: &Problem) -> Option<String> {
    match problem {
        Problem::Database { .. } | Problem::Unreferenced { .. } => Some("`coffer repair`".into()),
        Problem::Damaged { id, .. } | Problem::Missing { id, .. } => {
            Some(format!("`coffer rm --purge {id}` removes it for good"))
        }
        _ => None,
    }
}

/// What `repair` rebuilt, and what it could not.
pub fn repair(report: &RepairReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Rebuilt the database: {} documents ({} from the old database, {} recognised from their \
         encrypted files alone; {} brought up to date from the journal).",
        report.documents, report.from_database, report.from_blobs, report.updated_from_journal
    );
    if let Some(problem) = &report.old_database_problem {
        let _ = writeln!(out, "The old database could not be used: {problem}");
    }
    if let Some(kept) = &report.old_database_kept_at {
        let _ = writeln!(out, "The old database is kept at {}.", kept.display());
    }
    if report.purged_skipped > 0 {
        let _ = writeln!(
            out,
            "{} document(s) deleted for good earlier were not brought back.",
            report.purged_skipped
        );
    }
    for id in &report.missing_content {
        let _ = writeln!(
            out,
            "  - document {id}: its encrypted file is missing (kept without content; restore \
             it from a backup or another device)"
        );
    }
    for what in &report.unrecoverable {
        let _ = writeln!(out, "  - not recovered: {}", printable(what));
    }
    if report.missing_content.is_empty() && report.unrecoverable.is_empty() {
        let _ = writeln!(
            out,
            "Everything was recovered. Check it with `coffer verify`."
        );
    }
    out
}

/// The recovery words in four columns, numbered, as people copy them onto paper.
pub fn numbered_words(words: &[&str]) -> String {
    let mut out = String::new();
    for row in 0..6 {
        for col in 0..4 {
            let i = col * 6 + row;
            let _ = write!(out, "{:>4}. {:<12}", i + 1, words[i]);
        }
        out.push('\n');
    }
    out
}
