//! ISDOC files come from anyone who sends an invoice: a damaged or hostile one is read or
//! refused, never a panic, and what it yields passes the field checks (seeded mutations from
//! `coffer_testkit::fuzz`; ten minutes with `COFFER_LONG=1`).

use coffer_ocr::{ExtractOptions, Source, extract_bytes};
use coffer_testkit::fuzz::each_mutation;
use coffer_testkit::samples::{isdoc_invoice, synth};

#[test]
fn a_damaged_isdoc_is_read_or_refused_and_never_panics() {
    let original = isdoc_invoice(&synth::generate(7, true, false));
    let whole = extract_bytes(
        original.as_bytes(),
        "invoice.isdoc",
        &ExtractOptions::default(),
    )
    .expect("the sample reads");
    assert_eq!(whole.source, Source::Isdoc);
    assert!(whole.fields.total.is_some());
    let mut read = 0;
    each_mutation(original.as_bytes(), |bytes, seed| {
        let Ok(extraction) = extract_bytes(bytes, "invoice.isdoc", &ExtractOptions::default())
        else {
            return;
        };
        if extraction.source != Source::Isdoc {
            return;
        }
        read += 1;
        if let Some(ico) = &extraction.fields.ids.ico {
            assert!(
                ico.len() == 8 && ico.bytes().all(|b| b.is_ascii_digit()),
                "seed {seed}: {ico}"
            );
        }
        if let Some(currency) = &extraction.fields.currency {
            assert_eq!(currency.as_str().len(), 3, "seed {seed}");
        }
    });
    assert!(read > 0, "some mutations still read as ISDOC");
}
