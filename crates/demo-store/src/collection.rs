//! Store API `GET /products/collection-data`: price range, attribute, rating and stock counts over the same filters as `/products` (`ProductQueryFilters`).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Extension;

use super::catalogue::{Catalogue, ItemRef, StockStatus};
use super::filters::store_products;
use super::http::{ApiCtx, Reply, WpError, J};
use super::params::{arg, php_bool, validate, Arg, Kind};
use super::store_api::{fail, PRODUCT_ARGS};
use super::store_render::CurrencyFields;
use super::wp::PhpValue;
use super::StoreState;

const GET: Option<&str> = Some("GET");

const COLLECTION_ARGS: &[Arg] = &[
    arg("calculate_price_range", Kind::Bool),
    arg("calculate_stock_status_counts", Kind::Bool),
    arg("calculate_attribute_counts", Kind::AnyList),
    arg("calculate_rating_counts", Kind::Bool),
];

/// `GET /products/collection-data`: price range and counts over the filtered collection.
pub(crate) async fn collection_data(State(state): State<Arc<StoreState>>, Extension(ctx): Extension<ApiCtx>) -> Response {
    if let Err(e) = validate(&ctx.query, PRODUCT_ARGS).and_then(|()| validate(&ctx.query, COLLECTION_ARGS)) {
        return fail(&ctx, &e);
    }
    let cat = state.read();
    let q = &ctx.query;
    let run = |strip: &[&str], skip_attr: Option<&str>| -> Result<Vec<ItemRef>, WpError> {
        let mut params = q.clone();
        for k in strip {
            params.remove(k);
        }
        let lq = store_products(&cat, &params, skip_attr)?;
        Ok(cat.query(&lq.filter, lq.order, lq.desc))
    };
    let mut out = J::obj();
    // Price range ignores the price filter itself.
    let price_range = if php_bool(q.get("calculate_price_range")) == Some(true) {
        let items = match run(&["min_price", "max_price"], None) {
            Ok(i) => i,
            Err(e) => return fail(&ctx, &e),
        };
        let looks: Vec<_> = items.iter().map(|&i| cat.item_lookup(i)).collect();
        let min = looks.iter().filter_map(|l| l.min_price).min();
        let max = looks.iter().filter_map(|l| l.max_price).max();
        match (min, max) {
            (Some(min), Some(max)) => {
                let c = CurrencyFields::of(&state.settings.currency);
                J::obj()
                    .with("min_price", min.to_string())
                    .with("max_price", max.to_string())
                    .with("currency_code", c.currency_code)
                    .with("currency_symbol", c.currency_symbol)
                    .with("currency_minor_unit", i64::from(c.currency_minor_unit))
                    .with("currency_decimal_separator", c.currency_decimal_separator)
                    .with("currency_thousand_separator", c.currency_thousand_separator)
                    .with("currency_prefix", c.currency_prefix)
                    .with("currency_suffix", c.currency_suffix)
            }
            _ => J::Null,
        }
    } else {
        J::Null
    };
    out = out.with("price_range", price_range);
    let attribute_counts = match q.get("calculate_attribute_counts") {
        Some(PhpValue::Arr(entries)) if !entries.0.is_empty() => {
            let mut counts = Vec::new();
            for (_, e) in &entries.0 {
                let PhpValue::Arr(e) = e else {
                    continue;
                };
                let Some(tax) = e.get_str("taxonomy").map(|t| t.trim().to_ascii_lowercase()) else {
                    continue;
                };
                let attr = match tax.parse::<u32>() {
                    Ok(id) => cat.attribute(id),
                    Err(_) => cat.attribute_by_slug(&tax),
                };
                let Some(attr) = attr else { continue };
                // "or" counts drop this attribute's own filter; "and" keeps every filter.
                let skip = (e.get_str("query_type").unwrap_or("or") == "or").then_some(attr.slug.to_string());
                let items = match run(&[], skip.as_deref()) {
                    Ok(i) => i,
                    Err(e) => return fail(&ctx, &e),
                };
                for &term in &attr.terms {
                    let n = items.iter().filter(|&&i| matches!(i, ItemRef::Product(p) if product_has(&cat, p, term))).count();
                    if n > 0 {
                        counts.push(J::obj().with("term", i64::from(term)).with("count", n as i64));
                    }
                }
            }
            J::Arr(counts)
        }
        Some(_) => J::Arr(Vec::new()),
        None => J::Null,
    };
    out = out.with("attribute_counts", attribute_counts);
    let rating_counts = if php_bool(q.get("calculate_rating_counts")) == Some(true) {
        let items = match run(&["rating"], None) {
            Ok(i) => i,
            Err(e) => return fail(&ctx, &e),
        };
        let mut by_rating = [0i64; 6];
        for &i in &items {
            if let ItemRef::Product(p) = i {
                let p = &cat.products[p as usize];
                let avg = cat.average_rating(p);
                if avg > 0.0 {
                    by_rating[(avg.round() as usize).min(5)] += 1;
                }
            }
        }
        J::Arr((1..=5).filter(|&r| by_rating[r] > 0).map(|r| J::obj().with("rating", r as i64).with("count", by_rating[r])).collect())
    } else {
        J::Null
    };
    out = out.with("rating_counts", rating_counts);
    let stock_counts = if php_bool(q.get("calculate_stock_status_counts")) == Some(true) {
        let items = match run(&["stock_status"], None) {
            Ok(i) => i,
            Err(e) => return fail(&ctx, &e),
        };
        // `$wpdb->get_row()` hands the counts back as strings, and WooCommerce passes them through.
        J::Arr(
            StockStatus::ALL
                .iter()
                .map(|s| {
                    let n = items.iter().filter(|&&i| cat.item_lookup(i).stock_status == *s).count();
                    J::obj().with("status", s.as_str()).with("count", n.to_string())
                })
                .collect(),
        )
    } else {
        J::Null
    };
    out = out.with("stock_status_counts", stock_counts);
    ctx.respond(Reply::json(200, &out).allow(GET))
}

fn product_has(cat: &Catalogue, p: u32, term: u32) -> bool {
    cat.products[p as usize]
        .attrs
        .iter()
        .any(|a| matches!(&a.spec, super::catalogue::AttrSpec::Global { terms, .. } if terms.contains(&term)))
}
