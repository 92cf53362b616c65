//! Bad input of every kind gets a clear 4xx in the shared error shape.

use crate::common::TestApp;

#[tokio::test]
async fn validation_errors_name_the_field() {
    let app = TestApp::spawn().await;
    let cases: &[(&str, &[&str])] = &[
        ("/api/v1/products?per_page=0", &["per_page"]),
        ("/api/v1/products?per_page=101", &["per_page"]),
        ("/api/v1/products?per_page=abc", &["per_page"]),
        ("/api/v1/products?orderby=cheapest", &["orderby"]),
        ("/api/v1/products?stock_status=plenty", &["stock_status"]),
        ("/api/v1/products?utm_source=x", &["utm_source"]),
        ("/api/v1/products?on_sale=perhaps&order=up", &["on_sale", "order"]),
        ("/api/v1/products?min_price=-1", &["min_price"]),
        ("/api/v1/products?category=%3Cscript%3E", &["category"]),
        ("/api/v1/products?attributes=pa_color", &["attributes"]),
        ("/api/v1/products/abc%20def", &["id_or_slug"]),
        ("/api/v1/products/not-a-number/variations", &["id"]),
        ("/api/v1/products/12/reviews?per_page=1000", &["per_page"]),
        ("/api/v1/attributes/x/terms", &["id"]),
        ("/api/v1/categories?page=2", &["page"]),
        ("/api/v1/facets?page=2", &["page"]),
    ];
    for (path, fields) in cases {
        let r = app.get(path).await;
        assert_eq!(r.status, 422, "{path}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.error_code(), "validation_failed", "{path}");
        let mut got = r.error_fields();
        got.sort();
        let mut want: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{path}");
    }
}

#[tokio::test]
async fn unknown_things_are_404_in_the_error_shape() {
    let app = TestApp::spawn().await;
    for (path, code) in [
        ("/api/v1/products/99999999", "product_not_found"),
        ("/api/v1/products/no-such-product-slug", "product_not_found"),
        ("/api/v1/products/99999999/variations", "product_not_found"),
        ("/api/v1/products/99999999/reviews", "product_not_found"),
        ("/api/v1/attributes/9999/terms", "attribute_not_found"),
        ("/api/v1/nope", "route_not_found"),
        ("/wp-json/wc/v3/products", "route_not_found"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.error_code(), code, "{path}");
    }
}

#[tokio::test]
async fn wrong_method_and_oversized_bodies() {
    let app = TestApp::spawn().await;
    let r = app.send(app.client.delete(format!("{}/api/v1/products", app.base)), "DELETE", "/api/v1/products").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.error_code(), "method_not_allowed");
    let huge = vec![b'a'; 2 * 1024 * 1024];
    let r = app.send(app.client.post(format!("{}/api/v1/products", app.base)).body(huge), "POST", "/api/v1/products").await;
    assert!(r.status.is_client_error(), "huge body is refused with a 4xx, got {}", r.status);
}

#[tokio::test]
async fn every_response_has_a_request_id_and_ours_is_echoed() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/categories").await;
    let generated = r.header("x-request-id").expect("request id").to_string();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    let r = app.get_with("/api/v1/nope", &[("x-request-id", "trace-abc-123")]).await;
    assert_eq!(r.header("x-request-id"), Some("trace-abc-123"));
    assert_eq!(r.json()["error"]["request_id"], "trace-abc-123");
    // A hostile id is replaced, not echoed.
    let r = app.get_with("/healthz", &[("x-request-id", "<script>alert(1)</script>")]).await;
    assert_ne!(r.header("x-request-id"), Some("<script>alert(1)</script>"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn security_headers_are_on_every_answer() {
    let app = TestApp::spawn().await;
    for path in ["/api/v1/categories", "/api/v1/nope", "/docs/", "/healthz"] {
        let r = app.get(path).await;
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if path == "/docs/" {
            // HTML: its own scripts only, and no Referer to other sites.
            assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{path}: {csp}");
            assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
        } else {
            // JSON loads nothing: OWASP's API set, the strictest policy.
            assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'", "{path}");
        }
        assert!(r.header("strict-transport-security").is_none(), "no HSTS unless configured");
    }
    let tls = TestApp::with(|c| c.policy.hsts_max_age_secs = 31_536_000).await;
    assert_eq!(tls.get("/healthz").await.header("strict-transport-security"), Some("max-age=31536000"));
}
