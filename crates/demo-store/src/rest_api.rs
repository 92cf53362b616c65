//! REST API v3 (`/wp-json/wc/v3`) product routes: list, single, update, variations and categories, with WooCommerce's permission errors.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use axum::Extension;

use super::catalogue::{ItemRef, Taxonomy};
use super::filters::rest_products;
use super::http::{page_count, rest_paging, ApiCtx, Reply, WpError, J};
use super::params::{arg, int_param, php_bool, validate, Arg, Kind};
use super::query::PostTypes;
use super::rest_render::RestView;
use super::rest_shapes::{RestProduct, RestVariation};
use super::rest_update::parse_patch_with;
use super::server::Caller;
use super::terms::{self, TermListing};
use super::StoreState;

const ORDER: &[&str] = &["asc", "desc"];
const STOCK: &[&str] = &["instock", "outofstock", "onbackorder"];
const ITEM_ALLOW: Option<&str> = Some("GET, POST, PUT, PATCH, DELETE");
const COLLECTION_ALLOW: Option<&str> = Some("GET, POST");

const PRODUCT_ARGS: &[Arg] = &[
    arg("page", Kind::Int { min: Some(1), max: None }),
    arg("per_page", Kind::Int { min: Some(1), max: Some(100) }),
    arg("search", Kind::Str),
    arg("after", Kind::Date),
    arg("before", Kind::Date),
    arg("modified_after", Kind::Date),
    arg("modified_before", Kind::Date),
    arg("dates_are_gmt", Kind::Bool),
    arg("offset", Kind::Int { min: None, max: None }),
    arg("order", Kind::Enum(ORDER)),
    arg("orderby", Kind::Enum(&["date", "modified", "id", "include", "title", "slug", "price", "popularity", "rating", "menu_order"])),
    arg("slug", Kind::Str),
    arg("status", Kind::Enum(&["any", "future", "trash", "draft", "pending", "private", "publish"])),
    arg("type", Kind::Enum(&["simple", "grouped", "external", "variable"])),
    arg("sku", Kind::Str),
    arg("featured", Kind::Bool),
    arg("category", Kind::Str),
    arg("tag", Kind::Str),
    arg("attribute", Kind::Str),
    arg("attribute_term", Kind::Str),
    arg("on_sale", Kind::Bool),
    arg("min_price", Kind::Str),
    arg("max_price", Kind::Str),
    arg("stock_status", Kind::Enum(STOCK)),
    arg("virtual", Kind::Bool),
    arg("downloadable", Kind::Bool),
];

const CATEGORY_ARGS: &[Arg] = &[
    arg("page", Kind::Int { min: Some(1), max: None }),
    arg("per_page", Kind::Int { min: Some(1), max: Some(100) }),
    arg("search", Kind::Str),
    arg("order", Kind::Enum(ORDER)),
    arg("orderby", Kind::Enum(&["id", "include", "name", "slug", "term_group", "description", "count"])),
    arg("hide_empty", Kind::Bool),
    arg("parent", Kind::Int { min: None, max: None }),
    arg("product", Kind::Int { min: None, max: None }),
    arg("slug", Kind::Str),
];

fn denied(code: &str, message: &str) -> WpError {
    // rest_authorization_required_code(): 401 when nobody is logged in.
    WpError::new(401, code, message)
}

fn view<'a>(state: &'a StoreState, cat: &'a super::catalogue::Catalogue, ctx: &'a ApiCtx) -> RestView<'a> {
    RestView { cat, home: &ctx.home, currency: &state.settings.currency }
}

fn now() -> i64 {
    (super::auth::system_clock())()
}

/// `GET /products`.
pub(crate) async fn products(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
) -> Response {
    if caller.0.is_none() {
        return ctx.error(&denied("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."));
    }
    if let Err(e) = validate(&ctx.query, PRODUCT_ARGS) {
        return ctx.respond(Reply::error(&e).allow(COLLECTION_ALLOW));
    }
    let cat = state.read();
    let q = rest_products(&cat, &ctx.query, state.settings.currency.minor_unit);
    let items = cat.query(&q.filter, q.order, q.desc);
    let total = items.len() as u64;
    let v = view(&state, &cat, &ctx);
    let page: Vec<RestProduct> = items[q.window(items.len())].iter().map(|&i| render_item(&v, &cat, i)).collect();
    let paging = rest_paging(&ctx, "/wc/v3/products", q.page, total, page_count(total, q.per_page));
    ctx.respond(Reply::json(200, &page).allow(COLLECTION_ALLOW).paging(paging))
}

/// A product, or a variation in the product schema.
fn render_item(v: &RestView<'_>, cat: &super::catalogue::Catalogue, item: ItemRef) -> RestProduct {
    match item {
        ItemRef::Product(p) => v.product(&cat.products[p as usize]),
        ItemRef::Variation(x) => v.variation_as_product(&cat.variations[x as usize]),
    }
}

fn parse_id(raw: &str) -> Option<u64> {
    raw.parse::<u64>().ok()
}

/// `GET /products/{id}`. Permission checks pass for a missing product, so anyone gets its 404.
pub(crate) async fn product(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let cat = state.read();
    // `wc_get_product()` also loads variations, so their ids work here too.
    let found = parse_id(&id).and_then(|id| cat.item(id));
    match (found, caller.0.is_some()) {
        (Some(_), false) => ctx.error(&denied("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")),
        (Some(item), true) => {
            let body = render_item(&view(&state, &cat, &ctx), &cat, item);
            ctx.respond(Reply::json(200, &body).allow(ITEM_ALLOW))
        }
        (None, _) => ctx.respond(Reply::error(&WpError::new(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")).allow(ITEM_ALLOW)),
    }
}

/// `/products/{id}`: read or update by method.
pub(crate) async fn product_item(
    state: State<Arc<StoreState>>,
    ctx: Extension<ApiCtx>,
    caller: Extension<Caller>,
    method: Method,
    id: Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::GET || method == Method::HEAD {
        product(state, ctx, caller, id).await
    } else {
        update_product(state, ctx, caller, id, headers, body).await
    }
}

/// `/products/{id}/variations/{variation_id}`: read or update by method.
pub(crate) async fn variation_item(
    state: State<Arc<StoreState>>,
    ctx: Extension<ApiCtx>,
    caller: Extension<Caller>,
    method: Method,
    ids: Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method == Method::GET || method == Method::HEAD {
        variation(state, ctx, caller, ids).await
    } else {
        update_variation(state, ctx, caller, ids, headers, body).await
    }
}

/// `PUT|PATCH|POST /products/{id}`.
pub(crate) async fn update_product(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let exists = parse_id(&id).is_some_and(|id| state.read().item(id).is_some());
    if exists && caller.0.is_none() {
        return ctx.error(&denied("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."));
    }
    let patch = match parse_patch_with(&headers, &body, state.settings.currency.minor_unit) {
        Ok(p) => p,
        Err(e) => return ctx.respond(Reply::error(&e).allow(ITEM_ALLOW)),
    };
    let Some(pid) = parse_id(&id).filter(|_| exists) else {
        return ctx.respond(Reply::error(&WpError::new(400, "woocommerce_rest_product_invalid_id", "Invalid ID.")).allow(ITEM_ALLOW));
    };
    let mut cat = state.write();
    match cat.patch(pid, &patch, now()) {
        Ok(item) => {
            let body = render_item(&view(&state, &cat, &ctx), &cat, item);
            ctx.respond(Reply::json(200, &body).allow(ITEM_ALLOW))
        }
        Err(e) => ctx.respond(Reply::error(&e).allow(ITEM_ALLOW)),
    }
}

/// `GET /products/{id}/variations`.
pub(crate) async fn variations(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    if caller.0.is_none() {
        return ctx.error(&denied("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."));
    }
    let args: Vec<Arg> =
        PRODUCT_ARGS.iter().filter(|a| !matches!(a.name, "type" | "category" | "tag" | "featured")).map(|a| arg(a.name, a.kind)).collect();
    if let Err(e) = validate(&ctx.query, &args) {
        return ctx.respond(Reply::error(&e).allow(COLLECTION_ALLOW));
    }
    let cat = state.read();
    let mut q = rest_products(&cat, &ctx.query, state.settings.currency.minor_unit);
    q.filter.post_types = PostTypes::Variations;
    q.filter.parent_in = vec![parse_id(&id).and_then(|i| u32::try_from(i).ok()).unwrap_or(0)];
    let items = cat.query(&q.filter, q.order, q.desc);
    let total = items.len() as u64;
    let v = view(&state, &cat, &ctx);
    let page: Vec<RestVariation> = items[q.window(items.len())]
        .iter()
        .filter_map(|&i| match i {
            ItemRef::Variation(x) => Some(v.variation(&cat.variations[x as usize])),
            ItemRef::Product(_) => None,
        })
        .collect();
    let paging = rest_paging(&ctx, &format!("/wc/v3/products/{id}/variations"), q.page, total, page_count(total, q.per_page));
    ctx.respond(Reply::json(200, &page).allow(COLLECTION_ALLOW).paging(paging))
}

/// The variation `vid` of product `pid`, if both exist and belong together.
fn find_variation(cat: &super::catalogue::Catalogue, pid: &str, vid: &str) -> Option<u32> {
    match cat.item(parse_id(vid)?)? {
        ItemRef::Variation(x) if u64::from(cat.parent_of(&cat.variations[x as usize]).id) == parse_id(pid)? => Some(x),
        _ => None,
    }
}

fn invalid_variation(status: u16) -> WpError {
    WpError::new(status, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
}

/// `GET /products/{id}/variations/{variation_id}`.
pub(crate) async fn variation(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    Path((pid, vid)): Path<(String, String)>,
) -> Response {
    let cat = state.read();
    match (find_variation(&cat, &pid, &vid), caller.0.is_some()) {
        (Some(_), false) => ctx.error(&denied("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")),
        (Some(x), true) => {
            ctx.respond(Reply::json(200, &view(&state, &cat, &ctx).variation(&cat.variations[x as usize])).allow(ITEM_ALLOW))
        }
        (None, _) => ctx.respond(Reply::error(&invalid_variation(404)).allow(ITEM_ALLOW)),
    }
}

/// `PUT|PATCH|POST /products/{id}/variations/{variation_id}`.
pub(crate) async fn update_variation(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    Path((pid, vid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let found = find_variation(&state.read(), &pid, &vid);
    if found.is_some() && caller.0.is_none() {
        return ctx.error(&denied("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."));
    }
    let patch = match parse_patch_with(&headers, &body, state.settings.currency.minor_unit) {
        Ok(p) => p,
        Err(e) => return ctx.respond(Reply::error(&e).allow(ITEM_ALLOW)),
    };
    let Some(x) = found else {
        return ctx.respond(Reply::error(&invalid_variation(400)).allow(ITEM_ALLOW));
    };
    let mut cat = state.write();
    let id = cat.variations[x as usize].id;
    match cat.patch(id.into(), &patch, now()) {
        Ok(_) => {
            let body = view(&state, &cat, &ctx).variation(&cat.variations[x as usize]);
            ctx.respond(Reply::json(200, &body).allow(ITEM_ALLOW))
        }
        Err(e) => ctx.respond(Reply::error(&e).allow(ITEM_ALLOW)),
    }
}

/// `GET /products/categories`.
pub(crate) async fn categories(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
) -> Response {
    if caller.0.is_none() {
        return ctx.error(&denied("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."));
    }
    if let Err(e) = validate(&ctx.query, CATEGORY_ARGS) {
        return ctx.respond(Reply::error(&e).allow(COLLECTION_ALLOW));
    }
    let cat = state.read();
    let counts = terms::counts(&cat, Taxonomy::Category);
    let q = &ctx.query;
    let mut query = q.clone();
    // `product=ID` limits to that product's categories.
    if let Some(pid) = q.get_str("product").and_then(super::params::php_int) {
        let cats = u64::try_from(pid)
            .ok()
            .and_then(|p| cat.product_by_id(p))
            .map(|p| p.cats.iter().map(u32::to_string).collect::<Vec<_>>().join(","));
        query.set("include".into(), super::wp::PhpValue::Str(cats.filter(|c| !c.is_empty()).unwrap_or_else(|| "0".into())));
    }
    let opts = TermListing {
        hide_empty: php_bool(q.get("hide_empty")).unwrap_or(false),
        orderby: q.get_str("orderby").unwrap_or("name").to_string(),
        desc: q.get_str("order") == Some("desc"),
        page: u64::try_from(int_param(q, "page", 1)).unwrap_or(1).max(1),
        per_page: u64::try_from(int_param(q, "per_page", 10)).unwrap_or(10).max(1),
    };
    let (list, total) = terms::list(&cat, Taxonomy::Category, &query, &opts, &counts);
    let v = view(&state, &cat, &ctx);
    let body = J::Arr(list.iter().map(|t| v.category(t, counts.get(&t.id).copied().unwrap_or(0))).collect());
    let paging = rest_paging(&ctx, "/wc/v3/products/categories", opts.page, total, page_count(total, opts.per_page));
    ctx.respond(Reply::json(200, &body).allow(COLLECTION_ALLOW).paging(paging))
}

/// `GET /products/categories/{id}`.
pub(crate) async fn category(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let cat = state.read();
    let term = id.parse::<u32>().ok().and_then(|id| cat.term(id)).filter(|t| t.taxonomy == Taxonomy::Category);
    match (term, caller.0.is_some()) {
        (None, _) => ctx.respond(Reply::error(&WpError::new(404, "woocommerce_rest_term_invalid", "Resource does not exist."))),
        (Some(_), false) => ctx.error(&denied("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")),
        (Some(t), true) => {
            let counts = terms::counts(&cat, Taxonomy::Category);
            let body = view(&state, &cat, &ctx).category(t, counts.get(&t.id).copied().unwrap_or(0));
            ctx.respond(Reply::json(200, &body).allow(ITEM_ALLOW))
        }
    }
}
