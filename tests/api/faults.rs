//! Store faults end to end, through the demo store's switches: latency beyond the timeout, 5xx
//! bursts, hung and reset connections, malformed JSON, a 200 with an HTML error page, revoked REST
//! keys, a lost checkout answer, and a whole outage. Each answers its documented status and code
//! (503 with Retry-After when the store is down, 502 when it answers unusably), never a 500, and
//! leaves caches, carts and idempotency records intact: after recovery the cart is still there
//! and a checkout replayed with the same Idempotency-Key returns the same order, never a second.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use storefront_bff::upstream::HttpSettings;

use crate::common::{ShopperClient, TestApp, TestResponse};
use crate::contract::assert_documented;
use crate::partners::{self, PartnerSpec, Registry};

const TTL: Duration = Duration::from_millis(200);
const TIMEOUT: Duration = Duration::from_millis(400);

fn tune(c: &mut crate::common::TestConfig) {
    c.http = HttpSettings { timeout: TIMEOUT, retries: 1 };
    c.cache.ttl_list = TTL;
    c.cache.ttl_product = TTL;
    c.cache.ttl_taxonomy = TTL;
    c.cache.stale_window = Duration::from_secs(600);
    c.cache.failure_backoff = Duration::from_millis(50);
    // The probes repeat cart writes; the rate limit is not what is under test here.
    c.options.rates.cart_per_minute = 100_000;
    c.options.rates.checkout_burst = 1_000;
}

async fn spawn() -> TestApp {
    TestApp::with(tune).await
}

/// Like `spawn`, with a failure backoff long enough to observe the breaker's window.
async fn spawn_with_backoff(backoff: Duration) -> TestApp {
    TestApp::with(|c| {
        tune(c);
        c.cache.failure_backoff = backoff;
    })
    .await
}

/// Catalogue pages (path, OpenAPI template) a frontend shows; warmed by `warm`.
fn pages(product_id: u64) -> Vec<(String, &'static str)> {
    vec![
        ("/api/v1/products?per_page=6".into(), "/api/v1/products"),
        ("/api/v1/products?per_page=6&category=clothing&orderby=price&order=asc".into(), "/api/v1/products"),
        (format!("/api/v1/products/{product_id}"), "/api/v1/products/{id}"),
        ("/api/v1/categories".into(), "/api/v1/categories"),
        ("/api/v1/tags".into(), "/api/v1/tags"),
        ("/api/v1/facets?category=clothing".into(), "/api/v1/facets"),
    ]
}

fn body(r: &TestResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// A simple, purchasable, in-stock product.
async fn simple_product(app: &TestApp) -> u64 {
    let list = app.get("/api/v1/products?per_page=100&stock_status=in_stock").await.json();
    list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple" && p["purchasable"] == true).expect("a simple product")["id"]
        .as_u64()
        .unwrap()
}

/// Fetches every page once (MISS) and returns (path, template, body) to compare stale copies with.
async fn warm(app: &TestApp, product_id: u64) -> Vec<(String, &'static str, bytes::Bytes)> {
    let mut warmed = Vec::new();
    for (path, template) in pages(product_id) {
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", body(&r));
        warmed.push((path, template, r.body));
    }
    warmed
}

/// Every warmed page answers 200 STALE with the last good body.
async fn assert_all_stale(app: &TestApp, warmed: &[(String, &'static str, bytes::Bytes)], fault: &str) {
    for (path, template, good) in warmed {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{fault}: {path}: {}", body(&r));
        assert_documented("GET", template, &r);
        assert_eq!(r.header("x-cache"), Some("STALE"), "{fault}: {path}");
        assert_eq!(&r.body, good, "{fault}: {path} is the last good copy");
    }
}

/// Asserts `r` is the documented outage answer: 503 `upstream_unavailable` with Retry-After.
fn assert_unavailable(method: &str, template: &str, r: &TestResponse, fault: &str) {
    assert_eq!(r.status, 503, "{fault}: {method} {template}: {}", body(r));
    assert_eq!(assert_documented(method, template, r).as_deref(), Some("upstream_unavailable"), "{fault}: {method} {template}");
    let retry: u64 = r.header("retry-after").and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(retry > 0, "{fault}: {method} {template} says when to retry");
}

/// A shopper (app bearer) with one line in the cart and a billing address; returns the cart.
async fn shopper_with_cart(app: &TestApp, product_id: u64) -> (ShopperClient<'_>, Value) {
    let shopper = app.app_client().await;
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": product_id, "quantity": 2})).await;
    assert_eq!(r.status, 201, "{}", body(&r));
    let address = json!({"first_name": "Ada", "last_name": "Fault", "address_1": "1 Main St", "city": "Los Angeles",
        "state": "CA", "postcode": "90001", "country": "US", "email": "ada.fault@example.test", "phone": "+1 213 555 0100"});
    let r = shopper.put("/api/v1/cart/addresses", json!({"billing": address})).await;
    assert_eq!(r.status, 200, "{}", body(&r));
    (shopper, r.json())
}

fn lines(cart: &Value) -> Vec<(String, u64)> {
    cart["items"].as_array().unwrap().iter().map(|l| (l["key"].as_str().unwrap().to_string(), l["quantity"].as_u64().unwrap())).collect()
}

/// While the store misbehaves: cached pages STALE, an uncached page and the cart 503.
async fn assert_degraded(app: &TestApp, shopper: &ShopperClient<'_>, warmed: &[(String, &'static str, bytes::Bytes)], fault: &str) {
    assert_all_stale(app, warmed, fault).await;
    let started = Instant::now();
    let r = app.get("/api/v1/products?per_page=7&orderby=title").await;
    assert_unavailable("GET", "/api/v1/products", &r, fault);
    assert!(started.elapsed() < Duration::from_secs(3), "{fault}: answered within the timeout budget, took {:?}", started.elapsed());
    assert_unavailable("GET", "/api/v1/cart", &shopper.get("/api/v1/cart").await, fault);
    let r = shopper.post("/api/v1/cart/coupons", json!({"code": "save10"})).await;
    assert_unavailable("POST", "/api/v1/cart/coupons", &r, fault);
}

/// Whether the store carried out the coupon write whose answer failed.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Write {
    /// Refused before the store handled it: nothing happened.
    NotApplied,
    /// Handled, but the answer was lost (late or truncated): it took effect. A 503 tells the
    /// shopper to retry, and repeating it is harmless for coupons.
    Applied,
}

/// After recovery: the cart is what it was (plus the coupon if the store applied it), pages are
/// fresh again.
async fn assert_recovered(
    app: &TestApp,
    shopper: &ShopperClient<'_>,
    cart: &Value,
    warmed: &[(String, &'static str, bytes::Bytes)],
    write: Write,
) {
    tokio::time::sleep(Duration::from_millis(60)).await; // past the failure backoff
    let deadline = Instant::now() + TIMEOUT * 10;
    let now = loop {
        let r = shopper.get("/api/v1/cart").await;
        assert_eq!(r.status, 200, "{}", body(&r));
        let now = r.json();
        let applied = now["coupons"].as_array().is_some_and(|c| !c.is_empty());
        if write == Write::NotApplied || applied || Instant::now() > deadline {
            assert_eq!(applied, write == Write::Applied, "coupon write {write:?}: {now}");
            break now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await; // a late request still sleeping in the store
    };
    assert_eq!(lines(&now), lines(cart), "the cart survived");
    if write == Write::Applied {
        assert_eq!(shopper.delete("/api/v1/cart/coupons/save10").await.status, 200);
    }
    for (path, _, _) in warmed {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_ne!(r.header("x-cache"), Some("STALE"), "{path} is fresh again");
    }
}

#[tokio::test]
async fn each_fault_degrades_to_stale_pages_and_503_then_recovers() {
    let app = spawn().await;
    let product = simple_product(&app).await;
    let warmed = warm(&app, product).await;
    let (shopper, cart) = shopper_with_cart(&app, product).await;
    let faults = app.store.faults();
    for (fault, write) in [
        // The demo store drops a request when its caller hangs up (PHP would finish it: Applied).
        ("latency beyond the timeout", Write::NotApplied),
        ("5xx", Write::NotApplied),
        ("hung connection", Write::NotApplied),
        ("connection reset", Write::NotApplied),
        ("malformed JSON", Write::Applied),
        ("200 with an HTML page", Write::NotApplied),
    ] {
        tokio::time::sleep(TTL + Duration::from_millis(50)).await; // every cached page is past its TTL
        match fault {
            "latency beyond the timeout" => faults.set_latency(TIMEOUT * 5),
            "5xx" => faults.set_fail_status(Some(500)),
            "hung connection" => faults.set_hang(true),
            "connection reset" => faults.set_drop(true),
            "malformed JSON" => faults.set_malformed_json(true),
            _ => faults.set_html_error(true),
        }
        assert_degraded(&app, &shopper, &warmed, fault).await;
        faults.clear();
        assert_recovered(&app, &shopper, &cart, &warmed, write).await;
    }
    assert_eq!(app.get("/healthz").await.status, 200, "the server is still up");
}

#[tokio::test]
async fn a_short_5xx_burst_is_retried_for_reads_and_a_long_one_bridged() {
    let app = spawn().await;
    let product = simple_product(&app).await;
    let warmed = warm(&app, product).await;
    tokio::time::sleep(TTL + Duration::from_millis(50)).await;
    // One 503: the read is retried and the shopper never notices.
    app.store.faults().fail_times(503, 1);
    let r = app.get(&warmed[0].0).await;
    assert_eq!((r.status.as_u16(), r.header("x-cache")), (200, Some("MISS")), "{}", body(&r));
    // A burst longer than the retry budget: stale, then fresh once it passes.
    tokio::time::sleep(TTL + Duration::from_millis(50)).await;
    app.store.faults().fail_times(502, 6);
    assert_all_stale(&app, &warmed[..2], "502 burst").await;
    while app.get("/api/v1/products?per_page=9").await.status == 503 {
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(app.get(&warmed[0].0).await.header("x-cache"), Some("MISS"), "fresh after the burst");
}

/// A placed order: (shopper, checkout answer).
async fn placed_order<'a>(app: &'a TestApp, product_id: u64, key: &str) -> (ShopperClient<'a>, Value) {
    let (shopper, _) = shopper_with_cart(app, product_id).await;
    let r = shopper.checkout(key, json!({"payment_method": "cod"})).await;
    assert_eq!(r.status, 201, "{}", body(&r));
    (shopper, r.json())
}

#[tokio::test]
async fn checkout_replays_survive_faults_and_a_failed_checkout_orders_nothing() {
    let app = spawn().await;
    let product = simple_product(&app).await;
    let (shopper, order) = placed_order(&app, product, "fault-order-1").await;
    let (other, _) = shopper_with_cart(&app, product).await;
    let placed = app.store.orders_placed();
    // During a 5xx burst the replay is answered from the idempotency record, not the store.
    app.store.faults().set_fail_status(Some(500));
    let r = shopper.checkout("fault-order-1", json!({"payment_method": "cod"})).await;
    assert_eq!(r.status, 201, "{}", body(&r));
    assert_eq!(r.json()["order_id"], order["order_id"], "the same order");
    // A new checkout while connections drop fails cleanly and orders nothing.
    app.store.faults().clear();
    app.store.faults().set_drop(true);
    let r = other.checkout("fault-order-2", json!({"payment_method": "cod"})).await;
    assert_unavailable("POST", "/api/v1/checkout", &r, "dropped checkout");
    app.store.faults().clear();
    assert_eq!(app.store.orders_placed(), placed, "nothing was ordered during the faults");
    // Recovered: the replay is still the first order, and the failed key can be retried.
    let r = shopper.checkout("fault-order-1", json!({"payment_method": "cod"})).await;
    assert_eq!((r.status.as_u16(), r.json()["order_id"].clone()), (201, order["order_id"].clone()));
    let r = other.checkout("fault-order-2", json!({"payment_method": "cod"})).await;
    assert_eq!(r.status, 201, "{}", body(&r));
    assert_ne!(r.json()["order_id"], order["order_id"]);
    assert_eq!(app.store.orders_placed(), placed + 1);
}

#[tokio::test]
async fn a_lost_checkout_answer_is_never_ordered_twice() {
    // Found by these probes: with the answer lost and REST unreachable the key was freed, and the
    // retry rebuilt the cart from its snapshot and ordered it a second time.
    let app = spawn().await;
    let product = simple_product(&app).await;
    let (shopper, cart) = shopper_with_cart(&app, product).await;
    let placed = app.store.orders_placed();
    app.store.set_lose_checkout_response(true);
    app.store.set_keys_revoked(true);
    let r = shopper.checkout("lost-1", json!({"payment_method": "cod"})).await;
    assert_unavailable("POST", "/api/v1/checkout", &r, "lost checkout answer");
    assert_eq!(app.store.orders_placed(), placed + 1, "the store did place it");
    app.store.set_lose_checkout_response(false);
    // While the store cannot say, no retry orders again, with the same key or a new one.
    for key in ["lost-1", "lost-2"] {
        let r = shopper.checkout(key, json!({"payment_method": "cod"})).await;
        assert_eq!(r.status, 502, "{key}: {}", body(&r));
        assert_eq!(assert_documented("POST", "/api/v1/checkout", &r).as_deref(), Some("upstream_auth_failed"));
        assert_eq!(app.store.orders_placed(), placed + 1, "{key}: nothing ordered");
    }
    // Once it can, the retry gets the order the store placed, and the cart is done.
    app.store.set_keys_revoked(false);
    let r = shopper.checkout("lost-1", json!({"payment_method": "cod"})).await;
    assert_eq!(r.status, 201, "{}", body(&r));
    let order = r.json();
    let id = order["order_id"].as_u64().unwrap();
    assert_eq!(app.store.order_status(id).as_deref(), Some("processing"), "the order the store placed");
    assert_eq!(order["totals"], cart["totals"], "with the totals the shopper saw");
    assert_eq!(app.store.orders_placed(), placed + 1);
    assert_eq!(shopper.checkout("lost-1", json!({"payment_method": "cod"})).await.json()["order_id"], id, "replayed");
    let r = shopper.checkout("lost-2", json!({"payment_method": "cod"})).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (409, "cart_empty".to_string()), "nothing left to order twice");
    assert_eq!(shopper.get("/api/v1/cart").await.json()["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.store.orders_placed(), placed + 1);
}

#[tokio::test]
async fn revoked_rest_keys_answer_502_upstream_auth_failed_and_recover() {
    let partner = PartnerSpec::new("keys", 611);
    let registry = Registry::write(std::slice::from_ref(&partner));
    let app = partners::spawn(&registry).await;
    let token = partners::token(&app, &partner, None).await;
    assert_eq!(partners::get(&app, "/api/v1/partner/orders", &token).await.status, 200);
    app.store.set_keys_revoked(true);
    let r = partners::get(&app, "/api/v1/partner/orders", &token).await;
    assert_eq!(r.status, 502, "{}", body(&r));
    assert_eq!(assert_documented("GET", "/api/v1/partner/orders", &r).as_deref(), Some("upstream_auth_failed"));
    assert!(r.header("retry-after").is_none(), "retrying will not help until the operator fixes the keys");
    let body = json!({"skus": ["NO-SUCH-SKU-1"]});
    let r = partners::call(&app, reqwest::Method::POST, "/api/v1/partner/stock", &token, Some(body.clone()), &[]).await;
    assert_eq!(assert_documented("POST", "/api/v1/partner/stock", &r).as_deref(), Some("upstream_auth_failed"));
    // The public catalogue needs no keys and keeps working.
    assert_eq!(app.get("/api/v1/products?per_page=3").await.status, 200);
    app.store.set_keys_revoked(false);
    assert_eq!(partners::get(&app, "/api/v1/partner/orders", &token).await.status, 200);
    let r = partners::call(&app, reqwest::Method::POST, "/api/v1/partner/stock", &token, Some(body), &[]).await;
    assert_eq!(r.status, 200);
}

/// How long the outage test keeps the store down: FAULTS_OUTAGE_SECS (default 2; the load
/// script's 60 s outage is the long version).
fn outage_window() -> Duration {
    let secs: f64 = std::env::var("FAULTS_OUTAGE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    Duration::from_secs_f64(secs)
}

#[tokio::test]
async fn through_an_outage_every_cached_page_is_stale_and_cart_calls_are_503() {
    let app = spawn().await;
    let product = simple_product(&app).await;
    let warmed = warm(&app, product).await;
    let (shopper, cart) = shopper_with_cart(&app, product).await;
    let (buyer, order) = placed_order(&app, product, "outage-order").await;
    tokio::time::sleep(TTL + Duration::from_millis(50)).await;
    app.store.faults().set_drop(true);
    let window = outage_window();
    let started = Instant::now();
    let mut rounds = 0;
    while started.elapsed() < window || rounds < 2 {
        assert_degraded(&app, &shopper, &warmed, "outage").await;
        let r = shopper.post("/api/v1/cart/items", json!({"product_id": product, "quantity": 1})).await;
        assert_unavailable("POST", "/api/v1/cart/items", &r, "outage");
        let r = buyer.checkout("outage-order", json!({"payment_method": "cod"})).await;
        assert_eq!(r.json()["order_id"], order["order_id"], "replays need no store");
        rounds += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.store.faults().clear();
    assert_recovered(&app, &shopper, &cart, &warmed, Write::NotApplied).await;
}

#[tokio::test]
async fn in_an_outage_only_the_first_expired_page_waits_for_the_store_then_one_probe_per_window() {
    let backoff = Duration::from_secs(2);
    let app = spawn_with_backoff(backoff).await;
    let product = simple_product(&app).await;
    let warmed = warm(&app, product).await;
    tokio::time::sleep(TTL + Duration::from_millis(50)).await;
    app.store.faults().set_hang(true);
    let started = Instant::now();
    let first = app.get(&warmed[0].0).await;
    assert_eq!(first.header("x-cache"), Some("STALE"));
    assert!(started.elapsed() >= TIMEOUT, "the first one finds out the hard way: {:?}", started.elapsed());
    let calls = app.store.total_calls();
    for (path, _, good) in &warmed[1..] {
        let started = Instant::now();
        let r = app.get(path).await;
        assert_eq!(r.header("x-cache"), Some("STALE"), "{path}");
        assert_eq!(&r.body, good, "{path}");
        assert!(started.elapsed() < TIMEOUT / 2, "{path}: stale at once, not after a timeout: {:?}", started.elapsed());
    }
    assert_eq!(app.store.total_calls(), calls, "the store is left alone within the window");
    // Back up: after the window one request probes, and its success lets every page refresh.
    app.store.faults().clear();
    tokio::time::sleep(backoff + Duration::from_millis(100)).await;
    assert_eq!(app.get(&warmed[1].0).await.header("x-cache"), Some("MISS"), "the probe fetched");
    assert_eq!(app.get(&warmed[2].0).await.header("x-cache"), Some("MISS"), "and the store counts as up again");
}

#[tokio::test]
async fn once_the_store_is_down_a_page_with_no_stale_copy_is_refused_at_once_until_a_probe_succeeds() {
    let backoff = Duration::from_secs(2);
    let app = spawn_with_backoff(backoff).await;
    app.store.faults().set_hang(true);
    // Three different pages, none cached: each waits out the timeout (one slow page, or two, is
    // not yet an outage) and answers 503.
    for per_page in [3, 4, 5] {
        let started = Instant::now();
        let r = app.get(&format!("/api/v1/products?per_page={per_page}")).await;
        assert_unavailable("GET", "/api/v1/products", &r, "hang");
        assert!(started.elapsed() >= TIMEOUT, "per_page={per_page} asked the store: {:?}", started.elapsed());
    }
    // Now the store counts as down: further uncached pages are refused without asking it.
    let calls = app.store.total_calls();
    for path in ["/api/v1/products?per_page=8", "/api/v1/categories", "/api/v1/products/1"] {
        let started = Instant::now();
        let r = app.get(path).await;
        assert_eq!(r.status, 503, "{path}: {}", body(&r));
        assert_eq!(r.json()["error"]["code"], "upstream_unavailable", "{path}");
        assert!(r.header("retry-after").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) > 0, "{path} says when to retry");
        assert!(started.elapsed() < TIMEOUT / 2, "{path}: refused at once, not after a timeout: {:?}", started.elapsed());
    }
    assert_eq!(app.store.total_calls(), calls, "the store is left alone within the window");
    // Back up: after the window one request probes; its success lets every page through again.
    app.store.faults().clear();
    tokio::time::sleep(backoff + Duration::from_millis(100)).await;
    let probe = app.get("/api/v1/products?per_page=8").await;
    assert_eq!((probe.status.as_u16(), probe.header("x-cache")), (200, Some("MISS")), "the probe fetched: {}", body(&probe));
    let next = app.get("/api/v1/categories").await;
    assert_eq!((next.status.as_u16(), next.header("x-cache")), (200, Some("MISS")), "and the store counts as up again");
}
