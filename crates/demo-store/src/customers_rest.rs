//! REST API v3 customers (`/wp-json/wc/v3/customers`): the customer schema of the `v3-22`/`v3-23` captures, the filtered and paged list, and the single read (writes are in `customers_write.rs`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use axum::Extension;

use super::accounts::User;
use super::cart_render::int;
use super::checkout::invalid_param;
use super::http::{page_count, rest_paging, ApiCtx, Reply, WpError, J};
use super::params::{arg, int_param, validate, Arg, Kind};
use super::render::iso;
use super::server::Caller;
use super::shop::{Address, ShopData};
use super::user_text::is_email;
use super::wp::wp_parse_id_list;
use super::StoreState;

pub(crate) const ITEM_ALLOW: Option<&str> = Some("GET, POST, PUT, PATCH, DELETE");
pub(crate) const COLLECTION_ALLOW: Option<&str> = Some("GET, POST");
const ROLES: &[&str] = &["all", "administrator", "editor", "author", "contributor", "subscriber", "customer", "shop_manager"];

const LIST_ARGS: &[Arg] = &[
    arg("page", Kind::Int { min: Some(1), max: None }),
    arg("per_page", Kind::Int { min: Some(1), max: Some(100) }),
    arg("search", Kind::Str),
    arg("exclude", Kind::AnyList),
    arg("include", Kind::AnyList),
    arg("offset", Kind::Int { min: None, max: None }),
    arg("order", Kind::Enum(&["asc", "desc"])),
    arg("orderby", Kind::Enum(&["id", "include", "name", "registered_date"])),
    arg("email", Kind::Str),
    arg("role", Kind::Enum(ROLES)),
];

/// A WooCommerce customer address in the customer schema's member order (city, postcode, country, state).
fn address_json(a: &Address, with_email: bool) -> J {
    let mut j = J::obj()
        .with("first_name", a.first_name.as_str())
        .with("last_name", a.last_name.as_str())
        .with("company", a.company.as_str())
        .with("address_1", a.address_1.as_str())
        .with("address_2", a.address_2.as_str())
        .with("city", a.city.as_str())
        .with("postcode", a.postcode.as_str())
        .with("country", a.country.as_str())
        .with("state", a.state.as_str());
    if with_email {
        j = j.with("email", a.email.as_str());
    }
    j.with("phone", a.phone.as_str())
}

/// `get_avatar_url()` for an email (WordPress 6.5 uses a numbered http host unless the request is HTTPS).
fn avatar_url(email: &str, ssl: bool) -> String {
    let hash = super::tokens::md5_hex(email.trim().to_lowercase().as_bytes());
    let base = if ssl {
        "https://secure.gravatar.com".to_string()
    } else {
        let server = hash.chars().next().and_then(|c| c.to_digit(16)).unwrap_or(0) % 3;
        format!("http://{server}.gravatar.com")
    };
    format!("{base}/avatar/{hash}?s=96&d=mm&r=g")
}

/// `wc_paying_customer`: set once an order of theirs is paid (processing) or completed.
fn is_paying(data: &ShopData, id: u64) -> bool {
    data.orders.values().any(|o| o.customer_id == id && matches!(o.status.as_str(), "processing" | "completed"))
}

/// The REST v3 customer schema.
pub(crate) fn customer_json(u: &User, data: &ShopData, ctx: &ApiCtx) -> J {
    let modified = u.modified.map_or(J::Null, |t| J::Str(iso(t)));
    let href = |p: String| J::Arr(vec![J::obj().with("href", ctx.rest_url(&p))]);
    J::obj()
        .with("id", int(u.id))
        .with("date_created", iso(u.registered))
        .with("date_created_gmt", iso(u.registered))
        .with("date_modified", modified.clone())
        .with("date_modified_gmt", modified)
        .with("email", u.email.as_str())
        .with("first_name", u.first_name.as_str())
        .with("last_name", u.last_name.as_str())
        .with("role", u.role.as_str())
        .with("username", u.login.as_str())
        .with("billing", address_json(&u.billing, true))
        .with("shipping", address_json(&u.shipping, false))
        .with("is_paying_customer", is_paying(data, u.id))
        .with("avatar_url", avatar_url(&u.email, ctx.home.starts_with("https://")))
        .with("meta_data", J::Arr(Vec::new()))
        .with(
            "_links",
            J::obj().with("self", href(format!("/wc/v3/customers/{}", u.id))).with("collection", href("/wc/v3/customers".into())),
        )
}

/// `WP_User_Query` search columns: `@` → email; numeric → login or exact ID; otherwise login, url, email, nicename, display name.
fn matches_search(u: &User, needle: &str) -> bool {
    let n = needle.trim_matches('*').to_lowercase();
    let has = |s: &str| s.to_lowercase().contains(&n);
    if n.contains('@') {
        has(&u.email)
    } else if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
        has(&u.login) || u.id.to_string() == n
    } else {
        has(&u.login) || has(&u.email) || has(&u.nicename) || has(&u.display_name)
    }
}

/// `GET /customers`: role `customer` unless `role=all`, sorted by display name unless told otherwise.
fn list(state: &StoreState, ctx: &ApiCtx, caller: &Caller) -> Response {
    let q = &ctx.query;
    let bad_email = q.get_str("email").filter(|e| !e.is_empty() && !is_email(e));
    let checked = validate(q, LIST_ARGS).and_then(|()| match bad_email {
        Some(_) => Err(invalid_param("email", "rest_invalid_email", "Invalid email address.")),
        None => Ok(()),
    });
    if let Err(e) = checked {
        return ctx.respond(Reply::error(&e).allow(COLLECTION_ALLOW));
    }
    if caller.0.is_none() {
        return ctx.error(&WpError::new(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."));
    }
    let role = q.get_str("role").unwrap_or("customer");
    let email = q.get_str("email").filter(|e| !e.is_empty());
    let search = q.get_str("search").filter(|s| !s.is_empty());
    let include = q.get("include").map(wp_parse_id_list).unwrap_or_default();
    let exclude = q.get("exclude").map(wp_parse_id_list).unwrap_or_default();
    let data = state.shop.lock();
    let mut users: Vec<&User> = data
        .accounts
        .users
        .values()
        .filter(|u| role == "all" || u.role == role)
        .filter(|u| email.is_none_or(|e| u.email.eq_ignore_ascii_case(e)))
        .filter(|u| email.is_some() || search.is_none_or(|s| matches_search(u, s)))
        .filter(|u| include.is_empty() || include.contains(&u.id))
        .filter(|u| !exclude.contains(&u.id))
        .collect();
    match q.get_str("orderby").unwrap_or("name") {
        "id" => users.sort_by_key(|u| u.id),
        "registered_date" => users.sort_by_key(|u| (u.registered, u.id)),
        "include" => users.sort_by_key(|u| include.iter().position(|&i| i == u.id)),
        _ => users.sort_by_key(|u| (u.display_name.to_lowercase(), u.id)),
    }
    if q.get_str("order") == Some("desc") {
        users.reverse();
    }
    let per_page = u64::try_from(int_param(q, "per_page", 10)).unwrap_or(10).clamp(1, 100);
    let offset = match int_param(q, "offset", 0) {
        o if o > 0 => u64::try_from(o).unwrap_or(0),
        _ => (u64::try_from(int_param(q, "page", 1)).unwrap_or(1).max(1) - 1) * per_page,
    };
    let total = users.len() as u64;
    // `ceil( offset / per_page + 1 )`, as WooCommerce works the page out for the headers.
    let page = offset / per_page + 1 + u64::from(offset % per_page != 0);
    let items: Vec<J> = users
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(100))
        .map(|u| customer_json(u, &data, ctx))
        .collect();
    let paging = rest_paging(ctx, "/wc/v3/customers", page, total, page_count(total, per_page));
    ctx.respond(Reply::json(200, &J::Arr(items)).allow(COLLECTION_ALLOW).paging(paging))
}

/// `GET /customers/{id}`: permission first (any key with read access), then 404 for a missing user.
fn get(state: &StoreState, ctx: &ApiCtx, caller: &Caller, id: Option<u64>) -> Response {
    if caller.0.is_none() {
        return ctx.error(&WpError::new(401, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."));
    }
    let data = state.shop.lock();
    match id.and_then(|id| data.accounts.users.get(&id)) {
        Some(u) => ctx.respond(Reply::json(200, &customer_json(u, &data, ctx)).allow(ITEM_ALLOW)),
        None => ctx.respond(Reply::error(&WpError::new(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")).allow(ITEM_ALLOW)),
    }
}

/// `GET|POST /customers`.
pub(crate) async fn collection(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    method: Method,
    body: Bytes,
) -> Response {
    if method == Method::POST {
        super::customers_write::create(&state, &ctx, &caller, &body)
    } else {
        list(&state, &ctx, &caller)
    }
}

/// `GET|PUT|PATCH|POST /customers/{id}` (the route only matches digits, as WordPress's `(?P<id>[\d]+)`).
pub(crate) async fn item(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    method: Method,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return ctx.error(&WpError::no_route());
    }
    let id = raw.parse::<u64>().ok();
    if matches!(method, Method::GET | Method::HEAD) {
        get(&state, &ctx, &caller, id)
    } else {
        super::customers_write::update(&state, &ctx, &caller, id, &body)
    }
}
