//! Catalogue behaviour: paging headers and links, parameter bounds, filters and ordering, collection data, reviews, mutations, determinism and scale.

use crate::common;

use common::{capture, rw_key, start};
use demo_store::{DemoStore, DemoStoreConfig, DemoStoreHandle, ProductStatus, ProductType, StockStatus};
use reqwest::header::HeaderMap;
use serde_json::Value;

const STORE: &str = "/wp-json/wc/store/v1";

async fn get(store: &DemoStoreHandle, path: &str) -> (u16, HeaderMap, Value) {
    let resp = reqwest::get(format!("{}{STORE}{path}", store.url())).await.expect("send");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let json = resp.json().await.unwrap_or(Value::Null);
    (status, headers, json)
}

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

fn items(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn price(item: &Value) -> u64 {
    item["prices"]["price"].as_str().and_then(|p| p.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn paging_headers_and_links() {
    let store = start(DemoStoreConfig::default()).await;
    let published = store.catalogue().products().iter().filter(|p| p.status == ProductStatus::Publish).count();
    let (status, h, body) = get(&store, "/products?per_page=7").await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "x-wp-total"), published.to_string());
    assert_eq!(header(&h, "x-wp-totalpages"), published.div_ceil(7).to_string());
    assert_eq!(items(&body).len(), 7);
    assert_eq!(header(&h, "link"), format!("<{}{STORE}/products?per_page=7&page=2>; rel=\"next\"", store.url()));

    // From page 2 on, WordPress's link base is esc_url'd: the `&#038;` quirk of the capture.
    let (_, h, _) = get(&store, "/products?per_page=7&page=2").await;
    let base = format!("{}{STORE}/products", store.url());
    assert_eq!(
        header(&h, "link"),
        format!("<{base}?per_page=7&page=1#038;page=2>; rel=\"prev\", <{base}?per_page=7&page=3#038;page=2>; rel=\"next\"")
    );
    let last = published.div_ceil(7);
    let (_, h, body) = get(&store, &format!("/products?per_page=7&page={last}")).await;
    assert!(!header(&h, "link").contains("rel=\"next\""));
    assert_eq!(items(&body).len(), published - (last - 1) * 7);

    // Past the end: empty page, right totals, prev points at the last page (store-15).
    let (status, h, body) = get(&store, "/products?per_page=7&page=999").await;
    assert_eq!((status, items(&body).len()), (200, 0));
    assert_eq!(header(&h, "x-wp-total"), published.to_string());
    assert!(header(&h, "link").contains(&format!("page={last}#038;page=999>; rel=\"prev\"")));

    // Walking every page returns every product exactly once.
    let mut seen = Vec::new();
    for page in 1..=published.div_ceil(100) {
        let (_, _, body) = get(&store, &format!("/products?per_page=100&page={page}")).await;
        seen.extend(items(&body).iter().map(|p| p["id"].as_u64().unwrap_or(0)));
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), published);

    let (_, h, body) = get(&store, "/products?per_page=0").await;
    assert_eq!((items(&body).len(), header(&h, "x-wp-totalpages")), (published, "1".to_string()), "per_page=0 means all");
    assert_eq!(get(&store, "/products").await.2.as_array().map(Vec::len), Some(10), "default per_page");
}

#[tokio::test]
async fn parameter_bounds_answer_like_wordpress() {
    let store = start(DemoStoreConfig::default()).await;
    assert_eq!(get(&store, "/products?per_page=100").await.0, 200);
    let (status, _, body) = get(&store, "/products?per_page=101").await;
    let expected = capture("store-16-products-bad-param.http").json();
    assert_eq!(status, 400);
    assert_eq!(body["code"], expected["code"]);
    assert_eq!(body["data"]["details"]["per_page"]["code"], "rest_out_of_bounds");
    let (status, _, body) = get(&store, "/products?per_page=500").await;
    assert_eq!((status, &body), (400, &expected), "identical to the capture");
    let (status, _, body) = get(&store, "/products?page=0&orderby=nope&per_page=abc").await;
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Invalid parameter(s): page, per_page, orderby");
    assert_eq!(body["data"]["params"]["per_page"], "per_page is not of type integer.");
    assert_eq!(body["data"]["params"]["page"], "page must be greater than or equal to 1");
    assert!(body["data"]["params"]["orderby"].as_str().unwrap_or("").starts_with("orderby is not one of date, modified, id,"));
    let (status, _, body) = get(&store, "/products?stock_status[]=lost").await;
    assert_eq!(
        (status, body["data"]["params"]["stock_status"].as_str()),
        (400, Some("stock_status[0] is not one of instock, outofstock, and onbackorder."))
    );
    let (status, _, body) = get(&store, "/products/no-such-product").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("woocommerce_rest_product_invalid_slug")));
    let resp = reqwest::Client::new().post(format!("{}{STORE}/products", store.url())).send().await.expect("send");
    assert_eq!(resp.status(), 404, "wrong method is rest_no_route, as captured");
    assert!(resp.headers().get("allow").is_none());
}

#[tokio::test]
async fn filters_and_ordering() {
    let store = start(DemoStoreConfig::default()).await;
    let cat = store.catalogue();
    let clothing = cat.categories().into_iter().find(|c| c.slug == "clothing").expect("clothing");
    let family: Vec<u64> = cat.categories().iter().filter(|c| c.id == clothing.id || c.parent == clothing.id).map(|c| c.id).collect();

    // Category by id includes child categories (T-Shirts, Hoodies); a slug matches nothing, as
    // at the real store (tests/fixtures/realwoo/rw-03-products-category-slug.http).
    let (_, h, by_id) = get(&store, &format!("/products?category={}&per_page=100", clothing.id)).await;
    let (_, slug_h, by_slug) = get(&store, "/products?category=clothing&per_page=100").await;
    assert_eq!((items(&by_slug).len(), header(&slug_h, "x-wp-total")), (0, "0".to_string()));
    let expected =
        cat.products().iter().filter(|p| p.status == ProductStatus::Publish && p.category_ids.iter().any(|c| family.contains(c))).count();
    assert_eq!(header(&h, "x-wp-total"), expected.to_string());
    assert!(items(&by_id).iter().any(|p| p["categories"].as_array().is_some_and(|c| c.iter().all(|c| c["slug"] == "t-shirts"))));

    let (_, _, on_sale) = get(&store, "/products?on_sale=true&per_page=100").await;
    assert!(!items(&on_sale).is_empty() && items(&on_sale).iter().all(|p| p["on_sale"] == true));
    let (_, _, not_on_sale) = get(&store, "/products?on_sale=false&per_page=100").await;
    assert!(items(&not_on_sale).iter().all(|p| p["on_sale"] == false));

    let (_, _, out) = get(&store, "/products?stock_status=outofstock&per_page=100").await;
    assert!(!items(&out).is_empty() && items(&out).iter().all(|p| p["is_in_stock"] == false));
    let (_, _, mixed) = get(&store, "/products?stock_status[]=onbackorder&stock_status[]=outofstock&per_page=100").await;
    assert!(items(&mixed).len() > items(&out).len());
    assert!(items(&mixed).iter().all(|p| p["is_in_stock"] == false || p["is_on_backorder"] == true));

    // Price filters are in minor units: max price >= min_price and min price <= max_price.
    let (_, _, ranged) = get(&store, "/products?min_price=2000&max_price=3000&per_page=100").await;
    assert!(!items(&ranged).is_empty());
    for p in items(&ranged) {
        let lo = price(&p);
        let hi = p["prices"]["price_range"]["max_amount"].as_str().and_then(|x| x.parse().ok()).unwrap_or(lo);
        assert!(hi >= 2000 && lo <= 3000, "{} outside 20.00..30.00", p["id"]);
    }

    let (_, _, found) = get(&store, "/products?search=tee&per_page=100").await;
    assert!(!items(&found).is_empty());
    for p in items(&found) {
        let hay = format!("{} {}", p["name"], p["sku"]).to_lowercase();
        assert!(hay.contains("tee"), "{hay}");
    }

    let (_, _, cheap_first) = get(&store, "/products?orderby=price&order=asc&per_page=100").await;
    let prices: Vec<u64> = items(&cheap_first).iter().map(price).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
    let (_, _, by_title) = get(&store, "/products?orderby=title&order=asc&per_page=50").await;
    let names: Vec<String> = items(&by_title).iter().map(|p| p["name"].as_str().unwrap_or("").to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]));
    let (_, _, newest) = get(&store, "/products?per_page=20").await;
    let ids: Vec<u64> = items(&newest).iter().map(|p| p["id"].as_u64().unwrap_or(0)).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "default order is newest first");

    let (_, _, red) = get(&store, "/products?attributes[0][attribute]=pa_color&attributes[0][slug][]=red&per_page=100").await;
    assert!(!items(&red).is_empty());
    for p in items(&red) {
        let terms = p["attributes"].as_array().cloned().unwrap_or_default();
        assert!(terms
            .iter()
            .any(|a| a["taxonomy"] == "pa_color" && a["terms"].as_array().is_some_and(|t| t.iter().any(|t| t["slug"] == "red"))));
    }

    let variable = cat.by_slug("classic-t-shirt").expect("tee");
    let variation = cat.variations_of(variable.id).remove(0);
    let (_, _, by_sku) = get(&store, &format!("/products?sku={},{}", variation.sku, "DS-HK-001")).await;
    let skus: Vec<&str> = items(&by_sku)
        .iter()
        .filter_map(|p| p["sku"].as_str())
        .map(|s| if s == variation.sku { "variation" } else { "mug" })
        .collect::<Vec<_>>();
    assert_eq!(skus.len(), 2, "SKU filter matches variations too");
    let (_, _, variables) = get(&store, "/products?type=variable&per_page=100").await;
    assert!(items(&variables).iter().all(|p| p["type"] == "variable"));
    let (_, _, inc) = get(&store, &format!("/products?include={},{}&orderby=include", variable.id, variation.id)).await;
    assert_eq!(items(&inc).len(), 1, "include only lists products, not variations, by default");
}

#[tokio::test]
async fn collection_data_reports_ranges_and_counts() {
    let store = start(DemoStoreConfig::default()).await;
    let q = "/products/collection-data?calculate_price_range=true&calculate_attribute_counts[0][taxonomy]=pa_color&calculate_attribute_counts[0][query_type]=or&calculate_stock_status_counts=true&calculate_rating_counts=true";
    let (status, _, j) = get(&store, q).await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = j.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(keys.len(), 4);
    for k in ["price_range", "attribute_counts", "rating_counts", "stock_status_counts"] {
        assert!(keys.contains(&k));
    }
    let pr = &j["price_range"];
    for k in [
        "min_price",
        "max_price",
        "currency_code",
        "currency_symbol",
        "currency_minor_unit",
        "currency_decimal_separator",
        "currency_thousand_separator",
        "currency_prefix",
        "currency_suffix",
    ] {
        assert!(pr.get(k).is_some(), "price_range.{k}");
    }
    let min: u64 = pr["min_price"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
    let max: u64 = pr["max_price"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!(min > 0 && max > min);
    let statuses: Vec<&str> =
        j["stock_status_counts"].as_array().map(|a| a.iter().filter_map(|s| s["status"].as_str()).collect()).unwrap_or_default();
    assert_eq!(statuses, ["instock", "outofstock", "onbackorder"]);
    assert!(j["attribute_counts"].as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|t| t["term"].is_u64() && t["count"].is_u64())));
    assert!(j["rating_counts"].as_array().is_some_and(|a| a.iter().all(|r| (1..=5).contains(&r["rating"].as_u64().unwrap_or(0)))));

    // Filters narrow the counts; nothing requested means nulls.
    let books = store.catalogue().categories().into_iter().find(|c| c.slug == "books").expect("books").id;
    let (_, _, filtered) = get(&store, &format!("/products/collection-data?calculate_stock_status_counts=true&category={books}")).await;
    let total = |v: &Value| -> u64 {
        v["stock_status_counts"].as_array().map(|a| a.iter().filter_map(|s| s["count"].as_str()?.parse::<u64>().ok()).sum()).unwrap_or(0)
    };
    assert!(total(&filtered) > 0 && total(&filtered) < total(&j));
    let (_, _, none) = get(&store, "/products/collection-data").await;
    assert!(none["price_range"].is_null() && none["attribute_counts"].is_null() && none["stock_status_counts"].is_null());
}

#[tokio::test]
async fn reviews_and_terms() {
    let store = start(DemoStoreConfig::default()).await;
    let white = store.catalogue().by_sku("DS-TS-001").expect("white tee");
    let (status, h, j) = get(&store, &format!("/products/reviews?product_id={}", white.id)).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "x-wp-total"), white.review_count.to_string());
    let keys = [
        "id",
        "date_created",
        "formatted_date_created",
        "date_created_gmt",
        "product_id",
        "product_name",
        "product_permalink",
        "product_image",
        "reviewer",
        "review",
        "rating",
        "verified",
        "reviewer_avatar_urls",
    ];
    for r in items(&j) {
        let got: Vec<&str> = r.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
        assert_eq!(got.len(), keys.len());
        assert!(keys.iter().all(|k| got.contains(k)));
        assert_eq!(r["product_id"].as_u64(), Some(white.id));
    }
    let (_, h, j) = get(&store, "/products/reviews?per_page=5").await;
    assert_eq!(items(&j).len(), 5);
    assert!(header(&h, "link").contains("rel=\"next\""));

    let (_, _, cats) = get(&store, "/products/categories").await;
    assert!(items(&cats).iter().all(|c| c["count"].as_u64().unwrap_or(0) > 0), "empty categories are hidden");
    assert!(!items(&cats).iter().any(|c| c["slug"] == "uncategorized"));
    let (status, _, terms) = get(&store, "/products/attributes/2/terms").await;
    assert_eq!(status, 200);
    assert!(items(&terms).iter().any(|t| t["slug"] == "red"));
    let (status, _, missing) = get(&store, "/products/attributes/99/terms").await;
    assert_eq!((status, missing["code"].as_str()), (404, Some("woocommerce_rest_taxonomy_invalid")));
}

#[tokio::test]
async fn mutations_bump_date_modified_and_show_everywhere() {
    let rw = rw_key();
    let store = start(DemoStoreConfig { keys: vec![rw.clone()], assume_https: true, ..Default::default() }).await;
    let mug = store.catalogue().by_sku("DS-HK-001").expect("mug");
    let (_, h, _) = get(&store, "/products").await;
    let last_before: i64 = header(&h, "last-modified").parse().unwrap_or(0);

    assert!(store.update_product_price(mug.id, 1999, Some(1499)));
    let after = store.catalogue().get(mug.id).expect("mug");
    assert!(after.date_modified > mug.date_modified);
    assert_eq!((after.price, after.on_sale), (Some(1499), true));
    let (_, _, j) = get(&store, &format!("/products/{}", mug.id)).await;
    assert_eq!(
        (j["prices"]["price"].as_str(), j["prices"]["regular_price"].as_str(), j["on_sale"].as_bool()),
        (Some("1499"), Some("1999"), Some(true))
    );
    let (_, h, _) = get(&store, "/products").await;
    assert!(header(&h, "last-modified").parse::<i64>().unwrap_or(0) > last_before);

    // REST v3 sees the change; modified_after finds exactly what changed.
    let since = storefront_bff_iso(last_before);
    let v3 = reqwest::Client::new()
        .get(format!("{}/wp-json/wc/v3/products?modified_after={since}&per_page=100", store.url()))
        .basic_auth(&rw.consumer_key, Some(&rw.consumer_secret))
        .send()
        .await
        .expect("send");
    let changed: Value = v3.json().await.expect("json");
    let ids: Vec<u64> = items(&changed).iter().filter_map(|p| p["id"].as_u64()).collect();
    assert!(ids.contains(&mug.id), "{ids:?}");
    let row = items(&changed).into_iter().find(|p| p["id"].as_u64() == Some(mug.id)).expect("mug row");
    assert_eq!(
        (row["price"].as_str(), row["regular_price"].as_str(), row["sale_price"].as_str()),
        (Some("14.99"), Some("19.99"), Some("14.99"))
    );
    assert_ne!(row["date_modified"], row["date_created"]);

    // Stock: managing a quantity of zero makes it out of stock; a variation change touches its parent.
    assert!(store.update_stock_quantity(mug.id, 0));
    assert_eq!(store.catalogue().get(mug.id).expect("mug").stock_status, StockStatus::OutOfStock);
    let tee = store.catalogue().by_slug("classic-t-shirt").expect("tee");
    let var = store.catalogue().variations_of(tee.id).remove(0);
    assert!(store.update_stock_status(var.id, StockStatus::OnBackorder));
    assert!(store.catalogue().get(tee.id).expect("tee").date_modified > tee.date_modified);
    assert!(!store.update_product_price(tee.id, 100, None), "variable prices come from variations");
    assert!(!store.update_product_price(999_999, 100, None));
    assert!(store.update_product_name(mug.id, "Renamed Mug"));
    assert_eq!(store.catalogue().by_slug(&mug.slug).expect("slug kept").name, "Renamed Mug");
}

/// `2025-06-02T08:00:00` for a unix time (the store runs on UTC).
fn storefront_bff_iso(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[test]
fn catalogue_is_deterministic_and_varied() {
    let a = DemoStore::new(DemoStoreConfig::default(), "http://a.test").catalogue().products();
    let b = DemoStore::new(DemoStoreConfig::default(), "http://b.test").catalogue().products();
    assert_eq!(a, b, "same seed, same catalogue");
    let c = DemoStore::new(DemoStoreConfig { seed: 2, ..Default::default() }, "http://c.test").catalogue().products();
    assert_ne!(a, c);
    assert_eq!(a.len(), 240);
    for kind in [ProductType::Simple, ProductType::Variable, ProductType::Grouped, ProductType::External] {
        assert!(a.iter().any(|p| p.kind == kind), "{kind:?} present");
    }
    for s in [StockStatus::InStock, StockStatus::OutOfStock, StockStatus::OnBackorder] {
        assert!(a.iter().any(|p| p.stock_status == s), "{s:?} present");
    }
    assert!(a.iter().any(|p| p.on_sale) && a.iter().any(|p| p.review_count > 0));
    assert!(a.iter().any(|p| p.stock_quantity.is_some_and(|q| (1..=2).contains(&q))), "low stock present");
    let mut slugs: Vec<&str> = a.iter().map(|p| p.slug.as_str()).collect();
    slugs.sort_unstable();
    slugs.dedup();
    assert_eq!(slugs.len(), a.len(), "slugs are unique");
}

#[test]
fn a_hundred_thousand_products_build() {
    let store = DemoStore::new(DemoStoreConfig { products: 100_000, ..Default::default() }, "http://big.test");
    let cat = store.catalogue();
    assert_eq!(cat.len(), 100_000);
    assert!(cat.variation_count() > 10_000);
    assert!(cat.by_sku("DS-TS-001").is_some());
}

#[tokio::test]
async fn rest_sku_lookup_includes_variations() {
    let rw = rw_key();
    let store = start(DemoStoreConfig { keys: vec![rw.clone()], assume_https: true, ..Default::default() }).await;
    let tee = store.catalogue().by_slug("classic-t-shirt").expect("tee");
    let var = store.catalogue().variations_of(tee.id).remove(1);
    let c = reqwest::Client::new();
    let v3 = |path: String| c.get(format!("{}/wp-json/wc/v3{path}", store.url())).basic_auth(&rw.consumer_key, Some(&rw.consumer_secret));
    let rows: Value = v3(format!("/products?sku={},DS-HK-001", var.sku)).send().await.expect("send").json().await.expect("json");
    let kinds: Vec<(String, u64)> =
        items(&rows).iter().map(|p| (p["type"].as_str().unwrap_or("").to_string(), p["parent_id"].as_u64().unwrap_or(9))).collect();
    assert!(
        kinds.contains(&("variation".to_string(), tee.id)) && kinds.contains(&("simple".to_string(), 0)),
        "variations match a SKU filter too: {kinds:?}"
    );
    let one: Value = v3(format!("/products/{}", var.id)).send().await.expect("send").json().await.expect("json");
    assert_eq!(
        (one["type"].as_str(), one["parent_id"].as_u64(), one["sku"].as_str()),
        (Some("variation"), Some(tee.id), Some(var.sku.as_str()))
    );
    let resp = c
        .put(format!("{}/wp-json/wc/v3/products/{}/variations/{}", store.url(), tee.id, var.id))
        .basic_auth(&rw.consumer_key, Some(&rw.consumer_secret))
        .json(&serde_json::json!({"stock_quantity": 0, "manage_stock": true}))
        .send()
        .await
        .expect("send");
    let updated: Value = resp.json().await.expect("json");
    assert_eq!((updated["stock_status"].as_str(), updated["stock_quantity"].as_i64()), (Some("outofstock"), Some(0)));
    let bad = c
        .put(format!("{}/wp-json/wc/v3/products/{}", store.url(), tee.id))
        .basic_auth(&rw.consumer_key, Some(&rw.consumer_secret))
        .json(&serde_json::json!({"regular_price": 12}))
        .send()
        .await
        .expect("send");
    assert_eq!(bad.status(), 400);
    let err: Value = bad.json().await.expect("json");
    assert_eq!(err["data"]["params"]["regular_price"], "regular_price is not of type string.");
}

/// Odd input gets WordPress's answers (4xx or ignored), never a crash.
#[tokio::test]
async fn odd_input_is_handled() {
    let rw = rw_key();
    let store = start(DemoStoreConfig { keys: vec![rw.clone()], assume_https: true, ..Default::default() }).await;
    let long = "x".repeat(20_000);
    let queries = [
        "/products?per_page=1e400".to_string(),
        "/products?page=99999999999999999999".into(),
        "/products?page=9223372036854775807&per_page=100".into(),
        "/products?attributes=foo".into(),
        "/products?attributes[0]=x&attributes[1][attribute]=pa_nope&attributes[2][attribute]=pa_color".into(),
        "/products?category[]=1&tag[x]=y".into(),
        "/products?search=%FF%FE&sku=%00".into(),
        "/products?orderby[]=x&order[]=y".into(),
        "/products?include=-1,abc,99999999999&exclude=%20".into(),
        "/products?offset=1e18".into(),
        format!("/products?search={long}"),
        "/products?min_price=12abc&max_price=-5".into(),
        "/products?after=2025-13-45T99:99:99&before=nope".into(),
        "/products/%F0%9F%98%80".into(),
        "/products/reviews?product_id=abc&category_id=-3".into(),
        "/products/categories?per_page=-1&parent=x".into(),
        "/products/attributes/abc/terms".into(),
        "/products/collection-data?calculate_attribute_counts=x&calculate_attribute_counts[0][taxonomy]=9".into(),
        "/products?a[[[=1&&&=&b]]=2".into(),
    ];
    let c = reqwest::Client::new();
    for q in &queries {
        let status = c.get(format!("{}{STORE}{q}", store.url())).send().await.expect("answered").status().as_u16();
        assert!(status < 500, "{q} -> {status}");
    }
    let v3 = |m: reqwest::Method, p: &str| {
        c.request(m, format!("{}/wp-json/wc/v3{p}", store.url())).basic_auth(&rw.consumer_key, Some(&rw.consumer_secret))
    };
    for body in ["{", "[1,2]", "{\"regular_price\":{\"a\":1}}", "{\"stock_quantity\":\"many\"}", "null"] {
        let status = v3(reqwest::Method::PUT, "/products/14")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("answered")
            .status();
        assert!(status.as_u16() < 500, "{body} -> {status}");
    }
    let status = v3(reqwest::Method::GET, "/products?modified_after=yesterday&per_page=0").send().await.expect("answered").status();
    assert_eq!(status, 400);
    // PHP would die on a non-numeric price filter; the store answers WordPress's fatal-error JSON.
    let fatal = c.get(format!("{}{STORE}/products?min_price=abc", store.url())).send().await.expect("answered");
    assert_eq!(fatal.status(), 500);
    assert_eq!(c.get(format!("{}{STORE}/products", store.url())).send().await.expect("still up").status(), 200);
}
