//! Request ids: the client's `X-Request-Id` when it is sane, a fresh UUID
//! otherwise; echoed on every response, put on the request's log span, and
//! available to error bodies through a task-local.

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being served, or "" outside one.
pub fn current() -> String {
    REQUEST_ID.try_with(|id| id.clone()).unwrap_or_default()
}

/// Ids from clients are echoed into logs and headers, so only short,
/// plain ones are kept (no header or log injection through them).
fn acceptable(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

pub async fn layer(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable(id))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).expect("request ids are plain ASCII");
    request.headers_mut().insert(HEADER, value.clone());
    let mut response = REQUEST_ID.scope(id, next.run(request)).await;
    response.headers_mut().insert(HEADER, value);
    response
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn keeps_plain_ids_and_drops_odd_ones() {
        assert!(acceptable("3f2a-11_x.y:z"));
        assert!(!acceptable(""));
        assert!(!acceptable("a b"));
        assert!(!acceptable("x\r\nSet-Cookie: a=b"));
        assert!(!acceptable(&"a".repeat(129)));
    }
}
