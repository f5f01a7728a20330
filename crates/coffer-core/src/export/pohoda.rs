//! `pohoda.xml`: the documents of the period as one POHODA XML import (Stormware's
//! `dataPack`, schemas version_2). Invoices become received invoices (`přijatá faktura`, a
//! negative one a `přijatý dobropis`); receipts become "other liabilities" (`ostatní
//! závazek`), or expense cash vouchers in the cash book the person names (`pokladna`) when
//! paid in cash. Why, and what each element carries: docs/accounting-formats.md.

use std::io::{self, Write};

use super::accounting::{AccountingField, CzechRate, Recap, Role};
use super::xml::{Xml, at_most, ymd};
use super::{ExportRequest, ExportRow};
use crate::document::{DocumentFields, Money, PaymentMethod};

pub const POHODA_NAME: &str = "pohoda.xml";

const DAT: &str = "http://www.stormware.cz/schema/version_2/data.xsd";
const INV: &str = "http://www.stormware.cz/schema/version_2/invoice.xsd";
const VCH: &str = "http://www.stormware.cz/schema/version_2/voucher.xsd";
const TYP: &str = "http://www.stormware.cz/schema/version_2/type.xsd";

/// The POHODA agenda a document goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Agenda {
    /// `inv:invoice` of this `invoiceType`.
    Invoice(&'static str),
    /// `vch:voucher`, an expense in the cash register named.
    CashVoucher,
}

impl Agenda {
    fn of(role: Role, fields: &DocumentFields, cash_register: Option<&str>) -> Self {
        match role {
            Role::Invoice => Self::Invoice("receivedInvoice"),
            Role::CreditNote => Self::Invoice("receivedCreditNotice"),
            Role::Receipt
                if cash_register.is_some() && fields.payment() == Some(PaymentMethod::Cash) =>
            {
                Self::CashVoucher
            }
            Role::Receipt => Self::Invoice("commitment"),
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Invoice(_) => "inv",
            Self::CashVoucher => "vch",
        }
    }

    /// An element of the agenda's namespace: `inv:date`, `vch:date`.
    fn el(self, local: &str) -> String {
        format!("{}:{local}", self.prefix())
    }

    /// A block named after the agenda: `inv:invoiceHeader`, `vch:voucherHeader`.
    fn block(self, part: &str) -> String {
        let word = match self {
            Self::Invoice(_) => "invoice",
            Self::CashVoucher => "voucher",
        };
        format!("{}:{word}{part}", self.prefix())
    }
}

/// Whether `pohoda.xml` has a place for the row (its schema needs one `dataPackItem` at least).
pub(super) fn books(row: &ExportRow) -> bool {
    Role::of(&row.document.fields).is_some()
}

/// Writes the `dataPack` of the booked documents among `rows` (at least one) to `out`.
pub(super) fn write(
    rows: &[ExportRow],
    request: &ExportRequest,
    out: impl Write,
) -> io::Result<()> {
    let mut xml = Xml::new(out)?;
    let id = format!("coffer-{}-{}", ymd(request.from), ymd(request.to));
    let note = format!(
        "Coffer: doklady {} až {}",
        ymd(request.from),
        ymd(request.to)
    );
    let attrs = [
        ("xmlns:dat", DAT),
        ("xmlns:inv", INV),
        ("xmlns:vch", VCH),
        ("xmlns:typ", TYP),
        ("version", "2.0"),
        ("id", id.as_str()),
        ("application", "Coffer"),
        ("note", note.as_str()),
    ];
    xml.element("dat:dataPack", &attrs, |xml| {
        for row in rows {
            let Some(role) = Role::of(&row.document.fields) else {
                continue;
            };
            let id = row.document.id.to_string();
            xml.element(
                "dat:dataPackItem",
                &[("version", "2.0"), ("id", &id)],
                |xml| item(xml, row, role, request.cash_register.as_deref()),
            )?;
        }
        Ok(())
    })?;
    xml.into_inner().flush()
}

fn item<W: Write>(
    xml: &mut Xml<W>,
    row: &ExportRow,
    role: Role,
    cash_register: Option<&str>,
) -> io::Result<()> {
    let f = &row.document.fields;
    let agenda = Agenda::of(role, f, cash_register);
    xml.element(&agenda.block(""), &[("version", "2.0")], |xml| {
        xml.element(&agenda.block("Header"), &[], |xml| {
            header(xml, row, agenda, cash_register)
        })?;
        if let Some(recap) = Recap::of(f) {
            amounts(xml, agenda, &recap, row.date, &f.title)?;
        }
        Ok(())
    })
}

fn header<W: Write>(
    xml: &mut Xml<W>,
    row: &ExportRow,
    agenda: Agenda,
    cash_register: Option<&str>,
) -> io::Result<()> {
    let f = &row.document.fields;
    let name = |local: &str| agenda.el(local);
    match agenda {
        Agenda::Invoice(kind) => xml.text("inv:invoiceType", kind)?,
        Agenda::CashVoucher => {
            xml.text("vch:voucherType", "expense")?;
            xml.element("vch:cashAccount", &[], |xml| {
                xml.optional("typ:ids", cash_register)
            })?;
        }
    }
    if let Agenda::Invoice(_) = agenda {
        xml.optional("inv:symVar", fits(f, AccountingField::VariableSymbol))?;
    }
    // The supplier's own number of the document (`původní číslo dokladu`).
    xml.optional(
        &name("originalDocument"),
        fits(f, AccountingField::DocumentNumber),
    )?;
    if let Some(date) = f.issue_date {
        // A document that states one date was supplied and taxed on it (§ 29 ZDPH names a
        // separate date only when it differs); POHODA itself takes `date` for the others.
        xml.date(&name("date"), date)?;
        xml.date(&name("dateTax"), date)?;
        if let Agenda::Invoice(_) = agenda {
            xml.date("inv:dateAccounting", date)?;
        }
    }
    xml.text(&name("text"), &at_most(&f.title, 240))?;
    let ids = &f.company_ids;
    if f.merchant.is_some() || ids.ico.is_some() || ids.vat_id.is_some() {
        xml.element(&name("partnerIdentity"), &[], |xml| {
            xml.element("typ:address", &[], |xml| {
                let company = f.merchant.as_deref().map(|m| at_most(m, 255));
                xml.optional("typ:company", company.as_deref())?;
                xml.optional("typ:ico", fits(f, AccountingField::Ico))?;
                xml.optional("typ:dic", fits(f, AccountingField::VatId))
            })
        })?;
    }
    if let Agenda::Invoice(_) = agenda
        && let Some(payment) = f.payment()
    {
        let kind = match payment {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "creditcard",
            PaymentMethod::BankTransfer => "draft",
        };
        xml.element("inv:paymentType", &[], |xml| {
            xml.text("typ:paymentType", kind)
        })?;
    }
    // POHODA's version_2 schemas link documents to POHODA's own records only; the original
    // file is named where the accountant sees it next to the document.
    xml.text(&name("intNote"), &format!("Originál: {}", row.file))
}

/// The schemas' `maxLength` of the document's own values that POHODA takes as they are (a
/// name or a title is cut instead: its start still says what it is).
/// In the order of `AccountingField`, as the report lists them.
const MAX_LEN: [(AccountingField, usize); 4] = [
    (AccountingField::Ico, 15),
    (AccountingField::VatId, 18),
    (AccountingField::DocumentNumber, 32),
    (AccountingField::VariableSymbol, 20),
];

fn value(f: &DocumentFields, field: AccountingField) -> Option<&str> {
    match field {
        AccountingField::VariableSymbol => f.variable_symbol.as_deref(),
        AccountingField::DocumentNumber => f.document_number.as_deref(),
        AccountingField::Ico => f.company_ids.ico.as_deref(),
        AccountingField::VatId => f.company_ids.vat_id.as_deref(),
        _ => None,
    }
}

fn too_long_at(f: &DocumentFields, field: AccountingField, max: usize) -> bool {
    value(f, field).is_some_and(|v| v.chars().count() > max)
}

/// A value that fits the schema's `maxLength`; a longer one is left for the accountant (and
/// the export's report says so: [`too_long`]).
fn fits(f: &DocumentFields, field: AccountingField) -> Option<&str> {
    let (_, max) = MAX_LEN.iter().find(|(f, _)| *f == field)?;
    value(f, field).filter(|_| !too_long_at(f, field, *max))
}

/// The document's values that are longer than `pohoda.xml` takes.
pub(super) fn too_long(f: &DocumentFields) -> Vec<AccountingField> {
    MAX_LEN
        .iter()
        .filter(|(field, max)| too_long_at(f, *field, *max))
        .map(|(field, _)| *field)
        .collect()
}

/// The recap's lines by where POHODA books them: a Czech rate, or none (a foreign rate's
/// gross amount and whatever lies outside the recap).
fn by_czech_rate(recap: &Recap, date: time::Date) -> (Vec<(CzechRate, Money, Money)>, Money) {
    let mut lines = Vec::new();
    let mut outside = recap.outside;
    for line in &recap.lines {
        match CzechRate::on(line.rate_basis_points, date) {
            Some(CzechRate::Zero) | None => outside.minor += line.gross().minor,
            Some(rate) => lines.push((rate, line.base, line.tax)),
        }
    }
    (lines, outside)
}

/// The item's `rateVAT` and the summary's element stem of a rate.
fn rate_names(rate: CzechRate) -> (&'static str, &'static str) {
    match rate {
        CzechRate::Zero => ("none", "typ:priceNone"),
        CzechRate::Low => ("low", "typ:priceLow"),
        CzechRate::High => ("high", "typ:priceHigh"),
        CzechRate::Third => ("third", "typ:price3"),
    }
}

/// The amounts: in CZK the summary's recap per rate (how accountants enter a received
/// document); in another currency one text item per rate in that currency (POHODA's summary
/// holds only the foreign total) and the foreign total. The exchange rate is POHODA's own on
/// the document's date.
fn amounts<W: Write>(
    xml: &mut Xml<W>,
    agenda: Agenda,
    recap: &Recap,
    date: time::Date,
    title: &str,
) -> io::Result<()> {
    let (lines, outside) = by_czech_rate(recap, date);
    let home = recap.total.currency.as_str() == "CZK";
    let summary = agenda.block("Summary");
    if home {
        return xml.element(&summary, &[], |xml| {
            xml.element(&agenda.el("homeCurrency"), &[], |xml| {
                if outside.minor != 0 || lines.is_empty() {
                    xml.amount("typ:priceNone", outside)?;
                }
                for (rate, base, tax) in &lines {
                    let (_, stem) = rate_names(*rate);
                    let gross = Money {
                        minor: base.minor + tax.minor,
                        currency: base.currency,
                    };
                    xml.amount(stem, *base)?;
                    xml.amount(&format!("{stem}VAT"), *tax)?;
                    xml.amount(&format!("{stem}Sum"), gross)?;
                }
                Ok(())
            })
        });
    }
    let text = at_most(title, 90);
    xml.element(&agenda.block("Detail"), &[], |xml| {
        let mut items = lines.clone();
        if outside.minor != 0 || items.is_empty() {
            let zero = Money {
                minor: 0,
                currency: outside.currency,
            };
            items.push((CzechRate::Zero, outside, zero));
        }
        for (rate, base, tax) in items {
            xml.element(&agenda.block("Item"), &[], |xml| {
                xml.text(&agenda.el("text"), &text)?;
                xml.text(&agenda.el("quantity"), "1")?;
                xml.text(&agenda.el("payVAT"), "false")?;
                xml.text(&agenda.el("rateVAT"), rate_names(rate).0)?;
                xml.element(&agenda.el("foreignCurrency"), &[], |xml| {
                    xml.amount("typ:unitPrice", base)?;
                    xml.amount("typ:price", base)?;
                    xml.amount("typ:priceVAT", tax)
                })
            })?;
        }
        Ok(())
    })?;
    xml.element(&summary, &[], |xml| {
        xml.element(&agenda.el("foreignCurrency"), &[], |xml| {
            xml.element("typ:currency", &[], |xml| {
                xml.text("typ:ids", recap.total.currency.as_str())
            })?;
            xml.amount("typ:priceSum", recap.total)
        })
    })
}
