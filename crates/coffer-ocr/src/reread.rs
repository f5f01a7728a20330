//! The second recogniser where it pays: the lines that carry the total, the date and the
//! header (merchant) are read again with PP-OCRv6 from the boxes Tesseract found, and the
//! page with those lines replaced becomes one more reading for the vote. Reading a dozen
//! lines costs a fraction of reading the page, and these are the lines the fields come from.

use std::sync::LazyLock;

use image::GrayImage;
use rayon::prelude::*;

use crate::dates::find_dates;
use crate::ppocr::{Decoded, PaddleOcr, TextBox};
use crate::text::{DocumentText, Line, Word, fold};
use crate::words::{Words, all, any_word};

/// Lines from the top that may hold the merchant's name.
const HEADER_LINES: usize = 5;
/// A total Tesseract's reading is this sure of (another printed figure confirms it, or it is
/// labelled as payable twice) is not read again: on the dev receipts that reading was right
/// 33 times in 34, and the lines read again never gave another total. A payable label alone
/// is not enough: its amount may be misread (`690.08` for `690.00`).
pub const SETTLED_TOTAL: f32 = 0.9;
/// A re-read line replaces Tesseract's only when PP-OCR is at least this sure of it.
const MIN_CONFIDENCE: f32 = 0.6;
/// Pixels added around a line's box: Tesseract's boxes hug the ink, the recogniser wants a
/// margin as in training.
const MARGIN: u32 = 6;

/// Labels of the lines that carry money: a line with one of them and no figure lost its
/// amount.
static MONEY_LABELS: Words = LazyLock::new(|| {
    [
        all(|l| l.payable),
        all(|l| l.gross),
        all(|l| l.total),
        all(|l| l.subtotal),
        all(|l| l.tendered),
        all(|l| l.change),
        all(|l| l.rounding),
    ]
    .concat()
});

/// Labels of the lines that carry a date.
static DATE_LABELS: Words =
    LazyLock::new(|| [all(|l| l.issue_date), all(|l| l.date_label)].concat());

/// Labels of the lines that carry money or a date.
static KEY_LABELS: Words =
    LazyLock::new(|| [MONEY_LABELS.clone(), all(|l| l.tax), DATE_LABELS.clone()].concat());

/// The rest of the row right of a money label that Tesseract read without its amount and
/// with nothing beside it: from the label to a little beyond the right edge of the page's
/// text, at the label's height. Tesseract drops a lone amount far right of its label now and
/// then (beside a rule of `====` it took for a picture); the second recogniser reads the strip.
fn lost_amount(text: &DocumentText, i: usize, page: &GrayImage, text_right: u32) -> Option<Piece> {
    let line = &text.lines[i];
    if line.text.chars().any(|c| c.is_ascii_digit()) || !any_word(&fold(&line.text), &MONEY_LABELS)
    {
        return None;
    }
    let label = Piece::of(&line.words, page)?;
    let beside = text.lines.iter().enumerate().any(|(j, other)| {
        j != i
            && other.words.iter().any(|w| {
                w.left >= label.read.right
                    && w.top < label.read.bottom
                    && w.top + w.height > label.read.top
            })
    });
    // A total printed large reaches further right than the rest.
    let right = (text_right + 2 * label.read.height()).min(page.width());
    if beside { None } else { label.strip_to(right) }
}

/// The value of a date label that Tesseract read without a date: from the label's colon to
/// the next label of the row (a word ending in a colon), else to a little beyond the right
/// edge of the page's text, at the label's height. A speckled grid of labels and values
/// garbles the value (`2202500`, `© © 2025-`); the second recogniser reads the strip whole.
fn lost_date(text: &DocumentText, i: usize, page: &GrayImage, text_right: u32) -> Option<Piece> {
    let line = &text.lines[i];
    if !find_dates(&line.text).is_empty() {
        return None;
    }
    let words = &line.words;
    let colon = words.iter().position(|w| w.text.ends_with(':'))?;
    let label: Vec<&str> = words[..=colon].iter().map(|w| w.text.as_str()).collect();
    if !any_word(&fold(&label.join(" ")), &DATE_LABELS) {
        return None;
    }
    let label = Piece::of(&words[..=colon], page)?;
    let next_label = (words[colon + 1..].iter())
        .find(|w| w.text.chars().count() > 2 && w.text.ends_with(':'))
        .map(|w| w.left.saturating_sub(MARGIN));
    label.strip_to(next_label.unwrap_or((text_right + 2 * label.read.height()).min(page.width())))
}

/// Which lines to read again: the header, lines with a date or with a total, payment, tax
/// or date label, and the line after a label (the value OCR split from it). Once the total
/// is settled, its lines are not read again.
fn key_lines(text: &DocumentText, total_settled: bool) -> Vec<usize> {
    let labels = if total_settled {
        &DATE_LABELS
    } else {
        &KEY_LABELS
    };
    let mut out = Vec::new();
    for (i, line) in text.lines.iter().enumerate() {
        let labelled = any_word(&fold(&line.text), labels);
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

/// A piece of a line to read again: the box around its ink, which the word read there gets
/// (as Tesseract's words have: a line's height is that of its letters), and the box read,
/// with a margin, inside the page.
#[derive(Clone, Copy)]
struct Piece {
    ink: TextBox,
    read: TextBox,
}

impl Piece {
    /// The piece that holds some words of a line.
    fn of(words: &[Word], page: &GrayImage) -> Option<Piece> {
        let ink = TextBox {
            left: words.iter().map(|w| w.left).min()?,
            top: words.iter().map(|w| w.top).min()?,
            right: words.iter().map(|w| w.left + w.width).max()?,
            bottom: words.iter().map(|w| w.top + w.height).max()?,
        };
        let (pw, ph) = page.dimensions();
        let read = TextBox {
            left: ink.left.saturating_sub(MARGIN),
            top: ink.top.saturating_sub(MARGIN),
            right: (ink.right + MARGIN).min(pw),
            bottom: (ink.bottom + MARGIN).min(ph),
        };
        (read.right > read.left && read.bottom > read.top).then_some(Piece { ink, read })
    }

    /// The rest of the row right of this piece (a label), up to `right`, at its height; `None`
    /// when that is too short to hold a value (four times its height).
    fn strip_to(&self, right: u32) -> Option<Piece> {
        let read = TextBox {
            left: self.read.right,
            right,
            ..self.read
        };
        let ink = TextBox {
            top: self.ink.top,
            bottom: self.ink.bottom,
            ..read
        };
        (read.right > read.left + 4 * read.height()).then_some(Piece { ink, read })
    }
}

/// The page's text with its key lines as PP-OCRv6 reads them on `page` (the grey page turned
/// as Tesseract read it); `None` when no line was read with confidence. `total_settled`
/// when Tesseract's reading is sure of the total (`SETTLED_TOTAL`).
pub fn reread_key_lines(
    ocr: &PaddleOcr,
    page: &GrayImage,
    text: &DocumentText,
    total_settled: bool,
) -> Option<DocumentText> {
    // Each cell of a line on its own (the recogniser joins words far apart without a space),
    // as one word with its box: the geometry that keeps a layout's columns apart and joins
    // label and amount columns. A line with a cell outside the page is left as it is.
    // A money label without its amount has the rest of its row read too, last, up to the
    // right edge of the page's text.
    let text_right = (text.lines.iter().flat_map(|l| &l.words))
        .map(|w| w.left + w.width)
        .max()
        .unwrap_or(0);
    let lines: Vec<(usize, Vec<Piece>, Option<Piece>)> = key_lines(text, total_settled)
        .into_iter()
        .filter_map(|i| {
            let cells = text.lines[i].cells();
            let pieces: Option<Vec<Piece>> = cells.iter().map(|c| Piece::of(c, page)).collect();
            let strip = (!total_settled)
                .then(|| lost_amount(text, i, page, text_right))
                .flatten()
                .or_else(|| lost_date(text, i, page, text_right));
            pieces.map(|p| (i, p, strip))
        })
        .collect();
    // All cells at once on the runtime's threads: one small line keeps two cores only partly
    // busy, two lines at a time keep both busy.
    let regions: Vec<TextBox> = lines
        .iter()
        .flat_map(|(_, p, strip)| p.iter().chain(strip))
        .map(|p| p.read)
        .collect();
    let reads: Vec<Decoded> = rten::thread_pool()
        .run(|| {
            regions
                .par_iter()
                .map(|&region| ocr.read_line(page, region))
                .collect::<Result<_, _>>()
        })
        .ok()?;
    let mut reads = reads.into_iter();
    let mut out = text.clone();
    let mut changed = false;
    let word = |piece: &Piece, read: Decoded| {
        (read.confidence >= MIN_CONFIDENCE && !read.text.is_empty()).then(|| Word {
            text: read.text,
            left: piece.ink.left,
            top: piece.ink.top,
            width: piece.ink.width(),
            height: piece.ink.height(),
            confidence: read.confidence * 100.0,
        })
    };
    for (i, pieces, strip) in lines {
        let line_reads: Vec<Decoded> = reads.by_ref().take(pieces.len()).collect();
        // A line is replaced only when every cell of it was read with confidence.
        let words: Option<Vec<Word>> = pieces
            .iter()
            .zip(line_reads)
            .map(|(piece, read)| word(piece, read))
            .collect();
        // The rest of the row counts when something was read there with confidence, in place
        // of what the line had there.
        let rest = strip.and_then(|piece| word(&piece, reads.next()?));
        let Some(mut words) = words.filter(|w| !w.is_empty()) else {
            continue;
        };
        if let Some(rest) = rest {
            words.retain(|w| w.left < rest.left || w.left + w.width > rest.left + rest.width);
            words.push(rest);
            words.sort_by_key(|w| w.left);
        }
        let read = Line::of_words(words);
        changed |= read.text != text.lines[i].text;
        out.lines[i] = read;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use coffer_testkit::samples::synth;

    use super::*;

    fn line(text: &str) -> Line {
        Line::plain(text)
    }

    /// The second recogniser, a rendered receipt and Tesseract's reading of it; `None` (the
    /// test skips) when the PP-OCRv6 models are not installed.
    fn rendered_receipt() -> Option<(PaddleOcr, synth::SyntheticDocument, GrayImage, DocumentText)>
    {
        let dir = crate::ppocr::model_dir().map(|d| d.join(crate::ppocr::MODEL_SET));
        let Some(ocr) = dir.and_then(|d| PaddleOcr::load(&d).ok()) else {
            eprintln!("SKIPPED: the PP-OCRv6 models are not installed");
            return None;
        };
        let doc = synth::generate(21, false, false);
        let page = synth::render(&doc, 21, 0.0);
        let read = crate::local::recognize(&page, crate::DEFAULT_LANGUAGES, false)
            .unwrap()
            .text;
        Some((ocr, doc, page, read))
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
        assert_eq!(key_lines(&text, false), vec![0, 1, 2, 3, 4, 7, 8, 10]);
        // Once Tesseract's reading is sure of the total, its lines are left as they are.
        assert_eq!(key_lines(&text, true), vec![0, 1, 2, 3, 4, 10]);
    }

    /// On a rendered receipt whose total line Tesseract read without its amount, the rest
    /// of the row is read and the amount comes back on the label's line; when the amount is
    /// a line of its own beside the label, it is left to be joined there.
    #[test]
    fn a_money_label_read_without_its_amount_has_the_rest_of_its_row_read() {
        let Some((ocr, doc, page, read)) = rendered_receipt() else {
            return;
        };
        let i = (read.lines.iter())
            .position(|l| fold(&l.text).contains("celkem k uhrade"))
            .expect("Tesseract read the total line");
        let (label, amount): (Vec<Word>, Vec<Word>) = (read.lines[i].words.iter().cloned())
            .partition(|w| !w.text.chars().any(|c| c.is_ascii_digit()) && w.text != "Kč");
        let printed = synth::czech_amount(doc.total);
        let squeeze = |s: &str| s.replace(' ', "");

        let mut lost = read.clone();
        lost.lines[i] = Line::of_words(label.clone());
        let again = reread_key_lines(&ocr, &page, &lost, false).expect("the key lines are read");
        assert!(
            squeeze(&again.lines[i].text).contains(&squeeze(&printed)),
            "{:?} for {printed}",
            again.lines[i].text
        );

        let mut apart = read.clone();
        apart.lines[i] = Line::of_words(label);
        apart.lines.push(Line::of_words(amount));
        let again = reread_key_lines(&ocr, &page, &apart, false).expect("the key lines are read");
        assert!(
            !again.lines[i].text.chars().any(|c| c.is_ascii_digit()),
            "{:?}",
            again.lines[i].text
        );
    }

    /// On a rendered receipt whose date line Tesseract read as its label alone (the date's
    /// ink lost to a speckled grid, or put on a line of its own), the rest of the row is read
    /// and the date comes back on the label's line.
    #[test]
    fn a_date_label_read_without_its_date_has_the_rest_of_its_row_read() {
        let Some((ocr, doc, page, read)) = rendered_receipt() else {
            return;
        };
        let i = (read.lines.iter())
            .position(|l| l.text.starts_with("Datum:"))
            .expect("Tesseract read the date line");
        let mut lost = read.clone();
        lost.lines[i] = Line::of_words(read.lines[i].words[..1].to_vec());
        assert_eq!(lost.lines[i].text, "Datum:");
        let again = reread_key_lines(&ocr, &page, &lost, false).expect("the key lines are read");
        let dates: Vec<_> = (find_dates(&again.lines[i].text).into_iter())
            .map(|m| m.date)
            .collect();
        assert_eq!(dates, [doc.date], "{:?}", again.lines[i].text);
    }

    /// On a rendered receipt whose Tesseract words were all blotted out (the lines' text
    /// kept, so that the key lines are found), the key lines come back as printed, each cell
    /// its own word in its own box, and the other lines stay as they were: every cell's
    /// reading lands on its own line, however many cells are read at once.
    #[test]
    fn each_key_line_gets_the_reading_of_its_own_cells() {
        let Some((ocr, doc, page, mut blotted)) = rendered_receipt() else {
            return;
        };
        for line in &mut blotted.lines {
            line.words.iter_mut().for_each(|w| w.text = "#".into());
            line.text.push_str(" #");
        }
        let keys = key_lines(&blotted, false);
        let again = reread_key_lines(&ocr, &page, &blotted, false).expect("the key lines are read");
        // Compared without spaces and accents (the render's noise costs an accent or two).
        let squeeze = |s: &str| fold(s).replace(' ', "");
        let printed: Vec<String> = (doc.lines.iter())
            .filter(|l| l.chars().any(char::is_alphanumeric))
            .map(|l| squeeze(l))
            .collect();
        assert_eq!(
            blotted.lines.len(),
            printed.len(),
            "Tesseract found every line"
        );
        for (i, (line, before)) in again.lines.iter().zip(&blotted.lines).enumerate() {
            let boxes = |l: &Line| {
                (l.words.iter())
                    .map(|w| (w.left, w.top, w.top + w.height))
                    .collect::<Vec<_>>()
            };
            let cells: Vec<(u32, u32, u32)> = (before.cells().iter())
                .map(|c| {
                    let top = c.iter().map(|w| w.top).min().unwrap();
                    let bottom = c.iter().map(|w| w.top + w.height).max().unwrap();
                    (c[0].left, top, bottom)
                })
                .collect();
            if keys.contains(&i) {
                assert_eq!(squeeze(&line.text), printed[i], "line {i}: {line:?}");
                // Each cell's word where its ink is, as Tesseract's words are: no taller.
                assert_eq!(boxes(line), cells, "line {i}");
            } else {
                assert_eq!(line, before, "line {i} is not a key line");
            }
        }
        assert!(
            keys.len() >= 8 && keys.len() < blotted.lines.len(),
            "{keys:?}"
        );
    }
}
