//! The recognised text of a document as lines with optional word boxes, the common input of
//! the field extractor whatever produced it (Tesseract, a PDF's text layer, a remote model).

use serde::{Deserialize, Serialize};

/// One recognised word with its box in page pixels and Tesseract's confidence (0–100).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub text: String,
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
    pub confidence: f32,
}

/// One line of text; `words` is empty when the source had no geometry (PDF text, remote OCR).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub text: String,
    pub words: Vec<Word>,
}

impl Line {
    pub fn plain(text: impl Into<String>) -> Line {
        Line {
            text: text.into(),
            words: Vec::new(),
        }
    }

    /// Median word height in pixels, when the line has boxes.
    pub fn height(&self) -> Option<u32> {
        let mut heights: Vec<u32> = self
            .words
            .iter()
            .filter(|w| w.text.chars().any(char::is_alphanumeric))
            .map(|w| w.height)
            .collect();
        heights.sort_unstable();
        heights.get(heights.len() / 2).copied()
    }

    /// The line's words in runs split where words stand further apart than three times the
    /// line's height: the cells of a layout (the supplier beside the customer, a label and
    /// its amount), not the wide spacing of a receipt's letterhead.
    pub fn cells(&self) -> Vec<&[Word]> {
        let height = 3 * self.height().unwrap_or(0).max(1);
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..self.words.len() {
            let right = self.words[i - 1].left + self.words[i - 1].width;
            if self.words[i].left.saturating_sub(right) > height {
                out.push(&self.words[start..i]);
                start = i;
            }
        }
        if start < self.words.len() {
            out.push(&self.words[start..]);
        }
        out
    }
}

/// The text of a whole document, pages concatenated in reading order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentText {
    pub lines: Vec<Line>,
}

impl DocumentText {
    /// Splits plain text into lines, dropping blank ones.
    pub fn from_plain(text: &str) -> DocumentText {
        DocumentText {
            lines: text
                .lines()
                .map(str::trim_end)
                .filter(|l| !l.trim().is_empty())
                .map(Line::plain)
                .collect(),
        }
    }

    pub fn append(&mut self, other: DocumentText) {
        self.lines.extend(other.lines);
    }

    pub fn to_plain(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&line.text);
            out.push('\n');
        }
        out
    }

    /// Line texts, with a line that lies entirely to the right of another at the same height
    /// appended to it: Tesseract sometimes reads a column of labels and a column of amounts as
    /// separate blocks, and `Total :` must meet its `31.80` again. Lines without boxes stay.
    pub fn joined_lines(&self) -> Vec<String> {
        let boxes: Vec<Option<(u32, u32, u32, u32)>> = self
            .lines
            .iter()
            .map(|l| {
                let left = l.words.iter().map(|w| w.left).min()?;
                let right = l.words.iter().map(|w| w.left + w.width).max()?;
                let top = l.words.iter().map(|w| w.top).min()?;
                let bottom = l.words.iter().map(|w| w.top + w.height).max()?;
                Some((left, right, top, bottom))
            })
            .collect();
        let mut consumed = vec![false; self.lines.len()];
        let mut out = Vec::new();
        for i in 0..self.lines.len() {
            if consumed[i] {
                continue;
            }
            let mut text = self.lines[i].text.clone();
            if let Some((_, mut right, top, bottom)) = boxes[i] {
                let mut right_of: Vec<(u32, usize)> = (0..self.lines.len())
                    .filter(|&j| j != i && !consumed[j])
                    .filter_map(|j| {
                        let (l, _, t, b) = boxes[j]?;
                        let overlap = bottom.min(b).saturating_sub(top.max(t));
                        let shorter = (bottom - top).min(b - t).max(1);
                        (l >= right && overlap * 2 >= shorter).then_some((l, j))
                    })
                    .collect();
                right_of.sort_unstable();
                for (l, j) in right_of {
                    if l >= right {
                        text.push(' ');
                        text.push_str(&self.lines[j].text);
                        consumed[j] = true;
                        right = boxes[j].map_or(right, |b| b.1);
                    }
                }
            }
            out.push(text);
        }
        out
    }

    /// Line texts laid out as `pdftotext -layout` lays out a text layer: each word at the
    /// character column of its position on the page, and the cells of a line
    /// ([`Line::cells`]: the supplier beside the customer) three spaces apart at least, so
    /// that a layout's cells and columns can be told on scans too. Lines without boxes stay
    /// as they are.
    pub fn layout_lines(&self) -> Vec<String> {
        let mut widths: Vec<f32> = self
            .lines
            .iter()
            .flat_map(|l| &l.words)
            .filter(|w| w.text.chars().count() >= 2)
            .map(|w| w.width as f32 / w.text.chars().count() as f32)
            .collect();
        widths.sort_by(f32::total_cmp);
        let Some(&char_width) = widths.get(widths.len() / 2).filter(|&&w| w > 0.0) else {
            return self.lines.iter().map(|l| l.text.clone()).collect();
        };
        self.lines
            .iter()
            .map(|line| {
                if line.words.is_empty() {
                    return line.text.clone();
                }
                let mut out = String::new();
                let mut length = 0;
                for (n, cell) in line.cells().into_iter().enumerate() {
                    for (k, word) in cell.iter().enumerate() {
                        let column = (word.left as f32 / char_width).round() as usize;
                        let spaces = match (n, k) {
                            (0, 0) => column,
                            (_, 0) => column.saturating_sub(length).max(3),
                            _ => 1,
                        };
                        out.extend(std::iter::repeat_n(' ', spaces));
                        out.push_str(&word.text);
                        length += spaces + word.text.chars().count();
                    }
                }
                out
            })
            .collect()
    }

    pub fn is_blank(&self) -> bool {
        self.lines.iter().all(|l| l.text.trim().is_empty())
    }
}

/// Lower-cases and strips the diacritics of the languages we serve, so keywords match text
/// that OCR read without accents (`K uhrade` for `K úhradě`).
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ą' | 'ã' | 'å' => 'a',
            'č' | 'ć' | 'ç' => 'c',
            'ď' => 'd',
            'é' | 'ě' | 'è' | 'ê' | 'ë' | 'ę' => 'e',
            'í' | 'î' | 'ï' | 'ì' => 'i',
            'ĺ' | 'ľ' | 'ł' => 'l',
            'ň' | 'ń' | 'ñ' => 'n',
            'ó' | 'ô' | 'ö' | 'ò' | 'õ' | 'ő' => 'o',
            'ř' | 'ŕ' => 'r',
            'š' | 'ś' => 's',
            'ť' => 't',
            'ú' | 'ů' | 'ü' | 'ù' | 'û' | 'ű' => 'u',
            'ý' | 'ÿ' => 'y',
            'ž' | 'ź' | 'ż' => 'z',
            'ß' => 's',
            other => other,
        })
        .collect()
}

/// True when `needle` occurs in `folded` starting and ending at word boundaries.
pub fn has_word(folded: &str, needle: &str) -> bool {
    folded.match_indices(needle).any(|(i, _)| {
        let before = folded[..i].chars().next_back();
        let after = folded[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, left: u32, top: u32) -> Line {
        let words = text
            .split(' ')
            .enumerate()
            .map(|(i, w)| Word {
                text: w.into(),
                left: left + 60 * i as u32,
                top,
                width: 50,
                height: 20,
                confidence: 90.0,
            })
            .collect();
        Line {
            text: text.into(),
            words,
        }
    }

    #[test]
    fn a_column_of_amounts_is_joined_to_its_labels() {
        let doc = DocumentText {
            lines: vec![
                line("Total :", 10, 100),
                line("CASH :", 10, 130),
                line("99.00", 400, 102),
                line("100.00", 400, 131),
            ],
        };
        assert_eq!(
            doc.joined_lines(),
            vec!["Total : 99.00".to_string(), "CASH : 100.00".to_string()]
        );
    }

    #[test]
    fn scanned_words_are_laid_out_in_columns_like_a_text_layer() {
        let word = |text: &str, left: u32, top: u32| Word {
            text: text.into(),
            left,
            top,
            width: 10 * text.chars().count() as u32,
            height: 20,
            confidence: 90.0,
        };
        let doc = DocumentText {
            lines: vec![
                Line {
                    text: "Dodavatel: Odběratel:".into(),
                    words: vec![word("Dodavatel:", 0, 0), word("Odběratel:", 300, 0)],
                },
                Line {
                    text: "Novák Trade s.r.o. Zákazník a.s.".into(),
                    words: vec![
                        word("Novák", 10, 30),
                        word("Trade", 70, 30),
                        word("s.r.o.", 130, 30),
                        word("Zákazník", 300, 30),
                        word("a.s.", 390, 30),
                    ],
                },
                Line::plain("no boxes"),
            ],
        };
        assert_eq!(
            doc.layout_lines(),
            [
                format!("Dodavatel:{}Odběratel:", " ".repeat(20)),
                format!(" Novák Trade s.r.o.{}Zákazník a.s.", " ".repeat(11)),
                "no boxes".to_string(),
            ]
        );
    }

    #[test]
    fn folding_strips_czech_and_german_accents() {
        assert_eq!(fold("K ÚHRADĚ"), "k uhrade");
        assert_eq!(fold("Straße Größe"), "strase grose");
    }

    #[test]
    fn whole_words_do_not_match_inside_longer_words() {
        assert!(has_word("total 12.00", "total"));
        assert!(!has_word("subtotal 12.00", "total"));
        assert!(has_word("celkem k uhrade:", "k uhrade"));
    }
}
