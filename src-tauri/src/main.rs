// The release build is a GUI app; no console window on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    #[cfg(unix)]
    coffer_ocr::exec_with(&coffer_app::environment());
    coffer_app::run();
}
