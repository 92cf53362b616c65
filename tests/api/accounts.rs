//! Customer accounts end to end: register, sign in and out for cookie and
//! bearer clients, the generic 401 and the brute-force guard, refresh-token
//! rotation and family revocation, profile, own orders (and nobody else's),
//! checkout while signed in, cart merge across devices, claiming guest orders.

use std::time::Duration;

use serde_json::{json, Value};
use storefront_bff::accounts::AccountSettings;
use storefront_bff::demo_store::XmlRpcMode;

use crate::common::{note_secret, ShopperClient, TestApp};

const PASSWORD: &str = "correct horse battery staple 42";

/// A customer that exists in the demo store; the password is noted for the suite's secret scan.
fn customer(app: &TestApp, name: &str) -> (String, u64) {
    let email = format!("{name}@example.test");
    let password = format!("{PASSWORD} {name}");
    note_secret(&password);
    let id = app.store.add_customer(name, &email, &password, "Test", name);
    (email, id)
}

fn password_of(name: &str) -> String {
    format!("{PASSWORD} {name}")
}

async fn sign_in<'a>(client: ShopperClient<'a>, login: &str, password: &str) -> (ShopperClient<'a>, Value) {
    let r = client.post("/api/v1/auth/login", json!({"email_or_username": login, "password": password})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    let client = match body["tokens"]["access_token"].as_str() {
        Some(token) => client.with_bearer(Some(token)),
        None => client,
    };
    (client, body)
}

/// A simple product that can be bought, with how many are left when the store says.
async fn simple_product(app: &TestApp, low_stock: bool) -> Value {
    for page in 1..=5 {
        let list = app.get(&format!("/api/v1/products?per_page=100&page={page}&stock_status=in_stock")).await.json();
        let found = list["items"].as_array().unwrap().iter().find(|p| {
            p["type"] == "simple"
                && p["purchasable"] == true
                && match p["stock"]["low_stock_remaining"].as_i64() {
                    Some(n) => low_stock && (2..=10).contains(&n),
                    None => !low_stock,
                }
        });
        if let Some(p) = found {
            return p.clone();
        }
    }
    panic!("no simple product (low stock: {low_stock})");
}

fn line_quantity(cart: &Value, product_id: &Value) -> Option<i64> {
    cart["items"].as_array().unwrap().iter().find(|l| l["id"] == *product_id).and_then(|l| l["quantity"].as_i64())
}

#[tokio::test]
async fn a_browser_registers_signs_out_and_signs_in_again() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    note_secret("a-brand-new-password-1");
    let r = browser
        .post(
            "/api/v1/auth/register",
            json!({"email": "new.shopper@example.test", "password": "a-brand-new-password-1", "first_name": "New"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["customer"]["email"], "new.shopper@example.test");
    assert!(body.get("tokens").is_none(), "browsers get a cookie, not tokens");
    let id = body["customer"]["id"].as_u64().unwrap();
    assert!(app.store.customer(id).is_some(), "the customer exists in WooCommerce");

    let me = browser.get("/api/v1/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["first_name"], "New");

    // Taken email and weak input.
    let again =
        app.browser().post("/api/v1/auth/register", json!({"email": "NEW.shopper@example.test", "password": "another-password-9"})).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.error_code(), "email_taken");
    let weak = app.browser().post("/api/v1/auth/register", json!({"email": "not-an-email", "password": "aaaaaaaaaa"})).await;
    assert_eq!(weak.status, 422);
    assert_eq!(weak.error_fields(), vec!["email", "password"]);

    let r = browser.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(r.status, 204);
    let me = browser.get("/api/v1/me").await;
    assert_eq!(me.status, 401);
    assert_eq!(me.error_code(), "not_signed_in");

    let (browser, body) = sign_in(browser, "new.shopper@example.test", "a-brand-new-password-1").await;
    assert_eq!(body["customer"]["id"].as_u64(), Some(id));
    assert_eq!(browser.get("/api/v1/me").await.status, 200);
}

/// The cookie's session id changes at sign-in; the old id is worthless.
#[tokio::test]
async fn sign_in_cycles_the_cookie_session_id() {
    let app = TestApp::spawn().await;
    let (email, _) = customer(&app, "cycle");
    let client = reqwest::Client::new();
    let origin = app.base.clone();
    // A guest session with a cart.
    let product = simple_product(&app, false).await;
    let r = client
        .post(format!("{}/api/v1/cart/items", app.base))
        .header("origin", &origin)
        .json(&json!({"product_id": product["id"], "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let guest_cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let r = client
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("origin", &origin)
        .header("cookie", &guest_cookie)
        .json(&json!({"email_or_username": email, "password": password_of("cycle")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let customer_cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("sfbff_session="))
        .expect("a session cookie");
    assert_ne!(guest_cookie, customer_cookie, "a new session id at sign-in");
    let old = client.get(format!("{}/api/v1/me", app.base)).header("cookie", &guest_cookie).send().await.unwrap();
    assert_eq!(old.status(), 401, "the pre-sign-in id does not carry the customer");
    let new = client.get(format!("{}/api/v1/me", app.base)).header("cookie", &customer_cookie).send().await.unwrap();
    assert_eq!(new.status(), 200);
    let cart: Value =
        client.get(format!("{}/api/v1/cart", app.base)).header("cookie", &customer_cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(line_quantity(&cart, &product["id"]), Some(1), "the guest cart came along");
}

#[tokio::test]
async fn an_app_signs_in_refreshes_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let (email, _) = customer(&app, "appuser");
    let guest = app.app_client().await;
    let guest_token = guest.bearer().unwrap().to_string();
    let (signed_in, body) = sign_in(guest, &email, &password_of("appuser")).await;
    let tokens = &body["tokens"];
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900, "short-lived access token");
    assert_eq!(signed_in.get("/api/v1/me").await.status, 200);
    // The guest token ended with the guest session.
    let old = signed_in.app.client.get(format!("{}/api/v1/cart", app.base)).bearer_auth(&guest_token).send().await.unwrap();
    assert_eq!(old.status(), 401);

    let first_refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let r = app.browser().with_origin(None).post("/api/v1/auth/refresh", json!({"refresh_token": first_refresh})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let second = r.json();
    assert_ne!(second["refresh_token"], first_refresh, "rotated");
    let renewed = signed_in.with_bearer(second["access_token"].as_str());
    assert_eq!(renewed.get("/api/v1/me").await.status, 200);

    // The first refresh token again: the whole family dies, and the session with it.
    let r = app.browser().with_origin(None).post("/api/v1/auth/refresh", json!({"refresh_token": first_refresh})).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.error_code(), "invalid_refresh_token");
    assert!(r.header("www-authenticate").is_some());
    let r = app.browser().with_origin(None).post("/api/v1/auth/refresh", json!({"refresh_token": second["refresh_token"]})).await;
    assert_eq!(r.status, 401, "the newer token of the family is revoked too");
    let me = renewed.get("/api/v1/me").await;
    assert_eq!(me.status, 401);
    assert_eq!(me.error_code(), "invalid_token");
}

#[tokio::test]
async fn an_app_registers_then_signs_out_and_its_refresh_tokens_end() {
    let app = TestApp::spawn().await;
    let password = "app-registration-password-7";
    note_secret(password);
    let guest = app.app_client().await;
    let r = guest.post("/api/v1/auth/register", json!({"email": "leaver@example.test", "password": password, "last_name": "Leaver"})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    let client = guest.with_bearer(body["tokens"]["access_token"].as_str());
    assert_eq!(client.get("/api/v1/me").await.json()["last_name"], "Leaver");
    assert_eq!(client.post("/api/v1/auth/logout", json!({})).await.status, 204);
    assert_eq!(client.get("/api/v1/me").await.status, 401);
    let r = app.browser().with_origin(None).post("/api/v1/auth/refresh", json!({"refresh_token": body["tokens"]["refresh_token"]})).await;
    assert_eq!(r.status, 401);
    // And back in with the password WooCommerce stored.
    let (client, _) = sign_in(app.app_client().await, "leaver@example.test", password).await;
    assert_eq!(client.get("/api/v1/me").await.status, 200);
}

#[tokio::test]
async fn every_sign_in_failure_is_the_same_401_until_the_guard_answers_429() {
    let app = TestApp::with(|c| {
        c.options.accounts = AccountSettings { max_failures: 3, lockout: Duration::from_secs(30), ..AccountSettings::default() }
    })
    .await;
    let (email, id) = customer(&app, "guarded");
    let (locked_email, locked_id) = customer(&app, "locked");
    app.store.set_customer_locked(locked_id, true);
    let attempt = |login: String, password: String| {
        let browser = app.browser();
        async move { browser.post("/api/v1/auth/login", json!({"email_or_username": login, "password": password})).await }
    };
    let wrong = attempt(email.clone(), "wrong-password".into()).await;
    let unknown = attempt("nobody@example.test".into(), "wrong-password".into()).await;
    let locked = attempt(locked_email.clone(), password_of("locked")).await;
    for r in [&wrong, &unknown, &locked] {
        assert_eq!(r.status, 401);
        assert_eq!(r.error_code(), "invalid_credentials");
        let mut body = r.json();
        body["error"]["request_id"] = Value::Null;
        let mut first = wrong.json();
        first["error"]["request_id"] = Value::Null;
        assert_eq!(body, first, "no difference between the causes");
    }
    // Two more failures for the same account: the guard trips.
    attempt(email.clone(), "wrong-again".into()).await;
    attempt(email.clone(), "and-again".into()).await;
    let calls_before = app.store.calls("POST /xmlrpc.php");
    let limited = attempt(email.clone(), password_of("guarded")).await;
    assert_eq!(limited.status, 429, "even the right password waits");
    assert_eq!(limited.error_code(), "rate_limited");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(app.store.calls("POST /xmlrpc.php"), calls_before, "a locked-out attempt never reaches the store");
    assert!(app.store.customer(id).is_some());
}

#[tokio::test]
async fn sign_in_falls_back_to_wp_login_when_xmlrpc_is_off() {
    let app = TestApp::spawn().await;
    let (email, id) = customer(&app, "fallback");
    for mode in [XmlRpcMode::Disabled, XmlRpcMode::Blocked] {
        app.store.set_xmlrpc_mode(mode);
        let before = app.store.calls("POST /wp-login.php");
        for login in [email.as_str(), "fallback"] {
            let (_, body) = sign_in(app.browser(), login, &password_of("fallback")).await;
            assert_eq!(body["customer"]["id"].as_u64(), Some(id));
        }
        let wrong = app.browser().post("/api/v1/auth/login", json!({"email_or_username": "fallback", "password": "nope-nope"})).await;
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.error_code(), "invalid_credentials");
        assert_eq!(app.store.calls("POST /wp-login.php"), before + 3, "the form login was used");
    }
}

#[tokio::test]
async fn profile_reads_and_updates_through_the_store() {
    let app = TestApp::spawn().await;
    let (email, id) = customer(&app, "profiled");
    let (client, _) = sign_in(app.app_client().await, &email, &password_of("profiled")).await;
    let address = json!({"first_name": "Pro", "last_name": "Filed", "address_1": "1 Road", "city": "Berlin", "postcode": "10115", "country": "DE", "phone": "+49 30 1"});
    let r = client.patch("/api/v1/me", json!({"first_name": "Pro", "shipping": address})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["shipping"]["city"], "Berlin");
    assert_eq!(client.get("/api/v1/me").await.json()["first_name"], "Pro");
    // Stored in WooCommerce: a new sign-in elsewhere reads it back from the store.
    let (other, _) = sign_in(app.browser(), &email, &password_of("profiled")).await;
    assert_eq!(other.get("/api/v1/me").await.json()["shipping"]["city"], "Berlin");
    assert_eq!(app.store.customer(id).unwrap().first_name, "Pro");
    let bad = client.patch("/api/v1/me", json!({"billing": {"country": "Germany", "email": "x"}})).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.error_fields(), vec!["billing.country", "billing.email"]);
    let unknown = client.patch("/api/v1/me", json!({"role": "administrator"})).await;
    assert_eq!(unknown.status, 422, "unknown fields are refused, not ignored");
}

async fn order_as(client: &ShopperClient<'_>, app: &TestApp, key: &str) -> u64 {
    let product = simple_product(app, false).await;
    let r = client.post("/api/v1/cart/items", json!({"product_id": product["id"], "quantity": 1})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let billing = json!({"first_name": "A", "last_name": "B", "address_1": "1 St", "city": "LA", "state": "CA", "postcode": "90001", "country": "US", "email": "orders@example.test"});
    let r = client.put("/api/v1/cart/addresses", json!({"billing": billing})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = client.checkout(key, json!({"payment_method": "cod"})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["order_id"].as_u64().unwrap()
}

#[tokio::test]
async fn orders_placed_signed_in_are_the_customers_own_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let (a_email, a_id) = customer(&app, "alice");
    let (b_email, _) = customer(&app, "bob");
    let (alice, _) = sign_in(app.app_client().await, &a_email, &password_of("alice")).await;
    let (bob, _) = sign_in(app.browser(), &b_email, &password_of("bob")).await;
    let order = order_as(&alice, &app, "alice-1").await;

    let list = alice.get("/api/v1/me/orders").await;
    assert_eq!(list.status, 200, "{}", String::from_utf8_lossy(&list.body));
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"].as_u64(), Some(order));
    assert_eq!(app.store.order_customer(order), Some(a_id), "the store records the owner");
    let detail = alice.get(&format!("/api/v1/me/orders/{order}")).await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.json()["lines"].as_array().unwrap().len(), 1);
    assert_eq!(alice.get("/api/v1/me/orders?status=processing").await.json()["items"].as_array().unwrap().len(), 1);
    assert_eq!(alice.get("/api/v1/me/orders?status=completed").await.json()["items"].as_array().unwrap().len(), 0);

    // Bob sees none of it.
    let theirs = bob.get(&format!("/api/v1/me/orders/{order}")).await;
    assert_eq!(theirs.status, 404);
    assert_eq!(theirs.error_code(), "order_not_found");
    assert_eq!(bob.get("/api/v1/me/orders").await.json()["items"].as_array().unwrap().len(), 0);
    assert_eq!(bob.get("/api/v1/me/orders/999999").await.status, 404);
    // Bad input.
    assert_eq!(bob.get("/api/v1/me/orders?per_page=0").await.status, 422);
    assert_eq!(bob.get("/api/v1/me/orders?status=shipped").await.status, 422);
    assert_eq!(bob.get("/api/v1/me/orders/abc").await.status, 422);
    // Guests have no "me".
    assert_eq!(app.browser().get("/api/v1/me/orders").await.status, 401);
}

#[tokio::test]
async fn a_guest_cart_merges_at_sign_in_and_follows_the_customer() {
    let app = TestApp::spawn().await;
    let (email, _) = customer(&app, "merger");
    let scarce = simple_product(&app, true).await;
    let stock = scarce["stock"]["low_stock_remaining"].as_i64().unwrap();
    let plenty = simple_product(&app, false).await;

    // Device 1: signed in, 1 of the scarce product saved in the customer's cart.
    let (phone, _) = sign_in(app.app_client().await, &email, &password_of("merger")).await;
    assert_eq!(phone.post("/api/v1/cart/items", json!({"product_id": scarce["id"], "quantity": 1})).await.status, 201);

    // Device 2: a guest adds all the scarce stock and something else, then signs in.
    let laptop = app.browser();
    assert_eq!(laptop.post("/api/v1/cart/items", json!({"product_id": scarce["id"], "quantity": stock})).await.status, 201);
    assert_eq!(laptop.post("/api/v1/cart/items", json!({"product_id": plenty["id"], "quantity": 2})).await.status, 201);
    let (laptop, _) = sign_in(laptop, &email, &password_of("merger")).await;
    let merged = laptop.get("/api/v1/cart").await.json();
    assert_eq!(line_quantity(&merged, &scarce["id"]), Some(stock), "1 + {stock} capped at the stock of {stock}");
    assert_eq!(line_quantity(&merged, &plenty["id"]), Some(2));

    // The phone sees the same cart.
    let on_phone = phone.get("/api/v1/cart").await.json();
    assert_eq!(line_quantity(&on_phone, &scarce["id"]), Some(stock));
    assert_eq!(line_quantity(&on_phone, &plenty["id"]), Some(2));
}

#[tokio::test]
async fn earlier_guest_orders_with_the_same_email_are_claimed_on_request() {
    let app = TestApp::spawn().await;
    let (email, id) = customer(&app, "claimer");
    // A guest order with the account's email, and one with another email.
    let guest = app.app_client().await;
    let product = simple_product(&app, false).await;
    guest.post("/api/v1/cart/items", json!({"product_id": product["id"], "quantity": 1})).await;
    let billing = json!({"first_name": "C", "last_name": "L", "address_1": "1 St", "city": "LA", "state": "CA", "postcode": "90001", "country": "US", "email": email.to_uppercase()});
    guest.put("/api/v1/cart/addresses", json!({"billing": billing})).await;
    let mine = guest.checkout("claim-1", json!({"payment_method": "cod"})).await.json()["order_id"].as_u64().unwrap();
    let other = order_as(&app.app_client().await, &app, "claim-2").await;

    let (client, _) = sign_in(app.browser(), &email, &password_of("claimer")).await;
    assert_eq!(client.get("/api/v1/me/orders").await.json()["items"].as_array().unwrap().len(), 0, "not attached at sign-in");
    let r = client.post("/api/v1/me/orders/claim", json!({})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["order_ids"], json!([mine]));
    assert_eq!(app.store.order_customer(mine), Some(id));
    assert_eq!(app.store.order_customer(other), Some(0));
    assert_eq!(client.get(&format!("/api/v1/me/orders/{mine}")).await.status, 200);
    // Claiming again finds nothing new.
    assert_eq!(client.post("/api/v1/me/orders/claim", json!({})).await.json()["order_ids"], json!([]));
}

/// A sign-in attempt by raw HTTP: the answer and the device cookie it set, if any.
async fn attempt_with(app: &TestApp, login: &str, password: &str, client_ip: &str, device: Option<&str>) -> (u16, Option<String>) {
    let mut request = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("x-forwarded-for", client_ip)
        .header("origin", &app.base)
        .json(&json!({"email_or_username": login, "password": password}));
    if let Some(device) = device {
        request = request.header("cookie", device);
    }
    let r = app.send(request, "POST", "/api/v1/auth/login").await;
    let device = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|c| c.starts_with("sfbff_device="));
    (r.status.as_u16(), device)
}

#[tokio::test]
async fn the_owners_device_signs_in_at_the_first_try_while_the_account_is_under_attack() {
    let app = TestApp::with(|c| {
        c.options.accounts = AccountSettings { max_failures: 3, lockout: Duration::from_secs(300), ..AccountSettings::default() };
        c.options.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let (email, _) = customer(&app, "owner");
    let (status, device) = attempt_with(&app, &email, &password_of("owner"), "198.51.100.1", None).await;
    assert_eq!(status, 200);
    let device = device.expect("a successful sign-in sets the device cookie");
    // An attack from 20 addresses (the owner's login, wrong passwords).
    for i in 0..20 {
        attempt_with(&app, &email, "wrong-password", &format!("203.0.113.{i}"), None).await;
    }
    let (status, _) = attempt_with(&app, &email, &password_of("owner"), "192.0.2.50", None).await;
    assert_eq!(status, 429, "an untrusted client (even with the right password) is locked out");
    let (status, again) = attempt_with(&app, &email, &password_of("owner"), "198.51.100.1", Some(&device)).await;
    assert_eq!(status, 200, "the owner's device signs in at the first try");
    assert!(again.is_some());
    // A forged device cookie is no device.
    let forged = format!("{}x", &device[..device.len() - 1]);
    assert_eq!(attempt_with(&app, &email, &password_of("owner"), "198.51.100.1", Some(&forged)).await.0, 429);
}

#[tokio::test]
async fn email_and_username_share_one_sign_in_budget() {
    let app = TestApp::with(|c| {
        c.options.accounts = AccountSettings { max_failures: 4, lockout: Duration::from_secs(300), ..AccountSettings::default() };
        c.options.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let (email, _) = customer(&app, "aliased");
    // The owner signed in once (by email): the account's logins are known from then on.
    assert_eq!(attempt_with(&app, &email, &password_of("aliased"), "198.51.100.1", None).await.0, 200);
    for (i, login) in ["aliased", email.as_str(), "aliased", email.as_str()].iter().enumerate() {
        assert_eq!(attempt_with(&app, login, "wrong-password", &format!("203.0.113.{i}"), None).await.0, 401);
    }
    assert_eq!(attempt_with(&app, "aliased", "wrong-password", "203.0.113.99", None).await.0, 429, "two logins, one budget of four");
    assert_eq!(attempt_with(&app, &email, "wrong-password", "203.0.113.98", None).await.0, 429);
}
