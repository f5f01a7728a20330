//! The vault engine's invariants, driven through `Vault` directly: one integration binary
//! (see ARCHITECTURE.md, "Invariants"). A few tests need a second process (a killed import, a
//! full disk); they run this binary again in worker mode (`worker.rs`).

mod backup;
mod batches;
mod bulk;
mod content;
mod copy;
mod crash;
mod deadlines;
mod document_cache;
mod faults;
mod legacy;
mod overview;
mod search_plans;
mod support;
mod sync;
mod untrusted;
mod worker;
