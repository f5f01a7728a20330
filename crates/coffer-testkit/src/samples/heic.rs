//! HEIC files for tests, made the way a phone makes them: pixels encoded with libheif's HEVC
//! (x265) encoder. Orientation and size are then set in the file's boxes, as a camera sets
//! them, to check that the reader honours the header rather than the pixels.

use image::RgbImage;
use libheif_rs::{
    Channel, ColorSpace, CompressionFormat, EncoderQuality, HeifContext, Image, LibHeif, RgbChroma,
};

/// Encodes an RGB image as a single-image HEIC (major brand `heic`).
pub fn heic_bytes(rgb: &RgbImage) -> Vec<u8> {
    let lib = LibHeif::new();
    let mut encoder = lib
        .encoder_for_format(CompressionFormat::Hevc)
        .expect("libheif1 (Debian 12) has its x265 HEVC encoder built in");
    encoder
        .set_quality(EncoderQuality::Lossy(90))
        .expect("quality is settable");
    let (width, height) = rgb.dimensions();
    let mut image = Image::new(width, height, ColorSpace::Rgb(RgbChroma::Rgb)).unwrap();
    image
        .create_plane(Channel::Interleaved, width, height, 8)
        .unwrap();
    let planes = image.planes_mut();
    let plane = planes.interleaved.unwrap();
    let row = width as usize * 3;
    for (y, line) in plane.data.chunks_mut(plane.stride).enumerate() {
        if y < height as usize {
            line[..row].copy_from_slice(&rgb.as_raw()[y * row..(y + 1) * row]);
        }
    }
    let mut context = HeifContext::new().unwrap();
    // No encoding options: libheif-rs 0.20 frees them before libheif reads them.
    context.encode_image(&image, &mut encoder, None).unwrap();
    context.write_to_bytes().unwrap()
}

/// One ISO-BMFF box: where it starts, where its payload starts and where it ends.
#[derive(Clone, Copy, Debug)]
struct BoxAt {
    start: usize,
    body: usize,
    end: usize,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn find_box(b: &[u8], from: usize, to: usize, kind: &[u8; 4]) -> BoxAt {
    let mut at = from;
    while at + 8 <= to {
        let size = u32_at(b, at) as usize;
        assert!(size >= 8, "boxes written by libheif have 32-bit sizes");
        if &b[at + 4..at + 8] == kind {
            return BoxAt {
                start: at,
                body: at + 8,
                end: at + size,
            };
        }
        at += size;
    }
    panic!("no {} box", String::from_utf8_lossy(kind));
}

fn read_uint(b: &[u8], at: usize, size: usize) -> u64 {
    b[at..at + size]
        .iter()
        .fold(0, |v, byte| (v << 8) | u64::from(*byte))
}

fn write_uint(b: &mut [u8], at: usize, size: usize, value: u64) {
    for i in 0..size {
        b[at + i] = (value >> (8 * (size - 1 - i))) as u8;
    }
}

fn grow(b: &mut [u8], at: BoxAt, by: usize) {
    let size = u32_at(b, at.start) as usize + by;
    b[at.start..at.start + 4].copy_from_slice(&(size as u32).to_be_bytes());
}

/// Adds an `irot` property (rotation by `quarter_turns` × 90° anticlockwise, ISO/IEC 23008-12
/// §6.5.10) to the primary image, marked essential, as cameras do instead of turning pixels.
pub fn with_rotation(heic: &[u8], quarter_turns: u8) -> Vec<u8> {
    let mut b = heic.to_vec();
    let meta = find_box(&b, 0, b.len(), b"meta");
    let children = meta.body + 4; // `meta` is a full box
    let pitm = find_box(&b, children, meta.end, b"pitm");
    let primary = read_uint(&b, pitm.body + 4, if b[pitm.body] == 0 { 2 } else { 4 });
    let iloc = find_box(&b, children, meta.end, b"iloc");
    let iprp = find_box(&b, children, meta.end, b"iprp");
    let ipco = find_box(&b, iprp.body, iprp.end, b"ipco");
    let ipma = find_box(&b, iprp.body, iprp.end, b"ipma");
    assert!(ipco.end <= ipma.start, "libheif writes ipco before ipma");

    // The new property's 1-based index in ipco.
    let mut index = 1;
    let mut at = ipco.body;
    while at < ipco.end {
        at += u32_at(&b, at) as usize;
        index += 1;
    }
    let irot = [0, 0, 0, 9, b'i', b'r', b'o', b't', quarter_turns & 3];

    // The association goes at the end of the primary item's ipma entry.
    let (version, wide_index) = (b[ipma.body], b[ipma.body + 3] & 1 == 1);
    let id_size = if version < 1 { 2 } else { 4 };
    let association_size = if wide_index { 2 } else { 1 };
    let mut at = ipma.body + 8;
    let (count_at, insert_at) = loop {
        assert!(at < ipma.end, "the primary item has an ipma entry");
        let id = read_uint(&b, at, id_size);
        let count = b[at + id_size] as usize;
        let next = at + id_size + 1 + count * association_size;
        if id == primary {
            break (at + id_size, next);
        }
        at = next;
    };
    let association = if wide_index {
        (0x8000 | index as u16).to_be_bytes().to_vec()
    } else {
        vec![0x80 | index as u8]
    };
    let added = irot.len() + association.len();

    // Item data stored after the insertion point moves: shift its file offsets in iloc.
    let v = b[iloc.body];
    let (offset_size, length_size) = (
        (b[iloc.body + 4] >> 4) as usize,
        (b[iloc.body + 4] & 15) as usize,
    );
    let base_offset_size = (b[iloc.body + 5] >> 4) as usize;
    let index_size = if v == 1 || v == 2 {
        (b[iloc.body + 5] & 15) as usize
    } else {
        0
    };
    let (item_count, mut at) = if v < 2 {
        (read_uint(&b, iloc.body + 6, 2), iloc.body + 8)
    } else {
        (read_uint(&b, iloc.body + 6, 4), iloc.body + 10)
    };
    for _ in 0..item_count {
        at += if v < 2 { 2 } else { 4 }; // item_ID
        let construction = if v == 1 || v == 2 {
            at += 2;
            b[at - 1] & 15
        } else {
            0
        };
        at += 2; // data_reference_index
        let base = read_uint(&b, at, base_offset_size);
        let base_at = at;
        at += base_offset_size;
        let extents = read_uint(&b, at, 2);
        at += 2;
        let mut base_shifted = false;
        for _ in 0..extents {
            at += index_size;
            let offset = read_uint(&b, at, offset_size);
            if construction == 0 && base + offset >= ipco.end as u64 {
                if base_offset_size > 0 {
                    if !base_shifted {
                        write_uint(&mut b, base_at, base_offset_size, base + added as u64);
                        base_shifted = true;
                    }
                } else {
                    write_uint(&mut b, at, offset_size, offset + added as u64);
                }
            }
            at += offset_size + length_size;
        }
    }

    b[count_at] += 1;
    for outer in [meta, iprp] {
        grow(&mut b, outer, added);
    }
    grow(&mut b, ipma, association.len());
    grow(&mut b, ipco, irot.len());
    b.splice(insert_at..insert_at, association);
    b.splice(ipco.end..ipco.end, irot);
    b
}

/// Rewrites the image size in the `ispe` property, leaving the coded pixels alone: a header
/// that lies about the size, as a hostile file would.
pub fn with_claimed_size(heic: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut b = heic.to_vec();
    let at = b
        .windows(4)
        .position(|w| w == b"ispe")
        .expect("libheif writes an ispe property");
    // Box type, then version and flags, then width and height.
    b[at + 8..at + 12].copy_from_slice(&width.to_be_bytes());
    b[at + 12..at + 16].copy_from_slice(&height.to_be_bytes());
    b
}
