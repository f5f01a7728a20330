//! Synthetic Czech receipts and invoices, rendered, OCRed with the real Tesseract and
//! extracted: the fields must come back as the generator put them in.

use coffer_testkit::samples::synth;

use coffer_core::DocumentKind;
use coffer_ocr::text::fold;
use coffer_ocr::{ExtractOptions, Extraction, PaymentMethod, Source, extract_bytes};
use synth::{SyntheticDocument, generate, png_bytes, render};

fn extract(doc: &SyntheticDocument, seed: u64, angle: f32) -> Extraction {
    let png = png_bytes(&render(doc, seed, angle));
    extract_bytes(&png, "synthetic.png", &ExtractOptions::default())
        .expect("synthetic document extracts")
}

/// Letters and digits only, without accents: OCR may drop a háček, the name is still right.
fn comparable(s: &str) -> String {
    fold(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Edit distance, for names where OCR may misread a dot-sized character (`s.r.0.`).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(prev + usize::from(ca != *cb));
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Merchant (give or take two letters), issue date and total.
fn assert_key_fields_match(doc: &SyntheticDocument, f: &coffer_ocr::Fields) {
    let merchant = f.merchant.as_deref().map(comparable).unwrap_or_default();
    assert!(
        edit_distance(&merchant, &comparable(&doc.merchant)) <= 2,
        "merchant {merchant:?} for {:?}",
        doc.merchant
    );
    assert_eq!(f.date, Some(doc.date), "issue date");
    assert_eq!(f.total_money().map(|m| m.minor), Some(doc.total), "total");
}

fn assert_fields_match(doc: &SyntheticDocument, e: &Extraction) {
    let f = &e.fields;
    assert_key_fields_match(doc, f);
    assert_eq!(
        f.currency.map(|c| c.to_string()).as_deref(),
        Some("CZK"),
        "currency"
    );
    assert_eq!(f.ids.ico.as_deref(), Some(doc.ico.as_str()), "IČO");
    assert_eq!(f.ids.vat_id, Some(format!("CZ{}", doc.ico)), "DIČ");
    let vat: Vec<(u32, i64, i64)> = f
        .vat_lines()
        .expect("the recap in crowns")
        .iter()
        .map(|v| (v.rate_basis_points / 100, v.base_minor, v.tax_minor))
        .collect();
    let expected: Vec<(u32, i64, i64)> = doc
        .vat
        .iter()
        .map(|v| (v.rate_percent, v.base, v.tax))
        .collect();
    assert_eq!(vat, expected, "VAT recap");
    assert!(
        f.vat.iter().all(|v| v.is_consistent()),
        "base + tax = gross for every rate"
    );
}

#[test]
fn synthetic_czech_receipts_give_back_their_fields_after_real_ocr() {
    for seed in [1u64, 2] {
        let doc = generate(seed, false, false);
        let e = extract(&doc, seed, 0.7);
        assert_eq!(e.source, Source::Ocr);
        assert_eq!(e.fields.kind, DocumentKind::Receipt);
        assert_eq!(e.fields.payment, Some(PaymentMethod::Card));
        assert_fields_match(&doc, &e);
    }
}

#[test]
fn a_speckled_scan_of_a_receipt_gives_back_its_fields() {
    // Specks this dense each become ink for an adaptive threshold, and Tesseract then finds
    // no lines at all; the page is smoothed first.
    let doc = generate(3, false, false);
    let scan = coffer_testkit::samples::speckled(&render(&doc, 3, 0.4), 0.15, 3);
    let e = extract_bytes(&scan, "speckled.jpg", &ExtractOptions::default())
        .expect("speckled scan extracts");
    assert_key_fields_match(&doc, &e.fields);
    assert_eq!(e.fields.ids.ico.as_deref(), Some(doc.ico.as_str()), "IČO");
}

#[test]
fn synthetic_czech_invoice_gives_supplier_issue_date_and_vat_recap() {
    let doc = generate(7, true, false);
    let e = extract(&doc, 7, -0.5);
    assert_eq!(e.fields.kind, DocumentKind::Invoice);
    assert_eq!(e.fields.payment, Some(PaymentMethod::BankTransfer));
    // The due date and the tax point date are printed too; the issue date must win.
    assert_fields_match(&doc, &e);
}

#[test]
fn spd_qr_code_gives_the_exact_amount_and_account() {
    let doc = generate(11, false, true);
    let e = extract(&doc, 11, 0.0);
    let code = e
        .payment_code
        .as_ref()
        .expect("the QR payment code is found");
    assert_eq!(code.amount.map(|a| a.thousandths() / 10), Some(doc.total));
    assert_eq!(
        code.account.as_deref(),
        Some("CZ6508000000192000145399+GIBACZPX")
    );
    assert_eq!(e.fields.total_money().map(|m| m.minor), Some(doc.total));
    assert_eq!(e.fields.confidence.total, 1.0, "structured data is certain");
}

#[test]
fn upside_down_scan_is_turned_before_recognition() {
    let doc = generate(3, false, false);
    let e = extract(&doc, 3, 180.0);
    assert_eq!(e.fields.total_money().map(|m| m.minor), Some(doc.total));
    assert_eq!(e.fields.date, Some(doc.date));
}
