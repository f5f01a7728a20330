//! Accounts: the OPAQUE record and the client's wrapped keys, the second factor (sealed TOTP
//! secret, salted recovery-code hashes, the guess counter), e-mail verification, the change
//! feed's sequence counter, and deletion.

use super::rows;
use super::{Conn, StorageResult};
use uuid::Uuid;

/// A new account, as registration finish stores it.
pub struct NewAccount {
    pub id: Uuid,
    pub email: String,
    pub opaque_record: Vec<u8>,
    /// JSON of [`coffer_api::WrappedKeys`]; opaque to the server.
    pub wrapped_keys: Vec<u8>,
    /// `None` until the address is verified (servers that send e-mail); servers without
    /// e-mail accept the address as given.
    pub email_verified_at: Option<i64>,
    pub created_at: i64,
}

/// An account row.
pub struct AccountRecord {
    pub id: Uuid,
    pub email: String,
    pub opaque_record: Vec<u8>,
    pub wrapped_keys: Vec<u8>,
    /// Sealed under the server's key (see `crate::totp`).
    pub totp_secret: Option<Vec<u8>>,
    pub totp_pending: Option<Vec<u8>>,
    pub last_seq: u64,
    pub created_at: i64,
    pub email_verified_at: Option<i64>,
    /// Wrong second-factor codes in a row, and until when the next guess must wait.
    pub second_factor_failures: u32,
    pub second_factor_wait_until: i64,
}

impl std::fmt::Debug for AccountRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountRecord")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> StorageResult<AccountRecord> {
    Ok(AccountRecord {
        id: rows::uuid(row, "id")?,
        email: rows::text(row, "email")?,
        opaque_record: rows::bytes(row, "opaque_record")?,
        wrapped_keys: rows::bytes(row, "wrapped_keys")?,
        totp_secret: rows::opt_bytes(row, "totp_secret")?,
        totp_pending: rows::opt_bytes(row, "totp_pending")?,
        last_seq: rows::count(row, "last_seq")?,
        created_at: rows::int(row, "created_at")?,
        email_verified_at: rows::opt_int(row, "email_verified_at")?,
        second_factor_failures: rows::small(row, "second_factor_failures")?,
        second_factor_wait_until: rows::int(row, "second_factor_wait_until")?,
    })
}

/// `Err(Conflict)` if the address has an account.
pub async fn create(c: &mut Conn, a: &NewAccount) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO accounts (id, email, opaque_record, wrapped_keys, created_at, \
         email_verified_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.id.to_string())
    .bind(&a.email)
    .bind(&a.opaque_record)
    .bind(&a.wrapped_keys)
    .bind(a.created_at)
    .bind(a.email_verified_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn by_email(c: &mut Conn, email: &str) -> StorageResult<Option<AccountRecord>> {
    let row = sqlx::query("SELECT * FROM accounts WHERE email = $1")
        .bind(email)
        .fetch_optional(c)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn by_id(c: &mut Conn, id: Uuid) -> StorageResult<Option<AccountRecord>> {
    let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(c)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Takes the account's row for the rest of the unit of work, so the account's writers run
/// one after the other; false if there is no such account (any more).
pub async fn lock(c: &mut Conn, id: Uuid) -> StorageResult<bool> {
    Ok(lock_feed(c, id).await?.is_some())
}

/// [`lock`], answering the change feed's last sequence number: a unit of work that holds
/// the row may give out the next ones itself and store the last with [`set_last_seq`].
pub async fn lock_feed(c: &mut Conn, id: Uuid) -> StorageResult<Option<i64>> {
    let row =
        sqlx::query("UPDATE accounts SET last_seq = last_seq WHERE id = $1 RETURNING last_seq")
            .bind(id.to_string())
            .fetch_optional(c)
            .await?;
    row.map(|r| rows::int(&r, "last_seq")).transpose()
}

/// Stores the last sequence number a unit of work holding the row (see [`lock_feed`]) gave out.
pub async fn set_last_seq(c: &mut Conn, id: Uuid, seq: i64) -> StorageResult<()> {
    sqlx::query("UPDATE accounts SET last_seq = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(seq)
        .execute(c)
        .await?;
    Ok(())
}

/// Takes the account's row and the next change-feed sequence number.
pub async fn next_seq(c: &mut Conn, id: Uuid) -> StorageResult<Option<i64>> {
    let row =
        sqlx::query("UPDATE accounts SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq")
            .bind(id.to_string())
            .fetch_optional(c)
            .await?;
    row.map(|r| rows::int(&r, "last_seq")).transpose()
}

/// The latest sequence number and the oldest cursor still served (tombstones before it went).
pub async fn feed_bounds(c: &mut Conn, id: Uuid) -> StorageResult<Option<(u64, u64)>> {
    let row = sqlx::query("SELECT last_seq, purged_seq FROM accounts WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(c)
        .await?;
    row.map(|r| Ok((rows::count(&r, "last_seq")?, rows::count(&r, "purged_seq")?)))
        .transpose()
}

/// Replaces the wrapped keys, and the OPAQUE record when given.
pub async fn set_credentials(
    c: &mut Conn,
    id: Uuid,
    opaque_record: Option<&[u8]>,
    wrapped_keys: &[u8],
) -> StorageResult<()> {
    sqlx::query(
        "UPDATE accounts SET opaque_record = COALESCE($2, opaque_record), wrapped_keys = $3 \
         WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(opaque_record.map(<[u8]>::to_vec))
    .bind(wrapped_keys)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn set_totp_pending(c: &mut Conn, id: Uuid, sealed: Option<&[u8]>) -> StorageResult<()> {
    sqlx::query("UPDATE accounts SET totp_pending = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(sealed.map(<[u8]>::to_vec))
        .execute(c)
        .await?;
    Ok(())
}

/// Makes `sealed` the account's TOTP secret (or none) and `recovery_code_hashes` its recovery
/// codes; the pending secret and the replay guard start over.
pub async fn set_second_factor(
    c: &mut Conn,
    id: Uuid,
    sealed: Option<&[u8]>,
    recovery_code_hashes: &[String],
) -> StorageResult<()> {
    sqlx::query(
        "UPDATE accounts SET totp_secret = $2, totp_pending = NULL, totp_last_step = 0 \
         WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(sealed.map(<[u8]>::to_vec))
    .execute(&mut *c)
    .await?;
    replace_recovery_codes(c, id, recovery_code_hashes).await
}

/// Replaces the account's recovery codes (PHC strings of salted Argon2id hashes).
pub async fn replace_recovery_codes(
    c: &mut Conn,
    id: Uuid,
    hashes: &[String],
) -> StorageResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
        .bind(id.to_string())
        .execute(&mut *c)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)")
            .bind(id.to_string())
            .bind(hash.as_bytes())
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

pub async fn recovery_codes(c: &mut Conn, id: Uuid) -> StorageResult<Vec<Vec<u8>>> {
    let found = sqlx::query("SELECT code_hash FROM recovery_codes WHERE account_id = $1")
        .bind(id.to_string())
        .fetch_all(c)
        .await?;
    found.iter().map(|r| rows::bytes(r, "code_hash")).collect()
}

/// Removes a used recovery code; true if it was there (a concurrent use loses).
pub async fn remove_recovery_code(c: &mut Conn, id: Uuid, stored: &[u8]) -> StorageResult<bool> {
    let done = sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1 AND code_hash = $2")
        .bind(id.to_string())
        .bind(stored)
        .execute(c)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Accepts a TOTP time step only if it is later than the last accepted one (no replay).
pub async fn advance_totp_step(c: &mut Conn, id: Uuid, step: i64) -> StorageResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
    )
    .bind(id.to_string())
    .bind(step)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a wrong second-factor code and sets how long the next guess waits; answers the
/// failures so far.
pub async fn second_factor_failed(
    c: &mut Conn,
    id: Uuid,
    wait_until: impl Fn(u32) -> i64,
) -> StorageResult<u32> {
    let row = sqlx::query(
        "UPDATE accounts SET second_factor_failures = second_factor_failures + 1 \
         WHERE id = $1 RETURNING second_factor_failures",
    )
    .bind(id.to_string())
    .fetch_optional(&mut *c)
    .await?;
    let failures = match row {
        Some(r) => rows::small(&r, "second_factor_failures")?,
        None => return Ok(0),
    };
    sqlx::query("UPDATE accounts SET second_factor_wait_until = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(wait_until(failures))
        .execute(c)
        .await?;
    Ok(failures)
}

pub async fn second_factor_passed(c: &mut Conn, id: Uuid) -> StorageResult<()> {
    sqlx::query(
        "UPDATE accounts SET second_factor_failures = 0, second_factor_wait_until = 0 \
         WHERE id = $1",
    )
    .bind(id.to_string())
    .execute(c)
    .await?;
    Ok(())
}

/// TOTP secrets stored before they were sealed (20 raw bytes), to seal at start-up.
pub async fn unsealed_totp_secrets(
    c: &mut Conn,
) -> StorageResult<Vec<(Uuid, Option<Vec<u8>>, Option<Vec<u8>>)>> {
    let found = sqlx::query(
        "SELECT id, totp_secret, totp_pending FROM accounts \
         WHERE (totp_secret IS NOT NULL AND LENGTH(totp_secret) = 20) \
         OR (totp_pending IS NOT NULL AND LENGTH(totp_pending) = 20)",
    )
    .fetch_all(c)
    .await?;
    found
        .iter()
        .map(|r| {
            Ok((
                rows::uuid(r, "id")?,
                rows::opt_bytes(r, "totp_secret")?,
                rows::opt_bytes(r, "totp_pending")?,
            ))
        })
        .collect()
}

pub async fn set_totp_columns(
    c: &mut Conn,
    id: Uuid,
    secret: Option<&[u8]>,
    pending: Option<&[u8]>,
) -> StorageResult<()> {
    sqlx::query("UPDATE accounts SET totp_secret = $2, totp_pending = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(secret.map(<[u8]>::to_vec))
        .bind(pending.map(<[u8]>::to_vec))
        .execute(c)
        .await?;
    Ok(())
}

// -- e-mail verification -------------------------------------------------------------------

/// A verification code sent to the account's address (only its hash is kept).
pub struct Verification {
    pub code_hash: Vec<u8>,
    pub expires_at: i64,
    pub attempts: u32,
    pub sent_at: i64,
}

pub async fn put_verification(c: &mut Conn, id: Uuid, v: &Verification) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO email_verifications (account_id, code_hash, expires_at, attempts, sent_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
         code_hash = excluded.code_hash, expires_at = excluded.expires_at, \
         attempts = excluded.attempts, sent_at = excluded.sent_at",
    )
    .bind(id.to_string())
    .bind(&v.code_hash)
    .bind(v.expires_at)
    .bind(i64::from(v.attempts))
    .bind(v.sent_at)
    .execute(c)
    .await?;
    Ok(())
}

pub async fn verification(c: &mut Conn, id: Uuid) -> StorageResult<Option<Verification>> {
    let row = sqlx::query("SELECT * FROM email_verifications WHERE account_id = $1")
        .bind(id.to_string())
        .fetch_optional(c)
        .await?;
    row.map(|r| {
        Ok(Verification {
            code_hash: rows::bytes(&r, "code_hash")?,
            expires_at: rows::int(&r, "expires_at")?,
            attempts: rows::small(&r, "attempts")?,
            sent_at: rows::int(&r, "sent_at")?,
        })
    })
    .transpose()
}

pub async fn count_verification_attempt(c: &mut Conn, id: Uuid) -> StorageResult<()> {
    sqlx::query("UPDATE email_verifications SET attempts = attempts + 1 WHERE account_id = $1")
        .bind(id.to_string())
        .execute(c)
        .await?;
    Ok(())
}

pub async fn mark_verified(c: &mut Conn, id: Uuid, now: i64) -> StorageResult<()> {
    sqlx::query("DELETE FROM email_verifications WHERE account_id = $1")
        .bind(id.to_string())
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE accounts SET email_verified_at = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

// -- deletion ------------------------------------------------------------------------------

/// Deletes every row of the account and queues its blobs for deletion
/// ([`crate::storage::maintenance`] finishes the job if the caller cannot).
pub async fn delete(c: &mut Conn, id: Uuid, now: i64) -> StorageResult<()> {
    let id = id.to_string();
    for sql in [
        "DELETE FROM spent_refresh_tokens WHERE session_id IN \
         (SELECT id FROM sessions WHERE account_id = $1)",
        "DELETE FROM sessions WHERE account_id = $1",
        "DELETE FROM login_attempts WHERE account_id = $1",
        "DELETE FROM recovery_codes WHERE account_id = $1",
        "DELETE FROM email_verifications WHERE account_id = $1",
        "DELETE FROM item_blobs WHERE account_id = $1",
        "DELETE FROM items WHERE account_id = $1",
        "DELETE FROM blobs WHERE account_id = $1",
        "DELETE FROM upload_chunks WHERE upload_id IN \
         (SELECT id FROM uploads WHERE account_id = $1)",
        "DELETE FROM uploads WHERE account_id = $1",
        "DELETE FROM idempotency WHERE account_id = $1",
        "DELETE FROM security_events WHERE account_id = $1",
        "DELETE FROM account_plans WHERE account_id = $1",
        "DELETE FROM mail_outbox WHERE account_id = $1",
        "DELETE FROM ocr_credits WHERE account_id = $1",
        "DELETE FROM shares WHERE account_id = $1",
        "DELETE FROM accounts WHERE id = $1",
        // After the account row: a reminder PUT that held its lock has committed.
        "DELETE FROM reminders WHERE account_id = $1",
    ] {
        sqlx::query(sql).bind(&id).execute(&mut *c).await?;
    }
    sqlx::query(
        "INSERT INTO account_purges (account_id, requested_at) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(&id)
    .bind(now)
    .execute(c)
    .await?;
    Ok(())
}

/// The account's blobs are gone from the blob store too.
pub async fn finish_purge(c: &mut Conn, id: Uuid) -> StorageResult<()> {
    sqlx::query("DELETE FROM account_purges WHERE account_id = $1")
        .bind(id.to_string())
        .execute(c)
        .await?;
    Ok(())
}

/// Accounts whose address was never verified, created before `before`.
pub async fn unverified_before(c: &mut Conn, before: i64) -> StorageResult<Vec<Uuid>> {
    let found =
        sqlx::query("SELECT id FROM accounts WHERE email_verified_at IS NULL AND created_at < $1")
            .bind(before)
            .fetch_all(c)
            .await?;
    found.iter().map(|r| rows::uuid(r, "id")).collect()
}
