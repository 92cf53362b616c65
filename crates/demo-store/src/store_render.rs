//! Store API (`wc/store/v1`) JSON shapes, field for field as WooCommerce 8.9 emits them (see the `store-*` captures).

use serde::Serialize;

use super::catalogue::{AttrSpec, Catalogue, Product, ProductStatus, ProductType, Stock, StockStatus, Term, Variation, DEFAULT_LOW_STOCK};
use super::render::{description, image_urls, permalink, short_description, Currency, Flavour};
use super::wp::esc_url;

#[derive(Serialize)]
pub struct PriceRange {
    pub min_amount: String,
    pub max_amount: String,
}

#[derive(Serialize)]
pub struct Prices {
    pub price: String,
    pub regular_price: String,
    pub sale_price: String,
    pub price_range: Option<PriceRange>,
    #[serde(flatten)]
    pub currency: CurrencyFields,
}

/// `prepare_currency_response` members.
#[derive(Serialize)]
pub struct CurrencyFields {
    pub currency_code: String,
    pub currency_symbol: String,
    pub currency_minor_unit: u32,
    pub currency_decimal_separator: &'static str,
    pub currency_thousand_separator: &'static str,
    pub currency_prefix: String,
    pub currency_suffix: &'static str,
}

impl CurrencyFields {
    pub fn of(c: &Currency) -> CurrencyFields {
        CurrencyFields {
            currency_code: c.code.clone(),
            currency_symbol: c.symbol.clone(),
            currency_minor_unit: c.minor_unit,
            currency_decimal_separator: ".",
            currency_thousand_separator: ",",
            currency_prefix: c.symbol.clone(),
            currency_suffix: "",
        }
    }
}

#[derive(Serialize)]
pub struct Image {
    pub id: u32,
    pub src: String,
    pub thumbnail: String,
    pub srcset: String,
    pub sizes: &'static str,
    pub name: String,
    pub alt: String,
}

#[derive(Serialize)]
pub struct TermRef {
    pub id: u32,
    pub name: String,
    pub slug: String,
    pub link: String,
}

#[derive(Serialize)]
pub struct AttrTerm {
    pub id: u32,
    pub name: String,
    pub slug: String,
    /// Present only when the product sets a default for this attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

#[derive(Serialize)]
pub struct Attr {
    pub id: u32,
    pub name: String,
    pub taxonomy: Option<String>,
    pub has_variations: bool,
    pub terms: Vec<AttrTerm>,
}

#[derive(Serialize)]
pub struct NameValue {
    pub name: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct VariationRef {
    pub id: u32,
    pub attributes: Vec<NameValue>,
}

#[derive(Serialize)]
pub struct AddToCart {
    pub text: String,
    pub description: String,
    pub url: String,
    pub minimum: u32,
    pub maximum: i64,
    pub multiple_of: u32,
}

#[derive(Serialize)]
pub struct Empty {}

#[derive(Serialize)]
pub struct StoreProduct {
    pub id: u32,
    pub name: String,
    pub slug: String,
    pub parent: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub variation: String,
    pub permalink: String,
    pub sku: String,
    pub short_description: String,
    pub description: String,
    pub on_sale: bool,
    pub prices: Prices,
    pub price_html: String,
    pub average_rating: String,
    pub review_count: u16,
    pub images: Vec<Image>,
    pub categories: Vec<TermRef>,
    pub tags: Vec<TermRef>,
    pub attributes: Vec<Attr>,
    pub variations: Vec<VariationRef>,
    pub has_options: bool,
    pub is_purchasable: bool,
    pub is_in_stock: bool,
    pub is_on_backorder: bool,
    pub low_stock_remaining: Option<i64>,
    pub sold_individually: bool,
    pub add_to_cart: AddToCart,
    pub extensions: Empty,
}

/// Rendering context: the home URL as this request sees it and the store currency.
pub struct View<'a> {
    pub cat: &'a Catalogue,
    pub home: &'a str,
    pub currency: &'a Currency,
}

/// `low_stock_remaining`: remaining stock when at or under the threshold.
fn low_stock(stock: &Stock) -> Option<i64> {
    let q = i64::from(stock.quantity.filter(|_| stock.manage)?);
    let threshold = stock.low_amount.map_or(DEFAULT_LOW_STOCK, i64::from);
    (q <= threshold).then_some(q.max(0))
}

/// `QuantityLimits::get_product_quantity_limit`: min of 9999, 1 if sold individually, remaining stock; zeros ignored.
fn max_quantity(stock: &Stock, sold_individually: bool) -> i64 {
    let mut limits = vec![9999i64];
    if sold_individually {
        limits.push(1);
    } else if stock.manage && stock.backorders == super::catalogue::Backorders::No {
        limits.push(i64::from(stock.quantity.unwrap_or(0)));
    }
    limits.into_iter().filter(|&l| l != 0).min().unwrap_or(9999).max(1)
}

impl View<'_> {
    fn money(&self, minor: u32) -> String {
        minor.to_string()
    }

    pub fn image(&self, p: &Product, image_id: u32) -> Image {
        let (src, thumbnail, srcset) = image_urls(self.home, p, image_id);
        Image {
            id: image_id,
            src,
            thumbnail,
            srcset,
            sizes: "(max-width: 800px) 100vw, 800px",
            name: p.name.to_string(),
            alt: p.name.to_string(),
        }
    }

    pub fn term_refs(&self, ids: &[u32]) -> Vec<TermRef> {
        self.cat
            .sorted_terms(ids)
            .into_iter()
            .map(|t: &Term| TermRef {
                id: t.id,
                name: t.name.to_string(),
                slug: t.slug.to_string(),
                link: self.cat.term_link(self.home, t),
            })
            .collect()
    }

    fn attributes(&self, p: &Product) -> Vec<Attr> {
        p.attrs
            .iter()
            .map(|a| match &a.spec {
                AttrSpec::Global { attr_id, terms } => {
                    let attr = self.cat.attribute(*attr_id);
                    Attr {
                        id: *attr_id,
                        name: attr.map(|x| x.name.to_string()).unwrap_or_default(),
                        taxonomy: attr.map(|x| x.slug.to_string()),
                        has_variations: a.variation,
                        terms: terms
                            .iter()
                            .enumerate()
                            .filter_map(|(i, &t)| self.cat.term(t).map(|t| (i, t)))
                            .map(|(i, t)| AttrTerm {
                                id: t.id,
                                name: t.name.to_string(),
                                slug: t.slug.to_string(),
                                default: a.default.map(|d| usize::from(d) == i),
                            })
                            .collect(),
                    }
                }
                AttrSpec::Local { name, options } => Attr {
                    id: 0,
                    name: name.to_string(),
                    taxonomy: None,
                    has_variations: a.variation,
                    terms: options
                        .iter()
                        .enumerate()
                        .map(|(i, o)| AttrTerm {
                            id: 0,
                            name: o.to_string(),
                            slug: o.to_string(),
                            default: a.default.map(|d| usize::from(d) == i),
                        })
                        .collect(),
                },
            })
            .collect()
    }

    /// The `{name, value}` pairs of a variation (slug for global attributes, text for local ones).
    pub fn variation_pairs(&self, v: &Variation) -> Vec<NameValue> {
        let parent = self.cat.parent_of(v);
        parent
            .attrs
            .iter()
            .zip(v.values.iter())
            .map(|(a, &val)| match &a.spec {
                AttrSpec::Global { attr_id, terms } => NameValue {
                    name: self.cat.attribute(*attr_id).map(|x| x.name.to_string()).unwrap_or_default(),
                    value: terms.get(usize::from(val)).and_then(|&t| self.cat.term(t)).map(|t| t.slug.to_string()).unwrap_or_default(),
                },
                AttrSpec::Local { name, options } => {
                    NameValue { name: name.to_string(), value: options.get(usize::from(val)).map(|o| o.to_string()).unwrap_or_default() }
                }
            })
            .collect()
    }

    pub fn product(&self, p: &Product) -> StoreProduct {
        let look = self.cat.lookup(p);
        let link = permalink(self.home, &p.slug);
        let price = look.min_price.unwrap_or(0);
        let (regular, sale, range) = match p.kind {
            ProductType::Variable => {
                let vars = self.cat.variations_of(p);
                let min_reg = vars.iter().map(|v| v.regular).min().unwrap_or(price);
                // Non-sale variations count their regular price as "sale price" (read_price_data).
                let min_sale = vars.iter().map(|v| if v.on_sale() { v.price() } else { v.regular }).min().unwrap_or(price);
                let range = (look.min_price != look.max_price).then(|| PriceRange {
                    min_amount: self.money(look.min_price.unwrap_or(0)),
                    max_amount: self.money(look.max_price.unwrap_or(0)),
                });
                (min_reg, min_sale, range)
            }
            ProductType::Grouped => {
                let range = look
                    .min_price
                    .map(|min| PriceRange { min_amount: self.money(min), max_amount: self.money(look.max_price.unwrap_or(min)) });
                (price, price, range)
            }
            _ => {
                let reg = p.regular.unwrap_or(0);
                (reg, price, None)
            }
        };
        let purchasable = match p.kind {
            ProductType::Grouped | ProductType::External => false,
            _ => p.status == ProductStatus::Publish && look.min_price.is_some(),
        };
        let in_stock = look.stock_status != StockStatus::OutOfStock;
        let name = p.name.to_string();
        let add_to_cart = match p.kind {
            ProductType::External => {
                let (url, text) = p.external.as_deref().map(|(u, t)| (format!("{}{u}", self.home), t.to_string())).unwrap_or_default();
                AddToCart { text: text.clone(), description: text, url, minimum: 1, maximum: 9999, multiple_of: 1 }
            }
            ProductType::Grouped => AddToCart {
                text: "View products".into(),
                description: format!("View products in the &ldquo;{name}&rdquo; group"),
                url: link.clone(),
                minimum: 1,
                maximum: 9999,
                multiple_of: 1,
            },
            ProductType::Variable if purchasable => AddToCart {
                text: "Select options".into(),
                description: format!("Select options for &ldquo;{name}&rdquo;"),
                url: link.clone(),
                minimum: 1,
                maximum: max_quantity(&p.stock, p.sold_individually),
                multiple_of: 1,
            },
            _ if purchasable && in_stock => AddToCart {
                text: "Add to cart".into(),
                description: format!("Add to cart: &ldquo;{name}&rdquo;"),
                url: format!("?add-to-cart={}", p.id),
                minimum: 1,
                maximum: max_quantity(&p.stock, p.sold_individually),
                multiple_of: 1,
            },
            _ => AddToCart {
                text: "Read more".into(),
                description: format!("Read more about &ldquo;{name}&rdquo;"),
                url: link.clone(),
                minimum: 1,
                maximum: max_quantity(&p.stock, p.sold_individually),
                multiple_of: 1,
            },
        };
        StoreProduct {
            id: p.id,
            name,
            slug: p.slug.to_string(),
            parent: 0,
            kind: p.kind.as_str(),
            variation: String::new(),
            permalink: link,
            sku: p.sku.to_string(),
            short_description: short_description(p),
            description: description(p),
            on_sale: look.on_sale,
            prices: Prices {
                price: self.money(price),
                regular_price: self.money(regular),
                sale_price: self.money(sale),
                price_range: range,
                currency: CurrencyFields::of(self.currency),
            },
            price_html: self.cat.price_html(p, self.currency, Flavour::Store),
            average_rating: if p.review_len == 0 { "0".into() } else { format!("{:.2}", self.cat.average_rating(p)) },
            review_count: p.review_len,
            images: p.image.map(|i| self.image(p, i)).into_iter().collect(),
            categories: self.term_refs(&p.cats),
            tags: self.term_refs(&p.tags),
            attributes: self.attributes(p),
            variations: self.cat.variations_of(p).iter().map(|v| VariationRef { id: v.id, attributes: self.variation_pairs(v) }).collect(),
            has_options: p.kind == ProductType::Variable,
            is_purchasable: purchasable,
            is_in_stock: in_stock,
            is_on_backorder: look.stock_status == StockStatus::OnBackorder,
            low_stock_remaining: if p.kind == ProductType::Simple || p.kind == ProductType::External { low_stock(&p.stock) } else { None },
            sold_individually: p.sold_individually,
            add_to_cart,
            extensions: Empty {},
        }
    }

    pub fn variation(&self, v: &Variation) -> StoreProduct {
        let parent = self.cat.parent_of(v);
        let pairs = self.variation_pairs(v);
        let labels = self.cat.variation_labels(v);
        let described: Vec<String> = pairs.iter().zip(&labels).map(|(p, l)| format!("{}: {l}", p.name)).collect();
        let link = self.cat.variation_permalink(self.home, v);
        let purchasable = parent.status == ProductStatus::Publish;
        let in_stock = v.stock.status != StockStatus::OutOfStock;
        let title = format!("{} &#8211; {}", parent.name, labels.join(", "));
        let add_to_cart = if purchasable && in_stock {
            AddToCart {
                text: "Add to cart".into(),
                description: format!("Add to cart: &ldquo;{title}&rdquo;"),
                url: esc_url(&format!("{link}&variation_id={}&add-to-cart={}", v.id, parent.id)),
                minimum: 1,
                maximum: max_quantity(&v.stock, parent.sold_individually),
                multiple_of: 1,
            }
        } else {
            AddToCart {
                text: "Read more".into(),
                description: format!("Read more about &ldquo;{title}&rdquo;"),
                url: esc_url(&link),
                minimum: 1,
                maximum: max_quantity(&v.stock, parent.sold_individually),
                multiple_of: 1,
            }
        };
        StoreProduct {
            id: v.id,
            name: parent.name.to_string(),
            slug: v.slug.to_string(),
            parent: parent.id,
            kind: ProductType::Variation.as_str(),
            variation: described.join(", "),
            permalink: link,
            sku: v.sku.to_string(),
            short_description: String::new(),
            description: String::new(),
            on_sale: v.on_sale(),
            prices: Prices {
                price: self.money(v.price()),
                regular_price: self.money(v.regular),
                sale_price: self.money(v.price()),
                price_range: None,
                currency: CurrencyFields::of(self.currency),
            },
            price_html: self.cat.variation_price_html(v, self.currency, Flavour::Store),
            average_rating: "0".into(),
            review_count: 0,
            images: parent.image.map(|i| self.image(parent, i)).into_iter().collect(),
            categories: Vec::new(),
            tags: Vec::new(),
            attributes: Vec::new(),
            variations: Vec::new(),
            has_options: false,
            is_purchasable: purchasable,
            is_in_stock: in_stock,
            is_on_backorder: v.stock.status == StockStatus::OnBackorder,
            low_stock_remaining: low_stock(&v.stock),
            sold_individually: parent.sold_individually,
            add_to_cart,
            extensions: Empty {},
        }
    }
}
