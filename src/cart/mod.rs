//! The shopper's cart and checkout through the Store API. The Cart-Token and
//! Nonce stay in the server-side session; the cart is rebuilt from a
//! snapshot when WooCommerce loses it; checkout is idempotent.

pub mod checkout;
mod empty;
mod errors;
pub mod handlers;
pub mod home;
mod resolve;
pub mod state;
pub mod vault;
pub mod views;

use std::collections::BTreeMap;

use crate::catalogue::Catalogue;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::idempotency::Idempotency;
use crate::ratelimit::RateLimits;
use crate::session::Shopper;
use crate::upstream::{CartClient, RestClient, StoreClient};
pub use resolve::Target;
use state::CartState;
use vault::CartOp;
use views::{cart_view, CartView, OrderView};

#[derive(Clone)]
pub struct Cart {
    pub(crate) client: CartClient,
    pub(crate) catalogue: Catalogue,
    pub(crate) store: StoreClient,
    pub(crate) rest: RestClient,
    pub(crate) idempotency: Idempotency,
    pub(crate) limits: RateLimits,
    pub(crate) customer_carts: home::CustomerCarts,
    empty: empty::EmptyCart,
    /// The cap on concurrent cart and checkout work at the store.
    pub(crate) gate: crate::gate::Gate,
}

impl Cart {
    pub fn new(
        client: CartClient,
        catalogue: Catalogue,
        store: StoreClient,
        rest: RestClient,
        idempotency: Idempotency,
        limits: RateLimits,
        customer_carts: home::CustomerCarts,
    ) -> Self {
        Self {
            client,
            catalogue,
            store,
            rest,
            idempotency,
            limits,
            customer_carts,
            empty: empty::EmptyCart::default(),
            gate: crate::gate::Gate::unlimited(),
        }
    }

    /// The same cart with its store work capped by `gate`.
    pub fn with_gate(mut self, gate: crate::gate::Gate) -> Self {
        self.gate = gate;
        self
    }

    /// Runs one operation for this shopper and saves the new state.
    pub async fn run(&self, shopper: &Shopper, ip: ClientIp, op: CartOp) -> Result<CartView, ApiError> {
        if !matches!(op, CartOp::Get) {
            let session = shopper.id().await?;
            self.limits.cart_write(&session, &ip.as_string())?;
        }
        let home = self.home(shopper).await?;
        let mut state: CartState = self.load(shopper, &home).await?;
        if matches!(op, CartOp::Get) && empty::EmptyCart::is_blank(&state) {
            // Nothing to show and nothing to keep: no session, no store cart.
            return self.empty.view(&self.client).await;
        }
        let before = state.clone();
        let permit = self.gate.enter(crate::gate::Kind::Cart).await?;
        let result = vault::run(&self.client, &mut state, Some(&ip.as_string()), &op).await;
        drop(permit);
        // Keep credentials learned even when the operation was refused.
        if state.credentials != before.credentials || state.snapshot != before.snapshot {
            self.save(shopper, &home, &state).await?;
        }
        let (cart, notices) = result?;
        Ok(cart_view(&cart, notices))
    }

    /// A guest's order, by id, order key and billing email. The store checks the key; the email
    /// is checked here, because WooCommerce skips its own check for ten minutes after an order
    /// is placed. The Store API's order lines carry line-item ids, so product ids come from
    /// REST v3 (asked only once key and email are right).
    pub async fn guest_order(&self, id: u64, key: &str, email: &str, ip: &ClientIp) -> Result<OrderView, ApiError> {
        let order = self.client.order(id, key, email, Some(&ip.as_string())).await.map_err(|err| match err.status() {
            Some(400..=404) => handlers::not_found_order(),
            _ => errors::cart_error(err),
        })?;
        let billing = order.billing_address.email.as_deref().unwrap_or("");
        if billing.is_empty() || !billing.trim().eq_ignore_ascii_case(email.trim()) {
            return Err(handlers::not_found_order());
        }
        let lines = self.rest.order(id).await.map_err(|e| ApiError::from_upstream(e, "order_not_found"))?.line_items;
        Ok(views::order_view(&order, &lines))
    }

    pub async fn add(
        &self,
        shopper: &Shopper,
        ip: ClientIp,
        target: Target,
        quantity: u32,
        variation: &BTreeMap<String, String>,
    ) -> Result<CartView, ApiError> {
        let (request, item_id) = resolve::resolve(&self.catalogue, &self.store, target, quantity, variation).await?;
        self.run(shopper, ip, CartOp::Add { request, item_id }).await
    }
}
