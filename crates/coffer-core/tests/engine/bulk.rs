//! One change to a selection: every document of it changes in one unit of work, one that the
//! change cannot apply to is named and the others go on, an invalid change changes nothing,
//! and "select all" is every match of the query, not a window of it.

use std::collections::BTreeMap;

use coffer_core::bulk::BulkChange;
use coffer_core::document::{DocumentFields, Field, FieldState};
use coffer_core::{DocumentId, DocumentKind, SearchQuery, TrashFilter, Vault};

use crate::support::{Scratch, ids_in};

/// `count` small documents, imported.
fn receipts(scratch: &Scratch, vault: &mut Vault, count: usize) -> Vec<DocumentId> {
    (0..count)
        .map(|n| {
            scratch.import(
                vault,
                &format!("r{n}.txt"),
                format!("receipt {n}").as_bytes(),
            )
        })
        .collect()
}

fn guessed() -> BTreeMap<Field, FieldState> {
    let guess = FieldState {
        confidence: 0.7,
        confirmed: false,
    };
    BTreeMap::from([(Field::Kind, guess), (Field::Merchant, guess)])
}

#[test]
fn a_change_reaches_every_selected_document_and_names_the_ones_it_cannot() {
    let scratch = Scratch::new();
    let mut vault = scratch.open().unwrap();
    let ids = receipts(&scratch, &mut vault, 5);
    vault.trash(ids[4]).unwrap();

    let outcome = vault
        .change_many(
            &ids,
            &BulkChange::AddTags {
                tags: vec!["  Q4 2026 ".into(), "ucetni".into()],
            },
        )
        .unwrap();
    assert_eq!(outcome.changed, 4);
    assert_eq!(outcome.skipped.len(), 1);
    assert_eq!(outcome.skipped[0].id, ids[4]);
    assert!(
        outcome.skipped[0].reason.contains("trash"),
        "{}",
        outcome.skipped[0].reason
    );
    for &id in &ids[..4] {
        let doc = vault.document(id).unwrap();
        assert_eq!(doc.fields.tags, ["Q4 2026", "ucetni"]);
        assert!(doc.field_states[&Field::Tags].confirmed);
    }
    assert!(vault.document(ids[4]).unwrap().fields.tags.is_empty());

    let outcome = vault
        .change_many(
            &ids[..2],
            &BulkChange::RemoveTags {
                tags: vec!["q4 2026".into()],
            },
        )
        .unwrap();
    assert_eq!(outcome.changed, 2);
    assert_eq!(vault.document(ids[0]).unwrap().fields.tags, ["ucetni"]);
    assert_eq!(
        vault.document(ids[2]).unwrap().fields.tags,
        ["Q4 2026", "ucetni"]
    );

    vault
        .change_many(
            &ids[..3],
            &BulkChange::SetKind {
                kind: DocumentKind::Invoice,
            },
        )
        .unwrap();
    let invoices = vault
        .matching_ids(&SearchQuery {
            kinds: vec![DocumentKind::Invoice],
            ..SearchQuery::default()
        })
        .unwrap();
    let mut expected = ids[..3].to_vec();
    let mut found = invoices.clone();
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
}

#[test]
fn an_invalid_change_changes_nothing() {
    let scratch = Scratch::new();
    let mut vault = scratch.open().unwrap();
    let ids = receipts(&scratch, &mut vault, 3);
    let before: Vec<_> = ids.iter().map(|&id| vault.document(id).unwrap()).collect();
    let err = vault
        .change_many(
            &ids,
            &BulkChange::AddTags {
                tags: vec!["fine".into(), "   ".into()],
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("not a usable tag"), "{err}");
    let after: Vec<_> = ids.iter().map(|&id| vault.document(id).unwrap()).collect();
    assert_eq!(after, before);
}

#[test]
fn confirm_all_confirms_every_guess_and_leaves_confirmed_documents_alone() {
    let scratch = Scratch::new();
    let mut vault = scratch.open().unwrap();
    let ids = receipts(&scratch, &mut vault, 4);
    for &id in &ids[..3] {
        let fields = DocumentFields::new(DocumentKind::Receipt, "guessed");
        vault.replace_fields(id, &fields, &guessed(), None).unwrap();
    }
    let waiting = SearchQuery {
        unconfirmed_only: true,
        ..SearchQuery::default()
    };
    assert_eq!(vault.count(&waiting).unwrap(), 3);

    let all = vault.matching_ids(&SearchQuery::default()).unwrap();
    assert_eq!(all.len(), 4);
    let outcome = vault.change_many(&all, &BulkChange::ConfirmAll).unwrap();
    assert_eq!((outcome.changed, outcome.unchanged), (3, 1));
    assert_eq!(vault.count(&waiting).unwrap(), 0);
    let doc = vault.document(ids[0]).unwrap();
    assert!(doc.field_states.values().all(|s| s.confirmed));
    // Confirming keeps what was guessed.
    assert_eq!(doc.fields.title, "guessed");
}

#[test]
fn a_selection_goes_to_the_trash_and_comes_back() {
    let scratch = Scratch::new();
    let mut vault = scratch.open().unwrap();
    let ids = receipts(&scratch, &mut vault, 3);
    let outcome = vault.change_many(&ids[..2], &BulkChange::Trash).unwrap();
    assert_eq!(outcome.changed, 2);
    assert_eq!(ids_in(&vault, TrashFilter::Only).len(), 2);
    // "Select all" in the trash view, then restore.
    let trashed = vault
        .matching_ids(&SearchQuery {
            trash: TrashFilter::Only,
            limit: Some(1),
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(trashed.len(), 2, "every match, not the window");
    let outcome = vault.change_many(&trashed, &BulkChange::Restore).unwrap();
    assert_eq!(outcome.changed, 2);
    assert_eq!(ids_in(&vault, TrashFilter::Exclude).len(), 3);
    let again = vault.change_many(&ids, &BulkChange::Restore).unwrap();
    assert_eq!((again.changed, again.unchanged), (0, 3));
}
