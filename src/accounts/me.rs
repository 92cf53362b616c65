//! The signed-in customer's own data: profile, addresses and orders.
//! Ownership is checked on every call against the session's customer id;
//! another customer's order answers 404, exactly like one that does not exist.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::views::{
    customer_view, order_detail, order_summary, rest_address, Claimed, CustomerView, OrderDetail, OrderSummary, OrdersQuery, ProfilePatch,
};
use super::Accounts;
use crate::catalogue::views::Page;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::session::{Sessions, Shopper, SignedIn};
use crate::upstream::customers::{CustomerOrderQuery, CustomerPatch};

/// A request from a signed-in customer (401 `not_signed_in` otherwise).
pub struct Customer(pub SignedIn);

impl<S> FromRequestParts<S> for Customer
where
    Arc<Sessions>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let shopper = Shopper::from_request_parts(parts, state).await?;
        match shopper.signed_in().await {
            Ok(Some(customer)) => Ok(Customer(customer)),
            Ok(None) => Err(ApiError::NotSignedIn.into_response()),
            Err(err) => Err(err.into_response()),
        }
    }
}

fn upstream(err: crate::upstream::UpstreamError) -> ApiError {
    ApiError::from_upstream(err, "customer_not_found")
}

fn order_not_found() -> ApiError {
    ApiError::NotFound { code: "order_not_found", message: "No such order in your account.".into() }
}

/// The signed-in customer's profile.
#[utoipa::path(get, path = "/api/v1/me", operation_id = "get_me", tag = "accounts",
    responses(
        (status = 200, description = "The profile", body = CustomerView),
        (status = 401, description = "`not_signed_in` or a bad bearer token", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
    ))]
pub async fn get_me(State(accounts): State<Arc<Accounts>>, Customer(me): Customer) -> Result<Json<CustomerView>, ApiError> {
    Ok(Json(customer_view(&accounts.rest().customer(me.customer_id).await.map_err(upstream)?)))
}

/// Change name, billing or shipping address.
#[utoipa::path(patch, path = "/api/v1/me", operation_id = "update_me", tag = "accounts", request_body = ProfilePatch,
    responses(
        (status = 200, description = "The updated profile", body = CustomerView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "`not_signed_in` or a bad bearer token", body = ErrorBody),
        (status = 403, description = "Cross-site request", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields (named)", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
    ))]
pub async fn patch_me(
    State(accounts): State<Arc<Accounts>>,
    Customer(me): Customer,
    Json(patch): Json<ProfilePatch>,
) -> Result<Json<CustomerView>, ApiError> {
    patch.validate()?;
    let change = CustomerPatch {
        first_name: patch.first_name.map(|n| n.trim().to_string()),
        last_name: patch.last_name.map(|n| n.trim().to_string()),
        billing: patch.billing.as_ref().map(|a| rest_address(a, true)),
        shipping: patch.shipping.as_ref().map(|a| rest_address(a, false)),
    };
    Ok(Json(customer_view(&accounts.rest().update_customer(me.customer_id, &change).await.map_err(upstream)?)))
}

/// The customer's orders, newest first.
#[utoipa::path(get, path = "/api/v1/me/orders", operation_id = "list_my_orders", tag = "accounts", params(OrdersQuery),
    responses(
        (status = 200, description = "A page of orders", body = Page<OrderSummary>),
        (status = 401, description = "`not_signed_in` or a bad bearer token", body = ErrorBody),
        (status = 422, description = "Bad paging or status", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
    ))]
pub async fn list_orders(
    State(accounts): State<Arc<Accounts>>,
    Customer(me): Customer,
    Query(q): Query<OrdersQuery>,
) -> Result<Json<Page<OrderSummary>>, ApiError> {
    let (page, per_page) = (q.page.unwrap_or(1), q.per_page.unwrap_or(10));
    if page == 0 || page > 10_000 {
        return Err(ApiError::field("page", "1 to 10000"));
    }
    if !(1..=100).contains(&per_page) {
        return Err(ApiError::field("per_page", "1 to 100"));
    }
    let query = CustomerOrderQuery {
        customer_id: me.customer_id,
        statuses: q.status.map(|s| vec![s.as_woo().to_string()]).unwrap_or_default(),
        page,
        per_page,
    };
    let found = accounts.rest().customer_orders(&query).await.map_err(upstream)?;
    Ok(Json(Page {
        // WooCommerce filtered by customer; check again anyway.
        items: found.items.iter().filter(|o| o.customer_id == me.customer_id).map(order_summary).collect(),
        page,
        per_page,
        total: found.total,
        total_pages: found.total_pages,
    }))
}

/// One of the customer's orders.
#[utoipa::path(get, path = "/api/v1/me/orders/{id}", operation_id = "get_my_order", tag = "accounts",
    params(("id" = u64, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 401, description = "`not_signed_in` or a bad bearer token", body = ErrorBody),
        (status = 404, description = "`order_not_found` (also for other customers' orders)", body = ErrorBody),
        (status = 422, description = "The id is not a number", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
    ))]
pub async fn get_order(
    State(accounts): State<Arc<Accounts>>,
    Customer(me): Customer,
    Path(id): Path<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    let id: u64 = id.parse().map_err(|_| ApiError::field("id", "a numeric order id"))?;
    let order = accounts.rest().order(id).await.map_err(|err| match err.status() {
        // WooCommerce answers 404 (and 400 for some ids) for unknown orders.
        Some(400 | 404) => order_not_found(),
        _ => upstream(err),
    })?;
    if order.customer_id != me.customer_id || order.status == "checkout-draft" {
        return Err(order_not_found());
    }
    Ok(Json(order_detail(&order)))
}

/// Attach earlier guest orders placed with the account's email.
///
/// On request only (not at sign-in), so a shopper decides when older guest
/// orders join the account. The email is the one WordPress confirmed when
/// the password was checked.
#[utoipa::path(post, path = "/api/v1/me/orders/claim", operation_id = "claim_guest_orders", tag = "accounts",
    responses(
        (status = 200, description = "Orders now in the account", body = Claimed),
        (status = 401, description = "`not_signed_in` or a bad bearer token", body = ErrorBody),
        (status = 403, description = "Cross-site request", body = ErrorBody),
        (status = 503, description = "Store unavailable", body = ErrorBody),
    ))]
pub async fn claim_orders(State(accounts): State<Arc<Accounts>>, Customer(me): Customer) -> Result<Json<Claimed>, ApiError> {
    Ok(Json(Claimed { order_ids: accounts.claim_guest_orders(&me).await? }))
}

impl Accounts {
    /// Guest orders (customer 0) whose billing email is the customer's.
    pub async fn claim_guest_orders(&self, me: &SignedIn) -> Result<Vec<u64>, ApiError> {
        let mut claimed = Vec::new();
        // Bounded: a few hundred matching orders at most per claim.
        for page in 1..=5 {
            let found = self.rest().orders_search(&me.email, page).await.map_err(upstream)?;
            for order in &found.items {
                let billing_email = order.billing.email.as_deref().unwrap_or("");
                if order.customer_id == 0 && billing_email.eq_ignore_ascii_case(&me.email) && order.status != "checkout-draft" {
                    self.rest().assign_order(order.id, me.customer_id).await.map_err(upstream)?;
                    claimed.push(order.id);
                }
            }
            if page >= found.total_pages {
                break;
            }
        }
        if !claimed.is_empty() {
            tracing::info!(customer_id = me.customer_id, count = claimed.len(), "guest orders claimed");
        }
        Ok(claimed)
    }
}
