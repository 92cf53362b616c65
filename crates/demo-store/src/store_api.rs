//! Store API (`/wp-json/wc/store/v1`) catalogue routes: products, product by id or slug, collection data, categories, tags, attributes and reviews.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;

use super::catalogue::{ItemRef, ProductStatus, Taxonomy};
use super::filters::{store_products, ListQuery};
use super::http::{page_count, store_paging, ApiCtx, Reply, WpError, J};
use super::params::{arg, int_param, php_bool, validate, Arg, Kind};
use super::store_render::{StoreProduct, View};
use super::terms::{self, TermListing};
use super::StoreState;

const ORDERBY: &[&str] =
    &["date", "modified", "id", "include", "title", "slug", "price", "popularity", "rating", "menu_order", "comment_count"];
const TYPES: &[&str] = &["simple", "grouped", "external", "variable", "variation"];
const STOCK: &[&str] = &["instock", "outofstock", "onbackorder"];
const OPS: &[&str] = &["in", "not_in", "and"];
const ORDER: &[&str] = &["asc", "desc"];

/// `/products` arguments that WordPress validates (WooCommerce 8.9: `per_page` 0..=100).
pub(crate) const PRODUCT_ARGS: &[Arg] = &[
    arg("page", Kind::Int { min: Some(1), max: None }),
    arg("per_page", Kind::Int { min: Some(0), max: Some(100) }),
    arg("search", Kind::Str),
    arg("slug", Kind::Str),
    arg("after", Kind::Date),
    arg("before", Kind::Date),
    arg("date_column", Kind::Enum(&["date", "date_gmt", "modified", "modified_gmt"])),
    arg("offset", Kind::Int { min: None, max: None }),
    arg("order", Kind::Enum(ORDER)),
    arg("orderby", Kind::Enum(ORDERBY)),
    arg("type", Kind::Enum(TYPES)),
    arg("sku", Kind::Str),
    arg("featured", Kind::Bool),
    arg("category", Kind::Str),
    arg("category_operator", Kind::Enum(OPS)),
    arg("tag", Kind::Str),
    arg("tag_operator", Kind::Enum(OPS)),
    arg("on_sale", Kind::Bool),
    arg("min_price", Kind::Str),
    arg("max_price", Kind::Str),
    arg("stock_status", Kind::EnumList(STOCK)),
    arg("attributes", Kind::AnyList),
    arg("attribute_relation", Kind::Enum(&["in", "and"])),
    arg("catalog_visibility", Kind::Enum(&["any", "visible", "catalog", "search", "hidden"])),
];

fn term_args(with_menu_order: bool) -> Vec<Arg> {
    vec![
        arg("page", Kind::Int { min: Some(1), max: None }),
        arg("per_page", Kind::Int { min: Some(0), max: None }),
        arg("search", Kind::Str),
        arg("order", Kind::Enum(ORDER)),
        arg("orderby", Kind::Enum(if with_menu_order { &["name", "slug", "count", "menu_order"] } else { &["name", "slug", "count"] })),
        arg("hide_empty", Kind::Bool),
        arg("parent", Kind::Int { min: None, max: None }),
    ]
}

const GET: Option<&str> = Some("GET");

pub(crate) fn fail(ctx: &ApiCtx, e: &WpError) -> Response {
    ctx.respond(Reply::error(e).allow(GET))
}

fn view<'a>(state: &'a StoreState, cat: &'a super::catalogue::Catalogue, ctx: &'a ApiCtx) -> View<'a> {
    View { cat, home: &ctx.home, currency: &state.settings.currency }
}

/// `GET /products`.
pub(crate) async fn products(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>) -> Response {
    if let Err(e) = validate(&ctx.query, PRODUCT_ARGS) {
        return fail(&ctx, &e);
    }
    let cat = state.read();
    let q: ListQuery = match store_products(&cat, &ctx.query, None) {
        Ok(q) => q,
        Err(e) => return fail(&ctx, &e),
    };
    let items = cat.query(&q.filter, q.order, q.desc);
    let total = items.len() as u64;
    let pages = page_count(total, q.per_page);
    let v = view(&state, &cat, &ctx);
    let page: Vec<StoreProduct> = items[q.window(items.len())]
        .iter()
        .map(|&i| match i {
            ItemRef::Product(p) => v.product(&cat.products[p as usize]),
            ItemRef::Variation(x) => v.variation(&cat.variations[x as usize]),
        })
        .collect();
    let mut reply = Reply::json(200, &page).allow(GET).paging(store_paging(&ctx, "/wc/store/v1/products", q.page, total, pages));
    reply.last_modified = Some(cat.last_modified);
    ctx.respond(reply)
}

/// `GET /products/{id}` and `GET /products/{slug}` (digits select the id route, as in WordPress).
pub(crate) async fn product(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>, Path(key): Path<String>) -> Response {
    let cat = state.read();
    let v = view(&state, &cat, &ctx);
    let by_id = !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit());
    let item = if by_id {
        key.parse::<u64>().ok().and_then(|id| cat.item(id))
    } else {
        let slug = super::wp::sanitize_title(&key);
        cat.slugs.get(slug.as_str()).and_then(|&id| cat.item(id.into()))
    };
    let body = match item {
        // WooCommerce 8.9's single-product route does not check the status: drafts and private
        // products are served by id and by slug (real 8.9.1, tests/fixtures/realwoo).
        Some(ItemRef::Product(p)) => Some(v.product(&cat.products[p as usize])),
        Some(ItemRef::Variation(x)) if cat.parent_of(&cat.variations[x as usize]).status == ProductStatus::Publish => {
            Some(v.variation(&cat.variations[x as usize]))
        }
        _ => None,
    };
    match body {
        Some(b) => ctx.respond(Reply::json(200, &b).allow(GET)),
        None if by_id => fail(&ctx, &WpError::new(404, "woocommerce_rest_product_invalid_id", "Invalid product ID.")),
        None => fail(&ctx, &WpError::new(404, "woocommerce_rest_product_invalid_slug", "Invalid product slug.")),
    }
}

fn listing(ctx: &ApiCtx, default_hide_empty: bool) -> TermListing {
    TermListing {
        hide_empty: php_bool(ctx.query.get("hide_empty")).unwrap_or(default_hide_empty),
        orderby: ctx.query.get_str("orderby").unwrap_or("name").to_string(),
        desc: ctx.query.get_str("order") == Some("desc"),
        page: u64::try_from(int_param(&ctx.query, "page", 1)).unwrap_or(1).max(1),
        per_page: u64::try_from(int_param(&ctx.query, "per_page", 0)).unwrap_or(0),
    }
}

/// Terms responses page only when asked to (`per_page` set and a full page or a later page).
fn term_reply(ctx: &ApiCtx, route: &str, body: J, shown: usize, total: u64, opts: &TermListing) -> Response {
    let mut reply = Reply::json(200, &body).allow(GET);
    if opts.per_page > 0 && (shown as u64 == opts.per_page || opts.page > 1) {
        reply = reply.paging(store_paging(ctx, route, opts.page, total, total.div_ceil(opts.per_page)));
    }
    ctx.respond(reply)
}

fn category_json(cat: &super::catalogue::Catalogue, ctx: &ApiCtx, t: &super::catalogue::Term, count: u64, reviews: u64) -> J {
    J::obj()
        .with("id", i64::from(t.id))
        .with("name", &*t.name)
        .with("slug", &*t.slug)
        .with("description", &*t.description)
        .with("parent", i64::from(t.parent))
        .with("count", count as i64)
        .with("image", J::Null)
        .with("review_count", reviews as i64)
        .with("permalink", cat.term_link(&ctx.home, t))
}

fn plain_term_json(t: &super::catalogue::Term, count: u64) -> J {
    J::obj()
        .with("id", i64::from(t.id))
        .with("name", &*t.name)
        .with("slug", &*t.slug)
        .with("description", &*t.description)
        .with("parent", i64::from(t.parent))
        .with("count", count as i64)
}

/// `GET /products/categories`.
pub(crate) async fn categories(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>) -> Response {
    if let Err(e) = validate(&ctx.query, &term_args(false)) {
        return fail(&ctx, &e);
    }
    let cat = state.read();
    let counts = terms::counts(&cat, Taxonomy::Category);
    let reviews = terms::category_review_counts(&cat);
    let opts = listing(&ctx, true);
    let (list, total) = terms::list(&cat, Taxonomy::Category, &ctx.query, &opts, &counts);
    let body = J::Arr(
        list.iter()
            .map(|t| {
                let n = counts.get(&t.id).copied().unwrap_or(0);
                category_json(&cat, &ctx, t, n, reviews.get(&t.id).copied().unwrap_or(0))
            })
            .collect(),
    );
    term_reply(&ctx, "/wc/store/v1/products/categories", body, list.len(), total, &opts)
}

/// `GET /products/categories/{id}`.
pub(crate) async fn category(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>, Path(id): Path<String>) -> Response {
    let cat = state.read();
    let term = id.parse::<u32>().ok().and_then(|id| cat.term(id)).filter(|t| t.taxonomy == Taxonomy::Category);
    match term {
        Some(t) => {
            let counts = terms::counts(&cat, Taxonomy::Category);
            let reviews = terms::category_review_counts(&cat);
            let n = counts.get(&t.id).copied().unwrap_or(0);
            let body = category_json(&cat, &ctx, t, n, reviews.get(&t.id).copied().unwrap_or(0));
            ctx.respond(Reply::json(200, &body).allow(GET))
        }
        None => fail(&ctx, &WpError::new(404, "woocommerce_rest_category_invalid_id", "Invalid category ID.")),
    }
}

/// `GET /products/tags`.
pub(crate) async fn tags(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>) -> Response {
    if let Err(e) = validate(&ctx.query, &term_args(false)) {
        return fail(&ctx, &e);
    }
    let cat = state.read();
    let counts = terms::counts(&cat, Taxonomy::Tag);
    let opts = listing(&ctx, true);
    let (list, total) = terms::list(&cat, Taxonomy::Tag, &ctx.query, &opts, &counts);
    let body = J::Arr(list.iter().map(|t| plain_term_json(t, counts.get(&t.id).copied().unwrap_or(0))).collect());
    term_reply(&ctx, "/wc/store/v1/products/tags", body, list.len(), total, &opts)
}

fn attribute_json(a: &super::catalogue::Attribute) -> J {
    J::obj()
        .with("id", i64::from(a.id))
        .with("name", &*a.name)
        .with("taxonomy", &*a.slug)
        .with("type", "select")
        .with("order", "menu_order")
        .with("has_archives", false)
        .with("count", a.terms.len() as i64)
}

/// `GET /products/attributes` (sorted by name, like `wc_get_attribute_taxonomies`).
pub(crate) async fn attributes(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>) -> Response {
    let cat = state.read();
    let mut attrs: Vec<_> = cat.attributes.iter().collect();
    attrs.sort_by(|a, b| a.name.cmp(&b.name));
    let body = J::Arr(attrs.into_iter().map(attribute_json).collect());
    ctx.respond(Reply::json(200, &body).allow(GET))
}

/// `GET /products/attributes/{id}`.
pub(crate) async fn attribute(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>, Path(id): Path<String>) -> Response {
    let cat = state.read();
    match id.parse::<u32>().ok().and_then(|id| cat.attribute(id)) {
        Some(a) => ctx.respond(Reply::json(200, &attribute_json(a)).allow(GET)),
        None => fail(&ctx, &WpError::new(404, "woocommerce_rest_attribute_invalid_id", "Invalid attribute ID.")),
    }
}

/// `GET /products/attributes/{id}/terms`.
pub(crate) async fn attribute_terms(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = validate(&ctx.query, &term_args(true)) {
        return fail(&ctx, &e);
    }
    let cat = state.read();
    let Some(attr) = id.parse::<u32>().ok().and_then(|id| cat.attribute(id)) else {
        return fail(&ctx, &WpError::new(404, "woocommerce_rest_taxonomy_invalid", "Attribute does not exist."));
    };
    let tax = Taxonomy::Attribute(attr.id);
    let counts = terms::counts(&cat, tax);
    let opts = listing(&ctx, true);
    let (list, total) = terms::list(&cat, tax, &ctx.query, &opts, &counts);
    let body = J::Arr(list.iter().map(|t| plain_term_json(t, counts.get(&t.id).copied().unwrap_or(0))).collect());
    term_reply(&ctx, &format!("/wc/store/v1/products/attributes/{}/terms", attr.id), body, list.len(), total, &opts)
}

/// `GET /products/reviews`.
pub(crate) async fn reviews(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>) -> Response {
    super::reviews::store_reviews(&state, &ctx)
}
