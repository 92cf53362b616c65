//! Store API checkout: `GET /checkout` (the session's `checkout-draft` order), `POST /checkout` (validation, address merge, stock, placing the order and emptying the cart), the guest `GET /order/{id}` and `POST /batch`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use axum::Extension;
use serde_json::{Map, Value};

use super::cart_render::PAYMENT_METHODS;
use super::cart_routes::{dispatch, finish, missing, session_headers, type_error, Answer, Call};
use super::cart_totals::{price, Item};
use super::catalogue::{Backorders, Catalogue};
use super::http::{ApiCtx, Reply, WpError, J};
use super::mutate::Patch;
use super::orders::Order;
use super::shop::ShopData;
use super::store_render::View;
use super::StoreState;

const ALLOW: &str = "GET, POST";

pub(crate) fn now() -> i64 {
    (super::auth::system_clock())()
}

/// `wp_sprintf_l`: "a, b, and c".
pub(crate) fn one_of(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

/// `rest_invalid_param` for one argument (`data: null` in its details, as captured).
pub(crate) fn invalid_param(name: &str, code: &str, message: &str) -> WpError {
    invalid_params(&[(name, code, message)])
}

fn invalid_params(problems: &[(&str, &str, &str)]) -> WpError {
    let names: Vec<&str> = problems.iter().map(|p| p.0).collect();
    let mut e = WpError::new(400, "rest_invalid_param", &format!("Invalid parameter(s): {}", names.join(", ")));
    e.extra.push(("params".into(), J::Obj(problems.iter().map(|p| (p.0.to_string(), J::from(p.2))).collect())));
    e.extra.push((
        "details".into(),
        J::Obj(problems.iter().map(|p| (p.0.to_string(), J::obj().with("code", p.1).with("message", p.2).with("data", J::Null))).collect()),
    ));
    e
}

/// `is_email`, roughly: one `@`, something before it, a dotted domain, no spaces.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && s.len() >= 6
}

const BAD_EMAIL: &str = "The provided email address is not valid";

/// An optional address object argument; a non-empty, invalid billing email is refused.
pub(crate) fn address_arg(args: &Map<String, Value>, name: &str) -> Result<Option<Map<String, Value>>, WpError> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => {
            let email = o.get("email").and_then(Value::as_str).unwrap_or("").trim();
            if name == "billing_address" && !email.is_empty() && !is_email(email) {
                return Err(invalid_param(name, "invalid_email", BAD_EMAIL));
            }
            Ok(Some(o.clone()))
        }
        Some(_) => Err(type_error(name, "object")),
    }
}

/// `GET|POST /checkout`.
pub(crate) fn route(call: &Call<'_>, method: &Method, args: &Map<String, Value>) -> Answer {
    if *method == Method::POST {
        return place(call, args);
    }
    if let Err(e) = call.check_nonce() {
        return Answer::error(&e, ALLOW);
    }
    let cat = call.state.read();
    let mut data = call.state.shop.lock();
    let mut session = data.sessions.get(&call.sid).cloned().unwrap_or_default();
    let cur = &call.state.settings.currency;
    let priced = price(&cat, &session, &data.coupons, call.now, cur);
    if priced.lines.is_empty() {
        return Answer::error(&cart_empty(), ALLOW);
    }
    let mut order = take_draft(&mut data, session.draft, call.now);
    order.fill(&mut data, &cat, &priced, call.now);
    order.billing = session.billing.clone();
    order.shipping = session.shipping.clone();
    let body = order.checkout_json(&call.ctx.home);
    session.draft = Some(order.id);
    data.orders.insert(order.id, order);
    super::cart_routes::save(&mut data, &call.sid, session);
    Answer::ok(200, &body, ALLOW)
}

fn cart_empty() -> WpError {
    WpError::new(400, "woocommerce_rest_cart_empty", "Cannot create order from empty cart.")
}

/// The session's draft order if it is still a draft, else a new one.
fn take_draft(data: &mut ShopData, draft: Option<u64>, now: i64) -> Order {
    match draft.and_then(|id| data.orders.remove(&id)) {
        Some(o) if o.status == "checkout-draft" => o,
        Some(o) => {
            data.orders.insert(o.id, o);
            Order::draft(data, now)
        }
        None => Order::draft(data, now),
    }
}

/// Argument validation of `POST /checkout`, in schema order.
fn checkout_args(args: &Map<String, Value>) -> Result<(), WpError> {
    if !args.contains_key("billing_address") || args["billing_address"].is_null() {
        return Err(missing(&["billing_address"]));
    }
    let mut problems: Vec<(&str, &str, String)> = Vec::new();
    for name in ["billing_address", "shipping_address"] {
        match address_arg(args, name) {
            Ok(_) => {}
            Err(e) if e.code == "rest_invalid_param" => problems.push((name, "invalid_email", BAD_EMAIL.to_string())),
            Err(e) => return Err(e),
        }
    }
    match args.get("payment_method") {
        None | Some(Value::Null) => {}
        Some(Value::String(m)) if m.is_empty() || PAYMENT_METHODS.contains(&m.as_str()) => {}
        Some(Value::String(_)) => {
            problems.push(("payment_method", "rest_not_in_enum", format!("payment_method is not one of {}.", one_of(&PAYMENT_METHODS))))
        }
        Some(_) => return Err(type_error("payment_method", "string")),
    }
    if args.get("customer_note").is_some_and(|n| !n.is_string() && !n.is_null()) {
        return Err(type_error("customer_note", "string"));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let list: Vec<(&str, &str, &str)> = problems.iter().map(|(a, b, c)| (*a, *b, c.as_str())).collect();
    Err(invalid_params(&list))
}

/// Stock the order needs, per catalogue id, and the first problem with it.
fn stock_problem(cat: &Catalogue, lines: &[(u32, u32, String)]) -> Option<WpError> {
    let mut wanted: Vec<(u32, u32, &str)> = Vec::new();
    for (id, q, name) in lines {
        match wanted.iter_mut().find(|w| w.0 == *id) {
            Some(w) => w.1 += q,
            None => wanted.push((*id, *q, name)),
        }
    }
    for (id, q, name) in wanted {
        let item = Item::of(cat, id)?;
        if !item.in_stock() {
            return Some(WpError::new(
                409,
                "woocommerce_rest_product_out_of_stock",
                &format!("{name} is out of stock and cannot be purchased. Please remove it from your cart."),
            ));
        }
        let stock = item.stock();
        if stock.manage && stock.backorders == Backorders::No && i64::from(stock.quantity.unwrap_or(0)) < i64::from(q) {
            return Some(WpError::new(
                403,
                "woocommerce_product_not_enough_stock",
                &format!("Not enough units of {name} are available in stock to fulfil this order."),
            ));
        }
    }
    None
}

fn place(call: &Call<'_>, args: &Map<String, Value>) -> Answer {
    if let Err(e) = checkout_args(args) {
        return Answer::invalid(&e, ALLOW);
    }
    if let Err(e) = call.check_nonce() {
        return Answer::error(&e, ALLOW);
    }
    let state = call.state;
    let mut cat = state.write();
    let mut data = state.shop.lock();
    let mut session = data.sessions.get(&call.sid).cloned().unwrap_or_default();
    if let Some(Value::Object(b)) = args.get("billing_address") {
        session.billing.merge(b);
    }
    if let Some(Value::Object(s)) = args.get("shipping_address") {
        session.shipping.merge(s);
    }
    let cur = &state.settings.currency;
    let method = args.get("payment_method").and_then(Value::as_str).unwrap_or("").to_string();
    let note = args.get("customer_note").and_then(Value::as_str).unwrap_or("").to_string();
    let (order, reductions) = {
        let priced = price(&cat, &session, &data.coupons, call.now, cur);
        if priced.lines.is_empty() {
            return Answer::error(&cart_empty(), ALLOW);
        }
        if session.billing.email.trim().is_empty() {
            super::cart_routes::save(&mut data, &call.sid, session);
            return Answer::error(&WpError::new(400, "woocommerce_rest_missing_email_address", "A valid email address is required"), ALLOW);
        }
        if method.is_empty() && priced.total > 0 {
            return Answer::error(
                &WpError::new(400, "woocommerce_rest_checkout_missing_payment_method", "No payment method provided."),
                ALLOW,
            );
        }
        let wanted: Vec<(u32, u32, String)> = priced.lines.iter().map(|l| (l.item.id(), l.line.quantity, l.item.full_name(&cat))).collect();
        if let Some(e) = stock_problem(&cat, &wanted) {
            return Answer::error(&e, ALLOW);
        }
        let mut order = take_draft(&mut data, session.draft, call.now);
        order.fill(&mut data, &cat, &priced, call.now);
        let reductions: Vec<(u32, u32)> =
            priced.lines.iter().filter(|l| l.item.stock().manage).map(|l| (l.item.id(), l.line.quantity)).collect();
        (order, reductions)
    };
    let mut order = order;
    order.billing = session.billing.clone();
    order.shipping = session.shipping.clone();
    order.payment_method = method.clone();
    order.customer_note = note;
    order.status = if method == "cod" || order.total == 0 { "processing" } else { "on-hold" }.into();
    order.modified = call.now;
    for (id, q) in reductions {
        let left = Item::of(&cat, id).and_then(|i| i.stock().quantity).unwrap_or(0);
        let patch = Patch { stock_quantity: Some(Some(left.saturating_sub(i32::try_from(q).unwrap_or(i32::MAX)))), ..Patch::default() };
        if cat.patch(id.into(), &patch, call.now).is_ok() {
            let meta = data.meta_id();
            if let Some(l) = order.lines.iter_mut().find(|l| l.item_id() == id) {
                l.reduced = Some((meta, q));
            }
        }
    }
    for c in &order.coupons {
        let email = order.billing.email.clone();
        if let Some(def) = data.coupons.iter_mut().find(|d| d.code == c.code) {
            def.usage_count += 1;
            def.used_by.push(email);
        }
    }
    let body = order.checkout_json(&call.ctx.home);
    data.orders.insert(order.id, order);
    session.lines.clear();
    session.coupons.clear();
    session.rate.clear();
    session.draft = None;
    super::cart_routes::save(&mut data, &call.sid, session);
    state.shop.note_placed();
    Answer::ok(200, &body, ALLOW)
}

/// WooCommerce's default grace period for the guest order email check.
const EMAIL_GRACE_SECS: i64 = 600;

/// `GET /order/{id}?key=&billing_email=`: a guest's order, checked by key and billing email.
pub(crate) async fn order_route(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Path(id): Path<String>,
) -> Response {
    let allow = Some("GET");
    let fail = |status, code: &str, msg: &str| ctx.respond(Reply::error(&WpError::new(status, code, msg)).allow(allow));
    let key = ctx.query.get_str("key").unwrap_or("").to_string();
    let email = ctx.query.get_str("billing_email").unwrap_or("").trim().to_lowercase();
    let cat = state.read();
    let data = state.shop.lock();
    let order = id.parse::<u64>().ok().and_then(|id| data.orders.get(&id));
    let Some(order) = order.filter(|o| !key.is_empty() && o.key == key) else {
        return fail(401, "woocommerce_rest_invalid_order", "Invalid order ID or key provided.");
    };
    // `Users::should_user_verify_order_email`: no check at all within the grace period after the
    // order was created, nor for an order without a billing email (real 8.9.1).
    let verify = now() - order.created > EMAIL_GRACE_SECS && !order.billing.email.is_empty();
    if verify && (email.is_empty() || order.billing.email.to_lowercase() != email) {
        return fail(401, "woocommerce_rest_invalid_billing_email", "Invalid billing email provided.");
    }
    let view = View { cat: &cat, home: &ctx.home, currency: &state.settings.currency };
    ctx.respond(Reply::json(200, &order.store_json(&view)).allow(allow))
}

/// `POST /batch`: runs each request in turn on the caller's session (207 Multi-Status).
pub(crate) fn batch(call: &Call<'_>, body: &Value) -> Response {
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        let e = missing(&["requests"]);
        return finish(call, Answer::invalid(&e, "POST"));
    };
    if requests.len() > 25 {
        let e = invalid_param("requests", "rest_too_many_items", "requests must contain at most 25 items.");
        return finish(call, Answer::invalid(&e, "POST"));
    }
    let mut responses = Vec::new();
    for r in requests {
        let path = r.get("path").and_then(Value::as_str).unwrap_or("");
        let method = r
            .get("method")
            .and_then(Value::as_str)
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .unwrap_or(Method::POST);
        let nonce = r.get("headers").and_then(Value::as_object).and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("nonce") || k.eq_ignore_ascii_case("x-wc-store-api-nonce"))
                .and_then(|(_, v)| v.as_str().map(str::to_string))
        });
        let sub = Call { state: call.state, ctx: call.ctx, sid: call.sid.clone(), nonce, now: call.now };
        let route = path.trim_start_matches("/wc/store/v1").trim_matches('/');
        let known = path.starts_with("/wc/store/v1/") && method != Method::GET;
        let a = if known {
            dispatch(&sub, &method, route, r.get("body").unwrap_or(&Value::Null))
        } else {
            Answer { session_headers: false, ..Answer::error(&WpError::no_route(), "POST") }
        };
        let mut headers = J::obj();
        if a.session_headers {
            for (k, v) in session_headers(&sub, true) {
                let name = match k {
                    "nonce" => "Nonce",
                    "nonce-timestamp" => "Nonce-Timestamp",
                    "user-id" => "User-ID",
                    "cart-token" => "Cart-Token",
                    _ => "X-WC-Store-API-Nonce",
                };
                let value = match k {
                    "nonce-timestamp" | "user-id" => v.parse::<i64>().map_or(J::Str(v.clone()), J::Int),
                    _ => J::Str(v),
                };
                headers = headers.with(name, value);
            }
        }
        headers = headers.with("Allow", a.allow);
        let parsed: J = serde_json::from_slice(&a.body).unwrap_or(J::Null);
        responses.push(J::obj().with("body", parsed).with("status", J::Int(a.status.into())).with("headers", headers));
    }
    let mut reply = Reply::json(207, &J::obj().with("responses", J::Arr(responses)));
    reply.allow = Some("POST");
    let mut resp = call.ctx.respond(reply);
    for (k, v) in session_headers(call, false) {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}
