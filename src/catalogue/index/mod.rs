//! The local catalogue index: a replica of what the Store API shows a shopper, walked once at
//! start and kept current by the same signals that drop cache entries, so every list, filter,
//! facet, taxonomy and product page is answered without the store once it is ready. Until the
//! first walk finishes (and for anything it does not hold, such as variations and reviews) the
//! catalogue keeps its cached pass-through path, so nothing is ever unanswerable.

mod answers;
pub mod eval;
mod hits;
mod persist;
mod postings;
pub mod replica;
mod sync;
pub mod text;
pub mod walk;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::cache::CachedBody;
use crate::catalogue::query::NormalisedQuery;
use crate::catalogue::{json_bytes, ProductRef};
use crate::gate::Gate;
use crate::upstream::store_models::StoreProduct;
use crate::upstream::{RestClient, StoreClient, UpstreamError};
use replica::Replica;
use walk::{Progress, Walker};

/// The text index: on disk under `INDEX_DIR/text` when set (rebuilt if of another version).
fn open_text(dir: Option<&std::path::Path>) -> Option<text::TextIndex> {
    let dir = dir.map(|d| d.join("text"));
    let opened = match text::TextIndex::open(dir.as_deref()) {
        Err(text::TextIndexError::Incompatible) => {
            if let Some(d) = &dir {
                let _ = std::fs::remove_dir_all(d);
            }
            text::TextIndex::open(dir.as_deref())
        }
        other => other,
    };
    opened.inspect_err(|err| tracing::error!(error = %err, "cannot open the text index; /api/v1/search answers 503")).ok()
}

/// A product's searchable text, from the Store API's answer.
fn search_doc(p: &StoreProduct) -> text::SearchDoc {
    text::SearchDoc {
        id: p.id,
        name: p.name.clone(),
        sku: p.sku.clone(),
        terms: p.categories.iter().map(|c| c.name.clone()).chain(p.tags.iter().map(|t| t.name.clone())).collect(),
        short_description_html: p.short_description.clone(),
        description_html: p.description.clone(),
    }
}

/// The same from a stored document (its product page answer).
fn search_doc_of(d: &replica::Doc) -> Option<text::SearchDoc> {
    let p: crate::catalogue::views::ProductDetail = serde_json::from_slice(&d.detail).ok()?;
    Some(text::SearchDoc {
        id: d.id,
        name: p.summary.name,
        sku: p.summary.sku.unwrap_or_default(),
        terms: p.summary.categories.into_iter().map(|c| c.name).chain(p.summary.tags.into_iter().map(|t| t.name)).collect(),
        short_description_html: p.summary.short_description_html,
        description_html: p.description_html,
    })
}

/// Changes waiting for the worker; beyond this a change is dropped and counted (the next
/// reconciliation scan or full walk brings it in).
const CHANGE_QUEUE: usize = 100_000;
/// Facets count at most this many categories (the busiest first), as the pass-through does.
pub const FACET_MAX_CATEGORIES: usize = 30;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error("mapping the store's answers: {0}")]
    Mapping(String),
}

#[derive(Debug, Clone)]
pub struct IndexSettings {
    /// A full walk this often after the last (`INDEX_FULL_SYNC_HOURS`); `None`: only at start.
    pub full_walk_every: Option<Duration>,
    /// Store pages read at once during a walk (each also takes a catalogue permit of the gate).
    pub concurrency: usize,
    /// Where the index is kept between runs (`INDEX_DIR`); `None`: in memory only.
    pub dir: Option<PathBuf>,
    /// Bytes of remembered answers (see `answers`); the app gives an eighth of the cache budget.
    pub answers_bytes: u64,
}

impl Default for IndexSettings {
    fn default() -> Self {
        Self { full_walk_every: Some(Duration::from_secs(24 * 3600)), concurrency: 4, dir: None, answers_bytes: 16 << 20 }
    }
}

/// Counters exported on `/metrics`.
#[derive(Debug, Default)]
pub struct IndexStats {
    /// Product changes applied.
    pub applied: AtomicU64,
    pub failed_updates: AtomicU64,
    /// Changes dropped because the queue was full.
    pub dropped_changes: AtomicU64,
    /// Reads answered from the index.
    pub answers: AtomicU64,
}

#[derive(Clone)]
pub struct CatalogueIndex(Arc<Inner>);

struct Inner {
    settings: IndexSettings,
    walker: Walker,
    progress: Progress,
    stats: IndexStats,
    replica: RwLock<Replica>,
    ready: AtomicBool,
    changes: mpsc::Sender<u64>,
    /// Asks the worker for a full walk now.
    walk_now: tokio::sync::Notify,
    /// The change feed (products modified since a time), to catch up after opening a file.
    rest: Option<RestClient>,
    /// Something changed since the file was last written.
    dirty: AtomicBool,
    /// Unix seconds the replica is known current from (the last walk's start, or the file's).
    cursor: AtomicU64,
    /// The typo-tolerant text index behind `/api/v1/search` (`None` if it could not be opened).
    text: Option<text::TextIndex>,
    /// The text index holds the replica's products.
    text_ready: AtomicBool,
    /// Answers remembered until the replica's version changes.
    answers: answers::Answers,
    /// Text search matches remembered until the text index or the replica changes.
    hits: hits::Hits,
}

impl CatalogueIndex {
    /// Starts the worker (first walk now); reads use the index once [`is_ready`](Self::is_ready).
    pub fn start(store: StoreClient, rest: Option<RestClient>, gate: Gate, settings: IndexSettings) -> Self {
        let (changes, rx) = mpsc::channel(CHANGE_QUEUE);
        let walker = Walker { store, gate, concurrency: settings.concurrency };
        let text = open_text(settings.dir.as_deref());
        let answers = answers::Answers::new(settings.answers_bytes);
        // Half as much again for search matches: a sixteenth of the cache budget.
        let hits = hits::Hits::new(settings.answers_bytes / 2);
        let index = CatalogueIndex(Arc::new(Inner {
            settings,
            walker,
            progress: Progress::default(),
            stats: IndexStats::default(),
            replica: RwLock::new(Replica::default()),
            ready: AtomicBool::new(false),
            changes,
            walk_now: tokio::sync::Notify::new(),
            rest,
            dirty: AtomicBool::new(false),
            cursor: AtomicU64::new(0),
            text,
            text_ready: AtomicBool::new(false),
            answers,
            hits,
        }));
        tokio::spawn(index.clone().run(rx));
        index
    }

    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::Acquire)
    }

    pub fn progress(&self) -> &Progress {
        &self.0.progress
    }

    pub fn stats(&self) -> &IndexStats {
        &self.0.stats
    }

    /// Products held (0 until the first walk).
    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// About the bytes the replica holds.
    pub fn weight(&self) -> usize {
        self.read().weight()
    }

    /// Starts a full walk now (when none is running): what vanished without a signal goes.
    pub fn request_walk(&self) {
        self.0.walk_now.notify_one();
    }

    /// A product changed (or may have): re-read it. Never blocks a webhook.
    pub fn notify(&self, id: u64) {
        if self.0.changes.try_send(id).is_err() {
            self.0.stats.dropped_changes.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Replica> {
        self.0.replica.read().unwrap_or_else(|e| e.into_inner())
    }

    fn install(&self, mut replica: Replica, cursor: u64) {
        let mut held = self.0.replica.write().unwrap_or_else(|e| e.into_inner());
        // Versions only grow, across walks too: an answer remembered from the replica this one
        // replaces must never match it (see `answers`).
        replica.version = replica.version.wrapping_add(held.version).wrapping_add(1);
        *held = replica;
        drop(held);
        self.0.cursor.store(cursor, Ordering::Relaxed);
        self.0.dirty.store(true, Ordering::Relaxed);
        self.0.ready.store(true, Ordering::Release);
    }

    /// Keeps the text index in step with changed products (after the replica has them).
    async fn text_apply(&self, found: &[StoreProduct], removed: &[u64]) {
        let Some(text) = self.0.text.clone() else { return };
        let upserts: Vec<text::SearchDoc> = found.iter().map(search_doc).collect();
        let removed = removed.to_vec();
        match tokio::task::spawn_blocking(move || text.apply(upserts, &removed)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "text index update failed; the next full walk rebuilds it"),
            Err(join) => tracing::error!(error = %join, "text index update panicked"),
        }
    }

    /// Rebuilds the text index from the replica's documents (after a walk or opening the file).
    async fn text_replace(&self) {
        let Some(text) = self.0.text.clone() else { return };
        let this = self.clone();
        let started = std::time::Instant::now();
        let built = tokio::task::spawn_blocking(move || {
            let docs: Vec<text::SearchDoc> = this.read().docs().filter_map(search_doc_of).collect();
            text.replace_all(docs)
        })
        .await;
        match built {
            Ok(Ok(())) => {
                self.0.text_ready.store(true, Ordering::Release);
                tracing::info!(duration_ms = started.elapsed().as_millis() as u64, "text index built");
            }
            Ok(Err(err)) => tracing::warn!(error = %err, "text index build failed; search answers 503 until the next walk"),
            Err(join) => tracing::error!(error = %join, "text index build panicked"),
        }
    }

    /// The text index, once it holds the catalogue.
    pub fn text(&self) -> Option<&text::TextIndex> {
        self.0.text.as_ref().filter(|_| self.0.text_ready.load(Ordering::Acquire) && self.is_ready())
    }

    /// The text search's matches for `q` (at most `limit`, best first), and `then` run on them
    /// and the replica they are placed in, under one read; `None` until the text index is ready.
    pub fn search<T>(
        &self,
        q: &str,
        limit: usize,
        then: impl FnOnce(&hits::Matches, &Replica) -> T,
    ) -> Result<Option<T>, text::TextIndexError> {
        let Some(text) = self.text() else { return Ok(None) };
        let key = format!("{limit}:{}", text.query_key(q));
        // Read before searching: a commit meanwhile only makes the entry unused.
        let generation = text.generation();
        // One lookup: the entry gives the ids, and is the answer if the replica is unchanged.
        let found = self.0.hits.get(&key, generation);
        let ids = match &found {
            Some(m) => m.ids.clone(),
            None => text.search(q, limit)?.into_iter().map(|hit| hit.id).collect(),
        };
        let replica = self.read();
        let matches = self.0.hits.placed(&key, found, generation, ids, &replica);
        self.0.stats.answers.fetch_add(1, Ordering::Relaxed);
        Ok(Some(then(&matches, &replica)))
    }

    /// The replica's version: it changes with every product, taxonomy and walk.
    pub fn version(&self) -> u64 {
        self.read().version
    }

    /// The answer remembered for `key` if the index is ready and unchanged since it was made.
    pub fn remembered(&self, key: &str, now: std::time::Instant) -> Option<Arc<CachedBody>> {
        if !self.is_ready() {
            return None;
        }
        let found = self.0.answers.get(key, self.version(), now)?;
        self.0.stats.answers.fetch_add(1, Ordering::Relaxed);
        Some(found)
    }

    /// Remembers an answer made from `version` (read before it was made, so a change meanwhile
    /// only makes it unused).
    pub fn remember(&self, key: &str, version: u64, entry: Arc<CachedBody>) {
        self.0.answers.insert(key, version, entry);
    }

    /// Bytes of remembered answers.
    pub fn answers_weight(&self) -> u64 {
        self.0.answers.weight()
    }

    /// Runs `answer` on the replica once the index is ready.
    fn answer<T>(&self, answer: impl FnOnce(&Replica) -> Option<T>) -> Option<T> {
        if !self.is_ready() {
            return None;
        }
        let found = answer(&self.read());
        if found.is_some() {
            self.0.stats.answers.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// `Page<ProductSummary>` for a list query.
    pub fn products(&self, q: &NormalisedQuery) -> Option<Bytes> {
        self.answer(|r| Some(Bytes::from(eval::products(r, q))))
    }

    /// `Facets` for a facet query.
    pub fn facets(&self, q: &NormalisedQuery) -> Option<Bytes> {
        self.answer(|r| json_bytes(&eval::facets(r, q, FACET_MAX_CATEGORIES)).ok())
    }

    /// `ProductDetail` and the product's id; `None` when the index does not hold it (not ready,
    /// a variation, or no such product: the pass-through path answers those).
    pub fn product(&self, which: &ProductRef) -> Option<(u64, Bytes)> {
        self.answer(|r| {
            let doc = match which {
                ProductRef::Id(id) => r.by_id(*id),
                ProductRef::Slug(slug) => r.by_slug(slug),
            }?;
            Some((doc.id, doc.detail.clone()))
        })
    }

    pub fn categories(&self) -> Option<Bytes> {
        self.answer(|r| Some(r.taxonomy.categories_body.clone()))
    }

    pub fn tags(&self) -> Option<Bytes> {
        self.answer(|r| Some(r.taxonomy.tags_body.clone()))
    }

    pub fn attributes(&self) -> Option<Bytes> {
        self.answer(|r| Some(r.taxonomy.attributes_body.clone()))
    }

    /// An attribute's terms; `None` also for an unknown attribute (the store says so).
    pub fn attribute_terms(&self, id: u64) -> Option<Bytes> {
        self.answer(|r| r.taxonomy.terms_bodies.get(&id).cloned())
    }
}
