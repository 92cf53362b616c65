//! REST API v3 orders (`/wp-json/wc/v3/orders`): the order schema of the `v3-20`/`v3-21` captures, the paged list and single-order read and status update.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use axum::Extension;

use super::cart_render::int;
use super::cart_totals::{tax_exact, Item, TAX_CODE, TAX_NAME};
use super::catalogue::Catalogue;
use super::http::{page_count, rest_paging, ApiCtx, Reply, WpError, J};
use super::orders::{payment_title, Order};
use super::params::{arg, int_param, validate, Arg, Kind};
use super::render::{decimal, image_urls, iso, Currency};
use super::server::Caller;
use super::shop::Address;
use super::StoreState;

const STATUSES: &[&str] = &["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"];
const LIST_STATUSES: &[&str] =
    &["any", "trash", "pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"];
const ITEM_ALLOW: Option<&str> = Some("GET, POST, PUT, PATCH, DELETE");
const COLLECTION_ALLOW: Option<&str> = Some("GET, POST");

const LIST_ARGS: &[Arg] = &[
    arg("page", Kind::Int { min: Some(1), max: None }),
    arg("per_page", Kind::Int { min: Some(1), max: Some(100) }),
    arg("order", Kind::Enum(&["asc", "desc"])),
    arg("orderby", Kind::Enum(&["date", "id", "include", "title", "slug", "modified"])),
    arg("status", Kind::EnumList(LIST_STATUSES)),
    arg("customer", Kind::Int { min: Some(0), max: None }),
    arg("search", Kind::Str),
];

/// `page` and `per_page` (1..=100, default 10) of a REST v3 collection.
pub(crate) fn paging_args(ctx: &ApiCtx) -> Result<(u64, u64), WpError> {
    validate(&ctx.query, &LIST_ARGS[..2])?;
    let page = u64::try_from(int_param(&ctx.query, "page", 1)).unwrap_or(1).max(1);
    let per_page = u64::try_from(int_param(&ctx.query, "per_page", 10)).unwrap_or(10).clamp(1, 100);
    Ok((page, per_page))
}

fn denied(message: &str) -> WpError {
    WpError::new(401, "woocommerce_rest_cannot_view", message)
}

fn invalid_id() -> WpError {
    WpError::new(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
}

/// Decimal without trailing zeros ("4", "4.5"), as `wc_format_decimal` without a precision.
fn trimmed(minor: u64, places: u32) -> String {
    let s = decimal(minor, places, false);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A whole number as an integer, otherwise a float (PHP's JSON numbers).
fn number(minor: u64, places: u32) -> J {
    let div = 10u64.pow(places);
    if minor.is_multiple_of(div) {
        int(minor / div)
    } else {
        J::Float(minor as f64 / div as f64)
    }
}

fn address(a: &Address, with_email: bool) -> J {
    super::cart_render::address_json(a, with_email)
}

fn meta(id: u64, key: &str, value: &str, shown: Option<(&str, &str)>) -> J {
    let j = J::obj().with("id", int(id)).with("key", key).with("value", value);
    match shown {
        Some((k, v)) => j.with("display_key", k).with("display_value", v),
        None => j,
    }
}

fn line_items(o: &Order, cat: &Catalogue, home: &str, cur: &Currency) -> J {
    let m = |n: u64| J::Str(decimal(n, cur.minor_unit, false));
    let taxed = o.tax_line_id.is_some();
    J::Arr(
        o.lines
            .iter()
            .map(|l| {
                let mut metas: Vec<J> = l.meta.iter().map(|x| meta(x.id, &x.key, &x.value, Some((&x.label, &x.shown)))).collect();
                if let Some((id, q)) = l.reduced {
                    let q = q.to_string();
                    metas.push(meta(id, "_reduced_stock", &q, Some(("_reduced_stock", &q))));
                }
                let image = Item::of(cat, l.item_id()).and_then(|i| i.product.image.map(|img| (i, img))).map_or(
                    J::obj().with("id", "").with("src", ""),
                    |(i, img)| {
                        let src = image_urls(home, i.product, img).0;
                        let id = if i.variation.is_some() { int(img.into()) } else { J::Str(img.to_string()) };
                        J::obj().with("id", id).with("src", src)
                    },
                );
                let taxes = if taxed {
                    vec![J::obj()
                        .with("id", J::Int(1))
                        .with("total", tax_exact(l.total, cur.minor_unit))
                        .with("subtotal", tax_exact(l.subtotal, cur.minor_unit))]
                } else {
                    Vec::new()
                };
                let unit = if l.quantity == 0 { 0 } else { l.total * 10_000 / u64::from(l.quantity) };
                J::obj()
                    .with("id", int(l.id))
                    .with("name", l.name.as_str())
                    .with("product_id", int(l.product_id.into()))
                    .with("variation_id", int(l.variation_id.into()))
                    .with("quantity", int(l.quantity.into()))
                    .with("tax_class", "")
                    .with("subtotal", m(l.subtotal))
                    .with("subtotal_tax", m(l.subtotal_tax))
                    .with("total", m(l.total))
                    .with("total_tax", m(l.total_tax))
                    .with("taxes", J::Arr(taxes))
                    .with("meta_data", J::Arr(metas))
                    .with("sku", l.sku.as_str())
                    .with("price", number(unit, cur.minor_unit + 4))
                    .with("image", image)
                    .with("parent_name", l.parent_name.as_deref().map_or(J::Null, J::from))
            })
            .collect(),
    )
}

/// The REST v3 order schema.
pub(crate) fn order_json(o: &Order, cat: &Catalogue, ctx: &ApiCtx, cur: &Currency) -> J {
    let m = |n: u64| J::Str(decimal(n, cur.minor_unit, false));
    let date = |t: Option<i64>| t.map_or(J::Null, |t| J::Str(iso(t)));
    let taxed = o.tax_line_id.is_some();
    let names = ["_shipping_hash", "_coupons_hash", "_fees_hash", "_taxes_hash", "is_vat_exempt"];
    let meta_data: Vec<J> = o
        .meta_ids
        .iter()
        .zip(names)
        .map(|(&id, k)| {
            let v = if k == "is_vat_exempt" { "no".to_string() } else { super::tokens::md5_hex(format!("{k}{}", o.id).as_bytes()) };
            meta(id, k, &v, None)
        })
        .chain(o.custom_meta.iter().map(|(id, k, v)| meta(*id, k, v, None)))
        .collect();
    let tax_lines: Vec<J> = o
        .tax_line_id
        .map(|id| {
            J::obj()
                .with("id", int(id))
                .with("rate_code", TAX_CODE)
                .with("rate_id", J::Int(1))
                .with("label", TAX_NAME)
                .with("compound", false)
                .with("tax_total", m(o.cart_tax))
                .with("shipping_tax_total", m(o.shipping_tax))
                .with("rate_percent", J::Float(7.25))
                .with("meta_data", J::Arr(Vec::new()))
        })
        .into_iter()
        .collect();
    let shipping_lines: Vec<J> = o
        .shipping_line
        .iter()
        .map(|s| {
            let taxes = if taxed {
                vec![J::obj().with("id", J::Int(1)).with("total", tax_exact(s.total, cur.minor_unit)).with("subtotal", "")]
            } else {
                Vec::new()
            };
            J::obj()
                .with("id", int(s.id))
                .with("method_title", s.title.as_str())
                .with("method_id", s.method.as_str())
                .with("instance_id", s.instance.to_string())
                .with("total", m(s.total))
                .with("total_tax", m(s.tax))
                .with("taxes", J::Arr(taxes))
                .with("meta_data", J::Arr(vec![meta(s.meta_id, "Items", &s.items, Some(("Items", &s.items)))]))
        })
        .collect();
    let coupon_lines: Vec<J> = o
        .coupons
        .iter()
        .map(|c| {
            let nominal = number(c.nominal, cur.minor_unit);
            let info = format!(
                "[{},{},{},{}]",
                c.coupon_id,
                serde_json::to_string(&c.code).unwrap_or_default(),
                serde_json::to_string(c.kind.as_str()).unwrap_or_default(),
                serde_json::to_string(&nominal).unwrap_or_default()
            );
            J::obj()
                .with("id", int(c.id))
                .with("code", c.code.as_str())
                .with("discount", trimmed(c.discount, cur.minor_unit))
                .with("discount_tax", trimmed(c.discount_tax, cur.minor_unit))
                .with("meta_data", J::Arr(vec![meta(c.meta_id, "coupon_info", &info, Some(("coupon_info", &info)))]))
                .with("discount_type", c.kind.as_str())
                .with("nominal_amount", nominal)
                .with("free_shipping", c.free_shipping)
        })
        .collect();
    J::obj()
        .with("id", int(o.id))
        .with("parent_id", J::Int(0))
        .with("status", o.status.as_str())
        .with("currency", cur.code.as_str())
        .with("version", "8.9.1")
        .with("prices_include_tax", false)
        .with("date_created", iso(o.created))
        .with("date_modified", iso(o.modified))
        .with("discount_total", m(o.discount))
        .with("discount_tax", m(o.discount_tax))
        .with("shipping_total", m(o.shipping_total))
        .with("shipping_tax", m(o.shipping_tax))
        .with("cart_tax", m(o.cart_tax))
        .with("total", m(o.total))
        .with("total_tax", m(o.total_tax))
        .with("customer_id", int(o.customer_id))
        .with("order_key", o.key.as_str())
        .with("billing", address(&o.billing, true))
        .with("shipping", address(&o.shipping, false))
        .with("payment_method", o.payment_method.as_str())
        .with("payment_method_title", payment_title(&o.payment_method))
        .with("transaction_id", "")
        .with("customer_ip_address", "127.0.0.1")
        .with("customer_user_agent", o.user_agent.as_str())
        .with("created_via", o.created_via.as_str())
        .with("customer_note", o.customer_note.as_str())
        .with("date_completed", date(o.completed))
        .with("date_paid", date(o.paid))
        .with("cart_hash", o.cart_hash.as_str())
        .with("number", o.id.to_string())
        .with("meta_data", J::Arr(meta_data))
        .with("line_items", line_items(o, cat, &ctx.home, cur))
        .with("tax_lines", J::Arr(tax_lines))
        .with("shipping_lines", J::Arr(shipping_lines))
        .with("fee_lines", J::Arr(Vec::new()))
        .with("coupon_lines", J::Arr(coupon_lines))
        .with("refunds", J::Arr(Vec::new()))
        .with("payment_url", format!("{}/checkout/order-pay/{}/?pay_for_order=true&key={}", ctx.home, o.id, o.key))
        .with("is_editable", matches!(o.status.as_str(), "pending" | "on-hold" | "auto-draft" | "checkout-draft"))
        .with("needs_payment", o.needs_payment())
        .with("needs_processing", o.needs_shipping)
        .with("date_created_gmt", iso(o.created))
        .with("date_modified_gmt", iso(o.modified))
        .with("date_completed_gmt", date(o.completed))
        .with("date_paid_gmt", date(o.paid))
        .with("currency_symbol", cur.symbol.as_str())
        .with("_links", order_links(o, ctx))
}

/// `prepare_links`: self and collection, plus the customer for a customer's order (as order 96 in `v3-20`).
fn order_links(o: &Order, ctx: &ApiCtx) -> J {
    let href = |p: String| J::Arr(vec![J::obj().with("href", ctx.rest_url(&p))]);
    let links = J::obj().with("self", href(format!("/wc/v3/orders/{}", o.id))).with("collection", href("/wc/v3/orders".into()));
    if o.customer_id == 0 {
        links
    } else {
        links.with("customer", href(format!("/wc/v3/customers/{}", o.customer_id)))
    }
}

/// `GET /orders`: newest first; `status=any` (the default) leaves drafts out, as WooCommerce does.
pub(crate) async fn list(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
) -> Response {
    if caller.0.is_none() {
        return ctx.error(&denied("Sorry, you cannot list resources."));
    }
    if let Err(e) = validate(&ctx.query, LIST_ARGS) {
        return ctx.respond(Reply::error(&e).allow(COLLECTION_ALLOW));
    }
    let (page, per_page) = match paging_args(&ctx) {
        Ok(p) => p,
        Err(e) => return ctx.respond(Reply::error(&e).allow(COLLECTION_ALLOW)),
    };
    let wanted: Vec<String> = ctx.query.get("status").map(super::wp::wp_parse_list).unwrap_or_default();
    let any = wanted.is_empty() || wanted.iter().any(|s| s == "any");
    let asc = ctx.query.get_str("order") == Some("asc");
    let cat = state.read();
    let data = state.shop.lock();
    let customer = ctx.query.get_str("customer").and_then(|c| c.trim().parse::<u64>().ok());
    let search = ctx.query.get_str("search").map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    let mut orders: Vec<&Order> = data
        .orders
        .values()
        .filter(|o| if any { o.status != "checkout-draft" } else { wanted.contains(&o.status) })
        .filter(|o| customer.is_none_or(|c| o.customer_id == c))
        .filter(|o| search.as_deref().is_none_or(|s| super::orders_create::matches_search(o, s)))
        .collect();
    match ctx.query.get_str("orderby") {
        Some("id") => orders.sort_by_key(|o| o.id),
        Some("modified") => orders.sort_by_key(|o| (o.modified, o.id)),
        _ => orders.sort_by_key(|o| (o.created, o.id)),
    }
    if !asc {
        orders.reverse();
    }
    let total = orders.len() as u64;
    let cur = &state.settings.currency;
    let items: Vec<J> = orders
        .iter()
        .skip(usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(100))
        .map(|o| order_json(o, &cat, &ctx, cur))
        .collect();
    let paging = rest_paging(&ctx, "/wc/v3/orders", page, total, page_count(total, per_page));
    ctx.respond(Reply::json(200, &J::Arr(items)).allow(COLLECTION_ALLOW).paging(paging))
}

/// `GET|PUT|PATCH|POST /orders/{id}` (updates take `status`, `customer_id` and `customer_note`).
pub(crate) async fn item(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    method: Method,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = id.parse::<u64>().ok();
    let cat = state.read();
    let mut guard = state.shop.lock();
    let data = &mut *guard;
    let Some(order) = id.and_then(|id| data.orders.get_mut(&id)) else {
        return ctx.respond(Reply::error(&invalid_id()).allow(ITEM_ALLOW));
    };
    if caller.0.is_none() {
        let msg = if matches!(method, Method::GET | Method::HEAD) {
            "Sorry, you cannot view this resource."
        } else {
            "Sorry, you are not allowed to edit this resource."
        };
        let code = if msg.starts_with("Sorry, you cannot") { "woocommerce_rest_cannot_view" } else { "woocommerce_rest_cannot_edit" };
        return ctx.error(&WpError::new(401, code, msg));
    }
    let cur = &state.settings.currency;
    if !matches!(method, Method::GET | Method::HEAD) {
        let patch: serde_json::Value = if body.is_empty() {
            serde_json::Value::Null
        } else {
            match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(_) => {
                    return ctx
                        .respond(Reply::error(&WpError::new(400, "rest_invalid_json", "Invalid JSON body passed.")).allow(ITEM_ALLOW))
                }
            }
        };
        // `save_object`: a customer that does not exist is refused before anything is saved.
        let customer = match data.accounts.order_customer(&patch) {
            Ok(c) => c,
            Err(e) => return ctx.respond(Reply::error(&e).allow(ITEM_ALLOW)),
        };
        if let Some(s) = patch.get("status") {
            let status = s.as_str().unwrap_or("");
            if !STATUSES.contains(&status) {
                let msg = format!("status is not one of {}.", super::checkout::one_of(STATUSES));
                return ctx.respond(Reply::error(&super::checkout::invalid_param("status", "rest_not_in_enum", &msg)).allow(ITEM_ALLOW));
            }
            let now = super::checkout::now();
            if order.status != status {
                if order.status == "checkout-draft" {
                    state.shop.note_placed();
                }
                order.status = status.to_string();
                if status == "completed" {
                    order.completed = Some(now);
                    order.paid.get_or_insert(now);
                }
            }
            order.modified = now;
        }
        if let Some(c) = customer {
            order.customer_id = c;
            order.modified = super::checkout::now();
        }
        if let Some(n) = patch.get("customer_note").and_then(|v| v.as_str()) {
            order.customer_note = n.to_string();
            order.modified = super::checkout::now();
        }
    }
    let body = order_json(order, &cat, &ctx, cur);
    ctx.respond(Reply::json(200, &body).allow(ITEM_ALLOW))
}
