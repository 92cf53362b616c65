//! The accept loop (`storefront_bff::serve`) on its own: the peer address it hands to handlers,
//! graceful shutdown (requests in flight finish, idle connections close, a client trickling its
//! headers cannot hold the shutdown), and accept errors that must not stop the server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use storefront_bff::serve::{serve, ServeOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::common::read_response;

/// A tiny app: `/peer` answers the client's address as the handler sees it; `/slow` reports that
/// it started and then waits for `release`.
fn app(started: mpsc::Sender<()>, release: Arc<Notify>) -> Router {
    Router::new().route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() })).route(
        "/slow",
        get(move || async move {
            started.send(()).await.unwrap();
            release.notified().await;
            "done"
        }),
    )
}

async fn start(
    options: ServeOptions,
) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>, mpsc::Receiver<()>, Arc<Notify>) {
    let (started_tx, started_rx) = mpsc::channel(1);
    let release = Arc::new(Notify::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app(started_tx, release.clone()), options, async move {
        let _ = stopped.await;
    }));
    (addr, stop, server, started_rx, release)
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_and_closes_idle_connections() {
    let (addr, stop, server, mut started, release) =
        start(ServeOptions { header_read_timeout: Duration::from_secs(5), ..ServeOptions::default() }).await;

    // An idle keep-alive connection; its request also shows the handler gets the real peer.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let answer = read_response(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(&format!("\r\n\r\n{}", idle.local_addr().unwrap())), "ConnectInfo is the client's address: {answer}");

    // A request in flight.
    let mut busy = TcpStream::connect(addr).await.unwrap();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), started.recv()).await.expect("the slow handler started");

    stop.send(()).unwrap();
    // The idle connection is closed at once, not when its header deadline (5 s) comes.
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(2), idle.read(&mut buf)).await.expect("the idle connection is closed promptly");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    // New clients are refused.
    let deadline = Instant::now() + Duration::from_secs(2);
    while TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "still accepting after the shutdown signal");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The server waits for the request in flight...
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!server.is_finished(), "returned while a request was in flight");

    // ...which gets its whole answer, then the connection closes and the server returns.
    release.notify_one();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(2), busy.read_to_string(&mut answer)).await.expect("answered and closed").unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    assert!(answer.ends_with("\r\n\r\ndone"), "{answer}");
    tokio::time::timeout(Duration::from_secs(2), server).await.expect("the server returns").unwrap().unwrap();
}

#[tokio::test]
async fn a_client_trickling_its_headers_cannot_hold_the_shutdown_past_the_header_deadline() {
    let (addr, stop, server, _started, _release) =
        start(ServeOptions { header_read_timeout: Duration::from_secs(1), ..ServeOptions::default() }).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /peer HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let trickle = tokio::spawn(async move {
        // A header byte every 200 ms, never the blank line: hyper waits for a started request
        // head during a graceful shutdown, so only the deadline ends this connection.
        while slow.write_all(b"X").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(3), server).await.expect("shutdown finished despite the slow client").unwrap().unwrap();
    assert!(asked.elapsed() < Duration::from_secs(2), "{:?}", asked.elapsed());
    trickle.abort();
}

/// A process out of file descriptors (EMFILE) cannot accept: the server logs it once, keeps
/// trying, and serves the waiting client once descriptors are free again. Run against the binary,
/// whose limit is lowered from outside with prlimit(1) (util-linux) so the test process is not.
#[cfg(target_os = "linux")]
#[test]
fn running_out_of_file_descriptors_does_not_stop_the_server() {
    use std::io::{Read, Write};
    use std::process::Command;

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log_path = std::env::temp_dir().join(format!("bff-emfile-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_storefront-bff"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("DEMO_PRODUCTS", "5")
        .env("METRICS_LISTEN", "off")
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let pid = child.id();
    let send = |request_timeout: Duration| -> std::net::TcpStream {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(request_timeout)).unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        stream
    };
    let healthy = || -> bool {
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.starts_with("HTTP/1.1 200")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !healthy() {
        assert!(Instant::now() < deadline, "the server started: {}", std::fs::read_to_string(&log_path).unwrap_or_default());
        std::thread::sleep(Duration::from_millis(100));
    }
    let set_soft_limit = |limit: &str| {
        let out = Command::new("prlimit")
            .arg(format!("--pid={pid}"))
            .arg(format!("--nofile={limit}:"))
            .output()
            .expect("prlimit (util-linux) runs");
        assert!(out.status.success(), "prlimit: {}", String::from_utf8_lossy(&out.stderr));
    };
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let soft = limits.lines().find(|l| l.starts_with("Max open files")).and_then(|l| l.split_whitespace().nth(3)).unwrap().to_string();

    // No descriptor left: the kernel still completes the handshake (backlog), accept fails.
    set_soft_limit("3");
    let mut waiting = send(Duration::from_millis(1500));
    let mut answer = Vec::new();
    let early = waiting.read_to_end(&mut answer);
    assert!(early.is_err() && answer.is_empty(), "no answer while accept fails: {early:?} {}", String::from_utf8_lossy(&answer));
    set_soft_limit(&soft);
    waiting.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    waiting.read_to_end(&mut answer).expect("answered once descriptors are free");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(healthy(), "and serving as usual");

    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    let warned: Vec<&str> = log.lines().filter(|l| l.contains("cannot accept connections")).collect();
    assert_eq!(warned.len(), 1, "one warning for the whole streak (it retried every 100 ms): {log}");
    assert!(warned[0].contains("WARN") && warned[0].contains("os error 24"), "{}", warned[0]);
    assert!(log.contains("accepting connections again"), "{log}");
}
