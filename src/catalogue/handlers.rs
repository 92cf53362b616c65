//! HTTP handlers of the catalogue. Each is short: parse, ask `Catalogue`,
//! answer through the cache-aware responder. `#[utoipa::path]` on each is
//! the documentation.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;

use super::query::{FacetQuery, ListQuery, NoQuery, PageQuery, Paging, ProductListQuery, VariationPageQuery, VariationPaging};
use super::views::*;
use super::{Catalogue, IfNoneMatch, ProductRef};
use crate::error::{ApiError, ErrorBody};
use crate::shared_responses::{MissBudget, StoreUnusable};

fn numeric_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| ApiError::field("id", "a numeric id"))
}

/// List products, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalogue",
    params(ProductListQuery),
    responses(
        (status = 200, description = "A page of products", body = Page<ProductSummary>,
            headers(("ETag" = String), ("Cache-Control" = String), ("X-Cache" = String, description = "HIT, MISS or STALE"))),
        (status = 304, description = "Not modified (If-None-Match matched)"),
        (status = 422, description = "A query parameter is invalid", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody,
            headers(("Retry-After" = u64))),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn list_products(
    State(catalogue): State<Arc<Catalogue>>,
    if_none_match: IfNoneMatch,
    ListQuery(q): ListQuery,
) -> Result<Response, ApiError> {
    Ok(catalogue.products(&q).await?.respond(if_none_match))
}

/// One product by numeric id or by slug, with attributes and variation map.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalogue",
    params(("id" = String, Path, description = "Numeric product id, or the product's slug")),
    responses(
        (status = 200, description = "The product", body = ProductDetail,
            headers(("ETag" = String), ("Cache-Control" = String), ("X-Cache" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such product (`product_not_found`)", body = ErrorBody),
        (status = 422, description = "Neither an id nor a slug", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn get_product(
    State(catalogue): State<Arc<Catalogue>>,
    if_none_match: IfNoneMatch,
    Path(id): Path<String>,
    _: NoQuery,
) -> Result<Response, ApiError> {
    let which = ProductRef::parse(&id)?;
    Ok(catalogue.product(&which).await?.respond(if_none_match))
}

/// Variations of a variable product with their own prices and stock.
#[utoipa::path(get, path = "/api/v1/products/{id}/variations", tag = "catalogue",
    params(("id" = u64, Path, description = "Numeric product id"), VariationPageQuery),
    responses(
        (status = 200, description = "A page of variations, by id (empty for non-variable products)", body = Page<Variation>,
            headers(("ETag" = String), ("X-Cache" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 422, description = "Bad id or paging", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn list_variations(
    State(catalogue): State<Arc<Catalogue>>,
    if_none_match: IfNoneMatch,
    Path(id): Path<String>,
    VariationPaging(paging): VariationPaging,
) -> Result<Response, ApiError> {
    let id = numeric_id(&id)?;
    Ok(catalogue.variations(id, paging.page, paging.per_page).await?.respond(if_none_match))
}

/// Reviews of a product, newest first.
#[utoipa::path(get, path = "/api/v1/products/{id}/reviews", tag = "catalogue",
    params(("id" = u64, Path, description = "Numeric product id"), PageQuery),
    responses(
        (status = 200, description = "A page of reviews", body = Page<Review>, headers(("ETag" = String), ("X-Cache" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 422, description = "Bad id or paging", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn list_reviews(
    State(catalogue): State<Arc<Catalogue>>,
    if_none_match: IfNoneMatch,
    Path(id): Path<String>,
    paging: Paging,
) -> Result<Response, ApiError> {
    let id = numeric_id(&id)?;
    Ok(catalogue.reviews(id, paging.page, paging.per_page).await?.respond(if_none_match))
}

/// All product categories (with parent ids for building a tree).
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalogue",
    responses(
        (status = 200, description = "Every category", body = List<Category>, headers(("ETag" = String), ("X-Cache" = String))),
        (status = 304, description = "Not modified"),
        (status = 422, description = "Unexpected query parameter", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn list_categories(
    State(catalogue): State<Arc<Catalogue>>,
    if_none_match: IfNoneMatch,
    _: NoQuery,
) -> Result<Response, ApiError> {
    Ok(catalogue.categories().await?.respond(if_none_match))
}

/// All product tags.
#[utoipa::path(get, path = "/api/v1/tags", tag = "catalogue",
    responses(
        (status = 200, description = "Every tag", body = List<Term>, headers(("ETag" = String), ("X-Cache" = String))),
        (status = 304, description = "Not modified"),
        (status = 422, description = "Unexpected query parameter", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn list_tags(State(catalogue): State<Arc<Catalogue>>, if_none_match: IfNoneMatch, _: NoQuery) -> Result<Response, ApiError> {
    Ok(catalogue.tags().await?.respond(if_none_match))
}

/// Global product attributes (e.g. size, colour).
#[utoipa::path(get, path = "/api/v1/attributes", tag = "catalogue",
    responses(
        (status = 200, description = "Every global attribute", body = List<Attribute>, headers(("ETag" = String), ("X-Cache" = String))),
        (status = 304, description = "Not modified"),
        (status = 422, description = "Unexpected query parameter", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn list_attributes(
    State(catalogue): State<Arc<Catalogue>>,
    if_none_match: IfNoneMatch,
    _: NoQuery,
) -> Result<Response, ApiError> {
    Ok(catalogue.attributes().await?.respond(if_none_match))
}

/// Terms of one attribute (e.g. S, M, L).
#[utoipa::path(get, path = "/api/v1/attributes/{id}/terms", tag = "catalogue",
    params(("id" = u64, Path, description = "Attribute id")),
    responses(
        (status = 200, description = "The attribute's terms", body = List<Term>, headers(("ETag" = String), ("X-Cache" = String))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such attribute (`attribute_not_found`)", body = ErrorBody),
        (status = 422, description = "The id is not numeric", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn list_attribute_terms(
    State(catalogue): State<Arc<Catalogue>>,
    if_none_match: IfNoneMatch,
    Path(id): Path<String>,
    _: NoQuery,
) -> Result<Response, ApiError> {
    let id = numeric_id(&id)?;
    Ok(catalogue.attribute_terms(id).await?.respond(if_none_match))
}

/// Facets for a filter set: price range, category, attribute, stock and rating counts.
#[utoipa::path(get, path = "/api/v1/facets", tag = "catalogue",
    params(
        ("search" = Option<String>, Query, description = "As for /products"),
        ("category" = Option<String>, Query, description = "As for /products"),
        ("tag" = Option<String>, Query, description = "As for /products"),
        ("attributes" = Option<String>, Query, description = "As for /products"),
        ("min_price" = Option<u64>, Query, description = "As for /products"),
        ("max_price" = Option<u64>, Query, description = "As for /products"),
        ("on_sale" = Option<bool>, Query, description = "As for /products"),
        ("stock_status" = Option<String>, Query, description = "in_stock, out_of_stock or on_backorder"),
    ),
    responses(
        (status = 200, description = "Facet counts", body = Facets, headers(("ETag" = String), ("X-Cache" = String))),
        (status = 304, description = "Not modified"),
        (status = 422, description = "A query parameter is invalid", body = ErrorBody),
        (status = 503, description = "Store unavailable (`upstream_unavailable`) or at its concurrency cap (`upstream_busy`), and nothing cached", body = ErrorBody),
        StoreUnusable,
        MissBudget,
    ))]
pub async fn get_facets(
    State(catalogue): State<Arc<Catalogue>>,
    if_none_match: IfNoneMatch,
    FacetQuery(q): FacetQuery,
) -> Result<Response, ApiError> {
    Ok(catalogue.facets(&q).await?.respond(if_none_match))
}
