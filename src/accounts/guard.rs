//! The brute-force guard on sign-in: failures are counted per account and
//! per client IP; past the limit the account (or IP) is locked out and
//! answered 429 with `Retry-After`, without asking the store. Each further
//! lockout within a day doubles (capped at a day). Shared through Redis when
//! several instances run, so an attacker cannot spread guesses across them.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::jwt::now;
use crate::kv::Kv;

/// Failures count within this window.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Lockout levels are remembered this long.
const MEMORY: Duration = Duration::from_secs(24 * 3600);
const MAX_LOCKOUT: Duration = Duration::from_secs(24 * 3600);
/// An IP may fail this many times the per-account limit (shared NATs).
const IP_FACTOR: u32 = 4;

#[derive(Clone)]
pub struct LoginGuard {
    kv: Kv,
    max_failures: u32,
    lockout: Duration,
}

/// Who is being counted. Logins are hashed so no email or username sits in
/// the shared store in clear.
fn subjects(login: &str, ip: &str) -> [(String, u32); 2] {
    let normalised = login.trim().to_lowercase();
    let account = hex::encode(&Sha256::digest(normalised.as_bytes())[..16]);
    [(format!("acct:{account}"), 1), (format!("ip:{ip}"), IP_FACTOR)]
}

impl LoginGuard {
    pub fn new(kv: Kv, max_failures: u32, lockout: Duration) -> Self {
        Self { kv, max_failures, lockout }
    }

    /// 429 while the account or the IP is locked out.
    pub async fn check(&self, login: &str, ip: &str) -> Result<(), ApiError> {
        for (subject, _) in subjects(login, ip) {
            self.check_subject(&subject).await?;
        }
        Ok(())
    }

    /// 429 while the IP is locked out (registration).
    pub async fn check_ip(&self, ip: &str) -> Result<(), ApiError> {
        self.check_subject(&format!("ip:{ip}")).await
    }

    async fn check_subject(&self, subject: &str) -> Result<(), ApiError> {
        if let Some(until) = self.kv.get(&format!("lock:{subject}")).await?.and_then(|u| u.parse::<u64>().ok()) {
            let now = now();
            if until > now {
                return Err(ApiError::RateLimited { retry_after_secs: until - now });
            }
        }
        Ok(())
    }

    /// Counts a failure; locks the account or IP out when it reaches the limit.
    pub async fn failed(&self, login: &str, ip: &str) -> Result<(), ApiError> {
        for (subject, factor) in subjects(login, ip) {
            let failures = self.kv.incr(&format!("fail:{subject}"), WINDOW).await?;
            if failures >= u64::from(self.max_failures * factor) {
                let level = self.kv.incr(&format!("level:{subject}"), MEMORY).await?;
                let factor = 1u32 << (level.saturating_sub(1)).min(16);
                let lockout = (self.lockout * factor).min(MAX_LOCKOUT);
                tracing::warn!(subject_kind = subject.split(':').next().unwrap_or(""), lockout_secs = lockout.as_secs(), "sign-in lockout");
                self.kv.set(&format!("lock:{subject}"), &(now() + lockout.as_secs()).to_string(), lockout).await?;
                self.kv.del(&format!("fail:{subject}")).await?;
            }
        }
        Ok(())
    }

    /// A successful sign-in clears the account's failures (not the IP's).
    pub async fn succeeded(&self, login: &str, ip: &str) -> Result<(), ApiError> {
        let [(account, _), _] = subjects(login, ip);
        self.kv.del(&format!("fail:{account}")).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn locks_after_the_limit_and_backs_off() {
        let guard = LoginGuard::new(Kv::memory("guard"), 3, Duration::from_secs(60));
        for _ in 0..3 {
            guard.check("Jane@Example.test", "1.2.3.4").await.unwrap();
            guard.failed("Jane@Example.test", "1.2.3.4").await.unwrap();
        }
        let Err(ApiError::RateLimited { retry_after_secs }) = guard.check("jane@example.test ", "5.6.7.8").await else {
            panic!("the account is locked whatever the IP and case")
        };
        assert!((59..=60).contains(&retry_after_secs), "{retry_after_secs}");
        // Another account from the same IP is still fine (IP limit is 12).
        guard.check("someone@example.test", "1.2.3.4").await.unwrap();
        // The next lockout doubles.
        guard.kv.del(&format!("lock:{}", subjects("jane@example.test", "x")[0].0)).await.unwrap();
        for _ in 0..3 {
            guard.failed("jane@example.test", "9.9.9.9").await.unwrap();
        }
        let Err(ApiError::RateLimited { retry_after_secs }) = guard.check("jane@example.test", "9.9.9.9").await else { panic!() };
        assert!((119..=120).contains(&retry_after_secs), "{retry_after_secs}");
    }

    #[tokio::test]
    async fn an_ip_spraying_many_accounts_is_locked() {
        let guard = LoginGuard::new(Kv::memory("guard"), 2, Duration::from_secs(60));
        for i in 0..8 {
            guard.failed(&format!("user{i}@example.test"), "1.2.3.4").await.unwrap();
        }
        assert!(matches!(guard.check("fresh@example.test", "1.2.3.4").await, Err(ApiError::RateLimited { .. })));
        assert!(guard.check("fresh@example.test", "4.3.2.1").await.is_ok());
    }
}
