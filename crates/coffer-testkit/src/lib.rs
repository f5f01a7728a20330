//! What the tests of several crates share, so no harness is copied between them:
//! - `samples`: documents made here (receipts, invoices, a warranty card; PNG, photo-like JPEG,
//!   scanned and text PDF, ISDOC, HEIC), for tests, `make demo`, `make bench` and the app's
//!   end-to-end suite (`coffer-samples DIR`);
//! - `server`: a real `coffer-server` process on a free loopback port, found by its
//!   documented ready line;
//! - `maildir`: what the SMTP sink of `scripts/with-test-services.sh` received.

pub mod maildir;
pub mod samples;
pub mod server;
