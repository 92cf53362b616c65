//! The replica itself: every published product as the Store API shows a shopper (already mapped
//! to our view types and serialised), its place in each sort order the API offers, which of the
//! shop's lists it is visible in, and the taxonomies. Pure data, no I/O: `walk` fills it, `sync`
//! changes it, `eval` answers from it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::catalogue::json_bytes;
use crate::catalogue::query::{OrderBy, SortOrder};
use crate::catalogue::views::{self, StockStatus};
use crate::upstream::store_models::{StoreAttribute, StoreCategory, StoreProduct, StoreTerm};

use super::postings::Postings;

/// Shown when the shop is browsed (`catalog_visibility=catalog`).
pub const IN_CATALOG: u8 = 1;
/// Shown by the shop's search (`catalog_visibility=search`).
pub const IN_SEARCH: u8 = 2;

/// The sort orders the index keeps, as the store is asked for them. An order the API offers is
/// one of these, read forwards or backwards ([`walk_of`]). Each is the store's own total order
/// (its ties broken by id), so a filtered list is this order with the non-matching products left
/// out: the index never needs the hidden sort keys (date, sales, menu order) themselves.
pub const WALKS: [(&str, &str); 7] = [
    ("date", "desc"),
    ("price", "asc"),
    ("price", "desc"),
    ("popularity", "desc"),
    ("rating", "desc"),
    ("title", "asc"),
    ("menu_order", "asc"),
];

/// Which kept order answers `orderby`/`order`, and whether it is read backwards. Price sorts by
/// the lowest price ascending and the highest descending (two orders); popularity and rating
/// are best first whatever `order` says, as WooCommerce does.
pub fn walk_of(orderby: OrderBy, order: SortOrder) -> (usize, bool) {
    let desc = order == SortOrder::Desc;
    match orderby {
        OrderBy::Date => (0, !desc),
        OrderBy::Price => (if desc { 2 } else { 1 }, false),
        OrderBy::Popularity => (3, false),
        OrderBy::Rating => (4, false),
        OrderBy::Title => (5, desc),
        OrderBy::MenuOrder => (6, desc),
    }
}

/// One product, with what the filters read and the answers already serialised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Doc {
    pub id: u64,
    pub slug: String,
    /// `IN_CATALOG` | `IN_SEARCH`.
    pub visibility: u8,
    /// The store's name and SKU, ASCII-lowercased, for `search=` (the Store API matches a
    /// substring of either, case-insensitively).
    pub name_lc: String,
    pub sku_lc: String,
    pub categories: Box<[u64]>,
    pub tags: Box<[u64]>,
    /// Terms of global attributes (`pa_*`) the product has.
    pub attribute_terms: Box<[u64]>,
    /// Minor units, as shown (the range's ends for variable and grouped products).
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub on_sale: bool,
    pub stock: StockStatus,
    /// The rounded average rating (1–5) when the product has reviews.
    pub rating: Option<u8>,
    /// `ProductSummary` as JSON (a page is these joined).
    pub summary: Bytes,
    /// `ProductDetail` as JSON.
    pub detail: Bytes,
}

impl Doc {
    /// Maps a Store API product to our views, on purpose here as on the pass-through path.
    pub fn from_store(p: &StoreProduct, visibility: u8) -> Result<Doc, serde_json::Error> {
        let prices = views::prices(&p.prices);
        let (min_price, max_price) = match (&prices.range, p.prices.price.trim().is_empty()) {
            (Some(r), _) => (Some(r.min.amount), Some(r.max.amount)),
            (None, true) => (None, None),
            (None, false) => (Some(prices.price.amount), Some(prices.price.amount)),
        };
        let average: f64 = p.average_rating.trim().parse().unwrap_or(0.0);
        Ok(Doc {
            id: p.id,
            slug: p.slug.clone(),
            visibility,
            name_lc: p.name.to_ascii_lowercase(),
            sku_lc: p.sku.to_ascii_lowercase(),
            categories: p.categories.iter().map(|c| c.id).collect(),
            tags: p.tags.iter().map(|t| t.id).collect(),
            attribute_terms: p
                .attributes
                .iter()
                .filter(|a| a.taxonomy.as_deref().is_some_and(|t| !t.is_empty()))
                .flat_map(|a| a.terms.iter().map(|t| t.id))
                .collect(),
            min_price,
            max_price,
            on_sale: p.on_sale,
            stock: views::stock(p).status,
            rating: (average > 0.0).then(|| (average.round() as u8).min(5)),
            summary: json_bytes(&views::summary(p))?,
            detail: json_bytes(&views::detail(p))?,
        })
    }

    /// Bytes this document holds (for the memory figures).
    pub fn weight(&self) -> usize {
        std::mem::size_of::<Doc>()
            + self.slug.len()
            + self.name_lc.len()
            + self.sku_lc.len()
            + 8 * (self.categories.len() + self.tags.len() + self.attribute_terms.len())
            + self.summary.len()
            + self.detail.len()
    }
}

/// The shop's currency, for the facets' price range.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Currency {
    pub code: String,
    pub minor_unit: u8,
}

/// The taxonomies, as the store lists them, with the category tree and the answers serialised.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    pub categories: Vec<StoreCategory>,
    pub tags: Vec<StoreTerm>,
    pub attributes: Vec<StoreAttribute>,
    /// Attribute id → its terms.
    pub terms: HashMap<u64, Vec<StoreTerm>>,
    /// Category id → itself and every category below it (a category filter takes children).
    pub descendants: HashMap<u64, Vec<u64>>,
    pub categories_body: Bytes,
    pub tags_body: Bytes,
    pub attributes_body: Bytes,
    pub terms_bodies: HashMap<u64, Bytes>,
}

impl Taxonomy {
    pub fn new(
        categories: Vec<StoreCategory>,
        tags: Vec<StoreTerm>,
        attributes: Vec<StoreAttribute>,
        terms: HashMap<u64, Vec<StoreTerm>>,
    ) -> Result<Self, serde_json::Error> {
        let mut children: HashMap<u64, Vec<u64>> = HashMap::new();
        for c in &categories {
            children.entry(c.parent).or_default().push(c.id);
        }
        let mut descendants = HashMap::new();
        for c in &categories {
            let (mut all, mut stack) = (Vec::new(), vec![c.id]);
            // Bounded by the number of categories, so a cycle in bad data cannot loop forever.
            while let Some(id) = stack.pop().filter(|_| all.len() <= categories.len()) {
                if !all.contains(&id) {
                    all.push(id);
                    stack.extend(children.get(&id).into_iter().flatten());
                }
            }
            descendants.insert(c.id, all);
        }
        let categories_body = json_bytes(&views::List { items: categories.iter().map(views::category).collect() })?;
        let tags_body = json_bytes(&views::List { items: tags.iter().map(views::term).collect() })?;
        let attributes_body = json_bytes(&views::List { items: attributes.iter().map(views::attribute).collect() })?;
        let mut terms_bodies = HashMap::new();
        for (id, list_terms) in &terms {
            terms_bodies.insert(*id, json_bytes(&views::List { items: list_terms.iter().map(views::term).collect() })?);
        }
        Ok(Taxonomy { categories, tags, attributes, terms, descendants, categories_body, tags_body, attributes_body, terms_bodies })
    }

    /// A category or tag filter (ids or slugs, comma separated) as the term ids it matches:
    /// categories with their children; an unknown term matches nothing, as at the store.
    pub fn resolve(&self, list: &str, categories: bool) -> Vec<u64> {
        let mut out = Vec::new();
        for v in list.split(',') {
            let id = if v.bytes().all(|b| b.is_ascii_digit()) {
                v.parse::<u64>().ok()
            } else if categories {
                self.categories.iter().find(|c| c.slug == v).map(|c| c.id)
            } else {
                self.tags.iter().find(|t| t.slug == v).map(|t| t.id)
            };
            let Some(id) = id else { continue };
            if categories {
                out.extend(self.descendants.get(&id).into_iter().flatten());
            } else if self.tags.iter().any(|t| t.id == id) {
                out.push(id);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The attribute named by its taxonomy (`pa_color`).
    pub fn attribute(&self, taxonomy: &str) -> Option<&StoreAttribute> {
        self.attributes.iter().find(|a| a.taxonomy.eq_ignore_ascii_case(taxonomy))
    }
}

/// Every product, its places in the kept orders, and the taxonomies.
#[derive(Debug, Clone, Default)]
pub struct Replica {
    /// By slot; a removed product leaves `None` (slots are never reused within one replica).
    docs: Vec<Option<Doc>>,
    by_id: HashMap<u64, u32>,
    by_slug: HashMap<String, u32>,
    /// Slots in each of [`WALKS`]' orders.
    orders: Vec<Vec<u32>>,
    /// For each order, slot → its position there (`u32::MAX` when not in it): a page of few
    /// matches is picked by rank instead of walking the whole order.
    ranks: Vec<Vec<u32>>,
    /// Slot sets by filter value, kept with `docs`.
    pub postings: Postings,
    pub taxonomy: Taxonomy,
    pub currency: Option<Currency>,
    /// Bumped on every change: answers' ETags follow their bodies, this tells the cache.
    pub version: u64,
    /// Each category's products together with its subcategories' (as a facet counts them),
    /// made by the first facet after a change rather than unioned per category per facet.
    subtrees: OnceLock<HashMap<u64, RoaringBitmap>>,
    /// `search=` substrings answered since the last change.
    substrings: Substrings,
}

/// Bytes of remembered substring answers (per replica version; a change starts afresh).
const SUBSTRINGS_BYTES: u64 = 4 << 20;

#[derive(Clone)]
struct SetWeight;

impl quick_cache::Weighter<Box<str>, Arc<RoaringBitmap>> for SetWeight {
    fn weight(&self, needle: &Box<str>, set: &Arc<RoaringBitmap>) -> u64 {
        // The key's and the set's allocations, the `Arc` and the map's entry.
        (needle.len() + set.serialized_size() + 160) as u64
    }
}

/// Why remembered: a needle of four bytes or more is answered by intersecting its 3-grams and
/// then checking each candidate's name and SKU, one memory miss per candidate (a common word
/// matches thousands of products), while shoppers repeat their search words far more than the
/// rest of their queries. Bounded in bytes; keyed by the lowercased needle.
#[derive(Clone)]
struct Substrings(Arc<quick_cache::sync::Cache<Box<str>, Arc<RoaringBitmap>, SetWeight>>);

impl Default for Substrings {
    fn default() -> Self {
        Self(Arc::new(quick_cache::sync::Cache::with_weighter(256, SUBSTRINGS_BYTES, SetWeight)))
    }
}

impl std::fmt::Debug for Substrings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Substrings").field("len", &self.0.len()).finish()
    }
}

impl Replica {
    /// A replica from a full walk: `docs` and, for each of [`WALKS`], the ids in that order.
    pub fn build(docs: Vec<Doc>, orders: &[Vec<u64>], taxonomy: Taxonomy, currency: Option<Currency>) -> Self {
        let mut replica = Replica { taxonomy, currency, ..Default::default() };
        for doc in docs {
            replica.insert_doc(doc);
        }
        replica.orders = orders
            .iter()
            .map(|ids| {
                let mut seen = vec![false; replica.docs.len()];
                let mut slots: Vec<u32> = ids
                    .iter()
                    .filter_map(|id| replica.by_id.get(id).copied())
                    .filter(|&s| !std::mem::replace(&mut seen[s as usize], true))
                    .collect();
                // A product that changed between walks is missing from some order: it goes last
                // until its change is applied (which places it exactly).
                slots.extend((0..replica.docs.len() as u32).filter(|&s| !seen[s as usize]));
                slots
            })
            .collect();
        replica.rerank();
        replica.postings.sort_prices(replica.by_id.values().copied());
        replica
    }

    fn insert_doc(&mut self, doc: Doc) -> u32 {
        let slot = self.docs.len() as u32;
        self.by_id.insert(doc.id, slot);
        self.by_slug.insert(doc.slug.clone(), slot);
        self.postings.insert(slot, &doc);
        self.docs.push(Some(doc));
        slot
    }

    /// Recomputes every slot's position in every order (after the orders changed).
    fn rerank(&mut self) {
        let slots = self.docs.len();
        self.ranks = self
            .orders
            .iter()
            .map(|order| {
                let mut rank = vec![u32::MAX; slots];
                for (at, &slot) in order.iter().enumerate() {
                    rank[slot as usize] = at as u32;
                }
                rank
            })
            .collect();
    }

    /// Slot `slot`'s position in kept order `walk`, if it is there.
    pub fn rank(&self, walk: usize, slot: u32) -> Option<u32> {
        self.ranks.get(walk)?.get(slot as usize).copied().filter(|&r| r != u32::MAX)
    }

    /// How many products kept order `walk` holds.
    pub fn order_len(&self, walk: usize) -> usize {
        self.orders.get(walk).map_or(0, Vec::len)
    }

    /// A product's slot (the postings' element).
    pub fn slot(&self, id: u64) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn by_id(&self, id: u64) -> Option<&Doc> {
        self.doc(*self.by_id.get(&id)?)
    }

    pub fn by_slug(&self, slug: &str) -> Option<&Doc> {
        self.doc(*self.by_slug.get(slug)?)
    }

    pub fn doc(&self, slot: u32) -> Option<&Doc> {
        self.docs.get(slot as usize)?.as_ref()
    }

    /// Live documents, any order.
    pub fn docs(&self) -> impl Iterator<Item = &Doc> {
        self.docs.iter().flatten()
    }

    /// Kept order `walk` as slots (empty for an unknown walk).
    pub fn order(&self, walk: usize) -> &[u32] {
        self.orders.get(walk).map_or(&[][..], Vec::as_slice)
    }

    /// Slots in kept order `walk`, forwards or backwards.
    pub fn ordered(&self, walk: usize, backwards: bool) -> Box<dyn Iterator<Item = u32> + '_> {
        let order = self.order(walk);
        if backwards {
            Box::new(order.iter().rev().copied())
        } else {
            Box::new(order.iter().copied())
        }
    }

    /// The ids in kept order `walk` (for placing a changed product among its neighbours).
    pub fn order_ids(&self, walk: usize) -> Vec<u64> {
        self.ordered(walk, false).filter_map(|s| self.doc(s).map(|d| d.id)).collect()
    }

    /// Removes a product from every list.
    pub fn remove(&mut self, id: u64) -> bool {
        let removed = self.remove_only(id);
        if removed {
            self.rerank();
        }
        removed
    }

    fn remove_only(&mut self, id: u64) -> bool {
        let Some(slot) = self.by_id.remove(&id) else { return false };
        if let Some(doc) = self.docs[slot as usize].take() {
            if self.by_slug.get(&doc.slug) == Some(&slot) {
                self.by_slug.remove(&doc.slug);
            }
            self.postings.remove(slot, &doc);
        }
        for order in &mut self.orders {
            order.retain(|&s| s != slot);
        }
        self.changed();
        true
    }

    /// Adds or replaces a product; `positions[w]` is its index in kept order `w` once placed
    /// (counted among the other products, as `order_ids` lists them without it).
    pub fn upsert(&mut self, doc: Doc, positions: &[usize]) {
        self.remove_only(doc.id);
        let slot = self.insert_doc(doc);
        // An order without a position (none asked) gets the product last, so that every order
        // holds every product and a list's total is its match count.
        for (w, order) in self.orders.iter_mut().enumerate() {
            let at = positions.get(w).copied().unwrap_or(usize::MAX);
            order.insert(at.min(order.len()), slot);
        }
        self.rerank();
        self.changed();
    }

    fn changed(&mut self) {
        self.version += 1;
        self.subtrees = OnceLock::new();
        self.substrings = Substrings::default();
    }

    /// Slots whose name or SKU holds `needle` (lowercased like them); `None`: no filter (see
    /// `Postings::containing`). Remembered until the next change.
    pub fn containing(&self, needle: &str) -> Option<Arc<RoaringBitmap>> {
        if let Some(found) = self.substrings.0.get(needle) {
            return Some(found);
        }
        let found = self.postings.containing(needle, |slot| self.doc(slot).map(|d| (d.name_lc.as_str(), d.sku_lc.as_str())))?;
        let found = Arc::new(found);
        self.substrings.0.insert(needle.into(), found.clone());
        Some(found)
    }

    /// A category's products with its subcategories' (empty for an unknown category).
    pub fn subtree(&self, category: u64) -> Option<&RoaringBitmap> {
        let made = self.subtrees.get_or_init(|| {
            let tax = &self.taxonomy;
            tax.descendants.iter().map(|(id, below)| (*id, Postings::any_of(&self.postings.categories, below))).collect()
        });
        made.get(&category)
    }

    /// What a file keeps: the documents and each order as ids (slots are rebuilt on load).
    pub fn parts(&self) -> (Vec<&Doc>, Vec<Vec<u64>>) {
        (self.docs().collect(), (0..self.orders.len()).map(|w| self.order_ids(w)).collect())
    }

    pub fn set_taxonomy(&mut self, taxonomy: Taxonomy) {
        self.taxonomy = taxonomy;
        self.changed();
    }

    /// About the bytes the replica holds (documents and orders; the text index is apart).
    pub fn weight(&self) -> usize {
        self.docs().map(Doc::weight).sum::<usize>()
            + self.orders.iter().chain(&self.ranks).map(|o| o.len() * 4).sum::<usize>()
            + self.by_id.len() * 48
            + self.postings.weight()
    }
}

/// A plain product for unit tests: listed and searchable, in stock, no price.
#[cfg(test)]
pub fn test_doc(id: u64, name: &str) -> Doc {
    Doc {
        id,
        slug: format!("p{id}"),
        visibility: IN_CATALOG | IN_SEARCH,
        name_lc: name.into(),
        sku_lc: format!("sku-{id}"),
        categories: Box::new([]),
        tags: Box::new([]),
        attribute_terms: Box::new([]),
        min_price: None,
        max_price: None,
        on_sale: false,
        stock: StockStatus::InStock,
        rating: None,
        summary: Default::default(),
        detail: Default::default(),
    }
}
