//! Orders: the record a checkout leaves (line items, coupon, shipping and tax lines with their ids), built from a priced cart, and its Store API views (`/checkout` answers and the guest `/order/{id}`).

use rand::distributions::Alphanumeric;
use rand::Rng;

use super::cart::choices;
use super::cart_render::{address_json, backorder_flags, int, line_totals, money, prices_json, store_product, to_j, with_currency};
use super::cart_totals::{Item, Priced, TAX_CODE};
use super::catalogue::Catalogue;
use super::coupons::DiscountType;
use super::http::J;
use super::shop::{Address, ShopData};
use super::store_render::View;

/// A chosen attribute stored on a line item: meta id, `pa_color`, `red`, "Color", "Red".
#[derive(Debug, Clone)]
pub(crate) struct LineMeta {
    pub(crate) id: u64,
    pub(crate) key: String,
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) shown: String,
}

#[derive(Debug, Clone)]
pub(crate) struct OrderLine {
    pub(crate) id: u64,
    pub(crate) product_id: u32,
    pub(crate) variation_id: u32,
    pub(crate) name: String,
    pub(crate) parent_name: Option<String>,
    pub(crate) sku: String,
    pub(crate) quantity: u32,
    pub(crate) subtotal: u64,
    pub(crate) subtotal_tax: u64,
    pub(crate) total: u64,
    pub(crate) total_tax: u64,
    /// Sorted by meta key, as the captures list them.
    pub(crate) meta: Vec<LineMeta>,
    /// `_reduced_stock` meta (id, quantity) once stock was reduced.
    pub(crate) reduced: Option<(u64, u32)>,
}

impl OrderLine {
    pub(crate) fn item_id(&self) -> u32 {
        if self.variation_id != 0 {
            self.variation_id
        } else {
            self.product_id
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct OrderCoupon {
    pub(crate) id: u64,
    pub(crate) meta_id: u64,
    pub(crate) coupon_id: u64,
    pub(crate) code: String,
    pub(crate) kind: DiscountType,
    pub(crate) nominal: u64,
    pub(crate) discount: u64,
    pub(crate) discount_tax: u64,
    pub(crate) free_shipping: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct OrderShipping {
    pub(crate) id: u64,
    pub(crate) meta_id: u64,
    pub(crate) title: String,
    pub(crate) method: String,
    pub(crate) instance: u64,
    pub(crate) total: u64,
    pub(crate) tax: u64,
    pub(crate) items: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) id: u64,
    pub(crate) key: String,
    pub(crate) status: String,
    pub(crate) created: i64,
    pub(crate) modified: i64,
    pub(crate) completed: Option<i64>,
    pub(crate) paid: Option<i64>,
    pub(crate) billing: Address,
    pub(crate) shipping: Address,
    pub(crate) payment_method: String,
    pub(crate) customer_note: String,
    pub(crate) lines: Vec<OrderLine>,
    pub(crate) coupons: Vec<OrderCoupon>,
    pub(crate) shipping_line: Option<OrderShipping>,
    pub(crate) tax_line_id: Option<u64>,
    pub(crate) subtotal: u64,
    pub(crate) discount: u64,
    pub(crate) discount_tax: u64,
    pub(crate) shipping_total: u64,
    pub(crate) shipping_tax: u64,
    /// Tax on the line items after discounts (`cart_tax`).
    pub(crate) cart_tax: u64,
    pub(crate) total_tax: u64,
    pub(crate) total: u64,
    pub(crate) needs_shipping: bool,
    pub(crate) cart_hash: String,
    pub(crate) meta_ids: Vec<u64>,
    pub(crate) user_agent: String,
    /// The customer (user id) the order belongs to; 0 for guests.
    pub(crate) customer_id: u64,
    /// `store-api` for checkouts, `rest-api` for orders created through REST v3.
    pub(crate) created_via: String,
    /// Meta set through REST v3 `meta_data` (meta id, key, value), listed after the internal hashes.
    pub(crate) custom_meta: Vec<(u64, String, String)>,
}

/// `wc_generate_order_key`: `wc_order_` and 13 letters/digits.
fn order_key() -> String {
    let tail: String = rand::thread_rng().sample_iter(&Alphanumeric).take(13).map(char::from).collect();
    format!("wc_order_{tail}")
}

pub(crate) fn payment_title(method: &str) -> &'static str {
    match method {
        "cod" => "Cash on delivery",
        "bacs" => "Direct bank transfer",
        "cheque" => "Check payments",
        _ => "",
    }
}

impl Order {
    /// A new `checkout-draft` order with the next post id.
    pub(crate) fn draft(data: &mut ShopData, now: i64) -> Order {
        let id = data.next_post_id;
        data.next_post_id += 1;
        let meta_ids = (0..5).map(|_| data.meta_id()).collect();
        Order {
            id,
            key: order_key(),
            status: "checkout-draft".into(),
            created: now,
            modified: now,
            completed: None,
            paid: None,
            billing: Address::default(),
            shipping: Address::default(),
            payment_method: String::new(),
            customer_note: String::new(),
            lines: Vec::new(),
            coupons: Vec::new(),
            shipping_line: None,
            tax_line_id: None,
            subtotal: 0,
            discount: 0,
            discount_tax: 0,
            shipping_total: 0,
            shipping_tax: 0,
            cart_tax: 0,
            total_tax: 0,
            total: 0,
            needs_shipping: false,
            cart_hash: String::new(),
            meta_ids,
            user_agent: String::new(),
            customer_id: 0,
            created_via: "store-api".into(),
            custom_meta: Vec::new(),
        }
    }

    /// Replaces the order's contents with the priced cart (line items get fresh ids, as WooCommerce re-creates them).
    pub(crate) fn fill(&mut self, data: &mut ShopData, cat: &Catalogue, p: &Priced<'_>, now: i64) {
        self.lines = p
            .lines
            .iter()
            .map(|l| {
                let id = data.item_id();
                let mut meta: Vec<LineMeta> = l
                    .item
                    .variation
                    .map(|v| choices(cat, v))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| LineMeta { id: 0, key: c.name, value: c.slug, label: c.label, shown: c.shown })
                    .collect();
                meta.sort_by(|a, b| a.key.cmp(&b.key));
                for m in &mut meta {
                    m.id = data.meta_id();
                }
                OrderLine {
                    id,
                    product_id: l.line.product_id,
                    variation_id: l.line.variation_id,
                    name: l.item.full_name(cat),
                    parent_name: l.item.variation.map(|_| l.item.product.name.to_string()),
                    sku: l.item.sku().to_string(),
                    quantity: l.line.quantity,
                    subtotal: l.subtotal,
                    subtotal_tax: l.subtotal_tax,
                    total: l.total,
                    total_tax: l.total_tax,
                    meta,
                    reduced: None,
                }
            })
            .collect();
        self.shipping_line = p.rate().map(|r| OrderShipping {
            id: data.item_id(),
            meta_id: data.meta_id(),
            title: r.name.to_string(),
            method: r.method.to_string(),
            instance: r.instance,
            total: r.cost,
            tax: p.shipping_tax,
            items: super::cart_render::package_items_text(cat, p),
        });
        self.coupons = p
            .coupons
            .iter()
            .map(|c| OrderCoupon {
                id: data.item_id(),
                meta_id: data.meta_id(),
                coupon_id: c.coupon_id,
                code: c.code.clone(),
                kind: c.kind,
                nominal: c.nominal,
                discount: c.discount,
                discount_tax: c.discount_tax,
                free_shipping: c.free_shipping,
            })
            .collect();
        self.tax_line_id = p.taxed.then(|| data.item_id());
        self.subtotal = p.items_subtotal;
        self.discount = p.discount;
        self.discount_tax = p.discount_tax;
        self.shipping_total = p.shipping;
        self.shipping_tax = p.shipping_tax;
        self.cart_tax = p.items_total_tax;
        self.total_tax = p.total_tax;
        self.total = p.total;
        self.needs_shipping = p.needs_shipping;
        let sig: Vec<String> = p.lines.iter().map(|l| format!("{}:{}", l.line.key, l.line.quantity)).collect();
        self.cart_hash = super::tokens::md5_hex(sig.join(",").as_bytes());
        self.modified = now;
    }

    pub(crate) fn needs_payment(&self) -> bool {
        matches!(self.status.as_str(), "pending" | "failed") && self.total > 0
    }

    /// `/checkout` answer (the draft from `GET`, the placed order from `POST`).
    pub(crate) fn checkout_json(&self, home: &str) -> J {
        let (status, details, redirect) = if self.status == "checkout-draft" {
            (String::new(), Vec::new(), String::new())
        } else {
            let url = format!("{home}/checkout/order-received/{}/?key={}", self.id, self.key);
            (
                "success".to_string(),
                vec![J::obj().with("key", "result").with("value", "success"), J::obj().with("key", "redirect").with("value", url.as_str())],
                url,
            )
        };
        J::obj()
            .with("order_id", int(self.id))
            .with("status", self.status.as_str())
            .with("order_key", self.key.as_str())
            .with("order_number", self.id.to_string())
            .with("customer_note", self.customer_note.as_str())
            .with("customer_id", J::Int(0))
            .with("billing_address", address_json(&self.billing, true))
            .with("shipping_address", address_json(&self.shipping, false))
            .with("payment_method", self.payment_method.as_str())
            .with(
                "payment_result",
                J::obj().with("payment_status", status).with("payment_details", J::Arr(details)).with("redirect_url", redirect),
            )
            .with("additional_fields", J::Arr(Vec::new()))
            .with("extensions", J::obj())
    }

    fn store_item(&self, view: &View<'_>, l: &OrderLine) -> J {
        let cur = view.currency;
        let item = Item::of(view.cat, l.item_id());
        let sp = item.map(|i| store_product(view, &i));
        let (allowed, badge) = item.map_or((false, false), |i| backorder_flags(&i, l.quantity));
        let mut by_product_order: Vec<&LineMeta> = l.meta.iter().collect();
        if let Some(v) = item.and_then(|i| i.variation) {
            let order: Vec<String> = choices(view.cat, v).into_iter().map(|c| c.name).collect();
            by_product_order.sort_by_key(|m| order.iter().position(|k| *k == m.key));
        }
        let item_data = if l.meta.is_empty() {
            J::Arr(Vec::new())
        } else {
            J::Obj(
                l.meta
                    .iter()
                    .map(|m| {
                        (
                            m.id.to_string(),
                            J::obj()
                                .with("key", m.key.as_str())
                                .with("value", m.value.as_str())
                                .with("display_key", m.label.as_str())
                                .with("display_value", format!("<p>{}</p>\n", m.shown)),
                        )
                    })
                    .collect(),
            )
        };
        let text = |f: fn(&super::store_render::StoreProduct) -> &String| sp.as_ref().map_or(String::new(), |s| f(s).clone());
        J::obj()
            .with("key", self.key.as_str())
            .with("id", int(l.id))
            .with("quantity", int(l.quantity.into()))
            .with(
                "quantity_limits",
                J::obj()
                    .with("minimum", int(l.quantity.into()))
                    .with("maximum", int(l.quantity.into()))
                    .with("multiple_of", J::Int(1))
                    .with("editable", false),
            )
            .with("name", l.name.as_str())
            .with("short_description", text(|s| &s.short_description))
            .with("description", text(|s| &s.description))
            .with("sku", l.sku.as_str())
            .with("low_stock_remaining", sp.as_ref().and_then(|s| s.low_stock_remaining).map_or(J::Null, J::Int))
            .with("backorders_allowed", allowed)
            .with("show_backorder_badge", badge)
            .with("sold_individually", item.is_some_and(|i| i.product.sold_individually))
            .with("permalink", text(|s| &s.permalink))
            .with("images", sp.as_ref().map_or(J::Arr(Vec::new()), |s| to_j(&s.images)))
            .with(
                "variation",
                J::Arr(
                    by_product_order.iter().map(|m| J::obj().with("attribute", m.label.as_str()).with("value", m.value.as_str())).collect(),
                ),
            )
            .with("item_data", item_data)
            .with("prices", sp.as_ref().map_or(J::Null, |s| prices_json(s, cur)))
            .with("totals", line_totals([l.subtotal, l.subtotal_tax, l.total, l.total_tax], cur))
            .with("catalog_visibility", item.map_or("visible", |i| i.product.visibility.as_str()))
    }

    /// `GET /order/{id}` for a guest.
    pub(crate) fn store_json(&self, view: &View<'_>) -> J {
        let cur = view.currency;
        let coupons = self
            .coupons
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
            .collect();
        let tax_lines = match self.tax_line_id {
            Some(_) => vec![J::obj().with("name", TAX_CODE).with("price", money(self.cart_tax)).with("rate", "7.25")],
            None => Vec::new(),
        };
        let totals = with_currency(
            J::obj()
                .with("subtotal", money(self.subtotal))
                .with("total_discount", money(self.discount))
                .with("total_shipping", money(self.shipping_total))
                .with("total_fees", "0")
                .with("total_tax", money(self.total_tax))
                .with("total_refund", "0")
                .with("total_price", money(self.total))
                .with("total_items", money(self.subtotal - self.discount))
                .with("total_items_tax", money(self.cart_tax))
                .with("total_fees_tax", "0")
                .with("total_discount_tax", money(self.discount_tax))
                .with("total_shipping_tax", money(self.shipping_tax))
                .with("tax_lines", J::Arr(tax_lines)),
            cur,
        );
        J::obj()
            .with("id", int(self.id))
            .with("status", self.status.as_str())
            .with("items", J::Arr(self.lines.iter().map(|l| self.store_item(view, l)).collect()))
            .with("coupons", J::Arr(coupons))
            .with("fees", J::Arr(Vec::new()))
            .with("totals", totals)
            .with("shipping_address", address_json(&self.shipping, false))
            .with("billing_address", address_json(&self.billing, true))
            .with("needs_payment", self.needs_payment())
            .with("needs_shipping", self.needs_shipping)
            .with("payment_requirements", J::Arr(vec![J::from("products")]))
            .with("errors", J::Arr(Vec::new()))
    }
}
