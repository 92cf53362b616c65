//! The recipes of the demo catalogue: its terms, the hand-written products every catalogue starts with (one of each shape the captures show), name tables and the seeded random product recipe.

use super::catalogue::{AttrSpec, Backorders, ProductAttr, ProductStatus, ProductType, Stock, StockStatus, Taxonomy, Term, Visibility};
use super::generate::Rng;
use super::wp::sanitize_title;

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
pub(crate) const SIZES: [u32; 4] = [27, 28, 29, 30];
pub(crate) const COLORS: [u32; 4] = [31, 32, 33, 34];
const CAT_ELECTRONICS: u32 = 35;
const CAT_HEADPHONES: u32 = 36;
const CAT_CHARGERS: u32 = 37;
pub const ATTR_SIZE: u32 = 1;
pub const ATTR_COLOR: u32 = 2;

pub(crate) fn build_terms() -> Vec<Term> {
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
    /// `|`-separated name parts (kept as one string so the tables stay compact).
    adjectives: &'static str,
    middles: &'static str,
    nouns: &'static str,
    price: (u32, u32),
    apparel: bool,
}

const FAMILIES: [Family; 8] = [
    Family {
        cats: &[CAT_TSHIRTS],
        code: "TS",
        adjectives: "Basic|Classic|Vintage|Graphic|Organic|Striped|Heavyweight|Relaxed|Kids|Retro",
        middles: "White|Black|Navy|Heather|Sand|Olive|Dino|Loopback|Sunset|Ocean",
        nouns: "Tee|T-Shirt|V-Neck Tee|Long Sleeve Tee|Pocket Tee|Raglan Tee",
        price: (1200, 3500),
        apparel: true,
    },
    Family {
        cats: &[CAT_HOODIES],
        code: "HD",
        adjectives: "Cozy|Classic|Oversized|Fleece|Organic|Vintage|Team|Trail",
        middles: "Grey|Black|Forest|Navy|Cream|Logo|Rust|Stone",
        nouns: "Hoodie|Zip Hoodie|Pullover|Sweatshirt",
        price: (3900, 7900),
        apparel: true,
    },
    Family {
        cats: &[CAT_CLOTHING],
        code: "CL",
        adjectives: "Wool|Knit|Everyday|Winter|Summer|Trail|Merino|Canvas",
        middles: "Charcoal|Mustard|Navy|Red|Camo|Striped|Plain|Heather",
        nouns: "Beanie|Socks|Scarf|Cap|Jacket|Gloves",
        price: (900, 12900),
        apparel: true,
    },
    Family {
        cats: &[CAT_ACCESSORIES],
        code: "AC",
        adjectives: "Steel|Bamboo|Leather|Canvas|Travel|Compact|Classic|Recycled",
        middles: "Everyday|Pocket|Mini|Pro|Slim|Rugged|Urban|Outdoor",
        nouns: "Water Bottle|Keychain Multitool|Sunglasses|Tote Bag|Phone Case|Wallet|Backpack",
        price: (500, 8900),
        apparel: false,
    },
    Family {
        cats: &[CAT_HOME],
        code: "HK",
        adjectives: "Ceramic|Linen|Oak|Glass|Stoneware|Copper|Enamel|Cast Iron",
        middles: "Morning|Espresso|Farmhouse|Nordic|Rustic|Studio|Harbor|Garden",
        nouns: "Mug|Cups Set|Napkins (Set of 4)|Cutting Board|Tea Towel|French Press|Candle",
        price: (700, 9900),
        apparel: false,
    },
    Family {
        cats: &[CAT_BOOKS],
        code: "BK",
        adjectives: "Rust for BFFs|HTTP Caching|The WooCommerce|Web Performance|Cooking on a Budget|Coffee",
        middles: "Pocket|Complete|Practical|Illustrated|Second Edition|Annotated",
        nouns: "Handbook|Field Guide|Paperback|E-Book|Workbook",
        price: (900, 4900),
        apparel: false,
    },
    Family {
        cats: &[CAT_HEADPHONES],
        code: "HP",
        adjectives: "Wireless|Studio|Noise Cancelling|Sport|Kids|Travel",
        middles: "Lite|Pro|Max|Air|Bass|Mini",
        nouns: "Headphones|Earbuds|Headset",
        price: (2900, 29900),
        apparel: false,
    },
    Family {
        cats: &[CAT_CHARGERS],
        code: "CH",
        adjectives: "Fast|Dual|Travel|Compact|Magnetic|Solar",
        middles: "20W|45W|65W|10000mAh|Wireless|Desk",
        nouns: "USB-C Charger|Charging Pad|Power Bank|Cable",
        price: (900, 7900),
        apparel: false,
    },
];

/// A product recipe before ids are allocated.
pub(crate) struct Spec {
    pub(crate) name: String,
    pub(crate) sku: String,
    pub(crate) kind: ProductType,
    pub(crate) cats: Vec<u32>,
    pub(crate) tags: Vec<u32>,
    pub(crate) image: bool,
    pub(crate) regular: Option<u32>,
    pub(crate) sale: Option<u32>,
    pub(crate) stock: Stock,
    pub(crate) status: ProductStatus,
    pub(crate) visibility: Visibility,
    pub(crate) featured: bool,
    pub(crate) sold_individually: bool,
    pub(crate) is_virtual: bool,
    pub(crate) attrs: Vec<ProductAttr>,
    pub(crate) group_children: Vec<usize>,
    pub(crate) external: Option<(String, String)>,
    pub(crate) ratings: Vec<u8>,
    pub(crate) total_sales: u32,
    pub(crate) weight_g: u32,
    pub(crate) dims: Option<[u16; 3]>,
    pub(crate) low_amount: Option<u32>,
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
pub(crate) fn fixed_specs() -> Vec<Spec> {
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
pub(crate) fn random_spec(seed: u64, index: usize) -> Spec {
    let mut r = Rng::for_index(seed, index as u64);
    let fam = &FAMILIES[r.below(FAMILIES.len() as u64) as usize];
    let name = format!("{} {} {}", r.pick_part(fam.adjectives), r.pick_part(fam.middles), r.pick_part(fam.nouns));
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

/// Reviewer display names (index = `Review::author`).
pub const REVIEWER_NAMES: [&str; 12] = [
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
