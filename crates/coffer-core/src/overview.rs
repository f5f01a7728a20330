//! What the vault holds at a glance: this month's and last month's spending per currency and
//! per kind, the VAT per rate, the last twelve months' totals, what waits for a person's check
//! and the next deadlines. Every figure is one aggregate query over the encrypted store; no
//! document is decrypted for it.
//!
//! A document counts in the month of its date (its issue date, else the day it was imported),
//! as in the list and the export. Amounts in different currencies are never added up: each
//! currency has its own figures.

use std::collections::BTreeMap;

use rusqlite::params;
use serde::Serialize;
use time::{Date, Duration, Month};
use ts_rs::TS;

use crate::document::{Currency, DocumentKind};
use crate::error::Result;
use crate::reminders::Deadline;
use crate::search::SearchQuery;
use crate::store::kind_column;
use crate::vault::Vault;

/// How many months the chart shows, this one included.
pub const CHART_MONTHS: usize = 12;
/// How many of the next deadlines the overview lists.
pub const NEXT_DEADLINES: usize = 5;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Overview {
    pub this_month: MonthSpending,
    pub last_month: MonthSpending,
    /// The last twelve months, oldest first, this month last.
    pub months: Vec<MonthTotals>,
    /// Documents with a field that waits for a person's check.
    pub unconfirmed: u64,
    /// The next deadlines from today on, soonest first.
    pub next_deadlines: Vec<Deadline>,
}

/// One calendar month's documents and what they add up to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct MonthSpending {
    /// `YYYY-MM`.
    pub month: String,
    pub documents: u64,
    /// Documents of the month without an amount (not read yet, or no total on them).
    pub without_total: u64,
    /// Per currency, the largest sum first.
    pub by_currency: Vec<Amount>,
    /// Per kind and currency, the largest sum first.
    pub by_kind: Vec<KindAmount>,
    /// Per currency and rate, the highest rate first.
    pub vat: Vec<VatTotal>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Amount {
    pub currency: Currency,
    pub minor: i64,
    pub documents: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
pub struct KindAmount {
    pub kind: DocumentKind,
    pub currency: Currency,
    pub minor: i64,
    pub documents: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
pub struct VatTotal {
    pub currency: Currency,
    pub rate_basis_points: u32,
    pub base_minor: i64,
    pub tax_minor: i64,
}

/// One month of the chart: its totals per currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct MonthTotals {
    /// `YYYY-MM`.
    pub month: String,
    pub totals: Vec<Amount>,
}

fn month_key(date: Date) -> String {
    format!("{:04}-{:02}", date.year(), u8::from(date.month()))
}

fn first_of_month(date: Date) -> Date {
    date.replace_day(1).expect("every month has a first day")
}

/// The first day of the month `back` months before `date`'s.
fn months_back(date: Date, back: usize) -> Date {
    (0..back).fold(first_of_month(date), |first, _| {
        first_of_month(first - Duration::days(1))
    })
}

fn next_month(first: Date) -> Date {
    let (year, month) = match first.month() {
        Month::December => (first.year() + 1, Month::January),
        month => (first.year(), month.next()),
    };
    Date::from_calendar_date(year, month, 1).expect("the first of a month is a date")
}

/// The largest amount first; equal ones by currency, for a stable order.
fn by_size<T>(items: &mut [T], key: impl Fn(&T) -> (i64, String)) {
    items.sort_by(|a, b| {
        let (a, b) = (key(a), key(b));
        b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1))
    });
}

impl Vault {
    /// The overview as of the vault clock's today.
    pub fn overview(&self) -> Result<Overview> {
        let today = self.clock().today();
        let this_first = first_of_month(today);
        let last_first = months_back(today, 1);
        let chart_first = months_back(today, CHART_MONTHS - 1);
        let end = next_month(this_first);

        let mut months: BTreeMap<String, MonthSpending> = (0..CHART_MONTHS)
            .map(|back| {
                let month = month_key(months_back(today, back));
                (
                    month.clone(),
                    MonthSpending {
                        month,
                        ..MonthSpending::default()
                    },
                )
            })
            .collect();
        let (from, to) = (chart_first.to_string(), end.to_string());
        let conn = self.store().conn();
        let mut totals = conn.prepare_cached(
            "SELECT substr(sort_date, 1, 7), kind, currency, count(*), count(total_minor),
                    sum(total_minor)
             FROM documents INDEXED BY documents_live_by_date
             WHERE trashed_at IS NULL AND sort_date >= ?1 AND sort_date < ?2
             GROUP BY 1, 2, 3",
        )?;
        let rows = totals.query_map(params![from, to], |r| {
            Ok((
                r.get::<_, String>(0)?,
                kind_column(r.get(1)?)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)? as u64,
                r.get::<_, i64>(4)? as u64,
                r.get::<_, Option<i64>>(5)?,
            ))
        })?;
        for row in rows {
            let (month, kind, currency, documents, with_total, sum) = row?;
            let Some(spending) = months.get_mut(&month) else {
                continue;
            };
            spending.documents += documents;
            let (Some(code), Some(minor)) = (currency, sum) else {
                spending.without_total += documents;
                continue;
            };
            spending.without_total += documents - with_total;
            let currency: Currency = code.parse()?;
            spending.by_kind.push(KindAmount {
                kind,
                currency,
                minor,
                documents: with_total,
            });
            match spending
                .by_currency
                .iter_mut()
                .find(|a| a.currency == currency)
            {
                Some(amount) => {
                    amount.minor += minor;
                    amount.documents += with_total;
                }
                None => spending.by_currency.push(Amount {
                    currency,
                    minor,
                    documents: with_total,
                }),
            }
        }

        let mut vat = conn.prepare_cached(
            "SELECT substr(d.sort_date, 1, 7), d.currency,
                    json_extract(v.value, '$.rate_basis_points'),
                    sum(json_extract(v.value, '$.base_minor')),
                    sum(json_extract(v.value, '$.tax_minor'))
             FROM documents AS d INDEXED BY documents_live_by_date, json_each(d.vat) AS v
             WHERE d.trashed_at IS NULL AND d.sort_date >= ?1 AND d.sort_date < ?2
               AND d.currency IS NOT NULL
             GROUP BY 1, 2, 3",
        )?;
        let (from, to) = (last_first.to_string(), end.to_string());
        let rows = vat.query_map(params![from, to], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        for row in rows {
            let (month, code, rate, base_minor, tax_minor) = row?;
            if let Some(spending) = months.get_mut(&month) {
                spending.vat.push(VatTotal {
                    currency: code.parse()?,
                    rate_basis_points: u32::try_from(rate).unwrap_or_default(),
                    base_minor,
                    tax_minor,
                });
            }
        }

        for spending in months.values_mut() {
            by_size(&mut spending.by_currency, |a| {
                (a.minor, a.currency.to_string())
            });
            by_size(&mut spending.by_kind, |a| {
                (a.minor, format!("{}{:?}", a.currency, a.kind))
            });
            spending.vat.sort_by(|a, b| {
                (a.currency, b.rate_basis_points).cmp(&(b.currency, a.rate_basis_points))
            });
        }
        let this_month = months[&month_key(this_first)].clone();
        let last_month = months[&month_key(last_first)].clone();
        let months = months
            .into_values()
            .map(|m| MonthTotals {
                month: m.month,
                totals: m.by_currency,
            })
            .collect();

        let unconfirmed = self.count(&SearchQuery {
            unconfirmed_only: true,
            ..SearchQuery::default()
        })?;
        let mut next_deadlines = self.upcoming_deadlines()?;
        next_deadlines.truncate(NEXT_DEADLINES);
        Ok(Overview {
            this_month,
            last_month,
            months,
            unconfirmed,
            next_deadlines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_step_back_over_the_year_end() {
        assert_eq!(months_back(date!(2026 - 01 - 31), 1), date!(2025 - 12 - 01));
        assert_eq!(months_back(date!(2026 - 03 - 31), 1), date!(2026 - 02 - 01));
        assert_eq!(
            months_back(date!(2026 - 12 - 03), 11),
            date!(2026 - 01 - 01)
        );
        assert_eq!(next_month(date!(2026 - 12 - 01)), date!(2027 - 01 - 01));
        assert_eq!(month_key(date!(2026 - 02 - 09)), "2026-02");
    }
}
