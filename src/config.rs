//! Configuration: command-line flags, environment variables, and an optional
//! TOML file (`--config PATH`) whose keys are the environment variable names.
//! Precedence: flag > environment > file > default. Secrets may come from
//! `*_FILE` paths and are held in `SecretString` (never in `Debug`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::SecretString;

use crate::upstream::RestAuthMode;

#[derive(Debug, Parser)]
#[command(
    name = "storefront-bff",
    version,
    about = "Backend-for-frontend for headless WooCommerce stores.\n\nWith no WOO_URL it starts an embedded demo store and runs against it."
)]
pub struct Cli {
    /// TOML file with any of the settings below, keyed by their environment variable names.
    #[arg(long, env = "BFF_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server (the default).
    Serve,
    /// Run only the embedded demo store (WooCommerce-compatible) for frontend work.
    DemoStore {
        #[arg(long, default_value = "127.0.0.1:8881")]
        listen: SocketAddr,
        /// Number of top-level products to generate.
        #[arg(long, default_value_t = 240)]
        products: usize,
        /// Treat `X-Forwarded-Proto: https` as HTTPS (as a store behind a TLS proxy does), so REST
        /// keys work over HTTP Basic from scripts (bench/index.sh changes prices that way).
        #[arg(long)]
        trust_forwarded_proto: bool,
    },
    /// Print the OpenAPI document (how `openapi/openapi.json` is regenerated).
    Openapi,
    /// Partner registry tools (see the README's Partners section).
    Partner {
        #[command(subcommand)]
        action: PartnerCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Read a client secret from stdin and print its argon2id hash (for `client_secret_hash`).
    HashSecret,
    /// Validate a partner registry file; problems name their line and field.
    Check { file: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// `SameSite` of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CookieSameSite {
    /// Sent on same-site requests and top-level navigations: an SPA on the API's own site.
    Lax,
    /// Same-site requests only.
    Strict,
    /// Sent cross-site too: an SPA on another site (needs `Secure`, CORS_ORIGINS listing it).
    None,
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long = "listen", env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// WooCommerce store home URL (e.g. https://shop.example.com). Unset: embedded demo store.
    #[arg(long, env = "WOO_URL", value_parser = parse_store_url)]
    pub woo_url: Option<String>,
    /// REST API consumer key (ck_…). Or WOO_CONSUMER_KEY_FILE.
    #[arg(long, env = "WOO_CONSUMER_KEY", hide_env_values = true)]
    pub woo_consumer_key: Option<String>,
    /// File holding the consumer key.
    #[arg(long, env = "WOO_CONSUMER_KEY_FILE")]
    pub woo_consumer_key_file: Option<PathBuf>,
    /// REST API consumer secret (cs_…). Or WOO_CONSUMER_SECRET_FILE.
    #[arg(long, env = "WOO_CONSUMER_SECRET", hide_env_values = true)]
    pub woo_consumer_secret: Option<String>,
    /// File holding the consumer secret.
    #[arg(long, env = "WOO_CONSUMER_SECRET_FILE")]
    pub woo_consumer_secret_file: Option<PathBuf>,
    /// REST auth: auto (https → basic, http → oauth1), basic, oauth1.
    #[arg(long, env = "WOO_AUTH_MODE", default_value = "auto")]
    pub woo_auth_mode: RestAuthMode,
    /// Timeout for each upstream call, in milliseconds.
    #[arg(long, env = "WOO_TIMEOUT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(50..=120_000))]
    pub woo_timeout_ms: u64,
    /// Extra attempts for idempotent upstream reads (transport errors, 502/503/504).
    #[arg(long, env = "WOO_RETRIES", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub woo_retries: u32,
    /// Cache budget in MiB (bytes of cached responses).
    #[arg(long, env = "CACHE_BUDGET_MB", default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub cache_budget_mb: u64,
    /// TTL of product lists and facets, seconds.
    #[arg(long, env = "CACHE_TTL_LIST_SECS", default_value_t = 60)]
    pub cache_ttl_list_secs: u64,
    /// TTL of single products, variations and reviews, seconds.
    #[arg(long, env = "CACHE_TTL_PRODUCT_SECS", default_value_t = 300)]
    pub cache_ttl_product_secs: u64,
    /// TTL of categories, tags and attributes, seconds.
    #[arg(long, env = "CACHE_TTL_TAXONOMY_SECS", default_value_t = 3600)]
    pub cache_ttl_taxonomy_secs: u64,
    /// How long past its TTL a cached page may be served when the store fails, seconds.
    #[arg(long, env = "CACHE_STALE_WINDOW_SECS", default_value_t = 600)]
    pub cache_stale_window_secs: u64,
    /// A page read in the last this-many percent of its TTL is refreshed in the background, so a page read steadily never expires into a miss. 0: off.
    #[arg(long, env = "CACHE_REFRESH_AHEAD_PERCENT", default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=90))]
    pub cache_refresh_ahead_percent: u8,
    /// How long the store's 404 for a product (or other catalogue page) is remembered, seconds; a product that appears (webhook or reconciliation) is seen at once. 0: never.
    #[arg(long, env = "CACHE_TTL_NOT_FOUND_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub cache_ttl_not_found_secs: u64,
    /// Comma-separated origins allowed by CORS (e.g. https://shop.example.com). Empty: same-origin only.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Log format.
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
    /// Send Strict-Transport-Security with this max-age (seconds) when serving behind TLS; 0: off.
    #[arg(long, env = "HSTS_MAX_AGE_SECS", default_value_t = 0)]
    pub hsts_max_age_secs: u64,
    /// Largest accepted request body, bytes.
    #[arg(long, env = "BODY_LIMIT_BYTES", default_value_t = 64 * 1024)]
    pub body_limit_bytes: usize,
    /// Seconds a client has to send a whole request body (slow senders get 408).
    #[arg(long, env = "BODY_READ_TIMEOUT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub body_read_timeout_secs: u64,
    /// Seconds a client has to send a request's line and headers; also how long an idle keep-alive connection stays open. Then the connection is closed. Keep it above the idle timeout of a load balancer in front (AWS ALB: 60 s).
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 65, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_read_timeout_secs: u64,
    /// Seconds a new connection has to send its first request's head (shorter than HEADER_READ_TIMEOUT_SECS, the keep-alive idle timeout); then it is closed.
    #[arg(long, env = "FIRST_REQUEST_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub first_request_timeout_secs: u64,
    /// Open connections per client address (the peer; TRUSTED_PROXIES are not capped); more are closed at once. 0: no cap.
    #[arg(long, env = "MAX_CONNECTIONS_PER_IP", default_value_t = 128)]
    pub max_connections_per_ip: usize,
    /// Secure flag on the session cookie. Default: on, except in demo mode (plain http on loopback).
    #[arg(long, env = "COOKIE_SECURE")]
    pub cookie_secure: Option<bool>,
    /// SameSite of the session cookie: lax, strict, or none (an SPA on another site; needs COOKIE_SECURE, and the SPA's origin in CORS_ORIGINS).
    #[arg(long, env = "COOKIE_SAME_SITE", value_enum, default_value_t = CookieSameSite::Lax)]
    pub cookie_same_site: CookieSameSite,
    /// Key (≥ 32 characters) that signs app session tokens. Required with WOO_URL; generated in demo mode.
    #[arg(long, env = "SESSION_TOKEN_SECRET", hide_env_values = true)]
    pub session_token_secret: Option<String>,
    /// File holding the session token key.
    #[arg(long, env = "SESSION_TOKEN_SECRET_FILE")]
    pub session_token_secret_file: Option<PathBuf>,
    /// Token signing keys with rotation by kid, signing key first: `kid=secret` (HS256, ≥ 32 bytes) or `kid=@/path/key.pem` (RS256; a public key only verifies). Replaces SESSION_TOKEN_SECRET. Or JWT_KEYS_FILE.
    #[arg(long, env = "JWT_KEYS", hide_env_values = true)]
    pub jwt_keys: Option<String>,
    /// File holding JWT_KEYS.
    #[arg(long, env = "JWT_KEYS_FILE")]
    pub jwt_keys_file: Option<PathBuf>,
    /// Lifetime of a signed-in customer's access token, seconds.
    #[arg(long, env = "ACCESS_TOKEN_TTL_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(30..=86_400))]
    pub access_token_ttl_secs: u64,
    /// Lifetime of a refresh token (and of its family), seconds.
    #[arg(long, env = "REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600, value_parser = clap::value_parser!(u64).range(60..=31_536_000))]
    pub refresh_token_ttl_secs: u64,
    /// Failed sign-ins per account (per IP: 4×) before 429; each further lockout doubles.
    #[arg(long, env = "LOGIN_MAX_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub login_max_failures: u32,
    /// First sign-in lockout, seconds.
    #[arg(long, env = "LOGIN_LOCKOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub login_lockout_secs: u64,
    /// Idle lifetime of shopper sessions, seconds.
    #[arg(long, env = "SESSION_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub session_ttl_secs: u64,
    /// Memory cap of the in-memory session store, MiB (least useful sessions are evicted past it; unused with REDIS_URL).
    #[arg(long, env = "SESSION_MEMORY_MB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub session_memory_mb: u64,
    /// New app sessions (`POST /api/v1/session`) per minute per client IP.
    #[arg(long, env = "SESSION_RATE_PER_MIN", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub session_rate_per_min: u32,
    /// Address of the Prometheus `/metrics` listener, kept off the public one. Default: loopback only. `off`: no metrics listener.
    #[arg(long, env = "METRICS_LISTEN", default_value = "127.0.0.1:9464", value_parser = parse_metrics_listen)]
    pub metrics_listen: MetricsListen,
    /// Catalogue fetches in flight at the store at once (a small WooCommerce serves ~20 requests/s).
    #[arg(long, env = "UPSTREAM_CATALOGUE_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub upstream_catalogue_concurrency: u64,
    /// Cart and checkout operations in flight at the store at once.
    #[arg(long, env = "UPSTREAM_CART_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub upstream_cart_concurrency: u64,
    /// Sign-ins and registrations in flight at the store at once (each a password check and a REST lookup).
    #[arg(long, env = "UPSTREAM_REST_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub upstream_rest_concurrency: u64,
    /// Requests that may wait for the store per kind; beyond it, STALE or 503 upstream_busy at once.
    #[arg(long, env = "UPSTREAM_QUEUE", default_value_t = 32, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub upstream_queue: u64,
    /// How long a queued request waits for the store before STALE or 503 upstream_busy, milliseconds.
    #[arg(long, env = "UPSTREAM_QUEUE_WAIT_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub upstream_queue_wait_ms: u64,
    /// Catalogue cache misses per minute per client IP (hits are never limited); over it: STALE or 429. 0: no budget.
    #[arg(long, env = "MISS_RATE_PER_MIN", default_value_t = 60)]
    pub miss_rate_per_min: u32,
    /// Refusals (429) of one client within max(10 s, 2 × PENALTY_SECS) that put it in the penalty box: shed for PENALTY_SECS (its requests 429 with Connection: close unrouted, its new connections parked unread until the penalty ends, then reset, unless from a trusted proxy). 0: no box.
    #[arg(long, env = "PENALTY_REFUSALS", default_value_t = 20)]
    pub penalty_refusals: u32,
    /// Seconds a client in the penalty box is shed (see PENALTY_REFUSALS).
    #[arg(long, env = "PENALTY_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub penalty_secs: u64,
    /// Comma-separated proxy IPs whose X-Forwarded-For is trusted.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Cart writes per minute per session (per IP: 4×).
    #[arg(long, env = "CART_RATE_PER_MIN", default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..))]
    pub cart_rate_per_min: u32,
    /// Checkouts per minute per session (per IP: 4×).
    #[arg(long, env = "CHECKOUT_RATE_PER_MIN", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub checkout_rate_per_min: u32,
    /// Secret WooCommerce signs webhooks with.
    #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// File holding the webhook secret.
    #[arg(long, env = "WEBHOOK_SECRET_FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// The previous webhook secret, still accepted during a rotation.
    #[arg(long, env = "WEBHOOK_SECRET_PREVIOUS", hide_env_values = true)]
    pub webhook_secret_previous: Option<String>,
    /// File holding the previous webhook secret.
    #[arg(long, env = "WEBHOOK_SECRET_PREVIOUS_FILE")]
    pub webhook_secret_previous_file: Option<PathBuf>,
    /// This BFF's public base URL: at start-up and every reconcile interval, make sure the store's product webhooks deliver to URL/webhooks/woocommerce (creating or re-enabling them). Needs WEBHOOK_SECRET.
    #[arg(long = "register-webhooks", env = "REGISTER_WEBHOOKS_URL", value_parser = parse_store_url)]
    pub register_webhooks: Option<String>,
    /// Seconds between reconciliation scans (REST v3 products modified since the last scan); 0 disables.
    #[arg(long, env = "RECONCILE_INTERVAL_SECS", default_value_t = 300)]
    pub reconcile_interval_secs: u64,
    /// The local catalogue index (`on`/`off`): lists, filters, facets, product pages and taxonomies answered from a replica of the catalogue instead of the store, once its first walk is done.
    #[arg(long, env = "CATALOGUE_INDEX", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub catalogue_index: bool,
    /// Directory the catalogue index is kept in between runs. Unset: in memory, walked at every start.
    #[arg(long, env = "INDEX_DIR")]
    pub index_dir: Option<PathBuf>,
    /// Hours between full walks of the catalogue (they remove what vanished without a webhook); 0: only at start.
    #[arg(long, env = "INDEX_FULL_SYNC_HOURS", default_value_t = 24)]
    pub index_full_sync_hours: u64,
    /// Store pages the index reads at once while walking (each also holds one catalogue permit of UPSTREAM_CATALOGUE_CONCURRENCY).
    #[arg(long, env = "INDEX_WALK_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub index_walk_concurrency: u64,
    /// Redis URL (redis://host:6379/0) to share sessions, idempotency records, webhook dedupe and cache invalidation between instances. Unset: in memory.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Products in the embedded demo store (demo mode only).
    #[arg(long, env = "DEMO_PRODUCTS", default_value_t = 240)]
    pub demo_products: usize,
    /// Partner registry (TOML). Unset: the partner API answers 404 partners_disabled.
    #[arg(long, env = "PARTNERS_FILE")]
    pub partners_file: Option<PathBuf>,
    /// Key (≥ 32 characters) that signs partner access tokens. Required with WOO_URL and PARTNERS_FILE; generated in demo mode.
    #[arg(long, env = "PARTNER_TOKEN_SECRET", hide_env_values = true)]
    pub partner_token_secret: Option<String>,
    /// File holding the partner token key.
    #[arg(long, env = "PARTNER_TOKEN_SECRET_FILE")]
    pub partner_token_secret_file: Option<PathBuf>,
    /// Lifetime of partner access tokens, seconds.
    #[arg(long, env = "PARTNER_TOKEN_TTL_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub partner_token_ttl_secs: u64,
    /// How often PARTNERS_FILE is checked for changes, seconds (0: only on SIGHUP).
    #[arg(long, env = "PARTNERS_POLL_SECS", default_value_t = 2)]
    pub partners_poll_secs: u64,
}

/// Where `/metrics` is served: an address, or nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsListen {
    At(SocketAddr),
    Off,
}

fn parse_on_off(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => Err(format!("expected on or off, got {other:?}")),
    }
}

fn parse_metrics_listen(raw: &str) -> Result<MetricsListen, String> {
    match raw.trim() {
        "off" | "" => Ok(MetricsListen::Off),
        addr => addr.parse().map(MetricsListen::At).map_err(|e| format!("an address like 127.0.0.1:9464, or off ({e})")),
    }
}

fn parse_store_url(raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    Ok(raw.trim_end_matches('/').to_string())
}

/// The resolved store connection: a configured store, or demo mode.
#[derive(Debug, Clone)]
pub enum StoreTarget {
    Demo,
    Remote { url: String, consumer_key: SecretString, consumer_secret: SecretString },
}

impl Settings {
    pub fn upstream_timeout(&self) -> Duration {
        Duration::from_millis(self.woo_timeout_ms)
    }

    /// Resolves the store settings; errors name the variable at fault.
    pub fn store_target(&self) -> Result<StoreTarget, String> {
        let Some(url) = &self.woo_url else {
            return Ok(StoreTarget::Demo);
        };
        let consumer_key = secret("WOO_CONSUMER_KEY", &self.woo_consumer_key, &self.woo_consumer_key_file)?;
        let consumer_secret = secret("WOO_CONSUMER_SECRET", &self.woo_consumer_secret, &self.woo_consumer_secret_file)?;
        Ok(StoreTarget::Remote { url: url.clone(), consumer_key, consumer_secret })
    }
}

fn secret(name: &str, value: &Option<String>, file: &Option<PathBuf>) -> Result<SecretString, String> {
    optional_secret(name, value, file)?.ok_or_else(|| format!("{name} is required when WOO_URL is set (or {name}_FILE)"))
}

/// A secret given directly or as a file path; `None` when neither is set.
pub fn optional_secret(name: &str, value: &Option<String>, file: &Option<PathBuf>) -> Result<Option<SecretString>, String> {
    let raw = match (value, file) {
        (Some(_), Some(_)) => return Err(format!("{name} and {name}_FILE are both set; use one")),
        (Some(v), None) => v.clone(),
        (None, Some(path)) => {
            std::fs::read_to_string(path).map_err(|e| format!("{name}_FILE: cannot read {} ({})", path.display(), e.kind()))?
        }
        (None, None) => return Ok(None),
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(format!("{name} is empty"));
    }
    Ok(Some(SecretString::from(trimmed.to_string())))
}

/// Loads `--config FILE` into the environment before clap reads it, without
/// overriding variables that are already set. Unknown keys are refused so a
/// typo is not silently ignored.
pub fn load_config_file(path: &std::path::Path, known: &[String]) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("BFF_CONFIG: cannot read {} ({})", path.display(), e.kind()))?;
    let table: toml::Table =
        text.parse().map_err(|e: toml::de::Error| format!("BFF_CONFIG: {} is not valid TOML: {}", path.display(), e.message()))?;
    for (key, value) in table {
        let name = key.to_ascii_uppercase();
        if !known.contains(&name) {
            return Err(format!("{name}: unknown setting in {}", path.display()));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Array(items) => {
                items.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect::<Vec<_>>().join(",")
            }
            other => return Err(format!("{name}: unsupported value {other} in {}", path.display())),
        };
        if std::env::var_os(&name).is_none() {
            // Single-threaded at this point: main has not started the runtime.
            std::env::set_var(&name, text);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::Cli;

    #[test]
    fn header_read_timeout_defaults_to_65_s_and_must_be_at_least_1() {
        let cli = Cli::try_parse_from(["storefront-bff"]).unwrap();
        assert_eq!(cli.settings.header_read_timeout_secs, 65);
        assert_eq!(cli.settings.serve_options().header_read_timeout, std::time::Duration::from_secs(65));
        let cli = Cli::try_parse_from(["storefront-bff", "--header-read-timeout-secs", "3"]).unwrap();
        assert_eq!(cli.settings.serve_options().header_read_timeout, std::time::Duration::from_secs(3));
        // 0 would switch hyper's deadline off: refused, like any value that is not a number.
        for bad in ["0", "301", "soon"] {
            let err = Cli::try_parse_from(["storefront-bff", "--header-read-timeout-secs", bad]).unwrap_err();
            assert!(err.to_string().contains("--header-read-timeout-secs"), "{bad}: {err}");
        }
    }
}
