//! Health, readiness, the OpenAPI document and the offline docs page.

use crate::common::TestApp;

#[tokio::test]
async fn health_and_readiness_follow_the_store() {
    let app = TestApp::spawn().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["mode"], "demo");
    assert_eq!(app.get("/readyz").await.status, 200);
    app.store.faults().set_fail_status(Some(500));
    let r = app.get("/readyz").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.error_code(), "upstream_unavailable");
    assert_eq!(app.get("/healthz").await.status, 200, "liveness does not depend on the store");
    app.store.faults().clear();
    assert_eq!(app.get("/readyz").await.status, 200);
}

#[tokio::test]
async fn openapi_is_served_and_the_committed_copy_is_current() {
    let app = TestApp::spawn().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    let served = r.json();
    assert_eq!(served["openapi"], "3.1.0");
    let generated = storefront_bff::routes::openapi_json();
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).expect("openapi/openapi.json is committed");
    assert!(committed == generated, "openapi/openapi.json is stale: run `cargo run -- openapi > openapi/openapi.json` and commit it");
    assert_eq!(served, serde_json::from_str::<serde_json::Value>(&committed).unwrap());
    // Every API operation documents its error answers in the shared shape,
    // including 503 for a store outage.
    for (path, item) in served["paths"].as_object().unwrap() {
        if !path.starts_with("/api/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("503"), "{method} {path} documents 503");
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    // Shared answers (body limit, CSRF, ...) are `components/responses` references.
                    let response = match response["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/responses/")) {
                        Some(name) => &served["components"]["responses"][name],
                        None => response,
                    };
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    // The OAuth token endpoint answers request errors in the RFC 6749 §5.2 shape.
                    if path == "/api/v1/partner/token" && (status == "400" || status == "401") {
                        assert_eq!(schema, "#/components/schemas/OAuthErrorBody", "{method} {path} {status} uses the RFC 6749 shape");
                        continue;
                    }
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status} uses the error shape");
                }
            }
        }
    }
}

#[tokio::test]
async fn docs_page_and_its_assets_come_from_the_binary() {
    let app = TestApp::spawn().await;
    let r = app.get("/docs/").await;
    assert_eq!(r.status, 200);
    let html = String::from_utf8_lossy(&r.body).to_string();
    assert!(html.contains("swagger-ui"), "swagger UI page");
    assert!(!html.contains("cdn.") && !html.contains("unpkg"), "no CDN references");
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-initializer.js"] {
        let r = app.get(&format!("/docs/{asset}")).await;
        assert_eq!(r.status, 200, "{asset} is served");
        assert!(r.body.len() > 100);
    }
    let init = String::from_utf8_lossy(&app.get("/docs/swagger-initializer.js").await.body).to_string();
    assert!(init.contains("/openapi.json"), "docs point at our document");
}

/// Sums a metric's samples whose labels include all of `labels`.
fn metric(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(ref buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
            _ => 0.0,
        })
        .sum()
}

async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let r = app.client.get(format!("{}/metrics", app.metrics_base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("the Prometheus text parser reads /metrics")
}

#[tokio::test]
async fn metrics_parse_and_move_as_expected() {
    let app = TestApp::spawn().await;
    let before = scrape(&app).await;
    app.get("/api/v1/tags").await;
    app.get("/api/v1/tags").await;
    app.get("/api/v1/products/not%20a%20slug").await;
    app.get("/api/v1/categories?page=2").await;
    app.get("/docs/").await;
    app.get("/no/such/path").await;
    let after = scrape(&app).await;
    let moved = |name: &str, labels: &[(&str, &str)]| metric(&after, name, labels) - metric(&before, name, labels);
    assert!(moved("bff_http_requests_total", &[("route", "/api/v1/tags"), ("status", "200")]) >= 2.0);
    assert!(moved("bff_http_requests_total", &[("route", "/api/v1/categories"), ("status", "422")]) >= 1.0);
    let raw = app.metrics().await;
    assert!(raw.contains(r#"route="/api/v1/products/{id}""#), "route templates label requests");
    assert!(!raw.contains("not a slug") && !raw.contains("not%20a%20slug"), "raw paths never become labels");
    // Routes outside the OpenAPI document (the docs UI) have their templates too.
    assert!(moved("bff_http_requests_total", &[("route", "/docs/"), ("status", "200")]) >= 1.0);
    assert!(moved("bff_http_requests_total", &[("route", "unmatched"), ("status", "404")]) >= 1.0);
    assert!(!raw.contains("/no/such/path"), "unknown paths share the label `unmatched`");
    assert!(moved("bff_cache_requests_total", &[("status", "HIT")]) >= 1.0);
    assert!(moved("bff_cache_requests_total", &[("status", "MISS")]) >= 1.0);
    assert!(moved("bff_upstream_requests_total", &[("api", "store_api"), ("route", "tags")]) >= 1.0);
    assert!(after.samples.iter().any(|s| s.metric == "bff_http_request_duration_seconds"), "latency histogram");
    assert!(after.samples.iter().any(|s| s.metric == "bff_upstream_duration_seconds"), "upstream latency histogram");
    assert!(after.samples.iter().any(|s| s.metric == "bff_reconcile_lag_seconds"));
    assert!(after.samples.iter().any(|s| s.metric == "bff_webhooks_rejected_total"));
}

#[test]
fn operation_ids_are_unique() {
    let doc = serde_json::to_value(storefront_bff::routes::openapi()).unwrap();
    let mut ids: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values().filter_map(|op| op["operationId"].as_str().map(str::to_string)))
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "duplicate operationIds confuse generated clients and /docs");
}

/// utoipa names a component after its Rust type, so two `ToSchema` types with
/// one name silently share one schema and one of them is documented wrong
/// (schema fuzzing found `OrderLine` of /me/orders/{id} described as the
/// guest order's line; `OrderTotals` had the same clash).
#[test]
fn schema_type_names_are_unique() {
    let mut names = Vec::new();
    let mut files = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut after_derive = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                after_derive = true;
            } else if after_derive && (line.starts_with("pub struct ") || line.starts_with("pub enum ")) {
                let name = line.split_whitespace().nth(2).unwrap().trim_end_matches(['{', '<', '(', ';']).split('<').next().unwrap();
                names.push((name.to_string(), path.display().to_string()));
                after_derive = false;
            } else if !line.starts_with("#[") && !line.starts_with("///") && !line.is_empty() {
                after_derive = false;
            }
        }
    }
    assert!(names.len() > 40, "found the schema types: {}", names.len());
    names.sort();
    let clashes: Vec<_> = names.windows(2).filter(|w| w[0].0 == w[1].0).collect();
    assert!(clashes.is_empty(), "one OpenAPI component name for two types: {clashes:?}");
}

/// A client inventing HTTP methods must not grow the metrics: they are all "other".
#[tokio::test]
async fn invented_methods_do_not_mint_metric_labels() {
    let app = TestApp::spawn().await;
    for method in ["FROBNICATE", "XYZZY"] {
        let request = app.client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{}/api/v1/products", app.base));
        let r = app.send(request, method, "/api/v1/products").await;
        assert_eq!(r.status, 405);
    }
    let text = app.metrics().await;
    assert!(!text.contains("FROBNICATE") && !text.contains("XYZZY"), "no invented method in /metrics");
    assert!(text.lines().any(|l| l.starts_with("bff_http_requests_total") && l.contains("method=\"other\"")));
}

#[tokio::test]
async fn metrics_are_not_served_on_the_public_listener() {
    let app = TestApp::spawn().await;
    let public = app.get("/metrics").await;
    assert_eq!(public.status, 404, "anonymous clients cannot read /metrics");
    assert_eq!(public.error_code(), "route_not_found");
    assert!(app.metrics().await.contains("bff_cache_bytes"), "the metrics listener serves them");
}
