//! The webhook receiver: real captured deliveries verify, bad signatures
//! are refused before parsing, pings are acknowledged, duplicates are
//! processed once, and product events invalidate the catalogue cache.

use std::time::Duration;

use secrecy::SecretString;
use storefront_bff::webhooks::signature::sign;
use storefront_bff::webhooks::WebhookSecrets;

use crate::common::{note_secret, woo_fixtures_dir, TestApp};

const SECRET: &str = "whsec-test-current-0123456789";
const OLD_SECRET: &str = "whsec-test-previous-9876543210";

async fn app() -> TestApp {
    note_secret(SECRET);
    note_secret(OLD_SECRET);
    TestApp::with(|c| {
        c.options.webhook_secrets =
            WebhookSecrets { current: Some(SecretString::from(SECRET)), previous: Some(SecretString::from(OLD_SECRET)) };
    })
    .await
}

async fn deliver(app: &TestApp, topic: &str, delivery: &str, body: &str, signature: Option<String>) -> crate::common::TestResponse {
    let mut request = app
        .client
        .post(format!("{}/webhooks/woocommerce", app.base))
        .header("content-type", "application/json")
        .header("x-wc-webhook-topic", topic)
        .header("x-wc-webhook-id", "7")
        .header("x-wc-webhook-delivery-id", delivery)
        .header("x-wc-webhook-source", "http://store.test/")
        .body(body.to_string());
    if let Some(sig) = signature {
        request = request.header("x-wc-webhook-signature", sig);
    }
    app.send(request, "POST", "/webhooks/woocommerce").await
}

#[tokio::test]
async fn ping_signature_and_topic_rules() {
    let app = app().await;
    let ping = app
        .client
        .post(format!("{}/webhooks/woocommerce", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("webhook_id=12");
    assert_eq!(app.send(ping, "POST", "/webhooks/woocommerce").await.status, 200, "the creation ping gets exactly 200");

    let body = r#"{"id":1,"slug":"x"}"#;
    let r = deliver(&app, "product.updated", "d1", body, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), "invalid_signature");
    let r = deliver(&app, "product.updated", "d1", body, Some(sign(body.as_bytes(), "wrong-secret"))).await;
    assert_eq!(r.status, 401);
    // A valid signature over a different body does not carry over.
    let r = deliver(&app, "product.updated", "d1", r#"{"id":2}"#, Some(sign(body.as_bytes(), SECRET))).await;
    assert_eq!(r.status, 401);
    // Garbage that is signed but is not JSON is refused after the check, never a 500.
    let r = deliver(&app, "product.updated", "d2", "not json", Some(sign(b"not json", SECRET))).await;
    assert_eq!(r.status, 422);
    let r = deliver(&app, "action.woocommerce_something", "d3", "{}", Some(sign(b"{}", SECRET))).await;
    assert_eq!(r.status, 204, "unknown topics are acknowledged and ignored");
    let r = deliver(&app, "order.updated", "d4", r#"{"id":5}"#, Some(sign(br#"{"id":5}"#, OLD_SECRET))).await;
    assert_eq!(r.status, 202, "the previous secret is accepted during a rotation");
}

#[tokio::test]
async fn product_events_invalidate_once_even_when_replayed() {
    let app = app().await;
    let list = app.get("/api/v1/products?per_page=2").await.json();
    let id = list["items"][0]["id"].as_u64().unwrap();
    let slug = list["items"][0]["slug"].as_str().unwrap().to_string();
    app.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(app.get(&format!("/api/v1/products/{slug}")).await.header("x-cache"), Some("MISS"));
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("HIT"));

    let body = format!(r#"{{"id":{id},"slug":"{slug}","variations":[]}}"#);
    let sig = sign(body.as_bytes(), SECRET);
    let started = std::time::Instant::now();
    let r = deliver(&app, "product.updated", "delivery-1", &body, Some(sig.clone())).await;
    assert_eq!(r.status, 202);
    assert!(started.elapsed() < Duration::from_millis(500), "answered fast");
    for _ in 0..3 {
        assert_eq!(deliver(&app, "product.updated", "delivery-1", &body, Some(sig.clone())).await.status, 202);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.state.catalogue.cache().run_pending_tasks().await;
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("MISS"), "product dropped");
    assert_eq!(app.get(&format!("/api/v1/products/{slug}")).await.header("x-cache"), Some("MISS"), "slug entry dropped");
    assert_eq!(app.get("/api/v1/products?per_page=2").await.header("x-cache"), Some("MISS"), "lists dropped");

    let metrics = app.metrics().await;
    assert!(metrics.contains("bff_webhooks_received_total 4"), "{metrics}");
    assert!(metrics.contains("bff_webhooks_duplicates_total 3"), "{metrics}");
    assert!(metrics.contains("bff_webhooks_processed_total 1"), "{metrics}");
}

/// The raw body of a captured delivery, cut at its Content-Length.
fn captured(name: &str) -> (String, String, Vec<u8>) {
    let path = woo_fixtures_dir().join(name);
    let text = std::fs::read(&path).unwrap();
    let split = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| text.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .unwrap();
    let head = String::from_utf8_lossy(&text[..split]).to_string();
    let header = |name: &str| head.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string()).unwrap();
    let length: usize = header("Content-Length:").parse().unwrap();
    (header("X-WC-Webhook-Topic:"), header("X-WC-Webhook-Signature:"), text[split..split + length].to_vec())
}

#[tokio::test]
async fn real_captured_deliveries_verify_with_the_capture_secret() {
    let readme = std::fs::read_to_string(woo_fixtures_dir().join("README.md")).unwrap();
    let secret = readme.lines().find(|l| l.starts_with("webhook secret")).and_then(|l| l.split_whitespace().last()).unwrap().to_string();
    note_secret(&secret);
    let app =
        TestApp::with(|c| c.options.webhook_secrets = WebhookSecrets { current: Some(SecretString::from(secret.clone())), previous: None })
            .await;
    for name in ["webhook-delivery-3.http", "webhook-delivery-4.http", "webhook-delivery-5.http"] {
        let (topic, signature, body) = captured(name);
        let request = app
            .client
            .post(format!("{}/webhooks/woocommerce", app.base))
            .header("content-type", "application/json")
            .header("x-wc-webhook-topic", &topic)
            .header("x-wc-webhook-signature", &signature)
            .header("x-wc-webhook-id", "1")
            .header("x-wc-webhook-delivery-id", name)
            .body(body.clone());
        let r = app.send(request, "POST", "/webhooks/woocommerce").await;
        assert_eq!(r.status, 202, "{name} ({topic})");
        let mut tampered = body.clone();
        tampered[2] ^= 1;
        let request = app
            .client
            .post(format!("{}/webhooks/woocommerce", app.base))
            .header("x-wc-webhook-topic", &topic)
            .header("x-wc-webhook-signature", &signature)
            .body(tampered);
        assert_eq!(app.send(request, "POST", "/webhooks/woocommerce").await.status, 401, "{name} tampered");
    }
}

#[tokio::test]
async fn reconciliation_catches_changes_without_webhooks_and_survives_errors() {
    let app = TestApp::spawn().await;
    let list = app.get("/api/v1/products?per_page=3&orderby=title").await.json();
    let product = list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple").expect("a simple product").clone();
    let id = product["id"].as_u64().unwrap();
    let before = app.get(&format!("/api/v1/products/{id}")).await.json();
    let reconciler = &app.state.reconciler;
    // Nothing changed yet: nothing to drop.
    assert_eq!(reconciler.run_once().await.unwrap(), 0);
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("HIT"));

    // The store changes a price and its webhook is lost.
    assert!(app.store.update_product_price(id, 123_400, None));
    // A failing scan keeps its cursor and counts the failure.
    let cursor = reconciler.stats.cursor.load(std::sync::atomic::Ordering::Relaxed);
    app.store.faults().set_fail_status(Some(500));
    assert!(reconciler.run_once().await.is_err());
    assert_eq!(reconciler.stats.cursor.load(std::sync::atomic::Ordering::Relaxed), cursor);
    app.store.faults().clear();

    assert!(reconciler.run_once().await.unwrap() >= 1, "the changed product is found");
    app.state.catalogue.cache().run_pending_tasks().await;
    let after = app.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(after.header("x-cache"), Some("MISS"));
    assert_ne!(after.json()["prices"], before["prices"]);
    assert_eq!(after.json()["prices"]["regular_price"]["amount"], 123_400);
    let metrics = app.metrics().await;
    assert!(metrics.contains("bff_reconcile_failures_total 1"), "{metrics}");
    assert!(metrics.contains("bff_reconcile_lag_seconds"));
}

#[tokio::test]
async fn registration_creates_missing_webhooks_and_reenables_disabled_ones() {
    note_secret(SECRET);
    let app = TestApp::with(|c| {
        c.options.webhook_secrets = WebhookSecrets { current: Some(SecretString::from(SECRET)), previous: None };
        c.options.register_webhooks_url = Some("http://bff.example.test/".into());
    })
    .await;
    let registrar = app.state.ops.registrar.clone().expect("registration configured");
    let url = "http://bff.example.test/webhooks/woocommerce";

    let first = registrar.run_once().await.unwrap();
    assert_eq!(first.len(), 4);
    assert!(first.iter().all(|c| c.found == "missing" && c.action == "created"), "{first:?}");
    let hooks = app.store.webhooks();
    for topic in storefront_bff::webhooks::register::TOPICS {
        assert!(hooks.iter().any(|(t, u, s)| t == topic && u == url && s == "active"), "{topic} registered: {hooks:?}");
    }

    // WooCommerce switches webhooks off after failed deliveries: they come back on.
    app.store.disable_webhooks();
    let second = registrar.run_once().await.unwrap();
    assert!(second.iter().all(|c| c.found == "disabled" && c.action == "reenabled"), "{second:?}");
    assert!(app.store.webhooks().iter().all(|(_, _, s)| s == "active"));
    let ready = app.get("/readyz").await.json();
    assert_eq!(ready["webhooks"].as_array().unwrap().len(), 4, "{ready}");
    assert_eq!(ready["webhooks"][0]["found"], "disabled", "readiness reports what was disabled");

    let third = registrar.run_once().await.unwrap();
    assert!(third.iter().all(|c| c.action == "none"), "nothing to do: {third:?}");
    assert_eq!(app.store.webhooks().len(), 4, "no duplicates");
}

#[tokio::test]
async fn a_real_signed_delivery_from_the_store_makes_the_next_read_fresh() {
    let app = app().await;
    let list = app.get("/api/v1/products?per_page=20&orderby=title").await.json();
    let product = list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple").unwrap().clone();
    let id = product["id"].as_u64().unwrap();
    app.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("HIT"));

    // Forged, missing and tampered deliveries change nothing.
    let body = format!(r#"{{"id":{id},"slug":"x"}}"#);
    for signature in [Some(sign(body.as_bytes(), "forged-secret")), None, Some(sign(b"{\"id\":1}", SECRET))] {
        assert_eq!(deliver(&app, "product.updated", "bad", &body, signature).await.status, 401);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("HIT"), "no invalidation");

    // The store itself delivers a signed product.updated after a price change.
    app.store.set_webhook(Some(format!("{}/webhooks/woocommerce", app.base)), SECRET.to_string());
    assert!(app.store.update_product_price(id, 4_321, None));
    let started = std::time::Instant::now();
    loop {
        let r = app.get(&format!("/api/v1/products/{id}")).await;
        if r.json()["prices"]["regular_price"]["amount"] == 4_321 {
            assert_eq!(r.header("x-cache"), Some("MISS"), "fetched fresh after the webhook");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(3), "the delivery invalidated the product");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(app.store.webhook_deliveries() >= 1);
}

#[tokio::test]
async fn the_reconciliation_loop_picks_up_a_change_within_one_interval() {
    let app = TestApp::spawn().await;
    let list = app.get("/api/v1/products?per_page=20&orderby=title").await.json();
    let id = list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple").unwrap()["id"].as_u64().unwrap();
    app.get(&format!("/api/v1/products/{id}")).await;
    (*app.state.reconciler).clone().spawn(Duration::from_secs(1));
    // WooCommerce's modified dates have one-second resolution.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(app.store.update_product_price(id, 8_765, None));
    let started = std::time::Instant::now();
    loop {
        app.state.catalogue.cache().run_pending_tasks().await;
        if app.get(&format!("/api/v1/products/{id}")).await.json()["prices"]["regular_price"]["amount"] == 8_765 {
            break;
        }
        assert!(started.elapsed() < Duration::from_millis(2500), "picked up within one interval (plus a scan)");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
