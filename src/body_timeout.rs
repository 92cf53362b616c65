//! A deadline for reading request bodies (`BODY_READ_TIMEOUT_SECS`). A client that trickles its
//! body (slowloris) would otherwise hold a connection and a handler for as long as it likes; at
//! the deadline the body read fails, and the answer is 408 `request_timeout` in the error shape
//! with `Connection: close`. The deadline covers the whole body, not the gap between chunks
//! (tower-http's `RequestBodyTimeout` resets per chunk, which a slow sender defeats). Requests
//! without a body pass straight through, unboxed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::future::{BoxFuture, Either};
use futures::FutureExt;
use tokio::time::Sleep;

use crate::error::{ErrorBody, ErrorDetail};

/// The layer: `BodyTimeoutLayer::new(deadline)`.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeoutLayer {
    timeout: Duration,
}

impl BodyTimeoutLayer {
    pub fn new(timeout: Duration) -> Self {
        Self { timeout }
    }
}

impl<S> tower::Layer<S> for BodyTimeoutLayer {
    type Service = BodyTimeout<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyTimeout { inner, timeout: self.timeout }
    }
}

#[derive(Debug, Clone)]
pub struct BodyTimeout<S> {
    inner: S,
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
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.body().is_end_stream() {
            return Either::Left(self.inner.call(request));
        }
        let expired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&expired);
        let timeout = self.timeout;
        let request = request.map(|body| Body::new(Deadline { body, sleep: Box::pin(tokio::time::sleep(timeout)), expired: flag }));
        let answer = self.inner.call(request);
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
        let service = BodyTimeoutLayer::new(Duration::from_millis(50)).layer(tower::service_fn(read));
        let prompt = Request::post("/").body(Body::from("hello")).unwrap();
        let response = service.clone().oneshot(prompt).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);

        let trickle = futures::stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"{")) }).chain(futures::stream::pending());
        let slow = Request::post("/").body(Body::from_stream(trickle.boxed())).unwrap();
        let response = service.oneshot(slow).await.unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(response.headers().get(header::CONNECTION).unwrap(), "close");
    }
}
