//! The overview screen's figures: the engine's aggregates, with the number of minor digits of
//! every currency in them so the web view writes each amount exactly (no floats, no guess from
//! the browser's currency tables).

use std::collections::BTreeMap;
use std::sync::Arc;

use coffer_core::document::Currency;
use coffer_core::overview::{MonthSpending, Overview};
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use super::Result;
use crate::session::Session;

#[derive(Debug, Serialize, TS)]
pub struct OverviewView {
    #[serde(flatten)]
    pub overview: Overview,
    /// Minor digits per currency code that appears above (`CZK` 2, `JPY` 0).
    pub digits: BTreeMap<String, u32>,
}

fn currencies(month: &MonthSpending) -> impl Iterator<Item = Currency> + '_ {
    let totals = month.by_currency.iter().map(|a| a.currency);
    totals.chain(month.vat.iter().map(|v| v.currency))
}

impl From<Overview> for OverviewView {
    fn from(overview: Overview) -> Self {
        let chart = overview.months.iter().flat_map(|m| &m.totals);
        let digits = currencies(&overview.this_month)
            .chain(currencies(&overview.last_month))
            .chain(chart.map(|a| a.currency))
            .map(|c| (c.to_string(), c.minor_digits()))
            .collect();
        Self { overview, digits }
    }
}

#[tauri::command]
pub async fn vault_overview(session: State<'_, Arc<Session>>) -> Result<OverviewView> {
    session.with_vault(|vault| vault.overview().map(OverviewView::from))
}
