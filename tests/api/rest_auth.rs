//! The REST v3 client against the demo store's WooCommerce-like verifier:
//! OAuth 1.0a over http, Basic over https, and every refusal.

use secrecy::SecretString;
use storefront_bff::demo_store::{self, DemoKey, DemoStoreConfig, KeyPermissions};
use storefront_bff::upstream::oauth1::{self, OAuthParams, SignatureMethod};
use storefront_bff::upstream::rest::RestProductQuery;
use storefront_bff::upstream::{HttpSettings, RestAuthMode, RestClient, RestCredentials, UpstreamError};

use crate::common::{clone_key, note_secret};

fn creds(key: &DemoKey) -> RestCredentials {
    RestCredentials {
        consumer_key: SecretString::from(key.consumer_key.clone()),
        consumer_secret: SecretString::from(key.consumer_secret.clone()),
    }
}

fn noted(permissions: KeyPermissions) -> DemoKey {
    let key = DemoKey::generate(permissions);
    note_secret(&key.consumer_key);
    note_secret(&key.consumer_secret);
    key
}

async fn store_with(keys: Vec<DemoKey>, tune: impl FnOnce(&mut DemoStoreConfig)) -> demo_store::DemoStoreHandle {
    let mut config = DemoStoreConfig { keys, ..DemoStoreConfig::default() };
    tune(&mut config);
    demo_store::spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap()
}

fn assert_woo(err: UpstreamError, status: u16, code: &str) {
    match err {
        UpstreamError::Woo { status: s, code: c, .. } => {
            assert_eq!((s, c.as_str()), (status, code));
        }
        other => panic!("expected WooCommerce {status} {code}, got {other:?}"),
    }
}

#[tokio::test]
async fn oauth1_over_http_is_accepted_and_walks_every_page() {
    let key = noted(KeyPermissions::ReadWrite);
    let store = store_with(vec![clone_key(&key)], |_| {}).await;
    let client = RestClient::new(&store.url(), creds(&key), RestAuthMode::Auto, &HttpSettings::default());
    assert_eq!(client.auth_name(), "oauth1");
    let page = client.products_page(&RestProductQuery::default(), 1, 10).await.unwrap();
    assert_eq!(page.items.len(), 10);
    let all = client.all_products(&RestProductQuery::default()).await.unwrap();
    assert_eq!(all.len() as u64, page.total, "walked every page");
    assert!(store.calls("GET /wp-json/wc/v3/products") > page.total.div_ceil(100));

    let skus: Vec<String> = all.iter().filter(|p| !p.sku.is_empty()).take(3).map(|p| p.sku.clone()).collect();
    let found = client.all_products(&RestProductQuery { skus: skus.clone(), ..Default::default() }).await.unwrap();
    let mut got: Vec<String> = found.iter().map(|p| p.sku.clone()).collect();
    got.sort();
    let mut want = skus;
    want.sort();
    assert_eq!(got, want, "sku filter");

    let future = RestProductQuery { modified_after: Some("2999-01-01T00:00:00".into()), ..Default::default() };
    assert!(client.all_products(&future).await.unwrap().is_empty());
    let past = RestProductQuery { modified_after: Some("2000-01-01T00:00:00".into()), ..Default::default() };
    assert_eq!(client.all_products(&past).await.unwrap().len(), all.len());

    let variable = all.iter().find(|p| p.kind == "variable").expect("a variable product");
    let variations = client.variations(variable.id).await.unwrap();
    assert_eq!(variations.len(), variable.variations.len());
    assert!(!client.categories().await.unwrap().is_empty());
}

#[tokio::test]
async fn basic_is_ignored_over_http_and_accepted_over_https() {
    let key = noted(KeyPermissions::ReadWrite);
    let plain = store_with(vec![clone_key(&key)], |_| {}).await;
    let basic = RestClient::new(&plain.url(), creds(&key), RestAuthMode::Basic, &HttpSettings::default());
    // Over plain http WordPress ignores Basic: the request is anonymous.
    assert_woo(basic.products_page(&RestProductQuery::default(), 1, 5).await.unwrap_err(), 401, "woocommerce_rest_cannot_view");

    let https = store_with(vec![clone_key(&key)], |c| c.assume_https = true).await;
    let basic = RestClient::new(&https.url(), creds(&key), RestAuthMode::Basic, &HttpSettings::default());
    assert_eq!(basic.auth_name(), "basic");
    assert!(basic.products_page(&RestProductQuery::default(), 1, 5).await.is_ok());

    // Behind a TLS-terminating proxy the store trusts X-Forwarded-Proto.
    let proxied = store_with(vec![clone_key(&key)], |c| c.trust_forwarded_proto = true).await;
    let url = format!("{}/wp-json/wc/v3/products?per_page=1", proxied.url());
    let raw = reqwest::Client::new();
    let with =
        raw.get(&url).basic_auth(&key.consumer_key, Some(&key.consumer_secret)).header("x-forwarded-proto", "https").send().await.unwrap();
    assert_eq!(with.status(), 200);
    let without = raw.get(&url).basic_auth(&key.consumer_key, Some(&key.consumer_secret)).send().await.unwrap();
    assert_eq!(without.status(), 401);
}

#[tokio::test]
async fn wrong_secret_replayed_nonce_and_read_only_writes_are_refused() {
    let key = noted(KeyPermissions::ReadWrite);
    let read_only = noted(KeyPermissions::Read);
    let store = store_with(vec![clone_key(&key), DemoKey { permissions: KeyPermissions::Read, ..clone_key(&read_only) }], |_| {}).await;

    let mut wrong = creds(&key);
    wrong.consumer_secret = SecretString::from("cs_wrong".to_string());
    let client = RestClient::new(&store.url(), wrong, RestAuthMode::Oauth1, &HttpSettings::default());
    let err = client.product(1).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains(&key.consumer_key), "errors carry no key");
    assert_woo(err, 401, "woocommerce_rest_authentication_error");

    // The same signed URL twice: the second is a replay.
    let url = format!("{}/wp-json/wc/v3/products", store.url());
    let params = OAuthParams {
        consumer_key: &key.consumer_key,
        nonce: &oauth1::fresh_nonce(),
        timestamp: now(),
        method: SignatureMethod::HmacSha1,
        token: None,
    };
    let query = oauth1::signed_query("GET", &url, &[("per_page".into(), "2".into())], &params, &key.consumer_secret);
    let raw = reqwest::Client::new();
    assert_eq!(raw.get(&url).query(&query).send().await.unwrap().status(), 200);
    let replay = raw.get(&url).query(&query).send().await.unwrap();
    assert_eq!(replay.status(), 401);
    let body: serde_json::Value = replay.json().await.unwrap();
    assert_eq!(body["code"], "woocommerce_rest_authentication_error");
    assert!(body["message"].as_str().unwrap().contains("nonce"));

    // A stale timestamp is refused too.
    let params = OAuthParams {
        consumer_key: &key.consumer_key,
        nonce: &oauth1::fresh_nonce(),
        timestamp: now() - 3600,
        method: SignatureMethod::HmacSha256,
        token: None,
    };
    let query = oauth1::signed_query("GET", &url, &[], &params, &key.consumer_secret);
    assert_eq!(raw.get(&url).query(&query).send().await.unwrap().status(), 401);

    // A read-only key reads but cannot write (401, as WooCommerce answers).
    let ro = RestClient::new(&store.url(), creds(&read_only), RestAuthMode::Oauth1, &HttpSettings::default());
    let first = ro.products_page(&RestProductQuery::default(), 1, 1).await.unwrap();
    let id = first.items[0].id;
    let err = ro
        .send_json::<serde_json::Value>(
            "product",
            reqwest::Method::PUT,
            &format!("/products/{id}"),
            &serde_json::json!({"regular_price": "1.00"}),
        )
        .await
        .unwrap_err();
    assert_woo(err, 401, "woocommerce_rest_authentication_error");

    // A read-write key can write, signed the same way.
    let rw = RestClient::new(&store.url(), creds(&key), RestAuthMode::Oauth1, &HttpSettings::default());
    let updated: serde_json::Value = rw
        .send_json("product", reqwest::Method::PUT, &format!("/products/{id}"), &serde_json::json!({"regular_price": "99.00"}))
        .await
        .unwrap();
    assert_eq!(updated["id"], id);
}

#[tokio::test]
async fn credentials_never_show_in_debug_output() {
    let key = noted(KeyPermissions::ReadWrite);
    let client = RestClient::new("http://127.0.0.1:9", creds(&key), RestAuthMode::Auto, &HttpSettings::default());
    let shown = format!("{client:?} {:?}", creds(&key));
    assert!(!shown.contains(&key.consumer_key) && !shown.contains(&key.consumer_secret), "{shown}");
    assert!(!format!("{key:?}").contains(&key.consumer_secret), "demo keys redact their secret");
    // A transport error names neither the URL (which carries the signature) nor the key.
    let err = client.product(1).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("127.0.0.1:9") && !text.contains(&key.consumer_key), "{text}");
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}
