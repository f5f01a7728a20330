//! The server's storage: one SQL code path for SQLite (the embedded default) and PostgreSQL
//! (for scale), chosen from the connection URL, as plain functions in one module per concept.
//!
//! A service reads through [`Storage::read`] and writes through a unit of work,
//! [`Storage::write`]: a transaction in which a rule and its bookkeeping (a commit and its
//! idempotency record, a webhook's effect and its de-duplication row, a plan change and its
//! e-mail) commit together or not at all. A transaction that writes to one account first takes
//! that account's row ([`accounts::lock`]), which serialises the account's writers on
//! PostgreSQL (a row lock) as SQLite's single writer does (`BEGIN IMMEDIATE`).
//!
//! Everything per account is keyed by `(account_id, ...)`, so a query can only ever reach the
//! rows of the account it names. Ids are stored as text, times as Unix seconds from the
//! injected clock, binary values as BLOB/BYTEA, enums as their wire names.

pub mod accounts;
pub mod billing;
pub mod events;
pub mod items;
pub mod maintenance;
mod migrations;
pub mod outbox;
pub mod reminders;
mod rows;
pub mod secrets;
pub mod sessions;
pub mod shares;
pub mod uploads;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

/// A connection the storage functions run on: a pooled one or a transaction's.
pub type Conn = sqlx::AnyConnection;
/// A unit of work: committed with `commit()`, rolled back when dropped.
pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("the record already exists")]
    Conflict,
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Backend(String),
    #[error("a stored row is not readable: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StorageError::Conflict,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StorageError::Unavailable(e.to_string())
            }
            _ => StorageError::Backend(e.to_string()),
        }
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// Which database the URL named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// From a connection URL: `sqlite:...` or `postgres://` / `postgresql://`.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

pub struct Storage {
    backend: Backend,
    /// Readers (on SQLite, WAL lets them run beside the writer).
    reads: AnyPool,
    /// Units of work. On SQLite one connection: SQLite has a single write lock, and queueing
    /// writers on one connection is fairer and faster than letting them poll the file lock
    /// (its busy handler sleeps up to 100 ms per retry). On PostgreSQL the same pool as reads.
    writes: AnyPool,
}

impl Storage {
    /// Connects to (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn connect(url: &str) -> StorageResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or_else(|| {
            StorageError::Backend("the database URL must start with sqlite: or postgres://".into())
        })?;
        let storage = match backend {
            Backend::Sqlite => {
                let options = AnyConnectOptions::from_str(&sqlite_url(url))?;
                let pool = |max| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                conn.execute(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = OFF; \
                                     PRAGMA cache_size = -65536;",
                                )
                                .await
                                .map(drop)
                            })
                        })
                        .connect_with(options.clone())
                };
                let writes = pool(1).await?;
                migrations::sqlite()
                    .run(&writes)
                    .await
                    .map_err(|e| StorageError::Backend(e.to_string()))?;
                Storage {
                    backend,
                    reads: pool(4).await?,
                    writes,
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(AnyConnectOptions::from_str(url)?)
                    .await?;
                migrations::postgres()
                    .run(&pool)
                    .await
                    .map_err(|e| StorageError::Backend(e.to_string()))?;
                Storage {
                    backend,
                    reads: pool.clone(),
                    writes: pool,
                }
            }
        };
        Ok(storage)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for reads outside a unit of work.
    pub async fn read(&self) -> StorageResult<PoolConnection<Any>> {
        Ok(self.reads.acquire().await?)
    }

    /// Starts a unit of work.
    pub async fn write(&self) -> StorageResult<Tx> {
        Ok(match self.backend {
            // IMMEDIATE takes the write lock up front, so a read-then-write transaction never
            // fails half-way on a lock upgrade.
            Backend::Sqlite => self.writes.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.writes.begin().await?,
        })
    }

    /// Cheap round trip, for readiness.
    pub async fn ping(&self) -> StorageResult<()> {
        self.read().await?.execute("SELECT 1").await?;
        Ok(())
    }
}

/// `sqlite://PATH` opened read-write, created if missing.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}
