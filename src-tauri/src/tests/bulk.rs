//! Bulk actions: "select all" is the search the web view sends (less the rows unticked), every
//! match changes however few rows were loaded, and ids that name no document are skipped.

use serde_json::{Value, json};

use super::{Harness, png};

fn documents(h: &Harness, n: u8) -> Vec<Value> {
    h.create_vault();
    (0..n)
        .map(|i| {
            let mut bytes = png();
            bytes.extend_from_slice(&[i; 16]);
            h.import(&h.sample(&format!("r{i}.png"), &bytes))["document"]["id"].clone()
        })
        .collect()
}

fn tags_of(h: &Harness, id: &Value) -> Value {
    h.ok("get_document", json!({"id": id}))["tags"].clone()
}

#[test]
fn select_all_tags_every_match_of_the_search_less_the_unticked_rows() {
    let h = Harness::new();
    let ids = documents(&h, 12);
    let selection = json!({"mode": "query", "query": {"kinds": ["receipt"], "offset": 0, "limit": 5},
                           "except": [ids[3]]});
    let chosen = h.ok("selected_documents", json!({"selection": selection}));
    let chosen: Vec<&Value> = chosen
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["id"])
        .collect();
    assert_eq!(chosen.len(), 11, "every match but one, not the window");
    assert!(!chosen.contains(&&ids[3]));

    let outcome = h.ok(
        "change_documents",
        json!({"selection": selection, "change": {"change": "add_tags", "tags": ["Q4"]}}),
    );
    assert_eq!(outcome["changed"], 11);
    for (i, id) in ids.iter().enumerate() {
        let expected = if i == 3 { json!([]) } else { json!(["Q4"]) };
        assert_eq!(tags_of(&h, id), expected, "document {i}");
    }
}

#[test]
fn picked_ids_change_and_ids_of_no_document_are_skipped() {
    let h = Harness::new();
    let ids = documents(&h, 3);
    let selection = json!({"mode": "ids", "ids": [ids[0], ids[2], "00000000-0000-4000-8000-000000000000", "not-an-id"]});
    let outcome = h.ok(
        "change_documents",
        json!({"selection": selection, "change": {"change": "set_kind", "kind": "invoice"}}),
    );
    assert_eq!(outcome["changed"], 2);
    assert_eq!(outcome["skipped"].as_array().unwrap().len(), 1);
    let kinds: Vec<Value> = ids
        .iter()
        .map(|id| h.ok("get_document", json!({"id": id}))["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("invoice"), json!("receipt"), json!("invoice")]
    );

    // Work on the selection names each document; one gone meanwhile is left out.
    let named = h.ok("selected_documents", json!({"selection": selection}));
    assert_eq!(named.as_array().unwrap().len(), 2, "{named}");
    assert_eq!(named[0]["id"], ids[0]);
    assert_eq!(named[0]["title"], "r0");

    let trashed = h.ok(
        "change_documents",
        json!({"selection": {"mode": "ids", "ids": [ids[1]]}, "change": {"change": "trash"}}),
    );
    assert_eq!(trashed["changed"], 1);
    let listed = h.ok("list_documents", json!({"query": {}}));
    assert_eq!(listed["total"], 2);
    let bad = h.error_code(
        "change_documents",
        json!({"selection": {"mode": "ids", "ids": [ids[0]]}, "change": {"change": "add_tags", "tags": [""]}}),
    );
    assert_eq!(bad, "invalid_input");
}
