//! Where a shopper's cart lives: in the session for a guest; per customer
//! once signed in, shared by all their devices and sessions (so the cart
//! follows the customer), and merged with the guest cart at sign-in.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedMutexGuard};

use super::state::{CartState, SESSION_KEY};
use super::vault::{self, CartOp};
use super::Cart;
use crate::error::ApiError;
use crate::kv::{Kv, Lease};
use crate::session::Shopper;
use crate::upstream::cart_models::{AddItemRequest, StoreCart};

/// How long a customer's saved cart outlives its last change.
pub const SAVED_CART_TTL: Duration = Duration::from_secs(60 * 24 * 3600);

/// How long one cart change may hold a customer's cart across instances:
/// longer than a change takes (a few upstream calls, each with its timeout),
/// so it matters only when an instance dies holding it.
const CART_LEASE: Duration = Duration::from_secs(15);

/// Saved carts of signed-in customers, held by one change at a time so two
/// devices of one customer do not overwrite each other's changes: a mutex
/// per customer on this instance and, with Redis, a lease across instances
/// (two instances would otherwise each load the same saved cart, and the
/// later save would drop the earlier change).
#[derive(Clone)]
pub struct CustomerCarts {
    kv: Kv,
    locks: moka::sync::Cache<u64, Arc<Mutex<()>>>,
}

impl CustomerCarts {
    pub fn new(kv: Kv) -> Self {
        Self { kv, locks: moka::sync::Cache::builder().time_to_idle(Duration::from_secs(120)).max_capacity(1_000_000).build() }
    }

    async fn lock(&self, customer_id: u64) -> Result<CartHold, ApiError> {
        let local = self.locks.get_with(customer_id, || Arc::new(Mutex::new(()))).lock_owned().await;
        let lease = self.kv.lease(&format!("{customer_id}:lock"), CART_LEASE, CART_LEASE).await?;
        Ok(CartHold { _lease: lease, _local: local })
    }

    pub async fn load(&self, customer_id: u64) -> Result<Option<CartState>, ApiError> {
        let raw = self.kv.get(&customer_id.to_string()).await?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    pub async fn save(&self, customer_id: u64, state: &CartState) -> Result<(), ApiError> {
        let raw = serde_json::to_string(state).map_err(|e| ApiError::json("saving a customer cart", &e))?;
        self.kv.set(&customer_id.to_string(), &raw, SAVED_CART_TTL).await
    }
}

/// A customer's cart, held for one change (released on drop: the lease
/// first, then this instance's mutex).
pub(crate) struct CartHold {
    _lease: Option<Lease>,
    _local: OwnedMutexGuard<()>,
}

/// The cart of one request, held for its duration.
pub(crate) enum Home {
    Session,
    Customer { id: u64, _guard: CartHold },
}

impl Home {
    /// The signed-in customer whose cart this is (read once, at `Cart::home`).
    pub(crate) fn customer_id(&self) -> Option<u64> {
        match self {
            Home::Session => None,
            Home::Customer { id, .. } => Some(*id),
        }
    }
}

impl Cart {
    pub(crate) async fn home(&self, shopper: &Shopper) -> Result<Home, ApiError> {
        Ok(match shopper.signed_in().await? {
            Some(customer) => Home::Customer { id: customer.customer_id, _guard: self.customer_carts.lock(customer.customer_id).await? },
            None => Home::Session,
        })
    }

    pub(crate) async fn load(&self, shopper: &Shopper, home: &Home) -> Result<CartState, ApiError> {
        match home {
            Home::Session => Ok(shopper.get(SESSION_KEY).await?.unwrap_or_default()),
            Home::Customer { id, .. } => Ok(self.customer_carts.load(*id).await?.unwrap_or_default()),
        }
    }

    pub(crate) async fn save(&self, shopper: &Shopper, home: &Home, state: &CartState) -> Result<(), ApiError> {
        match home {
            Home::Session => shopper.put(SESSION_KEY, state).await,
            Home::Customer { id, .. } => self.customer_carts.save(*id, state).await,
        }
    }

    /// Sign-in: merges the guest's cart into the customer's saved one and
    /// saves the result. The rule: lines for the same product (or variation)
    /// add their quantities, capped at what the store allows (its stock or
    /// purchase limit, `quantity_limits.maximum`); other guest lines are
    /// added; guest coupons are applied when the store accepts them.
    /// Addresses and shipping choices stay the customer's.
    pub async fn merge_at_sign_in(&self, customer_id: u64, guest: Option<CartState>, ip: Option<&str>) -> Result<(), ApiError> {
        let _guard = self.customer_carts.lock(customer_id).await?;
        let guest = guest.filter(|g| !g.snapshot.lines.is_empty() || !g.snapshot.coupons.is_empty());
        let Some(guest) = guest else { return Ok(()) };
        let saved = self.customer_carts.load(customer_id).await?.filter(|s| !s.snapshot.lines.is_empty());
        let Some(mut saved) = saved else {
            // Nothing saved yet: the guest cart simply becomes the customer's.
            return self.customer_carts.save(customer_id, &guest).await;
        };
        let result = self.merge_lines(&mut saved, &guest, ip).await;
        // Save whatever was merged, even if a later step failed.
        self.customer_carts.save(customer_id, &saved).await?;
        result
    }

    async fn merge_lines(&self, saved: &mut CartState, guest: &CartState, ip: Option<&str>) -> Result<(), ApiError> {
        let (mut cart, _) = vault::run(&self.client, saved, ip, &CartOp::Get).await?;
        for line in &guest.snapshot.lines {
            let existing =
                cart.items.iter().find(|item| item.id == line.item_id).map(|item| (item.key.clone(), item.quantity, limit(item)));
            let op = match existing {
                Some((key, have, max)) => {
                    let quantity = (have + line.quantity).min(max);
                    if quantity == have {
                        continue;
                    }
                    CartOp::Update { key, quantity }
                }
                None => CartOp::Add { request: AddItemRequest { quantity: line.quantity, ..line.add.clone() }, item_id: line.item_id },
            };
            cart = match vault::run(&self.client, saved, ip, &op).await {
                Ok((cart, _)) => cart,
                Err(ApiError::Rejected { code: "cart_item_insufficient_stock", .. }) if matches!(op, CartOp::Add { .. }) => {
                    self.add_capped(saved, line.add.clone(), line.item_id, ip).await?
                }
                // Out of stock or gone since the guest added it: that line cannot move.
                Err(ApiError::Rejected { code, .. }) => {
                    tracing::info!(code, item_id = line.item_id, "guest cart line not merged");
                    continue;
                }
                Err(other) => return Err(other),
            };
        }
        for coupon in &guest.snapshot.coupons {
            if !saved.snapshot.coupons.contains(coupon) {
                if let Err(err) = vault::run(&self.client, saved, ip, &CartOp::ApplyCoupon(coupon.clone())).await {
                    tracing::info!(code = err.code(), "guest coupon not merged");
                }
            }
        }
        Ok(())
    }

    /// Adds one, then raises the line to the store's maximum.
    async fn add_capped(&self, state: &mut CartState, add: AddItemRequest, item_id: u64, ip: Option<&str>) -> Result<StoreCart, ApiError> {
        let (cart, _) =
            vault::run(&self.client, state, ip, &CartOp::Add { request: AddItemRequest { quantity: 1, ..add }, item_id }).await?;
        let Some(item) = cart.items.iter().find(|i| i.id == item_id) else { return Ok(cart) };
        let max = limit(item);
        if max <= item.quantity {
            return Ok(cart);
        }
        let op = CartOp::Update { key: item.key.clone(), quantity: max };
        Ok(vault::run(&self.client, state, ip, &op).await?.0)
    }
}

fn limit(item: &crate::upstream::cart_models::StoreCartItem) -> u32 {
    let max = item.quantity_limits.maximum;
    if max == 0 {
        u32::MAX
    } else {
        max
    }
}
