//! Deterministic catalogue generation: the same seed gives the same ids, slugs, SKUs, prices and reviews on every run and machine.

use std::collections::HashMap;
use std::sync::Mutex;

use super::catalogue::{
    AttrSpec, Attribute, Backorders, Catalogue, Node, Product, ProductAttr, ProductStatus, ProductType, Review, Stock,
    StockStatus, Taxonomy, Term, Variation, Visibility,
};
use super::wp::sanitize_title;

/// First post id (WordPress installs already own a few).
const FIRST_POST_ID: u32 = 10;
/// 2025-06-02T08:00:00Z: every post id is one minute after the previous one.
pub const BASE_TIME: i64 = 1_748_851_200;

pub fn post_time(id: u32) -> i64 {
    BASE_TIME + i64::from(id) * 60
}

/// SplitMix64: tiny, fast and fully specified, so catalogues never change with a crate upgrade.
struct Rng(u64);

impl Rng {
    fn for_index(seed: u64, index: u64) -> Rng {
        let mut r = Rng(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

// Term ids, laid out like a fresh WordPress + WooCommerce install (captures use the same ranges).
const CAT_UNCATEGORIZED: u32 = 15;
const CAT_CLOTHING: u32 = 16;
const CAT_TSHIRTS: u32 = 17;
const CAT_HOODIES: u32 = 18;
const CAT_ACCESSORIES: u32 = 19;
const CAT_HOME: u32 = 20;
const CAT_BOOKS: u32 = 21;
const TAG_NEW: u32 = 22;
const TAG_BESTSELLER: u32 = 23;
const TAG_ECO: u32 = 24;
const TAG_GIFT: u32 = 25;
const TAG_LIMITED: u32 = 26;
const SIZES: [u32; 4] = [27, 28, 29, 30];
const COLORS: [u32; 4] = [31, 32, 33, 34];
const CAT_ELECTRONICS: u32 = 35;
const CAT_HEADPHONES: u32 = 36;
const CAT_CHARGERS: u32 = 37;
pub const ATTR_SIZE: u32 = 1;
pub const ATTR_COLOR: u32 = 2;

fn build_terms() -> Vec<Term> {
    let t = |id, name: &str, slug: &str, parent, taxonomy| Term {
        id,
        name: name.into(),
        slug: slug.into(),
        description: if id == CAT_UNCATEGORIZED { "".into() } else { format!("{name} (demo data)").into() },
        parent,
        taxonomy,
    };
    let (c, g) = (Taxonomy::Category, Taxonomy::Tag);
    let (sz, co) = (Taxonomy::Attribute(ATTR_SIZE), Taxonomy::Attribute(ATTR_COLOR));
    vec![
        t(CAT_UNCATEGORIZED, "Uncategorized", "uncategorized", 0, c),
        t(CAT_CLOTHING, "Clothing", "clothing", 0, c),
        t(CAT_TSHIRTS, "T-Shirts", "t-shirts", CAT_CLOTHING, c),
        t(CAT_HOODIES, "Hoodies", "hoodies", CAT_CLOTHING, c),
        t(CAT_ACCESSORIES, "Accessories", "accessories", 0, c),
        t(CAT_HOME, "Home &amp; Kitchen", "home-kitchen", 0, c),
        t(CAT_BOOKS, "Books", "books", 0, c),
        t(TAG_NEW, "New", "new", 0, g),
        t(TAG_BESTSELLER, "Bestseller", "bestseller", 0, g),
        t(TAG_ECO, "Eco Friendly", "eco-friendly", 0, g),
        t(TAG_GIFT, "Gift Idea", "gift-idea", 0, g),
        t(TAG_LIMITED, "Limited", "limited", 0, g),
        t(27, "S", "s", 0, sz),
        t(28, "M", "m", 0, sz),
        t(29, "L", "l", 0, sz),
        t(30, "XL", "xl", 0, sz),
        t(31, "Red", "red", 0, co),
        t(32, "Blue", "blue", 0, co),
        t(33, "Black", "black", 0, co),
        t(34, "Green", "green", 0, co),
        t(CAT_ELECTRONICS, "Electronics", "electronics", 0, c),
        t(CAT_HEADPHONES, "Headphones", "headphones", CAT_ELECTRONICS, c),
        t(CAT_CHARGERS, "Chargers", "chargers", CAT_ELECTRONICS, c),
    ]
}

/// Name parts per leaf category: (category ids, SKU code, adjectives, middles, nouns).
struct Family {
    cats: &'static [u32],
    code: &'static str,
    adjectives: &'static [&'static str],
    middles: &'static [&'static str],
    nouns: &'static [&'static str],
    price: (u32, u32),
    apparel: bool,
}

const FAMILIES: [Family; 8] = [
    Family {
        cats: &[CAT_TSHIRTS],
        code: "TS",
        adjectives: &["Basic", "Classic", "Vintage", "Graphic", "Organic", "Striped", "Heavyweight", "Relaxed", "Kids", "Retro"],
        middles: &["White", "Black", "Navy", "Heather", "Sand", "Olive", "Dino", "Loopback", "Sunset", "Ocean"],
        nouns: &["Tee", "T-Shirt", "V-Neck Tee", "Long Sleeve Tee", "Pocket Tee", "Raglan Tee"],
        price: (1200, 3500),
        apparel: true,
    },
    Family {
        cats: &[CAT_HOODIES],
        code: "HD",
        adjectives: &["Cozy", "Classic", "Oversized", "Fleece", "Organic", "Vintage", "Team", "Trail"],
        middles: &["Grey", "Black", "Forest", "Navy", "Cream", "Logo", "Rust", "Stone"],
        nouns: &["Hoodie", "Zip Hoodie", "Pullover", "Sweatshirt"],
        price: (3900, 7900),
        apparel: true,
    },
    Family {
        cats: &[CAT_CLOTHING],
        code: "CL",
        adjectives: &["Wool", "Knit", "Everyday", "Winter", "Summer", "Trail", "Merino", "Canvas"],
        middles: &["Charcoal", "Mustard", "Navy", "Red", "Camo", "Striped", "Plain", "Heather"],
        nouns: &["Beanie", "Socks", "Scarf", "Cap", "Jacket", "Gloves"],
        price: (900, 12900),
        apparel: true,
    },
    Family {
        cats: &[CAT_ACCESSORIES],
        code: "AC",
        adjectives: &["Steel", "Bamboo", "Leather", "Canvas", "Travel", "Compact", "Classic", "Recycled"],
        middles: &["Everyday", "Pocket", "Mini", "Pro", "Slim", "Rugged", "Urban", "Outdoor"],
        nouns: &["Water Bottle", "Keychain Multitool", "Sunglasses", "Tote Bag", "Phone Case", "Wallet", "Backpack"],
        price: (500, 8900),
        apparel: false,
    },
    Family {
        cats: &[CAT_HOME],
        code: "HK",
        adjectives: &["Ceramic", "Linen", "Oak", "Glass", "Stoneware", "Copper", "Enamel", "Cast Iron"],
        middles: &["Morning", "Espresso", "Farmhouse", "Nordic", "Rustic", "Studio", "Harbor", "Garden"],
        nouns: &["Mug", "Cups Set", "Napkins (Set of 4)", "Cutting Board", "Tea Towel", "French Press", "Candle"],
        price: (700, 9900),
        apparel: false,
    },
    Family {
        cats: &[CAT_BOOKS],
        code: "BK",
        adjectives: &["Rust for BFFs", "HTTP Caching", "The WooCommerce", "Web Performance", "Cooking on a Budget", "Coffee"],
        middles: &["Pocket", "Complete", "Practical", "Illustrated", "Second Edition", "Annotated"],
        nouns: &["Handbook", "Field Guide", "Paperback", "E-Book", "Workbook"],
        price: (900, 4900),
        apparel: false,
    },
    Family {
        cats: &[CAT_HEADPHONES],
        code: "HP",
        adjectives: &["Wireless", "Studio", "Noise Cancelling", "Sport", "Kids", "Travel"],
        middles: &["Lite", "Pro", "Max", "Air", "Bass", "Mini"],
        nouns: &["Headphones", "Earbuds", "Headset"],
        price: (2900, 29900),
        apparel: false,
    },
    Family {
        cats: &[CAT_CHARGERS],
        code: "CH",
        adjectives: &["Fast", "Dual", "Travel", "Compact", "Magnetic", "Solar"],
        middles: &["20W", "45W", "65W", "10000mAh", "Wireless", "Desk"],
        nouns: &["USB-C Charger", "Charging Pad", "Power Bank", "Cable"],
        price: (900, 7900),
        apparel: false,
    },
];

const REVIEWERS: usize = 12;

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

/// A product recipe before ids are allocated.
struct Spec {
    name: String,
    sku: String,
    kind: ProductType,
    cats: Vec<u32>,
    tags: Vec<u32>,
    image: bool,
    regular: Option<u32>,
    sale: Option<u32>,
    stock: Stock,
    status: ProductStatus,
    visibility: Visibility,
    featured: bool,
    sold_individually: bool,
    is_virtual: bool,
    attrs: Vec<ProductAttr>,
    group_children: Vec<usize>,
    external: Option<(String, String)>,
    ratings: Vec<u8>,
    total_sales: u32,
    weight_g: u32,
    dims: Option<[u16; 3]>,
    low_amount: Option<u32>,
}

impl Spec {
    fn simple(name: &str, sku: &str, cats: &[u32], regular: u32) -> Spec {
        Spec {
            name: name.into(),
            sku: sku.into(),
            kind: ProductType::Simple,
            cats: cats.to_vec(),
            tags: vec![],
            image: true,
            regular: Some(regular),
            sale: None,
            stock: Stock::unmanaged(StockStatus::InStock),
            status: ProductStatus::Publish,
            visibility: Visibility::Visible,
            featured: false,
            sold_individually: false,
            is_virtual: false,
            attrs: vec![],
            group_children: vec![],
            external: None,
            ratings: vec![],
            total_sales: 0,
            weight_g: 400,
            dims: None,
            low_amount: None,
        }
    }
}

fn global(attr_id: u32, terms: &[u32], default: Option<u16>) -> ProductAttr {
    ProductAttr { spec: AttrSpec::Global { attr_id, terms: terms.into() }, variation: true, default }
}

fn local(name: &str, options: &[&str], default: Option<u16>) -> ProductAttr {
    ProductAttr {
        spec: AttrSpec::Local { name: name.into(), options: options.iter().map(|o| Box::<str>::from(*o)).collect() },
        variation: true,
        default,
    }
}

/// The hand-written head of every catalogue: one of each shape the captures show.
fn fixed_specs() -> Vec<Spec> {
    let mut v = Vec::new();
    let mut tee = Spec::simple("Classic T-Shirt", "DS-VTS", &[CAT_CLOTHING, CAT_TSHIRTS], 0);
    tee.kind = ProductType::Variable;
    tee.regular = None;
    tee.tags = vec![TAG_BESTSELLER];
    tee.attrs = vec![global(ATTR_SIZE, &SIZES, Some(1)), global(ATTR_COLOR, &COLORS[..3], Some(1))];
    tee.ratings = vec![3];
    tee.total_sales = 120;
    v.push(tee);
    let mut hoodie = Spec::simple("Hoodie with Logo", "DS-VHD", &[CAT_CLOTHING, CAT_HOODIES], 0);
    hoodie.kind = ProductType::Variable;
    hoodie.regular = None;
    hoodie.tags = vec![TAG_ECO, TAG_NEW];
    hoodie.attrs = vec![global(ATTR_SIZE, &SIZES[..3], Some(1)), local("Material", &["Cotton", "Recycled Polyester"], None)];
    v.push(hoodie);
    let mut beans = Spec::simple("Coffee Beans", "DS-VCB", &[CAT_HOME], 0);
    beans.kind = ProductType::Variable;
    beans.regular = None;
    beans.tags = vec![TAG_BESTSELLER];
    beans.attrs = vec![local("Weight", &["250g", "1kg"], Some(0))];
    v.push(beans);
    let mut bundle = Spec::simple("Coffee Lover Bundle", "DS-GRP-001", &[CAT_HOME], 0);
    bundle.kind = ProductType::Grouped;
    bundle.regular = None;
    bundle.image = false;
    bundle.group_children = vec![4, 5, 2];
    v.push(bundle);
    let mut mug = Spec::simple("Ceramic Mug", "DS-HK-001", &[CAT_HOME], 1200);
    mug.total_sales = 80;
    v.push(mug);
    let mut cups = Spec::simple("Espresso Cups Set", "DS-HK-002", &[CAT_HOME], 3800);
    cups.stock = Stock::managed(0, Backorders::No);
    v.push(cups);
    let mut ext = Spec::simple("Partner Espresso Machine", "DS-EXT-001", &[CAT_HOME], 49900);
    ext.kind = ProductType::External;
    ext.image = false;
    ext.external = Some(("/partner-espresso-machine".into(), "Buy at partner".into()));
    v.push(ext);
    let mut white = Spec::simple("Basic White Tee", "DS-TS-001", &[CAT_TSHIRTS], 1500);
    white.sale = Some(1200);
    white.stock = Stock::managed(48, Backorders::No);
    white.tags = vec![TAG_BESTSELLER];
    white.ratings = vec![5, 4];
    white.total_sales = 300;
    white.featured = true;
    v.push(white);
    let mut graphic = Spec::simple("Graphic Tee Loopback", "DS-TS-002", &[CAT_TSHIRTS], 2200);
    graphic.stock = Stock::managed(2, Backorders::No);
    graphic.tags = vec![TAG_LIMITED, TAG_NEW];
    v.push(graphic);
    let mut dino = Spec::simple("Kids Dino Tee", "DS-TS-005", &[CAT_TSHIRTS], 1250);
    dino.stock = Stock::managed(0, Backorders::No);
    dino.tags = vec![TAG_GIFT];
    v.push(dino);
    let mut bottle = Spec::simple("Steel Water Bottle", "DS-AC-004", &[CAT_ACCESSORIES], 2400);
    bottle.stock = Stock::managed(3, Backorders::No);
    bottle.low_amount = Some(5);
    bottle.tags = vec![TAG_ECO];
    v.push(bottle);
    let mut hidden = Spec::simple("Hidden Test Product", "DS-HID-001", &[CAT_ACCESSORIES], 100);
    hidden.visibility = Visibility::Hidden;
    hidden.image = false;
    v.push(hidden);
    let mut private = Spec::simple("Private Test Product", "DS-PRV-001", &[CAT_ACCESSORIES], 100);
    private.status = ProductStatus::Private;
    private.image = false;
    v.push(private);
    let mut beanie = Spec::simple("Backorder Beanie", "DS-CL-001", &[CAT_CLOTHING], 1900);
    beanie.stock = Stock::managed(0, Backorders::Notify);
    v.push(beanie);
    let mut book = Spec::simple("Rust for BFFs (Paperback)", "DS-BK-001", &[CAT_BOOKS], 3900);
    book.stock = Stock::managed(19, Backorders::No);
    book.tags = vec![TAG_NEW];
    book.image = false;
    v.push(book);
    let mut ebook = Spec::simple("E-Book: HTTP Caching", "DS-BK-004", &[CAT_BOOKS], 900);
    ebook.sold_individually = true;
    ebook.is_virtual = true;
    ebook.image = false;
    ebook.weight_g = 0;
    v.push(ebook);
    v
}

/// A pseudo-random product for position `index` (always the same for a seed).
fn random_spec(seed: u64, index: usize) -> Spec {
    let mut r = Rng::for_index(seed, index as u64);
    let fam = &FAMILIES[r.below(FAMILIES.len() as u64) as usize];
    let name = format!("{} {} {}", r.pick(fam.adjectives), r.pick(fam.middles), r.pick(fam.nouns));
    let n = index + 1;
    let roll = r.below(100);
    let (lo, hi) = fam.price;
    let mut regular = (lo + r.below(u64::from(hi - lo) / 50) as u32 * 50).max(100);
    if r.chance(25) {
        regular -= 1; // x.99 prices
    }
    let mut s = Spec::simple(&name, &format!("DS-{}-{n:06}", fam.code), fam.cats, regular);
    if fam.cats == [CAT_TSHIRTS] && r.chance(30) {
        s.cats = vec![CAT_CLOTHING, CAT_TSHIRTS];
    }
    s.image = r.chance(85);
    s.total_sales = r.below(400) as u32;
    s.featured = r.chance(5);
    s.weight_g = 100 + r.below(19) as u32 * 100;
    if r.chance(40) {
        s.dims = Some([10 + r.below(30) as u16, 10 + r.below(20) as u16, 2 + r.below(10) as u16]);
    }
    for tag in [TAG_NEW, TAG_BESTSELLER, TAG_ECO, TAG_GIFT, TAG_LIMITED] {
        if r.chance(14) {
            s.tags.push(tag);
        }
    }
    if r.chance(30) {
        let count = 1 + r.below(6);
        s.ratings = (0..count).map(|_| [5, 5, 4, 4, 4, 3, 2, 1][r.below(8) as usize]).collect();
    }
    if roll < 10 {
        s.kind = ProductType::Variable;
        s.regular = None;
        s.sku = format!("DS-V{}-{n:06}", fam.code);
        s.attrs = if fam.apparel {
            let sizes = 2 + r.below(3) as usize;
            let colors = 1 + r.below(3) as usize;
            vec![global(ATTR_SIZE, &SIZES[..sizes], Some(r.below(sizes as u64) as u16)), global(ATTR_COLOR, &COLORS[..colors], None)]
        } else {
            vec![global(ATTR_COLOR, &COLORS[..2 + r.below(3) as usize], None)]
        };
    } else if roll == 10 {
        s.kind = ProductType::Grouped;
        s.regular = None;
        s.sku = format!("DS-GRP-{n:06}");
        s.group_children = vec![index.saturating_sub(1), index.saturating_sub(2), index.saturating_sub(3)];
    } else if roll == 11 {
        s.kind = ProductType::External;
        s.sku = format!("DS-EXT-{n:06}");
        s.external = Some((format!("/partners/{}", sanitize_title(&name)), "Buy from partner".into()));
    } else {
        if r.chance(18) {
            let pct = 60 + r.below(31) as u32;
            s.sale = Some((regular * pct / 100 / 10 * 10).max(50).min(regular - 1));
        }
        let stock_roll = r.below(100);
        s.stock = match stock_roll {
            0..=67 => Stock::unmanaged(StockStatus::InStock),
            68..=84 => Stock::managed(3 + r.below(58) as i32, Backorders::No),
            85..=88 => Stock::managed(1 + r.below(2) as i32, Backorders::No),
            89..=91 => Stock::managed(0, Backorders::No),
            92..=94 => Stock::unmanaged(StockStatus::OutOfStock),
            95..=97 => Stock::managed(0, Backorders::Notify),
            _ => Stock::unmanaged(StockStatus::OnBackorder),
        };
        s.sold_individually = r.chance(3);
        if fam.code == "BK" && r.chance(40) {
            s.is_virtual = true;
            s.weight_g = 0;
        }
    }
    s
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
                author: (r.below(REVIEWERS as u64)) as u16,
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
    }
}

/// Reviewer display names (index = `Review::author`).
pub const REVIEWER_NAMES: [&str; REVIEWERS] = [
    "Jane Doe",
    "Sam Lee",
    "Ana Souza",
    "Kenji Ito",
    "Priya Patel",
    "Tom Becker",
    "Li Wei",
    "Fatima Khan",
    "Oliver Smith",
    "Maya Cohen",
    "Lukas Novak",
    "Amara Obi",
];

/// Review text by rating (1..=5) and `Review::text`.
pub fn review_text(rating: u8, variant: u16) -> &'static str {
    const TEXTS: [[&str; 4]; 5] = [
        ["Broke after a week.", "Not as described.", "Would not buy again.", "Very disappointing."],
        ["Quality could be better.", "Smaller than expected.", "Arrived late and scratched.", "Meh."],
        ["Does the job.", "Okay for the price.", "Average, nothing special.", "Fine, but the colour is off."],
        ["Good value, fast delivery.", "Nice quality, fits well.", "Happy with it.", "Solid, would recommend."],
        ["Love it, would buy again!", "Excellent quality.", "Perfect gift, thank you.", "Best purchase this year."],
    ];
    let r = usize::from(rating.clamp(1, 5)) - 1;
    TEXTS[r][usize::from(variant) % 4]
}
