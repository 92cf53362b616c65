//! Store API cart, checkout and guest-order calls. Each call carries the
//! shopper's `Cart-Token` and `Nonce` (held by the caller, never shown to a
//! frontend) and returns the ones WooCommerce sends back, plus the shopper's
//! IP in `X-Forwarded-For` so the store's own fraud tools see real shoppers.

use std::fmt;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::cart_models::*;
use super::http::{join, Idempotency, RawResponse, Transport};
use super::{Api, HttpSettings, UpstreamError};

const BASE: &str = "/wp-json/wc/store/v1";

/// The Store API session credentials. `Debug` never shows them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CartCredentials {
    pub cart_token: Option<String>,
    pub nonce: Option<String>,
}

impl fmt::Debug for CartCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CartCredentials {{ cart_token: {}, nonce: {} }}",
            if self.cart_token.is_some() { "[redacted]" } else { "None" },
            if self.nonce.is_some() { "[redacted]" } else { "None" }
        )
    }
}

impl CartCredentials {
    /// The session id inside WooCommerce's Cart-Token (a JWT whose payload
    /// has `user_id`). Read without verifying: we only compare our own tokens
    /// to notice when the store silently started a new cart.
    pub fn session_id(&self) -> Option<String> {
        self.token_claim("user_id").and_then(|v| v.as_str().map(str::to_string))
    }

    /// Seconds since the epoch at which the token expires.
    pub fn expires_at(&self) -> Option<u64> {
        self.token_claim("exp").and_then(|v| v.as_u64())
    }

    fn token_claim(&self, name: &str) -> Option<serde_json::Value> {
        use base64::Engine;
        let token = self.cart_token.as_deref()?;
        let payload = token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        claims.get(name).cloned()
    }
}

/// One Store API request, before credentials are attached.
struct Call<'a> {
    route: &'static str,
    method: Method,
    path: &'a str,
    body: Option<&'a serde_json::Value>,
    query: &'a [(&'a str, &'a str)],
}

/// A Store API answer plus the credentials to use next time.
pub struct WithCredentials<T> {
    pub value: T,
    pub credentials: CartCredentials,
}

#[derive(Clone)]
pub struct CartClient {
    base: String,
    http: Transport,
}

impl CartClient {
    pub fn new(store_url: &str, settings: &HttpSettings) -> Self {
        Self { base: join(store_url, BASE), http: Transport::new(Api::StoreApi, settings) }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
        creds: &CartCredentials,
        shopper_ip: Option<&str>,
    ) -> Result<WithCredentials<T>, UpstreamError> {
        let Call { route, method, path, body, query } = call;
        let url = format!("{}{}", self.base, path);
        let idempotency = if method == Method::GET { Idempotency::Idempotent } else { Idempotency::NotIdempotent };
        let raw = self
            .http
            .send(route, idempotency, || {
                let mut request = self.http.client().request(method.clone(), &url).query(query);
                if let Some(token) = &creds.cart_token {
                    request = request.header("Cart-Token", token);
                }
                if let Some(nonce) = &creds.nonce {
                    request = request.header("Nonce", nonce);
                }
                if let Some(ip) = shopper_ip {
                    request = request.header("X-Forwarded-For", ip);
                }
                match body {
                    Some(b) => request.json(b),
                    None => request,
                }
            })
            .await?;
        let credentials = next_credentials(creds, &raw);
        let value = self.http.decode(&raw)?;
        Ok(WithCredentials { value, credentials })
    }

    /// The Store API base URL (to recognise links into the store).
    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn get_cart(&self, creds: &CartCredentials, ip: Option<&str>) -> Result<WithCredentials<StoreCart>, UpstreamError> {
        self.call(Call { route: "cart", method: Method::GET, path: "/cart", body: None, query: &[] }, creds, ip).await
    }

    pub async fn add_item(
        &self,
        creds: &CartCredentials,
        ip: Option<&str>,
        item: &AddItemRequest,
    ) -> Result<WithCredentials<StoreCart>, UpstreamError> {
        let body = serde_json::to_value(item).expect("add-item serialises");
        self.call(Call { route: "cart_add_item", method: Method::POST, path: "/cart/add-item", body: Some(&body), query: &[] }, creds, ip)
            .await
    }

    pub async fn update_item(
        &self,
        creds: &CartCredentials,
        ip: Option<&str>,
        key: &str,
        quantity: u32,
    ) -> Result<WithCredentials<StoreCart>, UpstreamError> {
        let body = serde_json::json!({ "key": key, "quantity": quantity });
        self.call(
            Call { route: "cart_update_item", method: Method::POST, path: "/cart/update-item", body: Some(&body), query: &[] },
            creds,
            ip,
        )
        .await
    }

    pub async fn remove_item(
        &self,
        creds: &CartCredentials,
        ip: Option<&str>,
        key: &str,
    ) -> Result<WithCredentials<StoreCart>, UpstreamError> {
        let body = serde_json::json!({ "key": key });
        self.call(
            Call { route: "cart_remove_item", method: Method::POST, path: "/cart/remove-item", body: Some(&body), query: &[] },
            creds,
            ip,
        )
        .await
    }

    pub async fn apply_coupon(
        &self,
        creds: &CartCredentials,
        ip: Option<&str>,
        code: &str,
    ) -> Result<WithCredentials<StoreCart>, UpstreamError> {
        let body = serde_json::json!({ "code": code });
        self.call(
            Call { route: "cart_apply_coupon", method: Method::POST, path: "/cart/apply-coupon", body: Some(&body), query: &[] },
            creds,
            ip,
        )
        .await
    }

    pub async fn remove_coupon(
        &self,
        creds: &CartCredentials,
        ip: Option<&str>,
        code: &str,
    ) -> Result<WithCredentials<StoreCart>, UpstreamError> {
        let body = serde_json::json!({ "code": code });
        self.call(
            Call { route: "cart_remove_coupon", method: Method::POST, path: "/cart/remove-coupon", body: Some(&body), query: &[] },
            creds,
            ip,
        )
        .await
    }

    pub async fn update_customer(
        &self,
        creds: &CartCredentials,
        ip: Option<&str>,
        billing: &StoreAddress,
        shipping: &StoreAddress,
    ) -> Result<WithCredentials<StoreCart>, UpstreamError> {
        let body = serde_json::json!({ "billing_address": billing, "shipping_address": shipping });
        self.call(
            Call { route: "cart_update_customer", method: Method::POST, path: "/cart/update-customer", body: Some(&body), query: &[] },
            creds,
            ip,
        )
        .await
    }

    pub async fn select_shipping_rate(
        &self,
        creds: &CartCredentials,
        ip: Option<&str>,
        package_id: u64,
        rate_id: &str,
    ) -> Result<WithCredentials<StoreCart>, UpstreamError> {
        let body = serde_json::json!({ "package_id": package_id, "rate_id": rate_id });
        self.call(
            Call {
                route: "cart_select_shipping_rate",
                method: Method::POST,
                path: "/cart/select-shipping-rate",
                body: Some(&body),
                query: &[],
            },
            creds,
            ip,
        )
        .await
    }

    /// The session's draft order (created on first call). Needs the Nonce.
    pub async fn draft_order(&self, creds: &CartCredentials, ip: Option<&str>) -> Result<WithCredentials<StoreCheckout>, UpstreamError> {
        self.call(Call { route: "checkout_draft", method: Method::GET, path: "/checkout", body: None, query: &[] }, creds, ip).await
    }

    /// Places the order. Never retried: a retry could charge twice.
    pub async fn checkout(
        &self,
        creds: &CartCredentials,
        ip: Option<&str>,
        request: &CheckoutRequest,
    ) -> Result<WithCredentials<StoreCheckout>, UpstreamError> {
        let body = serde_json::to_value(request).expect("checkout serialises");
        self.call(Call { route: "checkout", method: Method::POST, path: "/checkout", body: Some(&body), query: &[] }, creds, ip).await
    }

    /// A guest's order, by order key and billing email.
    pub async fn order(&self, id: u64, key: &str, email: &str, ip: Option<&str>) -> Result<StoreOrder, UpstreamError> {
        let path = format!("/order/{id}");
        let result: WithCredentials<StoreOrder> = self
            .call(
                Call { route: "order", method: Method::GET, path: &path, body: None, query: &[("key", key), ("billing_email", email)] },
                &CartCredentials::default(),
                ip,
            )
            .await?;
        Ok(result.value)
    }
}

/// WooCommerce re-issues the Cart-Token and Nonce on responses; keep the
/// latest of each, falling back to what we sent.
fn next_credentials(sent: &CartCredentials, raw: &RawResponse) -> CartCredentials {
    let header = |name: &str| raw.headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty()).map(str::to_string);
    CartCredentials {
        cart_token: header("cart-token").or_else(|| sent.cart_token.clone()),
        nonce: header("nonce").or_else(|| header("x-wc-store-api-nonce")).or_else(|| sent.nonce.clone()),
    }
}
