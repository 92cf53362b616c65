//! The partner registry file (TOML): parsing, validation with the line and field of every
//! problem named, and lookups by partner id and by OAuth `client_id`.
//!
//! ```toml
//! [[partner]]
//! id = "acme"
//! name = "ACME Wholesale"
//! client_id = "acme-portal"
//! client_secret_hash = "$argon2id$v=19$m=19456,t=2,p=1$..."   # storefront-bff partner hash-secret
//! scopes = ["catalog:read", "stock:read", "orders:read", "orders:write"]
//! customer_id = 42
//! rate_limit_per_minute = 600      # default 600
//! enabled = true                   # default true
//!
//! [partner.prices]
//! default_discount_percent = 5
//! categories = { "t-shirts" = 10, "17" = 12.5 }   # slug or id → percent
//! skus = { "RW-TS-001" = 990 }                     # SKU → fixed unit price, minor units
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::pricing::PriceList;
use super::scopes::{Scope, ScopeSet};
use super::secret::SecretHash;

pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 600;

/// One partner as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub secret: SecretHash,
    pub scopes: ScopeSet,
    /// The WooCommerce customer its orders belong to.
    pub customer_id: u64,
    pub prices: PriceList,
    pub rate_limit_per_minute: u32,
    pub enabled: bool,
}

/// A validated registry.
pub struct Registry {
    partners: Vec<Arc<Partner>>,
    by_id: HashMap<String, Arc<Partner>>,
    by_client: HashMap<String, Arc<Partner>>,
    /// Verified against when the client is unknown, so both cases cost the same.
    dummy: SecretHash,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("partners", &self.ids()).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    partner: Vec<Spanned<RawPartner>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartner {
    id: Spanned<String>,
    name: Spanned<String>,
    client_id: Spanned<String>,
    client_secret_hash: Spanned<String>,
    scopes: Spanned<Vec<Spanned<String>>>,
    customer_id: Spanned<i64>,
    #[serde(default)]
    prices: Option<RawPrices>,
    rate_limit_per_minute: Option<Spanned<i64>>,
    enabled: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrices {
    default_discount_percent: Option<Spanned<f64>>,
    #[serde(default)]
    categories: BTreeMap<String, Spanned<f64>>,
    #[serde(default)]
    skus: BTreeMap<String, Spanned<i64>>,
}

/// Collects problems as `ORIGIN line N, field F: message`.
struct Problems<'a> {
    origin: &'a str,
    text: &'a str,
    list: Vec<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len())).map_or(1, |t| t.matches('\n').count() + 1)
}

impl Problems<'_> {
    fn add<T>(&mut self, at: &Spanned<T>, field: &str, message: impl fmt::Display) {
        let line = line_of(self.text, at.span().start);
        self.list.push(format!("{} line {line}, field {field}: {message}", self.origin));
    }
}

/// A percentage with at most two decimals, 0 to 100, in hundredths of a percent.
fn percent(value: f64) -> Result<u32, &'static str> {
    let bp = value * 100.0;
    if !(0.0..=10_000.0).contains(&bp) || !value.is_finite() {
        return Err("a percentage from 0 to 100");
    }
    if (bp - bp.round()).abs() > 1e-6 {
        return Err("at most two decimal places");
    }
    Ok(bp.round() as u32)
}

pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// SKUs travel in comma-separated REST queries: no commas, no control characters.
pub fn valid_sku(sku: &str) -> bool {
    !sku.is_empty() && sku.chars().count() <= 100 && sku.trim() == sku && !sku.chars().any(|c| c == ',' || c.is_control())
}

impl Registry {
    /// Parses and validates a registry file's text; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<Registry, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| syntax_error(text, origin, &e))?;
        let mut problems = Problems { origin, text, list: Vec::new() };
        let mut partners: Vec<Arc<Partner>> = Vec::new();
        for (i, spanned) in raw.partner.iter().enumerate() {
            let p = spanned.get_ref();
            let field = |name: &str| format!("partner[{i}].{name}");
            if !valid_id(p.id.get_ref()) {
                problems.add(&p.id, &field("id"), "1 to 64 characters: a-z, 0-9, - and _");
            }
            if p.name.get_ref().trim().is_empty() || p.name.get_ref().chars().count() > 200 {
                problems.add(&p.name, &field("name"), "1 to 200 characters");
            }
            let client_id = p.client_id.get_ref();
            if client_id.is_empty() || client_id.len() > 128 || !client_id.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                problems.add(&p.client_id, &field("client_id"), "1 to 128 printable ASCII characters without ':'");
            }
            let secret = match SecretHash::parse(p.client_secret_hash.get_ref()) {
                Ok(h) => Some(h),
                Err(why) => {
                    problems.add(
                        &p.client_secret_hash,
                        &field("client_secret_hash"),
                        format!("{why}; make one with `storefront-bff partner hash-secret`"),
                    );
                    None
                }
            };
            let mut scopes = ScopeSet::default();
            for s in p.scopes.get_ref() {
                match Scope::parse(s.get_ref()) {
                    Some(scope) => scopes.insert(scope),
                    None => {
                        let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                        problems.add(s, &field("scopes"), format!("unknown scope {:?}; known: {}", s.get_ref(), known.join(", ")));
                    }
                }
            }
            if p.scopes.get_ref().is_empty() {
                problems.add(&p.scopes, &field("scopes"), "at least one scope");
            }
            let customer_id = match u64::try_from(*p.customer_id.get_ref()) {
                Ok(id) if id > 0 => id,
                _ => {
                    problems.add(&p.customer_id, &field("customer_id"), "a WooCommerce customer (user) id, 1 or more");
                    0
                }
            };
            let rate = match &p.rate_limit_per_minute {
                None => DEFAULT_RATE_LIMIT_PER_MINUTE,
                Some(r) => match u32::try_from(*r.get_ref()) {
                    Ok(n) if (1..=100_000).contains(&n) => n,
                    _ => {
                        problems.add(r, &field("rate_limit_per_minute"), "1 to 100000");
                        DEFAULT_RATE_LIMIT_PER_MINUTE
                    }
                },
            };
            let prices = p.prices.as_ref().map(|raw| price_list(raw, &field("prices"), &mut problems)).unwrap_or_default();
            for other in &partners {
                if other.id == *p.id.get_ref() {
                    problems.add(&p.id, &field("id"), format!("{:?} is used twice", other.id));
                }
                if other.client_id == *client_id {
                    problems.add(&p.client_id, &field("client_id"), format!("{client_id:?} is used twice"));
                }
                if other.customer_id == customer_id && customer_id != 0 {
                    let why =
                        format!("customer {customer_id} already belongs to partner {:?}; each partner needs its own customer", other.id);
                    problems.add(&p.customer_id, &field("customer_id"), why);
                }
            }
            if let Some(secret) = secret {
                partners.push(Arc::new(Partner {
                    id: p.id.get_ref().clone(),
                    name: p.name.get_ref().trim().to_string(),
                    client_id: client_id.clone(),
                    secret,
                    scopes,
                    customer_id,
                    prices,
                    rate_limit_per_minute: rate,
                    enabled: p.enabled.unwrap_or(true),
                }));
            }
        }
        if !problems.list.is_empty() {
            return Err(problems.list.join("\n"));
        }
        Ok(Registry::new(partners))
    }

    fn new(partners: Vec<Arc<Partner>>) -> Registry {
        // The dummy costs what the most common configured hash costs.
        let mut costs: HashMap<(u32, u32, u32), usize> = HashMap::new();
        let mut params = None;
        for p in &partners {
            if let Some(pp) = p.secret.params() {
                let n = costs.entry((pp.m_cost(), pp.t_cost(), pp.p_cost())).or_default();
                *n += 1;
                if params.as_ref().is_none_or(|(_, best)| *n > *best) {
                    params = Some((pp, *n));
                }
            }
        }
        let dummy = SecretHash::dummy(params.map(|(p, _)| p).unwrap_or_default());
        Registry {
            by_id: partners.iter().map(|p| (p.id.clone(), Arc::clone(p))).collect(),
            by_client: partners.iter().map(|p| (p.client_id.clone(), Arc::clone(p))).collect(),
            partners,
            dummy,
        }
    }

    /// An empty registry (no partner can get a token).
    pub fn empty() -> Registry {
        Registry::new(Vec::new())
    }

    pub fn by_id(&self, id: &str) -> Option<&Arc<Partner>> {
        self.by_id.get(id)
    }

    pub fn by_client_id(&self, client_id: &str) -> Option<&Arc<Partner>> {
        self.by_client.get(client_id)
    }

    pub fn dummy(&self) -> &SecretHash {
        &self.dummy
    }

    pub fn ids(&self) -> Vec<&str> {
        self.partners.iter().map(|p| p.id.as_str()).collect()
    }

    pub fn len(&self) -> usize {
        self.partners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.partners.is_empty()
    }
}

fn price_list(raw: &RawPrices, field: &str, problems: &mut Problems<'_>) -> PriceList {
    let mut list = PriceList::default();
    if let Some(d) = &raw.default_discount_percent {
        match percent(*d.get_ref()) {
            Ok(bp) => list.default_discount_bp = Some(bp),
            Err(why) => problems.add(d, &format!("{field}.default_discount_percent"), why),
        }
    }
    for (key, value) in &raw.categories {
        let name = format!("{field}.categories.{key}");
        let slug = key.trim().to_ascii_lowercase();
        if !crate::catalogue::query::is_slug(&slug) {
            problems.add(value, &name, "keys are category slugs or numeric ids");
            continue;
        }
        match percent(*value.get_ref()) {
            Ok(bp) => {
                list.categories.insert(slug, bp);
            }
            Err(why) => problems.add(value, &name, why),
        }
    }
    for (sku, price) in &raw.skus {
        let name = format!("{field}.skus.{sku}");
        if !valid_sku(sku) {
            problems.add(price, &name, "a SKU: 1 to 100 characters, no commas, no surrounding spaces");
            continue;
        }
        if *price.get_ref() < 0 {
            problems.add(price, &name, "a unit price in minor units (e.g. 1999 for 19.99), 0 or more");
            continue;
        }
        list.skus.insert(sku.clone(), *price.get_ref());
    }
    list
}

/// A TOML or shape error as `ORIGIN line N, field F: message`.
fn syntax_error(text: &str, origin: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim().to_string();
    let Some(span) = err.span() else {
        return format!("{origin}: {message}");
    };
    let line = line_of(text, span.start);
    // The key on that line, or the one a "missing field" message names.
    let named = message.split('`').nth(1).filter(|_| message.contains("field")).map(str::to_string);
    let on_line = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    match named.or(on_line) {
        Some(field) => format!("{origin} line {line}, field {field}: {message}"),
        None => format!("{origin} line {line}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partners::secret::hash_with;

    fn hash() -> String {
        hash_with(b"s3cret-s3cret-s3cret-s3cret", argon2::Params::new(64, 1, 1, None).unwrap())
    }

    fn file(extra: &str) -> String {
        format!(
            "[[partner]]\nid = \"acme\"\nname = \"ACME\"\nclient_id = \"acme-portal\"\nclient_secret_hash = \"{}\"\nscopes = [\"catalog:read\", \"orders:write\"]\ncustomer_id = 7\n{extra}",
            hash()
        )
    }

    #[test]
    fn a_good_file_parses() {
        let text = file(
            "[partner.prices]\ndefault_discount_percent = 5\ncategories = { Shirts = 12.5, \"17\" = 10 }\nskus = { \"SKU-1\" = 990 }\n",
        );
        let r = Registry::parse(&text, "p.toml").unwrap();
        let p = r.by_client_id("acme-portal").unwrap();
        assert_eq!(p.id, "acme");
        assert_eq!(p.scopes.to_string(), "catalog:read orders:write");
        assert_eq!(p.prices.categories["shirts"], 1250);
        assert_eq!(p.prices.skus["SKU-1"], 990);
        assert!(p.enabled);
        assert_eq!(p.rate_limit_per_minute, DEFAULT_RATE_LIMIT_PER_MINUTE);
        assert!(!format!("{p:?}").contains("argon2"), "Debug hides the hash");
    }

    #[test]
    fn problems_name_the_line_and_field() {
        let err = Registry::parse(&file("rate_limit_per_minute = 0\n"), "p.toml").unwrap_err();
        assert_eq!(err, "p.toml line 8, field partner[0].rate_limit_per_minute: 1 to 100000");
        let err = Registry::parse(&file("scopes2 = 1\n"), "p.toml").unwrap_err();
        assert!(err.starts_with("p.toml line 8, field scopes2: unknown field"), "{err}");
        let err = Registry::parse(&file("").replace("customer_id = 7", "customer_id = \"x\""), "p.toml").unwrap_err();
        assert!(err.starts_with("p.toml line 7, field customer_id:"), "{err}");
        let err = Registry::parse(&file("").replace("catalog:read", "catalog:write"), "p.toml").unwrap_err();
        assert!(err.starts_with("p.toml line 6, field partner[0].scopes: unknown scope"), "{err}");
        let err = Registry::parse("[[partner]\nid = 1", "p.toml").unwrap_err();
        assert!(err.starts_with("p.toml line 1"), "{err}");
        let err = Registry::parse(&file("").replace("customer_id = 7\n", ""), "p.toml").unwrap_err();
        assert!(err.contains("field customer_id: missing field"), "{err}");
        let twice = format!("{}\n{}", file(""), file("").replace("\"acme\"", "\"other\""));
        let err = Registry::parse(&twice, "p.toml").unwrap_err();
        assert!(err.contains("line 12, field partner[1].client_id") && err.contains("line 15, field partner[1].customer_id"), "{err}");
    }
}
