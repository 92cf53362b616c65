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
//! - adds the API security headers (nosniff, X-Frame-Options, a CSP that
//!   allows nothing and no framing, HSTS when configured) unless the handler
//!   set its own. That is OWASP's set for API responses (REST Security Cheat
//!   Sheet); HTML pages (the docs UI, the reference page) add their own CSP
//!   and `Referrer-Policy`, see [`HTML_HEADERS`].
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
//! It wraps the whole router from outside (a plain tower layer, see
//! `app::router`), not each route with `Router::layer`: axum boxes and clones
//! a route's service again for every `Router::layer` level, per request. The
//! route template for the span and the metrics therefore comes from
//! [`RouteTemplates`] (crate `route-templates`): the router's own paths, matched
//! with axum's matcher (`matchit`) before routing.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;
use tracing::instrument::Instrumented;
use tracing::{Instrument, Span};

use route_templates::RouteTemplates;

use crate::error::ApiError;
use crate::metrics::RequestMetrics;
use crate::request_id::{self, RequestId};

/// Security headers of every answer. A JSON answer loads nothing and must
/// not be framed (drag-and-drop clickjacking), whatever a browser makes of it.
pub const API_SECURITY_HEADERS: [(HeaderName, HeaderValue); 3] = [
    (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")),
];

/// What HTML pages add (the docs UI): only their own scripts, styles and API,
/// and no `Referer` to other sites. (A JSON answer makes no requests, so
/// neither header would do anything there.)
pub const HTML_HEADERS: [(HeaderName, HeaderValue); 2] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
        ),
    ),
    (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
];

/// Adds [`HTML_HEADERS`] to answers that are not JSON (for routers serving
/// pages, with `axum::middleware::map_response`).
pub async fn html_headers(mut response: Response) -> Response {
    let json = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json {
        for (name, value) in HTML_HEADERS {
            response.headers_mut().entry(name).or_insert(value);
        }
    }
    response
}

/// What every [`Edge`] shares: one reference count per request.
struct EdgeConfig {
    /// `Strict-Transport-Security`, when configured; added unless the handler set one.
    hsts: Option<HeaderValue>,
    routes: RouteTemplates,
    metrics: RequestMetrics,
}

/// Builds [`Edge`] services; cheap to clone (hyper clones the stack per request).
#[derive(Clone)]
pub struct EdgeLayer {
    config: Arc<EdgeConfig>,
}

impl EdgeLayer {
    /// `hsts_max_age_secs` > 0 adds `Strict-Transport-Security: max-age=…`
    /// (deployments behind TLS); `routes` are the templates the router serves.
    pub fn new(hsts_max_age_secs: u64, routes: RouteTemplates) -> Self {
        let hsts = (hsts_max_age_secs > 0)
            .then(|| HeaderValue::from_str(&format!("max-age={hsts_max_age_secs}")).expect("digits are a valid header value"));
        let metrics = RequestMetrics::new(routes.len());
        Self { config: Arc::new(EdgeConfig { hsts, routes, metrics }) }
    }
}

impl<S> tower::Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge { inner, config: self.config.clone() }
    }
}

/// See the module documentation.
#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    config: Arc<EdgeConfig>,
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
        let route = self.config.routes.find(request.uri().path());
        let method = request.method().clone();
        // Fields are only formatted when the span is enabled (INFO).
        // Path only: query strings can hold search terms and ids.
        let span = tracing::info_span!(
            "request",
            request_id = %id.as_str(),
            method = %method,
            path = %request.uri().path(),
            route = self.config.routes.name(route),
        );
        let inner = request_id::scope(id, self.inner.call(request).instrument(span.clone()));
        EdgeFuture { inner, span, started, route, method, config: self.config.clone() }
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
        route: Option<usize>,
        method: Method,
        config: Arc<EdgeConfig>,
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
                (request_id::sync_scope(id.clone(), || ApiError::internal("a handler panicked").into_response()), Some(id))
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
    match id {
        Some(id) => {
            headers.insert(request_id::HEADER_NAME, id.into_header_value());
        }
        // Never happens (the scope ends with the id in hand); a prepared placeholder must not stay.
        None => {
            headers.remove(request_id::HEADER_NAME);
        }
    }
    // Responders that prepare their headers (catalogue entries) include the whole API set, which
    // one lookup tells; otherwise each is inserted where the handler set none (the docs pages set
    // their own CSP).
    if !headers.contains_key(header::X_CONTENT_TYPE_OPTIONS) {
        for (name, value) in API_SECURITY_HEADERS {
            if let header::Entry::Vacant(slot) = headers.entry(name) {
                slot.insert(value);
            }
        }
    }
    if let Some(hsts) = &this.config.hsts {
        headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert_with(|| hsts.clone());
    }
    {
        let _entered = this.span.enter();
        tracing::info!(status = status.as_u16(), duration_ms = elapsed.as_millis() as u64, "request served");
    }
    let label = this.config.routes.name(*this.route);
    this.config.metrics.record(*this.route, label, this.method, status, elapsed);
    response
}
