//! HTTP handlers of the partner API. Each is short: authenticate (the `PartnerCaller` extractor),
//! check the scope, parse, ask `Live`. `#[utoipa::path]` on each is the documentation.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::auth::PartnerCaller;
use super::grant::{self, Outcome};
use super::orders::{OrderListQuery, ORDER_STATUSES};
use super::registry::valid_sku;
use super::scopes::Scope;
use super::views::*;
use super::{order_input, Partners};
use crate::cache::CacheStatus;
use crate::catalogue::query::{ListQuery, NoQuery, Params, ProductListQuery};
use crate::catalogue::views::{Page, ProductDetail, ProductSummary};
use crate::catalogue::ProductRef;
use crate::error::{ApiError, ErrorBody, FieldError};
use crate::extract::Json;
use crate::idempotency::validate_key;
use crate::shared_responses::StoreUnusable;

const MAX_STOCK_SKUS: usize = 500;

/// Partner answers are private: never cached by intermediaries.
fn private_json<T: serde::Serialize>(status: StatusCode, value: &T, cache: Option<CacheStatus>) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::json("writing a partner answer", &e))?;
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Some(c) = cache {
        headers.insert("x-cache", HeaderValue::from_static(c.as_str()));
    }
    Ok(response)
}

fn body(bytes: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    bytes.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest("The body could not be read.".into())
        }
    })
}

/// Get an access token (OAuth 2.0 client credentials, RFC 6749 §4.4). Send the client id and
/// secret by HTTP Basic or in the form body; `scope` may narrow the granted scopes. Errors use the
/// RFC 6749 §5.2 shape `{error, error_description}`.
#[utoipa::path(operation_id = "partner_token", post, path = "/api/v1/partner/token", tag = "partners",
    request_body(content((TokenForm = "application/x-www-form-urlencoded"))),
    security((), ("partner_client" = [])),
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type`, `invalid_scope`, or `invalid_client` with body credentials", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client` with HTTP Basic credentials", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "Basic realm=\"partner-api\""))),
        (status = 404, description = "`partners_disabled`: the server has no partner registry", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many failed token requests from this client (checked before any secret is verified)", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "`busy`: too many token requests being verified; retry", body = ErrorBody, headers(("Retry-After" = u64))),
    ))]
pub async fn token(
    State(partners): State<Arc<Partners>>,
    crate::client_ip::ClientIp(client): crate::client_ip::ClientIp,
    headers: HeaderMap,
    bytes: Result<Bytes, BytesRejection>,
) -> Response {
    let live = match partners.live() {
        Ok(live) => live,
        Err(e) => return e.into_response(),
    };
    match body(bytes) {
        Ok(bytes) => grant::grant(live, client, &headers, &bytes).await.into_response(),
        Err(e) => Outcome::Api(e).into_response(),
    }
}

/// The catalogue at the partner's prices: the filters of `GET /api/v1/products`, each item with
/// `partner_price` and the `price_rule` that set it. Served from the catalogue cache.
#[utoipa::path(operation_id = "partner_list_products", get, path = "/api/v1/partner/products", tag = "partners",
    params(ProductListQuery),
    security(("partner_oauth" = ["catalog:read"])),
    responses(
        (status = 200, description = "A page of products at the partner's prices", body = Page<PartnerProduct>,
            headers(("X-Cache" = String, description = "HIT, MISS or STALE (the shared catalogue cache)"))),
        (status = 401, description = "`invalid_token` (missing, expired, forged or revoked)", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "Bearer error=\"invalid_token\""))),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody,
            headers(("WWW-Authenticate" = String, description = "Bearer error=\"insufficient_scope\""))),
        (status = 404, description = "`partners_disabled`", body = ErrorBody),
        (status = 422, description = "A query parameter is invalid", body = ErrorBody),
        (status = 429, description = "`rate_limited` (the partner's own limit)", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "Store unavailable and nothing cached", body = ErrorBody, headers(("Retry-After" = u64))),
        StoreUnusable,
    ))]
pub async fn list_products(
    State(partners): State<Arc<Partners>>,
    caller: PartnerCaller,
    ListQuery(q): ListQuery,
) -> Result<Response, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let live = partners.live()?;
    let cached = live.catalogue.products(&q).await?;
    let page: Page<ProductSummary> =
        serde_json::from_slice(&cached.entry.body).map_err(|e| ApiError::json("reading a cached catalogue answer", &e))?;
    let prices = &caller.partner.prices;
    let items = page
        .items
        .into_iter()
        .map(|product| {
            let quote = prices.quote(product.sku.as_deref(), &product.categories, product.prices.price.amount);
            PartnerProduct { pricing: PartnerPricing::new(quote, &product.prices.price), product }
        })
        .collect();
    let view = Page { items, page: page.page, per_page: page.per_page, total: page.total, total_pages: page.total_pages };
    private_json(StatusCode::OK, &view, Some(cached.status))
}

/// One product (by id or slug) at the partner's price.
#[utoipa::path(operation_id = "partner_get_product", get, path = "/api/v1/partner/products/{id}", tag = "partners",
    params(("id" = String, Path, description = "Numeric product id, or the product's slug")),
    security(("partner_oauth" = ["catalog:read"])),
    responses(
        (status = 200, description = "The product at the partner's price", body = PartnerProductDetail, headers(("X-Cache" = String))),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`product_not_found` or `partners_disabled`", body = ErrorBody),
        (status = 422, description = "Neither an id nor a slug", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "Store unavailable and nothing cached", body = ErrorBody, headers(("Retry-After" = u64))),
        StoreUnusable,
    ))]
pub async fn get_product(
    State(partners): State<Arc<Partners>>,
    caller: PartnerCaller,
    Path(id): Path<String>,
    _: NoQuery,
) -> Result<Response, ApiError> {
    caller.require(Scope::CatalogRead)?;
    let live = partners.live()?;
    let which = ProductRef::parse(&id)?;
    let cached = live.catalogue.product(&which).await?;
    let product: ProductDetail =
        serde_json::from_slice(&cached.entry.body).map_err(|e| ApiError::json("reading a cached catalogue answer", &e))?;
    // A variation is priced by its parent's categories.
    let categories = match product.parent_id {
        Some(parent) => live.detail(parent).await?.map(|p| p.summary.categories).unwrap_or_default(),
        None => product.summary.categories.clone(),
    };
    let price = &product.summary.prices.price;
    let quote = caller.partner.prices.quote(product.summary.sku.as_deref(), &categories, price.amount);
    let pricing = PartnerPricing::new(quote, price);
    private_json(StatusCode::OK, &PartnerProductDetail { product, pricing }, Some(cached.status))
}

/// Stock status and quantity per SKU (up to 500). Unknown SKUs come back as `not_found`.
/// Figures may be up to 30 seconds old.
#[utoipa::path(operation_id = "partner_stock", post, path = "/api/v1/partner/stock", tag = "partners",
    request_body = StockRequest,
    security(("partner_oauth" = ["stock:read"])),
    responses(
        (status = 200, description = "Stock per SKU, in request order", body = StockResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`partners_disabled`", body = ErrorBody),
        (status = 422, description = "No SKUs, more than 500, or a malformed SKU (`skus[i]` named)", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "Store unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
        StoreUnusable,
    ))]
pub async fn stock(
    State(partners): State<Arc<Partners>>,
    caller: PartnerCaller,
    Json(request): Json<StockRequest>,
) -> Result<Response, ApiError> {
    caller.require(Scope::StockRead)?;
    let live = partners.live()?;
    let mut errors = Vec::new();
    if request.skus.is_empty() || request.skus.len() > MAX_STOCK_SKUS {
        errors.push(FieldError::new("skus", format!("1 to {MAX_STOCK_SKUS} SKUs")));
    }
    let mut skus: Vec<String> = Vec::new();
    for (i, sku) in request.skus.iter().enumerate() {
        if !valid_sku(sku) {
            errors.push(FieldError::new(format!("skus[{i}]"), "a SKU: 1 to 100 characters, no commas"));
        } else if !skus.contains(sku) {
            skus.push(sku.clone());
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let found = live.stock.cached(&skus).await?;
    let items: Vec<StockItem> = skus
        .into_iter()
        .map(|sku| match found.get(&sku).and_then(Option::as_ref) {
            Some(s) => StockItem { status: s.status, quantity: s.quantity, product_id: Some(s.product_id), sku },
            None => StockItem { sku, status: StockState::NotFound, quantity: None, product_id: None },
        })
        .collect();
    let not_found = items.iter().filter(|i| i.status == StockState::NotFound).map(|i| i.sku.clone()).collect();
    private_json(StatusCode::OK, &StockResponse { items, not_found }, None)
}

/// Place a bulk order (JSON, or `text/csv` with `sku,quantity` lines and `po_number` in the query).
/// All or nothing: every SKU must exist and be orderable in the quantity asked, else 422 lists
/// every failing line. Requires `Idempotency-Key`: the same key and body return the first order
/// (kept 24 h); the same key with another body is 422 `idempotency_key_reused`.
#[utoipa::path(operation_id = "partner_create_order", post, path = "/api/v1/partner/orders", tag = "partners",
    request_body(content((OrderRequest = "application/json"), (String = "text/csv"))),
    params(
        ("Idempotency-Key" = String, Header, description = "A unique key per order, e.g. a UUID", pattern = "^[!-~]{1,255}$"),
        ("po_number" = Option<String>, Query, description = "With text/csv bodies: the purchase order number"),
        ("note" = Option<String>, Query, description = "With text/csv bodies: a note for the shop"),
    ),
    security(("partner_oauth" = ["orders:write"])),
    responses(
        (status = 201, description = "The order was placed at the partner's prices", body = PartnerOrder),
        (status = 400, description = "`idempotency_key_required` or malformed body", body = ErrorBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`partners_disabled`", body = ErrorBody),
        (status = 409, description = "`idempotency_in_progress`: the first request with this key is still running", body = ErrorBody),
        (status = 415, description = "Neither application/json nor text/csv", body = ErrorBody),
        (status = 422, description = "`validation_failed` with every failing line in `fields`, or `idempotency_key_reused`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "Store unavailable; nothing was ordered", body = ErrorBody, headers(("Retry-After" = u64))),
        StoreUnusable,
    ))]
pub async fn create_order(
    State(partners): State<Arc<Partners>>,
    caller: PartnerCaller,
    headers: HeaderMap,
    uri: Uri,
    bytes: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.require(Scope::OrdersWrite)?;
    let live = partners.live()?;
    let key = validate_key(headers.get("idempotency-key").and_then(|v| v.to_str().ok()))?;
    let input = order_input::parse(&headers, uri.query(), &body(bytes)?)?;
    let stored = live.place_order(&caller, &key, input).await?;
    if stored.status >= 400 {
        return Err(ApiError::from_replay(stored.status, &stored.body));
    }
    let mut response = (StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED), stored.body.clone()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// Query of `GET /api/v1/partner/orders`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    /// Page number, from 1.
    pub page: Option<u32>,
    /// Items per page, 1 to 100. Default 20.
    pub per_page: Option<u32>,
    /// One WooCommerce status: pending, processing, on-hold, completed, cancelled, refunded, failed.
    pub status: Option<String>,
    /// Orders whose PO number contains this text.
    pub po_number: Option<String>,
}

/// The partner's own orders, newest first.
#[utoipa::path(operation_id = "partner_list_orders", get, path = "/api/v1/partner/orders", tag = "partners",
    params(OrderListParams),
    security(("partner_oauth" = ["orders:read"])),
    responses(
        (status = 200, description = "A page of the partner's orders", body = Page<PartnerOrder>),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`partners_disabled`", body = ErrorBody),
        (status = 422, description = "A query parameter is invalid", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "Store unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
        StoreUnusable,
    ))]
pub async fn list_orders(State(partners): State<Arc<Partners>>, caller: PartnerCaller, uri: Uri) -> Result<Response, ApiError> {
    caller.require(Scope::OrdersRead)?;
    let live = partners.live()?;
    let mut p = Params::parse(uri.query(), &["page", "per_page", "status", "po_number"])?;
    let page = p.get("page", "a whole number");
    let page = p.range("page", page, 1, 10_000).unwrap_or(1);
    let per_page = p.get("per_page", "a whole number");
    let per_page = p.range("per_page", per_page, 1, 100).unwrap_or(20);
    let status = p.string("status", 32);
    if status.as_deref().is_some_and(|s| !ORDER_STATUSES.contains(&s)) {
        p.error("status", format!("one of: {}", ORDER_STATUSES.join(", ")));
    }
    let po_number = p.string("po_number", 64);
    p.finish()?;
    let orders = live.list_orders(&caller.partner, &OrderListQuery { page, per_page, status, po_number }).await?;
    private_json(StatusCode::OK, &orders, None)
}

/// One of the partner's orders: status, totals, lines and tracking number. Another partner's
/// order is a 404.
#[utoipa::path(operation_id = "partner_get_order", get, path = "/api/v1/partner/orders/{id}", tag = "partners",
    params(("id" = u64, Path, description = "Order id")),
    security(("partner_oauth" = ["orders:read"])),
    responses(
        (status = 200, description = "The order", body = PartnerOrder),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`insufficient_scope`", body = ErrorBody),
        (status = 404, description = "`order_not_found` (also for other partners' orders) or `partners_disabled`", body = ErrorBody),
        (status = 422, description = "The id is not numeric", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "Store unavailable", body = ErrorBody, headers(("Retry-After" = u64))),
        StoreUnusable,
    ))]
pub async fn get_order(
    State(partners): State<Arc<Partners>>,
    caller: PartnerCaller,
    Path(id): Path<String>,
    _: NoQuery,
) -> Result<Response, ApiError> {
    caller.require(Scope::OrdersRead)?;
    let live = partners.live()?;
    let id: u64 = id.parse().map_err(|_| ApiError::field("id", "a numeric order id"))?;
    let order = live.order(&caller.partner, id).await?;
    private_json(StatusCode::OK, &order, None)
}

/// Adds the partner security schemes to the OpenAPI document: `partner_oauth` (OAuth 2.0 client
/// credentials with the four scopes) and `partner_client` (HTTP Basic, for the token endpoint).
pub struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ClientCredentials, Flow, Http, HttpAuthScheme, OAuth2, Scopes, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let scopes = Scopes::from_iter(Scope::ALL.map(|s| (s.as_str(), s.description())));
        components.add_security_scheme(
            "partner_oauth",
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::ClientCredentials(ClientCredentials::new("/api/v1/partner/token", scopes))],
                "Partner access tokens (JWT, `Authorization: Bearer`), from the client-credentials grant.",
            )),
        );
        let mut basic = Http::new(HttpAuthScheme::Basic);
        basic.description = Some("The partner's client_id and client_secret (token endpoint only).".into());
        components.add_security_scheme("partner_client", SecurityScheme::Http(basic));
    }
}
