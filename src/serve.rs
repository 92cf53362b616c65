//! The one place that accepts connections: HTTP/1.1 over TCP with a deadline for request headers
//! (`HEADER_READ_TIMEOUT_SECS`), the peer address as `ConnectInfo`, accept errors survived, and
//! graceful shutdown.
//!
//! Why not `axum::serve`: it gives hyper no timer, so hyper cannot bound how long a client takes
//! to send its request line and headers. A client trickling one header byte at a time (slowloris)
//! held a connection, and a task, for as long as it liked, and also held up graceful shutdown,
//! which waits for a connection that is mid-request. Bodies are bounded separately, by
//! `body_timeout`, after the headers have arrived.
//!
//! What the deadline means (hyper 1.x `http1::Builder::header_read_timeout`):
//! - it starts when hyper begins reading a request head and is NOT reset by each byte, so the whole
//!   head must arrive within it;
//! - on a keep-alive connection it starts again as soon as the previous response has been written,
//!   so it is also the idle keep-alive timeout: a connection with no new request within it is
//!   closed (a plain close, no 408). Clients reconnect as they do after any server's keep-alive
//!   timeout (nginx 75 s, Node 5 s): browsers and reqwest notice the close and open a new one.
//!   As with any keep-alive timeout, a request sent in the instant the server closes can meet a
//!   closed socket; browsers resend such a request on a fresh connection, other clients should
//!   retry idempotent requests (our checkout is idempotent by `Idempotency-Key`).
//! - When it fires mid-request the connection is closed without an answer.
//!
//! HTTP/2 is not served, as before: this crate has never enabled axum's `http2` feature, so
//! `axum::serve` spoke HTTP/1.1 only. Turning HTTP/2 on (hyper-util's `auto` builder) would also
//! need its own bounds: `header_read_timeout` is HTTP/1 only, and an HTTP/2 connection that sends
//! its preface and then stalls would be held forever again.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::penalty::{PenaltyBox, PenaltySettings};

/// Connection-level settings (per-request HTTP policy is `app::HttpPolicy`).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How long a client may take to send a request's line and headers, and how long an idle
    /// keep-alive connection is kept; the connection is closed after it.
    pub header_read_timeout: Duration,
    /// How long a new connection may take to send its first request head; shorter than the
    /// keep-alive idle timeout above, so silent connections are closed soon.
    pub first_request_timeout: Duration,
    /// Open connections per client address (0: no cap); more are closed at once.
    pub max_connections_per_ip: usize,
    /// Addresses not capped: the trusted proxies, whose address every client behind them shares.
    /// Their `X-Forwarded-For` names the client for the penalty box.
    pub uncapped: Vec<std::net::IpAddr>,
    /// When a client refused (429) again and again is shed for a while (`penalty`).
    pub penalty: PenaltySettings,
}

impl Default for ServeOptions {
    fn default() -> Self {
        // Longer than the idle timeout of the usual load balancers in front
        // (AWS ALB 60 s): a balancer must never reuse a connection we are
        // closing, which would turn into its 502. Node's headersTimeout is 60 s.
        // A first request comes right after connecting (browsers pre-connect a
        // little ahead): 10 s is generous for a real client.
        Self {
            header_read_timeout: Duration::from_secs(65),
            first_request_timeout: Duration::from_secs(10),
            max_connections_per_ip: 128,
            uncapped: Vec::new(),
            penalty: PenaltySettings::default(),
        }
    }
}

impl Settings {
    pub fn serve_options(&self) -> ServeOptions {
        ServeOptions {
            header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
            first_request_timeout: Duration::from_secs(self.first_request_timeout_secs),
            max_connections_per_ip: self.max_connections_per_ip,
            uncapped: self.trusted_proxies.clone(),
            penalty: PenaltySettings {
                refusals: self.penalty_refusals,
                // Long enough that a client coming back after its penalty is boxed again by its
                // first refusal.
                window: Duration::from_secs(self.penalty_secs.saturating_mul(2).max(10)),
                penalty: Duration::from_secs(self.penalty_secs),
                ..PenaltySettings::default()
            },
        }
    }
}

/// After an accept error that is not about one client (e.g. EMFILE: out of file descriptors),
/// wait this long before trying again, so a persistent error does not spin a core. Connections
/// that arrive meanwhile wait in the kernel's backlog.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets requests in
/// flight finish (their connections close after the answer), closes idle connections, and
/// returns once every connection is gone. Each request carries `ConnectInfo<SocketAddr>`.
///
/// `app` is any tower service (a `Router` or a stack around one). Accept errors never end the
/// server, so this returns `Ok(())` after a shutdown; the `io::Result` is kept so a failure to
/// serve can be reported by callers without changing their signature.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    let mut builder = http1::Builder::new();
    // Without a timer hyper silently ignores header_read_timeout (that is axum::serve's gap).
    builder.timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let per_client = crate::conn_limit::PerClient::new(options.max_connections_per_ip, options.uncapped.clone());
    let first_request_timeout = options.first_request_timeout.min(options.header_read_timeout);
    let penalty = PenaltyBox::new(&options.penalty);
    if let Some(penalty) = &penalty {
        penalty.spawn_sweeping();
    }
    let trusted: Arc<[IpAddr]> = options.uncapped.clone().into();
    let mut shutdown = pin!(shutdown);
    // Failed accepts in a row: the first is logged at warn, the rest of the streak at debug, so a
    // process out of file descriptors writes one line, not ten a second.
    let mut failed_accepts: u64 = 0;

    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // The peer gave up before we accepted: nothing wrong with us, nothing to wait for.
            Err(e) if is_connection_error(&e) => {
                tracing::debug!(error = %e, "a connection went away before it was accepted");
                continue;
            }
            Err(e) => {
                failed_accepts += 1;
                if failed_accepts == 1 {
                    tracing::warn!(error = %e, "cannot accept connections; retrying until it works (they wait in the backlog meanwhile)");
                } else {
                    tracing::debug!(error = %e, failed_accepts, "still cannot accept connections");
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        if failed_accepts > 0 {
            tracing::info!(failed_accepts, "accepting connections again");
            failed_accepts = 0;
        }
        // Over its cap, the address's new connection is closed at once (dropped unanswered).
        let Some(held) = per_client.admit(peer.ip()) else {
            tracing::debug!("connection refused: this address holds its maximum of open connections");
            continue;
        };
        // An address in the penalty box is parked before anything is read (never a trusted
        // proxy's: its connections carry other clients' requests too).
        if let Some(rest) = penalty.as_ref().filter(|_| !trusted.contains(&peer.ip())).and_then(|p| p.boxed_for(peer.ip())) {
            metrics::counter!("penalty_shed_total", "at" => "accept").increment(1);
            tokio::spawn(park(stream, held, rest));
            continue;
        }
        let first_request = Arc::new(tokio::sync::Notify::new());

        // The same conversion axum::serve does (hyper's body into axum's), plus the peer address
        // that `into_make_service_with_connect_info` used to add: the client-IP extractor, rate
        // limits and the sign-in guard read it. And the penalty box's two doors (`Shedding`).
        let service = Shedding {
            app: app.clone(),
            peer,
            first_request: first_request.clone(),
            penalty: penalty.clone().map(|pbox| (pbox, trusted.clone())),
        };
        // No HTTP upgrades (axum::serve allowed them): no route takes a connection over (no
        // WebSocket), and GracefulShutdown can only watch plain HTTP/1 connections.
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _held = held;
            let mut connection = pin!(connection);
            // Until its first request a connection has the shorter deadline; dropping it closes it.
            let ended = tokio::select! {
                ended = &mut connection => Some(ended),
                () = first_request.notified() => None,
                () = tokio::time::sleep(first_request_timeout) => {
                    tracing::debug!("connection closed: no request within the first-request deadline");
                    return;
                }
            };
            let ended = match ended {
                Some(ended) => ended,
                None => connection.await,
            };
            // Clients resetting connections and header deadlines are routine: debug, not warn,
            // so a flood of slow clients cannot flood the log.
            if let Err(e) = ended {
                // No peer address: logs carry no personal data.
                tracing::debug!(error = %e, timeout = e.is_timeout(), "connection ended with an error");
            }
        });
    }

    // Stop accepting first, so new clients are refused at once instead of queueing in a backlog
    // nobody reads; then drain.
    drop(listener);
    tracing::debug!(connections = graceful.count(), "stopped accepting; waiting for open connections");
    // Idle keep-alive connections close now; a request in flight gets its answer (with
    // `Connection: close`); a request still sending its head has until the header deadline.
    graceful.shutdown().await;
    Ok(())
}

/// Holds a boxed client's new connection, unread, until its penalty is over, then resets it.
///
/// Why not reset it at once: a flooding client reconnects at once, and that reconnect storm (on
/// 2 cores, thousands of handshakes and resets a second) cost other clients' reads more than the
/// refusals it replaced (bystander p99 3.8–4.1 ms against 0.7 ms unloaded, `bench/abuse.sh` with
/// the index off). A parked connection costs a socket and a sleeping task, and counts against
/// the address's connection cap (`held`), so one address parks at most its share.
async fn park(stream: tokio::net::TcpStream, held: crate::conn_limit::Held, rest: Duration) {
    tokio::time::sleep(rest).await;
    // A reset, not a close: no TIME_WAIT left behind per refused connection.
    let _ = stream.set_zero_linger();
    drop((stream, held));
}

/// Errors about one incoming connection rather than the listener (same list as axum::serve).
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset)
}

/// One connection's service: marks its first request, adds the peer address, and keeps the
/// penalty box: a boxed client's request is answered 429 with `Connection: close` without
/// reaching `app`, and a 429 from `app` counts as one refusal of its client (closing the
/// connection once the client is boxed).
#[derive(Clone)]
struct Shedding<S> {
    app: S,
    peer: SocketAddr,
    first_request: Arc<tokio::sync::Notify>,
    /// The box, and the trusted proxies (whose `X-Forwarded-For` names the client).
    penalty: Option<(PenaltyBox, Arc<[IpAddr]>)>,
}

impl<S> tower::Service<hyper::Request<Incoming>> for Shedding<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        self.app.poll_ready(cx)
    }

    fn call(&mut self, request: hyper::Request<Incoming>) -> Self::Future {
        self.first_request.notify_one();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let Some((pbox, trusted)) = &self.penalty else {
            return Counted::Routed { inner: self.app.call(request), refusals: None };
        };
        let peer = self.peer.ip();
        let client = if trusted.contains(&peer) {
            let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
            crate::client_ip::resolve(peer, forwarded, trusted)
        } else {
            peer
        };
        if let Some(left) = pbox.boxed_for(client) {
            metrics::counter!("penalty_shed_total", "at" => "request").increment(1);
            return Counted::Shed { response: Some(shed(request.headers(), left)) };
        }
        Counted::Routed { inner: self.app.call(request), refusals: Some((pbox.clone(), client)) }
    }
}

/// A boxed client's answer: 429 `rate_limited` (the usual error body and request id), with the
/// penalty's remainder as `Retry-After`, and the connection closed after it.
fn shed(headers: &axum::http::HeaderMap, left: Duration) -> Response {
    use axum::response::IntoResponse;
    let id = crate::request_id::RequestId::for_request(headers);
    let header = id.clone().into_header_value();
    let mut response = crate::request_id::sync_scope(id, || {
        crate::error::ApiError::RateLimited { retry_after_secs: left.as_secs_f64().ceil() as u64 }.into_response()
    });
    response.headers_mut().insert(crate::request_id::HEADER_NAME, header);
    response.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    response
}

pin_project_lite::pin_project! {
    /// [`Shedding`]'s future: an answer made on the spot, or the application's, whose 429 is
    /// counted.
    #[project = CountedProj]
    enum Counted<F> {
        Shed { response: Option<Response> },
        Routed { #[pin] inner: F, refusals: Option<(PenaltyBox, IpAddr)> },
    }
}

impl<F> Future for Counted<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        match self.project() {
            CountedProj::Shed { response } => std::task::Poll::Ready(Ok(response.take().expect("polled after completion"))),
            CountedProj::Routed { inner, refusals } => {
                let Ok(mut response) = std::task::ready!(inner.poll(cx));
                if response.status() == axum::http::StatusCode::TOO_MANY_REQUESTS {
                    if let Some((pbox, client)) = refusals.take() {
                        if pbox.refused(client) {
                            response.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
                        }
                    }
                }
                std::task::Poll::Ready(Ok(response))
            }
        }
    }
}
