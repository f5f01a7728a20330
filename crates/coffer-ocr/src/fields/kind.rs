//! Tells receipts, invoices, contracts and warranty cards apart by the words they use.

use std::sync::LazyLock;

use coffer_core::DocumentKind;

use crate::text::{fold, has_word};
use crate::words::{Words, all};

static RECEIPT: Words = LazyLock::new(|| all(|l| l.receipt));
static INVOICE: Words = LazyLock::new(|| all(|l| l.invoice));
static CONTRACT: Words = LazyLock::new(|| all(|l| l.contract));
static WARRANTY: Words = LazyLock::new(|| all(|l| l.warranty_card));

/// The most likely kind and a confidence.
pub fn classify(lines: &[String]) -> (DocumentKind, f32) {
    let folded: Vec<String> = lines.iter().map(|l| fold(l)).collect();
    let count = |words: &[&str]| -> usize {
        words
            .iter()
            .filter(|w| folded.iter().any(|l| has_word(l, w)))
            .count()
    };
    let scores = [
        (DocumentKind::Warranty, count(&WARRANTY) * 3),
        (DocumentKind::Contract, count(&CONTRACT) * 2),
        (DocumentKind::Invoice, count(&INVOICE)),
        (DocumentKind::Receipt, count(&RECEIPT)),
    ];
    let total: usize = scores.iter().map(|s| s.1).sum();
    let Some(&(kind, best)) = scores.iter().max_by_key(|s| s.1).filter(|s| s.1 > 0) else {
        return (DocumentKind::Other, 0.3);
    };
    (kind, (0.4 + 0.5 * best as f32 / total as f32).min(0.95))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> DocumentKind {
        classify(&text.lines().map(String::from).collect::<Vec<_>>()).0
    }

    #[test]
    fn czech_invoice_is_an_invoice() {
        assert_eq!(
            kind("FAKTURA č. 2024001\nOdběratel: X\nDatum splatnosti 1.1.2024"),
            DocumentKind::Invoice
        );
    }

    #[test]
    fn till_receipt_is_a_receipt() {
        assert_eq!(
            kind("Pokladní doklad\nHotově 200,00\nVráceno 10,00\nFIK: abc"),
            DocumentKind::Receipt
        );
    }

    #[test]
    fn warranty_card_and_contract_are_recognised() {
        assert_eq!(
            kind("ZÁRUČNÍ LIST\nZáruční doba 24 měsíců"),
            DocumentKind::Warranty
        );
        assert_eq!(
            kind("Kupní smlouva\nSmluvní strany"),
            DocumentKind::Contract
        );
    }

    #[test]
    fn text_without_clues_is_other() {
        assert_eq!(kind("hello world"), DocumentKind::Other);
    }
}
