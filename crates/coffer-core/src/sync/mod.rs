//! The sync client (feature `sync`): connects a vault to an account on a Coffer server and
//! keeps its documents in step with the account's other devices. The server only ever gets
//! ciphertext plus the technical fields `coffer-api` allows (see `item`).
//!
//! - `account`: register, log in, a second device's vault from the server, devices, export;
//! - `engine`: `sync` = push local changes, then pull the change feed;
//! - `item`: a document as an item (sealed envelope + its encrypted file);
//! - `reminders`: opt-in e-mail reminders, registered as opaque ids and dates;
//! - `state`: what the vault remembers about the server (in its encrypted store);
//! - `client`: HTTP and OPAQUE; `error`: what went wrong, and what to do.

mod account;
mod client;
mod engine;
mod error;
mod item;
mod reminders;
mod state;

pub use account::{
    Connection, Credentials, account_info, connection, delete_account, devices, export_account,
    init_from_server, login, logout, register, revoke,
};
pub use coffer_api::{AccountInfo, Device};
pub use engine::{Progress, SyncReport};
pub use error::{SyncError, SyncResult};
pub use reminders::{
    EMAIL_LANGUAGE_SETTING, EMAIL_SETTING, EmailReminders, Language, disable_email_reminders,
    email_language, email_reminders_enabled, enable_email_reminders, push_email_reminders,
    registered_email_reminders,
};

use crate::vault::Vault;

/// Pushes this vault's changes to its account, then pulls the other devices' changes.
/// Interrupted at any point, it loses nothing and the next call completes the work.
/// `server_url` replaces the remembered server address.
pub fn sync(
    vault: &mut Vault,
    server_url: Option<&str>,
    progress: &mut dyn FnMut(Progress),
) -> SyncResult<SyncReport> {
    let server = account::open(vault, server_url)?;
    engine::Engine::new(vault, server, progress).run()
}
