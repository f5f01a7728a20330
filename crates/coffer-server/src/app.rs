//! The server's shared state: storage, blob store, clock, rate limiter, OPAQUE setup and the
//! change nudges. The services (`auth`, `items`, `uploads`, `account`) are `impl App` blocks;
//! the HTTP layer only parses, authorises, calls them and maps errors.

use crate::billing::{Catalog, Payments, PlanEnforcer};
use crate::blobs::BlobStore;
use crate::clock::Clock;
use crate::config::{BlobConfig, Config, DatabaseConfig};
use crate::entitlements::Entitlements;
use crate::mail::Mailer;
use crate::ratelimit::{InProcessLimiter, RateLimiter, RedisLimiter};
use crate::storage::{PostgresStorage, SqliteStorage, Storage};
use anyhow::Context as _;
use coffer_api::opaque::CofferCipherSuite;
use opaque_ke::ServerSetup;
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

pub struct App {
    pub storage: Arc<dyn Storage>,
    pub blobs: BlobStore,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<dyn RateLimiter>,
    pub entitlements: Arc<dyn Entitlements>,
    pub catalog: Arc<Catalog>,
    pub payments: Payments,
    pub(crate) mailer: Option<Mailer>,
    /// Signs entitlements; shared by every instance through the database.
    pub(crate) entitlement_key: ed25519_dalek::SigningKey,
    pub(crate) opaque: ServerSetup<CofferCipherSuite>,
    /// Account ids whose change feed moved (in this process); other instances' writes are
    /// picked up by the event stream's polling.
    pub(crate) nudges: broadcast::Sender<Uuid>,
    pub trust_forwarded_for: bool,
}

/// The pieces an [`App`] is built from; tests assemble their own.
pub struct AppParts {
    pub storage: Arc<dyn Storage>,
    pub blobs: BlobStore,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<dyn RateLimiter>,
    pub entitlements: Arc<dyn Entitlements>,
    pub catalog: Arc<Catalog>,
    pub payments: Payments,
    pub mailer: Option<Mailer>,
    pub trust_forwarded_for: bool,
}

impl App {
    /// Connects the configured backends (migrating the database) and loads the server secrets.
    pub async fn from_config(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
        let storage: Arc<dyn Storage> = match &config.database {
            DatabaseConfig::Sqlite(url) => {
                std::fs::create_dir_all(&config.data_dir).with_context(|| {
                    format!(
                        "cannot create the data directory {}",
                        config.data_dir.display()
                    )
                })?;
                Arc::new(
                    SqliteStorage::connect(url)
                        .await
                        .context("cannot open the SQLite database")?,
                )
            }
            DatabaseConfig::Postgres(url) => Arc::new(
                PostgresStorage::connect(url)
                    .await
                    .context("cannot connect to PostgreSQL")?,
            ),
        };
        let blobs = match &config.blobs {
            BlobConfig::Local(dir) => BlobStore::local(dir)
                .with_context(|| format!("cannot open the blob directory {}", dir.display()))?,
            BlobConfig::S3 { bucket, settings } => {
                let mut builder =
                    object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                if let Some(endpoint) = &settings.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(region) = &settings.region {
                    builder = builder.with_region(region);
                }
                if let Some(key) = &settings.access_key_id {
                    builder = builder.with_access_key_id(key);
                }
                if let Some(secret) = &settings.secret_access_key {
                    builder = builder.with_secret_access_key(secret);
                }
                if let Some(allow) = settings.allow_http {
                    builder = builder.with_allow_http(allow);
                }
                BlobStore::new(Arc::new(
                    builder.build().context("the S3 settings are not valid")?,
                ))
            }
        };
        let limiter: Arc<dyn RateLimiter> = match &config.redis_url {
            Some(url) => Arc::new(
                RedisLimiter::new(url, config.rate_limits, clock.clone())
                    .context("the Redis URL is not valid")?,
            ),
            None => Arc::new(InProcessLimiter::new(config.rate_limits, clock.clone())),
        };
        let catalog = Arc::new(match &config.plans_file {
            Some(path) => Catalog::load(path)?,
            None => Catalog::default_catalog(),
        });
        let mailer = config
            .smtp_url
            .as_deref()
            .map(|url| Mailer::new(url, &config.mail_from))
            .transpose()?;
        App::new(AppParts {
            entitlements: Arc::new(PlanEnforcer::new(
                storage.clone(),
                catalog.clone(),
                clock.clone(),
            )),
            storage,
            blobs,
            clock,
            limiter,
            catalog,
            payments: Payments {
                http: reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(30))
                    .build()
                    .context("cannot set up the HTTP client")?,
                stripe: config.stripe.clone(),
                comgate: config.comgate.clone(),
            },
            mailer,
            trust_forwarded_for: config.trust_forwarded_for,
        })
        .await
    }

    pub async fn new(parts: AppParts) -> anyhow::Result<Arc<App>> {
        // All instances on one database share the OPAQUE server setup: the first one to start
        // creates it.
        let fresh = ServerSetup::<CofferCipherSuite>::new(&mut rand::rngs::OsRng);
        let stored = parts
            .storage
            .secret_or_init("opaque_server_setup", &fresh.serialize())
            .await
            .context("cannot load the server secrets")?;
        let opaque = ServerSetup::<CofferCipherSuite>::deserialize(&stored)
            .map_err(|_| anyhow::anyhow!("the stored OPAQUE server setup is not readable"))?;
        let fresh_key: [u8; 32] = rand::random();
        let stored = parts
            .storage
            .secret_or_init("entitlement_signing_key", &fresh_key)
            .await
            .context("cannot load the server secrets")?;
        let seed: [u8; 32] = stored
            .as_slice()
            .try_into()
            .map_err(|_| anyhow::anyhow!("the stored entitlement signing key is not readable"))?;
        let entitlement_key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let (nudges, _) = broadcast::channel(1024);
        Ok(Arc::new(App {
            storage: parts.storage,
            blobs: parts.blobs,
            clock: parts.clock,
            limiter: parts.limiter,
            entitlements: parts.entitlements,
            catalog: parts.catalog,
            payments: parts.payments,
            mailer: parts.mailer,
            entitlement_key,
            opaque,
            nudges,
            trust_forwarded_for: parts.trust_forwarded_for,
        }))
    }

    pub(crate) fn nudge(&self, account: Uuid) {
        // No receiver is fine: nobody is listening in this process.
        let _ = self.nudges.send(account);
    }

    /// Readiness: both backends answer.
    pub async fn ready(&self) -> crate::error::ApiResult<()> {
        self.storage.ping().await?;
        self.blobs.ping().await
    }
}
