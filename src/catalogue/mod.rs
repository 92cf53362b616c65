//! The public catalogue: products, variations, reviews, taxonomies and facets,
//! read through the response cache and mapped to our own view types.

pub mod front;
pub mod handlers;
pub mod index;
pub mod query;
mod respond;
pub mod search;
mod terms;
pub mod views;

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::cache::{CacheKey, CacheStatus, CachedBody, Fetched, ResponseCache, RouteClass};
use crate::error::ApiError;
use crate::upstream::store::{CollectionDataRequest, StoreProductQuery};
use crate::upstream::{StoreClient, UpstreamError};
use query::NormalisedQuery;
use views::*;

pub use respond::{Cached, IfNoneMatch};

/// How many category counts a facet request asks the store for at once.
const FACET_FANOUT: usize = 4;
use index::FACET_MAX_CATEGORIES;

#[derive(Clone)]
pub struct Catalogue {
    store: StoreClient,
    cache: ResponseCache,
    /// Answers lists, facets, products and taxonomies once ready (see `index`).
    index: Option<index::CatalogueIndex>,
}

/// A product is asked for by numeric id or by slug.
#[derive(Clone)]
pub enum ProductRef {
    Id(u64),
    Slug(String),
}

impl ProductRef {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        if let Ok(id) = raw.parse::<u64>() {
            return Ok(ProductRef::Id(id));
        }
        let slug = raw.to_ascii_lowercase();
        if query::is_slug(&slug) {
            Ok(ProductRef::Slug(slug))
        } else {
            Err(ApiError::field("id_or_slug", "a numeric id or a slug (a-z, 0-9, -, _)"))
        }
    }

    fn as_path(&self) -> String {
        match self {
            ProductRef::Id(id) => id.to_string(),
            ProductRef::Slug(slug) => slug.clone(),
        }
    }
}

/// `value` as JSON in an allocation of its own size. Why: `serde_json::to_vec` grows its
/// buffer by doubling, and `Bytes::from(Vec)` keeps the whole buffer, so a body held for long
/// (cached pages, the index's summaries and pages, remembered answers) would hold up to twice
/// its length unseen by any weigher; shrinking in place does not help either, as the allocator
/// keeps a block that shrinks by less than half.
pub(crate) fn json_bytes<T: Serialize>(value: &T) -> Result<Bytes, serde_json::Error> {
    Ok(Bytes::copy_from_slice(&serde_json::to_vec(value)?))
}

fn render<T: Serialize>(view: &T, product_ids: Vec<u64>) -> Result<Fetched, ApiError> {
    // Held by the cache for its TTL: in an allocation of its own size.
    let body = json_bytes(view).map_err(|e| ApiError::json("writing a catalogue answer", &e))?;
    Ok(Fetched { body, product_ids })
}

fn upstream(not_found: &'static str) -> impl Fn(UpstreamError) -> ApiError {
    move |err| ApiError::from_upstream(err, not_found)
}

impl Catalogue {
    pub fn new(store: StoreClient, cache: ResponseCache) -> Self {
        Self { store, cache, index: None }
    }

    /// The same catalogue answering from `index` whenever it can; the index hears of every
    /// product change the cache hears of.
    pub fn with_index(mut self, index: index::CatalogueIndex) -> Self {
        let listener = index.clone();
        self.cache.on_product_change(Box::new(move |id| listener.notify(id)));
        self.index = Some(index);
        self
    }

    pub fn index(&self) -> Option<&index::CatalogueIndex> {
        self.index.as_ref()
    }

    /// An answer from the index, sent as a cache hit: an index answer never reaches the store
    /// nor spends the client's miss budget, and its ETag follows its body. It is remembered
    /// under the pass-through's cache key until the index changes (see `index::answers`), and
    /// the front learns the request's target for it, so a repeated URL costs a lookup.
    /// `answer` gives the body and the product ids it shows; `None`: the index does not hold it.
    fn indexed(&self, key: CacheKey, answer: impl FnOnce(&index::CatalogueIndex) -> Option<(Bytes, Vec<u64>)>) -> Option<Cached> {
        let index = self.index.as_ref()?;
        let settings = self.cache.settings();
        let now = std::time::Instant::now();
        let entry = match index.remembered(&key.key, now) {
            Some(entry) => entry,
            None => {
                let version = index.version();
                let (body, product_ids) = answer(index)?;
                let entry = Arc::new(CachedBody::new(body, key.class, settings.ttl(key.class), product_ids));
                index.remember(&key.key, version, entry.clone());
                entry
            }
        };
        Some(Cached { entry, status: CacheStatus::Hit, stale_window: settings.stale_window, now, answered_from: Some(Arc::new(key)) })
    }

    pub fn cache(&self) -> &ResponseCache {
        &self.cache
    }

    /// The cached answer for `key`; `fetch` makes it from the store when needed. It is given its
    /// own handle on the catalogue and its future owns what it uses, because a hit due for a
    /// refresh runs it in the background (see `cache`). Called only on a miss or a refresh.
    async fn cached<F, Fut>(&self, key: CacheKey, fetch: F) -> Result<Cached, ApiError>
    where
        F: FnOnce(Catalogue) -> Fut,
        Fut: std::future::Future<Output = Result<Fetched, ApiError>> + Send + 'static,
    {
        let stale_window = self.cache.settings().stale_window;
        // One clock reading serves both the refresh check and the answer's max-age.
        let now = std::time::Instant::now();
        // For the front to remember this request's target by (see `front`).
        let answered_from = Some(Arc::new(key.clone()));
        let (entry, status): (Arc<CachedBody>, CacheStatus) = self.cache.get_or_fetch(key, now, || fetch(self.clone())).await?;
        Ok(Cached { entry, status, stale_window, now, answered_from })
    }

    /// A published product or variation; drafts and private products are not found (the store's
    /// single-product route would serve them, the shop's own pages answer 404).
    async fn published(&self, which: &ProductRef) -> Result<crate::upstream::store_models::StoreProduct, ApiError> {
        let (id, slug) = match which {
            ProductRef::Id(id) => (Some(*id), None),
            ProductRef::Slug(slug) => (None, Some(slug.as_str())),
        };
        self.store
            .published_product(id, slug)
            .await
            .map_err(upstream("product_not_found"))?
            .ok_or_else(|| ApiError::NotFound { code: "product_not_found", message: "No product with that id or slug.".into() })
    }

    pub async fn products(&self, q: &NormalisedQuery) -> Result<Cached, ApiError> {
        let key = CacheKey::new(RouteClass::List, q.cache_key("products?"));
        if let Some(answer) = self.indexed(key.clone(), |i| i.products(q).map(|body| (body, vec![]))) {
            return Ok(answer);
        }
        self.cached(key, |this| {
            let q = q.clone();
            async move {
                let filter = this.with_term_ids(q.to_store()).await?;
                let page = this.store.products(&filter).await.map_err(upstream("product_not_found"))?;
                render(
                    &Page {
                        items: page.items.iter().map(summary).collect(),
                        page: q.page,
                        per_page: q.per_page,
                        total: page.total,
                        total_pages: page.total_pages,
                    },
                    vec![],
                )
            }
        })
        .await
    }

    pub async fn product(&self, which: &ProductRef) -> Result<Cached, ApiError> {
        let mut key = CacheKey::new(RouteClass::Product, format!("product:{}", which.as_path()));
        if let ProductRef::Id(id) = which {
            key = key.for_product(*id);
        }
        if let Some(answer) = self.indexed(key.clone(), |i| i.product(which).map(|(id, body)| (body, vec![id]))) {
            return Ok(answer);
        }
        self.cached(key, |this| {
            let which = which.clone();
            async move {
                let product = this.published(&which).await?;
                render(&detail(&product), vec![product.id])
            }
        })
        .await
    }

    /// A page of a product's variations, by id. The store is asked for all of them (a walk of
    /// its pages) and the page is cut here, so every page counts the same total.
    pub async fn variations(&self, id: u64, page: u32, per_page: u32) -> Result<Cached, ApiError> {
        let key = CacheKey::new(RouteClass::Product, format!("variations:{id}?page={page}&per_page={per_page}")).for_product(id);
        self.cached(key, |this| async move {
            let parent = this.published(&ProductRef::Id(id)).await?;
            let all: Vec<Variation> = if parent.variations.is_empty() {
                Vec::new()
            } else {
                let found = this.store.variations(id).await.map_err(upstream("product_not_found"))?;
                found.iter().map(|v| variation(&parent, v)).collect()
            };
            let total = all.len() as u64;
            let ids = std::iter::once(id).chain(all.iter().map(|v| v.id)).collect();
            let skip = (page as usize - 1).saturating_mul(per_page as usize);
            let items = all.into_iter().skip(skip).take(per_page as usize).collect();
            render(
                &Page { items, page, per_page, total, total_pages: u32::try_from(total.div_ceil(u64::from(per_page))).unwrap_or(u32::MAX) },
                ids,
            )
        })
        .await
    }

    pub async fn reviews(&self, id: u64, page: u32, per_page: u32) -> Result<Cached, ApiError> {
        let key = CacheKey::new(RouteClass::Product, format!("reviews:{id}?page={page}&per_page={per_page}")).for_product(id);
        self.cached(key, |this| async move {
            // The reviews route answers an empty list for unknown products;
            // a 404 is more useful, and the product is usually cached anyway.
            this.product(&ProductRef::Id(id)).await?;
            let found = this.store.reviews(id, page, per_page).await.map_err(upstream("product_not_found"))?;
            render(
                &Page {
                    items: found.items.iter().map(review).collect(),
                    page,
                    per_page,
                    total: found.total,
                    total_pages: found.total_pages,
                },
                vec![id],
            )
        })
        .await
    }

    pub async fn categories(&self) -> Result<Cached, ApiError> {
        let key = CacheKey::new(RouteClass::Taxonomy, "categories");
        if let Some(answer) = self.indexed(key.clone(), |i| i.categories().map(|body| (body, vec![]))) {
            return Ok(answer);
        }
        self.cached(key, |this| async move {
            let found = this.store.categories().await.map_err(upstream("not_found"))?;
            render(&List { items: found.iter().map(category).collect() }, vec![])
        })
        .await
    }

    pub async fn tags(&self) -> Result<Cached, ApiError> {
        let key = CacheKey::new(RouteClass::Taxonomy, "tags");
        if let Some(answer) = self.indexed(key.clone(), |i| i.tags().map(|body| (body, vec![]))) {
            return Ok(answer);
        }
        self.cached(key, |this| async move {
            let found = this.store.tags().await.map_err(upstream("not_found"))?;
            render(&List { items: found.iter().map(term).collect() }, vec![])
        })
        .await
    }

    pub async fn attributes(&self) -> Result<Cached, ApiError> {
        let key = CacheKey::new(RouteClass::Taxonomy, "attributes");
        if let Some(answer) = self.indexed(key.clone(), |i| i.attributes().map(|body| (body, vec![]))) {
            return Ok(answer);
        }
        self.cached(key, |this| async move {
            let found = this.store.attributes().await.map_err(upstream("not_found"))?;
            render(&List { items: found.iter().map(attribute).collect() }, vec![])
        })
        .await
    }

    pub async fn attribute_terms(&self, id: u64) -> Result<Cached, ApiError> {
        let key = CacheKey::new(RouteClass::Taxonomy, format!("attribute_terms:{id}"));
        if let Some(answer) = self.indexed(key.clone(), |i| i.attribute_terms(id).map(|body| (body, vec![]))) {
            return Ok(answer);
        }
        self.cached(key, |this| async move {
            let found = this.store.attribute_terms(id).await.map_err(upstream("attribute_not_found"))?;
            render(&List { items: found.iter().map(term).collect() }, vec![])
        })
        .await
    }

    /// Price range, stock and rating counts from collection-data; attribute
    /// term counts with names; category counts by asking the store for the
    /// total of each category under the same filters (stock WooCommerce 8.9
    /// has no taxonomy counts in collection-data).
    pub async fn facets(&self, q: &NormalisedQuery) -> Result<Cached, ApiError> {
        let key = CacheKey::new(RouteClass::List, q.cache_key("facets?"));
        if let Some(answer) = self.indexed(key.clone(), |i| i.facets(q).map(|body| (body, vec![]))) {
            return Ok(answer);
        }
        self.cached(key, |this| {
            let q = q.clone();
            async move {
                let err = upstream("not_found");
                let filter = this.with_term_ids(q.to_store()).await?;
                let attributes = this.store.attributes().await.map_err(&err)?;
                let want = CollectionDataRequest {
                    price_range: true,
                    stock_status_counts: true,
                    rating_counts: true,
                    attribute_counts: attributes.iter().map(|a| a.taxonomy.clone()).collect(),
                };
                let data = this.store.collection_data(&filter, &want).await.map_err(&err)?;
                let counts = data.attribute_counts.unwrap_or_default();
                let mut attribute_facets = Vec::new();
                for attr in &attributes {
                    let terms = this.store.attribute_terms(attr.id).await.map_err(&err)?;
                    let terms: Vec<FacetCount> = terms
                        .iter()
                        .filter_map(|t| {
                            let count = counts.iter().find(|c| c.term == t.id)?.count;
                            Some(FacetCount { id: t.id, slug: t.slug.clone(), name: text(&t.name), count })
                        })
                        .collect();
                    attribute_facets.push(AttributeFacet { taxonomy: attr.taxonomy.clone(), name: text(&attr.name), terms });
                }
                let categories = this.category_counts(&filter).await.map_err(&err)?;
                let facets = Facets {
                    price_range: data.price_range.as_ref().and_then(collection_price_range),
                    categories,
                    attributes: attribute_facets,
                    stock_status: data
                        .stock_status_counts
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|s| Some(StockFacet { status: stock_status(&s.status)?, count: s.count }))
                        .collect(),
                    ratings: data
                        .rating_counts
                        .unwrap_or_default()
                        .iter()
                        .map(|r| RatingFacet { rating: r.rating.min(5) as u8, count: r.count })
                        .collect(),
                };
                render(&facets, vec![])
            }
        })
        .await
    }

    async fn category_counts(&self, filter: &StoreProductQuery) -> Result<Vec<FacetCount>, UpstreamError> {
        let mut categories = self.store.categories().await?;
        categories.sort_by_key(|c| std::cmp::Reverse(c.count));
        categories.truncate(FACET_MAX_CATEGORIES);
        let counts: Vec<FacetCount> = futures::stream::iter(categories)
            .map(|c| {
                let mut probe = filter.clone();
                probe.category = Some(c.id.to_string());
                probe.page = 1;
                probe.per_page = 1;
                async move {
                    let page = self.store.products(&probe).await?;
                    Ok::<_, UpstreamError>(FacetCount { id: c.id, slug: c.slug.clone(), name: text(&c.name), count: page.total })
                }
            })
            .buffered(FACET_FANOUT)
            .try_collect()
            .await?;
        Ok(counts.into_iter().filter(|c| c.count > 0).collect())
    }
}
