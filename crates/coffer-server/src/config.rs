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
//! | reverse proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges) | `COFFER_TRUSTED_PROXIES` (comma-separated) | `trusted_proxies` |
//! | deprecated: `true` means `trusted_proxies = ["127.0.0.1", "::1"]` | `COFFER_TRUST_FORWARDED_FOR` | `trust_forwarded_for` |
//! | the server key sealing TOTP secrets (a file of 64 hex characters, created if missing) | `COFFER_SECRET_KEY_FILE` | `secret_key_file` |
//! | rate limits | `COFFER_LOGIN_PER_ACCOUNT_PER_MINUTE`, `COFFER_LOGIN_PER_IP_PER_MINUTE`, `COFFER_REGISTER_PER_IP_PER_HOUR` | `[rate_limits]` |
//!
//! TLS: terminate it in front of the server (a reverse proxy such as Caddy or nginx, listed in
//! `trusted_proxies` so rate limits see client addresses); the server itself speaks plain HTTP
//! and by default only listens on loopback.
//!
//! E-mail: with `smtp_url` set, new accounts verify their address before they sync (a code is
//! mailed); without it the server cannot verify addresses, says so when it starts, and
//! accepts them as given.

use crate::billing::comgate::ComgateSettings;
use crate::billing::stripe::StripeSettings;
use crate::ratelimit::RateLimits;
use anyhow::Context as _;
use ipnet::IpNet;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
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
    pub trusted_proxies: Option<Vec<String>>,
    /// Deprecated: use `trusted_proxies`.
    pub trust_forwarded_for: Option<bool>,
    pub secret_key_file: Option<PathBuf>,
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
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Where the server key is: `None` for PostgreSQL without `secret_key_file` (then kept in
    /// the database, with a warning at start-up).
    pub secret_key_file: Option<PathBuf>,
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
            .field("trusted_proxies", &self.trusted_proxies)
            .field("secret_key_file", &self.secret_key_file)
            .field("rate_limits", &self.rate_limits)
            .finish()
    }
}

/// `scheme://user:password@host/...?password=...` → `scheme://user:***@host/...?password=***`,
/// whatever characters the password holds (`@`, `/`, `:`, `?`, `#`, percent-escapes).
///
/// Everything between the user name and the last `@` is masked (a password may hold `@`, and
/// unescaped `/`, `?` or `#` too), unless what precedes the first `:` is not a user name;
/// then there is no user info, and query parameters naming a password or secret are masked.
/// When in doubt it masks more, never less.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let userinfo = rest.rfind('@').and_then(|at| {
        let (info, host) = (&rest[..at], &rest[at + 1..]);
        let user = info.split(':').next().unwrap_or("");
        let looks_like_user = !info.is_empty()
            && !user.contains(['/', '?', '#', '&', '='])
            && !host.split(['/', '?', '#']).next().unwrap_or("").is_empty();
        looks_like_user.then_some((info, host))
    });
    let (prefix, after) = match userinfo {
        Some((info, host)) => match info.split_once(':') {
            Some((user, _)) => (format!("{user}:***@"), host),
            None => (format!("{info}@"), host),
        },
        None => (String::new(), rest),
    };
    let (host_path, query) = match after.split_once('?') {
        Some((hp, q)) => (hp, Some(q)),
        None => (after, None),
    };
    let mut out = format!("{scheme}://{prefix}{host_path}");
    if let Some(query) = query {
        let masked: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _))
                    if ["password", "pass", "secret", "sslpassword", "token"]
                        .contains(&k.to_ascii_lowercase().as_str()) =>
                {
                    format!("{k}=***")
                }
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&masked.join("&"));
    }
    out
}

/// Reverse proxies in front of the server. A request from one of them is attributed to the
/// rightmost `X-Forwarded-For` address that is not itself a trusted proxy (each proxy appends
/// the address it saw, so everything left of that may be forged by the client).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        entries
            .iter()
            .map(|e| {
                let e = e.trim();
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .with_context(|| format!("trusted_proxies: {e:?} is not an address or range"))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map(TrustedProxies)
    }

    /// What `trust_forwarded_for = true` meant: a proxy on this machine.
    pub fn loopback() -> Self {
        TrustedProxies(vec![
            IpNet::from(IpAddr::from([127, 0, 0, 1])),
            IpNet::from(IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
        ])
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a request from `peer` carrying `forwarded_for` headers (in
    /// order of appearance).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut hops = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        while let Some(hop) = hops.pop() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                // Unparsable: whatever is left of it cannot be attributed either.
                return peer;
            };
            if !self.trusts(ip) {
                return canonical(ip);
            }
        }
        peer
    }
}

/// An IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`) is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
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
        if let Some(n) = env_parse::<u32>("COFFER_REGISTER_PER_IP_PER_HOUR")? {
            rate_limits.register_per_ip_per_hour = n;
        }
        let trusted_proxies = match env("COFFER_TRUSTED_PROXIES") {
            Some(list) => Some(list.split(',').map(str::to_owned).collect::<Vec<_>>()),
            None => file.trusted_proxies,
        };
        let trust_forwarded_for =
            env_parse::<bool>("COFFER_TRUST_FORWARDED_FOR")?.or(file.trust_forwarded_for);
        let trusted_proxies = match (trusted_proxies, trust_forwarded_for) {
            (Some(list), _) => TrustedProxies::parse(&list)?,
            (None, Some(true)) => TrustedProxies::loopback(),
            (None, _) => TrustedProxies::default(),
        };
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
        let secret_key_file = env("COFFER_SECRET_KEY_FILE")
            .map(PathBuf::from)
            .or(file.secret_key_file)
            .or_else(|| match database {
                DatabaseConfig::Sqlite(_) => Some(data_dir.join("secret.key")),
                DatabaseConfig::Postgres(_) => None,
            });
        Ok(Config {
            listen,
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
            trusted_proxies,
            data_dir: data_dir.clone(),
            secret_key_file,
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
    fn redact_url_hides_passwords_holding_at_slash_colon_question_and_hash() {
        for password in [
            "p@ss",
            "a/b",
            "c:d:e",
            "q?x=1",
            "h#sh",
            "%40%2F",
            "@/:?#@",
            "x@db/",
            "&password=",
        ] {
            let url =
                format!("postgres://coffer:{password}@db.example:5432/coffer?sslmode=require");
            let shown = redact_url(&url);
            assert_eq!(
                shown, "postgres://coffer:***@db.example:5432/coffer?sslmode=require",
                "{password}"
            );
        }
        assert_eq!(
            redact_url("postgres://db/coffer?user=coffer&password=top%20secret"),
            "postgres://db/coffer?user=coffer&password=***"
        );
        assert_eq!(
            redact_url("postgres://db/coffer?user=coffer&password=p@ss"),
            "postgres://db/coffer?user=coffer&password=***"
        );
        assert_eq!(
            redact_url("smtps://mailer@mail.example"),
            "smtps://mailer@mail.example"
        );
    }

    #[test]
    fn forwarded_for_counts_only_through_trusted_proxies_from_the_right() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "127.0.0.1".into()]).unwrap();
        // An untrusted peer's header is ignored.
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // Through the proxy: the rightmost address that is not a proxy, whatever the client
        // put on the left.
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &["6.6.6.6, 198.51.100.7, 10.2.2.2"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &["6.6.6.6", "198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the proxy.
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &["nonsense"]),
            ip("10.1.1.1")
        );
        // No proxies configured: the peer.
        assert_eq!(
            TrustedProxies::default().client(ip("127.0.0.1"), &["1.2.3.4"]),
            ip("127.0.0.1")
        );
        assert!(TrustedProxies::parse(&["not an ip".into()]).is_err());
    }

    #[test]
    fn the_deprecated_trust_forwarded_for_means_a_proxy_on_this_machine() {
        let file: FileConfig = toml::from_str("trust_forwarded_for = true").unwrap();
        let config = Config::resolve(file, &Overrides::default()).unwrap();
        assert_eq!(config.trusted_proxies, TrustedProxies::loopback());
        let file: FileConfig =
            toml::from_str("trust_forwarded_for = true\ntrusted_proxies = [\"10.0.0.1\"]").unwrap();
        let config = Config::resolve(file, &Overrides::default()).unwrap();
        assert!(!config.trusted_proxies.trusts("127.0.0.1".parse().unwrap()));
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
