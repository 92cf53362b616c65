//! The catalogue against the real store: every filter, sort and page gives the ids, order and
//! totals the store's own shop listing gives; hidden and draft products stay out of sight;
//! products, variations, taxonomies and facets match what the store says.

use crate::harness::{minor, store, Bff};

/// Our query, and the same question put to the Store API the way the shop itself asks it
/// (browsing: `catalog_visibility=catalog`; searching: `search`).
async fn same_list(bff: &Bff, ours: &str, theirs: &str) {
    let got = bff.get(&format!("/api/v1/products?{ours}")).await;
    assert_eq!(got.status, 200, "{ours}: {}", got.json);
    let want = store().store_api(&format!("/products?{theirs}")).await;
    assert_eq!(want.status, 200, "store: {theirs}: {}", want.json);
    assert_eq!(got.ids(), want.ids(), "ids and order of ?{ours} vs the store's ?{theirs}");
    assert_eq!(got.json["total"].as_u64(), Some(want.total()), "total of ?{ours}");
    let pages = want.header("x-wp-totalpages").and_then(|v| v.parse::<u64>().ok());
    assert_eq!(got.json["total_pages"].as_u64(), pages, "total_pages of ?{ours}");
}

#[tokio::test]
async fn every_filter_sort_and_page_matches_the_shop_listing() {
    let bff = Bff::spawn().await;
    let s = store();
    let hoodies = cat_id_async("hoodies").await;
    let clothing = cat_id_async("clothing").await;
    let bestseller = s.store_api("/products/tags").await.json.as_array().unwrap().iter().find(|c| c["slug"] == "bestseller").unwrap()["id"]
        .as_u64()
        .unwrap();
    let cases: Vec<(String, String)> = vec![
        ("per_page=100".into(), "per_page=100&orderby=date&order=desc&catalog_visibility=catalog".into()),
        ("per_page=10&page=2".into(), "per_page=10&page=2&orderby=date&order=desc&catalog_visibility=catalog".into()),
        ("per_page=10&page=9".into(), "per_page=10&page=9&orderby=date&order=desc&catalog_visibility=catalog".into()),
        // Category and tag filters by id and by slug (the store itself takes ids only).
        (format!("category={hoodies}"), format!("category={hoodies}&per_page=24&catalog_visibility=catalog")),
        ("category=hoodies".into(), format!("category={hoodies}&per_page=24&catalog_visibility=catalog")),
        ("category=clothing&per_page=50".into(), format!("category={clothing}&per_page=50&catalog_visibility=catalog")),
        ("tag=bestseller".into(), format!("tag={bestseller}&per_page=24&catalog_visibility=catalog")),
        ("category=no-such-category".into(), "category=0&per_page=24&catalog_visibility=catalog".into()),
        ("attributes=pa_color:red".into(), attr("pa_color", &["red"])),
        ("attributes=pa_color:red,blue;pa_size:m".into(), attr2()),
        ("min_price=2000&max_price=4000&per_page=50".into(), "min_price=2000&max_price=4000&per_page=50&catalog_visibility=catalog".into()),
        ("on_sale=true&per_page=50".into(), "on_sale=true&per_page=50&catalog_visibility=catalog".into()),
        ("stock_status=out_of_stock".into(), "stock_status[]=outofstock&per_page=24&catalog_visibility=catalog".into()),
        ("stock_status=on_backorder".into(), "stock_status[]=onbackorder&per_page=24&catalog_visibility=catalog".into()),
        ("orderby=price&order=asc&per_page=50".into(), "orderby=price&order=asc&per_page=50&catalog_visibility=catalog".into()),
        ("orderby=price&order=desc&per_page=50".into(), "orderby=price&order=desc&per_page=50&catalog_visibility=catalog".into()),
        ("orderby=title&order=asc&per_page=50".into(), "orderby=title&order=asc&per_page=50&catalog_visibility=catalog".into()),
        ("orderby=popularity&per_page=50".into(), "orderby=popularity&order=desc&per_page=50&catalog_visibility=catalog".into()),
        ("orderby=rating&per_page=50".into(), "orderby=rating&order=desc&per_page=50&catalog_visibility=catalog".into()),
        // A search lists what the shop's search lists (hidden-from-search products left out).
        ("search=tee".into(), "search=tee&per_page=24&orderby=date&order=desc&catalog_visibility=search".into()),
        ("search=scarf".into(), "search=scarf&per_page=24&orderby=date&order=desc&catalog_visibility=search".into()),
    ];
    for (ours, theirs) in cases {
        same_list(&bff, &ours, &theirs).await;
    }
}

fn attr(taxonomy: &str, slugs: &[&str]) -> String {
    let mut q = format!("attributes[0][attribute]={taxonomy}&attributes[0][operator]=in&per_page=24&catalog_visibility=catalog");
    for s in slugs {
        q.push_str(&format!("&attributes[0][slug][]={s}"));
    }
    q
}

fn attr2() -> String {
    "attributes[0][attribute]=pa_color&attributes[0][slug][]=blue&attributes[0][slug][]=red&attributes[0][operator]=in\
     &attributes[1][attribute]=pa_size&attributes[1][slug][]=m&attributes[1][operator]=in&attribute_relation=and\
     &per_page=24&catalog_visibility=catalog"
        .into()
}

#[tokio::test]
async fn slug_filters_use_the_right_ids() {
    let bff = Bff::spawn().await;
    let by_slug = bff.get("/api/v1/products?category=hoodies").await;
    let by_id = bff.get(&format!("/api/v1/products?category={}", cat_id_async("hoodies").await)).await;
    assert!(!by_slug.ids().is_empty(), "hoodies has products at the store");
    assert_eq!(by_slug.ids(), by_id.ids());
}

/// Catalog-hidden (REST `catalog_visibility=hidden`) and draft products, found through REST v3.
async fn hidden_and_draft() -> (serde_json::Value, serde_json::Value) {
    let s = store();
    let all = s.rest_get("/products?per_page=100&status=any").await;
    let all = all.json.as_array().unwrap().clone();
    let hidden = all.iter().find(|p| p["catalog_visibility"] == "hidden" && p["status"] == "publish").expect("a hidden product").clone();
    let draft = all.iter().find(|p| p["status"] == "draft").expect("a draft product").clone();
    (hidden, draft)
}

#[tokio::test]
async fn hidden_products_are_not_listed_searched_or_counted() {
    let bff = Bff::spawn().await;
    let (hidden, _) = hidden_and_draft().await;
    let id = hidden["id"].as_u64().unwrap();
    let name_word = hidden["name"].as_str().unwrap().split_whitespace().last().unwrap().to_lowercase();
    let list = bff.get("/api/v1/products?per_page=100").await;
    assert!(!list.ids().contains(&id), "hidden product {id} listed");
    let unfiltered = store().store_api("/products?per_page=1").await.total();
    assert_eq!(list.json["total"].as_u64(), Some(unfiltered - 1), "the store's plain list counts it; ours must not");
    let search = bff.get(&format!("/api/v1/products?search={name_word}")).await;
    assert!(!search.ids().contains(&id), "hidden product {id} found by search for {name_word}");
    assert!(store().store_api(&format!("/products?search={name_word}")).await.ids().contains(&id), "the store's plain search does list it");
    // Facet counts follow the listing: no category counts the hidden product.
    let facets = bff.get("/api/v1/facets").await;
    assert_eq!(facets.status, 200, "{}", facets.json);
    for cat in hidden["categories"].as_array().unwrap() {
        let cat_id = cat["id"].as_u64().unwrap();
        let want = store().store_api(&format!("/products?category={cat_id}&per_page=1&catalog_visibility=catalog")).await.total();
        let got = facets.json["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"].as_u64() == Some(cat_id))
            .map(|c| c["count"].as_u64().unwrap());
        assert_eq!(got.unwrap_or(0), want, "facet count of category {cat_id}");
    }
    // Its own page stays reachable by link, as the shop's is.
    assert_eq!(bff.get(&format!("/api/v1/products/{id}")).await.status, 200);
}

#[tokio::test]
async fn a_draft_product_is_not_served_by_id_or_slug() {
    let bff = Bff::spawn().await;
    let (_, draft) = hidden_and_draft().await;
    let id = draft["id"].as_u64().unwrap();
    let slug = draft["slug"].as_str().filter(|s| !s.is_empty()).map(str::to_string).unwrap_or_else(|| id.to_string());
    // The store's single-product route serves it (the reason the BFF must check).
    assert_eq!(store().store_api(&format!("/products/{id}")).await.status, 200);
    for path in [format!("/api/v1/products/{id}"), format!("/api/v1/products/{slug}"), format!("/api/v1/products/{id}/variations")] {
        let got = bff.get(&path).await;
        assert_eq!((got.status.as_u16(), got.code()), (404, "product_not_found"), "{path}");
    }
    // Nor can it be put into a cart, and the refusal does not name it.
    let shopper = bff.shopper().await;
    let add = shopper.post("/api/v1/cart/items", serde_json::json!({"product_id": id, "quantity": 1})).await;
    assert_eq!((add.status.as_u16(), add.code()), (404, "product_not_found"), "{}", add.json);
    assert!(!add.json.to_string().contains(draft["name"].as_str().unwrap()), "the draft's name leaked: {}", add.json);
}

#[tokio::test]
async fn products_by_id_and_slug_carry_the_stores_prices_and_stock() {
    let bff = Bff::spawn().await;
    let listed = store().store_api("/products?per_page=100&catalog_visibility=catalog").await;
    for p in listed.json.as_array().unwrap() {
        let id = p["id"].as_u64().unwrap();
        let ours = bff.get(&format!("/api/v1/products/{id}")).await;
        assert_eq!(ours.status, 200, "{id}: {}", ours.json);
        let by_slug = bff.get(&format!("/api/v1/products/{}", p["slug"].as_str().unwrap())).await;
        assert_eq!(by_slug.json["id"].as_u64(), Some(id), "by slug");
        assert_eq!(minor(&ours.json["prices"]["price"]), minor(&p["prices"]["price"]), "price of {id}");
        assert_eq!(minor(&ours.json["prices"]["regular_price"]), minor(&p["prices"]["regular_price"]), "regular price of {id}");
        assert_eq!(ours.json["on_sale"], p["on_sale"], "on_sale of {id}");
        assert_eq!(ours.json["prices"]["price"]["currency"], p["prices"]["currency_code"]);
        let in_stock = ours.json["stock"]["status"] != "out_of_stock";
        assert_eq!(in_stock, p["is_in_stock"].as_bool().unwrap(), "stock of {id}");
        assert_eq!(ours.json["sku"].as_str().unwrap_or(""), p["sku"].as_str().unwrap(), "sku of {id}");
    }
}

#[tokio::test]
async fn variations_match_the_store_for_global_and_local_attributes() {
    let bff = Bff::spawn().await;
    let variable = store().store_api("/products?type=variable&per_page=100").await;
    assert!(variable.ids().len() >= 3, "seeded variable products");
    for parent in variable.ids() {
        let want = store().store_api(&format!("/products?type=variation&parent[]={parent}&per_page=100&orderby=id&order=asc")).await;
        let got = bff.get(&format!("/api/v1/products/{parent}/variations")).await;
        assert_eq!(got.status, 200, "{}", got.json);
        let mut got_ids = got.ids();
        got_ids.sort_unstable();
        let mut want_ids = want.ids();
        want_ids.sort_unstable();
        assert_eq!(got_ids, want_ids, "variations of {parent}");
        for v in want.json.as_array().unwrap() {
            let ours = got.json["items"].as_array().unwrap().iter().find(|x| x["id"] == v["id"]).unwrap();
            assert_eq!(minor(&ours["prices"]["price"]), minor(&v["prices"]["price"]), "price of variation {}", v["id"]);
        }
    }
    // Paged like every other list.
    let parent = variable.ids()[0];
    let page = bff.get(&format!("/api/v1/products/{parent}/variations?per_page=1&page=2")).await;
    assert_eq!(page.status, 200, "{}", page.json);
    assert_eq!(page.ids().len(), 1);
    assert_eq!(page.json["page"], 2);
}

#[tokio::test]
async fn taxonomies_and_facets_match_the_store() {
    let bff = Bff::spawn().await;
    let s = store();
    for (ours, theirs) in
        [("/api/v1/categories", "/products/categories"), ("/api/v1/tags", "/products/tags"), ("/api/v1/attributes", "/products/attributes")]
    {
        let got = bff.get(ours).await;
        let mut got_ids = got.ids();
        got_ids.sort_unstable();
        let mut want = s.store_api(theirs).await.ids();
        want.sort_unstable();
        assert_eq!(got_ids, want, "{ours}");
    }
    for attribute in s.store_api("/products/attributes").await.ids() {
        let mut got = bff.get(&format!("/api/v1/attributes/{attribute}/terms")).await.ids();
        got.sort_unstable();
        let mut want = s.store_api(&format!("/products/attributes/{attribute}/terms")).await.ids();
        want.sort_unstable();
        assert_eq!(got, want, "terms of attribute {attribute}");
    }
    let reviews = s.store_api("/products/reviews?per_page=100").await;
    let reviewed = reviews.json[0]["product_id"].as_u64().expect("seeded reviews");
    let got = bff.get(&format!("/api/v1/products/{reviewed}/reviews?per_page=100")).await;
    let want = s.store_api(&format!("/products/reviews?product_id={reviewed}&per_page=100")).await;
    assert_eq!(got.ids(), want.ids(), "reviews of {reviewed}, newest first");
    let data = s.store_api("/products/collection-data?calculate_price_range=true&catalog_visibility=catalog").await;
    let facets = bff.get("/api/v1/facets").await;
    assert_eq!(minor(&facets.json["price_range"]["min"]), minor(&data.json["price_range"]["min_price"]));
    assert_eq!(minor(&facets.json["price_range"]["max"]), minor(&data.json["price_range"]["max_price"]));
    for c in facets.json["categories"].as_array().unwrap() {
        let want = s.store_api(&format!("/products?category={}&per_page=1&catalog_visibility=catalog", c["id"])).await.total();
        assert_eq!(c["count"].as_u64(), Some(want), "count of category {}", c["slug"]);
    }
    // A filtered facet request counts under the same filter (category by slug included).
    let hoodies = cat_id_async("hoodies").await;
    let facets = bff.get("/api/v1/facets?category=hoodies").await;
    assert_eq!(facets.status, 200, "{}", facets.json);
    let want = s.store_api(&format!("/products?category={hoodies}&per_page=1&catalog_visibility=catalog")).await.total();
    let stock_total: u64 = facets.json["stock_status"].as_array().unwrap().iter().map(|x| x["count"].as_u64().unwrap()).sum();
    assert_eq!(stock_total, want, "stock counts of hoodies add up to its listing");
}

async fn cat_id_async(slug: &str) -> u64 {
    let cats = store().store_api("/products/categories").await;
    cats.json.as_array().unwrap().iter().find(|c| c["slug"] == slug).unwrap()["id"].as_u64().unwrap()
}
