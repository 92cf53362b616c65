//! REST API v3 `POST /orders` (create): line items by `product_id`/`variation_id` or `sku`, priced as given (`subtotal`/`total`) or at the catalogue price, `customer_id`, `meta_data`, billing/shipping, status with the stock reduction WooCommerce does on `processing`/`on-hold`/`completed`; plus the `GET /orders` search match.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use axum::Extension;
use serde_json::{Map, Value};

use super::cart_routes::type_error;
use super::cart_totals::{tax, Item};
use super::catalogue::Catalogue;
use super::checkout::{invalid_param, now, one_of};
use super::http::{ApiCtx, Reply, WpError};
use super::mutate::Patch;
use super::orders::{Order, OrderLine, OrderShipping};
use super::server::Caller;
use super::shop::Address;
use super::StoreState;

const ALLOW: Option<&str> = Some("GET, POST");
const STATUSES: &[&str] = &["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"];
/// Statuses whose transition reduces stock (`wc_maybe_reduce_stock_levels`).
const REDUCING: &[&str] = &["processing", "on-hold", "completed"];

/// `GET|POST /orders`: the list (orders_rest.rs) or a new order.
pub(crate) async fn collection(
    state: State<Arc<StoreState>>,
    ctx: Extension<ApiCtx>,
    caller: Extension<Caller>,
    method: Method,
    body: Bytes,
) -> Response {
    if method == Method::POST {
        create(state, ctx, caller, body).await
    } else {
        super::orders_rest::list(state, ctx, caller).await
    }
}

/// `search` as WooCommerce's order search runs it: the order id, billing and shipping names, email,
/// company and address, line item names, and the values of custom meta (as on a store that adds its
/// meta keys through `woocommerce_shop_order_search_fields`). `needle` is lower-case.
pub(crate) fn matches_search(o: &Order, needle: &str) -> bool {
    if o.id.to_string() == needle {
        return true;
    }
    let addresses = [&o.billing, &o.shipping].into_iter().flat_map(|a| a.pairs(true).into_iter().map(|(_, v)| v));
    let lines = o.lines.iter().map(|l| l.name.as_str());
    let meta = o.custom_meta.iter().map(|(_, _, v)| v.as_str());
    addresses.chain(lines).chain(meta).any(|v| v.to_lowercase().contains(needle))
}

fn error(ctx: &ApiCtx, e: &WpError) -> Response {
    ctx.respond(Reply::error(e).allow(ALLOW))
}

/// A decimal money string ("12.5", "12.00") in minor units; `None` when not a non-negative number.
fn minor(raw: &Value, places: u32) -> Option<u64> {
    let text = match raw {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() && frac.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let scale = 10u64.pow(places);
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut digits: String = frac.chars().take(places as usize + 1).collect();
    while digits.len() < places as usize + 1 {
        digits.push('0');
    }
    let extra: u64 = digits.parse().ok()?;
    // One more digit than needed, rounded half up (`wc_format_decimal`).
    whole.checked_mul(scale)?.checked_add((extra + 5) / 10)
}

fn address(args: &Map<String, Value>, name: &str) -> Result<Address, WpError> {
    let mut a = Address { state: String::new(), country: String::new(), ..Address::default() };
    match args.get(name) {
        None | Some(Value::Null) => Ok(a),
        Some(Value::Object(o)) => {
            a.merge(o);
            Ok(a)
        }
        Some(_) => Err(type_error(name, "object")),
    }
}

/// One requested line item, resolved against the catalogue.
struct Wanted {
    id: u32,
    quantity: u32,
    subtotal: Option<u64>,
    total: Option<u64>,
}

fn invalid_product() -> WpError {
    WpError::new(400, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.")
}

fn line_items(cat: &Catalogue, args: &Map<String, Value>, places: u32) -> Result<Vec<Wanted>, WpError> {
    let items = match args.get("line_items") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(type_error("line_items", "array")),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(item) = item else {
            return Err(type_error("line_items[0]", "object"));
        };
        let int = |k: &str| item.get(k).and_then(Value::as_u64).filter(|&n| n > 0);
        let by_sku = item.get("sku").and_then(Value::as_str).filter(|s| !s.is_empty()).and_then(|s| cat.skus.get(s.trim()).copied());
        let id = int("variation_id").or_else(|| int("product_id")).and_then(|n| u32::try_from(n).ok()).or(by_sku);
        let Some(id) = id.filter(|&id| Item::of(cat, id).is_some()) else {
            return Err(invalid_product());
        };
        let quantity = item.get("quantity").and_then(Value::as_f64).unwrap_or(1.0);
        if quantity <= 0.0 || quantity.fract() != 0.0 || quantity > f64::from(u32::MAX) {
            return Err(WpError::new(400, "woocommerce_rest_invalid_product_quantity", "Product quantity must be a positive float."));
        }
        let money = |k: &str| -> Result<Option<u64>, WpError> {
            match item.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => minor(v, places).map(Some).ok_or_else(|| type_error(&format!("line_items[0][{k}]"), "string")),
            }
        };
        out.push(Wanted { id, quantity: quantity as u32, subtotal: money("subtotal")?, total: money("total")? });
    }
    Ok(out)
}

/// `POST /orders`.
async fn create(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    if caller.0.is_none() {
        return ctx.error(&WpError::new(401, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."));
    }
    let args: Map<String, Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => m,
        Ok(_) if body.is_empty() => Map::new(),
        _ => return error(&ctx, &WpError::new(400, "rest_invalid_json", "Invalid JSON body passed.")),
    };
    let status = match args.get("status") {
        None | Some(Value::Null) => "pending".to_string(),
        Some(Value::String(s)) if STATUSES.contains(&s.as_str()) => s.clone(),
        Some(_) => {
            let msg = format!("status is not one of {}.", one_of(STATUSES));
            return error(&ctx, &invalid_param("status", "rest_not_in_enum", &msg));
        }
    };
    let customer_id = match args.get("customer_id") {
        None | Some(Value::Null) => 0,
        Some(v) => match v.as_u64() {
            Some(n) => n,
            None => return error(&ctx, &type_error("customer_id", "integer")),
        },
    };
    let meta: Vec<(String, String)> = match args.get("meta_data") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|m| {
                let key = m.get("key")?.as_str()?.to_string();
                let value = match m.get("value")? {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((key, value))
            })
            .collect(),
        Some(_) => return error(&ctx, &type_error("meta_data", "array")),
    };
    let text = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (billing, shipping) = match (address(&args, "billing"), address(&args, "shipping")) {
        (Ok(b), Ok(s)) => (b, s),
        (Err(e), _) | (_, Err(e)) => return error(&ctx, &e),
    };
    let cur = &state.settings.currency;
    let places = cur.minor_unit;
    let now = now();
    let mut cat = state.write();
    let wanted = match line_items(&cat, &args, places) {
        Ok(w) => w,
        Err(e) => return error(&ctx, &e),
    };
    let shipping_cost = args.get("shipping_lines").and_then(Value::as_array).and_then(|l| l.first()).map(|l| {
        (l.get("method_id").and_then(Value::as_str).unwrap_or("flat_rate").to_string(), l.get("total").and_then(|t| minor(t, places)))
    });
    let mut data = state.shop.lock();
    if customer_id != 0 && !data.accounts.users.contains_key(&customer_id) {
        return error(&ctx, &WpError::new(400, "woocommerce_rest_invalid_customer_id", "Customer ID is invalid."));
    }
    let mut order = Order::draft(&mut data, now);
    order.meta_ids.clear();
    order.status = status.clone();
    order.customer_id = customer_id;
    order.created_via = "rest-api".into();
    order.payment_method = text("payment_method");
    order.customer_note = text("customer_note");
    order.billing = billing;
    order.shipping = shipping;
    let taxed_at = if order.shipping.country.is_empty() { &order.billing } else { &order.shipping };
    let taxed = taxed_at.country.eq_ignore_ascii_case("US") && taxed_at.state.eq_ignore_ascii_case("CA");
    let mut lines = Vec::new();
    let mut needs_shipping = false;
    for w in &wanted {
        let Some(item) = Item::of(&cat, w.id) else { continue };
        needs_shipping |= !item.product.is_virtual;
        let listed = item.price().unwrap_or(0) * u64::from(w.quantity);
        // WooCommerce: a given total without a subtotal sets both; a given subtotal alone sets both too.
        let subtotal = w.subtotal.or(w.total).unwrap_or(listed);
        let total = w.total.unwrap_or(subtotal);
        let id = data.item_id();
        lines.push(OrderLine {
            id,
            product_id: item.product.id,
            variation_id: item.variation.map_or(0, |v| v.id),
            name: item.full_name(&cat),
            parent_name: item.variation.map(|_| item.product.name.to_string()),
            sku: item.sku().to_string(),
            quantity: w.quantity,
            subtotal,
            subtotal_tax: if taxed { tax(subtotal) } else { 0 },
            total,
            total_tax: if taxed { tax(total) } else { 0 },
            meta: Vec::new(),
            reduced: None,
        });
    }
    order.shipping_line = shipping_cost.map(|(method, cost)| {
        let cost = cost.unwrap_or(0);
        OrderShipping {
            id: data.item_id(),
            meta_id: data.meta_id(),
            title: if method == "local_pickup" { "Local pickup".into() } else { "Flat rate".into() },
            method,
            instance: 1,
            total: cost,
            tax: if taxed { tax(cost) } else { 0 },
            items: String::new(),
        }
    });
    order.subtotal = lines.iter().map(|l| l.subtotal).sum();
    order.discount = lines.iter().map(|l| l.subtotal.saturating_sub(l.total)).sum();
    order.cart_tax = lines.iter().map(|l| l.total_tax).sum();
    order.discount_tax = lines.iter().map(|l| l.subtotal_tax.saturating_sub(l.total_tax)).sum();
    order.shipping_total = order.shipping_line.as_ref().map_or(0, |s| s.total);
    order.shipping_tax = order.shipping_line.as_ref().map_or(0, |s| s.tax);
    order.total_tax = order.cart_tax + order.shipping_tax;
    order.total = lines.iter().map(|l| l.total).sum::<u64>() + order.shipping_total + order.total_tax;
    order.tax_line_id = (taxed && !lines.is_empty()).then(|| data.item_id());
    order.needs_shipping = needs_shipping;
    order.lines = lines;
    order.custom_meta = meta.into_iter().map(|(k, v)| (data.meta_id(), k, v)).collect();
    if args.get("set_paid").and_then(Value::as_bool) == Some(true) {
        order.paid = Some(now);
        if order.status == "pending" {
            order.status = "processing".into();
        }
    }
    if order.status == "completed" {
        order.completed = Some(now);
    }
    if REDUCING.contains(&order.status.as_str()) {
        for l in &mut order.lines {
            let id = l.item_id();
            let Some(item) = Item::of(&cat, id) else { continue };
            let stock = item.stock();
            if !stock.manage {
                continue;
            }
            let left = stock.quantity.unwrap_or(0).saturating_sub(i32::try_from(l.quantity).unwrap_or(i32::MAX));
            let patch = Patch { stock_quantity: Some(Some(left)), ..Patch::default() };
            if cat.patch(id.into(), &patch, now).is_ok() {
                l.reduced = Some((data.meta_id(), l.quantity));
            }
        }
    }
    let body = super::orders_rest::order_json(&order, &cat, &ctx, cur);
    let location = ctx.rest_url(&format!("/wc/v3/orders/{}", order.id));
    data.orders.insert(order.id, order);
    let mut reply = Reply::json(201, &body).allow(ALLOW);
    reply.location = Some(location);
    ctx.respond(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_strings_become_minor_units() {
        assert_eq!(minor(&Value::from("12.00"), 2), Some(1200));
        assert_eq!(minor(&Value::from("12.5"), 2), Some(1250));
        assert_eq!(minor(&Value::from("12"), 2), Some(1200));
        assert_eq!(minor(&Value::from("0.125"), 2), Some(13));
        assert_eq!(minor(&Value::from("-1"), 2), None);
        assert_eq!(minor(&Value::from("abc"), 2), None);
        assert_eq!(minor(&Value::from(3), 0), Some(3));
    }
}
