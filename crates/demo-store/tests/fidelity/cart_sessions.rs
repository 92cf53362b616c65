//! Demo store cart sessions and switches: Cart-Token and Nonce rules, bad/expired/purged sessions, deterministic line keys, a lost checkout answer, concurrency on one session, `/batch`, and signed webhooks to a real receiver.

use crate::cart_support as support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use support::*;

#[tokio::test]
async fn cart_tokens_are_48h_jwts_reissued_on_every_answer_and_nonces_are_shared() {
    let store = start().await;
    let ids = ids(&store);
    let mut a = Shopper::new(&store);
    let first = a.get("/cart").await;
    let claims = token_claims(&first.header("cart-token").unwrap());
    let user = claims["user_id"].as_str().unwrap();
    assert!(user.starts_with("t_") && user.len() == 32 && user[2..].bytes().all(|b| b.is_ascii_hexdigit()), "{user}");
    assert_eq!(claims["iss"], "wc/store/v1");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 48 * 3600);
    let keys: Vec<&String> = claims.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "{claims}");
    let g = a.post("/cart/add-item", json!({"id": ids.mug, "quantity": 1})).await;
    assert_eq!(token_claims(&g.header("cart-token").unwrap())["user_id"], user, "same session, fresh token");

    let mut b = Shopper::new(&store);
    let other = b.get("/cart").await;
    assert_eq!(other.header("nonce"), first.header("nonce"), "all guest sessions get the same nonce (as captured)");
    assert_ne!(b.user_id(), a.user_id());
    assert_eq!(other.json["items"].as_array().unwrap().len(), 0, "sessions are separate");
    // store-41: another session's nonce works.
    assert_eq!(b.post("/cart/add-item", json!({"id": ids.tee, "quantity": 1})).await.status, 201);
    // The deprecated header name is accepted too.
    let http = reqwest::Client::new();
    let g = got(http
        .post(format!("{}{STORE}/cart/add-item", store.url()))
        .header("Cart-Token", b.token.clone().unwrap())
        .header("X-WC-Store-API-Nonce", b.nonce.clone().unwrap())
        .json(&json!({"id": ids.tee, "quantity": 1}))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(g.status, 201);
    assert_eq!(g.item(ids.tee).unwrap()["quantity"], 2);
}

#[tokio::test]
async fn a_bad_token_silently_gets_a_new_empty_cart() {
    let store = start().await;
    let ids = ids(&store);
    let mut s = Shopper::new(&store);
    s.get("/cart").await;
    s.post("/cart/add-item", json!({"id": ids.mug, "quantity": 2})).await;
    let good = s.token.clone().unwrap();
    for bad in ["not-a-jwt".to_string(), format!("{}x", &good[..good.len() - 1]), String::new()] {
        let mut other = Shopper { token: Some(bad.clone()), nonce: s.nonce.clone(), ..Shopper::new(&store) };
        let g = other.post("/cart/add-item", json!({"id": ids.tee, "quantity": 1})).await;
        assert_eq!(g.status, 201, "store-err-09: {bad}");
        assert_eq!(g.json["items"].as_array().unwrap().len(), 1, "a new cart, not ours");
        assert_ne!(other.user_id(), s.user_id());
    }
    assert_eq!(s.get("/cart").await.item(ids.mug).unwrap()["quantity"], 2, "the real session is untouched");
}

#[tokio::test]
async fn expired_tokens_and_purged_sessions_lose_the_cart_differently() {
    let store = start().await;
    let ids = ids(&store);
    let mut s = Shopper::new(&store);
    s.get("/cart").await;
    s.post("/cart/add-item", json!({"id": ids.mug, "quantity": 1})).await;
    let user = s.user_id();

    store.purge_cart_sessions();
    let g = s.get("/cart").await;
    assert_eq!(g.json["items"].as_array().unwrap().len(), 0, "purged: empty");
    assert_eq!(s.user_id(), user, "purged: same session id");

    s.post("/cart/add-item", json!({"id": ids.mug, "quantity": 1})).await;
    store.expire_cart_tokens();
    let g = s.get("/cart").await;
    assert_eq!(g.json["items"].as_array().unwrap().len(), 0, "expired: empty");
    assert_ne!(s.user_id(), user, "expired: a new session id");
    assert_eq!(s.post("/cart/add-item", json!({"id": ids.mug, "quantity": 1})).await.status, 201, "the new token works");
}

#[tokio::test]
async fn line_keys_are_the_same_when_a_cart_is_rebuilt_in_a_new_session() {
    let store = start().await;
    let ids = ids(&store);
    let (_, size, color) = shirt_variation(&store, ids.shirt);
    let mut keys = Vec::new();
    for _ in 0..2 {
        let mut s = Shopper::new(&store);
        s.get("/cart").await;
        s.post("/cart/add-item", json!({"id": ids.tee, "quantity": 1})).await;
        let g = s
            .post("/cart/add-item", json!({"id": ids.shirt, "quantity": 1, "variation": [{"attribute": "pa_color", "value": color}, {"attribute": "pa_size", "value": size}]}))
            .await;
        let mut k: Vec<String> = g.json["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_string()).collect();
        k.sort();
        keys.push(k);
    }
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[0][0], keys[0][1]);
}

#[tokio::test]
async fn a_lost_checkout_answer_still_places_the_order() {
    let key_pair = rw_key();
    let store = start_with(vec![key_pair.clone()], true).await;
    let ids = ids(&store);
    let mut s = Shopper::new(&store);
    s.get("/cart").await;
    s.post("/cart/add-item", json!({"id": ids.mug, "quantity": 1})).await;
    let draft = s.get("/checkout").await;
    let id = draft.json["order_id"].as_u64().unwrap();
    let before = store.orders_placed();
    store.set_lose_checkout_response(true);
    let sent = reqwest::Client::new()
        .post(format!("{}{STORE}/checkout", store.url()))
        .header("Cart-Token", s.token.clone().unwrap())
        .header("Nonce", s.nonce.clone().unwrap())
        .json(&json!({"billing_address": address(), "payment_method": "cod"}))
        .send()
        .await;
    store.set_lose_checkout_response(false);
    assert!(sent.is_err(), "the connection is dropped without an answer: {sent:?}");
    assert_eq!(store.orders_placed(), before + 1);
    assert_eq!(store.order_status(id).as_deref(), Some("processing"));
    let rest = got(reqwest::Client::new()
        .get(format!("{}/wp-json/wc/v3/orders/{id}", store.url()))
        .basic_auth(&key_pair.consumer_key, Some(&key_pair.consumer_secret))
        .send()
        .await
        .unwrap())
    .await;
    assert_eq!(rest.json["status"], "processing");
    assert_eq!(rest.json["order_key"], draft.json["order_key"]);
    assert_eq!(s.get("/cart").await.json["items"].as_array().unwrap().len(), 0, "the cart was emptied");
}

#[tokio::test]
async fn fifty_concurrent_requests_on_one_session_all_count() {
    let store = start().await;
    let ids = ids(&store);
    let mut s = Shopper::new(&store);
    s.get("/cart").await;
    let (token, nonce) = (s.token.clone().unwrap(), s.nonce.clone().unwrap());
    let http = reqwest::Client::new();
    let url = format!("{}{STORE}/cart/add-item", store.url());
    let all = (0..50)
        .map(|_| http.post(&url).header("Cart-Token", &token).header("Nonce", &nonce).json(&json!({"id": ids.mug, "quantity": 1})).send());
    for r in futures::future::join_all(all).await {
        assert_eq!(r.expect("answer").status(), 201);
    }
    assert_eq!(s.get("/cart").await.item(ids.mug).unwrap()["quantity"], 50);
}

#[tokio::test]
async fn batch_runs_cart_requests_on_the_session() {
    let store = start().await;
    let ids = ids(&store);
    let mut s = Shopper::new(&store);
    s.get("/cart").await;
    let nonce = s.nonce.clone().unwrap();
    let g = s
        .post(
            "/batch",
            json!({"requests": [
                {"path": "/wc/store/v1/cart/add-item", "method": "POST", "body": {"id": ids.mug, "quantity": 1}, "headers": {"Nonce": nonce}},
                {"path": "/wc/store/v1/cart/apply-coupon", "method": "POST", "body": {"code": "save10"}, "headers": {"Nonce": nonce}}
            ]}),
        )
        .await;
    assert_eq!(g.status, 207);
    let cap = capture("store-42-batch.http");
    assert_keys("store-42-batch", &cap.json, &g.json);
    let statuses: Vec<u64> = g.json["responses"].as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [201, 200]);
    assert_eq!(s.get("/cart").await.json["coupons"][0]["code"], "save10");
}

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let sink = Arc::clone(&got);
    let app = axum::Router::new().route(
        "/hooks/woo",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = Arc::clone(&sink);
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (format!("http://{addr}/hooks/woo"), got)
}

async fn wait_for(got: &Received, n: usize) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..200 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    got.lock().unwrap().clone()
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn product_changes_are_pushed_as_signed_webhooks() {
    let key_pair = rw_key();
    let store = start_with(vec![key_pair.clone()], true).await;
    let ids = ids(&store);
    let (url, received) = receiver().await;
    let secret = "whsec-demo-store-test".to_string();
    store.set_webhook(Some(url), secret.clone());
    let ping = wait_for(&received, 1).await;
    assert_eq!(ping[0].1.as_ref(), b"webhook_id=1", "the creation ping");
    assert_eq!(h(&ping[0].0, "content-type"), "application/x-www-form-urlencoded");
    assert!(ping[0].0.get("x-wc-webhook-signature").is_none(), "pings are unsigned");
    assert_eq!(store.webhook_deliveries(), 0);

    assert!(store.update_product_price(ids.mug, 1500, None));
    let r = wait_for(&received, 2).await;
    let (headers, body) = &r[1];
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(h(headers, "x-wc-webhook-signature"), expected, "base64(HMAC-SHA256(raw body, secret))");
    assert_eq!(h(headers, "x-wc-webhook-source"), format!("{}/", store.url()));
    assert_eq!(h(headers, "x-wc-webhook-topic"), "product.updated");
    assert_eq!(h(headers, "x-wc-webhook-resource"), "product");
    assert_eq!(h(headers, "x-wc-webhook-event"), "updated");
    assert_eq!(h(headers, "x-wc-webhook-id"), "1");
    assert_eq!(h(headers, "user-agent"), "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)");
    assert_eq!(h(headers, "content-type"), "application/json");
    let delivery = h(headers, "x-wc-webhook-delivery-id");
    assert!(delivery.len() == 32 && delivery.bytes().all(|b| b.is_ascii_hexdigit()), "{delivery}");
    let product: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(product["id"], ids.mug);
    assert_eq!(product["regular_price"], "15.00");
    let rest = got(reqwest::Client::new()
        .get(format!("{}/wp-json/wc/v3/products/{}", store.url(), ids.mug))
        .basic_auth(&key_pair.consumer_key, Some(&key_pair.consumer_secret))
        .send()
        .await
        .unwrap())
    .await;
    assert_keys("webhook body = REST v3 product", &rest.json, &product);

    // REST PUT delivers too, with a fresh delivery id.
    let put = reqwest::Client::new()
        .put(format!("{}/wp-json/wc/v3/products/{}", store.url(), ids.mug))
        .basic_auth(&key_pair.consumer_key, Some(&key_pair.consumer_secret))
        .json(&json!({"regular_price": "16.00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let r = wait_for(&received, 3).await;
    assert_ne!(h(&r[2].0, "x-wc-webhook-delivery-id"), delivery);
    for _ in 0..100 {
        if store.webhook_deliveries() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(store.webhook_deliveries(), 2);
    store.set_webhook(None, String::new());
    assert!(store.update_stock_quantity(ids.mug, 5));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(received.lock().unwrap().len(), 3, "no webhook, no delivery");
}

#[tokio::test]
async fn odd_input_gets_a_4xx_never_a_5xx() {
    let store = start().await;
    let ids = ids(&store);
    let mut s = Shopper::new(&store);
    s.get("/cart").await;
    let bodies = [
        ("/cart/add-item", json!({"id": ids.mug, "quantity": i64::MAX})),
        ("/cart/add-item", json!({"id": ids.mug, "quantity": i64::MAX})),
        ("/cart/add-item", json!({"id": ids.tee, "quantity": i64::MIN})),
        ("/cart/add-item", json!({"id": -5, "quantity": 1})),
        ("/cart/add-item", json!({"id": "abc"})),
        ("/cart/add-item", json!({"id": ids.shirt, "variation": "red"})),
        ("/cart/add-item", json!({"id": ids.shirt, "variation": [{"attribute": 1}, "x", null]})),
        ("/cart/add-item", json!([1, 2, 3])),
        ("/cart/add-item", json!(null)),
        ("/cart/update-item", json!({"key": 5, "quantity": 1})),
        ("/cart/update-item", json!({"key": "x", "quantity": 1.5})),
        ("/cart/apply-coupon", json!({"code": ["save10"]})),
        ("/cart/apply-coupon", json!({"code": "bad\r\n<b>code</b>"})),
        ("/cart/remove-coupon", json!({})),
        ("/cart/update-customer", json!({"billing_address": "nope"})),
        ("/cart/update-customer", json!({"billing_address": {"email": 5, "country": {"x": 1}}})),
        ("/cart/select-shipping-rate", json!({"package_id": {"a": 1}, "rate_id": 7})),
        ("/checkout", json!({"billing_address": [], "payment_method": 5})),
        ("/checkout", json!({"billing_address": {"email": "a@b.co"}, "payment_method": "cod", "customer_note": {}})),
        ("/batch", json!({"requests": [{"path": "/wc/store/v1/batch", "body": {}}, {"path": 5}, "x"]})),
    ];
    for (route, body) in bodies {
        let g = s.post(route, body.clone()).await;
        assert!((200..500).contains(&g.status), "{route} {body}: {} {}", g.status, g.json);
    }
    let raw = reqwest::Client::new()
        .post(format!("{}{STORE}/cart/add-item", store.url()))
        .header("Nonce", s.nonce.clone().unwrap())
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert!(s.get("/cart").await.status == 200, "the store still answers");
}
