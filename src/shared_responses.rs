//! Responses that layers and extractors add to many operations, documented once (as
//! `components/responses`) instead of on each handler: what the body deadline, the body limit and
//! the JSON extractor answer, what the session and CSRF layers answer on shopper routes, and two
//! that handlers list themselves (`SessionToken`, `StoreUnusable`). `routes::api` applies them;
//! scripts/schemathesis.sh and `tests/api/contract.rs` check the server answers nothing undocumented.

use std::collections::BTreeMap;

use utoipa::openapi::content::Content;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::Response;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{OpenApi, Ref, RefOr};
use utoipa::PartialSchema;

use crate::session::SESSION_COOKIE;

/// Security scheme names of shopper sessions (both optional: a first request starts a session).
pub const SHOPPER_COOKIE: &str = "shopper_cookie";
pub const SHOPPER_BEARER: &str = "shopper_bearer";

/// Shared responses: (component name, description, extra header).
const BODY_TIMEOUT: (&str, &str) =
    ("BodyTimeout", "The body did not arrive within BODY_READ_TIMEOUT_SECS (`request_timeout`); the connection is closed");
const TOO_LARGE: (&str, &str) = ("PayloadTooLarge", "The body is larger than BODY_LIMIT_BYTES (`payload_too_large`)");
const NOT_JSON: (&str, &str) = ("NotJson", "The body is not JSON (`bad_request`)");
const WRONG_TYPE: (&str, &str) = ("NotJsonMediaType", "The body is not sent as application/json (`unsupported_media_type`)");
const WRONG_SHAPE: (&str, &str) = ("InvalidBody", "The JSON does not have the documented shape; `fields` names what (`validation_failed`)");
const CSRF: (&str, &str) = ("CsrfRejected", "A cookie-session write from an origin that is not allowed (`csrf_rejected`)");
const SESSIONS_DOWN: (&str, &str) = (
    "SessionsUnavailable",
    "Sessions or the store are unavailable (`session_store_unavailable`), or another change to a signed-in customer's cart still holds it (`busy`); retry",
);
const BAD_TOKEN: (&str, &str) = ("InvalidSessionToken", "The bearer token is invalid, expired or names an ended session (`invalid_token`)");
const UNUSABLE: (&str, &str) =
    ("StoreUnusable", "The store answered something unusable (`upstream_error`) or refused this server's keys (`upstream_auth_failed`)");

const MISS_BUDGET: (&str, &str) = (
    "MissBudgetSpent",
    "`rate_limited`: this client has used its budget of cache misses (reads the cache cannot answer); cached pages still answer",
);

fn error(description: &str) -> Response {
    let mut response = Response::new(description);
    response.content.insert("application/json".into(), Content::new(Some(Ref::from_schema_name("ErrorBody"))));
    response
}

fn header(schema: RefOr<utoipa::openapi::schema::Schema>, description: &str) -> Header {
    HeaderBuilder::new().schema(schema).description(Some(description)).build()
}

fn reference((name, _): (&str, &str)) -> RefOr<Response> {
    RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
}

fn add(operation: &mut Operation, status: &str, shared: (&str, &str)) {
    operation.responses.responses.entry(status.into()).or_insert_with(|| reference(shared));
}

fn operations(openapi: &mut OpenApi) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    openapi.paths.paths.values_mut().flat_map(|item| {
        [
            ("GET", item.get.as_mut()),
            ("PUT", item.put.as_mut()),
            ("POST", item.post.as_mut()),
            ("DELETE", item.delete.as_mut()),
            ("PATCH", item.patch.as_mut()),
        ]
        .into_iter()
        .filter_map(|(method, op)| op.map(|op| (method, op)))
    })
}

/// Registers the shared responses under `components/responses`.
pub fn components(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, description) in [BODY_TIMEOUT, TOO_LARGE, NOT_JSON, WRONG_TYPE, WRONG_SHAPE, CSRF, UNUSABLE] {
        components.responses.insert(name.into(), RefOr::T(error(description)));
    }
    let mut spent = error(MISS_BUDGET.1);
    spent.headers.insert("Retry-After".into(), header(u64::schema(), "Seconds to wait before retrying"));
    components.responses.insert(MISS_BUDGET.0.into(), RefOr::T(spent));
    let mut down = error(SESSIONS_DOWN.1);
    down.headers.insert("Retry-After".into(), header(u64::schema(), "Seconds to wait before retrying"));
    components.responses.insert(SESSIONS_DOWN.0.into(), RefOr::T(down));
    let mut refused = error(BAD_TOKEN.1);
    refused.headers.insert("WWW-Authenticate".into(), header(String::schema(), "Bearer error=\"invalid_token\""));
    components.responses.insert(BAD_TOKEN.0.into(), RefOr::T(refused));
}

/// Every operation with a request body: what the body deadline (`body_timeout`), the body limit
/// and, for JSON bodies, `extract::Json` answer.
pub fn request_bodies(openapi: &mut OpenApi) {
    for (_, operation) in operations(openapi) {
        let Some(body) = &operation.request_body else { continue };
        let json = body.content.contains_key("application/json");
        add(operation, "408", BODY_TIMEOUT);
        add(operation, "413", TOO_LARGE);
        if json {
            add(operation, "400", NOT_JSON);
            add(operation, "415", WRONG_TYPE);
            add(operation, "422", WRONG_SHAPE);
        }
    }
}

/// Every shopper operation (session and CSRF layers): a cookie write from a foreign origin, the
/// session store being down; and the optional session security schemes.
pub fn shopper_routes(openapi: &mut OpenApi) {
    for (method, operation) in operations(openapi) {
        if method != "GET" {
            add(operation, "403", CSRF);
        }
        add(operation, "503", SESSIONS_DOWN);
        // Operations that can refuse a session token (`SessionToken` listed) accept one.
        if operation.security.is_none() && operation.responses.responses.contains_key("401") {
            let anonymous = SecurityRequirement::default();
            let cookie = SecurityRequirement::new(SHOPPER_COOKIE, Vec::<String>::new());
            let bearer = SecurityRequirement::new(SHOPPER_BEARER, Vec::<String>::new());
            operation.security = Some(vec![anonymous, cookie, bearer]);
        }
    }
    let components = openapi.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SHOPPER_COOKIE,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "The browser's session cookie (set by the first shopper request; writes need an allowed Origin).",
        ))),
    );
    let mut bearer = Http::new(HttpAuthScheme::Bearer);
    bearer.bearer_format = Some("JWT".into());
    bearer.description = Some("An app session token from `POST /api/v1/session`.".into());
    components.add_security_scheme(SHOPPER_BEARER, SecurityScheme::Http(bearer));
}

/// Every 503 and 429 carries `Retry-After` (`ApiError::into_response` always sets it): say so.
pub fn retry_after(openapi: &mut OpenApi) {
    for (_, operation) in operations(openapi) {
        for status in ["429", "503"] {
            if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status) {
                if !response.headers.contains_key("Retry-After") {
                    response.headers.insert("Retry-After".into(), header(u64::schema(), "Seconds to wait before retrying"));
                }
            }
        }
    }
}

/// 401 for handlers that take a `Shopper` (a refused app session token): list it in `responses(...)`.
pub struct SessionToken;

impl utoipa::IntoResponses for SessionToken {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([("401".to_string(), reference(BAD_TOKEN))])
    }
}

/// 429 for handlers that read through the catalogue cache (the per-client miss budget).
pub struct MissBudget;

impl utoipa::IntoResponses for MissBudget {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([("429".to_string(), reference(MISS_BUDGET))])
    }
}

/// 502 for handlers that call the store: list it in `responses(...)`.
pub struct StoreUnusable;

impl utoipa::IntoResponses for StoreUnusable {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([("502".to_string(), reference(UNUSABLE))])
    }
}
