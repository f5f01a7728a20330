//! How the document was (or is to be) paid: cash, card or bank transfer.

use std::sync::LazyLock;

use crate::text::{fold, has_word};
use crate::words::{Words, all};

pub use coffer_core::PaymentMethod;

pub(super) static CARD: Words = LazyLock::new(|| all(|l| l.card));
static CASH: Words = LazyLock::new(|| all(|l| l.cash));
static TRANSFER: Words = LazyLock::new(|| all(|l| l.transfer));

/// The payment method named in the text, preferring explicit card and transfer words.
pub fn find(lines: &[String]) -> Option<(PaymentMethod, f32)> {
    let folded: Vec<String> = lines.iter().map(|l| fold(l)).collect();
    let any = |words: &[&str]| folded.iter().any(|l| words.iter().any(|w| has_word(l, w)));
    if any(&CARD) {
        Some((PaymentMethod::Card, 0.7))
    } else if any(&CASH) {
        Some((PaymentMethod::Cash, 0.7))
    } else if any(&TRANSFER) {
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
