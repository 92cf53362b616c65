//! Read-only, owned views of the catalogue for tests and callers: look products up by id, slug or SKU without holding any lock.

use std::sync::Arc;

use super::catalogue::{ItemRef, Product, ProductStatus, ProductType, StockStatus, Taxonomy, Variation};
use super::StoreState;

/// A snapshot of one product or variation.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductInfo {
    pub id: u64,
    /// 0 for top-level products.
    pub parent_id: u64,
    pub kind: ProductType,
    pub status: ProductStatus,
    pub name: String,
    pub slug: String,
    pub sku: String,
    /// Minor units; for variable/grouped products the lowest child price.
    pub price: Option<u64>,
    pub regular_price: Option<u64>,
    pub sale_price: Option<u64>,
    pub max_price: Option<u64>,
    pub on_sale: bool,
    pub stock_status: StockStatus,
    pub manage_stock: bool,
    pub stock_quantity: Option<i64>,
    pub category_ids: Vec<u64>,
    pub tag_ids: Vec<u64>,
    pub variation_ids: Vec<u64>,
    pub grouped_ids: Vec<u64>,
    pub review_count: u64,
    pub average_rating: f64,
    pub featured: bool,
    /// Unix seconds.
    pub date_created: i64,
    pub date_modified: i64,
}

/// A product category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryInfo {
    pub id: u64,
    pub name: String,
    pub slug: String,
    pub parent: u64,
}

/// Cheap handle for reading the live catalogue (each call takes the read lock briefly).
#[derive(Clone)]
pub struct CatalogueRef {
    pub(crate) state: Arc<StoreState>,
}

impl std::fmt::Debug for CatalogueRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogueRef").finish_non_exhaustive()
    }
}

fn ids(v: &[u32]) -> Vec<u64> {
    v.iter().map(|&x| u64::from(x)).collect()
}

impl CatalogueRef {
    fn info(&self, cat: &super::catalogue::Catalogue, item: ItemRef) -> ProductInfo {
        match item {
            ItemRef::Product(i) => product_info(cat, &cat.products[i as usize]),
            ItemRef::Variation(i) => variation_info(cat, &cat.variations[i as usize]),
        }
    }

    /// Number of top-level products (all statuses).
    pub fn len(&self) -> usize {
        self.state.read().products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of variations.
    pub fn variation_count(&self) -> usize {
        self.state.read().variations.len()
    }

    pub fn get(&self, id: u64) -> Option<ProductInfo> {
        let cat = self.state.read();
        cat.item(id).map(|i| self.info(&cat, i))
    }

    pub fn by_slug(&self, slug: &str) -> Option<ProductInfo> {
        let cat = self.state.read();
        let id = *cat.slugs.get(slug)?;
        cat.item(id.into()).map(|i| self.info(&cat, i))
    }

    pub fn by_sku(&self, sku: &str) -> Option<ProductInfo> {
        let cat = self.state.read();
        let id = *cat.skus.get(sku)?;
        cat.item(id.into()).map(|i| self.info(&cat, i))
    }

    /// Every top-level product, in id order.
    pub fn products(&self) -> Vec<ProductInfo> {
        let cat = self.state.read();
        cat.products.iter().map(|p| product_info(&cat, p)).collect()
    }

    /// The first top-level product (by id) matching `pred`.
    pub fn find(&self, pred: impl Fn(&ProductInfo) -> bool) -> Option<ProductInfo> {
        let cat = self.state.read();
        cat.products.iter().map(|p| product_info(&cat, p)).find(|i| pred(i))
    }

    /// The variations of a variable product.
    pub fn variations_of(&self, id: u64) -> Vec<ProductInfo> {
        let cat = self.state.read();
        cat.product_by_id(id).map(|p| cat.variations_of(p).iter().map(|v| variation_info(&cat, v)).collect()).unwrap_or_default()
    }

    pub fn categories(&self) -> Vec<CategoryInfo> {
        let cat = self.state.read();
        cat.terms
            .iter()
            .filter(|t| t.taxonomy == Taxonomy::Category)
            .map(|t| CategoryInfo { id: t.id.into(), name: t.name.to_string(), slug: t.slug.to_string(), parent: t.parent.into() })
            .collect()
    }
}

fn product_info(cat: &super::catalogue::Catalogue, p: &Product) -> ProductInfo {
    let look = cat.lookup(p);
    ProductInfo {
        id: p.id.into(),
        parent_id: 0,
        kind: p.kind,
        status: p.status,
        name: p.name.to_string(),
        slug: p.slug.to_string(),
        sku: p.sku.to_string(),
        price: look.min_price.map(u64::from),
        regular_price: p.regular.map(u64::from),
        sale_price: p.sale.map(u64::from),
        max_price: look.max_price.map(u64::from),
        on_sale: look.on_sale,
        stock_status: look.stock_status,
        manage_stock: p.stock.manage,
        stock_quantity: p.stock.quantity.filter(|_| p.stock.manage).map(i64::from),
        category_ids: ids(&p.cats),
        tag_ids: ids(&p.tags),
        variation_ids: cat.variations_of(p).iter().map(|v| u64::from(v.id)).collect(),
        grouped_ids: ids(&p.children),
        review_count: p.review_len.into(),
        average_rating: cat.average_rating(p),
        featured: p.featured,
        date_created: p.created,
        date_modified: p.modified,
    }
}

fn variation_info(cat: &super::catalogue::Catalogue, v: &Variation) -> ProductInfo {
    let parent = cat.parent_of(v);
    ProductInfo {
        id: v.id.into(),
        parent_id: parent.id.into(),
        kind: ProductType::Variation,
        status: parent.status,
        name: parent.name.to_string(),
        slug: v.slug.to_string(),
        sku: v.sku.to_string(),
        price: Some(v.price().into()),
        regular_price: Some(v.regular.into()),
        sale_price: v.sale.map(u64::from),
        max_price: Some(v.price().into()),
        on_sale: v.on_sale(),
        stock_status: v.stock.status,
        manage_stock: v.stock.manage,
        stock_quantity: v.stock.quantity.filter(|_| v.stock.manage).map(i64::from),
        category_ids: Vec::new(),
        tag_ids: Vec::new(),
        variation_ids: Vec::new(),
        grouped_ids: Vec::new(),
        review_count: 0,
        average_rating: 0.0,
        featured: false,
        date_created: v.created,
        date_modified: v.modified,
    }
}
