//! A document as the accounting formats see it, worked out once for POHODA, ISDOC and the
//! export's report: its role (a received invoice, a credit note or a receipt), its VAT recap
//! per rate, and what an accountant will have to fill in. Nothing here invents a value: what
//! the document does not state is reported missing. See docs/accounting-formats.md.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use time::Date;
use time::macros::date;

use super::{CsvPreset, ExportFormat, ExportRow, isdoc, pohoda};
use crate::document::{DocumentFields, DocumentId, DocumentKind, Money, PaymentMethod};

/// What a document is to the books.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A received invoice (`přijatá faktura`).
    Invoice,
    /// A received invoice with a negative total: a credit note (`dobropis`).
    CreditNote,
    /// A receipt (`účtenka`, a simplified tax document when the seller is a VAT payer).
    Receipt,
}

impl Role {
    /// Contracts, warranties and other documents are not booked.
    pub(crate) fn of(fields: &DocumentFields) -> Option<Self> {
        match fields.kind {
            DocumentKind::Invoice if fields.total.is_some_and(|t| t.minor < 0) => {
                Some(Self::CreditNote)
            }
            DocumentKind::Invoice => Some(Self::Invoice),
            DocumentKind::Receipt => Some(Self::Receipt),
            DocumentKind::Contract | DocumentKind::Warranty | DocumentKind::Other => None,
        }
    }
}

/// A field an accountant needs that the document lacks (or that does not fit the format).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountingField {
    IssueDate,
    Supplier,
    Ico,
    VatId,
    DocumentNumber,
    VariableSymbol,
    Total,
    VatRecap,
    PaymentMethod,
}

impl AccountingField {
    /// The field's name in the preset's language, as the CSV's column lists it.
    pub fn label(self, preset: CsvPreset) -> &'static str {
        match (preset, self) {
            (CsvPreset::Cz, Self::IssueDate) => "datum vystavení",
            (CsvPreset::Cz, Self::Supplier) => "dodavatel",
            (CsvPreset::Cz, Self::Ico) => "IČO",
            (CsvPreset::Cz, Self::VatId) => "DIČ",
            (CsvPreset::Cz, Self::DocumentNumber) => "číslo dokladu",
            (CsvPreset::Cz, Self::VariableSymbol) => "variabilní symbol",
            (CsvPreset::Cz, Self::Total) => "celková částka",
            (CsvPreset::Cz, Self::VatRecap) => "rekapitulace DPH",
            (CsvPreset::Cz, Self::PaymentMethod) => "způsob úhrady",
            (CsvPreset::Intl, Self::IssueDate) => "issue date",
            (CsvPreset::Intl, Self::Supplier) => "supplier",
            (CsvPreset::Intl, Self::Ico) => "company ID",
            (CsvPreset::Intl, Self::VatId) => "VAT ID",
            (CsvPreset::Intl, Self::DocumentNumber) => "document number",
            (CsvPreset::Intl, Self::VariableSymbol) => "variable symbol",
            (CsvPreset::Intl, Self::Total) => "total",
            (CsvPreset::Intl, Self::VatRecap) => "VAT recap",
            (CsvPreset::Intl, Self::PaymentMethod) => "payment method",
        }
    }
}

impl fmt::Display for AccountingField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label(CsvPreset::Intl))
    }
}

/// One VAT rate of a document: base and tax in the document's currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateLine {
    pub rate_basis_points: u32,
    pub base: Money,
    pub tax: Money,
}

impl RateLine {
    pub(crate) fn gross(&self) -> Money {
        Money {
            minor: self.base.minor.saturating_add(self.tax.minor),
            currency: self.base.currency,
        }
    }
}

/// The VAT recap as the document states it: one line per rate (highest first), and what of
/// the total lies outside them (a part without VAT, or the rounding of a cash payment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Recap {
    pub total: Money,
    pub lines: Vec<RateLine>,
    pub outside: Money,
}

impl Recap {
    /// `None` without a total: VAT minor units have no scale without a currency.
    pub(crate) fn of(fields: &DocumentFields) -> Option<Self> {
        let total = fields.total?;
        let money = |minor| Money {
            minor,
            currency: total.currency,
        };
        let mut by_rate: BTreeMap<u32, (i64, i64)> = BTreeMap::new();
        for line in &fields.vat {
            let entry = by_rate.entry(line.rate_basis_points).or_default();
            entry.0 = entry.0.saturating_add(line.base_minor);
            entry.1 = entry.1.saturating_add(line.tax_minor);
        }
        let lines: Vec<RateLine> = by_rate
            .into_iter()
            .rev()
            .map(|(rate, (base, tax))| RateLine {
                rate_basis_points: rate,
                base: money(base),
                tax: money(tax),
            })
            .collect();
        let stated: i64 = lines.iter().map(|l| l.gross().minor).sum();
        Some(Self {
            total,
            outside: money(total.minor.saturating_sub(stated)),
            lines,
        })
    }
}

/// The Czech VAT rates a POHODA recap has a place for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CzechRate {
    /// 0 %: `priceNone`.
    Zero,
    /// The reduced rate: 15 % until 2023, 12 % from 2024 (`priceLow`).
    Low,
    /// 21 % (`priceHigh`).
    High,
    /// The second reduced rate, 10 %, 2015 to 2023 (`price3`).
    Third,
}

const CZ_2015: Date = date!(2015 - 01 - 01);
const CZ_2024: Date = date!(2024 - 01 - 01);

impl CzechRate {
    /// The rate that `basis_points` is in Czech law on `date`, or `None` (a foreign rate).
    pub(crate) fn on(basis_points: u32, date: Date) -> Option<Self> {
        match basis_points {
            0 => Some(Self::Zero),
            2100 => Some(Self::High),
            1200 if date >= CZ_2024 => Some(Self::Low),
            1500 if date < CZ_2024 => Some(Self::Low),
            1000 if (CZ_2015..CZ_2024).contains(&date) => Some(Self::Third),
            _ => None,
        }
    }
}

/// What the export says about one document: what to fill in, and which files it is not in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentReport {
    pub id: DocumentId,
    /// Its file in the ZIP.
    pub file: String,
    pub kind: DocumentKind,
    /// What an accountant will have to fill in.
    pub missing: Vec<AccountingField>,
    /// The requested formats that leave this document out (ISDOC without the fields its
    /// schema requires; both for a document that is not booked, such as a contract).
    pub left_out_of: Vec<ExportFormat>,
    /// VAT rates the document states that are not Czech rates on its date (POHODA books
    /// those parts without Czech VAT).
    pub foreign_vat_rates: Vec<u32>,
    /// Values longer than `pohoda.xml` takes: left out there (the CSV has them whole), so
    /// the accountant types them in.
    pub too_long_for_pohoda: Vec<AccountingField>,
}

impl DocumentReport {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.left_out_of.is_empty()
            && self.foreign_vat_rates.is_empty()
            && self.too_long_for_pohoda.is_empty()
    }
}

/// The export's report: the documents with something to fill in or left out of a format.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    pub documents: Vec<DocumentReport>,
}

/// Whether the supplier is Czech as far as the document says: a `CZ` VAT id, or none at all.
fn czech_supplier(fields: &DocumentFields) -> bool {
    fields
        .company_ids
        .vat_id
        .as_deref()
        .is_none_or(|dic| dic.trim().to_ascii_uppercase().starts_with("CZ"))
}

/// What an accountant needs of a booked document and this one does not state.
pub(crate) fn missing(fields: &DocumentFields, role: Role) -> Vec<AccountingField> {
    let mut out = Vec::new();
    let ids = &fields.company_ids;
    let charges_vat = fields.vat.iter().any(|v| v.tax_minor != 0);
    let checks = [
        (fields.issue_date.is_none(), AccountingField::IssueDate),
        (fields.merchant.is_none(), AccountingField::Supplier),
        // A Czech supplier has an IČO; a foreign one has none to give.
        (
            ids.ico.is_none() && czech_supplier(fields),
            AccountingField::Ico,
        ),
        // A tax document names the VAT payer who charged the VAT.
        (ids.vat_id.is_none() && charges_vat, AccountingField::VatId),
        (
            fields.document_number.is_none(),
            AccountingField::DocumentNumber,
        ),
        // An invoice is paid by transfer unless it says otherwise; the payment is matched
        // by its variable symbol.
        (
            role != Role::Receipt
                && fields.variable_symbol.is_none()
                && matches!(fields.payment(), None | Some(PaymentMethod::BankTransfer)),
            AccountingField::VariableSymbol,
        ),
        (fields.total.is_none(), AccountingField::Total),
        // A VAT payer's document has a VAT recap.
        (
            fields.vat.is_empty() && ids.vat_id.is_some(),
            AccountingField::VatRecap,
        ),
        // Cash goes to the cash book, a card payment to the bank statement.
        (
            role == Role::Receipt && fields.payment().is_none(),
            AccountingField::PaymentMethod,
        ),
    ];
    for (lacking, field) in checks {
        if lacking {
            out.push(field);
        }
    }
    out
}

/// Builds the report of `rows` for the requested `formats`.
pub(crate) fn report(rows: &[ExportRow], formats: &[ExportFormat]) -> ExportReport {
    let pohoda = formats.contains(&ExportFormat::Pohoda);
    let mut documents = Vec::new();
    for row in rows {
        let f = &row.document.fields;
        let role = Role::of(f);
        let left_out_of: Vec<ExportFormat> = formats
            .iter()
            .copied()
            .filter(|format| match (role, format) {
                (None, _) => true,
                (Some(_), ExportFormat::Pohoda) => false,
                (Some(_), ExportFormat::Isdoc) => !isdoc::writes(row),
            })
            .collect();
        let missing = role.map(|r| missing(f, r)).unwrap_or_default();
        let mut foreign_vat_rates: Vec<u32> = match role {
            Some(_) if pohoda => f
                .vat
                .iter()
                .map(|v| v.rate_basis_points)
                .filter(|&r| CzechRate::on(r, row.date).is_none())
                .collect(),
            _ => Vec::new(),
        };
        foreign_vat_rates.sort_unstable_by(|a, b| b.cmp(a));
        foreign_vat_rates.dedup();
        let entry = DocumentReport {
            id: row.document.id,
            file: row.file.clone(),
            kind: f.kind,
            missing,
            left_out_of,
            foreign_vat_rates,
            too_long_for_pohoda: match role {
                Some(_) if pohoda => pohoda::too_long(f),
                _ => Vec::new(),
            },
        };
        if !entry.is_empty() {
            documents.push(entry);
        }
    }
    ExportReport { documents }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{CompanyIds, VatLine};

    fn receipt() -> DocumentFields {
        let mut f = DocumentFields::new(DocumentKind::Receipt, "Pekárna");
        f.merchant = Some("Pekárna s.r.o.".into());
        f.issue_date = Some(date!(2024 - 03 - 01));
        f.total = Some(Money {
            minor: 12_100,
            currency: "CZK".parse().unwrap(),
        });
        f.vat = vec![VatLine {
            rate_basis_points: 2100,
            base_minor: 10_000,
            tax_minor: 2_100,
        }];
        f.company_ids = CompanyIds {
            ico: Some("25596641".into()),
            vat_id: Some("CZ25596641".into()),
        };
        f.document_number = Some("P-1".into());
        f.payment_method = Some("card".into());
        f
    }

    #[test]
    fn a_complete_receipt_lacks_nothing_and_an_invoice_needs_its_variable_symbol() {
        assert!(missing(&receipt(), Role::Receipt).is_empty());
        let mut invoice = receipt();
        invoice.kind = DocumentKind::Invoice;
        invoice.payment_method = None;
        assert_eq!(
            missing(&invoice, Role::Invoice),
            [AccountingField::VariableSymbol]
        );
        invoice.payment_method = Some("cash".into());
        assert!(missing(&invoice, Role::Invoice).is_empty());
    }

    #[test]
    fn a_vat_payer_without_a_recap_and_vat_without_a_vat_id_are_reported() {
        let mut f = receipt();
        f.vat.clear();
        assert_eq!(missing(&f, Role::Receipt), [AccountingField::VatRecap]);
        let mut f = receipt();
        f.company_ids.vat_id = None;
        assert_eq!(missing(&f, Role::Receipt), [AccountingField::VatId]);
        // A foreign supplier has no IČO to give.
        let mut f = receipt();
        f.company_ids = CompanyIds {
            ico: None,
            vat_id: Some("DE123456789".into()),
        };
        assert!(missing(&f, Role::Receipt).is_empty());
        f.company_ids.vat_id = None;
        f.vat.clear();
        assert_eq!(missing(&f, Role::Receipt), [AccountingField::Ico]);
    }

    #[test]
    fn the_recap_merges_lines_per_rate_and_keeps_what_lies_outside() {
        let mut f = receipt();
        f.vat.push(VatLine {
            rate_basis_points: 1200,
            base_minor: 1_000,
            tax_minor: 120,
        });
        f.vat.push(VatLine {
            rate_basis_points: 2100,
            base_minor: 100,
            tax_minor: 21,
        });
        f.total = Some(Money {
            minor: 13_400,
            currency: "CZK".parse().unwrap(),
        });
        let recap = Recap::of(&f).unwrap();
        let rates: Vec<(u32, i64, i64)> = recap
            .lines
            .iter()
            .map(|l| (l.rate_basis_points, l.base.minor, l.tax.minor))
            .collect();
        assert_eq!(rates, [(2100, 10_100, 2_121), (1200, 1_000, 120)]);
        assert_eq!(recap.outside.minor, 13_400 - 12_221 - 1_120);
    }

    #[test]
    fn czech_rates_follow_the_law_of_the_documents_date() {
        assert_eq!(
            CzechRate::on(1200, date!(2024 - 01 - 01)),
            Some(CzechRate::Low)
        );
        assert_eq!(CzechRate::on(1200, date!(2023 - 12 - 31)), None);
        assert_eq!(
            CzechRate::on(1500, date!(2023 - 12 - 31)),
            Some(CzechRate::Low)
        );
        assert_eq!(
            CzechRate::on(1000, date!(2020 - 06 - 01)),
            Some(CzechRate::Third)
        );
        assert_eq!(CzechRate::on(1000, date!(2024 - 06 - 01)), None);
        assert_eq!(CzechRate::on(1900, date!(2024 - 06 - 01)), None);
        assert_eq!(
            CzechRate::on(0, date!(2024 - 06 - 01)),
            Some(CzechRate::Zero)
        );
    }
}
