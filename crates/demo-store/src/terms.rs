//! Term listings (categories, tags, attribute terms) with WooCommerce's product counts, shared by both APIs.

use std::collections::HashMap;
use std::sync::Arc;

use super::catalogue::{AttrSpec, Catalogue, ProductStatus, Taxonomy, Term};
use super::query::contains_ci;
use super::wp::{wp_parse_id_list, PhpArray};

/// Memoises a per-term table until the next catalogue mutation.
fn cached(cat: &Catalogue, key: (u8, u32), build: impl FnOnce() -> HashMap<u32, u64>) -> Arc<HashMap<u32, u64>> {
    if let Some(hit) = cat.term_cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return hit;
    }
    let table = Arc::new(build());
    if let Ok(mut c) = cat.term_cache.lock() {
        c.insert(key, Arc::clone(&table));
    }
    table
}

/// Product counts per term id, the way the APIs report `count`.
pub fn counts(cat: &Catalogue, taxonomy: Taxonomy) -> Arc<HashMap<u32, u64>> {
    let key = match taxonomy {
        Taxonomy::Category => (0, 0),
        Taxonomy::Tag => (1, 0),
        Taxonomy::Attribute(a) => (2, a),
    };
    cached(cat, key, || compute_counts(cat, taxonomy))
}

fn compute_counts(cat: &Catalogue, taxonomy: Taxonomy) -> HashMap<u32, u64> {
    let mut out: HashMap<u32, u64> = HashMap::new();
    match taxonomy {
        // `_wc_term_recount`: published products visible in the catalogue, children rolled into parents.
        Taxonomy::Category => {
            let ancestors = |t: u32| {
                let mut chain = vec![t];
                let mut cur = cat.term(t).map_or(0, |x| x.parent);
                while cur != 0 && chain.len() < 32 {
                    chain.push(cur);
                    cur = cat.term(cur).map_or(0, |x| x.parent);
                }
                chain
            };
            for p in cat.products.iter().filter(|p| p.status == ProductStatus::Publish && !p.visibility.excluded_from_catalog()) {
                let mut seen: Vec<u32> = p.cats.iter().flat_map(|&c| ancestors(c)).collect();
                seen.sort_unstable();
                seen.dedup();
                for c in seen {
                    *out.entry(c).or_default() += 1;
                }
            }
        }
        Taxonomy::Tag => {
            for p in cat.products.iter().filter(|p| p.status == ProductStatus::Publish && !p.visibility.excluded_from_catalog()) {
                for &t in p.tags.iter() {
                    *out.entry(t).or_default() += 1;
                }
            }
        }
        // Attribute terms keep WordPress's own count: published objects with the term.
        Taxonomy::Attribute(attr) => {
            for p in cat.products.iter().filter(|p| p.status == ProductStatus::Publish) {
                for a in p.attrs.iter() {
                    if let AttrSpec::Global { attr_id, terms } = &a.spec {
                        if *attr_id == attr {
                            for &t in terms.iter() {
                                *out.entry(t).or_default() += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Store API category `review_count` for every category at once: `SUM(comment_count)` over the
/// category's and its children's term relationships, so a product in both a parent and a child
/// counts twice (as in WooCommerce).
pub fn category_review_counts(cat: &Catalogue) -> Arc<HashMap<u32, u64>> {
    cached(cat, (3, 0), || compute_review_counts(cat))
}

fn compute_review_counts(cat: &Catalogue) -> HashMap<u32, u64> {
    let mut out: HashMap<u32, u64> = HashMap::new();
    for p in cat.products.iter().filter(|p| p.review_len > 0) {
        for &c in p.cats.iter() {
            // Each relationship counts for its own category and every ancestor.
            let mut cur = c;
            let mut depth = 0;
            while cur != 0 && depth < 32 {
                *out.entry(cur).or_default() += u64::from(p.review_len);
                cur = cat.term(cur).map_or(0, |t| t.parent);
                depth += 1;
            }
        }
    }
    out
}

/// Listing options common to `WP_Term_Query` callers.
pub struct TermListing {
    pub hide_empty: bool,
    pub orderby: String,
    pub desc: bool,
    pub page: u64,
    /// 0 = no limit.
    pub per_page: u64,
}

/// Terms of `taxonomy` matching the request, sorted, with the total before paging.
pub fn list<'a>(
    cat: &'a Catalogue,
    taxonomy: Taxonomy,
    q: &PhpArray,
    opts: &TermListing,
    counts: &HashMap<u32, u64>,
) -> (Vec<&'a Term>, u64) {
    let include = q.get("include").map(wp_parse_id_list).unwrap_or_default();
    let exclude = q.get("exclude").map(wp_parse_id_list).unwrap_or_default();
    let parent = q.get_str("parent").and_then(super::params::php_int);
    let search = q.get_str("search").filter(|s| !s.is_empty());
    let slugs: Vec<String> = q.get("slug").map(super::wp::wp_parse_list).unwrap_or_default();
    let mut terms: Vec<&Term> = cat
        .terms
        .iter()
        .filter(|t| t.taxonomy == taxonomy)
        .filter(|t| include.is_empty() || include.contains(&u64::from(t.id)))
        .filter(|t| !exclude.contains(&u64::from(t.id)))
        .filter(|t| parent.is_none_or(|p| i64::from(t.parent) == p))
        .filter(|t| search.is_none_or(|s| contains_ci(&t.name, s) || contains_ci(&t.slug, s)))
        .filter(|t| slugs.is_empty() || slugs.iter().any(|s| *s == *t.slug))
        .filter(|t| !opts.hide_empty || counts.get(&t.id).copied().unwrap_or(0) > 0)
        .collect();
    let count = |t: &Term| counts.get(&t.id).copied().unwrap_or(0);
    match opts.orderby.as_str() {
        "slug" => terms.sort_by(|a, b| a.slug.cmp(&b.slug)),
        "count" => terms.sort_by_key(|t| count(t)),
        "id" | "term_id" => terms.sort_by_key(|t| t.id),
        "include" => terms.sort_by_key(|t| include.iter().position(|&i| i == u64::from(t.id)).unwrap_or(usize::MAX)),
        // menu_order of attribute terms follows their creation order here.
        "menu_order" | "term_order" | "term_group" => terms.sort_by_key(|t| t.id),
        "description" => terms.sort_by(|a, b| a.description.cmp(&b.description)),
        _ => terms.sort_by_cached_key(|t| t.name.to_ascii_lowercase()),
    }
    if opts.desc {
        terms.reverse();
    }
    let total = terms.len() as u64;
    if opts.per_page > 0 {
        let start = usize::try_from(opts.page.saturating_sub(1).saturating_mul(opts.per_page)).unwrap_or(usize::MAX);
        terms = terms.into_iter().skip(start).take(usize::try_from(opts.per_page).unwrap_or(usize::MAX)).collect();
    }
    (terms, total)
}
