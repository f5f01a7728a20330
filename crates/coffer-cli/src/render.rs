//! How results look on a terminal, and as JSON for scripts.

use std::fmt::Write as _;

use coffer_core::{Document, DocumentSummary, VaultInfo};

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".into())
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
            doc.title,
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
        "File", doc.file.name, doc.file.media_type, doc.file.size
    );
    let _ = writeln!(out, "{:<10}{}", "Imported", doc.imported_at.date());
    if let Some(at) = doc.trashed_at {
        let _ = writeln!(out, "{:<10}{}", "Trashed", at.date());
    }
    if let Some(text) = doc.ocr_text.as_deref().filter(|t| !t.trim().is_empty()) {
        let _ = writeln!(out, "\n{text}");
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
