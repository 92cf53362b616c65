//! REST API v3 JSON shapes (products, variations and their parts), field for field and in order as WooCommerce 8.9 emits them (see the `v3-*` captures).

use serde::Serialize;

use super::http::J;

#[derive(Serialize)]
pub struct Href {
    pub href: String,
}

#[derive(Serialize)]
pub struct Links {
    #[serde(rename = "self")]
    pub self_: Vec<Href>,
    pub collection: Vec<Href>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up: Option<Vec<Href>>,
}

#[derive(Serialize)]
pub struct Dimensions {
    pub length: String,
    pub width: String,
    pub height: String,
}

#[derive(Serialize)]
pub struct RestImage {
    pub id: u32,
    pub date_created: String,
    pub date_created_gmt: String,
    pub date_modified: String,
    pub date_modified_gmt: String,
    pub src: String,
    pub name: String,
    pub alt: String,
}

#[derive(Serialize)]
pub struct TermBrief {
    pub id: u32,
    pub name: String,
    pub slug: String,
}

#[derive(Serialize)]
pub struct RestAttr {
    pub id: u32,
    pub name: String,
    pub slug: String,
    pub position: usize,
    pub visible: bool,
    pub variation: bool,
    pub options: Vec<String>,
}

/// Product attributes, or a variation's chosen options when a variation is shown as a product.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Attrs {
    Product(Vec<RestAttr>),
    Variation(Vec<VarAttr>),
}

#[derive(Serialize)]
pub struct DefaultAttr {
    pub id: u32,
    pub name: String,
    pub option: String,
}

#[derive(Serialize)]
pub struct VarAttr {
    pub id: u32,
    pub name: String,
    pub slug: String,
    pub option: String,
}

/// Fields shared by products and variations, in WooCommerce's order, are spelled out per type below.
#[derive(Serialize)]
pub struct RestProduct {
    pub id: u32,
    pub name: String,
    pub slug: String,
    pub permalink: String,
    pub date_created: String,
    pub date_created_gmt: String,
    pub date_modified: String,
    pub date_modified_gmt: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub status: &'static str,
    pub featured: bool,
    pub catalog_visibility: &'static str,
    pub description: String,
    pub short_description: String,
    pub sku: String,
    pub price: String,
    pub regular_price: String,
    pub sale_price: String,
    pub date_on_sale_from: Option<String>,
    pub date_on_sale_from_gmt: Option<String>,
    pub date_on_sale_to: Option<String>,
    pub date_on_sale_to_gmt: Option<String>,
    pub on_sale: bool,
    pub purchasable: bool,
    pub total_sales: u32,
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
    pub downloadable: bool,
    pub downloads: Vec<J>,
    pub download_limit: i32,
    pub download_expiry: i32,
    pub external_url: String,
    pub button_text: String,
    pub tax_status: &'static str,
    pub tax_class: &'static str,
    pub manage_stock: bool,
    pub stock_quantity: Option<i32>,
    pub backorders: &'static str,
    pub backorders_allowed: bool,
    pub backordered: bool,
    pub low_stock_amount: Option<u32>,
    pub sold_individually: bool,
    pub weight: String,
    pub dimensions: Dimensions,
    pub shipping_required: bool,
    pub shipping_taxable: bool,
    pub shipping_class: &'static str,
    pub shipping_class_id: u32,
    pub reviews_allowed: bool,
    pub average_rating: String,
    pub rating_count: u16,
    pub upsell_ids: Vec<u32>,
    pub cross_sell_ids: Vec<u32>,
    pub parent_id: u32,
    pub purchase_note: &'static str,
    pub categories: Vec<TermBrief>,
    pub tags: Vec<TermBrief>,
    pub images: Vec<RestImage>,
    pub attributes: Attrs,
    pub default_attributes: Vec<DefaultAttr>,
    pub variations: Vec<u32>,
    pub grouped_products: Vec<u32>,
    pub menu_order: i32,
    pub price_html: String,
    pub related_ids: Vec<u32>,
    pub meta_data: Vec<J>,
    pub stock_status: &'static str,
    pub has_options: bool,
    pub post_password: &'static str,
    pub _links: Links,
}

#[derive(Serialize)]
pub struct RestVariation {
    pub id: u32,
    pub date_created: String,
    pub date_created_gmt: String,
    pub date_modified: String,
    pub date_modified_gmt: String,
    pub description: String,
    pub permalink: String,
    pub sku: String,
    pub price: String,
    pub regular_price: String,
    pub sale_price: String,
    pub date_on_sale_from: Option<String>,
    pub date_on_sale_from_gmt: Option<String>,
    pub date_on_sale_to: Option<String>,
    pub date_on_sale_to_gmt: Option<String>,
    pub on_sale: bool,
    pub status: &'static str,
    pub purchasable: bool,
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
    pub downloadable: bool,
    pub downloads: Vec<J>,
    pub download_limit: i32,
    pub download_expiry: i32,
    pub tax_status: &'static str,
    pub tax_class: &'static str,
    pub manage_stock: bool,
    pub stock_quantity: Option<i32>,
    pub stock_status: &'static str,
    pub backorders: &'static str,
    pub backorders_allowed: bool,
    pub backordered: bool,
    pub low_stock_amount: Option<u32>,
    pub weight: String,
    pub dimensions: Dimensions,
    pub shipping_class: &'static str,
    pub shipping_class_id: u32,
    pub image: Option<RestImage>,
    pub attributes: Vec<VarAttr>,
    pub menu_order: i32,
    pub meta_data: Vec<J>,
    pub name: String,
    pub parent_id: u32,
    pub _links: Links,
}
