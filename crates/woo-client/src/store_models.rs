//! Store API (`/wp-json/wc/store/v1`) catalogue models, as WooCommerce sends
//! them: money as minor-unit strings plus currency fields, HTML in names and
//! descriptions. Only what the BFF reads is modelled; unknown fields are
//! ignored so store plugins adding fields cannot break us.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct StoreProduct {
    pub id: u64,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub parent: u64,
    #[serde(rename = "type")]
    pub kind: String,
    /// "Size: S, Color: Red" on variations, "" otherwise.
    #[serde(default)]
    pub variation: String,
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub short_description: String,
    #[serde(default)]
    pub description: String,
    pub on_sale: bool,
    pub prices: StorePrices,
    #[serde(default)]
    pub average_rating: String,
    #[serde(default)]
    pub review_count: u64,
    #[serde(default)]
    pub images: Vec<StoreImage>,
    #[serde(default)]
    pub categories: Vec<StoreTermRef>,
    #[serde(default)]
    pub tags: Vec<StoreTermRef>,
    #[serde(default)]
    pub attributes: Vec<StoreProductAttribute>,
    #[serde(default)]
    pub variations: Vec<StoreVariationRef>,
    #[serde(default)]
    pub has_options: bool,
    pub is_purchasable: bool,
    pub is_in_stock: bool,
    #[serde(default)]
    pub is_on_backorder: bool,
    pub low_stock_remaining: Option<i64>,
    #[serde(default)]
    pub sold_individually: bool,
    pub add_to_cart: StoreAddToCart,
}

/// A list item read for its id alone.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct IdOnly {
    pub id: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StorePrices {
    pub price: String,
    pub regular_price: String,
    pub sale_price: String,
    pub price_range: Option<StorePriceRange>,
    #[serde(flatten)]
    pub currency: StoreCurrency,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCurrency {
    pub currency_code: String,
    pub currency_minor_unit: u8,
    #[serde(default)]
    pub currency_symbol: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StorePriceRange {
    pub min_amount: String,
    pub max_amount: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreImage {
    pub id: u64,
    pub src: String,
    #[serde(default)]
    pub thumbnail: String,
    #[serde(default)]
    pub srcset: String,
    #[serde(default)]
    pub sizes: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub alt: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreTermRef {
    pub id: u64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreProductAttribute {
    pub id: u64,
    pub name: String,
    pub taxonomy: Option<String>,
    #[serde(default)]
    pub has_variations: bool,
    #[serde(default)]
    pub terms: Vec<StoreAttributeTermRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreAttributeTermRef {
    pub id: u64,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreVariationRef {
    pub id: u64,
    #[serde(default)]
    pub attributes: Vec<StoreVariationAttribute>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreVariationAttribute {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreAddToCart {
    #[serde(default)]
    pub text: String,
    #[serde(default = "one")]
    pub minimum: u32,
    #[serde(default)]
    pub maximum: u32,
    #[serde(default = "one")]
    pub multiple_of: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCategory {
    pub id: u64,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parent: u64,
    #[serde(default)]
    pub count: u64,
    pub image: Option<StoreImage>,
    #[serde(default)]
    pub review_count: u64,
}

/// Tags and attribute terms share this shape.
#[derive(Debug, Clone, Deserialize)]
pub struct StoreTerm {
    pub id: u64,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub parent: u64,
    #[serde(default)]
    pub count: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreAttribute {
    pub id: u64,
    pub name: String,
    pub taxonomy: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub has_archives: bool,
    #[serde(default)]
    pub count: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreReview {
    pub id: u64,
    #[serde(default)]
    pub date_created_gmt: String,
    pub product_id: u64,
    #[serde(default)]
    pub reviewer: String,
    #[serde(default)]
    pub review: String,
    #[serde(default)]
    pub rating: u8,
    #[serde(default)]
    pub verified: bool,
}

/// `/products/collection-data`: the facet counts for a filter set. Each part
/// is `null` unless it was asked for.
#[derive(Debug, Clone, Deserialize)]
pub struct StoreCollectionData {
    pub price_range: Option<StoreCollectionPriceRange>,
    pub attribute_counts: Option<Vec<StoreTermCount>>,
    pub rating_counts: Option<Vec<StoreRatingCount>>,
    pub stock_status_counts: Option<Vec<StoreStockStatusCount>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCollectionPriceRange {
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    #[serde(flatten)]
    pub currency: StoreCurrency,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreTermCount {
    #[serde(deserialize_with = "number_or_string")]
    pub term: u64,
    #[serde(deserialize_with = "number_or_string")]
    pub count: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreRatingCount {
    #[serde(deserialize_with = "number_or_string")]
    pub rating: u64,
    #[serde(deserialize_with = "number_or_string")]
    pub count: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreStockStatusCount {
    pub status: String,
    #[serde(deserialize_with = "number_or_string")]
    pub count: u64,
}

/// WordPress returns database counts as numbers or as numeric strings
/// depending on the query path; accept both.
fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        N(u64),
        S(String),
    }
    match Either::deserialize(d)? {
        Either::N(n) => Ok(n),
        Either::S(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}
