//! How the document was (or is to be) paid: cash, card or bank transfer.

use serde::Serialize;

use crate::text::{fold, has_word};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    BankTransfer,
}

const CARD: &[&str] = &[
    "visa",
    "mastercard",
    "master card",
    "maestro",
    "amex",
    "kartou",
    "platebni karta",
    "platba kartou",
    "karta",
    "card",
    "credit",
    "debit",
    "ec-karte",
    "girocard",
    "kartenzahlung",
    "carte bancaire",
    "cb",
    "pinnen",
    "pin",
    "karta platnicza",
    "contactless",
    "bezkontakt",
];
const CASH: &[&str] = &[
    "hotove",
    "hotovost",
    "v hotovosti",
    "cash",
    "tunai",
    "bar",
    "barzahlung",
    "especes",
    "contant",
    "gotowka",
    "vraceno",
    "change",
];
const TRANSFER: &[&str] = &[
    "prevodem",
    "bankovni prevod",
    "prevod",
    "bank transfer",
    "wire transfer",
    "uberweisung",
    "virement",
    "overschrijving",
    "przelew",
    "platba prevodem",
    "zpusob uhrady: prevod",
    "iban",
    "variabilni symbol",
];

/// The payment method named in the text, preferring explicit card and transfer words.
pub fn find(lines: &[String]) -> Option<(PaymentMethod, f32)> {
    let folded: Vec<String> = lines.iter().map(|l| fold(l)).collect();
    let any = |words: &[&str]| folded.iter().any(|l| words.iter().any(|w| has_word(l, w)));
    if any(CARD) {
        Some((PaymentMethod::Card, 0.7))
    } else if any(CASH) {
        Some((PaymentMethod::Cash, 0.7))
    } else if any(TRANSFER) {
        Some((PaymentMethod::BankTransfer, 0.6))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(text: &str) -> Option<PaymentMethod> {
        find(&text.lines().map(String::from).collect::<Vec<_>>()).map(|m| m.0)
    }

    #[test]
    fn payment_words_in_several_languages_are_recognised() {
        assert_eq!(method("Platba kartou 120,00"), Some(PaymentMethod::Card));
        assert_eq!(method("Hotově 200,00"), Some(PaymentMethod::Cash));
        assert_eq!(
            method("Způsob úhrady: převodem"),
            Some(PaymentMethod::BankTransfer)
        );
        assert_eq!(
            method("Zahlung per Überweisung"),
            Some(PaymentMethod::BankTransfer)
        );
        assert_eq!(method("nothing here"), None);
    }
}
