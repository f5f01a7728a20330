//! Finds the amount the customer pays: the line labelled as a (grand) total in one of our
//! languages, cross-checked against tendered-minus-change and the VAT recap when present.

use super::amounts::find_amounts;
use super::vat::VatLine;
use crate::money::Cents;
use crate::text::{fold, has_word};

/// Labels of the final amount to pay, strongest first in meaning (weights below).
const PAYABLE: &[&str] = &[
    "grand total", "rounded total", "total rounded", "amount payable", "total payable",
    "amt payable", "amount due", "total due", "balance due", "total to pay", "nett total",
    "net total", "total amount due", "k uhrade", "k zaplaceni", "k platbe", "na uhradu",
    "celkem k uhrade", "zu zahlen", "zahlbetrag", "net a payer", "a payer", "te betalen",
    "do zaplaty", "razem do zaplaty", "suma do zaplaty", "total a payer",
];
const GROSS: &[&str] = &[
    "total incl", "total inclusive", "incl. gst", "inclusive of gst", "incl gst", "total ttc",
    "montant ttc", "celkem s dph", "celkem vc", "celkem vcetne", "celkova castka", "celkom",
    "spolu s dph", "suma s dph", "gesamtbetrag", "bruttobetrag", "rechnungsbetrag", "endbetrag",
    "summe brutto", "gesamt brutto", "totaalbedrag", "totaal incl", "te voldoen", "razem brutto",
    "wartosc brutto", "total amount", "total sales", "total amt", "invoice total",
];
const PLAIN: &[&str] = &[
    "total", "celkem", "suma", "summe", "gesamt", "totaal", "razem", "spolu", "montant",
    "totale", "importe", "betrag", "net amount", "amount", "payable", "sum", "bedrag",
];
/// Lines whose amount is not the total even though a total word may appear.
const NOT_TOTAL: &[&str] = &[
    "subtotal", "sub total", "sub-total", "sub tota", "subtota", "qty", "quantity", "items",
    "item count", "excl", "exclusive", "excluding", "before", "w/o", "bez dph", "zaklad",
    "netto", "total gst", "totalgst", "gst payable", "total tax", "tax amount", "dph celkem",
    "change", "rounding", "round adj", "discount", "saving", "sleva", "rabatt", "remise",
    "korting", "rabat", "tendered", "vraceno", "rueckgeld", "ruckgeld", "wechselgeld",
    "rendu", "wisselgeld", "reszta", "points", "point", "units", "deposit", "zaloha",
    "nettobetrag", "total ht", "montant ht", "mwst", "vat amount", "tax total", "tax code",
    "summary", "gst summary", "zwischensumme", "tip",
];
/// Lines stating what the customer handed over; tendered minus change is the total.
const TENDERED: &[&str] = &[
    "cash", "tunai", "tendered", "paid", "payment", "hotove", "hotovost", "prijato", "bar",
    "gegeben", "especes", "contant", "gotowka", "visa", "mastercard", "card", "karta", "kartou",
];
const CHANGE: &[&str] = &[
    "change", "vraceno", "vratit", "zpet", "ruckgeld", "wechselgeld", "rendu", "wisselgeld",
    "reszta", "balance",
];

fn contains_any(folded: &str, words: &[&str]) -> bool {
    words.iter().any(|w| has_word(folded, w))
}

/// How strongly a line's label says "this is the amount to pay"; `None` when it does not.
fn label_weight(folded: &str) -> Option<i32> {
    let payable = contains_any(folded, PAYABLE);
    let gross = contains_any(folded, GROSS);
    if !payable && !gross && contains_any(folded, NOT_TOTAL) {
        return None;
    }
    if payable {
        Some(6)
    } else if gross {
        Some(5)
    } else if contains_any(folded, PLAIN) {
        Some(3)
    } else {
        None
    }
}

fn last_positive_amount(line: &str) -> Option<Cents> {
    find_amounts(line).into_iter().rev().map(|a| a.cents).find(|c| c.0 > 0)
}

fn letters(line: &str) -> usize {
    line.chars().filter(|c| c.is_alphabetic()).count()
}

struct Candidate {
    weight: i32,
    cents: Cents,
    line: usize,
}

/// The total to pay and a confidence in it.
pub fn find(lines: &[String], vat: &[VatLine]) -> Option<(Cents, f32)> {
    let folded: Vec<String> = lines.iter().map(|l| fold(l)).collect();
    let mut candidates: Vec<Candidate> = Vec::new();
    for (i, f) in folded.iter().enumerate() {
        let Some(weight) = label_weight(f) else { continue };
        // The amount sits on the label's line, or alone on the next line when OCR split the row.
        let amount = last_positive_amount(&lines[i]).or_else(|| {
            let next = lines.get(i + 1)?;
            (letters(next) <= 4).then(|| last_positive_amount(next)).flatten()
        });
        if let Some(cents) = amount {
            candidates.push(Candidate { weight, cents, line: i });
        }
    }

    // Cross-checks: what was handed over minus the change, and the VAT recap's gross sum.
    let tendered_minus_change = tendered_minus_change(lines, &folded);
    let vat_gross: i64 = vat.iter().map(|v| v.gross.0).sum();
    for c in &mut candidates {
        if tendered_minus_change == Some(c.cents) {
            c.weight += 3;
        }
        if vat_gross > 0 && c.cents.0 == vat_gross {
            c.weight += 2;
        }
        // The same amount labelled as total more than once is more believable.
    }
    let repeats: Vec<i32> = candidates
        .iter()
        .map(|c| candidates.iter().filter(|o| o.cents == c.cents && o.line != c.line).count() as i32)
        .collect();
    for (c, r) in candidates.iter_mut().zip(repeats) {
        c.weight += r.min(2);
    }

    if let Some(best) = candidates
        .iter()
        .max_by_key(|c| (c.weight, c.cents.0, c.line))
    {
        let confidence = (0.35 + 0.08 * best.weight as f32).min(0.97);
        return Some((best.cents, confidence));
    }
    if let Some(amount) = tendered_minus_change {
        return Some((amount, 0.5));
    }
    if vat_gross > 0 {
        return Some((Cents(vat_gross), 0.5));
    }
    // Last resort: the largest amount not on a payment or change line.
    lines
        .iter()
        .zip(&folded)
        .filter(|(_, f)| !contains_any(f, TENDERED) && !contains_any(f, CHANGE))
        .flat_map(|(l, _)| find_amounts(l))
        .map(|a| a.cents)
        .filter(|c| c.0 > 0)
        .max()
        .map(|c| (c, 0.25))
}

/// Amount tendered minus change given, when both are printed and the result is positive.
fn tendered_minus_change(lines: &[String], folded: &[String]) -> Option<Cents> {
    let mut tendered = None;
    let mut change = None;
    for (line, f) in lines.iter().zip(folded) {
        let amount = last_positive_amount(line);
        if contains_any(f, CHANGE) && change.is_none() {
            change = amount;
        } else if contains_any(f, TENDERED) && tendered.is_none() && !contains_any(f, PLAIN) {
            tendered = amount;
        }
    }
    let (t, c) = (tendered?, change?);
    (t.0 > c.0 && c.0 > 0).then_some(Cents(t.0 - c.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(text: &str) -> Option<i64> {
        let lines: Vec<String> = text.lines().map(String::from).collect();
        find(&lines, &[]).map(|(c, _)| c.0)
    }

    #[test]
    fn payable_total_beats_subtotal_and_tax_summary() {
        let text = "Sub Total 30.00\nGST 6% 1.80\nTotal Amt Payable : 31.80\nCash 50.00\nChange 18.20\nTotal : 30.00 1.80";
        assert_eq!(total(text), Some(3180));
    }

    #[test]
    fn rounded_total_beats_unrounded_total() {
        let text = "Total Incl GST 18.82\nRounding -0.02\nRounded Total (RM): 18.80";
        assert_eq!(total(text), Some(1880));
    }

    #[test]
    fn czech_amount_to_pay_is_found_with_decimal_comma() {
        let text = "Základ 1 000,00\nDPH 21 % 210,00\nCelkem k úhradě 1 210,00 Kč";
        assert_eq!(total(text), Some(121_000));
    }

    #[test]
    fn total_amount_on_the_next_line_is_used() {
        assert_eq!(total("TOTAL\n12.50\nCASH 20.00"), Some(1250));
    }

    #[test]
    fn tendered_minus_change_confirms_the_total() {
        let text = "TOTAL 8.00\nTOTAL 18.00\nCASH 20.00\nCHANGE 2.00";
        assert_eq!(total(text), Some(1800));
    }
}
