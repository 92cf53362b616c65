//! Store API cart JSON (`CartSchema` of WooCommerce 8.9), field for field as the `store-2x`/`store-3x` captures show it.

use serde::Serialize;

use super::cart_totals::{Item, Priced, PricedLine, Rate};
use super::catalogue::{Backorders, Catalogue, StockStatus};
use super::http::J;
use super::render::Currency;
use super::shop::{Address, Session};
use super::store_render::{StoreProduct, View};

pub(crate) const PAYMENT_METHODS: [&str; 3] = ["cod", "bacs", "cheque"];

pub(crate) fn int(n: u64) -> J {
    J::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

pub(crate) fn money(n: u64) -> J {
    J::Str(n.to_string())
}

/// Any serialisable value as an order-keeping `J` (through bytes: `serde_json::Value` would sort keys).
pub(crate) fn to_j<T: Serialize>(v: &T) -> J {
    serde_json::to_vec(v).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(J::Null)
}

/// Appends the `prepare_currency_response` members.
pub(crate) fn with_currency(j: J, cur: &Currency) -> J {
    j.with("currency_code", cur.code.as_str())
        .with("currency_symbol", cur.symbol.as_str())
        .with("currency_minor_unit", int(cur.minor_unit.into()))
        .with("currency_decimal_separator", ".")
        .with("currency_thousand_separator", ",")
        .with("currency_prefix", cur.symbol.as_str())
        .with("currency_suffix", "")
}

pub(crate) fn address_json(a: &Address, with_email: bool) -> J {
    a.pairs(with_email).into_iter().fold(J::obj(), |j, (k, v)| j.with(k, v))
}

/// The catalogue's Store API rendering of a line's product or variation (images, links, prices).
pub(crate) fn store_product(view: &View<'_>, item: &Item<'_>) -> StoreProduct {
    match item.variation {
        Some(v) => view.variation(v),
        None => view.product(item.product),
    }
}

/// `prices` with `raw_prices` (6-digit precision).
pub(crate) fn prices_json(sp: &StoreProduct, cur: &Currency) -> J {
    let raw = |s: &str| {
        let n: u64 = s.parse().unwrap_or(0);
        J::Str((n * 10u64.pow(6u32.saturating_sub(cur.minor_unit))).to_string())
    };
    let p = &sp.prices;
    with_currency(
        J::obj()
            .with("price", p.price.as_str())
            .with("regular_price", p.regular_price.as_str())
            .with("sale_price", p.sale_price.as_str())
            .with("price_range", J::Null),
        cur,
    )
    .with(
        "raw_prices",
        J::obj()
            .with("precision", J::Int(6))
            .with("price", raw(&p.price))
            .with("regular_price", raw(&p.regular_price))
            .with("sale_price", raw(&p.sale_price)),
    )
}

/// `[line_subtotal, line_subtotal_tax, line_total, line_total_tax]` with currency.
pub(crate) fn line_totals(amounts: [u64; 4], cur: &Currency) -> J {
    with_currency(
        J::obj()
            .with("line_subtotal", money(amounts[0]))
            .with("line_subtotal_tax", money(amounts[1]))
            .with("line_total", money(amounts[2]))
            .with("line_total_tax", money(amounts[3])),
        cur,
    )
}

/// Store API stock flags of an item: (`backorders_allowed`, `show_backorder_badge`).
pub(crate) fn backorder_flags(item: &Item<'_>, quantity: u32) -> (bool, bool) {
    let stock = item.stock();
    let allowed = stock.backorders != Backorders::No;
    let badge = stock.backorders == Backorders::Notify
        && (stock.status == StockStatus::OnBackorder || (stock.manage && i64::from(stock.quantity.unwrap_or(0)) < i64::from(quantity)));
    (allowed, badge)
}

/// The `variation` pairs of a cart line: attribute label and term name, in line-key order.
fn variation_pairs(cat: &Catalogue, l: &PricedLine<'_>) -> J {
    let Some(v) = l.item.variation else {
        return J::Arr(Vec::new());
    };
    let mut all = super::cart::choices(cat, v);
    all.sort_by(|a, b| a.key.cmp(&b.key));
    J::Arr(all.iter().map(|c| J::obj().with("attribute", c.label.as_str()).with("value", c.shown.as_str())).collect())
}

fn item_json(view: &View<'_>, l: &PricedLine<'_>, cur: &Currency) -> J {
    let sp = store_product(view, &l.item);
    let sold_individually = l.item.product.sold_individually;
    let (allowed, badge) = backorder_flags(&l.item, l.line.quantity);
    J::obj()
        .with("key", l.line.key.as_str())
        .with("id", int(l.item.id().into()))
        .with("type", if l.item.variation.is_some() { "variation" } else { "simple" })
        .with("quantity", int(l.line.quantity.into()))
        .with(
            "quantity_limits",
            J::obj()
                .with("minimum", J::Int(1))
                .with("maximum", int(l.item.max_quantity()))
                .with("multiple_of", J::Int(1))
                .with("editable", !sold_individually),
        )
        .with("name", l.item.product.name.to_string())
        .with("short_description", sp.short_description.as_str())
        .with("description", sp.description.as_str())
        .with("sku", l.item.sku())
        .with("low_stock_remaining", sp.low_stock_remaining.map_or(J::Null, J::Int))
        .with("backorders_allowed", allowed)
        .with("show_backorder_badge", badge)
        .with("sold_individually", sold_individually)
        .with("permalink", sp.permalink.as_str())
        .with("images", to_j(&sp.images))
        .with("variation", variation_pairs(view.cat, l))
        .with("item_data", J::Arr(Vec::new()))
        .with("prices", prices_json(&sp, cur))
        .with("totals", line_totals([l.subtotal, l.subtotal_tax, l.total, l.total_tax], cur))
        .with("catalog_visibility", l.item.product.visibility.as_str())
        .with("extensions", J::obj())
}

fn rate_json(rate: &Rate, selected: bool, taxed: bool, items: &str, cur: &Currency) -> J {
    with_currency(
        J::obj()
            .with("rate_id", rate.id)
            .with("name", rate.name)
            .with("description", "")
            .with("delivery_time", "")
            .with("price", money(rate.cost))
            .with("taxes", money(if taxed { super::cart_totals::tax(rate.cost) } else { 0 }))
            .with("instance_id", int(rate.instance))
            .with("method_id", rate.method)
            .with("meta_data", J::Arr(vec![J::obj().with("key", "Items").with("value", items)]))
            .with("selected", selected),
        cur,
    )
}

/// `Basic White Tee &times; 2, Classic T-Shirt - M, Red &times; 1` (the package's item list).
pub(crate) fn package_items_text(cat: &Catalogue, p: &Priced<'_>) -> String {
    p.lines.iter().map(|l| format!("{} &times; {}", l.item.full_name(cat), l.line.quantity)).collect::<Vec<_>>().join(", ")
}

fn shipping_rates(cat: &Catalogue, session: &Session, p: &Priced<'_>, cur: &Currency) -> J {
    if !p.needs_shipping {
        return J::Arr(Vec::new());
    }
    let items_text = package_items_text(cat, p);
    let dest = &session.shipping;
    let destination = J::obj()
        .with("address_1", dest.address_1.as_str())
        .with("address_2", dest.address_2.as_str())
        .with("city", dest.city.as_str())
        .with("state", dest.state.as_str())
        .with("postcode", dest.postcode.as_str())
        .with("country", dest.country.as_str());
    let items = p
        .lines
        .iter()
        .map(|l| {
            J::obj().with("key", l.line.key.as_str()).with("name", l.item.full_name(cat)).with("quantity", int(l.line.quantity.into()))
        })
        .collect();
    let rates = p.rates.iter().enumerate().map(|(i, r)| rate_json(r, i == p.selected, p.taxed, &items_text, cur)).collect();
    J::Arr(vec![J::obj()
        .with("package_id", J::Int(0))
        .with("name", "Shipment 1")
        .with("destination", destination)
        .with("items", J::Arr(items))
        .with("shipping_rates", J::Arr(rates))])
}

fn totals_json(p: &Priced<'_>, cur: &Currency) -> J {
    let opt = |n: u64| if p.needs_shipping { money(n) } else { J::Null };
    let tax_lines = if p.taxed && !p.lines.is_empty() {
        vec![J::obj().with("name", super::cart_totals::TAX_NAME).with("price", money(p.total_tax)).with("rate", "7.25%")]
    } else {
        Vec::new()
    };
    with_currency(
        J::obj()
            .with("total_items", money(p.items_subtotal))
            .with("total_items_tax", money(p.items_subtotal_tax))
            .with("total_fees", "0")
            .with("total_fees_tax", "0")
            .with("total_discount", money(p.discount))
            .with("total_discount_tax", money(p.discount_tax))
            .with("total_shipping", opt(p.shipping))
            .with("total_shipping_tax", opt(p.shipping_tax))
            .with("total_price", money(p.total))
            .with("total_tax", money(p.total_tax))
            .with("tax_lines", J::Arr(tax_lines)),
        cur,
    )
}

pub(crate) fn coupons_json(p: &Priced<'_>, cur: &Currency) -> J {
    J::Arr(
        p.coupons
            .iter()
            .map(|c| {
                J::obj().with("code", c.code.as_str()).with("discount_type", c.kind.as_str()).with(
                    "totals",
                    with_currency(
                        J::obj().with("total_discount", money(c.discount)).with("total_discount_tax", money(c.discount_tax)),
                        cur,
                    ),
                )
            })
            .collect(),
    )
}

/// Problems with the cart as it stands (`get_cart_errors`): stock and purchasability of its lines.
fn errors_json(cat: &Catalogue, p: &Priced<'_>, removed: &[(String, String)]) -> J {
    let mut out = Vec::new();
    for (code, why) in removed {
        out.push(
            J::obj()
                .with("code", "woocommerce_rest_cart_coupon_error")
                .with("message", format!("The \"{code}\" coupon has been removed from your cart: {why}")),
        );
    }
    for l in &p.lines {
        let name = l.item.full_name(cat);
        let stock = l.item.stock();
        let (code, message) = if !l.item.in_stock() {
            (
                "woocommerce_rest_product_out_of_stock",
                format!("{name} is out of stock and cannot be purchased. Please remove it from your cart."),
            )
        } else if stock.manage && stock.backorders == Backorders::No && i64::from(stock.quantity.unwrap_or(0)) < i64::from(l.line.quantity)
        {
            (
                "woocommerce_rest_product_partially_out_of_stock",
                format!("There is not enough {name} in stock. Please reduce the quantity in your cart."),
            )
        } else {
            continue;
        };
        out.push(J::obj().with("code", code).with("message", message));
    }
    J::Arr(out)
}

/// The whole cart response.
pub(crate) fn cart_json(view: &View<'_>, session: &Session, p: &Priced<'_>, removed: &[(String, String)]) -> J {
    let cur = view.currency;
    J::obj()
        .with("items", J::Arr(p.lines.iter().map(|l| item_json(view, l, cur)).collect()))
        .with("coupons", coupons_json(p, cur))
        .with("fees", J::Arr(Vec::new()))
        .with("totals", totals_json(p, cur))
        .with("shipping_address", address_json(&session.shipping, false))
        .with("billing_address", address_json(&session.billing, true))
        .with("needs_payment", p.total > 0)
        .with("needs_shipping", p.needs_shipping)
        .with("payment_requirements", J::Arr(vec![J::from("products")]))
        .with("has_calculated_shipping", p.needs_shipping)
        .with("shipping_rates", shipping_rates(view.cat, session, p, cur))
        .with("items_count", int(p.count))
        .with("items_weight", int(p.weight_g))
        .with("cross_sells", J::Arr(Vec::new()))
        .with("errors", errors_json(view.cat, p, removed))
        .with("payment_methods", J::Arr(PAYMENT_METHODS.iter().map(|&m| J::from(m)).collect()))
        .with("extensions", J::obj())
}
