//! TEMPORARY interface stub written by the lead so the rest compiles; the demo-store helper replaces this whole file.
#![allow(dead_code, unused_variables)]
use std::net::SocketAddr;
use std::time::Duration;
pub struct DemoStoreConfig { pub products: usize, pub seed: u64, pub keys: Vec<DemoKey>, pub assume_https: bool, pub trust_forwarded_proto: bool, pub currency: String }
impl Default for DemoStoreConfig { fn default() -> Self { Self { products: 240, seed: 1, keys: vec![], assume_https: false, trust_forwarded_proto: false, currency: "USD".into() } } }
pub struct DemoKey { pub consumer_key: String, pub consumer_secret: String, pub permissions: KeyPermissions }
pub enum KeyPermissions { Read, Write, ReadWrite }
impl DemoKey { pub fn generate(permissions: KeyPermissions) -> DemoKey { DemoKey { consumer_key: String::new(), consumer_secret: String::new(), permissions } } }
#[derive(Clone)]
pub struct DemoStoreHandle { addr: SocketAddr }
pub struct Faults;
impl Faults { pub fn set_latency(&self, d: Duration) {} pub fn set_fail_status(&self, s: Option<u16>) {} pub fn set_hang(&self, b: bool) {} pub fn set_drop(&self, b: bool) {} pub fn clear(&self) {} pub fn set_route_filter(&self, f: Option<String>) {} pub fn set_html_error(&self, b: bool) {} pub fn set_malformed_json(&self, b: bool) {} }
impl DemoStoreHandle { pub fn addr(&self) -> SocketAddr { self.addr } pub fn url(&self) -> String { format!("http://{}", self.addr) } pub fn faults(&self) -> &Faults { &Faults } pub fn calls(&self, route: &str) -> u64 { 0 } pub fn total_calls(&self) -> u64 { 0 } pub fn reset_calls(&self) {} pub fn shutdown(&self) {} }
pub async fn spawn(addr: SocketAddr, cfg: DemoStoreConfig) -> std::io::Result<DemoStoreHandle> { Ok(DemoStoreHandle { addr }) }
pub async fn run_standalone(addr: SocketAddr, cfg: DemoStoreConfig) -> std::io::Result<()> { Ok(()) }
