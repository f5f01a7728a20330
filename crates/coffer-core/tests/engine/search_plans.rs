//! A first page of search results must be exactly the head of the full, unlimited result, on
//! every query plan: limited queries walk the date index when the text is common or absent,
//! unlimited ones leave the plan to SQLite. A page at any offset, in any sort, is the slice of
//! the whole result the list shows there, and the count is the whole result's length.

use std::sync::Arc;

use coffer_core::document::parse_date;
use coffer_core::{
    DocumentEdit, DocumentKind, ImportOptions, ImportOutcome, KdfParams, RecoveryPhrase,
    SearchQuery, Sort, SortKey, SystemClock, TrashFilter, Vault,
};
use rand::rngs::OsRng;
use secrecy::SecretString;

/// More documents match "kettle" than the threshold above which the date index is walked.
const DOCS: usize = 1_100;

/// Merchants whose order needs case and diacritics folded: `Čedok` beside `Cedok`, `ábel`
/// before `Albert`, and all before `Zara`.
const MERCHANTS: [&str; 6] = ["Albert", "Lidl", "Čedok", "Cedok", "ábel", "Zara"];

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
                    merchant: Some(
                        // Every eleventh has none, and lists under its title.
                        if i % 11 == 0 {
                            ""
                        } else {
                            MERCHANTS[i % MERCHANTS.len()]
                        }
                        .into(),
                    ),
                    // Every seventh has no total; the rest repeat, so ties are broken too.
                    total: (i % 7 != 3).then(|| format!("{}.{:02}", (i * 37) % 400, i % 100)),
                    currency: (i % 7 != 3).then(|| "CZK".parse().unwrap()),
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
            sort: Sort {
                key: SortKey::Name,
                ascending: true,
            },
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

#[test]
fn a_page_at_any_offset_and_sort_is_the_slice_of_the_whole_result_and_the_count_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault_with_documents(dir.path());
    let search = |query: &SearchQuery| vault.search(query).unwrap();
    let sorts = [SortKey::Date, SortKey::Total, SortKey::Name]
        .into_iter()
        .flat_map(|key| [true, false].map(|ascending| Sort { key, ascending }));
    for sort in sorts {
        for filters in [
            SearchQuery::default(),
            SearchQuery::text("toaster"),
            SearchQuery {
                trash: TrashFilter::Only,
                ..SearchQuery::default()
            },
            SearchQuery {
                kinds: vec![DocumentKind::Receipt],
                tags: vec!["home".into()],
                ..SearchQuery::default()
            },
        ] {
            let query = SearchQuery { sort, ..filters };
            let all = search(&query);
            let ids: Vec<_> = all.iter().map(|d| d.id).collect();
            assert_eq!(vault.count(&query).unwrap(), all.len() as u64, "{query:?}");
            assert!(all.len() > 40, "{query:?} should span several pages");
            for offset in [
                0,
                1,
                37,
                all.len() / 2,
                all.len() - 3,
                all.len(),
                all.len() + 10,
            ] {
                let page: Vec<_> = search(&SearchQuery {
                    offset: offset as u32,
                    limit: Some(20),
                    ..query.clone()
                })
                .into_iter()
                .map(|d| d.id)
                .collect();
                let start = offset.min(all.len());
                let end = (offset + 20).min(all.len());
                assert_eq!(page, ids[start..end], "{query:?} from {offset}");
            }
            assert_ordered(&all, sort);
        }
    }
}

/// Whether `docs` are in the order `sort` asks for, judged from what they show.
fn assert_ordered(docs: &[coffer_core::DocumentSummary], sort: Sort) {
    for pair in docs.windows(2) {
        let (a, b) = if sort.ascending {
            (&pair[0], &pair[1])
        } else {
            (&pair[1], &pair[0])
        };
        match sort.key {
            SortKey::Date => {
                let day = |d: &coffer_core::DocumentSummary| d.issue_date.unwrap();
                assert!(day(a) <= day(b), "dates out of order");
            }
            // Documents without a total come last in both directions.
            SortKey::Total => match (pair[0].total, pair[1].total) {
                (Some(_), None) | (None, None) => {}
                (None, Some(_)) => panic!("a document without a total before one with"),
                (Some(_), Some(_)) => {
                    assert!(
                        a.total.unwrap().minor <= b.total.unwrap().minor,
                        "totals out of order"
                    )
                }
            },
            // So do documents with nothing to be called by yet (shown as "Kind · day").
            SortKey::Name => match (pair[0].untitled, pair[1].untitled) {
                (false, true) | (true, true) => {}
                (true, false) => panic!("an untitled document before a named one"),
                (false, false) => {
                    let rank = |d: &coffer_core::DocumentSummary| {
                        let name = d.merchant.as_deref().unwrap_or("kettle");
                        ["ábel", "Albert", "Cedok", "Čedok", "kettle", "Lidl", "Zara"]
                            .iter()
                            .position(|m| *m == name)
                            .unwrap_or_else(|| panic!("unexpected name {name}"))
                    };
                    assert!(rank(a) <= rank(b), "{} before {}", a.title, b.title);
                }
            },
        }
    }
}
