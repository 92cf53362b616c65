//! Request and response types of the partner API (the OpenAPI schemas come from these).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pricing::{PriceRule, Quote};
use crate::cart::views::Address;
use crate::catalogue::views::{Money, ProductDetail, ProductSummary};

/// RFC 6749 §5.1 access token response.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT; send it as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    /// Granted scopes, space-delimited.
    pub scope: String,
}

/// RFC 6749 §5.2 error body of the token endpoint (the only route not using `ErrorBody`).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `invalid_scope` or `unsupported_grant_type`.
    pub error: String,
    pub error_description: String,
}

/// The partner's price for an item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerPricing {
    /// Unit price for this partner (for variable products: from the cheapest variation's price).
    pub partner_price: Money,
    /// Which price-list rule set `partner_price`.
    pub price_rule: PriceRule,
    /// The discount applied, in percent, for `category` and `default` rules.
    pub discount_percent: Option<f64>,
}

impl PartnerPricing {
    pub fn new(quote: Quote, like: &Money) -> Self {
        PartnerPricing {
            partner_price: Money { amount: quote.amount, currency: like.currency.clone(), minor_unit: like.minor_unit },
            price_rule: quote.rule,
            discount_percent: quote.discount_percent(),
        }
    }
}

/// A catalogue product with the partner's price.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerProduct {
    #[serde(flatten)]
    pub product: ProductSummary,
    #[serde(flatten)]
    pub pricing: PartnerPricing,
}

/// One product with the partner's price.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerProductDetail {
    #[serde(flatten)]
    pub product: ProductDetail,
    #[serde(flatten)]
    pub pricing: PartnerPricing,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockRequest {
    /// 1 to 500 SKUs.
    #[schema(min_items = 1, max_items = 500)]
    pub skus: Vec<String>,
}

/// Stock of one SKU (`not_found` for SKUs the store does not sell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockState {
    InStock,
    OutOfStock,
    OnBackorder,
    NotFound,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockItem {
    pub sku: String,
    pub status: StockState,
    /// Units in stock, when the store tracks them for this item.
    pub quantity: Option<i64>,
    pub product_id: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockResponse {
    /// One per distinct requested SKU, in request order.
    pub items: Vec<StockItem>,
    /// The SKUs with status `not_found`.
    pub not_found: Vec<String>,
}

/// A bulk order. As `text/csv` the body is `sku,quantity` lines (an optional header line) and
/// `po_number` / `note` come as query parameters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// 1 to 500 lines; a SKU given twice is ordered once with the quantities added.
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<OrderLineRequest>,
    /// The partner's purchase order number (1 to 64 characters), stored in the order's meta.
    #[schema(min_length = 1, max_length = 64)]
    pub po_number: String,
    /// Where to ship; defaults to the customer's shipping address in the store.
    pub shipping_address: Option<Address>,
    /// At most 2000 characters.
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineRequest {
    #[schema(min_length = 1, max_length = 100)]
    pub sku: String,
    /// 1 to 9999.
    #[schema(minimum = 1, maximum = 9999)]
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerOrderTotals {
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerOrderLine {
    pub sku: String,
    pub name: String,
    pub product_id: u64,
    pub quantity: u64,
    /// Line total before tax.
    pub total: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Tracking {
    pub number: String,
    pub provider: Option<String>,
    pub url: Option<String>,
}

/// One of the partner's orders.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PartnerOrder {
    pub id: u64,
    pub number: String,
    /// WooCommerce status: `pending`, `processing`, `on-hold`, `completed`, `cancelled`, `refunded`, `failed`.
    pub status: String,
    pub po_number: Option<String>,
    /// GMT, `YYYY-MM-DDTHH:MM:SS`.
    pub created_at: String,
    pub totals: PartnerOrderTotals,
    pub lines: Vec<PartnerOrderLine>,
    /// Present once the order has a tracking number in its meta.
    pub tracking: Option<Tracking>,
}

/// The token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenForm {
    /// Must be `client_credentials`.
    pub grant_type: String,
    /// Space-delimited subset of the client's scopes; default: all of them.
    pub scope: Option<String>,
    /// When not sent by HTTP Basic.
    pub client_id: Option<String>,
    /// When not sent by HTTP Basic.
    pub client_secret: Option<String>,
}
