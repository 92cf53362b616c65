//! Bulk orders and the partner's own orders. An order is all or nothing: every SKU must exist and be
//! orderable in the quantity asked, else 422 lists every failing line. It is created through REST v3
//! for the partner's customer at the partner's prices (line totals set here), with the PO number in
//! the order meta, once per `Idempotency-Key` (as checkout: same key and body → the same order).

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::PartnerCaller;
use super::order_input::OrderInput;
use super::registry::Partner;
use super::views::{PartnerOrder, PartnerOrderLine, PartnerOrderTotals, Tracking};
use super::Live;
use crate::catalogue::views::{decimal_minor as minor, decimal_places as places};
use crate::catalogue::views::{Money, Page, ProductDetail};
use crate::catalogue::ProductRef;
use crate::error::{ApiError, FieldError};
use crate::idempotency::{fingerprint, Begin, StoredResponse};
use crate::upstream::UpstreamError;

/// Order meta keys (the PO number is visible to the shop's staff; the rest is internal).
pub const PO_META: &str = "po_number";
pub const PARTNER_META: &str = "_partner_id";
pub const KEY_META: &str = "_partner_idempotency_key";
/// The status partner orders are created in (stock is reduced, as for a paid checkout).
const NEW_STATUS: &str = "processing";
/// Catalogue look-ups in flight at once while pricing.
const PRICING_FANOUT: usize = 8;
/// How many of the customer's newest orders are searched for a lost answer.
const RECONCILE_WINDOW: u32 = 50;

pub const ORDER_STATUSES: &[&str] = &["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"];

#[derive(Debug, Deserialize)]
struct RestOrder {
    id: u64,
    #[serde(default)]
    number: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    customer_id: u64,
    date_created_gmt: Option<String>,
    #[serde(default)]
    discount_total: String,
    #[serde(default)]
    shipping_total: String,
    #[serde(default)]
    total_tax: String,
    #[serde(default)]
    total: String,
    #[serde(default)]
    line_items: Vec<RestOrderLine>,
    #[serde(default)]
    meta_data: Vec<RestMeta>,
}

#[derive(Debug, Deserialize)]
struct RestOrderLine {
    #[serde(default)]
    product_id: u64,
    #[serde(default)]
    variation_id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    sku: String,
    #[serde(default)]
    quantity: f64,
    #[serde(default)]
    subtotal: String,
    #[serde(default)]
    total: String,
}

#[derive(Debug, Deserialize)]
struct RestMeta {
    key: String,
    #[serde(default)]
    value: Value,
}

impl RestOrder {
    fn meta(&self, key: &str) -> Option<&Value> {
        self.meta_data.iter().find(|m| m.key == key).map(|m| &m.value)
    }

    fn meta_text(&self, key: &str) -> Option<String> {
        match self.meta(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A tracking number from the usual meta: WooCommerce Shipment Tracking's items, or plain keys.
    fn tracking(&self) -> Option<Tracking> {
        if let Some(Value::Array(items)) = self.meta("_wc_shipment_tracking_items") {
            if let Some(last) = items.iter().rev().find(|i| i.get("tracking_number").and_then(Value::as_str).is_some_and(|n| !n.is_empty()))
            {
                let text = |k: &str| last.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
                return Some(Tracking {
                    number: text("tracking_number")?,
                    provider: text("tracking_provider").or_else(|| text("custom_tracking_provider")),
                    url: text("custom_tracking_link"),
                });
            }
        }
        let number = ["_tracking_number", "tracking_number", "_aftership_tracking_number"].iter().find_map(|k| self.meta_text(k))?;
        let provider = ["_tracking_provider", "tracking_provider", "_aftership_tracking_provider"].iter().find_map(|k| self.meta_text(k));
        let url = ["_tracking_url", "tracking_url"].iter().find_map(|k| self.meta_text(k));
        Some(Tracking { number, provider, url })
    }
}

/// Digits after the decimal point of a WooCommerce money string.
/// Minor units as the decimal string REST v3 takes ("12.34").
fn decimal(amount: i64, places: u8) -> String {
    if places == 0 {
        return amount.to_string();
    }
    let scale = 10i64.pow(u32::from(places));
    let sign = if amount < 0 { "-" } else { "" };
    let a = amount.unsigned_abs();
    let scale = scale.unsigned_abs();
    format!("{sign}{}.{:0width$}", a / scale, a % scale, width = usize::from(places))
}

fn view(order: &RestOrder) -> PartnerOrder {
    let dp = [&order.total, &order.total_tax, &order.shipping_total, &order.discount_total].iter().map(|s| places(s)).max().unwrap_or(2);
    let money = |amount: i64| Money { amount, currency: order.currency.clone(), minor_unit: dp };
    let lines: Vec<PartnerOrderLine> = order
        .line_items
        .iter()
        .map(|l| PartnerOrderLine {
            sku: l.sku.clone(),
            name: crate::catalogue::views::text(&l.name),
            product_id: if l.variation_id != 0 { l.variation_id } else { l.product_id },
            quantity: if l.quantity.is_finite() && l.quantity > 0.0 { l.quantity as u64 } else { 0 },
            total: money(minor(&l.total, dp)),
        })
        .collect();
    let subtotal = order.line_items.iter().map(|l| minor(&l.subtotal, dp)).sum();
    PartnerOrder {
        id: order.id,
        number: if order.number.is_empty() { order.id.to_string() } else { order.number.clone() },
        status: order.status.clone(),
        po_number: order.meta_text(PO_META),
        created_at: order.date_created_gmt.clone().unwrap_or_default(),
        totals: PartnerOrderTotals {
            subtotal: money(subtotal),
            discount: money(minor(&order.discount_total, dp)),
            shipping: money(minor(&order.shipping_total, dp)),
            tax: money(minor(&order.total_tax, dp)),
            total: money(minor(&order.total, dp)),
        },
        lines,
        tracking: order.tracking(),
    }
}

fn order_not_found() -> ApiError {
    ApiError::NotFound { code: "order_not_found", message: "No order with that id among this partner's orders.".into() }
}

/// A line ready for REST v3.
struct PricedLine {
    product_id: u64,
    variation_id: u64,
    quantity: i64,
    unit: i64,
    minor_unit: u8,
}

/// Paging and filters of the order list.
#[derive(Debug, Clone)]
pub struct OrderListQuery {
    pub page: u32,
    pub per_page: u32,
    pub status: Option<String>,
    pub po_number: Option<String>,
}

impl Live {
    /// Places the order once per (partner, key); replays the first result.
    pub async fn place_order(&self, caller: &PartnerCaller, key: &str, input: OrderInput) -> Result<StoredResponse, ApiError> {
        let partner = &caller.partner;
        let scoped = format!("partner-order:{}:{key}", partner.id);
        let canonical = serde_json::to_vec(&input).map_err(|e| ApiError::json("canonical partner order", &e))?;
        let lines = input.lines.len();
        let claim = match self.idempotency.begin(&scoped, fingerprint(&[&canonical])).await? {
            Begin::Replay(stored) => {
                tracing::info!(partner = %partner.id, idempotency_key = %key, status = stored.status, lines, "partner order replayed");
                return Ok((*stored).clone());
            }
            Begin::Fresh(claim) => claim,
        };
        match self.create_order(partner, key, &scoped, &input).await {
            Ok(order) => {
                let body = serde_json::to_vec(&order).map_err(|e| ApiError::json("storing a partner order answer", &e))?;
                let stored = StoredResponse { status: 201, body: Bytes::from(body) };
                claim.complete(stored.clone()).await;
                tracing::info!(partner = %partner.id, idempotency_key = %key, order_id = order.id, lines, "partner order placed");
                metrics::counter!("bff_partner_orders_total", "result" => "placed").increment(1);
                Ok(stored)
            }
            Err(err) => {
                // Nothing was ordered: free the key so the partner can fix and retry with it.
                let status = err.status().as_u16();
                claim.release(StoredResponse { status, body: Bytes::from(err.to_replay().to_string()) }).await;
                tracing::info!(partner = %partner.id, idempotency_key = %key, code = err.code(), lines, "partner order refused");
                metrics::counter!("bff_partner_orders_total", "result" => "refused").increment(1);
                Err(err)
            }
        }
    }

    async fn create_order(&self, partner: &Partner, key: &str, scoped: &str, input: &OrderInput) -> Result<PartnerOrder, ApiError> {
        // An earlier attempt with this key lost its answer: it may have gone through.
        if self.ambiguous.contains_key(scoped) {
            if let Some(order) = self.find_placed(partner, key).await? {
                self.ambiguous.invalidate(scoped).await;
                return Ok(view(&order));
            }
        }
        let priced = self.price(partner, input).await?;
        let line_items: Vec<Value> = priced
            .iter()
            .map(|l| {
                let total = decimal(l.unit.saturating_mul(l.quantity), l.minor_unit);
                json!({
                    "product_id": l.product_id,
                    "variation_id": l.variation_id,
                    "quantity": l.quantity,
                    "subtotal": total,
                    "total": total,
                })
            })
            .collect();
        let mut body = json!({
            "status": NEW_STATUS,
            "customer_id": partner.customer_id,
            "set_paid": false,
            "line_items": line_items,
            "meta_data": [
                {"key": PO_META, "value": input.po_number},
                {"key": PARTNER_META, "value": partner.id},
                {"key": KEY_META, "value": key},
            ],
        });
        if let Some(address) = &input.shipping_address {
            body["shipping"] = serde_json::to_value(address.clone()).map_err(|e| ApiError::json("a partner shipping address", &e))?;
        }
        if let Some(note) = &input.note {
            body["customer_note"] = Value::from(note.as_str());
        }
        match self.rest.send_json::<RestOrder>("orders", Method::POST, "/orders", &body).await {
            Ok(order) => Ok(view(&order)),
            Err(err @ UpstreamError::Woo { status: 400..=499, .. }) => {
                // The store refused it: nothing was created.
                Err(match ApiError::from_upstream(err, "not_found") {
                    ApiError::NotFound { .. } => ApiError::UpstreamBadGateway,
                    other => other,
                })
            }
            Err(err) => {
                tracing::warn!(partner = %partner.id, error = %err, "partner order answer lost; reconciling with the store");
                if let Some(order) = self.find_placed(partner, key).await.ok().flatten() {
                    return Ok(view(&order));
                }
                self.ambiguous.insert(scoped.to_string(), ()).await;
                Err(ApiError::from_upstream(err, "not_found"))
            }
        }
    }

    /// The order an earlier attempt with this key placed, if any.
    async fn find_placed(&self, partner: &Partner, key: &str) -> Result<Option<RestOrder>, ApiError> {
        let query = vec![
            ("customer".to_string(), partner.customer_id.to_string()),
            ("per_page".to_string(), RECONCILE_WINDOW.to_string()),
            ("orderby".to_string(), "date".to_string()),
            ("order".to_string(), "desc".to_string()),
        ];
        let page =
            self.rest.get_page::<RestOrder>("orders", "/orders", &query).await.map_err(|e| ApiError::from_upstream(e, "not_found"))?;
        Ok(page
            .items
            .into_iter()
            .find(|o| o.meta_text(PARTNER_META).as_deref() == Some(partner.id.as_str()) && o.meta_text(KEY_META).as_deref() == Some(key)))
    }

    /// Checks every line against the store (fresh) and prices it; 422 lists every failing line.
    async fn price(&self, partner: &Partner, input: &OrderInput) -> Result<Vec<PricedLine>, ApiError> {
        // Quantities per SKU (a SKU given twice is ordered once), in first-seen order.
        let mut wanted: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
        for (i, line) in input.lines.iter().enumerate() {
            let entry = wanted.entry(line.sku.as_str()).or_insert((i, 0));
            entry.1 += line.quantity;
        }
        let skus: Vec<String> = wanted.keys().map(|s| s.to_string()).collect();
        let stock = self.stock.fresh(&skus).await?;
        let mut problems: HashMap<&str, String> = HashMap::new();
        for (sku, (_, quantity)) in &wanted {
            match stock.get(*sku).and_then(Option::as_ref) {
                None => {
                    problems.insert(sku, "unknown SKU".into());
                }
                Some(s) => {
                    if let Some(why) = s.refuse(*quantity) {
                        problems.insert(sku, why);
                    }
                }
            }
        }
        // Prices come from the catalogue (cached), as the partner sees them there.
        let ids: Vec<u64> = stock.values().flatten().flat_map(|s| std::iter::once(s.product_id).chain(s.parent_id)).collect();
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let details: HashMap<u64, Option<ProductDetail>> = futures::stream::iter(distinct)
            .map(|id| async move { Ok::<_, ApiError>((id, self.detail(id).await?)) })
            .buffer_unordered(PRICING_FANOUT)
            .try_collect()
            .await?;
        let mut priced: HashMap<&str, PricedLine> = HashMap::new();
        for (sku, (_, quantity)) in &wanted {
            if problems.contains_key(sku) {
                continue;
            }
            let Some(s) = stock.get(*sku).and_then(Option::as_ref) else { continue };
            let Some(detail) = details.get(&s.product_id).and_then(Option::as_ref) else {
                problems.insert(sku, "not available in the catalogue".into());
                continue;
            };
            let categories = match s.parent_id {
                Some(parent) => details.get(&parent).and_then(Option::as_ref).map(|p| p.summary.categories.clone()).unwrap_or_default(),
                None => detail.summary.categories.clone(),
            };
            let list = &detail.summary.prices.price;
            let quote = partner.prices.quote(Some(sku), &categories, list.amount);
            priced.insert(
                sku,
                PricedLine {
                    product_id: s.parent_id.unwrap_or(s.product_id),
                    variation_id: if s.parent_id.is_some() { s.product_id } else { 0 },
                    quantity: *quantity,
                    unit: quote.amount.max(0),
                    minor_unit: list.minor_unit,
                },
            );
        }
        if !problems.is_empty() {
            let errors = input
                .lines
                .iter()
                .filter_map(|l| problems.get(l.sku.as_str()).map(|why| FieldError::new(l.field.clone(), format!("{}: {why}", l.sku))))
                .collect();
            return Err(ApiError::Validation(errors));
        }
        let mut order: Vec<(usize, PricedLine)> =
            priced.into_iter().filter_map(|(sku, line)| wanted.get(sku).map(|(first, _)| (*first, line))).collect();
        order.sort_by_key(|(first, _)| *first);
        Ok(order.into_iter().map(|(_, line)| line).collect())
    }

    /// A product (or variation) from the catalogue cache; `None` when the store has no such product.
    pub(crate) async fn detail(&self, id: u64) -> Result<Option<ProductDetail>, ApiError> {
        match self.catalogue.product(&ProductRef::Id(id)).await {
            Ok(cached) => serde_json::from_slice(&cached.entry.body).map(Some).map_err(|e| ApiError::json("reading a cached product", &e)),
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn list_orders(&self, partner: &Partner, q: &OrderListQuery) -> Result<Page<PartnerOrder>, ApiError> {
        let mut query = vec![
            ("customer".to_string(), partner.customer_id.to_string()),
            ("page".to_string(), q.page.to_string()),
            ("per_page".to_string(), q.per_page.to_string()),
        ];
        if let Some(status) = &q.status {
            query.push(("status".into(), status.clone()));
        }
        if let Some(po) = &q.po_number {
            query.push(("search".into(), po.clone()));
        }
        let page =
            self.rest.get_page::<RestOrder>("orders", "/orders", &query).await.map_err(|e| ApiError::from_upstream(e, "not_found"))?;
        let po = q.po_number.as_ref().map(|p| p.to_lowercase());
        let items = page
            .items
            .iter()
            .filter(|o| o.customer_id == partner.customer_id)
            .filter(|o| po.as_ref().is_none_or(|p| o.meta_text(PO_META).is_some_and(|v| v.to_lowercase().contains(p))))
            .map(view)
            .collect();
        Ok(Page { items, page: q.page, per_page: q.per_page, total: page.total, total_pages: page.total_pages })
    }

    /// One of the partner's orders; anyone else's is a 404.
    pub async fn order(&self, partner: &Partner, id: u64) -> Result<PartnerOrder, ApiError> {
        let order: RestOrder = self.rest.get("order", &format!("/orders/{id}"), &[]).await.map_err(|e| match e {
            UpstreamError::Woo { status: 404 | 400, .. } => order_not_found(),
            other => ApiError::from_upstream(other, "order_not_found"),
        })?;
        if order.customer_id != partner.customer_id || order.status == "checkout-draft" {
            return Err(order_not_found());
        }
        Ok(view(&order))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_strings_round_trip() {
        assert_eq!(minor("43.97", 2), 4397);
        assert_eq!(minor("4", 2), 400);
        assert_eq!(minor("1.566", 2), 157);
        assert_eq!(minor("-2.50", 2), -250);
        assert_eq!(decimal(4397, 2), "43.97");
        assert_eq!(decimal(5, 2), "0.05");
        assert_eq!(decimal(1200, 0), "1200");
        assert_eq!(places("43.970"), 3);
    }

    #[test]
    fn tracking_comes_from_meta() {
        let order: RestOrder = serde_json::from_value(json!({
            "id": 1, "meta_data": [{"key": "_wc_shipment_tracking_items", "value": [{"tracking_provider": "ups", "tracking_number": "1Z999"}]}]
        }))
        .unwrap();
        let t = order.tracking().unwrap();
        assert_eq!((t.number.as_str(), t.provider.as_deref()), ("1Z999", Some("ups")));
        let plain: RestOrder =
            serde_json::from_value(json!({"id": 2, "meta_data": [{"key": "tracking_number", "value": "TRK1"}]})).unwrap();
        assert_eq!(plain.tracking().unwrap().number, "TRK1");
        let none: RestOrder = serde_json::from_value(json!({"id": 3})).unwrap();
        assert!(none.tracking().is_none());
    }
}
