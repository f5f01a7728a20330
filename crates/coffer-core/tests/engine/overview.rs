//! The overview adds up what the store holds: per month of each document's date, per currency
//! (never across currencies), per kind, VAT per rate; trashed documents and months outside the
//! chart are left out; what waits for review and the next deadline are there.

use std::collections::BTreeMap;
use std::sync::Arc;

use coffer_core::document::{DocumentFields, Field, FieldState, Money, VatLine, parse_date};
use coffer_core::overview::{Amount, KindAmount, VatTotal};
use coffer_core::{
    DocumentKind, ImportOptions, ImportOutcome, KdfParams, ManualClock, RecoveryPhrase, Vault,
};
use rand::rngs::OsRng;
use secrecy::SecretString;
use time::macros::datetime;

fn money(minor: i64, currency: &str) -> Option<Money> {
    Some(Money {
        minor,
        currency: currency.parse().unwrap(),
    })
}

fn vat(rate_basis_points: u32, base_minor: i64, tax_minor: i64) -> VatLine {
    VatLine {
        rate_basis_points,
        base_minor,
        tax_minor,
    }
}

struct Doc {
    kind: DocumentKind,
    date: &'static str,
    total: Option<Money>,
    vat: Vec<VatLine>,
}

fn import(
    vault: &mut Vault,
    dir: &std::path::Path,
    n: usize,
    options: &ImportOptions,
) -> coffer_core::DocumentId {
    let file = dir.join(format!("doc-{n}.txt"));
    std::fs::write(&file, format!("document {n}")).unwrap();
    match vault.import(&file, options).unwrap() {
        ImportOutcome::Imported(doc) => doc.id,
        ImportOutcome::Duplicate(_) => panic!("document {n} was taken for a duplicate"),
    }
}

#[test]
fn overview_adds_up_each_month_per_currency_kind_and_rate() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(datetime!(2026-03-15 10:00 UTC)));
    let mut vault = Vault::create(
        dir.path().join("vault"),
        &SecretString::from("overview"),
        KdfParams::default_pbkdf2(),
        &RecoveryPhrase::generate(&mut OsRng),
        clock,
    )
    .unwrap();
    let docs = [
        Doc {
            kind: DocumentKind::Receipt,
            date: "2026-03-02",
            total: money(10_000, "CZK"),
            vat: vec![vat(2100, 6_000, 1_260), vat(1200, 2_500, 300)],
        },
        Doc {
            kind: DocumentKind::Invoice,
            date: "2026-03-10",
            total: money(121_000, "CZK"),
            vat: vec![vat(2100, 100_000, 21_000)],
        },
        Doc {
            kind: DocumentKind::Receipt,
            date: "2026-03-05",
            total: money(2_000, "EUR"),
            vat: vec![vat(2000, 1_667, 333)],
        },
        Doc {
            kind: DocumentKind::Receipt,
            date: "2026-03-08",
            total: None,
            vat: vec![],
        },
        Doc {
            kind: DocumentKind::Receipt,
            date: "2026-02-20",
            total: money(5_000, "CZK"),
            vat: vec![vat(2100, 4_132, 868)],
        },
        Doc {
            kind: DocumentKind::Receipt,
            date: "2025-04-01",
            total: money(1_000, "CZK"),
            vat: vec![],
        },
        // Outside the twelve months of the chart.
        Doc {
            kind: DocumentKind::Receipt,
            date: "2025-03-31",
            total: money(99_900, "CZK"),
            vat: vec![],
        },
    ];
    for (n, doc) in docs.iter().enumerate() {
        let id = import(&mut vault, dir.path(), n, &ImportOptions::default());
        let mut fields = DocumentFields::new(doc.kind, format!("document {n}"));
        fields.issue_date = Some(parse_date(doc.date).unwrap());
        fields.total = doc.total;
        fields.vat = doc.vat.clone();
        vault
            .replace_fields(id, &fields, &BTreeMap::new(), None)
            .unwrap();
    }
    // In the trash: counts nowhere.
    let trashed = import(&mut vault, dir.path(), 100, &ImportOptions::default());
    let mut fields = DocumentFields::new(DocumentKind::Receipt, "trashed");
    fields.issue_date = Some(parse_date("2026-03-03").unwrap());
    fields.total = money(50_000, "CZK");
    vault
        .replace_fields(trashed, &fields, &BTreeMap::new(), None)
        .unwrap();
    vault.trash(trashed).unwrap();
    // Imported today as a contract OCR guessed, with no date of its own, and a deadline.
    let waiting = import(&mut vault, dir.path(), 101, &ImportOptions::default());
    let mut fields = DocumentFields::new(DocumentKind::Contract, "guessed");
    fields.expiry = Some(parse_date("2026-05-01").unwrap());
    let guessed = BTreeMap::from([(
        Field::Kind,
        FieldState {
            confidence: 0.6,
            confirmed: false,
        },
    )]);
    vault
        .replace_fields(waiting, &fields, &guessed, None)
        .unwrap();

    let overview = vault.overview().unwrap();
    let czk = "CZK".parse().unwrap();
    let eur = "EUR".parse().unwrap();

    let this = &overview.this_month;
    assert_eq!(this.month, "2026-03");
    assert_eq!((this.documents, this.without_total), (5, 2));
    assert_eq!(
        this.by_currency,
        [
            Amount {
                currency: czk,
                minor: 131_000,
                documents: 2
            },
            Amount {
                currency: eur,
                minor: 2_000,
                documents: 1
            },
        ]
    );
    assert_eq!(
        this.by_kind,
        [
            KindAmount {
                kind: DocumentKind::Invoice,
                currency: czk,
                minor: 121_000,
                documents: 1
            },
            KindAmount {
                kind: DocumentKind::Receipt,
                currency: czk,
                minor: 10_000,
                documents: 1
            },
            KindAmount {
                kind: DocumentKind::Receipt,
                currency: eur,
                minor: 2_000,
                documents: 1
            },
        ]
    );
    assert_eq!(
        this.vat,
        [
            VatTotal {
                currency: czk,
                rate_basis_points: 2100,
                base_minor: 106_000,
                tax_minor: 22_260
            },
            VatTotal {
                currency: czk,
                rate_basis_points: 1200,
                base_minor: 2_500,
                tax_minor: 300
            },
            VatTotal {
                currency: eur,
                rate_basis_points: 2000,
                base_minor: 1_667,
                tax_minor: 333
            },
        ]
    );

    let last = &overview.last_month;
    assert_eq!(last.month, "2026-02");
    assert_eq!(
        last.by_currency,
        [Amount {
            currency: czk,
            minor: 5_000,
            documents: 1
        }]
    );
    assert_eq!(
        last.vat,
        [VatTotal {
            currency: czk,
            rate_basis_points: 2100,
            base_minor: 4_132,
            tax_minor: 868
        }]
    );

    let months: Vec<_> = overview.months.iter().map(|m| m.month.as_str()).collect();
    assert_eq!(months.len(), 12);
    assert_eq!((months[0], months[11]), ("2025-04", "2026-03"));
    assert_eq!(
        overview.months[0].totals,
        [Amount {
            currency: czk,
            minor: 1_000,
            documents: 1
        }]
    );
    assert!(
        overview.months[1..10].iter().all(|m| m.totals.is_empty()),
        "{:?}",
        overview.months
    );
    assert_eq!(overview.months[10].totals, last.by_currency);
    assert_eq!(overview.months[11].totals, this.by_currency);

    assert_eq!(overview.unconfirmed, 1);
    assert_eq!(overview.next_deadlines.len(), 1);
    assert_eq!(overview.next_deadlines[0].document, waiting);
}
