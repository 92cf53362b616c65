//! The store's push side: one configured webhook that gets an unsigned creation ping, then a signed `product.updated` delivery (REST v3 product JSON, WooCommerce's `X-WC-Webhook-*` headers) for every product change, sent from a background task.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::Extension;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::catalogue::ItemRef;
use super::http::ApiCtx;
use super::rest_render::RestView;
use super::server::Caller;
use super::tokens::random_hex;
use super::StoreState;

const USER_AGENT: &str = "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)";

/// One webhook as WooCommerce stores it (see `wh-01-create.http`).
#[derive(Clone)]
pub(crate) struct Hook {
    pub(crate) id: u64,
    pub(crate) name: String,
    /// `active`, `paused` or `disabled` (WooCommerce disables a hook after repeated failures).
    pub(crate) status: String,
    pub(crate) topic: String,
    pub(crate) url: String,
    pub(crate) secret: String,
    pub(crate) created: String,
}

/// The webhook configuration and delivery counter.
#[derive(Default)]
pub(crate) struct Webhooks {
    hooks: Mutex<Vec<Hook>>,
    next_id: AtomicU64,
    deliveries: Arc<AtomicU64>,
    client: OnceLock<reqwest::Client>,
}

/// `base64(HMAC-SHA256(body, secret))`.
pub(crate) fn signature(body: &[u8], secret: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `wp_json_encode` escapes slashes; in JSON text a `/` only occurs inside strings.
fn php_json(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    text.replace('/', "\\/").into_bytes()
}

impl Webhooks {
    fn client(&self) -> reqwest::Client {
        self.client.get_or_init(|| reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default()).clone()
    }

    /// The active hook that receives `product.updated`, if any.
    fn current(&self) -> Option<Hook> {
        self.all().into_iter().find(|h| h.status == "active" && h.topic == "product.updated")
    }

    pub(crate) fn all(&self) -> Vec<Hook> {
        self.hooks.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Creates a hook (REST v3 `POST /webhooks`) and pings it like WooCommerce does.
    pub(crate) fn create(&self, name: String, topic: String, url: String, secret: String, status: String) -> Hook {
        let t = time::OffsetDateTime::now_utc();
        let created =
            format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second());
        let hook = Hook { id: self.next_id.fetch_add(1, Ordering::SeqCst) + 1, name, status, topic, url, secret, created };
        self.hooks.lock().unwrap_or_else(|e| e.into_inner()).push(hook.clone());
        self.ping(&hook);
        hook
    }

    /// Applies a REST v3 `PUT /webhooks/{id}` (status and/or delivery URL).
    pub(crate) fn update(&self, id: u64, status: Option<String>, url: Option<String>) -> Option<Hook> {
        let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
        let hook = hooks.iter_mut().find(|h| h.id == id)?;
        if let Some(s) = status {
            hook.status = s;
        }
        if let Some(u) = url {
            hook.url = u;
        }
        Some(hook.clone())
    }

    /// What WooCommerce does after too many failed deliveries.
    pub(crate) fn disable_all(&self) {
        for hook in self.hooks.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
            hook.status = "disabled".into();
        }
    }

    fn ping(&self, hook: &Hook) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        let (client, url, id) = (self.client(), hook.url.clone(), hook.id);
        rt.spawn(async move {
            let _ = client
                .post(&url)
                .header("user-agent", USER_AGENT)
                .header("accept", "*/*")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("webhook_id={id}"))
                .send()
                .await;
        });
    }

    pub(crate) fn deliveries(&self) -> u64 {
        self.deliveries.load(Ordering::SeqCst)
    }

    /// Configures (or with `None` removes) the one `product.updated` webhook; a new one is pinged once with `webhook_id=N`.
    pub(crate) fn set(&self, url: Option<String>, secret: String) {
        self.hooks.lock().unwrap_or_else(|e| e.into_inner()).clear();
        if let Some(url) = url {
            self.create("demo product.updated".into(), "product.updated".into(), url, secret, "active".into());
        }
    }

    /// Sends `product.updated` for item `id` (rendered now, delivered in the background).
    pub(crate) fn product_updated(&self, state: &StoreState, id: u64) {
        let Some(hook) = self.current() else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let body = {
            let cat = state.read();
            let view = RestView { cat: &cat, home: &state.home, currency: &state.settings.currency };
            let json = match cat.item(id) {
                Some(ItemRef::Product(p)) => match cat.products.get(p as usize) {
                    Some(p) => serde_json::to_vec(&view.product(p)),
                    None => return,
                },
                Some(ItemRef::Variation(x)) => match cat.variations.get(x as usize) {
                    Some(v) => serde_json::to_vec(&view.variation_as_product(v)),
                    None => return,
                },
                None => return,
            };
            match json {
                Ok(b) => php_json(&b),
                Err(_) => return,
            }
        };
        let source = format!("{}/", state.home);
        let client = self.client();
        let counter = Arc::clone(&self.deliveries);
        rt.spawn(async move {
            let sent = client
                .post(&hook.url)
                .header("user-agent", USER_AGENT)
                .header("accept", "*/*")
                .header("content-type", "application/json")
                .header("x-wc-webhook-source", source)
                .header("x-wc-webhook-topic", "product.updated")
                .header("x-wc-webhook-resource", "product")
                .header("x-wc-webhook-event", "updated")
                .header("x-wc-webhook-signature", signature(&body, &hook.secret))
                .header("x-wc-webhook-id", hook.id.to_string())
                .header("x-wc-webhook-delivery-id", random_hex(16))
                .body(body)
                .send()
                .await;
            if sent.is_ok() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
}

/// `/wc/v3/products/{id}`: the catalogue's handler, plus `product.updated` after a successful update.
pub(crate) async fn product_item(
    State(state): State<Arc<StoreState>>,
    ctx: Extension<ApiCtx>,
    caller: Extension<Caller>,
    method: Method,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let update = !matches!(method, Method::GET | Method::HEAD);
    let resp = super::rest_api::product_item(State(Arc::clone(&state)), ctx, caller, method, Path(id.clone()), headers, body).await;
    if update && resp.status().is_success() {
        if let Ok(id) = id.parse::<u64>() {
            state.shop.webhooks.product_updated(&state, id);
        }
    }
    resp
}

/// `/wc/v3/products/{id}/variations/{variation_id}`: as above, for variations.
pub(crate) async fn variation_item(
    State(state): State<Arc<StoreState>>,
    ctx: Extension<ApiCtx>,
    caller: Extension<Caller>,
    method: Method,
    Path(ids): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let update = !matches!(method, Method::GET | Method::HEAD);
    let resp = super::rest_api::variation_item(State(Arc::clone(&state)), ctx, caller, method, Path(ids.clone()), headers, body).await;
    if update && resp.status().is_success() {
        if let Ok(id) = ids.1.parse::<u64>() {
            state.shop.webhooks.product_updated(&state, id);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_is_base64_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(super::signature(b"what do ya want for nothing?", "Jefe"), "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
    }
}
