//! HEIC/HEIF photos (what iPhones take by default), read through the system libheif. The
//! `image` crate has no HEVC decoder, so these files are recognised by their `ftyp` brand and
//! decoded here into the same `DynamicImage` the rest of the pipeline works on.

use image::{DynamicImage, RgbImage};
use libheif_rs::{ColorSpace, HeifContext, HeifError, LibHeif, RgbChroma};

use crate::error::OcrError;

/// Brands of HEVC-coded HEIF: still images (`heic`, `heix`, `heim`, `heis`) and sequences
/// (`hevc`, `hevx`, `hevm`, `hevs`), e.g. an iPhone's Live Photo cover.
const HEVC_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
];
/// Generic HEIF brands; as the major brand they mean "some HEIF image".
const GENERIC_BRANDS: [&[u8; 4]; 2] = [b"mif1", b"msf1"];

/// Whether the bytes start with an ISO-BMFF `ftyp` box naming a HEIF brand. AVIF (major brand
/// `avif`) is left alone: it is not a HEIC photo and `image` recognises it itself.
pub(super) fn is_heif(bytes: &[u8]) -> bool {
    let Some(head) = bytes.get(..12) else {
        return false;
    };
    if &head[4..8] != b"ftyp" {
        return false;
    }
    let major = &head[8..12];
    if HEVC_BRANDS
        .iter()
        .chain(&GENERIC_BRANDS)
        .any(|b| *b == major)
    {
        return true;
    }
    // Compatible brands follow the major brand and the minor version.
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let compatible = bytes.get(16..size.min(bytes.len())).unwrap_or_default();
    compatible
        .chunks_exact(4)
        .any(|brand| HEVC_BRANDS.iter().any(|b| *b == brand))
}

/// Decodes the primary image of a HEIF file, upright: libheif applies the file's rotation,
/// mirroring and crop (`irot`, `imir`, `clap`) unless told not to. The size in the file's
/// header is checked against `MAX_PIXELS` before any pixel is decoded.
pub(super) fn decode(bytes: &[u8]) -> Result<DynamicImage, OcrError> {
    let lib = LibHeif::new();
    let context = HeifContext::read_from_bytes(bytes).map_err(bad_heif)?;
    let handle = context.primary_image_handle().map_err(bad_heif)?;
    // The size after rotation (for a grid, the whole picture, not one tile).
    super::check_size(handle.width(), handle.height())?;
    // No decoding options: libheif-rs 0.20 frees them before libheif reads them, and the
    // defaults are what we want (transformations applied).
    let image = lib
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(bad_heif)?;
    let planes = image.planes();
    let plane = planes.interleaved.ok_or_else(|| OcrError::BadImage {
        reason: "HEIC: libheif returned no interleaved RGB plane".to_string(),
    })?;
    if plane.storage_bits_per_pixel != 24 {
        return Err(OcrError::BadImage {
            reason: format!(
                "HEIC: unexpected {}-bit RGB pixels from libheif",
                plane.storage_bits_per_pixel
            ),
        });
    }
    let row = plane.width as usize * 3;
    let mut rgb = Vec::with_capacity(row * plane.height as usize);
    for line in plane.data.chunks(plane.stride).take(plane.height as usize) {
        rgb.extend_from_slice(line.get(..row).ok_or_else(|| OcrError::BadImage {
            reason: "HEIC: libheif returned a short pixel row".to_string(),
        })?);
    }
    RgbImage::from_raw(plane.width, plane.height, rgb)
        .map(DynamicImage::ImageRgb8)
        .ok_or_else(|| OcrError::BadImage {
            reason: "HEIC: libheif returned fewer pixels than the image size".to_string(),
        })
}

fn bad_heif(e: HeifError) -> OcrError {
    let reason = if e.message.is_empty() {
        e.to_string()
    } else {
        e.message
    };
    OcrError::BadImage {
        reason: format!("HEIC: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut b = size.to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0; 4]);
        for c in compatible {
            b.extend_from_slice(*c);
        }
        b.extend_from_slice(&[0, 0, 0, 8, b'm', b'e', b't', b'a']);
        b
    }

    #[test]
    fn heic_and_generic_heif_brands_are_recognised_and_avif_is_not() {
        assert!(is_heif(&ftyp(b"heic", &[b"mif1", b"heic"])));
        assert!(is_heif(&ftyp(b"mif1", &[b"heic"])));
        assert!(is_heif(&ftyp(b"msf1", &[])));
        assert!(is_heif(&ftyp(b"isom", &[b"mif1", b"heix"])));
        assert!(!is_heif(&ftyp(b"avif", &[b"mif1", b"miaf"])));
        assert!(!is_heif(&ftyp(b"isom", &[b"mp41", b"avc1"])));
        assert!(!is_heif(b"\x89PNG\r\n\x1a\n"));
        assert!(!is_heif(b"ftyp"));
    }
}
