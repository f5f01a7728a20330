//! A first page of search results must be exactly the head of the full, unlimited result, on
//! every query plan: limited queries walk the date index when the text is common or absent,
//! unlimited ones leave the plan to SQLite.

use std::sync::Arc;

use coffer_core::document::parse_date;
use coffer_core::{
    DocumentEdit, DocumentKind, ImportOptions, ImportOutcome, KdfParams, RecoveryPhrase,
    SearchQuery, SystemClock, TrashFilter, Vault,
};
use rand::rngs::OsRng;
use secrecy::SecretString;

/// More documents match "kettle" than the threshold above which the date index is walked.
const DOCS: usize = 1_100;

fn vault_with_documents(dir: &std::path::Path) -> Vault {
    let mut vault = Vault::create(
        dir.join("vault"),
        &SecretString::from("search plans"),
        KdfParams::default_pbkdf2(),
        &RecoveryPhrase::generate(&mut OsRng),
        Arc::new(SystemClock),
    )
    .unwrap();
    let file = dir.join("doc.txt");
    for i in 0..DOCS {
        std::fs::write(&file, format!("document {i}")).unwrap();
        let ImportOutcome::Imported(doc) = vault
            .import(
                &file,
                &ImportOptions {
                    kind: Some(DocumentKind::ALL[i % 4]),
                    // Every document has "kettle"; one in ten also "toaster".
                    title: Some(if i % 10 == 0 {
                        format!("kettle toaster {i}")
                    } else {
                        format!("kettle {i}")
                    }),
                    tags: vec![["home", "car", "work"][i % 3].to_string()],
                    kind_hint: None,
                },
            )
            .unwrap()
        else {
            panic!("document {i} was taken for a duplicate");
        };
        // Few distinct dates, so ties on the date must be broken the same way on every plan.
        let date = parse_date(&format!("2024-{:02}-{:02}", 1 + i % 12, 1 + i % 3)).unwrap();
        vault
            .edit(
                doc.id,
                &DocumentEdit {
                    issue_date: Some(Some(date)),
                    merchant: Some(if i % 2 == 0 { "Albert" } else { "Lidl" }.into()),
                    ..DocumentEdit::default()
                },
            )
            .unwrap();
        if i % 7 == 0 {
            vault.trash(doc.id).unwrap();
        }
    }
    vault
}

#[test]
fn a_first_page_is_the_head_of_the_full_result_on_every_plan() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault_with_documents(dir.path());
    let ids = |query: &SearchQuery| -> Vec<String> {
        vault
            .search(query)
            .unwrap()
            .into_iter()
            .map(|d| d.id.to_string())
            .collect()
    };
    let queries = [
        SearchQuery::text("ket"),
        SearchQuery::text("kettle toast"),
        SearchQuery::text("1"),
        SearchQuery {
            kinds: vec![DocumentKind::Receipt],
            ..SearchQuery::text("kett")
        },
        SearchQuery {
            from: parse_date("2024-03-01").ok(),
            to: parse_date("2024-05-31").ok(),
            ..SearchQuery::text("kettle")
        },
        SearchQuery {
            kinds: vec![DocumentKind::Invoice],
            tags: vec!["car".into()],
            ..SearchQuery::default()
        },
        SearchQuery {
            merchant: Some("lid".into()),
            ..SearchQuery::default()
        },
        SearchQuery {
            trash: TrashFilter::Only,
            ..SearchQuery::text("kettle")
        },
        SearchQuery::default(),
    ];
    for query in queries {
        let all = ids(&query);
        let page = ids(&SearchQuery {
            limit: Some(50),
            ..query.clone()
        });
        assert!(all.len() > 50, "{query:?} should match more than a page");
        assert_eq!(page, all[..50], "first page of {query:?}");
    }
}
