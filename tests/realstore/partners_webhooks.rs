//! Partners, webhooks and reconciliation against the real store: partner prices, stock and
//! bulk orders agree with REST v3; a product change delivered by the store's own webhook
//! (through `realwoo.sh run-queue`) and one found by the reconciliation scan both reach the
//! next read.

use std::time::Duration;

use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};
use storefront_bff::partners::secret::hash_with;
use storefront_bff::partners::{PartnerOptions, PartnerTokens};
use storefront_bff::webhooks::WebhookSecrets;

use crate::harness::{minor, realwoo, store, unique, Bff};

async fn partner_bff(customer_id: u64) -> (Bff, String, String) {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("realstore-partners-{}", unique()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = format!("ps_{}{}", unique(), unique());
    let hash = hash_with(secret.as_bytes(), argon2::Params::new(256, 1, 1, None).unwrap());
    let file = dir.join("partners.toml");
    std::fs::write(
        &file,
        format!(
            "[[partner]]\nid = \"acme\"\nname = \"Acme\"\nclient_id = \"acme-client\"\nclient_secret_hash = {hash:?}\n\
             scopes = [\"catalog:read\", \"stock:read\", \"orders:read\", \"orders:write\"]\ncustomer_id = {customer_id}\n\
             rate_limit_per_minute = 10000\nenabled = true\n[partner.prices]\ndefault_discount_percent = 10\n"
        ),
    )
    .unwrap();
    let tokens = PartnerTokens::new(SecretString::from(format!("{}{}{}", unique(), unique(), unique())), Duration::from_secs(600));
    let options = PartnerOptions::open(&file, tokens, Duration::ZERO).expect("valid registry");
    let bff = Bff::with(|o| o.partners = Some(options)).await;
    let r = bff
        .client
        .post(format!("{}/api/v1/partner/token", bff.base))
        .form(&[("grant_type", "client_credentials"), ("client_id", "acme-client"), ("client_secret", secret.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
    (bff, token, secret)
}

async fn partner(bff: &Bff, token: &str, method: Method, path: &str, body: Option<Value>, key: Option<&str>) -> (u16, Value) {
    let mut request = bff.client.request(method, format!("{}{path}", bff.base)).bearer_auth(token);
    if let Some(k) = key {
        request = request.header("idempotency-key", k);
    }
    if let Some(b) = body {
        request = request.json(&b);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn partner_prices_stock_and_bulk_orders_agree_with_the_store() {
    let s = store();
    let customer = s.rest_get(&format!("/customers?email={}", s.customer_email)).await.json[0]["id"].as_u64().unwrap();
    let (bff, token, _) = partner_bff(customer).await;
    let (status, page) = partner(&bff, &token, Method::GET, "/api/v1/partner/products?per_page=20", None, None).await;
    assert_eq!(status, 200, "{page}");
    for p in page["items"].as_array().unwrap() {
        let store_price = minor(&s.store_api(&format!("/products/{}", p["id"])).await.json["prices"]["price"]);
        assert_eq!(minor(&p["partner_price"]), (store_price * 90 + 50) / 100, "10 % off the store's price of {}", p["id"]);
    }
    let managed: Vec<Value> = s
        .rest_get("/products?per_page=100&type=simple&status=publish")
        .await
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["manage_stock"].as_bool() == Some(true)
                && p["stock_quantity"].as_i64().unwrap_or(0) >= 20
                && !p["sold_individually"].as_bool().unwrap()
        })
        .cloned()
        .collect();
    let skus: Vec<&str> = managed.iter().map(|p| p["sku"].as_str().unwrap()).collect();
    let (status, stock) =
        partner(&bff, &token, Method::POST, "/api/v1/partner/stock", Some(json!({"skus": [skus[0], skus[1], "NO-SUCH-SKU"]})), None).await;
    assert_eq!(status, 200, "{stock}");
    for (i, p) in managed.iter().take(2).enumerate() {
        assert_eq!(stock["items"][i]["quantity"], p["stock_quantity"], "stock of {}", p["sku"]);
    }
    assert_eq!(stock["items"][2]["status"], "not_found");
    let body = json!({"po_number": format!("PO-{}", unique()), "lines": [{"sku": skus[0], "quantity": 2}]});
    let key = format!("po-{}", unique());
    let (status, placed) = partner(&bff, &token, Method::POST, "/api/v1/partner/orders", Some(body.clone()), Some(&key)).await;
    assert_eq!(status, 201, "{placed}");
    let (_, again) = partner(&bff, &token, Method::POST, "/api/v1/partner/orders", Some(body), Some(&key)).await;
    assert_eq!(again["id"], placed["id"], "the retry is the same order");
    let order = s.rest_get(&format!("/orders/{}", placed["id"])).await;
    assert_eq!(order.json["customer_id"].as_u64(), Some(customer));
    assert_eq!(order.json["line_items"][0]["sku"], skus[0]);
    assert_eq!(order.json["line_items"][0]["quantity"], 2);
    let after = s.rest_get(&format!("/products/{}", managed[0]["id"])).await;
    assert_eq!(after.json["stock_quantity"].as_i64(), managed[0]["stock_quantity"].as_i64().map(|q| q - 2), "the store reduced stock");
}

/// Sets a product's regular price through REST v3 (what a shop manager does in wp-admin).
async fn set_price(id: u64, price: &str) {
    let r = store().rest(Method::PUT, &format!("/products/{id}"), Some(json!({"regular_price": price, "sale_price": ""}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
}

async fn plain_product() -> (u64, String) {
    let p = store().rest_product("sku=RW-BK-001").await;
    let p = if p.is_null() { store().rest_product("type=simple&status=publish&on_sale=false&per_page=1").await } else { p };
    (p["id"].as_u64().unwrap(), p["regular_price"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_webhook_delivered_by_the_store_refreshes_the_next_read() {
    let secret = format!("whsec-{}", unique());
    let bff = Bff::with(|o| o.webhook_secrets = WebhookSecrets { current: Some(SecretString::from(secret.clone())), previous: None }).await;
    let delivery = format!("{}/webhooks/woocommerce", bff.base);
    let checks = storefront_bff::webhooks::register::ensure(&bff.state.rest, &delivery, &SecretString::from(secret.clone()))
        .await
        .expect("webhooks registered");
    assert!(checks.iter().all(|c| c.action == "created" || c.action == "none"), "{checks:?}");
    let (id, original) = plain_product().await;
    let first = bff.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(first.header("x-cache"), Some("MISS"));
    let new_price = format!("{}.{:02}", 40 + rand::random::<u8>() % 50, rand::random::<u8>() % 100);
    set_price(id, &new_price).await;
    assert_eq!(bff.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("HIT"), "cached until told");
    // The store delivers its queued webhooks (Action Scheduler) at once.
    let mut fresh = None;
    for _ in 0..5 {
        assert_eq!(realwoo("run-queue"), 0);
        let r = bff.get(&format!("/api/v1/products/{id}")).await;
        if r.header("x-cache") == Some("MISS") {
            fresh = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let fresh = fresh.expect("the store's signed webhook invalidated the product");
    let want: u64 = new_price.replace('.', "").parse().unwrap();
    assert_eq!(minor(&fresh.json["prices"]["regular_price"]), want);
    set_price(id, &original).await;
    // Leave no webhook behind pointing at this test's port.
    let hooks = store().rest_get("/webhooks?per_page=100").await;
    for h in hooks.json.as_array().unwrap().iter().filter(|h| h["delivery_url"] == delivery.as_str()) {
        store().rest(Method::DELETE, &format!("/webhooks/{}?force=true", h["id"]), None).await;
    }
}

#[tokio::test]
async fn reconciliation_catches_a_change_no_webhook_announced() {
    let bff = Bff::spawn().await;
    // The first scan sets the cursor; changes after it are found by the next.
    bff.state.reconciler.run_once().await.expect("first scan");
    let (id, original) = plain_product().await;
    assert_eq!(bff.get(&format!("/api/v1/products/{id}")).await.status, 200);
    // WooCommerce's modified_after has one-second resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let new_price = format!("{}.{:02}", 100 + rand::random::<u8>() % 50, rand::random::<u8>() % 100);
    set_price(id, &new_price).await;
    assert_eq!(bff.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("HIT"));
    let changed = bff.state.reconciler.run_once().await.expect("second scan");
    assert!(changed >= 1, "the scan found the change");
    let fresh = bff.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(fresh.header("x-cache"), Some("MISS"));
    assert_eq!(minor(&fresh.json["prices"]["regular_price"]), new_price.replace('.', "").parse::<u64>().unwrap());
    set_price(id, &original).await;
}
