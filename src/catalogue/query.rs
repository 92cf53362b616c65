//! Catalogue query parameters: strict parsing with the bad field named, and
//! the normalised form (defaults filled, fixed order) used as the cache key
//! and to build the upstream query.

use std::borrow::Cow;
use std::str::FromStr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use url::form_urlencoded;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};
use crate::upstream::store::StoreProductQuery;

/// Most parameters any route accepts (the products list has 12).
const MAX_PARAMS: usize = 16;

/// Raw query pairs with per-field typed access; collects every bad field.
///
/// Borrows the query string: a value is percent-decoded only when it is read
/// and only if it needs it, and the known parameters sit in a fixed array of
/// slices rather than a map, so a typical catalogue query is parsed without
/// allocating or copying.
pub struct Params<'q> {
    names: &'q [&'q str],
    /// Given values, still form-encoded, by position in `names`.
    raw: [&'q str; MAX_PARAMS],
    /// Bit i set: `raw[i]` is given (lookups compare only those names).
    given: u16,
    errors: Vec<FieldError>,
}

impl<'q> Params<'q> {
    /// Parses a query string, refusing unknown and repeated parameters.
    #[inline]
    pub fn parse(query: Option<&'q str>, allowed: &'q [&'q str]) -> Result<Self, ApiError> {
        Self::parse_some(query, allowed, u16::MAX)
    }

    /// Like [`Params::parse`], allowing only the `names` whose bit is set in
    /// `allowed` (so routes accepting a subset of one list can read by the
    /// list's fixed positions). (Inlined so `Params` is built in place.)
    #[inline]
    pub fn parse_some(query: Option<&'q str>, names: &'q [&'q str], allowed: u16) -> Result<Self, ApiError> {
        assert!(names.len() <= MAX_PARAMS, "raise MAX_PARAMS");
        let mut raw = [""; MAX_PARAMS];
        let mut given = 0u16;
        let mut errors = Vec::new();
        // Split as `application/x-www-form-urlencoded` does ('&' between
        // pairs, the first '=' in a pair); names are decoded to be matched.
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = form_decode(key);
            match names.iter().position(|a| *a == key).filter(|i| allowed & (1 << i) != 0) {
                None => errors.push(unknown(&key, names, allowed)),
                Some(i) if given & (1 << i) != 0 => errors.push(FieldError::new(key, "given more than once")),
                Some(i) => {
                    raw[i] = value;
                    given |= 1 << i;
                }
            }
        }
        Ok(Self { names, raw, given, errors })
    }

    /// The position of `name` in the list this was parsed with.
    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    /// The decoded value at position `i`, if given.
    fn value_at(&self, i: usize) -> Option<Cow<'q, str>> {
        (self.given & (1 << i) != 0).then(|| form_decode(self.raw[i]))
    }

    pub fn get<T: FromStr>(&mut self, name: &str, expected: &str) -> Option<T> {
        self.get_at(self.position(name)?, expected)
    }

    /// The value at position `i`, parsed; a bad one is recorded under its name.
    pub fn get_at<T: FromStr>(&mut self, i: usize, expected: &str) -> Option<T> {
        match self.value_at(i)?.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                self.errors.push(FieldError::new(self.names[i], format!("expected {expected}")));
                None
            }
        }
    }

    pub fn string(&mut self, name: &str, max_len: usize) -> Option<String> {
        self.string_at(self.position(name)?, max_len)
    }

    /// The trimmed text at position `i`, if given and not blank.
    pub fn string_at(&mut self, i: usize, max_len: usize) -> Option<String> {
        let value = self.value_at(i)?;
        let raw = value.trim();
        if raw.is_empty() {
            return None;
        }
        if raw.chars().count() > max_len {
            self.errors.push(FieldError::new(self.names[i], format!("at most {max_len} characters")));
            return None;
        }
        Some(raw.to_string())
    }

    /// True when no parameter was given at all (the common "defaults" case).
    fn is_empty(&self) -> bool {
        self.given == 0 && self.errors.is_empty()
    }

    pub fn range(&mut self, name: &str, value: Option<u32>, min: u32, max: u32) -> Option<u32> {
        match value {
            Some(v) if v < min || v > max => {
                self.errors.push(FieldError::new(name, format!("must be between {min} and {max}")));
                None
            }
            other => other,
        }
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message));
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

/// Form decoding of one name or value ('+' is a space, then percent-decoding,
/// invalid UTF-8 replaced), borrowing when there is nothing to decode.
fn form_decode(raw: &str) -> Cow<'_, str> {
    if !raw.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(raw);
    }
    let spaced = raw.replace('+', " ");
    Cow::Owned(percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

/// "unknown parameter", naming what the route allows.
fn unknown(key: &str, names: &[&str], allowed: u16) -> FieldError {
    let allowed: Vec<&str> = names.iter().enumerate().filter(|(i, _)| allowed & (1 << i) != 0).map(|(_, n)| *n).collect();
    FieldError::new(truncate(key), format!("unknown parameter; allowed: {}", allowed.join(", ")))
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

/// Enum-valued parameters parse from their snake_case names.
macro_rules! query_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok(Self::$variant),)+ _ => Err(()) }
            }
        }
        impl $name {
            pub fn as_str(self) -> &'static str { match self { $(Self::$variant => $text),+ } }
            pub fn expected() -> &'static str { concat!("one of: ", $($text, " "),+) }
        }
    };
}

query_enum!(OrderBy { Date => "date", Price => "price", Popularity => "popularity", Rating => "rating", Title => "title", MenuOrder => "menu_order" });
query_enum!(SortOrder { Asc => "asc", Desc => "desc" });
query_enum!(StockFilter { InStock => "in_stock", OutOfStock => "out_of_stock", OnBackorder => "on_backorder" });

impl StockFilter {
    fn woo(self) -> &'static str {
        match self {
            StockFilter::InStock => "instock",
            StockFilter::OutOfStock => "outofstock",
            StockFilter::OnBackorder => "onbackorder",
        }
    }
}

/// Query of `GET /api/v1/products` (and the filter part of `/facets`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductListQuery {
    /// Page number, from 1. Default 1.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100. Default 24.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    /// Full-text search (at most 100 characters).
    pub search: Option<String>,
    /// Category id or slug; several comma-separated (any of them).
    pub category: Option<String>,
    /// Tag id or slug; several comma-separated.
    pub tag: Option<String>,
    /// Attribute filters: `pa_color:red,blue;pa_size:m` (terms of one attribute are OR-ed, attributes AND-ed).
    pub attributes: Option<String>,
    /// Lowest price, in minor units.
    pub min_price: Option<u64>,
    /// Highest price, in minor units.
    pub max_price: Option<u64>,
    pub on_sale: Option<bool>,
    #[param(inline)]
    pub stock_status: Option<StockFilter>,
    #[param(inline)]
    pub orderby: Option<OrderBy>,
    #[param(inline)]
    pub order: Option<SortOrder>,
}

pub const DEFAULT_PER_PAGE: u32 = 24;
const LIST_FIELDS: &[&str] = &[
    "page",
    "per_page",
    "search",
    "category",
    "tag",
    "attributes",
    "min_price",
    "max_price",
    "on_sale",
    "stock_status",
    "orderby",
    "order",
];
// Positions in LIST_FIELDS: the parser reads values by position.
const PAGE: usize = 0;
const PER_PAGE: usize = 1;
const SEARCH: usize = 2;
const CATEGORY: usize = 3;
const TAG: usize = 4;
const ATTRIBUTES: usize = 5;
const MIN_PRICE: usize = 6;
const MAX_PRICE: usize = 7;
const ON_SALE: usize = 8;
const STOCK_STATUS: usize = 9;
const ORDERBY: usize = 10;
const ORDER: usize = 11;
const LIST_ALLOWED: u16 = (1 << LIST_FIELDS.len()) - 1;
/// Facets take the filters only: no paging or sorting.
const FACET_ALLOWED: u16 = LIST_ALLOWED & !(1 << PAGE | 1 << PER_PAGE | 1 << ORDERBY | 1 << ORDER);

/// Decimal digits of `n`, without the formatting machinery.
fn push_number(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Category/tag lists (at `field`): ids or slugs, lower-case, at most 20.
fn id_or_slug_list(p: &mut Params, field: usize) -> Option<String> {
    let raw = p.string_at(field, 400)?;
    let mut items: Vec<String> = raw.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect();
    if items.len() > 20 || items.iter().any(|s| !is_slug(s)) {
        p.error(LIST_FIELDS[field], "comma-separated ids or slugs (a-z, 0-9, -, _), at most 20");
        return None;
    }
    items.sort();
    items.dedup();
    Some(items.join(","))
}

pub fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.len() <= 200 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// `pa_color:red,blue;pa_size:m` → sorted [("pa_color", ["blue","red"]), ("pa_size", ["m"])].
fn attribute_filters(p: &mut Params) -> Option<Vec<(String, Vec<String>)>> {
    let raw = p.string_at(ATTRIBUTES, 400)?;
    let mut out = Vec::new();
    for part in raw.split(';').filter(|s| !s.trim().is_empty()) {
        let Some((taxonomy, terms)) = part.split_once(':') else {
            p.error("attributes", "expected taxonomy:term[,term][;taxonomy:term...]");
            return None;
        };
        let taxonomy = taxonomy.trim().to_ascii_lowercase();
        let mut terms: Vec<String> = terms.split(',').map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty()).collect();
        if !is_slug(&taxonomy) || terms.is_empty() || terms.iter().any(|t| !is_slug(t)) {
            p.error("attributes", "taxonomies and terms are slugs, e.g. pa_color:red,blue");
            return None;
        }
        terms.sort();
        terms.dedup();
        out.push((taxonomy, terms));
    }
    out.sort();
    if out.len() > 5 {
        p.error("attributes", "at most 5 attributes");
        return None;
    }
    Some(out)
}

/// A validated products query with every default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalisedQuery {
    pub page: u32,
    pub per_page: u32,
    pub search: Option<String>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub attributes: Vec<(String, Vec<String>)>,
    pub min_price: Option<u64>,
    pub max_price: Option<u64>,
    pub on_sale: Option<bool>,
    pub stock_status: Option<StockFilter>,
    pub orderby: OrderBy,
    pub order: SortOrder,
}

impl Default for NormalisedQuery {
    /// What an empty query means: first page, 24 per page, newest first.
    fn default() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            search: None,
            category: None,
            tag: None,
            attributes: Vec::new(),
            min_price: None,
            max_price: None,
            on_sale: None,
            stock_status: None,
            orderby: OrderBy::Date,
            order: SortOrder::Desc,
        }
    }
}

impl NormalisedQuery {
    /// Reads the parameters by their position in LIST_FIELDS (no name lookups).
    fn parse(raw: Option<&str>, allowed: u16) -> Result<Self, ApiError> {
        let mut p = Params::parse_some(raw, LIST_FIELDS, allowed)?;
        if p.is_empty() {
            return Ok(Self::default());
        }
        let page = p.get_at(PAGE, "a whole number");
        let page = p.range("page", page, 1, 10_000).unwrap_or(1);
        let per_page = p.get_at(PER_PAGE, "a whole number");
        let per_page = p.range("per_page", per_page, 1, 100).unwrap_or(DEFAULT_PER_PAGE);
        let search = p.string_at(SEARCH, 100);
        let category = id_or_slug_list(&mut p, CATEGORY);
        let tag = id_or_slug_list(&mut p, TAG);
        let attributes = attribute_filters(&mut p).unwrap_or_default();
        let min_price = p.get_at(MIN_PRICE, "a whole number of minor units");
        let max_price = p.get_at(MAX_PRICE, "a whole number of minor units");
        if let (Some(min), Some(max)) = (min_price, max_price) {
            if min > max {
                p.error("min_price", "must not exceed max_price");
            }
        }
        let on_sale = p.get_at(ON_SALE, "true or false");
        let stock_status = p.get_at(STOCK_STATUS, StockFilter::expected());
        let orderby = p.get_at(ORDERBY, OrderBy::expected()).unwrap_or(OrderBy::Date);
        let default_order =
            if matches!(orderby, OrderBy::Title | OrderBy::Price | OrderBy::MenuOrder) { SortOrder::Asc } else { SortOrder::Desc };
        let order = p.get_at(ORDER, SortOrder::expected()).unwrap_or(default_order);
        p.finish()?;
        Ok(Self { page, per_page, search, category, tag, attributes, min_price, max_price, on_sale, stock_status, orderby, order })
    }

    pub fn for_list(raw: Option<&str>) -> Result<Self, ApiError> {
        Self::parse(raw, LIST_ALLOWED)
    }

    pub fn for_facets(raw: Option<&str>) -> Result<Self, ApiError> {
        Self::parse(raw, FACET_ALLOWED)
    }

    /// The canonical text of the filter (fixed order, defaults filled): the cache key.
    pub fn canonical(&self) -> String {
        let mut out = String::with_capacity(160);
        self.write_canonical(&mut out);
        out
    }

    /// `prefix` followed by the canonical text, in one allocation.
    pub fn cache_key(&self, prefix: &str) -> String {
        let mut out = String::with_capacity(prefix.len() + 160);
        out.push_str(prefix);
        self.write_canonical(&mut out);
        out
    }

    /// The parameters in a fixed order, form-urlencoded: paging and sorting
    /// always (defaults filled), filters only when set. Written directly, as
    /// it runs on every catalogue read, cache hits included; kept short
    /// because the cache hashes it on every lookup.
    fn write_canonical(&self, out: &mut String) {
        /// Free text and slugs: encoded.
        fn text(out: &mut String, name: &str, value: &str) {
            out.push_str(name);
            out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
        }
        out.push_str("page=");
        push_number(out, self.page.into());
        out.push_str("&per_page=");
        push_number(out, self.per_page.into());
        if let Some(v) = &self.search {
            text(out, "&search=", v);
        }
        if let Some(v) = &self.category {
            text(out, "&category=", v);
        }
        if let Some(v) = &self.tag {
            text(out, "&tag=", v);
        }
        if !self.attributes.is_empty() {
            let attrs: Vec<String> = self.attributes.iter().map(|(t, terms)| format!("{t}:{}", terms.join(","))).collect();
            text(out, "&attributes=", &attrs.join(";"));
        }
        if let Some(v) = self.min_price {
            out.push_str("&min_price=");
            push_number(out, v);
        }
        if let Some(v) = self.max_price {
            out.push_str("&max_price=");
            push_number(out, v);
        }
        // Fixed words (snake_case ASCII): nothing to encode.
        if let Some(v) = self.on_sale {
            out.push_str(if v { "&on_sale=true" } else { "&on_sale=false" });
        }
        if let Some(v) = self.stock_status {
            out.push_str("&stock_status=");
            out.push_str(v.as_str());
        }
        out.push_str("&orderby=");
        out.push_str(self.orderby.as_str());
        out.push_str("&order=");
        out.push_str(self.order.as_str());
    }

    pub fn to_store(&self) -> StoreProductQuery {
        StoreProductQuery {
            page: self.page,
            per_page: self.per_page,
            search: self.search.clone(),
            category: self.category.clone(),
            tag: self.tag.clone(),
            attributes: self.attributes.clone(),
            on_sale: self.on_sale,
            stock_status: self.stock_status.map(|s| s.woo().to_string()),
            min_price: self.min_price,
            max_price: self.max_price,
            orderby: Some(self.orderby.as_str().to_string()),
            order: Some(self.order.as_str().to_string()),
            // Browsing shows what the shop's catalogue shows, a search what its search shows.
            catalog_visibility: Some(if self.search.is_some() { "search" } else { "catalog" }),
            ..Default::default()
        }
    }
}

/// Extractor for the products list query.
pub struct ListQuery(pub NormalisedQuery);
/// Extractor for the facets query (filters only, no paging).
pub struct FacetQuery(pub NormalisedQuery);

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        NormalisedQuery::for_list(parts.uri.query()).map(ListQuery)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for FacetQuery {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        NormalisedQuery::for_facets(parts.uri.query()).map(FacetQuery)
    }
}

/// Paging for reviews.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100. Default 10.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// Paging for variations.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VariationPageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<u32>,
    /// Items per page, 1 to 100. Default 100.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

pub struct Paging {
    pub page: u32,
    pub per_page: u32,
}

impl Paging {
    /// `page` (1–10,000) and `per_page` (1–100, default `default_per_page`), nothing else.
    fn parse(query: Option<&str>, default_per_page: u32) -> Result<Self, ApiError> {
        let mut p = Params::parse(query, &["page", "per_page"])?;
        let page = p.get("page", "a whole number");
        let page = p.range("page", page, 1, 10_000).unwrap_or(1);
        let per_page = p.get("per_page", "a whole number");
        let per_page = p.range("per_page", per_page, 1, 100).unwrap_or(default_per_page);
        p.finish()?;
        Ok(Paging { page, per_page })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Paging::parse(parts.uri.query(), 10)
    }
}

/// Paging of a product's variations: 100 a page unless asked, so one page holds every
/// variation of nearly every product (WooCommerce's own variation form loads them all).
pub struct VariationPaging(pub Paging);

impl<S: Send + Sync> FromRequestParts<S> for VariationPaging {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Paging::parse(parts.uri.query(), 100).map(VariationPaging)
    }
}

/// For routes that take no query at all: anything given is an error.
pub struct NoQuery;

impl<S: Send + Sync> FromRequestParts<S> for NoQuery {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Params::parse(parts.uri.query(), &[])?.finish().map(|_| NoQuery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_fill_and_order_does_not_matter() {
        let a = NormalisedQuery::for_list(Some("category=shirts,hoodies&per_page=24")).unwrap();
        let b = NormalisedQuery::for_list(Some("per_page=24&category=hoodies,shirts")).unwrap();
        let c = NormalisedQuery::for_list(Some("category=hoodies,shirts&page=1&orderby=date&order=desc")).unwrap();
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(a.canonical(), c.canonical());
        assert_eq!(a.page, 1);
        assert_eq!(a.per_page, 24);
    }

    #[test]
    fn names_every_bad_field() {
        let err = NormalisedQuery::for_list(Some("per_page=0&orderby=cheapest&colour=red&on_sale=maybe")).unwrap_err();
        let mut f = fields(err);
        f.sort();
        assert_eq!(f, ["colour", "on_sale", "orderby", "per_page"]);
        assert_eq!(fields(NormalisedQuery::for_list(Some("per_page=101")).unwrap_err()), ["per_page"]);
        assert_eq!(fields(NormalisedQuery::for_list(Some("min_price=500&max_price=100")).unwrap_err()), ["min_price"]);
        assert_eq!(fields(NormalisedQuery::for_list(Some("page=1&page=2")).unwrap_err()), ["page"]);
        assert_eq!(fields(NormalisedQuery::for_list(Some("category=../etc")).unwrap_err()), ["category"]);
    }

    #[test]
    fn attribute_filters_are_normalised() {
        let q = NormalisedQuery::for_list(Some("attributes=pa_size:m;pa_color:red,Blue")).unwrap();
        assert_eq!(q.attributes, vec![("pa_color".into(), vec!["blue".into(), "red".into()]), ("pa_size".into(), vec!["m".into()])]);
        assert_eq!(fields(NormalisedQuery::for_list(Some("attributes=nocolon")).unwrap_err()), ["attributes"]);
    }

    /// The cache key text: set parameters only, fixed order, form-urlencoded.
    #[test]
    fn canonical_text_is_form_urlencoded() {
        let q = NormalisedQuery::for_list(Some(
            "search=red+shirt%26co&category=b,a&attributes=pa_size:m;pa_color:red,blue&min_price=5&on_sale=true&stock_status=in_stock&orderby=price",
        ))
        .unwrap();
        assert_eq!(
            q.canonical(),
            "page=1&per_page=24&search=red+shirt%26co&category=a%2Cb&attributes=pa_color%3Ablue%2Cred%3Bpa_size%3Am\
             &min_price=5&on_sale=true&stock_status=in_stock&orderby=price&order=asc"
        );
        assert_eq!(q.cache_key("products?"), format!("products?{}", q.canonical()));
        let empty = NormalisedQuery::for_list(None).unwrap();
        assert_eq!(empty, NormalisedQuery::for_list(Some("page=1&per_page=24")).unwrap());
        assert_eq!(empty.canonical(), "page=1&per_page=24&orderby=date&order=desc");
        let q = NormalisedQuery::for_list(Some("page=10000&max_price=18446744073709551615&min_price=0")).unwrap();
        assert_eq!(q.canonical(), "page=10000&per_page=24&min_price=0&max_price=18446744073709551615&orderby=date&order=desc");
    }

    #[test]
    fn names_and_values_are_form_decoded() {
        let q = NormalisedQuery::for_list(Some("search=caf%C3%A9+cr%E8me&%70er_page=5&&category=")).unwrap();
        assert_eq!(q.search.as_deref(), Some("café cr\u{fffd}me"));
        assert_eq!(q.per_page, 5);
        assert_eq!(q.category, None);
        assert_eq!(fields(NormalisedQuery::for_list(Some("per+page=5")).unwrap_err()), ["per page"]);
    }

    /// The parser reads values by these positions: a reordered list must not
    /// silently read one parameter as another.
    #[test]
    fn field_positions_name_their_parameters() {
        let positions = [
            (PAGE, "page"),
            (PER_PAGE, "per_page"),
            (SEARCH, "search"),
            (CATEGORY, "category"),
            (TAG, "tag"),
            (ATTRIBUTES, "attributes"),
            (MIN_PRICE, "min_price"),
            (MAX_PRICE, "max_price"),
            (ON_SALE, "on_sale"),
            (STOCK_STATUS, "stock_status"),
            (ORDERBY, "orderby"),
            (ORDER, "order"),
        ];
        assert_eq!(positions.len(), LIST_FIELDS.len());
        for (i, name) in positions {
            assert_eq!(LIST_FIELDS[i], name);
        }
    }

    #[test]
    fn facets_refuse_paging() {
        assert_eq!(fields(NormalisedQuery::for_facets(Some("page=2")).unwrap_err()), ["page"]);
    }
}
