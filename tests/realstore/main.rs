//! The real-store contract suite: the BFF in front of a real WordPress 6.5.3 + WooCommerce 8.9.1
//! (`../shared/realwoo`, brought up by the harness when it is not running), every answer compared
//! with what the store itself says through its Store API or REST v3, never with numbers written
//! into a test. Run alone with `scripts/realstore.sh` (it is a stage of `scripts/test.sh`).
//! The tests share one store whose state they change (carts, stock, orders): the script runs
//! them one at a time.

mod harness;

mod accounts;
mod cart;
mod catalogue;
mod index;
mod partners_webhooks;
