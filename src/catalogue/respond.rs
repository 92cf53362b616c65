//! Turning a cache entry into an HTTP answer: ETag / 304, Cache-Control and
//! `X-Cache`. Every catalogue response goes through here, cache hits
//! included, so it starts from a header map prepared with the entry.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use super::front::AnsweredFrom;
use crate::cache::{if_none_match_matches, CacheKey, CacheStatus, CachedBody};

const X_CACHE: HeaderName = HeaderName::from_static("x-cache");
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");
/// Room for our headers plus the edge's (request id, security headers), so
/// the map is allocated once instead of growing twice.
const RESPONSE_HEADERS: usize = 16;

/// The request's `If-None-Match`, the one request header a catalogue answer
/// depends on (cheaper than extracting a copy of the whole `HeaderMap`).
pub struct IfNoneMatch(pub Option<HeaderValue>);

impl<S: Send + Sync> FromRequestParts<S> for IfNoneMatch {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(IfNoneMatch(parts.headers.get(header::IF_NONE_MATCH).cloned()))
    }
}

/// A catalogue answer: the shared entry (which knows its TTL), how it was obtained, and the
/// stale window for `Cache-Control`.
pub struct Cached {
    pub entry: Arc<CachedBody>,
    pub status: CacheStatus,
    pub stale_window: Duration,
    /// When the answer was looked up (its entry's age is taken at this time).
    pub now: Instant,
    /// The entry's key, handed to the front on the response (none when the front answers).
    pub answered_from: Option<Arc<CacheKey>>,
}

impl Cached {
    /// 304 when the client already holds this body, else 200 with the body.
    pub fn respond(self, if_none_match: IfNoneMatch) -> Response {
        let not_modified =
            if_none_match.0.as_ref().and_then(|v| v.to_str().ok()).is_some_and(|v| if_none_match_matches(v, self.entry.etag_str()));
        let max_age = match self.status {
            CacheStatus::Stale => 0,
            _ => self.entry.ttl.saturating_sub(self.entry.age_at(self.now)).as_secs(),
        };
        // The prepared map already has a slot for every header set here and by the edge, so these
        // inserts replace values in place and the clone never grows.
        let mut headers = self.entry.headers(constant_headers).clone();
        headers.insert(header::CACHE_CONTROL, self.entry.cache_control(max_age, self.entry.ttl.as_secs(), self.stale_window.as_secs()));
        if self.status != CacheStatus::Hit {
            headers.insert(X_CACHE, HeaderValue::from_static(self.status.as_str()));
        }
        let mut response = if not_modified {
            headers.remove(header::CONTENT_TYPE);
            // The length is the 200's; axum writes the empty body's.
            headers.remove(header::CONTENT_LENGTH);
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            // A reference-counted clone of the cached bytes, not a copy.
            Response::new(Body::from(self.entry.body.clone()))
        };
        *response.headers_mut() = headers;
        if let Some(key) = self.answered_from {
            response.extensions_mut().insert(AnsweredFrom(key));
        }
        response
    }
}

/// The headers every answer from this entry has, made once per entry: the
/// content type and length, its ETag, `X-Cache: HIT` (the usual case) and the
/// edge's security headers, so neither axum nor the edge has to add them.
/// `Cache-Control` and the edge's `X-Request-Id` get placeholder slots that
/// every answer fills (`Cached::respond`, `edge::finish`): a clone of this map
/// then takes them without growing. Sized for HSTS on top.
fn constant_headers(entry: &CachedBody) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(RESPONSE_HEADERS);
    headers.insert(header::CONTENT_TYPE, APPLICATION_JSON);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(entry.body.len()));
    headers.insert(header::ETAG, entry.etag.clone());
    headers.insert(X_CACHE, HeaderValue::from_static(CacheStatus::Hit.as_str()));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(crate::request_id::HEADER_NAME, HeaderValue::from_static(""));
    for (name, value) in crate::edge::API_SECURITY_HEADERS {
        headers.insert(name, value);
    }
    headers
}
