//! Reconciliation: webhooks get lost (WooCommerce does not retry and
//! disables a webhook after failures), so a periodic scan asks REST v3 for
//! products modified since the last successful scan, walking every page, and
//! invalidates what changed. A lost webhook then costs at most one interval.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cache::ResponseCache;
use crate::upstream::rest::RestProductQuery;
use crate::upstream::{RestClient, UpstreamError};

/// Scans overlap by this much so a change committed while a scan ran is not missed.
const OVERLAP: Duration = Duration::from_secs(5);

/// Scan state, exported on `/metrics`.
#[derive(Debug, Default)]
pub struct ReconcileStats {
    /// Unix seconds of the last successful scan's start (its cursor).
    pub cursor: AtomicU64,
    pub scans: AtomicU64,
    pub failures: AtomicU64,
    pub invalidated: AtomicU64,
}

#[derive(Clone)]
pub struct Reconciler {
    rest: RestClient,
    cache: ResponseCache,
    pub stats: Arc<ReconcileStats>,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `2026-11-28T19:39:08`, the form REST v3 takes for `modified_after`.
pub(crate) fn iso(secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
}

impl Reconciler {
    /// Starts from "now": what changed before start-up is not in any cache yet.
    pub fn new(rest: RestClient, cache: ResponseCache) -> Self {
        let stats = Arc::new(ReconcileStats::default());
        stats.cursor.store(now(), Ordering::Relaxed);
        Self { rest, cache, stats }
    }

    /// Seconds since the last successful scan started.
    pub fn lag_secs(&self) -> u64 {
        now().saturating_sub(self.stats.cursor.load(Ordering::Relaxed))
    }

    /// One scan. On failure the cursor stays, so the next scan covers the gap.
    pub async fn run_once(&self) -> Result<usize, UpstreamError> {
        let started = now();
        let since = self.stats.cursor.load(Ordering::Relaxed).saturating_sub(OVERLAP.as_secs());
        let query = RestProductQuery { modified_after: Some(iso(since)), ..Default::default() };
        self.stats.scans.fetch_add(1, Ordering::Relaxed);
        let changed = match self.rest.all_products(&query).await {
            Ok(changed) => changed,
            Err(err) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                return Err(err);
            }
        };
        for product in &changed {
            self.cache.invalidate_product(product.id, Some(&product.slug));
            for variation in &product.variations {
                self.cache.invalidate_product(*variation, None);
            }
        }
        if !changed.is_empty() {
            self.cache.invalidate_lists();
            self.stats.invalidated.fetch_add(changed.len() as u64, Ordering::Relaxed);
            tracing::info!(changed = changed.len(), "reconciliation invalidated changed products");
        }
        self.stats.cursor.store(started, Ordering::Relaxed);
        Ok(changed.len())
    }

    /// Runs forever at `interval`; survives upstream errors.
    pub fn spawn(self, interval: Duration) {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(err) = self.run_once().await {
                    tracing::warn!(error = %err, lag_secs = self.lag_secs(), "reconciliation scan failed; will retry");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_gmt_timestamps_for_rest_v3() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00");
        assert_eq!(super::iso(1_795_894_748), "2026-11-28T19:39:08");
    }
}
