//! Greedy CTC decoding of the recogniser's output: per time step the likeliest class; repeats
//! collapse and the blank (class 0) separates them, so `hh-e-ll-ll-o` reads `hello`.

/// The text of one line and the mean probability of the characters kept (0–1).
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub text: String,
    pub confidence: f32,
}

/// Decodes `steps` rows of `classes` probabilities each (row-major, as the model emits them).
/// Class 0 is the CTC blank, class `k` is `alphabet[k - 1]`; a class past the alphabet is a
/// space (PP-OCR appends it to the dictionary).
pub fn greedy_decode(probs: &[f32], classes: usize, alphabet: &[String]) -> Decoded {
    let mut text = String::new();
    let mut kept: Vec<f32> = Vec::new();
    let mut previous = 0usize;
    for row in probs.chunks_exact(classes.max(1)) {
        let (best, p) = row
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |acc, (i, p)| if p > acc.1 { (i, p) } else { acc },
            );
        if best != 0 && best != previous {
            match alphabet.get(best - 1) {
                Some(ch) => text.push_str(ch),
                None => text.push(' '),
            }
            kept.push(p);
        }
        previous = best;
    }
    let confidence = if kept.is_empty() {
        0.0
    } else {
        kept.iter().sum::<f32>() / kept.len() as f32
    };
    Decoded {
        text: text.trim().to_string(),
        confidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One-hot rows for a sequence of classes, with `p` on the chosen class.
    fn rows(classes: usize, sequence: &[usize], p: f32) -> Vec<f32> {
        let mut out = Vec::new();
        for &c in sequence {
            let mut row = vec![(1.0 - p) / (classes - 1) as f32; classes];
            row[c] = p;
            out.extend(row);
        }
        out
    }

    fn alphabet() -> Vec<String> {
        "helo".chars().map(String::from).collect()
    }

    #[test]
    fn repeats_collapse_and_blanks_separate_doubled_letters() {
        // h h _ e _ l l _ l _ o  → "hello"; classes: 0 blank, 1 h, 2 e, 3 l, 4 o, 5 space.
        let probs = rows(6, &[1, 1, 0, 2, 0, 3, 3, 0, 3, 0, 4], 0.9);
        let d = greedy_decode(&probs, 6, &alphabet());
        assert_eq!(d.text, "hello");
        assert!((d.confidence - 0.9).abs() < 1e-5);
    }

    #[test]
    fn the_class_after_the_alphabet_is_a_space_and_edges_are_trimmed() {
        let probs = rows(6, &[5, 1, 2, 5, 5, 4, 5], 0.8);
        assert_eq!(greedy_decode(&probs, 6, &alphabet()).text, "he o");
        assert_eq!(
            greedy_decode(&rows(6, &[0, 0], 0.9), 6, &alphabet()).text,
            ""
        );
        assert_eq!(
            greedy_decode(&rows(6, &[0, 0], 0.9), 6, &alphabet()).confidence,
            0.0
        );
    }
}
