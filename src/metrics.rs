//! `/metrics` in the Prometheus text format (metrics-exporter-prometheus),
//! plus the counters that live in our own structs, rendered alongside.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::app::AppState;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the global recorder once per process (tests start many apps).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (an embedding program): keep ours readable anyway.
        let _ = metrics::set_global_recorder(recorder);
        // Histograms buffer raw samples until drained; drain them on a timer
        // so memory stays flat even when nobody scrapes /metrics.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let upkeep = handle.clone();
            runtime.spawn(async move {
                let mut ticker = tokio::time::interval(std::time::Duration::from_secs(5));
                loop {
                    ticker.tick().await;
                    upkeep.run_upkeep();
                }
            });
        }
        handle
    })
}

/// Counts and times every request by route template (never the raw path,
/// which would let clients create unbounded label values), method and status.
pub async fn track(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let route =
        request.extensions().get::<axum::extract::MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = request.method().as_str().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_str().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::histogram!("bff_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    metrics::counter!("bff_http_requests_total", &labels).increment(1);
    response
}

/// Prometheus metrics for scraping.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = handle().render();
    let hooks = &state.webhooks.stats;
    let cache = state.catalogue.cache();
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
    let rec = &state.reconciler.stats;
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
        ("bff_reconcile_lag_seconds", "gauge", "Seconds since the last successful scan started", state.reconciler.lag_secs()),
    ];
    for (name, kind, help, value) in reconcile {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    }
    let _ = writeln!(
        text,
        "# HELP bff_cache_bytes Bytes held by the catalogue cache\n# TYPE bff_cache_bytes gauge\nbff_cache_bytes {}",
        cache.weighted_size()
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
