//! WordPress REST plumbing: the `{code,message,data}` error shape, the headers WordPress and WooCommerce add to every response, and paging headers and links.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::ser::{Serialize, SerializeMap, Serializer};

use super::wp::{add_query_arg, add_query_args, esc_url, PhpArray};

/// A JSON value that keeps object keys in insertion order (serde_json's `Map` sorts them here).
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl J {
    pub fn obj() -> J {
        J::Obj(Vec::new())
    }

    /// Appends a member (no-op on non-objects).
    pub fn with(mut self, key: &str, value: impl Into<J>) -> J {
        if let J::Obj(members) = &mut self {
            members.push((key.to_string(), value.into()));
        }
        self
    }
}

impl From<&str> for J {
    fn from(s: &str) -> J {
        J::Str(s.to_string())
    }
}

impl From<String> for J {
    fn from(s: String) -> J {
        J::Str(s)
    }
}

impl From<i64> for J {
    fn from(n: i64) -> J {
        J::Int(n)
    }
}

impl From<u16> for J {
    fn from(n: u16) -> J {
        J::Int(n.into())
    }
}

impl From<bool> for J {
    fn from(b: bool) -> J {
        J::Bool(b)
    }
}

impl<'de> serde::Deserialize<'de> for J {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<J, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_none<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<J, E> {
                Ok(J::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<J, E> {
                Ok(J::Int(n))
            }
            fn visit_u64<E>(self, n: u64) -> Result<J, E> {
                Ok(J::Int(i64::try_from(n).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E>(self, n: f64) -> Result<J, E> {
                Ok(J::Float(n))
            }
            fn visit_str<E>(self, s: &str) -> Result<J, E> {
                Ok(J::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<J, E> {
                Ok(J::Str(s))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(J::Arr(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<J, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry::<String, J>()? {
                    v.push((k, x));
                }
                Ok(J::Obj(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl J {
    /// `rest_filter_response_fields`: keep only the requested (possibly dotted) fields of each item.
    pub fn filter_fields(self, fields: &[Vec<&str>]) -> J {
        match self {
            J::Arr(items) => J::Arr(items.into_iter().map(|i| i.filter_fields(fields)).collect()),
            J::Obj(members) => J::Obj(
                members
                    .into_iter()
                    .filter_map(|(k, v)| {
                        let wanted: Vec<Vec<&str>> =
                            fields.iter().filter(|f| f.first() == Some(&k.as_str())).map(|f| f[1..].to_vec()).collect();
                        if wanted.is_empty() {
                            None
                        } else if wanted.iter().any(Vec::is_empty) {
                            Some((k, v))
                        } else {
                            Some((k, v.filter_fields(&wanted)))
                        }
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            J::Null => s.serialize_unit(),
            J::Bool(b) => s.serialize_bool(*b),
            J::Int(n) => s.serialize_i64(*n),
            J::Float(n) => s.serialize_f64(*n),
            J::Str(v) => s.serialize_str(v),
            J::Arr(items) => items.serialize(s),
            J::Obj(members) => {
                let mut m = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
        }
    }
}

/// WordPress's fatal-error message (what `wp_die` shows for a PHP fatal).
pub const CRITICAL: &str = "<p>There has been a critical error on this website.</p><p><a href=\"https://wordpress.org/documentation/article/faq-troubleshooting/\">Learn more about troubleshooting WordPress.</a></p>";

/// A `WP_Error` on the wire: `{"code", "message", "data": {"status", ...}}`.
#[derive(Debug, Clone)]
pub struct WpError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Extra members of `data` after `status`.
    pub extra: Vec<(String, J)>,
    /// Top-level members after `data` (e.g. `additional_errors`).
    pub trailing: Vec<(String, J)>,
}

impl WpError {
    pub fn new(status: u16, code: &str, message: &str) -> WpError {
        WpError { status, code: code.into(), message: message.into(), extra: Vec::new(), trailing: Vec::new() }
    }

    /// What a PHP fatal error looks like through the REST API.
    pub fn critical() -> WpError {
        let mut e = WpError::new(500, "internal_server_error", CRITICAL);
        e.trailing.push(("additional_errors".into(), J::Arr(Vec::new())));
        e
    }

    pub fn no_route() -> WpError {
        WpError::new(404, "rest_no_route", "No route was found matching the URL and request method.")
    }

    pub fn body(&self) -> Vec<u8> {
        let mut data = vec![("status".to_string(), J::Int(self.status.into()))];
        data.extend(self.extra.iter().cloned());
        let mut top = vec![
            ("code".to_string(), J::from(self.code.as_str())),
            ("message".to_string(), J::from(self.message.as_str())),
            ("data".to_string(), J::Obj(data)),
        ];
        top.extend(self.trailing.iter().cloned());
        serde_json::to_vec(&J::Obj(top)).unwrap_or_default()
    }
}

/// Which REST namespace a request is in (decides CORS headers and auth scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Store,
    V3,
    /// Other `/wp-json/` routes (all unknown here).
    Other,
}

/// Per-request facts the WordPress layer works out before routing.
#[derive(Debug, Clone)]
pub struct ApiCtx {
    pub ns: Namespace,
    /// A WooCommerce API key authenticated the request (WordPress then sends no-cache headers).
    pub logged_in: bool,
    /// Home URL with the scheme the request arrived with (`is_ssl()` decides).
    pub home: String,
    pub origin: Option<String>,
    pub is_get: bool,
    pub query: PhpArray,
}

impl ApiCtx {
    /// `rest_url( $route )`.
    pub fn rest_url(&self, route: &str) -> String {
        format!("{}/wp-json{}", self.home, route)
    }

    pub fn respond(&self, mut reply: Reply) -> Response {
        // `_fields=id,name,prices.price` trims successful JSON responses, as WordPress does for every route.
        if let Some(fields) = self.query.get_str("_fields").filter(|f| !f.is_empty() && (200..300).contains(&reply.status)) {
            let wanted: Vec<Vec<&str>> =
                fields.split(',').map(str::trim).filter(|f| !f.is_empty()).map(|f| f.split('.').collect()).collect();
            if let Ok(j) = serde_json::from_slice::<J>(&reply.body) {
                reply.body = serde_json::to_vec(&j.filter_fields(&wanted)).unwrap_or_default();
            }
        }
        let mut b = Response::builder().status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        let mut push = |name: &str, value: &str| {
            if let Ok(v) = HeaderValue::from_str(value) {
                b = std::mem::take(&mut b).header(name, v);
            }
        };
        push("content-type", "application/json; charset=UTF-8");
        push("x-robots-tag", "noindex");
        let paging_link = reply.paging.as_ref().and_then(|p| p.link.clone());
        if paging_link.is_none() {
            push("link", &format!("<{}/>; rel=\"https://api.w.org/\"", self.rest_url("")));
        }
        push("x-content-type-options", "nosniff");
        push("access-control-expose-headers", "X-WP-Total, X-WP-TotalPages, Link");
        let allow_headers = match self.ns {
            Namespace::Store => {
                "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type, Cart-Token, Nonce, X-WC-Store-API-Nonce"
            }
            _ => "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type",
        };
        push("access-control-allow-headers", allow_headers);
        if let Some(p) = &reply.paging {
            push("x-wp-total", &p.total.to_string());
            push("x-wp-totalpages", &p.pages.to_string());
        }
        if let Some(link) = &paging_link {
            push("link", link);
        }
        if let Some(lm) = reply.last_modified {
            push("last-modified", &lm.to_string());
        }
        if let Some(loc) = &reply.location {
            push("location", loc);
        }
        if let Some(allow) = reply.allow {
            push("allow", allow);
        }
        if self.logged_in {
            push("expires", "Wed, 11 Jan 1984 05:00:00 GMT");
            push("cache-control", "no-cache, must-revalidate, max-age=0, no-store, private");
        }
        if let Some(origin) = &self.origin {
            push("access-control-allow-origin", origin);
        }
        if self.ns == Namespace::Store || self.origin.is_some() {
            push("access-control-allow-methods", "OPTIONS, GET, POST, PUT, PATCH, DELETE");
            push("access-control-allow-credentials", "true");
        }
        // rest_send_cors_headers: `Vary: Origin` for anonymous GETs and for CORS requests.
        if self.origin.is_some() || (self.is_get && !self.logged_in) {
            push("vary", "Origin");
        }
        b.body(Body::from(reply.body)).unwrap_or_else(|_| Response::new(Body::empty()))
    }

    pub fn error(&self, e: &WpError) -> Response {
        self.respond(Reply::error(e))
    }
}

/// Paging headers.
#[derive(Debug, Clone)]
pub struct Paging {
    pub total: u64,
    pub pages: u64,
    pub link: Option<String>,
}

/// A response before WordPress's headers are added.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    pub allow: Option<&'static str>,
    pub paging: Option<Paging>,
    pub last_modified: Option<i64>,
    pub location: Option<String>,
}

impl Reply {
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Reply {
        Reply {
            status,
            body: serde_json::to_vec(value).unwrap_or_default(),
            allow: None,
            paging: None,
            last_modified: None,
            location: None,
        }
    }

    pub fn error(e: &WpError) -> Reply {
        Reply { status: e.status, body: e.body(), allow: None, paging: None, last_modified: None, location: None }
    }

    pub fn allow(mut self, allow: Option<&'static str>) -> Reply {
        self.allow = allow;
        self
    }

    pub fn paging(mut self, paging: Paging) -> Reply {
        self.paging = Some(paging);
        self
    }
}

/// Which links a page gets (`prev` clamps to the last page, like WordPress).
fn page_links(page: u64, pages: u64, make: impl Fn(u64) -> String) -> Option<String> {
    let mut parts = Vec::new();
    if page > 1 {
        let prev = (page - 1).min(pages);
        parts.push(format!("<{}>; rel=\"prev\"", make(prev)));
    }
    if pages > page {
        parts.push(format!("<{}>; rel=\"next\"", make(page + 1)));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Store API `Pagination::add_headers`: the base is `esc_url`'d, hence the `#038;` quirk from page 2 on.
pub fn store_paging(ctx: &ApiCtx, route: &str, page: u64, total: u64, pages: u64) -> Paging {
    let base = esc_url(&add_query_args(&ctx.rest_url(route), &ctx.query));
    Paging { total, pages, link: page_links(page, pages, |n| add_query_arg(&base, "page", &n.to_string())) }
}

/// REST API v3 collection paging (no escaping; trailing `=` of values dropped by `add_query_arg`).
pub fn rest_paging(ctx: &ApiCtx, route: &str, page: u64, total: u64, pages: u64) -> Paging {
    let base = add_query_args(&ctx.rest_url(route), &ctx.query);
    Paging { total, pages, link: page_links(page, pages, |n| add_query_arg(&base, "page", &n.to_string())) }
}

/// A plain response for the non-REST paths (HTML), mimicking a WordPress 404 page.
pub fn html(status: u16, body: &str) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=UTF-8"));
    r
}

/// Pages for `total` items at `per_page` (0 when empty).
pub fn page_count(total: u64, per_page: u64) -> u64 {
    if per_page == 0 {
        1
    } else {
        total.div_ceil(per_page)
    }
}
