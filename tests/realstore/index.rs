//! The catalogue index against the real store: a BFF answering from its index and a BFF passing
//! every query through to the real WooCommerce are asked the same random queries (lists with
//! filters, sorts, pages and searches; facets; every product by id and slug; taxonomies) and
//! must give the same answers. The demo store is only as good as its fidelity; this holds the
//! index to WooCommerce itself.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use rand::rngs::StdRng;
use rand::SeedableRng;
use storefront_bff::catalogue::index::IndexSettings;
use storefront_bff::catalogue::Catalogue;

use crate::harness::Bff;
#[path = "../support/random_queries.rs"]
mod random_queries;
use random_queries::{random_query, vocabulary_from};

#[tokio::test]
async fn the_index_answers_what_the_real_store_answers() {
    let passthrough = Bff::spawn().await;
    let indexed =
        Bff::with(|o| o.index = Some(IndexSettings { full_walk_every: None, concurrency: 2, dir: None, ..IndexSettings::default() })).await;
    let index = Arc::<Catalogue>::from_ref(&indexed.state).index().expect("on").clone();
    for _ in 0..1200 {
        if index.is_ready() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(index.is_ready(), "the walk of the real store finished within a minute");

    let mut attributes = Vec::new();
    for attr in passthrough.get("/api/v1/attributes").await.json["items"].as_array().unwrap().clone() {
        let terms = passthrough.get(&format!("/api/v1/attributes/{}/terms", attr["id"])).await.json;
        attributes.push((attr["taxonomy"].as_str().unwrap().to_string(), terms));
    }
    let products = passthrough.get("/api/v1/products?per_page=100&orderby=title").await.json;
    let v = vocabulary_from(
        &passthrough.get("/api/v1/categories").await.json,
        &passthrough.get("/api/v1/tags").await.json,
        attributes,
        &products,
    );
    let mut rng = StdRng::seed_from_u64(17);
    let mut paths: Vec<String> = (0..150).map(|_| format!("/api/v1/products?{}", random_query(&mut rng, &v, true))).collect();
    paths.extend((0..8).map(|_| format!("/api/v1/facets?{}", random_query(&mut rng, &v, false))));
    for p in products["items"].as_array().unwrap() {
        paths.push(format!("/api/v1/products/{}", p["id"]));
        paths.push(format!("/api/v1/products/{}", p["slug"].as_str().unwrap()));
    }
    paths.extend(["/api/v1/categories".into(), "/api/v1/tags".into(), "/api/v1/attributes".into()]);
    let mut failures = Vec::new();
    for path in &paths {
        let (a, b) = (indexed.get(path).await, passthrough.get(path).await);
        let same = a.status == b.status
            && (if a.status.is_success() { a.json == b.json } else { a.json["error"]["code"] == b.json["error"]["code"] });
        if !same {
            let brief = |j: &serde_json::Value| j.to_string().chars().take(400).collect::<String>();
            failures.push(format!("{path}: {} vs {}\n  index: {}\n  store: {}", a.status, b.status, brief(&a.json), brief(&b.json)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ; the first:\n{}",
        failures.len(),
        paths.len(),
        failures.iter().take(4).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(index.stats().answers.load(std::sync::atomic::Ordering::Relaxed) as usize >= paths.len() - 10, "the index answered");
}
