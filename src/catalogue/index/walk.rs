//! The full walk: every published product read from the Store API page by page (bounded
//! concurrency, each page under the store gate), each kept sort order and each visibility
//! learnt from id-only walks, and the taxonomies. Progress goes to the log and to `Progress`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};

use crate::gate::{Gate, Kind};
use crate::upstream::store::StoreProductQuery;
use crate::upstream::store_models::StoreProduct;
use crate::upstream::{Paged, StoreClient, UpstreamError};

use super::replica::{Doc, Replica, Taxonomy, IN_CATALOG, IN_SEARCH, WALKS};
use super::IndexError;

const PER_PAGE: u32 = 100;
/// How often a running walk logs its progress.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// A walk's progress, for `/readyz`, `/metrics` and the log.
#[derive(Debug, Default)]
pub struct Progress {
    pub pages_done: AtomicU64,
    pub pages_total: AtomicU64,
    pub products_total: AtomicU64,
    /// Products read by the data walk (the id walks run beside it).
    pub products_done: AtomicU64,
    /// Full walks finished since start.
    pub walks: AtomicU64,
    pub failures: AtomicU64,
}

impl Progress {
    /// Products read so far, estimated from the pages read (for the log and `/readyz`).
    pub fn percent(&self) -> u64 {
        let (done, total) = (self.pages_done.load(Ordering::Relaxed), self.pages_total.load(Ordering::Relaxed));
        (done * 100).checked_div(total).map_or(0, |p| p.min(100))
    }
}

/// Who walks: the store, the gate it shares with client requests, how many pages at once.
#[derive(Clone)]
pub struct Walker {
    pub store: StoreClient,
    pub gate: Gate,
    pub concurrency: usize,
}

/// The query for one page of a walk.
fn page_query(page: u32, orderby: &str, order: &str, visibility: Option<&'static str>) -> StoreProductQuery {
    StoreProductQuery {
        page,
        per_page: PER_PAGE,
        orderby: Some(orderby.to_string()),
        order: Some(order.to_string()),
        catalog_visibility: visibility,
        ..Default::default()
    }
}

impl Walker {
    /// Every page of one listing, in order; `fetch` reads one page.
    async fn pages<T, F, Fut>(&self, progress: &Progress, fetch: F) -> Result<Vec<T>, UpstreamError>
    where
        F: Fn(u32) -> Fut,
        Fut: std::future::Future<Output = Result<Paged<T>, UpstreamError>>,
    {
        let first = {
            let _permit = self.gate.enter_patiently(Kind::Catalogue).await;
            fetch(1).await?
        };
        progress.pages_done.fetch_add(1, Ordering::Relaxed);
        let rest: Vec<Vec<T>> = futures::stream::iter(2..=first.total_pages)
            .map(|page| {
                let fetch = &fetch;
                async move {
                    let _permit = self.gate.enter_patiently(Kind::Catalogue).await;
                    let found = fetch(page).await;
                    progress.pages_done.fetch_add(1, Ordering::Relaxed);
                    found.map(|p| p.items)
                }
            })
            .buffered(self.concurrency.max(1))
            .try_collect()
            .await?;
        let mut all = first.items;
        all.extend(rest.into_iter().flatten());
        Ok(all)
    }

    async fn ids(
        &self,
        progress: &Progress,
        orderby: &str,
        order: &str,
        visibility: Option<&'static str>,
    ) -> Result<Vec<u64>, UpstreamError> {
        self.pages(progress, |page| {
            let query = page_query(page, orderby, order, visibility);
            async move { self.store.product_ids(&query).await }
        })
        .await
    }

    pub async fn taxonomy(&self) -> Result<Taxonomy, IndexError> {
        let _permit = self.gate.enter_patiently(Kind::Catalogue).await;
        let categories = self.store.categories().await?;
        let tags = self.store.tags().await?;
        let attributes = self.store.attributes().await?;
        let mut terms = HashMap::new();
        for a in &attributes {
            terms.insert(a.id, self.store.attribute_terms(a.id).await?);
        }
        Taxonomy::new(categories, tags, attributes, terms).map_err(|e| IndexError::Mapping(format!("taxonomy answers: {e}")))
    }

    /// A whole new replica. The data walk reads products newest first; the id walks read the
    /// other orders and the two visibilities. A product that changes during the walk may sit
    /// out of place until its change (webhook or scan) is applied.
    pub async fn full(&self, progress: &Progress) -> Result<Replica, IndexError> {
        let started = Instant::now();
        progress.pages_done.store(0, Ordering::Relaxed);
        progress.products_done.store(0, Ordering::Relaxed);
        let taxonomy = self.taxonomy().await?;
        // The first page tells the size of every walk: (orders + visibilities) × pages.
        let probe = self.store.product_ids(&page_query(1, "date", "desc", None)).await?;
        progress.products_total.store(probe.total, Ordering::Relaxed);
        let walks = WALKS.len() as u64 + 2;
        progress.pages_total.store(u64::from(probe.total_pages).max(1) * walks, Ordering::Relaxed);

        let logger = self.log_progress(progress, started);
        let data = async {
            self.pages(progress, |page| {
                let query = page_query(page, "date", "desc", None);
                async move {
                    let found = self.store.products(&query).await;
                    if let Ok(page) = &found {
                        progress.products_done.fetch_add(page.items.len() as u64, Ordering::Relaxed);
                    }
                    found
                }
            })
            .await
        };
        let orders = async {
            let mut out = Vec::with_capacity(WALKS.len() - 1);
            for &(orderby, order) in &WALKS[1..] {
                out.push(self.ids(progress, orderby, order, None).await?);
            }
            Ok::<_, UpstreamError>(out)
        };
        let visible = async {
            let catalog = self.ids(progress, "id", "asc", Some("catalog")).await?;
            let search = self.ids(progress, "id", "asc", Some("search")).await?;
            Ok::<_, UpstreamError>((catalog, search))
        };
        let walked = tokio::select! {
            walked = async { futures::try_join!(data, orders, visible) } => walked,
            () = logger => unreachable!("the progress logger never ends"),
        };
        let (products, other_orders, (catalog, search)) = walked.inspect_err(|_| {
            progress.failures.fetch_add(1, Ordering::Relaxed);
        })?;
        let replica = assemble(products, other_orders, &catalog, &search, taxonomy)?;
        progress.walks.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            products = replica.len(),
            duration_ms = started.elapsed().as_millis() as u64,
            bytes = replica.weight(),
            "catalogue index walk finished"
        );
        Ok(replica)
    }

    /// Logs products done / total, rate and ETA every few seconds; never returns.
    async fn log_progress(&self, progress: &Progress, started: Instant) {
        loop {
            tokio::time::sleep(LOG_EVERY).await;
            let (done, total) = (progress.pages_done.load(Ordering::Relaxed), progress.pages_total.load(Ordering::Relaxed));
            let secs = started.elapsed().as_secs_f64().max(0.001);
            let rate = done as f64 / secs;
            let eta = if rate > 0.0 { (total.saturating_sub(done)) as f64 / rate } else { f64::INFINITY };
            tracing::info!(
                products_done = progress.products_done.load(Ordering::Relaxed),
                pages_done = done,
                pages_total = total,
                products_total = progress.products_total.load(Ordering::Relaxed),
                pages_per_sec = rate.round() as u64,
                eta_secs = eta.round() as u64,
                "catalogue index walk in progress"
            );
        }
    }
}

/// Builds the replica from what the walks read.
fn assemble(
    products: Vec<StoreProduct>,
    mut other_orders: Vec<Vec<u64>>,
    catalog: &[u64],
    search: &[u64],
    taxonomy: Taxonomy,
) -> Result<Replica, IndexError> {
    let catalog: HashSet<u64> = catalog.iter().copied().collect();
    let search: HashSet<u64> = search.iter().copied().collect();
    let currency = products.first().map(|p| super::replica::Currency {
        code: p.prices.currency.currency_code.clone(),
        minor_unit: p.prices.currency.currency_minor_unit,
    });
    let date_order: Vec<u64> = products.iter().map(|p| p.id).collect();
    let docs = products
        .iter()
        .map(|p| {
            let visibility = if catalog.contains(&p.id) { IN_CATALOG } else { 0 } | if search.contains(&p.id) { IN_SEARCH } else { 0 };
            Doc::from_store(p, visibility)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| IndexError::Mapping(format!("mapping a product: {e}")))?;
    other_orders.insert(0, date_order);
    Ok(Replica::build(docs, &other_orders, taxonomy, currency))
}
