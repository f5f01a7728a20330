//! The printable summary: A4 pages of totals in a monospaced table, written with the PDF
//! base-14 fonts (nothing to embed). It holds only dates, currency codes and numbers — no
//! merchant or title — so plain WinAnsi text is enough.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use time::OffsetDateTime;

use crate::document::{Currency, Money};

use super::summary::Summary;
use super::{CsvPreset, ExportRequest, ExportRow};

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const TABLE_SIZE: f32 = 9.0;
const LEADING: f32 = 12.5;

const BOLD: Name = Name(b"F1");
const MONO: Name = Name(b"F2");
const REGULAR: Name = Name(b"F3");

/// Lays out lines top to bottom, starting a new page when one is full.
struct Layout {
    pages: Vec<Content>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        let mut layout = Self {
            pages: Vec::new(),
            y: 0.0,
        };
        layout.new_page();
        layout
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.new_page();
        }
    }

    fn text(&mut self, font: Name, size: f32, text: &str) {
        self.ensure(size + 4.0);
        self.y -= size + 4.0;
        let ascii: String = text
            .chars()
            .map(|c| if c.is_ascii() { c } else { '?' })
            .collect();
        let page = self.pages.last_mut().expect("a page exists");
        page.begin_text()
            .set_font(font, size)
            .next_line(MARGIN, self.y)
            .show(Str(ascii.as_bytes()))
            .end_text();
    }

    fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    fn rule(&mut self) {
        self.ensure(6.0);
        self.y -= 3.0;
        let page = self.pages.last_mut().expect("a page exists");
        page.set_line_width(0.5)
            .move_to(MARGIN, self.y)
            .line_to(PAGE_WIDTH - MARGIN, self.y)
            .stroke();
        self.y -= 3.0;
    }

    /// A table in the monospaced font: the first column left-aligned, the others right.
    fn table(&mut self, title: &str, widths: &[usize], header: &[&str], rows: &[Vec<String>]) {
        self.ensure(14.0 + 2.0 * LEADING + 6.0);
        self.gap(8.0);
        self.text(BOLD, 11.0, title);
        let line = |cells: &[String]| -> String {
            cells
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (cell, width))| {
                    if i < 2 {
                        format!("{cell:<width$}")
                    } else {
                        format!("{cell:>width$}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
        self.row(&line(&header));
        self.rule();
        if rows.is_empty() {
            self.row("(none)");
        }
        for row in rows {
            self.row(&line(row));
        }
    }

    fn row(&mut self, text: &str) {
        self.ensure(LEADING);
        self.y -= LEADING;
        let page = self.pages.last_mut().expect("a page exists");
        page.begin_text()
            .set_font(MONO, TABLE_SIZE)
            .next_line(MARGIN, self.y)
            .show(Str(text.as_bytes()))
            .end_text();
    }
}

/// An amount with thousands grouped, for reading on paper: `12 345,67` or `12,345.67`.
fn grouped(preset: CsvPreset, minor: i64, currency: Currency) -> String {
    let plain = preset.amount(Money { minor, currency });
    let (sign, digits) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let mark = match preset {
        CsvPreset::Cz => ',',
        CsvPreset::Intl => '.',
    };
    let (whole, fraction) = match digits.split_once(mark) {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let separator = match preset {
        CsvPreset::Cz => ' ',
        CsvPreset::Intl => ',',
    };
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{out}{mark}{f}"),
        None => format!("{sign}{out}"),
    }
}

fn timestamp(now: OffsetDateTime) -> String {
    let now = now.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {:02}:{:02} UTC",
        CsvPreset::Intl.date(now.date()),
        now.hour(),
        now.minute()
    )
}

/// The summary as PDF bytes.
pub(super) fn render(
    summary: &Summary,
    request: &ExportRequest,
    rows: &[ExportRow],
    now: OffsetDateTime,
) -> Vec<u8> {
    let preset = request.preset;
    let money = |minor: i64, currency: Currency| grouped(preset, minor, currency);
    let rate = |bp: u32| format!("{} %", preset.rate(bp));
    let mut layout = Layout::new();
    layout.text(BOLD, 16.0, "Accounting export");
    layout.gap(2.0);
    layout.text(
        REGULAR,
        10.0,
        &format!(
            "Period {} to {}    Kinds: {}    CSV preset: {}",
            CsvPreset::Intl.date(request.from),
            CsvPreset::Intl.date(request.to),
            if request.kinds.is_empty() {
                "all".to_string()
            } else {
                request
                    .kinds
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            preset.as_str()
        ),
    );
    layout.text(
        REGULAR,
        10.0,
        &format!(
            "{} documents, {} of them without an issue date (counted by their import date).",
            summary.documents, summary.by_import_date
        ),
    );
    let without_total: usize = summary.without_total.values().sum();
    if without_total > 0 {
        layout.text(
            REGULAR,
            10.0,
            &format!("{without_total} documents have no total and are not in the amounts below."),
        );
    }
    layout.text(
        REGULAR,
        10.0,
        "Amounts are in each document's own currency; currencies are never converted or mixed.",
    );

    let month_rows: Vec<Vec<String>> = summary
        .per_month
        .iter()
        .map(|((month, currency), t)| {
            vec![
                month.to_string(),
                currency.to_string(),
                t.documents.to_string(),
                money(t.total_minor, *currency),
                money(t.vat_base_minor, *currency),
                money(t.vat_tax_minor, *currency),
            ]
        })
        .collect();
    layout.table(
        "Totals per month and currency",
        &[8, 8, 5, 18, 18, 16],
        &["Month", "Currency", "Docs", "Total", "VAT base", "VAT"],
        &month_rows,
    );

    let vat_rows: Vec<Vec<String>> = summary
        .per_month_vat
        .iter()
        .map(|((month, currency, bp), t)| {
            vec![
                month.to_string(),
                currency.to_string(),
                rate(*bp),
                t.documents.to_string(),
                money(t.base_minor, *currency),
                money(t.tax_minor, *currency),
                money(t.base_minor.saturating_add(t.tax_minor), *currency),
            ]
        })
        .collect();
    layout.table(
        "VAT per month, currency and rate",
        &[8, 8, 7, 5, 16, 14, 16],
        &[
            "Month",
            "Currency",
            "Rate",
            "Docs",
            "Base",
            "VAT",
            "Base + VAT",
        ],
        &vat_rows,
    );

    let period_rows: Vec<Vec<String>> = summary
        .per_currency
        .iter()
        .map(|(currency, t)| {
            vec![
                currency.to_string(),
                String::new(),
                t.documents.to_string(),
                money(t.total_minor, *currency),
                money(t.vat_base_minor, *currency),
                money(t.vat_tax_minor, *currency),
            ]
        })
        .collect();
    layout.table(
        "Whole period per currency",
        &[8, 1, 5, 18, 18, 16],
        &["Currency", "", "Docs", "Total", "VAT base", "VAT"],
        &period_rows,
    );

    let period_vat_rows: Vec<Vec<String>> = summary
        .per_currency_vat
        .iter()
        .map(|((currency, bp), t)| {
            vec![
                currency.to_string(),
                rate(*bp),
                t.documents.to_string(),
                money(t.base_minor, *currency),
                money(t.tax_minor, *currency),
                money(t.base_minor.saturating_add(t.tax_minor), *currency),
            ]
        })
        .collect();
    layout.table(
        "Whole period per currency and VAT rate",
        &[8, 7, 5, 18, 16, 18],
        &["Currency", "Rate", "Docs", "Base", "VAT", "Base + VAT"],
        &period_vat_rows,
    );

    if !summary.without_total.is_empty() {
        let rows: Vec<Vec<String>> = summary
            .without_total
            .iter()
            .map(|(month, n)| vec![month.to_string(), String::new(), n.to_string()])
            .collect();
        layout.table(
            "Documents without a total",
            &[8, 1, 5],
            &["Month", "", "Docs"],
            &rows,
        );
    }
    layout.gap(10.0);
    layout.text(
        REGULAR,
        8.0,
        &format!(
            "Written by Coffer on {}. The files are in documents/ of the ZIP; {} has one row per document ({} rows).",
            timestamp(now),
            super::CSV_NAME,
            rows.len()
        ),
    );

    write_pdf(layout.pages, now)
}

fn write_pdf(pages: Vec<Content>, now: OffsetDateTime) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let bold_id = Ref::new(3);
    let mono_id = Ref::new(4);
    let regular_id = Ref::new(5);
    let info_id = Ref::new(6);
    let first_page = 7;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    for (id, name) in [
        (bold_id, Name(b"Helvetica-Bold")),
        (mono_id, Name(b"Courier")),
        (regular_id, Name(b"Helvetica")),
    ] {
        pdf.type1_font(id)
            .base_font(name)
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    let utc = now.to_offset(time::UtcOffset::UTC);
    pdf.document_info(info_id)
        .title(TextStr("Coffer accounting export"))
        .creator(TextStr("Coffer"))
        .creation_date(
            pdf_writer::Date::new(u16::try_from(utc.year()).unwrap_or(2000))
                .month(u8::from(utc.month()))
                .day(utc.day())
                .hour(utc.hour())
                .minute(utc.minute())
                .second(utc.second())
                .utc_offset_hour(0),
        );
    for (i, content) in pages.into_iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree_id)
            .contents(content_id);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(BOLD, bold_id)
            .pair(MONO, mono_id)
            .pair(REGULAR, regular_id);
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_on_paper_are_grouped_by_thousands() {
        let czk: Currency = "CZK".parse().unwrap();
        let jpy: Currency = "JPY".parse().unwrap();
        assert_eq!(grouped(CsvPreset::Cz, 123_456_789, czk), "1 234 567,89");
        assert_eq!(grouped(CsvPreset::Intl, -100_000, czk), "-1,000.00");
        assert_eq!(grouped(CsvPreset::Intl, 1_234_567, jpy), "1,234,567");
        assert_eq!(grouped(CsvPreset::Cz, 5, czk), "0,05");
    }
}
