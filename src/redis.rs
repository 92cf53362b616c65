//! Shared state for running several instances behind a load balancer:
//! a Redis connection pool (sessions, idempotency records, webhook dedupe)
//! and a subscriber for cache-invalidation fan-out. With no `REDIS_URL`
//! everything stays in memory.

use std::fmt;
use std::time::Duration;

use fred::prelude::*;
use fred::types::{Expiration, SetOptions};

#[derive(Clone)]
pub struct Redis {
    pool: Pool,
    subscriber: fred::clients::SubscriberClient,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL can carry a password: never print it.
        f.write_str("Redis { .. }")
    }
}

fn failed(err: fred::error::Error) -> String {
    format!("redis: {}", err.details())
}

impl Redis {
    /// Connects (or fails with one line naming `REDIS_URL`).
    pub async fn connect(url: &str) -> Result<Self, String> {
        let config = Config::from_url(url).map_err(|e| format!("REDIS_URL: not a Redis URL ({})", e.details()))?;
        // Reconnect forever, but let each command fail after a second while
        // Redis is away: requests that need shared state answer 503 quickly
        // and everything recovers by itself when Redis returns.
        let mut builder = Builder::from_config(config);
        builder
            .set_policy(ReconnectPolicy::new_constant(0, 250))
            .with_performance_config(|p| p.default_command_timeout = Duration::from_secs(1));
        let pool = builder.build_pool(4).map_err(|e| format!("REDIS_URL: {}", e.details()))?;
        let subscriber = builder.build_subscriber_client().map_err(|e| format!("REDIS_URL: {}", e.details()))?;
        let connect = async {
            pool.init().await.map_err(failed)?;
            subscriber.init().await.map_err(failed)?;
            // Re-subscribes to our channels after every reconnect.
            drop(subscriber.manage_subscriptions());
            Ok::<_, String>(())
        };
        tokio::time::timeout(Duration::from_secs(5), connect)
            .await
            .map_err(|_| "REDIS_URL: no answer within 5 s".to_string())?
            .map_err(|e| format!("REDIS_URL: {e}"))?;
        Ok(Self { pool, subscriber })
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// `SET key value NX EX ttl`: true when this call created the key.
    pub async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, String> {
        let set: Option<String> = self
            .pool
            .set(key, value, Some(Expiration::EX(ttl.as_secs().max(1) as i64)), Some(SetOptions::NX), false)
            .await
            .map_err(failed)?;
        Ok(set.is_some())
    }

    /// `SET key value XX EX ttl`: overwrite an existing key.
    pub async fn replace(&self, key: &str, value: &str, ttl: Duration) -> Result<(), String> {
        let _: Option<String> = self
            .pool
            .set(key, value, Some(Expiration::EX(ttl.as_secs().max(1) as i64)), Some(SetOptions::XX), false)
            .await
            .map_err(failed)?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.pool.get(key).await.map_err(failed)
    }

    /// `GETDEL`: the value, removed atomically (one reader wins).
    pub async fn take(&self, key: &str) -> Result<Option<String>, String> {
        self.pool.getdel(key).await.map_err(failed)
    }

    /// `SET key value EX ttl`.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), String> {
        let _: Option<String> =
            self.pool.set(key, value, Some(Expiration::EX(ttl.as_secs().max(1) as i64)), None, false).await.map_err(failed)?;
        Ok(())
    }

    /// `INCR` with the expiry set on first use; the new count.
    pub async fn incr(&self, key: &str, ttl: Duration) -> Result<u64, String> {
        let count: u64 = self.pool.incr(key).await.map_err(failed)?;
        if count == 1 {
            let _: bool = self.pool.expire(key, ttl.as_secs().max(1) as i64, None).await.map_err(failed)?;
        }
        Ok(count)
    }

    /// Deletes `key` only while it still holds `value`, in one step: a lease's
    /// owner releasing it never deletes the lease someone took after its own
    /// ran out.
    pub async fn del_if(&self, key: &str, value: &str) -> Result<bool, String> {
        const SCRIPT: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
        let deleted: i64 = self.pool.eval(SCRIPT, vec![key], vec![value]).await.map_err(failed)?;
        Ok(deleted == 1)
    }

    pub async fn del(&self, key: &str) -> Result<(), String> {
        let _: i64 = self.pool.del(key).await.map_err(failed)?;
        Ok(())
    }

    /// A round trip, for readiness.
    pub async fn ping(&self) -> Result<(), String> {
        let call = async { self.pool.next().ping::<String>(None).await.map_err(failed) };
        tokio::time::timeout(Duration::from_secs(1), call).await.map_err(|_| "redis: no answer within 1 s".to_string())??;
        Ok(())
    }

    pub async fn publish(&self, channel: &str, message: &str) -> Result<(), String> {
        let _: i64 = self.pool.next().publish(channel, message).await.map_err(failed)?;
        Ok(())
    }

    /// Subscribes and calls `handle` with every message on `channel`.
    pub async fn subscribe(&self, channel: &str, handle: impl Fn(String) + Send + Sync + 'static) -> Result<(), String> {
        let mut rx = self.subscriber.message_rx();
        self.subscriber.subscribe(channel).await.map_err(failed)?;
        tokio::spawn(async move {
            while let Ok(message) = rx.recv().await {
                if let Some(text) = message.value.as_string() {
                    handle(text);
                }
            }
        });
        Ok(())
    }
}
