//! Local OCR with the system libtesseract: one engine per thread and language set (the engine
//! is not `Send` and costs a fraction of a second to start), word boxes from Tesseract's TSV,
//! orientation detection by recognising low-confidence pages again turned, and a helper
//! thread with an engine of its own that reads a second page beside this thread's while a
//! core would otherwise stay idle.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{LazyLock, Mutex, TryLockError};

use image::GrayImage;
use image::imageops::{rotate90, rotate180, rotate270};
use tesseract::{PageSegMode, Tesseract};

use crate::error::OcrError;
use crate::text::{DocumentText, Line, Word};

/// Mean word confidence (0–100) below which a page is also read turned by 180°: upside-down
/// text still scores about 45, upright receipts mostly 65–90.
const UPRIGHT_CONFIDENCE: f32 = 62.0;
/// Below this, even after the 180° check, the page may lie on its side.
const SIDEWAYS_CONFIDENCE: f32 = 40.0;

thread_local! {
    static ENGINE: RefCell<Option<(String, Tesseract)>> = const { RefCell::new(None) };
}

/// The recognised text of one page, Tesseract's mean word confidence for it, and how the page
/// was turned to read it.
pub struct PageResult {
    pub text: DocumentText,
    pub confidence: f32,
    pub turn: Turn,
}

/// Clockwise quarter turns applied to a page before it was read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Turn {
    #[default]
    Upright,
    Quarter,
    Half,
    ThreeQuarters,
}

impl Turn {
    /// The page turned this way (a copy even when upright).
    pub fn apply(self, gray: &GrayImage) -> GrayImage {
        match self {
            Turn::Upright => gray.clone(),
            Turn::Quarter => rotate90(gray),
            Turn::Half => rotate180(gray),
            Turn::ThreeQuarters => rotate270(gray),
        }
    }

    /// Turned a quarter either way, a till receipt becomes tall: read it as one column.
    fn is_sideways(self) -> bool {
        matches!(self, Turn::Quarter | Turn::ThreeQuarters)
    }
}

fn new_engine(languages: &str) -> Result<Tesseract, OcrError> {
    let init_error = |reason: String| OcrError::TesseractInit {
        languages: languages.to_string(),
        reason,
    };
    Tesseract::new(None, Some(languages))
        .map_err(|e| init_error(e.to_string()))?
        .set_variable("debug_file", "/dev/null")
        .map_err(|e| init_error(e.to_string()))
}

/// Checks that Tesseract starts with these languages (for a clear error before a batch).
pub fn check_languages(languages: &str) -> Result<(), OcrError> {
    with_engine(languages, |engine| Ok((engine, ())))
}

/// Runs `f` with this thread's engine for `languages`, creating it when needed. `f` hands the
/// engine back on success; after a failure the engine is dropped and rebuilt next time.
fn with_engine<T>(
    languages: &str,
    f: impl FnOnce(Tesseract) -> Result<(Tesseract, T), OcrError>,
) -> Result<T, OcrError> {
    let cached = ENGINE.with(|cell| cell.borrow_mut().take());
    let engine = match cached {
        Some((langs, engine)) if langs == languages => engine,
        _ => new_engine(languages)?,
    };
    let (engine, value) = f(engine)?;
    ENGINE.with(|cell| *cell.borrow_mut() = Some((languages.to_string(), engine)));
    Ok(value)
}

/// Recognises one grayscale page as it is.
pub fn recognize(
    gray: &GrayImage,
    languages: &str,
    single_column: bool,
) -> Result<PageResult, OcrError> {
    let (w, h) = (gray.width(), gray.height());
    if w < 8 || h < 8 {
        return Err(OcrError::BadImage {
            reason: format!("{w}×{h} pixels is too small to read"),
        });
    }
    let fail = |e: &dyn std::fmt::Display| OcrError::Recognition {
        reason: e.to_string(),
    };
    with_engine(languages, |engine| {
        let mut engine = engine
            .set_frame(gray.as_raw(), w as i32, h as i32, 1, w as i32)
            .map_err(|e| fail(&e))?
            .set_source_resolution(300);
        engine.set_page_seg_mode(if single_column {
            PageSegMode::PsmSingleColumn
        } else {
            PageSegMode::PsmAuto
        });
        let mut engine = engine.recognize().map_err(|e| fail(&e))?;
        let tsv = engine.get_tsv_text(0).map_err(|e| fail(&e))?;
        let confidence = engine.mean_text_conf() as f32;
        Ok((
            engine,
            PageResult {
                text: parse_tsv(&tsv),
                confidence,
                turn: Turn::Upright,
            },
        ))
    })
}

/// Recognises a page; when the result is unconvincing, also reads it turned by 180° (and, if
/// still poor, by 90° and 270°) and keeps the orientation Tesseract is most confident about.
pub fn recognize_upright(
    gray: &GrayImage,
    languages: &str,
    single_column: bool,
) -> Result<PageResult, OcrError> {
    let first = recognize(gray, languages, single_column)?;
    if first.confidence >= UPRIGHT_CONFIDENCE {
        return Ok(first);
    }
    let mut best = first;
    let turned = recognize_turned(gray, Turn::Half, languages, single_column)?;
    if turned.confidence > best.confidence + 10.0 {
        best = turned;
    }
    if best.confidence >= SIDEWAYS_CONFIDENCE {
        return Ok(best);
    }
    for turn in [Turn::Quarter, Turn::ThreeQuarters] {
        let attempt = recognize_turned(gray, turn, languages, single_column)?;
        if attempt.confidence > best.confidence + 10.0 {
            best = attempt;
        }
    }
    Ok(best)
}

/// Recognises a page turned as given (an orientation found by an earlier reading).
pub fn recognize_turned(
    gray: &GrayImage,
    turn: Turn,
    languages: &str,
    single_column: bool,
) -> Result<PageResult, OcrError> {
    if turn == Turn::Upright {
        return recognize(gray, languages, single_column);
    }
    let turned = turn.apply(gray);
    let tall = turn.is_sideways() && turned.height() as f32 > 1.3 * turned.width() as f32;
    let mut page = recognize(&turned, languages, single_column || tall)?;
    page.turn = turn;
    Ok(page)
}

/// Pages being read in this process now (`Busy` counts them).
static READING: AtomicUsize = AtomicUsize::new(0);

/// Counts a document being read while it lives, so that `side_by_side` knows whether a core
/// is idle.
pub struct Busy;

impl Busy {
    pub fn start() -> Busy {
        READING.fetch_add(1, Ordering::SeqCst);
        Busy
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        READING.fetch_sub(1, Ordering::SeqCst);
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The helper thread's queue, started on first use (`None` when the thread could not start),
/// and held by the one reading that uses it at a time.
static HELPER: LazyLock<Mutex<Option<mpsc::Sender<Job>>>> = LazyLock::new(|| {
    let (jobs, queue) = mpsc::channel::<Job>();
    let started = std::thread::Builder::new()
        .name("coffer-ocr-helper".into())
        .spawn(move || queue.into_iter().for_each(|job| job()));
    Mutex::new(started.ok().map(|_| jobs))
});

/// Runs `there` on the helper thread while `here` runs on this one when a core is idle (one
/// document being read and a second core), else both here, `there` first. The helper keeps a
/// Tesseract engine of its own once it has read a page (about 45 MB). A panic in `there`
/// reaches the caller as it would had `there` run here, and the helper lives on.
pub fn side_by_side<A: Send + 'static, B>(
    there: impl FnOnce() -> A + Send + 'static,
    here: impl FnOnce() -> B,
) -> (A, B) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let idle = READING.load(Ordering::SeqCst) < cores;
    // Held by another reading: this one runs both here. A panic while it was held left no
    // harm in the queue, so a poisoned lock is taken as it is.
    let helper = if idle {
        match HELPER.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    } else {
        None
    };
    let Some(jobs) = helper.as_ref().and_then(|h| h.as_ref()) else {
        return (there(), here());
    };
    let (reply, answer) = mpsc::sync_channel(1);
    // The caller waits for the answer, unless `here` panicked.
    let job: Job = Box::new(move || drop(reply.send(panic::catch_unwind(AssertUnwindSafe(there)))));
    // A queue whose thread is gone hands the job back, to be run here first.
    if let Err(mpsc::SendError(job)) = jobs.send(job) {
        job();
    }
    let here = here();
    // Every job sends its answer (a panic is caught), so only a helper thread that was killed
    // leaves none; the thread is then gone for good, and its absence is a bug worth a panic.
    match answer
        .recv()
        .expect("the OCR helper thread answers every job")
    {
        Ok(there) => (there, here),
        Err(payload) => panic::resume_unwind(payload),
    }
}

/// Groups Tesseract's TSV words (level 5) into lines in reading order.
pub fn parse_tsv(tsv: &str) -> DocumentText {
    let mut lines: Vec<Line> = Vec::new();
    let mut current_key: Option<(u32, u32, u32, u32)> = None;
    for row in tsv.lines() {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() < 12 || cols[0] != "5" {
            continue;
        }
        let num = |i: usize| cols[i].trim().parse::<i64>().unwrap_or(0).max(0) as u32;
        let text = cols[11].trim();
        if text.is_empty() {
            continue;
        }
        let key = (num(1), num(2), num(3), num(4));
        let word = Word {
            text: text.to_string(),
            left: num(6),
            top: num(7),
            width: num(8),
            height: num(9),
            confidence: cols[10].trim().parse().unwrap_or(0.0),
        };
        if current_key != Some(key) || lines.is_empty() {
            lines.push(Line::default());
            current_key = Some(key);
        }
        let line = lines.last_mut().expect("pushed above");
        if !line.text.is_empty() {
            line.text.push(' ');
        }
        line.text.push_str(&word.text);
        line.words.push(word);
    }
    DocumentText { lines }
}

#[cfg(test)]
mod tests {
    use coffer_testkit::samples::synth;

    use super::*;
    use crate::DEFAULT_LANGUAGES;
    use crate::preprocess::binarise;

    /// Two pages read side by side read as they do one after the other, whether a core is
    /// idle (the helper reads the first) or every core is taken (both read here).
    /// The tests that count readings run one at a time (no other unit test reads a whole
    /// document, which counts itself as a reading).
    static ALONE: Mutex<()> = Mutex::new(());

    #[test]
    fn two_pages_read_side_by_side_read_as_one_after_the_other() {
        let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
        let page = rotate180(&synth::render(&synth::generate(11, false, false), 11, 0.0));
        let page =
            image::imageops::crop_imm(&page, 0, page.height() / 2, page.width(), 120).to_image();
        let (first, second) = (binarise(&page, 0.2), page);
        let read = |p: &GrayImage| {
            recognize_turned(p, Turn::Half, DEFAULT_LANGUAGES, false)
                .unwrap()
                .text
        };
        let (want_first, want_second) = (read(&first), read(&second));
        assert!(!want_first.lines.is_empty());
        let pair = || {
            let there = first.clone();
            side_by_side(move || read(&there), || read(&second))
        };
        assert_eq!(pair(), (want_first.clone(), want_second.clone()));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let _taken: Vec<Busy> = (0..cores).map(|_| Busy::start()).collect();
        assert_eq!(pair(), (want_first, want_second));
    }

    /// A job that panics on the helper panics its caller, as it would have here, and the
    /// helper takes the next job.
    #[test]
    fn a_panic_on_the_helper_reaches_the_caller_and_the_helper_lives_on() {
        let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
        let caught = panic::catch_unwind(|| side_by_side(|| panic!("job failed"), || 1));
        let payload = caught.expect_err("the panic reaches the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"job failed"));
        let thread = || std::thread::current().name().map(str::to_string);
        let helper = Some("coffer-ocr-helper".to_string());
        assert_eq!(side_by_side(thread, || 2), (helper, 2));
    }

    #[test]
    fn tsv_words_are_grouped_into_lines_with_boxes() {
        let tsv = "5\t1\t1\t1\t1\t1\t10\t20\t30\t12\t91.5\tTOTAL\n\
                   5\t1\t1\t1\t1\t2\t50\t20\t40\t12\t88.0\t31.80\n\
                   5\t1\t1\t1\t2\t1\t10\t40\t30\t12\t90.0\tCASH\n";
        let text = parse_tsv(tsv);
        assert_eq!(text.lines.len(), 2);
        assert_eq!(text.lines[0].text, "TOTAL 31.80");
        assert_eq!(text.lines[0].words[1].left, 50);
        assert_eq!(text.lines[1].text, "CASH");
    }
}
