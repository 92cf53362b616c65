//! storefront-bff: a backend-for-frontend for headless WooCommerce stores.
//!
//! Features live in their own modules (`catalogue`, ...); `upstream` holds
//! the typed WooCommerce clients; `demo_store` is the embedded stand-in
//! store; `routes` lists every route.

pub mod app;
pub mod cache;
pub mod catalogue;
pub mod config;
pub mod demo_store;
pub mod error;
pub mod ops;
pub mod request_id;
pub mod routes;
pub mod telemetry;
pub mod upstream;
