//! Security probes, part one: forged bearer tokens (alg none, HS/RS confusion, another algorithm,
//! tampered, expired, not yet valid, wrong audience or issuer, garbage) against every route family
//! that takes one, object-level authorization across partners and guest orders, and CSRF from a
//! foreign origin on every cookie write. Part two is `security_http.rs`.

use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::SecretString;
use serde_json::{json, Value};
use storefront_bff::session::SessionTokens;

use crate::common::{TestApp, TestResponse};
use crate::contract::assert_documented;
use crate::partners::{self, now, PartnerSpec, Registry};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The session token key a test knows (the default is random per run).
fn session_tokens(key: &str) -> SessionTokens {
    SessionTokens::from_secret(SecretString::from(key.to_string()), Duration::from_secs(3600))
}

fn random_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key = hex::encode(bytes);
    crate::common::note_secret(&key);
    key
}

fn decode_part(token: &str, i: usize) -> Value {
    serde_json::from_slice(&B64.decode(token.split('.').nth(i).unwrap()).unwrap()).unwrap()
}

/// Signs `claims` with the header of a token we issued (its `kid`, if any), altered by `alg`.
fn sign(real: &str, alg: Algorithm, claims: &Value, key: &EncodingKey) -> String {
    let mut header: Header = serde_json::from_value(decode_part(real, 0)).unwrap();
    header.alg = alg;
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

/// An RSA key pair as PEM (private PKCS#8, public SPKI).
fn rsa_pair() -> (String, String) {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let public = private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
    (private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(), public)
}

/// Forgeries of `real` (a token the server issued, signed with `key`), by name.
fn forgeries(real: &str, key: &str) -> Vec<(&'static str, String)> {
    let claims = decode_part(real, 1);
    let hs = EncodingKey::from_secret(key.as_bytes());
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        f(&mut c);
        sign(real, Algorithm::HS256, &c, &hs)
    };
    let (private_pem, public_pem) = rsa_pair();
    let none_header = B64.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let payload = real.split('.').nth(1).unwrap();
    let mut tampered = claims.clone();
    tampered["sub"] = format!("{}x", tampered["sub"].as_str().unwrap()).into();
    let tampered = format!("{}.{}.{}", real.split('.').next().unwrap(), B64.encode(tampered.to_string()), real.split('.').nth(2).unwrap());
    let now = now();
    vec![
        ("alg none", format!("{none_header}.{payload}.")),
        ("alg none without a signature part", format!("{none_header}.{payload}")),
        ("alg none with the real signature", format!("{none_header}.{payload}.{}", real.split('.').nth(2).unwrap())),
        ("RS256 from another key pair", sign(real, Algorithm::RS256, &claims, &EncodingKey::from_rsa_pem(private_pem.as_bytes()).unwrap())),
        ("HS256 keyed with an RSA public key", sign(real, Algorithm::HS256, &claims, &EncodingKey::from_secret(public_pem.as_bytes()))),
        ("HS384 with the right key", sign(real, Algorithm::HS384, &claims, &hs)),
        ("tampered payload", tampered),
        ("another key", sign(real, Algorithm::HS256, &claims, &EncodingKey::from_secret(random_key().as_bytes()))),
        ("expired", with(&|c| c["exp"] = (now - 120).into())),
        ("not yet valid", with(&|c| c["nbf"] = (now + 600).into())),
        ("wrong audience", with(&|c| c["aud"] = "storefront-bff:elsewhere".into())),
        ("wrong issuer", with(&|c| c["iss"] = "https://evil.example".into())),
        ("no expiry", with(&|c| drop(c.as_object_mut().unwrap().remove("exp")))),
        ("garbage", "garbage".into()),
        ("three empty parts", "..".into()),
        ("not base64", "%%%.%%%.%%%".into()),
        ("8 KiB", "A".repeat(8192)),
    ]
}

fn assert_invalid_token(r: &TestResponse, method: &str, template: &str, what: &str) {
    assert_eq!(r.status, 401, "{what}: {method} {template}: {}", String::from_utf8_lossy(&r.body));
    assert_eq!(assert_documented(method, template, r).as_deref(), Some("invalid_token"), "{what}");
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""), "{what}: {challenge}");
}

/// `(method, template, concrete path)` of every operation documenting `status` under `prefix`.
pub fn operations_documenting(status: &str, prefix: &str) -> Vec<(String, String, String)> {
    let doc = storefront_bff::routes::openapi();
    let mut found = Vec::new();
    for (template, item) in &doc.paths.paths {
        let ops = [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("PATCH", &item.patch), ("DELETE", &item.delete)];
        for (method, op) in ops {
            if op.as_ref().is_some_and(|op| op.responses.responses.contains_key(status)) && template.starts_with(prefix) {
                let path = template.replace("{key}", "0123456789abcdef0123456789abcdef").replace("{code}", "save10").replace("{id}", "1");
                found.push((method.to_string(), template.clone(), path));
            }
        }
    }
    found
}

async fn bearer_call(app: &TestApp, method: &str, path: &str, token: &str) -> TestResponse {
    let mut request = app.client.request(method.parse().unwrap(), format!("{}{path}", app.base)).bearer_auth(token);
    if method != "GET" && method != "DELETE" {
        request = request.json(&json!({})).header("idempotency-key", "probe");
    }
    app.send(request, method, path).await
}

#[tokio::test]
async fn forged_session_tokens_are_refused_on_every_shopper_route() {
    let key = random_key();
    let app = TestApp::with(|c| c.options.tokens = session_tokens(&key)).await;
    let real = app.app_client().await.bearer().unwrap().to_string();
    // The control: a faithful re-signing is accepted, so each refusal below is for its own reason.
    let control = sign(&real, Algorithm::HS256, &decode_part(&real, 1), &EncodingKey::from_secret(key.as_bytes()));
    assert_eq!(bearer_call(&app, "GET", "/api/v1/cart", &control).await.status, 200);
    let forged = forgeries(&real, &key);
    for (what, token) in &forged {
        assert_invalid_token(&bearer_call(&app, "GET", "/api/v1/cart", token).await, "GET", "/api/v1/cart", what);
    }
    let routes = operations_documenting("401", "/api/v1/c");
    assert!(routes.len() >= 9, "the cart and checkout routes: {routes:?}");
    for (method, template, path) in routes {
        for (what, token) in forged.iter().filter(|(w, _)| ["alg none", "expired", "wrong audience"].contains(w)) {
            assert_invalid_token(&bearer_call(&app, &method, &path, token).await, &method, &template, what);
        }
    }
    // A partner token is not a session token either.
    let partner_like =
        sign(&real, Algorithm::HS256, &json!({"aud": "storefront-bff:partner-api"}), &EncodingKey::from_secret(key.as_bytes()));
    assert_invalid_token(&bearer_call(&app, "GET", "/api/v1/cart", &partner_like).await, "GET", "/api/v1/cart", "partner audience");
}

#[tokio::test]
async fn forged_partner_tokens_are_refused_on_every_partner_route() {
    let acme = PartnerSpec::new("acme", 621);
    let registry = Registry::write(std::slice::from_ref(&acme));
    let app = partners::spawn(&registry).await;
    let real = partners::token(&app, &acme, None).await;
    let control = sign(&real, Algorithm::HS256, &decode_part(&real, 1), &EncodingKey::from_secret(registry.token_key.as_bytes()));
    assert_eq!(partners::get(&app, "/api/v1/partner/products?per_page=1", &control).await.status, 200);
    let forged = forgeries(&real, &registry.token_key);
    for (what, token) in &forged {
        let r = partners::get(&app, "/api/v1/partner/products?per_page=1", token).await;
        assert_invalid_token(&r, "GET", "/api/v1/partner/products", what);
    }
    let routes = operations_documenting("401", "/api/v1/partner/");
    let routes: Vec<_> = routes.into_iter().filter(|(_, t, _)| t != "/api/v1/partner/token").collect();
    assert!(routes.len() >= 6, "every partner route: {routes:?}");
    for (method, template, path) in routes {
        for (what, token) in forged.iter().filter(|(w, _)| ["alg none", "HS256 keyed with an RSA public key", "not yet valid"].contains(w))
        {
            assert_invalid_token(&bearer_call(&app, &method, &path, token).await, &method, &template, what);
        }
    }
    // A shopper's session token is not a partner token.
    let session = app.app_client().await.bearer().unwrap().to_string();
    let r = partners::get(&app, "/api/v1/partner/orders", &session).await;
    assert_invalid_token(&r, "GET", "/api/v1/partner/orders", "session token");
}

#[tokio::test]
async fn a_partner_cannot_reach_another_partners_orders() {
    let (a, b) = (PartnerSpec::new("alpha", 631), PartnerSpec::new("beta", 632));
    let registry = Registry::write(&[a.clone(), b.clone()]);
    let app = partners::spawn(&registry).await;
    let (ta, tb) = (partners::token(&app, &a, None).await, partners::token(&app, &b, None).await);
    let item = partners::orderable(&app, 1, 20).await.remove(0);
    let r = partners::order(&app, &ta, "bola-1", json!({"po_number": "A-1", "lines": [{"sku": item.sku, "quantity": 1}]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_u64().unwrap();
    assert_eq!(partners::get(&app, &format!("/api/v1/partner/orders/{id}"), &ta).await.status, 200);
    let r = partners::get(&app, &format!("/api/v1/partner/orders/{id}"), &tb).await;
    assert_eq!(r.status, 404);
    assert_eq!(assert_documented("GET", "/api/v1/partner/orders/{id}", &r).as_deref(), Some("order_not_found"));
    let listed = partners::get(&app, "/api/v1/partner/orders?per_page=100", &tb).await.json();
    assert!(listed["items"].as_array().unwrap().iter().all(|o| o["id"] != id), "not in beta's list");
    // Beta's idempotency key space is its own: the same key places beta's own order.
    let r = partners::order(&app, &tb, "bola-1", json!({"po_number": "B-1", "lines": [{"sku": item.sku, "quantity": 1}]})).await;
    assert_eq!(r.status, 201);
    assert_ne!(r.json()["id"], id);
}

/// A guest checkout: (order id, order key, billing email).
async fn guest_order(app: &TestApp, email: &str) -> (u64, String) {
    let shopper = app.app_client().await;
    let list = app.get("/api/v1/products?per_page=100&stock_status=in_stock").await.json();
    let product =
        list["items"].as_array().unwrap().iter().find(|p| p["type"] == "simple" && p["purchasable"] == true).unwrap()["id"].clone();
    assert_eq!(shopper.post("/api/v1/cart/items", json!({"product_id": product, "quantity": 1})).await.status, 201);
    let billing = json!({"first_name": "G", "last_name": "Uest", "address_1": "1 Main St", "city": "Austin", "state": "TX",
        "postcode": "73301", "country": "US", "email": email, "phone": "+1 512 555 0100"});
    assert_eq!(shopper.put("/api/v1/cart/addresses", json!({"billing": billing})).await.status, 200);
    let r = shopper.checkout(&format!("guest-{email}"), json!({"payment_method": "cod"})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    (r.json()["order_id"].as_u64().unwrap(), r.json()["order_key"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_guest_order_needs_its_own_key_and_email() {
    let app = TestApp::spawn().await;
    let (one, key_one) = guest_order(&app, "one@example.test").await;
    let (two, key_two) = guest_order(&app, "two@example.test").await;
    let ok = app.get(&format!("/api/v1/orders/{one}?key={key_one}&email=one@example.test")).await;
    assert_eq!(ok.status, 200);
    for (id, key, email) in [
        (one, key_two.as_str(), "one@example.test"),
        (one, key_one.as_str(), "two@example.test"),
        (two, key_one.as_str(), "one@example.test"),
        (two, key_one.as_str(), "two@example.test"),
        (one, "wc_order_", "one@example.test"),
        (one, &key_one[..key_one.len() - 1], "one@example.test"),
    ] {
        let r = app.get(&format!("/api/v1/orders/{id}?key={key}&email={email}")).await;
        assert_eq!(r.status, 404, "order {id} with key {key} and {email}");
        assert_eq!(assert_documented("GET", "/api/v1/orders/{id}", &r).as_deref(), Some("order_not_found"));
    }
}

#[tokio::test]
async fn cookie_writes_from_a_foreign_origin_are_403_on_every_route() {
    let app = TestApp::spawn().await;
    let routes: Vec<_> =
        operations_documenting("403", "/api/v1/").into_iter().filter(|(m, t, _)| m != "GET" && !t.contains("partner")).collect();
    assert!(routes.len() >= 9, "session, cart and checkout writes: {routes:?}");
    let origins: [(&str, &[(&str, &str)]); 4] = [
        ("foreign Origin", &[("origin", "https://evil.example")]),
        ("null Origin", &[("origin", "null")]),
        ("foreign Referer only", &[("referer", "https://evil.example/cart")]),
        ("no Origin or Referer", &[]),
    ];
    for (what, headers) in origins {
        // A same-origin write starts the session (reads make none), then the cookie is replayed.
        let browser = app.browser();
        let started = browser.post("/api/v1/cart/coupons", json!({"code": "save10"})).await;
        assert!(started.header("set-cookie").is_some(), "a session cookie");
        let browser = browser.with_origin(None);
        for (method, template, path) in &routes {
            let r = browser.request(method.parse().unwrap(), path, Some(json!({})), headers).await;
            assert_eq!(r.status, 403, "{what}: {method} {path}: {}", String::from_utf8_lossy(&r.body));
            assert_eq!(assert_documented(method, template, &r).as_deref(), Some("csrf_rejected"), "{what}");
        }
    }
    // The same cookie from our own origin gets through the check.
    let browser = app.browser();
    browser.get("/api/v1/cart").await;
    assert_ne!(browser.post("/api/v1/cart/coupons", json!({"code": "save10"})).await.status, 403);
}
