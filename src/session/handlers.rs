//! `POST /api/v1/session`: app clients get a bearer token for a new session.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::Sessions;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::ratelimit::RateLimits;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionToken {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// Start an app session (for clients without a cookie jar).
#[utoipa::path(post, path = "/api/v1/session", tag = "cart",
    responses(
        (status = 201, description = "A new session", body = SessionToken),
        (status = 429, description = "`rate_limited`: too many new sessions from this client", body = ErrorBody, headers(("Retry-After" = u64))),
        (status = 503, description = "Session store unavailable", body = ErrorBody),
    ))]
pub async fn create_session(
    State(sessions): State<Arc<Sessions>>,
    State(limits): State<RateLimits>,
    ip: ClientIp,
) -> Result<(StatusCode, Json<SessionToken>), ApiError> {
    // Before anything is stored: a flood from one client costs a limiter check, not a session.
    limits.new_session(&ip.as_string())?;
    let (token, ttl) = sessions.create_app_session().await?;
    Ok((StatusCode::CREATED, Json(SessionToken { token, token_type: "Bearer", expires_in: ttl.as_secs() })))
}
