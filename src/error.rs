//! The one error type of our HTTP API. Each variant says what the client can
//! do about it; each maps to one status and one stable machine `code`.
//! Upstream errors are mapped here, in one place, and never passed raw.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::request_id;
use crate::upstream::UpstreamError;

/// How long clients should wait before retrying when the store is down.
pub const RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed in a way the client must fix (fields named).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The body is not JSON, or not the JSON we expect.
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist. `code` names what, e.g. `product_not_found`.
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The store is down or too slow and nothing usable is cached: retry later.
    #[error("the store is unavailable")]
    UpstreamUnavailable,
    /// The store is at the concurrency cap we keep for it and the short queue
    /// in front of it is full: retry shortly.
    #[error("the store is busy")]
    UpstreamBusy,
    /// The store answered something we cannot use (a bug or misconfiguration on
    /// our side or the store's; retrying will not help soon).
    #[error("the store gave an unexpected answer")]
    UpstreamBadGateway,
    /// The store refused our own credentials: the operator must fix the keys.
    #[error("the store refused the server's credentials")]
    UpstreamAuth,
    /// A bug or broken invariant on our side. `what` and `cause` are for the
    /// log (written once, when the response is made), never the client.
    #[error("internal error")]
    Internal { what: &'static str, cause: Option<String> },
    /// The bearer token is missing, forged, expired or names an ended session.
    #[error("invalid token")]
    InvalidToken,
    /// Session storage is down; retry shortly.
    #[error("session store unavailable")]
    SessionStoreUnavailable,
    /// A cookie-authenticated write from a foreign origin.
    #[error("cross-site request refused")]
    CsrfRejected,
    /// Too many requests; retry after the given seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// The store refused a cart or checkout action for a reason the shopper
    /// can act on (out of stock, bad coupon, ...). `code` names the reason.
    #[error("{message}")]
    Rejected { status: StatusCode, code: &'static str, message: String },
    /// The cart no longer matches what the client expected; the body carries
    /// the refreshed cart.
    #[error("the cart changed")]
    CartChanged(Box<serde_json::Value>),
    #[error("missing Idempotency-Key")]
    IdempotencyKeyRequired,
    #[error("idempotency key reused with a different body")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is still running")]
    IdempotencyInProgress,
    /// A webhook whose signature does not verify.
    #[error("invalid signature")]
    InvalidSignature,
    /// Too much queued work, or a resource held by another change (a customer's cart); retry later.
    #[error("busy")]
    Busy,
    /// The answer of an earlier request with the same idempotency key.
    #[error("{message}")]
    Replayed { status: StatusCode, code: String, message: String },
    /// A partner request without a usable access token (missing, expired, forged, or its partner
    /// disabled): 401 with `WWW-Authenticate: Bearer` (RFC 6750).
    #[error("invalid partner token")]
    PartnerToken { missing: bool },
    /// Sign-in failed. One answer for a wrong password, an unknown account
    /// and a locked one, so it tells nobody which accounts exist.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Registration with an email that already has an account: sign in instead.
    #[error("email taken")]
    EmailTaken,
    /// The route needs a signed-in customer.
    #[error("not signed in")]
    NotSignedIn,
    /// The refresh token is unknown, expired, already used or revoked: sign in again.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// The partner's token lacks the scope this route needs: 403 `insufficient_scope` (RFC 6750).
    #[error("insufficient scope")]
    InsufficientScope { scope: &'static str },
}

/// One invalid input field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// Query parameter, path segment or JSON field name.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Every `code` an error body can carry, sorted. The OpenAPI document lists them as the enum
/// [`ErrorCode`], so a typed client gets a union it can switch on.
///
/// Errors are still built with their code as a string, where the decision is made (a feature
/// names its own `…_not_found`); the test `error_codes_match_the_code_paths` reads those code
/// paths and fails when one names a code missing here, or when a code here is produced nowhere.
pub const ERROR_CODES: &[&str] = &[
    "attribute_not_found",
    "bad_request",
    "busy",
    "cart_changed",
    "cart_empty",
    "cart_item_insufficient_stock",
    "cart_item_not_found",
    "cart_item_out_of_stock",
    "cart_item_quantity_limit",
    "checkout_invalid",
    "coupon_not_applied",
    "coupon_rejected",
    "csrf_rejected",
    "customer_not_found",
    "email_taken",
    "idempotency_in_progress",
    "idempotency_key_required",
    "idempotency_key_reused",
    "insufficient_scope",
    "internal_error",
    "invalid_credentials",
    "invalid_refresh_token",
    "invalid_signature",
    "invalid_token",
    "method_not_allowed",
    "not_found",
    "not_signed_in",
    "order_not_found",
    "partners_disabled",
    "payload_too_large",
    "product_not_found",
    "product_not_purchasable",
    "rate_limited",
    "request_timeout",
    "route_not_found",
    "search_not_ready",
    "session_store_unavailable",
    "shipping_rate_not_found",
    "unsupported_media_type",
    "upstream_auth_failed",
    "upstream_busy",
    "upstream_error",
    "upstream_unavailable",
    "validation_failed",
    "variation_not_found",
];

/// The OpenAPI schema of [`ErrorDetail::code`]: a string enum of [`ERROR_CODES`].
pub struct ErrorCode;

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ERROR_CODES.iter().copied()))
            .description(Some("Stable, machine-readable error code, e.g. `validation_failed`, `product_not_found`."))
            .into()
    }
}

impl ToSchema for ErrorCode {
    fn name() -> std::borrow::Cow<'static, str> {
        "ErrorCode".into()
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `validation_failed`, `product_not_found`.
    #[schema(value_type = ErrorCode)]
    pub code: String,
    /// Human-readable; may change between versions.
    pub message: String,
    /// Same as the `X-Request-Id` response header; quote it in bug reports.
    pub request_id: String,
    /// Present on validation errors: which inputs were wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Present on `cart_changed`: the cart as it is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub cart: Option<serde_json::Value>,
}

impl ApiError {
    /// An internal error: `what` says which step failed (for the log).
    pub fn internal(what: &'static str) -> Self {
        ApiError::Internal { what, cause: None }
    }

    /// An internal error from a JSON (de)serialisation. Only serde's kind of
    /// error and its position are kept: its message may quote the data, which
    /// can be personal or a token.
    pub fn json(what: &'static str, err: &serde_json::Error) -> Self {
        ApiError::Internal { what, cause: Some(format!("{:?} error at line {} column {}", err.classify(), err.line(), err.column())) }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } | ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::UpstreamUnavailable | ApiError::UpstreamBusy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::UpstreamBadGateway | ApiError::UpstreamAuth => StatusCode::BAD_GATEWAY,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::SessionStoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::CsrfRejected => StatusCode::FORBIDDEN,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Rejected { status, .. } => *status,
            ApiError::CartChanged(_) | ApiError::IdempotencyInProgress => StatusCode::CONFLICT,
            ApiError::IdempotencyKeyRequired => StatusCode::BAD_REQUEST,
            ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Replayed { status, .. } => *status,
            ApiError::InvalidSignature => StatusCode::UNAUTHORIZED,
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::PartnerToken { .. } => StatusCode::UNAUTHORIZED,
            ApiError::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            ApiError::InvalidCredentials | ApiError::NotSignedIn | ApiError::InvalidRefreshToken => StatusCode::UNAUTHORIZED,
            ApiError::EmailTaken => StatusCode::CONFLICT,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            ApiError::Replayed { code, .. } => code,
            ApiError::Validation(_) => "validation_failed",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::NotFound { code, .. } => code,
            ApiError::NoRoute => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::UpstreamUnavailable => "upstream_unavailable",
            ApiError::UpstreamBusy => "upstream_busy",
            ApiError::UpstreamBadGateway => "upstream_error",
            ApiError::UpstreamAuth => "upstream_auth_failed",
            ApiError::Internal { .. } => "internal_error",
            ApiError::InvalidToken => "invalid_token",
            ApiError::SessionStoreUnavailable => "session_store_unavailable",
            ApiError::CsrfRejected => "csrf_rejected",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Rejected { code, .. } => code,
            ApiError::CartChanged(_) => "cart_changed",
            ApiError::IdempotencyKeyRequired => "idempotency_key_required",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::IdempotencyInProgress => "idempotency_in_progress",
            ApiError::InvalidSignature => "invalid_signature",
            ApiError::Busy => "busy",
            ApiError::PartnerToken { .. } => "invalid_token",
            ApiError::InsufficientScope { .. } => "insufficient_scope",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::EmailTaken => "email_taken",
            ApiError::NotSignedIn => "not_signed_in",
            ApiError::InvalidRefreshToken => "invalid_refresh_token",
        }
    }

    /// A compact form of this error for replaying to idempotent duplicates.
    pub fn to_replay(&self) -> serde_json::Value {
        serde_json::json!({ "code": self.code(), "message": self.message() })
    }

    /// Rebuilds a replayed error from `to_replay`'s form.
    pub fn from_replay(status: u16, body: &[u8]) -> Self {
        let value: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        ApiError::Replayed {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: value["code"].as_str().unwrap_or("internal_error").to_string(),
            message: value["message"].as_str().unwrap_or("").to_string(),
        }
    }

    /// True for store outages: the cases where a stale cached copy is served.
    pub fn is_outage(&self) -> bool {
        matches!(self, ApiError::UpstreamUnavailable)
    }

    /// Maps an upstream failure, naming what a WooCommerce 404 means here.
    pub fn from_upstream(err: UpstreamError, not_found_code: &'static str) -> Self {
        // The one place upstream failures are logged: once, with its fields.
        match &err {
            UpstreamError::Woo { status: 404, .. } => {
                return ApiError::NotFound { code: not_found_code, message: not_found_message(not_found_code) }
            }
            UpstreamError::Woo { status: 401 | 403, .. } if err.api() == crate::upstream::Api::RestApi => {
                tracing::error!(upstream = %err.api(), error = %err, "store refused our REST credentials");
                return ApiError::UpstreamAuth;
            }
            _ => {}
        }
        if err.is_outage() {
            tracing::warn!(upstream = %err.api(), error = %err, "store unavailable");
            ApiError::UpstreamUnavailable
        } else {
            tracing::warn!(upstream = %err.api(), error = %err, woo_code = err.woo_code().unwrap_or(""), "unexpected store answer");
            ApiError::UpstreamBadGateway
        }
    }

    fn message(&self) -> String {
        match self {
            ApiError::Validation(_) => "Some inputs are invalid; see `fields`.".into(),
            ApiError::BadRequest(m) => m.clone(),
            ApiError::NotFound { message, .. } => message.clone(),
            ApiError::NoRoute => "No such route. See /docs for the API.".into(),
            ApiError::MethodNotAllowed => "This route does not accept that method.".into(),
            ApiError::PayloadTooLarge => "The request body is larger than allowed.".into(),
            ApiError::UnsupportedMediaType => "Send the body as application/json.".into(),
            ApiError::UpstreamUnavailable => "The store is not answering right now; retry shortly.".into(),
            ApiError::UpstreamBusy => "The store is busy; retry shortly.".into(),
            ApiError::UpstreamBadGateway => "The store gave an answer we could not use.".into(),
            ApiError::UpstreamAuth => "The store refused this server's credentials.".into(),
            ApiError::Internal { .. } => "Something went wrong on our side.".into(),
            ApiError::InvalidToken => "The bearer token is invalid or expired; start a new session.".into(),
            ApiError::SessionStoreUnavailable => "Sessions are unavailable right now; retry shortly.".into(),
            ApiError::CsrfRejected => "Cross-site request refused: the Origin is not allowed.".into(),
            ApiError::RateLimited { .. } => "Too many requests; slow down and retry later.".into(),
            ApiError::Rejected { message, .. } => message.clone(),
            ApiError::CartChanged(_) => "The cart changed since you last saw it; review it and check out again.".into(),
            ApiError::IdempotencyKeyRequired => "Send an Idempotency-Key header (e.g. a UUID) with this request.".into(),
            ApiError::IdempotencyKeyReused => "This Idempotency-Key was already used with a different request body.".into(),
            ApiError::IdempotencyInProgress => "A request with this Idempotency-Key is still running; retry shortly.".into(),
            ApiError::Replayed { message, .. } => message.clone(),
            ApiError::InvalidSignature => "The webhook signature does not verify.".into(),
            ApiError::Busy => "Busy with other work; retry shortly.".into(),
            ApiError::PartnerToken { missing: true } => {
                "Send a partner access token: Authorization: Bearer <token> from POST /api/v1/partner/token.".into()
            }
            ApiError::PartnerToken { missing: false } => "The access token is invalid, expired or revoked; get a new one.".into(),
            ApiError::InsufficientScope { scope } => format!("This request needs the {scope} scope."),
            ApiError::InvalidCredentials => "The email or username and password do not match an account.".into(),
            ApiError::EmailTaken => "An account with this email already exists; sign in instead.".into(),
            ApiError::NotSignedIn => "Sign in first (POST /api/v1/auth/login).".into(),
            ApiError::InvalidRefreshToken => "The refresh token is invalid, expired or already used; sign in again.".into(),
        }
    }
}

fn not_found_message(code: &str) -> String {
    match code {
        "product_not_found" => "No product with that id or slug.".into(),
        "attribute_not_found" => "No attribute with that id.".into(),
        other => format!("Not found ({other})."),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal { what, cause } = &self {
            tracing::error!(code = self.code(), what, cause = cause.as_deref().unwrap_or("-"), "request failed");
        }
        let retry_after = match &self {
            ApiError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            ApiError::IdempotencyInProgress | ApiError::UpstreamBusy => Some(1),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(RETRY_AFTER_SECS),
            _ => None,
        };
        // RFC 6750 §3: say how to authenticate, and what was wrong.
        let challenge = match &self {
            ApiError::PartnerToken { missing: true } => Some("Bearer realm=\"partner-api\"".to_string()),
            ApiError::PartnerToken { missing: false } => Some("Bearer realm=\"partner-api\", error=\"invalid_token\"".to_string()),
            ApiError::InsufficientScope { scope } => {
                Some(format!("Bearer realm=\"partner-api\", error=\"insufficient_scope\", scope=\"{scope}\""))
            }
            ApiError::InvalidToken | ApiError::InvalidRefreshToken => Some("Bearer error=\"invalid_token\"".to_string()),
            ApiError::NotSignedIn => Some("Bearer".to_string()),
            _ => None,
        };
        let (code, message) = (self.code().to_string(), self.message());
        let (fields, cart) = match self {
            ApiError::Validation(fields) => (fields, None),
            ApiError::CartChanged(cart) => (Vec::new(), Some(*cart)),
            _ => (Vec::new(), None),
        };
        let body = ErrorBody { error: ErrorDetail { code, message, request_id: request_id::current(), fields, cart } };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            // Let intermediaries know this is not cacheable.
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection::*;
        match rejection {
            JsonDataError(e) => ApiError::Validation(vec![FieldError::new("body", e.body_text())]),
            JsonSyntaxError(_) => ApiError::BadRequest("The body is not valid JSON.".into()),
            MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::BadRequest("The body could not be read.".into()),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::field("query", rejection.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        ApiError::field("path", rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause_for_the_log_but_not_the_data() {
        let err = serde_json::from_str::<u64>(r#""rt_secret-token-value""#).unwrap_err();
        let ApiError::Internal { what, cause: Some(cause) } = ApiError::json("reading a refresh grant", &err) else { panic!() };
        assert_eq!(what, "reading a refresh grant");
        assert!(cause.starts_with("Data error at line 1"), "{cause}");
        assert!(!cause.contains("secret"), "serde's message may quote the data; only its kind and position are kept: {cause}");
    }

    #[tokio::test]
    async fn an_internal_error_answers_without_its_cause() {
        let response = ApiError::Internal { what: "a step", cause: Some("the cause".into()) }.into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("internal_error") && !text.contains("the cause") && !text.contains("a step"), "{text}");
    }

    use std::collections::BTreeSet;
    use std::path::Path;

    /// The `"snake_case"` literal that `text` starts with (after spaces), if any.
    fn literal(text: &str) -> Option<&str> {
        let rest = text.trim_start().strip_prefix('"')?;
        let end = rest.find('"')?;
        let word = &rest[..end];
        (!word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')).then_some(word)
    }

    /// Every error code the code paths of one file name: the arms of `ApiError::code`, the
    /// `code: "…"` of `NotFound`/`Rejected`/`ErrorDetail`, the not-found code handed to
    /// `from_upstream` (directly or through catalogue's `upstream(…)`), and the Store API
    /// refusal table `(StatusCode::…, "…")` of `cart::errors`. Test modules are left out.
    fn codes_in(text: &str, found: &mut BTreeSet<String>) {
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
        if let Some(start) = text.find("pub fn code(&self)") {
            let body = &text[start..text[start..].find("\n    }\n").map_or(text.len(), |end| start + end)];
            for arm in body.split("=> ").skip(1) {
                found.extend(literal(arm).map(str::to_owned));
            }
        }
        for marker in ["NotFound {", "Rejected {", "ErrorDetail {"] {
            for (at, _) in text.match_indices(marker) {
                let fields = &text[at + marker.len()..];
                let fields = &fields[..fields.find('}').unwrap_or(fields.len())];
                if let Some(code) = fields.find("code:") {
                    found.extend(literal(&fields[code + "code:".len()..]).map(str::to_owned));
                }
            }
        }
        for marker in ["from_upstream(", "upstream(", "(StatusCode::"] {
            for (at, _) in text.match_indices(marker) {
                let args = &text[at + marker.len()..];
                let args = &args[..args.find(')').unwrap_or(args.len())];
                if let Some(comma) = args.rfind(',') {
                    found.extend(literal(&args[comma + 1..]).map(str::to_owned));
                } else {
                    found.extend(literal(args).map(str::to_owned));
                }
            }
        }
    }

    #[test]
    fn error_codes_match_the_code_paths() {
        let mut found = BTreeSet::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("partners/grant.rs") {
                    // partners/grant.rs answers the token endpoint in OAuth's own error shape
                    // (RFC 6749 `error`), not in ErrorBody.
                    codes_in(&std::fs::read_to_string(&path).unwrap(), &mut found);
                }
            }
        }
        let listed: BTreeSet<String> = ERROR_CODES.iter().map(|c| (*c).to_owned()).collect();
        let unlisted: Vec<_> = found.difference(&listed).collect();
        let unused: Vec<_> = listed.difference(&found).collect();
        assert!(unlisted.is_empty(), "codes the code paths produce but ERROR_CODES (the OpenAPI enum) lacks: {unlisted:?}");
        assert!(unused.is_empty(), "codes in ERROR_CODES that no code path produces: {unused:?}");
        assert!(ERROR_CODES.windows(2).all(|w| w[0] < w[1]), "ERROR_CODES is sorted and has no duplicate");
    }

    #[test]
    fn the_scan_sees_each_kind_of_code_path() {
        let mut found = BTreeSet::new();
        codes_in(
            r#"
            pub fn code(&self) -> &str {
                match self {
                    ApiError::Busy => "busy",
                }
            }
            ApiError::NotFound { code: "thing_not_found", message: m }
            ApiError::Rejected { status: s, code: "thing_rejected", message: m }
            ErrorDetail { code: "thing_timeout".into(), message }
            .map_err(|e| ApiError::from_upstream(e, "a_not_found"))
            .map_err(upstream("b_not_found"))
            "woo_code" => (StatusCode::CONFLICT, "thing_conflict"),
            Notice { code: "not_an_error" }
            "#,
            &mut found,
        );
        let want = ["a_not_found", "b_not_found", "busy", "thing_conflict", "thing_not_found", "thing_rejected", "thing_timeout"];
        assert_eq!(found.into_iter().collect::<Vec<_>>(), want);
    }
}
