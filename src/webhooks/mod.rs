//! Signed WooCommerce webhooks: verified on the raw body, de-duplicated,
//! acknowledged fast, and processed off the request path (cache
//! invalidation), with retries so an accepted event is never silently lost.

pub mod handlers;
pub mod reconcile;
pub mod signature;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;

use crate::cache::ResponseCache;
pub use signature::WebhookSecrets;

/// How long a delivery is remembered for de-duplication.
pub const DEDUPE_WINDOW: Duration = Duration::from_secs(15 * 60);
const QUEUE: usize = 10_000;
const ATTEMPTS: u32 = 5;

/// What a verified delivery asks us to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A product was created, updated, deleted or restored.
    Product {
        id: u64,
        slug: Option<String>,
        variations: Vec<u64>,
    },
    /// Accepted and logged only (for now).
    Other { topic: String },
}

/// Counters exported on `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookStats {
    pub received: AtomicU64,
    pub duplicates: AtomicU64,
    pub processed: AtomicU64,
    pub retries: AtomicU64,
    pub failed: AtomicU64,
    pub rejected: AtomicU64,
}

#[derive(Clone)]
pub struct Webhooks {
    pub(crate) secrets: WebhookSecrets,
    seen: moka::sync::Cache<String, ()>,
    queue: mpsc::Sender<Event>,
    pub stats: Arc<WebhookStats>,
}

#[derive(Deserialize)]
struct ProductBody {
    id: u64,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    variations: Vec<u64>,
}

/// Turns a verified delivery into an event; `None` for topics we ignore.
pub fn parse(topic: &str, body: &[u8]) -> Result<Option<Event>, String> {
    let (resource, _) = topic.split_once('.').unwrap_or((topic, ""));
    match resource {
        "product" => {
            let p: ProductBody =
                serde_json::from_slice(body).map_err(|e| format!("product body: {e}"))?;
            Ok(Some(Event::Product {
                id: p.id,
                slug: p.slug.filter(|s| !s.is_empty()),
                variations: p.variations,
            }))
        }
        "coupon" | "order" | "customer" => Ok(Some(Event::Other {
            topic: topic.to_string(),
        })),
        _ => Ok(None),
    }
}

impl Webhooks {
    /// Starts the worker that applies events to the cache.
    pub fn start(secrets: WebhookSecrets, cache: ResponseCache) -> Self {
        let (queue, mut rx) = mpsc::channel::<Event>(QUEUE);
        let stats = Arc::new(WebhookStats::default());
        let worker_stats = stats.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match apply(&cache, &event).await {
                        Ok(()) => {
                            worker_stats.processed.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Err(err) if attempt < ATTEMPTS => {
                            worker_stats.retries.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(error = %err, attempt, "webhook processing failed; retrying");
                            tokio::time::sleep(Duration::from_millis(100 * (1 << attempt))).await;
                        }
                        Err(err) => {
                            worker_stats.failed.fetch_add(1, Ordering::Relaxed);
                            tracing::error!(error = %err, ?event, "webhook processing failed for good");
                            break;
                        }
                    }
                }
            }
        });
        Self {
            secrets,
            seen: moka::sync::Cache::builder()
                .time_to_live(DEDUPE_WINDOW)
                .max_capacity(1_000_000)
                .build(),
            queue,
            stats,
        }
    }

    /// True the first time a delivery is seen within the window.
    pub fn first_delivery(&self, webhook_id: &str, delivery_id: &str, body: &[u8]) -> bool {
        let key = format!(
            "{webhook_id}:{delivery_id}:{}",
            hex::encode(&crate::idempotency::fingerprint(&[body])[..16])
        );
        let fresh = std::cell::Cell::new(false);
        self.seen.get_with(key, || fresh.set(true));
        fresh.get()
    }

    /// Queues an event; fails only when the queue is full (the store retries
    /// on our 503).
    pub fn enqueue(&self, event: Event) -> Result<(), Event> {
        self.queue.try_send(event).map_err(|e| match e {
            mpsc::error::TrySendError::Full(ev) | mpsc::error::TrySendError::Closed(ev) => ev,
        })
    }
}

async fn apply(cache: &ResponseCache, event: &Event) -> Result<(), String> {
    match event {
        Event::Product {
            id,
            slug,
            variations,
        } => {
            cache.invalidate_product(*id, slug.as_deref());
            for v in variations {
                cache.invalidate_product(*v, None);
            }
            cache.invalidate_lists();
            tracing::info!(product_id = id, "catalogue cache invalidated by webhook");
            Ok(())
        }
        Event::Other { topic } => {
            tracing::info!(%topic, "webhook accepted");
            Ok(())
        }
    }
}
