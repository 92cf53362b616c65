//! The one error type of every upstream call, parsed from WooCommerce's
//! `{code, message, data: {status}}` bodies. It never carries a URL, a key or
//! a raw body, so it is safe to log and to show.

use std::fmt;

/// Which WooCommerce API a call went to; part of every error and log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    StoreApi,
    RestApi,
    /// WordPress itself (`xmlrpc.php`, `wp-login.php`): customer sign-in.
    WordPress,
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Api::StoreApi => "store_api",
            Api::RestApi => "rest_api",
            Api::WordPress => "wordpress",
        })
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    /// No answer within the configured timeout.
    #[error("{api}: no answer within the timeout")]
    Timeout { api: Api },
    /// Connect failure, reset, or a connection closed mid-answer.
    #[error("{api}: connection failed ({detail})")]
    Transport { api: Api, detail: String },
    /// WooCommerce answered with its own error body.
    #[error("{api}: HTTP {status} {code}")]
    Woo { api: Api, status: u16, code: String, message: String },
    /// A body we could not read: HTML error pages, truncated or malformed JSON.
    #[error("{api}: HTTP {status} with an unreadable body")]
    BadResponse { api: Api, status: u16 },
}

impl UpstreamError {
    pub fn api(&self) -> Api {
        match self {
            UpstreamError::Timeout { api }
            | UpstreamError::Transport { api, .. }
            | UpstreamError::Woo { api, .. }
            | UpstreamError::BadResponse { api, .. } => *api,
        }
    }

    /// WooCommerce's status for the call, if it answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            UpstreamError::Woo { status, .. } | UpstreamError::BadResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// WooCommerce's machine code (`woocommerce_rest_product_invalid_id`, ...).
    pub fn woo_code(&self) -> Option<&str> {
        match self {
            UpstreamError::Woo { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the store is down or broken rather than saying "no": the
    /// cases where a cached copy is a better answer than an error.
    pub fn is_outage(&self) -> bool {
        match self {
            UpstreamError::Timeout { .. } | UpstreamError::Transport { .. } => true,
            UpstreamError::BadResponse { .. } => true,
            UpstreamError::Woo { status, .. } => *status >= 500,
        }
    }

    /// Worth another try for an idempotent request: transport failures and
    /// the gateway statuses. Timeouts are not retried, since a second attempt
    /// would double the wait the client already paid.
    pub fn is_retryable(&self) -> bool {
        match self {
            UpstreamError::Transport { .. } => true,
            UpstreamError::Woo { status, .. } | UpstreamError::BadResponse { status, .. } => {
                matches!(status, 502..=504)
            }
            UpstreamError::Timeout { .. } => false,
        }
    }
}
