//! Store API cart, checkout and order models (`/cart`, `/checkout`,
//! `/order/{id}`), as WooCommerce sends them: money as minor-unit strings,
//! variation attributes by label ("Size": "M").

use serde::{Deserialize, Serialize};

use super::store_models::{StoreCurrency, StoreImage, StorePrices};

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCart {
    #[serde(default)]
    pub items: Vec<StoreCartItem>,
    #[serde(default)]
    pub coupons: Vec<StoreCartCoupon>,
    pub totals: StoreCartTotals,
    pub shipping_address: StoreAddress,
    pub billing_address: StoreAddress,
    #[serde(default)]
    pub needs_payment: bool,
    #[serde(default)]
    pub needs_shipping: bool,
    #[serde(default)]
    pub shipping_rates: Vec<StoreShippingPackage>,
    #[serde(default)]
    pub items_count: u32,
    #[serde(default)]
    pub errors: Vec<StoreCartError>,
    #[serde(default)]
    pub payment_methods: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCartItem {
    pub key: String,
    pub id: u64,
    #[serde(rename = "type", default)]
    pub kind: String,
    pub quantity: u32,
    pub quantity_limits: StoreQuantityLimits,
    pub name: String,
    #[serde(default)]
    pub sku: String,
    pub low_stock_remaining: Option<i64>,
    #[serde(default)]
    pub images: Vec<StoreImage>,
    #[serde(default)]
    pub variation: Vec<StoreCartItemVariation>,
    pub prices: StorePrices,
    pub totals: StoreLineTotals,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreQuantityLimits {
    pub minimum: u32,
    pub maximum: u32,
    pub multiple_of: u32,
    #[serde(default)]
    pub editable: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCartItemVariation {
    pub attribute: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreLineTotals {
    pub line_subtotal: String,
    pub line_total: String,
    #[serde(default)]
    pub line_total_tax: String,
    #[serde(flatten)]
    pub currency: StoreCurrency,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCartCoupon {
    pub code: String,
    #[serde(default)]
    pub discount_type: String,
    pub totals: StoreCouponTotals,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCouponTotals {
    pub total_discount: String,
    #[serde(flatten)]
    pub currency: StoreCurrency,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCartTotals {
    pub total_items: String,
    #[serde(default)]
    pub total_discount: String,
    pub total_shipping: Option<String>,
    #[serde(default)]
    pub total_tax: String,
    pub total_price: String,
    /// One line per tax rate applied, e.g. `{"name": "CA Sales Tax", "price": "297", "rate": "7.25%"}`.
    #[serde(default)]
    pub tax_lines: Vec<StoreTaxLine>,
    #[serde(flatten)]
    pub currency: StoreCurrency,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreTaxLine {
    #[serde(default)]
    pub name: String,
    pub price: String,
    /// As the store words it: `7.25%` (older stores: `7.25`).
    #[serde(default)]
    pub rate: String,
}

/// Billing and shipping addresses share this shape (shipping has no email).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreAddress {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub address_1: String,
    #[serde(default)]
    pub address_2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub country: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreShippingPackage {
    pub package_id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub shipping_rates: Vec<StoreShippingRate>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreShippingRate {
    pub rate_id: String,
    pub name: String,
    #[serde(default)]
    pub delivery_time: String,
    pub price: String,
    #[serde(default)]
    pub method_id: String,
    pub selected: bool,
    #[serde(flatten)]
    pub currency: StoreCurrency,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreCartError {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// `GET /checkout` (the draft order) and `POST /checkout` (the placed order).
#[derive(Debug, Clone, Deserialize)]
pub struct StoreCheckout {
    pub order_id: u64,
    pub status: String,
    pub order_key: String,
    #[serde(default)]
    pub order_number: String,
    #[serde(default)]
    pub payment_method: String,
    pub payment_result: Option<StorePaymentResult>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StorePaymentResult {
    pub payment_status: String,
    #[serde(default)]
    pub redirect_url: String,
}

/// `GET /order/{id}?key=&billing_email=`: a guest's view of an order.
#[derive(Debug, Clone, Deserialize)]
pub struct StoreOrder {
    pub id: u64,
    pub status: String,
    #[serde(default)]
    pub items: Vec<StoreOrderItem>,
    pub totals: StoreOrderTotals,
    pub shipping_address: StoreAddress,
    pub billing_address: StoreAddress,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreOrderItem {
    pub id: u64,
    pub quantity: u32,
    pub name: String,
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub variation: Vec<StoreCartItemVariation>,
    pub totals: StoreLineTotals,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreOrderTotals {
    #[serde(default)]
    pub subtotal: String,
    #[serde(default)]
    pub total_discount: String,
    #[serde(default)]
    pub total_shipping: String,
    #[serde(default)]
    pub total_tax: String,
    pub total_price: String,
    #[serde(flatten)]
    pub currency: StoreCurrency,
}

/// Body of `POST /cart/add-item`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddItemRequest {
    pub id: u64,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variation: Vec<VariationChoice>,
}

/// One chosen attribute, as the Store API takes it (`pa_size` / `m`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariationChoice {
    pub attribute: String,
    pub value: String,
}

/// Body of `POST /checkout`.
#[derive(Debug, Clone, Serialize)]
pub struct CheckoutRequest {
    pub billing_address: StoreAddress,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<StoreAddress>,
    pub payment_method: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub payment_data: Vec<PaymentDatum>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub customer_note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PaymentDatum {
    pub key: String,
    pub value: String,
}
