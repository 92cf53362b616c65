//! Bulk order bodies: JSON (`OrderRequest`) or `text/csv` (`sku,quantity` lines, optional header;
//! `po_number` and `note` in the query), checked field by field with every bad line named.

use axum::http::{header, HeaderMap};
use serde::Serialize;

use super::registry::valid_sku;
use super::views::OrderRequest;
use crate::cart::views::Address;
use crate::catalogue::query::Params;
use crate::error::{ApiError, FieldError};

pub const MAX_LINES: usize = 500;
pub const MAX_QUANTITY: i64 = 9999;

/// One requested line and the name to report it under.
#[derive(Debug, Clone, Serialize)]
pub struct InputLine {
    pub sku: String,
    pub quantity: i64,
    /// `lines[3]` for JSON, `line 4` (the CSV line number) for CSV.
    #[serde(skip)]
    pub field: String,
}

/// A well-formed order request (what the idempotency fingerprint is taken of).
#[derive(Debug, Clone, Serialize)]
pub struct OrderInput {
    pub lines: Vec<InputLine>,
    pub po_number: String,
    pub shipping_address: Option<Address>,
    pub note: Option<String>,
}

fn content_type(headers: &HeaderMap) -> String {
    let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    raw.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Parses and checks a bulk order body of either kind.
pub fn parse(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<OrderInput, ApiError> {
    match content_type(headers).as_str() {
        "application/json" => {
            Params::parse(query, &[])?.finish()?;
            let request: OrderRequest = serde_json::from_slice(body).map_err(|e| match e.classify() {
                serde_json::error::Category::Data => ApiError::field("body", e.to_string()),
                _ => ApiError::BadRequest("The body is not valid JSON.".into()),
            })?;
            let lines = request
                .lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| InputLine { sku: l.sku, quantity: l.quantity, field: format!("lines[{i}]") })
                .collect();
            check(OrderInput { lines, po_number: request.po_number, shipping_address: request.shipping_address, note: request.note }, false)
        }
        "text/csv" => {
            let mut p = Params::parse(query, &["po_number", "note"])?;
            let po_number = p.string("po_number", 1000);
            let note = p.string("note", 10_000);
            p.finish()?;
            let text = std::str::from_utf8(body).map_err(|_| ApiError::BadRequest("The CSV body is not UTF-8.".into()))?;
            let lines = csv_lines(text)?;
            let po_number = po_number.ok_or_else(|| ApiError::field("po_number", "required (a query parameter with text/csv bodies)"))?;
            check(OrderInput { lines, po_number, shipping_address: None, note }, true)
        }
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

fn unquote(field: &str) -> String {
    let f = field.trim();
    match f.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => f.to_string(),
    }
}

/// `sku,quantity` per line; blank lines skipped; a first line `sku,quantity` is a header.
fn csv_lines(text: &str) -> Result<Vec<InputLine>, ApiError> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut first = true;
    for (n, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let fields: Vec<String> = raw.split(',').map(unquote).collect();
        let field = format!("line {}", n + 1);
        if first && fields.first().is_some_and(|f| f.eq_ignore_ascii_case("sku")) {
            first = false;
            continue;
        }
        first = false;
        match fields.as_slice() {
            [sku, quantity] => match quantity.parse::<i64>() {
                Ok(quantity) => lines.push(InputLine { sku: sku.clone(), quantity, field }),
                Err(_) => errors.push(FieldError::new(field, format!("quantity {quantity:?} is not a whole number"))),
            },
            _ => errors.push(FieldError::new(field, "expected two fields: sku,quantity")),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn check(mut input: OrderInput, csv: bool) -> Result<OrderInput, ApiError> {
    let mut errors = Vec::new();
    if input.lines.is_empty() || input.lines.len() > MAX_LINES {
        errors.push(FieldError::new("lines", format!("1 to {MAX_LINES} lines")));
    }
    for line in &input.lines {
        let (sku_field, quantity_field) = if csv {
            (line.field.clone(), line.field.clone())
        } else {
            (format!("{}.sku", line.field), format!("{}.quantity", line.field))
        };
        if !valid_sku(&line.sku) {
            errors.push(FieldError::new(sku_field, "a SKU: 1 to 100 characters, no commas"));
        }
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            errors.push(FieldError::new(quantity_field, format!("quantity must be 1 to {MAX_QUANTITY}")));
        }
    }
    input.po_number = input.po_number.trim().to_string();
    if input.po_number.is_empty() || input.po_number.chars().count() > 64 || input.po_number.chars().any(char::is_control) {
        errors.push(FieldError::new("po_number", "1 to 64 characters"));
    }
    input.note = input.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if input.note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        errors.push(FieldError::new("note", "at most 2000 characters"));
    }
    if let Some(address) = &input.shipping_address {
        address.validate("shipping_address", &mut errors);
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(ApiError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(body: &str, query: &str) -> Result<OrderInput, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "text/csv; charset=utf-8".parse().unwrap());
        parse(&headers, Some(query), body.as_bytes())
    }

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(f) => f.into_iter().map(|f| f.field).collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn csv_with_and_without_header() {
        let a = csv("sku,quantity\r\nA-1,2\n\n\"B-2\",3\n", "po_number=PO-1").unwrap();
        assert_eq!(a.lines.iter().map(|l| (l.sku.as_str(), l.quantity)).collect::<Vec<_>>(), [("A-1", 2), ("B-2", 3)]);
        assert_eq!(a.lines[1].field, "line 4");
        let b = csv("A-1,2\n", "po_number=PO-1&note=rush").unwrap();
        assert_eq!((b.lines.len(), b.note.as_deref()), (1, Some("rush")));
        assert_eq!(fields(csv("A-1,x\nB,1,2\nC,0\n", "po_number=P").unwrap_err()), ["line 1", "line 2"]);
        assert_eq!(fields(csv("C,0\n", "po_number=P").unwrap_err()), ["line 1"]);
        assert_eq!(fields(csv("A,1\n", "").unwrap_err()), ["po_number"]);
    }

    #[test]
    fn json_names_each_bad_field() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let body = br#"{"lines":[{"sku":"A","quantity":1},{"sku":"","quantity":0}],"po_number":" "}"#;
        let err = parse(&headers, None, body).unwrap_err();
        assert_eq!(fields(err), ["lines[1].sku", "lines[1].quantity", "po_number"]);
        assert!(matches!(parse(&headers, None, b"{"), Err(ApiError::BadRequest(_))));
        assert_eq!(fields(parse(&headers, None, br#"{"lines":[],"po_number":"x","extra":1}"#).unwrap_err()), ["body"]);
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(matches!(parse(&headers, None, b""), Err(ApiError::UnsupportedMediaType)));
    }
}
