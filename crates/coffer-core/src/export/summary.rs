//! Totals for the PDF summary: per month and currency, per month, currency and VAT rate, and
//! for the whole period. Integer minor units throughout; currencies are never mixed.

use std::collections::BTreeMap;
use std::fmt;

use crate::document::Currency;

use super::ExportRow;

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthKey {
    pub year: i32,
    pub month: u8,
}

impl fmt::Display for MonthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Documents and amounts in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CurrencyTotals {
    pub documents: usize,
    pub total_minor: i64,
    pub vat_base_minor: i64,
    pub vat_tax_minor: i64,
}

/// VAT recap of one rate in one currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VatTotals {
    pub documents: usize,
    pub base_minor: i64,
    pub tax_minor: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub documents: usize,
    /// Documents without an issue date, counted by their import date.
    pub by_import_date: usize,
    /// Documents without a total (so without a currency), per month.
    pub without_total: BTreeMap<MonthKey, usize>,
    pub per_month: BTreeMap<(MonthKey, Currency), CurrencyTotals>,
    pub per_month_vat: BTreeMap<(MonthKey, Currency, u32), VatTotals>,
    pub per_currency: BTreeMap<Currency, CurrencyTotals>,
    pub per_currency_vat: BTreeMap<(Currency, u32), VatTotals>,
}

impl Summary {
    pub fn of(rows: &[ExportRow]) -> Self {
        let mut s = Self {
            documents: rows.len(),
            by_import_date: rows.iter().filter(|r| r.by_import_date).count(),
            ..Self::default()
        };
        for row in rows {
            let month = MonthKey {
                year: row.date.year(),
                month: u8::from(row.date.month()),
            };
            let f = &row.document.fields;
            let Some(total) = f.total else {
                *s.without_total.entry(month).or_default() += 1;
                continue;
            };
            let currency = total.currency;
            let base: i64 = f.vat.iter().map(|v| v.base_minor).sum();
            let tax: i64 = f.vat.iter().map(|v| v.tax_minor).sum();
            for totals in [
                s.per_month.entry((month, currency)).or_default(),
                s.per_currency.entry(currency).or_default(),
            ] {
                totals.documents += 1;
                totals.total_minor = totals.total_minor.saturating_add(total.minor);
                totals.vat_base_minor = totals.vat_base_minor.saturating_add(base);
                totals.vat_tax_minor = totals.vat_tax_minor.saturating_add(tax);
            }
            let mut rates: Vec<u32> = f.vat.iter().map(|v| v.rate_basis_points).collect();
            rates.sort_unstable();
            rates.dedup();
            for rate in rates {
                let lines = f.vat.iter().filter(|v| v.rate_basis_points == rate);
                let (base, tax) = lines.fold((0i64, 0i64), |(b, t), v| {
                    (
                        b.saturating_add(v.base_minor),
                        t.saturating_add(v.tax_minor),
                    )
                });
                for totals in [
                    s.per_month_vat.entry((month, currency, rate)).or_default(),
                    s.per_currency_vat.entry((currency, rate)).or_default(),
                ] {
                    totals.documents += 1;
                    totals.base_minor = totals.base_minor.saturating_add(base);
                    totals.tax_minor = totals.tax_minor.saturating_add(tax);
                }
            }
        }
        s
    }
}
