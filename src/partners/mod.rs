//! The partner (B2B) API: a registry of partners (TOML, hashed secrets, reloaded live), OAuth 2.0
//! client-credentials tokens with scopes, the catalogue at each partner's prices, stock by SKU,
//! idempotent bulk orders, and the partner's own orders. Without `PARTNERS_FILE` every partner
//! route answers 404 `partners_disabled`.

pub mod auth;
pub mod cli;
pub mod grant;
pub mod handlers;
pub mod order_input;
pub mod orders;
pub mod pricing;
pub mod registry;
pub mod reload;
pub mod scopes;
pub mod secret;
pub mod stock;
pub mod token;
pub mod views;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::catalogue::Catalogue;
use crate::error::ApiError;
use crate::idempotency::Idempotency;
use crate::upstream::RestClient;
pub use reload::{RegistryHandle, Reloaded};
pub use token::PartnerTokens;

/// How long stock figures are cached.
pub const STOCK_TTL: Duration = Duration::from_secs(30);

/// Partner settings resolved from configuration (the registry is loaded already, so a bad file
/// stops start-up with its line and field named).
#[derive(Clone)]
pub struct PartnerOptions {
    pub registry: Arc<RegistryHandle>,
    pub tokens: PartnerTokens,
    /// How often the file is checked for changes (zero: only on SIGHUP).
    pub poll: Duration,
    pub stock_ttl: Duration,
}

impl fmt::Debug for PartnerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerOptions").field("file", &self.registry.path()).field("poll", &self.poll).finish_non_exhaustive()
    }
}

impl PartnerOptions {
    pub fn open(file: &Path, tokens: PartnerTokens, poll: Duration) -> Result<Self, String> {
        Ok(Self { registry: Arc::new(RegistryHandle::open(file)?), tokens, poll, stock_ttl: STOCK_TTL })
    }
}

/// The partner API's state: `None` inside when partners are not configured.
pub struct Partners {
    live: Option<Live>,
}

/// Everything the partner routes use.
pub struct Live {
    pub registry: Arc<RegistryHandle>,
    pub tokens: PartnerTokens,
    pub catalogue: Catalogue,
    pub rest: RestClient,
    pub stock: stock::StockLookup,
    pub idempotency: Idempotency,
    pub limits: auth::PartnerLimits,
    /// Bounds concurrent argon2 verifications (CPU and memory heavy by design).
    pub verifying: Arc<Semaphore>,
    /// Failed token requests per client address (checked before any hashing).
    pub failed_tokens: token::FailedAttempts,
    /// Scoped idempotency keys whose order request lost its answer (looked up before a retry).
    pub ambiguous: moka::future::Cache<String, ()>,
}

impl Partners {
    /// Starts the partner API (and its file watcher) when configured.
    pub fn new(options: Option<&PartnerOptions>, catalogue: Catalogue, rest: RestClient, idempotency: Idempotency) -> Self {
        let Some(options) = options else {
            return Partners { live: None };
        };
        options.registry.watch(options.poll);
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Partners {
            live: Some(Live {
                registry: Arc::clone(&options.registry),
                tokens: options.tokens.clone(),
                catalogue,
                stock: stock::StockLookup::new(rest.clone(), options.stock_ttl),
                rest,
                idempotency,
                limits: auth::PartnerLimits::default(),
                verifying: Arc::new(Semaphore::new(cores)),
                failed_tokens: token::FailedAttempts::default(),
                ambiguous: moka::future::Cache::builder().time_to_live(crate::idempotency::RETENTION).max_capacity(100_000).build(),
            }),
        }
    }

    pub fn disabled() -> Self {
        Partners { live: None }
    }

    /// The running partner API, or 404 `partners_disabled`.
    pub fn live(&self) -> Result<&Live, ApiError> {
        self.live.as_ref().ok_or_else(|| ApiError::NotFound {
            code: "partners_disabled",
            message: "The partner API is not enabled on this server (no PARTNERS_FILE).".into(),
        })
    }

    pub fn registry(&self) -> Option<&Arc<RegistryHandle>> {
        self.live.as_ref().map(|l| &l.registry)
    }

    /// Re-reads the registry file now (as SIGHUP does); a bad file keeps the running registry.
    pub async fn reload_now(&self) -> Result<Reloaded, String> {
        match &self.live {
            Some(live) => live.registry.reload_logged(true, "requested").await,
            None => Err("partners are not enabled".into()),
        }
    }
}

/// Partner options from configuration; errors name the variable (or the registry's line and field).
pub fn options(settings: &crate::config::Settings, demo: bool) -> Result<Option<PartnerOptions>, String> {
    let Some(file) = &settings.partners_file else {
        return Ok(None);
    };
    let ttl = Duration::from_secs(settings.partner_token_ttl_secs);
    let secret =
        crate::config::optional_secret("PARTNER_TOKEN_SECRET", &settings.partner_token_secret, &settings.partner_token_secret_file)?;
    let tokens = match secret {
        Some(secret) => {
            use secrecy::ExposeSecret;
            if secret.expose_secret().len() < 32 {
                return Err("PARTNER_TOKEN_SECRET must be at least 32 characters".into());
            }
            PartnerTokens::new(secret, ttl)
        }
        None if demo => PartnerTokens::generated(ttl),
        None => return Err("PARTNER_TOKEN_SECRET is required when WOO_URL and PARTNERS_FILE are set (or PARTNER_TOKEN_SECRET_FILE)".into()),
    };
    PartnerOptions::open(file, tokens, Duration::from_secs(settings.partners_poll_secs)).map(Some)
}
