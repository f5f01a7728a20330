//! What a document is in the product's words: its kind, its fields (money as integer minor
//! units plus an ISO 4217 code, dates as calendar dates), and per-field provenance, since an
//! OCR guess stays "unconfirmed" until a person confirms or corrects it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{Error, Result};

time::serde::format_description!(ymd, Date, "[year]-[month]-[day]");

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date> {
    Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Error::InvalidInput(format!("`{text}` is not a date; write it as YYYY-MM-DD")))
}

/// Client-generated, so ids stay stable across devices and retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(transparent)]
#[ts(type = "string")]
pub struct DocumentId(Uuid);

impl DocumentId {
    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for DocumentId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Uuid::parse_str(s)
            .map(Self)
            .map_err(|_| Error::DocumentNotFound(s.to_string()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Receipt,
    Invoice,
    Contract,
    Warranty,
    Other,
}

impl DocumentKind {
    pub const ALL: [Self; 5] = [
        Self::Receipt,
        Self::Invoice,
        Self::Contract,
        Self::Warranty,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Invoice => "invoice",
            Self::Contract => "contract",
            Self::Warranty => "warranty",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocumentKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "`{s}` is not a document kind; use receipt, invoice, contract, warranty or other"
                ))
            })
    }
}

/// An ISO 4217 alphabetic code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(type = "string")]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("validated ASCII")
    }

    /// Whether this is an active ISO 4217 code (or a precious metal, `XAU` and the like). A
    /// person's edit must name one; stored values are read whatever they are.
    pub fn is_iso4217(&self) -> bool {
        ISO_4217.binary_search(&self.as_str()).is_ok()
    }

    /// Digits after the decimal point (ISO 4217 minor unit); 2 unless listed.
    pub fn minor_digits(&self) -> u32 {
        match self.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }
}

/// The active ISO 4217 alphabetic codes, sorted (list of 2026).
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE",
    "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR",
    "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON",
    "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD",
    "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
    "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV",
    "WST", "XAF", "XAG", "XAU", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XUA",
    "YER", "ZAR", "ZMW", "ZWG",
];

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let upper = s.trim().to_ascii_uppercase();
        let bytes: [u8; 3] = upper
            .as_bytes()
            .try_into()
            .ok()
            .filter(|b: &[u8; 3]| b.iter().all(u8::is_ascii_uppercase))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "`{s}` is not a currency code; use three letters such as CZK or EUR"
                ))
            })?;
        Ok(Self(bytes))
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// `whole` without the spaces (also no-break and narrow no-break) that group its thousands:
/// `1 120` is `1120`; `None` when spaces are there but do not group by three (`11 20`).
fn ungrouped(whole: &str) -> Option<String> {
    let groups: Vec<&str> = whole.split([' ', '\u{a0}', '\u{202f}']).collect();
    let grouped = groups.len() == 1
        || (matches!(groups[0].len(), 1..=3) && groups[1..].iter().all(|g| g.len() == 3));
    grouped.then(|| groups.concat())
}

/// An amount in minor units (haléře, cents) of a currency. Never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// Reads a decimal amount written with `.` or `,` as the decimal mark (`1234.5`, `-3,20`),
    /// its thousands grouped by spaces or not (`1 120,00`, as Czech is written).
    pub fn parse(amount: &str, currency: Currency) -> Result<Self> {
        let invalid = || {
            Error::InvalidInput(format!(
                "`{amount}` is not an amount in {currency}; write it like 1234.50"
            ))
        };
        let text = amount.trim().replace(',', ".");
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let whole = ungrouped(whole).ok_or_else(invalid)?;
        let scale = currency.minor_digits() as usize;
        if whole.is_empty()
            || fraction.len() > scale
            || !whole
                .bytes()
                .chain(fraction.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return Err(invalid());
        }
        let padded = format!("{whole}{fraction:0<scale$}");
        let minor: i64 = padded.parse().map_err(|_| invalid())?;
        Ok(Self {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// An exact decimal `mantissa × 10^-scale` (`12345, 3` is 12.345) in the currency's minor
    /// units: `None` when the currency has fewer digits than the decimal needs (12.345 JPY) or
    /// the amount does not fit.
    pub fn from_decimal(mantissa: i64, scale: u32, currency: Currency) -> Option<Self> {
        let digits = currency.minor_digits();
        let minor = if digits >= scale {
            mantissa.checked_mul(10i64.checked_pow(digits - scale)?)?
        } else {
            let unit = 10i64.checked_pow(scale - digits)?;
            if mantissa % unit != 0 {
                return None;
            }
            mantissa / unit
        };
        Some(Self { minor, currency })
    }

    /// The amount as a plain decimal string with the currency's digits (`31.80`).
    pub fn decimal(&self) -> String {
        let scale = self.currency.minor_digits();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if scale == 0 {
            return format!("{sign}{abs}");
        }
        let unit = 10u64.pow(scale);
        format!(
            "{sign}{}.{:0width$}",
            abs / unit,
            abs % unit,
            width = scale as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.decimal(), self.currency)
    }
}

/// One VAT rate's recap line: rate in basis points (21 % = 2100), base and tax in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct VatLine {
    pub rate_basis_points: u32,
    pub base_minor: i64,
    pub tax_minor: i64,
}

/// Company identifiers: Czech IČO and DIČ, or another country's VAT id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CompanyIds {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ico: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub vat_id: Option<String>,
}

impl CompanyIds {
    pub fn is_empty(&self) -> bool {
        self.ico.is_none() && self.vat_id.is_none()
    }

    /// Checks a Czech or Slovak IČO: eight digits, weights 8..2 over the first seven, check
    /// digit `(11 - sum % 11) % 10`.
    pub fn is_valid_ico(ico: &str) -> bool {
        let digits: Vec<u32> = ico.chars().filter_map(|c| c.to_digit(10)).collect();
        if digits.len() != 8 || !ico.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
        let sum: u32 = digits[..7]
            .iter()
            .zip((2..=8).rev())
            .map(|(d, w)| d * w)
            .sum();
        digits[7] == (11 - sum % 11) % 10
    }
}

/// How a document was (or is to be) paid. The field is stored as text a person may have typed;
/// Coffer itself writes [`PaymentMethod::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    BankTransfer,
}

impl PaymentMethod {
    /// The words stored in [`DocumentFields::payment_method`].
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cash => "cash",
            Self::Card => "card",
            Self::BankTransfer => "bank transfer",
        }
    }

    /// Reads the stored text: Coffer's own words, or the Czech and English ones a person types
    /// (`hotově`, `kartou`, `převodem`, `wire`); `None` when it names none of them.
    pub fn from_text(text: &str) -> Option<Self> {
        let folded = text.trim().to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| folded.contains(w));
        if has(&["card", "kart", "karet"]) {
            Some(Self::Card)
        } else if has(&["cash", "hotov"]) {
            Some(Self::Cash)
        } else if has(&[
            "transfer", "převod", "prevod", "příkaz", "prikaz", "wire", "bank",
        ]) {
            Some(Self::BankTransfer)
        } else {
            None
        }
    }
}

/// Checks a Czech variable symbol: one to ten digits.
pub fn is_valid_variable_symbol(text: &str) -> bool {
    (1..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// The fields a person can confirm or correct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Kind,
    Title,
    Merchant,
    IssueDate,
    Total,
    Vat,
    CompanyIds,
    DocumentNumber,
    VariableSymbol,
    PaymentMethod,
    Category,
    Tags,
    Notes,
    Expiry,
}

impl Field {
    pub const ALL: [Self; 14] = [
        Self::Kind,
        Self::Title,
        Self::Merchant,
        Self::IssueDate,
        Self::Total,
        Self::Vat,
        Self::CompanyIds,
        Self::DocumentNumber,
        Self::VariableSymbol,
        Self::PaymentMethod,
        Self::Category,
        Self::Tags,
        Self::Notes,
        Self::Expiry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::Title => "title",
            Self::Merchant => "merchant",
            Self::IssueDate => "issue_date",
            Self::Total => "total",
            Self::Vat => "vat",
            Self::CompanyIds => "company_ids",
            Self::DocumentNumber => "document_number",
            Self::VariableSymbol => "variable_symbol",
            Self::PaymentMethod => "payment_method",
            Self::Category => "category",
            Self::Tags => "tags",
            Self::Notes => "notes",
            Self::Expiry => "expiry",
        }
    }
}

impl FromStr for Field {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted || (wanted == "date" && *f == Self::IssueDate))
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|f| f.as_str()).collect();
                Error::InvalidInput(format!(
                    "`{s}` is not a field; use one of {}",
                    names.join(", ")
                ))
            })
    }
}

/// Where a field's value came from: how sure the extractor was, and whether a person confirmed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct FieldState {
    pub confidence: f32,
    pub confirmed: bool,
}

impl FieldState {
    pub const CONFIRMED: Self = Self {
        confidence: 1.0,
        confirmed: true,
    };
}

/// The stored file's description.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FileInfo {
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// The editable fields of a document; every one of them lives only inside the encrypted store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentFields {
    pub kind: DocumentKind,
    pub title: String,
    pub merchant: Option<String>,
    #[serde(with = "ymd::option")]
    pub issue_date: Option<Date>,
    pub total: Option<Money>,
    pub vat: Vec<VatLine>,
    pub company_ids: CompanyIds,
    pub document_number: Option<String>,
    /// The Czech variable symbol (variabilní symbol): up to ten digits that identify a payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable_symbol: Option<String>,
    pub payment_method: Option<String>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    #[serde(with = "ymd::option")]
    pub expiry: Option<Date>,
}

impl DocumentFields {
    /// The payment method the stored text names, if any.
    pub fn payment(&self) -> Option<PaymentMethod> {
        self.payment_method
            .as_deref()
            .and_then(PaymentMethod::from_text)
    }

    pub fn new(kind: DocumentKind, title: impl Into<String>) -> Self {
        Self {
            kind,
            title: title.into(),
            merchant: None,
            issue_date: None,
            total: None,
            vat: Vec::new(),
            company_ids: CompanyIds::default(),
            document_number: None,
            variable_symbol: None,
            payment_method: None,
            category: None,
            tags: Vec::new(),
            notes: None,
            expiry: None,
        }
    }
}

/// `text` without control characters (and without bidirectional overrides, which reorder
/// what is shown): each becomes a space, except line breaks and tabs when `keep_lines`.
pub fn without_controls(text: &str, keep_lines: bool) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' if keep_lines => c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

impl DocumentFields {
    /// The fields as they are stored: no control characters in any one-line text (a title
    /// with a newline would forge a row wherever it is listed; one from another device too).
    pub fn without_controls(&self) -> Self {
        let line = |t: &String| without_controls(t, false);
        let optional = |t: &Option<String>| t.as_ref().map(line);
        Self {
            title: line(&self.title),
            merchant: optional(&self.merchant),
            document_number: optional(&self.document_number),
            variable_symbol: optional(&self.variable_symbol),
            payment_method: optional(&self.payment_method),
            category: optional(&self.category),
            notes: self.notes.as_ref().map(|n| without_controls(n, true)),
            tags: self.tags.iter().map(line).collect(),
            company_ids: CompanyIds {
                ico: optional(&self.company_ids.ico),
                vat_id: optional(&self.company_ids.vat_id),
            },
            ..self.clone()
        }
    }
}

/// A document as stored: fields, provenance, OCR text and the file's description.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub id: DocumentId,
    pub fields: DocumentFields,
    /// Per-field confidence and confirmation; fields a person typed are confirmed.
    pub field_states: BTreeMap<Field, FieldState>,
    pub ocr_text: Option<String>,
    pub file: FileInfo,
    pub imported_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub trashed_at: Option<OffsetDateTime>,
}

/// The JSON shape of a document: the listing's keys (`id`, `kind`, `title`, `date`, `total`
/// as a decimal string, `currency`) plus everything else. The app's TypeScript calls it
/// `DocumentDetail`.
#[derive(Serialize, TS)]
#[ts(rename = "DocumentDetail")]
pub struct DocumentJson<'a> {
    id: DocumentId,
    kind: DocumentKind,
    title: &'a str,
    merchant: &'a Option<String>,
    #[serde(with = "ymd::option")]
    #[ts(type = "string | null")]
    date: Option<Date>,
    total: Option<String>,
    currency: Option<Currency>,
    vat: &'a [VatLine],
    company_ids: &'a CompanyIds,
    document_number: &'a Option<String>,
    variable_symbol: &'a Option<String>,
    payment_method: &'a Option<String>,
    category: &'a Option<String>,
    tags: &'a [String],
    notes: &'a Option<String>,
    #[serde(with = "ymd::option")]
    #[ts(type = "string | null")]
    expiry: Option<Date>,
    field_states: &'a BTreeMap<Field, FieldState>,
    ocr_text: &'a Option<String>,
    file: &'a FileInfo,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    imported_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    trashed_at: Option<OffsetDateTime>,
}

impl Serialize for Document {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let f = &self.fields;
        DocumentJson {
            id: self.id,
            kind: f.kind,
            title: &f.title,
            merchant: &f.merchant,
            date: f.issue_date,
            total: f.total.map(|m| m.decimal()),
            currency: f.total.map(|m| m.currency),
            vat: &f.vat,
            company_ids: &f.company_ids,
            document_number: &f.document_number,
            variable_symbol: &f.variable_symbol,
            payment_method: &f.payment_method,
            category: &f.category,
            tags: &f.tags,
            notes: &f.notes,
            expiry: f.expiry,
            field_states: &self.field_states,
            ocr_text: &self.ocr_text,
            file: &self.file,
            imported_at: self.imported_at,
            updated_at: self.updated_at,
            trashed_at: self.trashed_at,
        }
        .serialize(s)
    }
}

/// One line of a listing or a search result.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct DocumentSummary {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub title: String,
    pub merchant: Option<String>,
    #[serde(rename = "date", with = "ymd::option")]
    #[ts(type = "string | null")]
    pub issue_date: Option<Date>,
    /// A decimal string (`"1234.50"`).
    #[serde(serialize_with = "serialize_amount")]
    #[ts(type = "string | null")]
    pub total: Option<Money>,
    pub currency: Option<Currency>,
    pub tags: Vec<String>,
    #[serde(with = "ymd::option")]
    #[ts(type = "string | null")]
    pub expiry: Option<Date>,
    pub unconfirmed: bool,
    pub trashed: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub imported_at: OffsetDateTime,
    /// Nothing names the document yet: no text was read, no merchant is known and its title
    /// is still the file's name, which (a scanner's `600.jpg`) says nothing. A listing shows
    /// its kind and import date instead.
    pub untitled: bool,
}

fn serialize_amount<S: serde::Serializer>(
    total: &Option<Money>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match total {
        Some(m) => s.serialize_str(&m.decimal()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn czk() -> Currency {
        "czk".parse().unwrap()
    }

    #[test]
    fn amounts_parse_with_either_decimal_mark_into_minor_units() {
        assert_eq!(Money::parse("1234,5", czk()).unwrap().minor, 123_450);
        assert_eq!(Money::parse("31.80", czk()).unwrap().minor, 3180);
        assert_eq!(Money::parse("-3", czk()).unwrap().minor, -300);
        let jpy: Currency = "JPY".parse().unwrap();
        assert_eq!(Money::parse("500", jpy).unwrap().decimal(), "500");
        assert_eq!(Money::parse("1 120,00", czk()).unwrap().minor, 112_000);
        assert_eq!(
            Money::parse("-12\u{a0}345 678.9", czk()).unwrap().minor,
            -1_234_567_890
        );
        for bad in [
            "", "1.234", "12a", "1,2,3", "-", "11 20", "1  200", " 120 0", "1 2345",
        ] {
            assert!(Money::parse(bad, czk()).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals_become_minor_units_of_the_currency() {
        let code = |c: &str| c.parse::<Currency>().unwrap();
        let kwd = Money::from_decimal(12_345, 3, code("KWD")).unwrap();
        assert_eq!((kwd.minor, kwd.decimal()), (12_345, "12.345".to_string()));
        let jpy = Money::from_decimal(1_200_000, 3, code("JPY")).unwrap();
        assert_eq!((jpy.minor, jpy.decimal()), (1_200, "1200".to_string()));
        assert_eq!(Money::from_decimal(3_180, 2, czk()).unwrap().minor, 3_180);
        assert_eq!(Money::from_decimal(5, 0, czk()).unwrap().minor, 500);
        assert_eq!(
            Money::from_decimal(12_345, 3, code("JPY")),
            None,
            "12.345 yen"
        );
        assert_eq!(Money::from_decimal(i64::MAX, 0, czk()), None, "overflow");
    }

    #[test]
    fn decimal_rendering_round_trips() {
        for text in ["0.05", "-0.50", "123456.78"] {
            assert_eq!(Money::parse(text, czk()).unwrap().decimal(), text);
        }
    }

    #[test]
    fn currency_codes_are_three_letters() {
        assert_eq!(czk().as_str(), "CZK");
        for bad in ["CZ", "CZKK", "C1K", "Kč"] {
            assert!(bad.parse::<Currency>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_listed_codes_count_as_iso_4217() {
        assert!(
            ISO_4217.is_sorted(),
            "the list must stay sorted for binary search"
        );
        for code in ["CZK", "EUR", "JPY", "KWD", "INR", "ZWG"] {
            assert!(code.parse::<Currency>().unwrap().is_iso4217(), "{code}");
        }
        for code in ["ABC", "XYZ", "KCS"] {
            assert!(!code.parse::<Currency>().unwrap().is_iso4217(), "{code}");
        }
    }

    #[test]
    fn ico_checksums_and_variable_symbols_are_checked() {
        for good in ["25596641", "00006947", "27082440"] {
            assert!(CompanyIds::is_valid_ico(good), "{good}");
        }
        for bad in ["25596642", "2559664", "2559664a", "255966410", " 25596641"] {
            assert!(!CompanyIds::is_valid_ico(bad), "{bad}");
        }
        assert!(is_valid_variable_symbol("2026000123"));
        assert!(is_valid_variable_symbol("7"));
        for bad in ["", "12345678901", "12 34", "VS123"] {
            assert!(!is_valid_variable_symbol(bad), "{bad}");
        }
    }

    #[test]
    fn payment_methods_are_read_from_coffers_words_and_typed_ones() {
        for method in [
            PaymentMethod::Cash,
            PaymentMethod::Card,
            PaymentMethod::BankTransfer,
        ] {
            assert_eq!(PaymentMethod::from_text(method.as_str()), Some(method));
        }
        assert_eq!(
            PaymentMethod::from_text("Hotově"),
            Some(PaymentMethod::Cash)
        );
        assert_eq!(
            PaymentMethod::from_text("platební kartou"),
            Some(PaymentMethod::Card)
        );
        assert_eq!(
            PaymentMethod::from_text("převodem"),
            Some(PaymentMethod::BankTransfer)
        );
        assert_eq!(PaymentMethod::from_text("voucher"), None);
    }

    #[test]
    fn control_characters_never_reach_a_stored_one_line_field() {
        let mut fields = DocumentFields::new(DocumentKind::Receipt, "a\nforged row\u{1b}[2J");
        fields.notes = Some("line one\nline two\u{7}".into());
        fields.tags = vec!["x\u{202e}y".into()];
        let clean = fields.without_controls();
        assert_eq!(clean.title, "a forged row [2J");
        assert_eq!(clean.notes.as_deref(), Some("line one\nline two "));
        assert_eq!(clean.tags, ["x y"]);
        assert_eq!(without_controls("Alza.cz", false), "Alza.cz");
    }

    #[test]
    fn fields_and_kinds_parse_from_user_words() {
        assert_eq!("date".parse::<Field>().unwrap(), Field::IssueDate);
        assert_eq!(
            "payment-method".parse::<Field>().unwrap(),
            Field::PaymentMethod
        );
        assert_eq!(
            "Warranty".parse::<DocumentKind>().unwrap(),
            DocumentKind::Warranty
        );
        assert!("bill".parse::<DocumentKind>().is_err());
    }
}
