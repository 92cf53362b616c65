//! The catalogue cache: HIT/MISS/STALE, 304, coalescing, stale-if-error,
//! 503 with Retry-After, key normalisation and invalidation.

use std::time::Duration;

use crate::common::TestApp;

const LIST_ROUTE: &str = "GET /wp-json/wc/store/v1/products";

#[tokio::test]
async fn miss_then_hit_with_etag_and_cache_control() {
    let app = TestApp::spawn().await;
    let first = app.get("/api/v1/products?per_page=24").await;
    assert_eq!(first.header("x-cache"), Some("MISS"));
    let etag = first.header("etag").expect("etag").to_string();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "strong etag: {etag}");
    let cc = first.header("cache-control").unwrap();
    assert!(cc.starts_with("public, max-age=") && cc.contains("stale-while-revalidate="), "{cc}");
    let second = app.get("/api/v1/products?per_page=24").await;
    assert_eq!(second.header("x-cache"), Some("HIT"));
    assert_eq!(second.header("etag"), Some(etag.as_str()));
    assert_eq!(first.body, second.body);
    assert_eq!(app.store.calls(LIST_ROUTE), 1, "the hit did not reach the store");
    // Hits answer from headers prepared with the entry: its length, and a
    // request id of their own (never the prepared placeholder).
    for r in [&first, &second] {
        assert_eq!(r.header("content-length"), Some(r.body.len().to_string().as_str()));
        assert_eq!(r.header("x-request-id").map(str::len), Some(36), "a UUID");
    }
    assert_ne!(first.header("x-request-id"), second.header("x-request-id"));
    let head = app.send(app.client.head(format!("{}/api/v1/products?per_page=24", app.base)), "HEAD", "/api/v1/products").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(first.body.len().to_string().as_str()));
    assert_eq!(head.header("x-cache"), Some("HIT"));
}

#[tokio::test]
async fn if_none_match_gives_304_without_a_body() {
    let app = TestApp::spawn().await;
    let first = app.get("/api/v1/categories").await;
    let etag = first.header("etag").unwrap().to_string();
    let r = app.get_with("/api/v1/categories", &[("if-none-match", &etag)]).await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert!(r.header("content-length").is_none_or(|l| l == "0"), "no length of a body not sent");
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("x-cache"), Some("HIT"));
    let r = app.get_with("/api/v1/categories", &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn equivalent_queries_share_one_cache_entry() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/products?category=clothing,accessories&per_page=24").await;
    for same in [
        "/api/v1/products?per_page=24&category=accessories,clothing",
        "/api/v1/products?category=Clothing,accessories&page=1&per_page=24&orderby=date&order=desc",
    ] {
        assert_eq!(app.get(same).await.header("x-cache"), Some("HIT"), "{same}");
    }
    assert_eq!(app.store.calls(LIST_ROUTE), 1);
}

#[tokio::test]
async fn concurrent_misses_make_one_upstream_call() {
    let app = TestApp::spawn().await;
    app.store.faults().set_latency(Duration::from_millis(300));
    let requests = (0..200).map(|_| app.get("/api/v1/products?per_page=12&orderby=price"));
    let answers = futures::future::join_all(requests).await;
    assert!(answers.iter().all(|r| r.status == 200));
    assert_eq!(app.store.calls(LIST_ROUTE), 1, "200 concurrent requests, one store call");
    assert_eq!(answers.iter().filter(|r| r.header("x-cache") == Some("MISS")).count(), 1);
}

#[tokio::test]
async fn serves_stale_when_the_store_fails_and_503_when_nothing_is_cached() {
    let app = TestApp::with(|c| {
        c.cache.ttl_list = Duration::from_millis(300);
        c.cache.ttl_product = Duration::from_millis(300);
        c.cache.failure_backoff = Duration::from_millis(50);
    })
    .await;
    let fresh = app.get("/api/v1/products?per_page=6").await;
    assert_eq!(fresh.header("x-cache"), Some("MISS"));
    tokio::time::sleep(Duration::from_millis(400)).await;

    for (name, fault) in [("5xx", 0), ("hang", 1), ("drop", 2), ("html", 3)] {
        let faults = app.store.faults();
        faults.clear();
        match fault {
            0 => faults.set_fail_status(Some(503)),
            1 => faults.set_hang(true),
            2 => faults.set_drop(true),
            _ => faults.set_html_error(true),
        }
        let stale = app.get("/api/v1/products?per_page=6").await;
        assert_eq!(stale.status, 200, "{name}");
        assert_eq!(stale.header("x-cache"), Some("STALE"), "{name}");
        assert_eq!(stale.body, fresh.body, "{name}: the stale copy is the last good one");
        assert!(stale.header("cache-control").unwrap().contains("max-age=0"), "{name}");
        tokio::time::sleep(Duration::from_millis(60)).await;
    }

    // Nothing cached for this key: a clear 503 with Retry-After.
    app.store.faults().clear();
    app.store.faults().set_fail_status(Some(500));
    let none = app.get("/api/v1/products?per_page=7").await;
    assert_eq!(none.status, 503);
    assert_eq!(none.error_code(), "upstream_unavailable");
    assert!(none.header("retry-after").unwrap().parse::<u64>().unwrap() > 0);
    let none = app.get("/api/v1/products/123456").await;
    assert_eq!(none.status, 503);

    // The store comes back: fresh data again.
    app.store.faults().clear();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let back = app.get("/api/v1/products?per_page=6").await;
    assert_eq!(back.header("x-cache"), Some("MISS"));
}

#[tokio::test]
async fn stale_is_bounded_by_the_window() {
    let app = TestApp::with(|c| {
        c.cache.ttl_taxonomy = Duration::from_millis(100);
        c.cache.stale_window = Duration::from_millis(200);
    })
    .await;
    assert_eq!(app.get("/api/v1/tags").await.status, 200);
    tokio::time::sleep(Duration::from_millis(450)).await;
    app.store.faults().set_fail_status(Some(502));
    let r = app.get("/api/v1/tags").await;
    assert_eq!(r.status, 503, "past the stale window nothing is served");
}

#[tokio::test]
async fn invalidation_drops_the_product_and_lists() {
    let app = TestApp::spawn().await;
    let list = app.get("/api/v1/products?per_page=3").await.json();
    let id = list["items"][0]["id"].as_u64().unwrap();
    let slug = list["items"][0]["slug"].as_str().unwrap().to_string();
    app.get(&format!("/api/v1/products/{id}")).await;
    app.get(&format!("/api/v1/products/{slug}")).await;
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("HIT"));
    let cache = app.state.catalogue.cache();
    cache.invalidate_product(id, Some(&slug));
    cache.invalidate_lists();
    cache.run_pending_tasks().await;
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.header("x-cache"), Some("MISS"));
    assert_eq!(app.get(&format!("/api/v1/products/{slug}")).await.header("x-cache"), Some("MISS"));
    assert_eq!(app.get("/api/v1/products?per_page=3").await.header("x-cache"), Some("MISS"));
    assert_eq!(app.get("/api/v1/categories").await.header("x-cache"), Some("MISS"));
    assert_eq!(app.get("/api/v1/categories").await.header("x-cache"), Some("HIT"), "taxonomies survive a product invalidation");
}

#[tokio::test]
async fn the_cache_stays_within_its_byte_budget() {
    let app = TestApp::with(|c| c.cache.budget_bytes = 64 * 1024).await;
    for page in 1..=10 {
        assert_eq!(app.get(&format!("/api/v1/products?per_page=100&page={page}")).await.status, 200);
    }
    let cache = app.state.catalogue.cache();
    cache.run_pending_tasks().await;
    assert!(cache.weighted_size() <= 64 * 1024, "weighted size {} over budget", cache.weighted_size());
}

#[tokio::test]
async fn idempotent_reads_are_retried_on_gateway_errors_but_writes_never() {
    let app = TestApp::spawn().await;
    // One 503, then healthy: the read succeeds on its retry.
    app.store.faults().fail_times(503, 1);
    let r = app.get("/api/v1/products?per_page=4").await;
    assert_eq!(r.status, 200);
    assert_eq!(app.store.calls(LIST_ROUTE), 2, "one failure, one retry");
    // A 500 is not a gateway error: no retry, and nothing cached to fall back on.
    app.store.faults().fail_times(500, 1);
    let r = app.get("/api/v1/products?per_page=5").await;
    assert_eq!(r.status, 503);
    assert_eq!(app.store.calls(LIST_ROUTE), 3);
    // A cart write is never retried, even on a 503.
    let shopper = app.app_client().await;
    let list = app.get("/api/v1/products?per_page=50&stock_status=in_stock").await.json();
    let id = list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple" && p["purchasable"] == true).unwrap()["id"].clone();
    shopper.get("/api/v1/cart").await;
    let before = app.store.calls("POST /wp-json/wc/store/v1/cart/add-item");
    app.store.faults().set_route_filter(Some("add-item".into()));
    app.store.faults().fail_times(503, 1);
    let r = shopper.post("/api/v1/cart/items", serde_json::json!({"product_id": id, "quantity": 1})).await;
    assert_eq!(r.status, 503);
    assert_eq!(app.store.calls("POST /wp-json/wc/store/v1/cart/add-item"), before + 1, "no second attempt");
}

/// Lists live 2 s and refresh in their second half.
fn refresh_ahead(c: &mut crate::common::TestConfig) {
    c.cache.ttl_list = Duration::from_secs(2);
    c.cache.refresh_ahead_percent = 50;
}

/// The store's added latency while a refresh is under way: far above what a hit takes.
const SLOW_STORE: Duration = Duration::from_millis(600);

#[tokio::test]
async fn a_page_read_near_its_expiry_is_refreshed_in_the_background_and_never_misses() {
    let app = TestApp::with(refresh_ahead).await;
    let page = "/api/v1/products?per_page=5";
    let first = app.get(page).await;
    assert_eq!(first.header("x-cache"), Some("MISS"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Past half the TTL: these hits are answered from cache at once, although the store is slow,
    // and between them they start one refresh.
    app.store.faults().set_latency(SLOW_STORE);
    let started = std::time::Instant::now();
    let hits = futures::future::join_all((0..5).map(|_| app.get(page))).await;
    assert!(hits.iter().all(|r| r.header("x-cache") == Some("HIT")), "{:?}", hits.iter().map(|r| r.header("x-cache")).collect::<Vec<_>>());
    assert!(started.elapsed() < SLOW_STORE / 2, "nobody waited for the refresh: {:?}", started.elapsed());
    // Past the first entry's TTL (2 s), the refreshed one answers: still a hit.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.store.calls(LIST_ROUTE), 2, "one refresh for five hits");
    let later = app.get(page).await;
    assert_eq!(later.header("x-cache"), Some("HIT"), "the page never expired into a miss");
    assert_eq!(later.body, first.body);
    assert_eq!(app.store.calls(LIST_ROUTE), 2);
    let metrics = app.metrics().await;
    assert!(metrics.lines().any(|l| l.starts_with("bff_cache_refreshes_total{outcome=\"stored\"}")), "refreshes are counted");
}

#[tokio::test]
async fn a_refresh_that_started_before_an_invalidation_is_not_put_back() {
    let app = TestApp::with(refresh_ahead).await;
    let page = "/api/v1/products?per_page=5";
    assert_eq!(app.get(page).await.header("x-cache"), Some("MISS"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.store.faults().set_latency(SLOW_STORE);
    assert_eq!(app.get(page).await.header("x-cache"), Some("HIT"), "starts a refresh");
    // A webhook drops the lists while the refresh is still waiting for the store.
    let cache = app.state.catalogue.cache();
    cache.invalidate_lists();
    cache.run_pending_tasks().await;
    tokio::time::sleep(SLOW_STORE + Duration::from_millis(300)).await;
    assert_eq!(app.store.calls(LIST_ROUTE), 2, "the refresh did fetch");
    app.store.faults().set_latency(Duration::ZERO);
    assert_eq!(app.get(page).await.header("x-cache"), Some("MISS"), "what it fetched may predate the change: not cached");
}

#[tokio::test]
async fn without_refresh_ahead_a_page_expires_into_a_miss() {
    let app = TestApp::with(|c| {
        refresh_ahead(c);
        c.cache.refresh_ahead_percent = 0;
    })
    .await;
    let page = "/api/v1/products?per_page=5";
    app.get(page).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.get(page).await.header("x-cache"), Some("HIT"));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(app.store.calls(LIST_ROUTE), 1, "no refresh");
    assert_eq!(app.get(page).await.header("x-cache"), Some("MISS"));
}

#[tokio::test]
async fn a_miss_fetched_across_an_invalidation_is_answered_but_not_kept() {
    let app = TestApp::spawn().await;
    let page = "/api/v1/products?per_page=5";
    app.store.faults().set_latency(SLOW_STORE);
    let pending = app.get(page);
    let invalidate = async {
        // While the miss waits for the store, a webhook drops the lists.
        tokio::time::sleep(SLOW_STORE / 3).await;
        let cache = app.state.catalogue.cache();
        cache.invalidate_lists();
        cache.run_pending_tasks().await;
    };
    let (first, ()) = tokio::join!(pending, invalidate);
    assert_eq!((first.status.as_u16(), first.header("x-cache")), (200, Some("MISS")), "the request that asked is answered");
    app.store.faults().set_latency(Duration::ZERO);
    assert_eq!(app.get(page).await.header("x-cache"), Some("MISS"), "what it fetched may predate the change: not cached");
    assert_eq!(app.get(page).await.header("x-cache"), Some("HIT"), "the next fetch is kept");
}

/// Headers of a catalogue answer that must not differ between two answers of one entry
/// (the request id and date do; max-age counts down by the second).
fn comparable(r: &crate::common::TestResponse) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "x-request-id" | "date"))
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or("").to_string();
            let value = if name == "cache-control" {
                value.split(", ").filter(|p| !p.starts_with("max-age=")).collect::<Vec<_>>().join(", ")
            } else {
                value
            };
            (name.to_string(), value)
        })
        .collect();
    headers.sort();
    headers
}

#[tokio::test]
async fn a_url_answered_again_from_the_front_gets_the_routed_answer() {
    let app = TestApp::spawn().await;
    let id = app.get("/api/v1/products?per_page=1").await.json()["items"][0]["id"].as_u64().unwrap();
    let (product, product_spelt) = (format!("/api/v1/products/{id}"), format!("/api/v1/products/{id}?"));
    for (first, spelling, again) in [
        ("/api/v1/products?per_page=7", "/api/v1/products?page=1&per_page=7", "/api/v1/products?per_page=7"),
        (product.as_str(), product_spelt.as_str(), product.as_str()),
        ("/api/v1/categories", "/api/v1/categories?", "/api/v1/categories"),
    ] {
        assert_eq!(app.get(first).await.header("x-cache"), Some("MISS"), "{first}");
        // A new spelling of the same key goes through the router: a HIT there.
        let routed = app.get(spelling).await;
        // The first URL again: a HIT answered before routing (src/catalogue/front.rs).
        let front = app.get(again).await;
        assert_eq!((routed.status.as_u16(), routed.header("x-cache")), (200, Some("HIT")), "{spelling}");
        assert_eq!(front.status, routed.status, "{again}");
        assert_eq!(front.body, routed.body, "{again}");
        assert_eq!(comparable(&front), comparable(&routed), "{again}");
        assert!(front.header("cache-control").is_some_and(|v| v.contains("max-age=")), "{again}");
        let etag = front.header("etag").unwrap().to_string();
        let not_modified = app.get_with(again, &[("if-none-match", &etag)]).await;
        assert_eq!(not_modified.status, 304, "{again}");
    }
    // Two lists (per_page=1, per_page=7) and the product once for all its spellings: a product is
    // read through the list route, which answers only published products.
    assert_eq!(app.store.calls("GET /wp-json/wc/store/v1/products"), 3, "one fetch for all spellings of each");
    assert_eq!(app.store.calls("GET /wp-json/wc/store/v1/products/{id}"), 0);
}

#[tokio::test]
async fn cross_origin_reads_carry_cors_headers_however_they_are_answered() {
    let shop = "https://shop.example";
    let app = TestApp::with(|c| {
        c.policy.cors_origins = vec![shop.to_string()];
        c.options.cors_origins = vec![shop.to_string()];
    })
    .await;
    for expected in ["MISS", "HIT", "HIT"] {
        let r = app.get_with("/api/v1/products?per_page=3", &[("origin", shop)]).await;
        assert_eq!(r.header("x-cache"), Some(expected));
        assert_eq!(r.header("access-control-allow-origin"), Some(shop), "{expected}");
        assert_eq!(r.header("access-control-allow-credentials"), Some("true"));
        let exposed = r.header("access-control-expose-headers").unwrap_or("").to_ascii_lowercase();
        assert!(exposed.contains("etag") && exposed.contains("x-cache"), "{exposed}");
    }
    let other = app.get_with("/api/v1/products?per_page=3", &[("origin", "https://evil.example")]).await;
    assert_eq!(other.status, 200);
    assert!(other.header("access-control-allow-origin").is_none(), "origins not configured are not allowed");
}
