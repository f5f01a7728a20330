//! `coffer account ...` and `coffer init --from-server`: connect a vault to an account on a
//! Coffer server. The account password is the vault password. Changes that could take the
//! account over (deletion, export, TOTP) first prove it again (a step-up): the vault password,
//! or `$COFFER_ACCOUNT_PASSWORD` where the account's differs, and the TOTP code
//! (`--totp`/`$COFFER_TOTP`) when the account has one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use coffer_core::SystemClock;
use coffer_core::Vault;
use coffer_core::sync::{self, AccountStatus, Connection, Credentials, SteppedUp};
use secrecy::SecretString;

use crate::secrets;
use crate::vault_commands::{unlock, unlock_keeping_password};

/// Where the account is: the server and the e-mail address naming the account.
#[derive(Args, Debug)]
pub struct Login {
    /// The Coffer server, e.g. https://sync.example.net.
    #[arg(long, env = "COFFER_SERVER", value_name = "URL")]
    server: Option<String>,
    /// The account's e-mail address.
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,
    /// A TOTP code (or a recovery code), if the account has a second factor.
    #[arg(long, env = "COFFER_TOTP", value_name = "CODE")]
    totp: Option<String>,
    /// The name this device gets in the account's device list.
    #[arg(long, value_name = "NAME", default_value = "Coffer CLI")]
    device_name: String,
}

impl Login {
    /// The credentials, falling back to the account the vault remembers.
    fn credentials<'a>(
        &'a self,
        remembered: Option<&'a Connection>,
        password: &'a SecretString,
    ) -> anyhow::Result<Credentials<'a>> {
        let server_url = self
            .server
            .as_deref()
            .or(remembered.map(|c| c.server_url.as_str()))
            .context("give the server with --server URL (or set $COFFER_SERVER)")?;
        let email = self
            .email
            .as_deref()
            .or(remembered.map(|c| c.email.as_str()))
            .context("give the account's e-mail address with --email")?;
        Ok(Credentials {
            server_url,
            email,
            password,
            totp: self.totp.as_deref(),
            device_name: &self.device_name,
        })
    }
}

/// The second factor for a step-up.
#[derive(Args, Debug)]
pub struct StepUpArgs {
    /// A TOTP code (or a recovery code), if the account has a second factor.
    #[arg(long, env = "COFFER_TOTP", value_name = "CODE")]
    totp: Option<String>,
}

/// Where the account's password comes from when it differs from the vault's (a password
/// changed on one side only, or a vault recovered with its phrase).
const ACCOUNT_PASSWORD_ENV: &str = "COFFER_ACCOUNT_PASSWORD";

/// Proves the account's password again: `$COFFER_ACCOUNT_PASSWORD` if set, else the vault's.
pub(crate) fn step_up(
    vault: &Vault,
    vault_password: &SecretString,
    totp: Option<&str>,
) -> Result<SteppedUp, sync::SyncError> {
    match secrets::from_env(ACCOUNT_PASSWORD_ENV) {
        Some(account_password) => sync::step_up(vault, &account_password, totp),
        None => sync::step_up(vault, vault_password, totp),
    }
}

/// The step-up of `dir`'s vault (unlocked with its password).
fn stepped_up(dir: &Path, args: &StepUpArgs) -> anyhow::Result<(Vault, SteppedUp)> {
    let (vault, password) = unlock_keeping_password(dir)?;
    let account = step_up(&vault, &password, args.totp.as_deref()).context(
        "the server wants the account's password again for this; if it differs from the \
         vault's, give it in $COFFER_ACCOUNT_PASSWORD",
    )?;
    Ok((vault, account))
}

#[derive(Subcommand, Debug)]
pub enum TotpCommand {
    /// Make a new TOTP secret for an authenticator app (on when `enable` confirms a code).
    Setup(StepUpArgs),
    /// Turn the new secret on with a code from it; prints the recovery codes (once).
    Enable {
        /// A current code of the new secret.
        code: String,
        #[command(flatten)]
        step_up: StepUpArgs,
    },
    /// Turn the second factor off.
    Disable(StepUpArgs),
    /// Replace the recovery codes with ten new ones (printed once).
    RecoveryCodes(StepUpArgs),
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Create an account for this vault on a server (the password is the vault's).
    Register(Login),
    /// Verify the account's e-mail address with the code the server mailed.
    VerifyEmail {
        #[arg(value_name = "CODE")]
        code: String,
    },
    /// Have the server mail a new verification code.
    ResendCode,
    /// Log this device in to the account holding this vault.
    Login(Login),
    /// End this device's session (the vault and its documents stay).
    Logout,
    /// Show the account this vault is connected to.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// List the account's payments and invoices, newest first.
    Payments {
        #[arg(long)]
        json: bool,
    },
    /// List the account's devices (sessions).
    Devices {
        #[arg(long)]
        json: bool,
    },
    /// Sign a device out of the account (ids from `coffer account devices`).
    Revoke {
        #[arg(value_name = "DEVICE_ID")]
        device: uuid::Uuid,
    },
    /// Delete the account on the server, at once and for good (the local vault stays).
    Delete {
        /// The account's e-mail address, repeated as confirmation.
        #[arg(long, value_name = "EMAIL", required = true)]
        email: String,
        #[command(flatten)]
        step_up: StepUpArgs,
    },
    /// Write the server's archive of the account (ciphertext and technical metadata only).
    Export {
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        #[command(flatten)]
        step_up: StepUpArgs,
    },
    /// The account's second factor (TOTP) and recovery codes.
    #[command(subcommand)]
    Totp(TotpCommand),
}

pub fn run(dir: &Path, command: &AccountCommand) -> anyhow::Result<ExitCode> {
    match command {
        AccountCommand::Register(login) => {
            let (mut vault, password) = unlock_keeping_password(dir)?;
            let creds = login.credentials(None, &password)?;
            let connection = sync::register(&mut vault, &creds)?;
            if sync::account_info(&vault)?.email_verified {
                println!(
                    "Registered {} on {}; run `coffer sync` to upload the vault.",
                    connection.email, connection.server_url
                );
            } else {
                println!(
                    "Registered {} on {}. The server mailed a code to that address: run \
                     `coffer account verify-email CODE`, then `coffer sync`.",
                    connection.email, connection.server_url
                );
            }
        }
        AccountCommand::VerifyEmail { code } => {
            let vault = unlock(dir)?;
            sync::verify_email(&vault, code)?;
            println!("The e-mail address is verified; run `coffer sync` to upload the vault.");
        }
        AccountCommand::ResendCode => {
            let vault = unlock(dir)?;
            sync::resend_verification(&vault)?;
            println!("A new code is on its way; the earlier one no longer works.");
        }
        AccountCommand::Login(login) => {
            let (mut vault, password) = unlock_keeping_password(dir)?;
            let remembered = sync::connection(&vault)?;
            let creds = login.credentials(remembered.as_ref(), &password)?;
            let connection = sync::login(&mut vault, &creds)?;
            println!(
                "Logged in to {} as {} (device {}).",
                connection.server_url, connection.email, connection.device_id
            );
        }
        AccountCommand::Logout => {
            let mut vault = unlock(dir)?;
            sync::logout(&mut vault)?;
            println!("Logged out; the vault stays on this device.");
        }
        AccountCommand::Status { json } => {
            let mut vault = unlock(dir)?;
            let status = sync::status(&mut vault)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", render_status(&vault, &status)?);
            }
        }
        AccountCommand::Payments { json } => {
            let vault = unlock(dir)?;
            let history = sync::billing_history(&vault)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&history)?);
            } else {
                print!("{}", render_billing_history(&history));
            }
        }
        AccountCommand::Devices { json } => {
            let vault = unlock(dir)?;
            let devices = sync::devices(&vault)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else {
                for d in devices {
                    println!(
                        "{}  {}  last seen {}{}",
                        d.device_id,
                        d.name,
                        unix_date(d.last_seen_at),
                        if d.current { "  (this device)" } else { "" }
                    );
                }
            }
        }
        AccountCommand::Revoke { device } => {
            let vault = unlock(dir)?;
            sync::revoke(&vault, *device)?;
            println!("Device {device} is signed out of the account.");
        }
        AccountCommand::Delete { email, step_up } => {
            let (mut vault, account) = stepped_up(dir, step_up)?;
            sync::delete_account(account, &mut vault, email)?;
            println!("The account {email} and everything the server kept for it are deleted.");
        }
        AccountCommand::Export { out, step_up } => {
            let (_, account) = stepped_up(dir, step_up)?;
            let size = sync::export_account(&account, out)?;
            println!(
                "Wrote the account archive ({size} bytes) to {}",
                out.display()
            );
        }
        AccountCommand::Totp(command) => totp(dir, command)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn totp(dir: &Path, command: &TotpCommand) -> anyhow::Result<()> {
    match command {
        TotpCommand::Setup(args) => {
            let (_, account) = stepped_up(dir, args)?;
            let setup = sync::totp_setup(&account)?;
            println!(
                "Add this secret to an authenticator app, then run `coffer account totp enable \
                 CODE` with a code it shows:\n  {}\n  {}",
                setup.secret_base32, setup.otpauth_uri
            );
        }
        TotpCommand::Enable { code, step_up } => {
            let (_, account) = stepped_up(dir, step_up)?;
            let codes = sync::totp_enable(&account, code)?;
            println!("TOTP is on. Keep these recovery codes somewhere safe (each works once):");
            for code in codes {
                println!("  {code}");
            }
        }
        TotpCommand::Disable(args) => {
            let (_, account) = stepped_up(dir, args)?;
            sync::totp_disable(&account)?;
            println!("TOTP is off; logging in needs only the password.");
        }
        TotpCommand::RecoveryCodes(args) => {
            let (_, account) = stepped_up(dir, args)?;
            println!("New recovery codes (the old ones no longer work; each works once):");
            for code in sync::new_recovery_codes(&account)? {
                println!("  {code}");
            }
        }
    }
    Ok(())
}

/// The account, its plan and usage, locked documents and what is kept on this device only.
fn render_status(vault: &coffer_core::Vault, status: &AccountStatus) -> anyhow::Result<String> {
    let c = &status.connection;
    let mut out = format!(
        "Server:    {}\nAccount:   {}\nDevice:    {}\nSigned in: {}\n",
        c.server_url,
        c.email,
        c.device_id,
        if c.signed_in { "yes" } else { "no" }
    );
    let title = |id: &coffer_core::DocumentId| {
        vault
            .document(*id)
            .map(|d| d.fields.title)
            .unwrap_or_else(|_| "(not on this device)".into())
    };
    if let Some(e) = &status.entitlement {
        out += &format!(
            "Plan:      {}{}{}\nThis month ({}): {} of {} receipts, {} of {} documents, {} of {} \
             remote OCR credits\n",
            e.plan,
            e.period_end
                .map(|t| format!(", paid until {}", unix_date(t)))
                .unwrap_or_default(),
            if status.fresh {
                ""
            } else {
                " (as last seen; offline)"
            },
            e.usage.month,
            e.usage.receipts,
            e.limits.receipts_per_month,
            e.usage.documents,
            e.limits.documents_per_month,
            e.usage.remote_ocr,
            e.limits.remote_ocr_credits_per_month,
        );
        if !e.locked.is_empty() {
            out += &format!(
                "Locked:    {} document(s), deleted on {} unless a paid plan is renewed:\n",
                e.locked.len(),
                e.purge_at.map(unix_date).unwrap_or_else(|| "-".into())
            );
            for id in &e.locked {
                let title = id
                    .to_string()
                    .parse()
                    .map(|id| title(&id))
                    .unwrap_or_default();
                out += &format!("  {id}  {title}\n");
            }
        }
    }
    for id in &status.not_synced {
        out += &format!("Not synced (plan limit): {id}  {}\n", title(id));
    }
    Ok(out)
}

fn render_billing_history(history: &sync::BillingHistory) -> String {
    use std::fmt::Write as _;
    let money = |m: &sync::Money| {
        format!(
            "{}.{:02} {}",
            m.amount_minor / 100,
            (m.amount_minor % 100).abs(),
            m.currency.code()
        )
    };
    let mut out = String::new();
    if history.payments.is_empty() {
        out.push_str("No payments yet.\n");
    } else {
        out.push_str("Payments:\n");
        for p in &history.payments {
            let _ = writeln!(
                out,
                "  {}  {}  {} ({})  {}  {}  via {}",
                unix_date(p.created_at),
                snake_words(&p.kind),
                p.plan,
                snake_words(&p.interval),
                money(&p.amount),
                snake_words(&p.status),
                snake_words(&p.provider),
            );
        }
    }
    if !history.invoices.is_empty() {
        out.push_str("Invoices:\n");
        for i in &history.invoices {
            let _ = writeln!(
                out,
                "  {}  {}  {}  {}  for {} to {}{}",
                i.number,
                unix_date(i.issued_at),
                i.plan,
                money(&i.amount),
                unix_date(i.period_start),
                unix_date(i.period_end),
                i.provider_url
                    .as_deref()
                    .map(|url| format!("  {url}"))
                    .unwrap_or_default(),
            );
        }
    }
    out
}

/// A wire enum as words: `new_period` → `new period`.
fn snake_words(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

fn unix_date(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(|t| t.date().to_string())
        .unwrap_or_else(|_| "-".into())
}

/// `coffer init --from-server`: this device's copy of the account's vault.
pub fn init_from_server(dir: &Path, login: &Login) -> anyhow::Result<ExitCode> {
    let password = secrets::password()?;
    let creds = login.credentials(None, &password)?;
    eprintln!("Logging in to {}...", creds.server_url);
    sync::init_from_server(dir.to_path_buf(), &creds, Arc::new(SystemClock))?;
    println!(
        "Created a vault in {} from the account {}; run `coffer sync` to download the documents.",
        dir.display(),
        creds.email
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_api::{
        BillingInterval, Invoice, Money, Payment, PaymentKind, PaymentProvider, PaymentStatus,
        PriceCurrency,
    };

    #[test]
    fn payments_and_invoices_read_as_dated_lines_with_amounts_in_major_units() {
        let none = sync::BillingHistory {
            payments: vec![],
            invoices: vec![],
        };
        assert_eq!(render_billing_history(&none), "No payments yet.\n");

        let amount = Money {
            amount_minor: 19_905,
            currency: PriceCurrency::Czk,
        };
        let payment = Payment {
            id: uuid::Uuid::nil(),
            kind: PaymentKind::NewPeriod,
            plan: "plus".into(),
            interval: BillingInterval::Month,
            amount,
            provider: PaymentProvider::Comgate,
            status: PaymentStatus::Paid,
            created_at: 1_798_761_600, // 2027-01-01
            paid_at: Some(1_798_761_600),
        };
        let invoice = Invoice {
            number: "2027-000001".into(),
            payment_id: uuid::Uuid::nil(),
            plan: "plus".into(),
            amount,
            issued_at: 1_798_761_600,
            period_start: 1_798_761_600,
            period_end: 1_801_440_000, // 2027-02-01
            provider_url: None,
        };
        let history = sync::BillingHistory {
            payments: vec![payment],
            invoices: vec![invoice],
        };
        assert_eq!(
            render_billing_history(&history),
            "Payments:\n  2027-01-01  new period  plus (month)  199.05 CZK  paid  via comgate\n\
             Invoices:\n  2027-000001  2027-01-01  plus  199.05 CZK  for 2027-01-01 to 2027-02-01\n"
        );
    }
}
