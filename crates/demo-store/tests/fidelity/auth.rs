//! REST API key authentication: the real captured OAuth 1.0a requests verify, self-signed requests pass, and every failure answers like WooCommerce.

use crate::common;

use std::sync::Arc;

use common::{capture, fixture_credentials, ro_key, rw_key, shell_words, start, Signer};
use demo_store::auth::{AuthOutcome, AuthRequest, Authenticator};
use demo_store::{DemoKey, DemoStoreConfig, KeyPermissions};
use serde_json::Value;

const V3: &str = "/wp-json/wc/v3";
/// Within 15 minutes of every signed capture (their timestamps are 1795894741..=1795894746).
const CAPTURE_NOW: i64 = 1_795_894_745;

/// The capture store's read/write key, read from the fixtures README at run time (a test vector, never a default).
fn fixture_key() -> DemoKey {
    DemoKey {
        consumer_key: fixture_credentials("consumer key (rw)"),
        consumer_secret: fixture_credentials("consumer secret (rw)"),
        permissions: KeyPermissions::ReadWrite,
    }
}

/// Method, path, query and Authorization header of a capture's curl line, with the key filled in.
struct Replay {
    method: String,
    path: String,
    query: Option<String>,
    authorization: Option<String>,
}

fn replay(file: &str, consumer_key: &str) -> Replay {
    let words = shell_words(&capture(file).curl());
    let mut method = "GET".to_string();
    let mut authorization = None;
    let mut url = String::new();
    let mut i = 0;
    while i < words.len() {
        match words[i].as_str() {
            "-X" => {
                method = words.get(i + 1).cloned().unwrap_or_default();
                i += 1;
            }
            "-H" => {
                let h = words.get(i + 1).cloned().unwrap_or_default();
                if let Some(v) = h.strip_prefix("Authorization:") {
                    authorization = Some(v.trim().replace("$WOO_CONSUMER_KEY", consumer_key));
                }
                i += 1;
            }
            "-d" | "-u" => i += 1,
            w if w.starts_with("http") => url = w.replace("$WOO_CONSUMER_KEY", consumer_key),
            _ => {}
        }
        i += 1;
    }
    let without_origin = url.split_once("://").map(|(_, r)| r).unwrap_or(&url);
    let path_and_query = &without_origin[without_origin.find('/').unwrap_or(without_origin.len())..];
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (path_and_query.to_string(), None),
    };
    Replay { method, path, query, authorization }
}

fn check(auth: &Authenticator, r: &Replay) -> AuthOutcome {
    auth.authenticate(&AuthRequest {
        method: &r.method,
        path: &r.path,
        query: r.query.as_deref(),
        authorization: r.authorization.as_deref(),
        form_body: None,
        is_ssl: false,
    })
}

fn failure(o: AuthOutcome) -> (u16, String, String) {
    match o {
        AuthOutcome::Failed(e) => (e.status, e.code, e.message),
        other => panic!("expected a failure, got {other:?}"),
    }
}

fn error_of(file: &str) -> (u16, String, String) {
    let cap = capture(file);
    let j = cap.json();
    (cap.status, j["code"].as_str().unwrap_or("").into(), j["message"].as_str().unwrap_or("").into())
}

#[test]
fn captured_signed_requests_verify() {
    let key = fixture_key();
    let auth = Authenticator::new("http://127.0.0.1:8881", vec![key.clone()]).with_clock(Arc::new(|| CAPTURE_NOW));
    // SHA1 in the query, SHA1 in the header, SHA256 in the query, then a POST and a DELETE.
    for file in [
        "v3-03-products-oauth-query.http",
        "v3-04-products-oauth-header.http",
        "v3-05-products-oauth-sha256.http",
        "v3-11-oauth-first-use.http",
        "v3-32-products-oauth-post.http",
        "v3-33-products-oauth-delete.http",
    ] {
        let r = replay(file, &key.consumer_key);
        assert!(matches!(check(&auth, &r), AuthOutcome::Authenticated(_)), "{file} should verify");
    }
    // v3-12 replays v3-11's exact URL: the nonce is now used.
    assert_eq!(failure(check(&auth, &replay("v3-12-err-oauth-replay.http", &key.consumer_key))), error_of("v3-12-err-oauth-replay.http"));
    // Signed with a wrong secret, and signed for http://localhost:8881 instead of the home URL.
    assert_eq!(failure(check(&auth, &replay("v3-13-err-oauth-bad-sig.http", &key.consumer_key))), error_of("v3-13-err-oauth-bad-sig.http"));
    assert_eq!(
        failure(check(&auth, &replay("v3-14-err-oauth-host-mismatch.http", &key.consumer_key))),
        error_of("v3-14-err-oauth-host-mismatch.http")
    );
}

#[test]
fn captured_requests_fail_for_the_right_reasons() {
    let key = fixture_key();
    let r = replay("v3-03-products-oauth-query.http", &key.consumer_key);
    let late = Authenticator::new("http://127.0.0.1:8881", vec![key.clone()]).with_clock(Arc::new(|| CAPTURE_NOW + 16 * 60));
    assert_eq!(failure(check(&late, &r)).2, "Invalid timestamp.");
    let other_secret = DemoKey { consumer_secret: "cs_other".into(), ..key.clone() };
    let wrong = Authenticator::new("http://127.0.0.1:8881", vec![other_secret]).with_clock(Arc::new(|| CAPTURE_NOW));
    assert_eq!(failure(check(&wrong, &r)).2, "Invalid signature - provided signature does not match.");
    let unknown = Authenticator::new("http://127.0.0.1:8881", vec![rw_key()]).with_clock(Arc::new(|| CAPTURE_NOW));
    assert_eq!(failure(check(&unknown, &r)), (401, "woocommerce_rest_authentication_error".into(), "Consumer key is invalid.".into()));
    // The same request arriving over HTTPS is signed against https://..., so it no longer matches.
    let auth = Authenticator::new("http://127.0.0.1:8881", vec![key]).with_clock(Arc::new(|| CAPTURE_NOW));
    let over_tls = auth.authenticate(&AuthRequest {
        method: &r.method,
        path: &r.path,
        query: r.query.as_deref(),
        authorization: None,
        form_body: None,
        is_ssl: true,
    });
    assert_eq!(failure(over_tls).2, "Invalid signature - provided signature does not match.");
    let partial = auth.authenticate(&AuthRequest {
        method: "GET",
        path: "/wp-json/wc/v3/products",
        query: Some("oauth_consumer_key=ck_x&oauth_nonce=1"),
        authorization: None,
        form_body: None,
        is_ssl: false,
    });
    assert_eq!(
        failure(partial),
        (
            401,
            "woocommerce_rest_authentication_missing_parameter".into(),
            "Missing OAuth parameters oauth_timestamp, oauth_signature, oauth_signature_method".into()
        )
    );
}

async fn body(resp: reqwest::Response) -> (u16, Value, String) {
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

#[tokio::test]
async fn self_signed_requests_and_their_failures_over_http() {
    let (rw, ro) = (rw_key(), ro_key());
    let store = start(DemoStoreConfig { keys: vec![rw.clone(), ro.clone()], ..Default::default() }).await;
    let home = store.url();
    let c = reqwest::Client::new();
    let path = format!("{V3}/products");

    let ok = Signer::new(&rw);
    let url = ok.signed_url("GET", &home, &path, &[("per_page", "3")]);
    let resp = c.get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-wp-total"));
    // Like v3-11: the next link repeats the OAuth parameters, and `add_query_arg` drops the signature's trailing '='.
    let link = resp.headers().get("link").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(link.contains(&format!("oauth_consumer_key={}", rw.consumer_key)), "{link}");
    let sig = link.split("oauth_signature=").nth(1).and_then(|r| r.split('&').next()).unwrap_or("");
    assert!(!sig.is_empty() && !sig.ends_with('=') && !sig.contains("%3D"), "{link}");
    assert!(link.ends_with("&page=2>; rel=\"next\""), "{link}");
    let (status, _, text) = body(c.get(&url).send().await.expect("send")).await;
    assert_eq!(status, 401);
    assert!(text.contains("Invalid nonce - nonce has already been used."), "{text}");

    let mut sha256 = Signer::new(&rw);
    sha256.sha256 = true;
    assert_eq!(c.get(sha256.signed_url("GET", &home, &path, &[("per_page", "2")])).send().await.expect("send").status(), 200);

    let header = Signer::new(&rw);
    let auth = header.header("GET", &format!("{home}{path}"), &[("per_page", "2")]);
    assert_eq!(c.get(format!("{home}{path}?per_page=2")).header("authorization", auth).send().await.expect("send").status(), 200);

    let bad = Signer::new(&rw).signed_url_with_secret("GET", &home, &path, &[("per_page", "2")], "cs_nope");
    let (status, j, _) = body(c.get(bad).send().await.expect("send")).await;
    assert_eq!(
        (status, j["code"].as_str(), j["message"].as_str()),
        (401, Some("woocommerce_rest_authentication_error"), Some("Invalid signature - provided signature does not match."))
    );

    let stranger = rw_key();
    let (status, j, _) = body(c.get(Signer::new(&stranger).signed_url("GET", &home, &path, &[])).send().await.expect("send")).await;
    assert_eq!((status, j["message"].as_str()), (401, Some("Consumer key is invalid.")));

    for skew in [-16 * 60, 16 * 60] {
        let mut s = Signer::new(&rw);
        s.timestamp += skew;
        let (status, j, _) = body(c.get(s.signed_url("GET", &home, &path, &[])).send().await.expect("send")).await;
        assert_eq!((status, j["message"].as_str()), (401, Some("Invalid timestamp.")), "skew {skew}");
    }

    // A read-only key reads but cannot write (401, not 403, as captured).
    assert_eq!(c.get(Signer::new(&ro).signed_url("GET", &home, &path, &[])).send().await.expect("send").status(), 200);
    let product = store.catalogue().by_sku("DS-HK-001").expect("mug");
    let item = format!("{V3}/products/{}", product.id);
    let put = c.put(Signer::new(&ro).signed_url("PUT", &home, &item, &[])).json(&serde_json::json!({"regular_price": "9.99"}));
    let (status, j, _) = body(put.send().await.expect("send")).await;
    let (cap_status, cap_code, cap_message) = {
        let cap = capture("v3-15-err-ro-key-write.http");
        let j = cap.json();
        (cap.status, j["code"].as_str().map(str::to_string), j["message"].as_str().map(str::to_string))
    };
    assert_eq!(
        (status, j["code"].as_str().map(str::to_string), j["message"].as_str().map(str::to_string)),
        (cap_status, cap_code, cap_message)
    );

    // A read/write key updates; the JSON body is not part of the signature.
    let before = store.catalogue().get(product.id).expect("mug").date_modified;
    let put = c.put(Signer::new(&rw).signed_url("PUT", &home, &item, &[])).json(&serde_json::json!({"regular_price": "13.50"}));
    let (status, j, _) = body(put.send().await.expect("send")).await;
    assert_eq!(status, 200, "{j}");
    assert_eq!(j["regular_price"], "13.50");
    assert!(store.catalogue().get(product.id).expect("mug").date_modified > before);

    // Form bodies of a POST are signed: the same signature with a changed body fails.
    let form = [("regular_price", "14.00")];
    let signer = Signer::new(&rw);
    let signed = signer.signed_url("POST", &home, &item, &form);
    let url_only = signed.replace("regular_price=14.00&", "");
    let (status, j, _) = body(c.post(&url_only).form(&form).send().await.expect("send")).await;
    assert_eq!(status, 200, "{j}");
    assert_eq!(j["regular_price"], "14.00");
    let tampered = Signer::new(&rw);
    let signed = tampered.signed_url("POST", &home, &item, &form).replace("regular_price=14.00&", "");
    let (status, _, _) = body(c.post(&signed).form(&[("regular_price", "0.01")]).send().await.expect("send")).await;
    assert_eq!(status, 401);

    // WooCommerce authenticates every wc/ route: a bad signature fails on the Store API too.
    let bad_store = Signer::new(&rw).signed_url_with_secret("GET", &home, "/wp-json/wc/store/v1/products", &[], "cs_nope");
    assert_eq!(c.get(bad_store).send().await.expect("send").status(), 401);
}

#[tokio::test]
async fn basic_auth_needs_https() {
    let rw = rw_key();
    let c = reqwest::Client::new();
    let url = |base: &str| format!("{base}{V3}/products?per_page=1");
    let expected_401 = capture("v3-07-err-basic-over-http.http").json();

    let plain = start(DemoStoreConfig { keys: vec![rw.clone()], ..Default::default() }).await;
    let (status, j, _) =
        body(c.get(url(&plain.url())).basic_auth(&rw.consumer_key, Some(&rw.consumer_secret)).send().await.expect("send")).await;
    assert_eq!((status, &j), (401, &expected_401), "Basic over plain http is ignored");
    // Query-string keys are ignored over http as well.
    let q = format!("{}&consumer_key={}&consumer_secret={}", url(&plain.url()), rw.consumer_key, rw.consumer_secret);
    assert_eq!(c.get(q).send().await.expect("send").status(), 401);
    let forwarded = c.get(url(&plain.url())).header("x-forwarded-proto", "https").basic_auth(&rw.consumer_key, Some(&rw.consumer_secret));
    assert_eq!(forwarded.send().await.expect("send").status(), 401, "X-Forwarded-Proto is not trusted by default");

    let tls = start(DemoStoreConfig { keys: vec![rw.clone()], assume_https: true, ..Default::default() }).await;
    let resp = c.get(url(&tls.url())).basic_auth(&rw.consumer_key, Some(&rw.consumer_secret)).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let link = resp.headers().get("link").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(link.starts_with("<https://"), "links use https when the store sees https: {link}");
    let (status, j, _) = body(c.get(url(&tls.url())).basic_auth(&rw.consumer_key, Some("cs_0000")).send().await.expect("send")).await;
    assert_eq!((status, j["message"].as_str()), (401, Some("Consumer secret is invalid.")));

    let proxied = start(DemoStoreConfig { keys: vec![rw.clone()], trust_forwarded_proto: true, ..Default::default() }).await;
    let with = c.get(url(&proxied.url())).header("x-forwarded-proto", "https").basic_auth(&rw.consumer_key, Some(&rw.consumer_secret));
    assert_eq!(with.send().await.expect("send").status(), 200);
    let without = c.get(url(&proxied.url())).basic_auth(&rw.consumer_key, Some(&rw.consumer_secret));
    assert_eq!(without.send().await.expect("send").status(), 401);
}

#[tokio::test]
async fn secrets_never_leak() {
    let rw = rw_key();
    assert!(rw.consumer_key.starts_with("ck_") && rw.consumer_key.len() == 43);
    assert!(rw.consumer_secret.starts_with("cs_") && rw.consumer_secret[3..].chars().all(|c| c.is_ascii_hexdigit()));
    let debug = format!("{rw:?}");
    assert!(!debug.contains(&rw.consumer_secret) && !debug.contains(&rw.consumer_key), "{debug}");
    let cfg = DemoStoreConfig { keys: vec![rw.clone()], ..Default::default() };
    assert!(!format!("{cfg:?}").contains(&rw.consumer_secret));

    let store = start(DemoStoreConfig { keys: vec![rw.clone()], assume_https: true, ..Default::default() }).await;
    let c = reqwest::Client::new();
    for secret in [rw.consumer_secret.as_str(), "cs_wrong"] {
        let resp = c
            .get(format!("{}{V3}/products?per_page=2", store.url()))
            .basic_auth(&rw.consumer_key, Some(secret))
            .send()
            .await
            .expect("send");
        let text = resp.text().await.expect("body");
        assert!(!text.contains(&rw.consumer_secret) && !text.contains(&rw.consumer_key));
    }
}
