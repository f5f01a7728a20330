//! Whole documents through the public API: text PDFs from several countries, ISDOC (alone and
//! attached to a PDF), and the bad inputs a batch must survive with a clear per-file error.

use coffer_testkit::samples::pdf;

use std::path::PathBuf;
use std::sync::Mutex;

use coffer_core::DocumentKind;
use coffer_ocr::{
    Amount, ExtractOptions, Fields, OcrError, Source, VatRow, extract_bytes, extract_many,
    extract_path,
};

fn options() -> ExtractOptions {
    ExtractOptions::default()
}

#[test]
fn czech_text_pdf_invoice_uses_its_text_layer() {
    let bytes = pdf::text_pdf(
        &[
            "FAKTURA - danovy doklad c. 2024017",
            "Dodavatel: Novak Trade s.r.o.",
            "ICO: 25596641   DIC: CZ25596641",
            "Odberatel: Zakaznik a.s.",
            "Datum splatnosti: 14.04.2024",
            "Datum vystaveni: 31.03.2024",
            "DPH 21 %   1 000,00   210,00   1 210,00",
            "Celkem k uhrade:   1 210,00 CZK",
        ],
        None,
    );
    let e = extract_bytes(&bytes, "faktura.pdf", &options()).unwrap();
    assert_eq!(e.source, Source::PdfText);
    let f = &e.fields;
    assert_eq!(f.kind, DocumentKind::Invoice);
    assert_eq!(f.merchant.as_deref(), Some("Novak Trade s.r.o."));
    assert_eq!(f.date.map(|d| d.to_string()).as_deref(), Some("2024-03-31"));
    assert_eq!(f.total_money().map(|m| m.minor), Some(121_000));
    assert_eq!(f.currency.map(|c| c.to_string()).as_deref(), Some("CZK"));
    assert_eq!(f.ids.ico.as_deref(), Some("25596641"));
}

#[test]
fn german_and_french_text_pdf_invoices_are_read() {
    let de = pdf::text_pdf(
        &[
            "Muster Technik GmbH",
            "Hauptstrasse 5, 10115 Berlin",
            "USt-IdNr.: DE123456789",
            "Rechnung Nr. 4711",
            "Rechnungsdatum: 05.02.2024",
            "Lieferdatum: 01.02.2024",
            "Nettobetrag 100,00 EUR",
            "MwSt 19 % 19,00 EUR",
            "Gesamtbetrag 119,00 EUR",
        ],
        None,
    );
    let f = extract_bytes(&de, "rechnung.pdf", &options())
        .unwrap()
        .fields;
    assert_eq!(f.merchant.as_deref(), Some("Muster Technik GmbH"));
    assert_eq!(f.date.map(|d| d.to_string()).as_deref(), Some("2024-02-05"));
    assert_eq!(f.total_money().map(|m| m.minor), Some(11_900));
    assert_eq!(f.currency.map(|c| c.to_string()).as_deref(), Some("EUR"));
    assert_eq!(f.vat_ids, vec!["DE123456789".to_string()]);

    let fr = pdf::text_pdf(
        &[
            "Boulangerie Dupont SARL",
            "FACTURE N. 2024-88",
            "Date de facture : 12/03/2024",
            "Date d'echeance : 12/04/2024",
            "Total HT 50,00 EUR",
            "TVA 20 % 10,00",
            "Total TTC 60,00 EUR",
        ],
        None,
    );
    let f = extract_bytes(&fr, "facture.pdf", &options())
        .unwrap()
        .fields;
    assert_eq!(f.date.map(|d| d.to_string()).as_deref(), Some("2024-03-12"));
    assert_eq!(f.total_money().map(|m| m.minor), Some(6_000));
    assert_eq!(
        f.vat,
        vec![VatRow::new(
            2000,
            Amount::from_cents(5_000),
            Amount::from_cents(1_000)
        )]
    );
}

/// The merchant, issue date (YYYY-MM-DD) and total in cents an invoice was read with.
fn assert_read_as(fields: &Fields, merchant: &str, date: &str, total_cents: i64) {
    assert_eq!(fields.merchant.as_deref(), Some(merchant));
    assert_eq!(fields.date.map(|d| d.to_string()).as_deref(), Some(date));
    assert_eq!(fields.total_money().map(|m| m.minor), Some(total_cents));
}

#[test]
fn dutch_polish_and_slovak_text_pdf_invoices_are_read() {
    let read = |lines: &[&str]| {
        extract_bytes(&pdf::text_pdf(lines, None), "invoice.pdf", &options())
            .unwrap()
            .fields
    };
    let nl = read(&[
        "Bakkerij De Vries B.V.",
        "Kerkstraat 14, 1017 GC Amsterdam",
        "FACTUUR",
        "Factuurdatum: 15-09-2026",
        "Vervaldatum: 15-10-2026",
        "Subtotaal EUR 58,50",
        "BTW 9% EUR 5,27",
        "Totaal EUR 63,77",
        "Te betalen binnen 30 dagen op NL91 ABNA 0417 1643 00",
    ]);
    assert_read_as(&nl, "Bakkerij De Vries B.V.", "2026-09-15", 6_377);
    assert_eq!(
        nl.vat,
        vec![VatRow::new(
            900,
            Amount::from_cents(5_850),
            Amount::from_cents(527)
        )]
    );

    let pl = read(&[
        "FAKTURA VAT nr FV/2026/10/031",
        "Data wystawienia: 2026-10-07",
        "Termin platnosci: 2026-10-21",
        "Sprzedawca: Piekarnia Nowak Sp. z o.o., ul. Dluga 5, 00-238 Warszawa, NIP 525-000-12-34",
        "Nabywca: Kawiarnia Mala, ul. Krotka 2, 00-001 Warszawa, NIP 701-000-00-00",
        "Lp. Nazwa Ilosc Cena netto",
        "Razem do zaplaty: 399,15 PLN",
    ]);
    assert_read_as(&pl, "Piekarnia Nowak Sp. z o.o.", "2026-10-07", 39_915);
    assert_eq!(pl.currency.map(|c| c.to_string()).as_deref(), Some("PLN"));

    let sk = read(&[
        "FAKTURA c. 2026091",
        "Dodavatel: Knihkupectvo Novak s.r.o., Hlavna 1, 811 01 Bratislava",
        "ICO: 35757442",
        "Datum vyhotovenia: 12.09.2026",
        "Datum splatnosti: 26.09.2026",
        "Zaklad dane 20 %: 40,00 EUR",
        "DPH 20 %: 8,00 EUR",
        "Celkom k uhrade: 48,00 EUR",
    ]);
    assert_read_as(&sk, "Knihkupectvo Novak s.r.o.", "2026-09-12", 4_800);
    assert_eq!(
        sk.vat,
        vec![VatRow::new(
            2000,
            Amount::from_cents(4_000),
            Amount::from_cents(800)
        )]
    );
}

const ISDOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="http://isdoc.cz/namespace/2013" version="6.0.1">
  <IssueDate>2024-05-20</IssueDate>
  <LocalCurrencyCode>CZK</LocalCurrencyCode>
  <AccountingSupplierParty><Party>
    <PartyIdentification><ID>25596641</ID></PartyIdentification>
    <PartyName><Name>ISDOC Dodavatel s.r.o.</Name></PartyName>
  </Party></AccountingSupplierParty>
  <LegalMonetaryTotal><PayableAmount>2420.00</PayableAmount></LegalMonetaryTotal>
</Invoice>"#;

#[test]
fn isdoc_attached_to_a_pdf_wins_over_the_printed_text() {
    let bytes = pdf::text_pdf(
        &["FAKTURA", "Celkem k uhrade 9 999,00 CZK"],
        Some(("faktura.isdoc", ISDOC.as_bytes())),
    );
    let e = extract_bytes(&bytes, "faktura.pdf", &options()).unwrap();
    assert_eq!(e.source, Source::Isdoc);
    assert_eq!(e.fields.total_money().map(|m| m.minor), Some(242_000));
    assert_eq!(e.fields.merchant.as_deref(), Some("ISDOC Dodavatel s.r.o."));
    assert!(
        e.text.to_plain().contains("FAKTURA"),
        "the printed text is kept for search"
    );
}

#[test]
fn standalone_isdoc_file_is_read_exactly() {
    let e = extract_bytes(ISDOC.as_bytes(), "faktura.isdoc", &options()).unwrap();
    assert_eq!(e.source, Source::Isdoc);
    assert_eq!(
        e.fields.date.map(|d| d.to_string()).as_deref(),
        Some("2024-05-20")
    );
}

#[test]
fn zero_byte_file_is_a_clear_error() {
    assert!(matches!(
        extract_bytes(&[], "empty.jpg", &options()),
        Err(OcrError::Empty)
    ));
}

#[test]
fn two_hundred_megapixel_image_is_refused_before_decoding() {
    // A real PNG (valid chunk CRCs) claiming 20000×10000 pixels, with almost no pixel data.
    let mut header = Vec::new();
    header.extend_from_slice(&20_000u32.to_be_bytes());
    header.extend_from_slice(&10_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (&b"IHDR"[..], header),
        (
            b"IDAT",
            vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ),
        (b"IEND", vec![]),
    ] {
        let mut body = kind.to_vec();
        body.extend_from_slice(&data);
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let err = extract_bytes(&png, "huge.png", &options()).unwrap_err();
    assert!(matches!(err, OcrError::ImageTooLarge { .. }), "{err}");
    assert!(err.to_string().contains("200 MP"));
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn truncated_image_and_unknown_files_are_clear_errors() {
    let err =
        extract_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "cut.jpg", &options()).unwrap_err();
    assert!(matches!(err, OcrError::BadImage { .. }), "{err}");
    let err = extract_bytes(b"PK\x03\x04 zip", "notes.docx", &options()).unwrap_err();
    assert!(matches!(err, OcrError::Unsupported { .. }), "{err}");
}

#[test]
fn password_protected_pdf_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.pdf");
    let locked = dir.path().join("locked.pdf");
    std::fs::write(&plain, pdf::text_pdf(&["Celkem 100,00 Kc"], None)).unwrap();
    let status = std::process::Command::new("qpdf")
        .args(["--encrypt", "user-secret", "owner-secret", "256", "--"])
        .arg(&plain)
        .arg(&locked)
        .status()
        .expect("qpdf is installed (scripts/setup.sh)");
    assert!(status.success());
    let err = extract_path(&locked, &options()).unwrap_err();
    assert!(matches!(err, OcrError::PdfEncrypted), "{err}");
}

#[test]
fn pdf_bomb_fails_or_yields_nothing_without_exhausting_memory() {
    // 1 GiB of spaces deflated into about a megabyte.
    let bomb = pdf::deflate_bomb(1 << 30);
    match extract_bytes(&bomb, "bomb.pdf", &options()) {
        Err(OcrError::BadPdf { .. }) => {}
        Ok(e) => assert!(e.fields.total.is_none() && e.fields.merchant.is_none()),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn a_batch_goes_on_after_bad_files_and_keeps_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("a.txt");
    std::fs::write(&good, "TOTAL 12.50\n19/03/2018 10:00").unwrap();
    let empty = dir.path().join("b.jpg");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("c.png");
    let paths: Vec<PathBuf> = vec![good.clone(), empty, missing, good];
    let seen = Mutex::new(Vec::new());
    extract_many(&paths, &options(), 2, &|_, _| {}, &|i, r| {
        seen.lock().unwrap().push((i, r.is_ok()))
    });
    assert_eq!(
        seen.into_inner().unwrap(),
        vec![(0, true), (1, false), (2, false), (3, true)]
    );
}

/// Supplier, date, total in the currency's minor units, currency and number of a laid-out
/// text-PDF invoice.
fn laid_out(rows: &[&str]) -> Fields {
    extract_bytes(&pdf::columns_pdf(rows), "invoice.pdf", &options())
        .unwrap()
        .fields
}

fn assert_invoice(
    f: &Fields,
    supplier: &str,
    date: &str,
    minor: i64,
    currency: &str,
    number: &str,
) {
    assert_eq!(f.merchant.as_deref(), Some(supplier), "supplier");
    assert_eq!(f.date.map(|d| d.to_string()).as_deref(), Some(date), "date");
    let total = f.total_money().expect("a total with its currency");
    assert_eq!(
        (total.minor, total.currency.to_string().as_str()),
        (minor, currency)
    );
    assert_eq!(f.document_number.as_deref(), Some(number), "number");
}

#[test]
fn an_indian_invoice_names_the_seller_not_the_buyer_and_reads_rupees() {
    let f = laid_out(&[
        "50:TAX INVOICE|330:Invoice Number: INV-2026-118",
        "330:Invoice Date: 12/03/2026",
        "50:Bill To:|330:Sold By:",
        "50:Globex Traders Private Limited|330:Acme Widgets Pvt. Ltd.",
        "50:45 Park Street, Kolkata 700016|330:12 MG Road, Bengaluru 560001",
        "50:GSTIN: 19PQRST1234K1Z2|330:GSTIN: 29ABCDE1234F1Z5",
        "50:Description|300:Qty|400:Amount",
        "50:Widget A|300:10|400:1,00,000.00",
        "50:IGST 18%|400:18,000.00",
        "50:Grand Total|400:Rs. 1,18,000.00",
        "50:Bank Details",
        "50:Account Name: Acme Widgets Pvt. Ltd.",
    ]);
    assert_invoice(
        &f,
        "Acme Widgets Pvt. Ltd.",
        "2026-03-12",
        11_800_000,
        "INR",
        "INV-2026-118",
    );
}

#[test]
fn yen_and_dinar_invoices_are_stored_in_their_own_minor_units() {
    let jpy = laid_out(&[
        "50:Sakura Trading Co., Ltd.|330:INVOICE",
        "50:1-2-3 Ginza, Tokyo|330:Invoice No: T-5521",
        "330:Date: 2026-10-05",
        "50:Bill To: Northwind GmbH",
        "50:Consulting|300:2|400:JPY 60,000",
        "50:Total|400:JPY 128,000",
    ]);
    assert_invoice(
        &jpy,
        "Sakura Trading Co., Ltd.",
        "2026-10-05",
        128_000,
        "JPY",
        "T-5521",
    );
    let kwd = laid_out(&[
        "50:Gulf Supplies W.L.L. Limited|330:INVOICE",
        "330:Invoice No: GS-77",
        "330:Invoice Date: 01/11/2026",
        "50:Customer:|330:Bank details",
        "50:Harbor Foods Ltd",
        "50:Widgets|400:KWD 1,250.375",
        "50:Amount Due|400:KWD 1,250.375",
    ]);
    assert_invoice(
        &kwd,
        "Gulf Supplies W.L.L. Limited",
        "2026-11-01",
        1_250_375,
        "KWD",
        "GS-77",
    );
}

#[test]
fn european_invoices_take_the_supplier_under_its_label_or_in_the_footer() {
    let cz = laid_out(&[
        "50:FAKTURA - DANOVY DOKLAD c. 2026117",
        "50:Odberatel:|300:Dodavatel:",
        "50:Zakaznik Trade a.s.|300:Pekarstvi Novak s.r.o.",
        "50:ICO: 25596641|300:ICO: 27082440",
        "50:Datum vystaveni: 3.11.2026",
        "50:Variabilni symbol: 2026117",
        "50:DPH 21 %|250:1 000,00|350:210,00|450:1 210,00",
        "50:Celkem k uhrade|400:1 210,00 Kc",
        "50:Bankovni spojeni: Pekarstvi Novak s.r.o.",
    ]);
    assert_invoice(
        &cz,
        "Pekarstvi Novak s.r.o.",
        "2026-11-03",
        121_000,
        "CZK",
        "2026117",
    );
    assert_eq!(cz.variable_symbol.as_deref(), Some("2026117"));
    let de = laid_out(&[
        "50:Kunde:|330:RECHNUNG",
        "50:Muster Handel AG|330:Rechnungsnummer: R-4711",
        "50:Bahnhofstr. 5, 80331 Munchen|330:Rechnungsdatum: 05.02.2026",
        "50:Summe netto|400:100,00 €",
        "50:MwSt 19 %|400:19,00 €",
        "50:Gesamtbetrag|400:119,00 €",
        "50:Elektro Schmidt GmbH · Hauptstr. 12 · 10115 Berlin · USt-IdNr. DE123456789",
    ]);
    assert_invoice(
        &de,
        "Elektro Schmidt GmbH",
        "2026-02-05",
        11_900,
        "EUR",
        "R-4711",
    );
    let pl = laid_out(&[
        "50:FAKTURA VAT nr FV/2026/10/031",
        "50:Data wystawienia: 2026-10-07",
        "50:Nabywca:|300:Sprzedawca:",
        "50:Kawiarnia Mala Sp. z o.o.|300:Piekarnia Nowak Sp. z o.o.",
        "50:Razem do zaplaty|400:399,15 zl",
    ]);
    assert_invoice(
        &pl,
        "Piekarnia Nowak Sp. z o.o.",
        "2026-10-07",
        39_915,
        "PLN",
        "FV/2026/10/031",
    );
}

#[test]
fn isdoc_yen_and_dinar_invoices_keep_their_minor_units_and_number() {
    for (code, amount, minor) in [("JPY", "128000", 128_000), ("KWD", "1250.375", 1_250_375)] {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="http://isdoc.cz/namespace/2013" version="6.0.2">
  <ID>FV-{code}-7</ID><IssueDate>2026-10-05</IssueDate>
  <LocalCurrencyCode>{code}</LocalCurrencyCode>
  <AccountingSupplierParty><Party><PartyName><Name>Export s.r.o.</Name></PartyName></Party></AccountingSupplierParty>
  <LegalMonetaryTotal><PayableAmount>{amount}</PayableAmount></LegalMonetaryTotal>
</Invoice>"#
        );
        let e = extract_bytes(xml.as_bytes(), "f.isdoc", &options()).unwrap();
        let total = e.fields.total_money().unwrap();
        assert_eq!(
            (total.minor, total.currency.to_string()),
            (minor, code.to_string())
        );
        assert_eq!(e.fields.document_number, Some(format!("FV-{code}-7")));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json["total"], amount,
            "coffer extract prints the decimal in the currency's digits"
        );
    }
}
