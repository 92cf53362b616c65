//! Idempotency records for requests that must never run twice (checkout,
//! partner orders): the first result is kept for 24 h and replayed for the
//! same key and body; concurrent duplicates wait for the first to finish.
//! In memory by default; on Redis (`SET NX` + TTL) when several instances
//! must agree, with the in-progress state visible to all of them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::error::ApiError;
use crate::redis::Redis;

/// How long records are kept.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);
/// How long a duplicate waits for the first request before answering 409.
pub const WAIT: Duration = Duration::from_secs(30);

/// A finished answer, replayed byte for byte.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Bytes,
}

#[derive(Debug, Clone)]
enum SlotState {
    Running,
    Done(Arc<StoredResponse>),
    /// Failed in a way that is safe to retry: the key is free again; waiters
    /// get this answer.
    Released(Arc<StoredResponse>),
}

struct Slot {
    fingerprint: [u8; 32],
    state: watch::Sender<SlotState>,
}

/// The outcome of claiming a key.
pub enum Begin {
    /// First use: run the request and `complete` or `release` the claim.
    Fresh(Claim),
    /// Already answered: replay this.
    Replay(Arc<StoredResponse>),
}

/// The right to run a request once. Dropping it unfinished releases the key.
pub struct Claim {
    key: String,
    store: Idempotency,
    finished: bool,
}

impl Claim {
    pub async fn complete(mut self, response: StoredResponse) {
        self.finished = true;
        self.store.finish(&self.key, SlotState::Done(Arc::new(response))).await;
    }

    /// The attempt failed without effect: free the key so a retry can run again.
    pub async fn release(mut self, response: StoredResponse) {
        self.finished = true;
        self.store.finish(&self.key, SlotState::Released(Arc::new(response))).await;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.finished {
            let (store, key) = (self.store.clone(), self.key.clone());
            let response = StoredResponse { status: 500, body: Bytes::new() };
            tokio::spawn(async move { store.finish(&key, SlotState::Released(Arc::new(response))).await });
        }
    }
}

#[derive(Clone)]
enum Backend {
    Memory(moka::sync::Cache<String, Arc<Slot>>),
    Redis(Redis),
}

/// Idempotency records, in memory (one instance) or on Redis (several).
#[derive(Clone)]
pub struct Idempotency {
    backend: Backend,
}

impl Default for Idempotency {
    fn default() -> Self {
        Self { backend: Backend::Memory(moka::sync::Cache::builder().time_to_live(RETENTION).max_capacity(1_000_000).build()) }
    }
}

/// A record as kept on Redis.
#[derive(serde::Serialize, serde::Deserialize)]
struct RedisRecord {
    fingerprint: String,
    /// None while the first request runs.
    status: Option<u16>,
    body: String,
}

const POLL: Duration = Duration::from_millis(50);

fn redis_down(err: String) -> ApiError {
    tracing::error!(error = %err, "idempotency store unavailable");
    ApiError::SessionStoreUnavailable
}

/// Hash of what makes two requests "the same".
pub fn fingerprint(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Keys are client-chosen: keep them short and printable.
pub fn validate_key(raw: Option<&str>) -> Result<String, ApiError> {
    let key = raw.map(str::trim).filter(|k| !k.is_empty()).ok_or(ApiError::IdempotencyKeyRequired)?;
    if key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field("Idempotency-Key", "1 to 255 printable ASCII characters"));
    }
    Ok(key.to_string())
}

impl Idempotency {
    pub fn on_redis(redis: Redis) -> Self {
        Self { backend: Backend::Redis(redis) }
    }

    /// Claims `key` (already scoped by the caller, e.g. `session:key`).
    pub async fn begin(&self, key: &str, fingerprint: [u8; 32]) -> Result<Begin, ApiError> {
        match &self.backend {
            Backend::Memory(slots) => self.begin_memory(slots, key, fingerprint).await,
            Backend::Redis(redis) => self.begin_redis(redis, key, fingerprint).await,
        }
    }

    async fn begin_redis(&self, redis: &Redis, key: &str, fingerprint: [u8; 32]) -> Result<Begin, ApiError> {
        let redis_key = format!("bff:idem:{key}");
        let fp = hex::encode(fingerprint);
        let running = serde_json::to_string(&RedisRecord { fingerprint: fp.clone(), status: None, body: String::new() })
            .map_err(|e| ApiError::json("writing an idempotency record", &e))?;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if redis.set_nx(&redis_key, &running, RETENTION).await.map_err(redis_down)? {
                return Ok(Begin::Fresh(Claim { key: key.to_string(), store: self.clone(), finished: false }));
            }
            // Someone holds it: same body? finished? else wait for it.
            if let Some(text) = redis.get(&redis_key).await.map_err(redis_down)? {
                let record: RedisRecord = serde_json::from_str(&text).map_err(|e| ApiError::json("reading an idempotency record", &e))?;
                if record.fingerprint != fp {
                    return Err(ApiError::IdempotencyKeyReused);
                }
                if let Some(status) = record.status {
                    use base64::Engine;
                    let body = base64::engine::general_purpose::STANDARD.decode(record.body).unwrap_or_default();
                    return Ok(Begin::Replay(Arc::new(StoredResponse { status, body: Bytes::from(body) })));
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ApiError::IdempotencyInProgress);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn begin_memory(
        &self,
        slots: &moka::sync::Cache<String, Arc<Slot>>,
        key: &str,
        fingerprint: [u8; 32],
    ) -> Result<Begin, ApiError> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let created = std::cell::Cell::new(false);
            let slot = slots.get_with(key.to_string(), || {
                created.set(true);
                Arc::new(Slot { fingerprint, state: watch::channel(SlotState::Running).0 })
            });
            if created.get() {
                return Ok(Begin::Fresh(Claim { key: key.to_string(), store: self.clone(), finished: false }));
            }
            if slot.fingerprint != fingerprint {
                return Err(ApiError::IdempotencyKeyReused);
            }
            let mut rx = slot.state.subscribe();
            let state = match tokio::time::timeout_at(deadline, rx.wait_for(|s| !matches!(s, SlotState::Running))).await {
                Ok(Ok(state)) => state.clone(),
                Ok(Err(_)) => continue, // the slot was replaced; look again
                Err(_) => return Err(ApiError::IdempotencyInProgress),
            };
            match state {
                SlotState::Done(response) | SlotState::Released(response) => return Ok(Begin::Replay(response)),
                SlotState::Running => continue,
            }
        }
    }

    async fn finish(&self, key: &str, state: SlotState) {
        match &self.backend {
            Backend::Memory(slots) => {
                if let Some(slot) = slots.get(key) {
                    let released = matches!(state, SlotState::Released(_));
                    slot.state.send_replace(state);
                    if released {
                        slots.invalidate(key);
                    }
                }
            }
            Backend::Redis(redis) => {
                let redis_key = format!("bff:idem:{key}");
                let result = match state {
                    SlotState::Done(response) => {
                        use base64::Engine;
                        let Ok(Some(text)) = redis.get(&redis_key).await else { return };
                        let Ok(mut record) = serde_json::from_str::<RedisRecord>(&text) else { return };
                        record.status = Some(response.status);
                        record.body = base64::engine::general_purpose::STANDARD.encode(&response.body);
                        let text = serde_json::to_string(&record).unwrap_or_default();
                        redis.replace(&redis_key, &text, RETENTION).await
                    }
                    // Waiting duplicates on other instances see the key go
                    // and one of them runs the request again.
                    _ => redis.del(&redis_key).await,
                };
                if let Err(err) = result {
                    tracing::error!(error = %err, "could not record an idempotent result");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> StoredResponse {
        StoredResponse { status: 201, body: Bytes::from(body.to_string()) }
    }

    #[tokio::test]
    async fn first_runs_then_replays_and_refuses_other_bodies() {
        let store = Idempotency::default();
        let fp = fingerprint(&[b"body"]);
        let Begin::Fresh(claim) = store.begin("s:k", fp).await.unwrap() else { panic!("fresh") };
        claim.complete(ok("order 1")).await;
        let Begin::Replay(r) = store.begin("s:k", fp).await.unwrap() else { panic!("replay") };
        assert_eq!(r.body, "order 1");
        assert!(matches!(store.begin("s:k", fingerprint(&[b"other"])).await, Err(ApiError::IdempotencyKeyReused)));
    }

    #[tokio::test]
    async fn concurrent_duplicates_wait_for_the_first() {
        let store = Idempotency::default();
        let fp = fingerprint(&[b"b"]);
        let Begin::Fresh(claim) = store.begin("k", fp).await.unwrap() else { panic!() };
        let waiters: Vec<_> = (0..20)
            .map(|_| {
                let s = store.clone();
                tokio::spawn(async move { s.begin("k", fp).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        claim.complete(ok("done")).await;
        for w in waiters {
            match w.await.unwrap().unwrap() {
                Begin::Replay(r) => assert_eq!(r.body, "done"),
                Begin::Fresh(_) => panic!("only one may run"),
            }
        }
    }

    #[tokio::test]
    async fn a_released_key_can_run_again() {
        let store = Idempotency::default();
        let fp = fingerprint(&[b"b"]);
        let Begin::Fresh(claim) = store.begin("k", fp).await.unwrap() else { panic!() };
        claim.release(StoredResponse { status: 503, body: Bytes::new() }).await;
        assert!(matches!(store.begin("k", fp).await.unwrap(), Begin::Fresh(_)));
        assert!(validate_key(None).is_err());
        assert!(validate_key(Some("a b")).is_err());
        assert_eq!(validate_key(Some(" 123e4567 ")).unwrap(), "123e4567");
    }
}
