//! Rate limits on cart writes and checkout, per session and per client IP,
//! and on new app sessions per client IP (governor's GCRA keyed limiters).
//! Exceeding one answers 429 with `Retry-After`. Idle keys are forgotten by
//! [`RateLimits::prune`], which `spawn_pruning` runs on a timer.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct RateSettings {
    /// Cart writes per minute, per session and per IP (the IP gets 4×).
    pub cart_per_minute: u32,
    /// Checkouts per window, per session and per IP.
    pub checkout_burst: u32,
    pub checkout_window: Duration,
    /// New app sessions per minute per client IP (a burst of as many).
    pub sessions_per_minute: u32,
}

impl Default for RateSettings {
    fn default() -> Self {
        Self { cart_per_minute: 120, checkout_burst: 3, checkout_window: Duration::from_secs(60), sessions_per_minute: 30 }
    }
}

#[derive(Clone)]
pub struct RateLimits {
    cart_session: Arc<DefaultKeyedRateLimiter<String>>,
    cart_ip: Arc<DefaultKeyedRateLimiter<String>>,
    checkout_session: Arc<DefaultKeyedRateLimiter<String>>,
    checkout_ip: Arc<DefaultKeyedRateLimiter<String>>,
    session_ip: Arc<DefaultKeyedRateLimiter<String>>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("at least one")
}

fn check(limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<(), ApiError> {
    limiter.check_key(&key.to_string()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::RateLimited { retry_after_secs: wait.as_secs_f64().ceil() as u64 }
    })
}

impl RateLimits {
    pub fn new(settings: &RateSettings) -> Self {
        let cart = Quota::per_minute(nz(settings.cart_per_minute));
        let cart_ip = Quota::per_minute(nz(settings.cart_per_minute.saturating_mul(4)));
        let period = settings.checkout_window / settings.checkout_burst.max(1);
        let checkout =
            Quota::with_period(period.max(Duration::from_millis(1))).expect("non-zero period").allow_burst(nz(settings.checkout_burst));
        let checkout_ip = Quota::with_period((period / 4).max(Duration::from_millis(1)))
            .expect("non-zero period")
            .allow_burst(nz(settings.checkout_burst.saturating_mul(4)));
        Self {
            cart_session: Arc::new(RateLimiter::keyed(cart)),
            cart_ip: Arc::new(RateLimiter::keyed(cart_ip)),
            checkout_session: Arc::new(RateLimiter::keyed(checkout)),
            checkout_ip: Arc::new(RateLimiter::keyed(checkout_ip)),
            session_ip: Arc::new(RateLimiter::keyed(Quota::per_minute(nz(settings.sessions_per_minute)))),
        }
    }

    pub fn cart_write(&self, session: &str, ip: &str) -> Result<(), ApiError> {
        check(&self.cart_session, session)?;
        check(&self.cart_ip, ip)
    }

    pub fn checkout(&self, session: &str, ip: &str) -> Result<(), ApiError> {
        check(&self.checkout_session, session)?;
        check(&self.checkout_ip, ip)
    }

    /// A new app session for this client IP.
    pub fn new_session(&self, ip: &str) -> Result<(), ApiError> {
        check(&self.session_ip, ip)
    }

    fn limiters(&self) -> [&DefaultKeyedRateLimiter<String>; 5] {
        [&self.cart_session, &self.cart_ip, &self.checkout_session, &self.checkout_ip, &self.session_ip]
    }

    /// Forgets keys whose budget is full again (a key that has been idle as
    /// long as its quota takes to refill), so the limiters do not grow
    /// without bound under many sessions or addresses.
    pub fn prune(&self) {
        for limiter in self.limiters() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// Keys held over all limiters.
    pub fn keys(&self) -> usize {
        self.limiters().iter().map(|l| l.len()).sum()
    }
}

/// How often the keyed limiters and guards forget idle keys: often enough
/// that a flood of one-off keys is dropped within a minute or so, rarely
/// enough that the sweep (a pass over every key) costs nothing noticeable.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(30);

/// Runs `prune` every `every` for as long as `owner` lives (tests start many
/// apps in one process; their timers must end with them).
pub fn spawn_pruning<T: Send + Sync + 'static>(owner: std::sync::Weak<T>, every: Duration, prune: impl Fn(&T) + Send + 'static) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    runtime.spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let Some(owner) = owner.upgrade() else { return };
            prune(&owner);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_allows_the_burst_then_refuses_with_a_wait() {
        let limits = RateLimits::new(&RateSettings::default());
        for _ in 0..3 {
            limits.checkout("s1", "1.1.1.1").unwrap();
        }
        match limits.checkout("s1", "1.1.1.1") {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs))
            }
            other => panic!("expected 429, got {other:?}"),
        }
        limits.checkout("s2", "1.1.1.1").expect("another session has its own budget");
    }

    #[test]
    fn new_sessions_are_limited_per_ip() {
        let limits = RateLimits::new(&RateSettings { sessions_per_minute: 2, ..RateSettings::default() });
        limits.new_session("1.1.1.1").unwrap();
        limits.new_session("1.1.1.1").unwrap();
        assert!(matches!(limits.new_session("1.1.1.1"), Err(ApiError::RateLimited { retry_after_secs: 1.. })));
        limits.new_session("2.2.2.2").expect("another address has its own budget");
    }

    #[test]
    fn pruning_forgets_idle_keys_and_keeps_busy_ones() {
        // Quotas that refill within milliseconds, so "idle" comes quickly.
        let settings = RateSettings {
            cart_per_minute: 60_000,
            checkout_burst: 1,
            checkout_window: Duration::from_millis(4),
            sessions_per_minute: 60_000,
        };
        let limits = RateLimits::new(&settings);
        for i in 0..50 {
            limits.cart_write(&format!("session{i}"), &format!("10.0.0.{i}")).unwrap();
        }
        assert_eq!(limits.keys(), 100);
        std::thread::sleep(Duration::from_millis(20));
        // A key still paying off its burst is not forgotten.
        let busy = RateLimits::new(&RateSettings { checkout_window: Duration::from_secs(3600), ..settings });
        busy.checkout("s", "1.1.1.1").unwrap();
        busy.prune();
        assert_eq!(busy.keys(), 2, "a key whose budget is not yet refilled is kept");
        limits.prune();
        assert_eq!(limits.keys(), 0, "idle keys are forgotten");
    }
}
