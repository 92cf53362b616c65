//! Index answers remembered per query until the replica changes.
//!
//! Why: an index answer is computed (sets intersected, a page picked, JSON written, an ETag
//! hashed) in tens of microseconds, while a cached pass-through answer is a lookup. Shops
//! repeat the same few URLs (the first page of each category, the product pages), so without
//! this the index made every repeated URL several times dearer than the cache it replaces.
//! The replica's `version` changes with every product, taxonomy or walk, so an answer tagged
//! with the version it was computed from is exact while that version holds: no TTL guesswork
//! and no invalidation paths of its own. A change drops every answer at once (by tag); shops
//! change far less often than they are read.
//!
//! The memo is bounded in bytes (an eighth of `CACHE_BUDGET_MB`, weighed as the response
//! cache weighs its entries), keyed by the normalised query, so anonymous clients with
//! unique queries only push out each other's answers. The front (`catalogue::front`) answers
//! a remembered URL from here without the router, as it does for the response cache.

use std::sync::Arc;
use std::time::Instant;

use quick_cache::sync::Cache;
use quick_cache::Weighter;

use crate::cache::{entry_bytes, CachedBody};

#[derive(Clone)]
struct Remembered {
    /// The replica version the answer was computed from.
    version: u64,
    entry: Arc<CachedBody>,
}

#[derive(Clone)]
struct AnswerWeight;

impl Weighter<Box<str>, Remembered> for AnswerWeight {
    fn weight(&self, key: &Box<str>, value: &Remembered) -> u64 {
        entry_bytes(key, &value.entry)
    }
}

pub(super) struct Answers {
    memo: Cache<Box<str>, Remembered, AnswerWeight>,
}

impl Answers {
    pub(super) fn new(budget_bytes: u64) -> Self {
        // quick_cache sizes its table from an estimate of entries: a list answer is ~10 KiB.
        let estimated = usize::try_from(budget_bytes / 10_240).unwrap_or(usize::MAX).max(64);
        Self { memo: Cache::with_weighter(estimated, budget_bytes.max(1), AnswerWeight) }
    }

    /// The answer for `key` computed from `version`, while it is within its TTL (its
    /// `Cache-Control: max-age` counts down from when it was made; a fresh copy restarts it).
    pub(super) fn get(&self, key: &str, version: u64, now: Instant) -> Option<Arc<CachedBody>> {
        let found = self.memo.get(key)?;
        (found.version == version && found.entry.age_at(now) < found.entry.ttl).then_some(found.entry)
    }

    pub(super) fn insert(&self, key: &str, version: u64, entry: Arc<CachedBody>) {
        self.memo.insert(key.into(), Remembered { version, entry });
    }

    /// Bytes held, as weighed.
    pub(super) fn weight(&self) -> u64 {
        self.memo.weight()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;
    use crate::cache::RouteClass;

    fn entry(body: &'static str, ttl: Duration) -> Arc<CachedBody> {
        Arc::new(CachedBody::new(Bytes::from_static(body.as_bytes()), RouteClass::List, ttl, vec![]))
    }

    #[test]
    fn an_answer_holds_for_its_version_and_ttl_only() {
        let answers = Answers::new(1 << 20);
        let now = Instant::now();
        answers.insert("products?page=1", 7, entry("[1]", Duration::from_secs(60)));
        assert_eq!(answers.get("products?page=1", 7, now).map(|e| e.body.clone()), Some(Bytes::from_static(b"[1]")));
        assert!(answers.get("products?page=1", 8, now).is_none(), "another version");
        assert!(answers.get("products?page=2", 7, now).is_none(), "another query");
        assert!(answers.get("products?page=1", 7, now + Duration::from_secs(61)).is_none(), "past its TTL");
    }

    #[test]
    fn the_memo_stays_within_its_budget() {
        let answers = Answers::new(64 * 1024);
        for i in 0..1_000 {
            answers.insert(&format!("products?page={i}"), 1, entry("[1,2,3,4,5,6,7,8]", Duration::from_secs(60)));
        }
        assert!(answers.weight() <= 64 * 1024, "weight {}", answers.weight());
        assert!(answers.weight() > 32 * 1024, "the budget is used: weight {}", answers.weight());
    }
}
