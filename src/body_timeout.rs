//! A deadline for reading request bodies (`BODY_READ_TIMEOUT_SECS`). A client that trickles its
//! body (slowloris) would otherwise hold a connection and a handler for as long as it likes; at
//! the deadline the body read fails, and the answer is 408 `request_timeout` in the error shape
//! with `Connection: close`. The deadline covers the whole body, not the gap between chunks
//! (tower-http's `RequestBodyTimeout` resets per chunk, which a slow sender defeats). Requests
//! without a body pass straight through, unboxed.
//!
//! It also applies the body size limit (`BODY_LIMIT_BYTES`, axum's `DefaultBodyLimit`, which
//! body extractors read from the request's extensions) to requests that have a body; a request
//! without one has nothing to limit and skips the extension, which is most of a cached read's
//! extension-map work.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::{BoxFuture, Either};
use futures::FutureExt;
use tokio::time::Sleep;

use crate::error::{ErrorBody, ErrorDetail};

/// The layer: `BodyTimeoutLayer::new(deadline, limit_bytes)`.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeoutLayer {
    timeout: Duration,
    limit_bytes: usize,
}

impl BodyTimeoutLayer {
    pub fn new(timeout: Duration, limit_bytes: usize) -> Self {
        Self { timeout, limit_bytes }
    }
}

impl<S: Clone> tower::Layer<S> for BodyTimeoutLayer {
    type Service = BodyTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let limited = tower::Layer::layer(&DefaultBodyLimit::max(self.limit_bytes), inner.clone());
        BodyTimeout { inner, limited, timeout: self.timeout }
    }
}

#[derive(Debug, Clone)]
pub struct BodyTimeout<S> {
    /// For requests without a body.
    inner: S,
    /// The same service behind the body size limit, for requests with one.
    limited: <DefaultBodyLimit as tower::Layer<S>>::Service,
    timeout: Duration,
}

impl<S> tower::Service<Request> for BodyTimeout<S>
where
    S: tower::Service<Request, Response = Response> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match self.inner.poll_ready(cx) {
            Poll::Ready(Ok(())) => self.limited.poll_ready(cx),
            other => other,
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.body().is_end_stream() {
            return Either::Left(self.inner.call(request));
        }
        let expired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&expired);
        let timeout = self.timeout;
        let request = request.map(|body| Body::new(Deadline { body, sleep: Box::pin(tokio::time::sleep(timeout)), expired: flag }));
        let answer = self.limited.call(request);
        Either::Right(
            async move {
                let response = answer.await?;
                Ok(if expired.load(Ordering::SeqCst) { timed_out(timeout) } else { response })
            }
            .boxed(),
        )
    }
}

/// 408 in the shared error shape; the connection is closed (the rest of the body may never come).
fn timed_out(timeout: Duration) -> Response {
    tracing::info!(timeout_secs = timeout.as_secs_f64(), "request body not received in time");
    let detail = ErrorDetail {
        code: "request_timeout".into(),
        message: format!("The request body did not arrive within {} seconds.", timeout.as_secs_f64()),
        request_id: crate::request_id::current(),
        fields: Vec::new(),
        cart: None,
    };
    let mut response = (StatusCode::REQUEST_TIMEOUT, axum::Json(ErrorBody { error: detail })).into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The request body, failing once the deadline has passed.
struct Deadline {
    body: Body,
    sleep: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct TimedOut;

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.sleep.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::SeqCst);
            return Poll::Ready(Some(Err(axum::Error::new(TimedOut))));
        }
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        // Keeps Content-Length visible, so oversized bodies are refused before they are read.
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use tower::{Layer, ServiceExt};

    async fn read(request: Request) -> Result<Response, std::convert::Infallible> {
        Ok(match axum::body::to_bytes(request.into_body(), 1024).await {
            Ok(bytes) => (StatusCode::OK, bytes).into_response(),
            Err(_) => StatusCode::BAD_REQUEST.into_response(),
        })
    }

    #[tokio::test]
    async fn a_body_that_never_ends_is_408_and_a_prompt_one_passes() {
        let service = BodyTimeoutLayer::new(Duration::from_millis(50), 1024).layer(tower::service_fn(read));
        let prompt = Request::post("/").body(Body::from("hello")).unwrap();
        let response = service.clone().oneshot(prompt).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        let trickle = futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"{")) }).chain(futures::stream::pending());
        let slow = Request::post("/").body(Body::from_stream(trickle.boxed())).unwrap();
        let response = service.oneshot(slow).await.unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.headers().get(header::CONNECTION).unwrap(), "close");
    }

    #[tokio::test]
    async fn bodies_are_held_to_the_limit_and_requests_without_one_pass() {
        let app = axum::Router::new().route("/", axum::routing::any(|body: Bytes| async move { body.len().to_string() }));
        let service = BodyTimeoutLayer::new(Duration::from_secs(5), 8).layer(app);
        let small = Request::post("/").body(Body::from("12345")).unwrap();
        assert_eq!(service.clone().oneshot(small).await.unwrap().status(), StatusCode::OK);
        let large = Request::post("/").body(Body::from("x".repeat(20))).unwrap();
        assert_eq!(service.clone().oneshot(large).await.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
        let chunked = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"0123456789abc"))]);
        let large = Request::post("/").body(Body::from_stream(chunked)).unwrap();
        assert_eq!(service.clone().oneshot(large).await.unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
        let none = Request::get("/").body(Body::empty()).unwrap();
        assert_eq!(service.oneshot(none).await.unwrap().status(), StatusCode::OK);
    }
}
