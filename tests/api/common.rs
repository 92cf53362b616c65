//! The test harness: spawns the embedded demo store and the real BFF router
//! on random loopback ports, and records every log line and every response
//! (plus the secrets in play) so `tests/secret_scan.rs` can prove that no
//! secret ever left the server.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Mutex, Once};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use secrecy::SecretString;
use storefront_bff::app::{self, AppOptions, AppState, HttpPolicy, Upstream};
use storefront_bff::cache::CacheSettings;
use storefront_bff::demo_store::{self, DemoKey, DemoStoreConfig, DemoStoreHandle, KeyPermissions};
use storefront_bff::serve::{serve, ServeOptions};
use storefront_bff::upstream::{HttpSettings, RestAuthMode, RestCredentials};

/// Where captures go; `tests/secret_scan.rs` reads the same folder.
pub fn capture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("secret-scan")
}

static INIT: Once = Once::new();
static RESPONSES: Mutex<Option<std::fs::File>> = Mutex::new(None);
static SECRETS: Mutex<Option<std::fs::File>> = Mutex::new(None);

struct LogFile(std::fs::File);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogSink {
    type Writer = LogFile;
    fn make_writer(&'a self) -> LogFile {
        LogFile(self.0.try_clone().expect("log file clones"))
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

struct LogSink(std::fs::File);

/// Starts capture once per process: logs at debug level for every crate.
fn init_capture() {
    INIT.call_once(|| {
        let dir = capture_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("capture dir");
        let pid = std::process::id();
        let open = |name: &str| std::fs::File::create(dir.join(format!("{name}-{pid}.txt"))).expect("capture file");
        let logs = open("logs");
        *RESPONSES.lock().unwrap() = Some(open("responses"));
        *SECRETS.lock().unwrap() = Some(std::fs::File::create(dir.join(format!("secrets-{pid}.list"))).unwrap());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,hyper=info,h2=info,rustls=info")
            .with_writer(LogSink(logs))
            .with_ansi(false)
            .json()
            .try_init();
    });
}

/// Cart-Tokens the demo store issued: too many for substring search, so the
/// scan looks each JWT-shaped word of the captures up in this list instead.
fn record_cart_tokens(tokens: &[String]) {
    let dir = capture_dir();
    if let Ok(mut f) =
        std::fs::OpenOptions::new().create(true).append(true).open(dir.join(format!("cart-tokens-{}.tokens", std::process::id())))
    {
        for token in tokens {
            let _ = writeln!(f, "{token}");
        }
    }
}

fn record_secret(secret: &str) {
    if let Some(f) = SECRETS.lock().unwrap().as_mut() {
        let _ = writeln!(f, "{secret}");
    }
}

fn record_response(method: &str, path: &str, status: StatusCode, headers: &HeaderMap, body: &[u8]) {
    if let Some(f) = RESPONSES.lock().unwrap().as_mut() {
        let _ = writeln!(f, "{method} {path} -> {status}");
        for (k, v) in headers {
            let _ = writeln!(f, "{k}: {}", String::from_utf8_lossy(v.as_bytes()));
        }
        let _ = f.write_all(body);
        let _ = writeln!(f);
    }
}

/// Knobs a test may turn before the app starts.
pub struct TestConfig {
    pub cache: CacheSettings,
    pub options: AppOptions,
    pub demo: DemoStoreConfig,
    pub http: HttpSettings,
    pub policy: HttpPolicy,
    /// Connection-level settings (e.g. a short header deadline).
    pub serve: ServeOptions,
}

pub struct TestApp {
    pub base: String,
    /// The metrics listener (`METRICS_LISTEN`), apart from the public one.
    pub metrics_base: String,
    pub store: DemoStoreHandle,
    pub state: AppState,
    pub client: reqwest::Client,
    /// The store's REST key this BFF uses.
    pub key: DemoKey,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the shared error shape and returns `error.code`.
    pub fn error_code(&self) -> String {
        let body = self.json();
        let error = &body["error"];
        assert!(error["message"].is_string(), "error has a message: {body}");
        assert_eq!(error["request_id"].as_str(), self.header("x-request-id"), "error carries the request id: {body}");
        error["code"].as_str().expect("error.code").to_string()
    }

    pub fn error_fields(&self) -> Vec<String> {
        self.json()["error"]["fields"]
            .as_array()
            .map(|a| a.iter().map(|f| f["field"].as_str().unwrap_or("").to_string()).collect())
            .unwrap_or_default()
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(tune: impl FnOnce(&mut TestConfig)) -> Self {
        init_capture();
        let key = DemoKey::generate(KeyPermissions::ReadWrite);
        record_secret(&key.consumer_key);
        record_secret(&key.consumer_secret);
        let mut config = TestConfig {
            cache: CacheSettings::default(),
            options: AppOptions::for_tests(),
            demo: DemoStoreConfig { keys: vec![clone_key(&key)], ..DemoStoreConfig::default() },
            http: HttpSettings { timeout: Duration::from_millis(1500), retries: 1 },
            policy: HttpPolicy { cookie_secure: false, ..HttpPolicy::default() },
            // Every test client is 127.0.0.1, some tests with hundreds of connections at once
            // (and some with many 429s: no penalty box unless a test asks for one).
            serve: ServeOptions { max_connections_per_ip: 0, penalty: no_penalty_box(), ..ServeOptions::default() },
        };
        tune(&mut config);
        for k in &config.demo.keys {
            record_secret(&k.consumer_secret);
        }
        let demo = std::mem::take(&mut config.demo);
        let store = demo_store::spawn("127.0.0.1:0".parse().unwrap(), demo).await.expect("demo store starts");
        Self::serve(store, &key, config).await
    }

    /// Another BFF instance in front of the same store (scale-out tests).
    pub async fn sibling(&self, tune: impl FnOnce(&mut TestConfig)) -> TestApp {
        let mut config = TestConfig {
            cache: CacheSettings::default(),
            options: AppOptions::for_tests(),
            demo: DemoStoreConfig::default(),
            http: HttpSettings { timeout: Duration::from_millis(1500), retries: 1 },
            policy: HttpPolicy { cookie_secure: false, ..HttpPolicy::default() },
            // Every test client is 127.0.0.1, some tests with hundreds of connections at once
            // (and some with many 429s: no penalty box unless a test asks for one).
            serve: ServeOptions { max_connections_per_ip: 0, penalty: no_penalty_box(), ..ServeOptions::default() },
        };
        tune(&mut config);
        Self::serve(self.store.clone(), &self.key, config).await
    }

    async fn serve(store: DemoStoreHandle, key: &DemoKey, config: TestConfig) -> TestApp {
        let upstream = Upstream {
            url: store.url(),
            credentials: RestCredentials {
                consumer_key: SecretString::from(key.consumer_key.clone()),
                consumer_secret: SecretString::from(key.consumer_secret.clone()),
            },
            auth_mode: RestAuthMode::Auto,
            http: config.http,
            demo: true,
        };
        let options = AppOptions { cache: config.cache, ..config.options };
        let state = AppState::new(&upstream, &options);
        let router = app::router(state.clone(), &config.policy);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        // The binary's own accept loop (header deadline, ConnectInfo), never shut down.
        tokio::spawn(serve(listener, router, config.serve.clone(), std::future::pending()));
        let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics_addr: SocketAddr = metrics_listener.local_addr().unwrap();
        tokio::spawn(serve(metrics_listener, storefront_bff::app::metrics_router(state.clone()), config.serve, std::future::pending()));
        TestApp {
            base: format!("http://{addr}"),
            metrics_base: format!("http://{metrics_addr}"),
            store,
            state,
            client: reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap(),
            key: clone_key(key),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.client.get(format!("{}{path}", self.base)), "GET", path).await
    }

    /// The Prometheus text from the metrics listener.
    pub async fn metrics(&self) -> String {
        let r = self.client.get(format!("{}/metrics", self.metrics_base)).send().await.expect("metrics listener answers");
        assert_eq!(r.status(), 200);
        r.text().await.expect("metrics text")
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut request = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.send(request, "GET", path).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder, method: &str, path: &str) -> TestResponse {
        let response = request.send().await.expect("BFF answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body");
        record_response(method, path, status, &headers, &body);
        TestResponse { status, headers, body }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        record_cart_tokens(&self.store.issued_cart_tokens());
    }
}

fn no_penalty_box() -> storefront_bff::penalty::PenaltySettings {
    storefront_bff::penalty::PenaltySettings { refusals: 0, ..Default::default() }
}

pub fn clone_key(key: &DemoKey) -> DemoKey {
    DemoKey { consumer_key: key.consumer_key.clone(), consumer_secret: key.consumer_secret.clone(), permissions: KeyPermissions::ReadWrite }
}

/// Records a secret that a test creates outside `TestApp` (e.g. extra keys).
pub fn note_secret(secret: &str) {
    init_capture();
    record_secret(secret);
}

/// A shopper's client: a browser (cookie jar, sends its Origin on writes as
/// browsers do) or an app (bearer token from `POST /api/v1/session`).
pub struct ShopperClient<'a> {
    pub app: &'a TestApp,
    client: reqwest::Client,
    bearer: Option<String>,
    origin: Option<String>,
}

impl TestApp {
    pub fn browser(&self) -> ShopperClient<'_> {
        ShopperClient {
            app: self,
            client: reqwest::Client::builder().cookie_store(true).timeout(Duration::from_secs(30)).build().unwrap(),
            bearer: None,
            origin: Some(self.base.clone()),
        }
    }

    pub async fn app_client(&self) -> ShopperClient<'_> {
        let r = self.send(self.client.post(format!("{}/api/v1/session", self.base)), "POST", "/api/v1/session").await;
        assert_eq!(r.status, 201, "session created: {}", String::from_utf8_lossy(&r.body));
        let token = r.json()["token"].as_str().unwrap().to_string();
        ShopperClient {
            app: self,
            client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
            bearer: Some(token),
            origin: None,
        }
    }
}

impl ShopperClient<'_> {
    /// The same shopper (cookie jar or bearer token) talking to another instance.
    pub fn on<'b>(&self, other: &'b TestApp) -> ShopperClient<'b> {
        ShopperClient {
            app: other,
            client: self.client.clone(),
            bearer: self.bearer.clone(),
            origin: self.origin.as_ref().map(|_| other.base.clone()),
        }
    }

    pub fn with_origin(mut self, origin: Option<&str>) -> Self {
        self.origin = origin.map(str::to_string);
        self
    }

    /// The same client with another bearer token (after sign-in or refresh).
    pub fn with_bearer(mut self, token: Option<&str>) -> Self {
        self.bearer = token.map(str::to_string);
        self
    }

    pub fn bearer(&self) -> Option<&str> {
        self.bearer.as_deref()
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = self.client.request(method.clone(), format!("{}{path}", self.app.base));
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        if method != reqwest::Method::GET {
            if let Some(origin) = &self.origin {
                request = request.header("origin", origin);
            }
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.app.send(request, method.as_str(), path).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(reqwest::Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> TestResponse {
        self.request(reqwest::Method::POST, path, Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> TestResponse {
        self.request(reqwest::Method::PUT, path, Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, body: serde_json::Value) -> TestResponse {
        self.request(reqwest::Method::PATCH, path, Some(body), &[]).await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.request(reqwest::Method::DELETE, path, None, &[]).await
    }

    pub async fn checkout(&self, key: &str, body: serde_json::Value) -> TestResponse {
        self.request(reqwest::Method::POST, "/api/v1/checkout", Some(body), &[("idempotency-key", key)]).await
    }
}

/// A throwaway redis-server on a free loopback port, stopped on drop.
pub struct RedisServer {
    child: std::process::Child,
    port: u16,
    pub url: String,
}

impl RedisServer {
    pub async fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Self::spawn(port).await;
        RedisServer { child, port, url: format!("redis://127.0.0.1:{port}/0") }
    }

    /// Kills the server (an outage).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port (empty: it keeps nothing on disk).
    pub async fn restart(&mut self) {
        self.child = Self::spawn(self.port).await;
    }

    async fn spawn(port: u16) -> std::process::Child {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test.sh installs it)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        child
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real WooCommerce captures: `../shared/woo-fixtures` when present,
/// else the copy in `tests/fixtures/woo-fixtures`.
pub fn woo_fixtures_dir() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/woo-fixtures");
    if shared.is_dir() {
        shared
    } else {
        root.join("tests/fixtures/woo-fixtures")
    }
}

/// Reads one HTTP/1.1 response (head plus a `Content-Length` body) from a kept-alive
/// connection, for tests that speak raw HTTP; panics if the server closes mid-answer or
/// takes more than 5 s.
pub async fn read_response(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                .expect("content-length");
            if body.len() >= length {
                return text;
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.expect("an answer").expect("read");
        assert!(n > 0, "closed mid-answer: {text}");
        answer.extend_from_slice(&buf[..n]);
    }
}
