//! The running server answers only what the OpenAPI document promises: `assert_documented` (used
//! by the fault and security probes too), bad bodies on every JSON operation, and regressions for
//! what schema fuzzing (scripts/schemathesis.sh) found.

use serde_json::json;
use utoipa::openapi::path::Operation;

use crate::common::{TestApp, TestResponse};
use crate::partners::{self, PartnerSpec, Registry};

fn operation<'a>(doc: &'a utoipa::openapi::OpenApi, method: &str, template: &str) -> &'a Operation {
    let item = doc.paths.paths.get(template).unwrap_or_else(|| panic!("{template} is not in the OpenAPI document"));
    let op = match method {
        "GET" => &item.get,
        "POST" => &item.post,
        "PUT" => &item.put,
        "PATCH" => &item.patch,
        "DELETE" => &item.delete,
        other => panic!("unexpected method {other}"),
    };
    op.as_ref().unwrap_or_else(|| panic!("{method} {template} is not in the OpenAPI document"))
}

/// Asserts that `METHOD template` documents the status `r` carries and, for errors, that the body
/// is the shared error shape (returning its code).
pub fn assert_documented(method: &str, template: &str, r: &TestResponse) -> Option<String> {
    let doc = storefront_bff::routes::openapi();
    let op = operation(&doc, method, template);
    let status = r.status.as_u16().to_string();
    assert!(
        op.responses.responses.contains_key(&status),
        "{method} {template} answered {status}, which it does not document: {}",
        String::from_utf8_lossy(&r.body)
    );
    if r.status.is_client_error() || r.status.is_server_error() {
        assert_eq!(r.header("content-type"), Some("application/json"), "{method} {template}: errors are JSON");
        return Some(r.error_code());
    }
    None
}

/// `(method, template, concrete path)` of every operation with a JSON request body.
fn json_operations() -> Vec<(String, String, String)> {
    let doc = storefront_bff::routes::openapi();
    let mut found = Vec::new();
    for (template, item) in &doc.paths.paths {
        for (method, op) in [("POST", &item.post), ("PUT", &item.put), ("PATCH", &item.patch)] {
            let Some(op) = op else { continue };
            if op.request_body.as_ref().is_some_and(|b| b.content.contains_key("application/json")) {
                let path = template.replace("{key}", "0123456789abcdef0123456789abcdef").replace("{id}", "1");
                found.push((method.to_string(), template.clone(), path));
            }
        }
    }
    found
}

#[tokio::test]
async fn bad_bodies_on_every_json_operation_get_documented_4xx_in_the_error_shape() {
    let partner = PartnerSpec::new("contract", 601);
    let registry = Registry::write(std::slice::from_ref(&partner));
    let app = partners::spawn(&registry).await;
    let shopper = app.app_client().await;
    let session = shopper.bearer().unwrap().to_string();
    let partner_token = partners::token(&app, &partner, None).await;
    // The customer routes check the sign-in before the body.
    crate::common::note_secret("contract-customer-password");
    app.store.add_customer("contract", "contract@example.test", "contract-customer-password", "C", "T");
    let signed_in = app
        .app_client()
        .await
        .post("/api/v1/auth/login", json!({"email_or_username": "contract", "password": "contract-customer-password"}))
        .await;
    let customer = signed_in.json()["tokens"]["access_token"].as_str().expect("a customer token").to_string();
    let operations = json_operations();
    assert!(operations.len() >= 8, "the cart, checkout and partner writes: {operations:?}");
    let oversized = vec![b' '; 64 * 1024 + 1];
    for (method, template, path) in &operations {
        let bearer = if template.starts_with("/api/v1/partner/") {
            &partner_token
        } else if template.starts_with("/api/v1/me") {
            &customer
        } else {
            &session
        };
        let cases: [(&str, &str, Vec<u8>, u16, &str); 4] = [
            ("not JSON", "application/json", b"{not json".to_vec(), 400, "bad_request"),
            ("a NUL byte", "application/json", b"\x00".to_vec(), 400, "bad_request"),
            ("text/plain", "text/plain", b"{}".to_vec(), 415, "unsupported_media_type"),
            ("over BODY_LIMIT_BYTES", "application/json", oversized.clone(), 413, "payload_too_large"),
        ];
        for (what, content_type, body, status, code) in cases {
            let request = app
                .client
                .request(method.parse().unwrap(), format!("{}{path}", app.base))
                .bearer_auth(bearer)
                .header("content-type", content_type)
                .header("idempotency-key", "contract-1")
                .body(body);
            let r = app.send(request, method, path).await;
            assert_eq!(r.status, status, "{method} {path} with {what}: {}", String::from_utf8_lossy(&r.body));
            assert_eq!(assert_documented(method, template, &r).as_deref(), Some(code), "{method} {path} with {what}");
        }
        // JSON of the wrong shape names the problem.
        let request =
            app.client.request(method.parse().unwrap(), format!("{}{path}", app.base)).bearer_auth(bearer).json(&json!("a string"));
        let request = request.header("idempotency-key", "contract-2");
        let r = app.send(request, method, path).await;
        assert_eq!(r.status, 422, "{method} {path} with a string: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(assert_documented(method, template, &r).as_deref(), Some("validation_failed"));
    }
}

#[tokio::test]
async fn an_oversized_webhook_is_413_in_the_error_shape() {
    // Found by fuzzing: the raw-body extractor answered axum's plain-text 413.
    let app = TestApp::spawn().await;
    let request = app.client.post(format!("{}/webhooks/woocommerce", app.base)).body(vec![b'x'; 64 * 1024 + 1]);
    let r = app.send(request, "POST", "/webhooks/woocommerce").await;
    assert_eq!(r.status, 413);
    assert_eq!(assert_documented("POST", "/webhooks/woocommerce", &r).as_deref(), Some("payload_too_large"));
}

#[tokio::test]
async fn removing_a_coupon_that_is_not_applied_is_422_not_502() {
    // Found by fuzzing: the store's 409 `woocommerce_rest_cart_coupon_invalid_code` was unmapped.
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    let r = shopper.delete("/api/v1/cart/coupons/save10").await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(assert_documented("DELETE", "/api/v1/cart/coupons/{code}", &r).as_deref(), Some("coupon_not_applied"));
    // Applied, it comes off; an unknown code is still `coupon_rejected`.
    let product = app.get("/api/v1/products?per_page=50&stock_status=in_stock").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "simple" && p["purchasable"] == true)
        .unwrap()["id"]
        .clone();
    assert_eq!(shopper.post("/api/v1/cart/items", json!({"product_id": product, "quantity": 2})).await.status, 201);
    assert_eq!(shopper.post("/api/v1/cart/coupons", json!({"code": "save10"})).await.status, 200);
    assert_eq!(shopper.delete("/api/v1/cart/coupons/save10").await.status, 200);
    let r = shopper.delete("/api/v1/cart/coupons/no-such-coupon").await;
    assert_eq!((r.status.as_u16(), r.error_code()), (422, "coupon_rejected".to_string()));
}

#[tokio::test]
async fn going_over_the_per_cart_quantity_limit_is_422_not_502() {
    // Found by fuzzing: adding 9999 to a line already in the cart hit the store's
    // `invalid_quantity` ("the maximum quantity allowed in the cart is 9999"), which was unmapped.
    let app = TestApp::spawn().await;
    let shopper = app.app_client().await;
    let list = app.get("/api/v1/products?per_page=100&stock_status=in_stock").await.json();
    let product = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "simple" && p["purchasable"] == true)
        .expect("a simple product")
        .clone();
    let body = |quantity: u32| json!({"slug": product["slug"], "quantity": quantity});
    assert_eq!(shopper.post("/api/v1/cart/items", body(1)).await.status, 201);
    let r = shopper.post("/api/v1/cart/items", body(9999)).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(assert_documented("POST", "/api/v1/cart/items", &r).as_deref(), Some("cart_item_quantity_limit"));
    let cart = shopper.get("/api/v1/cart").await.json();
    assert_eq!(cart["items"][0]["quantity"], 1, "the refused add changed nothing");
    let key = cart["items"][0]["key"].as_str().unwrap().to_string();
    let r = shopper.patch(&format!("/api/v1/cart/items/{key}"), json!({"quantity": 9999})).await;
    assert_eq!(r.status, 200, "9999 itself is allowed: {}", String::from_utf8_lossy(&r.body));
}
