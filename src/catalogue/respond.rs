//! Turning a cache entry into an HTTP answer: ETag / 304, Cache-Control and
//! `X-Cache`. Every catalogue response goes through here.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::cache::{if_none_match_matches, CacheStatus, CachedBody};

/// A catalogue answer: the shared entry, how it was obtained, and the
/// freshness figures for `Cache-Control`.
pub struct Cached {
    pub entry: Arc<CachedBody>,
    pub status: CacheStatus,
    pub ttl: Duration,
    pub stale_window: Duration,
}

impl Cached {
    /// 304 when the client already holds this body, else 200 with the body.
    pub fn respond(self, request_headers: &HeaderMap) -> Response {
        let not_modified = request_headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| if_none_match_matches(v, &self.entry.etag));
        let max_age = match self.status {
            CacheStatus::Stale => 0,
            _ => self.ttl.saturating_sub(self.entry.age()).as_secs(),
        };
        let cache_control = format!(
            "public, max-age={max_age}, stale-while-revalidate={}, stale-if-error={}",
            self.ttl.as_secs(),
            self.stale_window.as_secs()
        );
        let mut response = if not_modified {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut r = self.entry.body.clone().into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        };
        let headers = response.headers_mut();
        if let Ok(etag) = HeaderValue::from_str(&self.entry.etag) {
            headers.insert(header::ETAG, etag);
        }
        if let Ok(cc) = HeaderValue::from_str(&cache_control) {
            headers.insert(header::CACHE_CONTROL, cc);
        }
        headers.insert("x-cache", HeaderValue::from_static(self.status.as_str()));
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        response
    }
}
