//! The plan catalog (from a TOML file, `plans.default.toml` built in) and the billing
//! calendar: calendar months, paid periods and the grace period are counted in one time zone
//! (Europe/Prague by default), so "per calendar month" means the same to every user.

use anyhow::Context as _;
use coffer_api::{BillingInterval, Money, Plan, PlanCatalog, PlanLimits, PlanPrice, PriceCurrency};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::Deserialize;
use std::path::Path;

const DEFAULT_CATALOG: &str = include_str!("../../plans.default.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    free_plan: String,
    time_zone: String,
    grace_days: u32,
    warning_days: Vec<u32>,
    plans: Vec<PlanFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    id: String,
    name: String,
    receipts_per_month: u32,
    documents_per_month: u32,
    remote_ocr_credits_per_month: u32,
    email_reminders: bool,
    /// Bytes of blobs an account may store.
    storage_bytes: u64,
    prices: Vec<PriceFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    interval: BillingInterval,
    currency: PriceCurrency,
    amount_minor: i64,
}

/// The loaded catalog and its calendar.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub public: PlanCatalog,
    pub calendar: Calendar,
    /// Days before the purge when warnings go out, largest first.
    pub warning_days: Vec<u32>,
}

impl Catalog {
    /// The built-in catalog (`start`, `plus`, `business`).
    pub fn default_catalog() -> Self {
        Self::parse(DEFAULT_CATALOG).expect("the built-in plan catalog is valid")
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the plan catalog {}", path.display()))?;
        Self::parse(&text)
            .with_context(|| format!("the plan catalog {} is not valid", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: CatalogFile = toml::from_str(text)?;
        let calendar = Calendar::new(&file.time_zone)?;
        let mut plans: Vec<Plan> = Vec::new();
        for p in file.plans {
            anyhow::ensure!(
                !plans.iter().any(|q| q.id == p.id),
                "plan {} is listed twice",
                p.id
            );
            for price in &p.prices {
                anyhow::ensure!(
                    price.amount_minor > 0,
                    "plan {}: prices must be positive",
                    p.id
                );
            }
            plans.push(Plan {
                id: p.id,
                name: p.name,
                limits: PlanLimits {
                    receipts_per_month: p.receipts_per_month,
                    documents_per_month: p.documents_per_month,
                    remote_ocr_credits_per_month: p.remote_ocr_credits_per_month,
                    email_reminders: p.email_reminders,
                    storage_bytes: p.storage_bytes,
                },
                prices: p
                    .prices
                    .into_iter()
                    .map(|x| PlanPrice {
                        interval: x.interval,
                        price: Money {
                            amount_minor: x.amount_minor,
                            currency: x.currency,
                        },
                    })
                    .collect(),
            });
        }
        let free = plans
            .iter()
            .find(|p| p.id == file.free_plan)
            .with_context(|| format!("free_plan {} is not in the catalog", file.free_plan))?;
        anyhow::ensure!(free.prices.is_empty(), "the free plan cannot have prices");
        let mut warning_days = file.warning_days;
        warning_days.sort_unstable_by(|a, b| b.cmp(a));
        anyhow::ensure!(
            warning_days.iter().all(|d| *d < file.grace_days),
            "warning_days must be shorter than grace_days"
        );
        Ok(Catalog {
            public: PlanCatalog {
                free_plan: file.free_plan,
                time_zone: file.time_zone,
                grace_days: file.grace_days,
                plans,
            },
            calendar,
            warning_days,
        })
    }

    pub fn plan(&self, id: &str) -> Option<&Plan> {
        self.public.plans.iter().find(|p| p.id == id)
    }

    pub fn free_plan(&self) -> &Plan {
        self.plan(&self.public.free_plan)
            .expect("the free plan was checked at load")
    }

    pub fn price(
        &self,
        plan: &str,
        interval: BillingInterval,
        currency: PriceCurrency,
    ) -> Option<Money> {
        self.plan(plan)?
            .prices
            .iter()
            .find(|p| p.interval == interval && p.price.currency == currency)
            .map(|p| p.price)
    }
}

/// Calendar arithmetic in the billing time zone. Instants are Unix seconds.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
}

impl Calendar {
    pub fn new(time_zone: &str) -> anyhow::Result<Self> {
        Ok(Calendar {
            tz: TimeZone::get(time_zone)
                .with_context(|| format!("unknown time zone {time_zone}"))?,
        })
    }

    fn zoned(&self, unix: i64) -> Zoned {
        Timestamp::from_second(unix)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(self.tz.clone())
    }

    fn start_of(&self, date: Date) -> i64 {
        date.to_zoned(self.tz.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(i64::MAX)
    }

    /// `YYYY-MM` of the instant.
    pub fn month_of(&self, unix: i64) -> String {
        let z = self.zoned(unix);
        format!("{:04}-{:02}", z.year(), z.month())
    }

    /// The calendar year of the instant (invoice numbering).
    pub fn year_of(&self, unix: i64) -> i32 {
        i32::from(self.zoned(unix).year())
    }

    /// How the instant reads as a date: `2026-04-30` (en) or `30. 4. 2026` (cs).
    pub fn date_text(&self, unix: i64, language: coffer_api::Language) -> String {
        let z = self.zoned(unix);
        match language {
            coffer_api::Language::En => {
                format!("{:04}-{:02}-{:02}", z.year(), z.month(), z.day())
            }
            coffer_api::Language::Cs => format!("{}. {}. {}", z.day(), z.month(), z.year()),
        }
    }

    /// When the month after `month` (`YYYY-MM`) starts: the limits of `month` reset then.
    pub fn next_month_start(&self, month: &str) -> Option<i64> {
        let (y, m) = month.split_once('-')?;
        let first = Date::new(y.parse().ok()?, m.parse().ok()?, 1).ok()?;
        Some(self.start_of(first.checked_add(1.month()).ok()?))
    }

    /// The end of the billing period that runs past `after`: the first instant `anchor` plus a
    /// whole number of intervals (at least one) later than `after`, at the anchor's wall-clock
    /// time. Counting from the anchor keeps the renewal day: from 31 January the periods end on
    /// 29 February (28 in other years), 31 March, 30 April; from the leap day a yearly period
    /// ends on 28 February, and on 29 February again in the next leap year.
    pub fn period_end(&self, anchor: i64, interval: BillingInterval, after: i64) -> i64 {
        let start = self.zoned(anchor);
        let nth = |n: i64| {
            let span = match interval {
                BillingInterval::Month => n.months(),
                BillingInterval::Year => n.years(),
            };
            start
                .checked_add(span)
                .map(|z| z.timestamp().as_second())
                .unwrap_or(i64::MAX)
        };
        // A guess from the average length, then exact steps (at most a couple).
        let average = match interval {
            BillingInterval::Month => 2_629_746,
            BillingInterval::Year => 31_556_952,
        };
        let mut n = ((after - anchor) / average).max(1);
        while n > 1 && nth(n - 1) > after {
            n -= 1;
        }
        while nth(n) <= after {
            n += 1;
        }
        nth(n)
    }

    /// `unix` plus `days` calendar days (across daylight-saving changes, same wall-clock time).
    pub fn add_days(&self, unix: i64, days: i64) -> i64 {
        self.zoned(unix)
            .checked_add(days.days())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(i64::MAX)
    }

    /// The calendar date of the instant.
    pub fn date_of(&self, unix: i64) -> Date {
        self.zoned(unix).date()
    }

    /// `hour`:00 on `date` (the next valid time if a daylight-saving change skips it).
    pub fn at_hour(&self, date: Date, hour: i8) -> i64 {
        date.at(hour, 0, 0, 0)
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(i64::MAX)
    }

    /// The end of `date` (the next midnight), for "valid until DATE".
    pub fn end_of_date(&self, date: Date) -> i64 {
        match date.tomorrow() {
            Ok(next) => self.start_of(next),
            Err(_) => i64::MAX,
        }
    }
}

/// The pro-rata price of an upgrade: `(new − old) × remaining / period`, rounded half up to
/// the minor unit. Nothing is charged past the period end, and a cheaper plan never refunds.
pub fn prorate(new: i64, old: i64, now: i64, period_start: i64, period_end: i64) -> i64 {
    let period = i128::from(period_end - period_start);
    let remaining = i128::from((period_end - now).clamp(0, period_end - period_start));
    let diff = i128::from((new - old).max(0));
    if period <= 0 {
        return 0;
    }
    i64::try_from((diff * remaining * 2 + period) / (period * 2)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prague() -> Calendar {
        Calendar::new("Europe/Prague").unwrap()
    }

    fn at(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    #[test]
    fn the_default_catalog_has_start_with_five_receipts_and_three_documents() {
        let c = Catalog::default_catalog();
        let start = c.free_plan();
        assert_eq!(start.id, "start");
        assert_eq!(start.limits.receipts_per_month, 5);
        assert_eq!(start.limits.documents_per_month, 3);
        assert_eq!(start.limits.remote_ocr_credits_per_month, 0);
        assert_eq!(start.limits.storage_bytes, 1 << 30);
        assert!(!start.limits.email_reminders);
        for paid in ["plus", "business"] {
            let plan = c.plan(paid).unwrap();
            assert!(plan.limits.email_reminders && plan.limits.remote_ocr_credits_per_month > 0);
            for currency in [PriceCurrency::Czk, PriceCurrency::Eur] {
                for interval in [BillingInterval::Month, BillingInterval::Year] {
                    assert!(c.price(paid, interval, currency).is_some());
                }
            }
        }
        assert_eq!(c.warning_days, vec![14, 3]);
    }

    #[test]
    fn a_catalog_whose_free_plan_has_a_price_is_refused() {
        let text = DEFAULT_CATALOG.replace("free_plan = \"start\"", "free_plan = \"plus\"");
        assert!(Catalog::parse(&text).is_err());
    }

    #[test]
    fn the_calendar_month_is_the_month_in_prague_not_in_utc() {
        let cal = prague();
        // 22:30 UTC on 31 March is 00:30 on 1 April in Prague (summer time, UTC+2).
        assert_eq!(cal.month_of(at("2026-03-31T22:30:00Z")), "2026-04");
        // 23:30 UTC on 31 December is already New Year in Prague (winter time, UTC+1).
        assert_eq!(cal.month_of(at("2026-12-31T23:30:00Z")), "2027-01");
        assert_eq!(cal.month_of(at("2026-12-31T22:59:59Z")), "2026-12");
    }

    #[test]
    fn limits_reset_at_midnight_prague_time_on_the_first_of_the_next_month() {
        let cal = prague();
        assert_eq!(
            cal.next_month_start("2026-12"),
            Some(at("2026-12-31T23:00:00Z"))
        );
        // Summer time: midnight is 22:00 UTC.
        assert_eq!(
            cal.next_month_start("2026-06"),
            Some(at("2026-06-30T22:00:00Z"))
        );
        assert_eq!(cal.next_month_start("2026-13"), None);
    }

    #[test]
    fn a_monthly_period_from_31_january_ends_on_29_february_in_a_leap_year() {
        let cal = prague();
        let start = at("2028-01-31T09:00:00Z");
        assert_eq!(
            cal.period_end(start, BillingInterval::Month, start),
            at("2028-02-29T09:00:00Z")
        );
        let start = at("2027-01-31T09:00:00Z");
        assert_eq!(
            cal.period_end(start, BillingInterval::Month, start),
            at("2027-02-28T09:00:00Z")
        );
    }

    #[test]
    fn monthly_renewals_from_31_january_keep_the_last_day_of_each_month_across_a_leap_year() {
        let cal = prague();
        let anchor = at("2028-01-31T09:00:00Z");
        let mut end = anchor;
        let mut ends = vec![];
        for _ in 0..5 {
            end = cal.period_end(anchor, BillingInterval::Month, end);
            ends.push(end);
        }
        // 09:00 UTC is 10:00 in Prague in winter and 11:00 in summer: the wall-clock time
        // (10:00) stays, across the change to summer time on 26 March.
        assert_eq!(
            ends,
            [
                at("2028-02-29T09:00:00Z"),
                at("2028-03-31T08:00:00Z"),
                at("2028-04-30T08:00:00Z"),
                at("2028-05-31T08:00:00Z"),
                at("2028-06-30T08:00:00Z"),
            ]
        );
        // A renewal processed late still lands on the anchor's calendar.
        assert_eq!(
            cal.period_end(anchor, BillingInterval::Month, at("2028-03-05T00:00:00Z")),
            at("2028-03-31T08:00:00Z")
        );
        // Years later the period still ends on the last day of the month.
        assert_eq!(
            cal.period_end(anchor, BillingInterval::Month, at("2031-04-01T00:00:00Z")),
            at("2031-04-30T08:00:00Z")
        );
    }

    #[test]
    fn yearly_renewals_from_the_leap_day_end_on_28_february_and_again_on_29_february_in_a_leap_year()
     {
        let cal = prague();
        let anchor = at("2028-02-29T09:00:00Z");
        let mut end = anchor;
        let mut ends = vec![];
        for _ in 0..4 {
            end = cal.period_end(anchor, BillingInterval::Year, end);
            ends.push(end);
        }
        assert_eq!(
            ends,
            [
                at("2029-02-28T09:00:00Z"),
                at("2030-02-28T09:00:00Z"),
                at("2031-02-28T09:00:00Z"),
                at("2032-02-29T09:00:00Z"),
            ]
        );
    }

    #[test]
    fn sixty_days_across_the_summer_time_change_keep_the_wall_clock_time() {
        let cal = prague();
        // 1 March 12:00 CET + 60 days = 30 April 12:00 CEST, 23 hours' worth less one hour.
        assert_eq!(
            cal.add_days(at("2026-03-01T11:00:00Z"), 60),
            at("2026-04-30T10:00:00Z")
        );
    }

    #[test]
    fn an_upgrade_halfway_through_the_period_charges_half_the_difference() {
        let start = at("2026-04-01T00:00:00Z");
        let end = at("2026-05-01T00:00:00Z");
        let half = at("2026-04-16T00:00:00Z");
        assert_eq!(prorate(29900, 9900, half, start, end), 10000);
        assert_eq!(prorate(29900, 9900, start, start, end), 20000);
        assert_eq!(prorate(29900, 9900, end, start, end), 0);
        // A third of 20000 rounds to the nearest haléř.
        let third_left = at("2026-04-21T00:00:00Z");
        assert_eq!(prorate(29900, 9900, third_left, start, end), 6667);
        // Never a refund.
        assert_eq!(prorate(9900, 29900, half, start, end), 0);
    }
}
