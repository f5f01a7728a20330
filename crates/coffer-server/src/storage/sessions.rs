//! Devices' sessions and login steps. Tokens are stored only as SHA-256 hashes. A refresh
//! token is exchanged once: the spent one is remembered, so showing it again (a stolen copy
//! racing the device) is recognised and ends the session. A login step (OPAQUE KE2 waiting
//! for KE3, a password proven and waiting for the second factor) is stored so any instance
//! can finish it, and taken when used so a replay finds nothing.

use super::rows;
use super::{Conn, StorageResult};
use uuid::Uuid;

/// What a login attempt waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// OPAQUE KE2 sent, waiting for KE3. `state` is the serialised `ServerLogin`.
    Opaque,
    /// Password proven, waiting for a TOTP code. `state` is the device name.
    Totp,
    /// A signed-in device proving the password again (step-up). `state` is the serialised
    /// `ServerLogin`; the attempt belongs to one session.
    StepUp,
}

impl AttemptKind {
    fn as_str(self) -> &'static str {
        match self {
            AttemptKind::Opaque => "opaque",
            AttemptKind::Totp => "totp",
            AttemptKind::StepUp => "step_up",
        }
    }
}

/// A pending login step.
pub struct LoginAttempt {
    pub id: Uuid,
    pub kind: AttemptKind,
    /// `None` for an unknown account (the answer was computed from a fake record).
    pub account_id: Option<Uuid>,
    pub state: Vec<u8>,
    pub expires_at: i64,
}

pub async fn put_attempt(c: &mut Conn, a: &LoginAttempt) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO login_attempts (id, kind, account_id, state, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(a.id.to_string())
    .bind(a.kind.as_str())
    .bind(a.account_id.map(|id| id.to_string()))
    .bind(&a.state)
    .bind(a.expires_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Removes and returns the attempt if it exists, is of `kind` and has not expired.
pub async fn take_attempt(
    c: &mut Conn,
    id: Uuid,
    kind: AttemptKind,
    now: i64,
) -> StorageResult<Option<LoginAttempt>> {
    let row = sqlx::query(
        "DELETE FROM login_attempts WHERE id = $1 AND kind = $2 \
         RETURNING account_id, state, expires_at",
    )
    .bind(id.to_string())
    .bind(kind.as_str())
    .fetch_optional(c)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let expires_at = rows::int(&row, "expires_at")?;
    if expires_at <= now {
        return Ok(None);
    }
    Ok(Some(LoginAttempt {
        id,
        kind,
        account_id: rows::opt_uuid(&row, "account_id")?,
        state: rows::bytes(&row, "state")?,
        expires_at,
    }))
}

/// A device's session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: Uuid,
    pub account_id: Uuid,
    pub device_name: String,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub revoked: bool,
    /// The hash of the step-up token and when it stops counting.
    pub step_up: Option<(Vec<u8>, i64)>,
}

fn from_row(row: &sqlx::any::AnyRow) -> StorageResult<SessionRecord> {
    let step_up = match (
        rows::opt_bytes(row, "step_up_hash")?,
        rows::opt_int(row, "step_up_expires_at")?,
    ) {
        (Some(hash), Some(until)) => Some((hash, until)),
        _ => None,
    };
    Ok(SessionRecord {
        id: rows::uuid(row, "id")?,
        account_id: rows::uuid(row, "account_id")?,
        device_name: rows::text(row, "device_name")?,
        access_expires_at: rows::int(row, "access_expires_at")?,
        refresh_expires_at: rows::int(row, "refresh_expires_at")?,
        created_at: rows::int(row, "created_at")?,
        last_seen_at: rows::int(row, "last_seen_at")?,
        revoked: rows::opt_int(row, "revoked_at")?.is_some(),
        step_up,
    })
}

pub struct NewSession<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub device_name: &'a str,
    pub access_hash: &'a [u8],
    pub access_expires_at: i64,
    pub refresh_hash: &'a [u8],
    pub refresh_expires_at: i64,
    pub now: i64,
}

pub async fn create(c: &mut Conn, s: &NewSession<'_>) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO sessions (id, account_id, device_name, access_hash, access_expires_at, \
         refresh_hash, refresh_expires_at, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(s.id.to_string())
    .bind(s.account_id.to_string())
    .bind(s.device_name)
    .bind(s.access_hash)
    .bind(s.access_expires_at)
    .bind(s.refresh_hash)
    .bind(s.refresh_expires_at)
    .bind(s.now)
    .execute(c)
    .await?;
    Ok(())
}

/// The session holding the access token, and whether its account's address is verified.
pub async fn by_access_hash(
    c: &mut Conn,
    hash: &[u8],
) -> StorageResult<Option<(SessionRecord, bool)>> {
    let row = sqlx::query(
        "SELECT s.*, a.email_verified_at FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.access_hash = $1",
    )
    .bind(hash)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok((
            from_row(&r)?,
            rows::opt_int(&r, "email_verified_at")?.is_some(),
        ))
    })
    .transpose()
}

pub struct RotatedTokens<'a> {
    pub old_refresh_hash: &'a [u8],
    pub access_hash: &'a [u8],
    pub access_expires_at: i64,
    pub refresh_hash: &'a [u8],
    pub refresh_expires_at: i64,
    pub now: i64,
}

pub enum Rotation {
    Rotated(SessionRecord),
    /// The token was exchanged before: someone else holds a copy of it.
    Reused(SessionRecord),
    Unknown,
}

/// Swaps both tokens of the live session holding `old_refresh_hash`, remembering the old one.
pub async fn rotate(c: &mut Conn, r: &RotatedTokens<'_>) -> StorageResult<Rotation> {
    let row = sqlx::query(
        "UPDATE sessions SET access_hash = $2, access_expires_at = $3, refresh_hash = $4, \
         refresh_expires_at = $5, last_seen_at = $6 \
         WHERE refresh_hash = $1 AND revoked_at IS NULL AND refresh_expires_at > $6 \
         RETURNING *",
    )
    .bind(r.old_refresh_hash)
    .bind(r.access_hash)
    .bind(r.access_expires_at)
    .bind(r.refresh_hash)
    .bind(r.refresh_expires_at)
    .bind(r.now)
    .fetch_optional(&mut *c)
    .await?;
    if let Some(row) = row {
        let session = from_row(&row)?;
        sqlx::query(
            "INSERT INTO spent_refresh_tokens (token_hash, session_id, spent_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(r.old_refresh_hash)
        .bind(session.id.to_string())
        .bind(r.now)
        .execute(c)
        .await?;
        return Ok(Rotation::Rotated(session));
    }
    let row = sqlx::query(
        "SELECT s.* FROM spent_refresh_tokens t JOIN sessions s ON s.id = t.session_id \
         WHERE t.token_hash = $1",
    )
    .bind(r.old_refresh_hash)
    .fetch_optional(c)
    .await?;
    Ok(match row {
        Some(row) => Rotation::Reused(from_row(&row)?),
        None => Rotation::Unknown,
    })
}

/// Remembers the hash of a fresh step-up token for the session until `expires_at`.
pub async fn set_step_up(
    c: &mut Conn,
    session: Uuid,
    hash: &[u8],
    expires_at: i64,
) -> StorageResult<()> {
    sqlx::query("UPDATE sessions SET step_up_hash = $2, step_up_expires_at = $3 WHERE id = $1")
        .bind(session.to_string())
        .bind(hash)
        .bind(expires_at)
        .execute(c)
        .await?;
    Ok(())
}

pub async fn live(c: &mut Conn, account: Uuid) -> StorageResult<Vec<SessionRecord>> {
    let found = sqlx::query(
        "SELECT * FROM sessions WHERE account_id = $1 AND revoked_at IS NULL \
         ORDER BY created_at, id",
    )
    .bind(account.to_string())
    .fetch_all(c)
    .await?;
    found.iter().map(from_row).collect()
}

/// True if the session was live.
pub async fn revoke(c: &mut Conn, account: Uuid, id: Uuid, now: i64) -> StorageResult<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $3, step_up_hash = NULL \
         WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(account.to_string())
    .bind(id.to_string())
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live session of the account but `except`.
pub async fn revoke_all(
    c: &mut Conn,
    account: Uuid,
    except: Option<Uuid>,
    now: i64,
) -> StorageResult<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $3, step_up_hash = NULL WHERE account_id = $1 \
         AND revoked_at IS NULL AND ($2 IS NULL OR id <> $2)",
    )
    .bind(account.to_string())
    .bind(except.map(|id| id.to_string()))
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected())
}
