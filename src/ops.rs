//! Operator endpoints: liveness, readiness against the store.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::upstream::StoreClient;

/// What the operator endpoints need.
#[derive(Clone)]
pub struct Ops {
    pub store: StoreClient,
    /// "demo" or "store".
    pub mode: &'static str,
    /// Shared state, when several instances run.
    pub redis: Option<crate::redis::Redis>,
    /// Keeps the store's product webhooks pointed at us (`--register-webhooks`).
    pub registrar: Option<crate::webhooks::register::Registrar>,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// "ok" or "ready".
    pub status: &'static str,
    /// "demo" when running against the embedded demo store.
    pub mode: &'static str,
    /// With `--register-webhooks`: the product webhooks as last checked
    /// (what was found, and whether it was created or re-enabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Vec<crate::webhooks::register::WebhookCheck>>,
}

/// Liveness: the process is up. Never touches the store.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
pub async fn healthz(State(ops): State<Arc<Ops>>) -> Json<Health> {
    Json(Health { status: "ok", mode: ops.mode, webhooks: None })
}

/// Readiness: the store answers a minimal catalogue request.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, body = Health),
    (status = 503, description = "The store (`upstream_unavailable`) or Redis (`session_store_unavailable`) is not reachable", body = ErrorBody),
    (status = 502, description = "The store answers, but not usably", body = ErrorBody),
))]
pub async fn readyz(State(ops): State<Arc<Ops>>) -> Result<Json<Health>, ApiError> {
    if let Some(redis) = &ops.redis {
        redis.ping().await.map_err(|err| {
            tracing::warn!(error = %err, "not ready: redis unreachable");
            ApiError::SessionStoreUnavailable
        })?;
    }
    ops.store.ping().await.map_err(|e| ApiError::from_upstream(e, "not_found"))?;
    let webhooks = ops.registrar.as_ref().and_then(|r| r.last()).and_then(Result::ok);
    Ok(Json(Health { status: "ready", mode: ops.mode, webhooks }))
}
