//! `isdoc/<file>.isdoc`: one ISDOC 6.0.2 document (the Czech e-invoice format every Czech
//! accounting program imports) per booked document: an invoice as `DocumentType` 1 (a credit
//! note as 2), a receipt as a simplified tax document (7). One invoice line per VAT rate
//! carries that rate's base and tax. A document without what the schema requires (issue
//! date, supplier, document number, total, and a VAT recap when the supplier is a VAT payer)
//! gets no ISDOC file; the export's report lists it. See docs/accounting-formats.md.

use std::io::{self, Write};

use super::ExportRow;
use super::accounting::{Recap, Role};
use super::xml::{Xml, percent};
use crate::document::{DocumentFields, Money, PaymentMethod};

/// The folder in the ZIP holding the ISDOC files.
pub const ISDOC_DIR: &str = "isdoc";

const NAMESPACE: &str = "http://isdoc.cz/namespace/2013";

/// Everything the ISDOC schema requires of a document, when the document states it.
struct Complete<'a> {
    fields: &'a DocumentFields,
    role: Role,
    date: time::Date,
    supplier: &'a str,
    number: &'a str,
    recap: Recap,
}

impl<'a> Complete<'a> {
    fn of(fields: &'a DocumentFields) -> Option<Self> {
        let recap = Recap::of(fields)?;
        // Without a recap the amounts are outside VAT: true of a supplier that is no VAT
        // payer, not known of one that is.
        if recap.lines.is_empty() && fields.company_ids.vat_id.is_some() {
            return None;
        }
        Some(Self {
            fields,
            role: Role::of(fields)?,
            date: fields.issue_date?,
            supplier: fields.merchant.as_deref()?,
            number: fields.document_number.as_deref()?,
            recap,
        })
    }
}

/// Whether the row gets an ISDOC file.
pub(super) fn writes(row: &ExportRow) -> bool {
    Complete::of(&row.document.fields).is_some()
}

/// The row's ISDOC file in the ZIP: `isdoc/<name of its file>.isdoc`.
pub(super) fn file_name(row: &ExportRow) -> String {
    let name = row.file.rsplit('/').next().unwrap_or(&row.file);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    format!("{ISDOC_DIR}/{stem}.isdoc")
}

/// Writes the row's ISDOC document; `false` (nothing written) when it lacks what the schema
/// requires.
pub(super) fn write(row: &ExportRow, out: impl Write) -> io::Result<bool> {
    let Some(doc) = Complete::of(&row.document.fields) else {
        return Ok(false);
    };
    let mut xml = Xml::new(out)?;
    let attrs = [("xmlns", NAMESPACE), ("version", "6.0.2")];
    xml.element("Invoice", &attrs, |xml| invoice(xml, row, &doc))?;
    xml.into_inner().flush()?;
    Ok(true)
}

fn invoice<W: Write>(xml: &mut Xml<W>, row: &ExportRow, doc: &Complete) -> io::Result<()> {
    let f = doc.fields;
    let recap = &doc.recap;
    let zero = Money {
        minor: 0,
        currency: recap.total.currency,
    };
    let document_type = match doc.role {
        Role::Invoice => "1",
        Role::CreditNote => "2",
        Role::Receipt => "7",
    };
    xml.text("DocumentType", document_type)?;
    xml.text("ID", doc.number)?;
    xml.text("UUID", &row.document.id.to_string())?;
    xml.text("IssuingSystem", "Coffer")?;
    xml.date("IssueDate", doc.date)?;
    let vat_applicable = !recap.lines.is_empty();
    xml.text("VATApplicable", bool_text(vat_applicable))?;
    // Required, and unknown to Coffer: no agreement is claimed.
    xml.text("ElectronicPossibilityAgreementReference", "")?;
    xml.text("Note", &f.title)?;
    // The document's own currency is its local one: an exchange rate to CZK is not on it.
    xml.text("LocalCurrencyCode", recap.total.currency.as_str())?;
    xml.text("CurrRate", "1")?;
    xml.text("RefCurrRate", "1")?;
    xml.element("AccountingSupplierParty", &[], |xml| {
        party(
            xml,
            Some(doc.supplier),
            f.company_ids.ico.as_deref(),
            f.company_ids.vat_id.as_deref(),
        )
    })?;
    // The customer is the vault's owner, whose details Coffer does not keep.
    xml.element("AccountingCustomerParty", &[], |xml| {
        party(xml, None, None, None)
    })?;
    // One line per rate; a document outside VAT has one line at 0 %.
    let lines: Vec<(u32, Money, Money)> = if recap.lines.is_empty() {
        vec![(0, recap.total, zero)]
    } else {
        recap
            .lines
            .iter()
            .map(|l| (l.rate_basis_points, l.base, l.tax))
            .collect()
    };
    let gross = |base: Money, tax: Money| Money {
        minor: base.minor + tax.minor,
        currency: base.currency,
    };
    xml.element("InvoiceLines", &[], |xml| {
        for (n, (rate, base, tax)) in lines.iter().enumerate() {
            xml.element("InvoiceLine", &[], |xml| {
                xml.text("ID", &(n + 1).to_string())?;
                xml.amount("LineExtensionAmount", *base)?;
                xml.amount("LineExtensionAmountTaxInclusive", gross(*base, *tax))?;
                xml.amount("LineExtensionTaxAmount", *tax)?;
                xml.amount("UnitPrice", *base)?;
                xml.amount("UnitPriceTaxInclusive", gross(*base, *tax))?;
                xml.element("ClassifiedTaxCategory", &[], |xml| {
                    xml.text("Percent", &percent(*rate))?;
                    // The line is given by its base and tax, as the document states them.
                    xml.text("VATCalculationMethod", "0")?;
                    xml.text("VATApplicable", bool_text(vat_applicable))
                })?;
                xml.element("Item", &[], |xml| xml.text("Description", &f.title))
            })?;
        }
        Ok(())
    })?;
    let (base_sum, tax_sum) = lines.iter().fold((zero, zero), |(b, t), (_, base, tax)| {
        (gross(b, *base), gross(t, *tax))
    });
    xml.element("TaxTotal", &[], |xml| {
        for (rate, base, tax) in &lines {
            xml.element("TaxSubTotal", &[], |xml| {
                xml.amount("TaxableAmount", *base)?;
                xml.amount("TaxAmount", *tax)?;
                xml.amount("TaxInclusiveAmount", gross(*base, *tax))?;
                for name in [
                    "AlreadyClaimedTaxableAmount",
                    "AlreadyClaimedTaxAmount",
                    "AlreadyClaimedTaxInclusiveAmount",
                ] {
                    xml.amount(name, zero)?;
                }
                xml.amount("DifferenceTaxableAmount", *base)?;
                xml.amount("DifferenceTaxAmount", *tax)?;
                xml.amount("DifferenceTaxInclusiveAmount", gross(*base, *tax))?;
                xml.element("TaxCategory", &[], |xml| {
                    xml.text("Percent", &percent(*rate))?;
                    xml.text("VATApplicable", bool_text(vat_applicable))
                })
            })?;
        }
        xml.amount("TaxAmount", tax_sum)
    })?;
    let inclusive = gross(base_sum, tax_sum);
    xml.element("LegalMonetaryTotal", &[], |xml| {
        xml.amount("TaxExclusiveAmount", base_sum)?;
        xml.amount("TaxInclusiveAmount", inclusive)?;
        xml.amount("AlreadyClaimedTaxExclusiveAmount", zero)?;
        xml.amount("AlreadyClaimedTaxInclusiveAmount", zero)?;
        xml.amount("DifferenceTaxExclusiveAmount", base_sum)?;
        xml.amount("DifferenceTaxInclusiveAmount", inclusive)?;
        let rounding = recap.total.minor - inclusive.minor;
        if rounding != 0 {
            xml.amount(
                "PayableRoundingAmount",
                Money {
                    minor: rounding,
                    currency: zero.currency,
                },
            )?;
        }
        xml.amount("PaidDepositsAmount", zero)?;
        xml.amount("PayableAmount", recap.total)
    })?;
    // A transfer's details need its due date and bank account, which Coffer does not keep;
    // the variable symbol travels in pohoda.xml and the CSV.
    if let Some(payment) = f.payment() {
        let code = match payment {
            PaymentMethod::Cash => "10",
            PaymentMethod::BankTransfer => "42",
            PaymentMethod::Card => "48",
        };
        xml.element("PaymentMeans", &[], |xml| {
            xml.element("Payment", &[], |xml| {
                xml.amount("PaidAmount", recap.total)?;
                xml.text("PaymentMeansCode", code)
            })
        })?;
    }
    Ok(())
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// A `Party`: the schema requires an identification, a name and a postal address, which
/// stay empty where the document does not state them.
fn party<W: Write>(
    xml: &mut Xml<W>,
    name: Option<&str>,
    ico: Option<&str>,
    vat_id: Option<&str>,
) -> io::Result<()> {
    xml.element("Party", &[], |xml| {
        xml.element("PartyIdentification", &[], |xml| {
            xml.text("ID", ico.unwrap_or(""))
        })?;
        xml.element("PartyName", &[], |xml| xml.text("Name", name.unwrap_or("")))?;
        xml.element("PostalAddress", &[], |xml| {
            for element in ["StreetName", "BuildingNumber", "CityName", "PostalZone"] {
                xml.text(element, "")?;
            }
            xml.element("Country", &[], |xml| {
                xml.text("IdentificationCode", vat_id.and_then(country).unwrap_or(""))?;
                xml.text("Name", "")
            })
        })?;
        if let Some(vat_id) = vat_id {
            xml.element("PartyTaxScheme", &[], |xml| {
                xml.text("CompanyID", vat_id)?;
                xml.text("TaxScheme", "VAT")
            })?;
        }
        Ok(())
    })
}

/// The ISO country of an EU VAT id's prefix (`CZ…` is CZ; Greece writes `EL`).
fn country(vat_id: &str) -> Option<&'static str> {
    let prefix = vat_id.trim().get(..2)?.to_ascii_uppercase();
    const EU: [&str; 27] = [
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
        "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    ];
    let code = if prefix == "EL" {
        "GR"
    } else {
        prefix.as_str()
    };
    EU.into_iter().find(|c| *c == code)
}
