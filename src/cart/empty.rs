//! The empty cart shown to a shopper who has none yet: no session is made
//! and the store is not asked per request. Reading a cart must not create
//! anything (a client without cookies would otherwise make a session, and a
//! Store API cart, on every read); the first write creates both.
//!
//! The empty cart still carries store facts (currency, payment methods,
//! whether shipping is needed), so it is asked of the store once and shared
//! by every shopper for [`EMPTY_CART_TTL`], one call at a time.

use std::time::Duration;

use super::errors::cart_error;
use super::state::CartState;
use super::views::{cart_view, CartView};
use crate::error::ApiError;
use crate::upstream::{CartClient, CartCredentials};

/// How long the shared empty cart is reused: store settings (currency,
/// gateways) change rarely, and a stale copy shows only an empty cart.
pub const EMPTY_CART_TTL: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub struct EmptyCart(moka::future::Cache<(), CartView>);

impl Default for EmptyCart {
    fn default() -> Self {
        Self(moka::future::Cache::builder().max_capacity(1).time_to_live(EMPTY_CART_TTL).build())
    }
}

impl EmptyCart {
    /// True when `state` holds nothing the store knows about: no store cart
    /// (no Cart-Token), nothing to rebuild, no checkout to settle.
    pub fn is_blank(state: &CartState) -> bool {
        state.credentials == CartCredentials::default() && state.snapshot.is_empty() && state.unconfirmed.is_none()
    }

    /// The shared empty cart; concurrent first readers wait for one store call.
    pub async fn view(&self, client: &CartClient) -> Result<CartView, ApiError> {
        self.0
            .try_get_with((), async {
                // No client IP: this cart belongs to nobody.
                let answer = client.get_cart(&CartCredentials::default(), None).await.map_err(cart_error)?;
                Ok::<_, ApiError>(cart_view(&answer.value, Vec::new()))
            })
            .await
            .map_err(|e: std::sync::Arc<ApiError>| (*e).clone())
    }
}
