//! HTTP handlers of sign-up, sign-in, token refresh and sign-out.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;

use super::views::{LoginBody, RefreshBody, RegisterBody, SignInResult, TokenPair};
use super::Accounts;
use crate::cart::Cart;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::session::{Sessions, Shopper};

/// Create a customer account and sign in.
///
/// The account is created in WooCommerce (which keeps the password); the
/// guest cart becomes the customer's. Browsers get a new session cookie;
/// app clients (sending their guest `Authorization: Bearer`) get tokens.
#[utoipa::path(post, path = "/api/v1/auth/register", operation_id = "register_customer", tag = "accounts", request_body = RegisterBody,
    responses(
        (status = 201, description = "Signed in as the new customer", body = SignInResult),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Bad bearer token", body = ErrorBody),
        (status = 403, description = "Cross-site request", body = ErrorBody),
        (status = 409, description = "`email_taken`: sign in instead", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid email or weak password (fields named)", body = ErrorBody),
        (status = 429, description = "Too many attempts from this IP", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
    ))]
pub async fn register(
    State(accounts): State<Arc<Accounts>>,
    State(sessions): State<Arc<Sessions>>,
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    Json(body): Json<RegisterBody>,
) -> Result<(StatusCode, Json<SignInResult>), ApiError> {
    let ip = ip.as_string();
    let customer = accounts.register(&body, &ip).await?;
    tracing::info!(customer_id = customer.id, "customer registered");
    Ok((StatusCode::CREATED, Json(accounts.start_session(&sessions, &cart, &shopper, &customer, &ip).await?)))
}

/// Sign in with email or username and password.
///
/// The store checks the password (WordPress XML-RPC, or `wp-login.php` where
/// XML-RPC is off). Any failure is the same 401 `invalid_credentials`;
/// repeated failures per account or IP answer 429 with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "sign_in", tag = "accounts", request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in; the guest cart was merged into the customer's. Sets the `sfbff_device` cookie: sent back to this route, it makes this device trusted for the account, so failures elsewhere (an attack) do not lock it out", body = SignInResult,
            headers(("Set-Cookie" = String, description = "sfbff_device=…; Path=/api/v1/auth/login; HttpOnly; SameSite=Strict"))),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "`invalid_credentials` (or a bad bearer token)", body = ErrorBody),
        (status = 403, description = "Cross-site request", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Missing or oversized fields", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this account from untrusted clients, from this IP, or from this device; see Retry-After", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
    ))]
pub async fn login(
    State(accounts): State<Arc<Accounts>>,
    State(sessions): State<Arc<Sessions>>,
    State(cart): State<Arc<Cart>>,
    shopper: Shopper,
    ip: ClientIp,
    headers: axum::http::HeaderMap,
    Json(body): Json<LoginBody>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    body.validate()?;
    let ip = ip.as_string();
    let device = device_cookie(&headers);
    let (customer, device) =
        accounts.authenticate(sessions.tokens(), body.email_or_username.trim(), &body.password, &ip, device.as_deref()).await?;
    let result = accounts.start_session(&sessions, &cart, &shopper, &customer, &ip).await?;
    let mut response = Json(result).into_response();
    // Only the sign-in route reads it: no other request carries it.
    let cookie = format!(
        "{}={device}; Path=/api/v1/auth/login; Max-Age={}; HttpOnly; SameSite=Strict{}",
        super::DEVICE_COOKIE,
        super::DEVICE_TTL.as_secs(),
        if accounts.device_cookie_secure() { "; Secure" } else { "" }
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(axum::http::header::SET_COOKIE, value);
    }
    Ok(response)
}

/// The device cookie's value, if the request carries one.
fn device_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(super::DEVICE_COOKIE)?.strip_prefix('=').map(str::to_string))
}

/// Trade a refresh token for a new access and refresh token.
///
/// Refresh tokens are single use; presenting one twice revokes every token
/// of that sign-in and ends its session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "refresh_tokens", tag = "accounts", request_body = RefreshBody,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "`invalid_refresh_token`: sign in again", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Wrong body shape", body = ErrorBody),
        (status = 503, description = "Session store unavailable", body = ErrorBody),
    ))]
pub async fn refresh(
    State(accounts): State<Arc<Accounts>>,
    State(sessions): State<Arc<Sessions>>,
    Json(body): Json<RefreshBody>,
) -> Result<Json<TokenPair>, ApiError> {
    Ok(Json(accounts.refresh(&sessions, body.refresh_token.trim()).await?))
}

/// Sign out: the session (and an app's refresh tokens) end.
#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "sign_out", tag = "accounts",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Bad bearer token", body = ErrorBody),
        (status = 403, description = "Cross-site request", body = ErrorBody),
        (status = 503, description = "Session store unavailable", body = ErrorBody),
    ))]
pub async fn logout(State(accounts): State<Arc<Accounts>>, shopper: Shopper) -> Result<StatusCode, ApiError> {
    accounts.sign_out(&shopper).await?;
    Ok(StatusCode::NO_CONTENT)
}
