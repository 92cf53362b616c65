//! Fault switches shared with the running server (latency, error status, hang, dropped connection, HTML error page, malformed JSON) and the responses they produce.

use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use super::http::{WpError, CRITICAL, J};

/// Fault injection switches. Every setter takes effect on the next request.
#[derive(Debug, Default)]
pub struct Faults {
    latency_ms: AtomicU64,
    fail_status: AtomicU16,
    /// How many more requests `fail_status` applies to (`u64::MAX` = until cleared).
    fail_remaining: AtomicU64,
    hang: AtomicBool,
    drop: AtomicBool,
    html_error: AtomicBool,
    malformed_json: AtomicBool,
    route_filter: RwLock<Option<String>>,
}

impl Faults {
    /// Delay before every (matching) request is handled.
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms.store(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    /// Answer with this status and a WordPress-style JSON error body (`None` turns it off).
    pub fn set_fail_status(&self, status: Option<u16>) {
        self.fail_remaining.store(u64::MAX, Ordering::SeqCst);
        self.fail_status.store(status.unwrap_or(0), Ordering::SeqCst);
    }

    /// Like `set_fail_status`, but only for the next `times` matching requests (then the store recovers).
    pub fn fail_times(&self, status: u16, times: u64) {
        self.fail_remaining.store(times, Ordering::SeqCst);
        self.fail_status.store(status, Ordering::SeqCst);
    }

    /// Accept requests and never answer them (until hang is switched off or the store stops; then the connection is closed).
    pub fn set_hang(&self, hang: bool) {
        self.hang.store(hang, Ordering::SeqCst);
    }

    /// Close the connection without any response.
    pub fn set_drop(&self, drop: bool) {
        self.drop.store(drop, Ordering::SeqCst);
    }

    /// Answer 200 with WordPress's HTML "critical error" page.
    pub fn set_html_error(&self, on: bool) {
        self.html_error.store(on, Ordering::SeqCst);
    }

    /// Answer normally but cut the JSON body in half.
    pub fn set_malformed_json(&self, on: bool) {
        self.malformed_json.store(on, Ordering::SeqCst);
    }

    /// Apply faults only to request paths containing this substring (`None`: all paths).
    pub fn set_route_filter(&self, filter: Option<String>) {
        if let Ok(mut f) = self.route_filter.write() {
            *f = filter;
        }
    }

    /// Everything off.
    pub fn clear(&self) {
        self.set_latency(Duration::ZERO);
        self.set_fail_status(None);
        self.set_hang(false);
        self.set_drop(false);
        self.set_html_error(false);
        self.set_malformed_json(false);
        self.set_route_filter(None);
    }

    pub(crate) fn applies(&self, path: &str) -> bool {
        match self.route_filter.read() {
            Ok(f) => f.as_deref().is_none_or(|needle| path.contains(needle)),
            Err(_) => true,
        }
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::SeqCst))
    }

    pub(crate) fn hanging(&self) -> bool {
        self.hang.load(Ordering::SeqCst)
    }

    pub(crate) fn dropping(&self) -> bool {
        self.drop.load(Ordering::SeqCst)
    }

    pub(crate) fn html(&self) -> bool {
        self.html_error.load(Ordering::SeqCst)
    }

    pub(crate) fn malformed(&self) -> bool {
        self.malformed_json.load(Ordering::SeqCst)
    }

    /// The status to fail this request with, consuming one of a limited budget.
    pub(crate) fn take_fail(&self) -> Option<u16> {
        let status = self.fail_status.load(Ordering::SeqCst);
        if status == 0 {
            return None;
        }
        let claimed = self.fail_remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match n {
            0 => None,
            u64::MAX => Some(u64::MAX),
            n => Some(n - 1),
        });
        match claimed {
            Ok(1) => {
                // That was the last one: switch the fault off.
                let _ = self.fail_status.compare_exchange(status, 0, Ordering::SeqCst, Ordering::SeqCst);
                Some(status)
            }
            Ok(_) => Some(status),
            Err(_) => None,
        }
    }
}

/// A WordPress-style JSON error for an injected status.
pub(crate) fn fail_response(status: u16) -> Response {
    let (code, message) = match status {
        400 => ("rest_invalid_request", "Invalid request."),
        401 => ("rest_not_logged_in", "You are not currently logged in."),
        403 => ("rest_forbidden", "Sorry, you are not allowed to do that."),
        404 => ("rest_no_route", "No route was found matching the URL and request method."),
        429 => ("rate_limit_exceeded", "Too many requests. Please wait and try again."),
        s if s >= 500 => ("internal_server_error", CRITICAL),
        _ => ("rest_error", "Something went wrong."),
    };
    let mut err = WpError::new(status, code, message);
    if status >= 500 {
        err.trailing.push(("additional_errors".into(), J::Arr(Vec::new())));
    }
    let mut r = Response::new(Body::from(err.body()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=UTF-8"));
    r
}

/// `wp_die()`'s HTML page, served with 200 as some hosts do.
pub(crate) fn html_error_response() -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n\t<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\" />\n\t<meta name=\"viewport\" content=\"width=device-width\">\n\t<meta name='robots' content='max-image-preview:large, noindex, follow' />\n\t<title>WordPress &rsaquo; Error</title>\n</head>\n<body id=\"error-page\">\n\t<div class=\"wp-die-message\">{CRITICAL}</div></body>\n</html>\n"
    );
    super::http::html(200, &page)
}

/// Cuts a body in half (a JSON parser must fail on it).
pub(crate) fn truncate(body: &[u8]) -> Vec<u8> {
    if body.len() < 2 {
        return b"{\"code\":".to_vec();
    }
    body[..body.len() / 2].to_vec()
}
