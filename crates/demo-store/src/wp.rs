//! PHP and WordPress string helpers, reproduced so the store's wire quirks (query parsing, `add_query_arg`, `esc_url`, slugs) match a real WordPress.

use std::fmt::Write as _;

/// A value as PHP's `parse_str` produces it: a string or an ordered array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhpValue {
    Str(String),
    Arr(PhpArray),
}

impl PhpValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PhpValue::Str(s) => Some(s),
            PhpValue::Arr(_) => None,
        }
    }

    /// PHP's `empty()`: "", "0" and empty arrays are empty.
    pub fn is_empty_php(&self) -> bool {
        match self {
            PhpValue::Str(s) => s.is_empty() || s == "0",
            PhpValue::Arr(a) => a.0.is_empty(),
        }
    }
}

/// An ordered PHP array with string keys (integer keys are kept as their decimal text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhpArray(pub Vec<(String, PhpValue)>);

impl PhpArray {
    pub fn get(&self, key: &str) -> Option<&PhpValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(PhpValue::as_str)
    }

    /// Assigns like `$a[$key] = $v`: replaces in place, or appends.
    pub fn set(&mut self, key: String, value: PhpValue) {
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.0.push((key, value));
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    /// The index `$a[] = ...` would use: one past the largest integer key.
    fn next_index(&self) -> String {
        let max = self.0.iter().filter_map(|(k, _)| k.parse::<i64>().ok()).max();
        max.map_or(0, |m| m + 1).to_string()
    }

    /// `array_merge` for string keys: later values replace earlier ones in place.
    pub fn merge(&mut self, other: PhpArray) {
        for (k, v) in other.0 {
            self.set(k, v);
        }
    }
}

/// Decodes `%XX` (and `+` as space when `plus` is set); bad escapes stay literal, like PHP.
fn percent_decode(s: &str, plus: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// PHP `urldecode`.
pub fn urldecode(s: &str) -> String {
    percent_decode(s, true)
}

/// PHP `rawurldecode`.
pub fn rawurldecode(s: &str) -> String {
    percent_decode(s, false)
}

/// PHP `rawurlencode` (RFC 3986: only `A-Za-z0-9-_.~` stay literal).
pub fn rawurlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// PHP `urlencode` (form encoding: space becomes `+`, `~` is escaped).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// PHP `parse_str` (what fills `$_GET`): `a[b][]=c` nesting, last duplicate wins,
/// `.` and space in the top-level name become `_`, a name without `=` gets "".
pub fn parse_str(query: &str) -> PhpArray {
    let mut out = PhpArray::default();
    for pair in query.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (raw_key, raw_val) = match pair.split_once('=') {
            Some((k, v)) => (k, v),
            None => (pair, ""),
        };
        let key = urldecode(raw_key);
        let value = urldecode(raw_val);
        register_variable(&mut out, &key, value);
    }
    out
}

/// `php_register_variable_ex`: splits `base[i1][i2]` and assigns into nested arrays.
fn register_variable(target: &mut PhpArray, name: &str, value: String) {
    let name = name.trim_start_matches(' ');
    let (base, mut rest) = match name.find('[') {
        Some(pos) => (&name[..pos], &name[pos..]),
        None => (name, ""),
    };
    // A '[' with no closing ']' anywhere is kept as '_' in the base name, like PHP.
    let mut base: String = base.chars().map(|c| if c == ' ' || c == '.' { '_' } else { c }).collect();
    if !rest.is_empty() && !rest.contains(']') {
        base.push('_');
        base.push_str(&rest[1..]);
        rest = "";
    }
    if base.is_empty() {
        return;
    }
    let mut indexes: Vec<Option<String>> = Vec::new();
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(end) => {
                let idx = &stripped[..end];
                indexes.push(if idx.is_empty() { None } else { Some(idx.to_string()) });
                rest = &stripped[end + 1..];
            }
            None => break,
        }
    }
    assign(target, Some(base), &indexes, value);
}

fn assign(target: &mut PhpArray, key: Option<String>, rest: &[Option<String>], value: String) {
    let key = key.unwrap_or_else(|| target.next_index());
    match rest.split_first() {
        None => target.set(key, PhpValue::Str(value)),
        Some((next, tail)) => {
            let mut child = match target.get(&key) {
                Some(PhpValue::Arr(a)) => a.clone(),
                _ => PhpArray::default(),
            };
            assign(&mut child, next.clone(), tail, value);
            target.set(key, PhpValue::Arr(child));
        }
    }
}

/// WordPress `_http_build_query($data, null, '&', '', false)`: no encoding, nested keys as `a%5Bb%5D`.
pub fn build_query_raw(data: &PhpArray) -> String {
    let mut parts = Vec::new();
    build_query_into(data, "", &mut parts);
    parts.join("&")
}

fn build_query_into(data: &PhpArray, prefix: &str, parts: &mut Vec<String>) {
    for (k, v) in &data.0 {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}%5B{k}%5D") };
        match v {
            PhpValue::Str(s) => parts.push(format!("{key}={s}")),
            PhpValue::Arr(a) => build_query_into(a, &key, parts),
        }
    }
}

fn urlencode_deep(data: &PhpArray) -> PhpArray {
    PhpArray(
        data.0
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    PhpValue::Str(s) => PhpValue::Str(urlencode(s)),
                    PhpValue::Arr(a) => PhpValue::Arr(urlencode_deep(a)),
                };
                (k.clone(), v)
            })
            .collect(),
    )
}

/// WordPress `add_query_arg( $args, $uri )`, including its habit of dropping a
/// value's trailing `=` and of treating an escaped `&#038;` as a fragment.
pub fn add_query_args(uri: &str, args: &PhpArray) -> String {
    let (uri, frag) = match uri.find('#') {
        Some(pos) => (&uri[..pos], &uri[pos..]),
        None => (uri, ""),
    };
    let lower = uri.to_ascii_lowercase();
    let (protocol, uri) = if lower.starts_with("http://") {
        (&uri[..7], &uri[7..])
    } else if lower.starts_with("https://") {
        (&uri[..8], &uri[8..])
    } else {
        ("", uri)
    };
    let (base, query) = if let Some((b, q)) = uri.split_once('?') {
        (format!("{b}?"), q.to_string())
    } else if !protocol.is_empty() || !uri.contains('=') {
        (format!("{uri}?"), String::new())
    } else {
        (String::new(), uri.to_string())
    };
    let mut qs = urlencode_deep(&parse_str(&query));
    for (k, v) in &args.0 {
        qs.set(k.clone(), v.clone());
    }
    let ret = build_query_raw(&qs);
    let ret = ret.trim_matches('?');
    let ret = strip_empty_equals(ret);
    let ret = format!("{protocol}{base}{ret}{frag}");
    let ret = ret.trim_end_matches('?').to_string();
    ret.replace("?#", "#")
}

/// `preg_replace('#=(&|$)#', '$1', $ret)`.
fn strip_empty_equals(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    for (i, ch) in s.char_indices() {
        if ch == '=' && (i + 1 == bytes.len() || bytes[i + 1] == b'&') {
            continue;
        }
        out.push(ch);
    }
    out
}

/// `add_query_arg( $key, $value, $uri )`.
pub fn add_query_arg(uri: &str, key: &str, value: &str) -> String {
    let mut args = PhpArray::default();
    args.set(key.to_string(), PhpValue::Str(value.to_string()));
    add_query_args(uri, &args)
}

/// WordPress `esc_url` in display context: strips odd characters, turns a bare `&`
/// into `&#038;` and brackets in the path/query into `%5B`/`%5D`.
pub fn esc_url(url: &str) -> String {
    let url = url.trim_start().replace(' ', "%20");
    let mut kept: String =
        url.chars().filter(|&c| c.is_ascii_alphanumeric() || "-~+_.?#=!&;,/:%@$|*'()[]".contains(c) || (c as u32) >= 0x80).collect();
    for strip in ["%0d", "%0a", "%0D", "%0A"] {
        while kept.contains(strip) {
            kept = kept.replace(strip, "");
        }
    }
    let kept = kept.replace(";//", "://");
    let mut out = String::with_capacity(kept.len() + 16);
    let bytes = kept.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                if let Some(len) = entity_len(&kept[i..]) {
                    out.push_str(&kept[i..i + len]);
                    i += len;
                    continue;
                }
                out.push_str("&#038;");
            }
            b'\'' => out.push_str("&#039;"),
            _ => {
                let ch_len = kept[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&kept[i..i + ch_len]);
                i += ch_len;
                continue;
            }
        }
        i += 1;
    }
    if let Some(scheme_end) = out.find("://") {
        let after = scheme_end + 3;
        let host_end = out[after..].find('/').map_or(out.len(), |p| after + p);
        let (front, end) = out.split_at(host_end);
        return format!("{front}{}", end.replace('[', "%5B").replace(']', "%5D"));
    }
    out
}

/// Length of an HTML entity at the start of `s` (`&name;`, `&#123;`, `&#x1F;`), if any.
fn entity_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('&')?;
    let end = rest.find(';')?;
    let body = &rest[..end];
    let valid = if let Some(num) = body.strip_prefix('#') {
        if let Some(hex) = num.strip_prefix(['x', 'X']) {
            !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit())
        } else {
            !num.is_empty() && num.chars().all(|c| c.is_ascii_digit())
        }
    } else {
        body.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && body.chars().all(|c| c.is_ascii_alphanumeric())
    };
    valid.then_some(end + 2)
}

/// WordPress `sanitize_title` for ASCII input: lower-case, runs of other characters become one `-`.
pub fn sanitize_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c == ' ' || c == '_' {
            dash = true;
        }
        // Other punctuation (`&`, `(`, `:`, `/` ...) is dropped, as WordPress does.
    }
    out
}

/// PHP 8 numeric string: optional surrounding whitespace, sign, digits, fraction, exponent.
pub fn parse_numeric(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\x0b' || c == '\x0c');
    if t.is_empty() {
        return None;
    }
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(pos) => (&body[..pos], Some(&body[pos + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |d: &str| d.chars().all(|c| c.is_ascii_digit());
    if !digits(int_part) || !frac_part.is_none_or(digits) || (int_part.is_empty() && frac_part.is_none_or(str::is_empty)) {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    t.parse::<f64>().ok()
}

/// WordPress `wp_parse_list`: a comma/space separated string (or an array) as a list.
pub fn wp_parse_list(v: &PhpValue) -> Vec<String> {
    match v {
        PhpValue::Str(s) => s.split([',', ' ', '\t', '\n', '\r']).filter(|p| !p.is_empty()).map(str::to_string).collect(),
        PhpValue::Arr(a) => a.0.iter().filter_map(|(_, v)| v.as_str().map(str::to_string)).collect(),
    }
}

/// WordPress `wp_parse_id_list`: absint of every element, duplicates removed, order kept.
pub fn wp_parse_id_list(v: &PhpValue) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::new();
    for item in wp_parse_list(v) {
        let n = parse_numeric(&item).map_or(0, |f| f.abs().trunc() as u64);
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_str_nests_and_overrides() {
        let a = parse_str("a=1&b[]=x&b[]=y&c[k][]=z&a=2&d.e=3&f");
        assert_eq!(a.get_str("a"), Some("2"));
        assert_eq!(a.get_str("d_e"), Some("3"));
        assert_eq!(a.get_str("f"), Some(""));
        match a.get("b") {
            Some(PhpValue::Arr(b)) => assert_eq!(b.0.len(), 2),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn store_api_link_quirk() {
        let mut params = PhpArray::default();
        params.set("per_page".into(), PhpValue::Str("5".into()));
        params.set("page".into(), PhpValue::Str("2".into()));
        let base = esc_url(&add_query_args("http://h/wp-json/wc/store/v1/products", &params));
        assert_eq!(add_query_arg(&base, "page", "1"), "http://h/wp-json/wc/store/v1/products?per_page=5&page=1#038;page=2");
    }

    #[test]
    fn v3_link_drops_trailing_equals() {
        let q = parse_str("per_page=2&oauth_signature=ab%2Bc%3D");
        let base = add_query_args("http://h/wp-json/wc/v3/products", &q);
        assert_eq!(add_query_arg(&base, "page", "2"), "http://h/wp-json/wc/v3/products?per_page=2&oauth_signature=ab+c&page=2");
    }

    #[test]
    fn numeric_strings() {
        assert!(parse_numeric(" 12").is_some());
        assert!(parse_numeric("1e3").is_some());
        assert!(parse_numeric("12abc").is_none());
        assert!(parse_numeric("").is_none());
        assert_eq!(sanitize_title("Rust for BFFs (Paperback)"), "rust-for-bffs-paperback");
    }
}
