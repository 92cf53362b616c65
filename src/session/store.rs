//! A cloneable handle over any tower-sessions store, so the in-memory store
//! (default) and a shared one (Redis, for several instances) are chosen at
//! start-up by configuration, not by type.

use std::sync::Arc;

use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Result, SessionStore};

#[derive(Debug, Clone)]
pub struct SharedStore(pub Arc<dyn SessionStore>);

impl SharedStore {
    pub fn memory() -> Self {
        SharedStore(Arc::new(tower_sessions::MemoryStore::default()))
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
