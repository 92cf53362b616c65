//! Application wiring: state, middleware, and start-up (including demo mode,
//! where an embedded demo store is started and used as the upstream).

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::IntoResponse;
use axum::Router;
use secrecy::SecretString;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa_swagger_ui::SwaggerUi;

use crate::cache::{CacheSettings, ResponseCache};
use crate::catalogue::Catalogue;
use crate::config::{Settings, StoreTarget};
use crate::demo_store::{self, DemoKey, DemoStoreConfig, DemoStoreHandle, KeyPermissions};
use crate::error::ApiError;
use crate::ops::Ops;
use crate::upstream::{HttpSettings, RestAuthMode, RestClient, RestCredentials, StoreClient};
use crate::{request_id, routes};

/// Everything handlers can ask for; each takes only its part via `FromRef`.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub catalogue: Catalogue,
    pub ops: Ops,
    pub rest: RestClient,
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
    pub fn new(upstream: &Upstream, cache: CacheSettings) -> Self {
        let store = StoreClient::new(&upstream.url, &upstream.http);
        let rest = RestClient::new(&upstream.url, upstream.credentials.clone(), upstream.auth_mode, &upstream.http);
        Self {
            catalogue: Catalogue::new(store.clone(), ResponseCache::new(cache)),
            ops: Ops {
                store,
                mode: if upstream.demo { "demo" } else { "store" },
            },
            rest,
        }
    }
}

/// HTTP-level policy that is not per-feature.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    pub cors_origins: Vec<String>,
    pub body_limit_bytes: usize,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            body_limit_bytes: 64 * 1024,
        }
    }
}

/// The whole HTTP application: API routes, docs, fallbacks and middleware.
pub fn router(state: AppState, policy: &HttpPolicy) -> Router {
    let (api, openapi) = routes::api().split_for_parts();
    let docs: Router = SwaggerUi::new("/docs").url("/openapi.json", openapi).into();
    let api = api
        .with_state(state)
        .merge(docs)
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed });

    api.layer(DefaultBodyLimit::max(policy.body_limit_bytes))
        .layer(cors(&policy.cors_origins))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(CatchPanicLayer::custom(|_| ApiError::Internal.into_response()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let id = request.headers().get(request_id::HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                    // Path only: query strings can hold search terms and ids.
                    tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
                })
                .on_request(())
                .on_response(|response: &axum::response::Response, latency: Duration, _: &tracing::Span| {
                    tracing::info!(status = response.status().as_u16(), duration_ms = latency.as_millis() as u64, "request served");
                }),
        )
        .layer(axum::middleware::from_fn(request_id::layer))
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
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            HeaderName::from_static("x-cache"),
            HeaderName::from_static("x-request-id"),
        ])
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
            ..CacheSettings::default()
        }
    }

    pub fn http_policy(&self) -> HttpPolicy {
        HttpPolicy {
            cors_origins: self.cors_origins.clone(),
            body_limit_bytes: self.body_limit_bytes,
        }
    }

    fn http_settings(&self) -> HttpSettings {
        HttpSettings {
            timeout: self.upstream_timeout(),
            retries: self.woo_retries,
        }
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
            let config = DemoStoreConfig {
                products: settings.demo_products,
                keys: vec![key],
                ..DemoStoreConfig::default()
            };
            let addr = "127.0.0.1:0".parse().expect("static address");
            let handle = demo_store::spawn(addr, config).await.map_err(|e| format!("demo store: cannot start ({e})"))?;
            Ok((
                Upstream {
                    url: handle.url(),
                    credentials,
                    auth_mode: RestAuthMode::Auto,
                    http: settings.http_settings(),
                    demo: true,
                },
                Some(handle),
            ))
        }
    }
}
