//! Answering catalogue queries from the replica, with the Store API's semantics as the
//! pass-through path gets them from the store: which products match (visibility, filters, a
//! title-or-SKU substring search), in which order, how many, and the facet counts.

use crate::catalogue::query::NormalisedQuery;
use crate::catalogue::views::{self, AttributeFacet, FacetCount, Facets, Money, PriceRange, RatingFacet, StockFacet, StockStatus};

use roaring::RoaringBitmap;

use super::postings::{Postings, STOCK};
use super::replica::{walk_of, Doc, Replica, IN_CATALOG, IN_SEARCH};

/// A validated query compiled against the replica: every filter as the set of slots it allows.
struct Plan<'r> {
    replica: &'r Replica,
    /// Visibility, search, tags and sale: the filters no facet leaves out.
    base: RoaringBitmap,
    categories: Option<RoaringBitmap>,
    /// (taxonomy, products with one of its asked terms); a product must be in each.
    attributes: Vec<(String, RoaringBitmap)>,
    stock: Option<RoaringBitmap>,
    /// Products whose price meets the bounds, when there are bounds.
    price: Option<RoaringBitmap>,
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

/// The shop's list a query belongs to, as the pass-through path asks the store: its search list
/// for `search=`, its catalogue otherwise.
fn list_of(q: &NormalisedQuery) -> u8 {
    if q.search.is_some() {
        IN_SEARCH
    } else {
        IN_CATALOG
    }
}

impl<'r> Plan<'r> {
    /// `visibility` is the list the answer belongs to: `IN_SEARCH` for a search (`search=` or
    /// `/search`), `IN_CATALOG` otherwise, as the pass-through path asks the store.
    fn new(q: &NormalisedQuery, replica: &'r Replica, visibility: u8) -> Plan<'r> {
        let tax = &replica.taxonomy;
        let post = &replica.postings;
        let mut base = if visibility == IN_SEARCH { post.search.clone() } else { post.catalog.clone() };
        // The store ignores `search=0`; lowercased as the documents' names are.
        if let Some(needle) = q.search.as_deref().filter(|s| *s != "0").map(str::to_ascii_lowercase) {
            if let Some(found) = replica.containing(&needle) {
                base &= &*found;
            }
        }
        if let Some(list) = q.tag.as_deref() {
            base &= Postings::any_of(&post.tags, &tax.resolve(list, false));
        }
        if let Some(on_sale) = q.on_sale {
            if on_sale {
                base &= &post.on_sale;
            } else {
                base -= &post.on_sale;
            }
        }
        let attributes = q
            .attributes
            .iter()
            .filter_map(|(taxonomy, slugs)| {
                // An unknown attribute is no filter at the store; unknown terms match nothing.
                let attr = tax.attribute(taxonomy)?;
                let terms = tax.terms.get(&attr.id).map_or(&[][..], Vec::as_slice);
                let ids: Vec<u64> = slugs.iter().filter_map(|s| terms.iter().find(|t| &t.slug == s).map(|t| t.id)).collect();
                Some((attr.taxonomy.to_ascii_lowercase(), Postings::any_of(&post.terms, &ids)))
            })
            .collect();
        // The store reads a price of 0 as no bound at all.
        let bound = |p: Option<u64>| p.filter(|&p| p > 0).map(|p| i64::try_from(p).unwrap_or(i64::MAX));
        let (min, max) = (bound(q.min_price), bound(q.max_price));
        let price = (min.is_some() || max.is_some()).then(|| post.priced(min, max));
        Plan {
            replica,
            base,
            categories: q.category.as_deref().map(|l| Postings::any_of(&post.categories, &tax.resolve(l, true))),
            attributes,
            stock: q.stock_status.map(|s| post.stock[STOCK.iter().position(|x| *x == stock_of(s)).unwrap_or(0)].clone()),
            price,
        }
    }

    /// The products that match every filter but the one `skip` names.
    fn matching(&self, skip: Skip) -> RoaringBitmap {
        let mut m = self.base.clone();
        let mut and = |set: &RoaringBitmap| m &= set;
        if let Some(p) = self.price.as_ref().filter(|_| skip != Skip::Price) {
            and(p);
        }
        if let Some(c) = self.categories.as_ref().filter(|_| skip != Skip::Category) {
            and(c);
        }
        if let Some(s) = self.stock.as_ref().filter(|_| skip != Skip::Stock) {
            and(s);
        }
        for (tax, set) in &self.attributes {
            if skip != Skip::Attribute(tax) {
                and(set);
            }
        }
        m
    }
}

/// The filters of `/search`, compiled once for its hits and its facets (its list is the shop's
/// search list).
pub struct SearchFilter<'r> {
    plan: Plan<'r>,
    matches: RoaringBitmap,
}

impl<'r> SearchFilter<'r> {
    pub fn new(q: &NormalisedQuery, replica: &'r Replica) -> Self {
        let plan = Plan::new(q, replica, IN_SEARCH);
        let matches = plan.matching(Skip::None);
        SearchFilter { plan, matches }
    }

    /// The slots of `found` (a text search's matches) that pass the filters.
    pub fn among(&self, found: &RoaringBitmap) -> RoaringBitmap {
        &self.matches & found
    }

    /// [`facets`] over only the products in `among` (slots: the matches of the text search).
    pub fn facets_among(mut self, max_categories: usize, among: &RoaringBitmap) -> Facets {
        self.plan.base &= among;
        facets_of(&self.plan, max_categories)
    }
}

/// Slots `skip..skip + take` of `matches` in kept order `walk`. Walks the order while matches
/// are dense enough to fill the page soon; otherwise ranks the matches and picks the page.
fn page_of(replica: &Replica, matches: &RoaringBitmap, (walk, backwards): (usize, bool), skip: usize, take: usize) -> Vec<u32> {
    let total = matches.len() as usize;
    if skip >= total || take == 0 {
        return Vec::new();
    }
    let want = (skip + take).min(total);
    // Positions the walk would visit were the matches spread evenly, against ranking them all.
    let walked = want.saturating_mul(replica.order_len(walk)) / total;
    if walked <= 4 * total {
        let order = replica.order(walk);
        // A long walk tests membership in a plain bit set (one bit test instead of a search in
        // the bitmap's containers per product visited); making it costs a pass over the matches.
        if walked > 2048 {
            let members = Members::of(matches);
            let member = |s: &u32| members.contains(*s);
            return pick(order, backwards, member, skip, take);
        }
        return pick(order, backwards, |s: &u32| matches.contains(*s), skip, take);
    }
    let mut ranked: Vec<(u32, u32)> =
        matches.iter().filter_map(|s| replica.rank(walk, s).map(|r| (if backwards { u32::MAX - r } else { r }, s))).collect();
    if want < ranked.len() {
        ranked.select_nth_unstable(want - 1);
        ranked.truncate(want);
    }
    ranked.sort_unstable();
    ranked.into_iter().skip(skip).map(|(_, s)| s).collect()
}

/// Slots `skip..skip + take` of those in `order` (or its reverse) that are members.
fn pick(order: &[u32], backwards: bool, member: impl Fn(&u32) -> bool, skip: usize, take: usize) -> Vec<u32> {
    if backwards {
        order.iter().rev().copied().filter(|s| member(s)).skip(skip).take(take).collect()
    } else {
        order.iter().copied().filter(|s| member(s)).skip(skip).take(take).collect()
    }
}

/// A slot set as plain bits, for many membership tests.
struct Members(Vec<u64>);

impl Members {
    fn of(set: &RoaringBitmap) -> Self {
        let mut bits = vec![0u64; set.max().map_or(0, |m| m as usize / 64 + 1)];
        for s in set {
            bits[s as usize / 64] |= 1 << (s % 64);
        }
        Members(bits)
    }

    fn contains(&self, s: u32) -> bool {
        self.0.get(s as usize / 64).is_some_and(|w| w >> (s % 64) & 1 == 1)
    }
}

/// `Page<ProductSummary>` as the pass-through path serialises it, from the stored summaries.
pub fn products(replica: &Replica, q: &NormalisedQuery) -> Vec<u8> {
    let matches = Plan::new(q, replica, list_of(q)).matching(Skip::None);
    let skip = (q.page as usize - 1).saturating_mul(q.per_page as usize);
    let take = q.per_page as usize;
    let page = page_of(replica, &matches, walk_of(q.orderby, q.order), skip, take);
    let docs: Vec<&Doc> = page.iter().filter_map(|s| replica.doc(*s)).collect();
    let total = matches.len();
    let total_pages = total.div_ceil(take as u64);
    let tail = format!("],\"page\":{},\"per_page\":{},\"total\":{total},\"total_pages\":{total_pages}}}", q.page, q.per_page);
    const HEAD: &[u8] = b"{\"items\":[";
    // Exactly the size it will be (the answer may be remembered: no slack for the allocator).
    let commas = docs.len().saturating_sub(1);
    let mut body = Vec::with_capacity(HEAD.len() + docs.iter().map(|d| d.summary.len()).sum::<usize>() + commas + tail.len());
    body.extend_from_slice(HEAD);
    for (n, doc) in docs.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&doc.summary);
    }
    body.extend_from_slice(tail.as_bytes());
    body
}

/// `Facets` over the query's filters, counted as the store's collection-data and the
/// pass-through path's per-category probes count them.
pub fn facets(replica: &Replica, q: &NormalisedQuery, max_categories: usize) -> Facets {
    facets_of(&Plan::new(q, replica, list_of(q)), max_categories)
}

fn facets_of(plan: &Plan, max_categories: usize) -> Facets {
    let replica = plan.replica;
    let (tax, post) = (&replica.taxonomy, &replica.postings);

    // Price range: the price filter itself left out.
    let range = post.price_range(&plan.matching(Skip::Price));
    let money = |amount: i64| replica.currency.as_ref().map(|c| Money { amount, currency: c.code.clone(), minor_unit: c.minor_unit });
    let price_range = range.and_then(|(lo, hi)| money(lo).zip(money(hi))).map(|(min, max)| PriceRange { min, max });

    // Categories: the busiest (by the store's own count) with the query's category filter
    // replaced by each in turn; children count for their parents.
    let mut busiest: Vec<_> = tax.categories.iter().collect();
    busiest.sort_by_key(|c| std::cmp::Reverse(c.count));
    busiest.truncate(max_categories);
    let without_category = plan.matching(Skip::Category);
    let categories = busiest
        .iter()
        .map(|c| (c, replica.subtree(c.id).map_or(0, |set| set.intersection_len(&without_category))))
        .filter(|(_, n)| *n > 0)
        .map(|(c, count)| FacetCount { id: c.id, slug: c.slug.clone(), name: views::text(&c.name), count })
        .collect();

    // Attribute terms: each attribute counted without its own filter ("or" counting).
    let mut attributes = Vec::new();
    for attr in &tax.attributes {
        let terms = tax.terms.get(&attr.id).map_or(&[][..], Vec::as_slice);
        let taxonomy = attr.taxonomy.to_ascii_lowercase();
        let among = plan.matching(Skip::Attribute(&taxonomy));
        let terms = terms
            .iter()
            .map(|t| (t, post.terms.get(&t.id).map_or(0, |set| set.intersection_len(&among))))
            .filter(|(_, n)| *n > 0)
            .map(|(t, count)| FacetCount { id: t.id, slug: t.slug.clone(), name: views::text(&t.name), count })
            .collect();
        attributes.push(AttributeFacet { taxonomy: attr.taxonomy.clone(), name: views::text(&attr.name), terms });
    }

    // Stock: every status, the stock filter left out.
    let without_stock = plan.matching(Skip::Stock);
    let stock_status =
        STOCK.iter().zip(&post.stock).map(|(&status, set)| StockFacet { status, count: set.intersection_len(&without_stock) }).collect();

    // Ratings: products with reviews, by rounded average.
    let all = plan.matching(Skip::None);
    let ratings = (1..=5u8)
        .map(|rating| RatingFacet { rating, count: post.ratings[usize::from(rating)].intersection_len(&all) })
        .filter(|r| r.count > 0)
        .collect();

    Facets { price_range, categories, attributes, stock_status, ratings }
}

#[cfg(test)]
mod tests {
    use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};

    use super::*;
    use crate::catalogue::index::replica::{test_doc as doc, Taxonomy, WALKS};

    /// Both ways of picking a page (walking the order, ranking the matches) agree with the
    /// plain definition, for dense and sparse matches, forwards and backwards, after changes.
    #[test]
    fn a_page_is_the_kept_order_with_the_non_matching_left_out() {
        let mut rng = StdRng::seed_from_u64(20);
        let ids: Vec<u64> = (1..=400).collect();
        let orders: Vec<Vec<u64>> = WALKS
            .iter()
            .map(|_| {
                let mut o = ids.clone();
                o.shuffle(&mut rng);
                o
            })
            .collect();
        let mut replica = Replica::build(ids.iter().map(|&id| doc(id, "x")).collect(), &orders, Taxonomy::default(), None);
        replica.remove(7);
        replica.upsert(doc(401, "y"), &[0, 3, 399]);
        for round in 0..400 {
            let density = [0.005, 0.05, 0.5, 1.0][round % 4];
            let matches: RoaringBitmap =
                (0..replica.docs().count() as u32 + 2).filter(|_| rng.gen_bool(density)).filter(|s| replica.doc(*s).is_some()).collect();
            let walk = rng.gen_range(0..WALKS.len());
            let backwards = rng.gen_bool(0.5);
            let (skip, take) = (rng.gen_range(0..60), rng.gen_range(1..30));
            let expected: Vec<u32> = replica.ordered(walk, backwards).filter(|s| matches.contains(*s)).skip(skip).take(take).collect();
            assert_eq!(page_of(&replica, &matches, (walk, backwards), skip, take), expected, "round {round}");
        }
    }

    /// A list answer is written into a buffer of exactly its size: remembered answers are
    /// weighed by their length, and a buffer with slack would hold memory no weigher sees.
    #[test]
    fn a_list_answer_has_no_slack() {
        let docs: Vec<Doc> = (1..=50)
            .map(|id| Doc {
                summary: bytes::Bytes::from(format!("{{\"id\":{id},\"name\":\"{}\"}}", "x".repeat(id as usize))),
                ..doc(id, "x")
            })
            .collect();
        let orders: Vec<Vec<u64>> = WALKS.iter().map(|_| (1..=50).collect()).collect();
        let replica = Replica::build(docs, &orders, Taxonomy::default(), None);
        for per_page in [1, 7, 24, 100] {
            let q = NormalisedQuery { per_page, ..NormalisedQuery::default() };
            let body = products(&replica, &q);
            assert_eq!(body.capacity(), body.len(), "per_page {per_page}");
            let page: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
            assert_eq!(page["items"].as_array().unwrap().len(), per_page.min(50) as usize);
        }
    }

    /// The plain bit set a long walk tests answers what the bitmap does, for every slot.
    #[test]
    fn members_are_the_bitmaps_members() {
        let mut rng = StdRng::seed_from_u64(22);
        for density in [0.0, 0.001, 0.3, 1.0] {
            let set: RoaringBitmap = (0..200_000u32).filter(|_| rng.gen_bool(density)).collect();
            let members = Members::of(&set);
            assert!((0..200_100u32).all(|s| members.contains(s) == set.contains(s)), "density {density}");
        }
    }

    /// The price filter and the facets' price range from the columns and the sorted slots are
    /// the plain definitions, also after products change price or leave.
    #[test]
    fn price_bounds_and_ranges_follow_the_documents() {
        let mut rng = StdRng::seed_from_u64(21);
        let priced = |id: u64, rng: &mut StdRng| {
            let mut d = doc(id, "x");
            if rng.gen_bool(0.9) {
                // Whole hundreds: many products share a price, as marks and bounds often do.
                let lo = rng.gen_range(1..100) * 100;
                (d.min_price, d.max_price) = (Some(lo), Some(lo + rng.gen_range(0..3) * 500));
            }
            d
        };
        // Enough products that each price mark covers dozens and a bound adds some one by one.
        let docs: Vec<Doc> = (1..=3_000).map(|id| priced(id, &mut rng)).collect();
        let mut replica = Replica::build(docs, &[], Taxonomy::default(), None);
        for round in 0..300 {
            let id = rng.gen_range(1..=3_020);
            if rng.gen_bool(0.3) {
                replica.remove(id);
            } else {
                replica.upsert(priced(id, &mut rng), &[]);
            }
            let live: Vec<(u32, &Doc)> = (0..10_000).filter_map(|s| replica.doc(s).map(|d| (s, d))).collect();
            let mut bound =
                || rng.gen_bool(0.5).then(|| if rng.gen_bool(0.5) { rng.gen_range(1..120) * 100 } else { rng.gen_range(1..12_000) });
            let (min, max) = (bound(), bound());
            let want: RoaringBitmap = live
                .iter()
                .filter(|(_, d)| {
                    min.is_none_or(|m| d.max_price.is_some_and(|p| p >= m)) && max.is_none_or(|m| d.min_price.is_some_and(|p| p <= m))
                })
                .map(|(s, _)| *s)
                .collect();
            if min.is_some() || max.is_some() {
                assert_eq!(replica.postings.priced(min, max), want, "round {round}");
            }
            let set: RoaringBitmap = live.iter().map(|(s, _)| *s).filter(|_| rng.gen_bool([0.02, 0.5, 1.0][round % 3])).collect();
            let members = || live.iter().filter(|(s, _)| set.contains(*s)).map(|(_, d)| d);
            let lo = members().filter_map(|d| d.min_price).min();
            let hi = members().filter_map(|d| d.max_price).max();
            assert_eq!(replica.postings.price_range(&set), lo.zip(hi), "round {round}");
        }
    }

    /// The substring search from the grams is exactly `contains` on names and SKUs, also when
    /// remembered across a change.
    #[test]
    fn search_from_grams_is_a_substring_of_name_or_sku() {
        let names = ["red hoodie", "blue hoodie with zip", "beanie", "Ünïcode ß", "logo", "a"];
        let docs: Vec<Doc> = names.iter().enumerate().map(|(i, n)| doc(i as u64 + 1, &n.to_ascii_lowercase())).collect();
        let mut replica = Replica::build(docs, &[], Taxonomy::default(), None);
        let needles = ["hoodie", "ood", "oo", "e", "hoodie with", "ie w", "sku-3", "ku-", "ß", "ünï", "zzz", "hoodiex", "o"];
        for round in 0..3 {
            if round == 2 {
                // After a rename, the remembered answers must not be served.
                replica.upsert(doc(3, "hoodie beanie"), &[]);
                replica.remove(1);
            }
            for needle in needles {
                let got: Vec<u64> = replica.containing(needle).unwrap().iter().filter_map(|s| replica.doc(s).map(|d| d.id)).collect();
                let mut want: Vec<u64> =
                    replica.docs().filter(|d| d.name_lc.contains(needle) || d.sku_lc.contains(needle)).map(|d| d.id).collect();
                want.sort_unstable_by_key(|id| replica.slot(*id));
                assert_eq!(got, want, "{needle:?} in round {round}");
            }
        }
    }
}
