//! Ordering of product lists like WooCommerce's catalog ordering (`get_catalog_ordering_args` and the lookup-table clauses), with cached orders for unfiltered lists.

use std::cmp::Ordering;
use std::sync::Arc;

use super::catalogue::{Catalogue, ItemRef};
use super::query::OrderBy;

impl Catalogue {
    /// Product indexes sorted for `order`, cached until the next mutation.
    pub(crate) fn sorted_products(&self, order: OrderBy, desc: bool) -> Arc<Vec<u32>> {
        let key = (order, desc, u8::MAX);
        if let Ok(cache) = self.sort_cache.lock() {
            if let Some(v) = cache.get(&key) {
                return Arc::clone(v);
            }
        }
        let mut items: Vec<ItemRef> = (0..self.products.len() as u32).map(ItemRef::Product).collect();
        self.sort_items(&mut items, order, desc, None);
        let sorted: Arc<Vec<u32>> =
            Arc::new(items.into_iter().filter_map(|i| if let ItemRef::Product(p) = i { Some(p) } else { None }).collect());
        if let Ok(mut cache) = self.sort_cache.lock() {
            cache.insert(key, Arc::clone(&sorted));
        }
        sorted
    }

    /// Sorted indexes of the products whose status is in `mask` (the unfiltered listing), cached:
    /// paging through an unfiltered catalogue then costs only the page.
    pub(crate) fn sorted_by_status(&self, order: OrderBy, desc: bool, mask: u8) -> Arc<Vec<u32>> {
        let key = (order, desc, mask);
        if let Ok(cache) = self.sort_cache.lock() {
            if let Some(v) = cache.get(&key) {
                return Arc::clone(v);
            }
        }
        let all = self.sorted_products(order, desc);
        let filtered: Arc<Vec<u32>> =
            Arc::new(all.iter().copied().filter(|&i| mask & status_bit(self.products[i as usize].status) != 0).collect());
        if let Ok(mut cache) = self.sort_cache.lock() {
            cache.insert(key, Arc::clone(&filtered));
        }
        filtered
    }

    pub(crate) fn sort_items(&self, items: &mut [ItemRef], order: OrderBy, desc: bool, include: Option<&[u32]>) {
        let dir = |o: Ordering| if desc { o.reverse() } else { o };
        match order {
            OrderBy::Include => {
                let pos = |i: &ItemRef| include.and_then(|l| l.iter().position(|&x| x == self.item_id(*i))).unwrap_or(usize::MAX);
                items.sort_by_key(pos);
            }
            // `max_price DESC, id DESC` or `min_price ASC, id ASC` (lookups computed once per item).
            OrderBy::Price if desc => {
                items.sort_by_cached_key(|&i| std::cmp::Reverse((self.item_lookup(i).max_price, self.item_id(i))));
            }
            OrderBy::Price => items.sort_by_cached_key(|&i| (self.item_lookup(i).min_price, self.item_id(i))),
            // Popularity and rating always sort best first, whatever `order` says (WooCommerce does).
            OrderBy::Popularity => {
                items.sort_by(|a, b| self.sales(*b).cmp(&self.sales(*a)).then(self.item_id(*b).cmp(&self.item_id(*a))));
            }
            OrderBy::Rating => items.sort_by(|a, b| {
                let (ra, rb) = (self.rating_key(*a), self.rating_key(*b));
                rb.cmp(&ra).then(self.item_id(*b).cmp(&self.item_id(*a)))
            }),
            // Text keys are built once per item rather than once per comparison.
            OrderBy::Title | OrderBy::MenuOrder => {
                items.sort_by_cached_key(|&i| (self.menu_order_key(order, i), self.title(i).to_ascii_lowercase(), self.item_id(i)));
                if desc {
                    items.reverse();
                }
            }
            _ => items.sort_by(|a, b| dir(self.plain_key_cmp(order, *a, *b))),
        }
    }

    fn plain_key_cmp(&self, order: OrderBy, a: ItemRef, b: ItemRef) -> Ordering {
        let (ia, ib) = (self.item_id(a), self.item_id(b));
        let by = match order {
            OrderBy::Date => self.times(a).0.cmp(&self.times(b).0),
            OrderBy::Modified => self.times(a).1.cmp(&self.times(b).1),
            OrderBy::Slug => self.slug(a).cmp(self.slug(b)),
            OrderBy::CommentCount => self.review_count(a).cmp(&self.review_count(b)),
            _ => Ordering::Equal,
        };
        by.then(ia.cmp(&ib))
    }

    fn menu_order_key(&self, order: OrderBy, i: ItemRef) -> i32 {
        if order == OrderBy::MenuOrder {
            self.menu_order(i)
        } else {
            0
        }
    }

    fn times(&self, i: ItemRef) -> (i64, i64) {
        match i {
            ItemRef::Product(p) => (self.products[p as usize].created, self.products[p as usize].modified),
            ItemRef::Variation(v) => (self.variations[v as usize].created, self.variations[v as usize].modified),
        }
    }

    fn title(&self, i: ItemRef) -> String {
        match i {
            ItemRef::Product(p) => self.products[p as usize].name.to_string(),
            ItemRef::Variation(v) => self.variation_title(&self.variations[v as usize]),
        }
    }

    fn slug(&self, i: ItemRef) -> &str {
        match i {
            ItemRef::Product(p) => &self.products[p as usize].slug,
            ItemRef::Variation(v) => &self.variations[v as usize].slug,
        }
    }

    fn menu_order(&self, i: ItemRef) -> i32 {
        match i {
            ItemRef::Product(p) => self.products[p as usize].menu_order,
            ItemRef::Variation(_) => 0,
        }
    }

    fn review_count(&self, i: ItemRef) -> u16 {
        match i {
            ItemRef::Product(p) => self.products[p as usize].review_len,
            ItemRef::Variation(_) => 0,
        }
    }

    fn sales(&self, i: ItemRef) -> u32 {
        match i {
            ItemRef::Product(p) => self.products[p as usize].total_sales,
            ItemRef::Variation(_) => 0,
        }
    }

    /// (average rating in hundredths, rating count) as the lookup table stores them.
    fn rating_key(&self, i: ItemRef) -> (u32, u16) {
        match i {
            ItemRef::Product(p) => {
                let p = &self.products[p as usize];
                ((self.average_rating(p) * 100.0).round() as u32, p.review_len)
            }
            ItemRef::Variation(_) => (0, 0),
        }
    }
}

/// One bit per product status, for status-only filters.
pub(crate) fn status_bit(s: super::catalogue::ProductStatus) -> u8 {
    use super::catalogue::ProductStatus as S;
    match s {
        S::Publish => 1,
        S::Private => 2,
        S::Draft => 4,
        S::Pending => 8,
    }
}
