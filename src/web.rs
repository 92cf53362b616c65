//! The reference storefront page, built into the binary and served at `/` in
//! demo mode. Its source is `frontend-contract/web/` (vanilla TypeScript on
//! the typed client); the bundle in `frontend-contract/web/dist/` is committed,
//! so building the server needs no npm. Rebuild it with
//! `npm run build:web` in `frontend-contract/` (a drift check fails while the
//! committed bundle is stale).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

const INDEX_HTML: &str = include_str!("../frontend-contract/web/dist/index.html");
const APP_JS: &str = include_str!("../frontend-contract/web/dist/app.js");
const STYLE_CSS: &str = include_str!("../frontend-contract/web/dist/style.css");

/// The page loads only its own files and talks only to this server's API.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Always revalidate: a new binary serves a new bundle at the same URL.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        ],
        body,
    )
        .into_response()
}

/// The paths [`router`] serves (also the metric labels of its routes).
pub const PATHS: [&str; 3] = ["/", "/app.js", "/style.css"];

/// `/`, `/app.js` and `/style.css` of the reference storefront.
pub fn router() -> Router {
    let [index, script, style] = PATHS;
    Router::new()
        .route(index, get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route(script, get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route(style, get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn get(path: &str) -> Response {
        router().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn serves_the_bundle_with_types_and_no_cache() {
        for (path, content_type, needle) in [
            ("/", "text/html; charset=utf-8", "/app.js"),
            ("/app.js", "text/javascript; charset=utf-8", "/api/v1/products"),
            ("/style.css", "text/css; charset=utf-8", ".grid"),
        ] {
            let response = get(path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], content_type, "{path}");
            assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache", "{path}");
            assert!(response.headers().contains_key(header::CONTENT_SECURITY_POLICY), "{path}");
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert!(String::from_utf8_lossy(&body).contains(needle), "{path} should contain {needle}");
        }
    }

    #[test]
    fn the_page_references_only_its_own_files() {
        for text in [INDEX_HTML, STYLE_CSS] {
            assert!(!text.contains("http://") && !text.contains("https://"), "no external resources");
        }
        assert!(!APP_JS.contains("https://"), "no external resources in the bundle");
    }
}
