//! Helpers for the demo store cart tests: capture parsing, recursive key-set comparison and a Store API shopper that carries Cart-Token and Nonce like a client does.
#![allow(dead_code)]

use demo_store::{spawn, DemoKey, DemoStoreConfig, DemoStoreHandle, KeyPermissions};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

pub const STORE: &str = "/wp-json/wc/store/v1";

/// A recorded response: status, lower-cased headers, JSON body.
#[derive(Debug, Clone)]
pub struct Capture {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub json: Value,
}

impl Capture {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

pub fn capture(name: &str) -> Capture {
    let path = woo_fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut lines = text.split('\n').skip_while(|l| l.starts_with("###"));
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut headers = Vec::new();
    for l in lines.by_ref() {
        let l = l.trim_end_matches('\r');
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let body: String = lines.collect::<Vec<_>>().join("\n");
    Capture { status, headers, json: serde_json::from_str(body.trim()).unwrap_or(Value::Null) }
}

/// Key-set differences, recursively (array items are compared with the best-matching expected item).
/// Values of different JSON types are reported unless one side is `null`.
pub fn key_diff(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) if is_id_map(e) && is_id_map(a) => {
            // Keyed by database ids (e.g. order item meta): compare values, not keys.
            if let Some(first) = e.values().next() {
                for (k, av) in a {
                    key_diff(first, av, &format!("{path}.{k}"), out);
                }
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            for k in e.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{k}: missing"));
            }
            for k in a.keys().filter(|k| !e.contains_key(*k)) {
                out.push(format!("{path}.{k}: unexpected"));
            }
            for (k, ev) in e {
                if let Some(av) = a.get(k) {
                    key_diff(ev, av, &format!("{path}.{k}"), out);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.is_empty() || a.is_empty() {
                return;
            }
            for (i, av) in a.iter().enumerate() {
                let best = e
                    .iter()
                    .map(|ev| {
                        let mut d = Vec::new();
                        key_diff(ev, av, &format!("{path}[{i}]"), &mut d);
                        d
                    })
                    .min_by_key(Vec::len)
                    .unwrap_or_default();
                out.extend(best);
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (Value::Number(_), Value::Number(_)) => {}
        _ if std::mem::discriminant(expected) != std::mem::discriminant(actual) => {
            out.push(format!("{path}: {} vs {}", kind(expected), kind(actual)));
        }
        _ => {}
    }
}

fn is_id_map(m: &serde_json::Map<String, Value>) -> bool {
    !m.is_empty() && m.keys().all(|k| k.bytes().all(|b| b.is_ascii_digit()))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub fn assert_keys(what: &str, expected: &Value, actual: &Value) {
    let mut d = Vec::new();
    key_diff(expected, actual, "$", &mut d);
    assert!(d.is_empty(), "{what}: keys differ from the capture:\n  {}\nactual: {actual}", d.join("\n  "));
}

/// Same status, same error code (and the same key sets) as the capture.
pub fn assert_error_like(name: &str, got: &Got) {
    let cap = capture(name);
    assert_eq!(got.status, cap.status, "{name}: status; body {}", got.json);
    assert_eq!(got.json["code"], cap.json["code"], "{name}: code; body {}", got.json);
    assert_keys(name, &cap.json, &got.json);
}

pub fn rw_key() -> DemoKey {
    DemoKey::generate(KeyPermissions::ReadWrite)
}

pub async fn start_with(keys: Vec<DemoKey>, https: bool) -> DemoStoreHandle {
    let cfg = DemoStoreConfig { keys, assume_https: https, ..DemoStoreConfig::default() };
    spawn("127.0.0.1:0".parse().expect("addr"), cfg).await.expect("demo store starts")
}

pub async fn start() -> DemoStoreHandle {
    start_with(Vec::new(), false).await
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Got {
    pub status: u16,
    pub headers: HeaderMap,
    pub json: Value,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }

    pub fn item(&self, id: u64) -> Option<&Value> {
        self.json["items"].as_array()?.iter().find(|i| i["id"] == id)
    }
}

pub async fn got(resp: reqwest::Response) -> Got {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    Got { status, headers, json: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// The `user_id` inside a Cart-Token (read without verifying).
pub fn token_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&bytes).expect("claims")
}

/// A Store API client that keeps the latest Cart-Token and Nonce.
pub struct Shopper {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
    pub nonce: Option<String>,
}

impl Shopper {
    pub fn new(store: &DemoStoreHandle) -> Shopper {
        Shopper { http: reqwest::Client::new(), base: store.url(), token: None, nonce: None }
    }

    pub async fn send(&mut self, method: Method, route: &str, body: Option<Value>) -> Got {
        let mut req = self.http.request(method, format!("{}{STORE}{route}", self.base));
        if let Some(t) = &self.token {
            req = req.header("Cart-Token", t);
        }
        if let Some(n) = &self.nonce {
            req = req.header("Nonce", n);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let g = got(req.send().await.expect("request")).await;
        if let Some(t) = g.header("cart-token") {
            self.token = Some(t);
        }
        if let Some(n) = g.header("nonce") {
            self.nonce = Some(n);
        }
        g
    }

    pub async fn get(&mut self, route: &str) -> Got {
        self.send(Method::GET, route, None).await
    }

    pub async fn post(&mut self, route: &str, body: Value) -> Got {
        self.send(Method::POST, route, Some(body)).await
    }

    pub fn user_id(&self) -> String {
        token_claims(self.token.as_deref().expect("a token"))["user_id"].as_str().unwrap_or("").to_string()
    }
}

/// The captured checkout address.
pub fn address() -> Value {
    serde_json::json!({
        "first_name": "Alex", "last_name": "Tester", "company": "", "address_1": "123 Main St", "address_2": "Apt 4",
        "city": "Los Angeles", "state": "CA", "postcode": "90001", "country": "US",
        "email": "alex.tester@example.test", "phone": "+1 213 555 0199"
    })
}

pub fn shipping_address() -> Value {
    let mut a = address();
    a.as_object_mut().expect("object").remove("email");
    a
}

/// Ids of the hand-written demo products the captures also have.
pub struct Ids {
    pub tee: u64,
    pub mug: u64,
    pub shirt: u64,
    pub dino: u64,
    pub graphic: u64,
    pub external: u64,
    pub ebook: u64,
}

pub fn ids(store: &DemoStoreHandle) -> Ids {
    let cat = store.catalogue();
    let by = |name: &str| cat.find(|p| p.name == name && p.parent_id == 0).unwrap_or_else(|| panic!("{name}")).id;
    Ids {
        tee: by("Basic White Tee"),
        mug: by("Ceramic Mug"),
        shirt: by("Classic T-Shirt"),
        dino: by("Kids Dino Tee"),
        graphic: by("Graphic Tee Loopback"),
        external: by("Partner Espresso Machine"),
        ebook: by("E-Book: HTTP Caching"),
    }
}

/// An in-stock variation of the Classic T-Shirt: (variation id, size slug, colour slug).
pub fn shirt_variation(store: &DemoStoreHandle, shirt: u64) -> (u64, String, String) {
    let cat = store.catalogue();
    let v = cat.variations_of(shirt).into_iter().find(|v| v.stock_quantity.unwrap_or(0) >= 3).expect("an in-stock variation");
    // Variation slugs end with -<size>-<color>.
    let mut parts = v.slug.rsplitn(3, '-');
    let color = parts.next().unwrap_or_default().to_string();
    let size = parts.next().unwrap_or_default().to_string();
    (v.id, size, color)
}

/// The real WooCommerce captures: `../shared/woo-fixtures` when present,
/// else the copy in `tests/fixtures/woo-fixtures`.
fn woo_fixtures_dir() -> std::path::PathBuf {
    // The workspace root: this crate lives in crates/demo-store.
    let root = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let shared = root.join("../shared/woo-fixtures");
    if shared.is_dir() {
        shared
    } else {
        root.join("tests/fixtures/woo-fixtures")
    }
}
