//! The document's own number (invoice or receipt number) and the Czech variable symbol, each
//! from its label: on the label's line (`Faktura č. 2024017`, `Invoice No.: INV-2024-001`,
//! `VS: 2024017`) or alone on the line below it.

use std::sync::LazyLock;

use regex::Regex;

use crate::dates::find_dates;
use crate::text::{fold, has_word};
use crate::words::{Words, all};

static NUMBER_LABELS: Words = LazyLock::new(|| all(|l| l.document_number));
static VS_LABELS: Words = LazyLock::new(|| all(|l| l.variable_symbol));

/// What may follow a label before its value: punctuation and the words for "number".
static LEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[\s:.#°º\-]|\b(?:no|nr|n|c|cislo|number|nummer|numer)\b)*").unwrap()
});
/// A document number: letters, digits and the usual joiners, with at least one digit.
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9/\-_.]{0,24}").unwrap());
/// An amount, which is no document number (`TAX INVOICE` / `12.50`).
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d+[.,]\d{2,3}$").unwrap());

/// The text after each of `labels` found in `line` at word boundaries, left to right, in the
/// line's own letters (labels are matched on the folded line, which keeps one character per
/// character for the languages we serve).
fn after_labels<'a>(line: &'a str, labels: &[&str]) -> Vec<&'a str> {
    let folded = fold(line);
    if folded.chars().count() != line.chars().count() {
        return Vec::new();
    }
    let mut ends: Vec<usize> = labels
        .iter()
        .filter(|w| has_word(&folded, w))
        .filter_map(|w| {
            folded
                .find(*w)
                .map(|p| folded[..p + w.len()].chars().count())
        })
        .collect();
    ends.sort_unstable();
    ends.dedup();
    ends.into_iter()
        .map(|end| &line[line.char_indices().nth(end).map_or(line.len(), |(i, _)| i)..])
        .collect()
}

/// The value right after a label: separators and a "No." skipped, then the first token with
/// digits that is neither a date nor an amount.
fn value_after(rest: &str) -> Option<&str> {
    let folded = fold(rest);
    let lead = LEAD
        .find(&folded)
        .map_or(0, |m| folded[..m.end()].chars().count());
    let start = rest.char_indices().nth(lead).map_or(rest.len(), |(i, _)| i);
    let token = NUMBER.find(&rest[start..])?.as_str();
    let token = token.trim_end_matches(['.', '-', '/']);
    let digits = token.chars().filter(char::is_ascii_digit).count();
    let alphanumeric = token.chars().filter(|c| c.is_alphanumeric()).count();
    (digits >= 1
        && digits * 2 >= alphanumeric
        && find_dates(token).is_empty()
        && !AMOUNT.is_match(token))
    .then_some(token)
}

/// A labelled value on the label's line, or alone on the next line.
fn labelled(lines: &[String], labels: &[&str]) -> Option<(String, f32)> {
    for (i, line) in lines.iter().enumerate() {
        let rests = after_labels(line, labels);
        if let Some(value) = rests.iter().find_map(|rest| value_after(rest)) {
            return Some((value.to_string(), 0.8));
        }
        // The value below a label that ends its line (`Invoice Number` / `INV-0042`).
        if rests
            .last()
            .is_some_and(|rest| rest.chars().all(|c| !c.is_alphanumeric()))
            && let Some(next) = lines.get(i + 1)
            && let Some(value) = value_after(next.trim())
            && next.trim().len() == value.len()
        {
            return Some((value.to_string(), 0.6));
        }
    }
    None
}

/// The invoice or receipt number and a confidence.
pub fn document_number(lines: &[String]) -> Option<(String, f32)> {
    labelled(lines, &NUMBER_LABELS)
}

/// The variable symbol (one to ten digits) and a confidence.
pub fn variable_symbol(lines: &[String]) -> Option<(String, f32)> {
    labelled(lines, &VS_LABELS)
        .filter(|(vs, _)| coffer_core::document::is_valid_variable_symbol(vs))
        .map(|(vs, _)| (vs, 0.85))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    fn number(text: &str) -> Option<String> {
        document_number(&lines(text)).map(|n| n.0)
    }

    #[test]
    fn invoice_numbers_are_read_after_their_labels_in_several_languages() {
        assert_eq!(
            number("FAKTURA - daňový doklad č. 2024017").as_deref(),
            Some("2024017")
        );
        assert_eq!(
            number("Invoice No.: INV-2024-001").as_deref(),
            Some("INV-2024-001")
        );
        assert_eq!(number("Rechnung Nr. 4711").as_deref(), Some("4711"));
        assert_eq!(
            number("Facture n° F-2026-0412").as_deref(),
            Some("F-2026-0412")
        );
        assert_eq!(
            number("FAKTURA VAT nr FV/2026/10/031").as_deref(),
            Some("FV/2026/10/031")
        );
        assert_eq!(
            number("Factuurnummer: 2026-118").as_deref(),
            Some("2026-118")
        );
        assert_eq!(
            number("Invoice Number\nINV-0042\nDate 12.03.2024").as_deref(),
            Some("INV-0042")
        );
        assert_eq!(number("INVOICE #12345").as_deref(), Some("12345"));
        assert_eq!(number("FAKTURA 2024001").as_deref(), Some("2024001"));
    }

    #[test]
    fn dates_and_words_after_a_label_are_no_number() {
        assert_eq!(number("Invoice No: 12.03.2024"), None);
        assert_eq!(number("Invoice number: see below"), None);
        assert_eq!(number("TAX INVOICE\n12.50"), None);
        assert_eq!(number("Invoice date 12.03.2024"), None);
    }

    #[test]
    fn the_variable_symbol_is_digits_after_its_label() {
        let vs = |t: &str| variable_symbol(&lines(t)).map(|v| v.0);
        assert_eq!(vs("Variabilní symbol: 2024017").as_deref(), Some("2024017"));
        assert_eq!(
            vs("Banka: 123456789/0800   VS: 88001").as_deref(),
            Some("88001")
        );
        assert_eq!(vs("VS: ABC12"), None);
        assert_eq!(vs("Variabilní symbol: 12345678901"), None, "eleven digits");
    }
}
