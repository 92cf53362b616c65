//! The real store and the BFF in front of it. `Store` brings up `../shared/realwoo` once per run
//! (`realwoo.sh up`: idempotent, ~1 s when it is already running) and reads its `keys.env`; it
//! is also the oracle: its Store API is asked directly, and its REST v3 through the HTTPS-flagged
//! door with Basic auth, so no answer is checked with the BFF's own client code. `Bff` is the
//! real router on a random loopback port, pointed at the store like a deployment would be
//! (plain http, so REST v3 goes through our OAuth 1.0a signer).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::Value;
use storefront_bff::app::{self, AppOptions, AppState, HttpPolicy, Upstream};
use storefront_bff::serve::{serve, ServeOptions};
use storefront_bff::upstream::{HttpSettings, RestAuthMode, RestCredentials};

pub const STORE_API: &str = "/wp-json/wc/store/v1";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `realwoo.sh`: `REALWOO_SH`, else `../shared/realwoo/realwoo.sh` beside the project.
fn realwoo_sh() -> PathBuf {
    std::env::var_os("REALWOO_SH").map(PathBuf::from).unwrap_or_else(|| manifest_dir().join("../shared/realwoo/realwoo.sh"))
}

fn realwoo_dir() -> PathBuf {
    std::env::var_os("REALWOO_DIR").map(PathBuf::from).unwrap_or_else(|| manifest_dir().join("target/realwoo"))
}

/// Runs `realwoo.sh ARG` with the state dir this suite uses; returns its exit code.
pub fn realwoo(arg: &str) -> i32 {
    let status = Command::new("bash")
        .arg(realwoo_sh())
        .arg(arg)
        .env("REALWOO_DIR", realwoo_dir())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {} ({e})", realwoo_sh().display()));
    status.code().unwrap_or(-1)
}

/// The mu-plugin this suite adds to the store: XML-RPC is disabled for a sign-in whose login
/// starts with `noxmlrpc` (how a host that turns XML-RPC off looks to the BFF: fault 405),
/// so the wp-login.php fallback is exercised against the real WordPress.
const NO_XMLRPC_PLUGIN: &str = r"<?php
// Written by storefront-bff's real-store suite (tests/realstore/harness.rs).
if ( defined( 'XMLRPC_REQUEST' ) && XMLRPC_REQUEST ) {
    $raw = file_get_contents( 'php://input' );
    if ( is_string( $raw ) && strpos( $raw, '<string>noxmlrpc' ) !== false ) {
        add_filter( 'xmlrpc_enabled', '__return_false' );
    }
}
";

pub struct Store {
    pub url: String,
    /// The same site with PHP told HTTPS=on: Basic auth works there (the oracle's door).
    https_flagged: String,
    key: String,
    secret: String,
    pub customer_user: String,
    pub customer_email: String,
    pub customer_password: String,
    pub db_dsn: String,
    http: reqwest::Client,
}

pub fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        if realwoo("status") != 0 {
            assert_eq!(realwoo("up"), 0, "realwoo.sh up failed (see its output above)");
        }
        let keys = std::fs::read_to_string(realwoo_dir().join("keys.env")).expect("realwoo keys.env");
        let env: HashMap<String, String> = keys
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').trim_matches('\'').to_string()))
            .collect();
        let get = |k: &str| env.get(k).cloned().unwrap_or_else(|| panic!("{k} missing from keys.env"));
        let plugins = realwoo_dir().join("www/wp-content/mu-plugins");
        std::fs::create_dir_all(&plugins).expect("mu-plugins folder");
        std::fs::write(plugins.join("bff-suite-no-xmlrpc.php"), NO_XMLRPC_PLUGIN).expect("suite mu-plugin");
        Store {
            url: get("WOO_URL"),
            https_flagged: get("WOO_URL_HTTPS_FLAGGED"),
            key: get("WOO_CONSUMER_KEY"),
            secret: get("WOO_CONSUMER_SECRET"),
            customer_user: get("WOO_CUSTOMER_USER"),
            customer_email: get("WOO_CUSTOMER_EMAIL"),
            customer_password: get("WOO_CUSTOMER_PASSWORD"),
            db_dsn: get("WOO_DB_DSN"),
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap(),
        }
    })
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn total(&self) -> u64 {
        self.header("x-wp-total").and_then(|v| v.parse().ok()).expect("X-WP-Total")
    }

    /// `error.code` of our error shape.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error: {}", self.json))
    }

    /// The `id`s of a list (ours: `items`; the store's: the array itself).
    pub fn ids(&self) -> Vec<u64> {
        let list = self.json.get("items").unwrap_or(&self.json);
        list.as_array().unwrap_or_else(|| panic!("not a list: {}", self.json)).iter().map(|p| p["id"].as_u64().unwrap()).collect()
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body");
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Answer { status, headers, json }
}

impl Store {
    /// The Store API, as a shopper's browser would call it.
    pub async fn store_api(&self, path_and_query: &str) -> Answer {
        answer(self.http.get(format!("{}{STORE_API}{path_and_query}", self.url)).send().await.expect("store answers")).await
    }

    /// REST v3 with the read-write key (Basic auth through the HTTPS-flagged door).
    pub async fn rest(&self, method: Method, path_and_query: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}/wp-json/wc/v3{path_and_query}", self.https_flagged))
            .basic_auth(&self.key, Some(&self.secret));
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("store answers")).await
    }

    pub async fn rest_get(&self, path_and_query: &str) -> Answer {
        let a = self.rest(Method::GET, path_and_query, None).await;
        assert_eq!(a.status, 200, "REST v3 GET {path_and_query}: {}", a.json);
        a
    }

    /// The first product REST v3 lists for `query` (e.g. `status=draft`).
    pub async fn rest_product(&self, query: &str) -> Value {
        let found = self.rest_get(&format!("/products?{query}")).await;
        found.json[0].clone()
    }

    /// Runs SQL against the store's database (for what no API can do, e.g. losing a session).
    pub fn sql(&self, statement: &str) {
        // WOO_DB_DSN: mysql://user:pass@host:port/db
        let url = url::Url::parse(&self.db_dsn).expect("WOO_DB_DSN is a URL");
        let status = Command::new("mysql")
            .args(["-h", url.host_str().unwrap_or("127.0.0.1"), "-P", &url.port().unwrap_or(3306).to_string()])
            .args(["-u", url.username(), url.path().trim_start_matches('/'), "-e", statement])
            .env("MYSQL_PWD", percent_encoding::percent_decode_str(url.password().unwrap_or("")).decode_utf8_lossy().as_ref())
            .status()
            .expect("mysql client (installed by realwoo.sh)");
        assert!(status.success(), "SQL failed: {statement}");
    }
}

/// A BFF in front of the real store; every test starts its own (its own cache and sessions).
pub struct Bff {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
}

impl Bff {
    pub async fn spawn() -> Bff {
        Self::with(|_| {}).await
    }

    pub async fn with(tune: impl FnOnce(&mut AppOptions)) -> Bff {
        let store = store();
        let upstream = Upstream {
            url: store.url.clone(),
            credentials: RestCredentials {
                consumer_key: SecretString::from(store.key.clone()),
                consumer_secret: SecretString::from(store.secret.clone()),
            },
            auth_mode: RestAuthMode::Auto,
            http: HttpSettings { timeout: Duration::from_secs(30), retries: 1 },
            demo: false,
        };
        let mut options = AppOptions::for_tests();
        tune(&mut options);
        let state = AppState::new(&upstream, &options);
        let router = app::router(state.clone(), &HttpPolicy { cookie_secure: false, ..HttpPolicy::default() });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, router, ServeOptions::default(), std::future::pending()));
        Bff { base: format!("http://{addr}"), state, client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap() }
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(self.client.get(format!("{}{path}", self.base)).send().await.expect("BFF answers")).await
    }

    /// A shopper with a bearer session (`POST /api/v1/session`), as a mobile app is.
    pub async fn shopper(&self) -> Shopper<'_> {
        let r = answer(self.client.post(format!("{}/api/v1/session", self.base)).send().await.unwrap()).await;
        assert_eq!(r.status, 201, "session: {}", r.json);
        Shopper { bff: self, token: r.json["token"].as_str().unwrap().to_string() }
    }
}

pub struct Shopper<'a> {
    pub bff: &'a Bff,
    pub token: String,
}

impl Shopper<'_> {
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Answer {
        let mut request = self.bff.client.request(method, format!("{}{path}", self.bff.base)).bearer_auth(&self.token);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("BFF answers")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body), &[]).await
    }

    pub async fn checkout(&self, key: &str, body: Value) -> Answer {
        self.send(Method::POST, "/api/v1/checkout", Some(body), &[("idempotency-key", key)]).await
    }
}

/// A Store API cart held directly (Cart-Token + Nonce), to ask the store what a cart should be.
pub struct StoreCart {
    token: String,
    nonce: String,
}

impl StoreCart {
    pub async fn new() -> StoreCart {
        let store = store();
        let r = store.http.get(format!("{}{STORE_API}/cart", store.url)).send().await.unwrap();
        let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        StoreCart { token: h("cart-token"), nonce: h("nonce") }
    }

    pub async fn post(&mut self, path: &str, body: Value) -> Answer {
        let store = store();
        let r = store
            .http
            .post(format!("{}{STORE_API}{path}", store.url))
            .header("cart-token", &self.token)
            .header("nonce", &self.nonce)
            .json(&body)
            .send()
            .await
            .unwrap();
        if let Some(n) = r.headers().get("nonce").and_then(|v| v.to_str().ok()) {
            self.nonce = n.to_string();
        }
        answer(r).await
    }
}

/// A unique suffix for emails, keys and names made by one test run.
pub fn unique() -> String {
    use rand::RngCore;
    let mut b = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Minor units of a Store API price string or of our `Money`.
pub fn minor(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not minor units: {s}")),
        Value::Object(_) => v["amount"].as_u64().unwrap_or_else(|| panic!("not Money: {v}")),
        other => other.as_u64().unwrap_or_else(|| panic!("not a price: {other}")),
    }
}
