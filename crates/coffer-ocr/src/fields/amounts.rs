//! Finds the money amounts printed in one line: decimal amounts in the usual groupings, and
//! whole amounts when a currency mark or the Czech `,-` says they are money.

use std::sync::LazyLock;

use regex::Regex;

use crate::money::{Cents, parse_amount};

/// One amount in a line, with its byte span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AmountMatch {
    pub cents: Cents,
    pub start: usize,
    pub end: usize,
}

static DECIMAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:^|[^\d.,])
        (?P<amount>
            -?
            (?: \d{1,3}(?:,\d{3})+\.\d{2}
              | \d{1,3}(?:\.\d{3})+,\d{2}
              | \d{1,3}(?:[\ \u{a0}]\d{3})+,\d{2}
              | \d{1,3}(?:'\d{3})+\.\d{2}
              | \d+[.,]\d{2}
            )
        )
        (?P<trail>-|,-)?
        (?:[^\d]|$)",
    )
    .unwrap()
});

static WHOLE_WITH_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        (?:^|[^\d.,])
        (?P<amount>\d{1,3}(?:[\ .]\d{3})+|\d{1,7})
        (?: ,- | \.- | \s?(?:kč|kc|czk|eur|€|zł|pln)\b | \s?€)",
    )
    .unwrap()
});

/// Every amount in the line, left to right.
pub fn find_amounts(line: &str) -> Vec<AmountMatch> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(c) = DECIMAL.captures_at(line, at) {
        let m = c.name("amount").expect("amount group");
        at = m.end();
        let trailing_minus = c.name("trail").is_some_and(|t| t.as_str() == "-");
        if let Some(cents) = parse_amount(m.as_str(), false) {
            let cents = if trailing_minus {
                Cents(-cents.0.abs())
            } else {
                cents
            };
            out.push(AmountMatch {
                cents,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    let mut at = 0;
    while let Some(c) = WHOLE_WITH_MARK.captures_at(line, at) {
        let m = c.name("amount").expect("amount group");
        at = c.get(0).expect("group 0").end();
        if out.iter().any(|a| a.start < m.end() && m.start() < a.end) {
            continue;
        }
        // `803, 55 Kč` is 803.55 with a stray space, not 55 crowns.
        let before = line[..m.start()].trim_end();
        if before.ends_with([',', '.'])
            && before[..before.len() - 1].ends_with(|c: char| c.is_ascii_digit())
        {
            continue;
        }
        if let Some(cents) = parse_amount(m.as_str(), true) {
            out.push(AmountMatch {
                cents,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    out.sort_by_key(|a| a.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(line: &str) -> Vec<i64> {
        find_amounts(line).iter().map(|a| a.cents.0).collect()
    }

    #[test]
    fn amounts_in_receipt_lines_are_found_left_to_right() {
        assert_eq!(cents("TAPE @ 2.50 12 30.00 SR"), vec![250, 3000]);
        assert_eq!(cents("Celkem k úhradě: 1 234,50 Kč"), vec![123_450]);
        assert_eq!(cents("Summe EUR 1.234,56"), vec![123_456]);
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
    }

    #[test]
    fn discounts_with_a_trailing_minus_are_negative() {
        assert_eq!(cents("Sleva 5,00-"), vec![-500]);
    }
}
