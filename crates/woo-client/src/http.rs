//! The HTTP plumbing shared by both clients: timeouts, a small retry budget
//! for idempotent reads, paging headers and WooCommerce error bodies.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::{header::HeaderMap, RequestBuilder, StatusCode};
use serde::{de::DeserializeOwned, Deserialize};

use super::{Api, Paged, UpstreamError};

/// Timeouts and retry budget for every upstream call.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Whole-request timeout, connect included.
    pub timeout: Duration,
    /// Extra attempts for idempotent GETs on transport errors and 502/503/504.
    pub retries: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self { timeout: Duration::from_secs(5), retries: 2 }
    }
}

/// A raw answer, before decoding.
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// reqwest client plus the policy around it. Cloning is cheap.
#[derive(Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
    api: Api,
    retries: u32,
}

/// Whether a request may be repeated safely.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    Idempotent,
    /// Orders, cart writes: never retried, a retry could double them.
    NotIdempotent,
}

impl Transport {
    pub(crate) fn new(api: Api, settings: &HttpSettings) -> Self {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(3)))
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("storefront-bff/", env!("CARGO_PKG_VERSION")))
            // A store that redirects (http→https, trailing slashes) would make
            // reqwest drop the auth; fail loudly instead of half-working.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("static reqwest client configuration is valid");
        Self { client, api, retries: settings.retries }
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request built by `build` (called again for every attempt, so
    /// signatures and nonces are fresh), retrying only idempotent requests.
    pub(crate) async fn send(
        &self,
        route: &'static str,
        idempotency: Idempotency,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<RawResponse, UpstreamError> {
        let attempts = match idempotency {
            Idempotency::Idempotent => 1 + self.retries,
            Idempotency::NotIdempotent => 1,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let result = self.send_once(build()).await;
            let elapsed = started.elapsed();
            let duration_ms = elapsed.as_millis() as u64;
            let outcome = match &result {
                Ok(raw) => raw.status.as_str().to_string(),
                Err(UpstreamError::Timeout { .. }) => "timeout".to_string(),
                Err(_) => "transport".to_string(),
            };
            metrics::histogram!("bff_upstream_duration_seconds", "api" => self.api.to_string(), "route" => route)
                .record(elapsed.as_secs_f64());
            metrics::counter!("bff_upstream_requests_total", "api" => self.api.to_string(), "route" => route, "outcome" => outcome)
                .increment(1);
            match result {
                Ok(raw) if attempt < attempts && matches!(raw.status.as_u16(), 502..=504) => {
                    tracing::debug!(upstream = %self.api, route, status = raw.status.as_u16(), duration_ms, attempt, "upstream gateway error, retrying");
                }
                Ok(raw) => {
                    tracing::debug!(upstream = %self.api, route, status = raw.status.as_u16(), duration_ms, "upstream call");
                    return Ok(raw);
                }
                Err(err) if attempt < attempts && err.is_retryable() => {
                    tracing::debug!(upstream = %self.api, route, error = %err, duration_ms, attempt, "upstream transport error, retrying");
                }
                Err(err) => return Err(err),
            }
            // Short, jittered backoff: the budget is small on purpose so a
            // shopper never waits long for a store that is down.
            let backoff = 40u64 * (1 << attempt.min(4)) + rand::random::<u64>() % 40;
            tokio::time::sleep(Duration::from_millis(backoff)).await;
        }
    }

    async fn send_once(&self, request: RequestBuilder) -> Result<RawResponse, UpstreamError> {
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| self.transport_error(e))?;
        Ok(RawResponse { status, headers, body })
    }

    /// reqwest errors embed the URL (with OAuth query signatures in it):
    /// strip it before the error can reach a log or a message.
    fn transport_error(&self, err: reqwest::Error) -> UpstreamError {
        if err.is_timeout() {
            return UpstreamError::Timeout { api: self.api };
        }
        let kind = if err.is_connect() {
            "connect"
        } else if err.is_body() || err.is_decode() {
            "body"
        } else if err.is_request() {
            "request"
        } else {
            "other"
        };
        let detail = std::error::Error::source(&err.without_url()).map(|s| format!("{kind}: {s}")).unwrap_or_else(|| kind.to_string());
        UpstreamError::Transport { api: self.api, detail }
    }

    /// Decodes a success body, or turns an error answer into a typed error.
    pub(crate) fn decode<T: DeserializeOwned>(&self, raw: &RawResponse) -> Result<T, UpstreamError> {
        if raw.status.is_success() {
            serde_json::from_slice(&raw.body).map_err(|err| {
                tracing::debug!(upstream = %self.api, error = %err, "upstream body did not decode");
                UpstreamError::BadResponse { api: self.api, status: raw.status.as_u16() }
            })
        } else {
            Err(self.error_from(raw))
        }
    }

    /// Decodes a list and its paging headers.
    pub(crate) fn decode_page<T: DeserializeOwned>(&self, raw: &RawResponse) -> Result<Paged<T>, UpstreamError> {
        let items: Vec<T> = self.decode(raw)?;
        let header = |name: &str| -> Option<u64> { raw.headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let total = header("x-wp-total").unwrap_or(items.len() as u64);
        let total_pages = header("x-wp-totalpages").map(|p| p as u32).unwrap_or(1);
        Ok(Paged { items, total, total_pages })
    }

    pub(crate) fn error_from(&self, raw: &RawResponse) -> UpstreamError {
        #[derive(Deserialize)]
        struct WooErrorBody {
            code: String,
            #[serde(default)]
            message: String,
        }
        match serde_json::from_slice::<WooErrorBody>(&raw.body) {
            Ok(body) => UpstreamError::Woo {
                api: self.api,
                status: raw.status.as_u16(),
                code: body.code,
                message: html_escape::decode_html_entities(&body.message).into_owned(),
            },
            Err(_) => UpstreamError::BadResponse { api: self.api, status: raw.status.as_u16() },
        }
    }
}

/// Joins the store's base URL and an API path without doubling slashes.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}
