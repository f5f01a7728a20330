//! The overview command: the engine's figures for this month as the window shows them, with
//! the digits of each currency, after receipts are imported and read.

use coffer_core::{Clock, SystemClock};
use serde_json::{Value, json};

use super::{Harness, png};

fn receipt(h: &Harness, n: u8, date: &str, total: &str, currency: &str) -> Value {
    let mut bytes = png();
    bytes.extend_from_slice(&[n; 16]);
    let id = h.import(&h.sample(&format!("r{n}.png"), &bytes))["document"]["id"].clone();
    h.ok(
        "edit_document",
        json!({"id": id, "edit": {
            "kind": "receipt", "merchant": format!("Shop {n}"), "date": date,
            "total": total, "currency": currency
        }}),
    );
    id
}

#[test]
fn the_overview_adds_up_this_month_per_currency_and_gives_each_currency_its_digits() {
    let h = Harness::new();
    h.create_vault();
    let today = SystemClock.today();
    let day = today.to_string();
    receipt(&h, 1, &day, "248,90", "CZK");
    receipt(&h, 2, &day, "1 120,00", "CZK");
    receipt(&h, 3, &day, "1500", "JPY");
    let mut unread = png();
    unread.extend_from_slice(b"not read yet");
    h.import(&h.sample("unread.png", &unread));

    let overview = h.ok("vault_overview", json!({}));
    let month = &overview["this_month"];
    assert_eq!(
        month["month"],
        format!("{:04}-{:02}", today.year(), u8::from(today.month()))
    );
    assert_eq!(month["documents"], 4);
    assert_eq!(month["without_total"], 1);
    assert_eq!(
        month["by_currency"],
        json!([
            {"currency": "CZK", "minor": 136890, "documents": 2},
            {"currency": "JPY", "minor": 1500, "documents": 1},
        ])
    );
    assert_eq!(overview["digits"], json!({"CZK": 2, "JPY": 0}));
    let chart = overview["months"].as_array().unwrap();
    assert_eq!(chart.len(), 12);
    assert_eq!(chart[11]["totals"], month["by_currency"]);
    assert!(chart[..11].iter().all(|m| m["totals"] == json!([])));
    // The unread document has nothing confirmed and nothing guessed: it waits for OCR, not
    // for a check.
    assert_eq!(overview["unconfirmed"], 0);
}

#[test]
fn the_overview_of_a_locked_vault_is_refused() {
    let h = Harness::new();
    h.create_vault();
    h.ok("lock", json!({}));
    assert_eq!(h.error_code("vault_overview", json!({})), "locked");
}
