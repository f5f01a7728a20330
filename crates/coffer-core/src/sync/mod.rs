//! The sync client (feature `sync`, except `locks`, which every build honours): connects a
//! vault to an account on a Coffer server and keeps its documents in step with the account's
//! other devices. The server only ever gets ciphertext plus the technical fields `coffer-api`
//! allows (see `item`).
//!
//! - `account`: register, log in, a second device's vault from the server, devices, export;
//! - `engine`: `sync` = push local changes, then pull the change feed;
//! - `item`: a document as an item (sealed envelope + its encrypted file);
//! - `reminders`: opt-in e-mail reminders, registered as opaque ids and dates;
//! - `state`: what the vault remembers about the server (in its encrypted store);
//! - `plan`: the account's signed entitlement, verified and cached; `locks`: what it locks;
//! - `ocr_credits`: remote OCR credits of the account's plan, used before each remote call;
//! - `shares`: private links for the accountant (a sealed export, shared for some days);
//! - `billing`: the plan catalog, checkout and cancel; `overview`: last sync, pending changes;
//! - `client`: HTTP and OPAQUE; `error`: what went wrong, and what to do.

#[cfg(feature = "sync")]
mod account;
#[cfg(feature = "sync")]
mod billing;
#[cfg(feature = "sync")]
mod client;
#[cfg(feature = "sync")]
mod engine;
#[cfg(feature = "sync")]
mod error;
#[cfg(feature = "sync")]
mod item;
pub mod locks;
#[cfg(feature = "sync")]
mod ocr_credits;
#[cfg(feature = "sync")]
mod overview;
#[cfg(feature = "sync")]
mod plan;
#[cfg(feature = "sync")]
mod reminders;
#[cfg(feature = "sync")]
mod shares;
#[cfg(feature = "sync")]
mod state;

#[cfg(feature = "sync")]
pub use account::{
    Connection, Credentials, SteppedUp, account_info, change_password, connection, delete_account,
    devices, export_account, init_from_server, login, logout, new_recovery_codes, register,
    resend_verification, revoke, step_up, totp_disable, totp_enable, totp_setup, verify_email,
};
#[cfg(feature = "sync")]
pub use billing::{billing_history, cancel_plan, checkout, plans};
#[cfg(feature = "sync")]
pub use coffer_api::{
    AccountInfo, BillingHistory, BillingInterval, CheckoutRequest, CheckoutResponse,
    DEFAULT_SHARE_DAYS, Device, Entitlement, ErrorCode, MAX_SHARE_DAYS, Money, PlanCatalog,
    PriceCurrency, Share, ShareList, ShareState, TotpSetupResponse,
};
#[cfg(feature = "sync")]
pub use engine::{Progress, REMOTE_DELETION_TRASH_DAYS, SyncOptions, SyncReport};
#[cfg(feature = "sync")]
pub use error::{SyncError, SyncResult};
#[cfg(feature = "sync")]
pub use ocr_credits::{RemoteOcrCredit, use_remote_ocr_credit};
#[cfg(feature = "sync")]
pub use overview::{SyncOverview, locked_documents, overview};
#[cfg(feature = "sync")]
pub use plan::{AccountStatus, status};
#[cfg(feature = "sync")]
pub use reminders::{
    EMAIL_LANGUAGE_SETTING, EMAIL_SETTING, EmailReminders, Language, disable_email_reminders,
    email_language, email_reminders_enabled, enable_email_reminders, push_email_reminders,
    registered_email_reminders,
};

#[cfg(feature = "sync")]
pub use shares::{
    CreatedShare, ShareProgress, create_share, list_shares, revoke_share, share_file_name,
};

#[cfg(feature = "sync")]
use crate::vault::Vault;

#[cfg(feature = "sync")]
/// Pushes this vault's changes to its account, then pulls the other devices' changes.
/// Interrupted at any point, it loses nothing and the next call completes the work.
/// `server_url` replaces the remembered server address.
pub fn sync(
    vault: &mut Vault,
    server_url: Option<&str>,
    progress: &mut dyn FnMut(Progress),
) -> SyncResult<SyncReport> {
    sync_with(vault, server_url, SyncOptions::default(), progress)
}

#[cfg(feature = "sync")]
/// `sync`, with what it may do without asking (e.g. a mass deletion the person confirmed).
pub fn sync_with(
    vault: &mut Vault,
    server_url: Option<&str>,
    options: SyncOptions,
    progress: &mut dyn FnMut(Progress),
) -> SyncResult<SyncReport> {
    let server = account::open(vault, server_url)?;
    let report = engine::Engine::new(vault, server, options, progress).run()?;
    overview::record_sync(vault)?;
    Ok(report)
}
