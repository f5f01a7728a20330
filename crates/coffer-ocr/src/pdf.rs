//! PDFs through poppler's command-line tools, each run in a child process with a memory,
//! CPU-time and wall-clock limit, so a malformed or malicious PDF (a "PDF bomb") can only
//! fail its own file. Text PDFs give their text layer; scanned ones are rasterised per page.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::OcrError;

/// More pages than this are refused: no receipt or invoice is that long.
pub const MAX_PAGES: u32 = 50;
/// Address-space limit for a poppler child process.
const MEMORY_LIMIT_BYTES: u64 = 1 << 30;
const CPU_SECONDS: u32 = 30;
/// Output read from a child at most (text of 50 pages is far below this).
const MAX_OUTPUT_BYTES: u64 = 16 * 1024 * 1024;
/// Rasterised pages are at most this many pixels on their long side (A4 at 300 DPI).
const RASTER_LONG_SIDE: u32 = 3508;

/// Runs a poppler tool under `timeout` and `prlimit`, returning its bounded stdout.
fn run(program: &'static str, args: &[&str]) -> Result<(bool, Vec<u8>, String), OcrError> {
    run_with_input(program, args, None)
}

/// `run`, with `input` fed to the tool's stdin (poppler reads a PDF named `-` from stdin and
/// keeps it in memory), so decrypted content never has to be written to a file.
pub(crate) fn run_with_input(
    program: &'static str,
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<(bool, Vec<u8>, String), OcrError> {
    let tool_error = |reason: String| OcrError::Tool { program, reason };
    let as_limit = format!("--as={MEMORY_LIMIT_BYTES}");
    let cpu_limit = format!("--cpu={CPU_SECONDS}");
    let wall = (CPU_SECONDS + 30).to_string();
    let mut child = Command::new("timeout")
        .args([
            "-k", "5", &wall, "prlimit", &as_limit, &cpu_limit, "--", program,
        ])
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| tool_error(e.to_string()))?;
    // Written from its own thread: a tool that answers before reading all of its input must
    // not deadlock against us; a tool that stops reading early only ends the write.
    let writer = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => {
            let bytes = bytes.to_vec();
            Some(std::thread::spawn(move || {
                use std::io::Write;
                let _ = stdin.write_all(&bytes);
            }))
        }
        _ => None,
    };
    let mut stdout = Vec::new();
    if let Some(out) = child.stdout.take() {
        out.take(MAX_OUTPUT_BYTES)
            .read_to_end(&mut stdout)
            .map_err(|e| tool_error(e.to_string()))?;
    }
    let mut stderr = String::new();
    if let Some(err) = child.stderr.take() {
        // Only the start of stderr is kept; it is used to classify failures, never logged.
        let _ = err.take(64 * 1024).read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| tool_error(e.to_string()))?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Ok((status.success(), stdout, stderr))
}

pub(crate) fn classify_failure(stderr: &str, program: &'static str) -> OcrError {
    let lower = stderr.to_lowercase();
    if lower.contains("password") || lower.contains("encrypted") {
        OcrError::PdfEncrypted
    } else if lower.is_empty() {
        OcrError::BadPdf {
            reason: format!("{program} was stopped by its time or memory limit"),
        }
    } else {
        // The first line says what poppler disliked (structure, not document content).
        OcrError::BadPdf {
            reason: lower
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(160)
                .collect(),
        }
    }
}

/// Page count, failing clearly for password-protected or unreadable PDFs.
pub fn page_count(path: &Path) -> Result<u32, OcrError> {
    let p = path_str(path)?;
    pages_from_pdfinfo(run("pdfinfo", &[p])?)
}

/// Reads the page count from what `pdfinfo` answered.
pub(crate) fn pages_from_pdfinfo((ok, out, err): (bool, Vec<u8>, String)) -> Result<u32, OcrError> {
    if !ok {
        return Err(classify_failure(&err, "pdfinfo"));
    }
    let info = String::from_utf8_lossy(&out);
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|v| v.trim().parse::<u32>().ok())
        .ok_or_else(|| OcrError::BadPdf {
            reason: "no page count".into(),
        })?;
    if pages == 0 {
        return Err(OcrError::BadPdf {
            reason: "the PDF has no pages".into(),
        });
    }
    if pages > MAX_PAGES {
        return Err(OcrError::TooManyPages {
            pages,
            limit: MAX_PAGES,
        });
    }
    Ok(pages)
}

/// The text layer with the physical layout kept (columns stay on their lines).
pub fn text_layer(path: &Path) -> Result<String, OcrError> {
    let p = path_str(path)?;
    let last = MAX_PAGES.to_string();
    let (ok, out, err) = run(
        "pdftotext",
        &["-layout", "-enc", "UTF-8", "-l", &last, p, "-"],
    )?;
    if !ok {
        return Err(classify_failure(&err, "pdftotext"));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// True when the text layer carries real text rather than nothing or a few stray marks.
pub fn has_real_text(text: &str, pages: u32) -> bool {
    let alnum = text.chars().filter(|c| c.is_alphanumeric()).count();
    alnum >= 40 * pages.max(1) as usize / 2
}

/// Renders one page (1-based) to a grayscale PNG in `dir` and returns its bytes.
pub fn rasterise_page(path: &Path, page: u32, dir: &Path) -> Result<Vec<u8>, OcrError> {
    let p = path_str(path)?;
    let prefix: PathBuf = dir.join(format!("page-{page}"));
    let prefix_str = path_str(&prefix)?;
    let n = page.to_string();
    let size = RASTER_LONG_SIDE.to_string();
    let args = [
        "-f",
        &n,
        "-l",
        &n,
        "-gray",
        "-png",
        "-singlefile",
        "-scale-to",
        &size,
        p,
        prefix_str,
    ];
    let (ok, _, err) = run("pdftoppm", &args)?;
    if !ok {
        return Err(classify_failure(&err, "pdftoppm"));
    }
    let png = prefix.with_extension("png");
    let bytes = std::fs::read(&png).map_err(|e| OcrError::Tool {
        program: "pdftoppm",
        reason: e.to_string(),
    })?;
    let _ = std::fs::remove_file(&png);
    Ok(bytes)
}

/// Files attached to the PDF whose names end in `.isdoc` (Czech e-invoices travel this way).
pub fn isdoc_attachments(path: &Path, dir: &Path) -> Result<Vec<Vec<u8>>, OcrError> {
    let p = path_str(path)?;
    let (ok, out, _) = run("pdfdetach", &["-list", p])?;
    if !ok {
        return Ok(Vec::new());
    }
    let listing = String::from_utf8_lossy(&out);
    let mut found = Vec::new();
    for line in listing.lines() {
        let Some((number, name)) = line.split_once(':') else {
            continue;
        };
        let Ok(number) = number.trim().parse::<u32>() else {
            continue;
        };
        if !name.trim().to_lowercase().ends_with(".isdoc") {
            continue;
        }
        let target = dir.join(format!("attachment-{number}.isdoc"));
        let target_str = path_str(&target)?;
        let n = number.to_string();
        let (ok, _, _) = run("pdfdetach", &["-save", &n, "-o", target_str, p])?;
        if ok && let Ok(bytes) = std::fs::read(&target) {
            found.push(bytes);
        }
    }
    Ok(found)
}

fn path_str(path: &Path) -> Result<&str, OcrError> {
    path.to_str().ok_or_else(|| OcrError::Unsupported {
        what: "a file name that is not valid UTF-8".into(),
    })
}
