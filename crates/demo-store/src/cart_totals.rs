//! Cart maths as WooCommerce does it for this store: line prices from the live catalogue, coupon discounts spread over lines, one shipping package (flat rate, free shipping with a coupon, local pickup) and the 7.25 % California sales tax.

use super::catalogue::{Backorders, Catalogue, ItemRef, Product, Stock, StockStatus, Variation};
use super::coupons::{Coupon, DiscountType};
use super::pricing::active_price;
use super::shop::{Line, Session};

/// Tax rate in ten-thousandths (7.25 %).
pub(crate) const TAX_BP: u64 = 725;
pub(crate) const TAX_NAME: &str = "CA Sales Tax";
pub(crate) const TAX_CODE: &str = "US-CA-CA SALES TAX-1";

/// Tax on `minor`, rounded half up.
pub(crate) fn tax(minor: u64) -> u64 {
    (minor * TAX_BP + 5_000) / 10_000
}

/// Unrounded tax in major units as WooCommerce stores it in line meta ("1.566", "0.3625").
pub(crate) fn tax_exact(minor: u64, minor_unit: u32) -> String {
    let scaled = minor * TAX_BP; // minor units × 10⁴
    let places = minor_unit + 4;
    let s = super::render::decimal(scaled, places, false);
    let trimmed = s.trim_end_matches('0').trim_end_matches('.');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.to_string()
    }
}

/// A cart line's catalogue side: the product (the parent for variations) and the variation.
#[derive(Clone, Copy)]
pub(crate) struct Item<'a> {
    pub(crate) product: &'a Product,
    pub(crate) variation: Option<&'a Variation>,
}

impl<'a> Item<'a> {
    pub(crate) fn find(cat: &'a Catalogue, line: &Line) -> Option<Item<'a>> {
        Item::of(cat, line.item_id())
    }

    /// The product or variation with this id.
    pub(crate) fn of(cat: &'a Catalogue, id: u32) -> Option<Item<'a>> {
        match cat.item(id.into())? {
            ItemRef::Variation(x) => {
                let v = cat.variations.get(x as usize)?;
                Some(Item { product: cat.parent_of(v), variation: Some(v) })
            }
            ItemRef::Product(p) => Some(Item { product: cat.products.get(p as usize)?, variation: None }),
        }
    }

    pub(crate) fn id(&self) -> u32 {
        self.variation.map_or(self.product.id, |v| v.id)
    }

    pub(crate) fn price(&self) -> Option<u64> {
        match self.variation {
            Some(v) => Some(v.price().into()),
            None => self.product.regular.map(|r| u64::from(active_price(r, self.product.sale))),
        }
    }

    pub(crate) fn stock(&self) -> &'a Stock {
        self.variation.map_or(&self.product.stock, |v| &v.stock)
    }

    pub(crate) fn sku(&self) -> &'a str {
        self.variation.map_or(&self.product.sku, |v| &v.sku)
    }

    pub(crate) fn weight_g(&self) -> u64 {
        self.variation.map_or(self.product.weight_g, |v| v.weight_g).into()
    }

    /// `get_name()`: a variation's title carries its attribute values ("Classic T-Shirt - M, Red").
    pub(crate) fn full_name(&self, cat: &Catalogue) -> String {
        match self.variation {
            Some(v) => format!("{} - {}", self.product.name, cat.variation_labels(v).join(", ")),
            None => self.product.name.to_string(),
        }
    }

    /// `QuantityLimits::get_product_quantity_limit`: 9999, 1 when sold individually, else the stock when it binds.
    pub(crate) fn max_quantity(&self) -> u64 {
        let stock = self.stock();
        let mut limits = vec![9999i64];
        if self.product.sold_individually {
            limits.push(1);
        } else if stock.manage && stock.backorders == Backorders::No {
            limits.push(i64::from(stock.quantity.unwrap_or(0)));
        }
        let m = limits.into_iter().filter(|&l| l != 0).min().unwrap_or(9999);
        u64::try_from(m.max(1)).unwrap_or(1)
    }

    pub(crate) fn in_stock(&self) -> bool {
        self.stock().status != StockStatus::OutOfStock
    }
}

pub(crate) struct PricedLine<'a> {
    pub(crate) line: Line,
    pub(crate) item: Item<'a>,
    pub(crate) subtotal: u64,
    pub(crate) discount: u64,
    pub(crate) total: u64,
    pub(crate) subtotal_tax: u64,
    pub(crate) total_tax: u64,
}

pub(crate) struct PricedCoupon {
    pub(crate) code: String,
    pub(crate) kind: DiscountType,
    pub(crate) nominal: u64,
    pub(crate) coupon_id: u64,
    pub(crate) free_shipping: bool,
    pub(crate) discount: u64,
    pub(crate) discount_tax: u64,
}

#[derive(Clone)]
pub(crate) struct Rate {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) method: &'static str,
    pub(crate) instance: u64,
    pub(crate) cost: u64,
}

/// A cart with every amount worked out.
pub(crate) struct Priced<'a> {
    pub(crate) lines: Vec<PricedLine<'a>>,
    pub(crate) coupons: Vec<PricedCoupon>,
    /// Coupons that no longer apply, with the reason (removed from the session by the caller).
    pub(crate) dropped: Vec<(String, String)>,
    pub(crate) needs_shipping: bool,
    pub(crate) rates: Vec<Rate>,
    pub(crate) selected: usize,
    pub(crate) taxed: bool,
    pub(crate) items_subtotal: u64,
    pub(crate) items_subtotal_tax: u64,
    pub(crate) items_total_tax: u64,
    pub(crate) discount: u64,
    pub(crate) discount_tax: u64,
    pub(crate) shipping: u64,
    pub(crate) shipping_tax: u64,
    pub(crate) total_tax: u64,
    pub(crate) total: u64,
    pub(crate) weight_g: u64,
    pub(crate) count: u64,
}

impl Priced<'_> {
    pub(crate) fn rate(&self) -> Option<&Rate> {
        self.rates.get(self.selected)
    }
}

/// Spreads `amount` over lines in proportion to `weights`, never beyond `room`.
fn spread(amount: u64, weights: &[u64], room: &[u64]) -> Vec<u64> {
    let sum: u64 = weights.iter().sum();
    let amount = amount.min(room.iter().sum());
    if sum == 0 || amount == 0 {
        return vec![0; weights.len()];
    }
    let mut out: Vec<u64> = weights
        .iter()
        .zip(room)
        .map(|(&w, _)| (u128::from(amount) * u128::from(w) / u128::from(sum)) as u64)
        .map(|d| d.min(amount))
        .zip(room)
        .map(|(d, &r)| d.min(r))
        .collect();
    let mut left = amount.saturating_sub(out.iter().sum());
    while left > 0 {
        let before = left;
        for (d, &r) in out.iter_mut().zip(room) {
            if left > 0 && *d < r {
                *d += 1;
                left -= 1;
            }
        }
        if left == before {
            break;
        }
    }
    out
}

fn taxed_address(session: &Session, needs_shipping: bool, rate: Option<&Rate>) -> bool {
    if rate.is_some_and(|r| r.method == "local_pickup") {
        return true; // taxed at the store's base address
    }
    let a = if needs_shipping { &session.shipping } else { &session.billing };
    a.country.eq_ignore_ascii_case("US") && a.state.eq_ignore_ascii_case("CA")
}

/// Prices `session` against the live catalogue. Lines whose product vanished are skipped.
pub(crate) fn price<'a>(cat: &'a Catalogue, session: &Session, coupons: &[Coupon], now: i64, cur: &super::render::Currency) -> Priced<'a> {
    let mut lines: Vec<PricedLine<'a>> = session
        .lines
        .iter()
        .filter_map(|l| {
            let item = Item::find(cat, l)?;
            let unit = item.price().unwrap_or(0);
            let subtotal = unit * u64::from(l.quantity);
            Some(PricedLine { line: l.clone(), item, subtotal, discount: 0, total: subtotal, subtotal_tax: 0, total_tax: 0 })
        })
        .collect();
    let items_subtotal: u64 = lines.iter().map(|l| l.subtotal).sum();
    let mut applied = Vec::new();
    let mut dropped = Vec::new();
    for code in &session.coupons {
        let Some(c) = coupons.iter().find(|c| &c.code == code) else {
            dropped.push((code.clone(), format!("Coupon \"{code}\" does not exist!")));
            continue;
        };
        if let Err(why) = c.check(items_subtotal, now, cur) {
            dropped.push((code.clone(), why));
            continue;
        }
        let weights: Vec<u64> = lines.iter().map(|l| l.subtotal).collect();
        let room: Vec<u64> = lines.iter().map(|l| l.subtotal - l.discount).collect();
        let shares = match c.kind {
            DiscountType::Percent => {
                let want = (u128::from(items_subtotal) * u128::from(c.amount.min(10_000)) + 5_000) / 10_000;
                spread(u64::try_from(want).unwrap_or(u64::MAX), &weights, &room)
            }
            DiscountType::FixedCart => spread(c.amount, &weights, &room),
        };
        let mut discount = 0;
        for (l, d) in lines.iter_mut().zip(&shares) {
            l.discount += d;
            discount += d;
        }
        applied.push(PricedCoupon {
            code: c.code.clone(),
            kind: c.kind,
            nominal: c.amount,
            coupon_id: c.id,
            free_shipping: c.free_shipping,
            discount,
            discount_tax: 0,
        });
    }
    let needs_shipping = lines.iter().any(|l| !l.item.product.is_virtual);
    let mut rates = Vec::new();
    if needs_shipping {
        rates.push(Rate { id: "flat_rate:1", name: "Flat rate", method: "flat_rate", instance: 1, cost: 500 });
        if applied.iter().any(|c| c.free_shipping) {
            rates.push(Rate { id: "free_shipping:2", name: "Free shipping", method: "free_shipping", instance: 2, cost: 0 });
        }
        rates.push(Rate { id: "local_pickup:3", name: "Local pickup", method: "local_pickup", instance: 3, cost: 0 });
    }
    let selected = rates.iter().position(|r| r.id == session.rate).unwrap_or(0);
    let taxed = taxed_address(session, needs_shipping, rates.get(selected));
    for l in &mut lines {
        l.total = l.subtotal - l.discount;
        if taxed {
            l.subtotal_tax = tax(l.subtotal);
            l.total_tax = tax(l.total);
        }
    }
    if taxed {
        for c in &mut applied {
            c.discount_tax = tax(c.discount);
        }
    }
    let shipping = rates.get(selected).map_or(0, |r| r.cost);
    let shipping_tax = if taxed { tax(shipping) } else { 0 };
    let discount: u64 = lines.iter().map(|l| l.discount).sum();
    let items_subtotal_tax: u64 = lines.iter().map(|l| l.subtotal_tax).sum();
    let items_total_tax: u64 = lines.iter().map(|l| l.total_tax).sum();
    let total_tax = items_total_tax + shipping_tax;
    Priced {
        count: lines.iter().map(|l| u64::from(l.line.quantity)).sum(),
        weight_g: lines.iter().map(|l| l.item.weight_g() * u64::from(l.line.quantity)).sum(),
        items_subtotal,
        items_subtotal_tax,
        items_total_tax,
        discount,
        discount_tax: items_subtotal_tax - items_total_tax,
        shipping,
        shipping_tax,
        total_tax,
        total: items_subtotal - discount + shipping + total_tax,
        lines,
        coupons: applied,
        dropped,
        needs_shipping,
        rates,
        selected,
        taxed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreading_keeps_every_cent() {
        assert_eq!(spread(400, &[2400, 1600], &[2400, 1600]), vec![240, 160]);
        assert_eq!(spread(500, &[1, 1, 1], &[1000, 1000, 1000]), vec![167, 167, 166]);
        assert_eq!(spread(500, &[100], &[100]), vec![100]);
        assert_eq!(tax(2160), 157);
        assert_eq!(tax(500), 36);
        assert_eq!(tax_exact(2160, 2), "1.566");
        assert_eq!(tax_exact(500, 2), "0.3625");
        assert_eq!(tax_exact(2400, 2), "1.74");
    }
}
