//! Customer accounts against a stock WordPress + WooCommerce: sign-in through XML-RPC and the
//! wp-login.php fallback, registration, own orders, claiming guest orders and the cart merge.

use serde_json::json;

use crate::harness::{minor, store, unique, Bff, Shopper};

/// Signs `shopper` in; returns the shopper with its new access token.
async fn sign_in<'a>(shopper: Shopper<'a>, login: &str, password: &str) -> (Shopper<'a>, serde_json::Value) {
    let r = shopper.post("/api/v1/auth/login", json!({"email_or_username": login, "password": password})).await;
    assert_eq!(r.status, 200, "sign-in as {login}: {}", r.json);
    let token = r.json["tokens"]["access_token"].as_str().expect("app tokens").to_string();
    (Shopper { bff: shopper.bff, token }, r.json)
}

#[tokio::test]
async fn the_seeded_customer_signs_in_and_sees_exactly_the_stores_orders() {
    let bff = Bff::spawn().await;
    let s = store();
    for login in [s.customer_user.as_str(), s.customer_email.as_str()] {
        let (me, body) = sign_in(bff.shopper().await, login, &s.customer_password).await;
        let id = body["customer"]["id"].as_u64().unwrap();
        let rest = s.rest_get(&format!("/customers/{id}")).await;
        assert_eq!(body["customer"]["email"], rest.json["email"]);
        let profile = me.get("/api/v1/me").await;
        assert_eq!(profile.json["billing"]["city"], rest.json["billing"]["city"]);
        let mine = me.get("/api/v1/me/orders?per_page=50").await;
        assert_eq!(mine.status, 200, "{}", mine.json);
        let theirs = s.rest_get(&format!("/orders?customer={id}&per_page=50&orderby=date&order=desc")).await;
        assert_eq!(mine.ids(), theirs.ids(), "own orders, newest first");
        let first = theirs.ids()[0];
        let detail = me.get(&format!("/api/v1/me/orders/{first}")).await;
        let want: Vec<u64> = theirs.json[0]["line_items"].as_array().unwrap().iter().map(|l| l["product_id"].as_u64().unwrap()).collect();
        let got: Vec<u64> = detail.json["lines"].as_array().unwrap().iter().map(|l| l["product_id"].as_u64().unwrap()).collect();
        assert_eq!(got, want);
    }
    let wrong =
        bff.shopper().await.post("/api/v1/auth/login", json!({"email_or_username": s.customer_user, "password": "not-the-password"})).await;
    assert_eq!((wrong.status.as_u16(), wrong.code()), (401, "invalid_credentials"));
}

#[tokio::test]
async fn register_then_sign_in_through_the_wp_login_fallback() {
    let bff = Bff::spawn().await;
    let s = store();
    // `noxmlrpc…` logins find XML-RPC disabled (the suite's mu-plugin): the form fallback is used.
    let email = format!("noxmlrpc.{}@example.test", unique());
    let password = format!("Pw-{}-long", unique());
    let r = bff.shopper().await.post("/api/v1/auth/register", json!({"email": email, "password": password, "first_name": "Reg"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["customer"]["id"].as_u64().unwrap();
    let rest = s.rest_get(&format!("/customers/{id}")).await;
    assert_eq!(rest.json["email"], email.as_str());
    assert_eq!(rest.json["first_name"], "Reg");
    let again = bff.shopper().await.post("/api/v1/auth/register", json!({"email": email, "password": password})).await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "email_taken"));
    let (_, body) = sign_in(bff.shopper().await, &email, &password).await;
    assert_eq!(body["customer"]["id"].as_u64(), Some(id));
    let wrong = bff.shopper().await.post("/api/v1/auth/login", json!({"email_or_username": email, "password": "Wrong-password-1"})).await;
    assert_eq!((wrong.status.as_u16(), wrong.code()), (401, "invalid_credentials"), "the fallback refuses a wrong password");
}

#[tokio::test]
async fn guest_orders_are_claimed_and_the_guest_cart_is_merged_at_sign_in() {
    let bff = Bff::spawn().await;
    let s = store();
    let email = format!("claim-{}@example.test", unique());
    let password = format!("Pw-{}-long", unique());
    let reg = bff.shopper().await.post("/api/v1/auth/register", json!({"email": email, "password": password})).await;
    assert_eq!(reg.status, 201, "{}", reg.json);
    let customer = reg.json["customer"]["id"].as_u64().unwrap();
    let listed = s.store_api("/products?type=simple&stock_status[]=instock&per_page=100&catalog_visibility=catalog").await;
    let plain: Vec<u64> = listed
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["sold_individually"].as_bool().unwrap() && p["low_stock_remaining"].is_null())
        .map(|p| p["id"].as_u64().unwrap())
        .collect();
    // A guest order with the account's email, placed before signing in.
    let guest = bff.shopper().await;
    guest.post("/api/v1/cart/items", json!({"product_id": plain[0], "quantity": 1})).await;
    let billing = json!({"first_name": "C", "last_name": "L", "address_1": "1 Road", "city": "Austin", "state": "TX", "postcode": "73301", "country": "US", "email": email});
    let placed = guest.checkout(&format!("claim-{}", unique()), json!({"billing": billing, "payment_method": "cod"})).await;
    assert_eq!(placed.status, 201, "{}", placed.json);
    let order = placed.json["order_id"].as_u64().unwrap();
    // A guest cart with one line, then sign-in merges it into the customer's cart.
    let shopper = bff.shopper().await;
    let guest_cart = shopper.post("/api/v1/cart/items", json!({"product_id": plain[1], "quantity": 2})).await;
    assert_eq!(guest_cart.status, 201);
    let (me, _) = sign_in(shopper, &email, &password).await;
    let cart = me.get("/api/v1/cart").await;
    let line = cart.json["items"].as_array().unwrap().iter().find(|l| l["id"].as_u64() == Some(plain[1])).cloned();
    assert_eq!(line.map(|l| l["quantity"].as_u64().unwrap()), Some(2), "guest line merged: {}", cart.json);
    assert!(minor(&cart.json["totals"]["total"]) > 0);
    // Claim: the store then lists the order under the customer.
    assert!(!me.get("/api/v1/me/orders").await.ids().contains(&order));
    let claimed = me.post("/api/v1/me/orders/claim", json!({})).await;
    assert_eq!(claimed.status, 200, "{}", claimed.json);
    assert!(claimed.json["order_ids"].as_array().unwrap().iter().any(|v| v.as_u64() == Some(order)));
    assert_eq!(s.rest_get(&format!("/orders/{order}")).await.json["customer_id"].as_u64(), Some(customer));
    assert!(me.get("/api/v1/me/orders").await.ids().contains(&order));
}
