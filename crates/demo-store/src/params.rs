//! WordPress REST argument validation (`rest_validate_request_arg`): types, bounds and enums, reported as one `rest_invalid_param` error.

use super::http::{WpError, J};
use super::wp::{parse_numeric, wp_parse_list, PhpArray, PhpValue};

/// The schema of one declared argument.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    Str,
    Enum(&'static [&'static str]),
    Bool,
    /// `type: array, items: string enum`.
    EnumList(&'static [&'static str]),
    /// `type: array` of anything (objects are checked by the route).
    AnyList,
    /// `format: date-time`.
    Date,
}

pub struct Arg {
    pub name: &'static str,
    pub kind: Kind,
}

pub const fn arg(name: &'static str, kind: Kind) -> Arg {
    Arg { name, kind }
}

struct Problem {
    code: &'static str,
    message: String,
    data: J,
}

/// Validates `args` (in declaration order) against the request parameters.
pub fn validate(params: &PhpArray, args: &[Arg]) -> Result<(), WpError> {
    let mut invalid: Vec<(&str, Problem)> = Vec::new();
    for a in args {
        if let Some(v) = params.get(a.name) {
            if let Some(p) = check(a.name, a.kind, v) {
                invalid.push((a.name, p));
            }
        }
    }
    if invalid.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = invalid.iter().map(|(n, _)| *n).collect();
    let mut err = WpError::new(400, "rest_invalid_param", &format!("Invalid parameter(s): {}", names.join(", ")));
    let mut params_obj = Vec::new();
    let mut details = Vec::new();
    for (name, p) in invalid {
        params_obj.push((name.to_string(), J::from(p.message.as_str())));
        details.push((name.to_string(), J::obj().with("code", p.code).with("message", p.message).with("data", p.data)));
    }
    err.extra.push(("params".into(), J::Obj(params_obj)));
    err.extra.push(("details".into(), J::Obj(details)));
    Err(err)
}

fn invalid_type(name: &str, ty: &str) -> Problem {
    Problem { code: "rest_invalid_type", message: format!("{name} is not of type {ty}."), data: J::obj().with("param", name) }
}

/// `wp_sprintf_l`: "a, b, and c" / "a and b".
fn list_words(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [a, b] => format!("{a} and {b}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
    }
}

fn not_in_enum(name: &str, allowed: &[&str]) -> Problem {
    Problem { code: "rest_not_in_enum", message: format!("{name} is not one of {}.", list_words(allowed)), data: J::Null }
}

fn check(name: &str, kind: Kind, v: &PhpValue) -> Option<Problem> {
    match kind {
        Kind::Int { min, max } => {
            let Some(n) = v.as_str().and_then(php_int) else {
                return Some(invalid_type(name, "integer"));
            };
            let out = match (min, max) {
                (Some(lo), Some(hi)) if n < lo || n > hi => Some(format!("{name} must be between {lo} (inclusive) and {hi} (inclusive)")),
                (Some(lo), None) if n < lo => Some(format!("{name} must be greater than or equal to {lo}")),
                (None, Some(hi)) if n > hi => Some(format!("{name} must be less than or equal to {hi}")),
                _ => None,
            };
            out.map(|message| Problem { code: "rest_out_of_bounds", message, data: J::Null })
        }
        Kind::Str => v.as_str().is_none().then(|| invalid_type(name, "string")),
        Kind::Enum(allowed) => match v.as_str() {
            None => Some(invalid_type(name, "string")),
            Some(s) if !allowed.contains(&s) => Some(not_in_enum(name, allowed)),
            Some(_) => None,
        },
        Kind::Bool => match v.as_str() {
            Some(s) if matches!(s.to_ascii_lowercase().as_str(), "true" | "false" | "1" | "0") => None,
            _ => Some(invalid_type(name, "boolean")),
        },
        Kind::EnumList(allowed) => wp_parse_list(v)
            .iter()
            .enumerate()
            .find(|(_, item)| !allowed.contains(&item.as_str()))
            .map(|(i, _)| not_in_enum(&format!("{name}[{i}]"), allowed)),
        Kind::AnyList => None,
        Kind::Date => match v.as_str().and_then(super::render::parse_rest_date) {
            Some(_) => None,
            None => Some(Problem { code: "rest_invalid_date", message: "Invalid date.".into(), data: J::Null }),
        },
    }
}

/// `rest_is_integer` then `(int)`: numeric strings whose value is whole.
pub fn php_int(s: &str) -> Option<i64> {
    let f = parse_numeric(s)?;
    (f.round() == f && f.abs() < 9.0e18).then_some(f as i64)
}

/// `wc_string_to_bool` after validation.
pub fn php_bool(v: Option<&PhpValue>) -> Option<bool> {
    let s = v?.as_str()?.to_ascii_lowercase();
    Some(matches!(s.as_str(), "true" | "1" | "yes"))
}

/// An integer parameter with a default (already validated).
pub fn int_param(params: &PhpArray, name: &str, default: i64) -> i64 {
    params.get_str(name).and_then(php_int).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wp::parse_str;

    #[test]
    fn per_page_out_of_bounds_matches_capture() {
        let args = [arg("per_page", Kind::Int { min: Some(0), max: Some(100) })];
        let err = validate(&parse_str("per_page=500"), &args).err().map(|e| String::from_utf8_lossy(&e.body()).into_owned());
        assert_eq!(
            err.as_deref(),
            Some(
                r#"{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page","data":{"status":400,"params":{"per_page":"per_page must be between 0 (inclusive) and 100 (inclusive)"},"details":{"per_page":{"code":"rest_out_of_bounds","message":"per_page must be between 0 (inclusive) and 100 (inclusive)","data":null}}}}"#
            )
        );
    }

    #[test]
    fn enum_message() {
        let args = [arg("type", Kind::Enum(&["simple", "grouped", "external", "variable"]))];
        let e = validate(&parse_str("type=bogus"), &args).err();
        assert!(e.is_some_and(|e| e.body().windows(8).any(|w| w == b"and vari")));
    }
}
