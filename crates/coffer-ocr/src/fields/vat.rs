//! VAT recap lines (rate, base, tax, gross) as printed under receipts and invoices in every
//! market we serve (`DPH 21 %`, `MwSt 19%`, `TVA 20%`, `BTW 21%`, `PTU A 23%`, `GST 6%`), with
//! the check that base + tax = gross and that the tax matches the rate.

use std::sync::LazyLock;

use coffer_core::{Currency, VatLine};
use regex::Regex;
use serde::{Serialize, Serializer};

use super::amounts::{BEFORE_NUMBER, find_amounts};
use crate::money::{Amount, Notation};
use crate::text::{fold, has_word};
use crate::words::{Words, all};

/// One row of the VAT recap as printed: the rate, the base, the tax on it and their sum, as
/// decimals. It becomes coffer-core's `VatLine` (minor units) once the currency is known;
/// the gross is kept only to check the row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VatRow {
    /// The rate in hundredths of a percent: 21 % is 2100.
    pub rate_bp: u32,
    pub base: Amount,
    pub tax: Amount,
    /// Base plus tax as printed, or computed when the recap prints no gross column.
    pub gross: Amount,
}

impl VatRow {
    /// A recap row whose gross is base plus tax.
    pub fn new(rate_bp: u32, base: Amount, tax: Amount) -> VatRow {
        VatRow {
            rate_bp,
            base,
            tax,
            gross: base + tax,
        }
    }

    /// True when base + tax = gross and the tax is the rate applied to the base (allowing
    /// for per-item rounding).
    pub fn is_consistent(&self) -> bool {
        self.base + self.tax == self.gross && self.tax_matches_rate()
    }

    fn tax_matches_rate(&self) -> bool {
        let (base, tax) = (
            self.base.thousandths() as i128,
            self.tax.thousandths() as i128,
        );
        let expected = base * self.rate_bp as i128 / 10_000;
        // Two cents, plus a cent in every twenty units of base.
        let slack = 20 + base.abs() / 2_000;
        (expected - tax).abs() <= slack
    }

    /// The row in `currency`'s minor units; `None` when an amount does not fit its digits.
    pub fn to_vat_line(&self, currency: Currency) -> Option<VatLine> {
        Some(VatLine {
            rate_basis_points: self.rate_bp,
            base_minor: self.base.to_money(currency)?.minor,
            tax_minor: self.tax.to_money(currency)?.minor,
        })
    }
}

impl Serialize for VatRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let rate = if self.rate_bp.is_multiple_of(100) {
            format!("{}", self.rate_bp / 100)
        } else {
            format!("{}.{:02}", self.rate_bp / 100, self.rate_bp % 100)
                .trim_end_matches('0')
                .to_string()
        };
        let mut st = s.serialize_struct("VatLine", 5)?;
        st.serialize_field("rate", &rate)?;
        st.serialize_field("base", &self.base)?;
        st.serialize_field("tax", &self.tax)?;
        st.serialize_field("gross", &self.gross)?;
        st.serialize_field("consistent", &self.is_consistent())?;
        st.end()
    }
}

static RATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&[BEFORE_NUMBER, r"(\d{1,2})(?:[.,](\d{1,2}))?\s?%"].concat()).unwrap()
});
static VAT_WORDS: Words = LazyLock::new(|| all(|l| l.tax));

/// VAT lines found in the text, one per rate, in order of appearance.
pub fn find(lines: &[String], notation: Notation) -> Vec<VatRow> {
    let mut out: Vec<VatRow> = Vec::new();
    for line in lines {
        let Some(rate) = RATE.captures(line) else {
            continue;
        };
        let rate_bp = rate_of(&rate);
        if rate_bp == 0 || rate_bp > 2_700 {
            continue;
        }
        let folded = fold(line);
        let rate_end = rate.get(0).expect("group 0").end();
        // A recap has no negative figures (credit notes aside): a minus there is OCR noise.
        let amounts: Vec<Amount> = find_amounts(&line[rate_end..], notation)
            .iter()
            .map(|a| a.amount.abs())
            .collect();
        let has_vat_word = VAT_WORDS.iter().any(|w| folded.contains(w));
        if amounts.len() < 2 && !has_vat_word {
            continue;
        }
        if let Some(v) = best_split(rate_bp, &amounts)
            && !out.iter().any(|o| o.rate_bp == v.rate_bp)
        {
            out.push(v);
        }
    }
    out
}

/// Adds the rates an invoice states on their own lines: a tax line with its rate and one
/// amount (`TVA 5,5 % 6,13 €`, `zzgl. 19 % MwSt. 11,94 €`) and, within three lines of it, the
/// base the rate turns into exactly that tax (`Total HT 111,50 €`, `Základ dane 20 %: 40,00`).
pub fn with_separate_lines(
    lines: &[String],
    mut recap: Vec<VatRow>,
    notation: Notation,
) -> Vec<VatRow> {
    for (i, line) in lines.iter().enumerate() {
        let Some(rate) = RATE.captures(line) else {
            continue;
        };
        let rate_bp = rate_of(&rate);
        let folded = fold(line);
        if !VAT_WORDS.iter().any(|w| has_word(&folded, w))
            || recap.iter().any(|v| v.rate_bp == rate_bp)
        {
            continue;
        }
        let [tax] = find_amounts(line, notation)[..] else {
            continue;
        };
        let tax = tax.amount;
        let nearby = lines[i.saturating_sub(3)..i]
            .iter()
            .rev()
            .chain(lines.iter().skip(i + 1).take(3));
        let base = nearby
            .filter_map(|l| find_amounts(l, notation).last().map(|a| a.amount))
            .find(|b| b.is_positive() && VatRow::new(rate_bp, *b, tax).is_consistent());
        if let Some(base) = base.filter(|_| (1..=2_700).contains(&rate_bp)) {
            recap.push(VatRow::new(rate_bp, base, tax));
        }
    }
    recap
}

fn rate_of(rate: &regex::Captures) -> u32 {
    let whole: u32 = rate[1].parse().unwrap_or(0);
    let frac: u32 = rate.get(2).map_or(0, |f| {
        let s = format!("{:0<2}", f.as_str());
        s.parse().unwrap_or(0)
    });
    whole * 100 + frac
}

/// Reads amounts after the rate as (base, tax, gross), (base, tax) or (tax, gross) — whichever
/// agrees with the rate.
fn best_split(rate_bp: u32, amounts: &[Amount]) -> Option<VatRow> {
    for w in amounts.windows(3) {
        let v = VatRow {
            rate_bp,
            base: w[0],
            tax: w[1],
            gross: w[2],
        };
        // A printed gross that adds up, or a tax that fits the rate, marks a recap line; the
        // line is reported even when only one of the two holds, flagged as inconsistent.
        if w[0].is_positive() && (w[0] + w[1] == w[2] || v.tax_matches_rate()) {
            return Some(v);
        }
    }
    for w in amounts.windows(2) {
        let v = VatRow::new(rate_bp, w[0], w[1]);
        if v.is_consistent() && w[0].is_positive() {
            return Some(v);
        }
        let from_gross = VatRow::new(rate_bp, w[1] - w[0], w[0]);
        if from_gross.is_consistent() && from_gross.base.is_positive() {
            return Some(from_gross);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vat(text: &str) -> Vec<VatRow> {
        find(
            &text.lines().map(String::from).collect::<Vec<_>>(),
            Notation::USUAL,
        )
    }

    fn c(cents: i64) -> Amount {
        Amount::from_cents(cents)
    }

    fn separate(lines: &[String]) -> Vec<VatRow> {
        with_separate_lines(lines, find(lines, Notation::USUAL), Notation::USUAL)
    }

    #[test]
    fn czech_recap_with_base_tax_and_gross_is_read_and_checked() {
        let v = vat("DPH 21 %  1 000,00  210,00  1 210,00\nDPH 12 % 100,00 12,00 112,00");
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].rate_bp, v[0].base, v[0].tax),
            (2100, c(100_000), c(21_000))
        );
        assert!(v.iter().all(VatRow::is_consistent));
        assert_eq!(v[1].gross, c(11_200));
    }

    #[test]
    fn a_speck_glued_before_the_rate_leaves_it_a_rate() {
        let v = vat("DPH.21% 267,11 56,09 323,20");
        assert_eq!(v, vec![VatRow::new(2100, c(26711), c(5609))]);
    }

    #[test]
    fn base_and_tax_pair_is_accepted_when_it_matches_the_rate() {
        let v = vat("SR @ 6% 18.00 1.08");
        assert_eq!(v, vec![VatRow::new(600, c(1800), c(108))]);
    }

    #[test]
    fn amounts_that_do_not_fit_the_rate_are_not_a_vat_line() {
        assert!(vat("Sleva 10 % 50,00 7,00").is_empty());
    }

    #[test]
    fn a_rate_on_its_own_line_takes_the_base_printed_near_it() {
        let lines = |t: &str| t.lines().map(String::from).collect::<Vec<_>>();
        let fr = lines("Total HT     111,50 €\nTVA 5,5 %      6,13 €\nTotal TTC    117,63 €");
        assert_eq!(separate(&fr), vec![VatRow::new(550, c(11_150), c(613))]);
        let sk =
            lines("Základ dane 20 %: 40,00 EUR\nDPH 20 %: 8,00 EUR\nCelkom k úhrade: 48,00 EUR");
        assert_eq!(separate(&sk), vec![VatRow::new(2000, c(4000), c(800))]);
        // No base the rate fits: nothing is made up.
        let odd = lines("Mezisoučet 100,00\nDPH 21 % 30,00");
        assert!(separate(&odd).is_empty());
    }

    #[test]
    fn a_row_becomes_a_vat_line_in_the_currencys_minor_units() {
        let row = VatRow::new(
            500,
            Amount::from_thousandths(10_000),
            Amount::from_thousandths(500),
        );
        let kwd = row.to_vat_line("KWD".parse().unwrap()).unwrap();
        assert_eq!((kwd.base_minor, kwd.tax_minor), (10_000, 500));
        let eur = row.to_vat_line("EUR".parse().unwrap()).unwrap();
        assert_eq!((eur.base_minor, eur.tax_minor), (1_000, 50));
        assert_eq!(row.to_vat_line("JPY".parse().unwrap()), None, "0.50 yen");
    }

    #[test]
    fn inconsistent_recap_is_flagged() {
        let v = vat("DPH 21 % 1 000,00 200,00 1 200,00");
        assert_eq!(v.len(), 1);
        assert!(!v[0].is_consistent());
    }
}
