//! Partner access tokens: JWT, HS256 pinned, with `iss`, `aud` (the partner API), `sub` (partner
//! id), `scope`, `iat`, `nbf`, `exp`, `jti`, and `sv` (a fingerprint of the partner's secret hash,
//! so rotating a secret revokes its tokens). The key never leaves the server.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::scopes::ScopeSet;
use crate::jwt::{now, Hs256Key};

pub const ISSUER: &str = "storefront-bff";
pub const AUDIENCE: &str = "storefront-bff:partner-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The partner id.
    pub sub: String,
    /// Space-delimited granted scopes.
    pub scope: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
    /// Secret version (see the module docs).
    pub sv: String,
}

/// What a verified token says.
#[derive(Debug, Clone)]
pub struct Verified {
    pub partner_id: String,
    pub scopes: ScopeSet,
    pub secret_version: String,
}

/// Signs and verifies partner tokens. `Debug` never shows the key.
#[derive(Clone)]
pub struct PartnerTokens {
    key: Hs256Key,
    ttl: Duration,
}

impl fmt::Debug for PartnerTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerTokens").field("key", &self.key).field("ttl", &self.ttl).finish()
    }
}

impl PartnerTokens {
    pub fn new(secret: SecretString, ttl: Duration) -> Self {
        Self { key: Hs256Key::new(secret), ttl }
    }

    /// A random key for demo mode and tests: tokens die with the process.
    pub fn generated(ttl: Duration) -> Self {
        Self { key: Hs256Key::generated(), ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, partner_id: &str, scopes: ScopeSet, secret_version: &str) -> String {
        let now = now();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: partner_id.into(),
            scope: scopes.to_string(),
            iat: now,
            nbf: now,
            exp: now + self.ttl.as_secs(),
            jti: uuid::Uuid::new_v4().to_string(),
            sv: secret_version.into(),
        };
        self.key.sign(&claims)
    }

    /// The token's claims if it is ours, for the partner API, unexpired and unaltered.
    pub fn verify(&self, token: &str) -> Option<Verified> {
        let claims = self.key.verify::<Claims>(token, ISSUER, AUDIENCE)?;
        let scopes = ScopeSet::parse_list(&claims.scope).ok()?;
        Some(Verified { partner_id: claims.sub, scopes, secret_version: claims.sv })
    }
}

/// Failed token requests (wrong secret or unknown client) a client address may make per
/// [`FAILURE_WINDOW`]; past it, 429 before any hashing. Verifying costs ~35 ms of a core
/// (argon2id by design), so without this one address could keep every core busy and
/// starve real partners' token requests.
pub const FAILURE_LIMIT: u32 = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Failed token requests per client address, each count living [`FAILURE_WINDOW`] from its
/// first failure (moka drops it then: idle addresses are forgotten).
#[derive(Clone)]
pub struct FailedAttempts {
    counts: moka::sync::Cache<std::net::IpAddr, Arc<(AtomicU32, Instant)>>,
    limit: u32,
}

impl FailedAttempts {
    pub fn new(limit: u32, window: Duration) -> Self {
        let counts = moka::sync::Cache::builder().max_capacity(100_000).time_to_live(window).build();
        Self { counts, limit: limit.max(1) }
    }

    /// 429 with the seconds left in the window once `client` has failed `limit` times.
    pub fn check(&self, client: std::net::IpAddr, window: Duration) -> Result<(), crate::error::ApiError> {
        match self.counts.get(&client) {
            Some(entry) if entry.0.load(Ordering::Relaxed) >= self.limit => {
                let left = window.saturating_sub(entry.1.elapsed()).as_secs().max(1);
                Err(crate::error::ApiError::RateLimited { retry_after_secs: left })
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, client: std::net::IpAddr) {
        let entry = self.counts.get_with(client, || Arc::new((AtomicU32::new(0), Instant::now())));
        entry.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl Default for FailedAttempts {
    fn default() -> Self {
        Self::new(FAILURE_LIMIT, FAILURE_WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_keys_and_audiences() {
        let t = PartnerTokens::new(SecretString::from("k".repeat(32)), Duration::from_secs(600));
        let token = t.issue("acme", ScopeSet::all(), "abc");
        let v = t.verify(&token).unwrap();
        assert_eq!((v.partner_id.as_str(), v.scopes, v.secret_version.as_str()), ("acme", ScopeSet::all(), "abc"));
        let other = PartnerTokens::new(SecretString::from("x".repeat(32)), Duration::from_secs(600));
        assert!(other.verify(&token).is_none());
        // A shopper session token (same issuer, other audience) is not a partner token.
        let session = crate::session::SessionTokens::from_secret(SecretString::from("k".repeat(32)), Duration::from_secs(600)).issue("s");
        assert!(t.verify(&session).is_none());
        assert!(!format!("{t:?}").contains("kkkk"));
    }
}
