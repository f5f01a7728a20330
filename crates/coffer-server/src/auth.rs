//! Accounts, OPAQUE registration and login, TOTP, devices and their tokens.
//!
//! The server never sees a password or anything equivalent: it stores the OPAQUE record and
//! the client's wrapped keys. A login for an unknown e-mail address runs against a fake record
//! derived from the server's OPRF seed, so its answer looks like a real one. Each login step
//! is stored and taken once, so a replayed KE3 finds nothing.

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::Bucket;
use crate::storage::{AttemptKind, LoginAttempt, NewAccount, NewSession, RotatedTokens};
use crate::totp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use coffer_api::opaque::{CONTEXT, CofferCipherSuite};
use coffer_api::{
    ACCESS_TOKEN_TTL_SECS, Bytes, Device, DeviceList, ErrorCode, LoginFinishRequest,
    LoginFinishResponse, LoginStartRequest, LoginStartResponse, LoginTotpRequest,
    PasswordChangeFinishRequest, PasswordChangeStartRequest, REFRESH_TOKEN_TTL_SECS,
    RefreshRequest, RegisterFinishRequest, RegisterStartRequest, RegisterStartResponse,
    SecurityEventKind, Session, TokenPair, TotpCodeRequest, TotpEnabledResponse, TotpSetupResponse,
    WrappedKeys,
};
use opaque_ke::{
    CredentialFinalization, CredentialRequest, Identifiers, RegistrationRequest,
    RegistrationUpload, ServerLogin, ServerLoginParameters, ServerRegistration,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use uuid::Uuid;

const LOGIN_ATTEMPT_TTL_SECS: i64 = 300;
const MAX_WRAPPED_KEY_BYTES: usize = 4096;
const MAX_DEVICE_NAME_CHARS: usize = 100;

/// Who is calling: resolved from the bearer token on every authenticated request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: Uuid,
    pub device_id: Uuid,
    pub device_name: String,
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn new_token(prefix: &str) -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(raw))
}

/// Account names are e-mail addresses, compared trimmed and lowercased.
pub fn normalize_email(email: &str) -> ApiResult<String> {
    let email = email.trim().to_lowercase();
    let valid = (3..=254).contains(&email.len())
        && email.contains('@')
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email)
    } else {
        Err(ApiError::invalid("The e-mail address is not valid."))
    }
}

fn check_device_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_DEVICE_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "The device name must be 1 to 100 printable characters.",
        ));
    }
    Ok(name.to_owned())
}

fn check_wrapped_keys(keys: &WrappedKeys) -> ApiResult<Vec<u8>> {
    for part in [&keys.by_export_key, &keys.by_recovery_key, &keys.kdf_record] {
        if part.is_empty() || part.len() > MAX_WRAPPED_KEY_BYTES {
            return Err(ApiError::invalid(
                "Each wrapped key and the KDF record must be 1 to 4096 bytes.",
            ));
        }
    }
    serde_json::to_vec(keys).map_err(|_| ApiError::internal())
}

fn read_wrapped_keys(stored: &[u8]) -> ApiResult<WrappedKeys> {
    serde_json::from_slice(stored).map_err(|_| {
        tracing::error!("stored wrapped keys are not readable");
        ApiError::internal()
    })
}

fn rate_limited(wait: std::time::Duration) -> ApiError {
    let mut e = ApiError::new(
        ErrorCode::RateLimited,
        "Too many login attempts; wait a moment and try again.",
    );
    e.retry_after_secs = Some(wait.as_secs().max(1));
    e
}

fn login_params() -> ServerLoginParameters<'static, 'static> {
    ServerLoginParameters {
        context: Some(CONTEXT),
        identifiers: Identifiers::default(),
    }
}

impl App {
    /// Resolves a bearer token to its device.
    pub async fn authenticate(&self, token: &str) -> ApiResult<Caller> {
        let session = self
            .storage
            .session_by_access_hash(&token_hash(token))
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        if session.revoked {
            return Err(ApiError::new(
                ErrorCode::SessionRevoked,
                "This device was logged out; log in again.",
            ));
        }
        if session.access_expires_at <= self.clock.unix() {
            return Err(ApiError::new(
                ErrorCode::TokenExpired,
                "The access token expired; refresh it.",
            ));
        }
        Ok(Caller {
            account_id: session.account_id,
            device_id: session.id,
            device_name: session.device_name,
        })
    }

    pub fn register_start(&self, req: RegisterStartRequest) -> ApiResult<RegisterStartResponse> {
        let email = normalize_email(&req.email)?;
        self.registration_response(&email, &req.registration_request)
    }

    fn registration_response(
        &self,
        email: &str,
        request: &Bytes,
    ) -> ApiResult<RegisterStartResponse> {
        let request = RegistrationRequest::<CofferCipherSuite>::deserialize(request.as_slice())
            .map_err(|_| ApiError::malformed("registration_request is not an OPAQUE message."))?;
        let started =
            ServerRegistration::<CofferCipherSuite>::start(&self.opaque, request, email.as_bytes())
                .map_err(|_| ApiError::malformed("registration_request is not valid."))?;
        Ok(RegisterStartResponse {
            registration_response: Bytes(started.message.serialize().to_vec()),
        })
    }

    fn registration_record(upload: &Bytes) -> ApiResult<Vec<u8>> {
        let upload = RegistrationUpload::<CofferCipherSuite>::deserialize(upload.as_slice())
            .map_err(|_| ApiError::malformed("registration_upload is not an OPAQUE message."))?;
        Ok(ServerRegistration::finish(upload).serialize().to_vec())
    }

    pub async fn register_finish(&self, req: RegisterFinishRequest) -> ApiResult<()> {
        let email = normalize_email(&req.email)?;
        let opaque_record = Self::registration_record(&req.registration_upload)?;
        let wrapped_keys = check_wrapped_keys(&req.wrapped_keys)?;
        let account = NewAccount {
            id: Uuid::new_v4(),
            email,
            opaque_record,
            wrapped_keys,
            created_at: self.clock.unix(),
        };
        match self.storage.create_account(&account).await {
            Ok(()) => {}
            Err(crate::storage::StorageError::Conflict) => {
                return Err(ApiError::new(
                    ErrorCode::AccountExists,
                    "An account with this e-mail address exists; log in instead.",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        self.storage
            .log_event(
                account.id,
                SecurityEventKind::AccountCreated,
                None,
                account.created_at,
            )
            .await?;
        Ok(())
    }

    pub async fn login_start(
        &self,
        req: LoginStartRequest,
        client: IpAddr,
    ) -> ApiResult<LoginStartResponse> {
        let email = normalize_email(&req.email)?;
        self.limiter
            .check(Bucket::LoginPerIp, &client.to_string())
            .await
            .map_err(rate_limited)?;
        self.limiter
            .check(Bucket::LoginPerAccount, &email)
            .await
            .map_err(rate_limited)?;
        let request =
            CredentialRequest::<CofferCipherSuite>::deserialize(req.credential_request.as_slice())
                .map_err(|_| ApiError::malformed("credential_request is not an OPAQUE message."))?;
        let account = self.storage.account_by_email(&email).await?;
        let record = match &account {
            Some(a) => Some(
                ServerRegistration::<CofferCipherSuite>::deserialize(&a.opaque_record).map_err(
                    |_| {
                        tracing::error!("a stored OPAQUE record is not readable");
                        ApiError::internal()
                    },
                )?,
            ),
            // opaque-ke answers from a fake record derived from the server setup: the reply
            // has the same shape and timing as a real one.
            None => None,
        };
        let started = ServerLogin::start(
            &mut rand::rngs::OsRng,
            &self.opaque,
            record,
            request,
            email.as_bytes(),
            login_params(),
        )
        .map_err(|_| ApiError::malformed("credential_request is not valid."))?;
        let login_id = Uuid::new_v4();
        self.storage
            .put_login_attempt(&LoginAttempt {
                id: login_id,
                kind: AttemptKind::Opaque,
                account_id: account.as_ref().map(|a| a.id),
                state: started.state.serialize().to_vec(),
                expires_at: self.clock.unix() + LOGIN_ATTEMPT_TTL_SECS,
            })
            .await?;
        Ok(LoginStartResponse {
            login_id,
            credential_response: Bytes(started.message.serialize().to_vec()),
        })
    }

    pub async fn login_finish(&self, req: LoginFinishRequest) -> ApiResult<LoginFinishResponse> {
        let device_name = check_device_name(&req.device_name)?;
        let finalization = CredentialFinalization::<CofferCipherSuite>::deserialize(
            req.credential_finalization.as_slice(),
        )
        .map_err(|_| ApiError::malformed("credential_finalization is not an OPAQUE message."))?;
        let now = self.clock.unix();
        // Taken, not read: a replay of the same message finds nothing.
        let attempt = self
            .storage
            .take_login_attempt(req.login_id, AttemptKind::Opaque, now)
            .await?
            .ok_or_else(ApiError::invalid_credentials)?;
        let state = ServerLogin::<CofferCipherSuite>::deserialize(&attempt.state)
            .map_err(|_| ApiError::internal())?;
        let verified = state.finish(finalization, login_params()).is_ok();
        let Some(account_id) = attempt.account_id else {
            return Err(ApiError::invalid_credentials());
        };
        if !verified {
            self.storage
                .log_event(account_id, SecurityEventKind::LoginFailed, None, now)
                .await?;
            return Err(ApiError::invalid_credentials());
        }
        let account = self
            .storage
            .account(account_id)
            .await?
            .ok_or_else(ApiError::invalid_credentials)?;
        if account.totp_secret.is_some() {
            let token = Uuid::new_v4();
            self.storage
                .put_login_attempt(&LoginAttempt {
                    id: token,
                    kind: AttemptKind::Totp,
                    account_id: Some(account_id),
                    state: device_name.into_bytes(),
                    expires_at: now + LOGIN_ATTEMPT_TTL_SECS,
                })
                .await?;
            return Ok(LoginFinishResponse::TotpRequired {
                totp_token: token.to_string(),
            });
        }
        let session = self
            .open_session(account_id, &device_name, &account.wrapped_keys)
            .await?;
        Ok(LoginFinishResponse::Ok(Box::new(session)))
    }

    pub async fn login_totp(&self, req: LoginTotpRequest) -> ApiResult<LoginFinishResponse> {
        let token =
            Uuid::parse_str(req.totp_token.trim()).map_err(|_| ApiError::invalid_credentials())?;
        let now = self.clock.unix();
        let attempt = self
            .storage
            .take_login_attempt(token, AttemptKind::Totp, now)
            .await?
            .ok_or_else(ApiError::invalid_credentials)?;
        let account_id = attempt
            .account_id
            .ok_or_else(ApiError::invalid_credentials)?;
        if let Err(wait) = self
            .limiter
            .check(Bucket::LoginPerAccount, &account_id.to_string())
            .await
        {
            // Keep the token usable once the wait is over.
            self.storage.put_login_attempt(&attempt).await?;
            return Err(rate_limited(wait));
        }
        let account = self
            .storage
            .account(account_id)
            .await?
            .ok_or_else(ApiError::invalid_credentials)?;
        let device_name = String::from_utf8(attempt.state.clone()).unwrap_or_default();
        if !self
            .second_factor_ok(account_id, account.totp_secret.as_deref(), &req.code)
            .await?
        {
            // Let the user try again with the same token until it expires.
            self.storage.put_login_attempt(&attempt).await?;
            self.storage
                .log_event(account_id, SecurityEventKind::LoginFailed, None, now)
                .await?;
            return Err(ApiError::new(
                ErrorCode::InvalidTotp,
                "The code is wrong or was already used; enter the current code.",
            ));
        }
        let session = self
            .open_session(account_id, &device_name, &account.wrapped_keys)
            .await?;
        Ok(LoginFinishResponse::Ok(Box::new(session)))
    }

    /// A current TOTP code (each time step usable once) or an unused recovery code.
    async fn second_factor_ok(
        &self,
        account_id: Uuid,
        secret: Option<&[u8]>,
        code: &str,
    ) -> ApiResult<bool> {
        let Some(secret) = secret else {
            return Ok(false);
        };
        if totp::looks_like_totp(code) {
            return Ok(match totp::verify(secret, code, self.clock.unix()) {
                Some(step) => self.storage.advance_totp_step(account_id, step).await?,
                None => false,
            });
        }
        let used = self
            .storage
            .consume_recovery_code(account_id, &totp::recovery_code_hash(code))
            .await?;
        if used {
            self.storage
                .log_event(
                    account_id,
                    SecurityEventKind::RecoveryCodeUsed,
                    None,
                    self.clock.unix(),
                )
                .await?;
        }
        Ok(used)
    }

    async fn open_session(
        &self,
        account_id: Uuid,
        device_name: &str,
        wrapped_keys: &[u8],
    ) -> ApiResult<Session> {
        let now = self.clock.unix();
        let device_id = Uuid::new_v4();
        let access = new_token("cfa_");
        let refresh = new_token("cfr_");
        self.storage
            .create_session(&NewSession {
                id: device_id,
                account_id,
                device_name,
                access_hash: &token_hash(&access),
                access_expires_at: now + ACCESS_TOKEN_TTL_SECS as i64,
                refresh_hash: &token_hash(&refresh),
                refresh_expires_at: now + REFRESH_TOKEN_TTL_SECS as i64,
                now,
            })
            .await?;
        let device = Some((device_id, device_name));
        self.storage
            .log_event(account_id, SecurityEventKind::LoginSucceeded, device, now)
            .await?;
        self.storage
            .log_event(account_id, SecurityEventKind::NewDevice, device, now)
            .await?;
        Ok(Session {
            account_id,
            device_id,
            access_token: access,
            refresh_token: refresh,
            expires_in: ACCESS_TOKEN_TTL_SECS,
            wrapped_keys: read_wrapped_keys(wrapped_keys)?,
        })
    }

    pub async fn refresh(&self, req: RefreshRequest) -> ApiResult<TokenPair> {
        let now = self.clock.unix();
        let access = new_token("cfa_");
        let refresh = new_token("cfr_");
        self.storage
            .rotate_tokens(&RotatedTokens {
                old_refresh_hash: &token_hash(req.refresh_token.trim()),
                access_hash: &token_hash(&access),
                access_expires_at: now + ACCESS_TOKEN_TTL_SECS as i64,
                refresh_hash: &token_hash(&refresh),
                refresh_expires_at: now + REFRESH_TOKEN_TTL_SECS as i64,
                now,
            })
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidToken,
                    "The refresh token is not valid, expired or was revoked; log in again.",
                )
            })?;
        Ok(TokenPair {
            access_token: access,
            refresh_token: refresh,
            expires_in: ACCESS_TOKEN_TTL_SECS,
        })
    }

    pub async fn logout(&self, caller: &Caller) -> ApiResult<()> {
        self.storage
            .revoke_session(caller.account_id, caller.device_id, self.clock.unix())
            .await?;
        Ok(())
    }

    pub async fn logout_all(&self, caller: &Caller) -> ApiResult<()> {
        let now = self.clock.unix();
        self.storage
            .revoke_sessions(caller.account_id, None, now)
            .await?;
        self.storage
            .log_event(
                caller.account_id,
                SecurityEventKind::LogoutAll,
                Some((caller.device_id, &caller.device_name)),
                now,
            )
            .await?;
        Ok(())
    }

    pub async fn devices(&self, caller: &Caller) -> ApiResult<DeviceList> {
        let sessions = self.storage.live_sessions(caller.account_id).await?;
        Ok(DeviceList {
            devices: sessions
                .into_iter()
                .map(|s| Device {
                    current: s.id == caller.device_id,
                    device_id: s.id,
                    name: s.device_name,
                    created_at: s.created_at,
                    last_seen_at: s.last_seen_at,
                })
                .collect(),
        })
    }

    pub async fn revoke_device(&self, caller: &Caller, device_id: Uuid) -> ApiResult<()> {
        let now = self.clock.unix();
        if !self
            .storage
            .revoke_session(caller.account_id, device_id, now)
            .await?
        {
            return Err(ApiError::not_found());
        }
        self.storage
            .log_event(
                caller.account_id,
                SecurityEventKind::DeviceRevoked,
                Some((device_id, &caller.device_name)),
                now,
            )
            .await?;
        Ok(())
    }

    pub async fn wrapped_keys(&self, caller: &Caller) -> ApiResult<WrappedKeys> {
        let account = self
            .storage
            .account(caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        read_wrapped_keys(&account.wrapped_keys)
    }

    pub async fn set_wrapped_keys(&self, caller: &Caller, keys: WrappedKeys) -> ApiResult<()> {
        let keys = check_wrapped_keys(&keys)?;
        self.storage
            .set_credentials(caller.account_id, None, &keys)
            .await?;
        Ok(())
    }

    pub async fn password_start(
        &self,
        caller: &Caller,
        req: PasswordChangeStartRequest,
    ) -> ApiResult<RegisterStartResponse> {
        let account = self
            .storage
            .account(caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        self.registration_response(&account.email, &req.registration_request)
    }

    /// New OPAQUE record and wrapped keys; every other device is logged out.
    pub async fn password_finish(
        &self,
        caller: &Caller,
        req: PasswordChangeFinishRequest,
    ) -> ApiResult<()> {
        let record = Self::registration_record(&req.registration_upload)?;
        let keys = check_wrapped_keys(&req.wrapped_keys)?;
        let now = self.clock.unix();
        self.storage
            .set_credentials(caller.account_id, Some(&record), &keys)
            .await?;
        self.storage
            .revoke_sessions(caller.account_id, Some(caller.device_id), now)
            .await?;
        self.storage
            .log_event(
                caller.account_id,
                SecurityEventKind::PasswordChanged,
                Some((caller.device_id, &caller.device_name)),
                now,
            )
            .await?;
        Ok(())
    }

    pub async fn totp_setup(&self, caller: &Caller) -> ApiResult<TotpSetupResponse> {
        let account = self
            .storage
            .account(caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let secret = totp::new_secret();
        self.storage
            .set_totp_pending(caller.account_id, Some(&secret))
            .await?;
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

    pub async fn totp_enable(
        &self,
        caller: &Caller,
        req: TotpCodeRequest,
    ) -> ApiResult<TotpEnabledResponse> {
        let account = self
            .storage
            .account(caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let Some(pending) = account.totp_pending else {
            return Err(ApiError::invalid(
                "Start with TOTP setup; there is no secret to confirm.",
            ));
        };
        let now = self.clock.unix();
        let Some(step) = totp::verify(&pending, &req.code, now) else {
            return Err(ApiError::new(
                ErrorCode::InvalidTotp,
                "The code does not match; enter the current code from the authenticator app.",
            ));
        };
        let codes = totp::new_recovery_codes();
        let hashes: Vec<Vec<u8>> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
        self.storage
            .enable_totp(caller.account_id, &pending, &hashes)
            .await?;
        self.storage
            .advance_totp_step(caller.account_id, step)
            .await?;
        self.storage
            .log_event(
                caller.account_id,
                SecurityEventKind::TotpEnabled,
                Some((caller.device_id, &caller.device_name)),
                now,
            )
            .await?;
        Ok(TotpEnabledResponse {
            recovery_codes: codes,
        })
    }

    pub async fn totp_disable(&self, caller: &Caller, req: TotpCodeRequest) -> ApiResult<()> {
        let account = self
            .storage
            .account(caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        if !self
            .second_factor_ok(caller.account_id, account.totp_secret.as_deref(), &req.code)
            .await?
        {
            return Err(ApiError::new(
                ErrorCode::InvalidTotp,
                "The code is wrong or was already used.",
            ));
        }
        self.storage.disable_totp(caller.account_id).await?;
        self.storage
            .log_event(
                caller.account_id,
                SecurityEventKind::TotpDisabled,
                Some((caller.device_id, &caller.device_name)),
                self.clock.unix(),
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize_email("  Ann@Example.COM ").unwrap(),
            "ann@example.com"
        );
        assert!(normalize_email("no-at-sign").is_err());
        assert!(normalize_email("a b@c").is_err());
    }

    #[test]
    fn tokens_are_random_and_prefixed() {
        let a = new_token("cfa_");
        assert!(a.starts_with("cfa_"));
        assert_ne!(a, new_token("cfa_"));
        assert_eq!(token_hash(&a).len(), 32);
    }
}
