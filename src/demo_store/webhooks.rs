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

#[derive(Clone)]
struct Hook {
    id: u64,
    url: String,
    secret: String,
}

/// The webhook configuration and delivery counter.
#[derive(Default)]
pub(crate) struct Webhooks {
    hook: Mutex<Option<Hook>>,
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

    fn current(&self) -> Option<Hook> {
        self.hook.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn deliveries(&self) -> u64 {
        self.deliveries.load(Ordering::SeqCst)
    }

    /// Configures (or with `None` removes) the webhook; a new one is pinged once with `webhook_id=N`.
    pub(crate) fn set(&self, url: Option<String>, secret: String) {
        let hook = url.map(|url| Hook { id: self.next_id.fetch_add(1, Ordering::SeqCst) + 1, url, secret });
        *self.hook.lock().unwrap_or_else(|e| e.into_inner()) = hook.clone();
        let (Some(h), Ok(rt)) = (hook, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let client = self.client();
        rt.spawn(async move {
            let _ = client
                .post(&h.url)
                .header("user-agent", USER_AGENT)
                .header("accept", "*/*")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("webhook_id={}", h.id))
                .send()
                .await;
        });
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
