//! Finds the merchant or counterparty: the supplier named after a "supplier" label on invoices,
//! otherwise the letterhead — the top lines that read like a business name rather than a
//! document title, an address, a phone number or a tax id.

use std::sync::LazyLock;

use regex::Regex;

use super::amounts::find_amounts;
use crate::text::{DocumentText, fold, has_word};

/// Legal forms that end company names in the markets we serve.
const LEGAL_FORMS: &[&str] = &[
    "s.r.o",
    "s. r. o",
    "sro",
    "spol. s r.o",
    "a.s",
    "a. s",
    "k.s",
    "v.o.s",
    "z.s",
    "s.p",
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "e.k",
    "ltd",
    "limited",
    "llc",
    "inc",
    "plc",
    "llp",
    "corp",
    "sa",
    "sas",
    "sarl",
    "s.a",
    "s.a.s",
    "bv",
    "b.v",
    "nv",
    "n.v",
    "sp. z o.o",
    "sp. z o. o",
    "sp.j",
    "sdn bhd",
    "sdn. bhd",
    "bhd",
    "s/b",
    "sdn",
];
/// Words that often end business names without being a legal form.
const BUSINESS_WORDS: &[&str] = &[
    "enterprise",
    "enterprises",
    "trading",
    "restaurant",
    "restoran",
    "store",
    "stores",
    "mart",
    "market",
    "supermarket",
    "hardware",
    "pharmacy",
    "cafe",
    "bakery",
    "company",
    "co",
    "shop",
    "hotel",
    "services",
    "industries",
    "marketing",
    "holdings",
    "group",
    "centre",
    "center",
];
/// Contact and id words: never the merchant, yet normal after a name on its line ("ACME
/// s.r.o., IČO …").
const CONTACT_AND_IDS: &[&str] = &[
    "tel",
    "fax",
    "phone",
    "email",
    "e-mail",
    "www",
    "http",
    "gst",
    "reg no",
    "co reg",
    "company reg",
    "vat",
    "dic",
    "ico",
    "ust",
    "tva",
    "btw",
    "nip",
    "iban",
    "no.",
];
/// Words of document titles, greetings and boilerplate that are never the merchant.
const NOT_NAME: &[&str] = &[
    "tax invoice",
    "invoice",
    "receipt",
    "cash sale",
    "cash bill",
    "official receipt",
    "simplified",
    "faktura",
    "danovy doklad",
    "uctenka",
    "pokladni doklad",
    "paragon",
    "rechnung",
    "quittung",
    "kassenbon",
    "facture",
    "factuur",
    "welcome",
    "vitejte",
    "willkommen",
    "bienvenue",
    "thank you",
    "dekujeme",
    "copy",
    "kopie",
    "original",
    "duplicate",
    "page",
    "strana",
    "seite",
    "date",
    "datum",
    "cashier",
    "table",
    "order",
];
/// Labels introducing the supplier on invoices.
const SUPPLIER_LABELS: &[&str] = &[
    "dodavatel",
    "prodavajici",
    "supplier",
    "seller",
    "vendor",
    "from",
    "verkaufer",
    "lieferant",
    "rechnungssteller",
    "fournisseur",
    "vendeur",
    "leverancier",
    "verkoper",
    "sprzedawca",
    "dostawca",
    "predavajuci",
    "issued by",
];
/// Labels introducing the customer; their block is skipped.
const CUSTOMER_LABELS: &[&str] = &[
    "odberatel",
    "kupujici",
    "bill to",
    "billed to",
    "ship to",
    "customer",
    "buyer",
    "client",
    "kunde",
    "rechnungsempfanger",
    "empfanger",
    "acheteur",
    "destinataire",
    "klant",
    "afnemer",
    "nabywca",
    "odbiorca",
    "kupujuci",
];
const ADDRESS_WORDS: &[&str] = &[
    "jalan",
    "jln",
    "lot",
    "taman",
    "street",
    "st.",
    "road",
    "rd",
    "avenue",
    "ave",
    "lane",
    "ulice",
    "ul.",
    "nam.",
    "namesti",
    "trida",
    "strasse",
    "str.",
    "platz",
    "weg",
    "rue",
    "boulevard",
    "straat",
    "laan",
    "plein",
    "aleja",
    "floor",
    "suite",
    "building",
    "p.o. box",
];

static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\d{3}\s?\d{2}\b|\b\d{5}\b|\b\d{4}\s?[A-Z]{2}\b|\b\d{2}-\d{3}\b").unwrap()
});
static REG_INSIDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*[\(\[\{]?\s*\d{5,}[\-\s]?[A-Z]?\b.*$|\s+(?:FKA|F\.K\.A)\b.*$").unwrap()
});
static REG_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*[\(\[]?\s*(?:co\.?\s*(?:reg\.?)?\s*(?:no)?\.?\s*)?[A-Z]{0,3}\d[\d\s\-]{4,}[A-Z]?\s*[\)\]]?\s*$").unwrap()
});

fn letters(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

fn has_legal_form(folded: &str) -> bool {
    LEGAL_FORMS.iter().any(|w| has_word(folded, w))
}

fn has_business_word(folded: &str) -> bool {
    has_legal_form(folded) || BUSINESS_WORDS.iter().any(|w| has_word(folded, w))
}

/// Undoes OCR confusions typical in names: `$` for `S`, `5/B` for `S/B`.
fn normalise_name(line: &str) -> String {
    line.split_whitespace()
        .map(|w| {
            if w.chars().any(char::is_alphabetic) || w.contains('$') {
                let w = w.replace('$', "S");
                if let Some(rest) = w.strip_prefix("5/") {
                    format!("S/{rest}")
                } else {
                    w
                }
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The name at the start of a line that goes on with the address or ids ("Piekarnia Nowak
/// Sp. z o.o., ul. Długa 5, …", "Elektro Schmidt GmbH · Hauptstraße 12"): the text up to the
/// first separator, keeping a legal form that follows a comma ("Novák a synové, s.r.o.").
fn name_part(line: &str) -> &str {
    let mut end = line.len();
    let mut at = 0;
    for (i, sep) in line.match_indices([',', '·', '|', ';']) {
        // Not before the name starts (an OCR'd border `| NAME`), nor inside parentheses:
        // "ENTERPRISE (SETIA, ALAM) SDN BHD".
        let before = &line[..i];
        if i < at
            || letters(before) == 0
            || before.matches('(').count() > before.matches(')').count()
        {
            continue;
        }
        let rest = &line[i + sep.len()..];
        let next = rest.split(',').next().unwrap_or_default();
        if sep == "," && has_legal_form(&fold(next)) && letters(next) <= 12 {
            at = i + sep.len() + next.len();
            end = at;
            continue;
        }
        end = i;
        break;
    }
    if end == line.len() {
        line
    } else {
        &line[..end]
    }
}

/// Removes registration numbers (and what follows them, such as "formerly known as") and
/// stray punctuation OCR left around a name.
fn clean_name(line: &str) -> String {
    let mut name = normalise_name(name_part(line.trim()));
    if let Some(m) = REG_NUMBER.find(&name)
        && m.start() > 0
    {
        name.truncate(m.start());
    }
    if let Some(m) = REG_INSIDE.find(&name)
        && m.start() > 0
    {
        name.truncate(m.start());
    }
    let name = name
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim_end_matches(|c: char| !c.is_alphanumeric() && !matches!(c, '.' | ')' | '&'))
        .trim();
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_boilerplate(folded: &str) -> bool {
    is_boilerplate_line(folded) || CONTACT_AND_IDS.iter().any(|w| has_word(folded, w))
}

/// A whole line (or layout cell) of boilerplate, even when it starts like a name ("GOODS
/// SOLD ARE NOT RETURNABLE, THANK YOU").
fn is_boilerplate_line(folded: &str) -> bool {
    NOT_NAME.iter().any(|w| has_word(folded, w))
}

fn looks_like_address(line: &str, folded: &str) -> bool {
    ADDRESS_WORDS.iter().any(|w| has_word(folded, w))
        || POSTCODE.is_match(line) && line.chars().any(|c| c.is_ascii_digit())
}

/// Share of alphabetic characters that are upper case.
fn upper_ratio(s: &str) -> f32 {
    let (upper, total) = s
        .chars()
        .filter(|c| c.is_alphabetic())
        .fold((0, 0), |(u, t), c| {
            (u + usize::from(c.is_uppercase()), t + 1)
        });
    if total == 0 {
        0.0
    } else {
        upper as f32 / total as f32
    }
}

/// A line that could be a business name at all.
fn plausible_name(line: &str) -> bool {
    let non_space = line.chars().filter(|c| !c.is_whitespace()).count();
    let l = letters(line);
    l >= 3
        && non_space > 0
        && l as f32 / non_space as f32 >= 0.6
        && line
            .split_whitespace()
            .any(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
}

/// The merchant name and a confidence.
pub fn find(text: &DocumentText) -> Option<(String, f32)> {
    let lines: Vec<&str> = text.lines.iter().map(|l| l.text.as_str()).collect();
    let folded: Vec<String> = lines.iter().map(|l| fold(l)).collect();

    if let Some(found) = labelled_supplier(&lines, &folded) {
        return Some((found, 0.85));
    }

    let heights: Vec<Option<u32>> = text.lines.iter().map(|l| l.height()).collect();
    let mut known: Vec<u32> = heights.iter().flatten().copied().collect();
    known.sort_unstable();
    let median_height = known.get(known.len() / 2).copied();

    let mut skip_until = 0;
    let mut best: Option<(f32, usize)> = None;
    // In a `pdftotext -layout` page the letterhead shares its line with the document's own
    // details (number, date) in a column to the right: only the first cell can be the name.
    let cleaned: Vec<String> = lines.iter().map(|l| clean_name(cell(l, 0))).collect();
    for i in 0..lines.len() {
        if i < skip_until {
            continue;
        }
        let f = &folded[i];
        if CUSTOMER_LABELS.iter().any(|w| has_word(f, w)) {
            skip_until = i + 4;
            continue;
        }
        let line = cleaned[i].as_str();
        let cf = fold(line);
        let legal = has_legal_form(&cf);
        // Letterheads sit at the top; further down only a legal form makes a line a candidate.
        if i >= 12 && !legal {
            continue;
        }
        if !plausible_name(line)
            || is_boilerplate(&cf)
            || is_boilerplate_line(&fold(cell(lines[i], 0)))
            || looks_like_address(line, &cf)
            || !find_amounts(line).is_empty()
        {
            continue;
        }
        let mut score = 3.0 - i.min(12) as f32 * 0.35 - i.saturating_sub(12) as f32 * 0.05;
        if legal {
            score += 4.0;
        } else if has_business_word(&cf) {
            score += 2.0;
        }
        if let Some(conf) = mean_confidence(&text.lines[i])
            && conf < 60.0
        {
            score -= 2.0;
        }
        score += upper_ratio(line);
        if let (Some(h), Some(m)) = (heights[i], median_height)
            && m > 0
            && h as f32 > 1.25 * m as f32
        {
            score += 1.5;
        }
        if letters(line) < 5 {
            score -= 2.0;
        }
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, i));
        }
    }
    let (score, i) = best?;
    let mut name = cleaned[i].clone();
    // A name whose first words sit on the line above the legal form ("POPULAR BOOK" /
    // "CO. (M) SDN BHD").
    if i > 0 && has_legal_form(&fold(&name)) && letters(&name) <= 14 {
        let prev = &cleaned[i - 1];
        let pf = fold(prev);
        if plausible_name(prev)
            && !is_boilerplate(&pf)
            && !looks_like_address(prev, &pf)
            && upper_ratio(prev) > 0.8
        {
            name = format!("{prev} {name}");
        }
    }
    // A name broken over lines: "HARDWARE &" / "ELECTRICAL", an open parenthesis, or a first
    // line that continues with the legal form below.
    for next in cleaned.iter().skip(i + 1).take(2) {
        let nf = fold(next);
        let dangling = name.ends_with('&') || name.ends_with('-') || fold(&name).ends_with(" and");
        let open_paren = name.matches('(').count() > name.matches(')').count();
        let legal_next = !has_legal_form(&fold(&name))
            && has_business_word(&nf)
            && letters(next) <= 40
            && !looks_like_address(next, &nf)
            && !is_boilerplate(&nf);
        if (dangling || open_paren || legal_next) && plausible_name(next) {
            name = format!("{name} {next}");
        } else {
            break;
        }
    }
    if letters(&name) < 2 {
        return None;
    }
    let confidence = (0.3 + score * 0.07).clamp(0.2, 0.9);
    Some((name, confidence))
}

fn mean_confidence(line: &crate::text::Line) -> Option<f32> {
    (!line.words.is_empty())
        .then(|| line.words.iter().map(|w| w.confidence).sum::<f32>() / line.words.len() as f32)
}

/// The text of `line` from character `column` up to the next gap of three or more spaces:
/// one cell of a two-column layout (`pdftotext -layout` puts supplier and customer side by side).
fn cell(line: &str, column: usize) -> &str {
    let start = line
        .char_indices()
        .nth(column)
        .map_or(line.len(), |(i, _)| i);
    let rest = line[start..].trim_start();
    rest.split("   ").next().unwrap_or_default().trim()
}

/// "Dodavatel: Firma s.r.o." or "Supplier" on one line and the name below it, also when the
/// label heads one column of a two-column layout.
fn labelled_supplier(lines: &[&str], folded: &[String]) -> Option<String> {
    for (i, f) in folded.iter().enumerate() {
        let Some(label) = SUPPLIER_LABELS.iter().find(|w| has_word(f, w)) else {
            continue;
        };
        let Some(pos) = f.find(label) else { continue };
        // A label opens its line or its column, or is followed by a colon; "from" in the
        // middle of a sentence is no label.
        let opens_cell = f[..pos].trim().is_empty() || f[..pos].ends_with("   ");
        if !opens_cell && !f[pos + label.len()..].trim_start().starts_with(':') {
            continue;
        }
        // Only a label in a layout column (after a wide gap) puts its value in that column;
        // OCR noise before a label at the line start does not shift the name below.
        let in_column = f[..pos].ends_with("   ") && !f[..pos].trim().is_empty();
        let column = if in_column {
            f[..pos].chars().count()
        } else {
            0
        };
        let after_label = f[..pos].chars().count() + label.chars().count();
        let rest = name_part(
            cell(lines[i], after_label).trim_start_matches(|c: char| c == ':' || c.is_whitespace()),
        );
        if plausible_name(rest) && !is_boilerplate(&fold(rest)) {
            return Some(clean_name(rest));
        }
        for line in lines.iter().skip(i + 1).take(2) {
            // The name sits under the label: in the same column, or at the line start.
            let candidate = name_part(if column > 0 && line.chars().count() > column {
                cell(line, column)
            } else {
                cell(line, 0)
            });
            let cf = fold(candidate);
            if plausible_name(candidate)
                && !is_boilerplate(&cf)
                && !looks_like_address(candidate, &cf)
            {
                return Some(clean_name(candidate));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant(text: &str) -> Option<String> {
        find(&DocumentText::from_plain(text)).map(|m| m.0)
    }

    #[test]
    fn letterhead_with_a_legal_form_is_the_merchant() {
        let text = "BOON SENG PAPER SDN BHD (1248717-W)\n12, JALAN BUNGA TANJUNG,\nTel: 03-55190823\nTax Invoice";
        assert_eq!(merchant(text).as_deref(), Some("BOON SENG PAPER SDN BHD"));
    }

    #[test]
    fn document_titles_and_addresses_are_skipped() {
        let text = "TAX INVOICE\nKEDAI PAPAN YEW CHUAN\nLOT 276 JALAN BANTING\n43800 DENGKIL";
        assert_eq!(merchant(text).as_deref(), Some("KEDAI PAPAN YEW CHUAN"));
    }

    #[test]
    fn supplier_label_wins_over_the_customer_block() {
        let text =
            "FAKTURA 2024001\nOdběratel:\nZákazník a.s.\nDodavatel:\nNovák Trade s.r.o.\nHlavní 12";
        assert_eq!(merchant(text).as_deref(), Some("Novák Trade s.r.o."));
    }

    #[test]
    fn supplier_in_the_right_column_of_a_layout_is_found() {
        let text = "FAKTURA\nOdběratel:                    Dodavatel:\nZákazník a.s.                 Novák Trade s.r.o.\nPraha                         Brno";
        assert_eq!(merchant(text).as_deref(), Some("Novák Trade s.r.o."));
        let text = "Dodavatel: Novák Trade s.r.o.      Odběratel: Zákazník a.s.";
        assert_eq!(merchant(text).as_deref(), Some("Novák Trade s.r.o."));
    }

    #[test]
    fn a_supplier_line_going_on_with_its_address_and_ids_gives_the_name_alone() {
        let text = "Data wystawienia: 2026-10-07\nSprzedawca: Piekarnia Nowak Sp. z o.o., ul. Długa 5, 00-238 Warszawa, NIP 525-000-12-34\nNabywca: Kawiarnia Mała, ul. Krótka 2, NIP 701-000-00-00\nLp. Nazwa Ilość";
        assert_eq!(
            merchant(text).as_deref(),
            Some("Piekarnia Nowak Sp. z o.o.")
        );
        let text = "Elektro Schmidt GmbH · Hauptstraße 12 · 80331 München\nRechnung";
        assert_eq!(merchant(text).as_deref(), Some("Elektro Schmidt GmbH"));
        let text = "Dodavatel: Elektro Novák a synové, s.r.o., Roztylská 19, Praha 4";
        assert_eq!(
            merchant(text).as_deref(),
            Some("Elektro Novák a synové, s.r.o.")
        );
    }

    #[test]
    fn a_letterhead_beside_the_invoice_number_in_a_layout_is_the_name() {
        let text = "                                        FACTURE\nBoulangerie Martin SARL                                   Facture n° F-2026-0412\n12 rue de la République, 69002 Lyon                       Date de facture : 03/10/2026\nClient : Atelier Dubois\nDésignation   Qté\nPain   20   3,20   64,00\nTotal TTC    117,63 €\nNet à payer  117,63 €";
        assert_eq!(merchant(text).as_deref(), Some("Boulangerie Martin SARL"));
    }

    #[test]
    fn a_closing_line_is_no_name_and_parentheses_keep_a_name_whole() {
        let text = "| MR. D.I.Y. (M) SDN BHD\n5 (CO.REG :860671-D)";
        assert_eq!(merchant(text).as_deref(), Some("MR. D.I.Y. (M) SDN BHD"));
        let text = "GOODS SOLD ARE NOT RETURNABLE, THANK YOU\nSLF CASH & CARRY";
        assert_eq!(merchant(text).as_deref(), Some("SLF CASH & CARRY"));
        let text = "AIK HUAT HARDWARE ENTERPRISE (SETIA, ALAM) SDN BHD\nNO. 17-G, JALAN SETIA";
        assert_eq!(
            merchant(text).as_deref(),
            Some("AIK HUAT HARDWARE ENTERPRISE (SETIA, ALAM) SDN BHD")
        );
    }

    #[test]
    fn name_broken_after_an_ampersand_is_joined() {
        let text = "HOME MASTER HARDWARE &\nELECTRICAL\nNO.113G, JALAN SETIA";
        assert_eq!(
            merchant(text).as_deref(),
            Some("HOME MASTER HARDWARE & ELECTRICAL")
        );
    }
}
