//! The demo catalogue: compact product, variation, term and review records, their derived values (prices, stock, ratings) and the indexes lookups need.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// WooCommerce product types (`variation` only for children of variable products).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductType {
    Simple,
    Variable,
    Grouped,
    External,
    Variation,
}

impl ProductType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductType::Simple => "simple",
            ProductType::Variable => "variable",
            ProductType::Grouped => "grouped",
            ProductType::External => "external",
            ProductType::Variation => "variation",
        }
    }

    pub fn parse(s: &str) -> Option<ProductType> {
        [Self::Simple, Self::Variable, Self::Grouped, Self::External, Self::Variation].into_iter().find(|t| t.as_str() == s)
    }
}

/// `_stock_status` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StockStatus {
    InStock,
    OutOfStock,
    OnBackorder,
}

impl StockStatus {
    /// In the order `wc_get_product_stock_status_options()` lists them.
    pub const ALL: [StockStatus; 3] = [StockStatus::InStock, StockStatus::OutOfStock, StockStatus::OnBackorder];

    pub fn as_str(self) -> &'static str {
        match self {
            StockStatus::InStock => "instock",
            StockStatus::OutOfStock => "outofstock",
            StockStatus::OnBackorder => "onbackorder",
        }
    }

    pub fn parse(s: &str) -> Option<StockStatus> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Post status of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductStatus {
    Publish,
    Private,
    Draft,
    Pending,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Publish => "publish",
            ProductStatus::Private => "private",
            ProductStatus::Draft => "draft",
            ProductStatus::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<ProductStatus> {
        [Self::Publish, Self::Private, Self::Draft, Self::Pending].into_iter().find(|t| t.as_str() == s)
    }
}

/// `catalog_visibility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Visible,
    Catalog,
    Search,
    Hidden,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Visible => "visible",
            Visibility::Catalog => "catalog",
            Visibility::Search => "search",
            Visibility::Hidden => "hidden",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        [Self::Visible, Self::Catalog, Self::Search, Self::Hidden].into_iter().find(|t| t.as_str() == s)
    }

    /// The `product_visibility` terms WooCommerce assigns for this visibility.
    pub fn excluded_from_catalog(self) -> bool {
        matches!(self, Visibility::Search | Visibility::Hidden)
    }

    pub fn excluded_from_search(self) -> bool {
        matches!(self, Visibility::Catalog | Visibility::Hidden)
    }
}

/// `backorders` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backorders {
    No,
    Notify,
    Yes,
}

impl Backorders {
    pub fn as_str(self) -> &'static str {
        match self {
            Backorders::No => "no",
            Backorders::Notify => "notify",
            Backorders::Yes => "yes",
        }
    }
}

/// Stock fields shared by products and variations.
#[derive(Debug, Clone)]
pub struct Stock {
    pub manage: bool,
    pub quantity: Option<i32>,
    pub status: StockStatus,
    pub backorders: Backorders,
    /// Product-level low stock threshold; `None` means the store default (2).
    pub low_amount: Option<u32>,
}

impl Stock {
    pub fn unmanaged(status: StockStatus) -> Stock {
        Stock { manage: false, quantity: None, status, backorders: Backorders::No, low_amount: None }
    }

    pub fn managed(quantity: i32, backorders: Backorders) -> Stock {
        let mut s = Stock { manage: true, quantity: Some(quantity), status: StockStatus::InStock, backorders, low_amount: None };
        s.resync_status();
        s
    }

    /// WooCommerce derives the status from the quantity when it manages stock.
    pub fn resync_status(&mut self) {
        if let (true, Some(q)) = (self.manage, self.quantity) {
            self.status = if q > 0 {
                StockStatus::InStock
            } else if self.backorders != Backorders::No {
                StockStatus::OnBackorder
            } else {
                StockStatus::OutOfStock
            };
        }
    }
}

/// An attribute as attached to a product.
#[derive(Debug, Clone)]
pub enum AttrSpec {
    /// A global `pa_*` attribute with the product's chosen term ids.
    Global { attr_id: u32, terms: Box<[u32]> },
    /// A custom (local) attribute with free-text options.
    Local { name: Box<str>, options: Box<[Box<str>]> },
}

#[derive(Debug, Clone)]
pub struct ProductAttr {
    pub spec: AttrSpec,
    pub variation: bool,
    /// Index into the terms/options of the default choice, if the product sets one.
    pub default: Option<u16>,
}

impl ProductAttr {
    pub fn option_count(&self) -> usize {
        match &self.spec {
            AttrSpec::Global { terms, .. } => terms.len(),
            AttrSpec::Local { options, .. } => options.len(),
        }
    }
}

/// A top-level product.
#[derive(Debug, Clone)]
pub struct Product {
    pub id: u32,
    pub kind: ProductType,
    pub status: ProductStatus,
    pub visibility: Visibility,
    pub featured: bool,
    pub name: Box<str>,
    pub slug: Box<str>,
    pub sku: Box<str>,
    pub cats: Box<[u32]>,
    pub tags: Box<[u32]>,
    pub image: Option<u32>,
    /// Minor units; `None` for variable and grouped products (their price comes from children).
    pub regular: Option<u32>,
    pub sale: Option<u32>,
    pub stock: Stock,
    pub sold_individually: bool,
    pub is_virtual: bool,
    pub weight_g: u32,
    pub dims: Option<[u16; 3]>,
    pub total_sales: u32,
    pub menu_order: i32,
    pub created: i64,
    pub modified: i64,
    pub attrs: Box<[ProductAttr]>,
    /// Range in `Catalogue::variations`.
    pub var_start: u32,
    pub var_len: u16,
    /// Child product ids of a grouped product.
    pub children: Box<[u32]>,
    /// Path (on the store host) and button text of an external product.
    pub external: Option<Box<(Box<str>, Box<str>)>>,
    /// Range in `Catalogue::reviews`.
    pub review_start: u32,
    pub review_len: u16,
    pub rating_sum: u32,
}

/// A variation of a variable product.
#[derive(Debug, Clone)]
pub struct Variation {
    pub id: u32,
    /// Index of the parent in `Catalogue::products`.
    pub parent: u32,
    /// Per parent attribute (same order), the index of the chosen term/option.
    pub values: Box<[u16]>,
    pub sku: Box<str>,
    pub slug: Box<str>,
    pub regular: u32,
    pub sale: Option<u32>,
    pub stock: Stock,
    pub created: i64,
    pub modified: i64,
    pub weight_g: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taxonomy {
    Category,
    Tag,
    Attribute(u32),
}

/// A term of `product_cat`, `product_tag` or a `pa_*` taxonomy.
#[derive(Debug, Clone)]
pub struct Term {
    pub id: u32,
    /// As WordPress stores it (so `&` is `&amp;`).
    pub name: Box<str>,
    pub slug: Box<str>,
    pub description: Box<str>,
    pub parent: u32,
    pub taxonomy: Taxonomy,
}

/// A global attribute (`wc_get_attribute_taxonomies`).
#[derive(Debug, Clone)]
pub struct Attribute {
    pub id: u32,
    pub name: Box<str>,
    pub slug: Box<str>,
    pub terms: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct Review {
    pub id: u32,
    pub product_id: u32,
    pub rating: u8,
    pub author: u16,
    pub text: u16,
    pub verified: bool,
    pub created: i64,
}

/// What a post id refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    None,
    Product(u32),
    Variation(u32),
    /// An image attachment, owned by the product at this index.
    Image(u32),
}

/// A product or a variation, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemRef {
    Product(u32),
    Variation(u32),
}

/// Sorted product-index orders per (orderby, descending).
/// Key: (orderby, descending, status mask of a status-only filter or `u8::MAX` for all products).
pub(crate) type SortCache = Mutex<HashMap<(super::query::OrderBy, bool, u8), Arc<Vec<u32>>>>;

pub(crate) type TermCache = Mutex<HashMap<(u8, u32), Arc<HashMap<u32, u64>>>>;

/// The whole catalogue. Reads share it through an `RwLock`; writes are rare mutations.
#[derive(Debug)]
pub struct Catalogue {
    pub products: Vec<Product>,
    pub variations: Vec<Variation>,
    pub terms: Vec<Term>,
    pub attributes: Vec<Attribute>,
    pub reviews: Vec<Review>,
    pub nodes: Vec<Node>,
    pub slugs: HashMap<Box<str>, u32>,
    pub skus: HashMap<Box<str>, u32>,
    /// Latest `post_modified` of any product or variation (the Store API's `Last-Modified`).
    pub last_modified: i64,
    /// Sorted product-index orders, rebuilt lazily after a mutation.
    pub(crate) sort_cache: SortCache,
    /// Term counts per (kind, taxonomy id), rebuilt lazily after a mutation.
    pub(crate) term_cache: TermCache,
}

/// The store default for "notify when stock is at or below".
pub const DEFAULT_LOW_STOCK: i64 = 2;

impl Catalogue {
    pub fn node(&self, id: u64) -> Node {
        usize::try_from(id).ok().and_then(|i| self.nodes.get(i)).copied().unwrap_or(Node::None)
    }

    pub fn item(&self, id: u64) -> Option<ItemRef> {
        match self.node(id) {
            Node::Product(i) => Some(ItemRef::Product(i)),
            Node::Variation(i) => Some(ItemRef::Variation(i)),
            _ => None,
        }
    }

    pub fn product_by_id(&self, id: u64) -> Option<&Product> {
        match self.node(id) {
            Node::Product(i) => self.products.get(i as usize),
            _ => None,
        }
    }

    pub fn term(&self, id: u32) -> Option<&Term> {
        self.terms.binary_search_by_key(&id, |t| t.id).ok().map(|i| &self.terms[i])
    }

    pub fn attribute(&self, id: u32) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.id == id)
    }

    pub fn attribute_by_slug(&self, slug: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| &*a.slug == slug)
    }

    pub fn variations_of(&self, p: &Product) -> &[Variation] {
        let start = p.var_start as usize;
        self.variations.get(start..start + p.var_len as usize).unwrap_or(&[])
    }

    pub fn reviews_of(&self, p: &Product) -> &[Review] {
        let start = p.review_start as usize;
        self.reviews.get(start..start + p.review_len as usize).unwrap_or(&[])
    }

    pub fn parent_of(&self, v: &Variation) -> &Product {
        &self.products[v.parent as usize]
    }

    /// Ids of `term` and all its descendants (for `include_children` tax queries).
    pub fn term_with_descendants(&self, term: u32) -> Vec<u32> {
        let mut out = vec![term];
        let mut i = 0;
        while i < out.len() {
            let cur = out[i];
            out.extend(self.terms.iter().filter(|t| t.parent == cur && t.parent != 0).map(|t| t.id));
            i += 1;
        }
        out
    }

    pub(crate) fn clear_caches(&self) {
        if let Ok(mut c) = self.sort_cache.lock() {
            c.clear();
        }
        if let Ok(mut c) = self.term_cache.lock() {
            c.clear();
        }
    }
}
