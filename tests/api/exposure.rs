//! Safe on the open internet: what an anonymous, hostile client can make the
//! server keep or do. Reading a cart creates nothing, new sessions are rate
//! limited per client, and the session store is bounded.

use std::sync::Arc;

use serde_json::json;
use storefront_bff::session::{BoundedMemoryStore, SharedStore};

use crate::common::TestApp;

const CART_ROUTE: &str = "GET /wp-json/wc/store/v1/cart";

async fn first_simple_product(app: &TestApp) -> u64 {
    let list = app.get("/api/v1/products?per_page=50").await.json();
    list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple" && p["purchasable"] == true).unwrap()["id"].as_u64().unwrap()
}

#[tokio::test]
async fn reading_the_cart_without_a_session_creates_nothing_until_the_first_write() {
    let sessions = BoundedMemoryStore::new(std::time::Duration::from_secs(3600), 1 << 20);
    let store = sessions.clone();
    let app = TestApp::with(move |c| c.options.session_store = SharedStore(Arc::new(store))).await;
    let id = first_simple_product(&app).await;
    let before = app.store.calls(CART_ROUTE);
    for _ in 0..30 {
        let r = app.get("/api/v1/cart").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 0);
        assert!(r.json()["totals"]["total"]["currency"].is_string(), "the empty cart names the store's currency");
        assert!(r.header("set-cookie").is_none(), "no cookie for a read");
    }
    // A cookie naming no session (forged, or expired) is no different.
    let r = app.get_with("/api/v1/cart", &[("cookie", "sfbff_session=bm90LWEtc2Vzc2lvbg")]).await;
    assert_eq!(r.status, 200);
    let cleared = r.header("set-cookie").is_none_or(|c| c.contains("Max-Age=0"));
    assert!(cleared, "an unknown session cookie is at most cleared, never replaced: {:?}", r.header("set-cookie"));
    assert_eq!(sessions.sessions().await, 0, "no session was stored");
    assert!(app.store.calls(CART_ROUTE) - before <= 1, "at most one store call for the shared empty cart, not one per read");

    // The first write makes the session (and its cookie); the cart then reads back.
    let browser = app.browser();
    let r = browser.post("/api/v1/cart/items", json!({"product_id": id, "quantity": 1})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let cookie = r.header("set-cookie").expect("the first write sets the session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(sessions.sessions().await, 1);
    let cart = browser.get("/api/v1/cart").await.json();
    assert_eq!(cart["items"].as_array().unwrap().len(), 1, "the written cart is read back");
}

#[tokio::test]
async fn a_flood_of_new_sessions_from_one_client_gets_429() {
    let app = TestApp::with(|c| {
        c.options.rates.sessions_per_minute = 5;
        c.options.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let post = |xff: &'static str| {
        let request = app.client.post(format!("{}/api/v1/session", app.base)).header("x-forwarded-for", xff);
        app.send(request, "POST", "/api/v1/session")
    };
    for _ in 0..5 {
        assert_eq!(post("203.0.113.7").await.status, 201);
    }
    let refused = post("203.0.113.7").await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.error_code(), "rate_limited");
    let wait: u64 = refused.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(post("198.51.100.8").await.status, 201, "another client (as the trusted proxy names it) is unaffected");
}

#[tokio::test]
async fn a_missing_product_is_asked_of_the_store_once_per_ttl_and_a_product_event_forgets_it() {
    use secrecy::SecretString;
    use storefront_bff::webhooks::signature::sign;
    const SECRET: &str = "whsec-test-negative-0123456789";
    crate::common::note_secret(SECRET);
    let app = TestApp::with(|c| {
        c.cache.ttl_not_found = std::time::Duration::from_millis(400);
        c.options.webhook_secrets.current = Some(SecretString::from(SECRET));
    })
    .await;
    let id = first_simple_product(&app).await;
    let before = app.store.total_calls();
    for _ in 0..50 {
        let r = app.get("/api/v1/products/no-such-product-here").await;
        assert_eq!(r.status, 404);
        assert_eq!(r.error_code(), "product_not_found");
    }
    let first = app.store.total_calls() - before;
    assert!(first >= 1, "the store was asked");
    app.get("/api/v1/products/no-such-product-here").await;
    assert_eq!(app.store.total_calls() - before, first, "50 asks, one store lookup");

    // A product event may announce the missing product: the 404 is forgotten.
    let body = format!(r#"{{"id":{id},"slug":"renamed","variations":[]}}"#);
    let delivery = app
        .client
        .post(format!("{}/webhooks/woocommerce", app.base))
        .header("content-type", "application/json")
        .header("x-wc-webhook-topic", "product.created")
        .header("x-wc-webhook-id", "7")
        .header("x-wc-webhook-delivery-id", "negative-1")
        .header("x-wc-webhook-source", "http://store.test/")
        .header("x-wc-webhook-signature", sign(body.as_bytes(), SECRET))
        .body(body);
    assert_eq!(app.send(delivery, "POST", "/webhooks/woocommerce").await.status, 202);
    // Processing is asynchronous: wait (bounded) for the store to be asked again.
    let mut asked_again = false;
    for _ in 0..50 {
        app.get("/api/v1/products/no-such-product-here").await;
        if app.store.total_calls() - before > first {
            asked_again = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(asked_again, "the product event dropped the remembered 404");

    // And without any event, the 404 is remembered for its TTL only.
    let settled = app.store.total_calls();
    app.get("/api/v1/products/no-such-product-here").await;
    assert_eq!(app.store.total_calls(), settled, "remembered again");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.get("/api/v1/products/no-such-product-here").await;
    assert!(app.store.total_calls() > settled, "asked again after the TTL");
}

/// `n` concurrent catalogue reads of distinct URLs (all misses) from one client.
async fn unique_searches(app: &TestApp, tag: &str, n: usize) -> Vec<crate::common::TestResponse> {
    let reads = (0..n).map(|i| {
        let path = format!("/api/v1/products?search={tag}{i}");
        async move { app.get(&path).await }
    });
    futures::future::join_all(reads).await
}

#[tokio::test]
async fn the_store_never_sees_more_concurrent_catalogue_calls_than_the_cap() {
    let app = TestApp::with(|c| {
        c.options.gate.catalogue_concurrency = 3;
        c.options.gate.queue = 100;
        c.options.gate.queue_wait = std::time::Duration::from_secs(10);
    })
    .await;
    app.store.faults().set_latency(std::time::Duration::from_millis(100));
    let answers = unique_searches(&app, "capped", 24).await;
    assert!(answers.iter().all(|r| r.status == 200), "the queue drains: every read is answered");
    let peak = app.store.peak_concurrent_calls();
    assert!((2..=3).contains(&peak), "24 concurrent misses, at most 3 store calls at once (peak {peak})");
}

#[tokio::test]
async fn past_the_cap_and_a_full_queue_a_miss_is_503_upstream_busy_and_a_stale_copy_is_served() {
    let app = TestApp::with(|c| {
        c.options.gate.catalogue_concurrency = 1;
        c.options.gate.queue = 1;
        c.options.gate.queue_wait = std::time::Duration::from_secs(10);
        c.cache.ttl_list = std::time::Duration::from_millis(200);
        c.cache.refresh_ahead_percent = 0;
    })
    .await;
    // A stale copy of one page, for later.
    assert_eq!(app.get("/api/v1/products?search=kept").await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.store.faults().set_latency(std::time::Duration::from_millis(400));
    let busy_reads = unique_searches(&app, "busy", 6);
    let stale_read = async {
        // Once the cap and the queue are taken by the searches above.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        app.get("/api/v1/products?search=kept").await
    };
    let (answers, stale) = tokio::join!(busy_reads, stale_read);
    let refused: Vec<_> = answers.iter().filter(|r| r.status == 503).collect();
    assert_eq!(answers.iter().filter(|r| r.status == 200).count(), 2, "one in flight, one queued");
    assert_eq!(refused.len(), 4, "the rest are refused at once");
    for r in refused {
        assert_eq!(r.error_code(), "upstream_busy");
        assert!(r.header("retry-after").is_some());
    }
    assert_eq!(stale.status, 200);
    assert_eq!(stale.header("x-cache"), Some("STALE"), "a page with a stale copy is served from it");
}

#[tokio::test]
async fn the_miss_budget_gives_429_while_hits_keep_answering() {
    let app = TestApp::with(|c| {
        c.options.gate.misses_per_minute = 5;
        c.options.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let app = &app;
    let read = |path: String, client: &'static str| {
        let request = app.client.get(format!("{}{path}", app.base)).header("x-forwarded-for", client);
        async move { app.send(request, "GET", "/api/v1/products").await }
    };
    for i in 0..5 {
        assert_eq!(read(format!("/api/v1/products?search=budget{i}"), "203.0.113.5").await.status, 200);
    }
    let refused = read("/api/v1/products?search=budget-over".into(), "203.0.113.5").await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.error_code(), "rate_limited");
    assert!(refused.header("retry-after").is_some());
    for _ in 0..20 {
        let hit = read("/api/v1/products?search=budget0".into(), "203.0.113.5").await;
        assert_eq!(hit.status, 200, "hits are never limited");
        assert_eq!(hit.header("x-cache"), Some("HIT"));
    }
    let other = read("/api/v1/products?search=budget-over".into(), "198.51.100.9").await;
    assert_eq!(other.status, 200, "another client has its own budget");
}

/// A raw connection to the app from a chosen loopback address (Linux routes all of 127/8 locally).
async fn connect_from(app: &TestApp, source: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(app.base.trim_start_matches("http://").parse().unwrap()).await.unwrap()
}

/// Whether the server closes `stream` (read gives end of file or an error) within 5 s.
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 64];
    matches!(tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf)).await, Ok(Ok(0) | Err(_)))
}

async fn healthz(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncWriteExt;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: bff.test\r\n\r\n").await.unwrap();
    crate::common::read_response(stream).await
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let app = TestApp::with(|c| {
        c.serve.max_connections_per_ip = 5;
        c.serve.first_request_timeout = std::time::Duration::from_secs(30);
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..5 {
        silent.push(connect_from(&app, "127.0.0.9").await);
    }
    // Accepted in order: the sixth finds five open.
    let mut held = connect_from(&app, "127.0.0.9").await;
    assert!(closed_by_server(&mut held).await, "the sixth connection from one address is closed at once");
    let mut other = connect_from(&app, "127.0.0.10").await;
    assert!(healthz(&mut other).await.starts_with("HTTP/1.1 200"), "another address is served");
    drop(silent);
    // The closed connections free their places (the server notices the close asynchronously).
    let mut served = false;
    for _ in 0..50 {
        let mut again = connect_from(&app, "127.0.0.9").await;
        use tokio::io::AsyncWriteExt;
        if again.write_all(b"GET /healthz HTTP/1.1\r\nHost: bff.test\r\n\r\n").await.is_ok() {
            let mut buf = [0u8; 16];
            use tokio::io::AsyncReadExt;
            if let Ok(Ok(n)) = tokio::time::timeout(std::time::Duration::from_secs(2), again.read(&mut buf)).await {
                if buf[..n].starts_with(b"HTTP/1.1 200") {
                    served = true;
                    break;
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(served, "the address is served again once its connections are closed");
}

#[tokio::test]
async fn a_silent_new_connection_is_closed_at_the_first_request_deadline_not_the_idle_timeout() {
    let app = TestApp::with(|c| {
        c.serve.first_request_timeout = std::time::Duration::from_millis(300);
        c.serve.header_read_timeout = std::time::Duration::from_secs(30);
    })
    .await;
    let mut silent = connect_from(&app, "127.0.0.11").await;
    assert!(closed_by_server(&mut silent).await, "closed long before the 30 s idle timeout");
    // A connection that asks promptly is kept alive past the first-request deadline.
    let mut prompt = connect_from(&app, "127.0.0.12").await;
    assert!(healthz(&mut prompt).await.starts_with("HTTP/1.1 200"));
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(healthz(&mut prompt).await.starts_with("HTTP/1.1 200"), "the keep-alive idle timeout applies after the first request");
}

/// `GET path` on `stream` (with `X-Forwarded-For` when given); the whole answer, head and body.
async fn ask(stream: &mut tokio::net::TcpStream, path: &str, forwarded_for: Option<&str>) -> String {
    use tokio::io::AsyncWriteExt;
    let xff = forwarded_for.map(|ip| format!("X-Forwarded-For: {ip}\r\n")).unwrap_or_default();
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: bff.test\r\n{xff}\r\n").as_bytes()).await.unwrap();
    crate::common::read_response(stream).await
}

fn closes(answer: &str) -> bool {
    answer.to_ascii_lowercase().contains("\r\nconnection: close\r\n")
}

fn penalty(refusals: u32, secs: f64) -> storefront_bff::penalty::PenaltySettings {
    storefront_bff::penalty::PenaltySettings {
        refusals,
        penalty: std::time::Duration::from_secs_f64(secs),
        ..storefront_bff::penalty::PenaltySettings::default()
    }
}

#[tokio::test]
async fn a_client_refused_again_and_again_is_shed_while_another_clients_hits_keep_answering() {
    let app = TestApp::with(|c| {
        c.options.gate.misses_per_minute = 2;
        c.serve.penalty = penalty(3, 1.5);
    })
    .await;
    let page = "/api/v1/products?per_page=5";
    let mut reader = connect_from(&app, "127.0.0.22").await;
    assert!(ask(&mut reader, page, None).await.starts_with("HTTP/1.1 200"));

    // The flood: two misses within its budget, then refusals; the third refusal boxes it.
    let mut flood = connect_from(&app, "127.0.0.21").await;
    let mut answers = Vec::new();
    for i in 0..5 {
        answers.push(ask(&mut flood, &format!("/api/v1/products?search=flood{i}"), None).await);
    }
    assert!(answers[..2].iter().all(|a| a.starts_with("HTTP/1.1 200")), "{answers:?}");
    assert!(answers[2..].iter().all(|a| a.starts_with("HTTP/1.1 429")), "{answers:?}");
    assert!(!closes(&answers[3]), "a refusal or two keep the connection");
    assert!(closes(&answers[4]), "the refusal that boxes the client closes its connection: {}", answers[4]);
    assert!(closed_by_server(&mut flood).await);
    // Its new connections are parked unread until the penalty is over, then reset (refused at
    // once, a flood would reconnect at once).
    let mut again = connect_from(&app, "127.0.0.21").await;
    let parked = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        again.write_all(format!("GET {page} HTTP/1.1\r\nHost: bff.test\r\n\r\n").as_bytes()).await.unwrap();
        let mut buf = [0u8; 64];
        tokio::time::timeout(std::time::Duration::from_millis(400), again.read(&mut buf)).await.is_err()
    };
    assert!(parked, "a boxed address's new connection is neither answered nor closed during the penalty");
    assert!(closed_by_server(&mut again).await, "and is closed when the penalty is over");

    // Meanwhile another client's hits keep answering, on its open connection and on a new one.
    for _ in 0..10 {
        let hit = ask(&mut reader, page, None).await;
        assert!(hit.starts_with("HTTP/1.1 200") && hit.to_ascii_lowercase().contains("x-cache: hit"), "{hit}");
    }
    let mut other = connect_from(&app, "127.0.0.23").await;
    assert!(ask(&mut other, page, None).await.starts_with("HTTP/1.1 200"));

    // After the penalty the address is served again (its misses stay refused by the budget).
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    let mut later = connect_from(&app, "127.0.0.21").await;
    assert!(ask(&mut later, page, None).await.starts_with("HTTP/1.1 200"), "released after the penalty");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_shed_never_the_proxy() {
    let proxy: std::net::IpAddr = "127.0.0.31".parse().unwrap();
    let app = TestApp::with(|c| {
        c.options.gate.misses_per_minute = 1;
        c.options.trusted_proxies = vec![proxy];
        c.serve.uncapped = vec![proxy];
        c.serve.penalty = penalty(2, 30.0);
    })
    .await;
    let mut conn = connect_from(&app, "127.0.0.31").await;
    let flooder = Some("203.0.113.5");
    assert!(ask(&mut conn, "/api/v1/products?search=proxied0", flooder).await.starts_with("HTTP/1.1 200"));
    let first = ask(&mut conn, "/api/v1/products?search=proxied1", flooder).await;
    assert!(first.starts_with("HTTP/1.1 429") && !closes(&first), "{first}");
    let boxed = ask(&mut conn, "/api/v1/products?search=proxied2", flooder).await;
    assert!(boxed.starts_with("HTTP/1.1 429") && closes(&boxed), "{boxed}");
    assert!(closed_by_server(&mut conn).await, "the connection that carried the boxed client's request is closed");

    // The proxy's new connections are accepted: other clients behind it are served, and the boxed
    // client's requests get the 429 without reaching the application (even /healthz).
    let mut conn = connect_from(&app, "127.0.0.31").await;
    assert!(ask(&mut conn, "/healthz", Some("198.51.100.9")).await.starts_with("HTTP/1.1 200"), "another client behind the proxy");
    let shed = ask(&mut conn, "/healthz", flooder).await;
    assert!(shed.starts_with("HTTP/1.1 429") && closes(&shed), "{shed}");
    assert!(shed.to_ascii_lowercase().contains("retry-after: "), "{shed}");
    assert!(shed.contains("\"rate_limited\""), "the usual error body: {shed}");
}
