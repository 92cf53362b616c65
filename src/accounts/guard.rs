//! The brute-force guard on sign-in, after OWASP's "device cookie" pattern:
//! failures lock out the clients that fail, never the account's owner.
//!
//! - A sign-in from a *trusted device* (one that presents the device cookie
//!   given at an earlier successful sign-in to the same account) has a budget
//!   of its own; attackers elsewhere cannot spend it.
//! - Everyone else (*untrusted* clients) shares one budget per account, and
//!   each client IP has its own (4×, for shared NATs). Past it they get 429
//!   with `Retry-After`, without asking the store; each further lockout within
//!   a day doubles, capped at an hour.
//! - The account is named by whatever login names it: the email and the
//!   username of a customer who has signed in once share one budget (the
//!   aliases are learned at that sign-in).
//!
//! Shared through Redis when several instances run, so an attacker cannot
//! spread guesses across them. Logins are hashed: no email or username sits
//! in the shared store in clear.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::jwt::now;
use crate::kv::Kv;

/// Failures count within this window.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Lockout levels are remembered this long.
const MEMORY: Duration = Duration::from_secs(24 * 3600);
/// The longest lockout: long enough to make guessing hopeless (a few dozen
/// guesses an hour), short enough that the owner on a new device waits at
/// most this long.
const MAX_LOCKOUT: Duration = Duration::from_secs(3600);
/// An IP may fail this many times the per-account limit (shared NATs).
const IP_FACTOR: u32 = 4;
/// How long a login stays known as an alias of its account.
const ALIAS_TTL: Duration = Duration::from_secs(90 * 24 * 3600);

#[derive(Clone)]
pub struct LoginGuard {
    kv: Kv,
    max_failures: u32,
    lockout: Duration,
}

/// A device that has signed in to an account before (from its device cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The account's key (`acct:<customer id>`).
    pub account: String,
    /// This device's own random id.
    pub nonce: String,
}

fn login_hash(login: &str) -> String {
    let normalised = login.trim().to_lowercase();
    hex::encode(&Sha256::digest(normalised.as_bytes())[..16])
}

impl LoginGuard {
    pub fn new(kv: Kv, max_failures: u32, lockout: Duration) -> Self {
        Self { kv, max_failures, lockout }
    }

    /// The account a login names: learned at an earlier sign-in, else the login itself.
    async fn account_of(&self, login: &str) -> Result<String, ApiError> {
        let hash = login_hash(login);
        Ok(self.kv.get(&format!("alias:{hash}")).await?.unwrap_or_else(|| format!("login:{hash}")))
    }

    /// What this attempt is counted against: the device's own budget when it is
    /// trusted for this account, else the account's untrusted budget and the IP's.
    async fn subjects(&self, login: &str, ip: &str, device: Option<&Device>) -> Result<Vec<(String, u32)>, ApiError> {
        let account = self.account_of(login).await?;
        Ok(match device.filter(|d| d.account == account) {
            Some(device) => vec![(format!("device:{}", device.nonce), 1)],
            None => vec![(format!("untrusted:{account}"), 1), (format!("ip:{ip}"), IP_FACTOR)],
        })
    }

    /// 429 while this attempt's budgets are locked out.
    pub async fn check(&self, login: &str, ip: &str, device: Option<&Device>) -> Result<(), ApiError> {
        for (subject, _) in self.subjects(login, ip, device).await? {
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

    /// Counts a failure; locks out a budget that reaches its limit.
    pub async fn failed(&self, login: &str, ip: &str, device: Option<&Device>) -> Result<(), ApiError> {
        for (subject, factor) in self.subjects(login, ip, device).await? {
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

    /// A successful sign-in: every login of the account (its email and
    /// username) becomes an alias of it, the budget this attempt used is
    /// cleared (not the IP's), and the device to trust from now on is returned.
    pub async fn succeeded(
        &self,
        login: &str,
        ip: &str,
        device: Option<&Device>,
        customer_id: u64,
        logins: &[&str],
    ) -> Result<Device, ApiError> {
        let account = format!("acct:{customer_id}");
        for alias in std::iter::once(login).chain(logins.iter().copied()).filter(|l| !l.trim().is_empty()) {
            self.kv.set(&format!("alias:{}", login_hash(alias)), &account, ALIAS_TTL).await?;
        }
        if let Some((subject, _)) = self.subjects(login, ip, device).await?.into_iter().next() {
            self.kv.del(&format!("fail:{subject}")).await?;
        }
        match device.filter(|d| d.account == account) {
            Some(device) => Ok(device.clone()),
            None => Ok(Device { account, nonce: uuid::Uuid::new_v4().simple().to_string() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(max: u32) -> LoginGuard {
        LoginGuard::new(Kv::memory("guard"), max, Duration::from_secs(60))
    }

    async fn locked(guard: &LoginGuard, login: &str, ip: &str, device: Option<&Device>) -> Option<u64> {
        match guard.check(login, ip, device).await {
            Err(ApiError::RateLimited { retry_after_secs }) => Some(retry_after_secs),
            _ => None,
        }
    }

    #[tokio::test]
    async fn untrusted_clients_are_locked_out_and_back_off() {
        let guard = guard(3);
        for ip in ["1.1.1.1", "2.2.2.2", "3.3.3.3"] {
            guard.failed("Jane@Example.test", ip, None).await.unwrap();
        }
        let wait =
            locked(&guard, "jane@example.test ", "5.6.7.8", None).await.expect("untrusted clients are locked, whatever the IP and case");
        assert!((59..=60).contains(&wait), "{wait}");
        assert!(locked(&guard, "someone@example.test", "1.1.1.1", None).await.is_none(), "another account is fine");
        // The next lockout doubles.
        let account = guard.account_of("jane@example.test").await.unwrap();
        guard.kv.del(&format!("lock:untrusted:{account}")).await.unwrap();
        for _ in 0..3 {
            guard.failed("jane@example.test", "9.9.9.9", None).await.unwrap();
        }
        let wait = locked(&guard, "jane@example.test", "9.9.9.9", None).await.unwrap();
        assert!((119..=120).contains(&wait), "{wait}");
    }

    #[tokio::test]
    async fn an_ip_spraying_many_accounts_is_locked() {
        let guard = guard(2);
        for i in 0..8 {
            guard.failed(&format!("user{i}@example.test"), "1.2.3.4", None).await.unwrap();
        }
        assert!(locked(&guard, "fresh@example.test", "1.2.3.4", None).await.is_some());
        assert!(locked(&guard, "fresh@example.test", "4.3.2.1", None).await.is_none());
    }

    #[tokio::test]
    async fn the_owners_device_is_not_locked_out_by_attackers_and_has_its_own_budget() {
        let guard = guard(3);
        let device = guard.succeeded("jane@example.test", "1.1.1.1", None, 7, &["jane@example.test", "jane"]).await.unwrap();
        for i in 0..30 {
            guard.failed("jane@example.test", &format!("6.6.6.{i}"), None).await.unwrap();
        }
        assert!(locked(&guard, "jane@example.test", "6.6.6.99", None).await.is_some(), "untrusted clients are locked out");
        assert!(locked(&guard, "jane@example.test", "1.1.1.1", Some(&device)).await.is_none(), "the owner's device is not");
        // A device trusted for another account is untrusted here.
        let other = Device { account: "acct:8".into(), nonce: device.nonce.clone() };
        assert!(locked(&guard, "jane@example.test", "1.1.1.1", Some(&other)).await.is_some());
        // The device's own failures lock only the device.
        for _ in 0..3 {
            guard.failed("jane", "1.1.1.1", Some(&device)).await.unwrap();
        }
        assert!(locked(&guard, "jane", "1.1.1.1", Some(&device)).await.is_some());
    }

    #[tokio::test]
    async fn email_and_username_share_one_budget_once_known() {
        let guard = guard(4);
        guard.succeeded("jane", "1.1.1.1", None, 7, &["jane@example.test", "jane"]).await.unwrap();
        for (i, login) in ["jane", "JANE@example.test", "jane", "jane@example.test"].iter().enumerate() {
            guard.failed(login, &format!("6.6.6.{i}"), None).await.unwrap();
        }
        assert!(locked(&guard, "jane", "7.7.7.7", None).await.is_some(), "four failures across both logins reach the limit of four");
        assert!(locked(&guard, "jane@example.test", "7.7.7.7", None).await.is_some());
    }
}
