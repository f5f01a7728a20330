//! Server configuration: defaults, then a TOML file (`--config` / `$COFFER_CONFIG`), then
//! environment variables, then command-line flags. With nothing set the server listens on
//! 127.0.0.1:8321 with SQLite and a blob directory under the default data directory.
//!
//! | setting | env | file key |
//! |---|---|---|
//! | listen address | `COFFER_LISTEN` | `listen` |
//! | data directory | `COFFER_DATA_DIR` | `data_dir` |
//! | database | `COFFER_DATABASE_URL` (`sqlite://PATH` or `postgres://...`) | `database_url` |
//! | blob store | `COFFER_BLOB_STORE` (a directory, or `s3://BUCKET`) | `blob_store` |
//! | S3 endpoint/region/keys | `COFFER_S3_ENDPOINT`, `COFFER_S3_REGION`, `COFFER_S3_ACCESS_KEY_ID`, `COFFER_S3_SECRET_ACCESS_KEY`, `COFFER_S3_ALLOW_HTTP` (or the usual `AWS_*`) | `[s3]` |
//! | Redis (shared rate limits) | `COFFER_REDIS_URL` | `redis_url` |
//! | SMTP for e-mail (`smtp://host:port`, `smtps://user:pass@host`) | `COFFER_SMTP_URL` | `smtp_url` |
//! | sender address | `COFFER_MAIL_FROM` | `mail_from` |
//! | plan catalog (TOML; built-in default `plans.default.toml`) | `COFFER_PLANS_FILE` | `plans_file` |
//! | Stripe | `COFFER_STRIPE_SECRET_KEY`, `COFFER_STRIPE_WEBHOOK_SECRET`, `COFFER_STRIPE_SUCCESS_URL`, `COFFER_STRIPE_CANCEL_URL`, `COFFER_STRIPE_API_BASE` | `[stripe]` |
//! | Comgate | `COFFER_COMGATE_MERCHANT`, `COFFER_COMGATE_SECRET`, `COFFER_COMGATE_TEST`, `COFFER_COMGATE_API_BASE` | `[comgate]` |
//! | how often maintenance and plan jobs run (seconds) | `COFFER_MAINTENANCE_INTERVAL_SECS` | `maintenance_interval_secs` |
//! | trust `X-Forwarded-For` (behind a proxy) | `COFFER_TRUST_FORWARDED_FOR` | `trust_forwarded_for` |
//! | login limits | `COFFER_LOGIN_PER_ACCOUNT_PER_MINUTE`, `COFFER_LOGIN_PER_IP_PER_MINUTE` | `[rate_limits]` |
//!
//! TLS: terminate it in front of the server (a reverse proxy such as Caddy or nginx, with
//! `trust_forwarded_for = true` so rate limits see client addresses); the server itself speaks
//! plain HTTP and by default only listens on loopback.

use crate::billing::comgate::ComgateSettings;
use crate::billing::stripe::StripeSettings;
use crate::ratelimit::RateLimits;
use anyhow::Context as _;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8321";

/// The settings file, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub blob_store: Option<String>,
    pub s3: S3Settings,
    pub redis_url: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub plans_file: Option<PathBuf>,
    pub stripe: Option<StripeSettings>,
    pub comgate: Option<ComgateSettings>,
    pub maintenance_interval_secs: Option<u64>,
    pub trust_forwarded_for: Option<bool>,
    pub rate_limits: Option<RateLimits>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub allow_http: Option<bool>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field(
                "access_key_id",
                &self.access_key_id.as_ref().map(|_| "<set>"),
            )
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "<redacted>"),
            )
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

#[derive(Clone)]
pub enum DatabaseConfig {
    Sqlite(String),
    Postgres(String),
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseConfig::Sqlite(url) => write!(f, "Sqlite({url})"),
            DatabaseConfig::Postgres(url) => write!(f, "Postgres({})", redact_url(url)),
        }
    }
}

#[derive(Debug, Clone)]
pub enum BlobConfig {
    Local(PathBuf),
    S3 {
        bucket: String,
        settings: S3Settings,
    },
}

/// The resolved configuration.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub blobs: BlobConfig,
    pub redis_url: Option<String>,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub plans_file: Option<PathBuf>,
    pub stripe: Option<StripeSettings>,
    pub comgate: Option<ComgateSettings>,
    pub trust_forwarded_for: bool,
    pub rate_limits: RateLimits,
    /// How often maintenance (tombstone and upload expiry, blob GC) and the plan jobs
    /// (renewals, downgrades, warnings, purges, e-mail) run.
    pub maintenance_interval_secs: u64,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database", &self.database)
            .field("blobs", &self.blobs)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("plans_file", &self.plans_file)
            .field("stripe", &self.stripe)
            .field("comgate", &self.comgate)
            .field("trust_forwarded_for", &self.trust_forwarded_for)
            .field("rate_limits", &self.rate_limits)
            .finish()
    }
}

/// `scheme://user:password@host/...` → `scheme://user:***@host/...`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// The default data directory: `$XDG_DATA_HOME/coffer-server` or
/// `~/.local/share/coffer-server`.
pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("coffer-server");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/coffer-server"),
        None => PathBuf::from("coffer-server-data"),
    }
}

/// Command-line overrides.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    env(name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|e| anyhow::anyhow!("{name} is not valid: {e}"))
        })
        .transpose()
}

impl Config {
    /// Resolves the configuration from the file, the environment and `overrides`.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Self> {
        let file_path = overrides
            .config_file
            .clone()
            .or_else(|| env("COFFER_CONFIG").map(PathBuf::from));
        let file = match &file_path {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        Self::resolve(file, overrides)
    }

    fn resolve(file: FileConfig, overrides: &Overrides) -> anyhow::Result<Self> {
        let listen = match overrides.listen {
            Some(l) => l,
            None => match env_parse::<SocketAddr>("COFFER_LISTEN")? {
                Some(l) => l,
                None => file
                    .listen
                    .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default")),
            },
        };
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| env("COFFER_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(default_data_dir);
        let database_url = env("COFFER_DATABASE_URL").or(file.database_url);
        let database = match database_url {
            None => {
                DatabaseConfig::Sqlite(format!("sqlite://{}", data_dir.join("coffer.db").display()))
            }
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                DatabaseConfig::Postgres(url)
            }
            Some(url) if url.starts_with("sqlite:") => DatabaseConfig::Sqlite(url),
            Some(_) => {
                anyhow::bail!("COFFER_DATABASE_URL must start with sqlite:// or postgres://")
            }
        };
        let mut s3 = file.s3;
        s3.endpoint = env("COFFER_S3_ENDPOINT").or(s3.endpoint);
        s3.region = env("COFFER_S3_REGION").or(s3.region);
        s3.access_key_id = env("COFFER_S3_ACCESS_KEY_ID").or(s3.access_key_id);
        s3.secret_access_key = env("COFFER_S3_SECRET_ACCESS_KEY").or(s3.secret_access_key);
        s3.allow_http = env_parse::<bool>("COFFER_S3_ALLOW_HTTP")?.or(s3.allow_http);
        let blobs = match env("COFFER_BLOB_STORE").or(file.blob_store) {
            None => BlobConfig::Local(data_dir.join("blobs")),
            Some(v) => match v.strip_prefix("s3://") {
                Some(bucket) if !bucket.is_empty() => BlobConfig::S3 {
                    bucket: bucket.trim_end_matches('/').to_owned(),
                    settings: s3,
                },
                Some(_) => anyhow::bail!("COFFER_BLOB_STORE=s3:// needs a bucket name"),
                None => BlobConfig::Local(PathBuf::from(v.trim_start_matches("file://"))),
            },
        };
        let mut rate_limits = file.rate_limits.unwrap_or_default();
        if let Some(n) = env_parse::<u32>("COFFER_LOGIN_PER_ACCOUNT_PER_MINUTE")? {
            rate_limits.login_per_account_per_minute = n;
        }
        if let Some(n) = env_parse::<u32>("COFFER_LOGIN_PER_IP_PER_MINUTE")? {
            rate_limits.login_per_ip_per_minute = n;
        }
        let stripe = match (
            env("COFFER_STRIPE_SECRET_KEY"),
            env("COFFER_STRIPE_WEBHOOK_SECRET"),
        ) {
            (Some(secret_key), Some(webhook_secret)) => Some(StripeSettings {
                secret_key,
                webhook_secret,
                success_url: env("COFFER_STRIPE_SUCCESS_URL")
                    .unwrap_or_else(|| "https://coffer.invalid/paid".into()),
                cancel_url: env("COFFER_STRIPE_CANCEL_URL")
                    .unwrap_or_else(|| "https://coffer.invalid/cancelled".into()),
                api_base: env("COFFER_STRIPE_API_BASE")
                    .unwrap_or_else(|| "https://api.stripe.com".into()),
            }),
            _ => file.stripe,
        };
        let comgate = match (env("COFFER_COMGATE_MERCHANT"), env("COFFER_COMGATE_SECRET")) {
            (Some(merchant), Some(secret)) => Some(ComgateSettings {
                merchant,
                secret,
                test: env_parse::<bool>("COFFER_COMGATE_TEST")?.unwrap_or(false),
                api_base: env("COFFER_COMGATE_API_BASE")
                    .unwrap_or_else(|| "https://payments.comgate.cz".into()),
            }),
            _ => file.comgate,
        };
        Ok(Config {
            listen,
            data_dir,
            database,
            blobs,
            redis_url: env("COFFER_REDIS_URL").or(file.redis_url),
            smtp_url: env("COFFER_SMTP_URL").or(file.smtp_url),
            mail_from: env("COFFER_MAIL_FROM")
                .or(file.mail_from)
                .unwrap_or_else(|| "Coffer <no-reply@coffer.invalid>".into()),
            plans_file: env("COFFER_PLANS_FILE")
                .map(PathBuf::from)
                .or(file.plans_file),
            stripe,
            comgate,
            trust_forwarded_for: env_parse::<bool>("COFFER_TRUST_FORWARDED_FOR")?
                .or(file.trust_forwarded_for)
                .unwrap_or(false),
            rate_limits,
            maintenance_interval_secs: env_parse::<u64>("COFFER_MAINTENANCE_INTERVAL_SECS")?
                .or(file.maintenance_interval_secs)
                .unwrap_or(600),
        })
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("the config file {} is not valid", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_the_password_only() {
        assert_eq!(
            redact_url("postgres://coffer:s3cret@db:5432/coffer"),
            "postgres://coffer:***@db:5432/coffer"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
    }

    #[test]
    fn config_debug_does_not_print_secrets() {
        let file: FileConfig = toml::from_str(
            r#"
            database_url = "postgres://u:topsecret@h/db"
            blob_store = "s3://bucket"
            [s3]
            secret_access_key = "alsosecret"
            [stripe]
            secret_key = "sk_test_verysecret"
            webhook_secret = "whsec_verysecret"
            success_url = "https://example.net/ok"
            cancel_url = "https://example.net/no"
            [comgate]
            merchant = "123456"
            secret = "comgatesecret"
            "#,
        )
        .unwrap();
        let config = Config::resolve(file, &Overrides::default()).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("topsecret"), "{shown}");
        assert!(!shown.contains("alsosecret"), "{shown}");
        for secret in ["verysecret", "comgatesecret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(matches!(config.database, DatabaseConfig::Postgres(_)));
    }

    #[test]
    fn unknown_config_keys_are_refused() {
        assert!(toml::from_str::<FileConfig>("listne = \"127.0.0.1:1\"").is_err());
    }
}
