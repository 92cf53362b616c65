//! REST API v3 customer writes: `POST /customers` (argument checks, then `wc_create_new_customer`'s errors) and `PUT|PATCH|POST /customers/{id}` (partial updates), as WooCommerce 8.9 answers them.

use axum::response::Response;
use serde_json::{Map, Value};

use super::accounts::User;
use super::cart_routes::missing;
use super::customers_rest::{customer_json, COLLECTION_ALLOW, ITEM_ALLOW};
use super::http::{ApiCtx, Reply, WpError, J};
use super::server::Caller;
use super::user_text::{is_email, sanitize_text_field, sanitize_user, valid_username};
use super::StoreState;

const ADDRESS_FIELDS: &[&str] =
    &["first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country", "email", "phone"];

/// One argument that failed `rest_validate_value_from_schema`.
struct Problem {
    param: &'static str,
    code: &'static str,
    message: String,
    data: J,
}

fn type_problem(param: &'static str, path: &str, ty: &str) -> Problem {
    Problem { param, code: "rest_invalid_type", message: format!("{path} is not of type {ty}."), data: J::obj().with("param", path) }
}

fn email_problem(param: &'static str) -> Problem {
    Problem { param, code: "rest_invalid_email", message: "Invalid email address.".into(), data: J::Null }
}

/// The address object's members must be strings, and its `email` a valid address.
fn check_address(name: &'static str, v: &Value) -> Option<Problem> {
    let Value::Object(obj) = v else {
        return Some(type_problem(name, name, "object"));
    };
    for field in ADDRESS_FIELDS.iter().filter(|f| name == "billing" || **f != "email") {
        match obj.get(*field) {
            None => {}
            Some(Value::String(s)) if *field == "email" && !is_email(s) => return Some(email_problem(name)),
            Some(Value::String(_)) => {}
            Some(_) => return Some(type_problem(name, &format!("{name}[{field}]"), "string")),
        }
    }
    None
}

/// The schema checks WordPress runs before the route (`email` only has its format checked on update:
/// the create route redeclares it as a plain string).
fn check_args(args: &Map<String, Value>, creating: bool) -> Result<(), WpError> {
    let mut problems = Vec::new();
    for name in ["email", "first_name", "last_name", "username", "password", "billing", "shipping"] {
        let problem = match args.get(name) {
            None | Some(Value::Null) => None,
            Some(v) if matches!(name, "billing" | "shipping") => check_address(name, v),
            Some(Value::String(s)) if name == "email" && !creating && !is_email(s) => Some(email_problem("email")),
            Some(Value::String(_)) => None,
            Some(_) => Some(type_problem(name, name, "string")),
        };
        problems.extend(problem);
    }
    if problems.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = problems.iter().map(|p| p.param).collect();
    let mut e = WpError::new(400, "rest_invalid_param", &format!("Invalid parameter(s): {}", names.join(", ")));
    e.extra.push(("params".into(), J::Obj(problems.iter().map(|p| (p.param.to_string(), J::from(p.message.as_str()))).collect())));
    e.extra.push((
        "details".into(),
        J::Obj(
            problems
                .into_iter()
                .map(|p| (p.param.to_string(), J::obj().with("code", p.code).with("message", p.message).with("data", p.data)))
                .collect(),
        ),
    ));
    Err(e)
}

fn body_args(body: &[u8]) -> Result<Map<String, Value>, WpError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Ok(Map::new()),
        Err(_) => Err(WpError::new(400, "rest_invalid_json", "Invalid JSON body passed.")),
    }
}

fn text<'a>(args: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    args.get(name).and_then(Value::as_str)
}

/// `update_customer_meta_fields`: names (`wc_clean`), then the address members that were sent.
fn apply_meta(u: &mut User, args: &Map<String, Value>) {
    if let Some(v) = text(args, "first_name") {
        u.first_name = sanitize_text_field(v);
    }
    if let Some(v) = text(args, "last_name") {
        u.last_name = sanitize_text_field(v);
    }
    for (name, address) in [("billing", &mut u.billing), ("shipping", &mut u.shipping)] {
        if let Some(Value::Object(obj)) = args.get(name) {
            let known: Map<String, Value> =
                obj.iter().filter(|(k, _)| ADDRESS_FIELDS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
            address.merge(&known);
            if name == "shipping" {
                address.email.clear();
            }
        }
    }
}

fn error(ctx: &ApiCtx, e: &WpError, allow: Option<&'static str>) -> Response {
    ctx.respond(Reply::error(e).allow(allow))
}

/// `POST /customers`.
pub(crate) fn create(state: &StoreState, ctx: &ApiCtx, caller: &Caller, body: &[u8]) -> Response {
    let fail = |e: WpError| error(ctx, &e, COLLECTION_ALLOW);
    let args = match body_args(body) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if matches!(args.get("email"), None | Some(Value::Null)) {
        return fail(missing(&["email"]));
    }
    if let Err(e) = check_args(&args, true) {
        return fail(e);
    }
    if caller.0.is_none() {
        return ctx.error(&WpError::new(401, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."));
    }
    let email = text(&args, "email").unwrap_or("").trim().to_string();
    // `WC_Customer::set_email` throws before anything is saved.
    if !email.is_empty() && !is_email(&email) {
        return fail(WpError::new(400, "customer_invalid_email", "Invalid email address"));
    }
    let mut data = state.shop.lock();
    let accounts = &mut data.accounts;
    // `wc_create_new_customer`, in its order.
    if email.is_empty() {
        return fail(WpError::new(400, "registration-error-invalid-email", "Please provide a valid email address."));
    }
    if accounts.by_email(&email).is_some() {
        return fail(WpError::new(
            400,
            "registration-error-email-exists",
            "An account is already registered with your email address. <a href=\"#\" class=\"showlogin\">Please log in.</a>",
        ));
    }
    let username = match text(&args, "username").filter(|u| !u.is_empty()) {
        Some(u) => sanitize_user(u, false),
        None => accounts.generate_username(&email),
    };
    if !valid_username(&username) {
        return fail(WpError::new(400, "registration-error-invalid-username", "Please enter a valid account username."));
    }
    if accounts.by_login(&username).is_some() {
        return fail(WpError::new(
            400,
            "registration-error-username-exists",
            "An account is already registered with that username. Please choose another.",
        ));
    }
    // `woocommerce_registration_generate_password` is on in a stock store: no password means a random one.
    let password = text(&args, "password").filter(|p| !p.is_empty()).map_or_else(|| super::tokens::random_hex(12), str::to_string);
    let id = accounts.insert(&username, &email, &password, super::checkout::now());
    if let Some(u) = accounts.users.get_mut(&id) {
        apply_meta(u, &args);
    }
    let Some(user) = data.accounts.users.get(&id) else {
        return fail(WpError::new(400, "woocommerce_rest_cannot_create", "This resource cannot be created."));
    };
    let mut reply = Reply::json(201, &customer_json(user, &data, ctx)).allow(COLLECTION_ALLOW);
    reply.location = Some(ctx.rest_url(&format!("/wc/v3/customers/{id}")));
    ctx.respond(reply)
}

/// `PUT|PATCH|POST /customers/{id}`.
pub(crate) fn update(state: &StoreState, ctx: &ApiCtx, caller: &Caller, id: Option<u64>, body: &[u8]) -> Response {
    let fail = |e: WpError| error(ctx, &e, ITEM_ALLOW);
    let args = match body_args(body).and_then(|a| check_args(&a, false).map(|()| a)) {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    if caller.0.is_none() {
        return ctx.error(&WpError::new(401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."));
    }
    let mut data = state.shop.lock();
    let Some(current) = id.and_then(|id| data.accounts.users.get(&id)) else {
        return fail(WpError::new(400, "woocommerce_rest_invalid_id", "Invalid resource ID."));
    };
    let (uid, current_email, current_login) = (current.id, current.email.clone(), current.login.clone());
    let email = text(&args, "email").filter(|e| !e.is_empty());
    // `email_exists()` is case-insensitive, the comparison with the customer's own address is not.
    if email.is_some_and(|e| data.accounts.by_email(e).is_some() && e != current_email) {
        return fail(WpError::new(400, "woocommerce_rest_customer_invalid_email", "Email address is invalid."));
    }
    if text(&args, "username").is_some_and(|u| !u.is_empty() && u != current_login) {
        return fail(WpError::new(400, "woocommerce_rest_customer_invalid_argument", "Username isn't editable."));
    }
    if let Some(u) = data.accounts.users.get_mut(&uid) {
        if let Some(e) = email {
            u.email = e.trim().to_string();
        }
        if let Some(p) = text(&args, "password").filter(|p| !p.is_empty()) {
            u.set_password(p);
        }
        apply_meta(u, &args);
        u.modified = Some(super::checkout::now());
    }
    match data.accounts.users.get(&uid) {
        Some(u) => ctx.respond(Reply::json(200, &customer_json(u, &data, ctx)).allow(ITEM_ALLOW)),
        None => fail(WpError::new(400, "woocommerce_rest_invalid_id", "Invalid resource ID.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_problems_are_collected_in_argument_order() {
        let args: Map<String, Value> =
            serde_json::from_str(r#"{"email":"bad","first_name":5,"billing":{"email":"nope"},"shipping":[]}"#).unwrap_or_default();
        let body = check_args(&args, false).err().map(|e| String::from_utf8_lossy(&e.body()).into_owned()).unwrap_or_default();
        assert!(body.contains(r#""message":"Invalid parameter(s): email, first_name, billing, shipping""#), "{body}");
        assert!(body.contains(r#""first_name":"first_name is not of type string.""#), "{body}");
        assert!(
            body.contains(
                r#""shipping":{"code":"rest_invalid_type","message":"shipping is not of type object.","data":{"param":"shipping"}}"#
            ),
            "{body}"
        );
        assert!(check_args(&args, true).is_err());
        let ok: Map<String, Value> = serde_json::from_str(r#"{"email":"bad","username":"x"}"#).unwrap_or_default();
        assert!(check_args(&ok, true).is_ok(), "create leaves the email format to WC_Customer::set_email");
    }
}
