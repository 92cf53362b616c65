//! Cart and checkout end to end: cookie and bearer clients, the Cart-Token
//! vault, rebuilds, idempotent checkout, CSRF, rate limits and bad input.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{note_secret, ShopperClient, TestApp};

const ADDRESS: &str = r#"{"first_name":"Alex","last_name":"Tester","address_1":"123 Main St","city":"Los Angeles","state":"CA","postcode":"90001","country":"US","email":"alex.tester@example.test","phone":"+1 213 555 0199"}"#;

fn address() -> Value {
    serde_json::from_str(ADDRESS).unwrap()
}

/// A product of `kind` that can be bought, found through our own catalogue.
async fn buyable(app: &TestApp, kind: &str) -> Value {
    for page in 1..=5 {
        let list = app.get(&format!("/api/v1/products?per_page=100&page={page}&stock_status=in_stock")).await.json();
        if let Some(p) =
            list["items"].as_array().unwrap().iter().find(|p| p["type"] == kind && (kind == "variable" || p["purchasable"] == true))
        {
            return app.get(&format!("/api/v1/products/{}", p["id"])).await.json();
        }
    }
    panic!("no buyable {kind} product");
}

/// Attributes of the first in-stock variation, as {taxonomy-or-label: slug}.
async fn variation_choice(app: &TestApp, product: &Value) -> (Value, u64) {
    let variations = app.get(&format!("/api/v1/products/{}/variations", product["id"])).await.json();
    let v = variations["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["stock"]["status"] == "in_stock" && v["purchasable"] == true)
        .expect("an in-stock variation")
        .clone();
    let mut choice = serde_json::Map::new();
    for (label, slug) in v["attributes"].as_object().unwrap() {
        let attr = product["attributes"].as_array().unwrap().iter().find(|a| a["name"] == *label).unwrap();
        // Mix the spellings a frontend may use: taxonomy for the first, label for the rest.
        let key = if choice.is_empty() { attr["taxonomy"].as_str().unwrap_or(label).to_string() } else { label.clone() };
        choice.insert(key, slug.clone());
    }
    (Value::Object(choice), v["id"].as_u64().unwrap())
}

/// Browse, add a simple and a variable product, change quantity, coupon,
/// addresses, shipping, checkout, confirmation. Returns the order id.
async fn whole_flow(app: &TestApp, shopper: &ShopperClient<'_>) -> u64 {
    let empty = shopper.get("/api/v1/cart").await;
    assert_eq!(empty.status, 200, "{}", String::from_utf8_lossy(&empty.body));
    assert_eq!(empty.json()["items"].as_array().unwrap().len(), 0);

    let simple = buyable(app, "simple").await;
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": simple["id"], "quantity": 1})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));

    let variable = buyable(app, "variable").await;
    let (choice, variation_id) = variation_choice(app, &variable).await;
    let r = shopper.post("/api/v1/cart/items", json!({"slug": variable["slug"], "quantity": 1, "variation": choice})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let cart = r.json();
    assert!(cart["items"].as_array().unwrap().iter().any(|l| l["id"] == variation_id), "the chosen variation is in the cart");

    let line = cart["items"].as_array().unwrap().iter().find(|l| l["id"] == simple["id"]).unwrap().clone();
    let r = shopper.patch(&format!("/api/v1/cart/items/{}", line["key"].as_str().unwrap()), json!({"quantity": 2})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["items"].as_array().unwrap().iter().find(|l| l["key"] == line["key"]).unwrap()["quantity"], 2);

    let r = shopper.post("/api/v1/cart/coupons", json!({"code": "save10"})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["totals"]["discount"]["amount"].as_i64().unwrap() > 0);

    let r = shopper.put("/api/v1/cart/addresses", json!({"billing": address()})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let cart = r.json();
    let package = &cart["shipping_packages"][0];
    let rate = package["rates"].as_array().unwrap().iter().find(|r| r["selected"] == false).unwrap_or(&package["rates"][0]).clone();
    let r = shopper.put("/api/v1/cart/shipping-rate", json!({"package_id": package["package_id"], "rate_id": rate["rate_id"]})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let cart = r.json();
    let total = cart["totals"]["total"]["amount"].as_i64().unwrap();

    let r = shopper.checkout("order-1", json!({"payment_method": "cod", "expected_total": total})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let order = r.json();
    assert_eq!(order["totals"]["total"]["amount"].as_i64().unwrap(), total);
    let id = order["order_id"].as_u64().unwrap();

    let r = app.get(&format!("/api/v1/orders/{id}?key={}&email=alex.tester@example.test", order["order_key"].as_str().unwrap())).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["id"], id);
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 2);
    let wrong = app.get(&format!("/api/v1/orders/{id}?key=wc_order_wrong&email=alex.tester@example.test")).await;
    assert_eq!(wrong.status, 404);
    assert_eq!(wrong.error_code(), "order_not_found");

    let after = shopper.get("/api/v1/cart").await.json();
    assert_eq!(after["items"].as_array().unwrap().len(), 0, "the cart is empty after checkout");
    id
}

#[tokio::test]
async fn the_whole_flow_works_for_a_browser_with_cookies() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let first = browser.get("/api/v1/cart").await;
    assert!(first.header("set-cookie").is_none(), "reading the empty cart makes no session (the first write does)");
    whole_flow(&app, &browser).await;
}

#[tokio::test]
async fn the_whole_flow_works_for_an_app_with_a_bearer_token() {
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    let r = shopper.get("/api/v1/cart").await;
    assert!(r.header("set-cookie").is_none(), "bearer clients get no cookie");
    whole_flow(&app, &shopper).await;
    // Forged and garbage tokens are refused with WWW-Authenticate.
    let token = shopper.bearer().unwrap().to_string();
    let forged = format!("{}x", &token[..token.len() - 1]);
    for bad in [forged.as_str(), "garbage", ""] {
        let r = app.get_with("/api/v1/cart", &[("authorization", &format!("Bearer {bad}"))]).await;
        assert_eq!(r.status, 401, "{bad}");
        assert_eq!(r.error_code(), "invalid_token");
        assert!(r.header("www-authenticate").unwrap().contains("invalid_token"));
    }
}

#[tokio::test]
async fn cart_tokens_and_nonces_never_reach_a_client() {
    let app = TestApp::spawn().await;
    // Learn what the store's credentials look like, and register them for the scan.
    let direct = reqwest::get(format!("{}/wp-json/wc/store/v1/cart", app.store.url())).await.unwrap();
    let nonce = direct.headers().get("nonce").unwrap().to_str().unwrap().to_string();
    note_secret(&nonce);
    let browser = app.browser();
    let simple = buyable(&app, "simple").await;
    for r in [
        browser.get("/api/v1/cart").await,
        browser.post("/api/v1/cart/items", json!({"product_id": simple["id"], "quantity": 1})).await,
        browser.post("/api/v1/cart/coupons", json!({"code": "nope-nope"})).await,
    ] {
        let mut all = String::from_utf8_lossy(&r.body).to_string();
        for (k, v) in &r.headers {
            all.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("")));
        }
        assert!(!all.to_lowercase().contains("cart-token") && !all.contains("eyJ1c2VyX2lk"), "no Cart-Token: {all}");
        assert!(!all.contains(&nonce), "no Nonce: {all}");
    }
}

#[tokio::test]
async fn an_expired_or_purged_upstream_cart_is_rebuilt() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let simple = buyable(&app, "simple").await;
    let variable = buyable(&app, "variable").await;
    let (choice, variation_id) = variation_choice(&app, &variable).await;
    browser.post("/api/v1/cart/items", json!({"product_id": simple["id"], "quantity": 3})).await;
    browser.post("/api/v1/cart/items", json!({"product_id": variable["id"], "quantity": 1, "variation": choice})).await;
    browser.post("/api/v1/cart/coupons", json!({"code": "save10"})).await;
    let before = browser.get("/api/v1/cart").await.json();

    for (what, break_it) in [("purged", 0), ("expired", 1)] {
        if break_it == 0 {
            app.store.purge_cart_sessions();
        } else {
            app.store.expire_cart_tokens();
        }
        let after = browser.get("/api/v1/cart").await;
        assert_eq!(after.status, 200, "{what}");
        let after = after.json();
        let lines = |c: &Value| {
            let mut l: Vec<(u64, u64)> =
                c["items"].as_array().unwrap().iter().map(|i| (i["id"].as_u64().unwrap(), i["quantity"].as_u64().unwrap())).collect();
            l.sort();
            l
        };
        assert_eq!(lines(&after), lines(&before), "{what}: same lines");
        assert!(lines(&after).iter().any(|(id, _)| *id == variation_id));
        assert_eq!(after["coupons"], before["coupons"], "{what}: same coupons");
        assert_eq!(after["totals"]["total"], before["totals"]["total"], "{what}: same total");
    }
}

#[tokio::test]
async fn fifty_concurrent_checkouts_with_one_key_make_one_order() {
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    let simple = buyable(&app, "simple").await;
    shopper.post("/api/v1/cart/items", json!({"product_id": simple["id"], "quantity": 1})).await;
    shopper.put("/api/v1/cart/addresses", json!({"billing": address()})).await;
    let before = app.store.orders_placed();
    let body = json!({"payment_method": "cod"});
    let attempts = (0..50).map(|_| shopper.checkout("same-key-1", body.clone()));
    let answers = futures::future::join_all(attempts).await;
    let ids: Vec<u64> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.json()["order_id"].as_u64().unwrap()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "all 50 got the same order: {ids:?}");
    assert_eq!(app.store.orders_placed(), before + 1, "exactly one order");

    // Same key, different body: refused.
    let r = shopper.checkout("same-key-1", json!({"payment_method": "bacs"})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.error_code(), "idempotency_key_reused");
    // No key: refused.
    let r = shopper.request(reqwest::Method::POST, "/api/v1/checkout", Some(body), &[]).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "idempotency_key_required");
}

#[tokio::test]
async fn a_retry_after_a_lost_checkout_answer_returns_the_original_order() {
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    let simple = buyable(&app, "simple").await;
    shopper.post("/api/v1/cart/items", json!({"product_id": simple["id"], "quantity": 1})).await;
    shopper.put("/api/v1/cart/addresses", json!({"billing": address()})).await;
    let before = app.store.orders_placed();
    app.store.set_lose_checkout_response(true);
    let first = shopper.checkout("lost-1", json!({"payment_method": "cod"})).await;
    app.store.set_lose_checkout_response(false);
    assert_eq!(app.store.orders_placed(), before + 1, "the store placed the order");
    assert_eq!(first.status, 201, "reconciled from the draft order: {}", String::from_utf8_lossy(&first.body));
    let retry = shopper.checkout("lost-1", json!({"payment_method": "cod"})).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.json()["order_id"], first.json()["order_id"]);
    assert_eq!(app.store.orders_placed(), before + 1, "still one order");
}

#[tokio::test]
async fn a_changed_cart_is_a_typed_409_carrying_the_cart() {
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    let simple = buyable(&app, "simple").await;
    let cart = shopper.post("/api/v1/cart/items", json!({"product_id": simple["id"], "quantity": 1})).await.json();
    let total = cart["totals"]["total"]["amount"].as_i64().unwrap();
    let r = shopper.checkout("changed-1", json!({"payment_method": "cod", "expected_total": total + 100})).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error_code(), "cart_changed");
    assert_eq!(r.json()["error"]["cart"]["totals"]["total"]["amount"], total);
}

#[tokio::test]
async fn csrf_from_a_foreign_origin_is_refused() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let simple = buyable(&app, "simple").await;
    let body = json!({"product_id": simple["id"], "quantity": 1});
    let first = browser.post("/api/v1/cart/items", body.clone()).await;
    assert_eq!(first.status, 201, "same origin is fine");
    let cookie = first.header("set-cookie").expect("the first write starts the session").split(';').next().unwrap().to_string();
    // A foreign site's write is refused, with the shopper's cookie or (as a first write, which
    // would start a session in their browser) without one.
    for with_cookie in [true, false] {
        let mut request = app.client.post(format!("{}/api/v1/cart/items", app.base)).header("origin", "https://evil.example").json(&body);
        if with_cookie {
            request = request.header("cookie", &cookie);
        }
        let r = app.send(request, "POST", "/api/v1/cart/items").await;
        assert_eq!(r.status, 403, "cookie: {with_cookie}");
        assert_eq!(r.error_code(), "csrf_rejected");
    }
    let none = app.client.post(format!("{}/api/v1/cart/items", app.base)).header("cookie", &cookie).json(&body);
    assert_eq!(app.send(none, "POST", "/api/v1/cart/items").await.status, 403, "a cookie but no Origin or Referer");
    assert_eq!(browser.post("/api/v1/cart/items", body).await.status, 201, "same origin is fine");
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = TestApp::with(|c| {
        c.options.rates.cart_per_minute = 3;
    })
    .await;
    let shopper = app.app_client().await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = shopper.put("/api/v1/cart/addresses", json!({"billing": address()})).await;
        statuses.push(r.status.as_u16());
        if r.status == 429 {
            assert_eq!(r.error_code(), "rate_limited");
            assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);

    // Checkout: 3 per minute by default, whatever the key.
    let shopper = app.app_client().await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(shopper.checkout(&format!("k{i}"), json!({"payment_method": "cod"})).await.status.as_u16());
    }
    assert_eq!(statuses[3], 429, "{statuses:?}");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_never_a_5xx() {
    let app = TestApp::with(|c| c.policy.body_limit_bytes = 4096).await;
    let shopper = app.app_client().await;
    let simple = buyable(&app, "simple").await;
    let out = app.get("/api/v1/products?stock_status=out_of_stock&per_page=1").await.json()["items"][0].clone();
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!({"product_id": simple["id"], "quantity": -1}), 422, "validation_failed"),
        (json!({"product_id": simple["id"], "quantity": 0}), 422, "validation_failed"),
        (json!({"product_id": simple["id"], "quantity": 1_000_000_000_000u64}), 422, "validation_failed"),
        (json!({"product_id": simple["id"], "quantity": "lots"}), 422, "validation_failed"),
        (json!({"product_id": 99_999_999, "quantity": 1}), 404, "product_not_found"),
        (json!({"sku": "NO-SUCH-SKU", "quantity": 1}), 404, "product_not_found"),
        (json!({"product_id": out["id"], "quantity": 1}), 409, "cart_item_out_of_stock"),
        (json!({"quantity": 1}), 422, "validation_failed"),
        (json!({"product_id": simple["id"], "sku": "X", "quantity": 1}), 422, "validation_failed"),
    ];
    for (body, status, code) in cases {
        let r = shopper.post("/api/v1/cart/items", body.clone()).await;
        assert_eq!((r.status.as_u16(), r.error_code().as_str()), (status, code), "{body}");
    }
    let variable = buyable(&app, "variable").await;
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": variable["id"], "quantity": 1})).await;
    assert_eq!(r.status, 422);
    assert!(
        r.error_fields().iter().all(|f| f.starts_with("variation.")) && !r.error_fields().is_empty(),
        "missing attributes are named: {:?}",
        r.error_fields()
    );

    let r = shopper.post("/api/v1/cart/coupons", json!({"code": "NOPE123"})).await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (422, "coupon_rejected"));
    let r = shopper.post("/api/v1/cart/coupons", json!({"code": "bad\r\ncode"})).await;
    assert_eq!(r.status, 422);
    let r = shopper.patch("/api/v1/cart/items/0123456789abcdef0123456789abcdef", json!({"quantity": 1})).await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (404, "cart_item_not_found"));
    let r = shopper.delete("/api/v1/cart/items/0123456789abcdef0123456789abcdef").await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (404, "cart_item_not_found"));
    let r = shopper.delete("/api/v1/cart/items/..%2F..%2Fetc").await;
    assert_eq!(r.status, 422, "path tricks in a line key are refused");

    let raw = |body: &'static str| {
        let req = app
            .client
            .post(format!("{}/api/v1/cart/items", app.base))
            .bearer_auth(shopper.bearer().unwrap())
            .header("content-type", "application/json")
            .body(body);
        app.send(req, "POST", "/api/v1/cart/items")
    };
    let r = raw("{not json").await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (400, "bad_request"));
    let big: &'static str = Box::leak(format!("{{\"pad\":\"{}\"}}", "x".repeat(10_000)).into_boxed_str());
    let r = raw(big).await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (413, "payload_too_large"));
    let r = shopper.checkout("k", json!({"payment_method": "cod", "billing": {"email": "not-an-email"}})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), ["billing.email"]);
    let r = shopper.checkout("empty-cart", json!({"payment_method": "cod"})).await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (409, "cart_empty"));
}

#[tokio::test]
async fn when_the_store_is_down_the_cart_answers_503_and_survives() {
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    let simple = buyable(&app, "simple").await;
    shopper.post("/api/v1/cart/items", json!({"product_id": simple["id"], "quantity": 2})).await;
    app.store.faults().set_fail_status(Some(503));
    for r in [shopper.get("/api/v1/cart").await, shopper.post("/api/v1/cart/coupons", json!({"code": "save10"})).await] {
        assert_eq!(r.status, 503);
        assert_eq!(r.error_code(), "upstream_unavailable");
        assert!(r.header("retry-after").is_some());
    }
    app.store.faults().clear();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let cart = shopper.get("/api/v1/cart").await.json();
    assert_eq!(cart["items"][0]["quantity"], 2, "the cart survived the outage");
}

#[tokio::test]
async fn the_cookie_samesite_setting_reaches_the_cookie() {
    use tower_sessions::cookie::SameSite;
    let app = TestApp::with(|c| {
        c.policy.cookie_same_site = SameSite::None;
        c.policy.cookie_secure = true;
    })
    .await;
    let simple = buyable(&app, "simple").await;
    let r = app.browser().post("/api/v1/cart/items", json!({"product_id": simple["id"], "quantity": 1})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let cookie = r.header("set-cookie").expect("a session cookie").to_string();
    assert!(cookie.contains("SameSite=None") && cookie.contains("Secure"), "cross-site SPAs: {cookie}");
}
