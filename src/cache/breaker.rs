//! Whether the store is down as a whole, so that during an outage expired
//! pages are answered from their stale copies at once instead of each key
//! in turn waiting for an upstream timeout (a circuit breaker: open after a
//! failure, one probe per backoff window, closed by any successful fetch).
//! After several failures in a row it also counts as *down*: then a page with
//! no stale copy is refused at once too, rather than after a timeout.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Breaker {
    base: Instant,
    /// Milliseconds after `base` until which the store counts as down; 0: up.
    open_until: AtomicU64,
    backoff: Duration,
    /// Outage failures since the last success.
    failures: AtomicU32,
}

/// Failed fetches in a row (no success between) after which the store counts
/// as down. One timeout can be one slow page; three, of any pages, are an outage.
pub const DOWN_AFTER_FAILURES: u32 = 3;

impl Breaker {
    pub fn new(backoff: Duration) -> Self {
        Self { base: Instant::now(), open_until: AtomicU64::new(0), backoff, failures: AtomicU32::new(0) }
    }

    fn now_ms(&self) -> u64 {
        // +1: 0 means "closed", whatever the clock says.
        self.base.elapsed().as_millis() as u64 + 1
    }

    /// The store just failed with an outage (timeout, refused, 5xx).
    pub fn trip(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.open_until.store(self.now_ms() + self.backoff.as_millis() as u64, Ordering::Relaxed);
    }

    /// A fetch succeeded: the store is up.
    pub fn close(&self) {
        self.open_until.store(0, Ordering::Relaxed);
        self.failures.store(0, Ordering::Relaxed);
    }

    /// True after [`DOWN_AFTER_FAILURES`] failed fetches with no success since.
    pub fn is_down(&self) -> bool {
        self.failures.load(Ordering::Relaxed) >= DOWN_AFTER_FAILURES
    }

    /// True while the store counts as down, except for one caller per
    /// backoff window, who probes it (and either closes the breaker or
    /// trips it again).
    pub fn holds_back(&self) -> bool {
        let until = self.open_until.load(Ordering::Relaxed);
        if until == 0 {
            return false;
        }
        let now = self.now_ms();
        if now < until {
            return true;
        }
        // The window is over: exactly one caller moves it on and probes.
        let next = now + self.backoff.as_millis() as u64;
        self.open_until.compare_exchange(until, next, Ordering::Relaxed, Ordering::Relaxed).is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_until_tripped_then_one_probe_per_window_until_closed() {
        let breaker = Breaker::new(Duration::from_millis(50));
        assert!(!breaker.holds_back(), "closed: everyone asks the store");
        breaker.trip();
        assert!(breaker.holds_back() && breaker.holds_back(), "open: nobody waits on the store");
        std::thread::sleep(Duration::from_millis(60));
        assert!(!breaker.holds_back(), "the window is over: one probe");
        assert!(breaker.holds_back(), "and only one");
        breaker.close();
        assert!(!breaker.holds_back() && !breaker.holds_back(), "a success closes it for everyone");
    }

    #[test]
    fn down_only_after_several_failures_in_a_row() {
        let breaker = Breaker::new(Duration::from_millis(50));
        for _ in 1..DOWN_AFTER_FAILURES {
            breaker.trip();
            assert!(!breaker.is_down(), "one slow page is not an outage");
        }
        breaker.trip();
        assert!(breaker.is_down());
        breaker.close();
        assert!(!breaker.is_down(), "a success resets the count");
        breaker.trip();
        assert!(!breaker.is_down());
    }
}
