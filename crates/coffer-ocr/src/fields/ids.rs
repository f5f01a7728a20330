//! Company identifiers: the Czech/Slovak IČO (eight digits with a mod-11 check digit) and
//! VAT ids (DIČ `CZ12345678`, `DE123456789`, `SK2020123456`, …) in EU formats and the
//! Indian GSTIN (`29ABCDE1234F1Z5`).

use std::sync::LazyLock;

use coffer_core::CompanyIds;
use regex::Regex;

use crate::text::fold;

/// The company ids printed on a document: the issuer's (its IČO and VAT id) and every VAT id
/// seen, the customer's included.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrintedIds {
    pub supplier: CompanyIds,
    pub vat_ids: Vec<String>,
}

static ICO_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:i[čc]o?|ico|reg\.?\s?no|company id|id no)\b\s*[:.]?\s*((?:\d\s?){8})\b")
        .unwrap()
});
static ANY_EIGHT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{8})\b").unwrap());
static VAT_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(ATU\d{8}|BE[01]\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}|EE\d{9}|EL\d{9}|ES[A-Z0-9]\d{7}[A-Z0-9]|FI\d{8}|FR[A-Z0-9]{2}\d{9}|HR\d{11}|HU\d{8}|IE\d[A-Z0-9+*]\d{5}[A-Z]{1,2}|IT\d{11}|LT\d{9,12}|LU\d{8}|LV\d{11}|MT\d{8}|NL\d{9}B\d{2}|PL\d{10}|PT\d{9}|RO\d{2,10}|SE\d{12}|SI\d{8}|SK\d{10}|GB\d{9,12}|\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z])\b",
    )
    .unwrap()
});

/// Finds IČO and VAT ids in the text; the first of each is taken for the supplier's.
pub fn find(lines: &[String]) -> PrintedIds {
    let mut ids = PrintedIds::default();
    for line in lines {
        // VAT ids are often printed with spaces inside ("CZ 123 45 678").
        let compact: String = line
            .split(|c: char| c.is_whitespace())
            .collect::<Vec<_>>()
            .join(" ")
            .replace(['-', '.'], "");
        let joined = join_id_groups(&compact);
        for m in VAT_ID.find_iter(&joined) {
            let id = m.as_str().to_string();
            if !ids.vat_ids.contains(&id) {
                ids.vat_ids.push(id);
            }
        }
        if ids.supplier.ico.is_none() {
            let labelled = ICO_LABEL.captures(line).map(|c| {
                c[1].chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>()
            });
            let folded = fold(line);
            let unlabelled = (folded.contains("ic") || folded.contains("ico"))
                .then(|| ANY_EIGHT.captures(line).map(|c| c[1].to_string()))
                .flatten();
            ids.supplier.ico = labelled
                .or(unlabelled)
                .filter(|i| CompanyIds::is_valid_ico(i));
        }
    }
    // A Czech DIČ of a legal person repeats its IČO; use it when the IČO was not labelled.
    if ids.supplier.ico.is_none() {
        ids.supplier.ico = ids
            .vat_ids
            .iter()
            .filter_map(|v| v.strip_prefix("CZ").or_else(|| v.strip_prefix("SK")))
            .find(|d| d.len() == 8 && CompanyIds::is_valid_ico(d))
            .map(String::from);
    }
    ids.supplier.vat_id = ids.vat_ids.first().cloned();
    ids
}

/// Joins a two-letter country prefix and the digit groups that follow it: `CZ 123 45 678` → `CZ12345678`.
fn join_id_groups(line: &str) -> String {
    let tokens: Vec<&str> = line.split(' ').collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let starts_id = t.len() >= 2 && t.as_bytes()[..2].iter().all(u8::is_ascii_uppercase);
        if starts_id {
            let mut joined = t.to_string();
            let mut j = i + 1;
            while j < tokens.len()
                && tokens[j].chars().all(|c| c.is_ascii_digit())
                && !tokens[j].is_empty()
                && joined.len() < 14
            {
                joined.push_str(tokens[j]);
                j += 1;
            }
            out.push(joined);
            i = j;
        } else {
            out.push(t.to_string());
            i += 1;
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_ico_and_dic_are_found() {
        let lines = vec![
            "Dodavatel: Example s.r.o.".to_string(),
            "IČO: 25596641  DIČ: CZ25596641".to_string(),
        ];
        let ids = find(&lines);
        assert_eq!(ids.supplier.ico.as_deref(), Some("25596641"));
        assert_eq!(ids.supplier.vat_id.as_deref(), Some("CZ25596641"));
    }

    #[test]
    fn vat_ids_with_spaces_and_other_countries_are_found() {
        let lines = vec![
            "USt-IdNr.: DE 123 456 789".to_string(),
            "TVA FR12345678901".to_string(),
        ];
        let ids = find(&lines);
        assert_eq!(
            ids.vat_ids,
            vec!["DE123456789".to_string(), "FR12345678901".to_string()]
        );
    }

    #[test]
    fn ico_with_an_invalid_checksum_is_ignored() {
        let ids = find(&["IČO: 12345678".to_string()]);
        assert_eq!(ids.supplier.ico, None);
    }
}
