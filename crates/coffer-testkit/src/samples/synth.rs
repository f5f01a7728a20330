//! A generator of synthetic Czech receipts and invoices: seeded random merchants with valid
//! IČO, items at 21 % and 12 % DPH with a recap (base + tax = gross), decimal commas, an SPD
//! payment QR code, rendered with DejaVu Sans and roughened with noise and a slight rotation.
//! The generator's inputs are the expected values of the tests that use it.

use ab_glyph::FontVec;
use image::{GrayImage, Luma};
use imageproc::drawing::draw_text_mut;
use imageproc::geometric_transformations::{Interpolation, rotate_about_center};
use qrcode::{Color, QrCode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::{Date, Duration, Month};

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

const NAMES: &[&str] = &[
    "Pekařství Novák",
    "Kavárna U Lva",
    "Elektro Dvořák",
    "Potraviny Svoboda",
    "Lékárna Horák",
    "Papírnictví Černý",
    "Drogerie Veselá",
    "Železářství Marek",
];
const FORMS: &[&str] = &["s.r.o.", "a.s.", "spol. s r.o."];
const ITEMS: &[(&str, u32)] = &[
    ("Rohlík", 12),
    ("Chléb kmínový", 12),
    ("Káva espresso", 12),
    ("Mléko polotučné", 12),
    ("Baterie AA", 21),
    ("Kabel USB-C", 21),
    ("Sešit A4", 21),
    ("Šampon", 21),
    ("Žárovka LED", 21),
];

/// One VAT rate's recap as the generator computed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedVat {
    pub rate_percent: u32,
    pub base: i64,
    pub tax: i64,
}

/// What was put on the document.
#[derive(Clone, Debug)]
pub struct SyntheticDocument {
    pub merchant: String,
    pub ico: String,
    pub date: Date,
    pub total: i64,
    pub vat: Vec<ExpectedVat>,
    pub invoice: bool,
    /// The SPD payload of the payment QR code, when one is printed.
    pub spd: Option<String>,
    pub lines: Vec<String>,
}

/// A random IČO with a valid mod-11 check digit.
pub fn valid_ico(rng: &mut StdRng) -> String {
    let digits: Vec<u32> = (0..7).map(|_| rng.gen_range(0..10)).collect();
    let sum: u32 = digits.iter().zip((2..=8).rev()).map(|(d, w)| d * w).sum();
    let check = (11 - sum % 11) % 10;
    digits
        .iter()
        .chain(std::iter::once(&check))
        .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
        .collect()
}

/// Czech money formatting: `1 234,50`.
pub fn czech_amount(cents: i64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{grouped},{:02}", cents % 100)
}

fn czech_date(d: Date) -> String {
    format!("{}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
}

/// Builds the content of a receipt (or invoice) from a seed.
pub fn generate(seed: u64, invoice: bool, with_qr: bool) -> SyntheticDocument {
    let mut rng = StdRng::seed_from_u64(seed);
    let merchant = format!(
        "{} {}",
        NAMES[rng.gen_range(0..NAMES.len())],
        FORMS[rng.gen_range(0..FORMS.len())]
    );
    let ico = valid_ico(&mut rng);
    let month = Month::try_from(rng.gen_range(1..=12u8)).unwrap_or(Month::March);
    let date = Date::from_calendar_date(rng.gen_range(2022..=2025), month, rng.gen_range(1..=28))
        .expect("valid date");

    let mut items = Vec::new();
    for _ in 0..rng.gen_range(3..=5) {
        let (name, rate) = ITEMS[rng.gen_range(0..ITEMS.len())];
        let price: i64 = rng.gen_range(900..=49_900);
        items.push((name, rate, price));
    }
    let mut vat = Vec::new();
    for rate in [21u32, 12] {
        let gross: i64 = items.iter().filter(|i| i.1 == rate).map(|i| i.2).sum();
        if gross > 0 {
            let base = (gross as f64 * 100.0 / f64::from(100 + rate)).round() as i64;
            vat.push(ExpectedVat {
                rate_percent: rate,
                base,
                tax: gross - base,
            });
        }
    }
    let total: i64 = items.iter().map(|i| i.2).sum();

    let mut lines = Vec::new();
    if invoice {
        lines.push(format!(
            "FAKTURA - DAŇOVÝ DOKLAD č. {}",
            2_024_000 + rng.gen_range(1..999)
        ));
        lines.push("Dodavatel:".into());
        lines.push(merchant.clone());
        lines.push(format!("Hlavní {}, 110 00 Praha 1", rng.gen_range(1..99)));
        lines.push(format!("IČO: {ico}   DIČ: CZ{ico}"));
        lines.push("Odběratel:".into());
        lines.push("Zákazník Trade a.s.".into());
        lines.push(format!("IČO: {}", valid_ico(&mut rng)));
        lines.push(format!("Datum vystavení: {}", czech_date(date)));
        lines.push(format!(
            "Datum splatnosti: {}",
            czech_date(date + Duration::days(14))
        ));
        lines.push(format!("DUZP: {}", czech_date(date - Duration::days(1))));
    } else {
        lines.push(merchant.clone());
        lines.push(format!("Nádražní {}, 602 00 Brno", rng.gen_range(1..99)));
        lines.push(format!("IČO: {ico}  DIČ: CZ{ico}"));
        lines.push("ZJEDNODUŠENÝ DAŇOVÝ DOKLAD".into());
        lines.push(format!(
            "Datum: {} {:02}:{:02}",
            czech_date(date),
            rng.gen_range(7..20),
            rng.gen_range(0..60)
        ));
    }
    lines.push("------------------------------".into());
    for (name, _, price) in &items {
        lines.push(format!("{name}   {}", czech_amount(*price)));
    }
    lines.push("------------------------------".into());
    lines.push("Sazba   Základ   DPH   Celkem".into());
    for v in &vat {
        lines.push(format!(
            "DPH {} %   {}   {}   {}",
            v.rate_percent,
            czech_amount(v.base),
            czech_amount(v.tax),
            czech_amount(v.base + v.tax)
        ));
    }
    lines.push(format!("Celkem k úhradě:   {} Kč", czech_amount(total)));
    lines.push(if invoice {
        "Způsob úhrady: převodem".into()
    } else {
        "Platba kartou".into()
    });
    if !invoice {
        lines.push("Děkujeme za nákup".into());
    }
    let spd = with_qr.then(|| {
        format!(
            "SPD*1.0*ACC:CZ6508000000192000145399+GIBACZPX*AM:{}.{:02}*CC:CZK*X-VS:{}*MSG:PLATBA",
            total / 100,
            total % 100,
            rng.gen_range(1000..99_999)
        )
    });
    SyntheticDocument {
        merchant,
        ico,
        date,
        total,
        vat,
        invoice,
        spd,
        lines,
    }
}

/// Renders the document as a grayscale image: black text on white, an optional QR code at
/// the bottom, salt-and-pepper and intensity noise, and a rotation of `angle_degrees`.
pub fn render(doc: &SyntheticDocument, seed: u64, angle_degrees: f32) -> GrayImage {
    let font_bytes =
        std::fs::read(FONT).expect("fonts-dejavu-core is installed (scripts/setup.sh)");
    let font = FontVec::try_from_vec(font_bytes).expect("DejaVu Sans parses");
    let (line_height, size) = (40u32, 28.0f32);
    let width = if doc.invoice { 1300 } else { 900 };
    let qr = doc
        .spd
        .as_deref()
        .map(|s| QrCode::new(s.as_bytes()).expect("SPD fits a QR code"));
    let qr_px = qr.as_ref().map_or(0, |q| (q.width() as u32 + 8) * 5);
    let height = 60 + line_height * doc.lines.len() as u32 + qr_px + 60;
    let mut img = GrayImage::from_pixel(width, height, Luma([255]));
    for (i, line) in doc.lines.iter().enumerate() {
        draw_text_mut(
            &mut img,
            Luma([10]),
            40,
            40 + (i as u32 * line_height) as i32,
            size,
            &font,
            line,
        );
    }
    if let Some(code) = qr {
        let module = 5u32;
        let top = 40 + line_height * doc.lines.len() as u32 + 4 * module;
        let left = 40 + 4 * module;
        let n = code.width() as u32;
        for (idx, color) in code.to_colors().into_iter().enumerate() {
            if color == Color::Dark {
                let (mx, my) = (idx as u32 % n, idx as u32 / n);
                for dy in 0..module {
                    for dx in 0..module {
                        img.put_pixel(left + mx * module + dx, top + my * module + dy, Luma([0]));
                    }
                }
            }
        }
    }
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    for p in img.pixels_mut() {
        let v = i32::from(p.0[0]) + rng.gen_range(-25..=25);
        p.0[0] = v.clamp(0, 255) as u8;
        if rng.gen_ratio(1, 400) {
            p.0[0] = if rng.gen_bool(0.5) { 0 } else { 255 };
        }
    }
    rotate_about_center(
        &img,
        angle_degrees.to_radians(),
        Interpolation::Bilinear,
        Luma([255]),
    )
}

/// PNG bytes of a rendered document.
pub fn png_bytes(img: &GrayImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encodes");
    out.into_inner()
}
