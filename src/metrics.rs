//! The metrics recorder (metrics-exporter-prometheus) and the request metrics of the edge.
//! A leaf: features record into it; the `/metrics` route that renders it with the counters
//! of our own structs is `ops::render`, so this module needs no feature.

use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Upper bounds, in seconds, of the latency histograms' buckets.
const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the global recorder once per process (tests start many apps).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        // Latencies as Prometheus histograms (aggregatable across instances;
        // each sample is a few comparisons when drained, where the default
        // summary's sketch cost more than the rest of a cached read).
        let recorder = PrometheusBuilder::new().set_buckets(LATENCY_BUCKETS).expect("buckets are given").build_recorder();
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

/// Counter and latency histogram of one (route template, method, status).
struct RequestHandles {
    method: Method,
    status: u16,
    requests: Counter,
    latency: Histogram,
}

/// Request counters and latency histograms by route, for the edge. Resolving
/// a handle through `counter!` builds a labelled key and looks it up in the
/// recorder's registry (owned label strings, hashing, a lock), which cost more
/// than the rest of a cached catalogue read; here each (method, status) of a
/// route is resolved once and kept in that route's slot, found by the route's
/// index in the edge's templates (no hashing of the template per request).
pub struct RequestMetrics {
    /// One slot per route template, plus one for requests no route matches.
    by_route: Box<[RwLock<Vec<RequestHandles>>]>,
}

impl RequestMetrics {
    /// For `routes` route templates (indices `0..routes`).
    pub fn new(routes: usize) -> Self {
        Self { by_route: (0..=routes).map(|_| RwLock::default()).collect() }
    }

    /// Counts and times one answered request by route template (never the
    /// raw path, which would let clients create unbounded label values),
    /// method and status. `route` is the template's index (None: unmatched),
    /// `label` its text.
    pub fn record(&self, route: Option<usize>, label: &str, method: &Method, status: StatusCode, elapsed: Duration) {
        let status = status.as_u16();
        let slot = &self.by_route[route.unwrap_or(self.by_route.len() - 1)];
        // Standard methods only: an arbitrary method must not grow the list.
        let standard = STANDARD_METHODS.contains(method);
        if standard {
            let handles = slot.read().unwrap_or_else(|e| e.into_inner());
            if let Some(h) = handles.iter().find(|h| h.status == status && h.method == *method) {
                h.latency.record(elapsed.as_secs_f64());
                h.requests.increment(1);
                return;
            }
        }
        // Any other method string is "other": clients must not be able to mint label values.
        let method_label = if standard { method.as_str() } else { "other" };
        let labels = [("route", label.to_string()), ("method", method_label.to_string()), ("status", status.to_string())];
        let latency = metrics::histogram!("bff_http_request_duration_seconds", &labels);
        let requests = metrics::counter!("bff_http_requests_total", &labels);
        latency.record(elapsed.as_secs_f64());
        requests.increment(1);
        if standard {
            let mut handles = slot.write().unwrap_or_else(|e| e.into_inner());
            if !handles.iter().any(|h| h.status == status && h.method == *method) {
                handles.push(RequestHandles { method: method.clone(), status, requests, latency });
            }
        }
    }
}

const STANDARD_METHODS: [Method; 9] =
    [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS, Method::CONNECT, Method::TRACE];
