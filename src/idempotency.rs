//! Idempotency records for requests that must never run twice (checkout,
//! partner orders): the first result is kept for 24 h and replayed for the
//! same key and body; concurrent duplicates wait for the first to finish.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::error::ApiError;

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
    pub fn complete(mut self, response: StoredResponse) {
        self.finished = true;
        self.store
            .finish(&self.key, SlotState::Done(Arc::new(response)));
    }

    /// The attempt failed transiently: free the key so a retry can run again.
    pub fn release(mut self, response: StoredResponse) {
        self.finished = true;
        self.store
            .finish(&self.key, SlotState::Released(Arc::new(response)));
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if !self.finished {
            let response = StoredResponse {
                status: 500,
                body: Bytes::new(),
            };
            self.store
                .finish(&self.key, SlotState::Released(Arc::new(response)));
        }
    }
}

/// In-memory records (one instance); the Redis issue provides a shared one.
#[derive(Clone)]
pub struct Idempotency {
    slots: moka::sync::Cache<String, Arc<Slot>>,
}

impl Default for Idempotency {
    fn default() -> Self {
        Self {
            slots: moka::sync::Cache::builder()
                .time_to_live(RETENTION)
                .max_capacity(1_000_000)
                .build(),
        }
    }
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
    let key = raw
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(ApiError::IdempotencyKeyRequired)?;
    if key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "1 to 255 printable ASCII characters",
        ));
    }
    Ok(key.to_string())
}

impl Idempotency {
    /// Claims `key` (already scoped by the caller, e.g. `session:key`).
    pub async fn begin(&self, key: &str, fingerprint: [u8; 32]) -> Result<Begin, ApiError> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let created = std::cell::Cell::new(false);
            let slot = self.slots.get_with(key.to_string(), || {
                created.set(true);
                Arc::new(Slot {
                    fingerprint,
                    state: watch::channel(SlotState::Running).0,
                })
            });
            if created.get() {
                return Ok(Begin::Fresh(Claim {
                    key: key.to_string(),
                    store: self.clone(),
                    finished: false,
                }));
            }
            if slot.fingerprint != fingerprint {
                return Err(ApiError::IdempotencyKeyReused);
            }
            let mut rx = slot.state.subscribe();
            let state = match tokio::time::timeout_at(
                deadline,
                rx.wait_for(|s| !matches!(s, SlotState::Running)),
            )
            .await
            {
                Ok(Ok(state)) => state.clone(),
                Ok(Err(_)) => continue, // the slot was replaced; look again
                Err(_) => return Err(ApiError::IdempotencyInProgress),
            };
            match state {
                SlotState::Done(response) | SlotState::Released(response) => {
                    return Ok(Begin::Replay(response))
                }
                SlotState::Running => continue,
            }
        }
    }

    fn finish(&self, key: &str, state: SlotState) {
        if let Some(slot) = self.slots.get(key) {
            let released = matches!(state, SlotState::Released(_));
            slot.state.send_replace(state);
            if released {
                self.slots.invalidate(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> StoredResponse {
        StoredResponse {
            status: 201,
            body: Bytes::from(body.to_string()),
        }
    }

    #[tokio::test]
    async fn first_runs_then_replays_and_refuses_other_bodies() {
        let store = Idempotency::default();
        let fp = fingerprint(&[b"body"]);
        let Begin::Fresh(claim) = store.begin("s:k", fp).await.unwrap() else {
            panic!("fresh")
        };
        claim.complete(ok("order 1"));
        let Begin::Replay(r) = store.begin("s:k", fp).await.unwrap() else {
            panic!("replay")
        };
        assert_eq!(r.body, "order 1");
        assert!(matches!(
            store.begin("s:k", fingerprint(&[b"other"])).await,
            Err(ApiError::IdempotencyKeyReused)
        ));
    }

    #[tokio::test]
    async fn concurrent_duplicates_wait_for_the_first() {
        let store = Idempotency::default();
        let fp = fingerprint(&[b"b"]);
        let Begin::Fresh(claim) = store.begin("k", fp).await.unwrap() else {
            panic!()
        };
        let waiters: Vec<_> = (0..20)
            .map(|_| {
                let s = store.clone();
                tokio::spawn(async move { s.begin("k", fp).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        claim.complete(ok("done"));
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
        let Begin::Fresh(claim) = store.begin("k", fp).await.unwrap() else {
            panic!()
        };
        claim.release(StoredResponse {
            status: 503,
            body: Bytes::new(),
        });
        assert!(matches!(
            store.begin("k", fp).await.unwrap(),
            Begin::Fresh(_)
        ));
        assert!(validate_key(None).is_err());
        assert!(validate_key(Some("a b")).is_err());
        assert_eq!(validate_key(Some(" 123e4567 ")).unwrap(), "123e4567");
    }
}
