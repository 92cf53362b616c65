//! Shared helpers for the demo store tests: capture parsing, JSON shape comparison and an OAuth 1.0a signer.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use demo_store::{spawn, DemoKey, DemoStoreConfig, DemoStoreHandle, KeyPermissions};
use hmac::{Hmac, Mac};
use serde_json::Value;

pub fn fixtures_dir() -> PathBuf {
    woo_fixtures_dir()
}

/// A recorded exchange: the `###` comment lines, the response status, headers and body.
#[derive(Debug, Clone)]
pub struct Capture {
    pub comments: Vec<String>,
    pub status: u16,
    /// Lower-cased header names, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Capture {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The curl command line of the capture.
    pub fn curl(&self) -> String {
        self.comments.iter().find(|c| c.starts_with("curl ")).cloned().unwrap_or_default()
    }
}

/// Reads `name` (e.g. "store-05-product-simple.http") from the fixtures.
pub fn capture(name: &str) -> Capture {
    capture_at(&fixtures_dir().join(name))
}

/// Reads the capture at `path`.
pub fn capture_at(path: &std::path::Path) -> Capture {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut comments = Vec::new();
    let mut lines = text.split('\n').peekable();
    while let Some(l) = lines.peek() {
        if let Some(c) = l.strip_prefix("###") {
            comments.push(c.trim().to_string());
            lines.next();
        } else {
            break;
        }
    }
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
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
    let body = lines.collect::<Vec<_>>().join("\n");
    Capture { comments, status, headers, body }
}

/// Fields whose value is legitimately `null` for some items and a value for others.
const NULLABLE: &[&str] = &[
    "price_range",
    "low_stock_remaining",
    "taxonomy",
    "stock_quantity",
    "low_stock_amount",
    "date_on_sale_from",
    "date_on_sale_from_gmt",
    "date_on_sale_to",
    "date_on_sale_to_gmt",
    "image",
    "product_image",
    "rating",
    "attribute_counts",
    "rating_counts",
    "stock_status_counts",
];

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

/// Differences in shape (keys recursively, value types) between `expected` and `actual`.
pub fn shape_diff(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for k in e.keys() {
                if !a.contains_key(k) {
                    out.push(format!("{path}.{k}: missing"));
                }
            }
            for k in a.keys() {
                if !e.contains_key(k) {
                    out.push(format!("{path}.{k}: unexpected"));
                }
            }
            for (k, ev) in e {
                if let Some(av) = a.get(k) {
                    shape_diff(ev, av, &format!("{path}.{k}"), out);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.is_empty() || a.is_empty() {
                return;
            }
            for (i, av) in a.iter().enumerate() {
                let mut best: Option<Vec<String>> = None;
                for ev in e {
                    let mut d = Vec::new();
                    shape_diff(ev, av, &format!("{path}[{i}]"), &mut d);
                    if best.as_ref().is_none_or(|b| d.len() < b.len()) {
                        best = Some(d);
                    }
                }
                out.extend(best.unwrap_or_default());
            }
        }
        (Value::Null, _) | (_, Value::Null) => {
            let field = path.rsplit('.').next().unwrap_or("");
            if kind(expected) != kind(actual) && !NULLABLE.contains(&field) {
                out.push(format!("{path}: {} vs {}", kind(expected), kind(actual)));
            }
        }
        _ => {
            if kind(expected) != kind(actual) {
                out.push(format!("{path}: {} vs {}", kind(expected), kind(actual)));
            }
        }
    }
}

pub fn assert_same_shape(what: &str, expected: &Value, actual: &Value) {
    let mut d = Vec::new();
    shape_diff(expected, actual, "$", &mut d);
    assert!(d.is_empty(), "{what}: shape differs from the capture:\n  {}", d.join("\n  "));
}

/// Keys of the fixture store's credentials, read at run time from the fixtures README (test vectors only).
pub fn fixture_credentials(label: &str) -> String {
    let readme = std::fs::read_to_string(fixtures_dir().join("README.md")).unwrap_or_default();
    readme
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no '{label}' in fixtures README"))
}

/// Splits a shell command line into words (backslash escapes, single and double quotes).
pub fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (_, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

pub fn rw_key() -> DemoKey {
    DemoKey::generate(KeyPermissions::ReadWrite)
}

pub fn ro_key() -> DemoKey {
    DemoKey::generate(KeyPermissions::Read)
}

pub async fn start(cfg: DemoStoreConfig) -> DemoStoreHandle {
    spawn("127.0.0.1:0".parse().expect("addr"), cfg).await.expect("demo store starts")
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, &RFC3986).to_string()
}

const RFC3986: percent_encoding::AsciiSet = percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// One-legged OAuth 1.0a as a client library does it (RFC 5849 base string, key = secret + "&").
pub struct Signer<'a> {
    pub key: &'a DemoKey,
    pub sha256: bool,
    pub timestamp: i64,
    pub nonce: String,
}

impl<'a> Signer<'a> {
    pub fn new(key: &'a DemoKey) -> Signer<'a> {
        let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        Signer { key, sha256: false, timestamp: ts, nonce: uuid::Uuid::new_v4().simple().to_string() }
    }

    pub fn oauth_params(&self) -> BTreeMap<String, String> {
        let mut p = BTreeMap::new();
        p.insert("oauth_consumer_key".into(), self.key.consumer_key.clone());
        p.insert("oauth_nonce".into(), self.nonce.clone());
        p.insert("oauth_signature_method".into(), if self.sha256 { "HMAC-SHA256" } else { "HMAC-SHA1" }.into());
        p.insert("oauth_timestamp".into(), self.timestamp.to_string());
        p.insert("oauth_version".into(), "1.0".into());
        p
    }

    /// Signature over `method base_url` with request parameters `params` plus the oauth ones.
    pub fn sign(&self, method: &str, base_url: &str, params: &[(&str, &str)], secret: &str) -> String {
        let mut all: Vec<(String, String)> = self.oauth_params().into_iter().collect();
        all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut encoded: Vec<(String, String)> = all.iter().map(|(k, v)| (enc(k), enc(v))).collect();
        encoded.sort();
        let normalized = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let base = format!("{}&{}&{}", method, enc(base_url), enc(&normalized));
        let key = format!("{secret}&");
        let bytes = if self.sha256 {
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("hmac key");
            m.update(base.as_bytes());
            m.finalize().into_bytes().to_vec()
        } else {
            let mut m = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).expect("hmac key");
            m.update(base.as_bytes());
            m.finalize().into_bytes().to_vec()
        };
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// A full query-string-signed URL for `path` (on `home`) with `params`.
    pub fn signed_url(&self, method: &str, home: &str, path: &str, params: &[(&str, &str)]) -> String {
        self.signed_url_with_secret(method, home, path, params, &self.key.consumer_secret)
    }

    pub fn signed_url_with_secret(&self, method: &str, home: &str, path: &str, params: &[(&str, &str)], secret: &str) -> String {
        let sig = self.sign(method, &format!("{home}{path}"), params, secret);
        let mut q: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        q.extend(self.oauth_params().iter().map(|(k, v)| format!("{k}={}", enc(v))));
        q.push(format!("oauth_signature={}", enc(&sig)));
        format!("{home}{path}?{}", q.join("&"))
    }

    /// `Authorization: OAuth ...` header value for a request whose query is `params`.
    pub fn header(&self, method: &str, base_url: &str, params: &[(&str, &str)]) -> String {
        let sig = self.sign(method, base_url, params, &self.key.consumer_secret);
        let mut parts: Vec<String> = self.oauth_params().iter().map(|(k, v)| format!("{k}=\"{}\"", enc(v))).collect();
        parts.push(format!("oauth_signature=\"{}\"", enc(&sig)));
        format!("OAuth {}", parts.join(", "))
    }
}

/// Fetches `url` and returns status, headers (lower-cased) and parsed JSON body.
pub async fn get_json(client: &reqwest::Client, req: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let _ = client;
    let resp = req.send().await.expect("request succeeds");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, headers, json)
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
