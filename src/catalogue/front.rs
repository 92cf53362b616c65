//! Repeated catalogue URLs answered straight from the response cache, in front of the router.
//!
//! Why: a cached catalogue read does little real work (a cache lookup, a clone of prepared
//! headers), yet going through axum's router, the extractors and our query validation cost
//! as much again every time, to arrive at the same cache key for the same URL. Caching
//! proxies key on the request target for this reason (nginx's `proxy_cache_key` is
//! `$scheme$proxy_host$request_uri`). So the front remembers, per exact request target,
//! the cache key the router's answer came from: a memo of the query normalisation, which
//! depends on the target alone.
//!
//! What it may answer: a `GET` of a remembered target whose entry is in the fresh cache and
//! not yet due for its refresh ahead, or whose catalogue-index answer is remembered for the
//! index's current version (see `index::answers`), i.e. exactly the cases where the routed
//! request would end in a plain `X-Cache: HIT` from that same entry. It answers through the same
//! [`Cached::respond`], so ETag, 304, `Cache-Control` and headers are the routed answer's.
//! Everything else goes through the router as before: other methods (HEAD too), misses,
//! stale answers, entries due for refresh, invalidated entries, and every target that never
//! produced a cached answer (a 422 for a bad query is never remembered, so it is refused
//! again each time). The edge, CORS and the body limit sit outside, so request ids, logs,
//! metrics (by route template) and security headers are the same for both ways.
//!
//! The price: a remembered URL whose entry has expired (or is due for refresh) is looked up
//! once here and once more on its routed way, about 7 % of a routed read. That happens once
//! per TTL per URL, or throughout an outage while stale copies are served; `bench/load.sh`
//! shows it as a few percent fewer requests per second in its outage phase.
//!
//! The memo (quick_cache, with its per-process randomly seeded hasher, as targets come from
//! clients) is bounded (`MEMO_BYTES`, about 20,000 URLs, the least used dropped first) and
//! holds no bodies: invalidation and expiry stay the response cache's alone.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, Method, Uri};
use axum::response::Response;
use futures::future::{BoxFuture, Either};
use quick_cache::sync::Cache;
use quick_cache::Weighter;

use super::index::CatalogueIndex;
use super::respond::{Cached, IfNoneMatch};
use crate::cache::{CacheKey, CacheStatus, ResponseCache};

/// The cache key a routed catalogue answer came from: a response extension that
/// [`Cached::respond`] adds and the front takes off again (it never reaches the wire).
#[derive(Clone)]
pub struct AnsweredFrom(pub Arc<CacheKey>);

/// Bytes of request targets (and keys) the memo holds at most.
const MEMO_BYTES: u64 = 2 * 1024 * 1024;
/// Longer targets are always routed (nobody's product page has a 512-byte URL; a flood of
/// long ones must not push the real ones out).
const MAX_TARGET_LEN: usize = 512;

/// Weight of a memo entry: its text plus the map's own overhead.
#[derive(Clone)]
struct TargetWeight;

impl Weighter<Box<str>, Arc<CacheKey>> for TargetWeight {
    fn weight(&self, target: &Box<str>, key: &Arc<CacheKey>) -> u64 {
        (target.len() + key.key.len() + 64) as u64
    }
}

struct Shared {
    cache: ResponseCache,
    /// Its remembered answers come first: once ready, the routed path answers from it.
    index: Option<CatalogueIndex>,
    /// Request target (path and query, as sent) → the cache key it normalises to.
    memo: Cache<Box<str>, Arc<CacheKey>, TargetWeight>,
}

/// The layer: wraps the router (see `app::router`).
#[derive(Clone)]
pub struct FrontLayer {
    shared: Arc<Shared>,
}

impl FrontLayer {
    pub fn new(cache: ResponseCache, index: Option<CatalogueIndex>) -> Self {
        let memo = Cache::with_weighter(20_000, MEMO_BYTES, TargetWeight);
        Self { shared: Arc::new(Shared { cache, index, memo }) }
    }
}

impl<S> tower::Layer<S> for FrontLayer {
    type Service = Front<S>;

    fn layer(&self, inner: S) -> Front<S> {
        Front { inner, shared: self.shared.clone() }
    }
}

#[derive(Clone)]
pub struct Front<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> tower::Service<Request> for Front<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.method() != Method::GET {
            return Either::Left(self.inner.call(request));
        }
        // The ready service answers this request; a clone takes its place (tower's usual swap).
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        Either::Right(Box::pin(answer(self.shared.clone(), inner, request)))
    }
}

/// A plain hit from the memo, else the router (and the memo learns the target from its answer).
async fn answer<S>(shared: Arc<Shared>, mut inner: S, request: Request) -> Result<Response, Infallible>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    let known = shared.memo.get(target(request.uri()));
    if let Some(key) = &known {
        let now = Instant::now();
        let remembered = shared.index.as_ref().and_then(|index| index.remembered(&key.key, now));
        let entry = match remembered {
            Some(entry) => Some(entry),
            None => shared.cache.fresh_hit(key, now).await,
        };
        if let Some(entry) = entry {
            let stale_window = shared.cache.settings().stale_window;
            let cached = Cached { entry, status: CacheStatus::Hit, stale_window, now, answered_from: None };
            return Ok(cached.respond(IfNoneMatch(request.headers().get(header::IF_NONE_MATCH).cloned())));
        }
    }
    // Kept (a cheap clone: the target's bytes are shared) in case the answer teaches the memo.
    let learn = (known.is_none() && target(request.uri()).len() <= MAX_TARGET_LEN).then(|| request.uri().clone());
    let mut response = inner.call(request).await?;
    if let Some(AnsweredFrom(key)) = response.extensions_mut().remove::<AnsweredFrom>() {
        if let Some(uri) = learn {
            shared.memo.insert(target(&uri).into(), key);
        }
    }
    Ok(response)
}

/// The request target as sent: path and query.
fn target(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use bytes::Bytes;
    use tower::util::BoxCloneSyncService;
    use tower::{Layer, ServiceExt};

    use super::*;
    use crate::cache::{CacheSettings, Fetched, RouteClass};

    type Router = BoxCloneSyncService<Request, Response, Infallible>;

    struct Setup {
        front: Front<Router>,
        cache: ResponseCache,
        routed: Arc<AtomicUsize>,
    }

    /// A stand-in for the router that counts its calls: `/list?…` answers from the cache
    /// under one key, as the catalogue handlers do; any other path is a 422 (no cached answer).
    fn setup(settings: CacheSettings) -> Setup {
        let cache = ResponseCache::new(settings);
        let routed = Arc::new(AtomicUsize::new(0));
        let (router_cache, counter) = (cache.clone(), routed.clone());
        let router = tower::service_fn(move |request: Request| {
            let (cache, counter) = (router_cache.clone(), counter.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                if request.uri().path() != "/list" {
                    return Ok::<_, Infallible>(StatusCode::UNPROCESSABLE_ENTITY.into_response());
                }
                let key = CacheKey::new(RouteClass::List, "list");
                let now = Instant::now();
                let fetch = || async { Ok(Fetched { body: Bytes::from_static(b"[1,2,3]"), product_ids: vec![] }) };
                let (entry, status) = cache.get_or_fetch(key.clone(), now, fetch).await.expect("fetched");
                let stale_window = cache.settings().stale_window;
                let cached = Cached { entry, status, stale_window, now, answered_from: Some(Arc::new(key)) };
                Ok(cached.respond(IfNoneMatch(request.headers().get(header::IF_NONE_MATCH).cloned())))
            }
        });
        let front = FrontLayer::new(cache.clone(), None).layer(BoxCloneSyncService::new(router));
        Setup { front, cache, routed }
    }

    impl Setup {
        async fn send(&self, method: Method, target: &str, if_none_match: Option<&str>) -> Response {
            let mut request = Request::builder().method(method).uri(target);
            if let Some(etag) = if_none_match {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            self.front.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap()
        }

        async fn get(&self, target: &str) -> Response {
            self.send(Method::GET, target, None).await
        }

        fn routed(&self) -> usize {
            self.routed.load(Ordering::SeqCst)
        }
    }

    fn header<'r>(response: &'r Response, name: &str) -> &'r str {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    async fn body(response: Response) -> Bytes {
        axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap()
    }

    #[tokio::test]
    async fn a_repeated_get_is_answered_from_the_cache_without_the_router() {
        let s = setup(CacheSettings::default());
        let first = s.get("/list?a=1").await;
        assert_eq!(header(&first, "x-cache"), "MISS");
        assert!(first.extensions().get::<AnsweredFrom>().is_none(), "the front takes its extension off");
        let second = s.get("/list?a=1").await;
        assert_eq!(s.routed(), 1, "the second GET never reached the router");
        assert_eq!((second.status(), header(&second, "x-cache")), (StatusCode::OK, "HIT"));
        assert_eq!(header(&second, "etag"), header(&first, "etag"));
        assert_eq!(header(&second, "content-length"), "7");
        assert_eq!(body(second).await, "[1,2,3]");
        // Its ETag gives a 304 from the front too.
        let etag = header(&first, "etag").to_string();
        let not_modified = s.send(Method::GET, "/list?a=1", Some(&etag)).await;
        assert_eq!((not_modified.status(), s.routed()), (StatusCode::NOT_MODIFIED, 1));
    }

    #[tokio::test]
    async fn only_the_exact_target_of_a_cached_get_is_remembered() {
        let s = setup(CacheSettings::default());
        s.get("/list?a=1").await;
        // Another spelling of the same key is routed once, then remembered too.
        assert_eq!(header(&s.get("/list?a=1&b=2").await, "x-cache"), "HIT");
        s.get("/list?a=1&b=2").await;
        assert_eq!(s.routed(), 2);
        // Other methods always go to the router.
        s.send(Method::HEAD, "/list?a=1", None).await;
        s.send(Method::POST, "/list?a=1", None).await;
        assert_eq!(s.routed(), 4);
        // A refused request teaches nothing: refused by the router every time.
        for _ in 0..3 {
            assert_eq!(s.get("/other?bogus=1").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        assert_eq!(s.routed(), 7);
        // Nor does an over-long target.
        let long = format!("/list?q={}", "x".repeat(MAX_TARGET_LEN));
        s.get(&long).await;
        s.get(&long).await;
        assert_eq!(s.routed(), 9);
    }

    #[tokio::test]
    async fn an_invalidated_entry_goes_back_through_the_router() {
        let s = setup(CacheSettings::default());
        s.get("/list").await;
        s.cache.invalidate_lists();
        assert_eq!(header(&s.get("/list").await, "x-cache"), "MISS");
        assert_eq!(s.routed(), 2);
    }

    #[tokio::test]
    async fn an_entry_due_for_its_refresh_goes_back_through_the_router() {
        // Refresh from 10 % of a 1 s TTL: after 100 ms the routed path must see the hit,
        // because only it can start the background refresh.
        let settings = CacheSettings { ttl_list: Duration::from_secs(1), refresh_ahead_percent: 90, ..CacheSettings::default() };
        let s = setup(settings);
        s.get("/list").await;
        s.get("/list").await;
        assert_eq!(s.routed(), 1);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(header(&s.get("/list").await, "x-cache"), "HIT");
        assert_eq!(s.routed(), 2, "routed while due, so its refresh starts");
    }
}
