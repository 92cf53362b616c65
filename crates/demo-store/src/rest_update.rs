//! REST API write bodies: JSON or form parameters validated against the product schema and turned into a catalogue `Patch`.

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use serde_json::Value;

use super::catalogue::{Backorders, ProductStatus, StockStatus, Visibility};
use super::http::{WpError, J};
use super::mutate::Patch;
use super::params::php_int;
use super::wp::{parse_str, PhpValue};

/// A body parameter as WordPress sees it: JSON keeps its types, form fields are strings.
enum Param {
    Json(Value),
    Text(String),
}

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Bool,
    Int,
    NullableInt,
    Enum(&'static [&'static str]),
}

const FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("status", Ty::Enum(&["draft", "pending", "private", "publish", "future"])),
    ("featured", Ty::Bool),
    ("catalog_visibility", Ty::Enum(&["visible", "catalog", "search", "hidden"])),
    ("sku", Ty::Str),
    ("regular_price", Ty::Str),
    ("sale_price", Ty::Str),
    ("manage_stock", Ty::Bool),
    ("stock_quantity", Ty::Int),
    ("stock_status", Ty::Enum(&["instock", "outofstock", "onbackorder"])),
    ("backorders", Ty::Enum(&["no", "notify", "yes"])),
    ("low_stock_amount", Ty::NullableInt),
];

/// Reads the body (JSON or form) into named parameters.
fn body_params(headers: &HeaderMap, body: &[u8]) -> Result<Vec<(String, Param)>, WpError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if ct.starts_with("application/json") {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(m.into_iter().map(|(k, v)| (k, Param::Json(v))).collect()),
            Ok(_) => Ok(Vec::new()),
            Err(_) => {
                let mut e = WpError::new(400, "rest_invalid_json", "Invalid JSON body passed.");
                e.extra.push(("json_error_code".into(), J::Int(4)));
                e.extra.push(("json_error_message".into(), J::from("Syntax error")));
                Err(e)
            }
        };
    }
    if ct.starts_with("application/x-www-form-urlencoded") {
        let parsed = parse_str(&String::from_utf8_lossy(body));
        return Ok(parsed
            .0
            .into_iter()
            .filter_map(|(k, v)| match v {
                PhpValue::Str(s) => Some((k, Param::Text(s))),
                PhpValue::Arr(_) => None,
            })
            .collect());
    }
    Ok(Vec::new())
}

fn type_error(name: &str, ty: &str) -> (String, String, &'static str, J) {
    (name.to_string(), format!("{name} is not of type {ty}."), "rest_invalid_type", J::obj().with("param", name))
}

/// The value as a string, if it has the schema type; otherwise the WordPress validation problem.
fn check(name: &str, ty: Ty, p: &Param) -> Result<Option<String>, (String, String, &'static str, J)> {
    let text = match p {
        Param::Text(s) => Some(s.clone()),
        Param::Json(Value::String(s)) => Some(s.clone()),
        Param::Json(Value::Bool(b)) => Some(if *b { "true".into() } else { "false".into() }).filter(|_| matches!(ty, Ty::Bool)),
        Param::Json(Value::Number(n)) => Some(n.to_string()).filter(|_| matches!(ty, Ty::Int | Ty::NullableInt | Ty::Bool)),
        Param::Json(Value::Null) if matches!(ty, Ty::NullableInt) => return Ok(None),
        Param::Json(_) => None,
    };
    match ty {
        Ty::Str => text.map(Some).ok_or_else(|| type_error(name, "string")),
        Ty::Bool => match text {
            Some(t) if matches!(t.to_ascii_lowercase().as_str(), "true" | "false" | "1" | "0") => Ok(Some(t.to_ascii_lowercase())),
            _ => Err(type_error(name, "boolean")),
        },
        Ty::Int | Ty::NullableInt => match text.as_deref().and_then(php_int) {
            Some(n) => Ok(Some(n.to_string())),
            None => Err(type_error(name, "integer")),
        },
        Ty::Enum(allowed) => match text {
            Some(t) if allowed.contains(&t.as_str()) => Ok(Some(t)),
            Some(_) => {
                let words = match allowed {
                    [init @ .., last] if !init.is_empty() => {
                        format!("{}, and {last}", init.join(", "))
                    }
                    _ => allowed.join(""),
                };
                Err((name.to_string(), format!("{name} is not one of {words}."), "rest_not_in_enum", J::Null))
            }
            None => Err(type_error(name, "string")),
        },
    }
}

/// `wc_format_decimal` then minor units; an empty or non-numeric price clears it.
fn price(s: &str, minor_unit: u32) -> Option<u32> {
    let cleaned: String = s.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect();
    let v: f64 = cleaned.parse().ok()?;
    let scaled = (v * 10f64.powi(i32::try_from(minor_unit).unwrap_or(2))).round();
    (scaled >= 0.0 && scaled <= f64::from(u32::MAX)).then_some(scaled as u32)
}

/// Validates a write body and builds the patch it describes.
pub fn parse_patch_with(headers: &HeaderMap, body: &Bytes, minor_unit: u32) -> Result<Patch, WpError> {
    let params = body_params(headers, body)?;
    let mut values: Vec<(&str, Option<String>)> = Vec::new();
    let mut problems = Vec::new();
    for (name, ty) in FIELDS {
        if let Some((_, p)) = params.iter().rev().find(|(k, _)| k == name) {
            match check(name, *ty, p) {
                Ok(v) => values.push((name, v)),
                Err(problem) => problems.push(problem),
            }
        }
    }
    if !problems.is_empty() {
        let names: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
        let mut e = WpError::new(400, "rest_invalid_param", &format!("Invalid parameter(s): {}", names.join(", ")));
        let params_obj = problems.iter().map(|p| (p.0.clone(), J::from(p.1.as_str()))).collect();
        let details = problems.into_iter().map(|(n, m, c, d)| (n, J::obj().with("code", c).with("message", m).with("data", d))).collect();
        e.extra.push(("params".into(), J::Obj(params_obj)));
        e.extra.push(("details".into(), J::Obj(details)));
        return Err(e);
    }
    let mut patch = Patch::default();
    for (name, v) in values {
        let s = v.clone().unwrap_or_default();
        let truthy = matches!(s.as_str(), "true" | "1");
        match name {
            "name" => patch.name = Some(s),
            "status" => patch.status = ProductStatus::parse(&s).or(Some(ProductStatus::Publish)),
            "featured" => patch.featured = Some(truthy),
            "catalog_visibility" => patch.visibility = Visibility::parse(&s),
            "sku" => patch.sku = Some(s),
            "regular_price" => patch.regular = Some(price(&s, minor_unit)),
            "sale_price" => patch.sale = Some(price(&s, minor_unit)),
            "manage_stock" => patch.manage_stock = Some(truthy),
            "stock_quantity" => patch.stock_quantity = Some(s.parse::<i32>().ok()),
            "stock_status" => patch.stock_status = StockStatus::parse(&s),
            "backorders" => {
                patch.backorders = Some(match s.as_str() {
                    "yes" => Backorders::Yes,
                    "notify" => Backorders::Notify,
                    _ => Backorders::No,
                })
            }
            "low_stock_amount" => patch.low_stock_amount = Some(v.and_then(|x| x.parse::<u32>().ok())),
            _ => {}
        }
    }
    Ok(patch)
}
