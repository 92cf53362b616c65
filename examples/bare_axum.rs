//! Benchmark ceiling: a bare axum server answering every GET with fixed bytes
//! (content-type application/json). Used by `bench/run.sh` to compare the BFF
//! against "axum doing nothing but writing the same body".
//!
//! Usage: cargo run --release --example bare_axum -- BODY_FILE [LISTEN_ADDR]
//!   (or BODY_FILE / BARE_LISTEN in the environment; listen defaults to 127.0.0.1:18082)
//!
//! Runtime: `#[tokio::main]` (multi-thread, default worker count), the same as
//! the BFF binary; the bench pins both to one core with `taskset`.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().or_else(|| std::env::var("BODY_FILE").ok()).unwrap_or_else(|| {
        eprintln!("usage: bare_axum BODY_FILE [LISTEN_ADDR]");
        std::process::exit(2);
    });
    let listen = args.next().or_else(|| std::env::var("BARE_LISTEN").ok()).unwrap_or_else(|| "127.0.0.1:18082".to_string());
    let body = Bytes::from(std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("error: cannot read {path}: {e}");
        std::process::exit(1);
    }));
    eprintln!("bare_axum: {} bytes from {path} on http://{listen}", body.len());

    let app = Router::new().fallback(move || {
        let body = body.clone();
        async move {
            let mut r: Response = body.into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
    });
    let listener = tokio::net::TcpListener::bind(&listen).await.unwrap_or_else(|e| {
        eprintln!("error: cannot listen on {listen}: {e}");
        std::process::exit(1);
    });
    axum::serve(listener, app).await.expect("server runs");
}
