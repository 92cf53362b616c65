//! Typed WooCommerce clients: the public Store API, the secret-key REST API v3
//! and WordPress's sign-in calls (XML-RPC, `wp-login.php`).
//!
//! This layer knows WooCommerce's wire formats (paths, query names, headers,
//! error bodies) and nothing about our own HTTP API: neither axum nor the BFF
//! is a dependency of this crate, so Cargo enforces it (ARCHITECTURE.md).
//! Features map these models to their own view types.

pub mod cart;
pub mod cart_models;
pub mod customers;
pub mod error;
pub mod http;
pub mod oauth1;
pub mod paging;
pub mod rest;
pub mod rest_models;
pub mod store;
pub mod store_models;
pub mod wordpress;

pub use cart::{CartClient, CartCredentials};
pub use error::{Api, UpstreamError};
pub use http::HttpSettings;
pub use paging::{walk_all, Paged, MAX_PER_PAGE};
pub use rest::{RestAuthMode, RestClient, RestCredentials};
pub use store::StoreClient;
pub use wordpress::WordPressClient;
