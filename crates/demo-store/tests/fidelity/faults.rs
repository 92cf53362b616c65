//! Fault switches (latency, error status, hang, drop, HTML page, malformed JSON, route filter), call counters and shutdown.

use crate::common;

use std::time::{Duration, Instant};

use common::start;
use demo_store::DemoStoreConfig;
use serde_json::Value;

const PRODUCTS: &str = "/wp-json/wc/store/v1/products";

/// A fresh client per check, so no pooled connection hides a dropped one.
fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client")
}

#[tokio::test]
async fn latency_and_error_status() {
    let store = start(DemoStoreConfig::default()).await;
    let url = format!("{}{PRODUCTS}", store.url());

    store.faults().set_latency(Duration::from_millis(300));
    let t = Instant::now();
    assert_eq!(client().get(&url).send().await.expect("send").status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300), "latency applied: {:?}", t.elapsed());
    store.faults().set_latency(Duration::ZERO);

    store.faults().set_fail_status(Some(503));
    let resp = client().get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 503);
    let j: Value = resp.json().await.expect("WordPress-style JSON error");
    assert_eq!(j["data"]["status"], 503);
    assert!(j["code"].is_string() && j["message"].is_string());
    store.faults().set_fail_status(Some(500));
    let j: Value = client().get(&url).send().await.expect("send").json().await.expect("json");
    assert_eq!(j["code"], "internal_server_error");
    store.faults().set_fail_status(None);
    assert_eq!(client().get(&url).send().await.expect("send").status(), 200);

    // A limited budget of failures, then recovery (for retry tests).
    store.faults().fail_times(502, 2);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(client().get(&url).send().await.expect("send").status().as_u16());
    }
    assert_eq!(statuses, [502, 502, 200]);
}

#[tokio::test]
async fn hang_times_the_client_out_and_drop_closes_the_connection() {
    let store = start(DemoStoreConfig::default()).await;
    let url = format!("{}{PRODUCTS}", store.url());

    store.faults().set_hang(true);
    let c = reqwest::Client::builder().timeout(Duration::from_millis(300)).pool_max_idle_per_host(0).build().expect("client");
    let err = c.get(&url).send().await.expect_err("a hung request times out");
    assert!(err.is_timeout(), "{err:?}");
    store.faults().set_hang(false);
    assert_eq!(client().get(&url).send().await.expect("send").status(), 200);

    store.faults().set_drop(true);
    let t = Instant::now();
    let err = client().get(&url).send().await.expect_err("a dropped connection is an error");
    assert!(!err.is_timeout() && t.elapsed() < Duration::from_secs(5), "{err:?}");
    assert!(err.status().is_none(), "no HTTP response at all");
    store.faults().set_drop(false);
    assert_eq!(client().get(&url).send().await.expect("send").status(), 200);
}

#[tokio::test]
async fn html_error_page_and_malformed_json() {
    let store = start(DemoStoreConfig::default()).await;
    let url = format!("{}{PRODUCTS}", store.url());

    store.faults().set_html_error(true);
    let resp = client().get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    let text = resp.text().await.expect("body");
    assert!(text.contains("There has been a critical error on this website."));
    assert!(serde_json::from_str::<Value>(&text).is_err());
    store.faults().set_html_error(false);

    store.faults().set_malformed_json(true);
    let resp = client().get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    let text = resp.text().await.expect("body");
    assert!(text.starts_with('[') && serde_json::from_str::<Value>(&text).is_err());
    store.faults().clear();
    let ok: Value = client().get(&url).send().await.expect("send").json().await.expect("valid JSON again");
    assert!(ok.is_array());
}

#[tokio::test]
async fn route_filter_limits_faults() {
    let store = start(DemoStoreConfig::default()).await;
    store.faults().set_route_filter(Some("/products/categories".into()));
    store.faults().set_fail_status(Some(500));
    let get = |p: &str| client().get(format!("{}{p}", store.url())).send();
    assert_eq!(get(PRODUCTS).await.expect("send").status(), 200);
    assert_eq!(get("/wp-json/wc/store/v1/products/categories").await.expect("send").status(), 500);
    store.faults().clear();
    assert_eq!(get("/wp-json/wc/store/v1/products/categories").await.expect("send").status(), 200);
}

#[tokio::test]
async fn calls_are_counted_per_route_pattern() {
    let store = start(DemoStoreConfig::default()).await;
    let c = client();
    let base = store.url();
    let tee = store.catalogue().by_slug("classic-t-shirt").expect("tee");
    for _ in 0..3 {
        c.get(format!("{base}{PRODUCTS}?per_page=2")).send().await.expect("send");
    }
    c.get(format!("{base}{PRODUCTS}/{}", tee.id)).send().await.expect("send");
    c.get(format!("{base}{PRODUCTS}/999999")).send().await.expect("send");
    c.get(format!("{base}{PRODUCTS}/classic-t-shirt")).send().await.expect("send");
    c.get(format!("{base}/wp-json/wc/store/v1/cart/nope")).send().await.expect("send");
    c.get(format!("{base}/wp-json/wc/v3/products")).send().await.expect("send");
    assert_eq!(store.calls("GET /wp-json/wc/store/v1/products"), 3);
    assert_eq!(store.calls("GET /wp-json/wc/store/v1/products/{id}"), 2);
    assert_eq!(store.calls("GET /wp-json/wc/store/v1/products/{slug}"), 1);
    assert_eq!(store.calls("GET (no route)"), 1);
    assert_eq!(store.calls("GET /wp-json/wc/v3/products"), 1);
    assert_eq!(store.total_calls(), 8);

    // Faulted requests are counted too (they reached the store).
    store.faults().set_fail_status(Some(500));
    c.get(format!("{base}{PRODUCTS}")).send().await.expect("send");
    store.faults().clear();
    assert_eq!(store.calls("GET /wp-json/wc/store/v1/products"), 4);

    store.reset_calls();
    assert_eq!(store.total_calls(), 0);
    assert_eq!(store.calls("GET /wp-json/wc/store/v1/products"), 0);
}

#[tokio::test]
async fn shutdown_stops_the_server_and_releases_hung_requests() {
    let store = start(DemoStoreConfig::default()).await;
    let url = format!("{}{PRODUCTS}", store.url());
    store.faults().set_hang(true);
    let hung = tokio::spawn({
        let url = url.clone();
        async move { client().get(url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    store.shutdown();
    tokio::time::timeout(Duration::from_secs(5), store.stopped()).await.expect("server stops");
    let outcome = tokio::time::timeout(Duration::from_secs(5), hung).await.expect("hung request released").expect("task");
    assert!(outcome.is_err(), "a hung request is closed, never answered");
    assert!(client().get(&url).send().await.is_err(), "nothing listens any more");
}
