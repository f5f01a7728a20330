//! SQLite and PostgreSQL implementations of [`Storage`].
//!
//! Both run the same SQL (positional `$n` parameters, `ON CONFLICT`, `RETURNING` are common to
//! both); the body is written once in `impl_storage!` and stamped out per backend, and only the
//! schema (`migrations/sqlite`, `migrations/postgres`) and the way a write transaction starts
//! differ. Ids are stored as text, times as Unix seconds, binary values as BLOB/BYTEA.

use super::*;
use coffer_api::{ItemMeta, KindClass};
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

#[path = "billing_sql.rs"]
mod billing;
#[path = "reminders_sql.rs"]
mod reminders;

/// The embedded default: one SQLite file in WAL mode.
pub struct SqliteStorage {
    /// Readers (WAL lets them run beside the writer).
    pool: sqlx::SqlitePool,
    /// The one writer: SQLite has a single write lock, and queueing writers on one connection
    /// is fairer and faster than letting them poll the file lock (its busy handler sleeps up
    /// to 100 ms per retry).
    writer: sqlx::SqlitePool,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `url` (`sqlite://PATH`) and migrates it.
    pub async fn connect(url: &str) -> StorageResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(false);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer })
    }

    fn writes(&self) -> &sqlx::SqlitePool {
        &self.writer
    }

    async fn begin_write(&self) -> StorageResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        // IMMEDIATE takes the write lock up front, so a read-then-write transaction never
        // fails half-way on a lock upgrade.
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// The scalable backend: any number of server instances share one PostgreSQL database.
pub struct PostgresStorage {
    pool: sqlx::PgPool,
}

impl PostgresStorage {
    pub async fn connect(url: &str) -> StorageResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StorageError::Backend(e.to_string()))?;
        Ok(Self { pool })
    }

    fn writes(&self) -> &sqlx::PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> StorageResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

fn parse_uuid(s: &str) -> StorageResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| StorageError::Corrupt("id is not a UUID".into()))
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

macro_rules! impl_storage {
    ($storage:ty, $db:ty) => {
        impl $storage {
            fn account_from_row(row: &<$db as sqlx::Database>::Row) -> StorageResult<AccountRecord> {
                Ok(AccountRecord {
                    id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                    email: row.try_get("email")?,
                    opaque_record: row.try_get("opaque_record")?,
                    wrapped_keys: row.try_get("wrapped_keys")?,
                    totp_secret: row.try_get("totp_secret")?,
                    totp_pending: row.try_get("totp_pending")?,
                    last_seq: to_u64(row.try_get("last_seq")?),
                    created_at: row.try_get("created_at")?,
                })
            }

            fn session_from_row(row: &<$db as sqlx::Database>::Row) -> StorageResult<SessionRecord> {
                Ok(SessionRecord {
                    id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                    account_id: parse_uuid(&row.try_get::<String, _>("account_id")?)?,
                    device_name: row.try_get("device_name")?,
                    access_expires_at: row.try_get("access_expires_at")?,
                    refresh_expires_at: row.try_get("refresh_expires_at")?,
                    created_at: row.try_get("created_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                    revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                })
            }

            fn item_from_row(
                row: &<$db as sqlx::Database>::Row,
                blobs: Vec<BlobRef>,
            ) -> StorageResult<Item> {
                let deleted: bool = row.try_get("deleted")?;
                let meta = if deleted {
                    None
                } else {
                    let kind: Option<String> = row.try_get("kind_class")?;
                    let kind_class = kind
                        .as_deref()
                        .and_then(KindClass::parse)
                        .ok_or_else(|| StorageError::Corrupt("unknown kind_class".into()))?;
                    Some(ItemMeta {
                        kind_class,
                        created_month: row
                            .try_get::<Option<String>, _>("created_month")?
                            .unwrap_or_default(),
                        padded_size: to_u64(
                            row.try_get::<Option<i64>, _>("padded_size")?.unwrap_or(0),
                        ),
                    })
                };
                let envelope: Option<Vec<u8>> = row.try_get("envelope")?;
                Ok(Item {
                    id: parse_uuid(&row.try_get::<String, _>("id")?)?,
                    revision: to_u64(row.try_get("revision")?),
                    seq: to_u64(row.try_get("seq")?),
                    deleted,
                    meta,
                    envelope: envelope.map(coffer_api::Bytes),
                    blobs,
                    updated_at: row.try_get("updated_at")?,
                })
            }

            /// Blob references of the items whose feed sequence is in `(after, upto]`, or of the
            /// one item `only`, keyed by item id.
            async fn blobs_of<'e, E>(
                executor: E,
                account_id: Uuid,
                only: Option<Uuid>,
                after: i64,
                upto: i64,
            ) -> StorageResult<std::collections::HashMap<Uuid, Vec<BlobRef>>>
            where
                E: sqlx::Executor<'e, Database = $db>,
            {
                let mut out: std::collections::HashMap<Uuid, Vec<BlobRef>> = Default::default();
                let rows = match only {
                    Some(id) => {
                        sqlx::query(
                            "SELECT item_id, sha256, size FROM item_blobs \
                             WHERE account_id = $1 AND item_id = $2 ORDER BY position",
                        )
                        .bind(account_id.to_string())
                        .bind(id.to_string())
                        .fetch_all(executor)
                        .await?
                    }
                    None => {
                        sqlx::query(
                            "SELECT ib.item_id, ib.sha256, ib.size FROM item_blobs ib \
                             JOIN items i ON i.account_id = ib.account_id AND i.id = ib.item_id \
                             WHERE i.account_id = $1 AND i.seq > $2 AND i.seq <= $3 \
                             ORDER BY ib.item_id, ib.position",
                        )
                        .bind(account_id.to_string())
                        .bind(after)
                        .bind(upto)
                        .fetch_all(executor)
                        .await?
                    }
                };
                for row in rows {
                    let id = parse_uuid(&row.try_get::<String, _>("item_id")?)?;
                    out.entry(id).or_default().push(BlobRef {
                        sha256: row.try_get("sha256")?,
                        size: to_u64(row.try_get("size")?),
                    });
                }
                Ok(out)
            }
        }

        #[async_trait]
        impl Storage for $storage {
            async fn ping(&self) -> StorageResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn secret_or_init(&self, name: &str, fresh: &[u8]) -> StorageResult<Vec<u8>> {
                sqlx::query(
                    "INSERT INTO server_secrets (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(fresh)
                .execute(self.writes())
                .await?;
                let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
                    .bind(name)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get("value")?)
            }

            async fn create_account(&self, a: &NewAccount) -> StorageResult<()> {
                sqlx::query(
                    "INSERT INTO accounts (id, email, opaque_record, wrapped_keys, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(a.id.to_string())
                .bind(&a.email)
                .bind(&a.opaque_record)
                .bind(&a.wrapped_keys)
                .bind(a.created_at)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            async fn account_by_email(&self, email: &str) -> StorageResult<Option<AccountRecord>> {
                let row = sqlx::query("SELECT * FROM accounts WHERE email = $1")
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::account_from_row).transpose()
            }

            async fn account(&self, id: Uuid) -> StorageResult<Option<AccountRecord>> {
                let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::account_from_row).transpose()
            }

            async fn set_credentials(
                &self,
                id: Uuid,
                opaque_record: Option<&[u8]>,
                wrapped_keys: &[u8],
            ) -> StorageResult<()> {
                sqlx::query(
                    "UPDATE accounts SET opaque_record = COALESCE($2, opaque_record), \
                     wrapped_keys = $3 WHERE id = $1",
                )
                .bind(id.to_string())
                .bind(opaque_record)
                .bind(wrapped_keys)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            async fn delete_account(&self, id: Uuid, now: i64) -> StorageResult<()> {
                let id = id.to_string();
                let mut tx = self.begin_write().await?;
                for sql in [
                    "DELETE FROM sessions WHERE account_id = $1",
                    "DELETE FROM login_attempts WHERE account_id = $1",
                    "DELETE FROM recovery_codes WHERE account_id = $1",
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
                    "DELETE FROM accounts WHERE id = $1",
                    // After the account row: a reminder PUT that held its lock has committed.
                    "DELETE FROM reminders WHERE account_id = $1",
                ] {
                    sqlx::query(sql).bind(&id).execute(&mut *tx).await?;
                }
                sqlx::query(
                    "INSERT INTO account_purges (account_id, requested_at) VALUES ($1, $2) \
                     ON CONFLICT (account_id) DO NOTHING",
                )
                .bind(&id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn finish_account_purge(&self, id: Uuid) -> StorageResult<()> {
                sqlx::query("DELETE FROM account_purges WHERE account_id = $1")
                    .bind(id.to_string())
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            async fn set_totp_pending(&self, id: Uuid, secret: Option<&[u8]>) -> StorageResult<()> {
                sqlx::query("UPDATE accounts SET totp_pending = $2 WHERE id = $1")
                    .bind(id.to_string())
                    .bind(secret)
                    .execute(self.writes())
                    .await?;
                Ok(())
            }

            async fn enable_totp(
                &self,
                id: Uuid,
                secret: &[u8],
                recovery_code_hashes: &[Vec<u8>],
            ) -> StorageResult<()> {
                let id = id.to_string();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE accounts SET totp_secret = $2, totp_pending = NULL WHERE id = $1",
                )
                .bind(&id)
                .bind(secret)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                for hash in recovery_code_hashes {
                    sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)")
                        .bind(&id)
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn disable_totp(&self, id: Uuid) -> StorageResult<()> {
                let id = id.to_string();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE accounts SET totp_secret = NULL, totp_pending = NULL WHERE id = $1",
                )
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn advance_totp_step(&self, id: Uuid, step: i64) -> StorageResult<bool> {
                let done = sqlx::query(
                    "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
                )
                .bind(id.to_string())
                .bind(step)
                .execute(self.writes())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn consume_recovery_code(&self, id: Uuid, code_hash: &[u8]) -> StorageResult<bool> {
                let done = sqlx::query(
                    "DELETE FROM recovery_codes WHERE account_id = $1 AND code_hash = $2",
                )
                .bind(id.to_string())
                .bind(code_hash)
                .execute(self.writes())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_login_attempt(&self, a: &LoginAttempt) -> StorageResult<()> {
                sqlx::query(
                    "INSERT INTO login_attempts (id, kind, account_id, state, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(a.id.to_string())
                .bind(a.kind.as_str())
                .bind(a.account_id.map(|id| id.to_string()))
                .bind(&a.state)
                .bind(a.expires_at)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            async fn take_login_attempt(
                &self,
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
                .fetch_optional(self.writes())
                .await?;
                let Some(row) = row else { return Ok(None) };
                let expires_at: i64 = row.try_get("expires_at")?;
                if expires_at <= now {
                    return Ok(None);
                }
                let account_id: Option<String> = row.try_get("account_id")?;
                Ok(Some(LoginAttempt {
                    id,
                    kind,
                    account_id: account_id.as_deref().map(parse_uuid).transpose()?,
                    state: row.try_get("state")?,
                    expires_at,
                }))
            }

            async fn create_session(&self, s: &NewSession<'_>) -> StorageResult<()> {
                sqlx::query(
                    "INSERT INTO sessions (id, account_id, device_name, access_hash, \
                     access_expires_at, refresh_hash, refresh_expires_at, created_at, last_seen_at) \
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
                .execute(self.writes())
                .await?;
                Ok(())
            }

            async fn session_by_access_hash(&self, hash: &[u8]) -> StorageResult<Option<SessionRecord>> {
                let row = sqlx::query("SELECT * FROM sessions WHERE access_hash = $1")
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::session_from_row).transpose()
            }

            async fn rotate_tokens(
                &self,
                r: &RotatedTokens<'_>,
            ) -> StorageResult<Option<SessionRecord>> {
                let row = sqlx::query(
                    "UPDATE sessions SET access_hash = $2, access_expires_at = $3, \
                     refresh_hash = $4, refresh_expires_at = $5, last_seen_at = $6 \
                     WHERE refresh_hash = $1 AND revoked_at IS NULL AND refresh_expires_at > $6 \
                     RETURNING *",
                )
                .bind(r.old_refresh_hash)
                .bind(r.access_hash)
                .bind(r.access_expires_at)
                .bind(r.refresh_hash)
                .bind(r.refresh_expires_at)
                .bind(r.now)
                .fetch_optional(self.writes())
                .await?;
                row.as_ref().map(Self::session_from_row).transpose()
            }

            async fn live_sessions(&self, account_id: Uuid) -> StorageResult<Vec<SessionRecord>> {
                let rows = sqlx::query(
                    "SELECT * FROM sessions WHERE account_id = $1 AND revoked_at IS NULL \
                     ORDER BY created_at, id",
                )
                .bind(account_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::session_from_row).collect()
            }

            async fn revoke_session(&self, account_id: Uuid, id: Uuid, now: i64) -> StorageResult<bool> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $3 \
                     WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL",
                )
                .bind(account_id.to_string())
                .bind(id.to_string())
                .bind(now)
                .execute(self.writes())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn revoke_sessions(
                &self,
                account_id: Uuid,
                except: Option<Uuid>,
                now: i64,
            ) -> StorageResult<u64> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $3 WHERE account_id = $1 \
                     AND revoked_at IS NULL AND ($2 IS NULL OR id <> $2)",
                )
                .bind(account_id.to_string())
                .bind(except.map(|id| id.to_string()))
                .bind(now)
                .execute(self.writes())
                .await?;
                Ok(done.rows_affected())
            }

            async fn commit_item(
                &self,
                account_id: Uuid,
                c: &ItemCommit<'_>,
                idem: Option<&Idempotency<'_>>,
            ) -> StorageResult<CommitOutcome> {
                let acc = account_id.to_string();
                let item_id = c.item_id.to_string();
                let mut tx = self.begin_write().await?;
                // Taking the account row first serialises this account's writers.
                let seq_row = sqlx::query(
                    "UPDATE accounts SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
                )
                .bind(&acc)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(seq_row) = seq_row else {
                    return Ok(CommitOutcome::NotFound);
                };
                let seq: i64 = seq_row.try_get("last_seq")?;

                if let Some(idem) = idem {
                    let prior = sqlx::query(
                        "SELECT request_hash, response FROM idempotency \
                         WHERE account_id = $1 AND key = $2",
                    )
                    .bind(&acc)
                    .bind(idem.key)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(prior) = prior {
                        let hash: Vec<u8> = prior.try_get("request_hash")?;
                        if hash != idem.request_hash {
                            return Ok(CommitOutcome::IdempotencyKeyReused);
                        }
                        let response: Vec<u8> = prior.try_get("response")?;
                        let item = serde_json::from_slice(&response)
                            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
                        return Ok(CommitOutcome::Replayed(item));
                    }
                }

                let current = sqlx::query(
                    "SELECT revision, deleted FROM items WHERE account_id = $1 AND id = $2",
                )
                .bind(&acc)
                .bind(&item_id)
                .fetch_optional(&mut *tx)
                .await?;
                let current_revision = match &current {
                    Some(row) => to_u64(row.try_get("revision")?),
                    None => 0,
                };
                if current.is_none() && c.expected_revision > 0 {
                    return Ok(CommitOutcome::NotFound);
                }
                if current_revision != c.expected_revision {
                    return Ok(CommitOutcome::Conflict { current_revision });
                }
                if current.is_none() && c.content.is_none() {
                    return Ok(CommitOutcome::NotFound);
                }
                if let (None, Some(content), Some(limit)) = (&current, &c.content, c.month_limit) {
                    // The account row taken above serialises this account's writers, so the
                    // count cannot change before this transaction commits.
                    let row = sqlx::query(
                        "SELECT COUNT(*) AS n FROM items WHERE account_id = $1 \
                         AND created_month = $2 AND kind_class = $3 AND deleted = $4 \
                         AND locked_at IS NULL",
                    )
                    .bind(&acc)
                    .bind(content.created_month)
                    .bind(content.kind_class)
                    .bind(false)
                    .fetch_one(&mut *tx)
                    .await?;
                    let usage = u32::try_from(row.try_get::<i64, _>("n")?).unwrap_or(u32::MAX);
                    if usage >= limit {
                        return Ok(CommitOutcome::OverLimit { usage });
                    }
                }
                if let Some(content) = &c.content {
                    for blob in content.blobs {
                        let found = sqlx::query(
                            "SELECT size FROM blobs WHERE account_id = $1 AND sha256 = $2",
                        )
                        .bind(&acc)
                        .bind(&blob.sha256)
                        .fetch_optional(&mut *tx)
                        .await?;
                        let matches = match found {
                            Some(row) => to_u64(row.try_get("size")?) == blob.size,
                            None => false,
                        };
                        if !matches {
                            return Ok(CommitOutcome::MissingBlob(blob.sha256.clone()));
                        }
                    }
                }

                let revision = to_i64(current_revision + 1);
                let (deleted, kind, month, padded, envelope, blobs) = match &c.content {
                    Some(ct) => (
                        false,
                        Some(ct.kind_class),
                        Some(ct.created_month),
                        Some(to_i64(ct.padded_size)),
                        Some(ct.envelope),
                        ct.blobs,
                    ),
                    None => (true, None, None, None, None, &[][..]),
                };
                sqlx::query(
                    "INSERT INTO items (account_id, id, revision, seq, deleted, kind_class, \
                     created_month, padded_size, envelope, updated_at, created_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $4) \
                     ON CONFLICT (account_id, id) DO UPDATE SET revision = $3, seq = $4, \
                     deleted = $5, kind_class = $6, created_month = $7, padded_size = $8, \
                     envelope = $9, updated_at = $10, locked_at = NULL",
                )
                .bind(&acc)
                .bind(&item_id)
                .bind(revision)
                .bind(seq)
                .bind(deleted)
                .bind(kind)
                .bind(month)
                .bind(padded)
                .bind(envelope)
                .bind(c.now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM item_blobs WHERE account_id = $1 AND item_id = $2")
                    .bind(&acc)
                    .bind(&item_id)
                    .execute(&mut *tx)
                    .await?;
                for (position, blob) in blobs.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO item_blobs (account_id, item_id, position, sha256, size) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&acc)
                    .bind(&item_id)
                    .bind(position as i64)
                    .bind(&blob.sha256)
                    .bind(to_i64(blob.size))
                    .execute(&mut *tx)
                    .await?;
                }
                let item = Item {
                    id: c.item_id,
                    revision: to_u64(revision),
                    seq: to_u64(seq),
                    deleted,
                    meta: c.content.as_ref().map(|ct| ItemMeta {
                        kind_class: KindClass::parse(ct.kind_class).unwrap_or(KindClass::Document),
                        created_month: ct.created_month.to_owned(),
                        padded_size: ct.padded_size,
                    }),
                    envelope: c.content.as_ref().map(|ct| coffer_api::Bytes(ct.envelope.to_vec())),
                    blobs: blobs.to_vec(),
                    updated_at: c.now,
                };
                if let Some(idem) = idem {
                    let response = serde_json::to_vec(&item)
                        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
                    sqlx::query(
                        "INSERT INTO idempotency (account_id, key, request_hash, response, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&acc)
                    .bind(idem.key)
                    .bind(idem.request_hash)
                    .bind(response)
                    .bind(c.now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(CommitOutcome::Applied(item))
            }

            async fn item(&self, account_id: Uuid, id: Uuid) -> StorageResult<Option<Item>> {
                let row = sqlx::query("SELECT * FROM items WHERE account_id = $1 AND id = $2")
                    .bind(account_id.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let mut blobs = Self::blobs_of(&self.pool, account_id, Some(id), 0, 0).await?;
                Ok(Some(Self::item_from_row(&row, blobs.remove(&id).unwrap_or_default())?))
            }

            async fn changes(
                &self,
                account_id: Uuid,
                since: u64,
                limit: u32,
            ) -> StorageResult<ChangesOutcome> {
                let acc = account_id.to_string();
                // One read transaction, so the page and `latest_seq` agree.
                let mut tx = self.pool.begin().await?;
                let Some(account) =
                    sqlx::query("SELECT last_seq, purged_seq FROM accounts WHERE id = $1")
                        .bind(&acc)
                        .fetch_optional(&mut *tx)
                        .await?
                else {
                    return Ok(ChangesOutcome::Page { items: vec![], latest_seq: 0 });
                };
                let latest_seq = to_u64(account.try_get("last_seq")?);
                let purged_seq = to_u64(account.try_get("purged_seq")?);
                if since > 0 && since < purged_seq {
                    return Ok(ChangesOutcome::CursorExpired);
                }
                let rows = sqlx::query(
                    "SELECT * FROM items WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(&acc)
                .bind(to_i64(since))
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await?;
                let ids = rows
                    .iter()
                    .map(|r| parse_uuid(&r.try_get::<String, _>("id")?))
                    .collect::<StorageResult<Vec<_>>>()?;
                let upto = match rows.last() {
                    Some(row) => row.try_get::<i64, _>("seq")?,
                    None => to_i64(since),
                };
                let mut blobs =
                    Self::blobs_of(&mut *tx, account_id, None, to_i64(since), upto).await?;
                let items = rows
                    .iter()
                    .zip(&ids)
                    .map(|(row, id)| Self::item_from_row(row, blobs.remove(id).unwrap_or_default()))
                    .collect::<StorageResult<Vec<_>>>()?;
                tx.commit().await?;
                Ok(ChangesOutcome::Page { items, latest_seq })
            }

            async fn latest_seq(&self, account_id: Uuid) -> StorageResult<Option<u64>> {
                let row = sqlx::query("SELECT last_seq FROM accounts WHERE id = $1")
                    .bind(account_id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok(to_u64(r.try_get("last_seq")?))).transpose()
            }

            async fn blob_size(&self, account_id: Uuid, sha256: &str) -> StorageResult<Option<u64>> {
                let row = sqlx::query("SELECT size FROM blobs WHERE account_id = $1 AND sha256 = $2")
                    .bind(account_id.to_string())
                    .bind(sha256)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok(to_u64(r.try_get("size")?))).transpose()
            }

            async fn account_blobs(&self, account_id: Uuid) -> StorageResult<Vec<BlobRef>> {
                let rows = sqlx::query(
                    "SELECT sha256, size FROM blobs WHERE account_id = $1 ORDER BY sha256",
                )
                .bind(account_id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(BlobRef {
                            sha256: r.try_get("sha256")?,
                            size: to_u64(r.try_get("size")?),
                        })
                    })
                    .collect()
            }

            async fn find_upload(
                &self,
                account_id: Uuid,
                sha256: &str,
                size: u64,
            ) -> StorageResult<Option<UploadRecord>> {
                let row = sqlx::query(
                    "SELECT id, received FROM uploads \
                     WHERE account_id = $1 AND sha256 = $2 AND size = $3 \
                     ORDER BY created_at LIMIT 1",
                )
                .bind(account_id.to_string())
                .bind(sha256)
                .bind(to_i64(size))
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok(UploadRecord {
                        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
                        account_id,
                        sha256: sha256.to_owned(),
                        size,
                        received: to_u64(r.try_get("received")?),
                    })
                })
                .transpose()
            }

            async fn create_upload(&self, u: &UploadRecord, now: i64) -> StorageResult<()> {
                sqlx::query(
                    "INSERT INTO uploads (id, account_id, sha256, size, received, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 0, $5, $5)",
                )
                .bind(u.id.to_string())
                .bind(u.account_id.to_string())
                .bind(&u.sha256)
                .bind(to_i64(u.size))
                .bind(now)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            async fn upload(&self, account_id: Uuid, id: Uuid) -> StorageResult<Option<UploadRecord>> {
                let row = sqlx::query(
                    "SELECT sha256, size, received FROM uploads WHERE account_id = $1 AND id = $2",
                )
                .bind(account_id.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok(UploadRecord {
                        id,
                        account_id,
                        sha256: r.try_get("sha256")?,
                        size: to_u64(r.try_get("size")?),
                        received: to_u64(r.try_get("received")?),
                    })
                })
                .transpose()
            }

            async fn record_chunk(
                &self,
                account_id: Uuid,
                id: Uuid,
                offset: u64,
                end: u64,
                now: i64,
            ) -> StorageResult<ChunkOutcome> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE uploads SET received = $4, updated_at = $5 \
                     WHERE account_id = $1 AND id = $2 AND received = $3",
                )
                .bind(account_id.to_string())
                .bind(id.to_string())
                .bind(to_i64(offset))
                .bind(to_i64(end))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    let row = sqlx::query(
                        "SELECT received FROM uploads WHERE account_id = $1 AND id = $2",
                    )
                    .bind(account_id.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
                    return Ok(match row {
                        Some(r) => ChunkOutcome::OffsetMismatch {
                            expected: to_u64(r.try_get("received")?),
                        },
                        None => ChunkOutcome::NotFound,
                    });
                }
                sqlx::query(
                    "INSERT INTO upload_chunks (upload_id, chunk_offset, chunk_end) VALUES ($1, $2, $3) \
                     ON CONFLICT (upload_id, chunk_offset) DO UPDATE SET chunk_end = $3",
                )
                .bind(id.to_string())
                .bind(to_i64(offset))
                .bind(to_i64(end))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(ChunkOutcome::Accepted { received: end })
            }

            async fn upload_chunks(&self, id: Uuid) -> StorageResult<Vec<(u64, u64)>> {
                let rows = sqlx::query(
                    "SELECT chunk_offset, chunk_end FROM upload_chunks WHERE upload_id = $1 \
                     ORDER BY chunk_offset",
                )
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            to_u64(r.try_get("chunk_offset")?),
                            to_u64(r.try_get("chunk_end")?),
                        ))
                    })
                    .collect()
            }

            async fn finish_upload(&self, u: &UploadRecord, now: i64) -> StorageResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO blobs (account_id, sha256, size, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (account_id, sha256) DO NOTHING",
                )
                .bind(u.account_id.to_string())
                .bind(&u.sha256)
                .bind(to_i64(u.size))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM upload_chunks WHERE upload_id = $1")
                    .bind(u.id.to_string())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM uploads WHERE id = $1")
                    .bind(u.id.to_string())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn discard_upload(&self, account_id: Uuid, id: Uuid) -> StorageResult<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("DELETE FROM uploads WHERE account_id = $1 AND id = $2")
                    .bind(account_id.to_string())
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 1 {
                    sqlx::query("DELETE FROM upload_chunks WHERE upload_id = $1")
                        .bind(id.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn log_event(
                &self,
                account_id: Uuid,
                kind: SecurityEventKind,
                device: Option<(Uuid, &str)>,
                at: i64,
            ) -> StorageResult<()> {
                sqlx::query(
                    "INSERT INTO security_events (account_id, kind, device_id, device_name, at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(account_id.to_string())
                .bind(kind_to_str(kind))
                .bind(device.map(|(id, _)| id.to_string()))
                .bind(device.map(|(_, name)| name))
                .bind(at)
                .execute(self.writes())
                .await?;
                Ok(())
            }

            async fn security_events(
                &self,
                account_id: Uuid,
                limit: u32,
            ) -> StorageResult<Vec<SecurityEvent>> {
                let rows = sqlx::query(
                    "SELECT kind, device_id, device_name, at FROM security_events \
                     WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
                )
                .bind(account_id.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let device_id: Option<String> = r.try_get("device_id")?;
                        Ok(SecurityEvent {
                            kind: kind_from_str(&r.try_get::<String, _>("kind")?),
                            at: r.try_get("at")?,
                            device_id: device_id.as_deref().map(parse_uuid).transpose()?,
                            device_name: r.try_get("device_name")?,
                        })
                    })
                    .collect()
            }

            async fn purge(&self, c: PurgeCutoffs) -> StorageResult<PurgeReport> {
                let mut report = PurgeReport::default();
                {
                    let mut tx = self.begin_write().await?;
                    let rows = sqlx::query(
                        "DELETE FROM items WHERE deleted = $2 AND updated_at < $1 \
                         RETURNING account_id, seq",
                    )
                    .bind(c.tombstones_before)
                    .bind(true)
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut highest: std::collections::HashMap<String, i64> = Default::default();
                    for row in &rows {
                        let acc: String = row.try_get("account_id")?;
                        let seq: i64 = row.try_get("seq")?;
                        let e = highest.entry(acc).or_insert(seq);
                        *e = (*e).max(seq);
                    }
                    for (acc, seq) in highest {
                        sqlx::query(
                            "UPDATE accounts SET purged_seq = $2 WHERE id = $1 AND purged_seq < $2",
                        )
                        .bind(acc)
                        .bind(seq)
                        .execute(&mut *tx)
                        .await?;
                    }
                    report.tombstones = rows.len() as u64;
                    tx.commit().await?;
                }
                let rows = sqlx::query(
                    "DELETE FROM blobs WHERE created_at < $1 AND NOT EXISTS \
                     (SELECT 1 FROM item_blobs ib WHERE ib.account_id = blobs.account_id \
                      AND ib.sha256 = blobs.sha256) RETURNING account_id, sha256",
                )
                .bind(c.orphan_blobs_before)
                .fetch_all(self.writes())
                .await?;
                for row in rows {
                    report.orphan_blobs.push((
                        parse_uuid(&row.try_get::<String, _>("account_id")?)?,
                        row.try_get("sha256")?,
                    ));
                }
                let rows = sqlx::query(
                    "DELETE FROM uploads WHERE updated_at < $1 RETURNING account_id, id",
                )
                .bind(c.uploads_before)
                .fetch_all(self.writes())
                .await?;
                for row in rows {
                    let id: String = row.try_get("id")?;
                    sqlx::query("DELETE FROM upload_chunks WHERE upload_id = $1")
                        .bind(&id)
                        .execute(self.writes())
                        .await?;
                    report.stale_uploads.push((
                        parse_uuid(&row.try_get::<String, _>("account_id")?)?,
                        parse_uuid(&id)?,
                    ));
                }
                sqlx::query("DELETE FROM idempotency WHERE created_at < $1")
                    .bind(c.idempotency_before)
                    .execute(self.writes())
                    .await?;
                sqlx::query("DELETE FROM security_events WHERE at < $1")
                    .bind(c.events_before)
                    .execute(self.writes())
                    .await?;
                sqlx::query("DELETE FROM login_attempts WHERE expires_at < $1")
                    .bind(c.now)
                    .execute(self.writes())
                    .await?;
                sqlx::query(
                    "DELETE FROM sessions WHERE refresh_expires_at < $1 \
                     OR (revoked_at IS NOT NULL AND revoked_at < $1)",
                )
                .bind(c.sessions_before)
                .execute(self.writes())
                .await?;
                let rows = sqlx::query("SELECT account_id FROM account_purges")
                    .fetch_all(&self.pool)
                    .await?;
                for row in rows {
                    report
                        .accounts_to_purge
                        .push(parse_uuid(&row.try_get::<String, _>("account_id")?)?);
                }
                Ok(report)
            }
        }
    };
}

impl_storage!(SqliteStorage, sqlx::Sqlite);
impl_storage!(PostgresStorage, sqlx::Postgres);
