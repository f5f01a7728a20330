//! The document's currency: a symbol or code printed by the total (`₹`, `Rs.`, `INR`, `$`,
//! `€`, `Kč`, `zł`, `¥`, `KWD`), else the mark printed most often, else the supplier's
//! country (its VAT id, the tax vocabulary and the addresses of its country).

use std::sync::LazyLock;

use coffer_core::Currency;
use regex::Regex;

use crate::text::{fold, has_word};
use crate::words::{Words, all};

/// A currency mark as printed: a symbol matched anywhere, or a word matched whole.
struct Mark {
    text: &'static str,
    code: &'static str,
    symbol: bool,
}

const fn word(text: &'static str, code: &'static str) -> Mark {
    Mark {
        text,
        code,
        symbol: false,
    }
}

const fn symbol(text: &'static str, code: &'static str) -> Mark {
    Mark {
        text,
        code,
        symbol: true,
    }
}

/// In order of preference when two marks are printed equally often.
const MARKS: &[Mark] = &[
    word("kč", "CZK"),
    word("czk", "CZK"),
    symbol("€", "EUR"),
    word("eur", "EUR"),
    word("euro", "EUR"),
    word("zł", "PLN"),
    word("pln", "PLN"),
    symbol("£", "GBP"),
    word("gbp", "GBP"),
    word("chf", "CHF"),
    symbol("₹", "INR"),
    word("inr", "INR"),
    word("rs.", "INR"),
    word("rs", "INR"),
    word("rupees", "INR"),
    symbol("¥", "JPY"),
    symbol("円", "JPY"),
    word("jpy", "JPY"),
    word("yen", "JPY"),
    word("kwd", "KWD"),
    word("k.d.", "KWD"),
    word("bhd", "BHD"),
    word("omr", "OMR"),
    word("huf", "HUF"),
    word("sek", "SEK"),
    word("dkk", "DKK"),
    word("nok", "NOK"),
    word("aed", "AED"),
    word("sgd", "SGD"),
    word("aud", "AUD"),
    word("cad", "CAD"),
    word("rm", "MYR"),
    word("myr", "MYR"),
    word("usd", "USD"),
    symbol("$", "USD"),
];

/// Legal forms of any language: a code that is also one is a currency only beside a figure.
static LEGAL_FORMS: Words = LazyLock::new(|| all(|l| l.legal_forms));

fn code(code: &str) -> Currency {
    code.parse().expect("the marks table holds valid codes")
}

/// The currencies whose marks appear in one folded line, with how often.
fn marks_in(folded: &str, czech: bool, polish: bool) -> Vec<(&'static str, usize)> {
    let mut out: Vec<(&'static str, usize)> = Vec::new();
    let mut count = |c: &'static str, n: usize| {
        if n == 0 {
            return;
        }
        match out.iter_mut().find(|(o, _)| *o == c) {
            Some((_, k)) => *k += n,
            None => out.push((c, n)),
        }
    };
    for m in MARKS {
        // OCR reads an `S` as `$` (`$(6%)` for a tax code), and a code may be a legal form
        // (`BHD` of `Sdn Bhd`): those count only beside a figure.
        let needs_figure = m.text == "$" || LEGAL_FORMS.contains(&m.text);
        let n = folded
            .match_indices(m.text)
            .filter(|(i, _)| m.symbol || word_at(folded, *i, m.text))
            .filter(|(i, _)| !needs_figure || beside_figure(folded, *i, m.text))
            .count();
        count(m.code, n);
    }
    // OCR reads `Kč` as `Kc` and `zł` as `zl`; only on a document of that country.
    if czech {
        count("CZK", whole_words(folded, "kc"));
    }
    if polish {
        count("PLN", whole_words(folded, "zl"));
    }
    out
}

fn word_at(folded: &str, i: usize, w: &str) -> bool {
    let before = folded[..i].chars().next_back();
    let after = folded[i + w.len()..].chars().next();
    !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic)
}

/// True when the nearest character before or after `w` at `i`, past spaces and a colon,
/// is a digit: `BHD 12.500`, `12.500 BHD`, `$12.50`.
fn beside_figure(folded: &str, i: usize, w: &str) -> bool {
    let skip = |c: &char| c.is_whitespace() || *c == ':';
    let before = folded[..i].chars().rev().find(|c| !skip(c));
    let after = folded[i + w.len()..].chars().find(|c| !skip(c));
    before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit())
}

fn whole_words(folded: &str, w: &str) -> usize {
    folded
        .match_indices(w)
        .filter(|(i, _)| word_at(folded, *i, w))
        .count()
}

/// The currency of a document whose lines are `lines`, with the total printed on line
/// `total_line` when known, and the supplier's VAT id when known.
pub fn find(lines: &[String], total_line: Option<usize>, vat_id: Option<&str>) -> Option<Currency> {
    let folded: Vec<String> = lines.iter().map(|l| l.to_lowercase()).collect();
    let plain: String = lines.iter().map(|l| fold(l) + "\n").collect();
    let czech = has_word(&plain, "dph") || has_word(&plain, "celkem");
    let polish = has_word(&plain, "razem") || has_word(&plain, "ptu");
    let mut tally: Vec<(&'static str, usize)> = Vec::new();
    for f in &folded {
        for (c, n) in marks_in(f, czech, polish) {
            match tally.iter_mut().find(|(o, _)| *o == c) {
                Some((_, k)) => *k += n,
                None => tally.push((c, n)),
            }
        }
    }
    let count = |c: &str| tally.iter().find(|(o, _)| *o == c).map_or(0, |(_, n)| *n);
    // Of several marks in one place, the one the page prints most often: a stray `£` read
    // for a digit beside `RM` is no currency.
    let likeliest = |marks: Vec<(&'static str, usize)>| {
        marks
            .into_iter()
            .enumerate()
            .max_by_key(|&(k, (c, _))| (count(c), std::cmp::Reverse(k)))
            .map(|(_, (c, _))| c)
    };
    // The mark beside the total says it best (an invoice may quote other currencies).
    if let Some(i) = total_line {
        let near = (i.saturating_sub(1)..=(i + 1).min(lines.len().saturating_sub(1)))
            .flat_map(|j| marks_in(&folded[j], czech, polish))
            .collect();
        if let Some(c) = likeliest(marks_in(&folded[i], czech, polish)).or_else(|| likeliest(near))
        {
            return Some(code(c));
        }
    }
    let rank = |c: &str| MARKS.iter().position(|m| m.code == c).unwrap_or(usize::MAX);
    if let Some((c, _)) = tally
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(rank(b.0).cmp(&rank(a.0))))
    {
        return Some(code(c));
    }
    vat_id
        .and_then(country_currency)
        .or_else(|| from_country_hints(lines, &plain))
}

/// The currency of the country a VAT id (or an Indian GSTIN) belongs to.
fn country_currency(vat_id: &str) -> Option<Currency> {
    let c = match vat_id.get(..2)? {
        "CZ" => "CZK",
        "PL" => "PLN",
        "HU" => "HUF",
        "SE" => "SEK",
        "DK" => "DKK",
        "RO" => "RON",
        "GB" => "GBP",
        "CH" => "CHF",
        "AT" | "BE" | "BG" | "CY" | "DE" | "EE" | "EL" | "ES" | "FI" | "FR" | "HR" | "IE"
        | "IT" | "LT" | "LU" | "LV" | "MT" | "NL" | "PT" | "SI" | "SK" => "EUR",
        prefix if prefix.chars().all(|c| c.is_ascii_digit()) && vat_id.len() == 15 => "INR",
        _ => return None,
    };
    Some(code(c))
}

/// When no currency is printed (or OCR mangled `Kč`), the tax vocabulary and the addresses
/// tell the country: DPH and a `CZ` DIČ mean Czech crowns, unless the page is spelt in Slovak;
/// PTU and NIP złoty; GSTIN rupees; `SK` ids, Slovak DPH and the euro area's VAT words euros;
/// a Malaysian private company (`Sdn Bhd`) ringgit; VAT beside British postcodes pounds; US
/// ZIP codes with a US tax word or company form dollars.
fn from_country_hints(lines: &[String], plain: &str) -> Option<Currency> {
    let vat_prefix = |prefix: &str| {
        plain.match_indices(prefix).any(|(i, _)| {
            plain[i + prefix.len()..]
                .chars()
                .take(8)
                .filter(char::is_ascii_digit)
                .count()
                == 8
        })
    };
    let w = |word: &str| has_word(plain, word);
    let letters = |set: &[char]| lines.iter().any(|l| l.chars().any(|c| set.contains(&c)));
    // Slovak has ľ, ĺ, ŕ and ô, Czech ř, ů and ě; both write DPH, and some words only
    // Slovak invoices print.
    let slovak = (letters(&['ľ', 'ĺ', 'ŕ', 'ô', 'Ľ', 'Ĺ', 'Ŕ', 'Ô'])
        || SLOVAK_WORDS.iter().any(|word| has_word(plain, word)))
        && !letters(&['ř', 'ů', 'ě', 'Ř', 'Ů', 'Ě']);
    let postcodes = |re: &Regex| lines.iter().any(|l| re.is_match(l));
    let c = if vat_prefix("dic: cz")
        || vat_prefix("dic cz")
        || (w("dph") && !slovak && !vat_prefix("sk"))
    {
        "CZK"
    } else if w("ptu") || w("nip") {
        "PLN"
    } else if w("gstin") || w("cgst") || w("sgst") || w("igst") {
        "INR"
    } else if vat_prefix("sk") || w("dph") || w("mwst") || w("ust") || w("tva") || w("btw") {
        "EUR"
    } else if w("sdn bhd") || w("sdn. bhd") {
        "MYR"
    } else if w("vat") && postcodes(&UK_POSTCODE) {
        "GBP"
    } else if postcodes(&US_ZIP)
        && ["sales tax", "ein", "inc", "llc", "corp"]
            .iter()
            .any(|t| w(t))
    {
        "USD"
    } else {
        return None;
    };
    Some(code(c))
}

/// Invoice words Slovak spells apart from Czech (folded: `variabilný`, `vyhotovenia`,
/// `bankové spojenie`, `IČ DPH`, `na úhradu`).
const SLOVAK_WORDS: &[&str] = &[
    "variabilny",
    "vyhotovenia",
    "spojenie",
    "ic dph",
    "na uhradu",
    "dodania",
];

/// A British postcode (`LS1 4DY`, `SW1A 1AA`).
static UK_POSTCODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b").unwrap());
/// A US state and ZIP code (`TX 78701`, `CA 94103-1234`).
static US_ZIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY]),? \d{5}(?:-\d{4})?\b",
    )
    .unwrap()
});

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(text: &str) -> Option<String> {
        let lines: Vec<String> = text.lines().map(String::from).collect();
        find(&lines, None, None).map(|c| c.to_string())
    }

    #[test]
    fn currency_marks_are_recognised_in_several_languages() {
        assert_eq!(currency("Celkem 120,00 Kč").as_deref(), Some("CZK"));
        assert_eq!(currency("Summe EUR 12,00").as_deref(), Some("EUR"));
        assert_eq!(currency("Total 12,00 €").as_deref(), Some("EUR"));
        assert_eq!(currency("Razem PLN 5,00").as_deref(), Some("PLN"));
        assert_eq!(currency("TOTAL 5.00"), None);
    }

    #[test]
    fn rupees_yen_and_dinars_are_recognised() {
        assert_eq!(currency("Grand Total ₹ 1,180.00").as_deref(), Some("INR"));
        assert_eq!(currency("Total Rs. 1,180.00").as_deref(), Some("INR"));
        assert_eq!(currency("Amount in INR 1,180.00").as_deref(), Some("INR"));
        assert_eq!(currency("合計 ¥12,800").as_deref(), Some("JPY"));
        assert_eq!(currency("Total KWD 12.345").as_deref(), Some("KWD"));
        assert_eq!(currency("Total BHD 3.500").as_deref(), Some("BHD"));
        assert_eq!(currency("Total 3.500 BHD").as_deref(), Some("BHD"));
    }

    #[test]
    fn a_dollar_sign_away_from_any_figure_is_a_misread_letter() {
        assert_eq!(currency("Total $12.50").as_deref(), Some("USD"));
        assert_eq!(currency("Total 12.50 $").as_deref(), Some("USD"));
        assert_eq!(currency("$(6%) 28.30 1.10\nTOTAL 29.40"), None);
    }

    /// `BHD` is Bahrain's dinar and the end of a Malaysian company's name (`Sdn Bhd`): a code
    /// that is also a legal form counts only beside a figure.
    #[test]
    fn a_legal_form_that_spells_a_currency_code_is_no_currency() {
        assert_eq!(currency("AEON CO. (M) BHD\nTOTAL 28.20"), None);
        let ringgit = currency("SWC ENTERPRISE SDN BHD\nTOTAL RM 28.20");
        assert_eq!(ringgit.as_deref(), Some("MYR"));
    }

    #[test]
    fn a_stray_mark_beside_the_total_loses_to_the_one_the_page_prints() {
        let lines: Vec<String> = [
            "Total Incl. GST 6% RK 7.10",
            "CASH RM £0.00",
            "CHANGE RM 12.90",
            "GST Summary Amt(RM) Tax(RM)",
        ]
        .map(String::from)
        .to_vec();
        let found = find(&lines, Some(0), None).map(|c| c.to_string());
        assert_eq!(found.as_deref(), Some("MYR"));
    }

    #[test]
    fn the_mark_beside_the_total_beats_marks_elsewhere() {
        let lines: Vec<String> = [
            "Rate USD 1.00 = EUR 0.92",
            "Conversion USD, fees USD",
            "Total 120,00 €",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            find(&lines, Some(2), None)
                .map(|c| c.to_string())
                .as_deref(),
            Some("EUR")
        );
        assert_eq!(
            find(&lines, None, None).map(|c| c.to_string()).as_deref(),
            Some("USD")
        );
    }

    #[test]
    fn the_suppliers_country_gives_the_currency_when_none_is_printed() {
        let lines = vec!["Total 100.00".to_string()];
        let c = |id: &str| find(&lines, Some(0), Some(id)).map(|c| c.to_string());
        assert_eq!(c("DE123456789").as_deref(), Some("EUR"));
        assert_eq!(c("PL5250001234").as_deref(), Some("PLN"));
        assert_eq!(c("29ABCDE1234F1Z5").as_deref(), Some("INR"));
        assert_eq!(c("XX1").as_deref(), None);
    }

    #[test]
    fn the_suppliers_address_and_tax_words_give_the_currency_when_none_is_printed() {
        let slovak = "Dodávateľ: Pekáreň Klas s.r.o., Hlavná 3, 040 01 Košice\nDPH 23 % 100,00\nSpolu na úhradu 123,00";
        assert_eq!(currency(slovak).as_deref(), Some("EUR"));
        let slovak = "Pekáreň Klas s.r.o., Hlavná 3, 040 01 Košice\nDátum vyhotovenia: 09.07.2026\nDPH 23 % 699,78\nSuma na úhradu 3 742,28";
        assert_eq!(currency(slovak).as_deref(), Some("EUR"));
        let czech = "Dodavatel: Pekařství Novák s.r.o., Husova 8, 110 00 Praha\nDPH 21 % 100,00\nCelkem 121,00";
        assert_eq!(currency(czech).as_deref(), Some("CZK"));
        let british = "Greenfield Plumbing Ltd, 2 Castle Road, Leeds LS1 4DY\nVAT 20 % 20.00\nTotal due 120.00";
        assert_eq!(currency(british).as_deref(), Some("GBP"));
        let malaysian = "MR. D.I.Y. (M) SDN BHD\nGST ID No : 000860000000\nTOTAL 28.20";
        assert_eq!(currency(malaysian).as_deref(), Some("MYR"));
        let american = "Summit Roofing Inc., 77 Elm Ave, Austin, TX 78701\nSales Tax 8 % 8.00\nBalance Due 108.00";
        assert_eq!(currency(american).as_deref(), Some("USD"));
        assert_eq!(currency("Total 108.00\nThank you").as_deref(), None);
    }

    #[test]
    fn czech_tax_words_imply_crowns_when_the_currency_mark_is_unreadable() {
        assert_eq!(
            currency("DPH 21 % 100,00 21,00\nCelkem 121,00 K6").as_deref(),
            Some("CZK")
        );
        assert_eq!(
            currency("Celkem 121,00 Kc\nDPH 21 %").as_deref(),
            Some("CZK")
        );
        assert_eq!(
            currency("MwSt 19 % 1,90\nSumme 11,90").as_deref(),
            Some("EUR")
        );
    }
}
