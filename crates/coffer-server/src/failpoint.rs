//! Crash points for tests: `COFFER_CRASH_AT=<name>` makes the process abort, as a power cut
//! would, when it reaches the point of that name (for example between a webhook's effect and
//! its commit). Unset, as in every real deployment, nothing happens.

use std::sync::OnceLock;

/// Aborts the process if `COFFER_CRASH_AT` names this point.
pub fn hit(name: &str) {
    static CRASH_AT: OnceLock<Option<String>> = OnceLock::new();
    let at = CRASH_AT.get_or_init(|| std::env::var("COFFER_CRASH_AT").ok());
    if at.as_deref() == Some(name) {
        eprintln!("coffer-server: crashing at {name} (COFFER_CRASH_AT)");
        std::process::abort();
    }
}
