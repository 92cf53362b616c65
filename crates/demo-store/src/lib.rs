//! The embedded demo store: an in-process, WooCommerce-compatible stand-in (Store API + REST API v3 catalogue, API-key auth, WordPress error/paging quirks, fault switches) serving a deterministic demo catalogue.
//!
//! Behaviour follows the real-store captures in `../shared/woo-fixtures/` (WordPress 6.5 +
//! WooCommerce 8.9); where a capture is silent, WooCommerce's source was followed.
//!
//! # Route patterns for [`DemoStoreHandle::calls`]
//!
//! A call is counted as `"{METHOD} {pattern}"`, e.g. `"GET /wp-json/wc/store/v1/products"`:
//!
//! | pattern | notes |
//! |---|---|
//! | `/wp-json/wc/store/v1/products` | |
//! | `/wp-json/wc/store/v1/products/{id}` | numeric last segment |
//! | `/wp-json/wc/store/v1/products/{slug}` | any other last segment |
//! | `/wp-json/wc/store/v1/products/collection-data` | |
//! | `/wp-json/wc/store/v1/products/categories` and `.../categories/{id}` | |
//! | `/wp-json/wc/store/v1/products/tags` | |
//! | `/wp-json/wc/store/v1/products/attributes`, `.../attributes/{id}`, `.../attributes/{id}/terms` | |
//! | `/wp-json/wc/store/v1/products/reviews` | |
//! | `/wp-json/wc/v3/products` and `/wp-json/wc/v3/products/{id}` | `PUT`/`PATCH`/`POST` on `{id}` update |
//! | `/wp-json/wc/v3/products/{id}/variations` and `.../variations/{variation_id}` | |
//! | `/wp-json/wc/v3/products/categories` and `.../categories/{id}` | |
//! | `/wp-content/uploads/{*path}` | product images (a 1×1 PNG) |
//! | `/wp-json/wc/store/v1/cart` | `GET` |
//! | `/wp-json/wc/store/v1/cart/add-item`, `.../update-item`, `.../remove-item` | `POST` |
//! | `/wp-json/wc/store/v1/cart/apply-coupon`, `.../remove-coupon` | `POST` |
//! | `/wp-json/wc/store/v1/cart/update-customer`, `.../select-shipping-rate` | `POST` |
//! | `/wp-json/wc/store/v1/checkout` | `GET` (draft order) and `POST` (place it) |
//! | `/wp-json/wc/store/v1/order/{id}` | `GET`, guest order view |
//! | `/wp-json/wc/store/v1/batch` | `POST` |
//! | `/wp-json/wc/v3/orders` and `/wp-json/wc/v3/orders/{id}` | `POST` on the collection creates; `PUT`/`PATCH`/`POST` on `{id}` update |
//! | `/wp-json/wc/v3/coupons` | |
//! | `/wp-json/wc/v3/customers` | `GET` lists (`email`, `search`, `role`, paging), `POST` creates |
//! | `/wp-json/wc/v3/customers/{id}` | `GET`; `PUT`/`PATCH`/`POST` update |
//! | `/xmlrpc.php` | `POST` (`wp.getProfile`); any other method gets WordPress's 405 |
//! | `/wp-login.php` | `GET` (form + test cookie) and `POST` (form login) |
//! | `(no route)` | anything else, e.g. `"GET (no route)"` |
//!
//! A request on a known path with an unsupported method counts under that path's pattern.
//!
//! # Customer accounts
//!
//! The store has WordPress users: user 1 is the administrator (`admin`, random password, never
//! printed) and user 2 is a demo customer for frontend developers:
//!
//! | | |
//! |---|---|
//! | username | `shopper` |
//! | email | `shopper@example.test` |
//! | password | `shopper-demo-pass` |
//! | name | Sam Shopper |
//! | billing | 1 Demo Way, San Francisco, CA 94105, US, `+1 415 555 0123`, `shopper@example.test` |
//! | shipping | the same address, no phone |
//!
//! They log in through XML-RPC `wp.getProfile` (username or email) and `wp-login.php`, and appear in
//! REST `customers`. Passwords are stored as salted SHA-256. Tests add customers with
//! [`DemoStoreHandle::add_customer`], lock them ([`DemoStoreHandle::set_customer_locked`]: every login
//! then fails exactly like a wrong password) and switch XML-RPC off or behind a host block with
//! [`DemoStoreHandle::set_xmlrpc_mode`]. Store API checkouts stay guest orders (`customer_id` 0).

mod accounts;
mod accounts_handle;
pub mod auth;
mod cart;
mod cart_render;
mod cart_routes;
mod cart_totals;
mod catalogue;
mod checkout;
mod collection;
mod coupons;
mod customers_rest;
mod customers_write;
mod faults;
mod filters;
mod generate;
mod http;
mod mutate;
mod orders;
mod orders_create;
mod orders_rest;
mod params;
mod pricing;
mod query;
mod recipes;
mod render;
mod rest_api;
mod rest_render;
mod rest_shapes;
mod rest_update;
mod reviews;
mod server;
mod shop;
mod sort;
mod store_api;
mod store_render;
mod terms;
mod tokens;
mod user_text;
mod view;
mod webhooks;
mod webhooks_rest;
mod wp;
mod wp_login;
mod wp_login_page;
mod xmlrpc;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::Router;
use rand::RngCore;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use accounts::{CustomerInfo, XmlRpcMode};
pub use catalogue::{ProductStatus, ProductType, StockStatus, Visibility};
pub use faults::Faults;
pub use http::WpError;
pub use view::{CatalogueRef, CategoryInfo, ProductInfo};

use catalogue::Catalogue;
use render::Currency;

/// How to build and run a demo store.
#[derive(Debug, Clone)]
pub struct DemoStoreConfig {
    /// Number of top-level products (variations come on top). Scales to 100 000.
    pub products: usize,
    /// Same seed, same catalogue (ids, slugs, SKUs, prices, reviews).
    pub seed: u64,
    /// REST API keys the store accepts.
    pub keys: Vec<DemoKey>,
    /// The store believes every request is HTTPS (WordPress behind a TLS proxy), so Basic auth works.
    pub assume_https: bool,
    /// Treat `X-Forwarded-Proto: https` as HTTPS.
    pub trust_forwarded_proto: bool,
    /// ISO currency code of the store.
    pub currency: String,
}

impl Default for DemoStoreConfig {
    fn default() -> Self {
        DemoStoreConfig {
            products: 240,
            seed: 1,
            keys: Vec::new(),
            assume_https: false,
            trust_forwarded_proto: false,
            currency: "USD".into(),
        }
    }
}

/// What a key may do (WooCommerce's `read`, `write`, `read_write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPermissions {
    Read,
    Write,
    ReadWrite,
}

/// A WooCommerce REST API key pair.
#[derive(Clone, PartialEq, Eq)]
pub struct DemoKey {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub permissions: KeyPermissions,
}

impl DemoKey {
    /// A random `ck_<40 hex>` / `cs_<40 hex>` pair, like `wc_rand_hash()` makes.
    pub fn generate(permissions: KeyPermissions) -> DemoKey {
        let hex = |prefix: &str| {
            let mut bytes = [0u8; 20];
            rand::thread_rng().fill_bytes(&mut bytes);
            let digits: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("{prefix}{digits}")
        };
        DemoKey { consumer_key: hex("ck_"), consumer_secret: hex("cs_"), permissions }
    }
}

impl fmt::Debug for DemoKey {
    /// Shows only the key's last 7 characters (as WooCommerce's admin does) and never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail: String = self.consumer_key.chars().rev().take(7).collect::<Vec<_>>().into_iter().rev().collect();
        f.debug_struct("DemoKey")
            .field("consumer_key", &format_args!("…{tail}"))
            .field("consumer_secret", &format_args!("[redacted]"))
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// Store-wide settings the handlers read.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) assume_https: bool,
    pub(crate) trust_forwarded_proto: bool,
    pub(crate) currency: Currency,
}

/// Everything the running store shares between requests.
pub(crate) struct StoreState {
    pub(crate) settings: Settings,
    /// Home URL over plain http, e.g. `http://127.0.0.1:8881`.
    pub(crate) home: String,
    pub(crate) catalogue: RwLock<Catalogue>,
    pub(crate) auth: auth::Authenticator,
    pub(crate) faults: Faults,
    pub(crate) calls: server::Calls,
    pub(crate) stopping: AtomicBool,
    /// Cart sessions, orders, coupons and webhooks (see `shop.rs`).
    pub(crate) shop: shop::Shop,
}

impl StoreState {
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Catalogue> {
        self.catalogue.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Catalogue> {
        self.catalogue.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The home URL with the scheme `is_ssl()` implies (WordPress rewrites links the same way).
    pub(crate) fn home_for(&self, ssl: bool) -> String {
        if ssl {
            self.home.replacen("http://", "https://", 1)
        } else {
            self.home.clone()
        }
    }
}

/// A demo store's state, embeddable in another router with [`router`].
#[derive(Clone)]
pub struct DemoStore {
    pub(crate) inner: Arc<StoreState>,
}

impl fmt::Debug for DemoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoStore").field("home", &self.inner.home).finish_non_exhaustive()
    }
}

impl DemoStore {
    /// Builds the catalogue (CPU work: call from a blocking context for large catalogues).
    /// `home_url` is the store's public base URL, which OAuth signatures are checked against.
    pub fn new(cfg: DemoStoreConfig, home_url: &str) -> DemoStore {
        let home = home_url.trim_end_matches('/').to_string();
        let catalogue = generate::build(cfg.products, cfg.seed);
        DemoStore {
            inner: Arc::new(StoreState {
                settings: Settings {
                    assume_https: cfg.assume_https,
                    trust_forwarded_proto: cfg.trust_forwarded_proto,
                    currency: Currency::for_code(&cfg.currency),
                },
                auth: auth::Authenticator::new(&home, cfg.keys),
                home,
                shop: shop::Shop::new(catalogue.nodes.len() as u64, (auth::system_clock())()),
                catalogue: RwLock::new(catalogue),
                faults: Faults::default(),
                calls: server::Calls::default(),
                stopping: AtomicBool::new(false),
            }),
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    pub fn catalogue(&self) -> CatalogueRef {
        CatalogueRef { state: Arc::clone(&self.inner) }
    }
}

/// The store's routes over `store` (faults, counters and auth included).
pub fn router(store: DemoStore) -> Router {
    server::build_router(store.inner)
}

/// A running demo store. Clones share the same server.
#[derive(Clone)]
pub struct DemoStoreHandle {
    addr: SocketAddr,
    store: DemoStore,
    stop: Arc<Notify>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl fmt::Debug for DemoStoreHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoStoreHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// A reachable address for the home URL (`0.0.0.0` is not one).
fn public_addr(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port()),
        _ => addr,
    }
}

/// Binds `addr` (port 0 picks a free port), builds the catalogue and serves in a background task.
pub async fn spawn(addr: SocketAddr, cfg: DemoStoreConfig) -> std::io::Result<DemoStoreHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = public_addr(listener.local_addr()?);
    let home = format!("http://{local}");
    let store = tokio::task::spawn_blocking(move || DemoStore::new(cfg, &home)).await.map_err(std::io::Error::other)?;
    let stop = Arc::new(Notify::new());
    let app = router(store.clone()).into_make_service_with_connect_info::<server::ConnInfo>();
    let signal = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        let serve =
            axum::serve(server::KillableListener { inner: listener }, app).with_graceful_shutdown(async move { signal.notified().await });
        if let Err(e) = serve.await {
            tracing::warn!(error = %e, "demo store stopped with an error");
        }
    });
    Ok(DemoStoreHandle { addr: local, store, stop, task: Arc::new(Mutex::new(Some(task))) })
}

impl DemoStoreHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The store's home URL, e.g. `http://127.0.0.1:8881` (also the OAuth 1.0a signing base).
    pub fn url(&self) -> String {
        self.store.inner.home.clone()
    }

    /// Fault switches shared with the running server.
    pub fn faults(&self) -> &Faults {
        self.store.faults()
    }

    /// Calls received for a route pattern such as `"GET /wp-json/wc/store/v1/products/{id}"` (see the module docs).
    pub fn calls(&self, route: &str) -> u64 {
        self.store.inner.calls.get(route)
    }

    /// Every request received, faulted or not.
    pub fn total_calls(&self) -> u64 {
        self.store.inner.calls.total()
    }

    /// The most requests the store was handling at once (since start).
    pub fn peak_concurrent_calls(&self) -> u64 {
        self.store.inner.calls.peak.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// All non-zero counters, sorted by pattern (handy in failing-test messages).
    pub fn call_counts(&self) -> Vec<(String, u64)> {
        self.store.inner.calls.snapshot()
    }

    pub fn reset_calls(&self) {
        self.store.inner.calls.reset();
    }

    /// Stops accepting, releases hung requests and lets in-flight ones finish.
    pub fn shutdown(&self) {
        self.store.inner.stopping.store(true, Ordering::SeqCst);
        self.stop.notify_one();
    }

    /// Waits until the server task has ended (after [`shutdown`](Self::shutdown)).
    pub async fn stopped(&self) {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
    }

    /// Read access to the catalogue (ids, slugs, SKUs, prices, stock).
    pub fn catalogue(&self) -> CatalogueRef {
        self.store.catalogue()
    }

    /// Sets a product's or variation's regular and sale price (minor units); bumps `date_modified`.
    /// Returns false for an unknown id (or a variable/grouped parent, whose prices come from children).
    pub fn update_product_price(&self, id: u64, regular: u64, sale: Option<u64>) -> bool {
        let (Ok(regular), Ok(sale)) = (u32::try_from(regular), sale.map(u32::try_from).transpose()) else {
            return false;
        };
        let patch = mutate::Patch { regular: Some(Some(regular)), sale: Some(sale), ..mutate::Patch::default() };
        self.mutate(id, &patch, |c, id| c.product_by_id(id).is_none_or(|p| !matches!(p.kind, ProductType::Variable | ProductType::Grouped)))
    }

    /// Manages stock for the item with this quantity (status follows, as WooCommerce does); bumps `date_modified`.
    pub fn update_stock_quantity(&self, id: u64, quantity: i64) -> bool {
        let Ok(q) = i32::try_from(quantity) else {
            return false;
        };
        let patch = mutate::Patch { manage_stock: Some(true), stock_quantity: Some(Some(q)), ..mutate::Patch::default() };
        self.mutate(id, &patch, |_, _| true)
    }

    /// Stops managing stock and sets the status directly; bumps `date_modified`.
    pub fn update_stock_status(&self, id: u64, status: StockStatus) -> bool {
        let patch = mutate::Patch { manage_stock: Some(false), stock_status: Some(status), ..mutate::Patch::default() };
        self.mutate(id, &patch, |_, _| true)
    }

    /// Renames a product (the slug stays, as in WordPress); bumps `date_modified`.
    pub fn update_product_name(&self, id: u64, name: &str) -> bool {
        let patch = mutate::Patch { name: Some(name.to_string()), ..mutate::Patch::default() };
        self.mutate(id, &patch, |c, id| c.product_by_id(id).is_some())
    }

    /// Sets a product's status; a draft or private product leaves the Store API as a deleted
    /// one does. Bumps `date_modified`.
    pub fn update_product_status(&self, id: u64, status: ProductStatus) -> bool {
        let patch = mutate::Patch { status: Some(status), ..mutate::Patch::default() };
        self.mutate(id, &patch, |c, id| c.product_by_id(id).is_some())
    }

    /// Sets where a product shows (shop and search, one of them, or neither); bumps `date_modified`.
    pub fn update_product_visibility(&self, id: u64, visibility: Visibility) -> bool {
        let patch = mutate::Patch { visibility: Some(visibility), ..mutate::Patch::default() };
        self.mutate(id, &patch, |c, id| c.product_by_id(id).is_some())
    }

    fn mutate(&self, id: u64, patch: &mutate::Patch, allowed: impl Fn(&Catalogue, u64) -> bool) -> bool {
        let ok = {
            let mut cat = self.store.inner.write();
            if cat.item(id).is_none() || !allowed(&cat, id) {
                return false;
            }
            cat.patch(id, patch, (auth::system_clock())()).is_ok()
        };
        if ok {
            let state = &self.store.inner;
            state.shop.webhooks.product_updated(state, id);
        }
        ok
    }

    /// Every Cart-Token the store handed out (the last 50,000), so tests can prove none reached a client or a log.
    pub fn issued_cart_tokens(&self) -> Vec<String> {
        self.store.inner.shop.tokens.issued()
    }

    /// Every Cart-Token issued so far stops working: the next request with one gets a new, empty cart (new `user_id`).
    pub fn expire_cart_tokens(&self) {
        self.store.inner.shop.expire_tokens();
    }

    /// Drops all cart session data; tokens still verify, so the next request gets an empty cart under the same `user_id`.
    pub fn purge_cart_sessions(&self) {
        self.store.inner.shop.purge_sessions();
    }

    /// When on, `POST /checkout` places the order and then drops the connection without answering.
    pub fn set_lose_checkout_response(&self, on: bool) {
        self.store.inner.shop.lose_checkout.store(on, Ordering::SeqCst);
    }

    /// Revokes every REST API key (as deleting them in the admin does: REST calls then get 401
    /// `woocommerce_rest_authentication_error`); `false` restores them.
    pub fn set_keys_revoked(&self, revoked: bool) {
        self.store.inner.auth.set_revoked(revoked);
    }

    /// Orders that left `checkout-draft` (placed through checkout, or moved on through REST).
    pub fn orders_placed(&self) -> u64 {
        self.store.inner.shop.placed()
    }

    /// An order's status (`checkout-draft`, `processing`, `on-hold`, ...).
    pub fn order_status(&self, id: u64) -> Option<String> {
        self.store.inner.shop.lock().orders.get(&id).map(|o| o.status.clone())
    }

    /// Moves an order's creation time `secs` into the past (its email grace period then runs out).
    pub fn age_order(&self, id: u64, secs: i64) -> bool {
        let mut shop = self.store.inner.shop.lock();
        shop.orders.get_mut(&id).map(|o| o.created -= secs).is_some()
    }

    /// Configures the store's webhook (`None` removes it). A new one is pinged once (`webhook_id=N`, unsigned);
    /// then every product change (the update helpers above, REST `PUT /products/{id}`) is delivered as a signed
    /// `product.updated` POST from a background task.
    pub fn set_webhook(&self, delivery_url: Option<String>, secret: String) {
        self.store.inner.shop.webhooks.set(delivery_url, secret);
    }

    /// Disables every webhook, as WooCommerce does after repeated delivery failures.
    pub fn disable_webhooks(&self) {
        self.store.inner.shop.webhooks.disable_all();
    }

    /// `(topic, delivery_url, status)` of every webhook.
    pub fn webhooks(&self) -> Vec<(String, String, String)> {
        self.store.inner.shop.webhooks.all().into_iter().map(|h| (h.topic, h.url, h.status)).collect()
    }

    /// Webhook deliveries (not pings) that reached the receiver.
    pub fn webhook_deliveries(&self) -> u64 {
        self.store.inner.shop.webhooks.deliveries()
    }
}

/// Serves a demo store until Ctrl-C. With no keys configured it generates a read/write key and
/// prints it once to stdout: the operator's own throwaway key, the only place a key is ever printed.
pub async fn run_standalone(addr: SocketAddr, mut cfg: DemoStoreConfig) -> std::io::Result<()> {
    let generated = cfg.keys.is_empty().then(|| DemoKey::generate(KeyPermissions::ReadWrite));
    if let Some(k) = &generated {
        cfg.keys.push(k.clone());
    }
    let products = cfg.products;
    let handle = spawn(addr, cfg).await?;
    println!("demo store: {} ({products} products)", handle.url());
    println!("  Store API: {}/wp-json/wc/store/v1/products", handle.url());
    println!("  REST API:  {}/wp-json/wc/v3/products (OAuth 1.0a over http)", handle.url());
    println!(
        "  demo customer: {} / {} ({}/wp-login.php, XML-RPC wp.getProfile)",
        accounts::DEMO_LOGIN,
        accounts::DEMO_PASSWORD,
        handle.url()
    );
    if let Some(k) = generated {
        println!("  consumer key:    {}", k.consumer_key);
        println!("  consumer secret: {}", k.consumer_secret);
    }
    tokio::signal::ctrl_c().await?;
    handle.shutdown();
    handle.stopped().await;
    Ok(())
}
