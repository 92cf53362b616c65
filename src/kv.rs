//! A small key-value store for account records that every instance must
//! see (refresh-token families, customers' saved carts, the sign-in guard):
//! in memory for one instance, on Redis when `REDIS_URL` is set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::redis::Redis;

#[derive(Clone)]
enum Backend {
    /// Value and its deadline; expired entries read as absent.
    Memory(moka::sync::Cache<String, Arc<(String, Instant)>>),
    Redis(Redis),
}

#[derive(Clone)]
pub struct Kv {
    backend: Backend,
    /// Key prefix on Redis, so records of different features never collide.
    prefix: &'static str,
}

/// Expires a memory record at the deadline stored with it.
struct AtDeadline;

impl moka::Expiry<String, Arc<(String, Instant)>> for AtDeadline {
    fn expire_after_create(&self, _: &String, value: &Arc<(String, Instant)>, now: Instant) -> Option<Duration> {
        Some(value.1.saturating_duration_since(now))
    }
    fn expire_after_update(&self, _: &String, value: &Arc<(String, Instant)>, now: Instant, _: Option<Duration>) -> Option<Duration> {
        Some(value.1.saturating_duration_since(now))
    }
}

/// How often a change waiting for another instance's lease asks again.
const LEASE_POLL: Duration = Duration::from_millis(20);

/// Exclusive use of a key across instances for a short while (`Kv::lease`),
/// released when dropped.
pub struct Lease {
    redis: Redis,
    key: String,
    token: String,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let (redis, key, token) = (self.redis.clone(), std::mem::take(&mut self.key), std::mem::take(&mut self.token));
        // Drop cannot wait: release in the background. Should that fail, the
        // lease runs out by itself.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(err) = redis.del_if(&key, &token).await {
                    tracing::warn!(error = %err, "lease not released; it runs out by itself");
                }
            });
        }
    }
}

fn unavailable(err: String) -> ApiError {
    tracing::error!(error = %err, "shared store unavailable");
    ApiError::SessionStoreUnavailable
}

impl Kv {
    pub fn memory(prefix: &'static str) -> Self {
        // Each record leaves the cache at its own deadline (moka's housekeeping
        // drops it), so short-lived records (sign-in failure counters, one per
        // address tried) do not sit until the capacity pushes them out.
        let cache = moka::sync::Cache::builder().max_capacity(2_000_000).expire_after(AtDeadline).build();
        Self { backend: Backend::Memory(cache), prefix }
    }

    /// Records held in memory now (expired ones dropped first); 0 on Redis.
    pub fn held(&self) -> u64 {
        match &self.backend {
            Backend::Memory(cache) => {
                cache.run_pending_tasks();
                cache.entry_count()
            }
            Backend::Redis(_) => 0,
        }
    }

    pub fn new(redis: Option<Redis>, prefix: &'static str) -> Self {
        match redis {
            Some(redis) => Self { backend: Backend::Redis(redis), prefix },
            None => Self::memory(prefix),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("bff:{}:{key}", self.prefix)
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, ApiError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(cache) => Ok(cache.get(&key).filter(|e| e.1 > Instant::now()).map(|e| e.0.clone())),
            Backend::Redis(redis) => redis.get(&key).await.map_err(unavailable),
        }
    }

    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), ApiError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(cache) => {
                cache.insert(key, Arc::new((value.to_string(), Instant::now() + ttl)));
                Ok(())
            }
            Backend::Redis(redis) => redis.set(&key, value, ttl).await.map_err(unavailable),
        }
    }

    /// Reads and removes in one step: of two concurrent callers, one gets it.
    pub async fn take(&self, key: &str) -> Result<Option<String>, ApiError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(cache) => Ok(cache.remove(&key).filter(|e| e.1 > Instant::now()).map(|e| e.0.clone())),
            Backend::Redis(redis) => redis.take(&key).await.map_err(unavailable),
        }
    }

    pub async fn del(&self, key: &str) -> Result<(), ApiError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(cache) => {
                cache.remove(&key);
                Ok(())
            }
            Backend::Redis(redis) => redis.del(&key).await.map_err(unavailable),
        }
    }

    /// Waits, up to `wait`, until no other instance holds `key`, then holds
    /// it for at most `ttl` (the holder dying must not block others for
    /// long). In memory there is no other instance: nothing to hold.
    /// Taking longer than `wait` is 503 `busy`.
    pub async fn lease(&self, key: &str, ttl: Duration, wait: Duration) -> Result<Option<Lease>, ApiError> {
        let Backend::Redis(redis) = &self.backend else { return Ok(None) };
        let key = self.key(key);
        let token = uuid::Uuid::new_v4().to_string();
        let deadline = Instant::now() + wait;
        loop {
            if redis.set_nx(&key, &token, ttl).await.map_err(unavailable)? {
                return Ok(Some(Lease { redis: redis.clone(), key, token }));
            }
            if Instant::now() >= deadline {
                tracing::warn!(wait_ms = wait.as_millis() as u64, "a lease stayed taken; answering busy");
                return Err(ApiError::Busy);
            }
            tokio::time::sleep(LEASE_POLL).await;
        }
    }

    /// Adds one to a counter that lives for `ttl` from its first increment.
    pub async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, ApiError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(cache) => {
                let now = Instant::now();
                let entry = cache
                    .entry(key)
                    .and_upsert_with(|old| {
                        let (count, deadline) = match old.map(|e| e.into_value()) {
                            Some(e) if e.1 > now => (e.0.parse::<u64>().unwrap_or(0), e.1),
                            _ => (0, now + ttl),
                        };
                        Arc::new(((count + 1).to_string(), deadline))
                    })
                    .into_value();
                Ok(entry.0.parse().unwrap_or(1))
            }
            Backend::Redis(redis) => redis.incr(&key, ttl).await.map_err(unavailable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_records_expire_and_take_is_single_use() {
        let kv = Kv::memory("t");
        kv.set("a", "1", Duration::from_secs(60)).await.unwrap();
        assert_eq!(kv.get("a").await.unwrap().as_deref(), Some("1"));
        assert_eq!(kv.take("a").await.unwrap().as_deref(), Some("1"));
        assert_eq!(kv.take("a").await.unwrap(), None);
        kv.set("b", "1", Duration::ZERO).await.unwrap();
        assert_eq!(kv.get("b").await.unwrap(), None);
        assert_eq!(kv.incr("c", Duration::from_secs(60)).await.unwrap(), 1);
        assert_eq!(kv.incr("c", Duration::from_secs(60)).await.unwrap(), 2);
        assert_eq!(kv.incr("d", Duration::ZERO).await.unwrap(), 1);
        assert_eq!(kv.incr("d", Duration::ZERO).await.unwrap(), 1, "an expired counter starts again");
    }

    #[tokio::test]
    async fn expired_memory_records_are_forgotten_not_just_hidden() {
        let kv = Kv::memory("t");
        for i in 0..100 {
            kv.incr(&format!("fail:ip:10.0.0.{i}"), Duration::from_millis(1)).await.unwrap();
        }
        kv.set("kept", "1", Duration::from_secs(60)).await.unwrap();
        // moka's expiry timer wheel ticks about once a second.
        std::thread::sleep(Duration::from_millis(2_200));
        assert_eq!(kv.held(), 1, "only the live record is held");
    }
}
