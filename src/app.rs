//! Application wiring: state, middleware, and start-up (including demo mode,
//! where an embedded demo store is started and used as the upstream).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::Response;
use axum::Router;
use route_templates::RouteTemplates;
use secrecy::SecretString;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::SessionManagerLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::cache::{CacheSettings, ResponseCache};
use crate::cart::Cart;
use crate::catalogue::front::FrontLayer;
use crate::catalogue::Catalogue;
use crate::client_ip::TrustedProxies;
use crate::config::{CookieSameSite, Settings, StoreTarget};
use crate::csrf::AllowedOrigins;
use crate::demo_store::{self, DemoKey, DemoStoreConfig, DemoStoreHandle, KeyPermissions};
use crate::edge::EdgeLayer;
use crate::error::ApiError;
use crate::idempotency::Idempotency;
use crate::ops::Ops;
use crate::ratelimit::{RateLimits, RateSettings};
use crate::session::{SessionTokens, Sessions, SharedStore};
use crate::upstream::{CartClient, HttpSettings, RestAuthMode, RestClient, RestCredentials, StoreClient};
use crate::webhooks::reconcile::Reconciler;
use crate::webhooks::{WebhookSecrets, Webhooks};
use crate::{csrf, routes};

pub use crate::state::{AppParts, AppState};

/// The metrics listener's whole application: `GET /metrics`, 404 for anything else. Served on
/// its own listener (`METRICS_LISTEN`, loopback by default), as Prometheus exporters are, never
/// on the public one: route names, error rates and cache sizes tell an attacker what hurts.
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", axum::routing::get(crate::ops::render)).with_state(state)
}

/// Everything about the server that is not "where is the store".
#[derive(Clone)]
pub struct AppOptions {
    pub cache: CacheSettings,
    pub tokens: SessionTokens,
    /// Customer sign-in: token lifetimes and the brute-force guard.
    pub accounts: crate::accounts::AccountSettings,
    pub session_ttl: Duration,
    pub session_store: SharedStore,
    pub rates: RateSettings,
    /// Caps on concurrent store work, and the per-client budget of cache misses.
    pub gate: crate::gate::GateSettings,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub cors_origins: Vec<String>,
    pub webhook_secrets: WebhookSecrets,
    /// Shared state for several instances; `None` keeps everything in memory.
    pub redis: Option<crate::redis::Redis>,
    /// This BFF's public URL, to keep the store's product webhooks pointed at it.
    pub register_webhooks_url: Option<String>,
    /// The partner API; `None` (no `PARTNERS_FILE`) answers 404 `partners_disabled`.
    pub partners: Option<crate::partners::PartnerOptions>,
    /// The local catalogue index; `None` (`CATALOGUE_INDEX=off`): every read is a cached pass-through.
    pub index: Option<crate::catalogue::index::IndexSettings>,
}

impl AppOptions {
    /// Defaults for tests and embedding: in-memory sessions, a random token key.
    pub fn for_tests() -> Self {
        Self {
            cache: CacheSettings::default(),
            tokens: SessionTokens::generated(Duration::from_secs(3600)),
            accounts: crate::accounts::AccountSettings::default(),
            session_ttl: Duration::from_secs(3600),
            session_store: SharedStore::memory(Duration::from_secs(3600), 64 * 1024 * 1024),
            rates: RateSettings::default(),
            // Every test client is 127.0.0.1: one miss budget would be shared by all of them.
            gate: crate::gate::GateSettings { misses_per_minute: 0, ..crate::gate::GateSettings::default() },
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            webhook_secrets: WebhookSecrets::default(),
            redis: None,
            register_webhooks_url: None,
            partners: None,
            index: None,
        }
    }
}

/// How to reach the store.
pub struct Upstream {
    pub url: String,
    pub credentials: RestCredentials,
    pub auth_mode: RestAuthMode,
    pub http: HttpSettings,
    pub demo: bool,
}

impl AppState {
    pub fn new(upstream: &Upstream, options: &AppOptions) -> Self {
        let store = StoreClient::new(&upstream.url, &upstream.http);
        let rest = RestClient::new(&upstream.url, upstream.credentials.clone(), upstream.auth_mode, &upstream.http);
        let gate = crate::gate::Gate::new(&options.gate);
        let mut catalogue = Catalogue::new(store.clone(), ResponseCache::new(options.cache.clone()).with_gate(gate.clone()));
        if let Some(settings) = &options.index {
            catalogue = catalogue.with_index(crate::catalogue::index::CatalogueIndex::start(
                store.clone(),
                Some(rest.clone()),
                gate.clone(),
                // Its remembered answers take an eighth of the cache budget (see `index::answers`).
                crate::catalogue::index::IndexSettings { answers_bytes: options.cache.budget_bytes / 8, ..settings.clone() },
            ));
        }
        let webhooks = Webhooks::start(options.webhook_secrets.clone(), catalogue.cache().clone(), options.redis.clone());
        let reconciler = Reconciler::new(rest.clone(), catalogue.cache().clone());
        let limits = RateLimits::new(&options.rates);
        let cart = Cart::new(
            CartClient::new(&upstream.url, &upstream.http),
            catalogue.clone(),
            store.clone(),
            rest.clone(),
            options.redis.clone().map(Idempotency::on_redis).unwrap_or_default(),
            limits.clone(),
            crate::cart::home::CustomerCarts::new(crate::kv::Kv::new(options.redis.clone(), "cart")),
        )
        .with_gate(gate.clone());
        let partners = crate::partners::Partners::new(
            options.partners.as_ref(),
            catalogue.clone(),
            rest.clone(),
            options.redis.clone().map(Idempotency::on_redis).unwrap_or_default(),
        );
        let registrar = match (&options.register_webhooks_url, &options.webhook_secrets.current) {
            (Some(url), Some(secret)) => Some(crate::webhooks::register::Registrar::new(Arc::new(rest.clone()), url, secret.clone())),
            _ => None,
        };
        let accounts = crate::accounts::Accounts::new(
            rest.clone(),
            crate::upstream::WordPressClient::new(&upstream.url, &upstream.http),
            options.redis.clone(),
            &options.accounts,
        )
        .with_gate(gate.clone());
        let session_store = match &options.redis {
            Some(redis) => SharedStore(Arc::new(tower_sessions_redis_store::RedisStore::new(redis.pool().clone()))),
            None => options.session_store.clone(),
        };
        let parts = Arc::new(AppParts {
            catalogue: Arc::new(catalogue),
            cart: Arc::new(cart),
            sessions: Arc::new(Sessions::new(session_store, options.tokens.clone(), options.session_ttl)),
            ops: Arc::new(Ops { store, mode: if upstream.demo { "demo" } else { "store" }, redis: options.redis.clone(), registrar }),
            rest: Arc::new(rest),
            trusted_proxies: TrustedProxies(Arc::new(options.trusted_proxies.clone())),
            allowed_origins: AllowedOrigins(Arc::new(options.cors_origins.clone())),
            webhooks: Arc::new(webhooks),
            reconciler: Arc::new(reconciler),
            accounts: Arc::new(accounts),
            partners: Arc::new(partners),
            limits,
            gate,
        });
        crate::ratelimit::spawn_pruning(Arc::downgrade(&parts), crate::ratelimit::PRUNE_INTERVAL, |parts: &AppParts| {
            parts.limits.prune();
            parts.gate.prune();
        });
        Self(parts)
    }
}

/// HTTP-level policy that is not per-feature.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    pub cors_origins: Vec<String>,
    pub body_limit_bytes: usize,
    /// `Secure` on the session cookie (off only for plain-http development).
    pub cookie_secure: bool,
    /// `SameSite` on the session cookie (`None` only with `cookie_secure`).
    pub cookie_same_site: SameSite,
    /// Serve the reference storefront page at `/` (demo mode).
    pub reference_page: bool,
    /// `Strict-Transport-Security: max-age=…` when > 0 (deployments behind TLS).
    pub hsts_max_age_secs: u64,
    /// How long a client may take to send a request body (408 after).
    pub body_read_timeout: Duration,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            body_limit_bytes: 64 * 1024,
            cookie_secure: true,
            cookie_same_site: SameSite::Lax,
            reference_page: false,
            hsts_max_age_secs: 0,
            body_read_timeout: Duration::from_secs(15),
        }
    }
}

pub use crate::session::SESSION_COOKIE;

/// Where the docs UI and the document live (`SwaggerUi` adds `/docs/` and `/docs/{*rest}`).
const DOCS_PATH: &str = "/docs";
const OPENAPI_PATH: &str = "/openapi.json";

/// The whole HTTP application: API routes, docs, fallbacks and middleware.
///
/// Cross-cutting layers wrap the routed service from outside instead of going
/// through `Router::layer`, which wraps every route separately and costs an
/// extra boxed service clone and boxed future per request for each call.
pub fn router(
    state: AppState,
    policy: &HttpPolicy,
) -> impl tower::Service<Request, Response = Response, Error = Infallible, Future: Send + 'static> + Clone + Send + Sync + 'static {
    // Install the recorder before the first request, not at the first scrape.
    crate::metrics::handle();
    let document = routes::openapi();
    let mut templates: Vec<String> = document.paths.paths.keys().cloned().collect();
    templates.extend([OPENAPI_PATH.into(), DOCS_PATH.into(), format!("{DOCS_PATH}/"), format!("{DOCS_PATH}/{{*rest}}")]);
    // The docs UI and the reference page are HTML: a same-origin CSP (unless
    // the page sets its own) and Referrer-Policy; the edge adds the rest.
    let html = axum::middleware::map_response(crate::edge::html_headers);
    let docs: Router = SwaggerUi::new(DOCS_PATH).url(OPENAPI_PATH, document).into();
    let docs = docs.layer(html.clone());
    let sessions = SessionManagerLayer::new(state.sessions.store())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(policy.cookie_same_site)
        .with_secure(policy.cookie_secure)
        .with_path("/")
        .with_expiry(state.sessions.expiry());
    let origins = state.allowed_origins.clone();
    // Sessions and CSRF only where a shopper is involved: catalogue hits stay
    // cheap and never set a cookie on a cacheable response.
    let shopper: Router<AppState> =
        Router::from(routes::shopper()).layer(sessions).layer(axum::middleware::from_fn_with_state(origins, csrf::layer));
    let front = FrontLayer::new(state.catalogue.cache().clone(), state.catalogue.index().cloned());
    let trusted = state.trusted_proxies.clone();
    let mut app = Router::from(routes::public()).merge(shopper).with_state(state).merge(docs);
    if policy.reference_page {
        app = app.merge(crate::web::router().layer(html));
        templates.extend(crate::web::PATHS.iter().map(|p| p.to_string()));
    }
    let app = app.fallback(|| async { ApiError::NoRoute }).method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed });

    ServiceBuilder::new()
        // Request id, span and log line, panics, metrics, security headers.
        .layer(EdgeLayer::new(policy.hsts_max_age_secs, RouteTemplates::new(templates.iter().map(String::as_str))))
        // With no cross-origin frontends configured there is nothing for CORS to
        // allow: skip the layer (and its per-request Vary headers) entirely.
        .option_layer((!policy.cors_origins.is_empty()).then(|| cors(&policy.cors_origins)))
        // Request bodies: the size limit, and a deadline for slow ones (slowloris): 408, see `body_timeout`.
        .layer(crate::body_timeout::BodyTimeoutLayer::new(policy.body_read_timeout, policy.body_limit_bytes))
        // Repeated catalogue GETs answered from the cache before routing (see `catalogue::front`).
        .layer(front)
        // Past the front: the client is known to the cache's miss budget (see `gate`).
        .layer(axum::middleware::from_fn_with_state(trusted, crate::gate::client_scope))
        .service(app)
}

fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o.trim()).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([header::ETAG, header::RETRY_AFTER, HeaderName::from_static("x-cache"), HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600))
}

impl Settings {
    pub fn cache_settings(&self) -> CacheSettings {
        CacheSettings {
            budget_bytes: self.cache_budget_mb * 1024 * 1024,
            ttl_list: Duration::from_secs(self.cache_ttl_list_secs),
            ttl_product: Duration::from_secs(self.cache_ttl_product_secs),
            ttl_taxonomy: Duration::from_secs(self.cache_ttl_taxonomy_secs),
            stale_window: Duration::from_secs(self.cache_stale_window_secs),
            refresh_ahead_percent: self.cache_refresh_ahead_percent,
            ttl_not_found: Duration::from_secs(self.cache_ttl_not_found_secs),
            ..CacheSettings::default()
        }
    }

    pub fn http_policy(&self, demo: bool) -> Result<HttpPolicy, String> {
        // Demo mode serves plain http on loopback; real deployments sit behind TLS.
        let cookie_secure = self.cookie_secure.unwrap_or(!demo);
        let cookie_same_site = match self.cookie_same_site {
            CookieSameSite::Lax => SameSite::Lax,
            CookieSameSite::Strict => SameSite::Strict,
            // Browsers drop a `SameSite=None` cookie that is not `Secure`.
            CookieSameSite::None if !cookie_secure => {
                return Err("COOKIE_SAME_SITE=none needs COOKIE_SECURE=true (browsers refuse SameSite=None cookies without Secure)".into())
            }
            CookieSameSite::None => SameSite::None,
        };
        Ok(HttpPolicy {
            cors_origins: self.cors_origins.clone(),
            body_limit_bytes: self.body_limit_bytes,
            cookie_secure,
            cookie_same_site,
            reference_page: demo,
            hsts_max_age_secs: self.hsts_max_age_secs,
            body_read_timeout: Duration::from_secs(self.body_read_timeout_secs),
        })
    }

    /// Options resolved from configuration; errors name the variable.
    pub fn app_options(&self, demo: bool) -> Result<AppOptions, String> {
        let session_ttl = Duration::from_secs(self.session_ttl_secs);
        let legacy = crate::config::optional_secret("SESSION_TOKEN_SECRET", &self.session_token_secret, &self.session_token_secret_file)?;
        let ring = crate::config::optional_secret("JWT_KEYS", &self.jwt_keys, &self.jwt_keys_file)?;
        let tokens = match (ring, legacy) {
            (Some(_), Some(_)) => return Err("JWT_KEYS and SESSION_TOKEN_SECRET are both set; use one".into()),
            (Some(spec), None) => {
                use secrecy::ExposeSecret;
                SessionTokens::new(crate::jwt::KeyRing::parse(spec.expose_secret()).map_err(|e| format!("JWT_KEYS: {e}"))?, session_ttl)
            }
            (None, Some(secret)) => {
                use secrecy::ExposeSecret;
                if secret.expose_secret().len() < crate::jwt::MIN_HS256_BYTES {
                    return Err("SESSION_TOKEN_SECRET must be at least 32 characters".into());
                }
                SessionTokens::from_secret(secret, session_ttl)
            }
            (None, None) if demo => SessionTokens::generated(session_ttl),
            (None, None) => return Err("JWT_KEYS (or SESSION_TOKEN_SECRET) is required when WOO_URL is set".into()),
        };
        let accounts = crate::accounts::AccountSettings {
            access_ttl: Duration::from_secs(self.access_token_ttl_secs),
            refresh_ttl: Duration::from_secs(self.refresh_token_ttl_secs),
            max_failures: self.login_max_failures,
            lockout: Duration::from_secs(self.login_lockout_secs),
            cookie_secure: self.cookie_secure.unwrap_or(!demo),
        };
        Ok(AppOptions {
            cache: self.cache_settings(),
            tokens,
            accounts,
            session_ttl,
            session_store: SharedStore::memory(session_ttl, self.session_memory_mb * 1024 * 1024),
            rates: RateSettings {
                cart_per_minute: self.cart_rate_per_min,
                checkout_burst: self.checkout_rate_per_min,
                checkout_window: Duration::from_secs(60),
                sessions_per_minute: self.session_rate_per_min,
            },
            gate: crate::gate::GateSettings {
                catalogue_concurrency: self.upstream_catalogue_concurrency as usize,
                cart_concurrency: self.upstream_cart_concurrency as usize,
                rest_concurrency: self.upstream_rest_concurrency as usize,
                queue: self.upstream_queue as usize,
                queue_wait: Duration::from_millis(self.upstream_queue_wait_ms),
                misses_per_minute: self.miss_rate_per_min,
            },
            trusted_proxies: self.trusted_proxies.clone(),
            cors_origins: self.cors_origins.clone(),
            webhook_secrets: WebhookSecrets {
                current: crate::config::optional_secret("WEBHOOK_SECRET", &self.webhook_secret, &self.webhook_secret_file)?,
                previous: crate::config::optional_secret(
                    "WEBHOOK_SECRET_PREVIOUS",
                    &self.webhook_secret_previous,
                    &self.webhook_secret_previous_file,
                )?,
            },
            redis: None,
            register_webhooks_url: self.register_webhooks.clone(),
            partners: crate::partners::options(self, demo)?,
            index: self.index_settings(),
        })
    }

    fn index_settings(&self) -> Option<crate::catalogue::index::IndexSettings> {
        self.catalogue_index.then(|| crate::catalogue::index::IndexSettings {
            full_walk_every: (self.index_full_sync_hours > 0).then(|| Duration::from_secs(self.index_full_sync_hours * 3600)),
            concurrency: self.index_walk_concurrency as usize,
            dir: self.index_dir.clone(),
            ..Default::default()
        })
    }

    fn http_settings(&self) -> HttpSettings {
        HttpSettings { timeout: self.upstream_timeout(), retries: self.woo_retries }
    }
}

/// Resolves the upstream: the configured store, or a freshly started demo
/// store (returned so it lives as long as the server).
pub async fn resolve_upstream(settings: &Settings) -> Result<(Upstream, Option<DemoStoreHandle>), String> {
    match settings.store_target()? {
        StoreTarget::Remote { url, consumer_key, consumer_secret } => Ok((
            Upstream {
                url,
                credentials: RestCredentials { consumer_key, consumer_secret },
                auth_mode: settings.woo_auth_mode,
                http: settings.http_settings(),
                demo: false,
            },
            None,
        )),
        StoreTarget::Demo => {
            // Keys are generated per run: nothing to leak, nothing hard-coded.
            let key = DemoKey::generate(KeyPermissions::ReadWrite);
            let credentials = RestCredentials {
                consumer_key: SecretString::from(key.consumer_key.clone()),
                consumer_secret: SecretString::from(key.consumer_secret.clone()),
            };
            let config = DemoStoreConfig { products: settings.demo_products, keys: vec![key], ..DemoStoreConfig::default() };
            let addr = "127.0.0.1:0".parse().expect("static address");
            let handle = demo_store::spawn(addr, config).await.map_err(|e| format!("demo store: cannot start ({e})"))?;
            Ok((
                Upstream { url: handle.url(), credentials, auth_mode: RestAuthMode::Auto, http: settings.http_settings(), demo: true },
                Some(handle),
            ))
        }
    }
}
