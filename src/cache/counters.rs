//! The cache's own counters in the metrics recorder (`bff_cache_requests_total`,
//! `bff_cache_refreshes_total`). Here rather than in `metrics` so the recorder stays a leaf
//! that knows no feature (the module graph reads top-down; ARCHITECTURE.md).

use std::sync::OnceLock;

use metrics::Counter;

use super::CacheStatus;

/// `bff_cache_requests_total{status}` for HIT, MISS and STALE, resolved once
/// (after our recorder is installed, so the handles are never no-ops).
pub fn cache_requests(status: CacheStatus) -> &'static Counter {
    static HANDLES: OnceLock<[Counter; 3]> = OnceLock::new();
    let handles = HANDLES.get_or_init(|| {
        crate::metrics::handle();
        [CacheStatus::Hit, CacheStatus::Miss, CacheStatus::Stale]
            .map(|s| metrics::counter!("bff_cache_requests_total", "status" => s.as_str()))
    });
    &handles[status as usize]
}

/// `bff_cache_refreshes_total{outcome}`: background refreshes (`stored`, `failed`, `discarded`
/// after an invalidation, `skipped` while the store counts as down). Rare, so not resolved ahead.
pub fn cache_refresh(outcome: &'static str) {
    crate::metrics::handle();
    metrics::counter!("bff_cache_refreshes_total", "outcome" => outcome).increment(1);
}
