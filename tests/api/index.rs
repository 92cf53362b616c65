//! The catalogue index against its oracle. The differential test asks a BFF answering from the
//! index and a BFF passing every query through to the same demo store (which implements the
//! Store API's query semantics from the captures) thousands of random queries, and requires the
//! same status and the same body; a failure prints the query. The other tests cover the
//! index's life: cold start, webhook and scan updates, deletions found by the full walk,
//! hidden products, two instances on Redis, restarts.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::SeedableRng;
use storefront_bff::catalogue::index::IndexSettings;
use storefront_bff::catalogue::Catalogue;

use crate::common::{TestApp, TestConfig};
#[path = "../support/random_queries.rs"]
mod random_queries;
use random_queries::{random_query, vocabulary_from, Vocabulary};

pub fn index_on(config: &mut TestConfig) {
    config.options.index = Some(IndexSettings { full_walk_every: None, concurrency: 4, dir: None, ..IndexSettings::default() });
}

/// Waits until the app's index has finished its first walk.
pub async fn index_ready(app: &TestApp) {
    let catalogue = Arc::<Catalogue>::from_ref(&app.state);
    let index = catalogue.index().expect("the index is on").clone();
    for _ in 0..600 {
        if index.is_ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the index did not finish its walk in 12 s");
}

async fn vocabulary(app: &TestApp) -> Vocabulary {
    let mut attributes = Vec::new();
    for attr in app.get("/api/v1/attributes").await.json()["items"].as_array().unwrap() {
        let terms = app.get(&format!("/api/v1/attributes/{}/terms", attr["id"])).await.json();
        attributes.push((attr["taxonomy"].as_str().unwrap().to_string(), terms));
    }
    vocabulary_from(
        &app.get("/api/v1/categories").await.json(),
        &app.get("/api/v1/tags").await.json(),
        attributes,
        &app.get("/api/v1/products?per_page=100&orderby=title").await.json(),
    )
}

/// Same status, same JSON: the index path and the store path agree.
async fn compare(indexed: &TestApp, passthrough: &TestApp, path: String) -> Option<String> {
    let (a, b) = futures::join!(indexed.get(&path), passthrough.get(&path));
    if a.status != b.status {
        return Some(format!(
            "{path}: status {} from the index, {} from the store\n  index: {}\n  store: {}",
            a.status,
            b.status,
            String::from_utf8_lossy(&a.body),
            String::from_utf8_lossy(&b.body)
        ));
    }
    let (ja, jb): (serde_json::Value, serde_json::Value) = (a.json(), b.json());
    if a.status.is_success() && ja != jb {
        // Bodies run long: show ids and totals when it is a page, else both bodies cut short.
        let brief = |j: &serde_json::Value| match j["items"].as_array() {
            Some(items) => format!("ids {:?} total {}", items.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(), j["total"]),
            None => j.to_string().chars().take(600).collect(),
        };
        return Some(format!("{path}: bodies differ\n  index: {}\n  store: {}", brief(&ja), brief(&jb)));
    }
    if !a.status.is_success() && ja["error"]["code"] != jb["error"]["code"] {
        return Some(format!("{path}: error codes differ\n  index: {ja}\n  store: {jb}"));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_index_answers_what_the_store_answers() {
    let passthrough = TestApp::spawn().await;
    let indexed = passthrough.sibling(index_on).await;
    index_ready(&indexed).await;
    let v = vocabulary(&passthrough).await;
    let mut rng = StdRng::seed_from_u64(std::env::var("INDEX_DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20));
    let mut paths: Vec<String> = Vec::new();
    for _ in 0..3000 {
        paths.push(format!("/api/v1/products?{}", random_query(&mut rng, &v, true)));
    }
    for _ in 0..300 {
        paths.push(format!("/api/v1/facets?{}", random_query(&mut rng, &v, false)));
    }
    for p in passthrough.store.catalogue().products() {
        paths.push(format!("/api/v1/products/{}", p.id));
        paths.push(format!("/api/v1/products/{}", p.slug));
    }
    paths.extend(["/api/v1/products/999999".into(), "/api/v1/products/no-such-product".into()]);
    paths.extend(["/api/v1/categories".into(), "/api/v1/tags".into(), "/api/v1/attributes".into()]);
    for attr in passthrough.get("/api/v1/attributes").await.json()["items"].as_array().unwrap() {
        paths.push(format!("/api/v1/attributes/{}/terms", attr["id"]));
    }
    paths.push("/api/v1/attributes/999999/terms".into());
    let store_calls_before = passthrough.store.total_calls();
    let total = paths.len();
    let failures: Vec<String> = futures::stream::iter(paths)
        .map(|path| compare(&indexed, &passthrough, path))
        .buffer_unordered(8)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} of {total} queries differ (seed INDEX_DIFF_SEED to replay); the first:\n{}",
        failures.len(),
        failures.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(passthrough.store.total_calls() > store_calls_before, "the pass-through side did ask the store");
    let index = Arc::<Catalogue>::from_ref(&indexed.state).index().expect("index").clone();
    let answered = index.stats().answers.load(std::sync::atomic::Ordering::Relaxed);
    assert!(answered as usize >= 3300, "the index answered the lists and facets itself ({answered} answers)");
}

fn index_of(app: &TestApp) -> storefront_bff::catalogue::index::CatalogueIndex {
    Arc::<Catalogue>::from_ref(&app.state).index().expect("the index is on").clone()
}

/// Polls `path` until `done` holds for its JSON (10 s at most).
async fn eventually(app: &TestApp, path: &str, what: &str, done: impl Fn(&serde_json::Value) -> bool) {
    for _ in 0..500 {
        if done(&app.get(path).await.json()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: {path} never changed");
}

fn ids(page: &serde_json::Value) -> Vec<u64> {
    page["items"].as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect()
}

async fn simple_products(app: &TestApp, n: usize) -> Vec<u64> {
    let list = app.get("/api/v1/products?per_page=50&orderby=title").await.json();
    list["items"].as_array().unwrap().iter().filter(|p| p["type"] == "simple").take(n).map(|p| p["id"].as_u64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_answers_through_the_store_until_the_index_is_ready() {
    let passthrough = TestApp::spawn().await;
    // A slow store: the walk takes a few seconds.
    passthrough.store.faults().set_latency(Duration::from_millis(150));
    let indexed = passthrough.sibling(index_on).await;
    let first = indexed.get("/api/v1/products?per_page=5&orderby=title").await;
    assert!(!index_of(&indexed).is_ready(), "still walking");
    assert_eq!(first.status, 200);
    assert_eq!(first.header("x-cache"), Some("MISS"), "answered by the store through the cache");
    let search = indexed.get("/api/v1/search?q=hoodie").await;
    assert_eq!((search.status.as_u16(), search.error_code()), (503, "search_not_ready".to_string()));
    let readyz = indexed.get("/readyz").await.json();
    assert_eq!(readyz["index"]["ready"], false, "{readyz}");
    passthrough.store.faults().clear();
    index_ready(&indexed).await;
    let calls = passthrough.store.total_calls();
    let answer = indexed.get("/api/v1/products?per_page=7&orderby=price&on_sale=true").await;
    assert_eq!((answer.status.as_u16(), answer.header("x-cache")), (200, Some("HIT")), "a never-seen query is an index hit");
    assert_eq!(passthrough.store.total_calls(), calls, "without a store call");
    let again = indexed
        .get_with("/api/v1/products?per_page=7&orderby=price&on_sale=true", &[("if-none-match", answer.header("etag").unwrap())])
        .await;
    assert_eq!(again.status, 304, "its ETag holds while the data does");
    let readyz = indexed.get("/readyz").await.json();
    assert_eq!(readyz["index"]["ready"], true);
    assert!(readyz["index"]["products"].as_u64().unwrap() > 200, "{readyz}");
    assert!(indexed.metrics().await.contains("bff_index_ready 1"));
}

const SECRET: &str = "whsec-index-0123456789abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_and_a_reconciliation_scan_each_update_the_index() {
    crate::common::note_secret(SECRET);
    let passthrough = TestApp::spawn().await;
    let indexed = passthrough
        .sibling(|c| {
            index_on(c);
            c.options.webhook_secrets =
                storefront_bff::webhooks::WebhookSecrets { current: Some(secrecy::SecretString::from(SECRET)), previous: None };
        })
        .await;
    index_ready(&indexed).await;
    let products = simple_products(&indexed, 2).await;
    let (by_webhook, by_scan) = (products[0], products[1]);

    // Repeated URLs are answered from remembered index answers (by the front, without the
    // router), with the same body and ETag; a change must still show through them.
    let cheapest_path = "/api/v1/products?orderby=price&per_page=5";
    let (first, second) = (indexed.get(cheapest_path).await, indexed.get(cheapest_path).await);
    assert_eq!((second.header("x-cache"), second.header("etag")), (Some("HIT"), first.header("etag")));
    assert_eq!(first.json(), second.json());
    assert!(ids(&first.json())[0] != by_webhook, "not yet the cheapest");
    let remembered = indexed.metrics().await;
    assert!(
        remembered.lines().any(|l| l.starts_with("bff_index_answers_bytes ") && !l.ends_with(" 0")),
        "index answers are remembered: {}",
        remembered.lines().find(|l| l.starts_with("bff_index_answers_bytes")).unwrap_or("no metric")
    );

    // The store itself delivers a signed product.updated after a price change.
    indexed.store.set_webhook(Some(format!("{}/webhooks/woocommerce", indexed.base)), SECRET.to_string());
    assert!(indexed.store.update_product_price(by_webhook, 1, None));
    eventually(&indexed, &format!("/api/v1/products/{by_webhook}"), "webhook", |p| p["prices"]["price"]["amount"] == 1).await;
    // Placed where the store now sorts it: first by price, as the store path says.
    let cheapest = indexed.get(cheapest_path).await;
    assert_ne!(cheapest.header("etag"), first.header("etag"), "the remembered answer was dropped with the change");
    let cheapest = cheapest.json();
    assert_eq!(ids(&cheapest)[0], by_webhook);
    assert_eq!(cheapest, passthrough.get(cheapest_path).await.json());

    // Search matches are remembered per query words too; a rename must still show through.
    for _ in 0..250 {
        if indexed.get("/api/v1/search?q=quokka").await.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..2 {
        assert_eq!(indexed.get("/api/v1/search?q=quokka").await.json()["total"], 0, "no quokka yet");
    }
    assert!(indexed.store.update_product_name(by_webhook, "Zanzibar Quokka Tee"));
    eventually(&indexed, "/api/v1/search?q=quokka", "search after a rename", |r| ids_of_hits(r) == [by_webhook]).await;

    // A change whose webhook is lost: the scan finds it.
    indexed.store.disable_webhooks();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(indexed.store.update_product_price(by_scan, 999_999, None));
    indexed.state.reconciler.run_once().await.unwrap();
    eventually(&indexed, "/api/v1/products?orderby=price&order=desc&per_page=1", "scan", |p| ids(p) == [by_scan]).await;
    let applied = || index_of(&indexed).stats().applied.load(std::sync::atomic::Ordering::Relaxed);
    for _ in 0..100 {
        if applied() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(applied() >= 2, "both changes counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_vanishes_without_a_signal_leaves_at_the_full_walk_and_hidden_products_never_list() {
    let app = TestApp::with(index_on).await;
    index_ready(&app).await;
    let products = simple_products(&app, 2).await;
    let (drafted, hidden) = (products[0], products[1]);
    let listed = |page: &serde_json::Value, id: u64| ids(page).contains(&id);
    let all = "/api/v1/products?per_page=100&orderby=title";
    assert!(listed(&app.get(all).await.json(), drafted) && listed(&app.get(all).await.json(), hidden));

    // No webhook, no scan: the index does not know yet.
    assert!(app.store.update_product_status(drafted, storefront_bff::demo_store::ProductStatus::Draft));
    assert!(app.store.update_product_visibility(hidden, storefront_bff::demo_store::Visibility::Hidden));
    assert!(listed(&app.get(all).await.json(), drafted), "no signal yet");
    index_of(&app).request_walk();
    eventually(&app, all, "full walk", |p| !listed(p, drafted) && !listed(p, hidden)).await;
    assert_eq!(app.get(&format!("/api/v1/products/{drafted}")).await.status, 404, "a draft is not found");
    assert_eq!(app.get(&format!("/api/v1/products/{hidden}")).await.status, 200, "a hidden product still has its page, as at the shop");
    let facets = app.get("/api/v1/facets").await.json();
    let in_stock: u64 = facets["stock_status"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(in_stock, app.get(all).await.json()["total"].as_u64().unwrap(), "facets count what lists show");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_redis_both_apply_a_change() {
    crate::common::note_secret(SECRET);
    let redis = crate::common::RedisServer::start().await;
    let secrets = storefront_bff::webhooks::WebhookSecrets { current: Some(secrecy::SecretString::from(SECRET)), previous: None };
    let (conn_a, conn_b) = (
        storefront_bff::redis::Redis::connect(&redis.url).await.unwrap(),
        storefront_bff::redis::Redis::connect(&redis.url).await.unwrap(),
    );
    let s = secrets.clone();
    let a = TestApp::with(move |c| {
        index_on(c);
        c.options.redis = Some(conn_a);
        c.options.webhook_secrets = s;
    })
    .await;
    let b = a
        .sibling(move |c| {
            index_on(c);
            c.options.redis = Some(conn_b);
            c.options.webhook_secrets = secrets;
        })
        .await;
    index_ready(&a).await;
    index_ready(&b).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let id = simple_products(&a, 1).await[0];
    // Delivered to A only; B hears of it over Redis.
    a.store.set_webhook(Some(format!("{}/webhooks/woocommerce", a.base)), SECRET.to_string());
    assert!(a.store.update_product_price(id, 2, None));
    for app in [&a, &b] {
        eventually(app, &format!("/api/v1/products/{id}"), "redis fan-out", |p| p["prices"]["price"]["amount"] == 2).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_index_dir_opens_without_a_walk_and_catches_up() {
    let dir = std::env::temp_dir().join(format!("sfbff-index-{}", uuid::Uuid::new_v4()));
    let with_dir = |dir: std::path::PathBuf| {
        move |c: &mut TestConfig| {
            c.options.index = Some(IndexSettings { full_walk_every: None, concurrency: 4, dir: Some(dir), ..IndexSettings::default() })
        }
    };
    let first = TestApp::with(with_dir(dir.clone())).await;
    index_ready(&first).await;
    for _ in 0..250 {
        if dir.join("catalogue-index.bin").exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(dir.join("catalogue-index.bin").exists(), "the file is written after the walk");
    let before = first.get("/api/v1/products?per_page=100&orderby=title").await.json();
    // A change while no instance runs (its webhook lost): the catch-up finds it.
    let id = simple_products(&first, 1).await[0];
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(first.store.update_product_price(id, 3, None));

    first.store.reset_calls();
    let second = first.sibling(with_dir(dir.clone())).await;
    index_ready(&second).await;
    assert_eq!(index_of(&second).progress().walks.load(std::sync::atomic::Ordering::Relaxed), 0, "opened, not walked");
    eventually(&second, &format!("/api/v1/products/{id}"), "catch-up", |p| p["prices"]["price"]["amount"] == 3).await;
    let after = second.get("/api/v1/products?per_page=100&orderby=title").await.json();
    assert_eq!(ids(&after), ids(&before), "the same catalogue");
    assert!(first.store.calls("products") < 20, "no walk of the store: {:?}", first.store.call_counts());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_forgives_typos_completes_prefixes_filters_and_highlights() {
    let app = TestApp::with(index_on).await;
    index_ready(&app).await;
    for _ in 0..250 {
        if app.get("/api/v1/search?q=hoodie").await.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let exact = app.get("/api/v1/search?q=hoodie").await.json();
    assert!(exact["total"].as_u64().unwrap() > 0, "{exact}");
    let first_name = exact["items"][0]["product"]["name"].as_str().unwrap().to_lowercase();
    assert!(first_name.contains("hoodie"), "a name match ranks first: {first_name}");
    assert!(exact["items"][0]["highlight"]["name_html"].as_str().unwrap().contains("<mark>"));
    // One transposition still finds every product named a hoodie (not the "Hoodies" category's
    // other products: that word is two edits away).
    let typo = app.get("/api/v1/search?q=hoodei&per_page=100").await.json();
    let named: Vec<u64> = app.get("/api/v1/search?q=hoodie&per_page=100").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["product"]["name"].as_str().unwrap().to_lowercase().split_whitespace().any(|w| w == "hoodie"))
        .map(|h| h["product"]["id"].as_u64().unwrap())
        .collect();
    assert!(!named.is_empty());
    assert!(named.iter().all(|id| ids_of_hits(&typo).contains(id)), "typo: {typo}");
    let prefix = app.get("/api/v1/search?q=hood").await.json();
    assert!(prefix["total"].as_u64().unwrap() >= exact["total"].as_u64().unwrap(), "type-ahead: a prefix finds at least as much");
    let filtered = app.get("/api/v1/search?q=hoodie&stock_status=in_stock&per_page=2").await.json();
    assert!(filtered["items"].as_array().unwrap().len() <= 2);
    assert!(filtered["items"].as_array().unwrap().iter().all(|h| h["product"]["stock"]["status"] == "in_stock"));
    let in_stock_facet =
        filtered["facets"]["stock_status"].as_array().unwrap().iter().find(|s| s["status"] == "in_stock").unwrap()["count"].clone();
    assert_eq!(in_stock_facet, filtered["total"], "the facets count the matches");
    assert_eq!(app.get("/api/v1/search").await.error_fields(), ["q"]);
    assert_eq!(app.get("/api/v1/search?q=x&orderby=price").await.error_fields(), ["orderby"]);
    assert_eq!(app.get("/api/v1/search?q=%3Cscript%3E%20AND%20*%3A").await.status, 200, "query syntax is plain text");
}

fn ids_of_hits(results: &serde_json::Value) -> Vec<u64> {
    results["items"].as_array().unwrap().iter().map(|h| h["product"]["id"].as_u64().unwrap()).collect()
}
