//! Checkout: one order per Idempotency-Key, an expected-total guard, and
//! reconciliation when the store's answer is lost (the order may exist even
//! though we never heard back: we ask REST v3 about the draft order).

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::errors::cart_error;
use super::state::{CartState, Unconfirmed};
use super::vault::{self, CartOp};
use super::views::{cart_view, Address, CartTotals};
use super::Cart;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, FieldError};
use crate::idempotency::{fingerprint, Begin, StoredResponse};
use crate::session::Shopper;
use crate::upstream::cart_models::{CheckoutRequest, PaymentDatum, StoreCheckout};
use crate::upstream::UpstreamError;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    /// Defaults to the address saved with `PUT /cart/addresses`.
    pub billing: Option<Address>,
    pub shipping: Option<Address>,
    /// One of the cart's `payment_methods`, e.g. `cod`.
    #[schema(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    pub payment_method: String,
    /// Gateway-specific key/value data.
    pub payment_data: Option<BTreeMap<String, String>>,
    #[schema(max_length = 2000)]
    pub customer_note: Option<String>,
    /// The cart total the shopper saw, in minor units; a different total
    /// answers 409 `cart_changed` with the current cart.
    pub expected_total: Option<i64>,
}

impl CheckoutBody {
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if self.payment_method.is_empty()
            || self.payment_method.len() > 64
            || !self.payment_method.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            errors.push(FieldError::new("payment_method", "a payment method id such as cod"));
        }
        if let Some(b) = &self.billing {
            b.validate("billing", &mut errors);
        }
        if let Some(s) = &self.shipping {
            s.validate("shipping", &mut errors);
        }
        if self.customer_note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            errors.push(FieldError::new("customer_note", "at most 2000 characters"));
        }
        if self.payment_data.as_ref().is_some_and(|d| d.len() > 32 || d.iter().any(|(k, v)| k.len() > 64 || v.len() > 2048)) {
            errors.push(FieldError::new("payment_data", "at most 32 entries of reasonable size"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentResult {
    /// e.g. `success`, `pending`, `failure`.
    pub status: String,
    /// Where to send the shopper next, for gateways that need it
    /// (never a link into the store's own pages).
    pub redirect_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckoutResult {
    pub order_id: u64,
    /// With the billing email, lets a guest view the order.
    pub order_key: String,
    pub order_number: String,
    pub status: String,
    pub totals: CartTotals,
    pub payment_result: PaymentResult,
}

/// What REST v3 says about an order, for reconciliation.
#[derive(Deserialize)]
struct RestOrderStatus {
    id: u64,
    status: String,
    order_key: String,
}

/// The spurious "not enough stock" WooCommerce 8.9 answers to a valid retry
/// within the same second as a failed checkout (see the captures): wait this
/// long and try once more.
const SAME_SECOND_RETRY: Duration = Duration::from_millis(1200);

impl Cart {
    /// Places the order once per (session, key); replays the first result.
    pub async fn checkout(
        &self,
        shopper: &Shopper,
        ip: ClientIp,
        key: &str,
        body: CheckoutBody,
        raw: &[u8],
    ) -> Result<StoredResponse, ApiError> {
        let session = shopper.id().await?;
        let scoped = format!("checkout:{session}:{key}");
        let claim = match self.idempotency.begin(&scoped, fingerprint(&[raw])).await? {
            Begin::Replay(stored) => return Ok((*stored).clone()),
            Begin::Fresh(claim) => claim,
        };
        let outcome = match self.limits.checkout(&session, &ip.as_string()) {
            // One checkout is several store calls in a row: it holds a cart permit throughout.
            Ok(()) => match self.gate.enter(crate::gate::Kind::Cart).await {
                Ok(_permit) => self.place(shopper, ip, body).await,
                Err(busy) => Err(busy),
            },
            Err(limited) => Err(limited),
        };
        match outcome {
            Ok(result) => {
                let stored = StoredResponse {
                    status: 201,
                    body: Bytes::from(serde_json::to_vec(&result).map_err(|e| ApiError::json("storing a checkout answer", &e))?),
                };
                claim.complete(stored.clone()).await;
                Ok(stored)
            }
            Err(err) => {
                // Nothing was ordered: free the key so the shopper can fix
                // the problem and retry with it; waiters see this error.
                let status = err.status().as_u16();
                claim.release(StoredResponse { status, body: Bytes::from(err.to_replay().to_string()) }).await;
                Err(err)
            }
        }
    }

    async fn place(&self, shopper: &Shopper, ip: ClientIp, body: CheckoutBody) -> Result<CheckoutResult, ApiError> {
        let ip_text = ip.as_string();
        let ip = Some(ip_text.as_str());
        let home = self.home(shopper).await?;
        let mut state: CartState = self.load(shopper, &home).await?;
        // An earlier checkout of this cart may have gone through unseen: settle it first.
        if let Some(placed) = self.settle_unconfirmed(&mut state).await? {
            self.save(shopper, &home, &state).await?;
            if let Some(customer_id) = home.customer_id() {
                self.assign_to_customer(placed.order_id, customer_id).await;
            }
            return Ok(placed);
        }
        let (cart, notices) = vault::run(&self.client, &mut state, ip, &CartOp::Get).await?;
        self.save(shopper, &home, &state).await?;
        let view = cart_view(&cart, notices);
        if cart.items.is_empty() {
            return Err(ApiError::Rejected {
                status: axum::http::StatusCode::CONFLICT,
                code: "cart_empty",
                message: "The cart is empty.".into(),
            });
        }
        if body.expected_total.is_some_and(|expected| expected != view.totals.total.amount) {
            return Err(ApiError::CartChanged(Box::new(
                serde_json::to_value(&view).map_err(|e| ApiError::json("writing a changed cart", &e))?,
            )));
        }
        let request = CheckoutRequest {
            billing_address: body.billing.as_ref().map(Address::to_store).unwrap_or_else(|| cart.billing_address.clone()),
            shipping_address: body.shipping.as_ref().map(Address::to_store),
            payment_method: body.payment_method.clone(),
            payment_data: body.payment_data.unwrap_or_default().into_iter().map(|(key, value)| PaymentDatum { key, value }).collect(),
            customer_note: body.customer_note.unwrap_or_default(),
        };
        // The draft order WooCommerce will turn into the real one: if the
        // checkout answer is lost, its status tells whether it went through.
        let draft = self.client.draft_order(&state.credentials, ip).await.map_err(cart_error)?;
        state.credentials = draft.credentials.clone();
        let mut attempt = self.client.checkout(&state.credentials, ip, &request).await;
        if matches!(&attempt, Err(e) if e.woo_code() == Some("woocommerce_product_not_enough_stock")) {
            tokio::time::sleep(SAME_SECOND_RETRY).await;
            attempt = self.client.checkout(&state.credentials, ip, &request).await;
        }
        let placed = match attempt {
            Ok(answer) => {
                state.credentials = answer.credentials;
                answer.value
            }
            Err(err) if err.is_outage() => match self.reconcile(&draft.value).await {
                Some(placed) => placed,
                None => {
                    // Maybe placed, maybe not: remember the draft rather than risk ordering twice.
                    let (order_id, order_key) = (draft.value.order_id, draft.value.order_key.clone());
                    state.unconfirmed = Some(Unconfirmed { order_id, order_key, totals: view.totals.clone() });
                    self.save(shopper, &home, &state).await?;
                    return Err(ApiError::from_upstream(err, "not_found"));
                }
            },
            Err(err) => return Err(cart_error(err)),
        };
        state.snapshot.clear_after_order();
        self.save(shopper, &home, &state).await?;
        if let Some(customer_id) = home.customer_id() {
            self.assign_to_customer(placed.order_id, customer_id).await;
        }
        Ok(CheckoutResult {
            order_id: placed.order_id,
            order_key: placed.order_key.clone(),
            order_number: if placed.order_number.is_empty() { placed.order_id.to_string() } else { placed.order_number.clone() },
            status: placed.status.clone(),
            totals: view.totals,
            payment_result: PaymentResult {
                status: placed.payment_result.as_ref().map(|p| p.payment_status.clone()).unwrap_or_else(|| "success".into()),
                redirect_url: placed
                    .payment_result
                    .as_ref()
                    .map(|p| p.redirect_url.clone())
                    .filter(|u| !u.is_empty() && !self.is_store_url(u)),
            },
        })
    }

    /// The checkout answer was lost: the order exists if REST v3 shows the
    /// draft moved on from `checkout-draft`. `None`: not (yet) placed, or REST
    /// could not tell.
    async fn reconcile(&self, draft: &StoreCheckout) -> Option<StoreCheckout> {
        tracing::warn!(order_id = draft.order_id, "checkout answer lost; reconciling with the store");
        match self.draft_status(draft.order_id, &draft.order_key).await {
            Ok(Some(placed)) => Some(placed),
            _ => None,
        }
    }

    /// What REST v3 says about a draft: `Some` once placed, `None` while still a draft (or gone).
    async fn draft_status(&self, order_id: u64, order_key: &str) -> Result<Option<StoreCheckout>, UpstreamError> {
        let order: RestOrderStatus = match self.rest.get("order", &format!("/orders/{order_id}"), &[]).await {
            Ok(order) => order,
            Err(err) if err.status() == Some(404) => return Ok(None),
            Err(err) => return Err(err),
        };
        if order.id != order_id || order.order_key != order_key || order.status == "checkout-draft" {
            return Ok(None);
        }
        tracing::info!(order_id = order.id, "lost checkout answer: the order was placed");
        Ok(Some(StoreCheckout {
            order_id: order.id,
            status: order.status,
            order_key: order.order_key,
            order_number: order.id.to_string(),
            payment_method: String::new(),
            payment_result: None,
        }))
    }

    /// Settles a checkout left unconfirmed: its result if the store placed it (the cart is then
    /// done), `None` if it did not (ordering may go ahead), 503 while the store cannot tell.
    async fn settle_unconfirmed(&self, state: &mut CartState) -> Result<Option<CheckoutResult>, ApiError> {
        let Some(pending) = state.unconfirmed.clone() else { return Ok(None) };
        match self.draft_status(pending.order_id, &pending.order_key).await {
            Ok(Some(placed)) => {
                state.unconfirmed = None;
                state.snapshot.clear_after_order();
                Ok(Some(CheckoutResult {
                    order_id: placed.order_id,
                    order_key: placed.order_key,
                    order_number: placed.order_number,
                    status: placed.status,
                    totals: pending.totals,
                    payment_result: PaymentResult { status: "success".into(), redirect_url: None },
                }))
            }
            Ok(None) => {
                state.unconfirmed = None;
                Ok(None)
            }
            Err(err) => {
                tracing::warn!(order_id = pending.order_id, error = %err, "an earlier checkout is still unconfirmed; not ordering again");
                Err(ApiError::from_upstream(err, "not_found"))
            }
        }
    }

    /// Store API carts are guest carts, so a signed-in customer's order is
    /// placed as a guest order and then given to the customer through REST
    /// v3 (`customer_id`), which makes it show in their history. The order
    /// exists either way: if this fails it is logged, and
    /// `POST /api/v1/me/orders/claim` attaches it later (same email).
    async fn assign_to_customer(&self, order_id: u64, customer_id: u64) {
        for attempt in 1..=2 {
            match self.rest.assign_order(order_id, customer_id).await {
                Ok(_) => return,
                Err(err) => tracing::warn!(order_id, attempt, error = %err, "could not give the order to its customer"),
            }
        }
    }

    fn is_store_url(&self, url: &str) -> bool {
        let store = url::Url::parse(self.client.base()).ok();
        let target = url::Url::parse(url).ok();
        match (store, target) {
            (Some(s), Some(t)) => s.host_str() == t.host_str(),
            _ => true,
        }
    }
}
