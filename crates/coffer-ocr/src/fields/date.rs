//! Picks the issue date among all dates in a document (telling it apart from due, delivery,
//! print and validity dates by their labels) and derives warranty and contract end dates.

use std::sync::LazyLock;

use coffer_core::DocumentKind;
use regex::Regex;
use time::{Date, Month};

use super::DEFAULT_WARRANTY_MONTHS;
use crate::dates::{Order, add_months, find_dates_in, page_order};
use crate::text::{fold, has_word};
use crate::words::{Words, all};

static ISSUE: Words = LazyLock::new(|| all(|l| l.issue_date));
static NOT_ISSUE: Words = LazyLock::new(|| all(|l| l.other_date));
/// The bare word for a date (`Datum`, `Date`): an issue label less telling than `Datum
/// vystavení` or `Invoice date`, and on a form often the first half of another date's label.
static BARE: Words = LazyLock::new(|| all(|l| l.date_label));
/// Payment lines: a "date" there with no date label is an amount OCR made date-like
/// (`CASH 1.5.00`).
const PAYMENT: &[&str] = &["cash", "change", "tendered", "rounding"];
static WARRANTY_END: Words = LazyLock::new(|| all(|l| l.warranty_end));
static WARRANTY_TERM: Words = LazyLock::new(|| all(|l| l.warranty));

/// The issue date and a confidence. `laid_out` is an OCR'd page with each word at its column
/// (`DocumentText::layout_lines`), where dates wrapped in table cells line up; `None` when the
/// lines keep their columns already (a text layer).
pub fn issue_date(
    lines: &[String],
    laid_out: Option<&[String]>,
) -> Option<(Date, f32, &'static str)> {
    let mut candidates: Vec<(i32, Date)> = Vec::new();
    let order = page_order(lines);
    let wrapped = wrapped_dates(laid_out.unwrap_or(lines));
    // Cells found on the laid-out page stand on other line numbers than `lines`: they give
    // candidates, but the labels beside them are read only where the lines are the same.
    let cells = if laid_out.is_none() {
        &wrapped[..]
    } else {
        &[]
    };
    for (i, line) in lines.iter().enumerate() {
        let dates = find_dates_in(line, order);
        if dates.is_empty() {
            continue;
        }
        let mut previous_end = 0;
        for m in &dates {
            // The label is the text between the previous date on the line (if any) and this
            // one, or the previous line when nothing precedes the date. Right of a wrapped
            // date's cell, the table's label cell is wrapped too: the text between that cell
            // and this date on the line above, this one and the line below.
            let at = line[..m.start].chars().count();
            let beside = cells
                .iter()
                .filter(|w| w.lines.contains(&i) && w.right <= at)
                .map(|w| w.right)
                .max();
            let label = nearest_label(&fold(&line[previous_end..m.start]));
            previous_end = m.end;
            let label = if let Some(from) = beside {
                let rows = i.saturating_sub(1)..lines.len().min(i + 2);
                let text: Vec<String> = lines[rows]
                    .iter()
                    .map(|l| l.chars().skip(from).take(at - from).collect())
                    .collect();
                fold(&text.join(" "))
            } else if label.chars().filter(|c| c.is_alphabetic()).count() < 2 && i > 0 {
                fold(&lines[i - 1])
            } else if let Some(rest) = lines
                .get(i + 1)
                .and_then(|next| label_rest(&label, next, order))
            {
                format!("{label} {rest}")
            } else {
                label
            };
            let Some(mut score) = label_score(&label) else {
                continue;
            };
            // Receipts print the sale's time next to its date.
            if has_time(&line[m.end..]) || has_time(&line[..m.start]) {
                score += 2;
            }
            candidates.push((score, m.date));
        }
    }
    for w in wrapped {
        if let Some(score) = label_score(&fold(&w.label)) {
            candidates.push((score, w.date));
        }
    }
    // The first of the best-scored dates; another date scored as high means one of them was
    // misread (the same sale's date printed twice) or the labels cannot tell them apart.
    let (score, date) = *candidates.iter().rev().max_by_key(|(score, _)| *score)?;
    let rival = candidates.iter().any(|&(s, d)| s == score && d != date);
    let confidence = match score {
        _ if rival => 0.5,
        s if s >= 4 => 0.95,
        s if s >= 3 => 0.9,
        s if s >= 0 => 0.7,
        _ => 0.3,
    };
    let rule = match score {
        _ if rival => "two dates as likely",
        s if s >= 5 => "labelled date beside a time",
        s if s >= 3 => "labelled date",
        s if s >= 2 => "date beside a time",
        s if s >= 0 => "unlabelled date",
        _ => "date labelled as another kind",
    };
    Some((date, confidence, rule))
}

/// How a date's label speaks for it being the issue date: `None` for an amount on a payment
/// line that OCR made date-like.
fn label_score(label: &str) -> Option<i32> {
    let issue: Vec<&str> = ISSUE
        .iter()
        .copied()
        .filter(|w| has_word(label, w))
        .collect();
    if issue.is_empty() && PAYMENT.iter().any(|w| has_word(label, w)) {
        return None;
    }
    let mut score = 0;
    if !issue.is_empty() {
        score += 3;
    }
    // `Datum vystavení`, `Invoice date`: more telling than a bare `Datum`.
    if issue.iter().any(|w| !BARE.contains(w)) {
        score += 1;
    }
    if NOT_ISSUE.iter().any(|w| has_word(label, w)) {
        score -= 5;
    }
    Some(score)
}

/// Of several labels before a date, the one beside it: the text after the last colon that
/// has a word of four letters or more after it (`Datum vystavení:2025splatnosti:` is the due
/// date's label, as the second recogniser runs a grid's cells together). Digits run into a
/// word are set apart from it.
fn nearest_label(label: &str) -> String {
    let worded = |part: &&str| {
        part.split(|c: char| !c.is_alphabetic())
            .any(|w| w.chars().count() >= 4)
    };
    let parts: Vec<&str> = label.split(':').collect();
    let Some(at) = parts.iter().rposition(worded) else {
        return label.to_string();
    };
    let mut out = String::new();
    for c in parts[at..].join(":").chars() {
        let glued = out.chars().next_back().is_some_and(|p: char| {
            (p.is_ascii_digit() && c.is_alphabetic()) || (p.is_alphabetic() && c.is_ascii_digit())
        });
        if glued {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The rest of a label that wrapped in its table cell: `Datum` beside the date, `splatnosti:`
/// under it. `label` (folded) has no colon of its own, and `next` starts with a word in lower
/// case (or `label` is a bare date word) and ends its label with a colon, with no date on it.
fn label_rest(label: &str, next: &str, order: Order) -> Option<String> {
    if label.trim_end().ends_with(':') || !find_dates_in(next, order).is_empty() {
        return None;
    }
    let (rest, _) = next.split_once(':')?;
    let words: Vec<&str> = rest
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    let lower = words
        .first()?
        .chars()
        .find(|c| c.is_alphabetic())?
        .is_lowercase();
    let bare = BARE.contains(&label.trim_matches(|c: char| !c.is_alphabetic()));
    ((lower || bare) && words.len() <= 3).then(|| fold(rest))
}

/// A day and month at the end of a table cell (`14. 11.`, then a gap, the line's end, or the
/// next cell's word where OCR kept no gap).
static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\s)(\d{1,2})\.\s?(\d{1,2})\.(?:\s{2,}|\s*$|\s\p{L})").unwrap()
});
/// A year alone in its cell (OCR may add a mark after it, or keep no gap to the next cell).
static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\s)((?:19|20)\d{2})[-.,]?(?:\s{2,}|\s*$|\s\p{L})").unwrap());

/// A date wrapped in a narrow table cell.
struct Wrapped {
    date: Date,
    /// The text left of the cell on the lines it spans (the label sits beside the date's
    /// middle line).
    label: String,
    lines: std::ops::RangeInclusive<usize>,
    /// The character column where the cell ends.
    right: usize,
}

/// Dates wrapped in a narrow table cell: `14. 11.` with `2025` in the same column on one of
/// the next two lines, as `pdftotext -layout` keeps them.
fn wrapped_dates(lines: &[String]) -> Vec<Wrapped> {
    let column = |line: &str, byte: usize| line[..byte].chars().count();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for c in DAY_MONTH.captures_iter(line) {
            let (day, month) = (c.get(1).expect("day"), c.get(2).expect("month"));
            let at = column(line, day.start());
            let year = (i + 1..lines.len().min(i + 3)).find_map(|j| {
                YEAR.captures_iter(&lines[j])
                    .map(|y| y.get(1).expect("year"))
                    .find(|y| column(&lines[j], y.start()).abs_diff(at) <= 2)
                    .map(|y| (j, y))
            });
            let Some((last, year)) = year else {
                continue;
            };
            let date = (c[1].parse::<u8>().ok())
                .zip(
                    c[2].parse::<u8>()
                        .ok()
                        .and_then(|m| Month::try_from(m).ok()),
                )
                .zip(year.as_str().parse::<i32>().ok())
                .and_then(|((d, m), y)| Date::from_calendar_date(y, m, d).ok());
            let Some(date) = date else {
                continue;
            };
            let label: Vec<String> = lines[i..=last]
                .iter()
                .map(|l| l.chars().take(at).collect())
                .collect();
            let right = column(line, month.end() + 1).max(column(&lines[last], year.end()));
            out.push(Wrapped {
                date,
                label: label.join(" "),
                lines: i..=last,
                right,
            });
        }
    }
    out
}

fn has_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(5).any(|w| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
    }) || b.windows(4).any(|w| {
        w[0].is_ascii_digit() && w[1] == b':' && w[2].is_ascii_digit() && w[3].is_ascii_digit()
    })
}

/// Warranty or contract end: an explicit end date, a stated term in months or years from the
/// issue date, or for warranties the legal default of 24 months.
pub fn expiry(lines: &[String], kind: DocumentKind, issued: Option<Date>) -> Option<(Date, f32)> {
    let order = page_order(lines);
    for (i, line) in lines.iter().enumerate() {
        let folded = fold(line);
        if !WARRANTY_END.iter().any(|w| folded.contains(w)) {
            continue;
        }
        let dates = find_dates_in(line, order);
        let date = dates.last().map(|m| m.date).or_else(|| {
            lines
                .get(i + 1)
                .and_then(|n| find_dates_in(n, order).first().map(|m| m.date))
        });
        if let Some(date) = date.filter(|d| issued.is_none_or(|iss| *d > iss)) {
            return Some((date, 0.85));
        }
    }
    let issued = issued?;
    for line in lines {
        let folded = fold(line);
        if !WARRANTY_TERM.iter().any(|w| folded.contains(w)) {
            continue;
        }
        if let Some(months) = term_in_months(&folded) {
            return Some((add_months(issued, months), 0.75));
        }
    }
    (kind == DocumentKind::Warranty || mentions_warranty(lines))
        .then(|| (add_months(issued, DEFAULT_WARRANTY_MONTHS), 0.4))
}

fn mentions_warranty(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        let f = fold(l);
        WARRANTY_TERM.iter().any(|w| f.contains(w))
    })
}

/// Reads "24 měsíců", "2 roky", "36 months", "2 Jahre", "12 mois", "2 lata" as months.
fn term_in_months(folded: &str) -> Option<u32> {
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for pair in words.windows(2) {
        let Ok(n) = pair[0].parse::<u32>() else {
            continue;
        };
        let unit = pair[1];
        if n == 0 || n > 240 {
            continue;
        }
        let is = |prefixes: &[&str]| prefixes.iter().any(|p| unit.starts_with(p));
        if is(&["mesic", "month", "monat", "mois", "maand", "miesi", "mes"]) {
            return Some(n);
        }
        if is(&["rok", "let", "year", "jahr", "an", "jaar", "lat", "rok"]) && n <= 20 {
            return Some(n * 12);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn issue_date_is_told_apart_from_due_and_delivery_dates() {
        let text = "Datum splatnosti: 14.04.2024\nDatum vystavení: 31.03.2024\nDUZP: 30.03.2024";
        assert_eq!(
            issue_date(&lines(text), None).map(|d| d.0),
            Some(date!(2024 - 03 - 31))
        );
        let text = "Due date: 2024-05-01\nInvoice date: 2024-04-01";
        assert_eq!(
            issue_date(&lines(text), None).map(|d| d.0),
            Some(date!(2024 - 04 - 01))
        );
    }

    #[test]
    fn side_by_side_dates_keep_their_own_labels() {
        let text = "Datum splatnosti: 14.04.2024     Datum vystavení: 31.03.2024";
        assert_eq!(
            issue_date(&lines(text), None).map(|d| d.0),
            Some(date!(2024 - 03 - 31))
        );
    }

    /// `pdftotext -layout` of a table whose narrow date cells wrapped `d. m. yyyy`, the
    /// labels beside the dates' middle lines.
    #[test]
    fn a_date_wrapped_in_its_table_cell_is_read_with_the_label_beside_it() {
        let text = [
            "Odběratel:",
            "",
            "                                             14. 11.      Datum",
            "Datum vystavení:                                                               28.11.2025",
            "                                             2025         splatnosti:",
            "Datum uskutečnění zdanitelného               13. 11.      Variabilní",
            "                                                                               20254080",
            "plnění:                                      2025         symbol:",
        ]
        .map(String::from);
        let found = issue_date(&text, None).expect("a date");
        assert_eq!((found.0, found.2), (date!(2025 - 11 - 14), "labelled date"));
        // Read by OCR, the lines run on (the year after the label), and the page laid out
        // by the words' columns shows the wrapped cell.
        let read = [
            ", 26. 12. Datum",
            "Datum vystavení: 2023 splatnosti: 09.01.2024",
        ]
        .map(String::from);
        let laid_out = [
            "                 26. 12.     Datum",
            "Datum vystavení: 2023        splatnosti:     09.01.2024",
        ]
        .map(String::from);
        let found = issue_date(&read, Some(&laid_out)).expect("a date");
        assert_eq!(found.0, date!(2023 - 12 - 26));
        // A day and month with no year under them are no date.
        let text = ["Datum vystavení:        14. 11.", "Celkem   2 025,00"].map(String::from);
        assert_eq!(issue_date(&text, None), None);
    }

    /// Scanned label/value grids: a label cell wrapped over two lines (`Datum` beside the due
    /// date, `splatnosti:` under it), a specific issue label beside a bare `Datum`, and a year
    /// read with a stray mark after it.
    #[test]
    fn a_wrapped_label_and_a_specific_label_tell_the_issue_date_from_the_due_date() {
        let read = [
            "DIČ: CZ82577358 Datum 26.08.2024",
            "splatnosti:",
            "Datum vystavení: 12.08.2024",
        ];
        let (date, conf, _) = issue_date(&read.map(String::from), None).expect("a date");
        assert_eq!((date, conf), (date!(2024 - 08 - 12), 0.95));
        // The bare word's continuation may be capitalised.
        let read = [
            "Datum ©. 18.09.2026",
            "_Splatnosti:",
            "Datum en saan 19.08.2026",
        ];
        let found = issue_date(&read.map(String::from), None).expect("a date");
        assert_eq!(found.0, date!(2026 - 08 - 19));
        // Without a label below it, the bare word is an issue label, as sure as `Datum:`.
        let read = ["Datum 26.08.2024", "Celkem: 120,00"];
        let (date, conf, _) = issue_date(&read.map(String::from), None).expect("a date");
        assert_eq!((date, conf), (date!(2024 - 08 - 26), 0.9));
        // A label that ends in its colon keeps the date: the next line is another label.
        let read = ["Datum vystavení: 12.08.2024", "splatnosti:", "26.08.2024"];
        let found = issue_date(&read.map(String::from), None).expect("a date");
        assert_eq!(found.0, date!(2024 - 08 - 12));
        // A wrapped cell's year with a mark after it, the due date's label wrapped too.
        let laid_out = [
            "                 14. 11.     Datum",
            "Datum vystavení: 2025-       splatnosti:   28.11.2025",
        ]
        .map(String::from);
        let read = [
            "14. 11. Datum",
            "Datum vystavení: 2025- splatnosti: 28.11.2025",
        ];
        let found = issue_date(&read.map(String::from), Some(&laid_out)).expect("a date");
        assert_eq!(found.0, date!(2025 - 11 - 14));
        // Read with no gaps between the cells: the same.
        let laid_out = [
            "                 14. 11. Datum.",
            "Datum vystavení: 2025- splatnosti: (28.19.2028",
        ]
        .map(String::from);
        let found = issue_date(&laid_out, Some(&laid_out)).expect("a date");
        assert_eq!(found.0, date!(2025 - 11 - 14));
        // The second recogniser runs the cells of a row together: the label nearest the date
        // is its own.
        let read = ["Datum vystavení:2025splatnosti:28.11.2025"].map(String::from);
        let (date, _, rule) = issue_date(&read, None).expect("a date");
        assert_eq!(
            (date, rule),
            (date!(2025 - 11 - 28), "date labelled as another kind")
        );
        let read = ["Datum vystavení: a NE 19.08.2026"].map(String::from);
        assert_eq!(issue_date(&read, None).map(|d| d.2), Some("labelled date"));
    }

    #[test]
    fn receipt_date_next_to_a_time_is_preferred() {
        let text = "Valid 01/01/2020\n19/03/2018 1:01:43 PM";
        assert_eq!(
            issue_date(&lines(text), None).map(|d| d.0),
            Some(date!(2018 - 03 - 19))
        );
    }

    #[test]
    fn a_second_date_as_likely_as_the_first_leaves_the_date_in_doubt() {
        // The sale's timestamp printed twice, one digit misread in the first.
        let (date, conf, _) = issue_date(
            &lines("26/03/2018 10:36:13\nTotal 30.00\n28/03/2018 10:36:13"),
            None,
        )
        .unwrap();
        assert_eq!(date, date!(2018 - 03 - 26));
        assert!(conf < 0.6);
        // The same date twice is no doubt at all.
        let (_, conf, _) = issue_date(
            &lines("28/03/2018 10:36:13\nTotal 30.00\n28/03/2018 10:36:13"),
            None,
        )
        .unwrap();
        assert!(conf > 0.6);
    }

    #[test]
    fn an_amount_read_like_a_date_on_a_payment_line_is_no_issue_date() {
        // `CASH 1.5.00` would otherwise rival the receipt's date and cast doubt on it.
        let (date, conf, _) =
            issue_date(&lines("RECEIPT 15/11/2017\nCASH 1.5.00\nCHANGE 0.00"), None).unwrap();
        assert_eq!(date, date!(2017 - 11 - 15));
        assert!(conf > 0.6);
        // A date label on a payment line still counts.
        let (date, _, _) = issue_date(&lines("CASH BILL Date: 12/03/2018"), None).unwrap();
        assert_eq!(date, date!(2018 - 03 - 12));
    }

    #[test]
    fn warranty_defaults_to_twenty_four_months_after_purchase() {
        let l = lines("Záruční list\nDatum prodeje 10.05.2023");
        let end = expiry(&l, DocumentKind::Warranty, Some(date!(2023 - 05 - 10)));
        assert_eq!(end.map(|e| e.0), Some(date!(2025 - 05 - 10)));
    }

    #[test]
    fn stated_warranty_term_overrides_the_default() {
        let l = lines("Záruka 36 měsíců");
        let end = expiry(&l, DocumentKind::Warranty, Some(date!(2023 - 05 - 10)));
        assert_eq!(end.map(|e| e.0), Some(date!(2026 - 05 - 10)));
    }

    #[test]
    fn explicit_contract_end_date_is_used() {
        let l = lines("Smlouva se uzavírá na dobu určitou, platnost do 31. 12. 2025");
        let end = expiry(&l, DocumentKind::Contract, Some(date!(2024 - 01 - 01)));
        assert_eq!(end.map(|e| e.0), Some(date!(2025 - 12 - 31)));
    }
}
