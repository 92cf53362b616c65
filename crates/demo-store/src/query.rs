//! Product filtering and ordering shared by the Store API and the REST API, following `WP_Query`, tax queries and `wc_product_meta_lookup`.

use super::catalogue::{AttrSpec, Visibility};
use super::catalogue::{Catalogue, ItemRef, Product, ProductStatus, ProductType, StockStatus, Taxonomy, Variation};

/// `orderby` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderBy {
    Date,
    Modified,
    Id,
    Include,
    Title,
    Slug,
    Price,
    Popularity,
    Rating,
    MenuOrder,
    CommentCount,
}

impl OrderBy {
    pub fn parse(s: &str) -> Option<OrderBy> {
        Some(match s {
            "date" => OrderBy::Date,
            "modified" => OrderBy::Modified,
            "id" => OrderBy::Id,
            "include" => OrderBy::Include,
            "title" => OrderBy::Title,
            "slug" => OrderBy::Slug,
            "price" => OrderBy::Price,
            "popularity" => OrderBy::Popularity,
            "rating" => OrderBy::Rating,
            "menu_order" => OrderBy::MenuOrder,
            "comment_count" => OrderBy::CommentCount,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostTypes {
    #[default]
    Products,
    Variations,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxOp {
    In,
    NotIn,
    And,
}

/// One tax query clause, terms already resolved to ids (with children when hierarchical).
#[derive(Debug, Clone)]
pub struct TaxClause {
    pub taxonomy: Taxonomy,
    pub terms: Vec<u32>,
    /// Some requested term does not exist (an `AND` clause then matches nothing).
    pub missing: bool,
    pub op: TaxOp,
}

/// `catalog_visibility` request filter (product_visibility tax query).
#[derive(Debug, Clone, Copy)]
pub struct VisibilityFilter(pub Visibility);

#[derive(Debug, Clone)]
pub enum Search {
    /// Store API: title or SKU contains the string.
    TitleOrSku(String),
    /// WP core search: every word in title, excerpt or content; `-word` excludes.
    Words(Vec<String>),
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub post_types: PostTypes,
    /// `None` = any status but trash.
    pub statuses: Option<Vec<ProductStatus>>,
    pub include: Option<Vec<u32>>,
    pub exclude: Vec<u32>,
    pub parent_in: Vec<u32>,
    pub parent_not_in: Vec<u32>,
    pub search: Option<Search>,
    pub slugs: Option<Vec<String>>,
    pub skus: Option<Vec<String>>,
    pub product_type: Option<ProductType>,
    pub tax: Vec<TaxClause>,
    pub featured: Option<bool>,
    pub visibility: Option<VisibilityFilter>,
    pub ratings: Vec<u8>,
    pub stock_status: Vec<StockStatus>,
    /// Minor units (may be fractional, as PHP divides the request value).
    pub min_price: Option<f64>,
    pub max_price: Option<f64>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    pub is_virtual: Option<bool>,
}

impl Filter {
    /// Nothing but (maybe) a status restriction: the plain catalogue listing.
    pub fn is_status_only(&self) -> bool {
        let Filter {
            post_types,
            statuses: _,
            include,
            exclude,
            parent_in,
            parent_not_in,
            search,
            slugs,
            skus,
            product_type,
            tax,
            featured,
            visibility,
            ratings,
            stock_status,
            min_price,
            max_price,
            created_after,
            created_before,
            modified_after,
            modified_before,
            is_virtual,
        } = self;
        *post_types == PostTypes::Products
            && include.is_none()
            && exclude.is_empty()
            && parent_in.is_empty()
            && parent_not_in.is_empty()
            && search.is_none()
            && slugs.is_none()
            && skus.is_none()
            && product_type.is_none()
            && tax.is_empty()
            && featured.is_none()
            && visibility.is_none()
            && ratings.is_empty()
            && stock_status.is_empty()
            && min_price.is_none()
            && max_price.is_none()
            && created_after.is_none()
            && created_before.is_none()
            && modified_after.is_none()
            && modified_before.is_none()
            && is_virtual.is_none()
    }
}

impl Catalogue {
    /// All matching items in order (the caller pages).
    pub fn query(&self, f: &Filter, order: OrderBy, desc: bool) -> Vec<ItemRef> {
        let candidates: Option<Vec<ItemRef>> = if let Some(ids) = &f.include {
            Some(ids.iter().filter_map(|&id| self.item(id.into())).collect())
        } else if let Some(skus) = &f.skus {
            Some(skus.iter().filter_map(|s| self.skus.get(s.as_str())).filter_map(|&id| self.item(id.into())).collect())
        } else {
            f.slugs.as_ref().map(|slugs| self.slug_candidates(slugs))
        };
        match candidates {
            Some(mut items) => {
                items.sort_unstable_by_key(|i| self.item_id(*i));
                items.dedup();
                items.retain(|&i| self.matches(f, i));
                self.sort_items(&mut items, order, desc, f.include.as_deref());
                items
            }
            None if f.post_types == PostTypes::Products && order != OrderBy::Include && f.is_status_only() => {
                let mask = f.statuses.as_ref().map_or(u8::MAX, |st| st.iter().fold(0, |m, s| m | super::sort::status_bit(*s)));
                self.sorted_by_status(order, desc, mask).iter().map(|&i| ItemRef::Product(i)).collect()
            }
            None if f.post_types == PostTypes::Products && order != OrderBy::Include => {
                let ordered = self.sorted_products(order, desc);
                ordered.iter().map(|&i| ItemRef::Product(i)).filter(|&i| self.matches(f, i)).collect()
            }
            None => {
                let mut items: Vec<ItemRef> = Vec::new();
                if f.post_types != PostTypes::Variations {
                    items.extend((0..self.products.len() as u32).map(ItemRef::Product));
                }
                if f.post_types != PostTypes::Products {
                    items.extend((0..self.variations.len() as u32).map(ItemRef::Variation));
                }
                items.retain(|&i| self.matches(f, i));
                self.sort_items(&mut items, order, desc, f.include.as_deref());
                items
            }
        }
    }

    fn slug_candidates(&self, slugs: &[String]) -> Vec<ItemRef> {
        let mut out: Vec<ItemRef> =
            slugs.iter().filter_map(|s| self.slugs.get(s.as_str())).filter_map(|&id| self.item(id.into())).collect();
        // A variation may share its slug with nothing else; products win the index, so scan variations too.
        for (i, v) in self.variations.iter().enumerate() {
            if slugs.iter().any(|s| s.as_str() == &*v.slug) {
                out.push(ItemRef::Variation(i as u32));
            }
        }
        out
    }

    pub fn item_id(&self, item: ItemRef) -> u32 {
        match item {
            ItemRef::Product(i) => self.products[i as usize].id,
            ItemRef::Variation(i) => self.variations[i as usize].id,
        }
    }

    fn matches(&self, f: &Filter, item: ItemRef) -> bool {
        match item {
            ItemRef::Product(i) => f.post_types != PostTypes::Variations && self.product_matches(f, &self.products[i as usize]),
            ItemRef::Variation(i) => f.post_types != PostTypes::Products && self.variation_matches(f, &self.variations[i as usize]),
        }
    }

    fn common_matches(&self, f: &Filter, id: u32, parent: u32, item: ItemRef) -> bool {
        if let Some(inc) = &f.include {
            if !inc.contains(&id) {
                return false;
            }
        }
        if f.exclude.contains(&id) || (!f.parent_in.is_empty() && !f.parent_in.contains(&parent)) || f.parent_not_in.contains(&parent) {
            return false;
        }
        // Derived values cost a walk over children: only compute them when a filter needs them.
        if f.stock_status.is_empty() && f.min_price.is_none() && f.max_price.is_none() {
            return true;
        }
        let look = self.item_lookup(item);
        if !f.stock_status.is_empty() && !f.stock_status.contains(&look.stock_status) {
            return false;
        }
        if let Some(min) = f.min_price {
            if look.max_price.is_none_or(|p| f64::from(p) < min) {
                return false;
            }
        }
        if let Some(max) = f.max_price {
            if look.min_price.is_none_or(|p| f64::from(p) > max) {
                return false;
            }
        }
        true
    }

    fn product_matches(&self, f: &Filter, p: &Product) -> bool {
        if let Some(st) = &f.statuses {
            if !st.contains(&p.status) {
                return false;
            }
        }
        if !self.common_matches(f, p.id, 0, ItemRef::Product(self.index_of(p))) {
            return false;
        }
        if f.product_type.is_some_and(|t| t != p.kind) {
            return false;
        }
        if let Some(skus) = &f.skus {
            if !skus.iter().any(|s| s.as_str() == &*p.sku) {
                return false;
            }
        }
        if let Some(slugs) = &f.slugs {
            if !slugs.iter().any(|s| s.as_str() == &*p.slug) {
                return false;
            }
        }
        if f.is_virtual.is_some_and(|v| v != p.is_virtual) {
            return false;
        }
        if !dates_match(f, p.created, p.modified) {
            return false;
        }
        if let Some(search) = &f.search {
            if !self.search_matches(search, &p.name, &p.sku, || self.texts(p)) {
                return false;
            }
        }
        if let Some(feat) = f.featured {
            if feat != p.featured {
                return false;
            }
        }
        if let Some(VisibilityFilter(v)) = f.visibility {
            if !visibility_matches(v, p.visibility) {
                return false;
            }
        }
        if !f.ratings.is_empty() {
            let rated = self.average_rating(p).round() as u8;
            if p.review_len == 0 || !f.ratings.contains(&rated.min(5)) {
                return false;
            }
        }
        f.tax.iter().all(|c| clause_matches(c, |t| self.product_has_term(p, t)))
    }

    fn variation_matches(&self, f: &Filter, v: &Variation) -> bool {
        let parent = self.parent_of(v);
        if let Some(st) = &f.statuses {
            if !st.contains(&parent.status) {
                return false;
            }
        }
        if !self.common_matches(f, v.id, parent.id, ItemRef::Variation(self.var_index_of(v))) {
            return false;
        }
        if f.product_type.is_some_and(|t| t != ProductType::Variation) {
            return false;
        }
        if let Some(skus) = &f.skus {
            if !skus.iter().any(|s| s.as_str() == &*v.sku) {
                return false;
            }
        }
        if let Some(slugs) = &f.slugs {
            if !slugs.iter().any(|s| s.as_str() == &*v.slug) {
                return false;
            }
        }
        if !dates_match(f, v.created, v.modified) {
            return false;
        }
        if let Some(search) = &f.search {
            let title = self.variation_title(v);
            if !self.search_matches(search, &title, &v.sku, Vec::new) {
                return false;
            }
        }
        // Variations carry no product_visibility terms.
        if f.featured == Some(true) || f.visibility.is_some() || !f.ratings.is_empty() {
            return false;
        }
        let only_variations = f.post_types == PostTypes::Variations;
        f.tax.iter().all(|c| match (c.taxonomy, only_variations) {
            // Store API turns attribute clauses into meta queries on the variation's own values.
            (Taxonomy::Attribute(attr), true) => {
                let has = |t: u32| self.variation_value_term(v, attr) == Some(t);
                clause_matches(c, has)
            }
            (_, true) => false,
            (_, false) => clause_matches(c, |_| false),
        })
    }

    fn index_of(&self, p: &Product) -> u32 {
        match self.node(p.id.into()) {
            super::catalogue::Node::Product(i) => i,
            _ => 0,
        }
    }

    fn var_index_of(&self, v: &Variation) -> u32 {
        match self.node(v.id.into()) {
            super::catalogue::Node::Variation(i) => i,
            _ => 0,
        }
    }

    fn product_has_term(&self, p: &Product, term: u32) -> bool {
        p.cats.contains(&term)
            || p.tags.contains(&term)
            || p.attrs.iter().any(|a| matches!(&a.spec, AttrSpec::Global { terms, .. } if terms.contains(&term)))
    }

    /// The global term a variation picked for attribute `attr`, if the parent uses it.
    pub fn variation_value_term(&self, v: &Variation, attr: u32) -> Option<u32> {
        let parent = self.parent_of(v);
        parent.attrs.iter().zip(v.values.iter()).find_map(|(a, &val)| match &a.spec {
            AttrSpec::Global { attr_id, terms } if *attr_id == attr => terms.get(usize::from(val)).copied(),
            _ => None,
        })
    }

    /// `post_title` of a variation: "Parent - S, Red".
    pub fn variation_title(&self, v: &Variation) -> String {
        format!("{} - {}", self.parent_of(v).name, self.variation_labels(v).join(", "))
    }

    /// Display labels of a variation's choices ("S", "Red", "250g").
    pub fn variation_labels(&self, v: &Variation) -> Vec<String> {
        let parent = self.parent_of(v);
        parent
            .attrs
            .iter()
            .zip(v.values.iter())
            .map(|(a, &val)| match &a.spec {
                AttrSpec::Global { terms, .. } => {
                    terms.get(usize::from(val)).and_then(|&t| self.term(t)).map(|t| t.name.to_string()).unwrap_or_default()
                }
                AttrSpec::Local { options, .. } => options.get(usize::from(val)).map(|o| o.to_string()).unwrap_or_default(),
            })
            .collect()
    }

    fn search_matches(&self, search: &Search, title: &str, sku: &str, texts: impl Fn() -> Vec<String>) -> bool {
        match search {
            Search::TitleOrSku(s) => contains_ci(title, s) || contains_ci(sku, s),
            Search::Words(words) => {
                let extra = texts();
                words.iter().all(|w| {
                    let (negate, w) = match w.strip_prefix('-') {
                        Some(rest) if !rest.is_empty() => (true, rest),
                        _ => (false, w.as_str()),
                    };
                    let found = contains_ci(title, w) || extra.iter().any(|t| contains_ci(t, w));
                    found != negate
                })
            }
        }
    }

    /// Excerpt and content, as the REST API would search them.
    fn texts(&self, p: &Product) -> Vec<String> {
        vec![super::render::short_description(p), super::render::description(p)]
    }
}

fn dates_match(f: &Filter, created: i64, modified: i64) -> bool {
    f.created_after.is_none_or(|t| created > t)
        && f.created_before.is_none_or(|t| created < t)
        && f.modified_after.is_none_or(|t| modified > t)
        && f.modified_before.is_none_or(|t| modified < t)
}

/// `catalog_visibility` filter semantics of the Store API's ProductQuery.
fn visibility_matches(want: Visibility, have: Visibility) -> bool {
    match want {
        Visibility::Visible => !have.excluded_from_catalog() && !have.excluded_from_search(),
        Visibility::Catalog => !have.excluded_from_catalog(),
        Visibility::Search => !have.excluded_from_search(),
        Visibility::Hidden => have.excluded_from_catalog() && have.excluded_from_search(),
    }
}

fn clause_matches(c: &TaxClause, has: impl Fn(u32) -> bool) -> bool {
    match c.op {
        TaxOp::In => c.terms.iter().any(|&t| has(t)),
        TaxOp::NotIn => !c.terms.iter().any(|&t| has(t)),
        TaxOp::And => !c.missing && !c.terms.is_empty() && c.terms.iter().all(|&t| has(t)),
    }
}

/// ASCII case-insensitive substring test (MySQL's `LIKE` under a `_ci` collation).
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}
