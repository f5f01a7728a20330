//! Czech QR payment codes (Short Payment Descriptor, `SPD*1.0*ACC:…*AM:…*CC:…`): found in the
//! image with rqrr and parsed exactly, so amount, currency, account and symbols need no OCR.

use image::GrayImage;
use serde::Serialize;
use time::Date;

use coffer_core::Currency;

use crate::money::Amount;

/// The fields of an SPD payment code that matter for a document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SpdPayment {
    /// IBAN, optionally followed by `+BIC`.
    pub account: Option<String>,
    pub amount: Option<Amount>,
    pub currency: Option<Currency>,
    pub variable_symbol: Option<String>,
    pub recipient: Option<String>,
    /// Due date (`DT`): when to pay, not when the document was issued.
    pub due: Option<Date>,
}

/// Decodes every QR code in the image and returns the first SPD payment found.
pub fn find_spd(gray: &GrayImage) -> Option<SpdPayment> {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        gray.get_pixel(x as u32, y as u32).0[0]
    });
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok())
        .find_map(|(_, content)| parse_spd(&content))
}

/// Parses an SPD string; `None` unless it starts with `SPD*` and a version.
pub fn parse_spd(content: &str) -> Option<SpdPayment> {
    let mut parts = content.trim().split('*');
    if parts.next()? != "SPD" || !parts.next()?.starts_with('1') {
        return None;
    }
    let mut spd = SpdPayment::default();
    for part in parts {
        let Some((key, value)) = part.split_once(':') else {
            continue;
        };
        let value = percent_decode(value);
        match key {
            "ACC" => spd.account = Some(value),
            "AM" => spd.amount = Amount::parse_plain(&value),
            "CC" => spd.currency = value.parse().ok(),
            "X-VS" => spd.variable_symbol = Some(value),
            "RN" => spd.recipient = Some(value),
            "DT" if value.len() == 8 => {
                let num =
                    |r: std::ops::Range<usize>| value.get(r).and_then(|s| s.parse::<u32>().ok());
                if let (Some(y), Some(m), Some(d)) = (num(0..4), num(4..6), num(6..8)) {
                    spd.due = time::Month::try_from(m as u8)
                        .ok()
                        .and_then(|m| Date::from_calendar_date(y as i32, m, d as u8).ok());
                }
            }
            _ => {}
        }
    }
    (spd.account.is_some() || spd.amount.is_some()).then_some(spd)
}

/// SPD escapes `*` and non-ASCII text as `%XX` (UTF-8 bytes).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn spd_payment_code_is_parsed_exactly() {
        let spd = parse_spd("SPD*1.0*ACC:CZ5855000000001265098001+RZBCCZPP*AM:480.50*CC:CZK*X-VS:2024001*RN:KAVARNA%20U%20LVA*DT:20240415").unwrap();
        assert_eq!(
            spd.account.as_deref(),
            Some("CZ5855000000001265098001+RZBCCZPP")
        );
        assert_eq!(spd.amount, Some(Amount::from_cents(48_050)));
        assert_eq!(spd.currency.map(|c| c.to_string()).as_deref(), Some("CZK"));
        assert_eq!(spd.variable_symbol.as_deref(), Some("2024001"));
        assert_eq!(spd.recipient.as_deref(), Some("KAVARNA U LVA"));
        assert_eq!(spd.due, Some(date!(2024 - 04 - 15)));
    }

    #[test]
    fn other_qr_contents_are_not_payments() {
        assert_eq!(parse_spd("https://example.com"), None);
        assert_eq!(parse_spd("SPD*1.0*MSG:hello"), None);
    }
}
