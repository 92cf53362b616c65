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
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
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
