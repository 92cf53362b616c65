//! One-legged OAuth 1.0a request signing, the way WooCommerce verifies it
//! (`WC_REST_Authentication::check_oauth_signature`).
//!
//! WooCommerce normalises each key and value with RFC 3986 encoding, then
//! encodes every `key=value` string again and joins them with `%26`: the same
//! double encoding as RFC 5849 §3.4.1, so a value like `a,b` appears as
//! `a%252Cb`. The consumer secret plus `&` is the HMAC key (no token).
//! Signing is a few dozen lines over the `hmac` crate; the OAuth crates on
//! crates.io either lack HMAC-SHA256 or drop query parameters from the
//! signature (see ECOSYSTEM-NOTES), so we own this small piece and check it
//! against the RFC vector, the real store's captures and the demo store.

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay as they are; everything else is encoded.
pub const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, RFC3986).to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureMethod {
    HmacSha1,
    HmacSha256,
}

impl SignatureMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::HmacSha256 => "HMAC-SHA256",
        }
    }
}

/// The `oauth_*` values that vary per request.
pub struct OAuthParams<'a> {
    pub consumer_key: &'a str,
    pub nonce: &'a str,
    pub timestamp: u64,
    pub method: SignatureMethod,
    /// Only for three-legged test vectors; WooCommerce uses none.
    pub token: Option<&'a str>,
}

impl OAuthParams<'_> {
    fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("oauth_consumer_key".to_string(), self.consumer_key.to_string()),
            ("oauth_nonce".to_string(), self.nonce.to_string()),
            ("oauth_signature_method".to_string(), self.method.as_str().to_string()),
            ("oauth_timestamp".to_string(), self.timestamp.to_string()),
        ];
        if let Some(token) = self.token {
            pairs.push(("oauth_token".to_string(), token.to_string()));
        }
        pairs
    }
}

/// The signature base string: `METHOD&enc(url)&enc(k=v&k=v...)` with each
/// key and value encoded first, sorted by encoded key then value.
pub fn base_string(http_method: &str, base_url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    encoded.sort();
    let joined: Vec<String> = encoded.into_iter().map(|(k, v)| enc(&format!("{k}={v}"))).collect();
    format!("{}&{}&{}", http_method.to_ascii_uppercase(), enc(base_url), joined.join("%26"))
}

/// HMAC over the base string with key `enc(consumer_secret)&enc(token_secret)`.
pub fn sign(method: SignatureMethod, base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", enc(consumer_secret), enc(token_secret));
    match method {
        SignatureMethod::HmacSha1 => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
            mac.update(base.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        }
        SignatureMethod::HmacSha256 => {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
            mac.update(base.as_bytes());
            STANDARD.encode(mac.finalize().into_bytes())
        }
    }
}

/// The full query (request parameters plus `oauth_*` and the signature) for
/// a one-legged WooCommerce call. `base_url` is the URL without its query,
/// on the store's own home URL. The body is never signed.
pub fn signed_query(
    http_method: &str,
    base_url: &str,
    request_params: &[(String, String)],
    oauth: &OAuthParams<'_>,
    consumer_secret: &str,
) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = request_params.to_vec();
    all.extend(oauth.pairs());
    let base = base_string(http_method, base_url, &all);
    let signature = sign(oauth.method, &base, consumer_secret, "");
    all.push(("oauth_signature".to_string(), signature));
    all
}

/// A fresh random nonce for every attempt: WooCommerce rejects a reused one.
pub fn fresh_nonce() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OAuth Core 1.0 Appendix A.5 (the "photos.example.net" vector, also
    /// used by RFC 5849 implementations). All values are unreserved, so
    /// WooCommerce's base string equals the RFC one here.
    #[test]
    fn matches_the_published_oauth_test_vector() {
        let params = vec![
            ("file".to_string(), "vacation.jpg".to_string()),
            ("size".to_string(), "original".to_string()),
            ("oauth_version".to_string(), "1.0".to_string()),
        ];
        let oauth = OAuthParams {
            consumer_key: "dpf43f3p2l4k3l03",
            nonce: "kllo9940pd9333jh",
            timestamp: 1191242096,
            method: SignatureMethod::HmacSha1,
            token: Some("nnch734d00sl2jdk"),
        };
        let mut all = params.clone();
        all.extend(oauth.pairs());
        let base = base_string("GET", "http://photos.example.net/photos", &all);
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
        );
        let signature = sign(SignatureMethod::HmacSha1, &base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00");
        assert_eq!(signature, "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
    }

    #[test]
    fn signed_query_carries_request_params_and_a_signature() {
        let oauth = OAuthParams { consumer_key: "ck_test", nonce: "abc", timestamp: 1, method: SignatureMethod::HmacSha256, token: None };
        let query = signed_query("get", "http://store.test/wp-json/wc/v3/products", &[("per_page".into(), "5".into())], &oauth, "cs_test");
        let keys: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["per_page", "oauth_consumer_key", "oauth_nonce", "oauth_signature_method", "oauth_timestamp", "oauth_signature"]);
        // Same inputs, same signature; a different secret changes it.
        let again = signed_query("GET", "http://store.test/wp-json/wc/v3/products", &[("per_page".into(), "5".into())], &oauth, "cs_test");
        assert_eq!(query, again);
        let other = signed_query("GET", "http://store.test/wp-json/wc/v3/products", &[("per_page".into(), "5".into())], &oauth, "cs_other");
        assert_ne!(query.last(), other.last());
    }

    #[test]
    fn reserved_characters_in_values_are_encoded_twice() {
        let base = base_string("GET", "http://s.test/p", &[("sku".into(), "A,B C".into())]);
        assert_eq!(base, "GET&http%3A%2F%2Fs.test%2Fp&sku%3DA%252CB%2520C");
    }

    #[test]
    fn nonces_are_fresh() {
        assert_ne!(fresh_nonce(), fresh_nonce());
        assert_eq!(fresh_nonce().len(), 32);
    }
}
