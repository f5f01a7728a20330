// The release build is a GUI app; no console window on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    #[cfg(unix)]
    coffer_ocr::limit_openmp_threads();
    coffer_app::run();
}
