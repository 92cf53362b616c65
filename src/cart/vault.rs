//! The Cart-Token vault: runs one Store API cart operation with the
//! shopper's credentials, keeps the newest Cart-Token and Nonce, and when
//! WooCommerce has silently lost the cart (expired or unknown token, purged
//! session) rebuilds it from the snapshot and runs the operation again.

use std::time::{SystemTime, UNIX_EPOCH};

use super::errors::cart_error;
use super::state::{CartState, Snapshot};
use super::views::CartNotice;
use crate::catalogue::views::text;
use crate::error::ApiError;
use crate::upstream::cart::WithCredentials;
use crate::upstream::cart_models::{AddItemRequest, StoreAddress, StoreCart};
use crate::upstream::{CartClient, CartCredentials, UpstreamError};

/// One cart operation, owned so it can be run a second time after a rebuild.
#[derive(Debug, Clone)]
pub enum CartOp {
    Get,
    Add { request: AddItemRequest, item_id: u64 },
    Update { key: String, quantity: u32 },
    Remove { key: String },
    ApplyCoupon(String),
    RemoveCoupon(String),
    Customer { billing: Box<StoreAddress>, shipping: Box<StoreAddress> },
    SelectRate { package_id: u64, rate_id: String },
}

impl CartOp {
    fn writes(&self) -> bool {
        !matches!(self, CartOp::Get)
    }

    /// The line this operation changes on purpose (its absence afterwards is expected).
    fn targets(&self) -> Option<&str> {
        match self {
            CartOp::Update { key, .. } | CartOp::Remove { key } => Some(key),
            _ => None,
        }
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn nonce_problem(err: &UpstreamError) -> bool {
    matches!(err.woo_code(), Some("woocommerce_rest_missing_nonce" | "woocommerce_rest_invalid_nonce"))
}

async fn exec(
    client: &CartClient,
    creds: &CartCredentials,
    ip: Option<&str>,
    op: &CartOp,
) -> Result<WithCredentials<StoreCart>, UpstreamError> {
    match op {
        CartOp::Get => client.get_cart(creds, ip).await,
        CartOp::Add { request, .. } => client.add_item(creds, ip, request).await,
        CartOp::Update { key, quantity } => client.update_item(creds, ip, key, *quantity).await,
        CartOp::Remove { key } => client.remove_item(creds, ip, key).await,
        CartOp::ApplyCoupon(code) => client.apply_coupon(creds, ip, code).await,
        CartOp::RemoveCoupon(code) => client.remove_coupon(creds, ip, code).await,
        CartOp::Customer { billing, shipping } => client.update_customer(creds, ip, billing, shipping).await,
        CartOp::SelectRate { package_id, rate_id } => client.select_shipping_rate(creds, ip, *package_id, rate_id).await,
    }
}

/// Did WooCommerce answer from a different (new, empty) cart than ours?
fn cart_was_lost(before: &CartState, after: &WithCredentials<StoreCart>, op: &CartOp) -> bool {
    if before.snapshot.is_empty() {
        return false;
    }
    if let (Some(old), Some(new)) = (before.credentials.session_id(), after.credentials.session_id()) {
        if old != new {
            return true;
        }
    }
    before
        .snapshot
        .lines
        .iter()
        .filter(|line| op.targets() != Some(line.key.as_str()))
        .any(|line| !after.value.items.iter().any(|item| item.key == line.key))
}

/// Runs `op`, rebuilding the upstream cart first or afterwards when needed.
/// Updates `state` (credentials and snapshot) on success.
pub async fn run(
    client: &CartClient,
    state: &mut CartState,
    ip: Option<&str>,
    op: &CartOp,
) -> Result<(StoreCart, Vec<CartNotice>), ApiError> {
    let mut notices = Vec::new();
    let expired = state.credentials.expires_at().is_some_and(|exp| exp <= now() + 60);
    if (expired || state.credentials.cart_token.is_none()) && !state.snapshot.is_empty() {
        let (creds, found) = rebuild(client, &state.snapshot, ip).await?;
        state.credentials = creds;
        notices.extend(found);
    } else if expired {
        state.credentials = CartCredentials::default();
    }
    if op.writes() && state.credentials.nonce.is_none() {
        state.credentials = client.get_cart(&state.credentials, ip).await.map_err(cart_error)?.credentials;
    }

    let mut rebuilt = false;
    let mut nonce_refreshed = false;
    let result = loop {
        match exec(client, &state.credentials, ip, op).await {
            Ok(answer) if !rebuilt && cart_was_lost(state, &answer, op) => {
                tracing::info!("store lost the cart; rebuilding it from the session snapshot");
                let (creds, found) = rebuild(client, &state.snapshot, ip).await?;
                state.credentials = creds;
                notices.extend(found);
                rebuilt = true;
            }
            Ok(answer) => break answer,
            Err(err) if nonce_problem(&err) && !nonce_refreshed => {
                nonce_refreshed = true;
                state.credentials.nonce = None;
                state.credentials = client.get_cart(&state.credentials, ip).await.map_err(cart_error)?.credentials;
            }
            Err(err)
                if !rebuilt
                    && err.woo_code() == Some("woocommerce_rest_cart_invalid_key")
                    && op.targets().is_some_and(|k| state.snapshot.lines.iter().any(|l| l.key == k)) =>
            {
                let (creds, found) = rebuild(client, &state.snapshot, ip).await?;
                state.credentials = creds;
                notices.extend(found);
                rebuilt = true;
            }
            Err(err) => return Err(cart_error(err)),
        }
    };

    state.credentials = result.credentials;
    let (added, item_id) = match op {
        CartOp::Add { request, item_id } => (Some(request), Some(*item_id)),
        _ => (None, None),
    };
    state.snapshot.observe(&result.value, added, item_id);
    match op {
        CartOp::Customer { billing, shipping } => {
            state.snapshot.billing = Some((**billing).clone());
            state.snapshot.shipping = Some((**shipping).clone());
        }
        CartOp::SelectRate { package_id, rate_id } => {
            state.snapshot.rates.retain(|(p, _)| p != package_id);
            state.snapshot.rates.push((*package_id, rate_id.clone()));
        }
        _ => {}
    }
    Ok((result.value, notices))
}

/// Recreates the cart in a fresh Store API session. Lines and coupons the
/// store now refuses are reported, not fatal; an outage is.
async fn rebuild(client: &CartClient, snapshot: &Snapshot, ip: Option<&str>) -> Result<(CartCredentials, Vec<CartNotice>), ApiError> {
    let mut notices = Vec::new();
    let outage = |err: UpstreamError| -> Result<(), ApiError> {
        if err.is_outage() {
            Err(cart_error(err))
        } else {
            Ok(())
        }
    };
    let mut creds = client.get_cart(&CartCredentials::default(), ip).await.map_err(cart_error)?.credentials;
    for line in &snapshot.lines {
        let request = AddItemRequest { quantity: line.quantity, ..line.add.clone() };
        match client.add_item(&creds, ip, &request).await {
            Ok(answer) => creds = answer.credentials,
            Err(err) => {
                let message = match &err {
                    UpstreamError::Woo { message, .. } => text(message),
                    _ => String::new(),
                };
                outage(err)?;
                notices.push(CartNotice {
                    code: "line_dropped".into(),
                    message: format!("A cart line (product {}) could not be restored: {message}", line.item_id),
                });
            }
        }
    }
    for code in &snapshot.coupons {
        match client.apply_coupon(&creds, ip, code).await {
            Ok(answer) => creds = answer.credentials,
            Err(err) => {
                outage(err)?;
                notices.push(CartNotice { code: "coupon_dropped".into(), message: format!("Coupon {code} no longer applies.") });
            }
        }
    }
    if let (Some(billing), Some(shipping)) = (&snapshot.billing, &snapshot.shipping) {
        match client.update_customer(&creds, ip, billing, shipping).await {
            Ok(answer) => creds = answer.credentials,
            Err(err) => outage(err)?,
        }
    }
    for (package_id, rate_id) in &snapshot.rates {
        match client.select_shipping_rate(&creds, ip, *package_id, rate_id).await {
            Ok(answer) => creds = answer.credentials,
            Err(err) => outage(err)?,
        }
    }
    Ok((creds, notices))
}
