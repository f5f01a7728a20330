//! The field extractor: turns recognised text into receipt, invoice, contract and warranty
//! fields, each with a confidence. Rules are general (keywords and number formats of the
//! markets Coffer serves); nothing here knows any particular document.

mod amounts;
mod date;
mod ids;
mod kind;
mod merchant;
mod payment;
mod total;
mod vat;

use serde::Serialize;
use time::Date;

use crate::money::{Currency, Money, currency_from_text};
use crate::text::DocumentText;

pub use ids::{CompanyIds, is_valid_ico};
pub use kind::DocumentKind;
pub use payment::PaymentMethod;
pub use vat::VatLine;

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
    pub payment: f32,
    pub expiry: f32,
}

/// Everything the extractor found in one document. Nothing is confirmed by a person yet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    pub kind: DocumentKind,
    pub merchant: Option<String>,
    pub date: Option<Date>,
    pub total: Option<Money>,
    pub vat: Vec<VatLine>,
    pub ids: CompanyIds,
    pub payment: Option<PaymentMethod>,
    pub expiry: Option<Date>,
    pub confidence: Confidence,
}

/// How long a warranty lasts when the document names no other term (EU legal guarantee).
pub const DEFAULT_WARRANTY_MONTHS: u32 = 24;

/// Runs every field rule over the text.
pub fn extract_fields(text: &DocumentText) -> Fields {
    let lines = text.joined_lines();
    let mut fields = Fields::default();

    let (kind, kind_conf) = kind::classify(&lines);
    fields.kind = kind;
    fields.confidence.kind = kind_conf;

    if let Some((merchant, conf)) = merchant::find(text) {
        fields.merchant = Some(merchant);
        fields.confidence.merchant = conf;
    }
    if let Some((date, conf)) = date::issue_date(&lines) {
        fields.date = Some(date);
        fields.confidence.date = conf;
    }

    // The total is checked against recap tables only; rates stated on their own lines with a
    // base nearby join the reported VAT lines afterwards.
    let recap = vat::find(&lines);

    let full_text = text.to_plain();
    let currency = currency_from_text(&full_text);
    if let Some((amount, conf)) = total::find(&lines, &recap) {
        fields.total = Some(Money { amount, currency });
        fields.confidence.total = conf;
        fields.confidence.currency = if currency.is_some() { 0.8 } else { 0.0 };
    }
    fields.vat = vat::with_separate_lines(&lines, recap);
    if !fields.vat.is_empty() {
        let consistent = fields.vat.iter().filter(|v| v.is_consistent()).count();
        fields.confidence.vat = 0.5 + 0.5 * consistent as f32 / fields.vat.len() as f32;
    }

    fields.ids = ids::find(&lines);
    if !fields.ids.is_empty() {
        fields.confidence.ids = if fields.ids.ico.is_some() { 0.9 } else { 0.7 };
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
    pub fn currency(&self) -> Option<Currency> {
        self.total.and_then(|t| t.currency)
    }
}
