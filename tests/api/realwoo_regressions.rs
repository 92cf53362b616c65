//! The six places where the demo store once misled us (issue 17), each checked through the BFF
//! against the demo store, which now answers as the real WooCommerce does (tests/fixtures/realwoo).
//! `tests/realstore/` checks the same against the real store.

use serde_json::json;
use storefront_bff::demo_store::ProductStatus;

use crate::common::TestApp;

async fn all_ids(app: &TestApp, query: &str) -> (Vec<u64>, u64) {
    let mut ids = Vec::new();
    let mut total = 0;
    for page in 1..=10 {
        let r = app.get(&format!("/api/v1/products?per_page=100&page={page}{query}")).await.json();
        total = r["total"].as_u64().unwrap();
        let batch: Vec<u64> = r["items"].as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
        if batch.is_empty() {
            break;
        }
        ids.extend(batch);
    }
    (ids, total)
}

#[tokio::test]
async fn catalogue_hidden_products_are_not_listed_searched_or_counted() {
    let app = TestApp::spawn().await;
    let hidden = app.store.catalogue().by_slug("hidden-test-product").unwrap().id;
    let (ids, total) = all_ids(&app, "").await;
    assert!(!ids.contains(&hidden));
    assert_eq!(total as usize, ids.len());
    let (found, _) = all_ids(&app, "&search=hidden").await;
    assert!(!found.contains(&hidden), "search");
    assert_eq!(app.get(&format!("/api/v1/products/{hidden}")).await.status, 200, "its own page answers");
    let facets = app.get("/api/v1/facets").await.json();
    let counted: u64 = facets["stock_status"].as_array().unwrap().iter().map(|s| s["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, total, "facets count what the list lists");
}

#[tokio::test]
async fn category_and_tag_filters_by_slug_are_the_filters_by_id() {
    let app = TestApp::spawn().await;
    let cats = app.get("/api/v1/categories").await.json();
    let cat = cats["items"].as_array().unwrap().iter().find(|c| c["product_count"].as_u64().unwrap() > 0).unwrap().clone();
    let by_slug = all_ids(&app, &format!("&category={}", cat["slug"].as_str().unwrap())).await;
    assert!(!by_slug.0.is_empty());
    assert_eq!(by_slug, all_ids(&app, &format!("&category={}", cat["id"])).await);
    let tags = app.get("/api/v1/tags").await.json();
    let tag = tags["items"].as_array().unwrap().iter().find(|c| c["product_count"].as_u64().unwrap() > 0).unwrap().clone();
    let by_slug = all_ids(&app, &format!("&tag={}", tag["slug"].as_str().unwrap())).await;
    assert!(!by_slug.0.is_empty());
    assert_eq!(by_slug, all_ids(&app, &format!("&tag={}", tag["id"])).await);
    assert_eq!(all_ids(&app, "&category=no-such-category").await, (vec![], 0));
}

#[tokio::test]
async fn an_unpublished_product_is_not_served_nor_sold() {
    let app = TestApp::spawn().await;
    let private = app.store.catalogue().by_slug("private-test-product").unwrap();
    assert_eq!(private.status, ProductStatus::Private);
    for path in [format!("/api/v1/products/{}", private.id), format!("/api/v1/products/{}", private.slug)] {
        let r = app.get(&path).await;
        assert_eq!((r.status.as_u16(), r.error_code()), (404, "product_not_found".to_string()), "{path}");
    }
    let shopper = app.app_client().await;
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": private.id, "quantity": 1})).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (404, "product_not_found".to_string()));
    assert!(!String::from_utf8_lossy(&r.body).contains(&private.name), "the refusal does not name it");
}

#[tokio::test]
async fn a_sold_individually_product_added_twice_is_a_422() {
    let app = TestApp::spawn().await;
    let mut single = None;
    for page in 1..=3 {
        let url = format!("{}/wp-json/wc/store/v1/products?per_page=100&page={page}&stock_status=instock", app.store.url());
        let list: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        single =
            single.or_else(|| list.as_array().unwrap().iter().find(|p| p["sold_individually"] == true).map(|p| p["id"].as_u64().unwrap()));
    }
    let single = single.expect("a sold-individually demo product");
    let shopper = app.app_client().await;
    let first = shopper.post("/api/v1/cart/items", json!({"product_id": single, "quantity": 1})).await;
    assert_eq!(first.status, 201, "{}", String::from_utf8_lossy(&first.body));
    let again = shopper.post("/api/v1/cart/items", json!({"product_id": single, "quantity": 1})).await;
    assert_eq!((again.status.as_u16(), again.error_code()), (422, "cart_item_quantity_limit".to_string()));
    let key = first.json()["items"][0]["key"].as_str().unwrap().to_string();
    let patch = shopper.patch(&format!("/api/v1/cart/items/{key}"), json!({"quantity": 2})).await;
    assert_eq!((patch.status.as_u16(), patch.error_code()), (422, "cart_item_quantity_limit".to_string()));
}

#[tokio::test]
async fn the_guest_order_page_names_the_product_and_checks_the_email_in_the_grace_period() {
    let app = TestApp::spawn().await;
    let list = app.get("/api/v1/products?per_page=100&stock_status=in_stock").await.json();
    let product = list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple" && p["purchasable"] == true).unwrap()["id"]
        .as_u64()
        .unwrap();
    let shopper = app.app_client().await;
    assert_eq!(shopper.post("/api/v1/cart/items", json!({"product_id": product, "quantity": 1})).await.status, 201);
    let billing = json!({"first_name": "Alex", "last_name": "Tester", "address_1": "123 Main St", "city": "Los Angeles",
        "state": "CA", "postcode": "90001", "country": "US", "email": "alex.tester@example.test"});
    let placed = shopper.checkout("grace-1", json!({"billing": billing, "payment_method": "cod"})).await.json();
    let (id, key) = (placed["order_id"].as_u64().unwrap(), placed["order_key"].as_str().unwrap());
    let page = app.get(&format!("/api/v1/orders/{id}?key={key}&email=alex.tester@example.test")).await;
    assert_eq!(page.status, 200);
    let line = &page.json()["items"][0];
    assert_eq!((line["product_id"].as_u64(), line["variation_id"].as_u64()), (Some(product), Some(0)), "the product, not the line item");
    // The store accepts any email right after checkout; the BFF does not.
    let wrong = app.get(&format!("/api/v1/orders/{id}?key={key}&email=someone-else@example.test")).await;
    assert_eq!((wrong.status.as_u16(), wrong.error_code()), (404, "order_not_found".to_string()));
    assert!(!String::from_utf8_lossy(&wrong.body).contains("Tester"));
}
