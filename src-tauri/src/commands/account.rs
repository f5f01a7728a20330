//! Account and sync: sign up or in to a Coffer server, the account's plan, this month's usage
//! and what the plan locks, devices, syncing with progress, checkout and cancel, payments and
//! invoices, and the e-mail reminder opt-in. Every call is the sync client's in `coffer-core`; the network work
//! runs on a blocking thread.

use std::sync::Arc;

use coffer_core::sync::{
    self, AccountStatus, BillingHistory, BillingInterval, CheckoutRequest, CheckoutResponse,
    Credentials, Device, EmailReminders, Language, PlanCatalog, PriceCurrency, Progress,
    SyncOverview,
};
use coffer_core::{DocumentId, DocumentSummary, LockedVault, Vault};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_opener::OpenerExt;
use ts_rs::TS;
use uuid::Uuid;

use super::{Result, blocking};
use crate::error::CommandError;
use crate::session::Session;

/// The event the web view hears while a sync runs.
pub const SYNC_PROGRESS_EVENT: &str = "sync-progress";

/// The sign-in form: the account password is the vault password.
#[derive(Debug, Deserialize, TS)]
pub struct SignIn {
    pub server_url: String,
    pub email: String,
    pub password: String,
    /// A TOTP or recovery code, when the server asked for one.
    pub totp: Option<String>,
}

/// The Account screen: who, which plan and what it locks, and how syncing stands.
#[derive(Debug, Serialize, TS)]
pub struct AccountView {
    #[serde(flatten)]
    pub status: AccountStatus,
    pub sync: SyncOverview,
    /// The documents the plan locks, with the fields the list shows.
    pub locked_documents: Vec<DocumentSummary>,
    pub email_reminders: bool,
    /// Whether the account's address is verified; `None` when the server could not be asked.
    /// A server that sends e-mail syncs an account only once it is.
    pub email_verified: Option<bool>,
}

fn view(vault: &mut Vault) -> sync::SyncResult<AccountView> {
    let status = sync::status(vault)?;
    // Only asked of a server that just answered: offline, the screen shows the cached status.
    let email_verified = status
        .fresh
        .then(|| {
            sync::account_info(vault)
                .ok()
                .map(|info| info.email_verified)
        })
        .flatten();
    Ok(AccountView {
        status,
        sync: sync::overview(vault)?,
        locked_documents: sync::locked_documents(vault)?,
        email_reminders: sync::email_reminders_enabled(vault)?,
        email_verified,
    })
}

/// Confirms the account's address with the code the server e-mailed to it.
#[tauri::command]
pub async fn account_verify_email(
    session: State<'_, Arc<Session>>,
    code: String,
) -> Result<AccountView> {
    blocking(&session, move |session| {
        session.with_open_vault(|vault| {
            sync::verify_email(vault, &code)?;
            Ok(view(vault)?)
        })
    })
    .await
}

/// Asks the server to e-mail a new verification code (the old one stops working).
#[tauri::command]
pub async fn account_resend_verification(session: State<'_, Arc<Session>>) -> Result<()> {
    blocking(&session, |session| {
        session.with_open_vault(|vault| Ok(sync::resend_verification(vault)?))
    })
    .await
}

/// How this device appears in the account's device list.
fn device_name() -> String {
    format!("Coffer desktop ({})", std::env::consts::OS)
}

/// Connects the open vault to an account: a new one (`register`) or an existing one.
fn connect(session: &Session, form: SignIn, register: bool) -> Result<AccountView> {
    let password = SecretString::from(form.password);
    if register {
        // The account password is the vault password: prove it before the server keeps it.
        let dir = session.with_vault(|vault| Ok(vault.dir().to_path_buf()))?;
        LockedVault::open(&dir)?.unlock(&password)?;
    }
    let device_name = device_name();
    let creds = Credentials {
        server_url: form.server_url.trim(),
        email: form.email.trim(),
        password: &password,
        totp: form
            .totp
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty()),
        device_name: &device_name,
    };
    session.with_open_vault(|vault| {
        if register {
            sync::register(vault, &creds)?;
        } else {
            sync::login(vault, &creds)?;
        }
        Ok(view(vault)?)
    })
}

/// Creates an account for this vault on the server and connects the vault to it.
#[tauri::command]
pub async fn account_register(
    session: State<'_, Arc<Session>>,
    form: SignIn,
) -> Result<AccountView> {
    blocking(&session, move |session| connect(session, form, true)).await
}

/// Signs this device in to the account that holds this vault.
#[tauri::command]
pub async fn account_login(session: State<'_, Arc<Session>>, form: SignIn) -> Result<AccountView> {
    blocking(&session, move |session| connect(session, form, false)).await
}

/// Ends this device's session; the vault and its documents stay.
#[tauri::command]
pub async fn account_logout(session: State<'_, Arc<Session>>) -> Result<()> {
    blocking(&session, |session| {
        session.with_open_vault(|vault| Ok(sync::logout(vault)?))
    })
    .await
}

/// The account, its plan, usage and locks (fresh, or cached when the server cannot be
/// reached), and the sync status; `None` when the vault is not connected to an account.
#[tauri::command]
pub async fn account_status(session: State<'_, Arc<Session>>) -> Result<Option<AccountView>> {
    blocking(&session, |session| {
        session.with_open_vault(|vault| {
            if sync::connection(vault)?.is_none() {
                return Ok(None);
            }
            Ok(Some(view(vault)?))
        })
    })
    .await
}

#[tauri::command]
pub async fn account_devices(session: State<'_, Arc<Session>>) -> Result<Vec<Device>> {
    blocking(&session, |session| {
        session.with_open_vault(|vault| Ok(sync::devices(vault)?))
    })
    .await
}

/// Signs a device out of the account; returns the devices left.
#[tauri::command(rename_all = "snake_case")]
pub async fn account_revoke_device(
    session: State<'_, Arc<Session>>,
    device_id: Uuid,
) -> Result<Vec<Device>> {
    blocking(&session, move |session| {
        session.with_open_vault(|vault| {
            sync::revoke(vault, device_id)?;
            match sync::devices(vault) {
                // This device itself was revoked: it sees no list any more.
                Err(sync::SyncError::SignedOut(_)) => Ok(Vec::new()),
                other => Ok(other?),
            }
        })
    })
    .await
}

/// A step of a running sync, for the progress bar.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum SyncStep {
    Uploading { sent: u64, total: u64 },
    Pushed { done: usize, total: usize },
    Pulled { items: usize },
    NotSynced { document: DocumentId },
    ConflictKept { copy: DocumentId },
    MovedToTrash { document: DocumentId },
}

impl From<Progress> for SyncStep {
    fn from(progress: Progress) -> Self {
        match progress {
            Progress::Uploading { sent, total, .. } => Self::Uploading { sent, total },
            Progress::Pushed { done, total } => Self::Pushed { done, total },
            Progress::Pulled { items } => Self::Pulled { items },
            Progress::NotSynced { document, .. } => Self::NotSynced { document },
            Progress::ConflictKept { copy, .. } => Self::ConflictKept { copy },
            Progress::MovedToTrash { document } => Self::MovedToTrash { document },
        }
    }
}

/// What "Sync now" did.
#[derive(Debug, Serialize, TS)]
pub struct SyncDone {
    pub pushed: usize,
    pub pulled: usize,
    pub conflicts: usize,
    pub not_synced: Vec<DocumentId>,
    /// The e-mail reminders the server now holds, when opted in; `None` when not opted in.
    pub email_reminders: Option<EmailRemindersView>,
    pub account: AccountView,
}

#[derive(Debug, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EmailRemindersView {
    Registered { registered: usize },
    NotOnPlan,
}

fn reminders_view(outcome: EmailReminders) -> Option<EmailRemindersView> {
    match outcome {
        EmailReminders::Off => None,
        EmailReminders::Registered { registered, .. } => {
            Some(EmailRemindersView::Registered { registered })
        }
        EmailReminders::NotOnPlan => Some(EmailRemindersView::NotOnPlan),
    }
}

/// Pushes this vault's changes, pulls the other devices', then brings the e-mail reminders
/// in step (when opted in). Progress goes out as `sync-progress` events. A sync that would
/// remove more than a quarter of the vault stops with `mass_deletion` until the person
/// confirms it (`allow_mass_delete`), as `coffer sync --allow-mass-delete` does.
#[tauri::command(rename_all = "snake_case")]
pub async fn sync_now<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Arc<Session>>,
    allow_mass_delete: Option<bool>,
) -> Result<SyncDone> {
    let options = sync::SyncOptions {
        allow_mass_delete: allow_mass_delete.unwrap_or(false),
    };
    blocking(&session, move |session| {
        session.with_open_vault(|vault| {
            let mut progress = |step: Progress| {
                let _ = app.emit(SYNC_PROGRESS_EVENT, SyncStep::from(step));
            };
            let report = sync::sync_with(vault, None, options, &mut progress)?;
            let email_reminders = reminders_view(sync::push_email_reminders(vault)?);
            Ok(SyncDone {
                pushed: report.pushed,
                pulled: report.pulled,
                conflicts: report.conflicts.len(),
                not_synced: report.not_synced,
                email_reminders,
                account: view(vault)?,
            })
        })
    })
    .await
}

/// The plans the account's server sells.
#[tauri::command]
pub async fn account_plans(session: State<'_, Arc<Session>>) -> Result<PlanCatalog> {
    blocking(&session, |session| {
        session.with_open_vault(|vault| Ok(sync::plans(vault)?))
    })
    .await
}

/// Starts paying for (or upgrading to) `plan` and opens the provider's payment page in the
/// browser; returns the checkout, whose address the window shows too.
#[tauri::command]
pub async fn account_checkout<R: Runtime>(
    app: AppHandle<R>,
    session: State<'_, Arc<Session>>,
    plan: String,
    interval: BillingInterval,
    currency: PriceCurrency,
    language: Language,
) -> Result<CheckoutResponse> {
    let request = CheckoutRequest {
        plan,
        interval,
        currency,
        provider: None,
        language: Some(language),
    };
    let hosts = session.paths().checkout_hosts.clone();
    let checkout = blocking(&session, move |session| {
        session.with_open_vault(|vault| Ok(sync::checkout(vault, &request)?))
    })
    .await?;
    // A server (or someone on the way) must not send the person to a page of its choosing to
    // type card details into.
    if !trusted_checkout(&checkout.redirect_url, &hosts) {
        return Err(CommandError::new(
            "untrusted_checkout",
            format!(
                "the server sent a payment page that is not a payment provider's ({}); it was \
                 not opened",
                checkout.redirect_url
            ),
        ));
    }
    // Without the opener plugin (the test runtime) the window shows the address instead.
    if app.try_state::<tauri_plugin_opener::Opener<R>>().is_some() {
        app.opener()
            .open_url(&checkout.redirect_url, None::<&str>)
            .map_err(|e| {
                CommandError::new(
                    "browser",
                    format!("the payment page could not be opened in a browser: {e}"),
                )
            })?;
    }
    Ok(checkout)
}

/// Whether `url` is an https page on one of `hosts`.
fn trusted_checkout(url: &str, hosts: &[String]) -> bool {
    tauri::Url::parse(url).is_ok_and(|url| {
        url.scheme() == "https"
            && url.username().is_empty()
            && url.password().is_none()
            && url
                .host_str()
                .is_some_and(|host| hosts.iter().any(|h| h.eq_ignore_ascii_case(host)))
    })
}

/// The account's payments and invoices, newest first.
#[tauri::command]
pub async fn account_billing_history(session: State<'_, Arc<Session>>) -> Result<BillingHistory> {
    blocking(&session, |session| {
        session.with_open_vault(|vault| Ok(sync::billing_history(vault)?))
    })
    .await
}

/// One-click cancel: the paid plan runs to the end of its period, then the free plan.
#[tauri::command]
pub async fn account_cancel(session: State<'_, Arc<Session>>) -> Result<AccountView> {
    blocking(&session, |session| {
        session.with_open_vault(|vault| {
            sync::cancel_plan(vault)?;
            Ok(view(vault)?)
        })
    })
    .await
}

/// Turns e-mail reminders on (registering only dates and opaque ids) or off.
#[tauri::command]
pub async fn set_email_reminders(
    session: State<'_, Arc<Session>>,
    enabled: bool,
    language: Language,
) -> Result<Option<EmailRemindersView>> {
    blocking(&session, move |session| {
        session.with_open_vault(|vault| {
            if enabled {
                Ok(reminders_view(sync::enable_email_reminders(
                    vault,
                    Some(language),
                )?))
            } else {
                sync::disable_email_reminders(vault)?;
                Ok(None)
            }
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::trusted_checkout;
    use crate::session::checkout_hosts;

    #[test]
    fn only_https_pages_of_the_payment_providers_are_opened() {
        let hosts = checkout_hosts(Some(" Pay.Example.TEST ,"));
        for ok in [
            "https://checkout.stripe.com/c/pay/cs_live_1#fid",
            "https://payments.comgate.cz/client/instructions/index?id=AB12",
            "https://pay.example.test/session/1",
        ] {
            assert!(trusted_checkout(ok, &hosts), "{ok}");
        }
        for bad in [
            "http://checkout.stripe.com/c/pay/cs_live_1",
            "https://checkout.stripe.com.evil.example/pay",
            "https://evil.example/checkout.stripe.com",
            "https://checkout.stripe.com@evil.example/",
            "https://user@checkout.stripe.com/",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(!trusted_checkout(bad, &hosts), "{bad}");
        }
        assert_eq!(checkout_hosts(None).len(), 2);
    }
}
