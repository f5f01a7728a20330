//! Finds the amount the customer pays: the line labelled as a (grand) total in one of our
//! languages, cross-checked against tendered-minus-change and the VAT recap when present.

use std::sync::LazyLock;

use regex::Regex;

use super::amounts::{BEFORE_NUMBER, find_amounts};
use super::payment::CARD;
use super::vat::VatRow;
use crate::money::{Amount, Notation};
use crate::text::fold;
use crate::words::{Words, all, any_word};

static PAYABLE: Words = LazyLock::new(|| all(|l| l.payable));
static GROSS: Words = LazyLock::new(|| all(|l| l.gross));
static PLAIN: Words = LazyLock::new(|| all(|l| l.total));
/// Labels of amounts before tax or of counts: never the total, whatever else the line says.
static NEVER_TOTAL: Words =
    LazyLock::new(|| [all(|l| l.subtotal), all(|l| l.net), all(|l| l.count)].concat());
/// Lines whose amount is not the total even though a total word may appear: tax amounts,
/// change, rounding, discounts and the like.
static NOT_TOTAL: Words = LazyLock::new(|| {
    [
        all(|l| l.not_total),
        all(|l| l.tax_total),
        all(|l| l.change),
        all(|l| l.rounding),
        all(|l| l.discount),
    ]
    .concat()
});
/// Lines stating what the customer handed over; tendered minus change is the total.
static TENDERED: Words = LazyLock::new(|| all(|l| l.tendered));
static CHANGE: Words = LazyLock::new(|| all(|l| l.change));

fn contains_any(folded: &str, words: &[&str]) -> bool {
    any_word(folded, words)
}

/// How strongly a line's label says "this is the amount to pay"; `None` when it does not.
fn label_weight(folded: &str) -> Option<i32> {
    let payable = contains_any(folded, &PAYABLE);
    let gross = contains_any(folded, &GROSS);
    if !payable && (contains_any(folded, &NEVER_TOTAL) || is_subtotal(folded)) {
        return None;
    }
    if !payable && !gross && contains_any(folded, &NOT_TOTAL) {
        return None;
    }
    if payable {
        Some(6)
    } else if gross {
        Some(5)
    } else if contains_any(folded, &PLAIN) {
        Some(3)
    } else {
        None
    }
}

fn last_positive_amount(line: &str, n: Notation) -> Option<Amount> {
    find_amounts(line, n)
        .into_iter()
        .rev()
        .map(|a| a.amount)
        .find(|c| c.is_positive())
}

/// The whole part in thousands (`63 062`, `101. 039`) or ungrouped, a point read as a space or
/// followed by one (with a speck after it, `810, ‚97`), the cents, and at the line's end a
/// currency, which a large bold total often leaves garbled (`Ke`, `e` for `€`): one or two
/// short words that do not start with a digit.
static LOST_POINT: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = r"(\d{1,3}(?:(?:[\ \u{a0}]|\.\ ?)\d{3})+|\d{1,5})(?:[.,]\ [^\w\s]?|\ )(\d{2})(?:\s+[^\s\d]\S{0,2}){0,2}[\s\W]*$";
    Regex::new(&[BEFORE_NUMBER, pattern].concat()).unwrap()
});

/// Bank account numbers (IBAN), whose groups of digits are no amount ("… NL91 ABNA 0417 1643 00").
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b").unwrap()
});

/// An amount at the end of a line whose decimal point OCR read as a space (`TOTAL 42 50`,
/// `CASH 200. 00`), only trusted on a line that has a total, tendered or change label.
fn lost_point_amount(line: &str) -> Option<Amount> {
    let line = IBAN.replace_all(line, " ");
    let c = LOST_POINT.captures(&line)?;
    let whole: String = c[1].chars().filter(char::is_ascii_digit).collect();
    Some(Amount::from_cents(
        whole.parse::<i64>().ok()? * 100 + c[2].parse::<i64>().ok()?,
    ))
}

/// The amount of a labelled total line.
fn labelled_amount(line: &str, n: Notation) -> Option<Amount> {
    last_positive_amount(line, n).or_else(|| lost_point_amount(line))
}

/// True when `printed` is likely an OCR misread of `computed`: the same number of digits,
/// exactly one of them different (`14.05` for `14.85`). A gap of a few cents to a multiple
/// of 5 cents is cash rounding, not a misread (`88.95` printed after `88.97`).
fn misread_of(computed: Amount, printed: Amount) -> bool {
    let (x, y) = (
        computed.thousandths().to_string(),
        printed.thousandths().to_string(),
    );
    let rounding = is_rounding_step(computed, printed);
    !rounding && x.len() == y.len() && x.chars().zip(y.chars()).filter(|(p, q)| p != q).count() == 1
}

/// Cash rounding: the rounded amount is a multiple of 5 cents at most 10 cents away, or a
/// whole unit at most half a unit away (Czech crowns, Hungarian forints are paid in cash to
/// the whole unit: `449,54` is paid as `450,00`).
fn is_rounding_step(unrounded: Amount, rounded: Amount) -> bool {
    let gap = (rounded - unrounded).abs();
    gap.is_positive()
        && ((rounded.is_multiple_of_cents(5) && gap <= Amount::from_cents(10))
            || (rounded.is_multiple_of_cents(100) && gap <= Amount::from_cents(50)))
}

fn letters(line: &str) -> usize {
    line.chars().filter(|c| c.is_alphabetic()).count()
}

struct Candidate {
    weight: i32,
    amount: Amount,
    line: usize,
    /// Confirmed by another printed figure (a repeat, the VAT recap, tendered minus change).
    corroborated: bool,
}

static ROUNDING: Words = LazyLock::new(|| all(|l| l.rounding));
static ROUNDED: Words = LazyLock::new(|| all(|l| l.rounded));

/// Headers of the tax recap table, whose rows read `Total 83.93 5.04` (base and tax).
static RECAP_HEADER: Words = LazyLock::new(|| all(|l| l.recap_header));

/// Receipt labels as a thermal printer with a worn print head leaves them: without the top
/// row of dots, T prints like I, O like U, C like L, G like b and R like K (`IUIAL`, `LASH`,
/// `KUUNDING`, `SUBIUIAL`, `UHANGE`). Each pattern matches a whole folded word.
static WORN_LABELS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"sub[ti1][ou0][ti1]a[l1i]", "subtotal"),
        (r"[ti1][ou0][ti1]a[l1i]", "total"),
        (r"[cl]ash", "cash"),
        (r"[clu]han[gbd]e", "change"),
        (r"[rk][ou0]und[il1]n[gbd]", "rounding"),
    ]
    .into_iter()
    .map(|(pattern, label)| (Regex::new(&format!(r"\b{pattern}\b")).unwrap(), label))
    .collect()
});

/// The line folded for matching, with worn-print labels read as what they are.
fn fold_label(line: &str) -> String {
    WORN_LABELS
        .iter()
        .fold(fold(line), |folded, (worn, label)| {
            worn.replace_all(&folded, *label).into_owned()
        })
}

/// The total to pay and a confidence in it.
/// The total to pay as found: the amount, a confidence in it, and the line that printed it
/// (where the currency mark is likeliest).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Total {
    pub amount: Amount,
    pub confidence: f32,
    pub line: Option<usize>,
    /// Which rule chose the amount, for `coffer extract --explain`.
    pub rule: &'static str,
}

/// The total to pay and a confidence in it.
pub fn find(lines: &[String], vat: &[VatRow], n: Notation) -> Option<Total> {
    let found = |amount: Amount, confidence: f32, line: Option<usize>, rule: &'static str| {
        Some(Total {
            amount,
            confidence,
            line,
            rule,
        })
    };
    let folded: Vec<String> = lines.iter().map(|l| fold_label(l)).collect();
    let recap_start = folded.iter().position(|f| contains_any(f, &RECAP_HEADER));
    let mut candidates: Vec<Candidate> = Vec::new();
    for (i, f) in folded.iter().enumerate() {
        let Some(weight) = label_weight(f) else {
            continue;
        };
        // A plain "Total" row of the tax recap sums its columns (base, tax), not the bill.
        if recap_start.is_some_and(|start| i > start)
            && weight <= 3
            && find_amounts(&lines[i], n).len() >= 2
        {
            continue;
        }
        // The amount sits on the label's line, or alone on the next line when OCR split the row.
        let amount = labelled_amount(&lines[i], n).or_else(|| {
            let next = lines.get(i + 1)?;
            // Only a bare amount (perhaps with a currency mark such as `RM` or `Kč`) counts.
            (letters(next) <= 2)
                .then(|| last_positive_amount(next, n))
                .flatten()
        });
        if let Some(amount) = amount {
            // Cash rounding is to 5 cents or coarser everywhere: a "rounded" total that is
            // not a multiple of 5 cents was misread.
            let weight = if contains_any(f, &ROUNDED) && !amount.is_multiple_of_cents(5) {
                weight - 3
            } else {
                weight
            };
            candidates.push(Candidate {
                weight,
                amount,
                line: i,
                corroborated: false,
            });
        }
    }

    // Cross-checks: amounts the total must equal when the printed figures add up.
    let payment = Payment::read(lines, &folded, n);
    let tendered_minus_change = payment.minus_change();
    let vat_gross: Amount = vat.iter().map(|v| v.gross).sum();
    let components = Components::read(lines, &folded, n);
    let closed = components.closed();
    if let Some(taxed) = components.taxed_subtotal(&candidates) {
        candidates.push(taxed);
    }
    let mut evidence: Vec<Amount> = components.sums();
    evidence.extend(tendered_minus_change);
    evidence.extend(payment.by_card(lines, &folded, n));
    if vat_gross.is_positive() {
        evidence.push(vat_gross);
    }
    for c in &mut candidates {
        let confirmations = evidence.iter().filter(|e| **e == c.amount).count() as i32;
        if confirmations > 0 {
            c.weight += 2 + confirmations;
            c.corroborated = true;
        }
    }
    // The same amount labelled as total more than once is more believable.
    let repeats: Vec<i32> = candidates
        .iter()
        .map(|c| {
            candidates
                .iter()
                .filter(|o| o.amount == c.amount && o.line != c.line)
                .count() as i32
        })
        .collect();
    for (c, r) in candidates.iter_mut().zip(repeats) {
        c.weight += r.min(2);
        c.corroborated |= r > 0;
    }

    if let Some(best) = candidates
        .iter()
        .max_by_key(|c| (c.weight, c.amount, c.line))
    {
        // The till rounds (a rounding line follows the total), so what is paid in cash is a
        // multiple of 5 cents.
        let rounds_later = folded[best.line + 1..]
            .iter()
            .any(|f| contains_any(f, &ROUNDING));
        if !best.corroborated {
            // Figures that agree with each other (subtotal + tax + rounding = cash - change)
            // outvote a lone printed total; so does arithmetic one misread digit away from it.
            let agreed = evidence
                .iter()
                .find(|e| evidence.iter().filter(|o| o == e).count() >= 2);
            // A bare subtotal only speaks for the total when nothing (tax, a discount) can
            // stand between them.
            let subtotal = components.subtotal.filter(|_| {
                components.tax.is_none() && !folded.iter().any(|f| contains_any(f, &DISCOUNT))
            });
            let near = evidence
                .iter()
                .chain(subtotal.as_ref())
                .filter(|e| !rounds_later || e.is_multiple_of_cents(5))
                .find(|e| misread_of(**e, best.amount));
            if let Some(value) = closed.as_ref().or(agreed).or(near) {
                return found(
                    *value,
                    0.6,
                    None,
                    "figures that add up outvote a lone total",
                );
            }
        }
        if let Some(rounded) = apply_rounding(lines, &folded, best, tendered_minus_change, n) {
            return found(
                rounded,
                0.7,
                Some(best.line),
                "labelled total after cash rounding",
            );
        }
        let mut confidence = (0.35 + 0.08 * best.weight as f32).min(0.97);
        // Not rounded on a till that rounds: the rounded figure was misread somewhere, so the
        // total is in doubt.
        if rounds_later && !best.amount.is_multiple_of_cents(5) {
            confidence = confidence.min(0.5);
        }
        return found(best.amount, confidence, Some(best.line), "labelled total");
    }
    if let Some(amount) = closed {
        return found(amount, 0.6, None, "subtotal + tax + rounding");
    }
    if let Some(amount) = tendered_minus_change {
        return found(amount, 0.5, None, "tendered minus change");
    }
    if vat_gross.is_positive() {
        return found(vat_gross, 0.5, None, "VAT recap gross");
    }
    // No change printed: what was handed over is the likeliest amount.
    if let Some(tendered) = payment.tendered_alone() {
        return found(tendered, 0.3, None, "amount tendered");
    }
    // Last resort: the largest amount not on a payment or change line.
    lines
        .iter()
        .zip(&folded)
        .filter(|(_, f)| !contains_any(f, &TENDERED) && !contains_any(f, &CHANGE))
        .flat_map(|(l, _)| find_amounts(l, n))
        .map(|a| a.amount)
        .filter(|c| c.is_positive())
        .max()
        .and_then(|c| found(c, 0.25, None, "largest amount"))
}

static SUBTOTAL: Words = LazyLock::new(|| all(|l| l.subtotal));
static TAX: Words = LazyLock::new(|| all(|l| l.tax));
static TAX_TOTAL: Words = LazyLock::new(|| all(|l| l.tax_total));
const NOT_TAX_AMOUNT: &[&str] = &[
    "summary", "incl", "included", "includes", "excl", "id", "reg", "no",
];
static DISCOUNT: Words = LazyLock::new(|| all(|l| l.discount));

/// `sub` and a word starting `to` or `t0`: a subtotal label whose end OCR lost (`SUB T014.`).
static SUBTOTAL_STUB: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bsub[\s-]?t[o0]").unwrap());

fn is_subtotal(folded: &str) -> bool {
    contains_any(folded, &SUBTOTAL) || SUBTOTAL_STUB.is_match(folded)
}

/// The printed parts of the bill: subtotal, tax and cash rounding, each when readable.
struct Components {
    subtotal: Option<Amount>,
    /// The subtotal's line, for receipts whose "subtotal" already includes the tax.
    subtotal_line: Option<usize>,
    tax: Option<Amount>,
    rounding: Option<Amount>,
}

impl Components {
    fn read(lines: &[String], folded: &[String], n: Notation) -> Components {
        let subtotal_line = (0..lines.len()).find(|&i| is_subtotal(&folded[i]));
        let subtotal = subtotal_line
            .and_then(|i| find_amounts(&lines[i], n).first().map(|a| a.amount))
            .filter(|s| s.is_positive());
        let last_amount = |i: usize| find_amounts(&lines[i], n).last().map(|a| a.amount);
        let tax = (0..lines.len())
            .find(|&i| {
                let f = &folded[i];
                contains_any(f, &TAX)
                    && (contains_any(f, &TAX_TOTAL) || !contains_any(f, &PLAIN))
                    && !contains_any(f, NOT_TAX_AMOUNT)
                    && find_amounts(&lines[i], n).len() == 1
            })
            .and_then(last_amount)
            .filter(|t| !t.is_negative());
        let rounding = (0..lines.len())
            .find(|&i| contains_any(&folded[i], &ROUNDING))
            .and_then(last_amount)
            .filter(|r| r.abs() <= Amount::from_cents(10));
        Components {
            subtotal,
            subtotal_line,
            tax,
            rounding,
        }
    }

    /// Sums the total should equal: subtotal + tax + rounding, subtotal + tax, subtotal +
    /// rounding.
    fn sums(&self) -> Vec<Amount> {
        let Some(s) = self.subtotal else {
            return Vec::new();
        };
        let rounding = self.rounding.filter(|r| *r != Amount::ZERO);
        let mut sums = Vec::new();
        if let Some(t) = self.tax {
            if let Some(r) = rounding {
                sums.push(s + t + r);
            }
            sums.push(s + t);
        }
        if let Some(r) = rounding {
            sums.push(s + r);
        }
        sums
    }

    /// The sum that closes: subtotal + tax + a non-zero rounding (or subtotal + rounding when
    /// no tax is printed) landing on a cash step that the sum before rounding missed. Figures
    /// misread by OCR rarely add up to a rounded amount, so this sum is strong evidence even
    /// when the printed total is unreadable.
    fn closed(&self) -> Option<Amount> {
        let (subtotal, rounding) = (
            self.subtotal?,
            self.rounding.filter(|r| *r != Amount::ZERO)?,
        );
        let before = subtotal + self.tax.unwrap_or(Amount::ZERO);
        let after = before + rounding;
        (!before.is_multiple_of_cents(5) && is_rounding_step(before, after)).then_some(after)
    }

    /// Some tills print the amount before tax as "gross" and call the taxed sum the
    /// "subtotal": when a labelled amount plus the tax is exactly that subtotal, the subtotal
    /// is what the customer pays.
    fn taxed_subtotal(&self, candidates: &[Candidate]) -> Option<Candidate> {
        let (subtotal, line, tax) = (self.subtotal?, self.subtotal_line?, self.tax?);
        (tax.is_positive() && candidates.iter().any(|c| c.amount + tax == subtotal)).then_some(
            Candidate {
                weight: 7,
                amount: subtotal,
                line,
                corroborated: true,
            },
        )
    }
}

/// A total printed before a rounding adjustment (`Rounding Adj -0.01`) becomes the rounded
/// amount when that amount is printed elsewhere too (as the cash paid or a rounded total) or
/// is what the cash tendered minus the change comes to. When the adjustment itself is
/// unreadable (or its sign misread), the rounded amount printed on a total, rounding or
/// payment line after it stands in.
fn apply_rounding(
    lines: &[String],
    folded: &[String],
    best: &Candidate,
    tendered_minus_change: Option<Amount>,
    n: Notation,
) -> Option<Amount> {
    let i = (best.line + 1..folded.len()).find(|&i| contains_any(&folded[i], &ROUNDING))?;
    let adjusted = find_amounts(&lines[i], n)
        .last()
        .map(|a| best.amount + a.amount)
        .filter(|rounded| is_rounding_step(best.amount, *rounded));
    if let Some(rounded) = adjusted {
        let printed_later = lines[i + 1..]
            .iter()
            .any(|l| find_amounts(l, n).iter().any(|a| a.amount == rounded));
        if printed_later || tendered_minus_change == Some(rounded) {
            return Some(rounded);
        }
    }
    (i..lines.len())
        .filter(|&j| {
            let f = &folded[j];
            label_weight(f).is_some() || contains_any(f, &ROUNDING) || contains_any(f, &TENDERED)
        })
        .flat_map(|j| find_amounts(&lines[j], n))
        .map(|a| a.amount)
        .find(|c| is_rounding_step(best.amount, *c))
}

/// The first amounts printed as tendered and as change given, each when present: read once
/// per reading, for the cross-checks and the fallbacks.
struct Payment {
    tendered: Option<Amount>,
    change: Option<Amount>,
}

impl Payment {
    fn read(lines: &[String], folded: &[String], n: Notation) -> Payment {
        let mut paid = Payment {
            tendered: None,
            change: None,
        };
        for (line, f) in lines.iter().zip(folded) {
            let amount = lost_point_amount(line)
                .or_else(|| find_amounts(line, n).last().map(|a| a.amount))
                .filter(|c| !c.is_negative());
            if contains_any(f, &CHANGE) && paid.change.is_none() {
                paid.change = amount;
            } else if contains_any(f, &TENDERED)
                && paid.tendered.is_none()
                && !contains_any(f, &PLAIN)
            {
                paid.tendered = amount;
            }
        }
        paid
    }

    /// Amount tendered minus change given, when both are printed and the result is positive.
    fn minus_change(&self) -> Option<Amount> {
        let (t, c) = (self.tendered?, self.change?);
        (t > c && !c.is_negative()).then_some(t - c)
    }

    /// The amount tendered when no change line is printed at all (exact payment, or a card).
    fn tendered_alone(&self) -> Option<Amount> {
        self.tendered
            .filter(|t| self.change.is_none() && t.is_positive())
    }

    /// The amount a card paid, when no change is printed: a card pays the total to the cent.
    fn by_card(&self, lines: &[String], folded: &[String], n: Notation) -> Option<Amount> {
        if self.change.is_some() {
            return None;
        }
        lines
            .iter()
            .zip(folded)
            .filter(|(_, f)| contains_any(f, &CARD) && !contains_any(f, &PLAIN))
            .find_map(|(line, _)| find_amounts(line, n).last().map(|a| a.amount))
            .filter(|a| a.is_positive())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(text: &str) -> Option<i64> {
        let lines: Vec<String> = text.lines().map(String::from).collect();
        find(&lines, &[], Notation::USUAL).map(|t| t.amount.thousandths() / 10)
    }

    #[test]
    fn payable_total_beats_subtotal_and_tax_summary() {
        let text = "Sub Total 30.00\nGST 6% 1.80\nTotal Amt Payable : 31.80\nCash 50.00\nChange 18.20\nTotal : 30.00 1.80";
        assert_eq!(total(text), Some(3180));
    }

    #[test]
    fn rounded_total_beats_unrounded_total() {
        let text = "Total Incl GST 18.82\nRounding -0.02\nRounded Total (RM): 18.80";
        assert_eq!(total(text), Some(1880));
    }

    #[test]
    fn czech_amount_to_pay_is_found_with_decimal_comma() {
        let text = "Základ 1 000,00\nDPH 21 % 210,00\nCelkem k úhradě 1 210,00 Kč";
        assert_eq!(total(text), Some(121_000));
    }

    #[test]
    fn total_amount_on_the_next_line_is_used() {
        assert_eq!(total("TOTAL\n12.50\nCASH 20.00"), Some(1250));
        assert_eq!(total("TOTAL\nCASH 20.00\nCHANGE 14.00"), Some(600));
    }

    #[test]
    fn rounding_adjustment_after_the_total_is_applied_when_confirmed() {
        let text = "Total (Inclusive of GST): 112,36\nRounding Adj: -0,01\nCASH 112.35";
        assert_eq!(total(text), Some(11_235));
    }

    #[test]
    fn pre_tax_totals_are_never_the_total() {
        let text = "Total Sales (Excluding GST) : 616.59\nTotal Sales (Inclusive of GST) : 616.60\nTotal: 616.59 0.00";
        assert_eq!(total(text), Some(61_660));
    }

    #[test]
    fn subtotal_tax_and_rounding_correct_a_misread_total() {
        let text = "SUB TOTAL 14.00\nGST 6% 0.84\nROUNDING ADJ 0.01\nNET TOTAL 14.05\nCash 14.85\nCHANGE 0.00";
        assert_eq!(total(text), Some(1485));
    }

    #[test]
    fn one_misread_digit_is_corrected_by_cash_minus_change() {
        assert_eq!(
            total("NET TOTAL 14.05\nCash 50.00\nChange 35.15"),
            Some(1485)
        );
    }

    #[test]
    fn total_with_a_lost_decimal_point_is_read() {
        assert_eq!(
            total("Total After Adj Incl GST 42 50\nCASH 50.00"),
            Some(4250)
        );
        assert_eq!(total("Celkem k úhradě: 803, 55 Kč"), Some(80_355));
        assert_eq!(total("Celkem k úhradě: .1348, 26 Kč"), Some(134_826));
    }

    /// Large bold totals come out of OCR with a space after the decimal comma, their thousands
    /// kept, and the currency garbled.
    #[test]
    fn a_large_total_read_with_a_space_after_its_comma_keeps_its_thousands() {
        assert_eq!(total("Celkem k úhradě: 63 062, 22 ke"), Some(6_306_222));
        assert_eq!(total("| Gesamtbetrag: 101. 039, 20 €"), Some(10_103_920));
        assert_eq!(total("Spolu na úhradu: 45 914, 54 e"), Some(4_591_454));
        assert_eq!(
            total("(Celkem k úhradě: 122 418, 42 a2 KE"),
            Some(12_241_842)
        );
        assert_eq!(
            total("| Spolu n na úhradu: 70 810, ‚97 EUR"),
            Some(7_081_097)
        );
    }

    #[test]
    fn a_total_after_adjustment_beats_the_total_before_it() {
        let text = "Total Sales incl GST 42.48\nRounding adj 0.02\nTotal After adj GST 42.50";
        assert_eq!(total(text), Some(4250));
    }

    #[test]
    fn payment_terms_with_a_bank_account_are_no_amount() {
        let text = "Subtotaal € 58,50\nBTW 9% € 5,27\nTotaal € 63,77\nTe betalen binnen 30 dagen op NL91 ABNA 0417 1643 00";
        assert_eq!(total(text), Some(6377));
    }

    #[test]
    fn cash_and_change_with_a_spaced_decimal_point_are_read() {
        assert_eq!(
            total("TOTAL:\nCASH : 200. 00\nCHANGE : 10. 00"),
            Some(19_000)
        );
        assert_eq!(
            total("Total RM Incl. of GST 14.64\nRounding Adj 0.01\nCash ~50. 00\nCHANGE 35. 35"),
            Some(1465)
        );
    }

    #[test]
    fn rounding_is_applied_when_cash_minus_change_agrees() {
        let text =
            "Total Incl. GST 14.64\nRounding Adj 0.01\nTotal RM 14.85\nCash 50.00\nChange 35.35";
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let vat = [VatRow {
            rate_bp: 600,
            base: Amount::from_cents(1381),
            tax: Amount::from_cents(83),
            gross: Amount::from_cents(1464),
        }];
        assert_eq!(
            find(&lines, &vat, Notation::USUAL).map(|t| t.amount.thousandths() / 10),
            Some(1465)
        );
    }

    #[test]
    fn rounding_to_whole_crowns_gives_the_amount_paid() {
        // The recap confirms the unrounded sum; the rounding line and the amount after it say
        // what was paid. The cash handed over was misread, so it cannot tell.
        let text = "K ÚHRADĚ 449,54 Kč\nZaokrouhlení 0,46\nK úhradě 450,00 Kč\nHotově 509,00\nVráceno 50,00";
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let vat = [VatRow {
            rate_bp: 2100,
            base: Amount::from_cents(37152),
            tax: Amount::from_cents(7802),
            gross: Amount::from_cents(44954),
        }];
        let found = find(&lines, &vat, Notation::USUAL).map(|t| t.amount.thousandths() / 10);
        assert_eq!(found, Some(45000));
        // Half a unit is the furthest a whole-unit step goes; 5 cents steps go 10 cents.
        let step =
            |from: i64, to: i64| is_rounding_step(Amount::from_cents(from), Amount::from_cents(to));
        assert!(step(44950, 45000) && step(44954, 45000) && step(1497, 1500));
        assert!(!step(44940, 45000) && !step(1480, 1495) && !step(45000, 45000));
    }

    #[test]
    fn the_amount_a_card_paid_corrects_one_misread_digit() {
        assert_eq!(
            total("Celkem k úhradě 748.56 Kč\nPlatba kartou 748.50\nAutorizace: 935152"),
            Some(74850)
        );
        // A card line with no amount confirms nothing.
        assert_eq!(total("TOTAL 18.56\nVISA **** 4512"), Some(1856));
        // Where change is given, what was handed over is no card payment.
        assert_eq!(
            total("TOTAL 18.56\nCASH 10.00\nCHANGE 1.44\nVISA 18.50"),
            Some(1856)
        );
    }

    #[test]
    fn tax_recap_rows_are_not_the_total() {
        let text = "Total Sales Incl GST 21.20\nGST Summary Amount Tax\nTotal: 20.00 1.20";
        assert_eq!(total(text), Some(2120));
        // Outside a recap, a total row with two amounts still counts (the last one).
        assert_eq!(total("Total 2 12.40"), Some(1240));
    }

    #[test]
    fn the_tendered_amount_is_the_total_when_no_total_or_change_is_readable() {
        assert_eq!(total("TOTAL AMOUNT\nCASH RM 50.00"), Some(5000));
        assert_eq!(total("TOTAL AMOUNT\nCASH RM 50.00\nCHANGE ???"), Some(5000));
    }

    #[test]
    fn a_subtotal_that_already_includes_the_tax_is_the_total() {
        let text = "Gross Amount 40.00\nTotal GST Amt : 2.40\nSub Total : 42.40\nTotal (RM):\nAmount Paid : 12.90";
        assert_eq!(total(text), Some(4240));
        // The usual order (subtotal before tax) is left alone.
        assert_eq!(total("Sub Total 30.00\nGST 1.80\nTotal 31.80"), Some(3180));
    }

    #[test]
    fn cash_rounding_is_not_taken_for_a_misread_digit() {
        let text = "sub-total 88.97\nTotal After Adj Incl GST 88.95\nCASH 100.00";
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let vat = [VatRow {
            rate_bp: 600,
            base: Amount::from_cents(8393),
            tax: Amount::from_cents(504),
            gross: Amount::from_cents(8897),
        }];
        assert_eq!(
            find(&lines, &vat, Notation::USUAL).map(|t| t.amount.thousandths() / 10),
            Some(8895)
        );
    }

    #[test]
    fn the_rounded_amount_printed_after_an_unreadable_adjustment_is_the_total() {
        let text = "Total Sales (Inclusive GST) RM 177.22\nRounding Adjustment RM = -,02\nRounding RM 177.20";
        assert_eq!(total(text), Some(17_720));
        // Nothing rounded readable: the unrounded total stands, in doubt.
        let lines = [
            "Total Sales (Inclusive GST) RM 177.22",
            "Rounding Adjustment RM = -,02",
        ];
        let lines: Vec<String> = lines.map(String::from).to_vec();
        assert!(
            find(&lines, &[], Notation::USUAL)
                .is_some_and(|t| t.amount == Amount::from_cents(17_722) && t.confidence <= 0.6)
        );
        // A misread sign (+0.02 for -0.02): the rounded total printed below still counts.
        let text =
            "Total (Inclusive of GST): 71.02\nRounding Adj: ~0.02\nTOTAL: 71.00\nCASH : 71.00";
        assert_eq!(total(text), Some(7100));
    }

    #[test]
    fn a_bare_subtotal_corrects_one_misread_digit_only_when_nothing_stands_between() {
        assert_eq!(total("SubTotal 85.20\nNet Total 35.20"), Some(8520));
        assert_eq!(
            total("SubTotal 12.50\nDiscount 2.00\nNet Total 10.50"),
            Some(1050)
        );
    }

    #[test]
    fn a_sum_that_closes_on_a_cash_step_outvotes_a_lone_misread_total() {
        // 14.00 + 0.84 + 0.01 lands on 14.85; the printed 14.00 (two digits lost) does not.
        let text = "2 SUB TOTAL 14.00\nGST 6% 0.84\nROUNDING ADJ 0.01\nNET TOTAL 14,00\nCash 14.86\nCHANGE 0,00";
        assert_eq!(total(text), Some(1485));
        // No readable total at all, and a subtotal label cut short by OCR.
        let text = "1 SUB T014. 7.00\nGST 6% 0.42\nROUNDING ADJ -0.02\nNET TOTAL 14\nCash a Du";
        assert_eq!(total(text), Some(740));
        // A sum already on a cash step needs no rounding: an adjustment there closes nothing.
        assert_eq!(
            total("Sub Total 10.00\nRounding 0.05\nTotal 12.50"),
            Some(1250)
        );
    }

    #[test]
    fn on_a_till_that_rounds_only_a_rounded_figure_corrects_the_total() {
        // Cash 70.39 − change 10.00 is one digit away from the total, but not a cash step.
        let lines = [
            "TOTAL AMT RM 60.31",
            "ROUNDING ADJ -0.0",
            "CASH RM 70.39",
            "CHANGE RM 10.00",
        ];
        let lines: Vec<String> = lines.map(String::from).to_vec();
        assert!(
            find(&lines, &[], Notation::USUAL)
                .is_some_and(|t| t.amount == Amount::from_cents(6031) && t.confidence <= 0.5)
        );
        // Cash 70.30 − change 10.00 is.
        let text = "TOTAL AMT RM 60.31\nROUNDING ADJ -0.01\nCASH RM 70.30\nCHANGE RM 10.00";
        assert_eq!(total(text), Some(6030));
    }

    #[test]
    fn labels_printed_by_a_worn_print_head_are_read() {
        let text = "SUBIUIAL 4.51\nKUUNDING ADJUSIMENIS 0,01-\nIUIAL (bbI INLL) 4.50\nLASH 4.50";
        let lines: Vec<String> = text.lines().map(String::from).collect();
        // Read as labels, the figures confirm each other.
        assert!(
            find(&lines, &[], Notation::USUAL)
                .is_some_and(|t| t.amount == Amount::from_cents(450) && t.confidence > 0.7)
        );
        assert_eq!(total("IUIAL 2.20\nLASH 3.00\nUHANGE DUE 0.80"), Some(220));
        // Words that only look alike stay as they are.
        assert_eq!(fold_label("Tutorial Lashes"), "tutorial lashes");
    }

    #[test]
    fn tendered_minus_change_confirms_the_total() {
        let text = "TOTAL 8.00\nTOTAL 18.00\nCASH 20.00\nCHANGE 2.00";
        assert_eq!(total(text), Some(1800));
    }
}
