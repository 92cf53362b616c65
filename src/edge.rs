//! The per-request edge of the server: one hand-written tower layer that does
//! what every answer needs, in one place and with one future.
//!
//! For each request it
//! - takes the client's `X-Request-Id` when it is sane, or makes a UUID, and
//!   echoes it on the response (and in error bodies, through a task-local);
//! - opens the `request` tracing span (`request_id`, `method`, `path`,
//!   `route`) and logs "request served" with status and duration at INFO;
//! - turns a panic in a handler into our 500 error body;
//! - counts and times the request by route template, method and status;
//! - adds the security headers (nosniff, Referrer-Policy, CSP,
//!   X-Frame-Options, HSTS when configured) unless the handler set its own.
//!
//! Why not tower-http's TraceLayer, CatchPanicLayer and one
//! SetResponseHeaderLayer per header plus two `from_fn` middlewares, as
//! before: axum clones a route's whole service stack for every request and
//! each of those layers adds its own clone, future and (for `from_fn` and
//! CatchPanic) boxing. A cached catalogue read is otherwise only a few
//! microseconds of work, so that stack was more than half of its CPU time
//! (see bench/README.md). This layer does the same work with no allocation
//! beyond the generated request id.
//!
//! It is applied with `Router::layer`, i.e. around each route after routing,
//! so the matched route template (`MatchedPath`) is known for the metrics.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;
use tracing::instrument::Instrumented;
use tracing::{Instrument, Span};

use crate::error::ApiError;
use crate::request_id::{self, RequestId};

/// Content-Security-Policy for every answer (JSON ignores it; /docs and the
/// reference page need only their own scripts, styles and API).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// Builds [`Edge`] services; cheap to clone (axum clones it per request).
#[derive(Clone)]
pub struct EdgeLayer {
    /// Headers added to every response that does not carry them already.
    security_headers: Arc<[(HeaderName, HeaderValue)]>,
}

impl EdgeLayer {
    /// `hsts_max_age_secs` > 0 adds `Strict-Transport-Security: max-age=…`
    /// (deployments behind TLS).
    pub fn new(hsts_max_age_secs: u64) -> Self {
        let mut headers = vec![
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            // Same-origin only: /docs and the reference page load nothing from elsewhere.
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ];
        if hsts_max_age_secs > 0 {
            let value = HeaderValue::from_str(&format!("max-age={hsts_max_age_secs}")).expect("digits are a valid header value");
            headers.push((header::STRICT_TRANSPORT_SECURITY, value));
        }
        Self { security_headers: headers.into() }
    }
}

impl<S> tower::Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge { inner, security_headers: self.security_headers.clone() }
    }
}

/// See the module documentation.
#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    security_headers: Arc<[(HeaderName, HeaderValue)]>,
}

impl<S> tower::Service<Request> for Edge<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let started = Instant::now();
        let id = RequestId::for_request(request.headers());
        let route = request.extensions().get::<MatchedPath>().cloned();
        let method = request.method().clone();
        // Fields are only formatted when the span is enabled (INFO).
        // Path only: query strings can hold search terms and ids.
        let span = tracing::info_span!(
            "request",
            request_id = %id.as_str(),
            method = %method,
            path = %request.uri().path(),
            route = route.as_ref().map_or("unmatched", |r| r.as_str()),
        );
        let inner = request_id::scope(id, self.inner.call(request).instrument(span.clone()));
        EdgeFuture { inner, span, started, route, method, security_headers: self.security_headers.clone() }
    }
}

pin_project! {
    /// The response future of [`Edge`].
    #[project = EdgeProjection]
    pub struct EdgeFuture<F> {
        #[pin]
        inner: TaskLocalFuture<RequestId, Instrumented<F>>,
        span: Span,
        started: Instant,
        route: Option<MatchedPath>,
        method: Method,
        security_headers: Arc<[(HeaderName, HeaderValue)]>,
    }
}

impl<F> Future for EdgeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        // A panicking handler must not take the connection down: answer 500
        // like any other internal error, with the request id in its body.
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| this.inner.as_mut().poll(cx)));
        // Once the inner future is done its task-local scope has ended: the
        // id moves on into the response header.
        let (response, id) = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(response))) => (response, this.inner.as_mut().take_value()),
            Ok(Poll::Ready(Err(never))) => match never {},
            Err(_) => {
                let id = this.inner.as_mut().take_value().unwrap_or_else(RequestId::generate);
                let _entered = this.span.enter();
                (request_id::sync_scope(id.clone(), || ApiError::Internal.into_response()), Some(id))
            }
        };
        Poll::Ready(Ok(finish(this, response, id)))
    }
}

/// Request id and security headers, the log line and the metrics.
fn finish<F>(this: EdgeProjection<'_, F>, mut response: Response, id: Option<RequestId>) -> Response {
    let elapsed = this.started.elapsed();
    let status = response.status();
    let headers = response.headers_mut();
    if let Some(id) = id {
        headers.insert(request_id::HEADER_NAME, id.into_header_value());
    }
    for (name, value) in this.security_headers.iter() {
        // One hash per header: insert only where the handler set none.
        if let header::Entry::Vacant(slot) = headers.entry(name.clone()) {
            slot.insert(value.clone());
        }
    }
    {
        let _entered = this.span.enter();
        tracing::info!(status = status.as_u16(), duration_ms = elapsed.as_millis() as u64, "request served");
    }
    let route = this.route.as_ref().map_or("unmatched", |r| r.as_str());
    crate::metrics::record_request(route, this.method, status, elapsed);
    response
}
