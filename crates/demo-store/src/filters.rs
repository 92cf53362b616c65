//! Request parameters to catalogue filters, as the Store API's `ProductQuery::prepare_objects_query` and the REST API's `prepare_objects_query` build them.

use super::catalogue::{Catalogue, ProductStatus, ProductType, StockStatus, Taxonomy, Visibility};
use super::http::WpError;
use super::params::{int_param, php_bool, php_int};
use super::query::{Filter, OrderBy, PostTypes, Search, TaxClause, TaxOp, VisibilityFilter};
use super::render::parse_rest_date;
use super::wp::{parse_numeric, sanitize_title, wp_parse_id_list, wp_parse_list, PhpArray, PhpValue};

/// A parsed list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Filter,
    pub order: OrderBy,
    pub desc: bool,
    pub page: u64,
    /// 0 means "everything" (`posts_per_page = -1`).
    pub per_page: u64,
    pub offset: Option<u64>,
}

impl ListQuery {
    /// The slice of `total` items this request returns.
    pub fn window(&self, total: usize) -> std::ops::Range<usize> {
        if self.per_page == 0 {
            return 0..total;
        }
        let start = match self.offset {
            Some(o) => o,
            None => self.page.saturating_sub(1).saturating_mul(self.per_page),
        };
        let start = usize::try_from(start).unwrap_or(usize::MAX).min(total);
        let end = start.saturating_add(usize::try_from(self.per_page).unwrap_or(usize::MAX)).min(total);
        start..end
    }
}

/// PHP `$array += $other` on lists: keys already present win, so only the tail of `other` is added.
fn php_union(mut base: Vec<u32>, other: &[u32]) -> Vec<u32> {
    if other.len() > base.len() {
        base.extend_from_slice(&other[base.len()..]);
    }
    base
}

fn ids(v: Option<&PhpValue>) -> Vec<u32> {
    v.map(wp_parse_id_list).unwrap_or_default().into_iter().filter_map(|n| u32::try_from(n).ok()).collect()
}

fn op_of(q: &PhpArray, key: &str) -> TaxOp {
    match q.get_str(key) {
        Some("not_in") => TaxOp::NotIn,
        Some("and") => TaxOp::And,
        _ => TaxOp::In,
    }
}

/// A tax clause over `values` (ids when `by_id`, else slugs), children included for categories.
pub fn tax_clause(cat: &Catalogue, taxonomy: Taxonomy, values: &[String], op: TaxOp, by_id: bool) -> TaxClause {
    let mut terms = Vec::new();
    let mut missing = false;
    for v in values {
        let found = if by_id {
            let id =
                v.trim().bytes().take_while(u8::is_ascii_digit).fold(0u32, |a, d| a.saturating_mul(10).saturating_add(u32::from(d - b'0')));
            cat.term(id).filter(|t| t.taxonomy == taxonomy)
        } else {
            cat.terms.iter().find(|t| t.taxonomy == taxonomy && *t.slug == *v)
        };
        match found {
            Some(t) if taxonomy == Taxonomy::Category => terms.extend(cat.term_with_descendants(t.id)),
            Some(t) => terms.push(t.id),
            None => missing = true,
        }
    }
    terms.sort_unstable();
    terms.dedup();
    TaxClause { taxonomy, terms, missing, op }
}

/// `ProductQuery` price filter: minor units divided by 10^decimals, then compared to the lookup.
/// A non-numeric value is a PHP 8 `TypeError`, i.e. a fatal error.
fn store_price(q: &PhpArray, key: &str) -> Result<Option<f64>, WpError> {
    let Some(raw) = q.get_str(key) else {
        return Ok(None);
    };
    if raw.is_empty() || raw == "0" {
        return Ok(None);
    }
    let lead: String = raw.trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-' || *c == '+').collect();
    match parse_numeric(raw).or_else(|| parse_numeric(&lead)) {
        Some(v) => Ok(Some(v)),
        None => Err(WpError::critical()),
    }
}

/// Store API `attributes[i][attribute|term_id|slug|operator]`.
fn attribute_clauses(cat: &Catalogue, v: &PhpValue, skip_taxonomy: Option<&str>) -> Vec<TaxClause> {
    let PhpValue::Arr(entries) = v else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, entry) in &entries.0 {
        let PhpValue::Arr(e) = entry else { continue };
        let Some(name) = e.get_str("attribute") else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if skip_taxonomy == Some(name.as_str()) {
            continue;
        }
        let Some(attr) = cat.attribute_by_slug(&name) else {
            continue;
        };
        let term_ids: Vec<String> =
            e.get("term_id").map(wp_parse_id_list).unwrap_or_default().iter().filter(|&&n| n > 0).map(u64::to_string).collect();
        let slugs: Vec<String> = e.get("slug").map(wp_parse_list).unwrap_or_default().iter().map(|s| sanitize_title(s)).collect();
        if term_ids.is_empty() && slugs.is_empty() {
            continue;
        }
        let op = match e.get_str("operator") {
            Some("not_in") => TaxOp::NotIn,
            Some("and") => TaxOp::And,
            _ => TaxOp::In,
        };
        let tax = Taxonomy::Attribute(attr.id);
        out.push(if term_ids.is_empty() { tax_clause(cat, tax, &slugs, op, false) } else { tax_clause(cat, tax, &term_ids, op, true) });
    }
    out
}

fn date_param(q: &PhpArray, key: &str) -> Option<i64> {
    q.get_str(key).and_then(parse_rest_date)
}

/// Store API `/products` (and collection data) parameters. `skip_attr` drops one attribute's filter (for "or" counts).
pub fn store_products(cat: &Catalogue, q: &PhpArray, skip_attr: Option<&str>) -> Result<ListQuery, WpError> {
    let mut f = Filter { statuses: Some(vec![ProductStatus::Publish]), ..Filter::default() };
    if let Some(s) = q.get_str("search").map(str::trim).filter(|s| !s.is_empty() && *s != "0") {
        f.search = Some(Search::TitleOrSku(s.to_string()));
    }
    let list_with_whole = |raw: &str| {
        let mut parts: Vec<String> = raw.split(',').map(str::to_string).collect();
        if parts.len() > 1 {
            parts.push(raw.to_string());
        }
        parts
    };
    if let Some(sku) = q.get_str("sku").map(str::trim).filter(|s| !s.is_empty()) {
        f.skus = Some(list_with_whole(sku));
        f.post_types = PostTypes::Both;
    }
    if let Some(slug) = q.get_str("slug").map(str::trim).filter(|s| !s.is_empty()) {
        f.slugs = Some(list_with_whole(slug));
        f.post_types = PostTypes::Both;
    }
    match q.get_str("type").and_then(ProductType::parse) {
        Some(ProductType::Variation) => f.post_types = PostTypes::Variations,
        Some(t) => {
            f.post_types = PostTypes::Products;
            f.product_type = Some(t);
        }
        None => {}
    }
    let column_modified = matches!(q.get_str("date_column"), Some("modified" | "modified_gmt"));
    let (after, before) = (date_param(q, "after"), date_param(q, "before"));
    if column_modified {
        (f.modified_after, f.modified_before) = (after, before);
    } else {
        (f.created_after, f.created_before) = (after, before);
    }
    let mut include = ids(q.get("include"));
    let mut exclude = ids(q.get("exclude"));
    f.parent_in = ids(q.get("parent"));
    f.parent_not_in = ids(q.get("parent_exclude"));
    for (key, tax) in [("category", Taxonomy::Category), ("tag", Taxonomy::Tag)] {
        let values = q.get(key).map(wp_parse_list).unwrap_or_default();
        // `wp_parse_id_list`: ids only; a slug is `absint`ed to 0 and matches nothing (real 8.9.1).
        if !values.is_empty() {
            f.tax.push(tax_clause(cat, tax, &values, op_of(q, &format!("{key}_operator")), true));
        }
    }
    if let Some(a) = q.get("attributes") {
        f.tax.extend(attribute_clauses(cat, a, skip_attr));
    }
    if q.get("featured").is_some() {
        f.featured = php_bool(q.get("featured"));
    }
    if let Some(on_sale) = q.get("on_sale").and_then(|v| php_bool(Some(v))) {
        let mut sale_ids = cat.on_sale_ids();
        if sale_ids.is_empty() {
            sale_ids.push(0);
        }
        if on_sale {
            include = php_union(include, &sale_ids);
        } else {
            exclude = php_union(exclude, &sale_ids);
        }
    }
    f.include = (!include.is_empty()).then_some(include);
    f.exclude = exclude;
    f.visibility = q.get_str("catalog_visibility").and_then(Visibility::parse).map(VisibilityFilter);
    f.ratings = ids(q.get("rating")).into_iter().filter_map(|r| u8::try_from(r).ok()).collect();
    f.stock_status = q.get("stock_status").map(wp_parse_list).unwrap_or_default().iter().filter_map(|s| StockStatus::parse(s)).collect();
    f.min_price = store_price(q, "min_price")?;
    f.max_price = store_price(q, "max_price")?;
    let order = q.get_str("orderby").and_then(OrderBy::parse).unwrap_or(OrderBy::Date);
    Ok(ListQuery {
        filter: f,
        order,
        desc: q.get_str("order").unwrap_or("desc") == "desc",
        page: u64::try_from(int_param(q, "page", 1)).unwrap_or(1).max(1),
        per_page: u64::try_from(int_param(q, "per_page", 10)).unwrap_or(10),
        offset: q.get_str("offset").and_then(php_int).map(i64::unsigned_abs).filter(|&o| o > 0),
    })
}

/// REST API v3 `/products` parameters.
pub fn rest_products(cat: &Catalogue, q: &PhpArray, currency_decimals: u32) -> ListQuery {
    let statuses = match q.get_str("status").unwrap_or("any") {
        "any" => None,
        s => Some(ProductStatus::parse(s).into_iter().collect()),
    };
    let mut f = Filter { statuses, ..Filter::default() };
    if let Some(s) = q.get_str("search").map(str::trim).filter(|s| !s.is_empty()) {
        f.search = Some(Search::Words(s.split_whitespace().map(str::to_string).collect()));
    }
    if let Some(sku) = q.get_str("sku").filter(|s| !s.is_empty()) {
        let mut skus: Vec<String> = sku.split(',').map(str::to_string).collect();
        if skus.len() > 1 {
            skus.push(sku.to_string());
        }
        f.skus = Some(skus);
        // WooCommerce widens the post types when filtering by SKU, so variations match too.
        f.post_types = PostTypes::Both;
    }
    if let Some(slug) = q.get_str("slug").filter(|s| !s.is_empty()) {
        f.slugs = Some(vec![slug.to_string()]);
    }
    f.product_type = q.get_str("type").and_then(ProductType::parse).filter(|t| *t != ProductType::Variation);
    let gmt = php_bool(q.get("dates_are_gmt")).unwrap_or(false);
    let _ = gmt; // The store runs on UTC: local and GMT dates are the same.
    f.created_after = date_param(q, "after");
    f.created_before = date_param(q, "before");
    f.modified_after = date_param(q, "modified_after");
    f.modified_before = date_param(q, "modified_before");
    let mut include = ids(q.get("include"));
    let mut exclude = ids(q.get("exclude"));
    f.parent_in = ids(q.get("parent"));
    f.parent_not_in = ids(q.get("parent_exclude"));
    // The REST API passes the raw string as term ids, so WordPress `intval`s it: only the first id counts.
    for (key, tax) in [("category", Taxonomy::Category), ("tag", Taxonomy::Tag)] {
        if let Some(v) = q.get_str(key).filter(|s| !PhpValue::Str((*s).to_string()).is_empty_php()) {
            f.tax.push(tax_clause(cat, tax, &[v.to_string()], TaxOp::In, true));
        }
    }
    if let (Some(attr), Some(term)) = (q.get_str("attribute"), q.get_str("attribute_term").filter(|t| !t.is_empty())) {
        if let Some(a) = cat.attribute_by_slug(attr) {
            f.tax.push(tax_clause(cat, Taxonomy::Attribute(a.id), &[term.to_string()], TaxOp::In, true));
        }
    }
    if q.get("featured").is_some() {
        f.featured = php_bool(q.get("featured"));
    }
    if let Some(on_sale) = q.get("on_sale").and_then(|v| php_bool(Some(v))) {
        let mut sale_ids = cat.on_sale_ids();
        if sale_ids.is_empty() {
            sale_ids.push(0);
        }
        if on_sale {
            include = php_union(include, &sale_ids);
        } else {
            exclude = php_union(exclude, &sale_ids);
        }
    }
    f.include = (!include.is_empty()).then_some(include);
    f.exclude = exclude;
    f.stock_status = q.get_str("stock_status").and_then(StockStatus::parse).into_iter().collect();
    let scale = 10f64.powi(i32::try_from(currency_decimals).unwrap_or(2));
    let price = |k: &str| q.get_str(k).and_then(parse_numeric).filter(|v| *v != 0.0).map(|v| v * scale);
    f.min_price = price("min_price");
    f.max_price = price("max_price");
    if q.get("virtual").is_some() {
        f.is_virtual = php_bool(q.get("virtual"));
    }
    ListQuery {
        filter: f,
        order: q.get_str("orderby").and_then(OrderBy::parse).unwrap_or(OrderBy::Date),
        desc: q.get_str("order").unwrap_or("desc") == "desc",
        page: u64::try_from(int_param(q, "page", 1)).unwrap_or(1).max(1),
        per_page: u64::try_from(int_param(q, "per_page", 10)).unwrap_or(10).max(1),
        offset: q.get_str("offset").and_then(php_int).map(i64::unsigned_abs).filter(|&o| o > 0),
    }
}
