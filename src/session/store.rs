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

/// What one session costs besides its data: the id, the expiry, moka's
/// entry and the map's own allocation (measured order of magnitude, not exact).
const ENTRY_OVERHEAD: usize = 256;

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

/// A record's weight: its data as JSON (what it would take on Redis) plus the
/// fixed cost of an entry.
pub fn weight(record: &Record) -> u32 {
    let data = serde_json::to_vec(&record.data).map(|v| v.len()).unwrap_or(0);
    u32::try_from(data + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
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

    #[test]
    fn the_weight_counts_the_data() {
        assert_eq!(weight(&record(1000)) as usize, 1000 + r#"{"cart":""}"#.len() + ENTRY_OVERHEAD);
    }
}
