//! The deadlines screen's commands: what passed lately and what comes, snoozes kept in the
//! vault (and refused when they are not days), and the calendar file of the coming ones.

use coffer_core::{Clock, SystemClock};
use serde_json::{Value, json};
use time::Duration;

use super::{Harness, png};

fn warranty(h: &Harness, n: u8, title: &str, days_from_today: i64) -> Value {
    let mut bytes = png();
    bytes.extend_from_slice(&[n; 16]);
    let id = h.import(&h.sample(&format!("w{n}.png"), &bytes))["document"]["id"].clone();
    let expiry = SystemClock.today() + Duration::days(days_from_today);
    h.ok(
        "edit_document",
        json!({"id": id, "edit": {"kind": "warranty", "title": title, "expiry": expiry.to_string()}}),
    );
    id
}

#[test]
fn deadlines_hold_the_missed_and_the_coming_and_snoozes_stay_in_the_vault() {
    let h = Harness::new();
    h.create_vault();
    let coming = warranty(&h, 1, "Kávovar", 10);
    let missed = warranty(&h, 2, "Vysavač", -5);
    warranty(&h, 3, "Starý mobil", -400);

    let answer = h.ok("deadlines", json!({}));
    let documents: Vec<&Value> = answer["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["document"])
        .collect();
    assert_eq!(
        documents,
        [&missed, &coming],
        "the long-gone one is left out"
    );
    assert_eq!(answer["deadlines"][0]["kind"], "warranty_ends");
    assert_eq!(answer["snoozes"], json!({}));

    let key = format!("{}:warranty_ends:x", coming.as_str().unwrap());
    let bad = h.error_code(
        "save_deadline_snoozes",
        json!({"snoozes": {key.clone(): "next week"}}),
    );
    assert_eq!(bad, "invalid_input");
    let snoozes = json!({key: "2099-01-01"});
    h.ok("save_deadline_snoozes", json!({"snoozes": snoozes}));
    assert_eq!(h.ok("deadlines", json!({}))["snoozes"], snoozes);
    assert_eq!(
        h.ok("reminder_notifications", json!({}))["snoozes"],
        snoozes
    );

    let path = h.dir.path().join("terminy.ics");
    let written = h.ok("export_deadlines_ics", json!({"path": path}));
    assert_eq!(written, 1, "only the coming deadline goes to the calendar");
    let ics = std::fs::read_to_string(&path).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(ics.contains("Kávovar") && !ics.contains("Vysavač"), "{ics}");
}
