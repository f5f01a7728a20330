//! Amounts as printed on receipts and invoices. They are read as exact decimals before the
//! currency is known (OCR often finds a total before, or without, its currency) and become
//! coffer-core's `Money`, in the currency's own minor units, only once it is. Parsing accepts
//! decimal commas and points, thousands separators (space, dot, comma, apostrophe), Indian
//! lakh grouping (`1,20,000.00`), three decimals where the currency has them (KWD) and the
//! Czech `,-` notation for whole amounts.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};

use coffer_core::{Currency, Money};
use serde::{Serialize, Serializer};

/// Digits after the decimal point that an `Amount` keeps: three, the most that any currency
/// Coffer meets uses (KWD, BHD, OMR).
const SCALE: u32 = 3;
const UNIT: i64 = 1_000;

/// An exact decimal amount as printed, without its currency, in thousandths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// `cents` hundredths: `Amount::from_cents(3180)` is 31.80.
    pub const fn from_cents(cents: i64) -> Amount {
        Amount(cents * 10)
    }

    /// `thousandths` thousandths: `Amount::from_thousandths(12_345)` is 12.345.
    pub const fn from_thousandths(thousandths: i64) -> Amount {
        Amount(thousandths)
    }

    /// A whole number and `fraction` written with `fraction_digits` digits (at most three).
    fn from_parts(whole: i64, fraction: i64, fraction_digits: u32) -> Option<Amount> {
        let fraction =
            fraction.checked_mul(10i64.checked_pow(SCALE.checked_sub(fraction_digits)?)?)?;
        Some(Amount(whole.checked_mul(UNIT)?.checked_add(fraction)?))
    }

    /// A decimal as machines write it (ISDOC, QR payment codes, JSON): an optional minus,
    /// digits, and at most three decimals after a point: `1210.00`, `480.5`, `12.345`.
    pub fn parse_plain(text: &str) -> Option<Amount> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 15 || fraction.len() > 3 {
            return None;
        }
        if !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let amount = Amount::from_parts(
            whole.parse().ok()?,
            if fraction.is_empty() {
                0
            } else {
                fraction.parse().ok()?
            },
            fraction.len() as u32,
        )?;
        Some(if negative { -amount } else { amount })
    }

    pub fn thousandths(self) -> i64 {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn abs(self) -> Amount {
        Amount(self.0.abs())
    }

    /// Whether the amount is a whole multiple of `cents` hundredths (a cash rounding step).
    pub fn is_multiple_of_cents(self, cents: i64) -> bool {
        self.0 % (cents * 10) == 0
    }

    /// The amount in `currency`'s minor units; `None` when the currency has fewer digits than
    /// the amount needs (12.345 yen).
    pub fn to_money(self, currency: Currency) -> Option<Money> {
        Money::from_decimal(self.0, SCALE, currency)
    }

    /// A plain decimal string with a point and two decimals, or three when the third is not
    /// zero: `31.80`, `12.345`, `-0.05`.
    pub fn decimal(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, fraction) = (abs / UNIT as u64, abs % UNIT as u64);
        if fraction % 10 == 0 {
            format!("{sign}{whole}.{:02}", fraction / 10)
        } else {
            format!("{sign}{whole}.{fraction:03}")
        }
    }
}

impl Add for Amount {
    type Output = Amount;
    fn add(self, other: Amount) -> Amount {
        Amount(self.0.saturating_add(other.0))
    }
}

impl Sub for Amount {
    type Output = Amount;
    fn sub(self, other: Amount) -> Amount {
        Amount(self.0.saturating_sub(other.0))
    }
}

impl Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(-self.0)
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, Add::add)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.decimal())
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.decimal())
    }
}

/// How a document writes its amounts: the digits after the decimal mark that its currency
/// uses (2 for most, 3 for the Kuwaiti dinar, 0 for the yen). Unknown currency reads as 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notation {
    pub digits: u32,
}

impl Notation {
    pub const USUAL: Notation = Notation { digits: 2 };

    pub fn of(currency: Option<Currency>) -> Notation {
        currency.map_or(Notation::USUAL, |c| Notation {
            digits: c.minor_digits(),
        })
    }
}

impl Default for Notation {
    fn default() -> Self {
        Notation::USUAL
    }
}

/// Parses one amount token as printed: `1 234,56`, `1.234,56`, `1,234.56`, `1,20,000.00`,
/// `31.80`, `250,-`, `-12,00`, and `12.345` where the notation has three decimals. Requires
/// decimals unless `allow_whole` (then `250` and `250,-` pass too).
pub fn parse_amount(token: &str, allow_whole: bool, notation: Notation) -> Option<Amount> {
    let t = token.trim();
    let (negative, t) = match t.strip_prefix('-').or_else(|| t.strip_prefix('−')) {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t),
    };
    let t = t
        .trim_end_matches(['-', '—', '–'])
        .trim_end_matches([',', '.']);
    let whole_dash = token.trim_end().ends_with(",-") || token.trim_end().ends_with(".-");
    if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let chars: Vec<char> = t.chars().collect();
    let n = chars.len();
    let fraction_after = |digits: usize, marks: &[char]| {
        n > digits + 1
            && marks.contains(&chars[n - digits - 1])
            && chars[n - digits..].iter().all(char::is_ascii_digit)
    };
    // The decimal mark is a '.' or ',' followed by exactly two digits at the end, or by three
    // after a point where the currency has three decimals.
    let fraction_digits = if fraction_after(2, &['.', ',']) {
        2
    } else if notation.digits == 3 && fraction_after(3, &['.']) {
        3
    } else if allow_whole || whole_dash {
        0
    } else {
        return None;
    };
    let int_end = if fraction_digits == 0 {
        n
    } else {
        n - fraction_digits - 1
    };
    let fraction: i64 = chars[int_end..]
        .iter()
        .filter_map(|c| c.to_digit(10))
        .fold(0, |acc, d| acc * 10 + i64::from(d));
    let whole = grouped_whole(&chars[..int_end])?;
    let amount = Amount::from_parts(whole, fraction, fraction_digits as u32)?;
    Some(if negative { -amount } else { amount })
}

/// The whole part of an amount, with its thousands (or Indian lakh) grouping checked.
fn grouped_whole(chars: &[char]) -> Option<i64> {
    let mut groups: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut separator: Option<char> = None;
    for &c in chars {
        if c.is_ascii_digit() {
            current.push(c);
        } else if matches!(c, ' ' | '.' | ',' | '\'' | '\u{a0}' | '\u{202f}') {
            if separator.is_some_and(|s| s != c) || current.is_empty() {
                return None;
            }
            separator = Some(c);
            groups.push(std::mem::take(&mut current));
        } else {
            return None;
        }
    }
    groups.push(current);
    if groups.len() > 1 {
        let thousands = groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3);
        // 1,23,45,678: the last group of three, pairs before it (India).
        let (last, middle) = groups[1..].split_last()?;
        let lakh = separator == Some(',')
            && last.len() == 3
            && !middle.is_empty()
            && groups[0].len() <= 2
            && middle.iter().all(|g| g.len() == 2);
        if groups[0].is_empty() || !(thousands || lakh) {
            return None;
        }
    }
    let digits: String = groups.concat();
    if digits.is_empty() || digits.len() > 12 {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(token: &str) -> Option<i64> {
        parse_amount(token, false, Notation::USUAL).map(|a| a.thousandths() / 10)
    }

    #[test]
    fn decimal_comma_and_point_amounts_parse_exactly() {
        assert_eq!(cents("31.80"), Some(3180));
        assert_eq!(cents("31,80"), Some(3180));
        assert_eq!(cents("1 234,56"), Some(123_456));
        assert_eq!(cents("1.234,56"), Some(123_456));
        assert_eq!(cents("1,234.56"), Some(123_456));
        assert_eq!(cents("-0,02"), Some(-2));
    }

    #[test]
    fn indian_lakh_grouping_is_read() {
        assert_eq!(cents("1,20,000.00"), Some(12_000_000));
        assert_eq!(cents("12,34,567.50"), Some(123_456_750));
        assert_eq!(cents("1,2,000.00"), None);
    }

    #[test]
    fn three_decimals_count_only_where_the_currency_has_them() {
        let kwd = Notation { digits: 3 };
        let amount = parse_amount("1,250.375", false, kwd).unwrap();
        assert_eq!(amount.thousandths(), 1_250_375);
        assert_eq!(amount.decimal(), "1250.375");
        assert_eq!(parse_amount("12.345", false, Notation::USUAL), None);
        assert_eq!(
            parse_amount("12.345", true, Notation::USUAL).map(Amount::thousandths),
            Some(12_345_000),
            "a thousands group in a two-decimal currency"
        );
    }

    #[test]
    fn machine_written_decimals_parse_exactly() {
        let plain = |t: &str| Amount::parse_plain(t).map(Amount::thousandths);
        assert_eq!(plain("1210.00"), Some(1_210_000));
        assert_eq!(plain("480.5"), Some(480_500));
        assert_eq!(plain("12.345"), Some(12_345));
        assert_eq!(plain("-3"), Some(-3_000));
        for bad in ["", "1,5", "1.2345", "12a", "-", ".5"] {
            assert_eq!(plain(bad), None, "{bad}");
        }
    }

    #[test]
    fn whole_amounts_need_permission_or_a_czech_dash() {
        assert_eq!(cents("250"), None);
        assert_eq!(
            parse_amount("250", true, Notation::USUAL),
            Some(Amount::from_cents(25_000))
        );
        assert_eq!(cents("250,-"), Some(25_000));
    }

    #[test]
    fn malformed_groupings_are_rejected() {
        assert_eq!(cents("12.34.56"), None);
        assert_eq!(cents("1 23,45"), None);
        assert_eq!(parse_amount("abc", true, Notation::USUAL), None);
    }

    #[test]
    fn amounts_print_as_plain_decimals_and_become_money_in_minor_units() {
        assert_eq!(Amount::from_cents(3180).decimal(), "31.80");
        assert_eq!(Amount::from_cents(-5).decimal(), "-0.05");
        let code = |c: &str| c.parse::<Currency>().unwrap();
        let yen = parse_amount("12,000", true, Notation { digits: 0 }).unwrap();
        assert_eq!(yen.to_money(code("JPY")).map(|m| m.minor), Some(12_000));
        assert_eq!(
            Amount::from_thousandths(12_345)
                .to_money(code("KWD"))
                .map(|m| m.minor),
            Some(12_345)
        );
        assert_eq!(
            Amount::from_cents(3180)
                .to_money(code("EUR"))
                .map(|m| m.minor),
            Some(3180)
        );
        assert_eq!(Amount::from_thousandths(12_345).to_money(code("JPY")), None);
    }
}
