//! The second factor: TOTP secrets sealed under the server key, recovery codes as salted
//! slow hashes, and the back-off on wrong codes. Every check runs in the caller's unit of
//! work behind the account's row, so guesses of one account are counted one after the other
//! on every instance; after [`totp::FREE_GUESSES`] wrong codes in a row each further one makes
//! the next guess wait twice as long (`429 rate_limited`), up to an hour.
//!
//! Turning TOTP on, replacing or switching it off and new recovery codes all need a step-up
//! (which proved the current second factor when TOTP was on).

use crate::app::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::server_key::Purpose;
use crate::storage::accounts::{self, AccountRecord};
use crate::storage::{Conn, events};
use crate::totp;
use coffer_api::{
    ErrorCode, SecurityEventKind, TotpCodeRequest, TotpEnabledResponse, TotpSetupResponse,
};
use std::sync::Arc;
use uuid::Uuid;
use zeroize::Zeroizing;

fn wrong_code() -> ApiError {
    ApiError::new(
        ErrorCode::InvalidTotp,
        "The code is wrong or was already used; enter the current code.",
    )
}

impl App {
    pub(crate) fn seal_totp(&self, account: Uuid, secret: &[u8]) -> Vec<u8> {
        self.server_key.seal(Purpose::TotpSecret, account, secret)
    }

    fn open_totp(&self, account: Uuid, sealed: &[u8]) -> ApiResult<Zeroizing<Vec<u8>>> {
        self.server_key
            .open(Purpose::TotpSecret, account, sealed)
            .ok_or_else(|| {
                tracing::error!("a TOTP secret does not open with this server's key");
                ApiError::internal()
            })
    }

    /// Checks a TOTP code (each time step usable once) or an unused recovery code, counting
    /// wrong ones. The outer error is a failure of the storage; the inner one the refusal,
    /// whose bookkeeping the caller must commit.
    pub(crate) async fn second_factor(
        &self,
        c: &mut Conn,
        account: &AccountRecord,
        device: Option<(Uuid, &str)>,
        code: &str,
    ) -> ApiResult<ApiResult<()>> {
        let now = self.clock.unix();
        // The account's row: its guesses are checked one at a time, on every instance.
        accounts::lock(c, account.id).await?;
        let Some(fresh) = accounts::by_id(c, account.id).await? else {
            return Ok(Err(ApiError::invalid_credentials()));
        };
        if fresh.second_factor_wait_until > now {
            let wait = fresh.second_factor_wait_until - now;
            return Ok(Err(ApiError::rate_limited(
                format!(
                    "Too many wrong codes in a row; wait {wait} s before the next try (or use a \
                     recovery code then)."
                ),
                u64::try_from(wait).unwrap_or(1),
            )));
        }
        let Some(sealed) = &fresh.totp_secret else {
            return Ok(Err(wrong_code()));
        };
        let passed = if totp::looks_like_totp(code) {
            let secret = self.open_totp(account.id, sealed)?;
            match totp::verify(&secret, code, now) {
                Some(step) => accounts::advance_totp_step(c, account.id, step).await?,
                None => false,
            }
        } else {
            let stored = accounts::recovery_codes(c, account.id).await?;
            let typed = Zeroizing::new(code.to_owned());
            let matched = tokio::task::spawn_blocking(move || {
                stored
                    .into_iter()
                    .find(|s| totp::recovery_code_matches(&typed, s))
            })
            .await
            .map_err(|_| ApiError::internal())?;
            let used = match matched {
                Some(stored) => accounts::remove_recovery_code(c, account.id, &stored).await?,
                None => false,
            };
            if used {
                events::log(
                    c,
                    account.id,
                    SecurityEventKind::RecoveryCodeUsed,
                    device,
                    now,
                )
                .await?;
            }
            used
        };
        if passed {
            accounts::second_factor_passed(c, account.id).await?;
            return Ok(Ok(()));
        }
        let failures =
            accounts::second_factor_failed(c, account.id, |n| now + totp::wait_after(n)).await?;
        events::log(c, account.id, SecurityEventKind::LoginFailed, device, now).await?;
        if totp::wait_after(failures) > 0 {
            events::log(
                c,
                account.id,
                SecurityEventKind::SecondFactorLocked,
                device,
                now,
            )
            .await?;
        }
        Ok(Err(wrong_code()))
    }

    /// A new secret, pending until [`App::totp_enable`] confirms a code from it (step-up).
    pub async fn totp_setup(&self, caller: &Caller) -> ApiResult<TotpSetupResponse> {
        let mut tx = self.storage.write().await?;
        let account = accounts::by_id(&mut tx, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let secret = Zeroizing::new(totp::new_secret());
        accounts::set_totp_pending(
            &mut tx,
            account.id,
            Some(&self.seal_totp(account.id, &secret)),
        )
        .await?;
        tx.commit().await?;
        let encoded = totp::base32(&secret);
        let label: String = account
            .email
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
        Ok(TotpSetupResponse {
            otpauth_uri: format!(
                "otpauth://totp/Coffer:{label}?secret={encoded}&issuer=Coffer&algorithm=SHA1&digits=6&period=30"
            ),
            secret_base32: encoded,
        })
    }

    /// The pending secret becomes the account's (or replaces the one it had), with new
    /// recovery codes (step-up).
    pub async fn totp_enable(
        self: &Arc<Self>,
        caller: &Caller,
        req: TotpCodeRequest,
    ) -> ApiResult<TotpEnabledResponse> {
        let mut tx = self.storage.write().await?;
        let account = accounts::by_id(&mut tx, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let Some(pending) = &account.totp_pending else {
            return Err(ApiError::invalid(
                "Start with TOTP setup; there is no secret to confirm.",
            ));
        };
        let secret = self.open_totp(account.id, pending)?;
        let Some(step) = totp::verify(&secret, &req.code, self.clock.unix()) else {
            return Err(ApiError::new(
                ErrorCode::InvalidTotp,
                "The code does not match; enter the current code from the authenticator app.",
            ));
        };
        let codes = totp::new_recovery_codes();
        let hashes = hash_codes(&codes).await?;
        accounts::set_second_factor(&mut tx, account.id, Some(pending), &hashes).await?;
        accounts::advance_totp_step(&mut tx, account.id, step).await?;
        let kind = match account.totp_secret {
            Some(_) => SecurityEventKind::TotpReplaced,
            None => SecurityEventKind::TotpEnabled,
        };
        let mail = self
            .account_changed(&mut tx, account.id, caller.device(), kind)
            .await?;
        tx.commit().await?;
        self.send_soon(mail);
        Ok(TotpEnabledResponse {
            recovery_codes: codes,
        })
    }

    /// Switches the second factor off (step-up, which proved it).
    pub async fn totp_disable(self: &Arc<Self>, caller: &Caller) -> ApiResult<()> {
        let mut tx = self.storage.write().await?;
        let account = accounts::by_id(&mut tx, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        if account.totp_secret.is_none() {
            return Err(ApiError::invalid("TOTP is not on for this account."));
        }
        accounts::set_second_factor(&mut tx, account.id, None, &[]).await?;
        let mail = self
            .account_changed(
                &mut tx,
                account.id,
                caller.device(),
                SecurityEventKind::TotpDisabled,
            )
            .await?;
        tx.commit().await?;
        self.send_soon(mail);
        Ok(())
    }

    /// Ten new recovery codes replace the old ones (step-up).
    pub async fn new_recovery_codes(
        self: &Arc<Self>,
        caller: &Caller,
    ) -> ApiResult<TotpEnabledResponse> {
        let codes = totp::new_recovery_codes();
        let hashes = hash_codes(&codes).await?;
        let mut tx = self.storage.write().await?;
        let account = accounts::by_id(&mut tx, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        if account.totp_secret.is_none() {
            return Err(ApiError::invalid(
                "Recovery codes stand in for TOTP codes; turn TOTP on first.",
            ));
        }
        accounts::replace_recovery_codes(&mut tx, account.id, &hashes).await?;
        let mail = self
            .account_changed(
                &mut tx,
                account.id,
                caller.device(),
                SecurityEventKind::RecoveryCodesReplaced,
            )
            .await?;
        tx.commit().await?;
        self.send_soon(mail);
        Ok(TotpEnabledResponse {
            recovery_codes: codes,
        })
    }
}

/// Salted slow hashes of new recovery codes, off the async workers.
async fn hash_codes(codes: &[String]) -> ApiResult<Vec<String>> {
    let codes = codes.to_vec();
    tokio::task::spawn_blocking(move || codes.iter().map(|c| totp::recovery_code_hash(c)).collect())
        .await
        .map_err(|_| ApiError::internal())
}
