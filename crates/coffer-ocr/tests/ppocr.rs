//! The second recogniser (PP-OCRv6 through rten) on rendered text: a line read from its box,
//! and a page detected, read and grouped into lines. The models come from scripts/setup.sh;
//! without them these tests say so and pass.

use ab_glyph::FontVec;
use coffer_ocr::ppocr::{MODEL_SET, PaddleOcr, TextBox, model_dir};
use image::{GrayImage, Luma};
use imageproc::drawing::draw_text_mut;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

fn models() -> Option<PaddleOcr> {
    let Some(dir) = model_dir().map(|d| d.join(MODEL_SET)) else {
        eprintln!("SKIPPED: no model directory (HOME unset and no COFFER_MODELS_DIR)");
        return None;
    };
    match PaddleOcr::load(&dir) {
        Ok(m) => Some(m),
        Err(e) => {
            eprintln!("SKIPPED: the PP-OCRv6 models are not installed ({e})");
            None
        }
    }
}

/// White page with `lines` in black, 40 px text, 70 px apart, from (40, 40).
fn page(lines: &[&str], width: u32) -> GrayImage {
    let font = FontVec::try_from_vec(std::fs::read(FONT).expect("fonts-dejavu-core is installed"))
        .expect("DejaVu Sans parses");
    let mut img = GrayImage::from_pixel(width, 80 + 70 * lines.len() as u32, Luma([255]));
    for (i, line) in lines.iter().enumerate() {
        draw_text_mut(
            &mut img,
            Luma([0]),
            40,
            40 + 70 * i as i32,
            40.0,
            &font,
            line,
        );
    }
    img
}

#[test]
fn a_rendered_line_is_read_from_its_box() {
    let Some(ocr) = models() else { return };
    let img = page(&["Celkem k úhradě 1 234,50 Kč"], 900);
    let region = TextBox {
        left: 30,
        top: 30,
        right: 880,
        bottom: 95,
    };
    let read = ocr.read_line(&img, region).unwrap();
    assert_eq!(
        read.text.replace(' ', ""),
        "Celkemkúhradě1234,50Kč",
        "{read:?}"
    );
    assert!(read.confidence > 0.8, "{read:?}");
}

#[test]
fn a_rendered_page_is_detected_read_and_grouped_into_lines() {
    let Some(ocr) = models() else { return };
    let lines = ["TOTAL 31.80", "Date 19/03/2018", "Novák Trade s.r.o."];
    let img = page(&lines, 700);
    let boxes = ocr.detect(&img).unwrap();
    assert!(boxes.len() >= 3, "{boxes:?}");
    let text = ocr.read_page(&img).unwrap();
    let read: Vec<String> = text.lines.iter().map(|l| l.text.replace(' ', "")).collect();
    let want: Vec<String> = lines.iter().map(|l| l.replace(' ', "")).collect();
    assert_eq!(read, want);
    // Each line's words carry boxes inside the page, top to bottom.
    let tops: Vec<u32> = text.lines.iter().map(|l| l.words[0].top).collect();
    assert!(tops.windows(2).all(|w| w[0] < w[1]), "{tops:?}");
}
