//! Image preparation before OCR: bounded decoding (dimensions checked before any pixel is
//! decoded) of the `image` crate's formats and of HEIC, EXIF/HEIF orientation, grayscale,
//! scaling to about 300 DPI, and adaptive binarisation.

mod heif;

use std::io::Cursor;

pub use fast_image_resize::FilterType;
use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::F32;
use fast_image_resize::{ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GrayImage, ImageDecoder, ImageReader};

use crate::error::OcrError;

/// Images above this many pixels are refused before decoding (a 200 MP photo would need
/// gigabytes); 60 MP covers an A4 page scanned at 600 DPI.
pub const MAX_PIXELS: u64 = 60_000_000;
/// Upper bound on what the decoder may allocate, whatever the header claims.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Whether `decode` can read these bytes, judged by their content (magic bytes or `ftyp`
/// brand), never by a file name.
pub fn is_image(bytes: &[u8]) -> bool {
    heif::is_heif(bytes) || image::guess_format(bytes).is_ok()
}

/// Decodes an image, refusing oversized ones first, and turns it upright per its EXIF tag (or,
/// for HEIC, its rotation and mirroring properties).
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, OcrError> {
    if heif::is_heif(bytes) {
        return heif::decode(bytes);
    }
    let reader = || -> Result<ImageReader<Cursor<&[u8]>>, OcrError> {
        let mut r = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| OcrError::BadImage {
                reason: e.to_string(),
            })?;
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(MAX_DECODE_BYTES);
        r.limits(limits);
        Ok(r)
    };
    let (width, height) = reader()?
        .into_dimensions()
        .map_err(|e| OcrError::BadImage {
            reason: e.to_string(),
        })?;
    check_size(width, height)?;
    let mut decoder = reader()?.into_decoder().map_err(|e| OcrError::BadImage {
        reason: e.to_string(),
    })?;
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| OcrError::BadImage {
        reason: e.to_string(),
    })?;
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    Ok(image)
}

/// Refuses images above `MAX_PIXELS`, from the dimensions in their header.
fn check_size(width: u32, height: u32) -> Result<(), OcrError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(OcrError::ImageTooLarge {
            width,
            height,
            megapixels: pixels / 1_000_000,
            limit: MAX_PIXELS / 1_000_000,
        });
    }
    Ok(())
}

/// Whether the shape says till receipt: tall and narrow (paper rolls are 57–80 mm wide).
fn is_receipt_shaped(width: u32, height: u32) -> bool {
    height as f32 > 1.3 * width as f32 && width < 1800
}

/// Scale factor that brings the page to roughly 300 DPI. Photos and scans carry no reliable
/// DPI, so the physical width is inferred from the shape: tall narrow images are till receipts
/// (about 80 mm wide), everything else a page (about 210 mm wide).
pub fn scale_for_300_dpi(width: u32, height: u32) -> f32 {
    let target = if is_receipt_shaped(width, height) {
        1200.0
    } else {
        2480.0
    };
    let factor = target / width.max(1) as f32;
    // Only fix clear mismatches: upscaling beyond 2.5× invents detail, and downscaling is
    // only worth it when the image is far larger than needed.
    if factor > 1.15 {
        factor.min(2.5)
    } else if factor < 0.6 {
        factor.max(0.6)
    } else {
        1.0
    }
}

/// The height of capitals and digits, in pixels, that a page need not be enlarged beyond:
/// 13-point print at 300 DPI. Tesseract's networks see each line at 36 pixels whatever its
/// size, so larger text only costs time (the page grows with the square of the scale).
const READING_TEXT_HEIGHT: f32 = 38.0;

/// The scale at which the page is read: `scale_for_300_dpi`'s guess from the shape, except
/// that an image the shape calls a page is not enlarged beyond what brings its measured text
/// to `READING_TEXT_HEIGHT`. A receipt's width pins its size well, a page's does not: a
/// receipt or a warranty card photographed wider than tall, a part of a page or a small
/// invoice is not 210 mm wide, and enlarged as if it were, its text is read at twice the
/// size it needs. Receipt photos keep the guess (read smaller, noisy ones lose digits).
fn scale_for_reading(gray: &GrayImage) -> f32 {
    let by_shape = scale_for_300_dpi(gray.width(), gray.height());
    if by_shape <= 1.0 || is_receipt_shaped(gray.width(), gray.height()) {
        return by_shape;
    }
    match text_height(gray) {
        Some(height) if height * by_shape > 1.15 * READING_TEXT_HEIGHT => {
            let factor = READING_TEXT_HEIGHT / height;
            if factor > 1.15 {
                factor.min(by_shape)
            } else {
                1.0
            }
        }
        _ => by_shape,
    }
}

/// The height of the page's capitals and digits, in pixels: the upper quartile of its glyph
/// heights (lower-case letters without ascenders are shorter, letters with them and accented
/// capitals about as tall), when the page has enough glyphs to tell.
fn text_height(gray: &GrayImage) -> Option<f32> {
    let heights = glyph_heights(gray);
    (heights.len() >= 40).then(|| heights[heights.len() * 3 / 4] as f32)
}

/// The standard deviation of the page's pixel noise, in grey levels (Immerkær's estimate:
/// the mean absolute response to a mask that cancels flat areas, ramps and straight edges).
pub fn noise_sigma(gray: &GrayImage) -> f64 {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    if w < 3 || h < 3 {
        return 0.0;
    }
    let p = gray.as_raw();
    let mut sum = 0u64;
    for y in 1..h - 1 {
        let (up, row, down) = (
            &p[(y - 1) * w..y * w],
            &p[y * w..(y + 1) * w],
            &p[(y + 1) * w..(y + 2) * w],
        );
        for x in 1..w - 1 {
            let at = |r: &[u8], i: usize| i32::from(r[i]);
            let v = at(up, x - 1) - 2 * at(up, x) + at(up, x + 1) - 2 * at(row, x - 1)
                + 4 * at(row, x)
                - 2 * at(row, x + 1)
                + at(down, x - 1)
                - 2 * at(down, x)
                + at(down, x + 1);
            sum += u64::from(v.unsigned_abs());
        }
    }
    (std::f64::consts::PI / 2.0).sqrt() * sum as f64 / (6.0 * ((w - 2) * (h - 2)) as f64)
}

/// Pixel noise, in grey levels, above which a page is smoothed before it is read. Sauvola's
/// threshold follows the spread of each pixel's neighbourhood, so on a grainy photo (a dim
/// room, a phone's sensor, a scanner's dither) every grain of the paper becomes a speck of ink
/// and Tesseract finds no lines at all. Clean photos and scans measure 0.2 to 5.
const NOISY: f64 = 8.0;

/// The page with its pixel noise smoothed away (a 3 × 3 median, which keeps strokes' edges)
/// when there is much of it, and as it is otherwise.
fn denoised(gray: GrayImage) -> GrayImage {
    if noise_sigma(&gray) > NOISY {
        imageproc::filter::median_filter(&gray, 1, 1)
    } else {
        gray
    }
}

/// Grayscale and scale the image for Tesseract.
pub fn to_ocr_gray(image: &DynamicImage) -> GrayImage {
    let gray = denoised(image.to_luma8());
    let factor = scale_for_reading(&gray);
    if (factor - 1.0).abs() < f32::EPSILON {
        return gray;
    }
    let w = ((gray.width() as f32 * factor).round() as u32).max(1);
    let h = ((gray.height() as f32 * factor).round() as u32).max(1);
    let filter = if factor > 1.0 {
        FilterType::CatmullRom
    } else {
        FilterType::Bilinear
    };
    resize(&gray, w, h, filter)
}

/// The page scaled to `width` × `height` with `filter` (SIMD convolution; a smaller image is
/// filtered over the whole area each output pixel covers). It filters in floating point, as
/// the `image` crate's resize does, so both give the same pixels to within one grey level in
/// a few per ten thousand: the OCR rules were tuned on those pixels, and the eight-bit
/// fixed-point filter moved some by up to 17 levels, enough to change what was read.
pub fn resize(gray: &GrayImage, width: u32, height: u32, filter: FilterType) -> GrayImage {
    let (width, height) = (width.max(1), height.max(1));
    if gray.width() == 0 || gray.height() == 0 {
        return GrayImage::new(width, height);
    }
    let floats: Vec<F32> = gray.as_raw().iter().map(|&p| F32::new(p.into())).collect();
    let source =
        TypedImageRef::new(gray.width(), gray.height(), &floats).expect("one value per pixel");
    let mut out = TypedImage::<F32>::new(width, height);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    // Both are one-channel float images of non-zero size: a resize fails only otherwise.
    Resizer::new()
        .resize_typed(&source, &mut out, &options)
        .expect("grey to grey resize");
    let pixels = out
        .pixels()
        .iter()
        .map(|p| p.0.round().clamp(0.0, 255.0) as u8)
        .collect();
    GrayImage::from_raw(width, height, pixels).expect("one byte per pixel")
}

/// Heights of the glyph-like ink blobs of the page, in pixels of `gray`, sorted: connected
/// components of the binarised page that are neither specks, rules, frames nor solid blocks.
fn glyph_heights(gray: &GrayImage) -> Vec<u32> {
    #[derive(Clone)]
    struct Blob {
        left: u32,
        top: u32,
        right: u32,
        bottom: u32,
        pixels: u32,
    }
    let ink = binarise(gray, SAUVOLA_K);
    let labels = imageproc::region_labelling::connected_components(
        &ink,
        imageproc::region_labelling::Connectivity::Eight,
        image::Luma([255u8]),
    );
    // Label 0 is the paper; ink blobs are numbered from 1.
    let count = labels.as_raw().iter().copied().max().unwrap_or(0) as usize;
    let empty = Blob {
        left: u32::MAX,
        top: u32::MAX,
        right: 0,
        bottom: 0,
        pixels: 0,
    };
    let mut blobs = vec![empty; count];
    for (x, y, label) in labels.enumerate_pixels() {
        let Some(blob) = (label.0[0] as usize)
            .checked_sub(1)
            .map(|index| &mut blobs[index])
        else {
            continue;
        };
        blob.left = blob.left.min(x);
        blob.top = blob.top.min(y);
        blob.right = blob.right.max(x);
        blob.bottom = blob.bottom.max(y);
        blob.pixels += 1;
    }
    let tallest = gray.height() / 8;
    let mut heights: Vec<u32> = blobs
        .iter()
        .filter_map(|b| {
            let (w, h) = (b.right - b.left + 1, b.bottom - b.top + 1);
            let fill = b.pixels as f32 / (w * h) as f32;
            let glyph = (6..=tallest).contains(&h) && w <= 4 * h && (0.08..0.9).contains(&fill);
            glyph.then_some(h)
        })
        .collect();
    heights.sort_unstable();
    heights
}

/// Sauvola's sensitivity for the first reading: dark text stands out cleanly at 0.2.
pub const SAUVOLA_K: f64 = 0.2;
/// Gentler sensitivities for a second look: faint print (a worn ribbon, purple thermal ink on
/// tinted paper) that 0.2 drops survives at 0.1 and 0.05, at the cost of more speckle.
pub const SECOND_LOOK_K: [f64; 2] = [0.1, 0.05];

/// Adaptive (Sauvola) binarisation over integral images: each pixel is compared with the
/// mean and spread of its neighbourhood, which copes with shadows and uneven lighting that a
/// single global threshold turns into black blotches. `k` is the sensitivity: the lower, the
/// more faint strokes count as ink.
pub fn binarise(gray: &GrayImage, k: f64) -> GrayImage {
    let (w, h) = (gray.width() as usize, gray.height() as usize);
    if w == 0 || h == 0 {
        return gray.clone();
    }
    let rows: Vec<&[u8]> = gray.as_raw().chunks_exact(w).collect();
    let radius = (w.min(h) / 40).clamp(8, 40);
    let r = 128.0f64;
    // The sums of each column over the rows of the window, and those summed along the row
    // (a zero first): a window's sum is then the difference of two entries. At most 81 rows
    // of 255² fit a `u32`.
    let (mut column, mut column_sq) = (vec![0u32; w], vec![0u32; w]);
    let (mut along, mut along_sq) = (vec![0u64; w + 1], vec![0u64; w + 1]);
    let (mut first, mut last) = (0, 0);
    let mut out = vec![0u8; w * h];
    for (y, out_row) in out.chunks_exact_mut(w).enumerate() {
        let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
        for row in &rows[last..y1] {
            for ((c, c2), &v) in column.iter_mut().zip(column_sq.iter_mut()).zip(*row) {
                *c += u32::from(v);
                *c2 += u32::from(v) * u32::from(v);
            }
        }
        for row in &rows[first..y0] {
            for ((c, c2), &v) in column.iter_mut().zip(column_sq.iter_mut()).zip(*row) {
                *c -= u32::from(v);
                *c2 -= u32::from(v) * u32::from(v);
            }
        }
        (first, last) = (y0, y1);
        for x in 0..w {
            along[x + 1] = along[x] + u64::from(column[x]);
            along_sq[x + 1] = along_sq[x] + u64::from(column_sq[x]);
        }
        for (x, (&v, ink)) in rows[y].iter().zip(out_row.iter_mut()).enumerate() {
            let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
            let n = ((y1 - y0) * (x1 - x0)) as f64;
            let mean = (along[x1] - along[x0]) as f64 / n;
            let var = ((along_sq[x1] - along_sq[x0]) as f64 / n - mean * mean).max(0.0);
            let threshold = mean * (1.0 + k * (var.sqrt() / r - 1.0));
            *ink = if f64::from(v) > threshold { 255 } else { 0 };
        }
    }
    GrayImage::from_raw(w as u32, h as u32, out).expect("one byte per pixel")
}

#[cfg(test)]
mod tests {
    use image::Luma;

    use super::*;

    /// A synthetic receipt in DejaVu Sans at 28 pixels to the em: capitals and digits are
    /// 0.73 em, 20 pixels tall.
    fn rendered_receipt() -> GrayImage {
        let doc = coffer_testkit::samples::synth::generate(7, false, false);
        coffer_testkit::samples::synth::render(&doc, 7, 0.0)
    }

    #[test]
    fn text_height_is_the_height_of_capitals_and_digits_at_any_size() {
        let page = rendered_receipt();
        let height = text_height(&page).expect("a receipt has enough glyphs");
        assert!((18.0..=23.0).contains(&height), "{height}");
        let (w, h) = page.dimensions();
        let twice = resize(&page, 2 * w, 2 * h, FilterType::CatmullRom);
        let doubled = text_height(&twice).expect("still enough glyphs");
        assert!(
            (1.8..=2.2).contains(&(doubled / height)),
            "{height} then {doubled}"
        );
        let blank = GrayImage::from_pixel(w, h, Luma([250]));
        assert_eq!(text_height(&blank), None);
    }

    #[test]
    fn a_page_with_large_text_is_enlarged_only_as_far_as_its_text_needs() {
        let page = rendered_receipt();
        let (w, h) = page.dimensions();
        assert!(h < w * 13 / 10, "shaped like a page: {w}x{h}");
        let by_shape = scale_for_300_dpi(w, h);
        let prepared = to_ocr_gray(&DynamicImage::ImageLuma8(page.clone()));
        let factor = prepared.width() as f32 / w as f32;
        assert!(factor < by_shape - 0.3, "{factor} against {by_shape}");
        // Measured again on the page as it is read, the text is about the target's height.
        let text = text_height(&prepared).expect("the scaled page has its glyphs");
        let target = READING_TEXT_HEIGHT - 3.0..=READING_TEXT_HEIGHT + 3.0;
        assert!(target.contains(&text), "{text} px at {factor}x");
        // The same print on a till roll keeps the receipt's guess, and a page without text
        // its shape's.
        let mut roll = GrayImage::from_pixel(w, 2 * h, Luma([255]));
        image::imageops::replace(&mut roll, &page, 0, 0);
        assert_eq!(scale_for_reading(&roll), scale_for_300_dpi(w, 2 * h));
        let blank = GrayImage::from_pixel(w, h, Luma([250]));
        assert_eq!(scale_for_reading(&blank), by_shape);
    }

    #[test]
    fn narrow_receipt_scans_are_upscaled_and_pages_left_alone() {
        assert!(scale_for_300_dpi(600, 1500) > 1.9);
        assert_eq!(scale_for_300_dpi(2480, 3508), 1.0);
        assert!(scale_for_300_dpi(6000, 8000) < 1.0);
    }

    #[test]
    fn scaling_keeps_ink_and_paper_and_gives_an_empty_page_its_size() {
        let page = GrayImage::from_fn(40, 20, |x, _| Luma([if x < 20 { 0 } else { 255 }]));
        let up = resize(&page, 100, 50, FilterType::CatmullRom);
        assert_eq!(up.dimensions(), (100, 50));
        assert_eq!(
            (up.get_pixel(5, 25).0[0], up.get_pixel(95, 25).0[0]),
            (0, 255)
        );
        // Dark to light across the edge, the filter's overshoot on either side held at black
        // and white.
        let row: Vec<u8> = (0..100).map(|x| up.get_pixel(x, 25).0[0]).collect();
        assert!(row.windows(2).all(|w| w[0] <= w[1]), "{row:?}");
        let down = resize(&page, 10, 5, FilterType::Bilinear);
        assert_eq!(
            (down.get_pixel(1, 2).0[0], down.get_pixel(8, 2).0[0]),
            (0, 255)
        );
        assert_eq!(
            resize(&GrayImage::new(0, 0), 7, 3, FilterType::Bilinear).dimensions(),
            (7, 3)
        );
    }

    #[test]
    fn oversized_images_are_refused_before_decoding() {
        // A BMP header claiming 20000×10000 pixels (200 MP) with no pixel data behind it.
        let mut bmp = Vec::new();
        bmp.extend_from_slice(b"BM");
        bmp.extend_from_slice(&(54u32 + 20_000 * 10_000 * 3).to_le_bytes());
        bmp.extend_from_slice(&[0, 0, 0, 0]);
        bmp.extend_from_slice(&54u32.to_le_bytes());
        bmp.extend_from_slice(&40u32.to_le_bytes());
        bmp.extend_from_slice(&20_000i32.to_le_bytes());
        bmp.extend_from_slice(&10_000i32.to_le_bytes());
        bmp.extend_from_slice(&1u16.to_le_bytes());
        bmp.extend_from_slice(&24u16.to_le_bytes());
        bmp.extend_from_slice(&[0u8; 24]);
        assert!(matches!(decode(&bmp), Err(OcrError::ImageTooLarge { .. })));
    }

    #[test]
    fn binarisation_separates_dark_text_from_a_shaded_background() {
        let img = GrayImage::from_fn(100, 100, |x, y| {
            let background = 120 + (x as u8) / 2; // uneven lighting
            Luma([if (40..60).contains(&y) && x % 10 < 5 {
                20
            } else {
                background
            }])
        });
        let bin = binarise(&img, SAUVOLA_K);
        assert_eq!(bin.get_pixel(42, 50).0[0], 0);
        assert_eq!(bin.get_pixel(10, 10).0[0], 255);
    }

    #[test]
    fn faint_print_dropped_at_first_survives_the_second_look() {
        // Pale strokes (185) on tinted paper (220): too faint for the first sensitivity.
        let img = GrayImage::from_fn(100, 100, |x, y| {
            Luma([if (40..60).contains(&y) && x % 10 < 5 {
                185
            } else {
                220
            }])
        });
        assert_eq!(binarise(&img, SAUVOLA_K).get_pixel(42, 50).0[0], 255);
        let gentlest = binarise(&img, SECOND_LOOK_K[1]);
        assert_eq!(gentlest.get_pixel(42, 50).0[0], 0);
        assert_eq!(gentlest.get_pixel(47, 50).0[0], 255);
        assert_eq!(gentlest.get_pixel(10, 10).0[0], 255);
    }
}
