//! Every route of the server in one place, and the OpenAPI document built
//! from the same list (utoipa-axum collects each handler's `#[utoipa::path]`).

use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::{handlers as auth, me};
use crate::partners::handlers::SecuritySchemes as PartnerSecurity;
use crate::state::AppState;
use crate::{
    cart::handlers as cart, catalogue::handlers as catalogue, ops, partners::handlers as partners, session::handlers as session,
    shared_responses, webhooks::handlers as webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "storefront-bff",
        description = "Backend-for-frontend for headless WooCommerce stores. Every error has the shape `{\"error\": {\"code\", \"message\", \"request_id\", \"fields\"?}}`; `code` is stable. Catalogue responses carry `ETag`, `Cache-Control` and `X-Cache` (HIT, MISS, STALE) and answer `If-None-Match` with 304. Money is `{amount, currency, minor_unit}` in minor units.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "catalogue", description = "Public, cached catalogue reads"),
        (name = "cart", description = "The shopper's cart and checkout. Browsers use the session cookie (writes need an allowed Origin); apps use `Authorization: Bearer` from `POST /api/v1/session`."),
        (name = "accounts", description = "Customer accounts on a stock WooCommerce: register, sign in (the store checks the password), profile, own orders. Browsers get a new session cookie at sign-in; apps send their guest `Authorization: Bearer` and receive a 15-minute access token plus a single-use refresh token."),
        (name = "webhooks", description = "WooCommerce webhook receiver (signed deliveries invalidate the catalogue cache)"),
        (name = "ops", description = "Health and readiness (Prometheus metrics are served on their own listener, `METRICS_LISTEN`, not here)"),
        (name = "partners", description = "The partner (B2B) API: OAuth 2.0 client credentials at `POST /api/v1/partner/token`, then `Authorization: Bearer` with scopes `catalog:read`, `stock:read`, `orders:read`, `orders:write`. 404 `partners_disabled` when the server has no partner registry."),
    ),
    modifiers(&PartnerSecurity)
)]
pub struct ApiDoc;

/// Public routes: no session, no cookies (cacheable catalogue, ops, webhooks).
pub fn public() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalogue::list_products))
        .routes(routes!(catalogue::get_product))
        .routes(routes!(catalogue::list_variations))
        .routes(routes!(catalogue::list_reviews))
        .routes(routes!(catalogue::list_categories))
        .routes(routes!(catalogue::list_tags))
        .routes(routes!(catalogue::list_attributes))
        .routes(routes!(catalogue::list_attribute_terms))
        .routes(routes!(catalogue::get_facets))
        .routes(routes!(crate::catalogue::search::search))
        .routes(routes!(cart::get_order))
        .routes(routes!(webhooks::receive))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        // Partner API: bearer tokens, no session and no cookies.
        .routes(routes!(partners::token))
        .routes(routes!(partners::list_products))
        .routes(routes!(partners::get_product))
        .routes(routes!(partners::stock))
        .routes(routes!(partners::create_order, partners::list_orders))
        .routes(routes!(partners::get_order))
        // Refresh tokens stand on their own: no session, no cookie.
        .routes(routes!(auth::refresh))
}

/// Shopper routes: they run inside a session (cookie or bearer) and, for
/// cookies, behind the CSRF check; `app::router` adds both layers.
pub fn shopper() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session::create_session))
        .routes(routes!(cart::get_cart))
        .routes(routes!(cart::add_item))
        .routes(routes!(cart::update_item, cart::remove_item))
        .routes(routes!(cart::apply_coupon))
        .routes(routes!(cart::remove_coupon))
        .routes(routes!(cart::set_addresses))
        .routes(routes!(cart::select_shipping_rate))
        .routes(routes!(cart::checkout))
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(me::get_me, me::patch_me))
        .routes(routes!(me::list_orders))
        .routes(routes!(me::get_order))
        .routes(routes!(me::claim_orders))
}

/// Every API route with its documentation.
pub fn api() -> OpenApiRouter<AppState> {
    let mut shopper = shopper();
    shared_responses::shopper_routes(shopper.get_openapi_mut());
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(public()).merge(shopper);
    let doc = api.get_openapi_mut();
    shared_responses::request_bodies(doc);
    shared_responses::retry_after(doc);
    shared_responses::components(doc);
    api
}

/// The OpenAPI document as served at `/openapi.json` and committed in `openapi/`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

/// Pretty JSON of the document, with a trailing newline (the committed form).
pub fn openapi_json() -> String {
    let mut text = openapi().to_pretty_json().expect("the OpenAPI document serialises");
    text.push('\n');
    text
}
