//! VAT recap lines (rate, base, tax, gross) as printed under receipts and invoices in every
//! market we serve (`DPH 21 %`, `MwSt 19%`, `TVA 20%`, `BTW 21%`, `PTU A 23%`, `GST 6%`), with
//! the check that base + tax = gross and that the tax matches the rate.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Serialize, Serializer};

use super::amounts::find_amounts;
use crate::money::Cents;
use crate::text::{fold, has_word};

/// One VAT rate's recap: the base, the tax on it and their sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VatLine {
    /// The rate in hundredths of a percent: 21 % is 2100.
    pub rate_bp: u32,
    pub base: Cents,
    pub tax: Cents,
    /// Base plus tax as printed, or computed when the recap prints no gross column.
    pub gross: Cents,
}

impl VatLine {
    /// A recap line whose gross is base plus tax.
    pub fn new(rate_bp: u32, base: Cents, tax: Cents) -> VatLine {
        VatLine {
            rate_bp,
            base,
            tax,
            gross: Cents(base.0 + tax.0),
        }
    }

    /// True when base + tax = gross and the tax is the rate applied to the base (allowing
    /// for per-item rounding).
    pub fn is_consistent(&self) -> bool {
        self.base.0 + self.tax.0 == self.gross.0 && self.tax_matches_rate()
    }

    fn tax_matches_rate(&self) -> bool {
        let expected = self.base.0 as i128 * self.rate_bp as i128 / 10_000;
        let slack = 2 + self.base.0.abs() as i128 / 2_000;
        (expected - self.tax.0 as i128).abs() <= slack
    }
}

impl Serialize for VatLine {
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

static RATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\d.,])(\d{1,2})(?:[.,](\d{1,2}))?\s?%").unwrap());
const VAT_WORDS: &[&str] = &[
    "dph", "vat", "mwst", "ust", "tva", "btw", "ptu", "gst", "sazba", "iva", "tax",
];

/// VAT lines found in the text, one per rate, in order of appearance.
pub fn find(lines: &[String]) -> Vec<VatLine> {
    let mut out: Vec<VatLine> = Vec::new();
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
        let amounts: Vec<Cents> = find_amounts(&line[rate_end..])
            .iter()
            .map(|a| Cents(a.cents.0.abs()))
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
pub fn with_separate_lines(lines: &[String], mut recap: Vec<VatLine>) -> Vec<VatLine> {
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
        let [tax] = find_amounts(line)[..] else {
            continue;
        };
        let tax = tax.cents;
        let nearby = lines[i.saturating_sub(3)..i]
            .iter()
            .rev()
            .chain(lines.iter().skip(i + 1).take(3));
        let base = nearby
            .filter_map(|l| find_amounts(l).last().map(|a| a.cents))
            .find(|b| b.0 > 0 && VatLine::new(rate_bp, *b, tax).is_consistent());
        if let Some(base) = base.filter(|_| (1..=2_700).contains(&rate_bp)) {
            recap.push(VatLine::new(rate_bp, base, tax));
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
fn best_split(rate_bp: u32, amounts: &[Cents]) -> Option<VatLine> {
    for w in amounts.windows(3) {
        let v = VatLine {
            rate_bp,
            base: w[0],
            tax: w[1],
            gross: w[2],
        };
        // A printed gross that adds up, or a tax that fits the rate, marks a recap line; the
        // line is reported even when only one of the two holds, flagged as inconsistent.
        if w[0].0 > 0 && (w[0].0 + w[1].0 == w[2].0 || v.tax_matches_rate()) {
            return Some(v);
        }
    }
    for w in amounts.windows(2) {
        let v = VatLine::new(rate_bp, w[0], w[1]);
        if v.is_consistent() && w[0].0 > 0 {
            return Some(v);
        }
        let from_gross = VatLine::new(rate_bp, Cents(w[1].0 - w[0].0), w[0]);
        if from_gross.is_consistent() && from_gross.base.0 > 0 {
            return Some(from_gross);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vat(text: &str) -> Vec<VatLine> {
        find(&text.lines().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn czech_recap_with_base_tax_and_gross_is_read_and_checked() {
        let v = vat("DPH 21 %  1 000,00  210,00  1 210,00\nDPH 12 % 100,00 12,00 112,00");
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].rate_bp, v[0].base, v[0].tax),
            (2100, Cents(100_000), Cents(21_000))
        );
        assert!(v.iter().all(VatLine::is_consistent));
        assert_eq!(v[1].gross, Cents(11_200));
    }

    #[test]
    fn base_and_tax_pair_is_accepted_when_it_matches_the_rate() {
        let v = vat("SR @ 6% 18.00 1.08");
        assert_eq!(v, vec![VatLine::new(600, Cents(1800), Cents(108))]);
    }

    #[test]
    fn amounts_that_do_not_fit_the_rate_are_not_a_vat_line() {
        assert!(vat("Sleva 10 % 50,00 7,00").is_empty());
    }

    #[test]
    fn a_rate_on_its_own_line_takes_the_base_printed_near_it() {
        let lines = |t: &str| t.lines().map(String::from).collect::<Vec<_>>();
        let fr = lines("Total HT     111,50 €\nTVA 5,5 %      6,13 €\nTotal TTC    117,63 €");
        assert_eq!(
            with_separate_lines(&fr, find(&fr)),
            vec![VatLine::new(550, Cents(11_150), Cents(613))]
        );
        let sk =
            lines("Základ dane 20 %: 40,00 EUR\nDPH 20 %: 8,00 EUR\nCelkom k úhrade: 48,00 EUR");
        assert_eq!(
            with_separate_lines(&sk, find(&sk)),
            vec![VatLine::new(2000, Cents(4000), Cents(800))]
        );
        // No base the rate fits: nothing is made up.
        let odd = lines("Mezisoučet 100,00\nDPH 21 % 30,00");
        assert!(with_separate_lines(&odd, find(&odd)).is_empty());
    }

    #[test]
    fn inconsistent_recap_is_flagged() {
        let v = vat("DPH 21 % 1 000,00 200,00 1 200,00");
        assert_eq!(v.len(), 1);
        assert!(!v[0].is_consistent());
    }
}
