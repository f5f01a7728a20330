//! The account side of sync: register this vault, verify its address, log a device in (or
//! create this device's copy of the vault from the server), sessions and devices, and the
//! changes that could take an account over (password, TOTP, recovery codes, deletion, export),
//! which first prove the password again ([`step_up`]). The vault key reaches the server only
//! wrapped: under a key from OPAQUE's export key, and under the recovery phrase (the vault
//! header's own recovery wrap, copied verbatim).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use coffer_api::{
    AccountInfo, Bytes, DeleteAccountRequest, Device, DeviceList, EmailVerifyRequest,
    TotpCodeRequest, TotpEnabledResponse, TotpSetupResponse, WrappedKeys, routes,
};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::client::{LoggedIn, Server};
use super::error::{SyncError, SyncResult};
use super::plan;
use super::state::{self, AccountRow};
use crate::clock::Clock;
use crate::crypto::envelope::Purpose;
use crate::crypto::kdf::KdfRecord;
use crate::crypto::keys::{KeyEncryptionKey, VaultKey};
use crate::error::Error;
use crate::vault::Vault;

/// Version of [`AccountKeyRecord`].
const KEY_RECORD_FORMAT: u32 = 1;

/// What the server keeps as the client's "KDF record": which vault the wrapped keys belong
/// to (the wraps are bound to its id) and the KDF settings new devices start from.
#[derive(Serialize, Deserialize)]
struct AccountKeyRecord {
    format: u32,
    vault_id: Uuid,
    kdf: KdfRecord,
}

/// Who logs in where.
pub struct Credentials<'a> {
    pub server_url: &'a str,
    pub email: &'a str,
    /// The account password, which is the vault password.
    pub password: &'a SecretString,
    /// A TOTP or recovery code, when the account has a second factor.
    pub totp: Option<&'a str>,
    /// Shown in the account's device list.
    pub device_name: &'a str,
}

/// The account a vault is connected to, as `coffer account` shows it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct Connection {
    pub server_url: String,
    pub email: String,
    pub account_id: Uuid,
    pub device_id: Uuid,
    pub signed_in: bool,
}

impl From<AccountRow> for Connection {
    fn from(row: AccountRow) -> Self {
        Self {
            server_url: row.server_url,
            email: row.email,
            account_id: row.account_id,
            device_id: row.device_id,
            signed_in: row.refresh_token.is_some(),
        }
    }
}

fn wrapped_keys(vault: &Vault, export_key: &[u8]) -> WrappedKeys {
    let record = AccountKeyRecord {
        format: KEY_RECORD_FORMAT,
        vault_id: vault.vault_id(),
        kdf: vault.kdf_record().clone(),
    };
    WrappedKeys {
        by_export_key: Bytes(vault.wrap_vault_key(
            &KeyEncryptionKey::from_export_key(export_key),
            Purpose::VaultKeyByExportKey,
        )),
        by_recovery_key: Bytes(vault.recovery_wrap().to_vec()),
        kdf_record: Bytes(serde_json::to_vec(&record).expect("the key record serialises")),
    }
}

fn key_record(keys: &WrappedKeys) -> SyncResult<AccountKeyRecord> {
    let record: AccountKeyRecord = serde_json::from_slice(keys.kdf_record.as_slice())
        .map_err(|_| SyncError::Protocol("the account's key record is not Coffer's".into()))?;
    if record.format != KEY_RECORD_FORMAT {
        return Err(Error::UnsupportedFormat {
            what: "account key record",
            found: record.format,
            supported: KEY_RECORD_FORMAT,
        }
        .into());
    }
    // Whoever sent them, settings below the floor are refused.
    record.kdf.validate()?;
    Ok(record)
}

fn remember(
    vault: &mut Vault,
    server: &Server,
    email: &str,
    logged_in: &LoggedIn,
) -> SyncResult<()> {
    let session = &logged_in.session;
    state::connect(
        vault.store().conn(),
        &AccountRow {
            server_url: server.url().to_string(),
            email: email.trim().to_lowercase(),
            account_id: session.account_id,
            device_id: session.device_id,
            refresh_token: Some(zeroize::Zeroizing::new(session.refresh_token.clone())),
            cursor: 0,
        },
    )?;
    plan::trust_key(vault, server)
}

fn log_in(server: &Server, creds: &Credentials) -> SyncResult<LoggedIn> {
    server.login(
        creds.email,
        creds.password.expose_secret().as_bytes(),
        creds.totp,
        creds.device_name,
    )
}

/// Creates an account for this vault and connects the vault to it. On a server that sends
/// e-mail the account syncs once its address is verified ([`verify_email`]; see
/// [`AccountInfo::email_verified`]).
pub fn register(vault: &mut Vault, creds: &Credentials) -> SyncResult<Connection> {
    let server = Server::new(creds.server_url)?;
    server.register(
        creds.email,
        creds.password.expose_secret().as_bytes(),
        |export_key| wrapped_keys(vault, export_key),
    )?;
    // The server answers a registration the same whether or not the address had an account;
    // one whose password is not this one does not open.
    match login(vault, creds) {
        Err(SyncError::InvalidCredentials) => Err(SyncError::AccountExists(creds.email.into())),
        other => other,
    }
}

/// Verifies the account's e-mail address with the code the server mailed.
pub fn verify_email(vault: &Vault, code: &str) -> SyncResult<()> {
    open(vault, None)?.call(
        Method::POST,
        routes::EMAIL_VERIFY,
        Some(&EmailVerifyRequest {
            code: code.trim().into(),
        }),
    )
}

/// Asks the server to mail a new verification code.
pub fn resend_verification(vault: &Vault) -> SyncResult<()> {
    open(vault, None)?.call::<()>(Method::POST, routes::EMAIL_RESEND, None)
}

/// Logs this device in to the account that holds this vault.
pub fn login(vault: &mut Vault, creds: &Credentials) -> SyncResult<Connection> {
    let mut server = Server::new(creds.server_url)?;
    let logged_in = log_in(&server, creds)?;
    if key_record(&logged_in.session.wrapped_keys)?.vault_id != vault.vault_id() {
        server.set_access_token(logged_in.session.access_token.clone());
        let _ = server.call::<()>(Method::POST, routes::LOGOUT, None);
        return Err(SyncError::OtherVault);
    }
    remember(vault, &server, creds.email, &logged_in)?;
    connection(vault)?.ok_or(SyncError::NotConnected)
}

/// A second device: logs in, opens the vault key with the export key, and creates this
/// device's vault in `dir` (new or empty), connected to the account. Documents come with
/// the first `sync`.
pub fn init_from_server(
    dir: PathBuf,
    creds: &Credentials,
    clock: Arc<dyn Clock>,
) -> SyncResult<Vault> {
    Vault::check_new_location(&dir)?;
    let server = Server::new(creds.server_url)?;
    let logged_in = log_in(&server, creds)?;
    let keys = &logged_in.session.wrapped_keys;
    let record = key_record(keys)?;
    let vault_key = VaultKey::unwrap(
        &KeyEncryptionKey::from_export_key(&logged_in.export_key),
        Purpose::VaultKeyByExportKey,
        record.vault_id.as_bytes(),
        keys.by_export_key.as_slice(),
    )
    .map_err(|_| {
        SyncError::Vault(Error::Integrity(
            "the vault key kept by the server does not open with this password".into(),
        ))
    })?;
    let mut vault = Vault::create_with_key(
        dir,
        creds.password,
        record.kdf.params,
        (
            record.vault_id,
            vault_key,
            keys.by_recovery_key.as_slice().to_vec(),
        ),
        clock,
    )?;
    remember(&mut vault, &server, creds.email, &logged_in)?;
    Ok(vault)
}

/// The account this vault is connected to, if any.
pub fn connection(vault: &Vault) -> SyncResult<Option<Connection>> {
    Ok(state::account(vault.store().conn())?.map(Connection::from))
}

/// A signed-in connection to the vault's server (the refresh token is rotated and saved).
/// `server_url` replaces the remembered address (the server moved).
pub(crate) fn open(vault: &Vault, server_url: Option<&str>) -> SyncResult<Server> {
    let conn = vault.store().conn();
    let account = state::account(conn)?.ok_or(SyncError::NotConnected)?;
    let token = account
        .refresh_token
        .ok_or(SyncError::SignedOut("you logged out"))?;
    let mut server = Server::new(server_url.unwrap_or(&account.server_url))?;
    if server.url() != account.server_url {
        conn.execute(
            "UPDATE sync_account SET server_url = ?1 WHERE id = 1",
            [server.url()],
        )?;
    }
    let pair = server.refresh(&token)?;
    state::set_refresh_token(conn, Some(&pair.refresh_token))?;
    Ok(server)
}

/// A signed-in connection that proved the account's password (and second factor) again: what
/// the account changes below need. It counts for five minutes.
pub struct SteppedUp(Server);

/// Proves the account's `password` (the account's, which is the vault's unless it was
/// changed on one side only) and, when the account has TOTP on, a current or recovery code.
pub fn step_up(
    vault: &Vault,
    password: &SecretString,
    totp: Option<&str>,
) -> SyncResult<SteppedUp> {
    let mut server = open(vault, None)?;
    server.step_up(password.expose_secret().as_bytes(), totp)?;
    Ok(SteppedUp(server))
}

/// Gives the account the vault's new password (call right after `Vault::change_password`):
/// a new OPAQUE record and the vault key wrapped under its export key, with the new KDF
/// record. The server signs every other device out; this one stays signed in.
pub fn change_password(
    account: &SteppedUp,
    vault: &Vault,
    new_password: &SecretString,
) -> SyncResult<()> {
    account
        .0
        .change_password(new_password.expose_secret().as_bytes(), |export_key| {
            wrapped_keys(vault, export_key)
        })
}

/// A new TOTP secret for an authenticator app, pending until [`totp_enable`] confirms a code
/// from it (it then replaces the one the account had, if any).
pub fn totp_setup(account: &SteppedUp) -> SyncResult<TotpSetupResponse> {
    account.0.post(routes::TOTP_SETUP, &())
}

/// Turns the pending secret on with a current code from it; the new recovery codes, shown
/// once.
pub fn totp_enable(account: &SteppedUp, code: &str) -> SyncResult<Vec<String>> {
    let enabled: TotpEnabledResponse = account.0.post(
        routes::TOTP_ENABLE,
        &TotpCodeRequest {
            code: code.trim().into(),
        },
    )?;
    Ok(enabled.recovery_codes)
}

/// Switches the second factor off.
pub fn totp_disable(account: &SteppedUp) -> SyncResult<()> {
    account
        .0
        .call::<()>(Method::POST, routes::TOTP_DISABLE, None)
}

/// Ten new recovery codes replace the old ones.
pub fn new_recovery_codes(account: &SteppedUp) -> SyncResult<Vec<String>> {
    let codes: TotpEnabledResponse = account.0.post(routes::RECOVERY_CODES, &())?;
    Ok(codes.recovery_codes)
}

/// Ends this device's session; the vault and its documents stay.
pub fn logout(vault: &mut Vault) -> SyncResult<()> {
    match open(vault, None) {
        Ok(server) => server.call::<()>(Method::POST, routes::LOGOUT, None)?,
        // Already signed out on the server's side: forgetting the token is all that is left.
        Err(SyncError::SignedOut(_)) => {}
        Err(e) => return Err(e),
    }
    state::set_refresh_token(vault.store().conn(), None)?;
    Ok(())
}

pub fn account_info(vault: &Vault) -> SyncResult<AccountInfo> {
    open(vault, None)?.get(routes::ACCOUNT)
}

pub fn devices(vault: &Vault) -> SyncResult<Vec<Device>> {
    Ok(open(vault, None)?
        .get::<DeviceList>(routes::DEVICES)?
        .devices)
}

/// Signs a device out of the account (this one too, if named).
pub fn revoke(vault: &Vault, device_id: Uuid) -> SyncResult<()> {
    open(vault, None)?.call::<()>(Method::DELETE, &routes::device(device_id), None)?;
    if state::account(vault.store().conn())?.is_some_and(|a| a.device_id == device_id) {
        state::set_refresh_token(vault.store().conn(), None)?;
    }
    Ok(())
}

/// Deletes the account on the server, at once and for good. `confirm_email` must repeat the
/// account's address. The local vault stays, disconnected.
pub fn delete_account(
    account: SteppedUp,
    vault: &mut Vault,
    confirm_email: &str,
) -> SyncResult<()> {
    account.0.call(
        Method::DELETE,
        routes::ACCOUNT,
        Some(&DeleteAccountRequest {
            confirm_email: confirm_email.into(),
        }),
    )?;
    state::disconnect(vault.store().conn())?;
    plan::forget(vault)
}

/// Writes the server's archive of the account (ciphertext and technical metadata) to `target`,
/// complete or not at all. Returns its size.
pub fn export_account(account: &SteppedUp, target: &Path) -> SyncResult<u64> {
    let server = &account.0;
    crate::files::write_replacing(target, ".coffer-export-", |file| {
        server.download(routes::ACCOUNT_EXPORT, file)
    })
}
