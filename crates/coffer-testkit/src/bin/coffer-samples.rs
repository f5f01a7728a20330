//! `coffer-samples DIR`: writes Coffer's sample documents (receipts, invoices, a warranty
//! card as PNG, JPEG photo, scanned and text PDF, ISDOC and HEIC) into DIR, for `make demo`
//! and the app's end-to-end suite, and prints their paths.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: coffer-samples DIR");
        return ExitCode::from(2);
    };
    let written =
        std::fs::create_dir_all(&dir).and_then(|()| coffer_testkit::samples::write_set(&dir));
    match written {
        Ok(set) => {
            for file in set.files() {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("coffer-samples: cannot write {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
