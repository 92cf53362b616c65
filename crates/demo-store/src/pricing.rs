//! Derived product values WooCommerce keeps in `wc_product_meta_lookup`: active price, sale flag, price range and synced stock status of parents, ratings, on-sale ids.

use super::catalogue::{Catalogue, ItemRef, Product, ProductType, StockStatus, Variation};

/// Active price of a regular/sale pair: the sale price only when it undercuts the regular one.
pub fn active_price(regular: u32, sale: Option<u32>) -> u32 {
    match sale {
        Some(s) if s < regular => s,
        _ => regular,
    }
}

pub fn is_on_sale(regular: u32, sale: Option<u32>) -> bool {
    matches!(sale, Some(s) if s < regular)
}

impl Variation {
    pub fn price(&self) -> u32 {
        active_price(self.regular, self.sale)
    }

    pub fn on_sale(&self) -> bool {
        is_on_sale(self.regular, self.sale)
    }
}

/// Values WooCommerce keeps in `wc_product_meta_lookup` (derived from children for variable/grouped).
#[derive(Debug, Clone, Copy)]
pub struct Lookup {
    pub min_price: Option<u32>,
    pub max_price: Option<u32>,
    pub on_sale: bool,
    pub stock_status: StockStatus,
}

impl Catalogue {
    pub fn lookup(&self, p: &Product) -> Lookup {
        match p.kind {
            ProductType::Variable => {
                let vars = self.variations_of(p);
                let prices = vars.iter().map(Variation::price);
                Lookup {
                    min_price: prices.clone().min(),
                    max_price: prices.max(),
                    on_sale: vars.iter().any(Variation::on_sale),
                    stock_status: synced_status(vars.iter().map(|v| v.stock.status)),
                }
            }
            ProductType::Grouped => {
                let kids: Vec<&Product> = p.children.iter().filter_map(|&id| self.product_by_id(id.into())).collect();
                let prices: Vec<u32> = kids.iter().filter_map(|k| self.lookup(k).min_price).collect();
                Lookup {
                    min_price: prices.iter().copied().min(),
                    max_price: prices.iter().copied().max(),
                    on_sale: kids.iter().any(|k| self.lookup(k).on_sale),
                    stock_status: synced_status(kids.iter().map(|k| self.lookup(k).stock_status)),
                }
            }
            _ => {
                let price = p.regular.map(|r| active_price(r, p.sale));
                Lookup {
                    min_price: price,
                    max_price: price,
                    on_sale: p.regular.is_some_and(|r| is_on_sale(r, p.sale)),
                    stock_status: p.stock.status,
                }
            }
        }
    }

    pub fn item_lookup(&self, item: ItemRef) -> Lookup {
        match item {
            ItemRef::Product(i) => self.lookup(&self.products[i as usize]),
            ItemRef::Variation(i) => {
                let v = &self.variations[i as usize];
                Lookup { min_price: Some(v.price()), max_price: Some(v.price()), on_sale: v.on_sale(), stock_status: v.stock.status }
            }
        }
    }

    /// Average rating as WooCommerce stores it (`_wc_average_rating`).
    pub fn average_rating(&self, p: &Product) -> f64 {
        if p.review_len == 0 {
            0.0
        } else {
            f64::from(p.rating_sum) / f64::from(p.review_len)
        }
    }

    /// `wc_get_product_ids_on_sale()`: on-sale products and variations plus their parents.
    pub fn on_sale_ids(&self) -> Vec<u32> {
        let mut ids = Vec::new();
        for p in &self.products {
            // The lookup table's `onsale` flag: grouped and variable parents follow their children.
            if self.lookup(p).on_sale {
                ids.push(p.id);
            }
            ids.extend(self.variations_of(p).iter().filter(|v| v.on_sale()).map(|v| v.id));
        }
        ids.sort_unstable();
        ids
    }
}

/// Parent status from children: in stock if any child is, else on backorder if any is.
fn synced_status(children: impl Iterator<Item = StockStatus>) -> StockStatus {
    let mut seen_backorder = false;
    let mut any = false;
    for s in children {
        any = true;
        match s {
            StockStatus::InStock => return StockStatus::InStock,
            StockStatus::OnBackorder => seen_backorder = true,
            StockStatus::OutOfStock => {}
        }
    }
    if seen_backorder || !any {
        if any {
            StockStatus::OnBackorder
        } else {
            StockStatus::InStock
        }
    } else {
        StockStatus::OutOfStock
    }
}
