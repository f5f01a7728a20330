//! Login rate limits, per account and per client address.
//!
//! In-process by default (`governor`, driven by the injected clock); shared between server
//! instances through Redis when configured (a fixed window counter per key). Keys are hashed
//! before they are used, so neither memory dumps nor Redis hold e-mail addresses.

use crate::clock::Clock;
use async_trait::async_trait;
use governor::middleware::NoOpMiddleware;
use governor::{Quota, RateLimiter as Governor, nanos::Nanos, state::keyed::DashMapStateStore};
use sha2::{Digest, Sha256};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Which limit a check counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    LoginPerAccount,
    LoginPerIp,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::LoginPerAccount => "acct",
            Bucket::LoginPerIp => "ip",
        }
    }
}

/// Attempts allowed per minute for each bucket.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(default)]
pub struct RateLimits {
    pub login_per_account_per_minute: u32,
    pub login_per_ip_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_per_account_per_minute: 10,
            login_per_ip_per_minute: 60,
        }
    }
}

impl RateLimits {
    fn per_minute(&self, bucket: Bucket) -> u32 {
        match bucket {
            Bucket::LoginPerAccount => self.login_per_account_per_minute,
            Bucket::LoginPerIp => self.login_per_ip_per_minute,
        }
        .max(1)
    }
}

#[async_trait]
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts one attempt; `Err(wait)` when over the limit.
    async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Duration>;
}

fn hashed(bucket: Bucket, key: &str) -> String {
    let digest = Sha256::digest(format!("{}:{key}", bucket.name()).as_bytes());
    hex::encode(&digest[..16])
}

/// Adapts the injected clock to `governor`.
#[derive(Clone)]
struct GovernorClock(Arc<dyn Clock>);

impl governor::clock::Clock for GovernorClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let nanos = self.0.now().unix_timestamp_nanos();
        Nanos::from(u64::try_from(nanos).unwrap_or(0))
    }
}

type KeyedGovernor =
    Governor<String, DashMapStateStore<String>, GovernorClock, NoOpMiddleware<Nanos>>;

/// One process's limits.
pub struct InProcessLimiter {
    clock: GovernorClock,
    per_account: KeyedGovernor,
    per_ip: KeyedGovernor,
}

impl InProcessLimiter {
    pub fn new(limits: RateLimits, clock: Arc<dyn Clock>) -> Self {
        let clock = GovernorClock(clock);
        let make = |bucket| {
            let n = NonZeroU32::new(limits.per_minute(bucket)).unwrap_or(NonZeroU32::MIN);
            Governor::new(
                Quota::per_minute(n),
                DashMapStateStore::default(),
                clock.clone(),
            )
        };
        Self {
            per_account: make(Bucket::LoginPerAccount),
            per_ip: make(Bucket::LoginPerIp),
            clock,
        }
    }

    fn check_now(&self, bucket: Bucket, key: &str) -> Result<(), Duration> {
        let limiter = match bucket {
            Bucket::LoginPerAccount => &self.per_account,
            Bucket::LoginPerIp => &self.per_ip,
        };
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
        limiter
            .check_key(&hashed(bucket, key))
            .map_err(|not_until| {
                use governor::clock::Clock as _;
                not_until.wait_time_from(self.clock.now())
            })
    }
}

#[async_trait]
impl RateLimiter for InProcessLimiter {
    async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Duration> {
        self.check_now(bucket, key)
    }
}

/// Limits shared by every instance through Redis; falls back to this process's own limits
/// while Redis is unreachable.
pub struct RedisLimiter {
    client: redis::Client,
    connection: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
    limits: RateLimits,
    clock: Arc<dyn Clock>,
    fallback: InProcessLimiter,
}

impl RedisLimiter {
    pub fn new(url: &str, limits: RateLimits, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            connection: tokio::sync::Mutex::new(None),
            limits,
            fallback: InProcessLimiter::new(limits, clock.clone()),
            clock,
        })
    }

    async fn count(&self, key: &str) -> redis::RedisResult<u64> {
        let mut guard = self.connection.lock().await;
        if guard.is_none() {
            *guard = Some(self.client.get_multiplexed_async_connection().await?);
        }
        let Some(connection) = guard.as_mut() else {
            unreachable!("connection was just set")
        };
        let mut connection = connection.clone();
        drop(guard);
        let (count,): (u64,) = redis::pipe()
            .atomic()
            .incr(key, 1)
            .expire(key, 120)
            .ignore()
            .query_async(&mut connection)
            .await?;
        Ok(count)
    }
}

#[async_trait]
impl RateLimiter for RedisLimiter {
    async fn check(&self, bucket: Bucket, key: &str) -> Result<(), Duration> {
        let now = self.clock.unix();
        let window = now.div_euclid(60);
        let redis_key = format!(
            "coffer:rl:{}:{}:{window}",
            bucket.name(),
            hashed(bucket, key)
        );
        match self.count(&redis_key).await {
            Ok(count) if count > u64::from(self.limits.per_minute(bucket)) => {
                let wait = (window + 1) * 60 - now;
                Err(Duration::from_secs(u64::try_from(wait).unwrap_or(1).max(1)))
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "Redis unreachable; using in-process rate limits");
                *self.connection.lock().await = None;
                self.fallback.check_now(bucket, key)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn in_process_limiter_blocks_after_the_quota_and_recovers_with_time() {
        let clock = Arc::new(ManualClock::new(
            time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let limiter = InProcessLimiter::new(
            RateLimits {
                login_per_account_per_minute: 3,
                login_per_ip_per_minute: 100,
            },
            clock.clone(),
        );
        for _ in 0..3 {
            limiter.check(Bucket::LoginPerAccount, "a@x").await.unwrap();
        }
        let wait = limiter
            .check(Bucket::LoginPerAccount, "a@x")
            .await
            .unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        // Another account is not affected.
        limiter.check(Bucket::LoginPerAccount, "b@x").await.unwrap();
        clock.advance(time::Duration::seconds(61));
        limiter.check(Bucket::LoginPerAccount, "a@x").await.unwrap();
    }
}
