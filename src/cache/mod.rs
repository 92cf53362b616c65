//! The catalogue response cache: byte-weighted moka caches of rendered JSON,
//! per-route-class TTLs, coalesced misses, stale-if-error, and invalidation.
//!
//! Two moka caches share the same `Arc`ed entries: `fresh` expires at the
//! class TTL and is where misses coalesce (moka runs one init future per key
//! and hands its result to every waiter); `stale` keeps entries for the TTL
//! plus the stale window so an outage can be bridged. Entries hold our own
//! rendered view bytes, so a hit is a refcount bump, not a re-serialisation.
//!
//! Refresh ahead: a hit in the last part of an entry's TTL (`refresh_ahead_percent`)
//! starts one background fetch of the same key, and the new body replaces the
//! entry before it expires. A page that is read steadily is then never a miss,
//! and nobody queues behind the store when its TTL runs out.

mod breaker;
mod counters;
mod etag;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue};
use bytes::Bytes;
use moka::future::Cache;
use moka::Expiry;

pub use etag::{etag_for, if_none_match_matches};

use crate::error::ApiError;

/// Route classes with their own TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteClass {
    /// Product lists and facets: change with any product.
    List,
    /// A product, its variations, its reviews.
    Product,
    /// Categories, tags, attributes and terms: rarely change.
    Taxonomy,
}

impl RouteClass {
    /// For logs, which name the class of a key rather than the key: a key holds the query,
    /// and a query can hold what a shopper typed (`search`), which logs must not.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteClass::List => "list",
            RouteClass::Product => "product",
            RouteClass::Taxonomy => "taxonomy",
        }
    }
}

#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub budget_bytes: u64,
    pub ttl_list: Duration,
    pub ttl_product: Duration,
    pub ttl_taxonomy: Duration,
    /// How long past its TTL an entry may still be served when the store fails.
    pub stale_window: Duration,
    /// After a failed refresh, serve stale without asking the store again for
    /// this long, so an outage does not make every request wait for a timeout:
    /// for that key, and (see `breaker`) for every key with a stale copy but
    /// one probe per window, until a fetch succeeds. After three failures in a
    /// row a key with no stale copy is refused at once (503) too.
    pub failure_backoff: Duration,
    /// A hit in the last this-many percent of an entry's TTL refreshes it in
    /// the background (one fetch per entry); 0: entries just expire.
    pub refresh_ahead_percent: u8,
    /// How long a 404 from the store is remembered (a missing slug asked
    /// again and again costs one store call per this long); 0: never.
    pub ttl_not_found: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            budget_bytes: 128 * 1024 * 1024,
            ttl_list: Duration::from_secs(60),
            ttl_product: Duration::from_secs(300),
            ttl_taxonomy: Duration::from_secs(3600),
            stale_window: Duration::from_secs(600),
            failure_backoff: Duration::from_secs(2),
            refresh_ahead_percent: 20,
            ttl_not_found: Duration::from_secs(30),
        }
    }
}

impl CacheSettings {
    pub fn ttl(&self, class: RouteClass) -> Duration {
        match class {
            RouteClass::List => self.ttl_list,
            RouteClass::Product => self.ttl_product,
            RouteClass::Taxonomy => self.ttl_taxonomy,
        }
    }

    /// How long after it was stored an entry with this TTL refreshes on a hit, if at all.
    fn refresh_after(&self, ttl: Duration) -> Option<Duration> {
        let ahead = u32::from(self.refresh_ahead_percent.min(100));
        (ahead > 0 && !ttl.is_zero()).then(|| ttl * (100 - ahead) / 100)
    }
}

/// A cache key: the route class plus the normalised request. Build it from a
/// validated, defaults-filled query so random parameters cannot multiply keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    pub class: RouteClass,
    /// e.g. "products?page=1&per_page=24&..." or "product:42".
    pub key: String,
    /// The product this entry is about, for per-product invalidation.
    pub product_id: Option<u64>,
}

/// Hashes the key text only: it already names the route (and product), so
/// equal keys still hash equally, and the cache hashes on every lookup,
/// where one hasher write is markedly cheaper than one per field.
impl std::hash::Hash for CacheKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl CacheKey {
    pub fn new(class: RouteClass, key: impl Into<String>) -> Self {
        Self { class, key: key.into(), product_id: None }
    }

    pub fn for_product(mut self, id: u64) -> Self {
        self.product_id = Some(id);
        self
    }
}

/// A rendered response body and what is needed to answer conditionally.
/// The header values are built once, when the entry is stored, so a hit
/// only clones them (a reference count each) instead of re-validating text.
#[derive(Debug)]
pub struct CachedBody {
    pub body: Bytes,
    /// Strong ETag, quoted, ready to send.
    pub etag: HeaderValue,
    pub stored_at: Instant,
    pub class: RouteClass,
    pub ttl: Duration,
    /// Product ids this body shows (detail pages: the product; slug lookups
    /// learn the id only after the fetch).
    pub product_ids: Vec<u64>,
    /// The last `Cache-Control` value sent, by its `max-age`: it changes at
    /// most once a second, so most hits reuse it.
    cache_control: Mutex<Option<([u64; 3], HeaderValue)>>,
    /// The answer's constant headers, prepared by the responder at the first
    /// answer and cloned for every later one (one copy instead of a hash and
    /// insert per header).
    headers: OnceLock<HeaderMap>,
    /// From when a hit starts a background refresh (see the module docs).
    refresh_at: Option<Instant>,
    /// Set by the one hit that starts it.
    refresh_claimed: AtomicBool,
}

impl CachedBody {
    pub fn new(body: Bytes, class: RouteClass, ttl: Duration, product_ids: Vec<u64>) -> Self {
        let etag = HeaderValue::from_str(&etag_for(&body)).expect("an ETag is quoted hex");
        Self {
            body,
            etag,
            stored_at: Instant::now(),
            class,
            ttl,
            product_ids,
            cache_control: Mutex::new(None),
            headers: OnceLock::new(),
            refresh_at: None,
            refresh_claimed: AtomicBool::new(false),
        }
    }

    /// Refresh on a hit once `after` has passed since it was stored.
    fn refreshing_after(mut self, after: Option<Duration>) -> Self {
        self.refresh_at = after.map(|after| self.stored_at + after);
        self
    }

    /// True once its refresh time has come (never without refresh ahead).
    fn refresh_due(&self, now: Instant) -> bool {
        self.refresh_at.is_some_and(|at| now >= at)
    }

    /// True for the first caller once the refresh time has come; false for everyone else.
    fn claim_refresh(&self, now: Instant) -> bool {
        self.refresh_due(now) && !self.refresh_claimed.swap(true, Ordering::Relaxed)
    }

    /// The constant response headers, made by `prepare` on first use.
    pub fn headers(&self, prepare: impl FnOnce(&Self) -> HeaderMap) -> &HeaderMap {
        self.headers.get_or_init(|| prepare(self))
    }

    pub fn age(&self) -> Duration {
        self.stored_at.elapsed()
    }

    /// The age at `now` (zero if it was stored after `now`).
    pub fn age_at(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.stored_at)
    }

    /// The ETag as text (always ASCII).
    pub fn etag_str(&self) -> &str {
        self.etag.to_str().unwrap_or("")
    }

    /// `public, max-age=…, stale-while-revalidate=…, stale-if-error=…`.
    pub fn cache_control(&self, max_age: u64, stale_while_revalidate: u64, stale_if_error: u64) -> HeaderValue {
        let mut last = self.cache_control.lock().unwrap_or_else(|e| e.into_inner());
        let figures = [max_age, stale_while_revalidate, stale_if_error];
        match &*last {
            Some((seen, value)) if *seen == figures => value.clone(),
            _ => {
                let text =
                    format!("public, max-age={max_age}, stale-while-revalidate={stale_while_revalidate}, stale-if-error={stale_if_error}");
                let value = HeaderValue::from_str(&text).expect("digits and ASCII");
                *last = Some((figures, value.clone()));
                value
            }
        }
    }
}

/// What a fetch produced: the body plus the products it shows.
pub struct Fetched {
    pub body: Bytes,
    pub product_ids: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
    Stale,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Stale => "STALE",
        }
    }
}

struct ClassExpiry {
    extra: Duration,
}

impl Expiry<CacheKey, Arc<CachedBody>> for ClassExpiry {
    fn expire_after_create(&self, _: &CacheKey, value: &Arc<CachedBody>, _: Instant) -> Option<Duration> {
        Some(value.ttl + self.extra)
    }

    /// A replaced entry (a refresh) lives from its own store time, not the old one's.
    fn expire_after_update(&self, _: &CacheKey, value: &Arc<CachedBody>, _: Instant, _: Option<Duration>) -> Option<Duration> {
        Some(value.ttl + self.extra)
    }
}

/// About what a prepared header map of a catalogue answer occupies.
const PREPARED_HEADERS_BYTES: usize = 512;
/// What an entry costs besides its key, body, ETag and prepared headers: the `CachedBody`, its
/// `Arc`, the key's allocation and moka's own entry. Measured (`examples/measure_memory.rs`: a
/// small list page held by both copies costs ~1,472 bytes of RSS), and set so that one copy's
/// weight covers the whole entry: a stale copy may outlive its fresh one and hold it alone.
const ENTRY_OVERHEAD_BYTES: usize = 840;

fn weigh(key: &CacheKey, value: &Arc<CachedBody>) -> u32 {
    // Saturate rather than wrap on huge bodies.
    u32::try_from(entry_bytes(&key.key, value)).unwrap_or(u32::MAX)
}

/// Real bytes of an entry held under `key` (also the index answers' weight, see
/// `catalogue::index::answers`).
pub fn entry_bytes(key: &str, value: &CachedBody) -> u64 {
    (key.len() + value.body.len() + value.etag.len() + ENTRY_OVERHEAD_BYTES + PREPARED_HEADERS_BYTES) as u64
}

/// Each copy (fresh, stale) gets half of the budget: both together stay within it even when
/// their entries differ (they share a body while both hold it, so usually they use less).
fn copy_budget(settings: &CacheSettings) -> u64 {
    settings.budget_bytes / 2
}

/// The caches' key hasher: randomly seeded per process (keys come from
/// clients, so colliding keys must not be predictable), and several times
/// cheaper than the default SipHash on every hit.
type KeyHasher = foldhash::quality::RandomState;

#[derive(Clone)]
pub struct ResponseCache {
    fresh: Cache<CacheKey, Arc<CachedBody>, KeyHasher>,
    stale: Cache<CacheKey, Arc<CachedBody>, KeyHasher>,
    failing: Cache<CacheKey, (), KeyHasher>,
    /// Keys the store answered 404 for, with that answer (negative caching).
    missing: Cache<CacheKey, ApiError, KeyHasher>,
    /// The store as a whole: down after an outage, until a fetch succeeds.
    store: Arc<breaker::Breaker>,
    /// Bumped by every invalidation: a fetch or refresh that started before one
    /// must not keep what it fetched (it may predate the change).
    generation: Arc<AtomicU64>,
    settings: Arc<CacheSettings>,
    /// The cap on concurrent catalogue fetches and the per-client miss budget.
    gate: crate::gate::Gate,
    /// Told the id of every product dropped here (the catalogue index re-reads it): every path
    /// that learns of a change (webhook, Redis broadcast, reconciliation) already ends here.
    on_product_change: Arc<std::sync::OnceLock<ProductChangeHook>>,
}

/// See [`ResponseCache::on_product_change`].
pub type ProductChangeHook = Box<dyn Fn(u64) + Send + Sync>;

impl ResponseCache {
    pub fn new(settings: CacheSettings) -> Self {
        let build = |extra: Duration| {
            Cache::builder()
                .max_capacity(copy_budget(&settings))
                .weigher(weigh)
                .expire_after(ClassExpiry { extra })
                .support_invalidation_closures()
                .build_with_hasher(KeyHasher::default())
        };
        Self {
            fresh: build(Duration::ZERO),
            stale: build(settings.stale_window),
            failing: Cache::builder().max_capacity(10_000).time_to_live(settings.failure_backoff).build_with_hasher(KeyHasher::default()),
            // Keys cost about their length; 100k remembered misses are a few MiB at most.
            missing: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(settings.ttl_not_found.max(Duration::from_millis(1)))
                .build_with_hasher(KeyHasher::default()),
            store: Arc::new(breaker::Breaker::new(settings.failure_backoff)),
            generation: Arc::new(AtomicU64::new(0)),
            settings: Arc::new(settings),
            gate: crate::gate::Gate::unlimited(),
            on_product_change: Arc::new(std::sync::OnceLock::new()),
        }
    }

    /// Registers the one listener told of every product change (set once, at start-up).
    pub fn on_product_change(&self, hook: ProductChangeHook) {
        if self.on_product_change.set(hook).is_err() {
            tracing::warn!("a product change listener was already registered; the new one is ignored");
        }
    }

    /// The same cache with its fetches capped and its misses budgeted by `gate`.
    pub fn with_gate(mut self, gate: crate::gate::Gate) -> Self {
        self.gate = gate;
        self
    }

    pub fn settings(&self) -> &CacheSettings {
        &self.settings
    }

    /// Answers from cache, or runs `fetch` once for all concurrent callers of
    /// the same key. When the store is down, an entry within the stale window
    /// is served as STALE; otherwise the error is returned. A hit that is due
    /// for a refresh runs `fetch` in the background (so its future owns what it
    /// uses; `fetch` itself may borrow, as it is only called when needed).
    /// `now` is the caller's clock reading for this answer (one per answer).
    pub async fn get_or_fetch<F, Fut>(&self, key: CacheKey, now: Instant, fetch: F) -> Result<(Arc<CachedBody>, CacheStatus), ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched, ApiError>> + Send + 'static,
    {
        let result = match self.fresh.get(&key).await {
            Some(hit) => {
                if hit.claim_refresh(now) {
                    self.refresh(key, hit.ttl, fetch());
                }
                Ok((hit, CacheStatus::Hit))
            }
            // Boxed: the miss path's future (moka's coalescing insert plus the
            // fetch and rendering) is many times the size of a hit's, and
            // inline it would be moved around on every hit as well.
            None => match self.missing.get(&key).await {
                // The store said 404 a moment ago: say it again without asking.
                Some(not_found) => Err(not_found),
                None => Box::pin(self.miss(key, fetch)).await,
            },
        };
        if let Ok((_, status)) = &result {
            counters::cache_requests(*status).increment(1);
        }
        result
    }

    /// A fresh entry for `key` that is not yet due for a refresh (counted as a hit).
    pub async fn fresh_hit(&self, key: &CacheKey, now: Instant) -> Option<Arc<CachedBody>> {
        let hit = self.fresh.get(key).await.filter(|hit| !hit.refresh_due(now))?;
        counters::cache_requests(CacheStatus::Hit).increment(1);
        Some(hit)
    }

    /// Not in the fresh cache: a stale copy while the store is failing,
    /// else one coalesced fetch.
    async fn miss<F, Fut>(&self, key: CacheKey, fetch: F) -> Result<(Arc<CachedBody>, CacheStatus), ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched, ApiError>>,
    {
        // The store failed for this key a moment ago, or is down as a whole
        // (all but one probe per window): don't queue behind another timeout
        // when a stale copy is at hand.
        if self.failing.contains_key(&key) || self.store.holds_back() {
            if let Some(stale) = self.stale.get(&key).await {
                return Ok((stale, CacheStatus::Stale));
            }
            // Nothing to bridge with, and the store has failed several fetches in a row: asking
            // it again would only add this caller to the ones waiting out a timeout (and the
            // store's recovery to their load). Refuse now; the window's probe still asks.
            if self.store.is_down() {
                return Err(ApiError::UpstreamUnavailable);
            }
        }
        // A miss costs the store a call: charged to the client (hits never are).
        if let Err(over_budget) = self.gate.charge_miss() {
            return match self.stale.get(&key).await {
                Some(stale) => Ok((stale, CacheStatus::Stale)),
                None => Err(over_budget),
            };
        }
        let ttl = self.settings.ttl(key.class);
        let refresh_after = self.settings.refresh_after(ttl);
        let class = key.class;
        let stale = self.stale.clone();
        let gate = self.gate.clone();
        let key_for_init = key.clone();
        let generation = self.generation.load(Ordering::Acquire);
        let entry = self
            .fresh
            .entry(key.clone())
            .or_try_insert_with(async move {
                // Callers joining this fetch wait on it and need no permit of their own.
                let _permit = gate.enter(crate::gate::Kind::Catalogue).await?;
                let fetched = fetch().await?;
                let value = Arc::new(CachedBody::new(fetched.body, class, ttl, fetched.product_ids).refreshing_after(refresh_after));
                stale.insert(key_for_init, value.clone()).await;
                Ok::<_, ApiError>(value)
            })
            .await;
        match entry {
            Ok(entry) => {
                // Fresh: this call (or one it joined) fetched it, so the store is up.
                let status = if entry.is_fresh() {
                    self.store.close();
                    // Answered all the same: it is no older than this request.
                    self.forget_if_invalidated_since(&key, generation).await;
                    CacheStatus::Miss
                } else {
                    CacheStatus::Hit
                };
                Ok((entry.into_value(), status))
            }
            Err(err) => {
                if matches!(*err, ApiError::NotFound { .. }) && !self.settings.ttl_not_found.is_zero() {
                    self.missing.insert(key.clone(), (*err).clone()).await;
                    // Kept only if no invalidation came since the fetch began (it may announce this
                    // very product); checked after the insert so none can slip in between.
                    if self.generation.load(Ordering::Acquire) != generation {
                        self.missing.invalidate(&key).await;
                    }
                }
                if matches!(*err, ApiError::UpstreamBusy) {
                    if let Some(stale) = self.stale.get(&key).await {
                        return Ok((stale, CacheStatus::Stale));
                    }
                }
                if err.is_outage() {
                    self.store.trip();
                    self.failing.insert(key.clone(), ()).await;
                    if let Some(stale) = self.stale.get(&key).await {
                        tracing::info!(class = key.class.as_str(), age_secs = stale.age().as_secs(), "serving stale catalogue entry");
                        return Ok((stale, CacheStatus::Stale));
                    }
                }
                Err(Arc::try_unwrap(err).unwrap_or_else(|shared| (*shared).clone()))
            }
        }
    }

    /// Fetches `key` again in the background and replaces its entry (fresh and
    /// stale) with the answer, unless the store is failing or the cache was
    /// invalidated meanwhile. A failure leaves the entry to expire as usual.
    fn refresh<Fut>(&self, key: CacheKey, ttl: Duration, fetching: Fut)
    where
        Fut: Future<Output = Result<Fetched, ApiError>> + Send + 'static,
    {
        let cache = self.clone();
        let generation = self.generation.load(Ordering::Acquire);
        tokio::spawn(async move {
            // While the store counts as down, its probes are for requests that need it.
            // Nor while the store is at its cap: the entry is still fresh, a later hit tries again.
            let Some(_permit) = cache.gate.try_enter(crate::gate::Kind::Catalogue).filter(|_| !cache.store.holds_back()) else {
                counters::cache_refresh("skipped");
                return;
            };
            match fetching.await {
                Ok(fetched) => {
                    cache.store.close();
                    let value = CachedBody::new(fetched.body, key.class, ttl, fetched.product_ids);
                    let value = Arc::new(value.refreshing_after(cache.settings.refresh_after(ttl)));
                    cache.stale.insert(key.clone(), value.clone()).await;
                    cache.fresh.insert(key.clone(), value).await;
                    let dropped = cache.forget_if_invalidated_since(&key, generation).await;
                    counters::cache_refresh(if dropped { "discarded" } else { "stored" });
                }
                Err(err) => {
                    if err.is_outage() {
                        cache.store.trip();
                    }
                    counters::cache_refresh("failed");
                    tracing::info!(class = key.class.as_str(), code = err.code(), "background refresh failed; the entry expires as usual");
                }
            }
        });
    }

    /// After storing a fetch of `key` that began at `generation`: if any invalidation came
    /// meanwhile, what the store answered may predate the change it announced, so the entry
    /// is dropped again (any invalidation, not only one that names this key: they are rare,
    /// and a needless miss is cheaper than a page that stays wrong for a whole TTL). Checked
    /// after the insert, so an invalidation between the check and the insert cannot be missed.
    async fn forget_if_invalidated_since(&self, key: &CacheKey, generation: u64) -> bool {
        if self.generation.load(Ordering::Acquire) == generation {
            return false;
        }
        tracing::debug!(class = key.class.as_str(), "fetched entry dropped: the cache was invalidated while it was fetched");
        self.fresh.invalidate(key).await;
        self.stale.invalidate(key).await;
        true
    }

    /// Drops everything about one product: its detail (by id and slug), its
    /// variations and reviews. Lists are dropped separately.
    pub fn invalidate_product(&self, id: u64, slug: Option<&str>) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(hook) = self.on_product_change.get() {
            hook(id);
        }
        // A product that appears may be one a remembered 404 names (by an id,
        // a slug, or in a route of its own): forget them all, they are cheap to learn again.
        self.missing.invalidate_all();
        let slug_key = slug.map(|s| format!("product:{s}"));
        for cache in [&self.fresh, &self.stale] {
            let slug_key = slug_key.clone();
            let _ = cache.invalidate_entries_if(move |k, v| {
                k.product_id == Some(id) || v.product_ids.contains(&id) || slug_key.as_deref() == Some(k.key.as_str())
            });
        }
    }

    /// Drops every product list and facet page.
    pub fn invalidate_lists(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        for cache in [&self.fresh, &self.stale] {
            let _ = cache.invalidate_entries_if(|k, _| k.class == RouteClass::List);
        }
    }

    /// Drops categories, tags and attributes.
    pub fn invalidate_taxonomies(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        for cache in [&self.fresh, &self.stale] {
            let _ = cache.invalidate_entries_if(|k, _| k.class == RouteClass::Taxonomy);
        }
    }

    /// Bytes currently held (approximate; moka updates lazily).
    pub fn weighted_size(&self) -> u64 {
        self.fresh.weighted_size() + self.stale.weighted_size()
    }

    /// Runs moka's pending housekeeping; tests use it to observe evictions.
    pub async fn run_pending_tasks(&self) {
        self.fresh.run_pending_tasks().await;
        self.stale.run_pending_tasks().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the weigher to what was measured: the small list page of `examples/measure_memory.rs`
    /// cost ~1,472 bytes of RSS held by both copies; one copy's weight covers it (within 25 %).
    #[test]
    fn one_copy_weighs_what_the_whole_entry_was_measured_to_cost() {
        let key = CacheKey::new(RouteClass::List, "products?search=q00000042&page=1&per_page=12");
        let body = Bytes::from(r#"{"items":[],"page":1,"per_page":12,"total":0,"total_pages":0,"n":42}"#);
        let entry = Arc::new(CachedBody::new(body, RouteClass::List, Duration::from_secs(60), vec![]));
        let w = u64::from(weigh(&key, &entry));
        assert!((1_472..=1_840).contains(&w), "measured ~1,472 bytes, weighed {w}");
    }

    #[test]
    fn fresh_and_stale_share_one_budget() {
        let cache = ResponseCache::new(CacheSettings { budget_bytes: 1 << 20, ..CacheSettings::default() });
        let total = cache.fresh.policy().max_capacity().unwrap() + cache.stale.policy().max_capacity().unwrap();
        assert_eq!(total, 1 << 20);
    }
}
