//! The second recogniser where it pays: the lines that carry the total, the date and the
//! header (merchant) are read again with PP-OCRv6 from the boxes Tesseract found, and the
//! page with those lines replaced becomes one more reading for the vote. Reading a dozen
//! lines costs a fraction of reading the page, and these are the lines the fields come from.

use std::sync::LazyLock;

use image::GrayImage;

use crate::dates::find_dates;
use crate::ppocr::{PaddleOcr, TextBox};
use crate::text::{DocumentText, Line, Word, fold};
use crate::words::{Words, all, any_word};

/// Lines from the top that may hold the merchant's name.
const HEADER_LINES: usize = 5;
/// A re-read line replaces Tesseract's only when PP-OCR is at least this sure of it.
const MIN_CONFIDENCE: f32 = 0.6;
/// Pixels added around a line's box: Tesseract's boxes hug the ink, the recogniser wants a
/// margin as in training.
const MARGIN: u32 = 6;

/// Labels of the lines that carry money or a date.
static KEY_LABELS: Words = LazyLock::new(|| {
    [
        all(|l| l.payable),
        all(|l| l.gross),
        all(|l| l.total),
        all(|l| l.subtotal),
        all(|l| l.tendered),
        all(|l| l.change),
        all(|l| l.rounding),
        all(|l| l.tax),
        all(|l| l.issue_date),
        all(|l| l.date_label),
    ]
    .concat()
});

/// Which lines to read again: the header, lines with a total, payment, tax or date label,
/// lines with a date, and the line after a label (an amount OCR split from it).
fn key_lines(text: &DocumentText) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, line) in text.lines.iter().enumerate() {
        let labelled = any_word(&fold(&line.text), &KEY_LABELS);
        if i < HEADER_LINES || labelled || !find_dates(&line.text).is_empty() {
            out.push(i);
            if labelled && i + 1 < text.lines.len() {
                out.push(i + 1);
            }
        }
    }
    out.dedup();
    out
}

/// The box around some words of a line, with a margin, inside the page.
fn words_box(words: &[Word], page: &GrayImage) -> Option<TextBox> {
    let left = words.iter().map(|w| w.left).min()?;
    let top = words.iter().map(|w| w.top).min()?;
    let right = words.iter().map(|w| w.left + w.width).max()?;
    let bottom = words.iter().map(|w| w.top + w.height).max()?;
    let (pw, ph) = page.dimensions();
    let b = TextBox {
        left: left.saturating_sub(MARGIN),
        top: top.saturating_sub(MARGIN),
        right: (right + MARGIN).min(pw),
        bottom: (bottom + MARGIN).min(ph),
    };
    (b.right > b.left && b.bottom > b.top).then_some(b)
}

/// The page's text with its key lines as PP-OCRv6 reads them on `page` (the grey page turned
/// as Tesseract read it); `None` when no line was read with confidence.
pub fn reread_key_lines(
    ocr: &PaddleOcr,
    page: &GrayImage,
    text: &DocumentText,
) -> Option<DocumentText> {
    let mut out = text.clone();
    let mut changed = false;
    'lines: for i in key_lines(text) {
        // Each cell of the line on its own (the recogniser joins words far apart without a
        // space), as one word with its box: the geometry that keeps a layout's columns apart
        // and joins label and amount columns.
        let mut words = Vec::new();
        for cell in text.lines[i].cells() {
            let Some(region) = words_box(cell, page) else {
                continue 'lines;
            };
            let Ok(read) = ocr.read_line(page, region) else {
                return None;
            };
            if read.confidence < MIN_CONFIDENCE || read.text.is_empty() {
                continue 'lines;
            }
            words.push(Word {
                text: read.text,
                left: region.left,
                top: region.top,
                width: region.width(),
                height: region.height(),
                confidence: read.confidence * 100.0,
            });
        }
        if words.is_empty() {
            continue;
        }
        let read = words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        changed |= read != text.lines[i].text;
        out.lines[i] = Line { words, text: read };
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line::plain(text)
    }

    #[test]
    fn the_header_and_the_lines_with_money_and_dates_are_read_again() {
        let text = DocumentText {
            lines: [
                "SHOP",
                "Street 1",
                "Town",
                "Tel 123",
                "Open daily",
                "Bread 2.00",
                "Milk 1.00",
                "TOTAL",
                "3.00",
                "Thank you",
                "19/03/2018 10:00",
                "Come again",
            ]
            .map(line)
            .to_vec(),
        };
        assert_eq!(key_lines(&text), vec![0, 1, 2, 3, 4, 7, 8, 10]);
    }
}
