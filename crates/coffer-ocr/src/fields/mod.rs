//! The field extractor: turns recognised text into receipt, invoice, contract and warranty
//! fields, each with a confidence. Rules are general (keywords and number formats of the
//! markets Coffer serves); nothing here knows any particular document.

mod amounts;
mod currency;
mod date;
mod ids;
mod kind;
mod merchant;
mod payment;
mod reference;
mod total;
mod vat;

use coffer_core::{CompanyIds, Currency, DocumentKind, Money, VatLine};
use serde::Serialize;
use time::Date;

use crate::money::{Amount, Notation};
use crate::text::DocumentText;

pub use payment::PaymentMethod;
pub use vat::VatRow;

/// Per-field confidence between 0 and 1; 0 when the field was not found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Confidence {
    pub kind: f32,
    pub merchant: f32,
    pub date: f32,
    pub total: f32,
    pub currency: f32,
    pub vat: f32,
    pub ids: f32,
    pub document_number: f32,
    pub variable_symbol: f32,
    pub payment: f32,
    pub expiry: f32,
}

/// Everything the extractor found in one document. Nothing is confirmed by a person yet.
/// Amounts stay decimals as printed (`total`, `vat`) until the currency is known; then
/// `total_money` and `vat_lines` give them in the currency's minor units.
#[derive(Clone, Debug, PartialEq)]
pub struct Fields {
    pub kind: DocumentKind,
    pub merchant: Option<String>,
    pub date: Option<Date>,
    pub total: Option<Amount>,
    pub currency: Option<Currency>,
    pub vat: Vec<VatRow>,
    /// The issuer's IČO and VAT id.
    pub ids: CompanyIds,
    /// Every VAT id printed, the customer's included.
    pub vat_ids: Vec<String>,
    /// The invoice or receipt number.
    pub document_number: Option<String>,
    /// The Czech variable symbol (payment reference), when printed or in the QR code.
    pub variable_symbol: Option<String>,
    pub payment: Option<PaymentMethod>,
    pub expiry: Option<Date>,
    pub confidence: Confidence,
    /// Which rule chose the total, the date and the merchant.
    pub rules: Rules,
}

/// The rule behind each of the fields that `make eval-receipts` scores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Rules {
    pub date: &'static str,
    pub total: &'static str,
    pub merchant: &'static str,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            kind: DocumentKind::Other,
            merchant: None,
            date: None,
            total: None,
            currency: None,
            vat: Vec::new(),
            ids: CompanyIds::default(),
            vat_ids: Vec::new(),
            document_number: None,
            variable_symbol: None,
            payment: None,
            expiry: None,
            confidence: Confidence::default(),
            rules: Rules::default(),
        }
    }
}

/// How long a warranty lasts when the document names no other term (EU legal guarantee).
pub const DEFAULT_WARRANTY_MONTHS: u32 = 24;

/// Runs every field rule over the text.
pub fn extract_fields(text: &DocumentText) -> Fields {
    let lines = text.joined_lines();
    // The lines laid out by their words' columns: where the merchant rules see the columns of
    // an OCR'd page, and the date rules a date wrapped in a table cell.
    let laid_out = text.layout_lines();
    let mut fields = Fields::default();

    let (kind, kind_conf) = kind::classify(&lines);
    fields.kind = kind;
    fields.confidence.kind = kind_conf;

    if let Some((merchant, conf, rule)) = merchant::find(text, &laid_out) {
        fields.merchant = Some(merchant);
        fields.confidence.merchant = conf;
        fields.rules.merchant = rule;
    }
    // A text layer's lines keep their columns already.
    let read_by_ocr = text.lines.iter().any(|l| !l.words.is_empty());
    let wrapped_on = read_by_ocr.then_some(&laid_out[..]);
    if let Some((date, conf, rule)) = date::issue_date(&lines, wrapped_on) {
        fields.date = Some(date);
        fields.confidence.date = conf;
        fields.rules.date = rule;
    }

    let printed = ids::find(&lines);
    fields.ids = printed.supplier;
    fields.vat_ids = printed.vat_ids;
    if !fields.ids.is_empty() {
        fields.confidence.ids = if fields.ids.ico.is_some() { 0.9 } else { 0.7 };
    }

    // The notation (digits after the decimal mark) follows the currency printed anywhere;
    // the total's own line then has the last word on the currency.
    let vat_id = fields.ids.vat_id.clone();
    let anywhere = currency::find(&lines, None, vat_id.as_deref());
    let notation = Notation::of(anywhere);
    // The total is checked against recap tables only; rates stated on their own lines with a
    // base nearby join the reported VAT lines afterwards.
    let recap = vat::find(&lines, notation);
    if let Some(total) = total::find(&lines, &recap, notation) {
        fields.total = Some(total.amount);
        fields.confidence.total = total.confidence;
        fields.rules.total = total.rule;
        fields.currency = total
            .line
            .and_then(|line| currency::find(&lines, Some(line), vat_id.as_deref()))
            .or(anywhere);
    } else {
        fields.currency = anywhere;
    }
    if fields.currency.is_some() {
        fields.confidence.currency = 0.8;
    }
    fields.vat = vat::with_separate_lines(&lines, recap, notation);
    if !fields.vat.is_empty() {
        let consistent = fields.vat.iter().filter(|v| v.is_consistent()).count();
        fields.confidence.vat = 0.5 + 0.5 * consistent as f32 / fields.vat.len() as f32;
    }

    if let Some((number, conf)) = reference::document_number(&lines) {
        fields.document_number = Some(number);
        fields.confidence.document_number = conf;
    }
    if let Some((symbol, conf)) = reference::variable_symbol(&lines) {
        fields.variable_symbol = Some(symbol);
        fields.confidence.variable_symbol = conf;
    }
    if let Some((method, conf)) = payment::find(&lines) {
        fields.payment = Some(method);
        fields.confidence.payment = conf;
    }
    if let Some((expiry, conf)) = date::expiry(&lines, fields.kind, fields.date) {
        fields.expiry = Some(expiry);
        fields.confidence.expiry = conf;
    }
    fields
}

impl Fields {
    /// The total in the currency's minor units, once both are known.
    pub fn total_money(&self) -> Option<Money> {
        self.total?.to_money(self.currency?)
    }

    /// The VAT recap in the currency's minor units, once the currency is known; `None`
    /// without a currency or when an amount does not fit its digits.
    pub fn vat_lines(&self) -> Option<Vec<VatLine>> {
        let currency = self.currency?;
        self.vat.iter().map(|v| v.to_vat_line(currency)).collect()
    }
}
