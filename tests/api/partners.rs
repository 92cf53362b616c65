//! The partner (B2B) API end to end: the client-credentials grant, scopes, live registry reloads,
//! partner prices, stock by SKU in batches, idempotent all-or-nothing bulk orders (JSON and CSV),
//! order isolation between partners, and the partner rate limit.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use secrecy::SecretString;
use serde_json::{json, Value};
use storefront_bff::demo_store::{ProductInfo, ProductStatus, ProductType, StockStatus};
use storefront_bff::partners::secret::{hash_with, SecretHash};
use storefront_bff::partners::{PartnerOptions, PartnerTokens, Reloaded};

use crate::common::{note_secret, TestApp, TestResponse};

/// Cheap argon2id parameters: the suite runs unoptimised.
fn cheap() -> argon2::Params {
    argon2::Params::new(256, 1, 1, None).expect("valid parameters")
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// One partner of a test registry (also used by the fault and security probes).
#[derive(Clone)]
pub(crate) struct PartnerSpec {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) secret: String,
    hash: String,
    scopes: Vec<&'static str>,
    customer_id: u64,
    rate: u32,
    enabled: bool,
    prices: String,
}

impl PartnerSpec {
    pub(crate) fn new(id: &str, customer_id: u64) -> Self {
        let secret = format!("ps_{}", random_hex(20));
        note_secret(&secret);
        PartnerSpec {
            id: id.into(),
            client_id: format!("{id}-client"),
            hash: hash_with(secret.as_bytes(), cheap()),
            secret,
            scopes: vec!["catalog:read", "stock:read", "orders:read", "orders:write"],
            customer_id,
            rate: 10_000,
            enabled: true,
            prices: String::new(),
        }
    }

    fn toml(&self) -> String {
        let scopes: Vec<String> = self.scopes.iter().map(|s| format!("{s:?}")).collect();
        format!(
            "[[partner]]\nid = {:?}\nname = \"Partner {}\"\nclient_id = {:?}\nclient_secret_hash = {:?}\nscopes = [{}]\ncustomer_id = {}\nrate_limit_per_minute = {}\nenabled = {}\n{}\n",
            self.id,
            self.id,
            self.client_id,
            self.hash,
            scopes.join(", "),
            self.customer_id,
            self.rate,
            self.enabled,
            self.prices
        )
    }
}

/// A registry file in its own temporary folder.
pub(crate) struct Registry {
    path: PathBuf,
    pub(crate) token_key: String,
    /// The partners' WooCommerce customers, created in the demo store at spawn
    /// (WooCommerce refuses orders for a customer id that does not exist).
    customers: Vec<u64>,
}

impl Registry {
    pub(crate) fn write(partners: &[PartnerSpec]) -> Registry {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("partners-{}", random_hex(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("partners.toml");
        let token_key = random_hex(32);
        note_secret(&token_key);
        let mut customers: Vec<u64> = partners.iter().map(|p| p.customer_id).collect();
        customers.sort_unstable();
        customers.dedup();
        let registry = Registry { path, token_key, customers };
        registry.rewrite(partners);
        registry
    }

    fn rewrite(&self, partners: &[PartnerSpec]) {
        let text: String = partners.iter().map(PartnerSpec::toml).collect();
        std::fs::write(&self.path, text).unwrap();
    }

    fn create_customers(&self, app: &TestApp) {
        for id in &self.customers {
            let password = random_hex(16);
            note_secret(&password);
            app.store.add_customer_with_id(*id, &format!("partner-{id}"), &format!("partner-{id}@example.test"), &password);
        }
    }

    fn options(&self) -> PartnerOptions {
        let tokens = PartnerTokens::new(SecretString::from(self.token_key.clone()), Duration::from_secs(600));
        PartnerOptions::open(&self.path, tokens, Duration::from_millis(200)).expect("the test registry is valid")
    }
}

pub(crate) async fn spawn(registry: &Registry) -> TestApp {
    let options = registry.options();
    let app = TestApp::with(|c| c.options.partners = Some(options)).await;
    registry.create_customers(&app);
    app
}

async fn spawn_with(registry: &Registry, products: usize) -> TestApp {
    let options = registry.options();
    let app = TestApp::with(|c| {
        c.options.partners = Some(options);
        c.demo.products = products;
    })
    .await;
    registry.create_customers(&app);
    app
}

async fn token_request(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> TestResponse {
    let mut request = app.client.post(format!("{}/api/v1/partner/token", app.base)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    app.send(request, "POST", "/api/v1/partner/token").await
}

pub(crate) async fn token(app: &TestApp, p: &PartnerSpec, scope: Option<&str>) -> String {
    let mut form = vec![("grant_type", "client_credentials"), ("client_id", p.client_id.as_str()), ("client_secret", p.secret.as_str())];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let r = token_request(app, &form, None).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["access_token"].as_str().unwrap().to_string()
}

pub(crate) async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = app.client.request(method.clone(), format!("{}{path}", app.base)).bearer_auth(bearer);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    if let Some(b) = body {
        request = request.json(&b);
    }
    app.send(request, method.as_str(), path).await
}

pub(crate) async fn get(app: &TestApp, path: &str, bearer: &str) -> TestResponse {
    call(app, reqwest::Method::GET, path, bearer, None, &[]).await
}

pub(crate) async fn order(app: &TestApp, bearer: &str, key: &str, body: Value) -> TestResponse {
    call(app, reqwest::Method::POST, "/api/v1/partner/orders", bearer, Some(body), &[("idempotency-key", key)]).await
}

fn text(r: &TestResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// Published simple products with a SKU and a price.
fn simple_products(app: &TestApp) -> Vec<ProductInfo> {
    app.store
        .catalogue()
        .products()
        .into_iter()
        .filter(|p| {
            p.kind == ProductType::Simple && p.status == ProductStatus::Publish && !p.sku.is_empty() && p.price.is_some_and(|x| x > 0)
        })
        .collect()
}

/// Simple products ready to order: stock managed at `quantity`, no backorders (set through REST v3).
pub(crate) async fn orderable(app: &TestApp, n: usize, quantity: i64) -> Vec<ProductInfo> {
    let picked: Vec<ProductInfo> = simple_products(app).into_iter().take(n).collect();
    assert_eq!(picked.len(), n, "the demo catalogue has {n} simple products");
    for p in &picked {
        let patch = json!({"manage_stock": true, "stock_quantity": quantity, "backorders": "no", "stock_status": "instock"});
        let path = format!("/products/{}", p.id);
        let updated: Value = app.state.rest.send_json("product", reqwest::Method::PUT, &path, &patch).await.expect("stock set");
        assert_eq!(updated["stock_quantity"], quantity);
    }
    picked.into_iter().map(|p| app.store.catalogue().get(p.id).unwrap()).collect()
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

pub(crate) fn jwt(key: &str, claims: Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn the_partner_api_is_off_without_a_registry() {
    let app = TestApp::spawn().await;
    let r = token_request(&app, &[("grant_type", "client_credentials")], None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "partners_disabled");
    let r = get(&app, "/api/v1/partner/products", "whatever").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "partners_disabled");
}

#[tokio::test]
async fn tokens_are_granted_with_basic_and_with_body_credentials() {
    let acme = PartnerSpec::new("acme", 501);
    let registry = Registry::write(std::slice::from_ref(&acme));
    let app = spawn(&registry).await;

    let r = token_request(&app, &[("grant_type", "client_credentials")], Some((&acme.client_id, &acme.secret))).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "catalog:read stock:read orders:read orders:write");
    let by_basic = body["access_token"].as_str().unwrap().to_string();

    let by_body = token(&app, &acme, None).await;
    for bearer in [&by_basic, &by_body] {
        let r = get(&app, "/api/v1/partner/products?per_page=2", bearer).await;
        assert_eq!(r.status, 200, "{}", text(&r));
        assert_eq!(r.header("cache-control"), Some("private, no-store"));
    }

    // The JWT carries what the issue asks for.
    use base64::Engine;
    let payload = by_body.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["sub"], "acme");
    assert_eq!(claims["aud"], "storefront-bff:partner-api");
    assert!(claims["exp"].as_u64().unwrap() > now() && claims["jti"].is_string() && claims["scope"].is_string());

    // RFC 6749 request errors.
    let r = token_request(&app, &[("client_id", &acme.client_id), ("client_secret", &acme.secret)], None).await;
    assert_eq!((r.status.as_u16(), r.json()["error"].as_str()), (400, Some("invalid_request")));
    let r = token_request(&app, &[("grant_type", "password"), ("client_id", &acme.client_id), ("client_secret", &acme.secret)], None).await;
    assert_eq!((r.status.as_u16(), r.json()["error"].as_str()), (400, Some("unsupported_grant_type")));
    let r = app
        .send(
            app.client.post(format!("{}/api/v1/partner/token", app.base)).json(&json!({"grant_type": "client_credentials"})),
            "POST",
            "/api/v1/partner/token",
        )
        .await;
    assert_eq!((r.status.as_u16(), r.json()["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn a_wrong_secret_and_an_unknown_client_answer_alike() {
    let mut acme = PartnerSpec::new("acme", 502);
    // A costlier hash, so that skipping the verification would show in the timing.
    acme.hash = hash_with(acme.secret.as_bytes(), argon2::Params::new(4096, 2, 1, None).unwrap());
    let registry = Registry::write(std::slice::from_ref(&acme));
    let app = spawn(&registry).await;
    let wrong = format!("ps_{}", random_hex(20));

    let attempts = [(acme.client_id.as_str(), wrong.as_str()), ("nobody-client", wrong.as_str()), ("nobody-client", acme.secret.as_str())];
    let mut answers = Vec::new();
    let mut times = Vec::new();
    for (id, secret) in attempts {
        let start = Instant::now();
        let r = token_request(&app, &[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)], None).await;
        times.push(start.elapsed());
        answers.push((r.status, r.body.clone(), r.header("www-authenticate").map(str::to_string)));
    }
    assert_eq!(answers[0].0, 400);
    assert_eq!(serde_json::from_slice::<Value>(&answers[0].1).unwrap()["error"], "invalid_client");
    assert!(answers.iter().all(|a| *a == answers[0]), "identical answers: {answers:?}");

    let mut basic = Vec::new();
    for (id, secret) in attempts {
        let start = Instant::now();
        let r = token_request(&app, &[("grant_type", "client_credentials")], Some((id, secret))).await;
        times.push(start.elapsed());
        basic.push((r.status, r.body.clone(), r.header("www-authenticate").map(str::to_string)));
    }
    assert_eq!(basic[0].0, 401);
    assert_eq!(basic[0].2.as_deref(), Some("Basic realm=\"partner-api\", charset=\"UTF-8\""));
    assert!(basic.iter().all(|a| *a == basic[0]), "identical answers: {basic:?}");

    // Unknown clients are verified against a dummy hash of the same cost: no fast path. (Load
    // only slows requests down, so the fastest of each kind is the honest comparison.)
    let mut known: Vec<Duration> = vec![times[0], times[3]];
    for _ in 0..2 {
        let start = Instant::now();
        token_request(&app, &[("grant_type", "client_credentials"), ("client_id", &acme.client_id), ("client_secret", &wrong)], None).await;
        known.push(start.elapsed());
    }
    let unknown: Vec<Duration> = vec![times[1], times[2], times[4], times[5]];
    let fastest_known = known.iter().min().unwrap();
    let fastest_unknown = unknown.iter().min().unwrap();
    assert!(fastest_unknown.as_secs_f64() > fastest_known.as_secs_f64() * 0.3, "known {known:?} vs unknown {unknown:?}");
}

#[tokio::test]
async fn scopes_narrow_and_a_missing_scope_is_403() {
    let mut reader = PartnerSpec::new("reader", 503);
    reader.scopes = vec!["catalog:read", "stock:read", "orders:read"];
    let registry = Registry::write(std::slice::from_ref(&reader));
    let app = spawn(&registry).await;

    let form = |scope: &'static str| {
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", reader.client_id.as_str()),
            ("client_secret", reader.secret.as_str()),
            ("scope", scope),
        ]
    };
    let r = token_request(&app, &form("catalog:read"), None).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["scope"], "catalog:read");
    let narrow = r.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(get(&app, "/api/v1/partner/products?per_page=1", &narrow).await.status, 200);

    let r = call(&app, reqwest::Method::POST, "/api/v1/partner/stock", &narrow, Some(json!({"skus": ["X"]})), &[]).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "insufficient_scope");
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"partner-api\", error=\"insufficient_scope\", scope=\"stock:read\""));
    let r = get(&app, "/api/v1/partner/orders", &narrow).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (403, "insufficient_scope".to_string()));

    // More than the client may have, or unknown: invalid_scope.
    for scope in ["catalog:read orders:write", "admin", ""] {
        let r = token_request(&app, &form(scope), None).await;
        assert_eq!((r.status.as_u16(), r.json()["error"].as_str()), (400, Some("invalid_scope")), "{scope:?}");
    }
    // Without scope: everything the client has, and still not orders:write.
    let all = token(&app, &reader, None).await;
    let r = order(&app, &all, "k-1", json!({"lines": [{"sku": "X", "quantity": 1}], "po_number": "PO-1"})).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (403, "insufficient_scope".to_string()));
}

#[tokio::test]
async fn expired_forged_and_foreign_tokens_get_401() {
    let acme = PartnerSpec::new("acme", 504);
    let registry = Registry::write(std::slice::from_ref(&acme));
    let app = spawn(&registry).await;
    let sv = SecretHash::parse(&acme.hash).unwrap().version();
    let claims = |exp: u64| {
        json!({"iss": "storefront-bff", "aud": "storefront-bff:partner-api", "sub": "acme", "scope": "catalog:read",
               "iat": exp - 600, "nbf": exp - 600, "exp": exp, "jti": "j", "sv": sv})
    };
    // A token we would have issued works...
    let good = jwt(&registry.token_key, claims(now() + 300));
    assert_eq!(get(&app, "/api/v1/partner/products?per_page=1", &good).await.status, 200);

    let expired = jwt(&registry.token_key, claims(now() - 120));
    let other_key = random_hex(32);
    let forged = jwt(&other_key, claims(now() + 300));
    let mut tampered: Vec<String> = good.split('.').map(str::to_string).collect();
    {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut c: Value = serde_json::from_slice(&engine.decode(&tampered[1]).unwrap()).unwrap();
        c["scope"] = "catalog:read orders:write".into();
        tampered[1] = engine.encode(c.to_string());
    }
    let session = app.app_client().await.bearer().unwrap().to_string();
    for bad in [expired, forged, tampered.join("."), session, "garbage".to_string()] {
        let r = get(&app, "/api/v1/partner/products", &bad).await;
        assert_eq!(r.status, 401, "{bad}");
        assert_eq!(r.error_code(), "invalid_token");
        assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"partner-api\", error=\"invalid_token\""));
    }
    let r = app.get("/api/v1/partner/products").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"partner-api\""));
}

#[tokio::test]
async fn a_disabled_partner_is_cut_off_at_once_and_a_malformed_file_changes_nothing() {
    let mut acme = PartnerSpec::new("acme", 505);
    let other = PartnerSpec::new("other", 506);
    let registry = Registry::write(&[acme.clone(), other.clone()]);
    let app = spawn(&registry).await;
    let bearer = token(&app, &acme, None).await;
    assert_eq!(get(&app, "/api/v1/partner/products?per_page=1", &bearer).await.status, 200);

    // A malformed file is refused with line and field; the running registry keeps serving.
    std::fs::write(&registry.path, format!("{}{}", other.toml(), acme.toml().replace("customer_id = 505", "customer_id = \"505\"")))
        .unwrap();
    let err = app.state.partners.reload_now().await.unwrap_err();
    assert!(err.contains("line 17, field customer_id"), "{err}");
    assert_eq!(get(&app, "/api/v1/partner/products?per_page=1", &bearer).await.status, 200);
    token(&app, &acme, None).await;
    std::fs::write(&registry.path, other.toml().replace("scopes = [", "scopes = [\"everything\", ")).unwrap();
    let err = app.state.partners.reload_now().await.unwrap_err();
    assert!(err.contains("line 6, field partner[0].scopes: unknown scope \"everything\""), "{err}");
    token(&app, &acme, None).await;

    // Disabled: its live token stops working on the next request, and no new one is granted.
    acme.enabled = false;
    registry.rewrite(&[acme.clone(), other.clone()]);
    assert_eq!(app.state.partners.reload_now().await, Ok(Reloaded::Replaced(2)));
    let r = get(&app, "/api/v1/partner/products?per_page=1", &bearer).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (401, "invalid_token".to_string()));
    let r =
        token_request(&app, &[("grant_type", "client_credentials"), ("client_id", &acme.client_id), ("client_secret", &acme.secret)], None)
            .await;
    assert_eq!(r.json()["error"], "invalid_client");
    token(&app, &other, None).await;

    // Re-enabled through the file watcher alone (no explicit reload).
    acme.enabled = true;
    registry.rewrite(&[acme.clone(), other]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if get(&app, "/api/v1/partner/products?per_page=1", &bearer).await.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the watcher picked up the change");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Rotating the secret revokes the tokens issued under the old one.
    let rotated = PartnerSpec { secret: format!("ps_{}", random_hex(20)), ..acme.clone() };
    note_secret(&rotated.secret);
    let rotated = PartnerSpec { hash: hash_with(rotated.secret.as_bytes(), cheap()), ..rotated };
    registry.rewrite(std::slice::from_ref(&rotated));
    app.state.partners.reload_now().await.unwrap();
    assert_eq!(get(&app, "/api/v1/partner/products?per_page=1", &bearer).await.status, 401);
    let fresh = token(&app, &rotated, None).await;
    assert_eq!(get(&app, "/api/v1/partner/products?per_page=1", &fresh).await.status, 200);
}

#[test]
fn the_cli_hashes_secrets_and_checks_files() {
    let bin = env!("CARGO_BIN_EXE_storefront-bff");
    let secret = format!("ps_{}", random_hex(20));
    note_secret(&secret);
    let mut child = std::process::Command::new(bin)
        .args(["partner", "hash-secret"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{secret}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let phc = String::from_utf8(out.stdout).unwrap();
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    assert!(SecretHash::parse(phc.trim()).unwrap().verify(secret.as_bytes()));

    let good = Registry::write(&[PartnerSpec::new("acme", 507)]);
    let out = std::process::Command::new(bin).args(["partner", "check"]).arg(&good.path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok, 1 partner(s): acme"));

    let bad = Registry::write(&[PartnerSpec::new("acme", 508)]);
    let text = std::fs::read_to_string(&bad.path).unwrap().replace("rate_limit_per_minute = 10000", "rate_limit_per_minute = -1");
    std::fs::write(&bad.path, text).unwrap();
    let out = std::process::Command::new(bin).args(["partner", "check"]).arg(&bad.path).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 8, field partner[0].rate_limit_per_minute"), "{stderr}");
}

fn first_category(app: &TestApp, p: &ProductInfo) -> (u64, String) {
    let id = p.category_ids[0];
    let slug = app.store.catalogue().categories().into_iter().find(|c| c.id == id).unwrap().slug;
    (id, slug)
}

#[tokio::test]
async fn price_rules_apply_and_the_most_specific_wins() {
    // Learn the catalogue first (same seed, same catalogue in every demo store).
    let probe = TestApp::spawn().await;
    let simple = simple_products(&probe);
    let a = simple[0].clone();
    let (cat_id, cat_slug) = first_category(&probe, &a);
    let b = simple.iter().find(|p| p.id != a.id && p.category_ids.contains(&cat_id)).expect("a second product in the category").clone();
    let c = simple.iter().find(|p| !p.category_ids.iter().any(|c| a.category_ids.contains(c))).expect("a product elsewhere").clone();
    drop(probe);

    let mut acme = PartnerSpec::new("acme", 509);
    acme.prices = format!(
        "[partner.prices]\ndefault_discount_percent = 5\ncategories = {{ {cat_slug:?} = 12.5, \"999999\" = 50 }}\nskus = {{ {:?} = 777 }}\n",
        a.sku
    );
    let plain = PartnerSpec::new("plain", 510);
    let registry = Registry::write(&[acme.clone(), plain.clone()]);
    let app = spawn(&registry).await;
    let bearer = token(&app, &acme, Some("catalog:read")).await;

    let check = |body: &Value, p: &ProductInfo, rule: &str, amount: i64, percent: Option<f64>| {
        assert_eq!(body["id"], p.id);
        assert_eq!(body["price_rule"], rule, "{body}");
        assert_eq!(body["partner_price"]["amount"], amount, "{body}");
        assert_eq!(body["partner_price"]["currency"], "USD");
        assert_eq!(body["discount_percent"].as_f64(), percent);
        assert_eq!(body["prices"]["price"]["amount"].as_u64(), p.price, "the shop price is still shown");
    };
    let discounted = |price: u64, bp: u64| ((price * (10_000 - bp) + 5_000) / 10_000) as i64;

    // A: in the category too, but its SKU rule is more specific.
    let r = get(&app, &format!("/api/v1/partner/products/{}", a.id), &bearer).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    check(&r.json(), &a, "sku", 777, None);
    let r = get(&app, &format!("/api/v1/partner/products/{}", b.id), &bearer).await;
    check(&r.json(), &b, "category", discounted(b.price.unwrap(), 1250), Some(12.5));
    let r = get(&app, &format!("/api/v1/partner/products/{}", c.slug), &bearer).await;
    check(&r.json(), &c, "default", discounted(c.price.unwrap(), 500), Some(5.0));

    // Lists price every item, from the catalogue cache the public API filled: no extra store load.
    let path = format!("products?category={cat_slug}&per_page=50");
    let public = app.get(&format!("/api/v1/{path}")).await;
    assert_eq!(public.status, 200);
    let before = app.store.total_calls();
    let r = get(&app, &format!("/api/v1/partner/{path}"), &bearer).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.header("x-cache"), Some("HIT"));
    assert_eq!(app.store.total_calls(), before, "partners add no load to the store");
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), public.json()["items"].as_array().unwrap().len());
    for item in &items {
        let rule = item["price_rule"].as_str().unwrap();
        if item["sku"] == a.sku.as_str() {
            assert_eq!(rule, "sku");
        } else if item["categories"].as_array().unwrap().iter().any(|c| c["slug"] == cat_slug.as_str()) {
            assert_eq!(rule, "category");
        } else {
            assert_eq!(rule, "default", "a product of a child category: {item}");
        }
    }

    // A partner without a price list pays the shop price.
    let plain_bearer = token(&app, &plain, None).await;
    let r = get(&app, &format!("/api/v1/partner/products/{}", a.id), &plain_bearer).await;
    check(&r.json(), &a, "none", a.price.unwrap() as i64, None);
}

#[tokio::test]
async fn stock_for_500_skus_takes_at_most_5_upstream_calls_and_reports_unknown_skus() {
    let acme = PartnerSpec::new("acme", 511);
    let registry = Registry::write(std::slice::from_ref(&acme));
    let app = spawn_with(&registry, 600).await;
    let bearer = token(&app, &acme, Some("stock:read")).await;

    let catalogue = app.store.catalogue();
    let mut known: Vec<ProductInfo> =
        catalogue.products().into_iter().filter(|p| p.status == ProductStatus::Publish && !p.sku.is_empty()).collect();
    known.truncate(470);
    assert_eq!(known.len(), 470, "enough published products with SKUs");
    let managed = known.iter().find(|p| p.kind == ProductType::Simple).unwrap().clone();
    assert!(app.store.update_stock_quantity(managed.id, 7));
    let gone = known.iter().find(|p| p.kind == ProductType::Simple && p.id != managed.id).unwrap().clone();
    assert!(app.store.update_stock_status(gone.id, StockStatus::OutOfStock));
    let unknown: Vec<String> = (0..30).map(|i| format!("NO-SUCH-SKU-{i}")).collect();
    let mut skus: Vec<String> = known.iter().map(|p| p.sku.clone()).collect();
    skus.extend(unknown.iter().cloned());
    assert_eq!(skus.len(), 500);

    let route = "GET /wp-json/wc/v3/products";
    let before = app.store.calls(route);
    let r = call(&app, reqwest::Method::POST, "/api/v1/partner/stock", &bearer, Some(json!({ "skus": skus })), &[]).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let calls = app.store.calls(route) - before;
    assert!((1..=5).contains(&calls), "{calls} upstream calls for 500 SKUs");
    let body = r.json();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 500);
    assert_eq!(items.iter().map(|i| i["sku"].as_str().unwrap()).collect::<Vec<_>>(), skus.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(body["not_found"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect::<Vec<_>>(), unknown);
    let find = |sku: &str| items.iter().find(|i| i["sku"] == sku).unwrap().clone();
    assert_eq!(find(&managed.sku)["status"], "in_stock");
    assert_eq!(find(&managed.sku)["quantity"], 7);
    assert_eq!(find(&managed.sku)["product_id"], managed.id);
    assert_eq!(find(&gone.sku)["status"], "out_of_stock");
    assert_eq!(find("NO-SUCH-SKU-0")["status"], "not_found");
    assert!(items.iter().filter(|i| i["status"] != "not_found").count() == 470);

    // The short cache answers a repeat without the store.
    let before = app.store.calls(route);
    let r = call(&app, reqwest::Method::POST, "/api/v1/partner/stock", &bearer, Some(json!({ "skus": &skus[..100] })), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.store.calls(route), before);

    // Bad input.
    let too_many: Vec<String> = (0..501).map(|i| format!("S{i}")).collect();
    let r = call(&app, reqwest::Method::POST, "/api/v1/partner/stock", &bearer, Some(json!({ "skus": too_many })), &[]).await;
    assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec!["skus".to_string()]));
    let r = call(&app, reqwest::Method::POST, "/api/v1/partner/stock", &bearer, Some(json!({"skus": ["A", "B,C"]})), &[]).await;
    assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec!["skus[1]".to_string()]));
    let r = call(&app, reqwest::Method::POST, "/api/v1/partner/stock", &bearer, Some(json!({"sku": ["A"]})), &[]).await;
    assert_eq!(r.status, 422);
}

async fn order_count(app: &TestApp) -> u64 {
    app.store.calls("POST /wp-json/wc/v3/orders")
}

#[tokio::test]
async fn bulk_orders_are_all_or_nothing_at_partner_prices() {
    let mut acme = PartnerSpec::new("acme", 512);
    acme.prices = "[partner.prices]\ndefault_discount_percent = 10\n".into();
    let registry = Registry::write(std::slice::from_ref(&acme));
    let app = spawn(&registry).await;
    let bearer = token(&app, &acme, None).await;
    let items = orderable(&app, 4, 5).await;
    let (good, low, gone) = (&items[0], &items[1], &items[2]);
    assert!(app.store.update_stock_status(gone.id, StockStatus::OutOfStock));

    let bad = json!({"po_number": "PO-BAD", "lines": [
        {"sku": good.sku, "quantity": 2},
        {"sku": "NO-SUCH-SKU", "quantity": 1},
        {"sku": low.sku, "quantity": 6},
        {"sku": gone.sku, "quantity": 1},
    ]});
    let r = order(&app, &bearer, "bad-1", bad).await;
    assert_eq!(r.status, 422, "{}", text(&r));
    assert_eq!(r.error_code(), "validation_failed");
    assert_eq!(r.error_fields(), ["lines[1]", "lines[2]", "lines[3]"]);
    let messages: Vec<String> =
        r.json()["error"]["fields"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect();
    assert!(
        messages[0].contains("unknown SKU") && messages[1].contains("only 5 in stock") && messages[2].contains("out of stock"),
        "{messages:?}"
    );
    assert_eq!(order_count(&app).await, 0, "nothing was ordered");
    assert_eq!(app.store.catalogue().get(good.id).unwrap().stock_quantity, Some(5), "no stock moved");

    // Fixed, the same key works (a refused attempt frees it).
    let ok = json!({"po_number": "PO-1001", "note": "Dock 4", "lines": [
        {"sku": good.sku, "quantity": 2},
        {"sku": low.sku, "quantity": 5},
        {"sku": good.sku, "quantity": 1},
    ], "shipping_address": {"first_name": "Dana", "last_name": "Buyer", "company": "Acme", "address_1": "1 Dock Rd", "city": "Oakland", "state": "CA", "postcode": "94607", "country": "US"}});
    let r = order(&app, &bearer, "bad-1", ok).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    let placed = r.json();
    assert_eq!(placed["po_number"], "PO-1001");
    assert_eq!(placed["status"], "processing");
    let lines = placed["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "the repeated SKU is one line: {placed}");
    let unit = |p: &ProductInfo| ((p.price.unwrap() * 9_000 + 5_000) / 10_000) as i64;
    assert_eq!(lines[0]["sku"], good.sku.as_str());
    assert_eq!(lines[0]["quantity"], 3);
    assert_eq!(lines[0]["total"]["amount"], unit(good) * 3);
    assert_eq!(lines[1]["total"]["amount"], unit(low) * 5);
    assert_eq!(placed["totals"]["subtotal"]["amount"], unit(good) * 3 + unit(low) * 5);
    assert!(placed["totals"]["tax"]["amount"].as_i64().unwrap() > 0, "California is taxed");
    assert_eq!(app.store.catalogue().get(low.id).unwrap().stock_quantity, Some(0), "the store reduced stock");

    // It is the partner's customer's order in the store, with the PO number in its meta.
    let id = placed["id"].as_u64().unwrap();
    let r = get(&app, &format!("/api/v1/partner/orders/{id}"), &bearer).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["totals"], placed["totals"]);

    // Same key and body: the same order. Same key, other body: refused. No key: refused.
    let again = order(&app, &bearer, "bad-1", json!({"po_number": "PO-1002", "lines": [{"sku": good.sku, "quantity": 1}]})).await;
    assert_eq!((again.status.as_u16(), again.error_code()), (422, "idempotency_key_reused".to_string()));
    let r = call(&app, reqwest::Method::POST, "/api/v1/partner/orders", &bearer, Some(json!({"po_number": "P", "lines": []})), &[]).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (400, "idempotency_key_required".to_string()));
    assert_eq!(order_count(&app).await, 1);
}

#[tokio::test]
async fn twenty_concurrent_posts_with_one_key_make_one_order() {
    let acme = PartnerSpec::new("acme", 513);
    let registry = Registry::write(std::slice::from_ref(&acme));
    let app = spawn(&registry).await;
    let bearer = token(&app, &acme, None).await;
    let item = orderable(&app, 1, 100).await.remove(0);
    let body = json!({"po_number": "PO-RACE", "lines": [{"sku": item.sku, "quantity": 2}]});

    let answers = futures::future::join_all((0..20).map(|_| order(&app, &bearer, "race-key", body.clone()))).await;
    let ids: Vec<u64> = answers
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", text(r));
            r.json()["id"].as_u64().unwrap()
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one order for all: {ids:?}");
    assert_eq!(order_count(&app).await, 1);
    assert_eq!(app.store.catalogue().get(item.id).unwrap().stock_quantity, Some(98));
}

#[tokio::test]
async fn a_csv_body_places_an_order() {
    let acme = PartnerSpec::new("acme", 514);
    let registry = Registry::write(std::slice::from_ref(&acme));
    let app = spawn(&registry).await;
    let bearer = token(&app, &acme, None).await;
    let items = orderable(&app, 2, 10).await;
    let csv = format!("sku,quantity\r\n{},3\r\n\r\n{},1\r\n", items[0].sku, items[1].sku);
    let path = "/api/v1/partner/orders?po_number=PO-CSV-7";
    let request = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&bearer)
        .header("idempotency-key", "csv-1")
        .header("content-type", "text/csv")
        .body(csv);
    let r = app.send(request, "POST", path).await;
    assert_eq!(r.status, 201, "{}", text(&r));
    let placed = r.json();
    assert_eq!(placed["po_number"], "PO-CSV-7");
    let lines: Vec<(String, u64)> = placed["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["sku"].as_str().unwrap().to_string(), l["quantity"].as_u64().unwrap()))
        .collect();
    assert_eq!(lines, [(items[0].sku.clone(), 3), (items[1].sku.clone(), 1)]);

    // A bad CSV line is named by its line number.
    let request = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&bearer)
        .header("idempotency-key", "csv-2")
        .header("content-type", "text/csv")
        .body(format!("{},two\n", items[0].sku));
    let r = app.send(request, "POST", path).await;
    assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec!["line 1".to_string()]));
}

#[tokio::test]
async fn a_partner_sees_only_its_own_orders() {
    let a = PartnerSpec::new("alpha", 515);
    let b = PartnerSpec::new("beta", 516);
    let registry = Registry::write(&[a.clone(), b.clone()]);
    let app = spawn(&registry).await;
    let (ta, tb) = (token(&app, &a, None).await, token(&app, &b, None).await);
    let item = orderable(&app, 1, 50).await.remove(0);
    let place = |bearer: String, key: &'static str, po: &'static str| {
        let body = json!({"po_number": po, "lines": [{"sku": item.sku, "quantity": 1}]});
        let app = &app;
        async move {
            let r = order(app, &bearer, key, body).await;
            assert_eq!(r.status, 201, "{}", text(&r));
            r.json()["id"].as_u64().unwrap()
        }
    };
    let a1 = place(ta.clone(), "a-1", "ALPHA-100").await;
    let a2 = place(ta.clone(), "a-2", "ALPHA-200").await;
    let b1 = place(tb.clone(), "b-1", "BETA-100").await;

    let r = get(&app, &format!("/api/v1/partner/orders/{a1}"), &tb).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (404, "order_not_found".to_string()));
    let r = get(&app, &format!("/api/v1/partner/orders/{b1}"), &tb).await;
    assert_eq!(r.status, 200);

    let ids = |r: &TestResponse| r.json()["items"].as_array().unwrap().iter().map(|o| o["id"].as_u64().unwrap()).collect::<Vec<_>>();
    let r = get(&app, "/api/v1/partner/orders", &ta).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(ids(&r), [a2, a1], "newest first, only alpha's");
    assert_eq!(r.json()["total"], 2);
    assert_eq!(ids(&get(&app, "/api/v1/partner/orders", &tb).await), [b1]);
    assert_eq!(ids(&get(&app, "/api/v1/partner/orders?po_number=alpha-2", &ta).await), [a2]);
    assert_eq!(ids(&get(&app, "/api/v1/partner/orders?po_number=BETA", &ta).await), Vec::<u64>::new());
    assert_eq!(ids(&get(&app, "/api/v1/partner/orders?status=processing&per_page=1", &ta).await), [a2]);
    assert_eq!(ids(&get(&app, "/api/v1/partner/orders?status=completed", &ta).await), Vec::<u64>::new());
    let r = get(&app, "/api/v1/partner/orders?status=shipped&page=0", &ta).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.error_fields(), ["page", "status"]);
    let r = get(&app, "/api/v1/partner/orders/not-a-number", &ta).await;
    assert_eq!(r.status, 422);
    assert_eq!(get(&app, "/api/v1/partner/orders/99999999", &ta).await.status, 404);
}

#[tokio::test]
async fn each_partner_has_its_own_rate_limit() {
    let mut slow = PartnerSpec::new("slow", 517);
    slow.rate = 3;
    let fast = PartnerSpec::new("fast", 518);
    let registry = Registry::write(&[slow.clone(), fast.clone()]);
    let app = spawn(&registry).await;
    let (ts, tf) = (token(&app, &slow, None).await, token(&app, &fast, None).await);
    for _ in 0..3 {
        assert_eq!(get(&app, "/api/v1/partner/products?per_page=1", &ts).await.status, 200);
    }
    let r = get(&app, "/api/v1/partner/products?per_page=1", &ts).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.error_code(), "rate_limited");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(get(&app, "/api/v1/partner/products?per_page=1", &tf).await.status, 200, "another partner is not limited");
}

#[tokio::test]
async fn an_address_that_keeps_failing_gets_429_before_any_hashing_and_real_partners_still_get_tokens() {
    let acme = PartnerSpec::new("acme", 503);
    let registry = Registry::write(std::slice::from_ref(&acme));
    let options = registry.options();
    let app = TestApp::with(|c| {
        c.options.partners = Some(options);
        c.options.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let attempt = |client: &'static str, id: String, secret: String| {
        let form = [("grant_type", "client_credentials".to_string()), ("client_id", id), ("client_secret", secret)];
        let request = app.client.post(format!("{}/api/v1/partner/token", app.base)).header("x-forwarded-for", client).form(&form);
        app.send(request, "POST", "/api/v1/partner/token")
    };
    let limit = storefront_bff::partners::token::FAILURE_LIMIT;
    for i in 0..limit {
        let r = attempt("203.0.113.66", format!("random-client-{i}"), "ps_wrong".into()).await;
        assert_eq!(r.status, 400, "attempt {i}");
    }
    let refused = attempt("203.0.113.66", "random-client-x".into(), "ps_wrong".into()).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.error_code(), "rate_limited");
    assert!(refused.header("retry-after").is_some());
    // Refused before the secret is looked at: even the right one.
    let right = attempt("203.0.113.66", acme.client_id.clone(), acme.secret.clone()).await;
    assert_eq!(right.status, 429);
    // The real partner, from its own address, is unaffected.
    let r = attempt("198.51.100.20", acme.client_id.clone(), acme.secret.clone()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json()["access_token"].is_string());
}
