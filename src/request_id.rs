//! Request ids: the client's `X-Request-Id` when it is sane, a fresh UUID
//! otherwise; echoed on every response and put on the request's log span by
//! `edge`, and available to error bodies through a task-local.

use std::future::Future;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use tokio::task::futures::TaskLocalFuture;

pub const HEADER: &str = "x-request-id";
/// The same name, parsed once (inserting by `&str` would parse it per request).
pub const HEADER_NAME: HeaderName = HeaderName::from_static(HEADER);

tokio::task_local! {
    static REQUEST_ID: RequestId;
}

/// A request id, kept as the header value it is sent back as: an incoming
/// id is reused without copying, a generated one is built once.
#[derive(Debug, Clone)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The client's id when acceptable, else a new UUID.
    pub fn for_request(headers: &HeaderMap) -> Self {
        match headers.get(HEADER_NAME) {
            Some(value) if value.to_str().is_ok_and(acceptable) => Self(value.clone()),
            _ => Self::generate(),
        }
    }

    /// A new random (v4) UUID, hyphenated, lower case.
    pub fn generate() -> Self {
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
        Self(HeaderValue::from_str(text).expect("a UUID is a valid header value"))
    }

    pub fn as_str(&self) -> &str {
        // Only ever built from acceptable (ASCII) text.
        self.0.to_str().unwrap_or("")
    }

    pub fn into_header_value(self) -> HeaderValue {
        self.0
    }
}

/// Runs `future` with `id` as the current request id.
pub fn scope<F: Future>(id: RequestId, future: F) -> TaskLocalFuture<RequestId, F> {
    REQUEST_ID.scope(id, future)
}

/// Runs `f` with `id` as the current request id.
pub fn sync_scope<R>(id: RequestId, f: impl FnOnce() -> R) -> R {
    REQUEST_ID.sync_scope(id, f)
}

/// The id of the request being served, or "" outside one.
pub fn current() -> String {
    REQUEST_ID.try_with(|id| id.as_str().to_string()).unwrap_or_default()
}

/// Ids from clients are echoed into logs and headers, so only short,
/// plain ones are kept (no header or log injection through them).
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_plain_ids_and_drops_odd_ones() {
        assert!(acceptable("3f2a-11_x.y:z"));
        assert!(!acceptable(""));
        assert!(!acceptable("a b"));
        assert!(!acceptable("x\r\nSet-Cookie: a=b"));
        assert!(!acceptable(&"a".repeat(129)));
    }

    #[test]
    fn honours_a_sane_id_and_generates_a_uuid_otherwise() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER_NAME, HeaderValue::from_static("trace-abc-123"));
        assert_eq!(RequestId::for_request(&headers).as_str(), "trace-abc-123");
        headers.insert(HEADER_NAME, HeaderValue::from_static("<script>"));
        let generated = RequestId::for_request(&headers);
        assert_eq!(generated.as_str().len(), 36);
        assert!(uuid::Uuid::parse_str(generated.as_str()).is_ok());
    }
}
