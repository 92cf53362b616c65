//! CSRF protection for cookie sessions: a state-changing request that carries
//! cookies must come from an allowed origin or our own. Bearer-token requests
//! are exempt (a browser never attaches them on its own).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Origins allowed to send cookie-authenticated writes (the CORS list).
#[derive(Clone, Default, Debug)]
pub struct AllowedOrigins(pub Arc<Vec<String>>);

fn origin_of_referer(referer: &str) -> Option<String> {
    let url = url::Url::parse(referer).ok()?;
    Some(url.origin().ascii_serialization())
}

/// Whether a cookie-carrying write may proceed.
pub fn allowed(method: &Method, headers: &HeaderMap, origins: &[String]) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if headers.contains_key(header::AUTHORIZATION) {
        return true;
    }
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| headers.get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(origin_of_referer));
    // Without a cookie the first write starts the session (a cart read makes
    // none), so a browser's cross-site write would plant a session in the
    // shopper's browser: refuse a foreign Origin then too. A client sending no
    // cookie and no Origin is not a browser being driven by another site.
    let Some(origin) = origin else { return !headers.contains_key(header::COOKIE) };
    if origins.iter().any(|o| o.trim_end_matches('/') == origin) {
        return true;
    }
    // Same origin: the Origin's host:port is the Host we were reached at.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = url::Url::parse(&origin).ok().and_then(|u| {
        let host = u.host_str()?.to_string();
        Some(match u.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    });
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(&o))
}

pub async fn layer(State(origins): State<AllowedOrigins>, request: Request, next: Next) -> Response {
    if allowed(request.method(), request.headers(), &origins.0) {
        next.run(request).await
    } else {
        ApiError::CsrfRejected.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cookie_writes_need_an_allowed_or_own_origin() {
        let allow = vec!["https://shop.example".to_string()];
        let post = Method::POST;
        assert!(allowed(&post, &headers(&[("cookie", "s=1"), ("origin", "https://shop.example")]), &allow));
        assert!(allowed(&post, &headers(&[("cookie", "s=1"), ("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]), &allow));
        assert!(allowed(&post, &headers(&[("cookie", "s=1"), ("referer", "https://shop.example/cart")]), &allow));
        assert!(!allowed(&post, &headers(&[("cookie", "s=1"), ("origin", "https://evil.example"), ("host", "127.0.0.1:8080")]), &allow));
        assert!(!allowed(&post, &headers(&[("cookie", "s=1")]), &allow), "no origin at all");
        assert!(allowed(&post, &headers(&[("cookie", "s=1"), ("authorization", "Bearer x")]), &allow), "bearer is exempt");
        assert!(allowed(&Method::GET, &headers(&[("cookie", "s=1"), ("origin", "https://evil.example")]), &allow), "reads are exempt");
        // A first write (no cookie yet) starts a session: a foreign site may not do it either.
        assert!(!allowed(&post, &headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:8080")]), &allow));
        assert!(allowed(&post, &headers(&[("origin", "https://shop.example")]), &allow));
        assert!(allowed(&post, &headers(&[]), &allow), "no cookie and no Origin: not a browser driven by another site");
    }
}
