//! ISDOC, the Czech e-invoice XML (a file of its own or attached to a PDF): every field is
//! read exactly from its element, no OCR involved.

use coffer_core::{CompanyIds, Currency, DocumentKind};
use roxmltree::{Document, Node};
use time::Date;

use crate::error::OcrError;
use crate::fields::{Fields, PaymentMethod, VatRow};
use crate::money::Amount;

/// True when the bytes look like an ISDOC document.
pub fn looks_like_isdoc(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    head.contains("isdoc.cz/namespace") || head.contains("<Invoice") && head.contains("isdoc")
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn path<'a, 'i>(node: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(node, |n, name| child(n, name))
}

fn text_at(node: Node, names: &[&str]) -> Option<String> {
    path(node, names)
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn amount_at(node: Node, names: &[&str]) -> Option<Amount> {
    text_at(node, names).and_then(|t| Amount::parse_plain(&t))
}

fn date_at(node: Node, names: &[&str]) -> Option<Date> {
    let text = text_at(node, names)?;
    Date::parse(
        &text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// Reads an ISDOC invoice into fields (confidence 1: the data is structured, not recognised).
pub fn parse(bytes: &[u8]) -> Result<Fields, OcrError> {
    let bad = |reason: String| OcrError::BadIsdoc { reason };
    let xml = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8 text".into()))?;
    let doc = Document::parse(xml).map_err(|e| bad(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "Invoice" {
        return Err(bad(format!(
            "root element is <{}>, not <Invoice>",
            root.tag_name().name()
        )));
    }
    // 7 is a simplified tax document (a receipt); the others are invoices, credit and
    // debit notes and advance invoices.
    let kind = match text_at(root, &["DocumentType"]).as_deref() {
        Some("7") => DocumentKind::Receipt,
        _ => DocumentKind::Invoice,
    };
    let mut fields = Fields {
        kind,
        ..Fields::default()
    };
    fields.confidence.kind = 1.0;

    let supplier = path(root, &["AccountingSupplierParty", "Party"]);
    if let Some(party) = supplier {
        fields.merchant = text_at(party, &["PartyName", "Name"]);
        let ico =
            text_at(party, &["PartyIdentification", "ID"]).filter(|i| CompanyIds::is_valid_ico(i));
        let dic = text_at(party, &["PartyTaxScheme", "CompanyID"]);
        fields.vat_ids = dic.iter().cloned().collect();
        fields.ids = CompanyIds { ico, vat_id: dic };
    }
    fields.date = date_at(root, &["IssueDate"]);
    fields.document_number = text_at(root, &["ID"]);
    fields.variable_symbol = root
        .descendants()
        .find(|n| n.tag_name().name() == "VariableSymbol")
        .and_then(|n| n.text())
        .map(str::trim)
        .filter(|vs| coffer_core::document::is_valid_variable_symbol(vs))
        .map(String::from);

    let code = |name: &str| text_at(root, &[name]).and_then(|c| c.parse::<Currency>().ok());
    let (local, foreign) = (code("LocalCurrencyCode"), code("ForeignCurrencyCode"));
    let totals = child(root, "LegalMonetaryTotal");
    let (amount, currency) = match (foreign, totals) {
        (Some(f), Some(t)) => (
            amount_at(t, &["PayableAmountCurr"])
                .or_else(|| amount_at(t, &["TaxInclusiveAmountCurr"])),
            Some(f),
        ),
        (_, Some(t)) => (
            amount_at(t, &["PayableAmount"]).or_else(|| amount_at(t, &["TaxInclusiveAmount"])),
            local,
        ),
        _ => (None, local),
    };
    fields.total = amount;
    fields.currency = currency;

    // A document not subject to VAT states its amounts at 0 % without a VAT recap.
    let not_subject = |node: Node| text_at(node, &["VATApplicable"]).as_deref() == Some("false");
    if let Some(tax_total) = child(root, "TaxTotal").filter(|_| !not_subject(root)) {
        for sub in tax_total
            .children()
            .filter(|c| c.tag_name().name() == "TaxSubTotal")
            .filter(|c| !child(*c, "TaxCategory").is_some_and(not_subject))
        {
            let rate =
                text_at(sub, &["TaxCategory", "Percent"]).and_then(|p| Amount::parse_plain(&p));
            let (Some(rate), Some(base), Some(tax)) = (
                rate,
                amount_at(sub, &["TaxableAmount"]),
                amount_at(sub, &["TaxAmount"]),
            ) else {
                continue;
            };
            let gross = amount_at(sub, &["TaxInclusiveAmount"]).unwrap_or(base + tax);
            // The rate in hundredths of a percent (21 → 2100, 5.5 → 550).
            let Ok(rate_bp) = u32::try_from(rate.thousandths() / 10) else {
                continue;
            };
            fields.vat.push(VatRow {
                rate_bp,
                base,
                tax,
                gross,
            });
        }
    }
    let means = root
        .descendants()
        .find(|n| n.tag_name().name() == "PaymentMeansCode")
        .and_then(|n| n.text())
        .map(str::trim);
    fields.payment = match means {
        Some("10") => Some(PaymentMethod::Cash),
        Some("42") | Some("31") => Some(PaymentMethod::BankTransfer),
        Some("48") | Some("54") | Some("55") => Some(PaymentMethod::Card),
        _ => None,
    };
    let c = &mut fields.confidence;
    let one = |present: bool| if present { 1.0 } else { 0.0 };
    c.merchant = one(fields.merchant.is_some());
    c.date = one(fields.date.is_some());
    c.total = one(fields.total.is_some());
    c.currency = one(currency.is_some());
    c.vat = one(!fields.vat.is_empty());
    c.ids = one(!fields.ids.is_empty());
    c.document_number = one(fields.document_number.is_some());
    c.variable_symbol = one(fields.variable_symbol.is_some());
    c.payment = one(fields.payment.is_some());
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="http://isdoc.cz/namespace/2013" version="6.0.1">
  <DocumentType>1</DocumentType>
  <ID>FV2024001</ID>
  <IssueDate>2024-03-31</IssueDate>
  <LocalCurrencyCode>CZK</LocalCurrencyCode>
  <AccountingSupplierParty><Party>
    <PartyIdentification><ID>25596641</ID></PartyIdentification>
    <PartyName><Name>Novák Trade s.r.o.</Name></PartyName>
    <PartyTaxScheme><CompanyID>CZ25596641</CompanyID><TaxScheme>VAT</TaxScheme></PartyTaxScheme>
  </Party></AccountingSupplierParty>
  <TaxTotal>
    <TaxSubTotal><TaxableAmount>1000.00</TaxableAmount><TaxAmount>210.00</TaxAmount>
      <TaxInclusiveAmount>1210.00</TaxInclusiveAmount><TaxCategory><Percent>21</Percent></TaxCategory></TaxSubTotal>
  </TaxTotal>
  <LegalMonetaryTotal><TaxInclusiveAmount>1210.00</TaxInclusiveAmount><PayableAmount>1210.00</PayableAmount></LegalMonetaryTotal>
  <PaymentMeans><Payment><PaidAmount>1210.00</PaidAmount><PaymentMeansCode>42</PaymentMeansCode>
    <Details><PaymentDueDate>2024-04-14</PaymentDueDate><ID>1234567/0800</ID><BankCode>0800</BankCode>
      <VariableSymbol>2024001</VariableSymbol></Details></Payment></PaymentMeans>
</Invoice>"#;

    #[test]
    fn isdoc_invoice_fields_are_read_exactly() {
        assert!(looks_like_isdoc(SAMPLE.as_bytes()));
        let f = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(f.kind, DocumentKind::Invoice);
        assert_eq!(f.merchant.as_deref(), Some("Novák Trade s.r.o."));
        assert_eq!(f.date, Some(date!(2024 - 03 - 31)));
        let total = f.total_money().unwrap();
        assert_eq!(
            (total.minor, total.currency.to_string()),
            (121_000, "CZK".to_string())
        );
        assert_eq!(f.ids.ico.as_deref(), Some("25596641"));
        assert_eq!(f.document_number.as_deref(), Some("FV2024001"));
        assert_eq!(f.variable_symbol.as_deref(), Some("2024001"));
        assert_eq!(
            f.vat,
            vec![VatRow::new(
                2100,
                Amount::from_cents(100_000),
                Amount::from_cents(21_000)
            )]
        );
        assert!(f.vat[0].is_consistent());
        assert_eq!(f.payment, Some(PaymentMethod::BankTransfer));
    }

    #[test]
    fn a_simplified_tax_document_is_a_receipt_and_amounts_outside_vat_are_no_recap() {
        let receipt = SAMPLE
            .replace("<DocumentType>1</DocumentType>", "<DocumentType>7</DocumentType>")
            .replace(
                "<TaxCategory><Percent>21</Percent></TaxCategory>",
                "<TaxCategory><Percent>0</Percent><VATApplicable>false</VATApplicable></TaxCategory>",
            );
        let f = parse(receipt.as_bytes()).unwrap();
        assert_eq!(f.kind, DocumentKind::Receipt);
        assert!(f.vat.is_empty());
        assert_eq!(f.total_money().unwrap().minor, 121_000);
    }

    #[test]
    fn xml_that_is_not_an_invoice_is_a_clear_error() {
        assert!(matches!(parse(b"<Order/>"), Err(OcrError::BadIsdoc { .. })));
    }
}
