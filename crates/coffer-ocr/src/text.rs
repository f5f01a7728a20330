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

    /// A line of these words, its text their texts one space apart.
    pub fn of_words(words: Vec<Word>) -> Line {
        let text = words
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        Line { text, words }
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
        // On a page photographed or scanned askew, the amount at the far right of a row
        // stands higher or lower than its label by the skew times the gap between them, up to
        // a whole line on a wide receipt turned by 2°: heights are compared along the skew.
        let skew = self.skew();
        let at = |w: &Word, x: u32| {
            let shift = skew * (x as f32 - w.left as f32);
            (w.top as f32 + shift, (w.top + w.height) as f32 + shift)
        };
        let mut consumed = vec![false; self.lines.len()];
        let mut out = Vec::new();
        for i in 0..self.lines.len() {
            if consumed[i] {
                continue;
            }
            let mut text = self.lines[i].text.clone();
            // The last word of the row so far: the next cell must start right of it, at its
            // height.
            let mut last = self.lines[i].words.iter().max_by_key(|w| w.left + w.width);
            while let Some(end) = last {
                let right = end.left + end.width;
                let next = (0..self.lines.len())
                    .filter(|&j| j != i && !consumed[j])
                    .filter_map(|j| {
                        let first = self.lines[j].words.iter().min_by_key(|w| w.left)?;
                        let (top, bottom) = at(end, first.left);
                        let (t, b) = (first.top as f32, (first.top + first.height) as f32);
                        let overlap = (bottom.min(b) - top.max(t)).max(0.0);
                        let shorter = (bottom - top).min(b - t).max(1.0);
                        (first.left >= right && overlap * 2.0 >= shorter).then_some((first.left, j))
                    })
                    .min();
                let Some((_, j)) = next else { break };
                text.push(' ');
                text.push_str(&self.lines[j].text);
                consumed[j] = true;
                last = self.lines[j].words.iter().max_by_key(|w| w.left + w.width);
            }
            out.push(text);
        }
        out
    }

    /// How far the page's lines fall per pixel to the right (negative when they rise): the
    /// median over lines of several words of the fall of the last word's bottom from the
    /// first's; 0 when no line has words far enough apart to tell.
    fn skew(&self) -> f32 {
        let mut slopes: Vec<f32> = self
            .lines
            .iter()
            .filter_map(|l| {
                let (first, last) = (l.words.first()?, l.words.last()?);
                let run = last.left as f32 - first.left as f32;
                let rise = (last.top + last.height) as f32 - (first.top + first.height) as f32;
                (run > 8.0 * first.height.max(1) as f32).then_some(rise / run)
            })
            .collect();
        slopes.sort_by(f32::total_cmp);
        slopes.get(slopes.len() / 2).copied().unwrap_or(0.0)
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
    fn on_a_page_turned_askew_amounts_are_joined_along_the_skew() {
        // Turned by about 2.3°: 4 pixels lower for every 100 to the right. The amounts 600
        // pixels right of their labels sit 24 pixels lower, nearer the next label's height.
        let askew = |words: &[(&str, u32, u32)]| Line {
            text: words.iter().map(|w| w.0).collect::<Vec<_>>().join(" "),
            words: (words.iter())
                .map(|&(text, left, top)| Word {
                    text: text.into(),
                    left,
                    top: top + left / 25,
                    width: 10 * text.chars().count() as u32,
                    height: 20,
                    confidence: 90.0,
                })
                .collect(),
        };
        let doc = DocumentText {
            lines: vec![
                askew(&[
                    ("Datum", 10, 40),
                    ("a", 80, 40),
                    ("čas:", 100, 40),
                    ("13.12.2026", 400, 40),
                ]),
                askew(&[("Total", 10, 100), (":", 70, 100)]),
                askew(&[("CASH", 10, 130), (":", 70, 130)]),
                askew(&[("99.00", 610, 100)]),
                askew(&[("100.00", 610, 130)]),
            ],
        };
        assert_eq!(
            doc.joined_lines(),
            ["Datum a čas: 13.12.2026", "Total : 99.00", "CASH : 100.00"]
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
