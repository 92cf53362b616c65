//! storefront-bff: a backend-for-frontend for headless WooCommerce stores.
//!
//! Features live in their own modules (`catalogue`, ...); `routes` lists every
//! route. The typed WooCommerce clients are the `woo-client` crate and the
//! stand-in store is the `demo-store` crate (ARCHITECTURE.md); both are
//! re-exported under their old module names, so `crate::upstream::…` and
//! `storefront_bff::demo_store::…` keep working.

pub mod accounts;
pub mod app;
pub mod body_timeout;
pub mod cache;
pub mod cart;
pub mod catalogue;
pub mod client_ip;
pub mod config;
pub mod conn_limit;
pub mod csrf;
pub mod edge;
pub mod error;
pub mod extract;
pub mod gate;
pub mod idempotency;
pub mod jwt;
pub mod kv;
pub mod metrics;
pub mod ops;
pub mod partners;
pub mod penalty;
pub mod ratelimit;
pub mod redis;
pub mod request_id;
pub mod routes;
pub mod serve;
pub mod session;
pub mod shared_responses;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod webhooks;

pub use demo_store;
pub use woo_client as upstream;
