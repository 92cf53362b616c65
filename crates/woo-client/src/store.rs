//! Client for WooCommerce's public Store API (`/wp-json/wc/store/v1`):
//! catalogue reads now; the cart issue adds Cart-Token/Nonce calls here.

use super::http::{join, Idempotency, Transport};
use super::store_models::*;
use super::{Api, HttpSettings, Paged, UpstreamError};

const BASE: &str = "/wp-json/wc/store/v1";

/// The products filter as the Store API spells it. Built by the catalogue
/// from an already validated query.
#[derive(Debug, Clone, Default)]
pub struct StoreProductQuery {
    pub page: u32,
    pub per_page: u32,
    pub search: Option<String>,
    /// Category ids or slugs, comma separated.
    pub category: Option<String>,
    pub tag: Option<String>,
    /// (taxonomy, term slugs) pairs, e.g. ("pa_color", ["red"]).
    pub attributes: Vec<(String, Vec<String>)>,
    pub on_sale: Option<bool>,
    pub stock_status: Option<String>,
    /// Minor units, as the Store API takes them.
    pub min_price: Option<u64>,
    pub max_price: Option<u64>,
    pub orderby: Option<String>,
    pub order: Option<String>,
    pub kind: Option<String>,
    pub parent: Option<u64>,
    pub sku: Option<String>,
    /// `include=` these ids (the list route answers only published products).
    pub include: Vec<u64>,
    /// `slug=` exactly.
    pub slug: Option<String>,
    /// `catalog_visibility`: the list answers products hidden from the shop unless asked
    /// for `catalog` (browsing) or `search` (searching), as the shop's own pages do.
    pub catalog_visibility: Option<&'static str>,
}

impl StoreProductQuery {
    /// The filter part only (what collection-data also takes).
    fn filter_pairs(&self, pairs: &mut Vec<(String, String)>) {
        let mut push = |k: &str, v: String| pairs.push((k.to_string(), v));
        if let Some(s) = &self.search {
            push("search", s.clone());
        }
        if let Some(c) = &self.category {
            push("category", c.clone());
        }
        if let Some(t) = &self.tag {
            push("tag", t.clone());
        }
        for (i, (taxonomy, slugs)) in self.attributes.iter().enumerate() {
            push(&format!("attributes[{i}][attribute]"), taxonomy.clone());
            for slug in slugs {
                push(&format!("attributes[{i}][slug][]"), slug.clone());
            }
            push(&format!("attributes[{i}][operator]"), "in".into());
        }
        if self.attributes.len() > 1 {
            push("attribute_relation", "and".into());
        }
        if let Some(b) = self.on_sale {
            push("on_sale", b.to_string());
        }
        if let Some(s) = &self.stock_status {
            push("stock_status", s.clone());
        }
        if let Some(p) = self.min_price {
            push("min_price", p.to_string());
        }
        if let Some(p) = self.max_price {
            push("max_price", p.to_string());
        }
        if let Some(k) = &self.kind {
            push("type", k.clone());
        }
        if let Some(p) = self.parent {
            push("parent[]", p.to_string());
        }
        if let Some(s) = &self.sku {
            push("sku", s.clone());
        }
        if !self.include.is_empty() {
            let ids: Vec<String> = self.include.iter().map(u64::to_string).collect();
            push("include", ids.join(","));
        }
        if let Some(s) = &self.slug {
            push("slug", s.clone());
        }
        if let Some(v) = self.catalog_visibility {
            push("catalog_visibility", v.to_string());
        }
    }

    fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![("page".to_string(), self.page.max(1).to_string()), ("per_page".to_string(), self.per_page.to_string())];
        self.filter_pairs(&mut pairs);
        if let Some(o) = &self.orderby {
            pairs.push(("orderby".into(), o.clone()));
        }
        if let Some(o) = &self.order {
            pairs.push(("order".into(), o.clone()));
        }
        pairs
    }
}

/// What collection-data should count.
#[derive(Debug, Clone, Default)]
pub struct CollectionDataRequest {
    pub price_range: bool,
    pub stock_status_counts: bool,
    pub rating_counts: bool,
    /// Attribute taxonomies to count terms of.
    pub attribute_counts: Vec<String>,
}

#[derive(Clone)]
pub struct StoreClient {
    base: String,
    http: Transport,
}

impl StoreClient {
    pub fn new(store_url: &str, settings: &HttpSettings) -> Self {
        Self { base: join(store_url, BASE), http: Transport::new(Api::StoreApi, settings) }
    }

    async fn get_raw(
        &self,
        route: &'static str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<super::http::RawResponse, UpstreamError> {
        let url = format!("{}{}", self.base, path);
        self.http.send(route, Idempotency::Idempotent, || self.http.client().get(&url).query(query)).await
    }

    pub async fn products(&self, query: &StoreProductQuery) -> Result<Paged<StoreProduct>, UpstreamError> {
        let raw = self.get_raw("products", "/products", &query.pairs()).await?;
        self.http.decode_page(&raw)
    }

    /// The ids of a page of products, in the list's order (the rest of each product is skipped
    /// while decoding): how the catalogue index learns each sort order and each visibility.
    pub async fn product_ids(&self, query: &StoreProductQuery) -> Result<Paged<u64>, UpstreamError> {
        let raw = self.get_raw("products", "/products", &query.pairs()).await?;
        let page: Paged<IdOnly> = self.http.decode_page(&raw)?;
        Ok(page.map(|p| p.id))
    }

    /// By numeric id, or by slug (the Store API answers both on one route).
    pub async fn product(&self, id_or_slug: &str) -> Result<StoreProduct, UpstreamError> {
        let path = format!("/products/{}", encode_segment(id_or_slug));
        let raw = self.get_raw("product", &path, &[]).await?;
        self.http.decode(&raw)
    }

    /// A published product or variation by id or slug, `None` when there is none. Asked of the
    /// list route (products first, then variations) because WooCommerce 8.9's single-product
    /// route answers drafts and private products too; the list answers only published ones.
    pub async fn published_product(&self, id: Option<u64>, slug: Option<&str>) -> Result<Option<StoreProduct>, UpstreamError> {
        for kind in [None, Some("variation".to_string())] {
            let query = StoreProductQuery {
                page: 1,
                per_page: 1,
                include: id.into_iter().collect(),
                slug: slug.map(str::to_string),
                kind,
                ..Default::default()
            };
            if let Some(found) = self.products(&query).await?.items.into_iter().next() {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Every variation of a variable product, with prices and stock.
    pub async fn variations(&self, parent: u64) -> Result<Vec<StoreProduct>, UpstreamError> {
        super::walk_all(|page, per_page| {
            let query = StoreProductQuery {
                page,
                per_page,
                kind: Some("variation".into()),
                parent: Some(parent),
                orderby: Some("id".into()),
                order: Some("asc".into()),
                ..Default::default()
            };
            async move { self.products(&query).await }
        })
        .await
    }

    pub async fn reviews(&self, product_id: u64, page: u32, per_page: u32) -> Result<Paged<StoreReview>, UpstreamError> {
        let query = [
            ("product_id".to_string(), product_id.to_string()),
            ("page".to_string(), page.to_string()),
            ("per_page".to_string(), per_page.to_string()),
        ];
        let raw = self.get_raw("reviews", "/products/reviews", &query).await?;
        self.http.decode_page(&raw)
    }

    pub async fn categories(&self) -> Result<Vec<StoreCategory>, UpstreamError> {
        let raw = self.get_raw("categories", "/products/categories", &[]).await?;
        self.http.decode(&raw)
    }

    pub async fn tags(&self) -> Result<Vec<StoreTerm>, UpstreamError> {
        let raw = self.get_raw("tags", "/products/tags", &[]).await?;
        self.http.decode(&raw)
    }

    pub async fn attributes(&self) -> Result<Vec<StoreAttribute>, UpstreamError> {
        let raw = self.get_raw("attributes", "/products/attributes", &[]).await?;
        self.http.decode(&raw)
    }

    pub async fn attribute_terms(&self, attribute_id: u64) -> Result<Vec<StoreTerm>, UpstreamError> {
        let path = format!("/products/attributes/{attribute_id}/terms");
        let raw = self.get_raw("attribute_terms", &path, &[]).await?;
        self.http.decode(&raw)
    }

    pub async fn collection_data(
        &self,
        filter: &StoreProductQuery,
        want: &CollectionDataRequest,
    ) -> Result<StoreCollectionData, UpstreamError> {
        let mut query = Vec::new();
        filter.filter_pairs(&mut query);
        if want.price_range {
            query.push(("calculate_price_range".into(), "true".into()));
        }
        if want.stock_status_counts {
            query.push(("calculate_stock_status_counts".into(), "true".into()));
        }
        if want.rating_counts {
            query.push(("calculate_rating_counts".into(), "true".into()));
        }
        for (i, taxonomy) in want.attribute_counts.iter().enumerate() {
            query.push((format!("calculate_attribute_counts[{i}][taxonomy]"), taxonomy.clone()));
            query.push((format!("calculate_attribute_counts[{i}][query_type]"), "or".into()));
        }
        let raw = self.get_raw("collection_data", "/products/collection-data", &query).await?;
        self.http.decode(&raw)
    }

    /// A cheap call that proves the store answers; used by `/readyz`.
    pub async fn ping(&self) -> Result<(), UpstreamError> {
        let query = StoreProductQuery { page: 1, per_page: 1, ..Default::default() };
        self.products(&query).await.map(|_| ())
    }
}

/// Percent-encodes one path segment so a slug can never change the path.
pub(crate) fn encode_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, super::oauth1::RFC3986).to_string()
}
