//! Real memory per session record and per cache entry against what their weighers count
//! (run on purpose: `cargo run --release --example measure_memory`; `MODE=cart` or `MODE=plain`
//! for one session shape, else half of each). Prints bytes per entry and the ratio.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};
use storefront_bff::cache::{CacheKey, CacheSettings, Fetched, ResponseCache, RouteClass};
use storefront_bff::session::BoundedMemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

fn rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    s.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 4096
}

#[tokio::main]
async fn main() {
    let n = 100_000u64;
    let store = BoundedMemoryStore::new(Duration::from_secs(3600), 1 << 34);
    let before = rss();
    for i in 0..n {
        let mut data = std::collections::HashMap::new();
        data.insert("created".to_string(), serde_json::Value::Bool(true));
        if std::env::var("MODE").map_or(i % 2 == 0, |m| m == "cart") {
            data.insert(
                "cart".to_string(),
                serde_json::json!({"credentials": {"cart_token": "x".repeat(300), "nonce": "abcdef0123"}, "snapshot": {"lines": []}}),
            );
        }
        let mut r = Record { id: Id::default(), data, expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1) };
        store.create(&mut r).await.unwrap();
    }
    let grew = rss() - before;
    let weighed = store.weighted_size().await;
    println!("sessions: {n}: RSS +{} B/entry, weigher {} B/entry, ratio {:.2}", grew / n, weighed / n, grew as f64 / weighed as f64);

    let cache = ResponseCache::new(CacheSettings { budget_bytes: 1 << 34, ..CacheSettings::default() });
    let before = rss();
    let now = Instant::now();
    for i in 0..n {
        let key = CacheKey::new(RouteClass::List, format!("products?search=q{i:08}&page=1&per_page=12"));
        let body = bytes::Bytes::from(format!(r#"{{"items":[],"page":1,"per_page":12,"total":0,"total_pages":0,"n":{i}}}"#));
        cache.get_or_fetch(key, now, move || async move { Ok(Fetched { body, product_ids: vec![] }) }).await.unwrap();
    }
    cache.run_pending_tasks().await;
    let grew = rss() - before;
    let weighed = cache.weighted_size();
    println!(
        "cache (small bodies, fresh+stale): {n}: RSS +{} B/entry, weigher {} B/entry (fresh + stale weights), ratio {:.2}",
        grew / n,
        weighed / n,
        grew as f64 / weighed as f64
    );
}
