//! REST API v3 (`/wp-json/wc/v3`) models: money as decimal strings, dates as
//! store-local and GMT strings. Only what the BFF reads is modelled.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct RestProduct {
    pub id: u64,
    pub name: String,
    pub slug: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub sku: String,
    /// Decimal string, e.g. "12.00"; empty when unset.
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub regular_price: String,
    #[serde(default)]
    pub sale_price: String,
    #[serde(default)]
    pub on_sale: bool,
    #[serde(default)]
    pub manage_stock: serde_json::Value,
    pub stock_quantity: Option<i64>,
    #[serde(default)]
    pub stock_status: String,
    pub date_modified_gmt: Option<String>,
    #[serde(default)]
    pub categories: Vec<RestTermRef>,
    #[serde(default)]
    pub variations: Vec<u64>,
    #[serde(default)]
    pub parent_id: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestTermRef {
    pub id: u64,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestVariation {
    pub id: u64,
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub regular_price: String,
    #[serde(default)]
    pub sale_price: String,
    pub stock_quantity: Option<i64>,
    #[serde(default)]
    pub stock_status: String,
    pub date_modified_gmt: Option<String>,
    #[serde(default)]
    pub attributes: Vec<RestVariationAttribute>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestVariationAttribute {
    #[serde(default)]
    pub id: u64,
    pub name: String,
    pub option: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestCategory {
    pub id: u64,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub parent: u64,
    #[serde(default)]
    pub count: u64,
}
