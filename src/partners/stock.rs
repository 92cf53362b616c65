//! Stock by SKU through REST v3 `products?sku=a,b,…` in batches of at most 100 SKUs, with a short
//! cache per SKU (unknown SKUs are cached too). Order validation asks for fresh figures.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use super::views::StockState;
use crate::error::ApiError;
use crate::upstream::{walk_all, RestClient, UpstreamError, MAX_PER_PAGE};

/// SKUs per upstream call (REST v3 answers at most 100 items a page).
pub const BATCH: usize = 100;
/// Batches in flight at once.
const FANOUT: usize = 3;

/// A product or variation as REST v3 lists it (only what stock and orders need).
#[derive(Debug, Clone, Deserialize)]
struct SkuProduct {
    id: u64,
    #[serde(default)]
    parent_id: u64,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    purchasable: bool,
    /// `true`, `false`, or `"parent"` on variations whose parent manages stock.
    #[serde(default)]
    manage_stock: serde_json::Value,
    stock_quantity: Option<i64>,
    #[serde(default)]
    stock_status: String,
    #[serde(default)]
    backorders_allowed: bool,
}

/// What the store says about one SKU.
#[derive(Debug, Clone)]
pub struct SkuStock {
    pub product_id: u64,
    /// The variable product, for variations.
    pub parent_id: Option<u64>,
    /// Simple products and variations can be ordered by SKU; variable, grouped and external ones cannot.
    pub orderable: bool,
    pub status: StockState,
    /// Units in stock when the store tracks them.
    pub quantity: Option<i64>,
    pub backorders_allowed: bool,
}

impl SkuStock {
    fn from(p: &SkuProduct) -> SkuStock {
        let managed = p.manage_stock.as_bool().unwrap_or(p.manage_stock.as_str() == Some("parent"));
        let status = match p.stock_status.as_str() {
            "outofstock" => StockState::OutOfStock,
            "onbackorder" => StockState::OnBackorder,
            _ => StockState::InStock,
        };
        SkuStock {
            product_id: p.id,
            parent_id: (p.parent_id != 0).then_some(p.parent_id),
            orderable: p.purchasable && matches!(p.kind.as_str(), "simple" | "variation"),
            status,
            quantity: if managed { p.stock_quantity } else { None },
            backorders_allowed: p.backorders_allowed,
        }
    }

    /// Why `quantity` units cannot be ordered, if they cannot.
    pub fn refuse(&self, quantity: i64) -> Option<String> {
        if !self.orderable {
            return Some("this product cannot be ordered by SKU (choose a variation, or it is not for sale)".into());
        }
        if self.status == StockState::OutOfStock {
            return Some("out of stock".into());
        }
        match self.quantity {
            Some(left) if left < quantity && !self.backorders_allowed => Some(format!("only {} in stock", left.max(0))),
            _ => None,
        }
    }
}

/// Found or not, per SKU.
pub type Found = HashMap<String, Option<Arc<SkuStock>>>;

pub struct StockLookup {
    rest: RestClient,
    cache: moka::future::Cache<String, Option<Arc<SkuStock>>>,
}

impl StockLookup {
    pub fn new(rest: RestClient, ttl: Duration) -> Self {
        Self { rest, cache: moka::future::Cache::builder().time_to_live(ttl).max_capacity(200_000).build() }
    }

    /// Cached where fresh enough, the rest from the store.
    pub async fn cached(&self, skus: &[String]) -> Result<Found, ApiError> {
        let mut found = Found::new();
        let mut missing = Vec::new();
        for sku in skus {
            match self.cache.get(sku).await {
                Some(entry) => {
                    found.insert(sku.clone(), entry);
                }
                None => missing.push(sku.clone()),
            }
        }
        found.extend(self.fresh(&missing).await?);
        Ok(found)
    }

    /// Straight from the store (and into the cache).
    pub async fn fresh(&self, skus: &[String]) -> Result<Found, ApiError> {
        let batches: Vec<Vec<String>> = skus.chunks(BATCH).map(<[String]>::to_vec).collect();
        let pages: Vec<(Vec<String>, Vec<SkuProduct>)> = futures::stream::iter(batches)
            .map(|batch| async move {
                let items = self.batch(&batch).await?;
                Ok::<_, UpstreamError>((batch, items))
            })
            .buffer_unordered(FANOUT)
            .try_collect()
            .await
            .map_err(|e| ApiError::from_upstream(e, "not_found"))?;
        let mut found = Found::new();
        for (batch, items) in pages {
            for sku in batch {
                // SKUs are unique in WooCommerce; its lookup ignores case, so fall back to that.
                let item = items
                    .iter()
                    .find(|p| p.sku == sku)
                    .or_else(|| items.iter().find(|p| p.sku.eq_ignore_ascii_case(&sku)))
                    .filter(|p| p.status == "publish")
                    .map(|p| Arc::new(SkuStock::from(p)));
                self.cache.insert(sku.clone(), item.clone()).await;
                found.insert(sku, item);
            }
        }
        Ok(found)
    }

    async fn batch(&self, skus: &[String]) -> Result<Vec<SkuProduct>, UpstreamError> {
        let joined = skus.join(",");
        walk_all(|page, per_page| {
            let query = vec![
                ("sku".to_string(), joined.clone()),
                ("page".to_string(), page.to_string()),
                ("per_page".to_string(), per_page.min(MAX_PER_PAGE).to_string()),
            ];
            async move { self.rest.get_page::<SkuProduct>("products", "/products", &query).await }
        })
        .await
    }
}
