//! Deadlines from some days back on: what has passed lately (overdue notices, warranties that
//! just ended) as well as what comes; nothing older, nothing trashed.

use std::sync::Arc;

use coffer_core::document::parse_date;
use coffer_core::{
    DeadlineKind, DocumentEdit, DocumentKind, ImportOptions, ImportOutcome, KdfParams, ManualClock,
    RecoveryPhrase, ReminderPlan, Vault,
};
use rand::rngs::OsRng;
use secrecy::SecretString;
use time::macros::datetime;

fn document(
    vault: &mut Vault,
    dir: &std::path::Path,
    n: usize,
    kind: DocumentKind,
    expiry: &str,
) -> coffer_core::DocumentId {
    let file = dir.join(format!("doc-{n}.txt"));
    std::fs::write(&file, format!("document {n}")).unwrap();
    let ImportOutcome::Imported(doc) = vault.import(&file, &ImportOptions::default()).unwrap()
    else {
        panic!("document {n} was taken for a duplicate");
    };
    let edit = DocumentEdit {
        kind: Some(kind),
        title: Some(format!("doc {n}")),
        expiry: Some(Some(parse_date(expiry).unwrap())),
        ..DocumentEdit::default()
    };
    vault.edit(doc.id, &edit).unwrap();
    doc.id
}

#[test]
fn deadlines_since_some_days_back_hold_the_overdue_and_the_coming_ones() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(datetime!(2026-03-15 10:00 UTC)));
    let mut vault = Vault::create(
        dir.path().join("vault"),
        &SecretString::from("deadlines"),
        KdfParams::default_pbkdf2(),
        &RecoveryPhrase::generate(&mut OsRng),
        clock,
    )
    .unwrap();
    let ended = document(
        &mut vault,
        dir.path(),
        1,
        DocumentKind::Warranty,
        "2026-03-01",
    );
    document(
        &mut vault,
        dir.path(),
        2,
        DocumentKind::Warranty,
        "2025-12-01",
    );
    let contract = document(
        &mut vault,
        dir.path(),
        3,
        DocumentKind::Contract,
        "2026-03-20",
    );
    let notice = ReminderPlan {
        lead_days: None,
        notice_days: Some(10),
    };
    vault.set_reminder_plan(contract, Some(notice)).unwrap();
    let trashed = document(
        &mut vault,
        dir.path(),
        4,
        DocumentKind::Warranty,
        "2026-03-10",
    );
    vault.trash(trashed).unwrap();

    let seen = |deadlines: Vec<coffer_core::Deadline>| -> Vec<(String, DeadlineKind)> {
        deadlines
            .into_iter()
            .map(|d| (d.date.to_string(), d.kind))
            .collect()
    };
    assert_eq!(
        seen(vault.deadlines_since(60).unwrap()),
        [
            ("2026-03-01".into(), DeadlineKind::WarrantyEnds),
            ("2026-03-10".into(), DeadlineKind::NoticeDeadline),
            ("2026-03-20".into(), DeadlineKind::ContractEnds),
        ]
    );
    assert_eq!(
        seen(vault.upcoming_deadlines().unwrap()),
        [("2026-03-20".into(), DeadlineKind::ContractEnds)]
    );
    let first = &vault.deadlines_since(60).unwrap()[0];
    assert_eq!(first.document, ended);
}
