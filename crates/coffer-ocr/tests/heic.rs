//! HEIC photos (the iPhone's default): encoded here with libheif's HEVC encoder, then read by
//! the same entry points as JPEG and PNG — OCR, thumbnails — upright, bounded and with clear
//! errors for broken files.

use coffer_testkit::samples::{heic, synth};

use coffer_ocr::{ExtractOptions, OcrError, Source, extract_bytes, preprocess, render};
use image::{DynamicImage, Rgb, RgbImage};

use heic::{heic_bytes, with_claimed_size, with_rotation};

/// 200×100, white, with the top-left quadrant black: any turn or flip moves the black corner.
fn corner_marked() -> RgbImage {
    RgbImage::from_fn(200, 100, |x, y| {
        if x < 100 && y < 50 {
            Rgb([0, 0, 0])
        } else {
            Rgb([255, 255, 255])
        }
    })
}

/// Mean brightness of a `size`×`size` square at (`x`, `y`).
fn brightness(image: &DynamicImage, x: u32, y: u32, size: u32) -> u32 {
    let gray = image.to_luma8();
    let mut sum = 0;
    for dy in 0..size {
        for dx in 0..size {
            sum += u32::from(gray.get_pixel(x + dx, y + dy).0[0]);
        }
    }
    sum / (size * size)
}

#[test]
fn heic_photo_of_a_receipt_is_read_by_ocr_like_a_png() {
    // The seed and slant of the PNG suite (synthetic.rs), so a failure here is the HEIC path's.
    let doc = synth::generate(1, false, false);
    let photo = DynamicImage::ImageLuma8(synth::render(&doc, 1, 0.7)).to_rgb8();
    let heic = heic_bytes(&photo);
    assert!(preprocess::is_image(&heic));

    let e = extract_bytes(&heic, "IMG_0042.HEIC", &ExtractOptions::default())
        .expect("a HEIC receipt extracts");
    assert_eq!(e.source, Source::Ocr);
    assert_eq!(
        e.fields.total_money().map(|m| m.minor),
        Some(doc.total),
        "total"
    );
    assert_eq!(e.fields.date, Some(doc.date), "date");
    assert_eq!(e.fields.ids.ico.as_deref(), Some(doc.ico.as_str()), "IČO");
}

#[test]
fn heic_rotation_property_turns_the_picture_upright() {
    let heic = heic_bytes(&corner_marked());

    let plain = preprocess::decode(&heic).unwrap();
    assert_eq!((plain.width(), plain.height()), (200, 100));
    assert!(brightness(&plain, 30, 10, 20) < 60, "black corner top left");
    assert!(brightness(&plain, 150, 10, 20) > 200);

    // irot 1 = a quarter turn anticlockwise: the top-left corner goes to the bottom left.
    let turned = preprocess::decode(&with_rotation(&heic, 1)).unwrap();
    assert_eq!((turned.width(), turned.height()), (100, 200));
    assert!(
        brightness(&turned, 10, 150, 20) < 60,
        "black corner bottom left"
    );
    for (x, y) in [(10, 30), (70, 30), (70, 150)] {
        assert!(brightness(&turned, x, y, 20) > 200, "white at ({x}, {y})");
    }

    let upside_down = preprocess::decode(&with_rotation(&heic, 2)).unwrap();
    assert_eq!((upside_down.width(), upside_down.height()), (200, 100));
    assert!(
        brightness(&upside_down, 150, 70, 20) < 60,
        "black corner bottom right"
    );
    assert!(brightness(&upside_down, 30, 10, 20) > 200);
}

#[test]
fn heic_thumbnail_is_a_small_jpeg_of_the_upright_picture() {
    let heic = with_rotation(&heic_bytes(&corner_marked()), 1);
    let jpeg = render::thumbnail(&heic, "image/heif")
        .unwrap()
        .expect("images get a thumbnail");
    let small = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((small.width(), small.height()), (64, 128));
}

#[test]
fn truncated_or_corrupt_heic_is_a_bad_image_with_advice() {
    let heic = heic_bytes(&corner_marked());
    let mut corrupt = heic.clone();
    let mdat = corrupt.windows(4).position(|w| w == b"mdat").unwrap();
    corrupt.truncate(mdat + 4);
    corrupt.extend(std::iter::repeat_n(0xA5, 400));
    for broken in [
        &heic[..heic.len() / 2],
        &heic[..40],
        &heic[..mdat + 20],
        corrupt.as_slice(),
    ] {
        assert!(preprocess::is_image(broken), "still recognised as HEIC");
        let err = preprocess::decode(broken).expect_err("a broken HEIC is refused");
        assert!(
            matches!(&err, OcrError::BadImage { reason } if reason.starts_with("HEIC")),
            "{err:?}"
        );
        assert!(err.to_string().contains("truncated or corrupt"), "{err}");
        assert!(matches!(
            extract_bytes(broken, "IMG.HEIC", &ExtractOptions::default()),
            Err(OcrError::BadImage { .. })
        ));
    }
}

#[test]
fn heic_claiming_more_than_the_pixel_limit_is_refused_before_decoding() {
    let heic = with_claimed_size(&heic_bytes(&corner_marked()), 20_000, 10_000);
    match preprocess::decode(&heic) {
        Err(OcrError::ImageTooLarge {
            width: 20_000,
            height: 10_000,
            megapixels: 200,
            ..
        }) => {}
        Ok(image) => panic!("decoded {}×{} instead", image.width(), image.height()),
        Err(other) => panic!("expected ImageTooLarge, got {other:?}"),
    }
}
