//! HTTP handlers of the cart, checkout and guest order confirmation.

use std::sync::Arc;

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::checkout::{CheckoutBody, CheckoutResult};
use super::vault::CartOp;
use super::views::{Address, CartView, OrderView};
use super::{Cart, Target};
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ErrorBody, FieldError};
use crate::extract::{Json, Query};
use crate::idempotency::validate_key;
use crate::session::Shopper;
use crate::shared_responses::{SessionToken, StoreUnusable};

/// Cart line keys are WooCommerce's 32-hex-digit hashes.
fn line_key(raw: &str) -> Result<String, ApiError> {
    if raw.len() <= 64 && !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(raw.to_string())
    } else {
        Err(ApiError::field("key", "a cart line key from the cart"))
    }
}

fn coupon_code(raw: &str) -> Result<String, ApiError> {
    let code = raw.trim();
    if !code.is_empty() && code.len() <= 50 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        Ok(code.to_lowercase())
    } else {
        Err(ApiError::field("code", "1 to 50 letters, digits, '-', '_' or '.'"))
    }
}

fn quantity(q: u32) -> Result<u32, ApiError> {
    if (1..=9999).contains(&q) {
        Ok(q)
    } else {
        Err(ApiError::field("quantity", "between 1 and 9999"))
    }
}

/// The shopper's cart.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart",
    responses(
        (status = 200, description = "The cart (created empty on first use)", body = CartView),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn get_cart(State(cart): State<Arc<Cart>>, shopper: Shopper, ip: ClientIp) -> Result<Json<CartView>, ApiError> {
    Ok(Json(cart.run(&shopper, ip, CartOp::Get).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItemBody {
    /// One of `product_id`, `sku` or `slug`.
    pub product_id: Option<u64>,
    #[schema(min_length = 1, max_length = 100)]
    pub sku: Option<String>,
    #[schema(pattern = r"^[A-Za-z0-9_-]{1,200}$")]
    pub slug: Option<String>,
    /// 1 to 9999.
    #[schema(minimum = 1, maximum = 9999)]
    pub quantity: u32,
    /// For variable products: attribute → value, e.g. {"pa_size": "m", "Color": "Red"}
    /// (`pa_size`, `attribute_pa_size` and the label `Size` are all accepted).
    #[serde(default)]
    pub variation: BTreeMap<String, String>,
}

/// Add a product (by id, slug or SKU; variable products with their attributes).
#[utoipa::path(post, path = "/api/v1/cart/items", tag = "cart", request_body = AddItemBody,
    responses(
        (status = 201, description = "The updated cart", body = CartView),
        (status = 404, description = "No such product (`product_not_found`)", body = ErrorBody),
        (status = 409, description = "`cart_item_out_of_stock` or `cart_item_insufficient_stock`", body = ErrorBody),
        (status = 422, description = "Bad input, missing attributes (named in `fields`), `variation_not_found`, `product_not_purchasable`, `cart_item_quantity_limit` (over the product's per-cart maximum)", body = ErrorBody),
        (status = 403, description = "`csrf_rejected`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn add_item(
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    Json(body): Json<AddItemBody>,
) -> Result<Response, ApiError> {
    let quantity = quantity(body.quantity)?;
    let target = match (body.product_id, body.sku, body.slug) {
        (Some(id), None, None) => Target::Id(id),
        (None, Some(sku), None) if !sku.trim().is_empty() && sku.len() <= 100 => Target::Sku(sku.trim().to_string()),
        (None, None, Some(slug)) if crate::catalogue::query::is_slug(&slug.to_lowercase()) => Target::Slug(slug.to_lowercase()),
        _ => return Err(ApiError::field("product_id", "give exactly one of product_id, sku or slug")),
    };
    if body.variation.len() > 10 {
        return Err(ApiError::field("variation", "at most 10 attributes"));
    }
    let view = cart.add(&shopper, ip, target, quantity, &body.variation).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantityBody {
    #[schema(minimum = 1, maximum = 9999)]
    pub quantity: u32,
}

/// Change a line's quantity.
#[utoipa::path(patch, path = "/api/v1/cart/items/{key}", tag = "cart", request_body = QuantityBody,
    params(("key" = String, Path, description = "The line's key", pattern = "^[A-Za-z0-9]{1,64}$")),
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 404, description = "`cart_item_not_found`", body = ErrorBody),
        (status = 409, description = "Not enough stock", body = ErrorBody),
        (status = 422, description = "Bad quantity, or `cart_item_quantity_limit` (over the product's per-cart maximum)", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        (status = 429, description = "`rate_limited` (cart writes per session and per IP)", body = ErrorBody, headers(("Retry-After" = u64))),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn update_item(
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    Path(key): Path<String>,
    Json(body): Json<QuantityBody>,
) -> Result<Json<CartView>, ApiError> {
    let op = CartOp::Update { key: line_key(&key)?, quantity: quantity(body.quantity)? };
    Ok(Json(cart.run(&shopper, ip, op).await?))
}

/// Remove a line.
#[utoipa::path(delete, path = "/api/v1/cart/items/{key}", tag = "cart",
    params(("key" = String, Path, description = "The line's key", pattern = "^[A-Za-z0-9]{1,64}$")),
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 404, description = "`cart_item_not_found`", body = ErrorBody),
        (status = 422, description = "The key is not a cart line key", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        (status = 429, description = "`rate_limited` (cart writes per session and per IP)", body = ErrorBody, headers(("Retry-After" = u64))),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn remove_item(
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    Path(key): Path<String>,
) -> Result<Json<CartView>, ApiError> {
    Ok(Json(cart.run(&shopper, ip, CartOp::Remove { key: line_key(&key)? }).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponBody {
    #[schema(pattern = r"^\s*[A-Za-z0-9._-]{1,50}\s*$")]
    pub code: String,
}

/// Apply a coupon.
#[utoipa::path(post, path = "/api/v1/cart/coupons", tag = "cart", request_body = CouponBody,
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 422, description = "`coupon_rejected` (unknown, expired, minimum spend...) or a malformed code", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        (status = 429, description = "`rate_limited` (cart writes per session and per IP)", body = ErrorBody, headers(("Retry-After" = u64))),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn apply_coupon(
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    Json(body): Json<CouponBody>,
) -> Result<Json<CartView>, ApiError> {
    Ok(Json(cart.run(&shopper, ip, CartOp::ApplyCoupon(coupon_code(&body.code)?)).await?))
}

/// Remove a coupon.
#[utoipa::path(delete, path = "/api/v1/cart/coupons/{code}", tag = "cart",
    params(("code" = String, Path, description = "The coupon code", pattern = "^[A-Za-z0-9._-]{1,50}$")),
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 422, description = "`coupon_not_applied`, `coupon_rejected` (no such coupon), or a malformed code", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        (status = 429, description = "`rate_limited` (cart writes per session and per IP)", body = ErrorBody, headers(("Retry-After" = u64))),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn remove_coupon(
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    Path(code): Path<String>,
) -> Result<Json<CartView>, ApiError> {
    Ok(Json(cart.run(&shopper, ip, CartOp::RemoveCoupon(coupon_code(&code)?)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressesBody {
    pub billing: Address,
    /// Defaults to the billing address.
    pub shipping: Option<Address>,
}

/// Set the billing and shipping addresses (shipping rates follow them).
#[utoipa::path(put, path = "/api/v1/cart/addresses", tag = "cart", request_body = AddressesBody,
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 422, description = "An address field is invalid", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        (status = 429, description = "`rate_limited` (cart writes per session and per IP)", body = ErrorBody, headers(("Retry-After" = u64))),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn set_addresses(
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    Json(body): Json<AddressesBody>,
) -> Result<Json<CartView>, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    body.billing.validate("billing", &mut errors);
    let shipping = body.shipping.unwrap_or_else(|| Address { email: None, ..body.billing.clone() });
    shipping.validate("shipping", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let op =
        CartOp::Customer { billing: Box::new(body.billing.to_store()), shipping: Box::new(Address { email: None, ..shipping }.to_store()) };
    Ok(Json(cart.run(&shopper, ip, op).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingRateBody {
    pub package_id: u64,
    #[schema(pattern = r"^\s*[A-Za-z0-9_:-]{1,100}\s*$")]
    pub rate_id: String,
}

/// Choose a shipping rate for a package.
#[utoipa::path(put, path = "/api/v1/cart/shipping-rate", tag = "cart", request_body = ShippingRateBody,
    responses(
        (status = 200, description = "The updated cart", body = CartView),
        (status = 422, description = "`shipping_rate_not_found`", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        (status = 429, description = "`rate_limited` (cart writes per session and per IP)", body = ErrorBody, headers(("Retry-After" = u64))),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn select_shipping_rate(
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    Json(body): Json<ShippingRateBody>,
) -> Result<Json<CartView>, ApiError> {
    let rate_id = body.rate_id.trim().to_string();
    if rate_id.is_empty() || rate_id.len() > 100 || !rate_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_:-".contains(&b)) {
        return Err(ApiError::field("rate_id", "a rate id from the cart's shipping_packages"));
    }
    // WooCommerce silently keeps the old choice for an unknown rate (see the
    // captures); say so instead.
    let view = cart.run(&shopper, ip, CartOp::SelectRate { package_id: body.package_id, rate_id: rate_id.clone() }).await?;
    let chosen =
        view.shipping_packages.iter().find(|p| p.package_id == body.package_id).and_then(|p| p.rates.iter().find(|r| r.rate_id == rate_id));
    match chosen {
        Some(rate) if rate.selected => Ok(Json(view)),
        _ => Err(ApiError::Rejected {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "shipping_rate_not_found",
            message: "That shipping rate is not offered for this package.".into(),
        }),
    }
}

/// Place the order. Requires `Idempotency-Key`: retries with the same key and
/// body return the first result; a different body is refused.
#[utoipa::path(post, path = "/api/v1/checkout", tag = "cart", request_body = CheckoutBody,
    params(("Idempotency-Key" = String, Header, description = "A unique key per order attempt, e.g. a UUID", pattern = "^[!-~]{1,255}$")),
    responses(
        (status = 201, description = "The order was placed", body = CheckoutResult),
        (status = 400, description = "`idempotency_key_required` or malformed JSON", body = ErrorBody),
        (status = 409, description = "`cart_changed` (carries `cart`), `cart_empty`, stock problems, `idempotency_in_progress`", body = ErrorBody),
        (status = 422, description = "`checkout_invalid`, `idempotency_key_reused`, bad fields", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody),
        (status = 503, description = "Store unavailable; nothing was ordered", body = ErrorBody),
        SessionToken,
        StoreUnusable,
    ))]
pub async fn checkout(
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    headers: HeaderMap,
    Json(body): Json<CheckoutBody>,
) -> Result<Response, ApiError> {
    let key = validate_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))?;
    body.validate()?;
    let canonical = serde_json::to_vec(&body).map_err(|e| ApiError::json("canonical checkout body", &e))?;
    let stored = cart.checkout(&shopper, ip, &key, body, &canonical).await?;
    if stored.status >= 400 {
        return Err(ApiError::from_replay(stored.status, &stored.body));
    }
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    Ok((status, [(axum::http::header::CONTENT_TYPE, "application/json")], stored.body.clone()).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// The order key from checkout.
    pub key: String,
    /// The billing email.
    pub email: String,
}

/// Guest order confirmation: needs the order key and the billing email.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "cart",
    params(("id" = u64, Path, description = "Order id"), OrderQuery),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "`order_not_found` (also for a wrong key or email)", body = ErrorBody),
        (status = 422, description = "Missing key or email", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
        StoreUnusable,
    ))]
pub async fn get_order(
    State(cart): State<Arc<Cart>>,
    ip: ClientIp,
    Path(id): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Result<Json<OrderView>, ApiError> {
    let id: u64 = id.parse().map_err(|_| ApiError::field("id", "a numeric order id"))?;
    if q.key.len() > 64 || q.email.len() > 254 || !q.key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(not_found_order());
    }
    // Anyone may ask with any id: a store call, so it waits its turn like cart work.
    let _permit = cart.gate.enter(crate::gate::Kind::Cart).await?;
    Ok(Json(cart.guest_order(id, &q.key, &q.email, &ip).await?))
}

pub(super) fn not_found_order() -> ApiError {
    ApiError::NotFound { code: "order_not_found", message: "No order matches that id, key and email.".into() }
}
