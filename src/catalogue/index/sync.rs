//! Keeping the replica current: the first full walk, changes (a signed webhook, a Redis
//! broadcast of one, or the reconciliation scan — whatever drops a product from the response
//! cache also names it here), and the periodic full walk that removes what vanished without a
//! signal. One worker applies everything, so changes never race each other.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::gate::Kind;
use crate::upstream::store::StoreProductQuery;

use super::replica::{Doc, IN_CATALOG, IN_SEARCH, WALKS};
use super::{CatalogueIndex, IndexError};

/// Changes applied together (one Store API page of them).
const BATCH: usize = 100;
/// After a failed walk, the next try waits this long (doubling up to 5 minutes).
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// How often the file is rewritten when something changed.
const SAVE_EVERY: Duration = Duration::from_secs(60);
/// The catch-up asks for a little more than since the cursor (clock skew with the store).
const CATCH_UP_OVERLAP: Duration = Duration::from_secs(60);

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl CatalogueIndex {
    /// The worker: opens the file (or walks), then applies changes as they come, walks again
    /// every `full_walk_every` (or when asked) and writes the file when something changed.
    pub(super) async fn run(self, mut changes: mpsc::Receiver<u64>) {
        let mut walk = None;
        let mut walk_started = now_secs();
        if !self.open_saved().await {
            walk = Some(self.spawn_walk());
        }
        let mut seen_during_walk: HashSet<u64> = HashSet::new();
        let mut retry = FIRST_RETRY;
        let mut next_walk = self.next_walk_at();
        let mut save_tick = tokio::time::interval(SAVE_EVERY);
        save_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                done = async { walk.as_mut().expect("guarded by the select condition").await }, if walk.is_some() => {
                    walk = None;
                    match done {
                        Ok(Ok(replica)) => {
                            retry = FIRST_RETRY;
                            self.install(replica, walk_started);
                            self.text_replace().await;
                            // What changed while the walk ran may be older in the new replica.
                            let again: Vec<u64> = seen_during_walk.drain().collect();
                            for batch in again.chunks(BATCH) {
                                self.apply_logged(batch).await;
                            }
                            self.save_logged().await;
                            next_walk = self.next_walk_at();
                        }
                        Ok(Err(err)) => {
                            tracing::warn!(error = %err, retry_secs = retry.as_secs(), "catalogue index walk failed; reads stay on the pass-through path meanwhile");
                            next_walk = Some(Instant::now() + retry);
                            retry = (retry * 2).min(Duration::from_secs(300));
                        }
                        Err(join) => {
                            tracing::error!(error = %join, "catalogue index walk panicked");
                            next_walk = Some(Instant::now() + retry);
                        }
                    }
                }
                received = changes.recv() => {
                    let Some(first) = received else { return };
                    let mut batch = vec![first];
                    while batch.len() < BATCH {
                        match changes.try_recv() {
                            Ok(id) => batch.push(id),
                            Err(_) => break,
                        }
                    }
                    batch.sort_unstable();
                    batch.dedup();
                    if walk.is_some() {
                        seen_during_walk.extend(&batch);
                    }
                    if self.is_ready() {
                        self.apply_logged(&batch).await;
                    }
                }
                () = sleep_until(next_walk), if walk.is_none() && next_walk.is_some() => {
                    walk_started = now_secs();
                    walk = Some(self.spawn_walk());
                }
                () = self.0.walk_now.notified(), if walk.is_none() => {
                    walk_started = now_secs();
                    walk = Some(self.spawn_walk());
                }
                _ = save_tick.tick() => {
                    if self.0.dirty.load(std::sync::atomic::Ordering::Relaxed) {
                        self.save_logged().await;
                    }
                }
            }
        }
    }

    /// Opens the file in `INDEX_DIR`, if any, with fresh taxonomies, then catches up on what the
    /// store changed since its cursor. False when there is nothing to open (walk instead).
    async fn open_saved(&self) -> bool {
        let Some(dir) = self.0.settings.dir.clone() else { return false };
        let started = Instant::now();
        let Ok(Some(saved)) = tokio::task::spawn_blocking(move || super::persist::load(&dir)).await else { return false };
        let taxonomy = match self.0.walker.taxonomy().await {
            Ok(t) => t,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the taxonomies to open the catalogue index file; walking instead");
                return false;
            }
        };
        let replica = super::replica::Replica::build(saved.docs, &saved.orders, taxonomy, saved.currency);
        let products = replica.len();
        self.install(replica, saved.cursor);
        self.0.dirty.store(false, std::sync::atomic::Ordering::Relaxed);
        self.text_replace().await;
        tracing::info!(
            products,
            duration_ms = started.elapsed().as_millis() as u64,
            cursor = saved.cursor,
            "catalogue index opened from its file"
        );
        self.catch_up(saved.cursor).await;
        true
    }

    /// Applies every product the change feed (REST v3 `modified_after`) lists since `cursor`.
    async fn catch_up(&self, cursor: u64) {
        let Some(rest) = &self.0.rest else { return };
        let since = cursor.saturating_sub(CATCH_UP_OVERLAP.as_secs());
        let query =
            crate::upstream::rest::RestProductQuery { modified_after: Some(crate::webhooks::reconcile::iso(since)), ..Default::default() };
        match rest.all_products(&query).await {
            Ok(changed) => {
                let ids: Vec<u64> = changed.iter().map(|p| p.id).collect();
                tracing::info!(changed = ids.len(), "catalogue index catching up from its cursor");
                for batch in ids.chunks(BATCH) {
                    self.apply_logged(batch).await;
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "catalogue index catch-up failed; the reconciliation scan and the next walk repair it");
            }
        }
    }

    /// Writes the file (when `INDEX_DIR` is set) off the async threads.
    async fn save_logged(&self) {
        let Some(dir) = self.0.settings.dir.clone() else { return };
        self.0.dirty.store(false, std::sync::atomic::Ordering::Relaxed);
        let this = self.clone();
        let started = Instant::now();
        let cursor = self.0.cursor.load(std::sync::atomic::Ordering::Relaxed);
        let written = tokio::task::spawn_blocking(move || super::persist::save(&dir, &this.read(), cursor)).await;
        match written {
            Ok(Ok(bytes)) => tracing::info!(bytes, duration_ms = started.elapsed().as_millis() as u64, "catalogue index file written"),
            Ok(Err(err)) => {
                self.0.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(error = %err, "cannot write the catalogue index file");
            }
            Err(join) => tracing::error!(error = %join, "writing the catalogue index file panicked"),
        }
    }

    fn next_walk_at(&self) -> Option<Instant> {
        self.0.settings.full_walk_every.map(|every| Instant::now() + every)
    }

    fn spawn_walk(&self) -> tokio::task::JoinHandle<Result<super::replica::Replica, IndexError>> {
        let this = self.clone();
        tokio::spawn(async move { this.0.walker.full(&this.0.progress).await })
    }

    async fn apply_logged(&self, ids: &[u64]) {
        let started = Instant::now();
        match self.apply(ids).await {
            Ok(()) => tracing::info!(changed = ids.len(), duration_ms = started.elapsed().as_millis() as u64, "catalogue index updated"),
            Err(err) => {
                self.0.stats.failed_updates.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::warn!(error = %err, changed = ids.len(), "catalogue index update failed; the next scan or full walk repairs it");
            }
        }
    }

    /// Reads these products again and puts each where the store now lists it; a product the
    /// store no longer lists (deleted, drafted, made private) leaves the index.
    pub(super) async fn apply(&self, ids: &[u64]) -> Result<(), IndexError> {
        let store = &self.0.walker.store;
        let found = {
            let _permit = self.0.walker.gate.enter_patiently(Kind::Catalogue).await;
            let query = StoreProductQuery { page: 1, per_page: BATCH as u32, include: ids.to_vec(), ..Default::default() };
            store.products(&query).await?.items
        };
        let visible_in = |visibility: &'static str| async move {
            let _permit = self.0.walker.gate.enter_patiently(Kind::Catalogue).await;
            let query = StoreProductQuery {
                page: 1,
                per_page: BATCH as u32,
                include: ids.to_vec(),
                catalog_visibility: Some(visibility),
                ..Default::default()
            };
            Ok::<_, IndexError>(store.product_ids(&query).await?.items)
        };
        let (catalog, search) = futures::try_join!(visible_in("catalog"), visible_in("search"))?;
        let taxonomy = self.0.walker.taxonomy().await?;

        let mut docs = Vec::new();
        for p in &found {
            let visibility = if catalog.contains(&p.id) { IN_CATALOG } else { 0 } | if search.contains(&p.id) { IN_SEARCH } else { 0 };
            docs.push(Doc::from_store(p, visibility).map_err(|e| IndexError::Mapping(e.to_string()))?);
        }
        let removed: Vec<u64> = ids.iter().copied().filter(|id| !found.iter().any(|p| p.id == *id)).collect();
        {
            let mut replica = self.0.replica.write().unwrap_or_else(|e| e.into_inner());
            for id in &removed {
                replica.remove(*id);
            }
            replica.set_taxonomy(taxonomy);
        }
        for doc in docs {
            let positions = self.positions(doc.id).await?;
            self.0.replica.write().unwrap_or_else(|e| e.into_inner()).upsert(doc, &positions);
        }
        self.text_apply(&found, &removed).await;
        self.0.dirty.store(true, std::sync::atomic::Ordering::Relaxed);
        self.0.stats.applied.fetch_add(ids.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Where product `id` goes in each kept order, asked of the store.
    async fn positions(&self, id: u64) -> Result<Vec<usize>, IndexError> {
        let orders: Vec<Vec<u64>> = {
            let replica = self.0.replica.read().unwrap_or_else(|e| e.into_inner());
            (0..WALKS.len()).map(|w| replica.order_ids(w).into_iter().filter(|&x| x != id).collect()).collect()
        };
        let mut out = Vec::with_capacity(orders.len());
        for (walk, others) in orders.iter().enumerate() {
            out.push(self.place(walk, id, others).await?);
        }
        Ok(out)
    }

    /// Narrows `id`'s place among `others` (the order without it) by asking the store to sort
    /// it among up to 99 evenly spaced neighbours: the store's own comparison decides, so the
    /// hidden keys (date, sales, menu order) are never needed. About three questions for
    /// 100,000 products, one for a small shop.
    async fn place(&self, walk: usize, id: u64, others: &[u64]) -> Result<usize, IndexError> {
        let (orderby, order) = WALKS[walk];
        let (mut lo, mut hi) = (0usize, others.len());
        while lo < hi {
            let span = hi - lo;
            let sample: Vec<usize> =
                if span < BATCH { (lo..hi).collect() } else { (0..BATCH - 1).map(|i| lo + i * span / (BATCH - 1)).collect() };
            let at: HashMap<u64, usize> = sample.iter().map(|&i| (others[i], i)).collect();
            let mut include: Vec<u64> = sample.iter().map(|&i| others[i]).collect();
            include.push(id);
            let query = StoreProductQuery {
                page: 1,
                per_page: BATCH as u32,
                include,
                orderby: Some(orderby.to_string()),
                order: Some(order.to_string()),
                ..Default::default()
            };
            let listed = {
                let _permit = self.0.walker.gate.enter_patiently(Kind::Catalogue).await;
                self.0.walker.store.product_ids(&query).await?.items
            };
            let Some(k) = listed.iter().position(|&x| x == id) else { return Ok(hi) };
            let new_lo = listed[..k].iter().filter_map(|x| at.get(x)).max().map_or(lo, |&i| i + 1);
            let new_hi = listed[k + 1..].iter().filter_map(|x| at.get(x)).min().copied().unwrap_or(hi);
            if span < BATCH {
                return Ok(new_lo);
            }
            // Never widen, always shrink: a neighbour the store no longer lists cannot stall it.
            let (next_lo, next_hi) = (new_lo.max(lo), new_hi.min(hi));
            if (next_lo, next_hi) == (lo, hi) {
                return Ok(lo);
            }
            (lo, hi) = (next_lo, next_hi.max(next_lo));
        }
        Ok(lo)
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}
