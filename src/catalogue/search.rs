//! `GET /api/v1/search`: the shop search that is better than the store's `LIKE` — typo
//! tolerance, type-ahead prefixes, field boosts and highlighted snippets from the text index,
//! with the same filters and facets as `/products`, over what the shop's search shows.

use std::sync::Arc;

use axum::extract::State;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::index::{eval, CatalogueIndex, FACET_MAX_CATEGORIES};
use super::query::{NormalisedQuery, StockFilter};
use super::views::{Facets, ProductSummary};
use super::Catalogue;
use crate::error::{ApiError, ErrorBody, FieldError};

/// Matches considered at most (the best ones); pages and facets are taken from these.
const MAX_MATCHES: usize = 10_000;
const MAX_Q_CHARS: usize = 100;

/// The search query: `q` plus the `/products` filters and paging (results are by relevance).
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find (at most 100 characters). Every word must match, in the name, SKU,
    /// categories, tags or descriptions; words of 5+ letters allow one typo; the last word
    /// also matches as a prefix (type-ahead).
    pub q: String,
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<u32>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub attributes: Option<String>,
    pub min_price: Option<u64>,
    pub max_price: Option<u64>,
    pub on_sale: Option<bool>,
    #[param(inline)]
    pub stock_status: Option<StockFilter>,
}

/// Matched words of a result, HTML-escaped with `<mark>` around each match.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Highlight {
    pub name_html: String,
    /// A fragment (≤ 150 characters) of the short description or description.
    pub text_html: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    // The product's summary exactly as `/products` lists it: the index's stored bytes, sent
    // as they are rather than parsed and written again for every hit.
    #[schema(value_type = ProductSummary)]
    pub product: Box<RawValue>,
    pub highlight: Highlight,
}

/// A page of results, best first, and the facets of every match.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResults {
    pub items: Vec<SearchHit>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
    pub total_pages: u32,
    pub facets: Facets,
}

/// Splits `q` from the rest of the query; the rest is read as `/products` filters, where
/// `search`, `orderby` and `order` are refused (results are ranked by relevance).
fn parse(raw: Option<&str>) -> Result<(String, NormalisedQuery), ApiError> {
    let mut q = None;
    let mut rest = Vec::new();
    let mut errors = Vec::new();
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let name = pair.split_once('=').map_or(pair, |(k, _)| k);
        match name {
            "q" if q.is_some() => errors.push(FieldError::new("q", "given more than once")),
            "q" => q = Some(url::form_urlencoded::parse(pair.as_bytes()).next().map(|(_, v)| v.trim().to_string()).unwrap_or_default()),
            "search" | "orderby" | "order" => errors.push(FieldError::new(name, "not on /search: results are ranked by relevance")),
            _ => rest.push(pair),
        }
    }
    let q = match q {
        Some(q) if q.chars().count() > MAX_Q_CHARS => {
            errors.push(FieldError::new("q", format!("at most {MAX_Q_CHARS} characters")));
            String::new()
        }
        Some(q) if !q.is_empty() => q,
        _ => {
            errors.push(FieldError::new("q", "required: the words to search for"));
            String::new()
        }
    };
    let filters = match NormalisedQuery::for_list(Some(&rest.join("&"))) {
        Ok(f) => f,
        Err(ApiError::Validation(more)) => {
            errors.extend(more);
            NormalisedQuery::default()
        }
        Err(other) => return Err(other),
    };
    if errors.is_empty() {
        Ok((q, filters))
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Extractor for the search query.
pub struct SearchQuery(pub String, pub NormalisedQuery);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SearchQuery {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parse(parts.uri.query()).map(|(q, f)| SearchQuery(q, f))
    }
}

fn not_ready() -> ApiError {
    ApiError::Rejected {
        status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
        code: "search_not_ready",
        message: "Search starts once the catalogue index has been built; retry shortly.".into(),
    }
}

/// Ranks, filters, pages and highlights.
fn run(index: &CatalogueIndex, q: &str, filters: &NormalisedQuery) -> Result<SearchResults, ApiError> {
    let text = index.text().ok_or_else(not_ready)?;
    let skip = (filters.page as usize - 1).saturating_mul(filters.per_page as usize);
    let found = index.search(q, MAX_MATCHES, |matches, replica| {
        let filter = eval::SearchFilter::new(filters, replica);
        let among = filter.among(&matches.all);
        let page: Vec<(u64, bytes::Bytes)> = matches
            .ranked
            .iter()
            .filter(|slot| among.contains(**slot))
            .skip(skip)
            .take(filters.per_page as usize)
            .filter_map(|slot| replica.doc(*slot).map(|d| (d.id, d.summary.clone())))
            .collect();
        (among.len(), page, filter.facets_among(FACET_MAX_CATEGORIES, &among))
    });
    let (total, page_docs, facets) =
        found.map_err(|e| ApiError::Internal { what: "searching the text index", cause: Some(e.to_string()) })?.ok_or_else(not_ready)?;
    let ids: Vec<u64> = page_docs.iter().map(|(id, _)| *id).collect();
    let mut snippets =
        text.snippets(q, &ids).map_err(|e| ApiError::Internal { what: "highlighting search results", cause: Some(e.to_string()) })?;
    let items = page_docs
        .into_iter()
        .map(|(id, summary)| {
            let raw = std::str::from_utf8(&summary)
                .map_err(|e| ApiError::Internal { what: "reading an indexed product", cause: Some(e.to_string()) })?;
            let product = RawValue::from_string(raw.to_owned()).map_err(|e| ApiError::json("reading an indexed product", &e))?;
            let highlight = match snippets.remove(&id) {
                Some(s) => Highlight { name_html: s.name_html, text_html: s.text_html },
                // Not in the text index (changed meanwhile): the plain name.
                None => {
                    let summary: ProductSummary =
                        serde_json::from_str(product.get()).map_err(|e| ApiError::json("reading an indexed product", &e))?;
                    Highlight { name_html: html_escape::encode_text(&summary.name).into_owned(), text_html: None }
                }
            };
            Ok(SearchHit { product, highlight })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(SearchResults {
        items,
        page: filters.page,
        per_page: filters.per_page,
        total,
        total_pages: u32::try_from(total.div_ceil(u64::from(filters.per_page))).unwrap_or(u32::MAX),
        facets,
    })
}

/// Search the catalogue: typo-tolerant, prefix-matching, ranked, highlighted.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalogue",
    params(SearchParams),
    responses(
        (status = 200, description = "Results, best first, with the facets of every match", body = SearchResults),
        (status = 422, description = "`q` missing or too long, or a filter is invalid", body = ErrorBody),
        (status = 503, description = "The catalogue index is still being built (`search_not_ready`) or is off", body = ErrorBody),
    ))]
pub async fn search(State(catalogue): State<Arc<Catalogue>>, SearchQuery(q, filters): SearchQuery) -> Result<Response, ApiError> {
    let index = catalogue.index().ok_or_else(not_ready)?.clone();
    // Ranking and facets are CPU work of a few milliseconds: off the async threads.
    let results = tokio::task::spawn_blocking(move || run(&index, &q, &filters))
        .await
        .map_err(|e| ApiError::Internal { what: "running a search", cause: Some(e.to_string()) })??;
    Ok(Json(results).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(raw: &str) -> Vec<String> {
        match parse(Some(raw)) {
            Err(ApiError::Validation(f)) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("expected a validation error, got {:?}", other.map(|(q, _)| q)),
        }
    }

    #[test]
    fn q_is_required_and_bounded_and_sorting_is_refused() {
        assert_eq!(fields("category=12"), ["q"]);
        assert_eq!(fields("q=%20%20"), ["q"]);
        assert_eq!(fields(&format!("q={}", "a".repeat(101))), ["q"]);
        assert_eq!(fields("q=hoodie&orderby=price&per_page=0"), ["orderby", "per_page"]);
        let (q, f) = parse(Some("q=red+hood%C3%ADe&category=hoodies&page=2")).unwrap();
        assert_eq!(q, "red hoodíe");
        assert_eq!((f.page, f.category.as_deref()), (2, Some("hoodies")));
    }
}
