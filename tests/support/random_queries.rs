//! Random catalogue queries for the differential tests of the catalogue index (tests/api and
//! tests/realstore include this file): filters × sorts × pages × searches over a catalogue's
//! own terms, plus unknown ones.

use rand::rngs::StdRng;
use rand::Rng;

/// What the random queries draw from: the demo catalogue's own terms, plus unknown ones.
pub struct Vocabulary {
    pub categories: Vec<String>,
    pub tags: Vec<String>,
    pub attributes: Vec<(String, Vec<String>)>,
    pub words: Vec<String>,
}

/// A random query string; `list` adds paging and sorting.
pub fn random_query(rng: &mut StdRng, v: &Vocabulary, list: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let pick = |rng: &mut StdRng, from: &[String]| from[rng.gen_range(0..from.len())].clone();
    if list {
        if rng.gen_bool(0.5) {
            parts.push(format!("page={}", rng.gen_range(1..=6)));
        }
        if rng.gen_bool(0.6) {
            parts.push(format!("per_page={}", [1, 3, 10, 24, 100][rng.gen_range(0..5)]));
        }
        if rng.gen_bool(0.7) {
            parts.push(format!("orderby={}", ["date", "price", "popularity", "rating", "title", "menu_order"][rng.gen_range(0..6)]));
        }
        if rng.gen_bool(0.5) {
            parts.push(format!("order={}", ["asc", "desc"][rng.gen_range(0..2)]));
        }
    }
    if rng.gen_bool(0.3) {
        let n = rng.gen_range(1..=3);
        let list: Vec<String> = (0..n).map(|_| pick(rng, &v.categories)).collect();
        parts.push(format!("category={}", list.join(",")));
    }
    if rng.gen_bool(0.2) {
        parts.push(format!("tag={}", pick(rng, &v.tags)));
    }
    if rng.gen_bool(0.3) {
        let n = rng.gen_range(1..=2);
        let mut attrs = Vec::new();
        for _ in 0..n {
            let (taxonomy, terms) = &v.attributes[rng.gen_range(0..v.attributes.len())];
            let k = rng.gen_range(1..=2);
            let chosen: Vec<String> = (0..k).map(|_| pick(rng, terms)).collect();
            attrs.push(format!("{taxonomy}:{}", chosen.join(",")));
        }
        parts.push(format!("attributes={}", attrs.join(";")));
    }
    if rng.gen_bool(0.25) {
        parts.push(format!("min_price={}", [0, 500, 1000, 2500, 5000][rng.gen_range(0..5)]));
    }
    if rng.gen_bool(0.25) {
        parts.push(format!("max_price={}", [0, 999, 2000, 4500, 10000][rng.gen_range(0..5)]));
    }
    if rng.gen_bool(0.2) {
        parts.push(format!("on_sale={}", rng.gen_bool(0.5)));
    }
    if rng.gen_bool(0.2) {
        parts.push(format!("stock_status={}", ["in_stock", "out_of_stock", "on_backorder"][rng.gen_range(0..3)]));
    }
    if rng.gen_bool(0.25) {
        let word = pick(rng, &v.words);
        let word = if rng.gen_bool(0.3) { word.to_uppercase() } else { word };
        parts.push(format!("search={}", url::form_urlencoded::byte_serialize(word.as_bytes()).collect::<String>()));
    }
    parts.join("&")
}

/// The vocabulary from a BFF's own answers: categories, tags, attribute terms and product names.
pub fn vocabulary_from(
    categories: &serde_json::Value,
    tags: &serde_json::Value,
    attributes: Vec<(String, serde_json::Value)>,
    products: &serde_json::Value,
) -> Vocabulary {
    let ids_and_slugs = |body: &serde_json::Value| -> Vec<String> {
        let mut out = vec!["0".to_string(), "999999".into(), "no-such-term".into()];
        for item in body["items"].as_array().unwrap() {
            out.push(item["id"].to_string());
            out.push(item["slug"].as_str().unwrap().to_string());
        }
        out
    };
    let mut attrs = vec![("pa_nosuch".to_string(), vec!["x".to_string()])];
    for (taxonomy, terms) in attributes {
        let mut slugs: Vec<String> = terms["items"].as_array().unwrap().iter().map(|t| t["slug"].as_str().unwrap().to_string()).collect();
        slugs.push("no-such-term".into());
        attrs.push((taxonomy, slugs));
    }
    let mut words = vec!["0".to_string(), "zzzz".into(), "a".into()];
    for p in products["items"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        words.extend(name.split_whitespace().map(|w| w.to_string()));
        // Substrings too: the store matches any part of a name or SKU.
        if name.is_ascii() && name.len() > 4 {
            words.push(name[1..4].to_string());
        }
        if let Some(sku) = p["sku"].as_str() {
            words.push(sku.to_string());
        }
    }
    Vocabulary { categories: ids_and_slugs(categories), tags: ids_and_slugs(tags), attributes: attrs, words }
}
