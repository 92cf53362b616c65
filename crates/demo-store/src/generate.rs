//! Deterministic catalogue generation: the same seed gives the same ids, slugs, SKUs, prices and reviews on every run and machine.

use std::collections::HashMap;
use std::sync::Mutex;

use super::catalogue::{AttrSpec, Attribute, Backorders, Catalogue, Node, Product, ProductAttr};
use super::catalogue::{ProductType, Review, Stock, Variation};
use super::recipes::{build_terms, fixed_specs, random_spec, Spec, ATTR_COLOR, ATTR_SIZE, COLORS, SIZES};
use super::wp::sanitize_title;

/// First post id (WordPress installs already own a few).
const FIRST_POST_ID: u32 = 10;
/// 2025-06-02T08:00:00Z: every post id is one minute after the previous one.
pub const BASE_TIME: i64 = 1_748_851_200;

pub fn post_time(id: u32) -> i64 {
    BASE_TIME + i64::from(id) * 60
}

/// SplitMix64: tiny, fast and fully specified, so catalogues never change with a crate upgrade.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn for_index(seed: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of the `|`-separated parts of `list`.
    pub(crate) fn pick_part<'a>(&mut self, list: &'a str) -> &'a str {
        let n = list.split('|').count() as u64;
        list.split('|').nth(self.below(n) as usize).unwrap_or("")
    }
}

const REVIEWERS: u64 = super::recipes::REVIEWER_NAMES.len() as u64;

/// Allocation state while building.
struct Builder {
    seed: u64,
    next_id: u32,
    products: Vec<Product>,
    variations: Vec<Variation>,
    reviews: Vec<Review>,
    slug_counts: HashMap<String, u32>,
    /// Grouped products whose children are resolved once every product exists.
    pending_groups: Vec<(usize, Vec<usize>)>,
}

impl Builder {
    fn alloc(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// `wp_unique_post_slug`: a taken slug gets `-2`, `-3`, ...
    fn unique_slug(&mut self, base: &str) -> Box<str> {
        let n = self.slug_counts.entry(base.to_string()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base.into()
        } else {
            format!("{base}-{n}").into()
        }
    }
}

impl Builder {
    fn add(&mut self, index: usize, spec: Spec) {
        let mut r = Rng::for_index(self.seed ^ 0xA5A5_5A5A, index as u64);
        let image = spec.image.then(|| self.alloc());
        let id = self.alloc();
        let slug = self.unique_slug(&sanitize_title(&spec.name));
        let review_start = self.reviews.len() as u32;
        for (k, &rating) in spec.ratings.iter().enumerate() {
            let rid = self.reviews.len() as u32 + 1;
            self.reviews.push(Review {
                id: rid,
                product_id: id,
                rating,
                author: r.below(REVIEWERS) as u16,
                text: r.below(4) as u16,
                verified: r.chance(60),
                created: post_time(id) + (k as i64 + 1) * 86_400,
            });
        }
        let var_start = self.variations.len() as u32;
        if spec.kind == ProductType::Variable {
            self.add_variations(&spec, &slug, &mut r);
        }
        let var_len = (self.variations.len() as u32 - var_start) as u16;
        let created = post_time(id);
        // A variable parent is re-saved ("synced") after its last variation is created.
        let modified = if var_len > 0 { post_time(self.next_id - 1) + 1 } else { created };
        let mut stock = spec.stock;
        stock.low_amount = spec.low_amount;
        if spec.kind == ProductType::Grouped {
            self.pending_groups.push((self.products.len(), spec.group_children));
        }
        self.products.push(Product {
            id,
            kind: spec.kind,
            status: spec.status,
            visibility: spec.visibility,
            featured: spec.featured,
            name: spec.name.into(),
            slug,
            sku: spec.sku.into(),
            cats: spec.cats.into(),
            tags: spec.tags.into(),
            image,
            regular: spec.regular,
            sale: spec.sale,
            stock,
            sold_individually: spec.sold_individually,
            is_virtual: spec.is_virtual,
            weight_g: spec.weight_g,
            dims: spec.dims,
            total_sales: spec.total_sales,
            menu_order: 0,
            created,
            modified,
            attrs: spec.attrs.into(),
            var_start,
            var_len,
            children: Box::new([]),
            external: spec.external.map(|(u, b)| Box::new((u.into(), b.into()))),
            review_start,
            review_len: spec.ratings.len() as u16,
            rating_sum: spec.ratings.iter().map(|&x| u32::from(x)).sum(),
        });
    }

    fn add_variations(&mut self, spec: &Spec, parent_slug: &str, r: &mut Rng) {
        let parent = self.products.len() as u32;
        let dims: Vec<usize> = spec.attrs.iter().map(ProductAttr::option_count).collect();
        let total: usize = dims.iter().product();
        let base = 1200 + r.below(30) as u32 * 100;
        for combo in 0..total {
            let mut rest = combo;
            let mut values = vec![0u16; dims.len()];
            for (slot, d) in values.iter_mut().zip(&dims).rev() {
                *slot = (rest % d) as u16;
                rest /= d;
            }
            let mut sku = spec.sku.clone();
            let mut slug = parent_slug.to_string();
            for (a, &v) in spec.attrs.iter().zip(&values) {
                let label = match &a.spec {
                    AttrSpec::Global { terms, .. } => term_label(terms[v as usize]).to_string(),
                    AttrSpec::Local { options, .. } => options[v as usize].to_string(),
                };
                let code: String = label.chars().filter(char::is_ascii_alphanumeric).take(3).collect();
                sku.push('-');
                sku.push_str(&code.to_ascii_uppercase());
                slug.push('-');
                slug.push_str(&sanitize_title(&label));
            }
            // Larger sizes and heavier packs cost more, like the captured store.
            let step = values.first().copied().unwrap_or(0);
            let regular = base + u32::from(step) * 200;
            let sale = (combo % 3 == 1 && r.chance(40)).then(|| regular * 8 / 10 / 10 * 10);
            let quantity = [10, 10, 2, 0, 25, 7][r.below(6) as usize];
            let id = self.alloc();
            self.variations.push(Variation {
                id,
                parent,
                values: values.into(),
                sku: sku.into(),
                slug: slug.into(),
                regular,
                sale,
                stock: Stock::managed(quantity, Backorders::No),
                created: post_time(id),
                modified: post_time(id),
                weight_g: spec.weight_g,
            });
        }
    }
}

/// Display label of a size/colour term (for SKUs and slugs).
fn term_label(id: u32) -> &'static str {
    match id {
        27 => "S",
        28 => "M",
        29 => "L",
        30 => "XL",
        31 => "Red",
        32 => "Blue",
        33 => "Black",
        34 => "Green",
        _ => "X",
    }
}

/// Builds a catalogue of `products` top-level products for `seed`.
pub fn build(products: usize, seed: u64) -> Catalogue {
    let mut b = Builder {
        seed,
        next_id: FIRST_POST_ID,
        products: Vec::with_capacity(products),
        variations: Vec::new(),
        reviews: Vec::new(),
        slug_counts: HashMap::new(),
        pending_groups: Vec::new(),
    };
    let fixed = fixed_specs();
    let fixed_len = fixed.len();
    for (i, spec) in fixed.into_iter().enumerate().take(products) {
        b.add(i, spec);
    }
    for i in fixed_len..products {
        b.add(i, random_spec(seed, i));
    }
    // Grouped children: only simple products that exist, never the group itself.
    for (gi, kids) in std::mem::take(&mut b.pending_groups) {
        let ids: Vec<u32> = kids
            .into_iter()
            .filter(|&k| k != gi)
            .filter_map(|k| b.products.get(k))
            .filter(|k| matches!(k.kind, ProductType::Simple | ProductType::Variable))
            .map(|k| k.id)
            .collect();
        if let Some(g) = b.products.get_mut(gi) {
            g.children = ids.into();
        }
    }
    finish(b)
}

fn finish(b: Builder) -> Catalogue {
    let mut nodes = vec![Node::None; b.next_id as usize];
    let mut slugs = HashMap::with_capacity(b.products.len() + b.variations.len());
    let mut skus = HashMap::with_capacity(b.products.len() + b.variations.len());
    for (i, p) in b.products.iter().enumerate() {
        nodes[p.id as usize] = Node::Product(i as u32);
        if let Some(img) = p.image {
            nodes[img as usize] = Node::Image(i as u32);
        }
        slugs.insert(p.slug.clone(), p.id);
        skus.insert(p.sku.clone(), p.id);
    }
    for (i, v) in b.variations.iter().enumerate() {
        nodes[v.id as usize] = Node::Variation(i as u32);
        slugs.entry(v.slug.clone()).or_insert(v.id);
        skus.insert(v.sku.clone(), v.id);
    }
    let attributes = vec![
        Attribute { id: ATTR_SIZE, name: "Size".into(), slug: "pa_size".into(), terms: SIZES.to_vec() },
        Attribute { id: ATTR_COLOR, name: "Color".into(), slug: "pa_color".into(), terms: COLORS.to_vec() },
    ];
    let mut terms = build_terms();
    terms.sort_by_key(|t| t.id);
    let last_modified = b.products.iter().map(|p| p.modified).chain(b.variations.iter().map(|v| v.modified)).max().unwrap_or(BASE_TIME);
    Catalogue {
        products: b.products,
        variations: b.variations,
        terms,
        attributes,
        reviews: b.reviews,
        nodes,
        slugs,
        skus,
        last_modified,
        sort_cache: Mutex::new(HashMap::new()),
        term_cache: Mutex::new(HashMap::new()),
    }
}
