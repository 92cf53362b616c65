//! Every catalogue route answers with our own view types.

use serde_json::Value;

use crate::common::TestApp;

async fn first_of_type(app: &TestApp, kind: &str) -> Value {
    for page in 1..=5 {
        let list = app.get(&format!("/api/v1/products?per_page=100&page={page}")).await.json();
        if let Some(p) = list["items"].as_array().unwrap().iter().find(|p| p["type"] == kind) {
            return p.clone();
        }
    }
    panic!("demo catalogue has no {kind} product");
}

fn assert_money(v: &Value) {
    assert!(v["amount"].is_i64(), "money amount is an integer: {v}");
    assert!(v["currency"].as_str().is_some_and(|c| c.len() == 3), "money has an ISO currency: {v}");
    assert!(v["minor_unit"].is_u64(), "money has minor_unit: {v}");
}

#[tokio::test]
async fn products_list_is_paged_with_our_own_shape() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/products?per_page=5&page=2").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["page"], 2);
    assert_eq!(body["per_page"], 5);
    assert!(body["total"].as_u64().unwrap() >= 200, "demo catalogue has ≥200 products");
    assert_eq!(body["total_pages"].as_u64().unwrap(), body["total"].as_u64().unwrap().div_ceil(5));
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let p = &items[0];
    assert_money(&p["prices"]["price"]);
    assert!(p["stock"]["status"].is_string());
    // Upstream-only fields never leak through.
    for upstream_only in ["price_html", "permalink", "add_to_cart", "extensions", "is_purchasable"] {
        assert!(p.get(upstream_only).is_none(), "{upstream_only} is not part of our view");
    }
    // Names are plain text, not HTML-escaped.
    assert!(!r.body.windows(5).any(|w| w == b"&amp;"), "names are decoded");
}

#[tokio::test]
async fn filters_and_ordering_reach_the_store() {
    let app = TestApp::spawn().await;
    let sorted = app.get("/api/v1/products?orderby=price&order=asc&per_page=50").await.json();
    let prices: Vec<i64> = sorted["items"].as_array().unwrap().iter().map(|p| p["prices"]["price"]["amount"].as_i64().unwrap()).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "ascending by price: {prices:?}");

    let on_sale = app.get("/api/v1/products?on_sale=true&per_page=100").await.json();
    let items = on_sale["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|p| p["on_sale"] == true));

    let out = app.get("/api/v1/products?stock_status=out_of_stock&per_page=100").await.json();
    let items = out["items"].as_array().unwrap();
    assert!(!items.is_empty(), "demo catalogue has out-of-stock products");
    assert!(items.iter().all(|p| p["stock"]["status"] == "out_of_stock"));

    let cheap = app.get("/api/v1/products?max_price=1500&per_page=100").await.json();
    assert!(cheap["items"].as_array().unwrap().iter().all(|p| p["prices"]["price"]["amount"].as_i64().unwrap() <= 1500));
    assert!(cheap["total"].as_u64().unwrap() < sorted["total"].as_u64().unwrap());

    let cats = app.get("/api/v1/categories").await.json();
    let cat = &cats["items"].as_array().unwrap().iter().find(|c| c["product_count"].as_u64().unwrap() > 0).unwrap().clone();
    let by_slug = app.get(&format!("/api/v1/products?category={}&per_page=100", cat["slug"].as_str().unwrap())).await.json();
    let by_id = app.get(&format!("/api/v1/products?category={}&per_page=100", cat["id"])).await.json();
    assert!(by_slug["total"].as_u64().unwrap() > 0);
    assert_eq!(by_slug["total"], by_id["total"]);
    assert!(by_slug["items"].as_array().unwrap().iter().all(|p| p["categories"].as_array().unwrap().iter().any(|c| c["id"] == cat["id"])));

    let first_name = sorted["items"][0]["name"].as_str().unwrap().to_string();
    let word = first_name.split_whitespace().next().unwrap();
    let found = app.get(&format!("/api/v1/products?search={}", urlencode(word))).await.json();
    assert!(found["total"].as_u64().unwrap() >= 1);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn product_by_id_and_by_slug_are_the_same_product() {
    let app = TestApp::spawn().await;
    let variable = first_of_type(&app, "variable").await;
    let id = variable["id"].as_u64().unwrap();
    let by_id = app.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(by_id.status, 200);
    let by_slug = app.get(&format!("/api/v1/products/{}", variable["slug"].as_str().unwrap())).await;
    assert_eq!(by_slug.status, 200);
    assert_eq!(by_id.json(), by_slug.json());
    let detail = by_id.json();
    assert!(!detail["attributes"].as_array().unwrap().is_empty());
    assert!(!detail["variations"].as_array().unwrap().is_empty());
    assert!(detail["variations"][0]["attributes"].as_object().is_some_and(|a| !a.is_empty()));
    assert!(detail["quantity"]["min"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn variations_carry_their_own_prices_and_attributes() {
    let app = TestApp::spawn().await;
    let variable = first_of_type(&app, "variable").await;
    let id = variable["id"].as_u64().unwrap();
    let detail = app.get(&format!("/api/v1/products/{id}")).await.json();
    let r = app.get(&format!("/api/v1/products/{id}/variations")).await;
    assert_eq!(r.status, 200);
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), detail["variations"].as_array().unwrap().len());
    for v in &items {
        assert_money(&v["prices"]["price"]);
        assert!(!v["attributes"].as_object().unwrap().is_empty(), "variation knows its attributes: {v}");
    }
    let simple = first_of_type(&app, "simple").await;
    let none = app.get(&format!("/api/v1/products/{}/variations", simple["id"])).await.json();
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn reviews_taxonomies_and_terms() {
    let app = TestApp::spawn().await;
    let list = app.get("/api/v1/products?orderby=rating&per_page=20").await.json();
    let reviewed =
        list["items"].as_array().unwrap().iter().find(|p| p["rating"]["count"].as_u64().unwrap() > 0).expect("a reviewed product").clone();
    let reviews = app.get(&format!("/api/v1/products/{}/reviews?per_page=5", reviewed["id"])).await;
    assert_eq!(reviews.status, 200);
    let body = reviews.json();
    assert!(body["total"].as_u64().unwrap() >= 1);
    let first = &body["items"][0];
    assert_eq!(first["product_id"], reviewed["id"]);
    assert!((1..=5).contains(&first["rating"].as_u64().unwrap()));

    let cats = app.get("/api/v1/categories").await.json();
    assert!(cats["items"].as_array().unwrap().len() >= 3);
    assert!(cats["items"].as_array().unwrap().iter().any(|c| c["parent_id"].is_u64()), "categories form a tree");
    let tags = app.get("/api/v1/tags").await.json();
    assert!(!tags["items"].as_array().unwrap().is_empty());
    let attrs = app.get("/api/v1/attributes").await.json();
    let attr = attrs["items"].as_array().unwrap().iter().find(|a| a["taxonomy"] == "pa_size").expect("pa_size").clone();
    let terms = app.get(&format!("/api/v1/attributes/{}/terms", attr["id"])).await.json();
    let slugs: Vec<&str> = terms["items"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap()).collect();
    assert!(slugs.contains(&"m"), "size terms: {slugs:?}");
}

#[tokio::test]
async fn facets_count_what_a_filter_would_show() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/facets").await;
    assert_eq!(r.status, 200);
    let f = r.json();
    let range = &f["price_range"];
    assert!(range["min"]["amount"].as_i64().unwrap() <= range["max"]["amount"].as_i64().unwrap());
    let total: u64 = app.get("/api/v1/products?per_page=1").await.json()["total"].as_u64().unwrap();
    let stock_total: u64 = f["stock_status"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(stock_total, total, "stock counts add up to the product total");
    let cat = &f["categories"][0];
    let listed = app.get(&format!("/api/v1/products?category={}&per_page=1", cat["id"])).await.json();
    assert_eq!(listed["total"], cat["count"], "category facet equals the list total");
    let sizes = f["attributes"].as_array().unwrap().iter().find(|a| a["taxonomy"] == "pa_size").expect("size facet").clone();
    assert!(!sizes["terms"].as_array().unwrap().is_empty());

    let narrowed = app.get("/api/v1/facets?on_sale=true").await.json();
    let on_sale_total = app.get("/api/v1/products?on_sale=true&per_page=1").await.json()["total"].as_u64().unwrap();
    let narrowed_total: u64 = narrowed["stock_status"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(narrowed_total, on_sale_total);
}
