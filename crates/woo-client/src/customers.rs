//! REST API v3 `customers` and the customer side of `orders`: the wire
//! models and calls the accounts feature needs. Only server-side, with the
//! store's secret keys; the accounts feature maps these to its own views.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Paged, RestClient, UpstreamError};

/// A v3 address (`billing` has email and phone, `shipping` has phone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestAddress {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub address_1: String,
    pub address_2: String,
    pub city: String,
    pub state: String,
    pub postcode: String,
    pub country: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestCustomer {
    pub id: u64,
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub billing: RestAddress,
    #[serde(default)]
    pub shipping: RestAddress,
}

/// `POST /customers`. The password goes to WooCommerce once and nowhere else.
#[derive(Serialize)]
pub struct NewCustomer<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

impl std::fmt::Debug for NewCustomer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCustomer").field("password", &"[redacted]").finish_non_exhaustive()
    }
}

/// Fields a customer may change on their own profile.
#[derive(Debug, Default, Serialize)]
pub struct CustomerPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing: Option<RestAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping: Option<RestAddress>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestOrder {
    pub id: u64,
    #[serde(default)]
    pub number: String,
    pub status: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub date_created_gmt: Option<String>,
    #[serde(default)]
    pub total: String,
    #[serde(default)]
    pub total_tax: String,
    #[serde(default)]
    pub shipping_total: String,
    #[serde(default)]
    pub discount_total: String,
    #[serde(default)]
    pub customer_id: u64,
    #[serde(default)]
    pub billing: RestAddress,
    #[serde(default)]
    pub shipping: RestAddress,
    #[serde(default)]
    pub payment_method_title: String,
    #[serde(default)]
    pub line_items: Vec<RestOrderLine>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RestOrderLine {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub product_id: u64,
    #[serde(default)]
    pub variation_id: u64,
    #[serde(default)]
    pub quantity: u32,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub total: String,
}

/// A page of one customer's orders, newest first.
#[derive(Debug, Clone)]
pub struct CustomerOrderQuery {
    pub customer_id: u64,
    /// WooCommerce statuses without the `wc-` prefix; empty = any.
    pub statuses: Vec<String>,
    pub page: u32,
    pub per_page: u32,
}

impl RestClient {
    pub async fn customer(&self, id: u64) -> Result<RestCustomer, UpstreamError> {
        self.get("customer", &format!("/customers/{id}"), &[]).await
    }

    /// Customers whose email is exactly `email` (WooCommerce compares case-insensitively).
    pub async fn customers_by_email(&self, email: &str) -> Result<Vec<RestCustomer>, UpstreamError> {
        let query = [("email", email), ("role", "all"), ("per_page", "10")].map(|(k, v)| (k.to_string(), v.to_string()));
        self.get("customers", "/customers", &query).await
    }

    /// Customers matching `term` anywhere (login, email, name): callers filter exactly.
    pub async fn customers_search(&self, term: &str) -> Result<Vec<RestCustomer>, UpstreamError> {
        let query = [("search", term), ("role", "all"), ("per_page", "100")].map(|(k, v)| (k.to_string(), v.to_string()));
        self.get("customers", "/customers", &query).await
    }

    pub async fn create_customer(&self, new: &NewCustomer<'_>) -> Result<RestCustomer, UpstreamError> {
        let body = serde_json::to_value(new).expect("a customer serialises");
        self.send_json("customers", Method::POST, "/customers", &body).await
    }

    pub async fn update_customer(&self, id: u64, patch: &CustomerPatch) -> Result<RestCustomer, UpstreamError> {
        let body = serde_json::to_value(patch).expect("a patch serialises");
        self.send_json("customer", Method::PUT, &format!("/customers/{id}"), &body).await
    }

    pub async fn customer_orders(&self, q: &CustomerOrderQuery) -> Result<Paged<RestOrder>, UpstreamError> {
        let mut query = vec![
            ("customer".to_string(), q.customer_id.to_string()),
            ("page".to_string(), q.page.to_string()),
            ("per_page".to_string(), q.per_page.min(super::MAX_PER_PAGE).to_string()),
            ("orderby".to_string(), "date".to_string()),
            ("order".to_string(), "desc".to_string()),
        ];
        if !q.statuses.is_empty() {
            query.push(("status".into(), q.statuses.join(",")));
        }
        self.get_page("orders", "/orders", &query).await
    }

    pub async fn order(&self, id: u64) -> Result<RestOrder, UpstreamError> {
        self.get("order", &format!("/orders/{id}"), &[]).await
    }

    /// Orders whose billing email, name or number match `term` (callers filter exactly).
    pub async fn orders_search(&self, term: &str, page: u32) -> Result<Paged<RestOrder>, UpstreamError> {
        let query = [("search", term.to_string()), ("page", page.to_string()), ("per_page", "100".into())].map(|(k, v)| (k.to_string(), v));
        self.get_page("orders", "/orders", &query).await
    }

    /// Makes `customer_id` the order's owner.
    pub async fn assign_order(&self, order_id: u64, customer_id: u64) -> Result<RestOrder, UpstreamError> {
        self.send_json("order", Method::PUT, &format!("/orders/{order_id}"), &json!({ "customer_id": customer_id })).await
    }
}
