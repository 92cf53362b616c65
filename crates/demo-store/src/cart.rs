//! Cart mutations with the Store API's rules (WooCommerce 8.9 `CartController`): resolving a variable product to its variation, purchasability and stock checks, line keys, quantity limits and coupons.

use super::catalogue::{AttrSpec, Backorders, Catalogue, ItemRef, ProductStatus, ProductType};
use super::coupons::{coupon_error, esc_html, format_code, not_found};
use super::http::WpError;
use super::render::Currency;
use super::shop::{Line, Session, ShopData};
use super::tokens::md5_hex;
use super::wp::sanitize_title;

fn invalid_product() -> WpError {
    WpError::new(400, "woocommerce_rest_cart_invalid_product", "This product cannot be added to the cart.")
}

fn no_variation() -> WpError {
    WpError::new(400, "woocommerce_rest_variation_id_from_variation_data", "No matching variation found.")
}

pub(crate) fn invalid_key() -> WpError {
    WpError::new(409, "woocommerce_rest_cart_invalid_key", "Cart item no longer exists or is invalid.")
}

fn quantity_error(name: &str, which: &str, limit: u64) -> WpError {
    WpError::new(400, "invalid_quantity", &format!("The {which} quantity of &quot;{name}&quot; allowed in the cart is {limit}"))
}

/// `WC_Cart::generate_cart_id`: md5 of `product[_variation][_attributes]`.
pub(crate) fn line_key(product_id: u32, variation_id: u32, attrs: &[(String, String)]) -> String {
    let mut parts = vec![product_id.to_string()];
    if variation_id != 0 {
        parts.push(variation_id.to_string());
    }
    if !attrs.is_empty() {
        parts.push(attrs.iter().map(|(k, v)| format!("{}{}", k.trim(), v.trim())).collect());
    }
    md5_hex(parts.join("_").as_bytes())
}

/// One variation attribute of a product: label ("Size"), name ("pa_size" or the local name) and its options as (slug, shown).
struct VarAttr {
    label: String,
    name: String,
    taxonomy: bool,
    options: Vec<String>,
}

impl VarAttr {
    fn meta_key(&self) -> String {
        format!("attribute_{}", sanitize_title(&self.name))
    }
}

fn var_attrs(cat: &Catalogue, p: &super::catalogue::Product) -> Vec<(usize, VarAttr)> {
    p.attrs
        .iter()
        .enumerate()
        .filter(|(_, a)| a.variation)
        .map(|(i, a)| {
            let va = match &a.spec {
                AttrSpec::Global { attr_id, terms } => {
                    let attr = cat.attribute(*attr_id);
                    VarAttr {
                        label: attr.map(|x| x.name.to_string()).unwrap_or_default(),
                        name: attr.map(|x| x.slug.to_string()).unwrap_or_default(),
                        taxonomy: true,
                        options: terms.iter().filter_map(|&t| cat.term(t)).map(|t| t.slug.to_string()).collect(),
                    }
                }
                AttrSpec::Local { name, options } => VarAttr {
                    label: name.to_string(),
                    name: name.to_string(),
                    taxonomy: false,
                    options: options.iter().map(|o| o.to_string()).collect(),
                },
            };
            (i, va)
        })
        .collect()
}

/// `sanitize_variation_data`: posted `{attribute, value}` pairs by label or name, as `attribute_*` → value.
fn posted_values(attrs: &[(usize, VarAttr)], posted: &[(String, String)]) -> Vec<Option<String>> {
    attrs
        .iter()
        .map(|(_, a)| {
            let raw = posted
                .iter()
                .find(|(k, _)| *k == a.label)
                .or_else(|| posted.iter().find(|(k, _)| *k == a.name))
                .map(|(_, v)| v.as_str())?;
            Some(if a.taxonomy {
                sanitize_title(raw)
            } else {
                a.options.iter().find(|o| o.eq_ignore_ascii_case(raw.trim())).cloned().unwrap_or_else(|| raw.trim().to_string())
            })
        })
        .collect()
}

/// A variation's choice for one attribute: `attribute_pa_size`, `pa_size`, "Size", "m", "M".
pub(crate) struct AttrChoice {
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) label: String,
    pub(crate) slug: String,
    pub(crate) shown: String,
}

/// The variation's choices in the parent's attribute order.
pub(crate) fn choices(cat: &Catalogue, v: &super::catalogue::Variation) -> Vec<AttrChoice> {
    let parent = cat.parent_of(v);
    var_attrs(cat, parent)
        .into_iter()
        .filter_map(|(i, a)| {
            let x = usize::from(*v.values.get(i)?);
            let slug = a.options.get(x)?.clone();
            let shown = match &parent.attrs.get(i)?.spec {
                AttrSpec::Global { terms, .. } => cat.term(*terms.get(x)?)?.name.to_string(),
                AttrSpec::Local { .. } => slug.clone(),
            };
            Some(AttrChoice { key: a.meta_key(), name: a.name.clone(), label: a.label.clone(), slug, shown })
        })
        .collect()
}

/// What an add-item request resolves to.
struct Resolved {
    product_id: u32,
    variation_id: u32,
    attrs: Vec<(String, String)>,
}

fn resolve(cat: &Catalogue, id: u64, posted: &[(String, String)]) -> Result<Resolved, WpError> {
    let item = cat.item(id).ok_or_else(invalid_product)?;
    let (product, variation) = match item {
        ItemRef::Product(p) => (cat.products.get(p as usize).ok_or_else(invalid_product)?, None),
        ItemRef::Variation(x) => {
            let v = cat.variations.get(x as usize).ok_or_else(invalid_product)?;
            (cat.parent_of(v), Some(v))
        }
    };
    if product.kind != ProductType::Variable {
        return Ok(Resolved { product_id: product.id, variation_id: 0, attrs: Vec::new() });
    }
    let attrs = var_attrs(cat, product);
    let given = posted_values(&attrs, posted);
    let chosen = match variation {
        Some(v) => v,
        None => cat
            .variations_of(product)
            .iter()
            .find(|v| {
                attrs.iter().zip(&given).all(|((i, a), g)| {
                    let own = v.values.get(*i).and_then(|&x| a.options.get(usize::from(x)));
                    matches!((own, g), (Some(o), Some(g)) if o == g)
                })
            })
            .ok_or_else(no_variation)?,
    };
    let mut out = Vec::new();
    for ((i, a), g) in attrs.iter().zip(&given) {
        let own = chosen.values.get(*i).and_then(|&x| a.options.get(usize::from(x))).cloned().unwrap_or_default();
        if g.as_ref().is_some_and(|g| *g != own) {
            return Err(WpError::new(
                400,
                "woocommerce_rest_invalid_variation_data",
                &format!("Invalid value posted for {}. Allowed values: {}", a.label, a.options.join(", ")),
            ));
        }
        out.push((a.meta_key(), own));
    }
    out.sort();
    Ok(Resolved { product_id: product.id, variation_id: chosen.id, attrs: out })
}

/// `POST /cart/add-item`.
pub(crate) fn add_item(cat: &Catalogue, session: &mut Session, id: u64, quantity: i64, posted: &[(String, String)]) -> Result<(), WpError> {
    let r = resolve(cat, id, posted)?;
    let line = Line {
        key: line_key(r.product_id, r.variation_id, &r.attrs),
        product_id: r.product_id,
        variation_id: r.variation_id,
        attrs: r.attrs,
        quantity: 0,
    };
    let item = super::cart_totals::Item::find(cat, &line).ok_or_else(invalid_product)?;
    let name = item.full_name(cat);
    let quantity = if item.product.sold_individually { 1 } else { quantity };
    let purchasable = item.product.status == ProductStatus::Publish
        && match item.product.kind {
            ProductType::Simple => item.product.regular.is_some(),
            ProductType::Variable => item.variation.is_some(),
            _ => false,
        };
    if !purchasable {
        return Err(WpError::new(
            400,
            "woocommerce_rest_product_not_purchasable",
            &format!("&quot;{name}&quot; is not available for purchase."),
        ));
    }
    if !item.in_stock() {
        return Err(WpError::new(
            400,
            "woocommerce_rest_product_out_of_stock",
            &format!("You cannot add &quot;{name}&quot; to the cart because the product is out of stock."),
        ));
    }
    let stock = item.stock();
    if stock.manage && stock.backorders == Backorders::No {
        let remaining = i64::from(stock.quantity.unwrap_or(0));
        let in_cart: i64 = session.lines.iter().filter(|l| l.item_id() == item.id()).map(|l| i64::from(l.quantity)).sum();
        if remaining < in_cart.saturating_add(quantity) {
            return Err(WpError::new(
                400,
                "woocommerce_rest_product_partially_out_of_stock",
                &format!("You cannot add that amount of &quot;{name}&quot; to the cart because there is not enough stock ({remaining} remaining)."),
            ));
        }
    }
    let max = item.max_quantity();
    if let Some(existing) = session.lines.iter_mut().find(|l| l.key == line.key) {
        if item.product.sold_individually {
            return Err(readonly_quantity());
        }
        let wanted = i64::from(existing.quantity).saturating_add(quantity);
        if wanted < 1 {
            return Err(quantity_error(&name, "minimum", 1));
        }
        if u64::try_from(wanted).unwrap_or(u64::MAX) > max {
            return Err(quantity_error(&name, "maximum", max));
        }
        existing.quantity = u32::try_from(wanted).unwrap_or(u32::MAX);
        return Ok(());
    }
    let q = quantity.clamp(1, i64::try_from(max).unwrap_or(9999));
    session.lines.push(Line { quantity: u32::try_from(q).unwrap_or(1), ..line });
    Ok(())
}

/// A sold-individually line is in the cart: its quantity cannot change (`CartController`).
fn readonly_quantity() -> WpError {
    WpError::new(400, "readonly_quantity", "This item is already in the cart and its quantity cannot be edited")
}

/// `POST /cart/update-item`.
pub(crate) fn update_item(cat: &Catalogue, session: &mut Session, key: &str, quantity: i64) -> Result<(), WpError> {
    let line = session.lines.iter_mut().find(|l| l.key == key).ok_or_else(invalid_key)?;
    let item = super::cart_totals::Item::find(cat, line).ok_or_else(invalid_key)?;
    let name = item.full_name(cat);
    // Any change, even to 1 or 0, of a sold-individually line (real 8.9.1: tests/fixtures/realwoo).
    if item.product.sold_individually {
        return Err(readonly_quantity());
    }
    if quantity < 1 {
        return Err(quantity_error(&name, "minimum", 1));
    }
    let max = item.max_quantity();
    if u64::try_from(quantity).unwrap_or(u64::MAX) > max {
        return Err(quantity_error(&name, "maximum", max));
    }
    line.quantity = u32::try_from(quantity).unwrap_or(u32::MAX);
    Ok(())
}

/// `POST /cart/remove-item`.
pub(crate) fn remove_item(session: &mut Session, key: &str) -> Result<(), WpError> {
    let before = session.lines.len();
    session.lines.retain(|l| l.key != key);
    if session.lines.len() == before {
        return Err(invalid_key());
    }
    Ok(())
}

/// `POST /cart/apply-coupon`.
pub(crate) fn apply_coupon(
    cat: &Catalogue,
    data: &ShopData,
    session: &mut Session,
    raw: &str,
    now: i64,
    cur: &Currency,
) -> Result<(), WpError> {
    let code = format_code(raw);
    let coupon = data.coupon(&code).ok_or_else(|| not_found(&code))?;
    if session.coupons.contains(&code) {
        return Err(coupon_error(format!("Coupon code \"{}\" has already been applied.", esc_html(&code))));
    }
    let subtotal: u64 = session
        .lines
        .iter()
        .filter_map(|l| {
            let item = super::cart_totals::Item::find(cat, l)?;
            Some(item.price().unwrap_or(0) * u64::from(l.quantity))
        })
        .sum();
    coupon.check(subtotal, now, cur).map_err(coupon_error)?;
    session.coupons.push(code);
    Ok(())
}

/// `POST /cart/remove-coupon`.
pub(crate) fn remove_coupon(data: &ShopData, session: &mut Session, raw: &str) -> Result<(), WpError> {
    let code = format_code(raw);
    if data.coupon(&code).is_none() {
        return Err(coupon_error("Invalid coupon code.".into()));
    }
    if !session.coupons.contains(&code) {
        return Err(WpError::new(
            409,
            "woocommerce_rest_cart_coupon_invalid_code",
            "Coupon cannot be removed because it is not already applied to the cart.",
        ));
    }
    session.coupons.retain(|c| *c != code);
    Ok(())
}
