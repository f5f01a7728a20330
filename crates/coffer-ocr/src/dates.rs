//! Calendar dates as printed in the markets Coffer serves: numeric day-first forms
//! (`19.03.2018`, `19/03/18`, `12. 3. 2024`), ISO forms, and month names in Czech, Slovak,
//! English, German, French, Dutch and Polish.

use std::sync::LazyLock;

use regex::Regex;
use time::{Date, Month};

use crate::words::{self, Words, all};

/// One date found in a line of text, with its byte span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateMatch {
    pub date: Date,
    pub start: usize,
    pub end: usize,
}

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b((?:19|20)\d{2})\s?[-/.]\s?(\d{1,2})\s?[-/.]\s?(\d{1,2})\b").unwrap()
});
/// The year may run into a time read without the space between them (`25.03.202309:13`).
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d])(\d{1,2})(?:\s?([./:,-])\s?)(\d{1,2})(?:\s?([./:,-])\s?)(\d{4}|\d{2})(?:[^\d]|$|\d{1,2}:\d{2})").unwrap()
});
static COMPACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^\d])(\d{2})(\d{2})[./-]((?:19|20)\d{2})(?:[^\d]|$)").unwrap()
});
static DAY_MONTH_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(\d{1,2})(?:\.|st|nd|rd|th)?[\s\-/]*(\p{L}{3,12})\.?[\s,\-/]*((?:19|20)?\d{2})\b",
    )
    .unwrap()
});
static MONTH_NAME_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\p{L}{3,12})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{2})\b")
        .unwrap()
});

/// A time of day right after a date (`06-05.18 12: 43:19`) says that the numbers are a date.
static TIME_AFTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s{1,3}\d{1,2}\s?:\s?\d{2}\b").unwrap());

/// Date labels, matched also as OCR misreads them by one letter (`Dale`, `uate`, `Datun`).
static DATE_LABELS: Words = LazyLock::new(|| all(|l| l.date_label));

/// How a page writes the numeric dates whose first two numbers could both be the month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// `06.01.2026` is 6 January, as in Europe and most of the world.
    #[default]
    DayFirst,
    /// `06/01/2026` is June 1, as in the United States.
    MonthFirst,
}

/// The order of a page's numeric dates: month-first when some date on it can only be read
/// month-first (`06/15/2026`) and none only day-first (`15/06/2026`); day-first otherwise.
pub fn page_order<S: AsRef<str>>(lines: &[S]) -> Order {
    let (mut day_first, mut month_first) = (false, false);
    for line in lines {
        for c in NUMERIC.captures_iter(line.as_ref()) {
            if c[2] != c[4] || &c[2] == ":" || &c[2] == "," {
                continue;
            }
            let (Ok(a), Ok(b)) = (c[1].parse::<u8>(), c[3].parse::<u8>()) else {
                continue;
            };
            match (a, b) {
                (1..=12, 13..=31) => month_first = true,
                (13..=31, 1..=12) => day_first = true,
                _ => {}
            }
        }
    }
    if month_first && !day_first {
        Order::MonthFirst
    } else {
        Order::DayFirst
    }
}

/// Whether the text before a date carries a date label.
fn after_date_label(before: &str) -> bool {
    let lower = before.to_lowercase();
    lower.contains("dat")
        || lower.split(|c: char| !c.is_alphabetic()).any(|word| {
            DATE_LABELS
                .iter()
                .any(|label| one_letter_apart(word, label))
        })
}

/// Same length and exactly one differing letter.
pub fn one_letter_apart(word: &str, label: &str) -> bool {
    word.chars().count() == label.chars().count()
        && word
            .chars()
            .zip(label.chars())
            .filter(|(a, b)| a != b)
            .count()
            == 1
}

/// Abbreviations, matched on the first three or four letters of a word.
const MONTH_ABBREVIATIONS: &[(&str, u8)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    ("mär", 3),
    ("okt", 10),
    ("dez", 12),
    ("mrt", 3),
    ("avr", 4),
    ("fév", 2),
    ("fev", 2),
    ("aoû", 8),
    ("déc", 12),
];

fn month_from_word(word: &str) -> Option<u8> {
    let lower = word.to_lowercase();
    if let Some(m) = words::month(&lower) {
        return Some(m);
    }
    // Abbreviations only as written (`Mar`, `Sept`), so OCR noise like `Juld` is no month.
    let word = if lower == "sept" {
        "sep"
    } else {
        lower.as_str()
    };
    MONTH_ABBREVIATIONS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, m)| *m)
}

fn make_date(year: i32, month: u8, day: u8) -> Option<Date> {
    if !(1990..=2099).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

fn full_year(digits: &str) -> Option<i32> {
    let y: i32 = digits.parse().ok()?;
    Some(match digits.len() {
        2 => 2000 + y,
        // OCR often misreads the 0 of 20xx (`2618`, `2418`): keep the decade and year.
        4 if !(1990..=2099).contains(&y) && digits.starts_with('2') => 2000 + y % 100,
        _ => y,
    })
}

/// Finds every plausible date in one line, left to right, without overlaps.
pub fn find_dates(line: &str) -> Vec<DateMatch> {
    find_dates_in(line, Order::DayFirst)
}

/// The dates in a line of a page whose numeric dates are written in `order`.
pub fn find_dates_in(line: &str, order: Order) -> Vec<DateMatch> {
    let mut found: Vec<DateMatch> = Vec::new();
    let mut push = |m: DateMatch| {
        if !found.iter().any(|f| f.start < m.end && m.start < f.end) {
            found.push(m);
        }
    };
    for c in ISO.captures_iter(line) {
        let whole = c.get(0).expect("group 0");
        let (Some(y), Some(mo), Some(d)) = (full_year(&c[1]), c[2].parse().ok(), c[3].parse().ok())
        else {
            continue;
        };
        if let Some(date) = make_date(y, mo, d) {
            push(DateMatch {
                date,
                start: whole.start(),
                end: whole.end(),
            });
        }
    }
    let mut at = 0;
    while let Some(c) = NUMERIC.captures_at(line, at) {
        let span = (
            c.get(1).expect("day").start(),
            c.get(5).expect("year").end(),
        );
        // Resume at the separator before the middle number, so `19- 24/07/2016` still finds
        // the date that starts at `24`.
        at = c.get(2).expect("separator").start();
        let labelled = after_date_label(&line[..span.0]) || TIME_AFTER.is_match(&line[span.1..]);
        let (first, second) = (&c[2], &c[4]);
        if first == ":" && second == ":" {
            continue; // a time of day
        }
        if (first != second || first == ",") && !labelled {
            // Mixed separators (`12.03/2018`, `27.01:2023`) and a comma, OCR's misread of a
            // point (`10, 12. 2023`), only beside a date label.
            continue;
        }
        let (Ok(a), Ok(b), Some(y)) = (c[1].parse::<u8>(), c[3].parse::<u8>(), full_year(&c[5]))
        else {
            continue;
        };
        if &c[2] == "." && c[5].len() == 2 && c[1].len() == 2 && c[3].len() == 2 && a > 31 {
            continue;
        }
        // In the page's order; the other one only when that is impossible.
        let (day, month) = match order {
            Order::DayFirst => (a, b),
            Order::MonthFirst => (b, a),
        };
        if let Some(date) = make_date(y, month, day).or_else(|| make_date(y, day, month)) {
            push(DateMatch {
                date,
                start: span.0,
                end: span.1,
            });
        }
    }
    // A lost first separator (`2504/2017`), trusted only when the result is a valid date.
    for c in COMPACT.captures_iter(line) {
        let span = (
            c.get(1).expect("day").start(),
            c.get(3).expect("year").end(),
        );
        let (Ok(d), Ok(m), Some(y)) = (c[1].parse::<u8>(), c[2].parse::<u8>(), full_year(&c[3]))
        else {
            continue;
        };
        if let Some(date) = make_date(y, m, d) {
            push(DateMatch {
                date,
                start: span.0,
                end: span.1,
            });
        }
    }
    for c in DAY_MONTH_NAME.captures_iter(line) {
        let whole = c.get(0).expect("group 0");
        let (Ok(d), Some(m), Some(y)) =
            (c[1].parse::<u8>(), month_from_word(&c[2]), full_year(&c[3]))
        else {
            continue;
        };
        if let Some(date) = make_date(y, m, d) {
            push(DateMatch {
                date,
                start: whole.start(),
                end: whole.end(),
            });
        }
    }
    for c in MONTH_NAME_DAY.captures_iter(line) {
        let whole = c.get(0).expect("group 0");
        let (Some(m), Ok(d), Some(y)) =
            (month_from_word(&c[1]), c[2].parse::<u8>(), full_year(&c[3]))
        else {
            continue;
        };
        if let Some(date) = make_date(y, m, d) {
            push(DateMatch {
                date,
                start: whole.start(),
                end: whole.end(),
            });
        }
    }
    found.sort_by_key(|m| m.start);
    found
}

/// Adds calendar months, clamping the day to the end of a shorter month (31 Jan + 1 = 28/29 Feb).
pub fn add_months(date: Date, months: u32) -> Date {
    let total = date.year() * 12 + (date.month() as i32 - 1) + months as i32;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::December);
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn first(line: &str) -> Option<Date> {
        find_dates(line).first().map(|m| m.date)
    }

    #[test]
    fn numeric_dates_are_read_day_first() {
        assert_eq!(first("19/03/2018 1:01:43 PM"), Some(date!(2018 - 03 - 19)));
        assert_eq!(first("Date: 06-05-18"), Some(date!(2018 - 05 - 06)));
        assert_eq!(
            first("Datum vystavení: 12. 3. 2024"),
            Some(date!(2024 - 03 - 12))
        );
        assert_eq!(first("01.02.2024"), Some(date!(2024 - 02 - 01)));
        // The year run into the time, as the second recogniser reads a wide gap.
        assert_eq!(first("Datum: 25.03.202309:13"), Some(date!(2023 - 03 - 25)));
        assert_eq!(first("25.03.202309"), None);
    }

    #[test]
    fn a_misread_separator_after_a_date_label_is_tolerated() {
        assert_eq!(
            first("Datum: 27.01:2023 10:00"),
            Some(date!(2023 - 01 - 27))
        );
        assert_eq!(first("12:05:18"), None);
        assert_eq!(first("uate : 06- 05. 18"), Some(date!(2018 - 05 - 06)));
        assert_eq!(first("Dale 14.08/17"), Some(date!(2017 - 08 - 14)));
        assert_eq!(first("Ref 06- 05. 18"), None);
        // A point read as a comma, after the label only: elsewhere it is a list of numbers.
        assert_eq!(
            first("Datum vystavení: -= 7 BE 10, 12. 2023"),
            Some(date!(2023 - 12 - 10))
        );
        assert_eq!(first("Datum: 3,4,2024"), Some(date!(2024 - 04 - 03)));
        assert_eq!(first("Menge 10, 12, 2023"), None);
    }

    #[test]
    fn a_time_of_day_after_mixed_separators_marks_a_date() {
        assert_eq!(first("06- 05. 18 12: 43:19"), Some(date!(2018 - 05 - 06)));
        assert_eq!(first("06- 05. 18 kg"), None);
    }

    #[test]
    fn ocr_noise_is_not_a_month_name() {
        assert_eq!(first("Bate . 23-05- Juld 23:28:57"), None);
    }

    #[test]
    fn a_lost_first_separator_is_tolerated() {
        assert_eq!(first("DATE: 2504/2017"), Some(date!(2017 - 04 - 25)));
    }

    #[test]
    fn a_misread_century_digit_is_corrected() {
        assert_eq!(first("12-02-2618 11:34:45 AM"), Some(date!(2018 - 02 - 12)));
    }

    #[test]
    fn date_after_a_number_and_dash_is_found() {
        assert_eq!(
            first("ORD #95 -REG #19- 24/07/2016 14:21:51"),
            Some(date!(2016 - 07 - 24))
        );
    }

    #[test]
    fn month_first_is_used_only_when_day_first_is_impossible() {
        assert_eq!(first("12/31/2023"), Some(date!(2023 - 12 - 31)));
    }

    #[test]
    fn a_page_with_a_date_only_month_first_reads_its_other_dates_month_first() {
        let american = ["Invoice Date: 06/01/2026", "Due Date: 06/15/2026"];
        assert_eq!(page_order(&american), Order::MonthFirst);
        let issued = find_dates_in(american[0], page_order(&american))[0].date;
        assert_eq!(
            issued,
            Date::from_calendar_date(2026, Month::June, 1).unwrap()
        );
        let european = ["Datum: 06.01.2026", "Splatnost: 20.01.2026"];
        assert_eq!(page_order(&european), Order::DayFirst);
        // Only ambiguous dates, or evidence both ways: day-first.
        assert_eq!(page_order(&["Date: 06/01/2026"]), Order::DayFirst);
        assert_eq!(
            page_order(&["Date: 06/15/2026", "Delivered: 15/06/2026"]),
            Order::DayFirst
        );
    }

    #[test]
    fn iso_dates_are_read_year_first() {
        assert_eq!(first("2018-03-19 10:00"), Some(date!(2018 - 03 - 19)));
    }

    #[test]
    fn month_names_in_several_languages_are_read() {
        assert_eq!(first("19 Mar 2018"), Some(date!(2018 - 03 - 19)));
        assert_eq!(first("Mar 19, 2018"), Some(date!(2018 - 03 - 19)));
        assert_eq!(first("12. března 2024"), Some(date!(2024 - 03 - 12)));
        assert_eq!(first("3. Oktober 2023"), Some(date!(2023 - 10 - 03)));
        assert_eq!(first("le 5 février 2024"), Some(date!(2024 - 02 - 05)));
        assert_eq!(first("7 maart 2024"), Some(date!(2024 - 03 - 07)));
        assert_eq!(
            first("dnia 9 października 2023"),
            Some(date!(2023 - 10 - 09))
        );
    }

    #[test]
    fn amounts_and_phone_numbers_are_not_dates() {
        assert_eq!(first("Total 31.80"), None);
        assert_eq!(first("Tel: 03-5519 0823"), None);
    }

    #[test]
    fn adding_months_clamps_to_the_end_of_the_month() {
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2023 - 05 - 10), 24), date!(2025 - 05 - 10));
    }
}
