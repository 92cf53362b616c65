//! The HTTP side: routes, the request pipeline (call counting, faults, WordPress auth and headers), a listener whose connections can be dropped on purpose, and per-route call counters.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, MethodRouter};
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use route_templates::RouteTemplates;

use super::auth::{check_permissions, AuthOutcome, AuthRequest, KeyUser};
use super::http::{html, ApiCtx, Namespace, WpError};
use super::wp::parse_str;
use super::{
    cart_routes, checkout, collection, coupons, customers_rest, faults, orders_create, orders_rest, rest_api, store_api, webhooks,
    webhooks_rest, wp_login, xmlrpc, StoreState,
};

/// Bodies above this are refused rather than buffered (1 MiB is plenty for product updates).
const MAX_BODY: usize = 1 << 20;

pub(crate) const STORE: &str = "/wp-json/wc/store/v1";
pub(crate) const V3: &str = "/wp-json/wc/v3";

/// Builds the router over shared state.
pub(crate) fn build_router(state: Arc<StoreState>) -> Router {
    let s = |p: &str| format!("{STORE}{p}");
    let v = |p: &str| format!("{V3}{p}");
    // `any` everywhere: WordPress answers a wrong method with `rest_no_route` and no `Allow` header,
    // so methods are checked in `wordpress()` (after authentication, as WordPress orders it).
    let routes: Vec<(String, MethodRouter<Arc<StoreState>>)> = vec![
        (s("/products"), any(store_api::products)),
        (s("/products/collection-data"), any(collection::collection_data)),
        (s("/products/categories"), any(store_api::categories)),
        (s("/products/categories/{id}"), any(store_api::category)),
        (s("/products/tags"), any(store_api::tags)),
        (s("/products/attributes"), any(store_api::attributes)),
        (s("/products/attributes/{id}"), any(store_api::attribute)),
        (s("/products/attributes/{id}/terms"), any(store_api::attribute_terms)),
        (s("/products/reviews"), any(store_api::reviews)),
        (s("/products/{id}"), any(store_api::product)),
        (v("/products"), any(rest_api::products)),
        (v("/products/categories"), any(rest_api::categories)),
        (v("/products/categories/{id}"), any(rest_api::category)),
        (v("/products/{id}"), any(webhooks::product_item)),
        (v("/products/{id}/variations"), any(rest_api::variations)),
        (v("/products/{id}/variations/{variation_id}"), any(webhooks::variation_item)),
        // Cart, checkout and orders (cart_routes.rs, checkout.rs, orders_rest.rs).
        (s("/cart"), any(cart_routes::store_route)),
        (s("/cart/add-item"), any(cart_routes::store_route)),
        (s("/cart/update-item"), any(cart_routes::store_route)),
        (s("/cart/remove-item"), any(cart_routes::store_route)),
        (s("/cart/apply-coupon"), any(cart_routes::store_route)),
        (s("/cart/remove-coupon"), any(cart_routes::store_route)),
        (s("/cart/update-customer"), any(cart_routes::store_route)),
        (s("/cart/select-shipping-rate"), any(cart_routes::store_route)),
        (s("/checkout"), any(cart_routes::store_route)),
        (s("/batch"), any(cart_routes::store_route)),
        (s("/order/{id}"), any(checkout::order_route)),
        (v("/orders"), any(orders_create::collection)),
        (v("/orders/{id}"), any(orders_rest::item)),
        (v("/coupons"), any(coupons::rest_coupons)),
        // Customer accounts (customers_rest.rs, xmlrpc.rs, wp_login.rs).
        (v("/customers"), any(customers_rest::collection)),
        (v("/customers/{id}"), any(customers_rest::item)),
        ("/xmlrpc.php".into(), any(xmlrpc::endpoint)),
        ("/wp-login.php".into(), any(wp_login::page)),
        (v("/webhooks"), any(webhooks_rest::collection)),
        (v("/webhooks/{id}"), any(webhooks_rest::item)),
        ("/wp-content/uploads/{*path}".into(), get(image)),
    ];
    // Counted by route template: axum's MatchedPath is not compiled in (the BFF does not need its
    // per-request cost), so the pipeline matches the same templates itself.
    let counted =
        Counted { routes: Arc::new(RouteTemplates::new(routes.iter().map(|(path, _)| path.as_str()))), state: Arc::clone(&state) };
    routes
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| router.route(&path, handler))
        .fallback(no_route)
        .layer(middleware::from_fn_with_state(counted, pipeline))
        .with_state(state)
}

/// The route pattern a request is counted under (see `DemoStoreHandle::calls`).
fn route_pattern(method: &Method, matched: Option<&str>, path: &str) -> String {
    match matched {
        Some(m) if m == format!("{STORE}/products/{{id}}") => {
            let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
                format!("{method} {m}")
            } else {
                format!("{method} {STORE}/products/{{slug}}")
            }
        }
        Some(m) => format!("{method} {m}"),
        None => format!("{method} (no route)"),
    }
}

/// The pipeline's state: the store, and its route templates to count calls by.
#[derive(Clone)]
struct Counted {
    state: Arc<StoreState>,
    routes: Arc<RouteTemplates>,
}

/// Counting, faults, then the WordPress layer, for every request.
async fn pipeline(State(Counted { state, routes }): State<Counted>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let matched = routes.template(&path);
    state.calls.record(&route_pattern(req.method(), matched, &path));
    // In flight until this answer is made (tests check caps on concurrent calls).
    let _in_flight = InFlight::enter(&state);
    let conn = req.extensions().get::<ConnectInfo<ConnInfo>>().map(|c| c.0.clone());
    let faulty = state.faults.applies(&path);
    if faulty {
        let latency = state.faults.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        if state.faults.hanging() {
            while state.faults.hanging() && !state.stopping.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            return dropped(conn.as_ref());
        }
        if state.faults.dropping() {
            return dropped(conn.as_ref());
        }
        if let Some(status) = state.faults.take_fail() {
            return faults::fail_response(status);
        }
        if state.faults.html() {
            return faults::html_error_response();
        }
    }
    let response = wordpress(&state, matched, req, next).await;
    if faulty && state.faults.malformed() {
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
        return Response::from_parts(parts, Body::from(faults::truncate(&bytes)));
    }
    response
}

/// Closes the connection without answering; outside our own listener, aborts the body instead.
pub(crate) fn dropped(conn: Option<&ConnInfo>) -> Response {
    match conn {
        Some(c) => {
            c.switch.kill();
            Response::new(Body::empty())
        }
        None => {
            let stream =
                futures::stream::once(async { Err::<Bytes, io::Error>(io::Error::new(io::ErrorKind::ConnectionAborted, "fault: drop")) });
            Response::new(Body::from_stream(stream))
        }
    }
}

/// `is_ssl()`: the config says so, or a trusted proxy says `X-Forwarded-Proto: https`.
pub(crate) fn is_ssl(state: &StoreState, req: &Request) -> bool {
    state.settings.assume_https
        || (state.settings.trust_forwarded_proto
            && req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
}

/// The authenticated key of a request (inserted by the pipeline for `/wp-json/` requests).
#[derive(Debug, Clone)]
pub(crate) struct Caller(pub Option<KeyUser>);

/// Authentication and permission checks before routing, as WordPress runs them for `wc/` routes.
async fn wordpress(state: &StoreState, matched: Option<&str>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let Some(route) = path.strip_prefix("/wp-json") else {
        return next.run(req).await;
    };
    let ns = if route.starts_with("/wc/store/") || route == "/wc/store" {
        Namespace::Store
    } else if route.starts_with("/wc/v3/") || route == "/wc/v3" {
        Namespace::V3
    } else {
        Namespace::Other
    };
    let ssl = is_ssl(state, &req);
    let query_str = req.uri().query().map(str::to_string);
    let mut ctx = ApiCtx {
        ns,
        logged_in: false,
        home: state.home_for(ssl),
        origin: req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_string),
        is_get: req.method() == Method::GET || req.method() == Method::HEAD,
        query: query_str.as_deref().map(parse_str).unwrap_or_default(),
    };
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return ctx.error(&WpError::new(413, "rest_request_too_large", "Request body too large."));
    };
    let mut caller = None;
    if route.starts_with("/wc/") {
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        let form = (parts.method == Method::POST && is_form).then(|| String::from_utf8_lossy(&body).into_owned());
        let areq = AuthRequest {
            method: parts.method.as_str(),
            path: &path,
            query: query_str.as_deref(),
            authorization: parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()),
            form_body: form.as_deref(),
            is_ssl: ssl,
        };
        match state.auth.authenticate(&areq) {
            AuthOutcome::Anonymous => {}
            AuthOutcome::Failed(e) => return ctx.error(&e),
            AuthOutcome::Authenticated(user) => {
                ctx.logged_in = true;
                // rest_pre_dispatch: the key's read/write permission, before any route is matched.
                if let Err(e) = check_permissions(user.permissions, parts.method.as_str()) {
                    return ctx.error(&e);
                }
                caller = Some(user);
            }
        }
    }
    if matched.is_some_and(|m| !method_allowed(m, &parts.method)) {
        return ctx.error(&WpError::no_route());
    }
    let mut req = Request::from_parts(parts, Body::from(body));
    req.extensions_mut().insert(ctx);
    req.extensions_mut().insert(Caller(caller));
    next.run(req).await
}

/// Methods each route answers (item routes of the REST API also take updates).
fn method_allowed(pattern: &str, method: &Method) -> bool {
    if let Some(allowed) = cart_routes::methods(pattern) {
        return allowed.contains(method);
    }
    let item = pattern == format!("{V3}/products/{{id}}")
        || pattern == format!("{V3}/products/{{id}}/variations/{{variation_id}}")
        || pattern == format!("{V3}/customers/{{id}}");
    let creates = pattern == format!("{V3}/orders") || pattern == format!("{V3}/webhooks") || pattern == format!("{V3}/customers");
    if pattern == format!("{V3}/webhooks/{{id}}") {
        return matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::PATCH | Method::POST);
    }
    matches!(*method, Method::GET | Method::HEAD)
        || (item && matches!(*method, Method::PUT | Method::PATCH | Method::POST))
        || (creates && *method == Method::POST)
}

/// Unknown routes and wrong methods: WordPress answers both with `rest_no_route` (404).
async fn no_route(req: Request) -> Response {
    match req.extensions().get::<ApiCtx>() {
        Some(ctx) => ctx.error(&WpError::no_route()),
        None => html(404, "<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body><h1>Not Found</h1></body></html>\n"),
    }
}

/// A 1×1 PNG for every product image URL, so frontends render something.
async fn image() -> Response {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63,
        0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44,
        0xAE, 0x42, 0x60, 0x82,
    ];
    ([(header::CONTENT_TYPE, HeaderValue::from_static("image/png"))], PNG).into_response()
}

/// Counts a request as in flight while it lives, and the peak of that count.
struct InFlight(Arc<StoreState>);

impl InFlight {
    fn enter(state: &Arc<StoreState>) -> Self {
        let now = state.calls.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.calls.peak.fetch_max(now, Ordering::SeqCst);
        Self(state.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.calls.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Per-route-pattern call counters.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    in_flight: AtomicU64,
    pub(crate) peak: AtomicU64,
    total: AtomicU64,
    by_route: Mutex<HashMap<String, u64>>,
}

impl Calls {
    fn record(&self, pattern: &str) {
        self.total.fetch_add(1, Ordering::SeqCst);
        let mut m = self.by_route.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry(pattern.to_string()).or_insert(0) += 1;
    }

    pub(crate) fn get(&self, pattern: &str) -> u64 {
        self.by_route.lock().unwrap_or_else(|e| e.into_inner()).get(pattern).copied().unwrap_or(0)
    }

    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::SeqCst)
    }

    pub(crate) fn reset(&self) {
        self.total.store(0, Ordering::SeqCst);
        self.by_route.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub(crate) fn snapshot(&self) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> =
            self.by_route.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(k, v)| (k.clone(), *v)).collect();
        v.sort();
        v
    }
}

/// Lets a handler close its own connection (the `drop` fault).
#[derive(Debug, Default)]
pub(crate) struct KillSwitch {
    killed: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl KillSwitch {
    fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            w.wake();
        }
    }

    fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

/// Connection info handed to handlers: the peer and the connection's kill switch.
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    #[allow(dead_code)]
    pub(crate) remote: SocketAddr,
    switch: Arc<KillSwitch>,
}

impl axum::extract::connect_info::Connected<IncomingStream<'_, KillableListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP stream that fails all IO once its switch is thrown, so hyper closes it without a response.
pub(crate) struct KillableIo {
    inner: TcpStream,
    switch: Arc<KillSwitch>,
}

fn killed_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "connection dropped by fault injection")
}

impl AsyncRead for KillableIo {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.switch.is_killed() {
            return Poll::Ready(Err(killed_error()));
        }
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if r.is_pending() {
            *self.switch.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
            if self.switch.is_killed() {
                return Poll::Ready(Err(killed_error()));
            }
        }
        r
    }
}

impl AsyncWrite for KillableIo {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.switch.is_killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.switch.is_killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// `TcpListener` whose connections carry a kill switch.
pub(crate) struct KillableListener {
    pub(crate) inner: TcpListener,
}

impl Listener for KillableListener {
    type Io = KillableIo;
    type Addr = ConnInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let switch = Arc::new(KillSwitch::default());
                    return (KillableIo { inner: stream, switch: Arc::clone(&switch) }, ConnInfo { remote, switch });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnInfo { remote: self.inner.local_addr()?, switch: Arc::new(KillSwitch::default()) })
    }
}
