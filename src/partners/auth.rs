//! The partner extractor: a Bearer token (RFC 6750) checked against the registry on every request
//! (a disabled partner or a rotated secret is cut off at once), the scopes it grants, and the
//! partner's own rate limit.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::registry::Partner;
use super::scopes::{Scope, ScopeSet};
use super::Partners;
use crate::error::ApiError;

/// An authenticated partner request.
#[derive(Debug, Clone)]
pub struct PartnerCaller {
    pub partner: Arc<Partner>,
    /// What the token grants, narrowed to what the registry allows now.
    pub scopes: ScopeSet,
}

impl PartnerCaller {
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::InsufficientScope { scope: scope.as_str() })
        }
    }
}

/// The bearer token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

impl<S> FromRequestParts<S> for PartnerCaller
where
    Arc<Partners>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let partners = Arc::<Partners>::from_ref(state);
        let live = partners.live()?;
        let Some(token) = bearer(parts) else {
            return Err(ApiError::PartnerToken { missing: parts.headers.get(AUTHORIZATION).is_none() });
        };
        let verified = live.tokens.verify(token).ok_or(ApiError::PartnerToken { missing: false })?;
        let registry = live.registry.get();
        let partner = registry
            .by_id(&verified.partner_id)
            .filter(|p| p.enabled && p.secret.version() == verified.secret_version)
            .cloned()
            .ok_or(ApiError::PartnerToken { missing: false })?;
        live.limits.check(&partner)?;
        let scopes = verified.scopes.intersection(partner.scopes);
        Ok(PartnerCaller { partner, scopes })
    }
}

/// One GCRA limiter per partner, rebuilt when its configured rate changes.
#[derive(Default)]
pub struct PartnerLimits {
    limiters: Mutex<HashMap<String, (u32, Arc<DefaultDirectRateLimiter>)>>,
}

impl PartnerLimits {
    pub fn check(&self, partner: &Partner) -> Result<(), ApiError> {
        let limiter = {
            let mut map = self.limiters.lock().unwrap_or_else(|e| e.into_inner());
            let rate = partner.rate_limit_per_minute.max(1);
            match map.get(&partner.id) {
                Some((r, l)) if *r == rate => Arc::clone(l),
                _ => {
                    let quota = Quota::per_minute(NonZeroU32::new(rate).unwrap_or(NonZeroU32::MIN));
                    let limiter = Arc::new(RateLimiter::direct(quota));
                    map.insert(partner.id.clone(), (rate, Arc::clone(&limiter)));
                    limiter
                }
            }
        };
        limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited { retry_after_secs: wait.as_secs_f64().ceil() as u64 }
        })
    }
}
