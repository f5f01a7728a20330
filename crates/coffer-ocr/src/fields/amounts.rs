//! Finds the money amounts printed in one line: decimal amounts in the usual groupings, and
//! whole amounts when a currency mark or the Czech `,-` says they are money, in the notation of
//! the document's currency (three decimals for the dinar, none for the yen).

use std::sync::LazyLock;

use regex::Regex;

use crate::money::{Amount, Notation, parse_amount};

/// One amount in a line, with its byte span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmountMatch {
    pub amount: Amount,
    pub start: usize,
    pub end: usize,
}

/// Before a number: the line's start or a character that cannot belong to it, then perhaps
/// marks glued to its front that cannot either (dot leaders `TOTAL......12.50`, a speck read
/// as `.` in `.1348,26` or `DPH.21%`); a mark after a digit would make it part of a longer
/// number.
pub const BEFORE_NUMBER: &str = r"(?:^|[^\d.,])[.,]*";

static DECIMAL: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r"
        (?P<amount>
            -?
            (?: \d{1,3}(?:,\d{3})+\.\d{2}
              | \d{1,2}(?:,\d{2})+,\d{3}\.\d{2}
              | \d{1,3}(?:\.\d{3})+,\d{2}
              | \d{1,3}(?:[\ \u{a0}]\d{3})+,\d{2}
              | \d{1,3}(?:'\d{3})+\.\d{2}
              | \d+[.,]\d{2}
            )
        )
        (?P<trail>-|,-)?
        (?:[^\d]|$)";
    Regex::new(&["(?x)", BEFORE_NUMBER, pattern].concat()).unwrap()
});

/// Three decimals after a point, for the currencies that have them (KWD, BHD, OMR).
static THREE_DECIMALS: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r"(?P<amount>-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d{3})(?P<trail>-)?(?:[^\d]|$)";
    Regex::new(&[BEFORE_NUMBER, pattern].concat()).unwrap()
});

/// A whole number that a currency mark after it (`250 Kč`, `250,-`) or before it (`¥12,000`,
/// `Rs 500`, `INR 1,20,000`) makes money.
static WHOLE_WITH_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&[
        r"(?xi) (?: ",
        BEFORE_NUMBER,
        r" (?P<amount>\d{1,3}(?:[\ .,]\d{3})+|\d{1,2}(?:,\d{2})+,\d{3}|\d{1,7})
            (?: ,- | \.- | \s?(?:kč|kc|czk|eur|zł|pln|jpy|yen|inr|円)\b | \s?[€¥₹円]) )
        | (?: (?:[¥₹]|\b(?:jpy|inr|rs\.?|kwd)) \s? (?P<after>\d{1,3}(?:,\d{3})+|\d{1,2}(?:,\d{2})+,\d{3}|\d{1,7}) (?:[^\d.,]|$) )",
    ]
    .concat())
    .unwrap()
});

/// A whole number grouped in thousands (`12,000`), money on a document in a currency without
/// minor units (the yen).
static GROUPED_WHOLE: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r"(?P<amount>\d{1,3}(?:,\d{3})+)(?:[^\d.,]|$|[.,](?:\D|$))";
    Regex::new(&[BEFORE_NUMBER, pattern].concat()).unwrap()
});

/// Every amount in the line, left to right, as the document's notation writes them.
pub fn find_amounts(line: &str, notation: Notation) -> Vec<AmountMatch> {
    let mut out = Vec::new();
    let push = |out: &mut Vec<AmountMatch>, m: regex::Match, negative: bool| {
        if out
            .iter()
            .any(|a: &AmountMatch| a.start < m.end() && m.start() < a.end)
        {
            return;
        }
        if let Some(amount) = parse_amount(m.as_str(), true, notation) {
            let amount = if negative { -amount.abs() } else { amount };
            out.push(AmountMatch {
                amount,
                start: m.start(),
                end: m.end(),
            });
        }
    };
    if notation.digits == 3 {
        let mut at = 0;
        while let Some(c) = THREE_DECIMALS.captures_at(line, at) {
            let m = c.name("amount").expect("amount group");
            at = m.end();
            push(&mut out, m, c.name("trail").is_some());
        }
    }
    let mut at = 0;
    while let Some(c) = DECIMAL.captures_at(line, at) {
        let m = c.name("amount").expect("amount group");
        at = m.end();
        if parse_amount(m.as_str(), false, notation).is_some() {
            let trailing_minus = c.name("trail").is_some_and(|t| t.as_str() == "-");
            push(&mut out, m, trailing_minus);
        }
    }
    let mut at = 0;
    while let Some(c) = WHOLE_WITH_MARK.captures_at(line, at) {
        let m = c
            .name("amount")
            .or_else(|| c.name("after"))
            .expect("amount group");
        at = m.end().max(at + 1);
        // `803, 55 Kč` is 803.55 with a stray space (and perhaps a speck, `810, ‚97 EUR`),
        // not 55 crowns.
        let before = &line[..m.start()];
        let marks = before.trim_end_matches(|c: char| !c.is_alphanumeric());
        if before[marks.len()..].contains([',', '.'])
            && marks.ends_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        push(&mut out, m, false);
    }
    if notation.digits == 0 {
        let mut at = 0;
        while let Some(c) = GROUPED_WHOLE.captures_at(line, at) {
            let m = c.name("amount").expect("amount group");
            at = m.end();
            push(&mut out, m, false);
        }
    }
    out.sort_by_key(|a| a.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(line: &str) -> Vec<i64> {
        find_amounts(line, Notation::USUAL)
            .iter()
            .map(|a| a.amount.thousandths() / 10)
            .collect()
    }

    #[test]
    fn amounts_in_receipt_lines_are_found_left_to_right() {
        assert_eq!(cents("TAPE @ 2.50 12 30.00 SR"), vec![250, 3000]);
        assert_eq!(cents("Celkem k úhradě: 1 234,50 Kč"), vec![123_450]);
        assert_eq!(cents("Summe EUR 1.234,56"), vec![123_456]);
    }

    #[test]
    fn marks_glued_before_an_amount_are_leaders_or_specks_not_digits() {
        assert_eq!(cents("TOTAL ......12.50"), vec![1250]);
        assert_eq!(cents("Celkem k úhradě: .1348,26KE"), vec![134_826]);
        assert_eq!(cents("Celkem ....250 Kč"), vec![25_000]);
        // A mark after a digit belongs to the number: no amount hides inside another.
        assert_eq!(cents("Summe 1.234,56"), vec![123_456]);
        assert_eq!(cents("ref 0.1348,26"), Vec::<i64>::new());
    }

    #[test]
    fn whole_amounts_count_only_with_a_currency_mark() {
        assert_eq!(cents("Celkem 250 Kč"), vec![25_000]);
        assert_eq!(cents("Celkem 250,-"), vec![25_000]);
        assert_eq!(cents("Qty 250"), Vec::<i64>::new());
    }

    #[test]
    fn cents_after_a_stray_space_are_not_whole_crowns() {
        assert_eq!(cents("Celkem k úhradě: 803, 55 Kč"), Vec::<i64>::new());
        assert_eq!(cents("Spolu na úhradu: 70 810, ‚97 EUR"), Vec::<i64>::new());
        assert_eq!(cents("Celkem: 250 Kč"), vec![25_000]);
    }

    #[test]
    fn yen_rupee_and_dinar_amounts_are_read_in_their_own_notation() {
        let yen = Notation { digits: 0 };
        let whole = |line: &str, n: Notation| -> Vec<i64> {
            find_amounts(line, n)
                .iter()
                .map(|a| a.amount.thousandths() / 1000)
                .collect()
        };
        assert_eq!(whole("合計 ¥12,800", yen), vec![12_800]);
        assert_eq!(whole("3 x 4,000 12,000", yen), vec![4_000, 12_000]);
        assert_eq!(whole("合計.....12,800", yen), vec![12_800]);
        assert_eq!(whole("Total JPY 12,800", Notation::USUAL), vec![12_800]);
        assert_eq!(cents("Grand Total ₹ 1,20,000.00"), vec![12_000_000]);
        assert_eq!(cents("Total Rs. 4,500"), vec![450_000]);
        let dinar = Notation { digits: 3 };
        let kwd: Vec<i64> = find_amounts("Total KWD 1,250.375", dinar)
            .iter()
            .map(|a| a.amount.thousandths())
            .collect();
        assert_eq!(kwd, vec![1_250_375]);
        // The same digits in a two-decimal document are a grouped whole number at most.
        assert_eq!(cents("Qty 12.345 pcs"), Vec::<i64>::new());
    }

    #[test]
    fn discounts_with_a_trailing_minus_are_negative() {
        assert_eq!(cents("Sleva 5,00-"), vec![-500]);
    }
}
