//! Sample documents made here, so no test, demo or benchmark needs a file from outside the
//! repository: Czech receipts and invoices from a seeded generator (`synth`), rendered as
//! scans, as a photo taken on a table, as a scanned PDF, as a text PDF, as an ISDOC
//! e-invoice and as an iPhone HEIC, plus a warranty card. `write_set` puts one of each (and a
//! dozen receipts) in a folder; `coffer-samples DIR` does it from the command line.

pub mod heic;
pub mod pdf;
pub mod synth;

use std::path::{Path, PathBuf};

use image::{GrayImage, Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use synth::SyntheticDocument;

/// File-name stems of the scanned receipts: distinct words, so a search for one file's name
/// finds that file alone.
const RECEIPT_NAMES: &[&str] = &[
    "apricot",
    "bakery",
    "coffee",
    "drugstore",
    "electro",
    "florist",
    "grocery",
    "hardware",
    "ironmonger",
    "jeweller",
    "kiosk",
    "lemonade",
];

/// What `write_set` wrote, by what it shows.
#[derive(Debug)]
pub struct SampleSet {
    /// Scanned receipts (PNG), one per `RECEIPT_NAMES` entry.
    pub receipts: Vec<PathBuf>,
    /// A receipt photographed on a table (JPEG): perspective light, background, blur.
    pub photo: PathBuf,
    /// An invoice scanned to PDF (a JPEG page, no text layer).
    pub scanned_pdf: PathBuf,
    /// An invoice exported from accounting software (PDF with a text layer).
    pub text_pdf: PathBuf,
    /// The same kind of invoice as an ISDOC 6.0.2 file.
    pub isdoc: PathBuf,
    /// A receipt photographed on an iPhone (HEIC).
    pub heic: PathBuf,
    /// A warranty card (PNG) with its purchase date and warranty period.
    pub warranty: PathBuf,
    /// What was printed on each generated document, by file.
    pub documents: Vec<(PathBuf, SyntheticDocument)>,
}

impl SampleSet {
    /// Every file of the set.
    pub fn files(&self) -> Vec<&Path> {
        let mut all: Vec<&Path> = self.receipts.iter().map(PathBuf::as_path).collect();
        all.extend([
            self.photo.as_path(),
            self.scanned_pdf.as_path(),
            self.text_pdf.as_path(),
            self.isdoc.as_path(),
            self.heic.as_path(),
            self.warranty.as_path(),
        ]);
        all
    }
}

/// Writes the sample set into `dir` (which must exist). The same call always writes the same
/// bytes.
pub fn write_set(dir: &Path) -> std::io::Result<SampleSet> {
    let mut documents = Vec::new();
    let mut write = |name: &str, bytes: &[u8], doc: Option<SyntheticDocument>| {
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        if let Some(doc) = doc {
            documents.push((path.clone(), doc));
        }
        std::io::Result::Ok(path)
    };
    let mut receipts = Vec::new();
    for (i, stem) in RECEIPT_NAMES.iter().enumerate() {
        let seed = 1_000 + i as u64;
        let doc = synth::generate(seed, false, i % 4 == 3);
        let angle = (i % 3) as f32 * 0.5 - 0.5;
        let png = synth::png_bytes(&synth::render(&doc, seed, angle));
        receipts.push(write(&format!("{stem}.png"), &png, Some(doc))?);
    }

    let doc = synth::generate(2_000, false, false);
    let photo = photographed(&synth::render(&doc, 2_000, 2.0), 2_000);
    let photo = write("table-photo.jpg", &jpeg(&photo, 85), Some(doc))?;

    let doc = synth::generate(2_001, true, true);
    let page = synth::render(&doc, 2_001, 0.3);
    let scanned = pdf::scanned_pdf(&jpeg(&page, 80), page.width(), page.height());
    let scanned_pdf = write("scanned-invoice.pdf", &scanned, Some(doc))?;

    let doc = synth::generate(2_002, true, false);
    let ascii: Vec<String> = doc.lines.iter().map(|l| ascii_folded(l)).collect();
    let lines: Vec<&str> = ascii.iter().map(String::as_str).collect();
    let text_pdf = write("text-invoice.pdf", &pdf::text_pdf(&lines, None), Some(doc))?;

    let doc = synth::generate(2_003, true, false);
    let isdoc = write("e-invoice.isdoc", isdoc_invoice(&doc).as_bytes(), Some(doc))?;

    let doc = synth::generate(2_004, false, false);
    let rgb = image::DynamicImage::ImageLuma8(synth::render(&doc, 2_004, 0.0)).to_rgb8();
    let heic = write("iphone-receipt.heic", &heic::heic_bytes(&rgb), Some(doc))?;

    let card = warranty_card(3_000);
    let warranty = write(
        "warranty-card.png",
        &synth::png_bytes(&synth::render(&card, 3_000, 0.0)),
        Some(card),
    )?;
    Ok(SampleSet {
        receipts,
        photo,
        scanned_pdf,
        text_pdf,
        isdoc,
        heic,
        warranty,
        documents,
    })
}

/// A warranty card for an appliance bought on the generated date, 24 months.
fn warranty_card(seed: u64) -> SyntheticDocument {
    let mut doc = synth::generate(seed, false, false);
    let date = doc.date;
    doc.lines = vec![
        "ZÁRUČNÍ LIST".into(),
        "Rychlovarná konvice KX-200".into(),
        format!("Výrobní číslo: KX{}", 100_000 + seed),
        format!("Prodejce: {}", doc.merchant),
        format!("IČO: {}", doc.ico),
        format!(
            "Datum prodeje: {}. {}. {}",
            date.day(),
            date.month() as u8,
            date.year()
        ),
        "Záruční doba: 24 měsíců".into(),
        "Razítko a podpis prodejce".into(),
    ];
    doc.vat.clear();
    doc.total = 0;
    doc
}

/// The scan as a phone photographs it on a table: a grey-brown background around it, light
/// falling off towards one corner, a little blur and sensor noise, in colour.
pub fn photographed(scan: &GrayImage, seed: u64) -> RgbImage {
    let mut rng = StdRng::seed_from_u64(seed);
    let margin = 80;
    let (w, h) = (scan.width() + 2 * margin, scan.height() + 2 * margin);
    let blurred = imageproc::filter::gaussian_blur_f32(scan, 1.1);
    RgbImage::from_fn(w, h, |x, y| {
        // Light from the top left: up to 35 % darker at the far corner.
        let falloff = 1.0 - 0.35 * (x as f32 / w as f32 + y as f32 / h as f32) / 2.0;
        let inside = x >= margin && y >= margin && x < w - margin && y < h - margin;
        let base: [f32; 3] = if inside {
            let v = f32::from(blurred.get_pixel(x - margin, y - margin).0[0]);
            // Thermal paper is slightly warm.
            [v, v * 0.98, v * 0.93]
        } else {
            [120.0, 100.0, 85.0]
        };
        let noise: f32 = rng.gen_range(-8.0..8.0);
        Rgb(base.map(|c| (c * falloff + noise).clamp(0.0, 255.0) as u8))
    })
}

/// The scan speckled as a dusty scanner glass or a cheap camera's sensor leaves it: a share
/// `density` of its pixels turned a random grey, then softened a little and saved as a JPEG at
/// quality 60 (which spreads each speck into a blotch of grain).
pub fn speckled(scan: &GrayImage, density: f64, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut specks = scan.clone();
    for p in specks.pixels_mut() {
        if rng.gen_bool(density) {
            p.0[0] = rng.r#gen();
        }
    }
    jpeg(&imageproc::filter::gaussian_blur_f32(&specks, 0.5), 60)
}

fn jpeg<I>(image: &I, quality: u8) -> Vec<u8>
where
    I: image::GenericImageView,
    I::Pixel: image::PixelWithColorType,
{
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .expect("JPEG encodes in memory");
    out
}

/// Czech letters without their accents: Helvetica's built-in encoding in `pdf::text_pdf` has
/// only ASCII.
fn ascii_folded(line: &str) -> String {
    const FROM: &str = "áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ";
    const TO: &str = "acdeeinorstuuyzACDEEINORSTUUYZ";
    line.chars()
        .map(|c| match FROM.chars().position(|f| f == c) {
            Some(i) => TO.chars().nth(i).unwrap_or('?'),
            None if c.is_ascii() => c,
            None => '?',
        })
        .collect()
}

/// The generated invoice as an ISDOC 6.0.2 document (DocumentType 1) in CZK: supplier with
/// IČO and DIČ, one summary line per VAT rate, the recap and the totals.
pub fn isdoc_invoice(doc: &SyntheticDocument) -> String {
    let amount = |cents: i64| format!("{}.{:02}", cents / 100, cents % 100);
    let number = doc
        .lines
        .first()
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or("1");
    let date = doc.date.to_string();
    let base: i64 = doc.vat.iter().map(|v| v.base).sum();
    let tax: i64 = doc.vat.iter().map(|v| v.tax).sum();
    let mut lines = String::new();
    let mut recap = String::new();
    for (i, v) in doc.vat.iter().enumerate() {
        let (b, t, r) = (amount(v.base), amount(v.tax), v.rate_percent);
        let gross = amount(v.base + v.tax);
        lines.push_str(&format!(
            "<InvoiceLine><ID>{}</ID><LineExtensionAmount>{b}</LineExtensionAmount>\
             <LineExtensionAmountTaxInclusive>{gross}</LineExtensionAmountTaxInclusive>\
             <LineExtensionTaxAmount>{t}</LineExtensionTaxAmount><UnitPrice>{b}</UnitPrice>\
             <UnitPriceTaxInclusive>{gross}</UnitPriceTaxInclusive>\
             <ClassifiedTaxCategory><Percent>{r}</Percent><VATCalculationMethod>0\
             </VATCalculationMethod></ClassifiedTaxCategory>\
             <Item><Description>Zboží {r} %</Description></Item></InvoiceLine>",
            i + 1
        ));
        recap.push_str(&format!(
            "<TaxSubTotal><TaxableAmount>{b}</TaxableAmount><TaxAmount>{t}</TaxAmount>\
             <TaxInclusiveAmount>{gross}</TaxInclusiveAmount>\
             <AlreadyClaimedTaxableAmount>0</AlreadyClaimedTaxableAmount>\
             <AlreadyClaimedTaxAmount>0</AlreadyClaimedTaxAmount>\
             <AlreadyClaimedTaxInclusiveAmount>0</AlreadyClaimedTaxInclusiveAmount>\
             <DifferenceTaxableAmount>{b}</DifferenceTaxableAmount>\
             <DifferenceTaxAmount>{t}</DifferenceTaxAmount>\
             <DifferenceTaxInclusiveAmount>{gross}</DifferenceTaxInclusiveAmount>\
             <TaxCategory><Percent>{r}</Percent></TaxCategory></TaxSubTotal>"
        ));
    }
    let party = |name: &str, ico: &str| {
        format!(
            "<Party><PartyIdentification><ID>{ico}</ID></PartyIdentification>\
             <PartyName><Name>{name}</Name></PartyName><PostalAddress>\
             <StreetName>Hlavní</StreetName><BuildingNumber>1</BuildingNumber>\
             <CityName>Praha</CityName><PostalZone>11000</PostalZone>\
             <Country><IdentificationCode>CZ</IdentificationCode><Name>Česká republika</Name>\
             </Country></PostalAddress><PartyTaxScheme><CompanyID>CZ{ico}</CompanyID>\
             <TaxScheme>VAT</TaxScheme></PartyTaxScheme></Party>"
        )
    };
    let (total, supplier) = (amount(doc.total), party(&doc.merchant, &doc.ico));
    let customer = party("Zákazník Trade a.s.", "27082440");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <Invoice xmlns=\"http://isdoc.cz/namespace/2013\" version=\"6.0.2\">\
         <DocumentType>1</DocumentType><ID>{number}</ID>\
         <UUID>6F5F5C4E-0C6B-4B8E-9E4D-{:012}</UUID><IssueDate>{date}</IssueDate>\
         <TaxPointDate>{date}</TaxPointDate><VATApplicable>true</VATApplicable>\
         <ElectronicPossibilityAgreementReference>\
         </ElectronicPossibilityAgreementReference>\
         <LocalCurrencyCode>CZK</LocalCurrencyCode><CurrRate>1</CurrRate>\
         <RefCurrRate>1</RefCurrRate>\
         <AccountingSupplierParty>{supplier}</AccountingSupplierParty>\
         <AccountingCustomerParty>{customer}</AccountingCustomerParty>\
         <InvoiceLines>{lines}</InvoiceLines>\
         <TaxTotal>{recap}<TaxAmount>{tax}</TaxAmount></TaxTotal>\
         <LegalMonetaryTotal><TaxExclusiveAmount>{base}</TaxExclusiveAmount>\
         <TaxInclusiveAmount>{total}</TaxInclusiveAmount>\
         <AlreadyClaimedTaxExclusiveAmount>0</AlreadyClaimedTaxExclusiveAmount>\
         <AlreadyClaimedTaxInclusiveAmount>0</AlreadyClaimedTaxInclusiveAmount>\
         <DifferenceTaxExclusiveAmount>{base}</DifferenceTaxExclusiveAmount>\
         <DifferenceTaxInclusiveAmount>{total}</DifferenceTaxInclusiveAmount>\
         <PayableRoundingAmount>0</PayableRoundingAmount>\
         <PaidDepositsAmount>0</PaidDepositsAmount><PayableAmount>{total}</PayableAmount>\
         </LegalMonetaryTotal></Invoice>\n",
        doc.ico.parse::<u64>().unwrap_or(0),
        tax = amount(tax),
        base = amount(base),
    )
}
