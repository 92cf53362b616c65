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
use rand::{Rng, SeedableRng};
use storefront_bff::catalogue::index::IndexSettings;
use storefront_bff::catalogue::Catalogue;

use crate::common::{TestApp, TestConfig};

pub fn index_on(config: &mut TestConfig) {
    config.options.index = Some(IndexSettings { full_walk_every: None, concurrency: 4, dir: None });
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

/// What the random queries draw from: the demo catalogue's own terms, plus unknown ones.
struct Vocabulary {
    categories: Vec<String>,
    tags: Vec<String>,
    attributes: Vec<(String, Vec<String>)>,
    words: Vec<String>,
}

async fn vocabulary(app: &TestApp) -> Vocabulary {
    let ids_and_slugs = |body: serde_json::Value| -> Vec<String> {
        let mut out = vec!["0".to_string(), "999999".into(), "no-such-term".into()];
        for item in body["items"].as_array().unwrap() {
            out.push(item["id"].to_string());
            out.push(item["slug"].as_str().unwrap().to_string());
        }
        out
    };
    let categories = ids_and_slugs(app.get("/api/v1/categories").await.json());
    let tags = ids_and_slugs(app.get("/api/v1/tags").await.json());
    let mut attributes = vec![("pa_nosuch".to_string(), vec!["x".to_string()])];
    for attr in app.get("/api/v1/attributes").await.json()["items"].as_array().unwrap() {
        let terms = app.get(&format!("/api/v1/attributes/{}/terms", attr["id"])).await.json();
        let mut slugs: Vec<String> = terms["items"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap().to_string()).collect();
        slugs.push("no-such-term".into());
        attributes.push((attr["taxonomy"].as_str().unwrap().to_string(), slugs));
    }
    let mut words = vec!["0".to_string(), "zzzz".into(), "a".into()];
    let list = app.get("/api/v1/products?per_page=100&orderby=title").await.json();
    for p in list["items"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        words.extend(name.split_whitespace().map(|w| w.to_string()));
        // Substrings too: the store matches any part of a name or SKU.
        if name.len() > 4 {
            words.push(name[1..4].to_string());
        }
        if let Some(sku) = p["sku"].as_str() {
            words.push(sku.to_string());
        }
    }
    Vocabulary { categories, tags, attributes, words }
}

/// A random query string; `list` adds paging and sorting.
fn random_query(rng: &mut StdRng, v: &Vocabulary, list: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let pick = |rng: &mut StdRng, from: &[String]| from[rng.gen_range(0..from.len())].clone();
    if list {
        if rng.gen_bool(0.5) {
            parts.push(format!("page={}", rng.gen_range(1..=6)));
        }
        if rng.gen_bool(0.6) {
            parts.push(format!("per_page={}", [1, 3, 10, 24, 100][rng.gen_range(0..5)]));
        }
        if rng.gen_bool(0.7) {
            parts.push(format!("orderby={}", ["date", "price", "popularity", "rating", "title", "menu_order"][rng.gen_range(0..6)]));
        }
        if rng.gen_bool(0.5) {
            parts.push(format!("order={}", ["asc", "desc"][rng.gen_range(0..2)]));
        }
    }
    if rng.gen_bool(0.3) {
        let n = rng.gen_range(1..=3);
        let list: Vec<String> = (0..n).map(|_| pick(rng, &v.categories)).collect();
        parts.push(format!("category={}", list.join(",")));
    }
    if rng.gen_bool(0.2) {
        parts.push(format!("tag={}", pick(rng, &v.tags)));
    }
    if rng.gen_bool(0.3) {
        let n = rng.gen_range(1..=2);
        let mut attrs = Vec::new();
        for _ in 0..n {
            let (taxonomy, terms) = &v.attributes[rng.gen_range(0..v.attributes.len())];
            let k = rng.gen_range(1..=2);
            let chosen: Vec<String> = (0..k).map(|_| pick(rng, terms)).collect();
            attrs.push(format!("{taxonomy}:{}", chosen.join(",")));
        }
        parts.push(format!("attributes={}", attrs.join(";")));
    }
    if rng.gen_bool(0.25) {
        parts.push(format!("min_price={}", [0, 500, 1000, 2500, 5000][rng.gen_range(0..5)]));
    }
    if rng.gen_bool(0.25) {
        parts.push(format!("max_price={}", [0, 999, 2000, 4500, 10000][rng.gen_range(0..5)]));
    }
    if rng.gen_bool(0.2) {
        parts.push(format!("on_sale={}", rng.gen_bool(0.5)));
    }
    if rng.gen_bool(0.2) {
        parts.push(format!("stock_status={}", ["in_stock", "out_of_stock", "on_backorder"][rng.gen_range(0..3)]));
    }
    if rng.gen_bool(0.25) {
        let word = pick(rng, &v.words);
        let word = if rng.gen_bool(0.3) { word.to_uppercase() } else { word };
        parts.push(format!("search={}", url::form_urlencoded::byte_serialize(word.as_bytes()).collect::<String>()));
    }
    parts.join("&")
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
