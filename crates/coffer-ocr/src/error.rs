//! The one error type of coffer-ocr. Every message says what went wrong with which input and
//! what the user can do about it; none includes document content.

use std::path::PathBuf;

/// Why a document could not be read or recognised.
#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("cannot read {path}: {source}; check that the file exists and is readable")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("the file is empty (0 bytes); re-scan or re-export the document")]
    Empty,

    #[error(
        "the file is {size} bytes, above the {limit}-byte limit; split or compress the document first"
    )]
    TooLarge { size: u64, limit: u64 },

    #[error(
        "unsupported file type ({what}); use JPEG, PNG, HEIC, TIFF, WebP, BMP, GIF, PDF, ISDOC or plain text"
    )]
    Unsupported { what: String },

    #[error(
        "the image is {width}×{height} pixels ({megapixels} MP), above the {limit} MP limit; scale it down before importing"
    )]
    ImageTooLarge {
        width: u32,
        height: u32,
        megapixels: u64,
        limit: u64,
    },

    #[error(
        "the image could not be decoded ({reason}); the file may be truncated or corrupt, re-export it"
    )]
    BadImage { reason: String },

    #[error(
        "the PDF is password-protected; remove the password (print to PDF) and import it again"
    )]
    PdfEncrypted,

    #[error(
        "the PDF could not be read ({reason}); it may be damaged or deliberately malformed, re-export it"
    )]
    BadPdf { reason: String },

    #[error("the PDF has {pages} pages, above the {limit}-page limit; split it first")]
    TooManyPages { pages: u32, limit: u32 },

    #[error(
        "the ISDOC invoice could not be read ({reason}); ask the sender for a valid ISDOC file"
    )]
    BadIsdoc { reason: String },

    #[error(
        "Tesseract could not start with languages \"{languages}\" ({reason}); install the language data (Debian: tesseract-ocr-LANG) or choose other languages"
    )]
    TesseractInit { languages: String, reason: String },

    #[error("Tesseract failed on this image ({reason}); try a sharper scan")]
    Recognition { reason: String },

    #[error(
        "a helper program ({program}) failed: {reason}; install poppler-utils or check the file"
    )]
    Tool {
        program: &'static str,
        reason: String,
    },

    #[error(
        "the second recogniser's model file {path} is missing; run scripts/setup.sh (it installs the PP-OCRv6 models) or set COFFER_MODELS_DIR"
    )]
    ModelMissing { path: PathBuf },

    #[error(
        "the model file {path} could not be loaded ({reason}); run scripts/setup.sh again to reinstall it"
    )]
    ModelLoad { path: PathBuf, reason: String },

    #[error("the second recogniser is not available ({reason}); Tesseract reads alone")]
    SecondRecogniser { reason: String },

    #[error(transparent)]
    Remote(#[from] crate::remote::RemoteError),
}
