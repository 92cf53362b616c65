//! Answering catalogue queries from the replica, with the Store API's semantics as the
//! pass-through path gets them from the store: which products match (visibility, filters, a
//! title-or-SKU substring search), in which order, how many, and the facet counts.

use std::io::Write;

use crate::catalogue::query::NormalisedQuery;
use crate::catalogue::views::{self, AttributeFacet, FacetCount, Facets, Money, PriceRange, RatingFacet, StockFacet, StockStatus};

use super::replica::{walk_of, Doc, Replica, IN_CATALOG, IN_SEARCH};

/// A validated query compiled against the replica's taxonomies.
struct Plan {
    visibility: u8,
    /// Lowercased; `None` also for the store's ignored `"0"`.
    search: Option<String>,
    categories: Option<Vec<u64>>,
    tags: Option<Vec<u64>>,
    /// (taxonomy, term ids); a product must have one of the terms of each.
    attributes: Vec<(String, Vec<u64>)>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    on_sale: Option<bool>,
    stock: Option<StockStatus>,
}

/// A filter a facet count leaves out (it counts what that filter would select).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Skip<'a> {
    None,
    Price,
    Stock,
    Category,
    Attribute(&'a str),
}

fn stock_of(filter: crate::catalogue::query::StockFilter) -> StockStatus {
    use crate::catalogue::query::StockFilter as F;
    match filter {
        F::InStock => StockStatus::InStock,
        F::OutOfStock => StockStatus::OutOfStock,
        F::OnBackorder => StockStatus::OnBackorder,
    }
}

impl Plan {
    fn new(q: &NormalisedQuery, replica: &Replica) -> Plan {
        let tax = &replica.taxonomy;
        // The store reads a price of 0 as no bound at all.
        let bound = |p: Option<u64>| p.filter(|&p| p > 0).map(|p| i64::try_from(p).unwrap_or(i64::MAX));
        let attributes = q
            .attributes
            .iter()
            .filter_map(|(taxonomy, slugs)| {
                // An unknown attribute is no filter at the store; unknown terms match nothing.
                let attr = tax.attribute(taxonomy)?;
                let terms = tax.terms.get(&attr.id).map_or(&[][..], Vec::as_slice);
                let ids = slugs.iter().filter_map(|s| terms.iter().find(|t| &t.slug == s).map(|t| t.id)).collect();
                Some((attr.taxonomy.to_ascii_lowercase(), ids))
            })
            .collect();
        Plan {
            visibility: if q.search.is_some() { IN_SEARCH } else { IN_CATALOG },
            search: q.search.as_deref().filter(|s| *s != "0").map(str::to_ascii_lowercase),
            categories: q.category.as_deref().map(|l| tax.resolve(l, true)),
            tags: q.tag.as_deref().map(|l| tax.resolve(l, false)),
            attributes,
            min_price: bound(q.min_price),
            max_price: bound(q.max_price),
            on_sale: q.on_sale,
            stock: q.stock_status.map(stock_of),
        }
    }

    fn matches(&self, d: &Doc, skip: Skip) -> bool {
        let any = |have: &[u64], want: &[u64]| have.iter().any(|t| want.contains(t));
        d.visibility & self.visibility != 0
            && self.search.as_deref().is_none_or(|s| d.name_lc.contains(s) || d.sku_lc.contains(s))
            && (skip == Skip::Category || self.categories.as_deref().is_none_or(|c| any(&d.categories, c)))
            && self.tags.as_deref().is_none_or(|t| any(&d.tags, t))
            && self.attributes.iter().all(|(tax, terms)| skip == Skip::Attribute(tax) || any(&d.attribute_terms, terms))
            && (skip == Skip::Price || self.price_matches(d))
            && self.on_sale.is_none_or(|s| s == d.on_sale)
            && (skip == Skip::Stock || self.stock.is_none_or(|s| s == d.stock))
    }

    fn price_matches(&self, d: &Doc) -> bool {
        self.min_price.is_none_or(|min| d.max_price.is_some_and(|p| p >= min))
            && self.max_price.is_none_or(|max| d.min_price.is_some_and(|p| p <= max))
    }
}

/// A query's filters, compiled once, for answers assembled elsewhere (search).
pub struct Filter(Plan);

impl Filter {
    pub fn new(q: &NormalisedQuery, replica: &Replica) -> Filter {
        Filter(Plan::new(q, replica))
    }

    pub fn matches(&self, d: &Doc) -> bool {
        self.0.matches(d, Skip::None)
    }
}

/// `Page<ProductSummary>` as the pass-through path serialises it, from the stored summaries.
pub fn products(replica: &Replica, q: &NormalisedQuery) -> Vec<u8> {
    let plan = Plan::new(q, replica);
    let (walk, backwards) = walk_of(q.orderby, q.order);
    let skip = (q.page as usize - 1).saturating_mul(q.per_page as usize);
    let take = q.per_page as usize;
    let mut total = 0usize;
    let mut body = Vec::with_capacity(64 + take * 700);
    body.extend_from_slice(b"{\"items\":[");
    for slot in replica.ordered(walk, backwards) {
        let Some(doc) = replica.doc(slot) else { continue };
        if !plan.matches(doc, Skip::None) {
            continue;
        }
        if total >= skip && total < skip + take {
            if total > skip {
                body.push(b',');
            }
            body.extend_from_slice(&doc.summary);
        }
        total += 1;
    }
    let total_pages = total.div_ceil(take);
    // Writing into a Vec cannot fail.
    let _ = write!(body, "],\"page\":{},\"per_page\":{},\"total\":{total},\"total_pages\":{total_pages}}}", q.page, q.per_page);
    body
}

/// `Facets` over the query's filters, counted as the store's collection-data and the
/// pass-through path's per-category probes count them.
pub fn facets(replica: &Replica, q: &NormalisedQuery, max_categories: usize) -> Facets {
    facets_among(replica, q, max_categories, None)
}

/// [`facets`] over only the products in `among` (the matches of a text search), when given.
pub fn facets_among(
    replica: &Replica,
    q: &NormalisedQuery,
    max_categories: usize,
    among: Option<&std::collections::HashSet<u64>>,
) -> Facets {
    let plan = Plan::new(q, replica);
    let tax = &replica.taxonomy;
    let docs: Vec<&Doc> = replica.docs().filter(|d| among.is_none_or(|a| a.contains(&d.id))).collect();
    let count = |skip: Skip, each: &mut dyn FnMut(&Doc)| {
        for d in &docs {
            if plan.matches(d, skip) {
                each(d);
            }
        }
    };

    // Price range: the price filter itself left out.
    let (mut lo, mut hi) = (None::<i64>, None::<i64>);
    count(Skip::Price, &mut |d| {
        lo = match (lo, d.min_price) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        hi = match (hi, d.max_price) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    });
    let money = |amount: i64| replica.currency.as_ref().map(|c| Money { amount, currency: c.code.clone(), minor_unit: c.minor_unit });
    let price_range = match (lo, hi) {
        (Some(lo), Some(hi)) => money(lo).zip(money(hi)).map(|(min, max)| PriceRange { min, max }),
        _ => None,
    };

    // Categories: the busiest (by the store's own count) with the query's category filter
    // replaced by each in turn; children count for their parents.
    let mut busiest: Vec<_> = tax.categories.iter().collect();
    busiest.sort_by_key(|c| std::cmp::Reverse(c.count));
    busiest.truncate(max_categories);
    let mut category_counts = vec![0u64; busiest.len()];
    let below: Vec<&[u64]> = busiest.iter().map(|c| tax.descendants.get(&c.id).map_or(&[][..], Vec::as_slice)).collect();
    count(Skip::Category, &mut |d| {
        for (n, under) in category_counts.iter_mut().zip(&below) {
            if d.categories.iter().any(|c| under.contains(c)) {
                *n += 1;
            }
        }
    });
    let categories = busiest
        .iter()
        .zip(category_counts)
        .filter(|(_, n)| *n > 0)
        .map(|(c, count)| FacetCount { id: c.id, slug: c.slug.clone(), name: views::text(&c.name), count })
        .collect();

    // Attribute terms: each attribute counted without its own filter ("or" counting).
    let mut attributes = Vec::new();
    for attr in &tax.attributes {
        let terms = tax.terms.get(&attr.id).map_or(&[][..], Vec::as_slice);
        let mut counts = vec![0u64; terms.len()];
        let taxonomy = attr.taxonomy.to_ascii_lowercase();
        count(Skip::Attribute(&taxonomy), &mut |d| {
            for (n, t) in counts.iter_mut().zip(terms) {
                if d.attribute_terms.contains(&t.id) {
                    *n += 1;
                }
            }
        });
        let terms = terms
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(t, count)| FacetCount { id: t.id, slug: t.slug.clone(), name: views::text(&t.name), count })
            .collect();
        attributes.push(AttributeFacet { taxonomy: attr.taxonomy.clone(), name: views::text(&attr.name), terms });
    }

    // Stock: every status, the stock filter left out.
    let mut stock = [0u64; 3];
    let statuses = [StockStatus::InStock, StockStatus::OutOfStock, StockStatus::OnBackorder];
    count(Skip::Stock, &mut |d| {
        if let Some(i) = statuses.iter().position(|s| *s == d.stock) {
            stock[i] += 1;
        }
    });
    let stock_status = statuses.iter().zip(stock).map(|(&status, count)| StockFacet { status, count }).collect();

    // Ratings: products with reviews, by rounded average.
    let mut ratings = [0u64; 6];
    count(Skip::None, &mut |d| {
        if let Some(r) = d.rating {
            ratings[usize::from(r)] += 1;
        }
    });
    let ratings = (1..=5u8)
        .filter(|&r| ratings[usize::from(r)] > 0)
        .map(|rating| RatingFacet { rating, count: ratings[usize::from(rating)] })
        .collect();

    Facets { price_range, categories, attributes, stock_status, ratings }
}
