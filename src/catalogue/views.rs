//! The catalogue's own response types and the mapping from Store API models
//! to them. This mapping is the point of a BFF: clean text instead of HTML
//! entities, money as integers with their currency, stock as one enum, and
//! nothing a frontend should not depend on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::upstream::store_models::*;

/// Money in minor units: `{"amount": 1999, "currency": "EUR", "minor_unit": 2}` is €19.99.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Money {
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Digits after the decimal point.
    pub minor_unit: u8,
}

impl Money {
    /// From a REST v3 decimal string ("43.97"), keeping its precision.
    pub fn from_decimal(s: &str, currency: &str) -> Money {
        let places = decimal_places(s);
        Money { amount: decimal_minor(s, places), currency: currency.to_string(), minor_unit: places }
    }

    fn parse(minor: &str, currency: &StoreCurrency) -> Option<Money> {
        let amount = minor.trim().parse().ok()?;
        Some(Money { amount, currency: currency.currency_code.clone(), minor_unit: currency.currency_minor_unit })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PriceRange {
    pub min: Money,
    pub max: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Prices {
    /// What the shopper pays now.
    pub price: Money,
    pub regular_price: Money,
    /// Present only while on sale.
    pub sale_price: Option<Money>,
    /// For variable and grouped products.
    pub range: Option<PriceRange>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    InStock,
    OutOfStock,
    OnBackorder,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Stock {
    pub status: StockStatus,
    /// Set when few are left (the store's low-stock threshold).
    pub low_stock_remaining: Option<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
    Simple,
    Variable,
    Variation,
    Grouped,
    External,
    Other,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Image {
    pub src: String,
    pub thumbnail: String,
    pub alt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TermRef {
    pub id: u64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Rating {
    /// 0 to 5.
    pub average: f32,
    pub count: u64,
}

/// A product as shown in lists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductSummary {
    pub id: u64,
    pub slug: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ProductType,
    pub sku: Option<String>,
    pub prices: Prices,
    pub on_sale: bool,
    pub stock: Stock,
    /// Can go straight into a cart (variable products need a variation).
    pub purchasable: bool,
    pub rating: Rating,
    pub images: Vec<Image>,
    pub categories: Vec<TermRef>,
    pub tags: Vec<TermRef>,
    /// Store-provided HTML (trusted store content).
    pub short_description_html: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductAttribute {
    pub id: u64,
    pub name: String,
    /// e.g. `pa_size`; absent for product-local attributes.
    pub taxonomy: Option<String>,
    /// Whether choosing it selects a variation.
    pub has_variations: bool,
    pub terms: Vec<AttributeTermRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttributeTermRef {
    pub id: u64,
    pub name: String,
    pub slug: String,
    pub default: bool,
}

/// Which attribute values select a variation: attribute name → term slug.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VariationRef {
    pub id: u64,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuantityLimits {
    pub min: u32,
    pub max: u32,
    pub multiple_of: u32,
}

/// One product with everything a product page needs.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    pub summary: ProductSummary,
    /// Set on variations: the variable product they belong to.
    pub parent_id: Option<u64>,
    pub description_html: String,
    pub attributes: Vec<ProductAttribute>,
    pub variations: Vec<VariationRef>,
    pub quantity: QuantityLimits,
}

/// A variation with its own price and stock.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Variation {
    pub id: u64,
    pub sku: Option<String>,
    /// attribute name → term slug, e.g. {"Size": "m", "Color": "blue"}.
    pub attributes: BTreeMap<String, String>,
    pub prices: Prices,
    pub on_sale: bool,
    pub stock: Stock,
    pub purchasable: bool,
    pub image: Option<Image>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub id: u64,
    pub product_id: u64,
    pub reviewer: String,
    /// Store-provided HTML.
    pub review_html: String,
    /// 1 to 5.
    pub rating: u8,
    /// The reviewer bought the product.
    pub verified: bool,
    /// GMT, `YYYY-MM-DDTHH:MM:SS`.
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub id: u64,
    pub name: String,
    pub slug: String,
    pub parent_id: Option<u64>,
    pub description: String,
    pub product_count: u64,
    pub image: Option<Image>,
}

/// A tag or an attribute term.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Term {
    pub id: u64,
    pub name: String,
    pub slug: String,
    pub product_count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attribute {
    pub id: u64,
    pub name: String,
    pub taxonomy: String,
    pub term_count: u64,
}

/// A page of items.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
    pub total_pages: u32,
}

/// A whole list (small collections are not paged).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    pub price_range: Option<PriceRange>,
    pub categories: Vec<FacetCount>,
    pub attributes: Vec<AttributeFacet>,
    pub stock_status: Vec<StockFacet>,
    pub ratings: Vec<RatingFacet>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FacetCount {
    pub id: u64,
    pub slug: String,
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttributeFacet {
    pub taxonomy: String,
    pub name: String,
    pub terms: Vec<FacetCount>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StockFacet {
    pub status: StockStatus,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RatingFacet {
    pub rating: u8,
    pub count: u64,
}

// ---- mapping from the Store API ----

/// WooCommerce sends names HTML-escaped ("Home &amp; Kitchen").
pub fn text(html_escaped: &str) -> String {
    html_escape::decode_html_entities(html_escaped).into_owned()
}

pub fn prices(p: &StorePrices) -> Prices {
    let zero = || Money { amount: 0, currency: p.currency.currency_code.clone(), minor_unit: p.currency.currency_minor_unit };
    let price = Money::parse(&p.price, &p.currency).unwrap_or_else(zero);
    let regular = Money::parse(&p.regular_price, &p.currency).unwrap_or_else(|| price.clone());
    let sale = Money::parse(&p.sale_price, &p.currency).filter(|s| s.amount < regular.amount);
    let range = p
        .price_range
        .as_ref()
        .and_then(|r| Some(PriceRange { min: Money::parse(&r.min_amount, &p.currency)?, max: Money::parse(&r.max_amount, &p.currency)? }));
    Prices { price, regular_price: regular, sale_price: sale, range }
}

pub fn stock(p: &StoreProduct) -> Stock {
    let status = if p.is_on_backorder {
        StockStatus::OnBackorder
    } else if p.is_in_stock {
        StockStatus::InStock
    } else {
        StockStatus::OutOfStock
    };
    Stock { status, low_stock_remaining: p.low_stock_remaining }
}

fn kind(raw: &str) -> ProductType {
    match raw {
        "simple" => ProductType::Simple,
        "variable" => ProductType::Variable,
        "variation" => ProductType::Variation,
        "grouped" => ProductType::Grouped,
        "external" => ProductType::External,
        _ => ProductType::Other,
    }
}

fn image(i: &StoreImage) -> Image {
    Image { src: i.src.clone(), thumbnail: if i.thumbnail.is_empty() { i.src.clone() } else { i.thumbnail.clone() }, alt: text(&i.alt) }
}

fn term_ref(t: &StoreTermRef) -> TermRef {
    TermRef { id: t.id, name: text(&t.name), slug: t.slug.clone() }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

pub fn summary(p: &StoreProduct) -> ProductSummary {
    ProductSummary {
        id: p.id,
        slug: p.slug.clone(),
        name: text(&p.name),
        kind: kind(&p.kind),
        sku: non_empty(&p.sku),
        prices: prices(&p.prices),
        on_sale: p.on_sale,
        stock: stock(p),
        purchasable: p.is_purchasable && p.kind != "variable",
        rating: Rating { average: p.average_rating.parse().unwrap_or(0.0), count: p.review_count },
        images: p.images.iter().map(image).collect(),
        categories: p.categories.iter().map(term_ref).collect(),
        tags: p.tags.iter().map(term_ref).collect(),
        short_description_html: p.short_description.clone(),
    }
}

pub fn detail(p: &StoreProduct) -> ProductDetail {
    ProductDetail {
        summary: summary(p),
        parent_id: (p.parent != 0).then_some(p.parent),
        description_html: p.description.clone(),
        attributes: p
            .attributes
            .iter()
            .map(|a| ProductAttribute {
                id: a.id,
                name: text(&a.name),
                taxonomy: a.taxonomy.clone().filter(|t| !t.is_empty()),
                has_variations: a.has_variations,
                terms: a
                    .terms
                    .iter()
                    .map(|t| AttributeTermRef { id: t.id, name: text(&t.name), slug: t.slug.clone(), default: t.default })
                    .collect(),
            })
            .collect(),
        variations: p.variations.iter().map(|v| VariationRef { id: v.id, attributes: variation_attributes(&v.attributes) }).collect(),
        quantity: QuantityLimits { min: p.add_to_cart.minimum, max: p.add_to_cart.maximum, multiple_of: p.add_to_cart.multiple_of },
    }
}

fn variation_attributes(attrs: &[StoreVariationAttribute]) -> BTreeMap<String, String> {
    attrs.iter().map(|a| (text(&a.name), a.value.clone())).collect()
}

/// A variation's prices and stock come from its own record; which attribute
/// values select it comes from the parent's `variations` list.
pub fn variation(parent: &StoreProduct, v: &StoreProduct) -> Variation {
    let attributes = parent.variations.iter().find(|r| r.id == v.id).map(|r| variation_attributes(&r.attributes)).unwrap_or_default();
    Variation {
        id: v.id,
        sku: non_empty(&v.sku),
        attributes,
        prices: prices(&v.prices),
        on_sale: v.on_sale,
        stock: stock(v),
        purchasable: v.is_purchasable,
        image: v.images.first().map(image),
    }
}

pub fn review(r: &StoreReview) -> Review {
    Review {
        id: r.id,
        product_id: r.product_id,
        reviewer: text(&r.reviewer),
        review_html: r.review.clone(),
        rating: r.rating,
        verified: r.verified,
        created_at: r.date_created_gmt.clone(),
    }
}

pub fn category(c: &StoreCategory) -> Category {
    Category {
        id: c.id,
        name: text(&c.name),
        slug: c.slug.clone(),
        parent_id: (c.parent != 0).then_some(c.parent),
        description: text(&c.description),
        product_count: c.count,
        image: c.image.as_ref().map(image),
    }
}

pub fn term(t: &StoreTerm) -> Term {
    Term { id: t.id, name: text(&t.name), slug: t.slug.clone(), product_count: t.count }
}

pub fn attribute(a: &StoreAttribute) -> Attribute {
    Attribute { id: a.id, name: text(&a.name), taxonomy: a.taxonomy.clone(), term_count: a.count }
}

pub fn stock_status(raw: &str) -> Option<StockStatus> {
    match raw {
        "instock" => Some(StockStatus::InStock),
        "outofstock" => Some(StockStatus::OutOfStock),
        "onbackorder" => Some(StockStatus::OnBackorder),
        _ => None,
    }
}

pub fn collection_price_range(r: &StoreCollectionPriceRange) -> Option<PriceRange> {
    Some(PriceRange { min: Money::parse(r.min_price.as_deref()?, &r.currency)?, max: Money::parse(r.max_price.as_deref()?, &r.currency)? })
}

/// Digits after the point in a decimal money string ("12.30" → 2).
pub fn decimal_places(s: &str) -> u8 {
    s.split_once('.').map_or(0, |(_, f)| f.len().min(6) as u8)
}

/// A decimal money string in minor units (rounded half up); 0 when unreadable.
pub fn decimal_minor(s: &str, places: u8) -> i64 {
    let s = s.trim();
    let (negative, s) = s.strip_prefix('-').map_or((false, s), |rest| (true, rest));
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let whole: i64 = whole.parse().unwrap_or(0);
    let mut digits: String = frac.chars().filter(char::is_ascii_digit).take(usize::from(places) + 1).collect();
    while digits.len() < usize::from(places) + 1 {
        digits.push('0');
    }
    let extra: i64 = digits.parse().unwrap_or(0);
    let value = whole.saturating_mul(10i64.pow(u32::from(places))).saturating_add((extra + 5) / 10);
    if negative {
        -value
    } else {
        value
    }
}
