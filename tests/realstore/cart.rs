//! Cart and checkout against the real store: the same operations done through the BFF and
//! straight on the Store API give the same lines and totals (coupons, tax lines, shipping);
//! refusals are our 4xx; checkout is idempotent; the guest order page names products and
//! checks the email itself; a cart the store lost is rebuilt.

use serde_json::{json, Value};

use crate::harness::{minor, store, unique, Bff, StoreCart};

fn address(email: &str) -> Value {
    json!({"first_name": "Alex", "last_name": "Tester", "address_1": "123 Main St", "city": "Los Angeles",
           "state": "CA", "postcode": "90001", "country": "US", "email": email, "phone": "+1 213 555 0199"})
}

/// The store's own view of the same cart: lines by id with quantities, then coupon and address.
async fn store_cart(lines: &[(u64, u32)], coupon: Option<&str>, email: &str) -> Value {
    let mut cart = StoreCart::new().await;
    for (id, quantity) in lines {
        let r = cart.post("/cart/add-item", json!({"id": id, "quantity": quantity})).await;
        assert_eq!(r.status, 201, "store add {id}: {}", r.json);
    }
    if let Some(code) = coupon {
        let r = cart.post("/cart/apply-coupon", json!({"code": code})).await;
        assert_eq!(r.status, 200, "store coupon: {}", r.json);
    }
    let mut billing = address(email);
    billing.as_object_mut().unwrap().remove("email");
    let shipping = billing.clone();
    billing["email"] = json!(email);
    let r = cart.post("/cart/update-customer", json!({"billing_address": billing, "shipping_address": shipping})).await;
    assert_eq!(r.status, 200, "store address: {}", r.json);
    r.json
}

/// Two in-stock simple products that are not sold individually, with plenty of stock.
async fn two_simple() -> (u64, u64) {
    let list = store().store_api("/products?type=simple&per_page=100&stock_status[]=instock&catalog_visibility=catalog").await;
    let ok: Vec<u64> = list
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["sold_individually"].as_bool().unwrap() && p["is_purchasable"].as_bool().unwrap())
        .filter(|p| p["low_stock_remaining"].is_null() && p["add_to_cart"]["maximum"].as_u64().unwrap_or(0) >= 50)
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    assert!(ok.len() >= 2, "two plain simple products in the seed");
    (ok[0], ok[1])
}

#[tokio::test]
async fn totals_coupons_tax_lines_and_shipping_match_the_store() {
    let bff = Bff::spawn().await;
    let (a, b) = two_simple().await;
    let email = format!("cart-{}@example.test", unique());
    let shopper = bff.shopper().await;
    for (id, quantity) in [(a, 2u32), (b, 1)] {
        let r = shopper.post("/api/v1/cart/items", json!({"product_id": id, "quantity": quantity})).await;
        assert_eq!(r.status, 201, "add {id}: {}", r.json);
    }
    let r = shopper.post("/api/v1/cart/coupons", json!({"code": "save10"})).await;
    assert_eq!(r.status, 200, "coupon: {}", r.json);
    let ours = shopper.put("/api/v1/cart/addresses", json!({"billing": address(&email)})).await;
    assert_eq!(ours.status, 200, "addresses: {}", ours.json);
    let theirs = store_cart(&[(a, 2), (b, 1)], Some("save10"), &email).await;
    let (o, t) = (&ours.json["totals"], &theirs["totals"]);
    assert_eq!(minor(&o["items"]), minor(&t["total_items"]), "items total");
    assert_eq!(minor(&o["discount"]), minor(&t["total_discount"]), "discount");
    assert_eq!(minor(&o["tax"]), minor(&t["total_tax"]), "tax");
    assert_eq!(minor(&o["total"]), minor(&t["total_price"]), "total");
    assert_eq!(minor(&o["shipping"]), minor(&t["total_shipping"]), "shipping");
    // Tax by rate, as the store lists it.
    let ours_lines: Vec<(String, u64)> =
        o["tax_lines"].as_array().unwrap().iter().map(|l| (l["name"].as_str().unwrap().to_string(), minor(&l["amount"]))).collect();
    let theirs_lines: Vec<(String, u64)> =
        t["tax_lines"].as_array().unwrap().iter().map(|l| (l["name"].as_str().unwrap().to_string(), minor(&l["price"]))).collect();
    assert!(!theirs_lines.is_empty(), "California is taxed");
    assert_eq!(ours_lines, theirs_lines, "tax lines");
    // The same shipping rates, and choosing one changes the total as at the store.
    let rates: Vec<String> =
        ours.json["shipping_packages"][0]["rates"].as_array().unwrap().iter().map(|r| r["rate_id"].as_str().unwrap().into()).collect();
    let store_rates: Vec<String> =
        theirs["shipping_rates"][0]["shipping_rates"].as_array().unwrap().iter().map(|r| r["rate_id"].as_str().unwrap().into()).collect();
    assert_eq!(rates, store_rates);
    let pickup = rates.iter().find(|r| r.starts_with("local_pickup")).expect("local pickup offered");
    let r = shopper.put("/api/v1/cart/shipping-rate", json!({"package_id": 0, "rate_id": pickup})).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(minor(&r.json["totals"]["total"]), minor(&o["total"]) - minor(&o["shipping"]) - shipping_tax(&theirs));
}

fn shipping_tax(cart: &Value) -> u64 {
    minor(&cart["totals"]["total_shipping_tax"])
}

#[tokio::test]
async fn variable_products_by_global_and_local_attributes_pick_the_stores_variation() {
    let bff = Bff::spawn().await;
    let s = store();
    let variable = s.store_api("/products?type=variable&per_page=100").await;
    for parent in variable.json.as_array().unwrap() {
        let pid = parent["id"].as_u64().unwrap();
        let first = &parent["variations"][0];
        // Choose by the labels the store shows (`Size`, `Color`, local `Material`/`Weight`).
        let mut chosen = serde_json::Map::new();
        for a in first["attributes"].as_array().unwrap() {
            chosen.insert(a["name"].as_str().unwrap().to_string(), a["value"].clone());
        }
        let shopper = bff.shopper().await;
        let r = shopper.post("/api/v1/cart/items", json!({"product_id": pid, "quantity": 1, "variation": chosen})).await;
        assert_eq!(r.status, 201, "{} with {chosen:?}: {}", parent["name"], r.json);
        assert_eq!(r.json["items"][0]["id"], first["id"], "variation of {}", parent["name"]);
        let v = s.store_api(&format!("/products/{}", first["id"])).await;
        assert_eq!(minor(&r.json["items"][0]["unit_price"]), minor(&v.json["prices"]["price"]));
    }
    // Global attributes by taxonomy spelling too.
    let tee = variable
        .json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["attributes"].as_array().unwrap().iter().any(|a| a["taxonomy"] == "pa_color"))
        .unwrap();
    let target = tee["variations"].as_array().unwrap().last().unwrap();
    let mut chosen = serde_json::Map::new();
    for a in target["attributes"].as_array().unwrap() {
        let taxonomy = tee["attributes"].as_array().unwrap().iter().find(|x| x["name"] == a["name"]).unwrap()["taxonomy"].clone();
        chosen.insert(taxonomy.as_str().unwrap().to_string(), a["value"].clone());
    }
    let shopper = bff.shopper().await;
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": tee["id"], "quantity": 1, "variation": chosen})).await;
    assert_eq!(r.json["items"][0]["id"], target["id"], "{chosen:?}: {}", r.json);
}

#[tokio::test]
async fn refusals_are_our_4xx() {
    let bff = Bff::spawn().await;
    let s = store();
    let listed = s.store_api("/products?per_page=100&catalog_visibility=catalog").await;
    let products = listed.json.as_array().unwrap();
    let single = products.iter().find(|p| p["sold_individually"].as_bool().unwrap()).expect("a sold-individually product");
    let shopper = bff.shopper().await;
    let add = json!({"product_id": single["id"], "quantity": 1});
    let first = shopper.post("/api/v1/cart/items", add.clone()).await;
    assert_eq!(first.status, 201, "{}", first.json);
    let again = shopper.post("/api/v1/cart/items", add).await;
    assert_eq!((again.status.as_u16(), again.code()), (422, "cart_item_quantity_limit"), "{}", again.json);
    let key = first.json["items"][0]["key"].as_str().unwrap();
    let patch = shopper.patch(&format!("/api/v1/cart/items/{key}"), json!({"quantity": 2})).await;
    assert_eq!((patch.status.as_u16(), patch.code()), (422, "cart_item_quantity_limit"), "{}", patch.json);

    let out = products.iter().find(|p| !p["is_in_stock"].as_bool().unwrap()).expect("an out-of-stock product");
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": out["id"], "quantity": 1})).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "cart_item_out_of_stock"), "{}", r.json);
    let low = products.iter().find(|p| p["low_stock_remaining"].as_u64().is_some_and(|n| n > 0)).expect("a low-stock product");
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": low["id"], "quantity": 999})).await;
    assert!(r.status.is_client_error(), "{}", r.json);
    assert!(["cart_item_insufficient_stock", "cart_item_quantity_limit"].contains(&r.code()), "{}", r.json);
    for code in ["nosuchcoupon", "expired20"] {
        let r = shopper.post("/api/v1/cart/coupons", json!({"code": code})).await;
        assert_eq!((r.status.as_u16(), r.code()), (422, "coupon_rejected"), "{code}: {}", r.json);
    }
    let external = products.iter().find(|p| p["type"] == "external").expect("an external product");
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": external["id"], "quantity": 1})).await;
    assert!(r.status.is_client_error(), "external product: {}", r.json);
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": 999_999, "quantity": 1})).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "product_not_found"));
}

async fn placed_order(bff: &Bff, email: &str) -> (Value, u64) {
    let (a, _) = two_simple().await;
    let shopper = bff.shopper().await;
    let r = shopper.post("/api/v1/cart/items", json!({"product_id": a, "quantity": 1})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let key = format!("order-{}", unique());
    let placed = shopper.checkout(&key, json!({"billing": address(email), "payment_method": "cod"})).await;
    assert_eq!(placed.status, 201, "{}", placed.json);
    (placed.json, a)
}

#[tokio::test]
async fn checkout_is_idempotent_and_the_order_is_the_stores() {
    let bff = Bff::spawn().await;
    let email = format!("checkout-{}@example.test", unique());
    let (a, b) = two_simple().await;
    let shopper = bff.shopper().await;
    for id in [a, b] {
        assert_eq!(shopper.post("/api/v1/cart/items", json!({"product_id": id, "quantity": 1})).await.status, 201);
    }
    let key = format!("order-{}", unique());
    let body = json!({"billing": address(&email), "payment_method": "cod"});
    // Two concurrent attempts with one key, then a retry: one order.
    let (x, y) = tokio::join!(shopper.checkout(&key, body.clone()), shopper.checkout(&key, body.clone()));
    let retry = shopper.checkout(&key, body).await;
    assert_eq!(x.status, 201, "{}", x.json);
    assert_eq!(y.json["order_id"], x.json["order_id"], "{}", y.json);
    assert_eq!(retry.json["order_id"], x.json["order_id"]);
    let id = x.json["order_id"].as_u64().unwrap();
    let order = store().rest_get(&format!("/orders/{id}")).await;
    assert_eq!(order.json["billing"]["email"], email.as_str());
    assert_eq!(minor(&x.json["totals"]["total"]), decimal_minor(&order.json["total"]), "charged total is the store's");
    let mut bought: Vec<u64> = order.json["line_items"].as_array().unwrap().iter().map(|l| l["product_id"].as_u64().unwrap()).collect();
    bought.sort_unstable();
    let mut want = vec![a, b];
    want.sort_unstable();
    assert_eq!(bought, want);
    let same_email = store().rest_get(&format!("/orders?search={email}")).await;
    assert_eq!(same_email.json.as_array().unwrap().len(), 1, "exactly one order for this checkout");
}

fn decimal_minor(v: &Value) -> u64 {
    let s = v.as_str().unwrap();
    let (whole, frac) = s.split_once('.').unwrap_or((s, "00"));
    whole.parse::<u64>().unwrap() * 100 + format!("{frac:0<2}")[..2].parse::<u64>().unwrap()
}

#[tokio::test]
async fn the_guest_order_page_names_products_and_checks_the_email() {
    let bff = Bff::spawn().await;
    let email = format!("guest-{}@example.test", unique());
    let (placed, product) = placed_order(&bff, &email).await;
    let (id, key) = (placed["order_id"].as_u64().unwrap(), placed["order_key"].as_str().unwrap());
    let page = bff.get(&format!("/api/v1/orders/{id}?key={key}&email={email}")).await;
    assert_eq!(page.status, 200, "{}", page.json);
    assert_eq!(page.json["items"][0]["product_id"].as_u64(), Some(product), "the product, not the line item: {}", page.json);
    // Within WooCommerce's grace period the store itself accepts any email; we do not.
    let store_says = store().store_api(&format!("/order/{id}?key={key}&billing_email=someone-else@example.test")).await;
    assert_eq!(store_says.status, 200, "the store's grace period (why the BFF checks)");
    for wrong in [format!("key={key}&email=someone-else@example.test"), format!("key=wc_order_wrong&email={email}")] {
        let r = bff.get(&format!("/api/v1/orders/{id}?{wrong}")).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "order_not_found"), "{wrong}");
        assert!(!r.json.to_string().contains("Tester"), "no address in a refusal");
    }
}

#[tokio::test]
async fn a_cart_the_store_lost_is_rebuilt() {
    let bff = Bff::spawn().await;
    let (a, b) = two_simple().await;
    let shopper = bff.shopper().await;
    shopper.post("/api/v1/cart/items", json!({"product_id": a, "quantity": 2})).await;
    let before = shopper.post("/api/v1/cart/items", json!({"product_id": b, "quantity": 1})).await;
    assert_eq!(before.json["items"].as_array().unwrap().len(), 2);
    // The store forgets every guest cart session (as its cleanup job or a purge would).
    store().sql("DELETE FROM wp_woocommerce_sessions");
    let after = shopper.get("/api/v1/cart").await;
    assert_eq!(after.status, 200, "{}", after.json);
    let lines = |v: &Value| -> Vec<(u64, u64)> {
        let mut l: Vec<(u64, u64)> =
            v["items"].as_array().unwrap().iter().map(|i| (i["id"].as_u64().unwrap(), i["quantity"].as_u64().unwrap())).collect();
        l.sort_unstable();
        l
    };
    assert_eq!(lines(&after.json), lines(&before.json), "rebuilt from the session's snapshot: {}", after.json);
    assert_eq!(minor(&after.json["totals"]["total"]), minor(&before.json["totals"]["total"]));
}
