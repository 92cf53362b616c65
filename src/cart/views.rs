//! The cart's own request and response types, and the mapping from the
//! Store API cart. Money uses the catalogue's `Money` everywhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::views::{text, Image, Money};
use crate::error::FieldError;
use crate::upstream::cart_models::*;
use crate::upstream::customers::RestOrderLine;
use crate::upstream::store_models::StoreCurrency;

fn money(minor: &str, currency: &StoreCurrency) -> Money {
    Money { amount: minor.trim().parse().unwrap_or(0), currency: currency.currency_code.clone(), minor_unit: currency.currency_minor_unit }
}

/// A postal address. Every field is optional on input; WooCommerce decides
/// what checkout needs (it may accept only email and country).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub address_1: String,
    #[serde(default)]
    pub address_2: String,
    #[serde(default)]
    pub city: String,
    /// State or county code, e.g. `CA`.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub postcode: String,
    /// ISO 3166-1 alpha-2, e.g. `US`.
    #[serde(default)]
    pub country: String,
    /// Billing only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: String,
}

/// A plausible email address: something@domain.tld, no spaces, ≤ 254 bytes.
pub fn is_valid_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl Address {
    /// Field-level checks; `prefix` is `billing` or `shipping`.
    pub fn validate(&self, prefix: &str, errors: &mut Vec<FieldError>) {
        let fields = [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("company", &self.company),
            ("address_1", &self.address_1),
            ("address_2", &self.address_2),
            ("city", &self.city),
            ("state", &self.state),
            ("postcode", &self.postcode),
            ("phone", &self.phone),
        ];
        for (name, value) in fields {
            if value.chars().count() > 200 || value.chars().any(|c| c.is_control()) {
                errors.push(FieldError::new(format!("{prefix}.{name}"), "at most 200 characters, no control characters"));
            }
        }
        let country_ok = self.country.is_empty() || (self.country.len() == 2 && self.country.bytes().all(|b| b.is_ascii_uppercase()));
        if !country_ok {
            errors.push(FieldError::new(format!("{prefix}.country"), "a two-letter ISO country code, e.g. US"));
        }
        if let Some(email) = &self.email {
            let valid = is_valid_email(email);
            if !valid {
                errors.push(FieldError::new(format!("{prefix}.email"), "a valid email address"));
            }
        }
    }

    pub fn to_store(&self) -> StoreAddress {
        StoreAddress {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            company: self.company.clone(),
            address_1: self.address_1.clone(),
            address_2: self.address_2.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            postcode: self.postcode.clone(),
            country: self.country.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
        }
    }

    pub fn from_store(a: &StoreAddress) -> Self {
        Address {
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            company: a.company.clone(),
            address_1: a.address_1.clone(),
            address_2: a.address_2.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            postcode: a.postcode.clone(),
            country: a.country.clone(),
            email: a.email.clone().filter(|e| !e.is_empty()),
            phone: a.phone.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuantityRules {
    pub min: u32,
    pub max: u32,
    pub multiple_of: u32,
    pub editable: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CartLine {
    /// Use this key to change or remove the line.
    pub key: String,
    /// The product or variation id.
    pub id: u64,
    pub name: String,
    pub sku: Option<String>,
    pub quantity: u32,
    pub quantity_rules: QuantityRules,
    /// Chosen attributes by label, e.g. {"Size": "M"}.
    pub variation: BTreeMap<String, String>,
    pub image: Option<Image>,
    pub unit_price: Money,
    /// Before discounts.
    pub subtotal: Money,
    /// After discounts, before tax.
    pub total: Money,
    pub low_stock_remaining: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AppliedCoupon {
    pub code: String,
    pub discount: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CartTotals {
    pub items: Money,
    pub discount: Money,
    /// Unknown until an address allows shipping to be calculated.
    pub shipping: Option<Money>,
    pub tax: Money,
    /// The tax by rate, as the store lists it (e.g. "CA State Tax", 7.25 %); their sum is `tax`.
    pub tax_lines: Vec<TaxLine>,
    /// What checkout will charge; send it back as `expected_total`.
    pub total: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaxLine {
    /// The rate's label in the store, e.g. "CA State Tax".
    pub name: String,
    /// The rate in percent as the store words it, without the `%`, e.g. "7.25".
    pub rate: String,
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShippingRate {
    pub rate_id: String,
    pub name: String,
    pub price: Money,
    pub delivery_time: String,
    pub selected: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShippingPackage {
    pub package_id: u64,
    pub name: String,
    pub rates: Vec<ShippingRate>,
}

/// Something the shopper should know about the cart (e.g. a line that could
/// not be restored because the product sold out).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct CartNotice {
    /// e.g. `line_dropped`, `coupon_dropped`, `store_notice`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CartView {
    pub items: Vec<CartLine>,
    pub items_count: u32,
    pub coupons: Vec<AppliedCoupon>,
    pub totals: CartTotals,
    pub shipping_packages: Vec<ShippingPackage>,
    pub billing: Address,
    pub shipping: Address,
    pub needs_shipping: bool,
    pub needs_payment: bool,
    /// Gateway ids accepted by `POST /checkout`.
    pub payment_methods: Vec<String>,
    pub notices: Vec<CartNotice>,
}

pub fn cart_view(cart: &StoreCart, notices: Vec<CartNotice>) -> CartView {
    let c = &cart.totals.currency;
    let mut notices = notices;
    notices.extend(cart.errors.iter().map(|e| CartNotice { code: "store_notice".into(), message: text(&e.message) }));
    CartView {
        items: cart.items.iter().map(line).collect(),
        items_count: cart.items_count,
        coupons: cart
            .coupons
            .iter()
            .map(|cp| AppliedCoupon { code: cp.code.clone(), discount: money(&cp.totals.total_discount, &cp.totals.currency) })
            .collect(),
        totals: CartTotals {
            items: money(&cart.totals.total_items, c),
            discount: money(&cart.totals.total_discount, c),
            shipping: cart.totals.total_shipping.as_deref().map(|s| money(s, c)),
            tax: money(&cart.totals.total_tax, c),
            tax_lines: cart
                .totals
                .tax_lines
                .iter()
                .map(|t| TaxLine { name: text(&t.name), rate: t.rate.trim().trim_end_matches('%').to_string(), amount: money(&t.price, c) })
                .collect(),
            total: money(&cart.totals.total_price, c),
        },
        shipping_packages: cart
            .shipping_rates
            .iter()
            .map(|p| ShippingPackage {
                package_id: p.package_id,
                name: text(&p.name),
                rates: p
                    .shipping_rates
                    .iter()
                    .map(|r| ShippingRate {
                        rate_id: r.rate_id.clone(),
                        name: text(&r.name),
                        price: money(&r.price, &r.currency),
                        delivery_time: r.delivery_time.clone(),
                        selected: r.selected,
                    })
                    .collect(),
            })
            .collect(),
        billing: Address::from_store(&cart.billing_address),
        shipping: Address { email: None, ..Address::from_store(&cart.shipping_address) },
        needs_shipping: cart.needs_shipping,
        needs_payment: cart.needs_payment,
        payment_methods: cart.payment_methods.clone(),
        notices,
    }
}

fn line(item: &StoreCartItem) -> CartLine {
    let c = &item.totals.currency;
    CartLine {
        key: item.key.clone(),
        id: item.id,
        name: text(&item.name),
        sku: (!item.sku.is_empty()).then(|| item.sku.clone()),
        quantity: item.quantity,
        quantity_rules: QuantityRules {
            min: item.quantity_limits.minimum,
            max: item.quantity_limits.maximum,
            multiple_of: item.quantity_limits.multiple_of,
            editable: item.quantity_limits.editable,
        },
        variation: item.variation.iter().map(|v| (text(&v.attribute), text(&v.value))).collect(),
        image: item.images.first().map(|i| Image { src: i.src.clone(), thumbnail: i.thumbnail.clone(), alt: text(&i.alt) }),
        unit_price: money(&item.prices.price, &item.prices.currency),
        subtotal: money(&item.totals.line_subtotal, c),
        total: money(&item.totals.line_total, c),
        low_stock_remaining: item.low_stock_remaining,
    }
}

/// Guest order confirmation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: u64,
    pub status: String,
    pub items: Vec<OrderLine>,
    pub totals: OrderTotals,
    pub billing: Address,
    pub shipping: Address,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderLine {
    /// The product (for a variation: its parent product).
    pub product_id: u64,
    /// The variation bought; 0 for simple products.
    pub variation_id: u64,
    pub name: String,
    pub sku: Option<String>,
    pub quantity: u32,
    pub variation: BTreeMap<String, String>,
    pub total: Money,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderTotals {
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
}

/// `lines` are the same order's REST v3 line items: they name the products, while the Store
/// API's `items[].id` is the line-item id.
pub fn order_view(o: &StoreOrder, lines: &[RestOrderLine]) -> OrderView {
    let c = &o.totals.currency;
    OrderView {
        id: o.id,
        status: o.status.clone(),
        items: o
            .items
            .iter()
            .map(|i| {
                let rest = lines.iter().find(|l| l.id == i.id);
                OrderLine {
                    product_id: rest.map_or(0, |l| l.product_id),
                    variation_id: rest.map_or(0, |l| l.variation_id),
                    name: text(&i.name),
                    sku: (!i.sku.is_empty()).then(|| i.sku.clone()),
                    quantity: i.quantity,
                    variation: i.variation.iter().map(|v| (text(&v.attribute), text(&v.value))).collect(),
                    total: money(&i.totals.line_total, &i.totals.currency),
                }
            })
            .collect(),
        totals: OrderTotals {
            subtotal: money(&o.totals.subtotal, c),
            discount: money(&o.totals.total_discount, c),
            shipping: money(&o.totals.total_shipping, c),
            tax: money(&o.totals.total_tax, c),
            total: money(&o.totals.total_price, c),
        },
        billing: Address::from_store(&o.billing_address),
        shipping: Address { email: None, ..Address::from_store(&o.shipping_address) },
    }
}
