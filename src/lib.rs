//! storefront-bff: a backend-for-frontend for headless WooCommerce stores.
//!
//! Features live in their own modules (`catalogue`, ...); `upstream` holds
//! the typed WooCommerce clients; `demo_store` is the embedded stand-in
//! store; `routes` lists every route.

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
pub mod demo_store;
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
pub mod ratelimit;
pub mod redis;
pub mod request_id;
pub mod routes;
pub mod serve;
pub mod session;
pub mod shared_responses;
pub mod telemetry;
pub mod upstream;
pub mod web;
pub mod webhooks;
