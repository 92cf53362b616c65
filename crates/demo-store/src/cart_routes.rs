//! Store API cart routes over HTTP: argument validation, the Cart-Token session and Nonce rules, the session headers on every cart answer, `/batch`, and the method table the router consults.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::Response;
use serde_json::{Map, Value};

use super::cart;
use super::cart_render::cart_json;
use super::cart_totals::price;
use super::catalogue::Catalogue;
use super::checkout;
use super::http::{ApiCtx, Reply, WpError, J};
use super::server::{ConnInfo, STORE};
use super::shop::{Session, ShopData};
use super::store_render::View;
use super::StoreState;

/// Methods of the shop's routes (`None`: not one of ours).
pub(crate) fn methods(pattern: &str) -> Option<&'static [Method]> {
    const GET: &[Method] = &[Method::GET, Method::HEAD];
    const POST: &[Method] = &[Method::POST];
    const BOTH: &[Method] = &[Method::GET, Method::HEAD, Method::POST];
    const REST_ITEM: &[Method] = &[Method::GET, Method::HEAD, Method::PUT, Method::PATCH, Method::POST];
    let route = pattern.strip_prefix(STORE).map(|r| r.trim_start_matches('/'));
    match route {
        Some("cart") | Some("order/{id}") => Some(GET),
        Some("checkout") => Some(BOTH),
        Some("batch") => Some(POST),
        Some(r) if r.starts_with("cart/") => Some(POST),
        Some(_) => None,
        None => match pattern.strip_prefix(super::server::V3) {
            // `POST /orders` creates (orders_create.rs).
            Some("/orders") => Some(BOTH),
            Some("/coupons") => Some(GET),
            Some("/orders/{id}") => Some(REST_ITEM),
            _ => None,
        },
    }
}

/// One Store API call, after routing: who is calling and what was sent.
pub(crate) struct Call<'a> {
    pub(crate) state: &'a StoreState,
    pub(crate) ctx: &'a ApiCtx,
    /// The session (Cart-Token `user_id`) this call works on.
    pub(crate) sid: String,
    pub(crate) nonce: Option<String>,
    pub(crate) now: i64,
}

/// What a cart route produced.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// Send the session headers (Cart-Token, Nonce...): not for argument validation errors.
    pub(crate) session_headers: bool,
    pub(crate) allow: &'static str,
}

impl Answer {
    pub(crate) fn ok(status: u16, body: &J, allow: &'static str) -> Answer {
        Answer { status, body: serde_json::to_vec(body).unwrap_or_default(), session_headers: true, allow }
    }

    pub(crate) fn error(e: &WpError, allow: &'static str) -> Answer {
        Answer { status: e.status, body: e.body(), session_headers: true, allow }
    }

    /// WordPress argument validation fails before the route runs: no session headers.
    pub(crate) fn invalid(e: &WpError, allow: &'static str) -> Answer {
        Answer { session_headers: false, ..Answer::error(e, allow) }
    }
}

/// `rest_missing_callback_param`.
pub(crate) fn missing(names: &[&str]) -> WpError {
    let mut e = WpError::new(400, "rest_missing_callback_param", &format!("Missing parameter(s): {}", names.join(", ")));
    e.extra.push(("params".into(), J::Arr(names.iter().map(|&n| J::from(n)).collect())));
    e
}

/// `rest_invalid_type` for `name`.
pub(crate) fn type_error(name: &str, ty: &str) -> WpError {
    let message = format!("{name} is not of type {ty}.");
    let mut e = checkout::invalid_param(name, "rest_invalid_type", &message);
    if let Some((_, J::Obj(details))) = e.extra.iter_mut().find(|(k, _)| k == "details") {
        if let Some((_, J::Obj(d))) = details.first_mut() {
            if let Some(data) = d.iter_mut().find(|(k, _)| k == "data") {
                data.1 = J::obj().with("param", name);
            }
        }
    }
    e
}

/// An integer argument (JSON integers and integer strings, as `rest_is_integer` accepts).
pub(crate) fn int_arg(body: &Map<String, Value>, name: &str) -> Result<Option<i64>, WpError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| type_error(name, "integer")),
        Some(Value::String(s)) => s.trim().parse::<i64>().map(Some).map_err(|_| type_error(name, "integer")),
        Some(_) => Err(type_error(name, "integer")),
    }
}

/// A required string argument.
pub(crate) fn str_arg<'b>(body: &'b Map<String, Value>, name: &str) -> Result<&'b str, WpError> {
    match body.get(name) {
        None | Some(Value::Null) => Err(missing(&[name])),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(type_error(name, "string")),
    }
}

impl Call<'_> {
    pub(crate) fn check_nonce(&self) -> Result<(), WpError> {
        match self.nonce.as_deref().map(str::trim) {
            None | Some("") => {
                Err(WpError::new(401, "woocommerce_rest_missing_nonce", "Missing the Nonce header. This endpoint requires a valid nonce."))
            }
            Some(n) if n == self.state.shop.nonce => Ok(()),
            Some(_) => Err(WpError::new(403, "woocommerce_rest_invalid_nonce", "Nonce is invalid.")),
        }
    }

    /// The cart of `session` as the Store API renders it; saves the session (dropping coupons that no longer apply).
    pub(crate) fn cart_answer(
        &self,
        cat: &super::catalogue::Catalogue,
        data: &mut super::shop::ShopData,
        mut session: Session,
        status: u16,
        allow: &'static str,
    ) -> Answer {
        let cur = &self.state.settings.currency;
        let priced = price(cat, &session, &data.coupons, self.now, cur);
        let removed = priced.dropped.clone();
        session.coupons.retain(|c| !removed.iter().any(|(d, _)| d == c));
        let view = View { cat, home: &self.ctx.home, currency: cur };
        let body = cart_json(&view, &session, &priced, &removed);
        save(data, &self.sid, session);
        Answer::ok(status, &body, allow)
    }
}

/// Keeps a session unless it is still blank (a bare `GET /cart` stores nothing).
pub(crate) fn save(data: &mut super::shop::ShopData, sid: &str, session: Session) {
    let blank = session.lines.is_empty()
        && session.coupons.is_empty()
        && session.draft.is_none()
        && session.rate.is_empty()
        && session.billing == super::shop::Address::default()
        && session.shipping == super::shop::Address::default();
    if blank {
        data.sessions.remove(sid);
    } else {
        data.sessions.insert(sid.to_string(), session);
    }
}

fn variation_arg(body: &Map<String, Value>) -> Result<Vec<(String, String)>, WpError> {
    match body.get("variation") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items
            .iter()
            .filter_map(|i| {
                let a = i.get("attribute")?.as_str()?;
                let v = match i.get("value")? {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                Some((a.to_string(), v))
            })
            .collect()),
        Some(_) => Err(type_error("variation", "array")),
    }
}

/// Runs a Store API route (`cart`, `cart/add-item`, `checkout`, ...) for a method and JSON body.
pub(crate) fn dispatch(call: &Call<'_>, method: &Method, route: &str, body: &Value) -> Answer {
    const POST: &str = "POST";
    let empty = Map::new();
    let args = body.as_object().unwrap_or(&empty);
    if route == "checkout" {
        return checkout::route(call, method, args);
    }
    if route == "cart" {
        let cat = call.state.read();
        let mut data = call.state.shop.lock();
        let session = data.sessions.get(&call.sid).cloned().unwrap_or_default();
        return call.cart_answer(&cat, &mut data, session, 200, "GET");
    }
    // Argument validation (before the route runs, so without session headers).
    let op = match parse_op(call, route, args) {
        Ok(op) => op,
        Err(e) if e.code == "rest_no_route" => return Answer { session_headers: false, ..Answer::error(&e, POST) },
        Err(e) => return Answer::invalid(&e, POST),
    };
    if let Err(e) = call.check_nonce() {
        return Answer::error(&e, POST);
    }
    // The read-modify-write of the session happens under the shop lock (catalogue first, then shop).
    let cat = call.state.read();
    let mut data = call.state.shop.lock();
    let mut session = data.sessions.get(&call.sid).cloned().unwrap_or_default();
    match op(&cat, &data, &mut session) {
        Ok(status) => call.cart_answer(&cat, &mut data, session, status, POST),
        Err(e) => Answer::error(&e, POST),
    }
}

type Op = Box<dyn FnOnce(&Catalogue, &ShopData, &mut Session) -> Result<u16, WpError>>;

/// Validates a cart route's arguments and returns the change it makes.
fn parse_op(call: &Call<'_>, route: &str, args: &Map<String, Value>) -> Result<Op, WpError> {
    let now = call.now;
    let cur = call.state.settings.currency.clone();
    Ok(match route {
        "cart/add-item" => {
            let id = int_arg(args, "id")?.unwrap_or(0);
            let quantity = int_arg(args, "quantity")?.unwrap_or(1);
            let variation = variation_arg(args)?;
            Box::new(move |cat, _, s| cart::add_item(cat, s, u64::try_from(id).unwrap_or(0), quantity, &variation).map(|()| 201))
        }
        "cart/update-item" => {
            let key = str_arg(args, "key")?.to_string();
            let quantity = int_arg(args, "quantity")?;
            Box::new(move |cat, _, s| {
                match quantity {
                    Some(q) => cart::update_item(cat, s, &key, q),
                    None => s.lines.iter().any(|l| l.key == key).then_some(()).ok_or_else(cart::invalid_key),
                }
                .map(|()| 200)
            })
        }
        "cart/remove-item" => {
            let key = str_arg(args, "key")?.to_string();
            Box::new(move |_, _, s| cart::remove_item(s, &key).map(|()| 200))
        }
        "cart/apply-coupon" => {
            let code = str_arg(args, "code")?.to_string();
            Box::new(move |cat, data, s| cart::apply_coupon(cat, data, s, &code, now, &cur).map(|()| 200))
        }
        "cart/remove-coupon" => {
            let code = str_arg(args, "code")?.to_string();
            Box::new(move |_, data, s| cart::remove_coupon(data, s, &code).map(|()| 200))
        }
        "cart/update-customer" => {
            let billing = checkout::address_arg(args, "billing_address")?;
            let shipping = checkout::address_arg(args, "shipping_address")?;
            Box::new(move |_, _, s| {
                if let Some(b) = &billing {
                    s.billing.merge(b);
                }
                if let Some(sh) = &shipping {
                    s.shipping.merge(sh);
                }
                Ok(200)
            })
        }
        "cart/select-shipping-rate" => {
            if !args.contains_key("rate_id") {
                return Err(missing(&["rate_id"]));
            }
            let rate = str_arg(args, "rate_id")?.to_string();
            let package = match args.get("package_id") {
                Some(Value::Number(n)) => n.to_string(),
                Some(Value::String(s)) => s.trim().to_string(),
                _ => "0".to_string(),
            };
            Box::new(move |_, _, s| {
                if package == "0" {
                    s.rate = rate;
                }
                Ok(200)
            })
        }
        _ => return Err(WpError::no_route()),
    })
}

/// The session headers WooCommerce adds to cart answers.
pub(crate) fn session_headers(call: &Call<'_>, with_token: bool) -> Vec<(&'static str, String)> {
    let mut h = vec![("nonce", call.state.shop.nonce.clone()), ("nonce-timestamp", call.now.to_string()), ("user-id", "0".to_string())];
    if with_token {
        h.push(("cart-token", call.state.shop.tokens.issue(&call.sid, call.now)));
    }
    h.push(("x-wc-store-api-nonce", call.state.shop.nonce.clone()));
    h
}

pub(crate) fn finish(call: &Call<'_>, a: Answer) -> Response {
    let mut reply = Reply::json(a.status, &J::Null).allow(Some(a.allow));
    reply.body = a.body;
    let mut resp = call.ctx.respond(reply);
    if a.session_headers {
        for (k, v) in session_headers(call, true) {
            if let Ok(v) = HeaderValue::from_str(&v) {
                resp.headers_mut().insert(k, v);
            }
        }
    }
    resp
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Every Store API cart, checkout and batch route.
pub(crate) async fn store_route(State(state): State<Arc<StoreState>>, req: Request) -> Response {
    let Some(ctx) = req.extensions().get::<ApiCtx>().cloned() else {
        return Response::new(Body::empty());
    };
    let conn = req.extensions().get::<ConnectInfo<ConnInfo>>().map(|c| c.0.clone());
    let method = req.method().clone();
    let route = req.uri().path().strip_prefix(STORE).unwrap_or("").trim_matches('/').to_string();
    let headers = req.headers().clone();
    let bytes = to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    let token = header(&headers, "cart-token");
    let call = Call {
        state: &state,
        ctx: &ctx,
        sid: state.shop.session_id(token.as_deref()),
        nonce: header(&headers, "nonce").or_else(|| header(&headers, "x-wc-store-api-nonce")),
        now: checkout::now(),
    };
    let body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(_) => {
                let e = WpError::new(400, "rest_invalid_json", "Invalid JSON body passed.");
                return finish(&call, Answer::invalid(&e, if method == Method::GET { "GET" } else { "POST" }));
            }
        }
    };
    if route == "batch" {
        return super::checkout::batch(&call, &body);
    }
    let answer = dispatch(&call, &method, &route, &body);
    let placed = route == "checkout" && method == Method::POST && answer.status == 200;
    if placed && state.shop.lose_checkout.load(std::sync::atomic::Ordering::SeqCst) {
        return super::server::dropped(conn.as_ref());
    }
    finish(&call, answer)
}
