//! E-mail verification. On a server that sends e-mail a new account gets an 8-digit code by
//! mail and syncs only once the code came back ([`routes::EMAIL_VERIFY`]): an address is an
//! account's only when its owner read the mail. The server keeps an HMAC of the code under its
//! key, for a day; five wrong codes void it. A server without e-mail cannot verify and accepts
//! addresses as given (it says so at start-up).
//!
//! [`routes::EMAIL_VERIFY`]: coffer_api::routes::EMAIL_VERIFY

use crate::app::App;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::mail::Notice;
use crate::ratelimit::Bucket;
use crate::server_key::Purpose;
use crate::storage::accounts::{self, Verification};
use crate::storage::outbox::{self, MailRecord};
use crate::storage::{Conn, events};
use coffer_api::{EmailVerifyRequest, ErrorCode, SecurityEventKind};
use rand::Rng;
use std::sync::Arc;
use uuid::Uuid;

const CODE_TTL_SECS: i64 = 24 * 3600;
const MAX_ATTEMPTS: u32 = 5;

fn not_verified() -> ApiError {
    ApiError::new(
        ErrorCode::EmailNotVerified,
        "Verify the account's e-mail address first: enter the code from the e-mail (or ask \
         for a new one).",
    )
}

impl App {
    fn code_hash(&self, account: Uuid, code: &str) -> Vec<u8> {
        let digits: String = code.chars().filter(char::is_ascii_digit).collect();
        self.server_key
            .mac(
                Purpose::EmailCode,
                &[account.as_bytes(), digits.as_bytes()].concat(),
            )
            .to_vec()
    }

    /// Refuses callers whose address is not verified yet.
    pub fn require_verified(&self, caller: &Caller) -> ApiResult<()> {
        if caller.email_verified {
            Ok(())
        } else {
            Err(not_verified())
        }
    }

    /// Stores a new code for the account and queues its e-mail (to send at once).
    pub(crate) async fn new_verification_code(
        &self,
        c: &mut Conn,
        account: Uuid,
    ) -> ApiResult<Option<MailRecord>> {
        let code = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
        let now = self.clock.unix();
        accounts::put_verification(
            c,
            account,
            &Verification {
                code_hash: self.code_hash(account, &code),
                expires_at: now + CODE_TTL_SECS,
                attempts: 0,
                sent_at: now,
            },
        )
        .await?;
        self.notify(
            c,
            account,
            &format!("verify:{account}:{}", Uuid::new_v4()),
            Notice::VerifyEmail { code },
        )
        .await
    }

    pub async fn verify_email(&self, caller: &Caller, req: EmailVerifyRequest) -> ApiResult<()> {
        let account = caller.account_id;
        self.limiter
            .check(Bucket::EmailVerification, &account.to_string())
            .await
            .map_err(crate::auth::too_many)?;
        if caller.email_verified {
            return Ok(());
        }
        let now = self.clock.unix();
        let mut tx = self.storage.write().await?;
        accounts::lock(&mut tx, account).await?;
        let wrong = || {
            ApiError::invalid(
                "The code is wrong or expired; check the latest e-mail, or ask for a new code.",
            )
        };
        let Some(pending) = accounts::verification(&mut tx, account).await? else {
            return Err(wrong());
        };
        if pending.expires_at <= now || pending.attempts >= MAX_ATTEMPTS {
            return Err(wrong());
        }
        let expected = self.code_hash(account, &req.code);
        let same = expected.len() == pending.code_hash.len()
            && expected
                .iter()
                .zip(&pending.code_hash)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            accounts::count_verification_attempt(&mut tx, account).await?;
            tx.commit().await?;
            return Err(wrong());
        }
        self.mark_verified(&mut tx, account).await?;
        events::log(
            &mut tx,
            account,
            SecurityEventKind::EmailVerified,
            caller.device(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The address is the account's: it syncs from now on, and unsent codes are dropped.
    pub(crate) async fn mark_verified(&self, c: &mut Conn, account: Uuid) -> ApiResult<()> {
        accounts::mark_verified(c, account, self.clock.unix()).await?;
        outbox::drop_unsent(c, account, crate::mail::VERIFY_EMAIL_TEMPLATE).await?;
        Ok(())
    }

    /// Mails a new code (the old one stops working).
    pub async fn resend_verification(self: &Arc<Self>, caller: &Caller) -> ApiResult<()> {
        if caller.email_verified {
            return Err(ApiError::invalid("The address is verified already."));
        }
        if !self.verifies_email() {
            return Err(ApiError::invalid("This server sends no e-mail."));
        }
        self.limiter
            .check(Bucket::EmailVerification, &caller.account_id.to_string())
            .await
            .map_err(crate::auth::too_many)?;
        let mut tx = self.storage.write().await?;
        let mail = self
            .new_verification_code(&mut tx, caller.account_id)
            .await?;
        tx.commit().await?;
        self.send_soon(mail);
        Ok(())
    }
}
