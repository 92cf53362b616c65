//! Operator endpoints: liveness, readiness against the store, and `/metrics` (the recorder
//! of `crate::metrics` rendered with the counters our own structs keep).

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::catalogue::Catalogue;
use crate::error::{ApiError, ErrorBody};
use crate::upstream::StoreClient;
use crate::webhooks::reconcile::Reconciler;
use crate::webhooks::Webhooks;

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
    /// The local catalogue index, when on. Not ready yet is still ready to serve: reads go
    /// through the cached pass-through path until the first walk finishes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexHealth>,
}

#[derive(Serialize, ToSchema)]
pub struct IndexHealth {
    /// True once the first walk has finished: catalogue reads come from the index.
    pub ready: bool,
    /// Products held.
    pub products: u64,
    /// How far the running (or last) walk got, 0–100.
    pub walk_percent: u64,
}

fn index_health(catalogue: &Catalogue) -> Option<IndexHealth> {
    let index = catalogue.index()?;
    Some(IndexHealth { ready: index.is_ready(), products: index.len() as u64, walk_percent: index.progress().percent() })
}

/// Liveness: the process is up. Never touches the store.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
pub async fn healthz(State(ops): State<Arc<Ops>>) -> Json<Health> {
    Json(Health { status: "ok", mode: ops.mode, webhooks: None, index: None })
}

/// Readiness: the store answers a minimal catalogue request.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, body = Health),
    (status = 503, description = "The store (`upstream_unavailable`) or Redis (`session_store_unavailable`) is not reachable", body = ErrorBody),
    (status = 502, description = "The store answers, but not usably", body = ErrorBody),
))]
pub async fn readyz(State(ops): State<Arc<Ops>>, State(catalogue): State<Arc<Catalogue>>) -> Result<Json<Health>, ApiError> {
    if let Some(redis) = &ops.redis {
        redis.ping().await.map_err(|err| {
            tracing::warn!(error = %err, "not ready: redis unreachable");
            ApiError::SessionStoreUnavailable
        })?;
    }
    ops.store.ping().await.map_err(|e| ApiError::from_upstream(e, "not_found"))?;
    let webhooks = ops.registrar.as_ref().and_then(|r| r.last()).and_then(Result::ok);
    Ok(Json(Health { status: "ready", mode: ops.mode, webhooks, index: index_health(&catalogue) }))
}

/// Prometheus metrics for scraping.
pub async fn render(
    State(webhooks): State<Arc<Webhooks>>,
    State(reconciler): State<Arc<Reconciler>>,
    State(catalogue): State<Arc<Catalogue>>,
) -> impl IntoResponse {
    let mut text = crate::metrics::handle().render();
    let hooks = &webhooks.stats;
    let cache = catalogue.cache();
    let counters = [
        ("bff_webhooks_received_total", "Verified webhook deliveries", hooks.received.load(Ordering::Relaxed)),
        ("bff_webhooks_duplicates_total", "Deliveries dropped as duplicates", hooks.duplicates.load(Ordering::Relaxed)),
        ("bff_webhooks_processed_total", "Webhook events applied", hooks.processed.load(Ordering::Relaxed)),
        ("bff_webhooks_retries_total", "Webhook processing retries", hooks.retries.load(Ordering::Relaxed)),
        ("bff_webhooks_failed_total", "Webhook events given up after retries", hooks.failed.load(Ordering::Relaxed)),
        ("bff_webhooks_rejected_total", "Deliveries refused for a bad signature", hooks.rejected.load(Ordering::Relaxed)),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
    }
    let rec = &reconciler.stats;
    let reconcile = [
        ("bff_reconcile_scans_total", "counter", "Reconciliation scans started", rec.scans.load(Ordering::Relaxed)),
        ("bff_reconcile_failures_total", "counter", "Reconciliation scans that failed", rec.failures.load(Ordering::Relaxed)),
        ("bff_reconcile_invalidated_total", "counter", "Products invalidated by reconciliation", rec.invalidated.load(Ordering::Relaxed)),
        (
            "bff_reconcile_last_success_timestamp_seconds",
            "gauge",
            "Start of the last successful scan (its cursor)",
            rec.cursor.load(Ordering::Relaxed),
        ),
        ("bff_reconcile_lag_seconds", "gauge", "Seconds since the last successful scan started", reconciler.lag_secs()),
    ];
    for (name, kind, help, value) in reconcile {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    }
    if let Some(index) = catalogue.index() {
        let (p, st) = (index.progress(), index.stats());
        let figures = [
            ("bff_index_ready", "gauge", "1 once the catalogue index answers reads", u64::from(index.is_ready())),
            ("bff_index_products", "gauge", "Products in the catalogue index", index.len() as u64),
            ("bff_index_bytes", "gauge", "Bytes held by the catalogue index's replica", index.weight() as u64),
            ("bff_index_answers_bytes", "gauge", "Bytes of index answers remembered until the index changes", index.answers_weight()),
            ("bff_index_walk_pages_done", "gauge", "Store pages read by the running or last walk", p.pages_done.load(Ordering::Relaxed)),
            ("bff_index_walk_pages_total", "gauge", "Store pages the running or last walk reads", p.pages_total.load(Ordering::Relaxed)),
            ("bff_index_walks_total", "counter", "Full walks finished", p.walks.load(Ordering::Relaxed)),
            ("bff_index_walk_failures_total", "counter", "Full walks that failed", p.failures.load(Ordering::Relaxed)),
            ("bff_index_changes_applied_total", "counter", "Product changes applied to the index", st.applied.load(Ordering::Relaxed)),
            ("bff_index_update_failures_total", "counter", "Index updates that failed", st.failed_updates.load(Ordering::Relaxed)),
            ("bff_index_changes_dropped_total", "counter", "Changes dropped on a full queue", st.dropped_changes.load(Ordering::Relaxed)),
            ("bff_index_answers_total", "counter", "Catalogue reads answered from the index", st.answers.load(Ordering::Relaxed)),
        ];
        for (name, kind, help, value) in figures {
            let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
    }
    let _ = writeln!(
        text,
        "# HELP bff_cache_bytes Bytes held by the catalogue cache\n# TYPE bff_cache_bytes gauge\nbff_cache_bytes {}",
        cache.weighted_size()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
