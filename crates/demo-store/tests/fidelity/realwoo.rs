//! The demo store holds to the real store where it once differed (issue 17): each behaviour is a
//! capture from the real WooCommerce 8.9.1 in `tests/fixtures/realwoo/` at the workspace root (made by
//! `scripts/capture-realwoo.sh`), and the demo store must answer the same way.

use std::path::PathBuf;

use demo_store::ProductStatus;
use reqwest::Method;
use serde_json::{json, Value};

use crate::cart_support::{got, start, Got, Shopper, STORE};
use crate::common::{capture_at, Capture};

/// A capture of `tests/fixtures/realwoo/` (at the workspace root): status and JSON body.
fn real(name: &str) -> (u16, Value) {
    let cap = real_capture(name);
    (cap.status, cap.json())
}

fn real_capture(name: &str) -> Capture {
    capture_at(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/realwoo").join(format!("{name}.http")))
}

async fn get(base: &str, path: &str) -> Got {
    got(reqwest::get(format!("{base}{STORE}{path}")).await.unwrap()).await
}

async fn all_ids(base: &str, query: &str) -> Vec<u64> {
    let mut ids = Vec::new();
    for page in 1.. {
        let g = get(base, &format!("/products?per_page=100&page={page}&orderby=id&order=asc{query}")).await;
        let batch: Vec<u64> = g.json.as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
        if batch.is_empty() {
            break;
        }
        ids.extend(batch);
    }
    ids
}

#[tokio::test]
async fn the_list_shows_hidden_products_unless_asked_for_catalog_visibility() {
    let (_, listed) = real("rw-01-products-list-hidden");
    let (_, catalog) = real("rw-02-products-catalog-visibility");
    assert_eq!(listed.as_array().unwrap().len(), catalog.as_array().unwrap().len() + 1, "the capture: one hidden product more");
    let store = start().await;
    let base = store.url();
    let hidden = store.catalogue().by_slug("hidden-test-product").expect("the demo's hidden product").id;
    assert!(all_ids(&base, "").await.contains(&hidden));
    assert!(!all_ids(&base, "&catalog_visibility=catalog").await.contains(&hidden));
    assert!(!all_ids(&base, "&search=hidden&catalog_visibility=search").await.contains(&hidden));
}

#[tokio::test]
async fn category_and_tag_filters_take_ids_only() {
    let (status, body) = real("rw-03-products-category-slug");
    assert_eq!((status, body.clone()), (200, json!([])), "the capture: a slug matches nothing");
    assert_eq!(real_capture("rw-03-products-category-slug").header("x-wp-total"), Some("0"));
    let (_, mixed) = real("rw-04-products-category-id-and-slug");
    assert!(!mixed.as_array().unwrap().is_empty(), "the capture: ID,slug matches the id's products");
    let store = start().await;
    let base = store.url();
    let cats = get(&base, "/products/categories").await;
    let cat = cats.json.as_array().unwrap().iter().find(|c| c["count"].as_u64().unwrap_or(0) > 0).unwrap().clone();
    let slug = get(&base, &format!("/products?category={}", cat["slug"].as_str().unwrap())).await;
    assert_eq!((slug.status, slug.json.clone(), slug.header("x-wp-total").as_deref()), (200, json!([]), Some("0")));
    let by_id = all_ids(&base, &format!("&category={}", cat["id"])).await;
    assert!(!by_id.is_empty());
    assert_eq!(all_ids(&base, &format!("&category={},{}", cat["id"], cat["slug"].as_str().unwrap())).await, by_id);
    let tags = get(&base, "/products/tags").await;
    let tag = tags.json.as_array().unwrap().iter().find(|c| c["count"].as_u64().unwrap_or(0) > 0).unwrap().clone();
    assert_eq!(get(&base, &format!("/products?tag={}", tag["slug"].as_str().unwrap())).await.json, json!([]));
}

#[tokio::test]
async fn the_single_product_route_serves_unpublished_products_and_the_list_does_not() {
    let (by_id, draft) = real("rw-05-product-draft-by-id");
    let (by_slug, _) = real("rw-06-product-draft-by-slug");
    let (_, included) = real("rw-07-products-include-draft");
    assert_eq!((by_id, by_slug, included), (200, 200, json!([])), "the captures");
    assert!(draft["id"].as_u64().is_some());
    let store = start().await;
    let base = store.url();
    let private = store.catalogue().by_slug("private-test-product").expect("the demo's private product");
    assert_eq!(private.status, ProductStatus::Private);
    let g = get(&base, &format!("/products/{}", private.id)).await;
    assert_eq!((g.status, g.json["id"].as_u64()), (200, Some(private.id)));
    assert_eq!(get(&base, &format!("/products/{}", private.slug)).await.status, 200);
    assert_eq!(get(&base, &format!("/products?include={}", private.id)).await.json, json!([]));
    assert_eq!(get(&base, &format!("/products?slug={}", private.slug)).await.json, json!([]));
}

#[tokio::test]
async fn a_sold_individually_line_cannot_be_added_again_or_changed() {
    let (add_status, add) = real("rw-08-cart-add-sold-individually-again");
    let (update_status, update) = real("rw-09-cart-update-sold-individually");
    let store = start().await;
    let list = get(&store.url(), "/products?per_page=100&stock_status=instock").await;
    let single = list.json.as_array().unwrap().iter().find(|p| p["sold_individually"] == true).expect("a sold-individually demo product")
        ["id"]
        .clone();
    let mut shopper = Shopper::new(&store);
    shopper.send(Method::GET, "/cart", None).await;
    let first = shopper.send(Method::POST, "/cart/add-item", Some(json!({"id": single, "quantity": 3}))).await;
    assert_eq!(first.status, 201, "{}", first.json);
    assert_eq!(first.json["items"][0]["quantity"], 1, "added as one, as at the store");
    let again = shopper.send(Method::POST, "/cart/add-item", Some(json!({"id": single, "quantity": 1}))).await;
    assert_eq!((again.status, &again.json["code"], &again.json["message"]), (add_status, &add["code"], &add["message"]));
    let key = first.json["items"][0]["key"].clone();
    for quantity in [1, 2] {
        let g = shopper.send(Method::POST, "/cart/update-item", Some(json!({"key": key, "quantity": quantity}))).await;
        assert_eq!((g.status, &g.json["code"]), (update_status, &update["code"]), "to {quantity}: {}", g.json);
    }
}

#[tokio::test]
async fn guest_orders_list_line_item_ids_and_skip_the_email_check_in_the_grace_period() {
    let (status, order) = real("rw-10-order-wrong-email-in-grace");
    assert_eq!(status, 200, "the capture: a wrong email within the grace period is accepted");
    let line_id = order["items"][0]["id"].as_u64().unwrap();
    let store = start().await;
    let list = get(&store.url(), "/products?type=simple&per_page=100&stock_status=instock").await;
    let product = list.json.as_array().unwrap().iter().find(|p| p["sold_individually"] == false && p["is_purchasable"] == true).unwrap()
        ["id"]
        .as_u64()
        .unwrap();
    let mut shopper = Shopper::new(&store);
    shopper.send(Method::GET, "/cart", None).await;
    shopper.send(Method::POST, "/cart/add-item", Some(json!({"id": product, "quantity": 1}))).await;
    let billing = json!({"first_name": "Alex", "last_name": "Tester", "address_1": "123 Main St", "city": "Los Angeles",
        "state": "CA", "postcode": "90001", "country": "US", "email": "alex.tester@example.test"});
    let placed = shopper.send(Method::POST, "/checkout", Some(json!({"billing_address": billing, "payment_method": "cod"}))).await;
    assert_eq!(placed.status, 200, "{}", placed.json);
    let (id, key) = (placed.json["order_id"].as_u64().unwrap(), placed.json["order_key"].as_str().unwrap().to_string());
    let wrong = get(&store.url(), &format!("/order/{id}?key={key}&billing_email=someone-else@example.test")).await;
    assert_eq!(wrong.status, 200, "{}", wrong.json);
    // items[].id is the order line item, as in the capture (there: line {line_id}), not the product.
    let item = wrong.json["items"][0]["id"].as_u64().unwrap();
    assert_ne!(item, product, "a line item id, not product {product} (the real store: line {line_id})");
    assert!(store.age_order(id, 601));
    let late = get(&store.url(), &format!("/order/{id}?key={key}&billing_email=someone-else@example.test")).await;
    assert_eq!((late.status, late.json["code"].as_str()), (401, Some("woocommerce_rest_invalid_billing_email")));
}
