//! Security probes, part two, at the HTTP level: header injection through ids and coupon codes,
//! path traversal in slugs and ids (never reaching the store), bodies over the limit, deeply
//! nested JSON, slowloris bodies and headers, keep-alive, redirect parameters, and the security
//! headers on every answer.

use std::time::{Duration, Instant};

use futures::StreamExt;
use secrecy::SecretString;
use serde_json::json;
use storefront_bff::webhooks::WebhookSecrets;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{read_response, TestApp, TestResponse};
use crate::contract::assert_documented;
use crate::security::operations_documenting;

/// One HTTP/1.1 exchange over raw TCP (paths exactly as written, no client-side normalising).
struct Raw {
    status: u16,
    head: String,
    body: String,
}

async fn raw(app: &TestApp, request: &str) -> Raw {
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Raw { status, head: head.to_string(), body: body.to_string() }
}

fn get_request(app: &TestApp, path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", app.base.trim_start_matches("http://"))
}

fn assert_not_injected(r: &TestResponse, what: &str) {
    for (name, value) in &r.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).to_lowercase();
        assert!(!name.as_str().contains("injected") && !value.contains("injected"), "{what}: header {name}: {value}");
    }
    assert!(r.headers.get("set-cookie").is_none(), "{what}: no cookie set");
}

#[tokio::test]
async fn crlf_in_ids_and_coupon_codes_is_refused_and_never_becomes_a_header() {
    let app = TestApp::spawn().await;
    let crlf = "%0D%0AX-Injected:%20yes%0D%0ASet-Cookie:%20injected=1";
    for (path, template) in [
        (format!("/api/v1/products/abc{crlf}"), "/api/v1/products/{id}"),
        (format!("/api/v1/products/12{crlf}/variations"), "/api/v1/products/{id}/variations"),
        (format!("/api/v1/attributes/1{crlf}/terms"), "/api/v1/attributes/{id}/terms"),
        (format!("/api/v1/orders/1{crlf}?key=wc_order_x&email=a@example.test"), "/api/v1/orders/{id}"),
        (format!("/api/v1/products?category=shirts{crlf}"), "/api/v1/products"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status, 422, "{path}: {}", String::from_utf8_lossy(&r.body));
        assert_documented("GET", template, &r);
        assert_not_injected(&r, &path);
    }
    let r = app.get(&format!("/api/v1/orders/1?key=wc_order_x{crlf}&email=a@example.test")).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (404, "order_not_found".to_string()));
    let r = app.get(&format!("/api/v1/products?search=shirt{crlf}")).await;
    assert!(r.status == 200 || r.status == 422, "{}", r.status);
    assert_not_injected(&r, "search");

    let shopper = app.app_client().await;
    let cases = [
        ("POST", "/api/v1/cart/coupons".to_string(), "/api/v1/cart/coupons", Some(json!({"code": "save10\r\nX-Injected: yes"}))),
        ("DELETE", format!("/api/v1/cart/coupons/save10{crlf}"), "/api/v1/cart/coupons/{code}", None),
        ("DELETE", format!("/api/v1/cart/items/abc{crlf}"), "/api/v1/cart/items/{key}", None),
        ("PATCH", format!("/api/v1/cart/items/abc{crlf}"), "/api/v1/cart/items/{key}", Some(json!({"quantity": 1}))),
        ("POST", "/api/v1/cart/items".to_string(), "/api/v1/cart/items", Some(json!({"sku": "X\r\nX-Injected: yes", "quantity": 1}))),
    ];
    for (method, path, template, body) in cases {
        let r = shopper.request(method.parse().unwrap(), &path, body, &[]).await;
        assert!(r.status == 422 || r.status == 404, "{method} {path}: {} {}", r.status, String::from_utf8_lossy(&r.body));
        assert_documented(method, template, &r);
        assert_not_injected(&r, &path);
    }
    // A hostile request id and idempotency key are not reflected as headers either.
    let r = shopper.checkout("key%0D%0AX-Injected:%20yes", json!({"payment_method": "cod"})).await;
    assert_not_injected(&r, "idempotency key");
}

#[tokio::test]
async fn traversal_in_slugs_and_ids_never_reaches_another_store_path() {
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    app.store.reset_calls();
    let probes = [
        "/api/v1/products/..",
        "/api/v1/products/%2e%2e",
        "/api/v1/products/..%2F..%2Fwp-json%2Fwc%2Fv3%2Fproducts",
        "/api/v1/products/%2e%2e%2f%2e%2e%2fwp-json%2fwc%2fv3%2forders",
        "/api/v1/products/%252e%252e%252fcart",
        "/api/v1/products/12%2Fvariations",
        "/api/v1/products/..%5c..%5cwp-json",
        "/api/v1/products/12/variations/..%2F..%2F13",
        "/api/v1/products/../../wp-json/wc/v3/products",
        "/api/v1/attributes/1%2F..%2F2/terms",
        "/api/v1/products?category=..%2F..%2Fwp-json",
        "/api/v1/products?tag=..",
        "/api/v1/orders/1?key=..%2F..%2Fwp-json&email=a@example.test",
        "/api/v1/partner/products/..%2F..%2Fcart",
        "/wp-json/wc/v3/products",
        "/api/v1/../../wp-json/wc/v3/products",
    ];
    for path in probes {
        let r = raw(&app, &get_request(&app, path)).await;
        assert!([404, 422].contains(&r.status), "{path}: {}\n{}", r.head, r.body);
        assert!(r.body.contains("\"error\""), "{path}: our error shape: {}", r.body);
    }
    for (method, path) in [
        ("DELETE", "/api/v1/cart/items/..%2F..%2Fcheckout"),
        ("DELETE", "/api/v1/cart/coupons/..%2Fapply-coupon"),
        ("POST", "/api/v1/cart/items"),
    ] {
        let body = (method == "POST").then(|| json!({"slug": "../../wp-json/wc/v3/products", "quantity": 1}));
        let r = shopper.request(method.parse().unwrap(), path, body, &[]).await;
        assert_eq!(r.status, 422, "{method} {path}: {}", String::from_utf8_lossy(&r.body));
    }
    assert_eq!(app.store.call_counts(), Vec::<(String, u64)>::new(), "no probe reached the store");
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_even_without_a_content_length() {
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    let chunks = futures::stream::iter((0..40).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 4096]))));
    let request = app
        .client
        .post(format!("{}/api/v1/cart/items", app.base))
        .bearer_auth(shopper.bearer().unwrap())
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks));
    let r = app.send(request, "POST", "/api/v1/cart/items").await;
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(assert_documented("POST", "/api/v1/cart/items", &r).as_deref(), Some("payload_too_large"));
    let form = format!("grant_type=client_credentials&client_id={}", "x".repeat(70_000));
    let request = app
        .client
        .post(format!("{}/api/v1/partner/token", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    let r = app.send(request, "POST", "/api/v1/partner/token").await;
    assert!(r.status == 413 || r.status == 404, "413, or 404 partners_disabled first: {}", r.status);
    assert_documented("POST", "/api/v1/partner/token", &r);
}

#[tokio::test]
async fn ten_thousand_levels_of_nesting_are_a_4xx_not_a_crash() {
    const SECRET: &str = "nesting-probe-webhook-secret-0123456789";
    crate::common::note_secret(SECRET);
    let app =
        TestApp::with(|c| c.options.webhook_secrets = WebhookSecrets { current: Some(SecretString::from(SECRET)), previous: None }).await;
    let shopper = app.app_client().await;
    let arrays = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    for nested in [&arrays, &objects] {
        for (method, path) in [("POST", "/api/v1/cart/items"), ("PUT", "/api/v1/cart/addresses"), ("POST", "/api/v1/checkout")] {
            let request = app
                .client
                .request(method.parse().unwrap(), format!("{}{path}", app.base))
                .bearer_auth(shopper.bearer().unwrap())
                .header("content-type", "application/json")
                .header("idempotency-key", "deep")
                .body(nested.clone());
            let r = app.send(request, method, path).await;
            // Too deep for the parser (400), or the wrong type before it got deep (422).
            assert!(r.status == 400 || r.status == 422, "{method} {path}: {}", String::from_utf8_lossy(&r.body));
            let code = assert_documented(method, path, &r).unwrap();
            assert!(code == "bad_request" || code == "validation_failed", "{method} {path}: {code}");
        }
        // A signed webhook is parsed after its signature checks out.
        use base64::Engine;
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(nested.as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let request = app
            .client
            .post(format!("{}/webhooks/woocommerce", app.base))
            .header("x-wc-webhook-signature", signature)
            .header("x-wc-webhook-topic", "product.updated")
            .body(nested.clone());
        let r = app.send(request, "POST", "/webhooks/woocommerce").await;
        assert!(r.status.is_client_error(), "webhook: {}", r.status);
        assert_documented("POST", "/webhooks/woocommerce", &r);
    }
    assert_eq!(app.get("/healthz").await.status, 200, "still up");
}

#[tokio::test]
async fn a_slowloris_body_gets_408_and_its_connection_closed() {
    let app = TestApp::with(|c| c.policy.body_read_timeout = Duration::from_millis(600)).await;
    let token = app.app_client().await.bearer().unwrap().to_string();
    let host = app.base.trim_start_matches("http://").to_string();
    for (path, auth) in [("/api/v1/cart/items", format!("Authorization: Bearer {token}\r\n")), ("/webhooks/woocommerce", String::new())] {
        let started = Instant::now();
        let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{{\"product_id\":"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        // One byte every 150 ms: a per-chunk idle timeout would never fire.
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            assert!(started.elapsed() < Duration::from_secs(10), "{path}: no answer while trickling");
            let _ = stream.write_all(b" ").await;
            match tokio::time::timeout(Duration::from_millis(150), stream.read(&mut buf)).await {
                Ok(Ok(0)) => break,
                Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
                Ok(Err(_)) => break,
                Err(_) => {}
            }
        }
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 408"), "{path}: {text}");
        assert!(text.to_lowercase().contains("connection: close"), "{path}: {text}");
        assert!(text.contains("\"code\":\"request_timeout\""), "{path}: {text}");
        assert!(started.elapsed() < Duration::from_secs(3), "{path}: cut at the deadline, took {:?}", started.elapsed());
    }
    // Prompt bodies are unaffected, and the server serves others meanwhile.
    let r = app.get("/api/v1/categories").await;
    assert_eq!(r.status, 200);
    let documented = operations_documenting("408", "/");
    assert!(documented.iter().any(|(m, t, _)| m == "POST" && t == "/api/v1/cart/items"), "408 is documented: {documented:?}");
}

#[tokio::test]
async fn a_slowloris_on_headers_is_closed_at_the_header_deadline() {
    let app = TestApp::with(|c| c.serve.header_read_timeout = Duration::from_secs(1)).await;
    let host = app.base.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    stream.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n").as_bytes()).await.unwrap();
    // One more header byte every 300 ms and never the blank line: a deadline that restarted with
    // each byte would never fire.
    let trickle = async {
        let mut buf = [0u8; 1024];
        loop {
            assert!(started.elapsed() < Duration::from_secs(5), "still open after {:?}", started.elapsed());
            if stream.write_all(b"X").await.is_err() {
                return started.elapsed();
            }
            match tokio::time::timeout(Duration::from_millis(300), stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
                Ok(Ok(n)) => panic!("no answer is due to unfinished headers: {}", String::from_utf8_lossy(&buf[..n])),
                Err(_) => {}
            }
        }
    };
    // Meanwhile other clients are served as usual.
    let others = async {
        for _ in 0..4 {
            assert_eq!(app.get("/healthz").await.status, 200);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let (closed_after, ()) = tokio::join!(trickle, others);
    assert!(closed_after >= Duration::from_millis(900), "closed by the deadline, not before it: {closed_after:?}");
    assert!(closed_after < Duration::from_secs(3), "closed at the deadline: {closed_after:?}");
    assert_eq!(app.get("/healthz").await.status, 200, "still serving");
}

/// hyper's header deadline also runs while a keep-alive connection waits for its next request:
/// it starts when the previous answer has been written. So an idle connection is closed after
/// HEADER_READ_TIMEOUT_SECS (a keep-alive timeout, like nginx's 75 s or Node's 5 s), and a client
/// that pauses longer between requests opens a new connection without noticing.
#[tokio::test]
async fn keep_alive_is_reused_within_the_header_deadline_and_closed_when_idle_past_it() {
    let app = TestApp::with(|c| c.serve.header_read_timeout = Duration::from_secs(1)).await;
    let host = app.base.trim_start_matches("http://").to_string();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n");
    let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    for pause in [Duration::ZERO, Duration::from_millis(600), Duration::from_millis(600)] {
        // 600 ms each: together longer than the deadline, so it restarts for every request.
        tokio::time::sleep(pause).await;
        stream.write_all(request.as_bytes()).await.unwrap();
        let answer = read_response(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(!answer.to_ascii_lowercase().contains("connection: close"), "kept alive: {answer}");
    }
    let idle_since = Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(4), stream.read(&mut buf)).await.expect("the idle connection is closed");
    assert!(matches!(read, Ok(0) | Err(_)), "closed without an answer: {read:?}");
    let idle = idle_since.elapsed();
    assert!(idle >= Duration::from_millis(800) && idle < Duration::from_secs(2), "closed after the deadline of idleness: {idle:?}");

    // A pooling client (reqwest, like a browser) pausing longer than the deadline just reconnects.
    for _ in 0..3 {
        let r = app.client.get(format!("{}/api/v1/categories", app.base)).send().await.expect("no stale pooled connection is used");
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap(); // read to the end, so the connection goes back to the pool
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
}

#[tokio::test]
async fn redirect_parameters_never_produce_an_open_redirect() {
    let app = TestApp::with(|c| c.policy.reference_page = true).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let evil = "https%3A%2F%2Fevil.example%2Fphish";
    let params = format!("redirect={evil}&return_to={evil}&next={evil}&url={evil}&redirect_uri={evil}&continue=//evil.example");
    let mut paths: Vec<String> = operations_documenting("200", "/").into_iter().filter(|(m, _, _)| m == "GET").map(|(_, _, p)| p).collect();
    paths.extend(["/", "/docs", "/docs/", "/openapi.json", "/api/v1/nope"].map(String::from));
    let mut redirects = 0;
    for path in paths {
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = client.get(format!("{}{path}{sep}{params}", app.base)).send().await.unwrap();
        if r.status().is_redirection() {
            redirects += 1;
            let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            assert!(location.starts_with('/') && !location.starts_with("//"), "{path}: redirects off-site to {location}");
            assert!(!location.contains("evil"), "{path}: {location}");
        }
    }
    assert!(redirects <= 1, "only /docs → /docs/ redirects");
}

/// OWASP's API set on every answer; HTML pages also restrict their own
/// loads and the Referer.
fn assert_security_headers(r: &reqwest::Response, what: &str, hsts: bool) {
    let h = |name: &str| r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    let csp = h("content-security-policy");
    let html = h("content-type").starts_with("text/html") || what.starts_with("/docs") || what == "/app.js";
    let directives: &[&str] = if html {
        &["frame-ancestors 'none'", "base-uri 'none'", "script-src 'self'"]
    } else {
        &["default-src 'none'", "frame-ancestors 'none'"]
    };
    for directive in directives {
        assert!(csp.contains(directive), "{what}: CSP lacks {directive}: {csp}");
    }
    if html {
        assert_eq!(h("referrer-policy"), "no-referrer", "{what}");
    }
    assert!(!csp.contains("unsafe-eval") && !csp.contains('*') && !csp.contains("http:"), "{what}: CSP stays same-origin: {csp}");
    assert_eq!(r.headers().contains_key("strict-transport-security"), hsts, "{what}: HSTS only when configured");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    for hsts in [false, true] {
        let app = TestApp::with(|c| {
            c.policy.reference_page = true;
            c.policy.hsts_max_age_secs = if hsts { 31_536_000 } else { 0 };
            c.policy.body_read_timeout = Duration::from_millis(300);
        })
        .await;
        let mut requests: Vec<(String, reqwest::RequestBuilder)> = Vec::new();
        for (_, _, path) in operations_documenting("200", "/").into_iter().filter(|(m, _, _)| m == "GET") {
            requests.push((path.clone(), app.client.get(format!("{}{path}", app.base))));
        }
        for path in ["/", "/app.js", "/docs/", "/openapi.json", "/api/v1/nope", "/api/v1/products?per_page=0"] {
            requests.push((path.to_string(), app.client.get(format!("{}{path}", app.base))));
        }
        requests.push(("405".into(), app.client.delete(format!("{}/api/v1/products", app.base))));
        requests.push(("413".into(), app.client.post(format!("{}/webhooks/woocommerce", app.base)).body(vec![b'x'; 70_000])));
        requests.push(("201".into(), app.client.post(format!("{}/api/v1/session", app.base))));
        requests.push(("401".into(), app.client.get(format!("{}/api/v1/cart", app.base)).bearer_auth("forged")));
        for (what, request) in requests {
            let r = request.send().await.unwrap();
            assert_security_headers(&r, &what, hsts);
        }
        // A 304 and a 408 too.
        let etag = app.get("/api/v1/tags").await.header("etag").unwrap().to_string();
        let r = app.client.get(format!("{}/api/v1/tags", app.base)).header("if-none-match", etag).send().await.unwrap();
        assert_eq!(r.status(), 304);
        assert_security_headers(&r, "304", hsts);
        let token = app.app_client().await.bearer().unwrap().to_string();
        let stalled =
            futures::stream::once(async { Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{")) }).chain(futures::stream::pending());
        let request = app
            .client
            .post(format!("{}/api/v1/cart/items", app.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(reqwest::Body::wrap_stream(stalled.boxed()));
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 408);
        assert_security_headers(&r, "408", hsts);
    }
}
