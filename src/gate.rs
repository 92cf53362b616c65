//! Protects the store from us: a cap on concurrent upstream work per kind
//! (catalogue fetches; cart, checkout and guest-order operations; the REST
//! and WordPress calls of sign-in and registration) with a short, bounded
//! queue, and a per-client budget of catalogue cache misses.
//!
//! Why: a small WooCommerce serves some 13–29 requests a second (PHP workers
//! each busy 50–300 ms). Unique URLs (random searches, slugs, pages) are all
//! cache misses, and without a cap each became a store call at once: one
//! client drove thousands of calls a second at the store. With the cap the
//! store sees at most `concurrency` calls of a kind at a time; callers beyond
//! it wait in a short queue, then get a stale copy where one exists, or 503
//! `upstream_busy` with `Retry-After`. Hits never touch the gate or the budget.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

tokio::task_local! {
    /// The client a request is served for (the IP as resolved through
    /// `TRUSTED_PROXIES`), for the miss budget deep inside the cache.
    pub static CLIENT: IpAddr;
}

/// What kind of upstream work a permit is for; each kind has its own cap, so
/// a flood of catalogue misses cannot starve carts and checkouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Catalogue,
    Cart,
    /// Sign-in and registration (WordPress password checks, REST customers).
    Rest,
}

#[derive(Debug, Clone)]
pub struct GateSettings {
    /// Concurrent catalogue fetches (one fetch is one store call, a facet page a few).
    pub catalogue_concurrency: usize,
    /// Concurrent cart and checkout operations (each a few calls in a row).
    pub cart_concurrency: usize,
    /// Concurrent sign-ins and registrations (each a password check and a REST lookup).
    pub rest_concurrency: usize,
    /// Callers that may wait for a permit, per kind; more are refused at once.
    pub queue: usize,
    /// How long a queued caller waits before it is refused.
    pub queue_wait: Duration,
    /// Catalogue cache misses per minute per client (as a burst of as many); 0: no budget.
    pub misses_per_minute: u32,
}

impl Default for GateSettings {
    fn default() -> Self {
        // A store answering ~20 calls/s at ~200 ms each has ~4 busy workers:
        // 8 concurrent catalogue fetches and 8 cart operations keep it busy,
        // not drowned. A queue of 32 drains in about a second at that pace.
        Self {
            catalogue_concurrency: 8,
            cart_concurrency: 8,
            rest_concurrency: 4,
            queue: 32,
            queue_wait: Duration::from_secs(1),
            misses_per_minute: 60,
        }
    }
}

struct Lane {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
}

impl Lane {
    fn new(concurrency: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrency.max(1))), waiting: AtomicUsize::new(0) }
    }
}

/// The caps and the miss budget. Cloning is cheap.
#[derive(Clone)]
pub struct Gate(Arc<Inner>);

struct Inner {
    catalogue: Lane,
    cart: Lane,
    rest: Lane,
    queue: usize,
    queue_wait: Duration,
    misses: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

/// A held place in a lane; the next caller gets it when this is dropped.
pub struct Permit(#[allow(dead_code)] OwnedSemaphorePermit);

impl Gate {
    pub fn new(settings: &GateSettings) -> Self {
        let misses = NonZeroU32::new(settings.misses_per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Self(Arc::new(Inner {
            catalogue: Lane::new(settings.catalogue_concurrency),
            cart: Lane::new(settings.cart_concurrency),
            rest: Lane::new(settings.rest_concurrency),
            queue: settings.queue,
            queue_wait: settings.queue_wait,
            misses,
        }))
    }

    /// No caps and no budget (unit tests of other parts, embedding).
    pub fn unlimited() -> Self {
        Self::new(&GateSettings {
            catalogue_concurrency: Semaphore::MAX_PERMITS,
            cart_concurrency: Semaphore::MAX_PERMITS,
            rest_concurrency: Semaphore::MAX_PERMITS,
            misses_per_minute: 0,
            ..GateSettings::default()
        })
    }

    fn lane(&self, kind: Kind) -> &Lane {
        match kind {
            Kind::Catalogue => &self.0.catalogue,
            Kind::Cart => &self.0.cart,
            Kind::Rest => &self.0.rest,
        }
    }

    /// A permit for one piece of upstream work, after a short wait at most;
    /// 503 `upstream_busy` when the queue is full or the wait runs out.
    pub async fn enter(&self, kind: Kind) -> Result<Permit, ApiError> {
        let lane = self.lane(kind);
        if let Ok(permit) = lane.permits.clone().try_acquire_owned() {
            return Ok(Permit(permit));
        }
        if lane.waiting.fetch_add(1, Ordering::AcqRel) >= self.0.queue {
            lane.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(busy(kind));
        }
        let waited = tokio::time::timeout(self.0.queue_wait, lane.permits.clone().acquire_owned()).await;
        lane.waiting.fetch_sub(1, Ordering::AcqRel);
        match waited {
            Ok(Ok(permit)) => Ok(Permit(permit)),
            _ => Err(busy(kind)),
        }
    }

    /// A permit when one frees up, however long that takes: for background work that must
    /// happen but may wait (the catalogue index's walks), never for a client's request.
    pub async fn enter_patiently(&self, kind: Kind) -> Permit {
        loop {
            if let Ok(permit) = self.lane(kind).permits.clone().acquire_owned().await {
                return Permit(permit);
            }
            // The semaphore is never closed; should it be, wait rather than spin.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    /// A permit only if one is free now (background refreshes never queue).
    pub fn try_enter(&self, kind: Kind) -> Option<Permit> {
        self.lane(kind).permits.clone().try_acquire_owned().ok().map(Permit)
    }

    /// Charges one cache miss to the current request's client; 429 when its
    /// budget is spent. Work outside a request (refreshes) is not charged.
    pub fn charge_miss(&self) -> Result<(), ApiError> {
        let (Some(misses), Ok(client)) = (&self.0.misses, CLIENT.try_with(|ip| *ip)) else { return Ok(()) };
        misses.check_key(&client).map_err(|not_until| {
            use governor::clock::{Clock, DefaultClock};
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited { retry_after_secs: wait.as_secs_f64().ceil() as u64 }
        })
    }

    /// Forgets clients whose miss budget is full again.
    pub fn prune(&self) {
        if let Some(misses) = &self.0.misses {
            misses.retain_recent();
            misses.shrink_to_fit();
        }
    }

    /// Clients the miss budget holds state for.
    pub fn clients(&self) -> usize {
        self.0.misses.as_ref().map_or(0, |m| m.len())
    }
}

/// Middleware: runs the rest of the request with its client in [`CLIENT`].
/// Placed behind the catalogue front, so front hits do not pay for it.
pub async fn client_scope(
    crate::client_ip::ClientIp(ip): crate::client_ip::ClientIp,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    CLIENT.scope(ip, next.run(request)).await
}

fn busy(kind: Kind) -> ApiError {
    tracing::warn!(kind = ?kind, "upstream work refused: the store is at its concurrency cap and the queue is full");
    ApiError::UpstreamBusy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Gate {
        Gate::new(&GateSettings {
            catalogue_concurrency: 2,
            cart_concurrency: 1,
            rest_concurrency: 1,
            queue: 1,
            queue_wait: Duration::from_millis(50),
            misses_per_minute: 3,
        })
    }

    #[tokio::test]
    async fn the_cap_holds_then_one_waits_then_the_rest_are_refused() {
        let gate = small();
        let a = gate.enter(Kind::Catalogue).await.unwrap();
        let _b = gate.enter(Kind::Catalogue).await.unwrap();
        assert!(gate.try_enter(Kind::Catalogue).is_none(), "two is the cap");
        // Cart and REST permits are in other lanes.
        let _cart = gate.enter(Kind::Cart).await.unwrap();
        let _rest = gate.enter(Kind::Rest).await.unwrap();
        assert!(gate.try_enter(Kind::Rest).is_none(), "one is the REST cap");
        // One may queue; it gets the permit released meanwhile.
        let queued = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter(Kind::Catalogue).await.is_ok() }
        });
        tokio::task::yield_now().await;
        // The queue (1) is full now: refused at once.
        assert!(matches!(gate.enter(Kind::Catalogue).await, Err(ApiError::UpstreamBusy)));
        drop(a);
        assert!(queued.await.unwrap(), "the queued caller got the freed permit");
    }

    #[tokio::test]
    async fn a_queued_caller_is_refused_when_its_wait_runs_out() {
        let gate = small();
        let _held = (gate.enter(Kind::Cart).await.unwrap(),);
        assert!(matches!(gate.enter(Kind::Cart).await, Err(ApiError::UpstreamBusy)));
    }

    #[tokio::test]
    async fn misses_are_budgeted_per_client_and_only_inside_a_request() {
        let gate = small();
        let one: IpAddr = "10.0.0.1".parse().unwrap();
        let two: IpAddr = "10.0.0.2".parse().unwrap();
        CLIENT
            .scope(one, async {
                for _ in 0..3 {
                    gate.charge_miss().unwrap();
                }
                assert!(matches!(gate.charge_miss(), Err(ApiError::RateLimited { retry_after_secs: 1.. })));
            })
            .await;
        CLIENT.scope(two, async { gate.charge_miss().unwrap() }).await;
        for _ in 0..10 {
            gate.charge_miss().expect("no client: a background refresh, never charged");
        }
        assert_eq!(gate.clients(), 2);
    }
}
