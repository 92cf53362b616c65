//! The real WooCommerce captures deserialise into our upstream models, and
//! our OAuth signer reproduces the signatures the real store accepted.

use storefront_bff::upstream::oauth1::{base_string, sign, SignatureMethod};
use storefront_bff::upstream::rest_models::{RestCategory, RestProduct, RestVariation};
use storefront_bff::upstream::store_models::*;

use crate::common::woo_fixtures_dir;

/// The body of a capture: everything after the first blank line following
/// the status line.
fn body(name: &str) -> String {
    let text = std::fs::read_to_string(woo_fixtures_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let text = text.replace("\r\n", "\n");
    let start = text.find("\nHTTP/1.1").expect("status line");
    let rest = &text[start..];
    let blank = rest.find("\n\n").expect("blank line after headers");
    rest[blank + 2..].trim().to_string()
}

fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&body(name)).unwrap_or_else(|e| panic!("{name} does not deserialise: {e}"))
}

#[test]
fn store_api_catalogue_captures_deserialise() {
    for name in [
        "store-01-products-page1.http",
        "store-02-products-page2.http",
        "store-03-products-filtered.http",
        "store-04-products-search.http",
        "store-15-products-page-past-end.http",
    ] {
        let _: Vec<StoreProduct> = parse(name);
    }
    for name in [
        "store-05-product-simple.http",
        "store-06-product-variable.http",
        "store-07-product-variation.http",
        "store-08-product-by-slug.http",
        "store-09-product-lowstock.http",
    ] {
        let p: StoreProduct = parse(name);
        assert!(!p.prices.currency.currency_code.is_empty());
    }
    let variable: StoreProduct = parse("store-06-product-variable.http");
    assert_eq!(variable.variations.len(), 12);
    let _: Vec<StoreCategory> = parse("store-10-categories.http");
    let _: Vec<StoreTerm> = parse("store-11-tags.http");
    let _: Vec<StoreAttribute> = parse("store-12-attributes.http");
    let _: Vec<StoreTerm> = parse("store-13-attribute-terms.http");
}

#[test]
fn rest_v3_captures_deserialise() {
    for name in
        ["v3-01-products-basic-https.http", "v3-02-products-page2-basic.http", "v3-03-products-oauth-query.http", "v3-16-ro-key-read.http"]
    {
        let _: Vec<RestProduct> = parse(name);
    }
    let _: RestProduct = parse("v3-18-product-single.http");
    let _: Vec<RestVariation> = parse("v3-19-variations.http");
    let _: Vec<RestCategory> = parse("v3-24-categories.http");
}

/// The throwaway read-write credentials of the capture store, read from the
/// fixtures README at run time (never copied into code).
fn capture_credentials() -> (String, String) {
    let readme = std::fs::read_to_string(woo_fixtures_dir().join("README.md")).unwrap();
    let value = |label: &str| {
        readme
            .lines()
            .find(|l| l.starts_with(label))
            .and_then(|l| l.split_whitespace().last())
            .unwrap_or_else(|| panic!("{label} in README"))
            .to_string()
    };
    (value("consumer key (rw)"), value("consumer secret (rw)"))
}

/// The `### curl` line's query parameters.
fn curl_query(name: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(woo_fixtures_dir().join(name)).unwrap();
    let curl = text.lines().find(|l| l.starts_with("### curl")).unwrap();
    let url = curl.split_whitespace().find(|w| w.starts_with("http://")).unwrap().replace("\\?", "?").replace("\\&", "&");
    let query = url.split_once('?').unwrap().1;
    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

#[test]
fn signer_reproduces_signatures_the_real_store_accepted() {
    let (key, secret) = capture_credentials();
    for (name, method) in
        [("v3-03-products-oauth-query.http", SignatureMethod::HmacSha1), ("v3-05-products-oauth-sha256.http", SignatureMethod::HmacSha256)]
    {
        let mut params = curl_query(name);
        let accepted = params.iter().find(|(k, _)| k == "oauth_signature").unwrap().1.clone();
        params.retain(|(k, _)| k != "oauth_signature");
        for (k, v) in params.iter_mut() {
            if k == "oauth_consumer_key" {
                *v = key.clone();
            }
        }
        let base = base_string("GET", "http://127.0.0.1:8881/wp-json/wc/v3/products", &params);
        assert_eq!(sign(method, &base, &secret, ""), accepted, "{name}");
    }
}
