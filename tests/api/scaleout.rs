//! Two BFF instances in front of one store, sharing state through Redis:
//! sessions, idempotent checkout, webhook dedupe and cache invalidation.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use storefront_bff::kv::Kv;
use storefront_bff::redis::Redis;
use storefront_bff::session::SessionTokens;
use storefront_bff::webhooks::signature::sign;
use storefront_bff::webhooks::WebhookSecrets;

use crate::common::{note_secret, RedisServer, TestApp};

const SECRET: &str = "whsec-scaleout-0123456789abcdef";

async fn pair(redis: &RedisServer) -> (TestApp, TestApp) {
    note_secret(SECRET);
    let tokens = SessionTokens::generated(Duration::from_secs(3600));
    let secrets = WebhookSecrets { current: Some(SecretString::from(SECRET)), previous: None };
    let (conn_a, conn_b) = (Redis::connect(&redis.url).await.unwrap(), Redis::connect(&redis.url).await.unwrap());
    let (t, s) = (tokens.clone(), secrets.clone());
    let a = TestApp::with(move |c| {
        c.options.redis = Some(conn_a);
        c.options.tokens = t;
        c.options.webhook_secrets = s;
    })
    .await;
    let b = a
        .sibling(move |c| {
            c.options.redis = Some(conn_b);
            c.options.tokens = tokens;
            c.options.webhook_secrets = secrets;
        })
        .await;
    // Let both subscribers attach before anything is published.
    tokio::time::sleep(Duration::from_millis(200)).await;
    (a, b)
}

async fn simple_product(app: &TestApp) -> u64 {
    let list = app.get("/api/v1/products?per_page=50&stock_status=in_stock").await.json();
    list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple" && p["purchasable"] == true).unwrap()["id"].as_u64().unwrap()
}

#[tokio::test]
async fn a_shopper_can_move_between_instances() {
    let redis = RedisServer::start().await;
    let (a, b) = pair(&redis).await;
    let id = simple_product(&a).await;

    let browser = a.browser();
    let r = browser.post("/api/v1/cart/items", json!({"product_id": id, "quantity": 2})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let on_b = browser.on(&b).get("/api/v1/cart").await.json();
    assert_eq!(on_b["items"][0]["quantity"], 2, "the cookie session is known to the other instance");

    let app_client = a.app_client().await;
    app_client.post("/api/v1/cart/items", json!({"product_id": id, "quantity": 1})).await;
    let on_b = app_client.on(&b).get("/api/v1/cart").await;
    assert_eq!(on_b.status, 200);
    assert_eq!(on_b.json()["items"][0]["quantity"], 1, "the bearer session too");
}

#[tokio::test]
async fn one_checkout_key_makes_one_order_across_instances() {
    let redis = RedisServer::start().await;
    let (a, b) = pair(&redis).await;
    let id = simple_product(&a).await;
    let shopper = a.app_client().await;
    shopper.post("/api/v1/cart/items", json!({"product_id": id, "quantity": 1})).await;
    shopper.put("/api/v1/cart/addresses", json!({"billing": {"email": "scale@example.test", "country": "US", "first_name": "S"}})).await;
    let before = a.store.orders_placed();
    let on_b = shopper.on(&b);
    let body = json!({"payment_method": "cod"});
    let attempts =
        (0..20).map(|i| if i % 2 == 0 { shopper.checkout("scale-1", body.clone()) } else { on_b.checkout("scale-1", body.clone()) });
    let answers = futures::future::join_all(attempts).await;
    let ids: Vec<u64> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.json()["order_id"].as_u64().unwrap()
        })
        .collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert_eq!(a.store.orders_placed(), before + 1, "exactly one order");
}

#[tokio::test]
async fn a_webhook_on_one_instance_invalidates_every_instance_once() {
    let redis = RedisServer::start().await;
    let (a, b) = pair(&redis).await;
    let list = b.get("/api/v1/products?per_page=1").await.json();
    let id = list["items"][0]["id"].as_u64().unwrap();
    b.get(&format!("/api/v1/products/{id}")).await;
    a.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(b.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("HIT"));

    let body = format!(r#"{{"id":{id},"slug":"x","variations":[]}}"#);
    async fn deliver(app: &TestApp, body: &str) -> crate::common::TestResponse {
        let request = app
            .client
            .post(format!("{}/webhooks/woocommerce", app.base))
            .header("x-wc-webhook-topic", "product.updated")
            .header("x-wc-webhook-id", "3")
            .header("x-wc-webhook-delivery-id", "same-delivery")
            .header("x-wc-webhook-signature", sign(body.as_bytes(), SECRET))
            .body(body.to_string());
        app.send(request, "POST", "/webhooks/woocommerce").await
    }
    assert_eq!(deliver(&a, &body).await.status, 202);
    assert_eq!(deliver(&b, &body).await.status, 202, "a replay to the other instance is accepted...");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let processed = |app: &TestApp| app.state.webhooks.stats.processed.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(processed(&a) + processed(&b), 1, "...but processed once");
    b.state.catalogue.cache().run_pending_tasks().await;
    a.state.catalogue.cache().run_pending_tasks().await;
    assert_eq!(b.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("MISS"), "fanned out to the other instance");
    assert_eq!(a.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("MISS"));
}

#[tokio::test]
async fn losing_redis_fails_readiness_and_shared_state_with_503_then_recovers() {
    let mut redis = RedisServer::start().await;
    let (a, _b) = pair(&redis).await;
    let id = simple_product(&a).await;
    let browser = a.browser();
    assert_eq!(browser.post("/api/v1/cart/items", json!({"product_id": id, "quantity": 1})).await.status, 201);
    assert_eq!(a.get("/readyz").await.status, 200);

    redis.kill();
    let ready = a.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.error_code(), "session_store_unavailable");
    for r in
        [browser.get("/api/v1/cart").await, a.send(a.client.post(format!("{}/api/v1/session", a.base)), "POST", "/api/v1/session").await]
    {
        assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.error_code(), "session_store_unavailable");
    }
    // The public catalogue does not need shared state and keeps answering.
    assert_eq!(a.get("/api/v1/products?per_page=2").await.status, 200);

    redis.restart().await;
    let mut recovered = false;
    for _ in 0..40 {
        if a.get("/readyz").await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "readiness recovers when Redis returns");
    assert_eq!(browser.get("/api/v1/cart").await.status, 200);
    assert_eq!(a.app_client().await.get("/api/v1/cart").await.status, 200);
}

/// A signed-in customer across instances: the access token, the saved cart
/// and refresh-token reuse detection all live in Redis.
#[tokio::test]
async fn a_customer_signed_in_on_one_instance_refreshes_and_shops_on_the_other() {
    let redis = RedisServer::start().await;
    let (a, b) = pair(&redis).await;
    let password = "scaleout-customer-password";
    note_secret(password);
    a.store.add_customer("scaled", "scaled@example.test", password, "S", "O");
    let id = simple_product(&a).await;

    let guest = a.app_client().await;
    assert_eq!(guest.post("/api/v1/cart/items", json!({"product_id": id, "quantity": 1})).await.status, 201);
    let r = guest.post("/api/v1/auth/login", json!({"email_or_username": "scaled", "password": password})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let tokens = r.json()["tokens"].clone();
    let on_b = guest.on(&b).with_bearer(tokens["access_token"].as_str());
    assert_eq!(on_b.get("/api/v1/me").await.status, 200);
    assert_eq!(on_b.get("/api/v1/cart").await.json()["items"][0]["quantity"], 1, "the merged cart is shared");

    let first = tokens["refresh_token"].clone();
    let refreshed = b.browser().with_origin(None).post("/api/v1/auth/refresh", json!({"refresh_token": first})).await;
    assert_eq!(refreshed.status, 200);
    let reused = a.browser().with_origin(None).post("/api/v1/auth/refresh", json!({"refresh_token": first})).await;
    assert_eq!(reused.status, 401, "reuse is seen by the other instance");
    let renewed = on_b.with_bearer(refreshed.json()["access_token"].as_str());
    assert_eq!(renewed.get("/api/v1/me").await.status, 401, "and the family is revoked everywhere");
}

#[tokio::test]
async fn two_devices_of_one_customer_on_two_instances_lose_no_cart_change() {
    let redis = RedisServer::start().await;
    let (a, b) = pair(&redis).await;
    let password = "two-devices-customer-password";
    note_secret(password);
    a.store.add_customer("twodevices", "two-devices@example.test", password, "T", "D");
    let list = a.get("/api/v1/products?per_page=50&stock_status=in_stock").await.json();
    let simple: Vec<u64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "simple" && p["purchasable"] == true)
        .map(|p| p["id"].as_u64().unwrap())
        .take(2)
        .collect();
    // The phone signs in on instance A, the laptop on instance B.
    let mut devices = Vec::new();
    for app in [&a, &b] {
        let device = app.app_client().await;
        let r = device.post("/api/v1/auth/login", json!({"email_or_username": "twodevices", "password": password})).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let access = r.json()["tokens"]["access_token"].as_str().unwrap().to_string();
        devices.push(device.with_bearer(Some(&access)));
    }
    // A slow store keeps both changes in flight at once; the customer has no
    // saved cart yet, so each instance would otherwise start its own.
    a.store.faults().set_latency(Duration::from_millis(300));
    let (r1, r2) = tokio::join!(
        devices[0].post("/api/v1/cart/items", json!({"product_id": simple[0], "quantity": 1})),
        devices[1].post("/api/v1/cart/items", json!({"product_id": simple[1], "quantity": 1})),
    );
    a.store.faults().clear();
    assert_eq!(
        (r1.status.as_u16(), r2.status.as_u16()),
        (201, 201),
        "{} / {}",
        String::from_utf8_lossy(&r1.body),
        String::from_utf8_lossy(&r2.body)
    );
    for device in &devices {
        let cart = device.get("/api/v1/cart").await.json();
        let mut ids: Vec<u64> = cart["items"].as_array().unwrap().iter().map(|l| l["id"].as_u64().unwrap()).collect();
        ids.sort();
        let mut want = simple.clone();
        want.sort();
        assert_eq!(ids, want, "both devices' additions are in the one cart");
    }
}

#[tokio::test]
async fn a_lease_is_exclusive_across_instances_released_on_drop_and_runs_out_if_never_released() {
    let redis = RedisServer::start().await;
    let (one, other) = (Redis::connect(&redis.url).await.unwrap(), Redis::connect(&redis.url).await.unwrap());
    let (kv_one, kv_other) = (Kv::new(Some(one), "lease-test"), Kv::new(Some(other), "lease-test"));
    let (ttl, short) = (Duration::from_secs(1), Duration::from_millis(100));
    let held = kv_one.lease("k", ttl, short).await.unwrap().expect("Redis leases are real");
    let refused = kv_other.lease("k", ttl, short).await.err().expect("held elsewhere");
    assert_eq!(refused.code(), "busy");
    drop(held);
    let started = std::time::Instant::now();
    let next = kv_other.lease("k", ttl, Duration::from_secs(5)).await.unwrap().expect("free again once released");
    assert!(started.elapsed() < Duration::from_millis(500), "released at once, not at expiry: {:?}", started.elapsed());
    // An instance that dies holding it: the lease runs out after its ttl.
    std::mem::forget(next);
    let started = std::time::Instant::now();
    let after = kv_one.lease("k", ttl, Duration::from_secs(5)).await.unwrap().expect("taken after the ttl");
    assert!(started.elapsed() >= Duration::from_millis(500), "not before the ttl ran out: {:?}", started.elapsed());
    assert_eq!(
        kv_other.lease("k", ttl, short).await.err().map(|e| e.code().to_string()).as_deref(),
        Some("busy"),
        "and the new holder holds it"
    );
    drop(after);
}
