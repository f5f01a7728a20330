//! Pictures of a document for a person to look at: PDF pages at a chosen size and small
//! thumbnails. Everything works on decrypted bytes in memory; PDFs reach poppler through its
//! stdin, so no plaintext file is ever written.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;

use crate::error::OcrError;
use crate::{pdf, preprocess};

/// Pages are rendered at most this many pixels on their long side (A4 at 300 DPI).
pub const MAX_PAGE_PIXELS: u32 = 3508;
/// A thumbnail fits in a square of this many pixels.
pub const THUMBNAIL_PIXELS: u32 = 128;
const THUMBNAIL_QUALITY: u8 = 70;
const PREVIEW_QUALITY: u8 = 88;

/// How many pages a PDF has (refusing encrypted, broken and absurdly long ones).
pub fn pdf_page_count(pdf_bytes: &[u8]) -> Result<u32, OcrError> {
    pdf::pages_from_pdfinfo(pdf::run_with_input("pdfinfo", &["-"], Some(pdf_bytes))?)
}

/// Renders page `page` (1-based) as a colour PNG whose long side is `long_side` pixels.
pub fn render_pdf_page(pdf_bytes: &[u8], page: u32, long_side: u32) -> Result<Vec<u8>, OcrError> {
    let pages = pdf_page_count(pdf_bytes)?;
    if page == 0 || page > pages {
        return Err(OcrError::Unsupported {
            what: format!("page {page} of a {pages}-page PDF"),
        });
    }
    let n = page.to_string();
    let size = long_side.clamp(16, MAX_PAGE_PIXELS).to_string();
    let args = [
        "-f",
        &n,
        "-l",
        &n,
        "-png",
        "-singlefile",
        "-scale-to",
        &size,
        "-",
    ];
    let (ok, png, err) = pdf::run_with_input("pdftoppm", &args, Some(pdf_bytes))?;
    if !ok || png.is_empty() {
        return Err(pdf::classify_failure(&err, "pdftoppm"));
    }
    Ok(png)
}

/// A small JPEG of an image or of a PDF's first page; `None` for other files (text, XML,
/// attachments), which the list shows with an icon instead.
pub fn thumbnail(bytes: &[u8], media_type: &str) -> Result<Option<Vec<u8>>, OcrError> {
    let image = if media_type == "application/pdf" {
        preprocess::decode(&render_pdf_page(bytes, 1, THUMBNAIL_PIXELS * 2)?)?
    } else if media_type.starts_with("image/") && preprocess::is_image(bytes) {
        preprocess::decode(bytes)?
    } else {
        return Ok(None);
    };
    let small = image.thumbnail(THUMBNAIL_PIXELS, THUMBNAIL_PIXELS);
    Ok(Some(jpeg(&small, THUMBNAIL_QUALITY)?))
}

/// An image the viewer cannot show as it is (HEIC, TIFF) as a JPEG whose long side is at
/// most `long_side` pixels, turned upright per its EXIF or HEIF orientation.
pub fn image_preview(bytes: &[u8], long_side: u32) -> Result<Vec<u8>, OcrError> {
    if !preprocess::is_image(bytes) {
        return Err(OcrError::Unsupported {
            what: "a file that is not a picture".to_string(),
        });
    }
    let image = preprocess::decode(bytes)?;
    let side = long_side.clamp(16, MAX_PAGE_PIXELS);
    let fitted = if image.width().max(image.height()) > side {
        image.thumbnail(side, side)
    } else {
        image
    };
    jpeg(&fitted, PREVIEW_QUALITY)
}

fn jpeg(image: &image::DynamicImage, quality: u8) -> Result<Vec<u8>, OcrError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut Cursor::new(&mut out), quality)
        .encode_image(&image.to_rgb8())
        .map_err(|e| OcrError::BadImage {
            reason: e.to_string(),
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use image::ImageFormat;

    use super::*;

    /// A two-page PDF with one line of text per page (shared with the app's tests).
    fn two_page_pdf() -> Vec<u8> {
        include_bytes!("../../../tests/fixtures/two-pages.pdf").to_vec()
    }

    #[test]
    fn pdf_pages_are_counted_and_rendered_from_memory() {
        let pdf = two_page_pdf();
        assert_eq!(pdf_page_count(&pdf).unwrap(), 2);
        let png = render_pdf_page(&pdf, 2, 400).unwrap();
        let page = image::load_from_memory(&png).unwrap();
        assert_eq!((page.width(), page.height()), (300, 400));
        assert!(render_pdf_page(&pdf, 3, 400).is_err());
        assert!(pdf_page_count(b"%PDF-1.4 but nothing else").is_err());
    }

    #[test]
    fn thumbnails_are_small_jpegs_of_images_and_first_pdf_pages() {
        let mut png = Vec::new();
        image::RgbImage::from_pixel(640, 480, image::Rgb([200, 30, 30]))
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let thumb =
            image::load_from_memory(&thumbnail(&png, "image/png").unwrap().unwrap()).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (128, 96));
        let thumb = thumbnail(&two_page_pdf(), "application/pdf")
            .unwrap()
            .unwrap();
        let thumb = image::load_from_memory(&thumb).unwrap();
        assert_eq!(thumb.height(), 128);
        assert_eq!(thumbnail(b"plain text", "text/plain").unwrap(), None);
    }
}
