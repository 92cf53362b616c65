//! The demo store's fidelity to WooCommerce, checked against the real-store captures
//! (`tests/fixtures/woo-fixtures`, or `../shared/woo-fixtures` when present).
//!
//! One test binary rather than one per file: each binary links the whole crate again, and nine
//! links cost more build time than the tests take to run. `cargo test -p demo-store --test
//! fidelity [name filter]` runs them without building the BFF.

mod accounts;
mod auth;
mod cart;
mod cart_sessions;
mod cart_support;
mod catalogue;
mod common;
mod faults;
mod realwoo;
mod shapes;
