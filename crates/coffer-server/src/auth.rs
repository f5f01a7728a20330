//! Accounts, OPAQUE registration and login, devices and their tokens.
//!
//! The server never sees a password or anything equivalent: it stores the OPAQUE record and
//! the client's wrapped keys. Registration answers the same whether or not the address has an
//! account, and a login for an unknown address runs against a fake record derived from the
//! server's OPRF seed and writes the same failure event (under a stand-in id), so neither
//! tells which addresses exist. Each login step is stored and taken once, so a replayed KE3
//! finds nothing. Refresh tokens rotate; a spent one shown again ends its session.

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::mail::Notice;
use crate::ratelimit::Bucket;
use crate::server_key::Purpose;
use crate::storage::accounts::{self, NewAccount};
use crate::storage::sessions::{
    self, AttemptKind, LoginAttempt, NewSession, RotatedTokens, Rotation,
};
use crate::storage::{Conn, events};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use coffer_api::opaque::{CONTEXT, CofferCipherSuite};
use coffer_api::{
    ACCESS_TOKEN_TTL_SECS, Bytes, Device, DeviceList, ErrorCode, LoginFinishRequest,
    LoginFinishResponse, LoginStartRequest, LoginStartResponse, LoginTotpRequest,
    PasswordChangeFinishRequest, PasswordChangeStartRequest, REFRESH_TOKEN_TTL_SECS,
    RefreshRequest, RegisterFinishRequest, RegisterStartRequest, RegisterStartResponse,
    SecurityEventKind, Session, TokenPair, WrappedKeys,
};
use opaque_ke::{
    CredentialFinalization, CredentialRequest, Identifiers, RegistrationRequest,
    RegistrationUpload, ServerLogin, ServerLoginParameters, ServerRegistration,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use uuid::Uuid;

pub(crate) const LOGIN_ATTEMPT_TTL_SECS: i64 = 300;
const MAX_WRAPPED_KEY_BYTES: usize = 4096;
const MAX_DEVICE_NAME_CHARS: usize = 100;

/// Who is calling: resolved from the bearer token on every authenticated request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: Uuid,
    pub device_id: Uuid,
    pub device_name: String,
    pub email_verified: bool,
    /// The session's step-up token hash and until when it counts.
    pub(crate) step_up: Option<(Vec<u8>, i64)>,
}

impl Caller {
    pub(crate) fn device(&self) -> Option<(Uuid, &str)> {
        Some((self.device_id, &self.device_name))
    }
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub(crate) fn new_token(prefix: &str) -> String {
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

pub(crate) fn check_wrapped_keys(keys: &WrappedKeys) -> ApiResult<Vec<u8>> {
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

pub(crate) fn too_many(wait: std::time::Duration) -> ApiError {
    ApiError::rate_limited(
        "Too many attempts; wait a moment and try again.",
        wait.as_secs(),
    )
}

pub(crate) fn login_params() -> ServerLoginParameters<'static, 'static> {
    ServerLoginParameters {
        context: Some(CONTEXT),
        identifiers: Identifiers::default(),
    }
}

/// The stored OPAQUE record of an account.
pub(crate) fn opaque_record(stored: &[u8]) -> ApiResult<ServerRegistration<CofferCipherSuite>> {
    ServerRegistration::<CofferCipherSuite>::deserialize(stored).map_err(|_| {
        tracing::error!("a stored OPAQUE record is not readable");
        ApiError::internal()
    })
}

impl App {
    /// Resolves a bearer token to its device.
    pub async fn authenticate(&self, token: &str) -> ApiResult<Caller> {
        let mut db = self.storage.read().await?;
        let (session, email_verified) = sessions::by_access_hash(&mut db, &token_hash(token))
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
            email_verified,
            step_up: session.step_up,
        })
    }

    /// Counts one attempt of a client address and of an e-mail address (or account).
    pub(crate) async fn limit_pair(
        &self,
        by_ip: (Bucket, IpAddr),
        by_name: (Bucket, &str),
    ) -> ApiResult<()> {
        self.limiter
            .check(by_ip.0, &by_ip.1.to_string())
            .await
            .map_err(too_many)?;
        self.limiter
            .check(by_name.0, by_name.1)
            .await
            .map_err(too_many)
    }

    pub async fn register_start(
        &self,
        req: RegisterStartRequest,
        client: IpAddr,
    ) -> ApiResult<RegisterStartResponse> {
        let email = normalize_email(&req.email)?;
        self.limit_pair(
            (Bucket::RegisterPerIp, client),
            (Bucket::RegisterPerAddress, &email),
        )
        .await?;
        self.registration_response(&email, &req.registration_request)
    }

    pub(crate) fn registration_response(
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

    pub(crate) fn registration_record(upload: &Bytes) -> ApiResult<Vec<u8>> {
        let upload = RegistrationUpload::<CofferCipherSuite>::deserialize(upload.as_slice())
            .map_err(|_| ApiError::malformed("registration_upload is not an OPAQUE message."))?;
        Ok(ServerRegistration::finish(upload).serialize().to_vec())
    }

    /// Creates the account, or leaves an existing one as it is, and answers the same either
    /// way. An address whose account was never verified may be registered again (only the
    /// owner of the mailbox can verify either). On a server that sends e-mail the new account
    /// gets a verification code, an existing account's owner a notice.
    pub async fn register_finish(
        self: &Arc<Self>,
        req: RegisterFinishRequest,
        client: IpAddr,
    ) -> ApiResult<()> {
        let email = normalize_email(&req.email)?;
        self.limit_pair(
            (Bucket::RegisterPerIp, client),
            (Bucket::RegisterPerAddress, &email),
        )
        .await?;
        let opaque_record = Self::registration_record(&req.registration_upload)?;
        let wrapped_keys = check_wrapped_keys(&req.wrapped_keys)?;
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        let existing = accounts::by_email(&mut tx, &email).await?;
        let mut mail = vec![];
        match existing {
            Some(account) if account.email_verified_at.is_some() || !self.verifies_email() => {
                if self.verifies_email() {
                    mail.extend(
                        self.notify(
                            &mut tx,
                            account.id,
                            &format!("registration-attempt:{}:{}", account.id, now / 3600),
                            Notice::RegistrationAttempt,
                        )
                        .await?,
                    );
                }
            }
            existing => {
                if let Some(unverified) = existing {
                    accounts::delete(&mut tx, unverified.id, now).await?;
                }
                let account = NewAccount {
                    id: Uuid::new_v4(),
                    email,
                    opaque_record,
                    wrapped_keys,
                    email_verified_at: (!self.verifies_email()).then_some(now),
                    created_at: now,
                };
                accounts::create(&mut tx, &account).await?;
                events::log(
                    &mut tx,
                    account.id,
                    SecurityEventKind::AccountCreated,
                    None,
                    now,
                )
                .await?;
                if self.verifies_email() {
                    mail.extend(self.new_verification_code(&mut tx, account.id).await?);
                }
            }
        }
        tx.commit().await?;
        self.send_soon(mail);
        Ok(())
    }

    /// The id failed logins of an unknown address are logged under: stable per address,
    /// unguessable without the server key, and never an account's.
    fn stand_in_account(&self, email: &str) -> Uuid {
        let mac = self
            .server_key
            .mac(Purpose::UnknownAccount, email.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&mac[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    pub async fn login_start(
        &self,
        req: LoginStartRequest,
        client: IpAddr,
    ) -> ApiResult<LoginStartResponse> {
        let email = normalize_email(&req.email)?;
        self.limit_pair(
            (Bucket::LoginPerIp, client),
            (Bucket::LoginPerAccount, &email),
        )
        .await?;
        let request =
            CredentialRequest::<CofferCipherSuite>::deserialize(req.credential_request.as_slice())
                .map_err(|_| ApiError::malformed("credential_request is not an OPAQUE message."))?;
        let mut tx = self.storage.write().await?;
        let account = accounts::by_email(&mut tx, &email).await?;
        let record = account
            .as_ref()
            .map(|a| opaque_record(&a.opaque_record))
            .transpose()?;
        // opaque-ke answers an unknown address from a fake record derived from the server
        // setup: the reply has the same shape and timing as a real one.
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
        let account_id = account.map_or_else(|| self.stand_in_account(&email), |a| a.id);
        sessions::put_attempt(
            &mut tx,
            &LoginAttempt {
                id: login_id,
                kind: AttemptKind::Opaque,
                account_id: Some(account_id),
                state: started.state.serialize().to_vec(),
                expires_at: self.clock.unix() + LOGIN_ATTEMPT_TTL_SECS,
            },
        )
        .await?;
        tx.commit().await?;
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
        let mut tx = self.storage.write().await?;
        // Taken, not read: a replay of the same message finds nothing.
        let attempt = sessions::take_attempt(&mut tx, req.login_id, AttemptKind::Opaque, now)
            .await?
            .ok_or_else(ApiError::invalid_credentials)?;
        let account_id = attempt
            .account_id
            .ok_or_else(ApiError::invalid_credentials)?;
        let state = ServerLogin::<CofferCipherSuite>::deserialize(&attempt.state)
            .map_err(|_| ApiError::internal())?;
        // A fake record (unknown address) never verifies.
        let account = match state.finish(finalization, login_params()) {
            Ok(_) => accounts::by_id(&mut tx, account_id).await?,
            Err(_) => None,
        };
        let Some(account) = account else {
            events::log(
                &mut tx,
                account_id,
                SecurityEventKind::LoginFailed,
                None,
                now,
            )
            .await?;
            tx.commit().await?;
            return Err(ApiError::invalid_credentials());
        };
        let answer = if account.totp_secret.is_some() {
            let token = Uuid::new_v4();
            sessions::put_attempt(
                &mut tx,
                &LoginAttempt {
                    id: token,
                    kind: AttemptKind::Totp,
                    account_id: Some(account_id),
                    state: device_name.into_bytes(),
                    expires_at: now + LOGIN_ATTEMPT_TTL_SECS,
                },
            )
            .await?;
            LoginFinishResponse::TotpRequired {
                totp_token: token.to_string(),
            }
        } else {
            let session = self
                .open_session(&mut tx, account_id, &device_name, &account.wrapped_keys)
                .await?;
            LoginFinishResponse::Ok(Box::new(session))
        };
        tx.commit().await?;
        Ok(answer)
    }

    pub async fn login_totp(&self, req: LoginTotpRequest) -> ApiResult<LoginFinishResponse> {
        let token =
            Uuid::parse_str(req.totp_token.trim()).map_err(|_| ApiError::invalid_credentials())?;
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        let attempt = sessions::take_attempt(&mut tx, token, AttemptKind::Totp, now)
            .await?
            .ok_or_else(ApiError::invalid_credentials)?;
        let account_id = attempt
            .account_id
            .ok_or_else(ApiError::invalid_credentials)?;
        let account = accounts::by_id(&mut tx, account_id)
            .await?
            .ok_or_else(ApiError::invalid_credentials)?;
        match self
            .second_factor(&mut tx, &account, None, &req.code)
            .await?
        {
            Ok(()) => {
                let device_name = String::from_utf8(attempt.state.clone()).unwrap_or_default();
                let session = self
                    .open_session(&mut tx, account_id, &device_name, &account.wrapped_keys)
                    .await?;
                tx.commit().await?;
                Ok(LoginFinishResponse::Ok(Box::new(session)))
            }
            Err(refusal) => {
                // Let the user try again with the same token until it expires.
                sessions::put_attempt(&mut tx, &attempt).await?;
                tx.commit().await?;
                Err(refusal)
            }
        }
    }

    async fn open_session(
        &self,
        c: &mut Conn,
        account_id: Uuid,
        device_name: &str,
        wrapped_keys: &[u8],
    ) -> ApiResult<Session> {
        let now = self.clock.unix();
        let device_id = Uuid::new_v4();
        let access = new_token("cfa_");
        let refresh = new_token("cfr_");
        sessions::create(
            c,
            &NewSession {
                id: device_id,
                account_id,
                device_name,
                access_hash: &token_hash(&access),
                access_expires_at: now + ACCESS_TOKEN_TTL_SECS as i64,
                refresh_hash: &token_hash(&refresh),
                refresh_expires_at: now + REFRESH_TOKEN_TTL_SECS as i64,
                now,
            },
        )
        .await?;
        let device = Some((device_id, device_name));
        events::log(
            c,
            account_id,
            SecurityEventKind::LoginSucceeded,
            device,
            now,
        )
        .await?;
        events::log(c, account_id, SecurityEventKind::NewDevice, device, now).await?;
        Ok(Session {
            account_id,
            device_id,
            access_token: access,
            refresh_token: refresh,
            expires_in: ACCESS_TOKEN_TTL_SECS,
            wrapped_keys: read_wrapped_keys(wrapped_keys)?,
        })
    }

    /// New tokens for the session. A refresh token that was already exchanged means someone
    /// else holds a copy: the session ends, for the copy and for the device.
    pub async fn refresh(self: &Arc<Self>, req: RefreshRequest) -> ApiResult<TokenPair> {
        let now = self.clock.unix();
        let access = new_token("cfa_");
        let refresh = new_token("cfr_");
        let mut tx = self.storage.write().await?;
        let rotation = sessions::rotate(
            &mut tx,
            &RotatedTokens {
                old_refresh_hash: &token_hash(req.refresh_token.trim()),
                access_hash: &token_hash(&access),
                access_expires_at: now + ACCESS_TOKEN_TTL_SECS as i64,
                refresh_hash: &token_hash(&refresh),
                refresh_expires_at: now + REFRESH_TOKEN_TTL_SECS as i64,
                now,
            },
        )
        .await?;
        match rotation {
            Rotation::Rotated(_) => {
                tx.commit().await?;
                Ok(TokenPair {
                    access_token: access,
                    refresh_token: refresh,
                    expires_in: ACCESS_TOKEN_TTL_SECS,
                })
            }
            Rotation::Reused(session) => {
                let mut mail = vec![];
                if sessions::revoke(&mut tx, session.account_id, session.id, now).await? {
                    mail = self
                        .account_changed(
                            &mut tx,
                            session.account_id,
                            Some((session.id, &session.device_name)),
                            SecurityEventKind::RefreshTokenReused,
                        )
                        .await?;
                }
                tx.commit().await?;
                self.send_soon(mail);
                Err(ApiError::new(
                    ErrorCode::SessionRevoked,
                    "This refresh token was already used, so a copy of it may be in other \
                     hands; the device was logged out. Log in again.",
                ))
            }
            Rotation::Unknown => Err(ApiError::new(
                ErrorCode::InvalidToken,
                "The refresh token is not valid, expired or was revoked; log in again.",
            )),
        }
    }

    pub async fn logout(&self, caller: &Caller) -> ApiResult<()> {
        let mut tx = self.storage.write().await?;
        sessions::revoke(
            &mut tx,
            caller.account_id,
            caller.device_id,
            self.clock.unix(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn logout_all(&self, caller: &Caller) -> ApiResult<()> {
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        sessions::revoke_all(&mut tx, caller.account_id, None, now).await?;
        events::log(
            &mut tx,
            caller.account_id,
            SecurityEventKind::LogoutAll,
            caller.device(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn devices(&self, caller: &Caller) -> ApiResult<DeviceList> {
        let mut db = self.storage.read().await?;
        let live = sessions::live(&mut db, caller.account_id).await?;
        Ok(DeviceList {
            devices: live
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
        let mut tx = self.storage.write().await?;
        if !sessions::revoke(&mut tx, caller.account_id, device_id, now).await? {
            return Err(ApiError::not_found());
        }
        events::log(
            &mut tx,
            caller.account_id,
            SecurityEventKind::DeviceRevoked,
            Some((device_id, &caller.device_name)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn wrapped_keys(&self, caller: &Caller) -> ApiResult<WrappedKeys> {
        let mut db = self.storage.read().await?;
        let account = accounts::by_id(&mut db, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        read_wrapped_keys(&account.wrapped_keys)
    }

    /// Replaces the wrapped vault key (step-up).
    pub async fn set_wrapped_keys(
        self: &Arc<Self>,
        caller: &Caller,
        keys: WrappedKeys,
    ) -> ApiResult<()> {
        let keys = check_wrapped_keys(&keys)?;
        let mut tx = self.storage.write().await?;
        accounts::set_credentials(&mut tx, caller.account_id, None, &keys).await?;
        let mail = self
            .account_changed(
                &mut tx,
                caller.account_id,
                caller.device(),
                SecurityEventKind::KeysReplaced,
            )
            .await?;
        tx.commit().await?;
        self.send_soon(mail);
        Ok(())
    }

    /// OPAQUE registration start for the new password (step-up).
    pub async fn password_start(
        &self,
        caller: &Caller,
        req: PasswordChangeStartRequest,
    ) -> ApiResult<RegisterStartResponse> {
        let mut db = self.storage.read().await?;
        let account = accounts::by_id(&mut db, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        self.registration_response(&account.email, &req.registration_request)
    }

    /// New OPAQUE record and wrapped keys (step-up); every other device is logged out.
    pub async fn password_finish(
        self: &Arc<Self>,
        caller: &Caller,
        req: PasswordChangeFinishRequest,
    ) -> ApiResult<()> {
        let record = Self::registration_record(&req.registration_upload)?;
        let keys = check_wrapped_keys(&req.wrapped_keys)?;
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        accounts::set_credentials(&mut tx, caller.account_id, Some(&record), &keys).await?;
        sessions::revoke_all(&mut tx, caller.account_id, Some(caller.device_id), now).await?;
        let mail = self
            .account_changed(
                &mut tx,
                caller.account_id,
                caller.device(),
                SecurityEventKind::PasswordChanged,
            )
            .await?;
        tx.commit().await?;
        self.send_soon(mail);
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
