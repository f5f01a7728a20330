//! Step-up: what could take over or empty an account (a new password, TOTP on, off or
//! replaced, new recovery codes, new wrapped keys, the account export, deletion) needs more
//! than an access token. The signed-in device proves the password again with a fresh OPAQUE
//! login of its own account, plus the second factor when TOTP is on, and gets a step-up token
//! that counts for [`STEP_UP_TTL_SECS`] and only together with that session's access token.

use crate::app::App;
use crate::auth::{
    Caller, LOGIN_ATTEMPT_TTL_SECS, login_params, new_token, opaque_record, token_hash,
};
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::Bucket;
use crate::storage::sessions::{self, AttemptKind, LoginAttempt};
use crate::storage::{accounts, events};
use coffer_api::opaque::CofferCipherSuite;
use coffer_api::{
    Bytes, ErrorCode, LoginStartResponse, STEP_UP_TTL_SECS, SecurityEventKind, StepUpFinishRequest,
    StepUpStartRequest, StepUpToken,
};
use opaque_ke::{CredentialFinalization, CredentialRequest, ServerLogin};
use uuid::Uuid;

fn step_up_required() -> ApiError {
    ApiError::new(
        ErrorCode::StepUpRequired,
        "This change needs the password again (and the TOTP code, if the account has one): \
         prove it with a step-up, then repeat the request with its token.",
    )
}

impl App {
    /// Checks the step-up token sent with a request of `caller`'s session and counts the
    /// account change against its rate limit.
    pub async fn require_step_up(&self, caller: &Caller, token: Option<&str>) -> ApiResult<()> {
        let fresh = match (token, &caller.step_up) {
            (Some(token), Some((hash, until))) => {
                *until > self.clock.unix() && token_hash(token.trim()) == *hash
            }
            _ => false,
        };
        if !fresh {
            return Err(step_up_required());
        }
        self.limiter
            .check(Bucket::AccountChange, &caller.account_id.to_string())
            .await
            .map_err(crate::auth::too_many)
    }

    /// KE2 for the signed-in account's own record.
    pub async fn step_up_start(
        &self,
        caller: &Caller,
        req: StepUpStartRequest,
    ) -> ApiResult<LoginStartResponse> {
        self.limiter
            .check(Bucket::LoginPerAccount, &caller.account_id.to_string())
            .await
            .map_err(crate::auth::too_many)?;
        let request =
            CredentialRequest::<CofferCipherSuite>::deserialize(req.credential_request.as_slice())
                .map_err(|_| ApiError::malformed("credential_request is not an OPAQUE message."))?;
        let mut tx = self.storage.write().await?;
        let account = accounts::by_id(&mut tx, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        let started = ServerLogin::start(
            &mut rand::rngs::OsRng,
            &self.opaque,
            Some(opaque_record(&account.opaque_record)?),
            request,
            account.email.as_bytes(),
            login_params(),
        )
        .map_err(|_| ApiError::malformed("credential_request is not valid."))?;
        let login_id = Uuid::new_v4();
        // The attempt belongs to this session: its id, then the OPAQUE state.
        let state = [caller.device_id.as_bytes(), &started.state.serialize()[..]].concat();
        sessions::put_attempt(
            &mut tx,
            &LoginAttempt {
                id: login_id,
                kind: AttemptKind::StepUp,
                account_id: Some(account.id),
                state,
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

    /// KE3, and the second factor when the account has one: a step-up token for this session.
    pub async fn step_up_finish(
        &self,
        caller: &Caller,
        req: StepUpFinishRequest,
    ) -> ApiResult<StepUpToken> {
        let finalization = CredentialFinalization::<CofferCipherSuite>::deserialize(
            req.credential_finalization.as_slice(),
        )
        .map_err(|_| ApiError::malformed("credential_finalization is not an OPAQUE message."))?;
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        let attempt = sessions::take_attempt(&mut tx, req.login_id, AttemptKind::StepUp, now)
            .await?
            .filter(|a| {
                a.account_id == Some(caller.account_id)
                    && a.state.get(..16) == Some(caller.device_id.as_bytes().as_slice())
            })
            .ok_or_else(ApiError::invalid_credentials)?;
        let state = ServerLogin::<CofferCipherSuite>::deserialize(&attempt.state[16..])
            .map_err(|_| ApiError::internal())?;
        if state.finish(finalization, login_params()).is_err() {
            events::log(
                &mut tx,
                caller.account_id,
                SecurityEventKind::LoginFailed,
                caller.device(),
                now,
            )
            .await?;
            tx.commit().await?;
            return Err(ApiError::invalid_credentials());
        }
        let account = accounts::by_id(&mut tx, caller.account_id)
            .await?
            .ok_or_else(ApiError::invalid_token)?;
        if account.totp_secret.is_some() {
            let Some(code) = req.second_factor.as_deref() else {
                return Err(ApiError::new(
                    ErrorCode::TotpRequired,
                    "This account has TOTP on: send the current code (or a recovery code) with \
                     the step-up.",
                ));
            };
            if let Err(refusal) = self
                .second_factor(&mut tx, &account, caller.device(), code)
                .await?
            {
                tx.commit().await?;
                return Err(refusal);
            }
        }
        let token = new_token("cfs_");
        sessions::set_step_up(
            &mut tx,
            caller.device_id,
            &token_hash(&token),
            now + STEP_UP_TTL_SECS as i64,
        )
        .await?;
        tx.commit().await?;
        Ok(StepUpToken {
            step_up_token: token,
            expires_in: STEP_UP_TTL_SECS,
        })
    }
}
