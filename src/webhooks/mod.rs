//! Signed WooCommerce webhooks: verified on the raw body, de-duplicated,
//! acknowledged fast, and processed off the request path (cache
//! invalidation), with retries so an accepted event is never silently lost.

pub mod handlers;
pub mod reconcile;
pub mod register;
pub mod signature;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::cache::ResponseCache;
use crate::redis::Redis;
pub use signature::WebhookSecrets;

/// How long a delivery is remembered for de-duplication.
pub const DEDUPE_WINDOW: Duration = Duration::from_secs(15 * 60);
const QUEUE: usize = 10_000;
const ATTEMPTS: u32 = 5;

/// Redis channel on which instances tell each other what to drop.
const INVALIDATION_CHANNEL: &str = "bff:invalidate";

/// What a verified delivery asks us to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A product was created, updated, deleted or restored.
    Product { id: u64, slug: Option<String>, variations: Vec<u64> },
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
    redis: Option<Redis>,
    queue: mpsc::Sender<Event>,
    pub stats: Arc<WebhookStats>,
}

/// An invalidation as broadcast to other instances.
#[derive(Serialize, Deserialize)]
struct Broadcast {
    /// The sending instance, which has applied it already.
    from: String,
    event: Event,
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
            let p: ProductBody = serde_json::from_slice(body).map_err(|e| format!("product body: {e}"))?;
            Ok(Some(Event::Product { id: p.id, slug: p.slug.filter(|s| !s.is_empty()), variations: p.variations }))
        }
        "coupon" | "order" | "customer" => Ok(Some(Event::Other { topic: topic.to_string() })),
        _ => Ok(None),
    }
}

impl Webhooks {
    /// Starts the worker that applies events to the cache (and, with Redis,
    /// tells the other instances to apply them too).
    pub fn start(secrets: WebhookSecrets, cache: ResponseCache, redis: Option<Redis>) -> Self {
        let (queue, mut rx) = mpsc::channel::<Event>(QUEUE);
        let stats = Arc::new(WebhookStats::default());
        let worker_stats = stats.clone();
        let instance = uuid::Uuid::new_v4().to_string();
        if let Some(redis) = redis.clone() {
            let (cache, instance) = (cache.clone(), instance.clone());
            tokio::spawn(async move {
                let subscribed = redis
                    .subscribe(INVALIDATION_CHANNEL, move |text| {
                        if let Ok(b) = serde_json::from_str::<Broadcast>(&text) {
                            if b.from != instance {
                                apply_locally(&cache, &b.event);
                            }
                        }
                    })
                    .await;
                if let Err(err) = subscribed {
                    tracing::error!(error = %err, "cannot subscribe to cache invalidations");
                }
            });
        }
        let worker_redis = redis.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match apply(&cache, worker_redis.as_ref(), &instance, &event).await {
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
            seen: moka::sync::Cache::builder().time_to_live(DEDUPE_WINDOW).max_capacity(1_000_000).build(),
            redis,
            queue,
            stats,
        }
    }

    /// True the first time a delivery is seen within the window (across
    /// instances when on Redis). With Redis configured but unreachable this
    /// is an error (the store retries on our 503), never a silent fallback
    /// to this instance's memory.
    pub async fn first_delivery(&self, webhook_id: &str, delivery_id: &str, body: &[u8]) -> Result<bool, String> {
        let key = format!("{webhook_id}:{delivery_id}:{}", hex::encode(&crate::idempotency::fingerprint(&[body])[..16]));
        if let Some(redis) = &self.redis {
            return redis.set_nx(&format!("bff:webhook:{key}"), "1", DEDUPE_WINDOW).await;
        }
        let fresh = std::cell::Cell::new(false);
        self.seen.get_with(key, || fresh.set(true));
        Ok(fresh.get())
    }

    /// Queues an event; fails only when the queue is full (the store retries
    /// on our 503).
    pub fn enqueue(&self, event: Event) -> Result<(), Event> {
        self.queue.try_send(event).map_err(|e| match e {
            mpsc::error::TrySendError::Full(ev) | mpsc::error::TrySendError::Closed(ev) => ev,
        })
    }
}

fn apply_locally(cache: &ResponseCache, event: &Event) {
    if let Event::Product { id, slug, variations } = event {
        cache.invalidate_product(*id, slug.as_deref());
        for v in variations {
            cache.invalidate_product(*v, None);
        }
        cache.invalidate_lists();
    }
}

/// Applies an event here, then broadcasts it; a failed broadcast is an
/// error so the worker retries it (and counts it).
async fn apply(cache: &ResponseCache, redis: Option<&Redis>, instance: &str, event: &Event) -> Result<(), String> {
    match event {
        Event::Product { id, .. } => {
            apply_locally(cache, event);
            tracing::info!(product_id = id, "catalogue cache invalidated by webhook");
            if let Some(redis) = redis {
                let message =
                    serde_json::to_string(&Broadcast { from: instance.to_string(), event: event.clone() }).map_err(|e| e.to_string())?;
                redis.publish(INVALIDATION_CHANNEL, &message).await?;
            }
            Ok(())
        }
        Event::Other { topic } => {
            tracing::info!(%topic, "webhook accepted");
            Ok(())
        }
    }
}
