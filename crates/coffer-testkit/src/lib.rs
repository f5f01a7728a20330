//! What the tests of several crates share, so no harness is copied between them:
//! - `api`: a client that speaks the HTTP API directly (OPAQUE, step-up, uploads, items), and
//!   the items it sends, sealed under a test key;
//! - `samples`: documents made here (receipts, invoices, a warranty card; PNG, photo-like JPEG,
//!   scanned and text PDF, ISDOC, HEIC), for tests, `make demo`, `make bench` and the app's
//!   end-to-end suite (`coffer-samples DIR`);
//! - `server`: a real `coffer-server` process on a free loopback port, found by its
//!   documented ready line;
//! - `stand_in`: a scripted HTTP server standing in for a third party (a remote OCR provider)
//!   that records what it was sent;
//! - `fuzz`: seeded mutations of untrusted input (ten minutes per reader in `make test-long`);
//! - `maildir`: what the SMTP sink of `scripts/with-test-services.sh` received.

pub mod api;
pub mod fuzz;
pub mod maildir;
pub mod samples;
pub mod server;
pub mod stand_in;

/// Whether this is a long run (`make test-long` sets `COFFER_LONG=1`): the tests with a short
/// and a long form (crash trials, mutation runs, property cases, the 1 GiB export) take the
/// long one.
pub fn long_run() -> bool {
    std::env::var_os("COFFER_LONG").is_some_and(|v| v == "1")
}
