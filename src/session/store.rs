//! A cloneable handle over any tower-sessions store, so the in-memory store
//! (default) and a shared one (Redis, for several instances) are chosen at
//! start-up by configuration, not by type; and the in-memory store itself,
//! bounded so a flood of new sessions cannot grow the process without limit.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Result, SessionStore};

#[derive(Debug, Clone)]
pub struct SharedStore(pub Arc<dyn SessionStore>);

impl SharedStore {
    /// The in-memory store: sessions idle for `ttl` are forgotten, and the
    /// least useful ones are evicted once they weigh `max_bytes` in total.
    pub fn memory(ttl: Duration, max_bytes: u64) -> Self {
        SharedStore(Arc::new(BoundedMemoryStore::new(ttl, max_bytes)))
    }
}

#[async_trait::async_trait]
impl SessionStore for SharedStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        self.0.create(record).await
    }
    async fn save(&self, record: &Record) -> Result<()> {
        self.0.save(record).await
    }
    async fn load(&self, session_id: &Id) -> Result<Option<Record>> {
        self.0.load(session_id).await
    }
    async fn delete(&self, session_id: &Id) -> Result<()> {
        self.0.delete(session_id).await
    }
}

/// What one session costs besides its data: the id, the expiry, the record's
/// own map, moka's entry and the `Arc` (measured with mimalloc: 100k sessions
/// holding only `{"created": true}` grew the process by ~663 bytes each).
const ENTRY_OVERHEAD: usize = 640;
/// A JSON object held as a `serde_json::Map` (a BTreeMap): its nodes cost
/// ~600 bytes whatever it holds (measured: a cart record with three nested
/// objects and ~400 bytes of JSON grew the process by ~2,990 bytes).
const OBJECT_OVERHEAD: usize = 600;

/// tower-sessions' `MemoryStore` keeps every record until the process ends
/// (it only hides expired ones); this one is a moka cache: time-to-idle as
/// the session lifetime (a record read or written stays), a weight cap in
/// bytes, and moka's TinyLFU admission, which under a flood of one-off
/// sessions keeps the ones shoppers come back to.
#[derive(Debug, Clone)]
pub struct BoundedMemoryStore {
    records: moka::future::Cache<Id, Arc<Record>>,
}

impl BoundedMemoryStore {
    pub fn new(ttl: Duration, max_bytes: u64) -> Self {
        let records = moka::future::Cache::builder()
            .time_to_idle(ttl.max(Duration::from_secs(1)))
            .weigher(|_, record: &Arc<Record>| weight(record))
            .max_capacity(max_bytes.max(1))
            .build();
        Self { records }
    }

    /// Sessions held now (after pending evictions are applied).
    pub async fn sessions(&self) -> u64 {
        self.records.run_pending_tasks().await;
        self.records.entry_count()
    }

    /// Bytes held now, as the weigher counts them.
    pub async fn weighted_size(&self) -> u64 {
        self.records.run_pending_tasks().await;
        self.records.weighted_size()
    }
}

/// A record's weight: what it really occupies in memory (the JSON length
/// alone under-counted ~4×: parsed objects cost far more than their text).
pub fn weight(record: &Record) -> u32 {
    let data: usize = record.data.iter().map(|(k, v)| k.len() + value_bytes(v)).sum();
    u32::try_from(data + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
}

/// About what a parsed JSON value occupies, nested values included.
fn value_bytes(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::Object(map) => OBJECT_OVERHEAD + map.iter().map(|(k, v)| k.len() + value_bytes(v)).sum::<usize>(),
        Value::Array(items) => 32 + items.iter().map(value_bytes).sum::<usize>(),
        Value::String(text) => 32 + text.len(),
        _ => 16,
    }
}

#[async_trait::async_trait]
impl SessionStore for BoundedMemoryStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely but
        // must never hand one shopper another's session.
        while self.records.contains_key(&record.id) {
            record.id = Id::default();
        }
        self.records.insert(record.id, Arc::new(record.clone())).await;
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        self.records.insert(record.id, Arc::new(record.clone())).await;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> Result<Option<Record>> {
        Ok(self.records.get(session_id).await.filter(|r| r.expiry_date > OffsetDateTime::now_utc()).map(|r| (*r).clone()))
    }

    async fn delete(&self, session_id: &Id) -> Result<()> {
        self.records.invalidate(session_id).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(bytes: usize) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("cart".to_string(), serde_json::Value::String("x".repeat(bytes)));
        Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + time::Duration::hours(1) }
    }

    #[tokio::test]
    async fn stays_within_its_byte_cap() {
        let store = BoundedMemoryStore::new(Duration::from_secs(3600), 100 * 1024);
        for _ in 0..1_000 {
            store.create(&mut record(700)).await.unwrap();
        }
        let held = store.weighted_size().await;
        assert!(held <= 100 * 1024, "{held} bytes held");
        assert!(store.sessions().await < 1_000, "some sessions were evicted");
    }

    #[tokio::test]
    async fn round_trips_and_deletes() {
        let store = BoundedMemoryStore::new(Duration::from_secs(3600), 1 << 20);
        let mut r = record(10);
        store.create(&mut r).await.unwrap();
        assert_eq!(store.load(&r.id).await.unwrap().map(|l| l.data), Some(r.data.clone()));
        store.delete(&r.id).await.unwrap();
        assert!(store.load(&r.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_expired_record_reads_as_absent() {
        let store = BoundedMemoryStore::new(Duration::from_secs(3600), 1 << 20);
        let mut r = record(10);
        r.expiry_date = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        store.save(&r).await.unwrap();
        assert!(store.load(&r.id).await.unwrap().is_none());
    }

    /// Pins the weigher to what was measured (see the constants): a session with
    /// only its created flag, and one with a guest cart's credentials.
    #[test]
    fn the_weight_matches_the_measured_memory_of_a_session() {
        let mut data = std::collections::HashMap::new();
        data.insert("created".to_string(), serde_json::Value::Bool(true));
        let plain = Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() };
        assert_eq!(weight(&plain), 663, "measured ~663 bytes");
        let mut cart = plain.clone();
        cart.data.insert(
            "cart".into(),
            serde_json::json!({"credentials": {"cart_token": "x".repeat(300), "nonce": "abcdef0123"}, "snapshot": {"lines": []}}),
        );
        let w = weight(&cart);
        assert!((2_800..=3_100).contains(&w), "measured ~2,990 bytes, weighed {w}");
        assert_eq!(weight(&record(1000)) as usize, ENTRY_OVERHEAD + "cart".len() + 32 + 1000);
    }
}
