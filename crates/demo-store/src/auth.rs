//! WooCommerce REST API key authentication, ported from `WC_REST_Authentication`: HTTP Basic (HTTPS only) and one-legged OAuth 1.0a with its exact signature, timestamp and nonce rules.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};

use super::http::WpError;
use super::wp::{parse_str, rawurldecode, rawurlencode, urldecode, PhpArray, PhpValue};
use super::{DemoKey, KeyPermissions};

/// WooCommerce accepts OAuth timestamps within 15 minutes of its clock.
pub const OAUTH_WINDOW_SECS: i64 = 15 * 60;

/// Seconds since the epoch, replaceable in tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0))
}

/// What the request carries, as PHP would see it.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    pub method: &'a str,
    /// Raw request path (`REQUEST_URI` without the query), not percent-decoded.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    /// Body of a form-encoded POST (PHP only fills `$_POST` for POST).
    pub form_body: Option<&'a str>,
    /// `is_ssl()`.
    pub is_ssl: bool,
}

/// The authenticated key (what WooCommerce calls the API user).
#[derive(Debug, Clone)]
pub struct KeyUser {
    pub consumer_key: String,
    pub permissions: KeyPermissions,
}

/// Result of the `determine_current_user` + `rest_authentication_errors` dance.
#[derive(Debug, Clone)]
pub enum AuthOutcome {
    Anonymous,
    Authenticated(KeyUser),
    Failed(WpError),
}

/// Checks API keys against the store's key table and remembers OAuth nonces.
pub struct Authenticator {
    home_url: String,
    keys: Vec<DemoKey>,
    /// Per consumer key: timestamp → nonce, exactly like the `nonces` column.
    nonces: Mutex<HashMap<String, Vec<(String, String)>>>,
    clock: Clock,
    /// Every key deleted in the admin (a fault switch): requests then fail as with an unknown key.
    revoked: AtomicBool,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("home_url", &self.home_url).field("keys", &self.keys).finish_non_exhaustive()
    }
}

fn auth_error(message: &str) -> WpError {
    WpError::new(401, "woocommerce_rest_authentication_error", message)
}

impl Authenticator {
    /// `home_url` is the store's home URL (`get_option('home')`), the base every OAuth signature uses.
    pub fn new(home_url: &str, keys: Vec<DemoKey>) -> Authenticator {
        Authenticator {
            home_url: home_url.trim_end_matches('/').to_string(),
            keys,
            nonces: Mutex::new(HashMap::new()),
            clock: system_clock(),
            revoked: AtomicBool::new(false),
        }
    }

    /// Replaces the clock (tests replaying old signed requests).
    pub fn with_clock(mut self, clock: Clock) -> Authenticator {
        self.clock = clock;
        self
    }

    /// Revokes (`true`) or restores every key, as deleting and re-creating them in the admin would.
    pub fn set_revoked(&self, revoked: bool) {
        self.revoked.store(revoked, Ordering::SeqCst);
    }

    fn key(&self, consumer_key: &str) -> Option<&DemoKey> {
        if self.revoked.load(Ordering::SeqCst) {
            return None;
        }
        // `sanitize_text_field` trims; the lookup is by hash in WooCommerce, i.e. exact.
        let ck = consumer_key.trim();
        self.keys.iter().find(|k| k.consumer_key == ck)
    }

    /// `WC_REST_Authentication::authenticate` followed by `check_authentication_error`.
    pub fn authenticate(&self, req: &AuthRequest<'_>) -> AuthOutcome {
        let get = req.query.map(parse_str).unwrap_or_default();
        let mut error: Option<WpError> = None;
        let mut user: Option<KeyUser> = None;
        if req.is_ssl {
            match self.basic(req, &get) {
                Ok(u) => user = u,
                Err(e) => error = Some(e),
            }
        }
        if user.is_none() {
            match self.oauth(req, get) {
                Ok(u) => user = u,
                Err(e) => error = Some(e),
            }
        }
        // An earlier error sticks even if a later method succeeded, as in WooCommerce.
        match (error, user) {
            (Some(e), _) => AuthOutcome::Failed(e),
            (None, Some(u)) => AuthOutcome::Authenticated(u),
            (None, None) => AuthOutcome::Anonymous,
        }
    }

    fn basic(&self, req: &AuthRequest<'_>, get: &PhpArray) -> Result<Option<KeyUser>, WpError> {
        let mut creds: Option<(String, String)> = None;
        if let (Some(k), Some(s)) = (get.get("consumer_key"), get.get("consumer_secret")) {
            if !k.is_empty_php() && !s.is_empty_php() {
                creds = Some((k.as_str().unwrap_or("").to_string(), s.as_str().unwrap_or("").to_string()));
            }
        }
        if creds.is_none() {
            creds = req.authorization.and_then(parse_basic).filter(|(u, p)| !u.is_empty() && !p.is_empty());
        }
        let Some((ck, cs)) = creds else {
            return Ok(None);
        };
        if ck.is_empty() || cs.is_empty() {
            return Ok(None);
        }
        // An unknown key is silently ignored (the request then fails as unauthenticated).
        let Some(key) = self.key(&ck) else {
            return Ok(None);
        };
        if !constant_time_eq(key.consumer_secret.as_bytes(), cs.as_bytes()) {
            return Err(auth_error("Consumer secret is invalid."));
        }
        Ok(Some(KeyUser { consumer_key: key.consumer_key.clone(), permissions: key.permissions }))
    }

    /// `get_oauth_parameters`: `$_GET` + `$_POST`, then `Authorization: OAuth` parameters on top.
    fn oauth_params(&self, req: &AuthRequest<'_>, mut params: PhpArray) -> Result<Option<PhpArray>, WpError> {
        if let Some(body) = req.form_body {
            params.merge(parse_str(body));
        }
        if let Some(h) = req.authorization {
            params.merge(parse_oauth_header(h.trim()));
        }
        const REQUIRED: [&str; 5] = ["oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"];
        let missing: Vec<&str> = REQUIRED.iter().copied().filter(|n| params.get(n).is_none_or(PhpValue::is_empty_php)).collect();
        if missing.len() == REQUIRED.len() {
            return Ok(None);
        }
        if !missing.is_empty() {
            let word = if missing.len() == 1 { "parameter" } else { "parameters" };
            return Err(WpError::new(
                401,
                "woocommerce_rest_authentication_missing_parameter",
                &format!("Missing OAuth {word} {}", missing.join(", ")),
            ));
        }
        Ok(Some(params))
    }

    fn oauth(&self, req: &AuthRequest<'_>, get: PhpArray) -> Result<Option<KeyUser>, WpError> {
        let Some(params) = self.oauth_params(req, get)? else {
            return Ok(None);
        };
        let ck = params.get_str("oauth_consumer_key").unwrap_or("");
        let Some(key) = self.key(ck) else {
            return Err(auth_error("Consumer key is invalid."));
        };
        self.check_signature(req, key, &params)?;
        let timestamp = params.get_str("oauth_timestamp").unwrap_or("");
        let nonce = params.get_str("oauth_nonce").unwrap_or("");
        self.check_timestamp_and_nonce(key, timestamp, nonce)?;
        Ok(Some(KeyUser { consumer_key: key.consumer_key.clone(), permissions: key.permissions }))
    }

    /// The base string WooCommerce signs: `METHOD&enc(home_url + path)&` + its own normalisation of the sorted parameters.
    pub(crate) fn signature_base(&self, req: &AuthRequest<'_>, params: &PhpArray) -> String {
        let path = req.path.strip_prefix('/').unwrap_or(req.path);
        let home = set_scheme(&self.home_url, req.is_ssl);
        let base_uri = rawurlencode(&format!("{home}/{path}"));
        let mut sorted: Vec<&(String, PhpValue)> = params.0.iter().filter(|(k, _)| k != "oauth_signature").collect();
        // uksort(..., 'strcmp'): byte order of the raw (decoded) keys.
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut pairs = Vec::new();
        for (k, v) in sorted {
            join_with_equals(&rawurlencode(k), v, &mut pairs);
        }
        format!("{}&{}&{}", req.method.to_ascii_uppercase(), base_uri, pairs.join("%26"))
    }

    fn check_signature(&self, req: &AuthRequest<'_>, key: &DemoKey, params: &PhpArray) -> Result<(), WpError> {
        let provided = params.get_str("oauth_signature").unwrap_or("");
        let provided = rawurldecode(&provided.replace(' ', "+"));
        let base = self.signature_base(req, params);
        let method = params.get_str("oauth_signature_method").unwrap_or("");
        let secret = format!("{}&", key.consumer_secret);
        let digest = match method {
            "HMAC-SHA1" => hmac_b64(false, secret.as_bytes(), base.as_bytes()),
            "HMAC-SHA256" => hmac_b64(true, secret.as_bytes(), base.as_bytes()),
            _ => return Err(auth_error("Invalid signature - signature method is invalid.")),
        };
        if !digest.is_some_and(|d| constant_time_eq(d.as_bytes(), provided.as_bytes())) {
            return Err(auth_error("Invalid signature - provided signature does not match."));
        }
        Ok(())
    }

    fn check_timestamp_and_nonce(&self, key: &DemoKey, timestamp: &str, nonce: &str) -> Result<(), WpError> {
        let now = (self.clock)();
        let ts = super::wp::parse_numeric(timestamp);
        let in_window = ts.is_some_and(|t| t >= (now - OAUTH_WINDOW_SECS) as f64 && t <= (now + OAUTH_WINDOW_SECS) as f64);
        if !in_window {
            return Err(auth_error("Invalid timestamp."));
        }
        let mut all = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        let used = all.entry(key.consumer_key.clone()).or_default();
        if used.iter().any(|(_, n)| n == nonce) {
            return Err(auth_error("Invalid nonce - nonce has already been used."));
        }
        // Keyed by timestamp: a second request in the same second replaces the first nonce (as in WooCommerce).
        let ts_key = timestamp.trim().to_string();
        match used.iter_mut().find(|(t, _)| *t == ts_key) {
            Some(slot) => slot.1 = nonce.to_string(),
            None => used.push((ts_key, nonce.to_string())),
        }
        used.retain(|(t, _)| super::wp::parse_numeric(t).is_none_or(|t| t >= (now - OAUTH_WINDOW_SECS) as f64));
        Ok(())
    }
}

/// `check_permissions`: read keys may only GET/HEAD, write keys only write; OPTIONS always passes.
pub fn check_permissions(permissions: KeyPermissions, method: &str) -> Result<(), WpError> {
    let (read, write) = match permissions {
        KeyPermissions::Read => (true, false),
        KeyPermissions::Write => (false, true),
        KeyPermissions::ReadWrite => (true, true),
    };
    match method {
        "HEAD" | "GET" if !read => Err(auth_error("The API key provided does not have read permissions.")),
        "HEAD" | "GET" | "OPTIONS" => Ok(()),
        "POST" | "PUT" | "PATCH" | "DELETE" if !write => Err(auth_error("The API key provided does not have write permissions.")),
        "POST" | "PUT" | "PATCH" | "DELETE" => Ok(()),
        _ => Err(auth_error("Unknown request method.")),
    }
}

/// `join_with_equals_sign` after `normalize_parameters`: top-level keys and all values encoded once here,
/// nested keys appended raw as `%5B…%5D`, and every `k=v` string encoded again (the "double encoding").
fn join_with_equals(key: &str, value: &PhpValue, out: &mut Vec<String>) {
    match value {
        PhpValue::Str(s) => out.push(rawurlencode(&format!("{key}={}", rawurlencode(s)))),
        PhpValue::Arr(items) => {
            for (k, v) in &items.0 {
                let nested = format!("{key}%5B{k}%5D");
                join_with_equals(&nested, v, out);
            }
        }
    }
}

fn set_scheme(url: &str, https: bool) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    format!("{}://{rest}", if https { "https" } else { "http" })
}

/// base64(HMAC(key, msg)) with SHA-1 or SHA-256.
pub fn hmac_b64(sha256: bool, key: &[u8], msg: &[u8]) -> Option<String> {
    let bytes = if sha256 {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).ok()?;
        mac.update(msg);
        mac.finalize().into_bytes().to_vec()
    } else {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).ok()?;
        mac.update(msg);
        mac.finalize().into_bytes().to_vec()
    };
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `PHP_AUTH_USER` / `PHP_AUTH_PW` from `Authorization: Basic`.
fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// `parse_header`: `/(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))/`, values `urldecode`d.
pub(crate) fn parse_oauth_header(header: &str) -> PhpArray {
    let mut out = PhpArray::default();
    if !header.starts_with("OAuth ") {
        return out;
    }
    let bytes = header.as_bytes();
    let mut i = 0;
    while let Some(pos) = header[i..].find("oauth_") {
        let start = i + pos;
        let mut j = start + 6;
        while j < bytes.len() && (bytes[j].is_ascii_lowercase() || bytes[j] == b'_' || bytes[j] == b'-') {
            j += 1;
        }
        if j >= bytes.len() || bytes[j] != b'=' {
            i = start + 6;
            continue;
        }
        let name = &header[start..j];
        let mut k = j + 1;
        let quoted_start = if bytes.get(k) == Some(&b':') && bytes.get(k + 1) == Some(&b'"') { Some(k + 2) } else { None };
        let quoted_start = quoted_start.or_else(|| (bytes.get(k) == Some(&b'"')).then_some(k + 1));
        let quoted = quoted_start.and_then(|qs| header[qs..].find('"').map(|e| (qs, qs + e)));
        let value = match quoted {
            // PHP's `empty()` sends "" and "0" to the (empty) unquoted group.
            Some((qs, qe)) => {
                k = qe + 1;
                let v = &header[qs..qe];
                if v.is_empty() || v == "0" {
                    String::new()
                } else {
                    v.to_string()
                }
            }
            None => {
                let end = header[k..].find(',').map_or(bytes.len(), |e| k + e);
                let v = header[k..end].to_string();
                k = end;
                v
            }
        };
        out.set(name.to_string(), PhpValue::Str(urldecode(&value)));
        i = k.max(start + 1);
    }
    out
}
