// The release build is a GUI app; no console window on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    #[cfg(unix)]
    limit_openmp_threads();
    coffer_app::run();
}

/// Tesseract's OpenMP threads busy-wait and make OCR several times slower when anything else
/// runs beside them. OpenMP reads `OMP_THREAD_LIMIT` when the library loads, and changing the
/// environment of a running process is unsafe, so the app replaces itself once with the limit
/// set (`exec`: the same process id, so launchers and WebDriver keep track of it).
#[cfg(unix)]
fn limit_openmp_threads() {
    use std::os::unix::process::CommandExt;
    const LIMIT: &str = "OMP_THREAD_LIMIT";
    if std::env::var_os(LIMIT).is_some() {
        return;
    }
    if let Ok(exe) = std::env::current_exe() {
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env(LIMIT, "1")
            .exec();
        eprintln!("coffer: could not set {LIMIT} ({error}); OCR may be slower");
    }
}
