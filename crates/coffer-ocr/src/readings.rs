//! A second look at a doubtful photo: the page is read again with gentler binarisations and
//! the issue date and total are decided by a vote of the readings. OCR errors differ from one
//! binarisation to the next (a digit lost to speckle in one is clean in another), while the
//! printed truth stays the same, so the value most readings agree on is the likeliest. The
//! merchant is the one the reading most sure of it found.

use crate::fields::Fields;
use crate::text::fold;

/// Below this confidence the total is worth a second look: it was not confirmed by another
/// printed figure (tendered − change, subtotal + tax, the VAT recap, a repeat).
const DOUBTFUL_TOTAL: f32 = 0.7;

/// Below this confidence the issue date is worth a second look: another date on the page
/// was as likely.
const DOUBTFUL_DATE: f32 = 0.6;

/// Below this confidence the merchant is worth a second look: no line of the page read as a
/// name (a label, a table heading or noise was the best there was).
const DOUBTFUL_MERCHANT: f32 = 0.4;

/// Two readings of a merchant read the same name when at least this share of its letters
/// match in place (edit distance): `SON BHD` and `SDN BHD`, not two companies' names.
const SAME_NAME: f64 = 0.5;

/// True when the first reading left the date, the total or the merchant in doubt.
pub fn needs_second_look(fields: &Fields) -> bool {
    fields.merchant.is_none()
        || fields.confidence.merchant < DOUBTFUL_MERCHANT
        || fields.date.is_none()
        || fields.confidence.date < DOUBTFUL_DATE
        || fields.total.is_none()
        || fields.confidence.total < DOUBTFUL_TOTAL
}

/// True when two readings found the same date and the same total.
pub fn agree(a: &Fields, b: &Fields) -> bool {
    a.date == b.date && a.total == b.total
}

/// True when most readings agree on both the date and the total; otherwise one more reading
/// is worth its cost as a tie-breaker.
pub fn settled(readings: &[Fields]) -> bool {
    agreed(readings.iter().map(|f| f.date)) && agreed(readings.iter().map(|f| f.total))
}

/// True when more than half of the values are one and the same.
fn agreed<T: PartialEq>(values: impl Iterator<Item = Option<T>>) -> bool {
    let values: Vec<Option<T>> = values.collect();
    let majority = values.len() / 2 + 1;
    values
        .iter()
        .flatten()
        .any(|v| values.iter().flatten().filter(|o| *o == v).count() >= majority)
}

/// `base`'s fields (the first reading's) with the merchant, the date and the total each
/// replaced by the value with the most confidence summed over the readings that found it;
/// the earliest of `readings` wins a tie. A value several readings agree on gains confidence.
pub fn vote(base: &Fields, readings: &[Fields]) -> Fields {
    let mut merged = base.clone();
    // The merchant of the reading most sure of its letterhead: a name read cleanly scores
    // its legal form, capitals and position, a garbled one does not. Of readings as sure,
    // the earliest spells the name when they read the same one (`SDN BHD` for `SON BHD`);
    // when they read different names, the base's stands.
    if let Some(first) = readings
        .iter()
        .filter(|f| f.merchant.is_some())
        .rev()
        .max_by(|a, b| a.confidence.merchant.total_cmp(&b.confidence.merchant))
    {
        let rival = base.merchant.is_some()
            && base.confidence.merchant >= first.confidence.merchant
            && !same_name(base, first);
        let best = if rival { base } else { first };
        merged.merchant = best.merchant.clone();
        merged.confidence.merchant = best.confidence.merchant;
        merged.rules.merchant = best.rules.merchant;
    }
    if let Some((date, conf)) = winner(readings.iter().map(|f| (f.date, f.confidence.date))) {
        merged.date = Some(date);
        merged.confidence.date = conf;
        if let Some(f) = readings.iter().find(|f| f.date == Some(date)) {
            merged.rules.date = f.rules.date;
        }
    }
    let totals = readings.iter().map(|f| (f.total, f.confidence.total));
    if let Some((total, conf)) = winner(totals) {
        merged.total = Some(total);
        merged.confidence.total = conf;
        if let Some(f) = readings.iter().find(|f| f.total == Some(total)) {
            merged.rules.total = f.rules.total;
        }
        if merged.currency.is_none() {
            merged.currency = readings.iter().find_map(|f| f.currency);
        }
    }
    merged
}

/// True when two readings found the merchant by the same rule and as nearly the same text
/// (half the letters or more in place).
fn same_name(a: &Fields, b: &Fields) -> bool {
    let (Some(x), Some(y)) = (&a.merchant, &b.merchant) else {
        return false;
    };
    a.rules.merchant == b.rules.merchant
        && strsim::normalized_levenshtein(&fold(x), &fold(y)) >= SAME_NAME
}

/// The value with the most summed confidence, and the confidence it ends with: the best
/// single reading's, raised by a tenth for every other reading that agrees.
fn winner<T: PartialEq + Copy>(values: impl Iterator<Item = (Option<T>, f32)>) -> Option<(T, f32)> {
    let mut tally: Vec<(T, f32, f32, usize)> = Vec::new();
    for (value, conf) in values {
        let Some(value) = value else { continue };
        match tally.iter_mut().find(|(v, ..)| *v == value) {
            Some((_, sum, best, count)) => {
                *sum += conf;
                *best = best.max(conf);
                *count += 1;
            }
            None => tally.push((value, conf, conf, 1)),
        }
    }
    // `max_by` keeps the last of equals; reversing makes the earliest reading win a tie.
    tally
        .into_iter()
        .rev()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(value, _, best, count)| (value, (best + 0.1 * (count - 1) as f32).min(0.97)))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::money::Amount;

    fn reading(date: Option<time::Date>, total: Option<i64>, total_conf: f32) -> Fields {
        let mut f = Fields {
            date,
            total: total.map(Amount::from_cents),
            currency: "EUR".parse().ok(),
            merchant: Some("Bakery".into()),
            ..Fields::default()
        };
        f.confidence.merchant = 0.7;
        f.confidence.date = if date.is_some() { 0.7 } else { 0.0 };
        f.confidence.total = total_conf;
        f
    }

    #[test]
    fn the_value_most_readings_agree_on_wins() {
        let readings = [
            reading(None, Some(1405), 0.6),
            reading(Some(date!(2018 - 03 - 19)), Some(1485), 0.5),
            reading(Some(date!(2018 - 03 - 19)), Some(1485), 0.5),
        ];
        let voted = vote(&readings[0], &readings);
        assert_eq!(voted.date, Some(date!(2018 - 03 - 19)));
        assert_eq!(voted.total, Some(Amount::from_cents(1485)));
        assert!((voted.confidence.total - 0.6).abs() < 1e-6);
        assert!(settled(&readings));
    }

    #[test]
    fn the_first_reading_wins_a_tie_and_disagreement_is_not_settled() {
        let readings = [
            reading(Some(date!(2018 - 03 - 19)), Some(1000), 0.5),
            reading(Some(date!(2018 - 08 - 19)), Some(1006), 0.5),
        ];
        let voted = vote(&readings[0], &readings);
        assert_eq!(voted.date, Some(date!(2018 - 03 - 19)));
        assert_eq!(voted.total, Some(Amount::from_cents(1000)));
        assert!(!settled(&readings));
    }

    /// The readings vote in the order given, the first winning a tie (of the merchant, when it
    /// reads the same name), while the other fields are the base's.
    #[test]
    fn an_earlier_reading_wins_a_tie_over_the_base_whose_other_fields_stay() {
        let mut base = reading(Some(date!(2018 - 03 - 19)), Some(1000), 0.5);
        base.merchant = Some("SON BHD".into());
        base.confidence.merchant = 0.8;
        base.document_number = Some("CS001".into());
        let mut clean = reading(Some(date!(2018 - 03 - 18)), Some(1006), 0.5);
        clean.merchant = Some("SDN BHD".into());
        clean.confidence.merchant = 0.8;
        clean.document_number = Some("C5001".into());
        let voted = vote(&base, &[clean.clone(), base.clone()]);
        assert_eq!(voted.date, Some(date!(2018 - 03 - 18)));
        assert_eq!(voted.total, Some(Amount::from_cents(1006)));
        assert_eq!(voted.merchant.as_deref(), Some("SDN BHD"));
        assert_eq!(voted.document_number.as_deref(), Some("CS001"));
        // Another company's name, as sure: the base's name stands.
        clean.merchant = Some("Elektro Horváth s.r.o.".into());
        let voted = vote(&base, &[clean, base.clone()]);
        assert_eq!(voted.merchant.as_deref(), Some("SON BHD"));
    }

    #[test]
    fn a_missing_date_an_unconfirmed_total_or_a_poor_merchant_asks_for_a_second_look() {
        assert!(needs_second_look(&reading(None, Some(100), 0.9)));
        assert!(needs_second_look(&reading(
            Some(date!(2020 - 01 - 01)),
            Some(100),
            0.59
        )));
        assert!(!needs_second_look(&reading(
            Some(date!(2020 - 01 - 01)),
            Some(100),
            0.83
        )));
        let mut rivalled = reading(Some(date!(2020 - 01 - 01)), Some(100), 0.83);
        rivalled.confidence.date = 0.5;
        assert!(needs_second_look(&rivalled));
        // A merchant that is only the best of poor lines (a table heading) is worth another
        // reading too.
        let mut unnamed = reading(Some(date!(2020 - 01 - 01)), Some(100), 0.83);
        unnamed.confidence.merchant = 0.27;
        assert!(needs_second_look(&unnamed));
        // No merchant at all, whatever confidence was left behind.
        unnamed.confidence.merchant = 0.7;
        unnamed.merchant = None;
        assert!(needs_second_look(&unnamed));
    }
}
