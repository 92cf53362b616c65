//! Rate limits on cart writes and checkout, per session and per client IP
//! (governor's GCRA keyed limiters). Exceeding one answers 429 with
//! `Retry-After`.

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
}

impl Default for RateSettings {
    fn default() -> Self {
        Self { cart_per_minute: 120, checkout_burst: 3, checkout_window: Duration::from_secs(60) }
    }
}

#[derive(Clone)]
pub struct RateLimits {
    cart_session: Arc<DefaultKeyedRateLimiter<String>>,
    cart_ip: Arc<DefaultKeyedRateLimiter<String>>,
    checkout_session: Arc<DefaultKeyedRateLimiter<String>>,
    checkout_ip: Arc<DefaultKeyedRateLimiter<String>>,
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

    /// Forgets idle keys so the limiters do not grow without bound.
    pub fn prune(&self) {
        for limiter in [&self.cart_session, &self.cart_ip, &self.checkout_session, &self.checkout_ip] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
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
}
