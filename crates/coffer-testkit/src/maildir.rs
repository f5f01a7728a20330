//! The SMTP sink that `scripts/with-test-services.sh` runs writes each message it receives
//! into the maildir named by `COFFER_TEST_MAILDIR`.

use std::path::Path;
use std::time::Duration;

/// The messages the SMTP sink received, oldest first; `None` when no sink runs.
pub fn messages() -> Option<Vec<String>> {
    let dir = std::env::var("COFFER_TEST_MAILDIR").ok()?;
    let mut entries: Vec<_> = std::fs::read_dir(Path::new(&dir).join("new"))
        .ok()?
        .filter_map(|e| {
            let path = e.ok()?.path();
            Some((std::fs::metadata(&path).ok()?.modified().ok()?, path))
        })
        .collect();
    entries.sort();
    Some(
        entries
            .into_iter()
            .filter_map(|(_, path)| std::fs::read_to_string(path).ok())
            .collect(),
    )
}

/// Every verification code the sink holds for `email`, oldest first.
pub fn verification_codes(email: &str) -> Vec<String> {
    const INTRO: &str = "verification code is ";
    messages()
        .expect("the server verifies addresses, so it has an SMTP sink")
        .iter()
        .filter(|m| m.contains(&format!("To: {email}")))
        .filter_map(|m| {
            let at = m.find(INTRO)? + INTRO.len();
            Some(m.get(at..at + 8)?.to_owned())
        })
        .collect()
}

/// The newest verification code for `email` (a code sent again replaces the one before),
/// waiting up to 20 s for the server's delivery.
pub fn verification_code(email: &str) -> String {
    for _ in 0..200 {
        if let Some(code) = verification_codes(email).pop() {
            return code;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("no verification e-mail for {email} reached the SMTP sink")
}
