//! Client for WooCommerce's secret-key REST API v3 (`/wp-json/wc/v3`).
//!
//! Two ways to authenticate, as WooCommerce allows: HTTP Basic, which PHP only
//! honours over HTTPS, and one-legged OAuth 1.0a query signing for plain HTTP.
//! The key and secret live in `secrecy` wrappers and are exposed only at the
//! moment a request is signed.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use super::http::{join, Idempotency, RawResponse, Transport};
use super::oauth1::{self, OAuthParams, SignatureMethod};
use super::rest_models::*;
use super::{Api, HttpSettings, Paged, UpstreamError};

const BASE: &str = "/wp-json/wc/v3";

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestAuthMode {
    /// https → Basic, http → OAuth 1.0a.
    Auto,
    Basic,
    Oauth1,
}

impl std::str::FromStr for RestAuthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "basic" => Ok(Self::Basic),
            "oauth1" => Ok(Self::Oauth1),
            other => Err(format!("expected auto, basic or oauth1, got {other:?}")),
        }
    }
}

/// The store's consumer key and secret. `Debug` never shows either.
#[derive(Clone)]
pub struct RestCredentials {
    pub consumer_key: SecretString,
    pub consumer_secret: SecretString,
}

impl fmt::Debug for RestCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RestCredentials { consumer_key: [redacted], consumer_secret: [redacted] }")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EffectiveAuth {
    Basic,
    OAuth1(SignatureMethod),
}

#[derive(Clone)]
pub struct RestClient {
    /// Store home URL + `/wp-json/wc/v3`; also the OAuth base.
    base: String,
    credentials: RestCredentials,
    auth: EffectiveAuth,
    http: Transport,
}

impl fmt::Debug for RestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestClient").field("auth", &self.auth).field("credentials", &self.credentials).finish_non_exhaustive()
    }
}

/// A products filter for v3 (`sku` takes a comma-separated list).
#[derive(Debug, Clone, Default)]
pub struct RestProductQuery {
    pub skus: Vec<String>,
    /// ISO 8601, compared against the GMT modification date.
    pub modified_after: Option<String>,
    pub include: Vec<u64>,
    pub search: Option<String>,
}

impl RestClient {
    pub fn new(store_url: &str, credentials: RestCredentials, mode: RestAuthMode, settings: &HttpSettings) -> Self {
        let is_https = store_url.starts_with("https://");
        let auth = match (mode, is_https) {
            (RestAuthMode::Basic, _) | (RestAuthMode::Auto, true) => EffectiveAuth::Basic,
            (RestAuthMode::Oauth1, _) | (RestAuthMode::Auto, false) => EffectiveAuth::OAuth1(SignatureMethod::HmacSha256),
        };
        Self { base: join(store_url, BASE), credentials, auth, http: Transport::new(Api::RestApi, settings) }
    }

    /// "basic" or "oauth1", for the start-up log line.
    pub fn auth_name(&self) -> &'static str {
        match self.auth {
            EffectiveAuth::Basic => "basic",
            EffectiveAuth::OAuth1(_) => "oauth1",
        }
    }

    /// Builds one authenticated request. Called once per attempt so every
    /// OAuth attempt carries a fresh nonce and timestamp.
    fn request(&self, method: &Method, url: &str, query: &[(String, String)]) -> reqwest::RequestBuilder {
        let client = self.http.client();
        match self.auth {
            EffectiveAuth::Basic => client
                .request(method.clone(), url)
                .query(query)
                .basic_auth(self.credentials.consumer_key.expose_secret(), Some(self.credentials.consumer_secret.expose_secret())),
            EffectiveAuth::OAuth1(signature) => {
                let nonce = oauth1::fresh_nonce();
                let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                let params = OAuthParams {
                    consumer_key: self.credentials.consumer_key.expose_secret(),
                    nonce: &nonce,
                    timestamp,
                    method: signature,
                    token: None,
                };
                let signed = oauth1::signed_query(method.as_str(), url, query, &params, self.credentials.consumer_secret.expose_secret());
                client.request(method.clone(), url).query(&signed)
            }
        }
    }

    async fn call(
        &self,
        route: &'static str,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<RawResponse, UpstreamError> {
        let url = format!("{}{}", self.base, path);
        let idempotency = if method == Method::GET { Idempotency::Idempotent } else { Idempotency::NotIdempotent };
        self.http
            .send(route, idempotency, || {
                let request = self.request(&method, &url, query);
                match body {
                    Some(b) => request.json(b),
                    None => request,
                }
            })
            .await
    }

    pub async fn get<T: DeserializeOwned>(&self, route: &'static str, path: &str, query: &[(String, String)]) -> Result<T, UpstreamError> {
        let raw = self.call(route, Method::GET, path, query, None).await?;
        self.http.decode(&raw)
    }

    pub async fn get_page<T: DeserializeOwned>(
        &self,
        route: &'static str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Paged<T>, UpstreamError> {
        let raw = self.call(route, Method::GET, path, query, None).await?;
        self.http.decode_page(&raw)
    }

    /// Writes are never retried: a retried POST could create a second order.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        route: &'static str,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, UpstreamError> {
        let raw = self.call(route, method, path, &[], Some(body)).await?;
        self.http.decode(&raw)
    }

    pub async fn products_page(&self, filter: &RestProductQuery, page: u32, per_page: u32) -> Result<Paged<RestProduct>, UpstreamError> {
        let mut query =
            vec![("page".to_string(), page.to_string()), ("per_page".to_string(), per_page.min(super::MAX_PER_PAGE).to_string())];
        if !filter.skus.is_empty() {
            query.push(("sku".into(), filter.skus.join(",")));
        }
        if let Some(after) = &filter.modified_after {
            query.push(("modified_after".into(), after.clone()));
            query.push(("dates_are_gmt".into(), "true".into()));
        }
        if !filter.include.is_empty() {
            let ids: Vec<String> = filter.include.iter().map(u64::to_string).collect();
            query.push(("include".into(), ids.join(",")));
        }
        if let Some(s) = &filter.search {
            query.push(("search".into(), s.clone()));
        }
        self.get_page("products", "/products", &query).await
    }

    /// Every product matching the filter, walking all pages.
    pub async fn all_products(&self, filter: &RestProductQuery) -> Result<Vec<RestProduct>, UpstreamError> {
        super::walk_all(|page, per_page| self.products_page(filter, page, per_page)).await
    }

    pub async fn product(&self, id: u64) -> Result<RestProduct, UpstreamError> {
        self.get("product", &format!("/products/{id}"), &[]).await
    }

    pub async fn variations(&self, product_id: u64) -> Result<Vec<RestVariation>, UpstreamError> {
        let path = format!("/products/{product_id}/variations");
        super::walk_all(|page, per_page| {
            let query = vec![("page".to_string(), page.to_string()), ("per_page".to_string(), per_page.to_string())];
            let path = path.clone();
            async move { self.get_page("variations", &path, &query).await }
        })
        .await
    }

    pub async fn categories(&self) -> Result<Vec<RestCategory>, UpstreamError> {
        super::walk_all(|page, per_page| {
            let query = vec![("page".to_string(), page.to_string()), ("per_page".to_string(), per_page.to_string())];
            async move { self.get_page("categories", "/products/categories", &query).await }
        })
        .await
    }
}
