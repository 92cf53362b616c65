//! Coupons: the seeded ones (as on the captured store: `save10`, `flat5`, `freeship`, `expired20`), their validity rules and messages, and the REST v3 `GET /coupons` listing.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Extension;

use super::http::{page_count, rest_paging, ApiCtx, Reply, WpError, J};
use super::render::{decimal, iso, Currency};
use super::server::Caller;
use super::StoreState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiscountType {
    Percent,
    FixedCart,
}

impl DiscountType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DiscountType::Percent => "percent",
            DiscountType::FixedCart => "fixed_cart",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Coupon {
    pub(crate) id: u64,
    pub(crate) code: String,
    pub(crate) kind: DiscountType,
    /// Minor units (a percentage is stored the same way: 1000 = 10.00 %).
    pub(crate) amount: u64,
    pub(crate) description: String,
    pub(crate) expires: Option<i64>,
    /// Minimum spend in minor units (0: none).
    pub(crate) minimum: u64,
    pub(crate) free_shipping: bool,
    pub(crate) created: i64,
    pub(crate) usage_count: u64,
    pub(crate) used_by: Vec<String>,
}

pub(crate) fn seed_coupons(first_id: u64, now: i64) -> Vec<Coupon> {
    let c = |i: u64, code: &str, kind, amount, description: &str| Coupon {
        id: first_id + i,
        code: code.into(),
        kind,
        amount,
        description: description.into(),
        expires: None,
        minimum: 0,
        free_shipping: false,
        created: now,
        usage_count: 0,
        used_by: Vec::new(),
    };
    let mut flat5 = c(1, "flat5", DiscountType::FixedCart, 500, "$5 off orders of $30+");
    flat5.minimum = 3000;
    let mut freeship = c(2, "freeship", DiscountType::FixedCart, 0, "Unlocks the Free shipping method");
    freeship.free_shipping = true;
    let mut expired = c(3, "expired20", DiscountType::Percent, 2000, "Already expired");
    expired.expires = Some(now - 2 * 86_400);
    vec![c(0, "save10", DiscountType::Percent, 1000, "10% off the cart"), flat5, freeship, expired]
}

/// `wc_format_coupon_code`: trimmed and lower-cased.
pub(crate) fn format_code(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// `esc_html`.
pub(crate) fn esc_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            _ => out.push(c),
        }
    }
    out
}

pub(crate) fn coupon_error(message: String) -> WpError {
    WpError::new(400, "woocommerce_rest_cart_coupon_error", &message)
}

pub(crate) fn not_found(code: &str) -> WpError {
    coupon_error(format!("Coupon &quot;{}&quot; does not exist!", esc_html(code)))
}

impl Coupon {
    /// `WC_Coupon::is_valid` for a cart whose items cost `subtotal` (minor units).
    pub(crate) fn check(&self, subtotal: u64, now: i64, cur: &Currency) -> Result<(), String> {
        if self.expires.is_some_and(|e| e <= now) {
            return Err("This coupon has expired.".into());
        }
        if self.minimum > 0 && subtotal < self.minimum {
            return Err(format!(
                "The minimum spend for this coupon is {}{}.",
                cur.entity_store,
                decimal(self.minimum, cur.minor_unit, true)
            ));
        }
        Ok(())
    }

    fn rest_json(&self, ctx: &ApiCtx, cur: &Currency) -> J {
        let money = |m: u64| J::Str(decimal(m, cur.minor_unit, false));
        let href = |p: &str| J::Arr(vec![J::obj().with("href", ctx.rest_url(p))]);
        let date = |t: Option<i64>| t.map_or(J::Null, |t| J::Str(iso(t)));
        J::obj()
            .with("id", J::Int(self.id as i64))
            .with("code", self.code.as_str())
            .with("amount", money(self.amount))
            .with("status", "publish")
            .with("date_created", iso(self.created))
            .with("date_created_gmt", iso(self.created))
            .with("date_modified", iso(self.created))
            .with("date_modified_gmt", iso(self.created))
            .with("discount_type", self.kind.as_str())
            .with("description", self.description.as_str())
            .with("date_expires", date(self.expires))
            .with("date_expires_gmt", date(self.expires))
            .with("usage_count", J::Int(self.usage_count as i64))
            .with("individual_use", false)
            .with("product_ids", J::Arr(vec![]))
            .with("excluded_product_ids", J::Arr(vec![]))
            .with("usage_limit", J::Null)
            .with("usage_limit_per_user", J::Null)
            .with("limit_usage_to_x_items", J::Null)
            .with("free_shipping", self.free_shipping)
            .with("product_categories", J::Arr(vec![]))
            .with("excluded_product_categories", J::Arr(vec![]))
            .with("exclude_sale_items", false)
            .with("minimum_amount", money(self.minimum))
            .with("maximum_amount", money(0))
            .with("email_restrictions", J::Arr(vec![]))
            .with("used_by", J::Arr(self.used_by.iter().map(|e| J::Str(e.clone())).collect()))
            .with("meta_data", J::Arr(vec![]))
            .with("_links", J::obj().with("self", href(&format!("/wc/v3/coupons/{}", self.id))).with("collection", href("/wc/v3/coupons")))
    }
}

/// `GET /wc/v3/coupons` (newest first, paged).
pub(crate) async fn rest_coupons(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
) -> Response {
    const ALLOW: Option<&str> = Some("GET, POST");
    if caller.0.is_none() {
        return ctx.error(&WpError::new(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."));
    }
    let (page, per_page) = match super::orders_rest::paging_args(&ctx) {
        Ok(p) => p,
        Err(e) => return ctx.respond(Reply::error(&e).allow(ALLOW)),
    };
    let data = state.shop.lock();
    let mut all: Vec<&Coupon> = data.coupons.iter().collect();
    all.sort_by_key(|c| std::cmp::Reverse(c.id));
    let total = all.len() as u64;
    let cur = &state.settings.currency;
    let items: Vec<J> = all.iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).map(|c| c.rest_json(&ctx, cur)).collect();
    let paging = rest_paging(&ctx, "/wc/v3/coupons", page, total, page_count(total, per_page));
    ctx.respond(Reply::json(200, &J::Arr(items)).allow(ALLOW).paging(paging))
}
