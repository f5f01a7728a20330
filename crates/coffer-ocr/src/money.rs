//! Money as printed on receipts and invoices: integer minor units plus an ISO 4217 currency.
//! Parsing accepts decimal commas and points, thousands separators (space, dot, comma,
//! apostrophe) and the Czech `,-` notation for whole amounts.

use std::fmt;

use serde::{Serialize, Serializer};

/// An ISO 4217 currency code such as `CZK` or `EUR`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const CZK: Currency = Currency(*b"CZK");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const USD: Currency = Currency(*b"USD");
    pub const GBP: Currency = Currency(*b"GBP");
    pub const PLN: Currency = Currency(*b"PLN");
    pub const CHF: Currency = Currency(*b"CHF");
    pub const MYR: Currency = Currency(*b"MYR");

    /// Reads a three-letter code (case-insensitive); `None` unless it is three ASCII letters.
    pub fn from_code(code: &str) -> Option<Currency> {
        let bytes = code.trim().as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        let mut out = [0u8; 3];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_uppercase();
        }
        Some(Currency(out))
    }

    pub fn code(&self) -> &str {
        // Constructed only from ASCII letters, so this never fails.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of digits after the decimal point (ISO 4217 exponent) for the currencies we meet.
    pub fn exponent(&self) -> u32 {
        match self.code() {
            "JPY" | "KRW" | "HUF" | "ISK" => 0,
            _ => 2,
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// An amount in hundredths (minor units with exponent 2), the unit every parser here yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cents(pub i64);

impl Cents {
    /// The amount as a plain decimal string with a point: `3180` → `"31.80"`.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Cents {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_decimal_string())
    }
}

/// A monetary amount: minor units (hundredths) and, when known, its currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    pub amount: Cents,
    pub currency: Option<Currency>,
}

/// Parses one amount token as printed: `1 234,56`, `1.234,56`, `1,234.56`, `31.80`, `250,-`,
/// `-12,00`. Requires two decimals unless `allow_whole` (then `250` and `250,-` pass too).
pub fn parse_amount(token: &str, allow_whole: bool) -> Option<Cents> {
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
    // The decimal separator is a '.' or ',' followed by exactly two digits at the end.
    let n = chars.len();
    let has_decimals = n >= 4
        && matches!(chars[n - 3], '.' | ',')
        && chars[n - 2].is_ascii_digit()
        && chars[n - 1].is_ascii_digit();
    let (int_part, frac): (&[char], i64) = if has_decimals {
        let f = (chars[n - 2] as i64 - '0' as i64) * 10 + (chars[n - 1] as i64 - '0' as i64);
        (&chars[..n - 3], f)
    } else if allow_whole || whole_dash {
        (&chars[..], 0)
    } else {
        return None;
    };
    let mut groups = Vec::new();
    let mut current = String::new();
    let mut separator: Option<char> = None;
    for &c in int_part {
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
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return None;
    }
    let digits: String = groups.concat();
    if digits.is_empty() || digits.len() > 12 {
        return None;
    }
    let whole: i64 = digits.parse().ok()?;
    let cents = whole.checked_mul(100)?.checked_add(frac)?;
    Some(Cents(if negative { -cents } else { cents }))
}

/// Detects a currency from marks printed near an amount or anywhere on the document.
pub fn currency_from_text(text: &str) -> Option<Currency> {
    let lower = text.to_lowercase();
    let has_word = |w: &str| {
        lower.match_indices(w).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + w.len()..].chars().next();
            !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic)
        })
    };
    if has_word("kč") || has_word("czk") || has_word("kc") && has_word("dph") {
        Some(Currency::CZK)
    } else if lower.contains('€') || has_word("eur") || has_word("euro") {
        Some(Currency::EUR)
    } else if has_word("zł") || has_word("pln") || has_word("zl") && has_word("razem") {
        Some(Currency::PLN)
    } else if lower.contains('£') || has_word("gbp") {
        Some(Currency::GBP)
    } else if has_word("chf") {
        Some(Currency::CHF)
    } else if has_word("rm") || has_word("myr") {
        Some(Currency::MYR)
    } else if lower.contains("us$") || has_word("usd") || lower.contains('$') {
        Some(Currency::USD)
    } else {
        currency_from_country_hints(&lower, &has_word)
    }
}

/// When no currency is printed (or OCR mangled `Kč`), the tax vocabulary and VAT id prefixes
/// tell the country: DPH/IČO/`CZ…` mean Czech crowns, `SK…` and the euro area's VAT words euros.
fn currency_from_country_hints(lower: &str, has_word: &dyn Fn(&str) -> bool) -> Option<Currency> {
    let vat_prefix = |prefix: &str| {
        lower.match_indices(prefix).any(|(i, _)| {
            lower[i + prefix.len()..]
                .chars()
                .take(8)
                .filter(char::is_ascii_digit)
                .count()
                == 8
        })
    };
    if vat_prefix("dič: cz")
        || vat_prefix("dic: cz")
        || vat_prefix("dič cz")
        || (has_word("dph") && !vat_prefix("sk"))
    {
        Some(Currency::CZK)
    } else if has_word("ptu") || has_word("nip") {
        Some(Currency::PLN)
    } else if vat_prefix("sk")
        || has_word("mwst")
        || has_word("ust")
        || has_word("tva")
        || has_word("btw")
    {
        Some(Currency::EUR)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_comma_and_point_amounts_parse_to_cents() {
        assert_eq!(parse_amount("31.80", false), Some(Cents(3180)));
        assert_eq!(parse_amount("31,80", false), Some(Cents(3180)));
        assert_eq!(parse_amount("1 234,56", false), Some(Cents(123_456)));
        assert_eq!(parse_amount("1.234,56", false), Some(Cents(123_456)));
        assert_eq!(parse_amount("1,234.56", false), Some(Cents(123_456)));
        assert_eq!(parse_amount("-0,02", false), Some(Cents(-2)));
    }

    #[test]
    fn whole_amounts_need_permission_or_a_czech_dash() {
        assert_eq!(parse_amount("250", false), None);
        assert_eq!(parse_amount("250", true), Some(Cents(25_000)));
        assert_eq!(parse_amount("250,-", false), Some(Cents(25_000)));
    }

    #[test]
    fn malformed_groupings_are_rejected() {
        assert_eq!(parse_amount("12.34.56", false), None);
        assert_eq!(parse_amount("1 23,45", false), None);
        assert_eq!(parse_amount("abc", true), None);
    }

    #[test]
    fn cents_print_as_plain_decimal_strings() {
        assert_eq!(Cents(3180).to_decimal_string(), "31.80");
        assert_eq!(Cents(-5).to_decimal_string(), "-0.05");
    }

    #[test]
    fn currency_marks_are_recognised_in_several_languages() {
        assert_eq!(currency_from_text("Celkem 120,00 Kč"), Some(Currency::CZK));
        assert_eq!(currency_from_text("Summe EUR 12,00"), Some(Currency::EUR));
        assert_eq!(currency_from_text("Total 12,00 €"), Some(Currency::EUR));
        assert_eq!(currency_from_text("Razem PLN 5,00"), Some(Currency::PLN));
        assert_eq!(currency_from_text("TOTAL 5.00"), None);
    }

    #[test]
    fn czech_tax_words_imply_crowns_when_the_currency_mark_is_unreadable() {
        assert_eq!(
            currency_from_text("DPH 21 % 100,00 21,00\nCelkem 121,00 K6"),
            Some(Currency::CZK)
        );
        assert_eq!(
            currency_from_text("MwSt 19 % 1,90\nSumme 11,90"),
            Some(Currency::EUR)
        );
    }
}
