//! The accounts API's own request and response types, and the deliberate
//! mapping from WooCommerce's customer and order models to them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::cart::views::{is_valid_email, Address};
use crate::catalogue::views::Money;
use crate::error::{ApiError, FieldError};
use crate::upstream::customers::{RestAddress, RestCustomer, RestOrder};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub email: String,
    /// 8 to 200 characters, not only one repeated character.
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email_or_username: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

// Passwords and tokens never reach a log through `Debug`.
impl std::fmt::Debug for RegisterBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegisterBody { .. }")
    }
}
impl std::fmt::Debug for LoginBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginBody { .. }")
    }
}

fn name_ok(value: &Option<String>) -> bool {
    value.as_ref().is_none_or(|v| v.chars().count() <= 100 && !v.chars().any(char::is_control))
}

impl RegisterBody {
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if !is_valid_email(self.email.trim()) {
            errors.push(FieldError::new("email", "a valid email address"));
        }
        let length = self.password.chars().count();
        let mut chars = self.password.chars();
        let first = chars.next();
        if !(8..=200).contains(&length) || chars.all(|c| Some(c) == first) {
            errors.push(FieldError::new("password", "8 to 200 characters, not one character repeated"));
        }
        for (field, value) in [("first_name", &self.first_name), ("last_name", &self.last_name)] {
            if !name_ok(value) {
                errors.push(FieldError::new(field, "at most 100 characters, no control characters"));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

impl LoginBody {
    /// Shape only: wrong credentials are the store's call, answered generically.
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        let login = self.email_or_username.trim();
        if login.is_empty() || login.chars().count() > 254 || login.chars().any(char::is_control) {
            errors.push(FieldError::new("email_or_username", "1 to 254 characters"));
        }
        if self.password.is_empty() || self.password.chars().count() > 200 {
            errors.push(FieldError::new("password", "1 to 200 characters"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: u64,
    pub email: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub billing: Address,
    pub shipping: Address,
}

/// App clients' credentials after sign-in or refresh.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    /// Short-lived: send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single use: trade it at `POST /api/v1/auth/refresh` for a new pair.
    /// Using one twice revokes every token of the sign-in.
    pub refresh_token: String,
    pub refresh_expires_in: u64,
}

#[derive(Serialize, ToSchema)]
pub struct SignInResult {
    pub customer: CustomerView,
    /// Present for app (bearer) clients; browsers get a new session cookie instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenPair>,
}

/// `PATCH /api/v1/me`: only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub billing: Option<Address>,
    pub shipping: Option<Address>,
}

impl ProfilePatch {
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        for (field, value) in [("first_name", &self.first_name), ("last_name", &self.last_name)] {
            if !name_ok(value) {
                errors.push(FieldError::new(field, "at most 100 characters, no control characters"));
            }
        }
        if let Some(b) = &self.billing {
            b.validate("billing", &mut errors);
        }
        if let Some(s) = &self.shipping {
            s.validate("shipping", &mut errors);
        }
        if self.first_name.is_none() && self.last_name.is_none() && self.billing.is_none() && self.shipping.is_none() {
            errors.push(FieldError::new("body", "send at least one of first_name, last_name, billing, shipping"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OrderStatus {
    Pending,
    Processing,
    OnHold,
    Completed,
    Cancelled,
    Refunded,
    Failed,
}

impl OrderStatus {
    pub fn as_woo(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::OnHold => "on-hold",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// 1-based.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// 1 to 100, default 10.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
    #[param(inline)]
    pub status: Option<OrderStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummary {
    pub id: u64,
    pub number: String,
    pub status: String,
    /// ISO 8601, UTC.
    pub created_at: Option<String>,
    pub total: Money,
    pub item_count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOrderLine {
    pub name: String,
    pub product_id: u64,
    /// 0 for simple products.
    pub variation_id: u64,
    pub sku: String,
    pub quantity: u32,
    pub total: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub summary: OrderSummary,
    pub lines: Vec<AccountOrderLine>,
    pub shipping_total: Money,
    pub discount_total: Money,
    pub tax_total: Money,
    pub payment_method_title: String,
    pub billing: Address,
    pub shipping: Address,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Claimed {
    /// Guest orders now in the customer's history.
    pub order_ids: Vec<u64>,
}

pub fn address_view(a: &RestAddress) -> Address {
    Address {
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        company: a.company.clone(),
        address_1: a.address_1.clone(),
        address_2: a.address_2.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        postcode: a.postcode.clone(),
        country: a.country.clone(),
        email: a.email.clone().filter(|e| !e.is_empty()),
        phone: a.phone.clone().unwrap_or_default(),
    }
}

/// Our address to v3's; `billing` addresses carry the email.
pub fn rest_address(a: &Address, billing: bool) -> RestAddress {
    RestAddress {
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        company: a.company.clone(),
        address_1: a.address_1.clone(),
        address_2: a.address_2.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        postcode: a.postcode.clone(),
        country: a.country.clone(),
        email: if billing { a.email.clone() } else { None },
        phone: Some(a.phone.clone()),
    }
}

pub fn customer_view(c: &RestCustomer) -> CustomerView {
    CustomerView {
        id: c.id,
        email: c.email.clone(),
        username: c.username.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        billing: address_view(&c.billing),
        shipping: address_view(&c.shipping),
    }
}

pub fn order_summary(o: &RestOrder) -> OrderSummary {
    OrderSummary {
        id: o.id,
        number: if o.number.is_empty() { o.id.to_string() } else { o.number.clone() },
        status: o.status.clone(),
        created_at: o.date_created_gmt.as_ref().map(|d| format!("{d}Z")),
        total: Money::from_decimal(&o.total, &o.currency),
        item_count: o.line_items.iter().map(|l| l.quantity).sum(),
    }
}

pub fn order_detail(o: &RestOrder) -> OrderDetail {
    OrderDetail {
        summary: order_summary(o),
        lines: o
            .line_items
            .iter()
            .map(|l| AccountOrderLine {
                name: l.name.clone(),
                product_id: l.product_id,
                variation_id: l.variation_id,
                sku: l.sku.clone().unwrap_or_default(),
                quantity: l.quantity,
                total: Money::from_decimal(&l.total, &o.currency),
            })
            .collect(),
        shipping_total: Money::from_decimal(&o.shipping_total, &o.currency),
        discount_total: Money::from_decimal(&o.discount_total, &o.currency),
        tax_total: Money::from_decimal(&o.total_tax, &o.currency),
        payment_method_title: o.payment_method_title.clone(),
        billing: address_view(&o.billing),
        shipping: address_view(&o.shipping),
    }
}
