//! What a shopper's session holds for the cart: the Store API credentials
//! (never sent to a client, never logged) and a snapshot of the cart from
//! which it can be rebuilt when WooCommerce loses it.

use serde::{Deserialize, Serialize};

use crate::upstream::cart_models::{AddItemRequest, StoreAddress, StoreCart};
use crate::upstream::CartCredentials;

pub use crate::session::CART_KEY as SESSION_KEY;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CartState {
    pub credentials: CartCredentials,
    pub snapshot: Snapshot,
    /// A checkout whose answer was lost while the store could not say whether it went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<Unconfirmed>,
}

/// The draft order of a checkout with an unknown outcome: the next checkout asks the store about
/// it before ordering the cart again (the snapshot would otherwise rebuild and re-order it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unconfirmed {
    pub order_id: u64,
    pub order_key: String,
    /// The totals the shopper was shown for it.
    pub totals: crate::cart::views::CartTotals,
}

/// Enough to recreate the cart in a fresh Store API session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub lines: Vec<SnapshotLine>,
    pub coupons: Vec<String>,
    pub billing: Option<StoreAddress>,
    pub shipping: Option<StoreAddress>,
    /// (package id, rate id) the shopper chose.
    pub rates: Vec<(u64, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotLine {
    pub key: String,
    /// The cart item id (variation id for variations).
    pub item_id: u64,
    /// How it was added (parent id + attributes for variations).
    pub add: AddItemRequest,
    pub quantity: u32,
}

impl Snapshot {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty() && self.coupons.is_empty() && self.billing.is_none() && self.rates.is_empty()
    }

    /// Updates lines and coupons from what the store now says, keeping how
    /// each line was added. `added` is the request just sent, if any.
    pub fn observe(&mut self, cart: &StoreCart, added: Option<&AddItemRequest>, added_item_id: Option<u64>) {
        let previous = std::mem::take(&mut self.lines);
        self.lines = cart
            .items
            .iter()
            .map(|item| {
                let add = previous
                    .iter()
                    .find(|l| l.key == item.key)
                    .map(|l| l.add.clone())
                    .or_else(|| added.filter(|_| added_item_id == Some(item.id)).cloned())
                    .unwrap_or_else(|| AddItemRequest { id: item.id, quantity: item.quantity, variation: Vec::new() });
                SnapshotLine { key: item.key.clone(), item_id: item.id, add, quantity: item.quantity }
            })
            .collect();
        self.coupons = cart.coupons.iter().map(|c| c.code.clone()).collect();
        // Keep only rate choices for packages that still exist.
        self.rates.retain(|(package, _)| cart.shipping_rates.iter().any(|p| p.package_id == *package));
    }

    pub fn clear_after_order(&mut self) {
        self.lines.clear();
        self.coupons.clear();
        self.rates.clear();
    }
}
