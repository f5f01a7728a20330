//! The server's shared state: storage, blob store, clock, rate limiter, plan catalog, server
//! keys and the change nudges. The services (`auth`, `step_up`, `second_factor`,
//! `verification`, `items`, `uploads`, `account`, `export`, `billing`, `reminders`) are
//! `impl App` blocks; the HTTP layer only parses, authorises, calls them and maps errors.

use crate::billing::{Catalog, Payments};
use crate::blobs::BlobStore;
use crate::clock::Clock;
use crate::config::{BlobConfig, Config, DatabaseConfig, TrustedProxies};
use crate::mail::Mailer;
use crate::ratelimit::{InProcessLimiter, RateLimiter, RedisLimiter};
use crate::server_key::ServerKey;
use crate::storage::{Storage, accounts, secrets};
use anyhow::Context as _;
use coffer_api::opaque::CofferCipherSuite;
use opaque_ke::ServerSetup;
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

pub struct App {
    pub storage: Arc<Storage>,
    pub blobs: BlobStore,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<dyn RateLimiter>,
    pub catalog: Arc<Catalog>,
    pub payments: Payments,
    /// With a mailer, new accounts verify their address before they sync.
    pub(crate) mailer: Option<Mailer>,
    /// Seals TOTP secrets; keys the HMACs of verification codes. Never in the database
    /// unless no key file was configured for PostgreSQL.
    pub(crate) server_key: ServerKey,
    /// Signs entitlements; shared by every instance through the database.
    pub(crate) entitlement_key: ed25519_dalek::SigningKey,
    pub(crate) opaque: ServerSetup<CofferCipherSuite>,
    /// Account ids whose change feed moved (in this process); other instances' writes are
    /// picked up by the event stream's polling.
    pub(crate) nudges: broadcast::Sender<Uuid>,
    pub trusted_proxies: TrustedProxies,
}

/// The pieces an [`App`] is built from; tests assemble their own.
pub struct AppParts {
    pub storage: Arc<Storage>,
    pub blobs: BlobStore,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<dyn RateLimiter>,
    pub catalog: Arc<Catalog>,
    pub payments: Payments,
    pub mailer: Option<Mailer>,
    /// `None`: kept in the database (see [`crate::server_key`]).
    pub server_key: Option<ServerKey>,
    pub trusted_proxies: TrustedProxies,
}

impl App {
    /// Connects the configured backends (migrating the database) and loads the server secrets.
    pub async fn from_config(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<App>> {
        let url = match &config.database {
            DatabaseConfig::Sqlite(url) => {
                std::fs::create_dir_all(&config.data_dir).with_context(|| {
                    format!(
                        "cannot create the data directory {}",
                        config.data_dir.display()
                    )
                })?;
                url
            }
            DatabaseConfig::Postgres(url) => url,
        };
        let storage = Arc::new(
            Storage::connect(url)
                .await
                .context("cannot open the database")?,
        );
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
        let server_key = config
            .secret_key_file
            .as_deref()
            .map(ServerKey::load_or_create)
            .transpose()?;
        App::new(AppParts {
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
            server_key,
            trusted_proxies: config.trusted_proxies.clone(),
        })
        .await
    }

    pub async fn new(parts: AppParts) -> anyhow::Result<Arc<App>> {
        // All instances on one database share the OPAQUE server setup and the entitlement
        // key: the first one to start creates them.
        let mut db = parts
            .storage
            .read()
            .await
            .context("cannot reach the database")?;
        let fresh = ServerSetup::<CofferCipherSuite>::new(&mut rand::rngs::OsRng);
        let stored = secrets::get_or_init(&mut db, "opaque_server_setup", &fresh.serialize())
            .await
            .context("cannot load the server secrets")?;
        let opaque = ServerSetup::<CofferCipherSuite>::deserialize(&stored)
            .map_err(|_| anyhow::anyhow!("the stored OPAQUE server setup is not readable"))?;
        let fresh_key: [u8; 32] = rand::random();
        let stored = secrets::get_or_init(&mut db, "entitlement_signing_key", &fresh_key)
            .await
            .context("cannot load the server secrets")?;
        let seed: [u8; 32] = stored
            .as_slice()
            .try_into()
            .map_err(|_| anyhow::anyhow!("the stored entitlement signing key is not readable"))?;
        let entitlement_key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let server_key = match parts.server_key {
            Some(key) => key,
            None => {
                tracing::warn!(
                    "no secret_key_file is configured: TOTP secrets are sealed with a key kept \
                     in the database, so a copy of the database reveals them; set \
                     secret_key_file (the same file on every instance)"
                );
                let fresh = crate::server_key::ServerKey::random();
                let stored = secrets::get_or_init(&mut db, "server_key", fresh.as_bytes())
                    .await
                    .context("cannot load the server secrets")?;
                ServerKey::from_bytes(
                    stored
                        .as_slice()
                        .try_into()
                        .map_err(|_| anyhow::anyhow!("the stored server key is not readable"))?,
                )
            }
        };
        drop(db);
        if parts.mailer.is_none() {
            tracing::warn!(
                "no smtp_url is configured: this server sends no e-mail, so it cannot verify \
                 e-mail addresses and accepts them as given"
            );
        }
        let (nudges, _) = broadcast::channel(1024);
        let app = Arc::new(App {
            storage: parts.storage,
            blobs: parts.blobs,
            clock: parts.clock,
            limiter: parts.limiter,
            catalog: parts.catalog,
            payments: parts.payments,
            mailer: parts.mailer,
            server_key,
            entitlement_key,
            opaque,
            nudges,
            trusted_proxies: parts.trusted_proxies,
        });
        app.seal_legacy_totp_secrets()
            .await
            .context("cannot seal the stored TOTP secrets")?;
        Ok(app)
    }

    /// TOTP secrets stored in the clear by servers before this one get sealed once.
    async fn seal_legacy_totp_secrets(&self) -> anyhow::Result<()> {
        let mut tx = self.storage.write().await?;
        for (account, secret, pending) in accounts::unsealed_totp_secrets(&mut tx).await? {
            let seal = |value: Option<Vec<u8>>| {
                value.map(|v| match v.len() {
                    20 => self.seal_totp(account, &v),
                    _ => v,
                })
            };
            let (secret, pending) = (seal(secret), seal(pending));
            accounts::set_totp_columns(&mut tx, account, secret.as_deref(), pending.as_deref())
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether new accounts must verify their address (the server sends e-mail).
    pub fn verifies_email(&self) -> bool {
        self.mailer.is_some()
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
