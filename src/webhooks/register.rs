//! `--register-webhooks PUBLIC_URL`: make sure the store sends product
//! webhooks to this BFF. Through REST v3 it creates the missing ones and
//! re-enables the ones WooCommerce disabled after failed deliveries (it does
//! that silently after about five failures), and reports what it found in
//! `/readyz`.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::upstream::{walk_all, RestClient, UpstreamError};

/// The topics that drive cache invalidation.
pub const TOPICS: [&str; 4] = ["product.created", "product.updated", "product.deleted", "product.restored"];

#[derive(Debug, Clone, Deserialize)]
struct RestWebhook {
    id: u64,
    status: String,
    topic: String,
    delivery_url: String,
}

/// One topic's webhook as last checked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct WebhookCheck {
    pub topic: String,
    /// The status WooCommerce reported before we acted: `active`, `paused`, `disabled` or `missing`.
    pub found: String,
    /// `none`, `created` or `reenabled`.
    pub action: String,
}

/// Creates or re-enables the product webhooks pointing at `delivery_url`.
pub async fn ensure(rest: &RestClient, delivery_url: &str, secret: &SecretString) -> Result<Vec<WebhookCheck>, UpstreamError> {
    let existing: Vec<RestWebhook> = walk_all(|page, per_page| {
        let query = vec![("page".to_string(), page.to_string()), ("per_page".to_string(), per_page.to_string())];
        async move { rest.get_page("webhooks", "/webhooks", &query).await }
    })
    .await?;
    let mut checks = Vec::new();
    for topic in TOPICS {
        let mine = existing.iter().find(|h| h.topic == topic && h.delivery_url == delivery_url);
        let check = match mine {
            None => {
                let body = serde_json::json!({
                    "name": format!("storefront-bff {topic}"),
                    "topic": topic,
                    "delivery_url": delivery_url,
                    "secret": secret.expose_secret(),
                    "status": "active",
                });
                let _: serde_json::Value = rest.send_json("webhooks", reqwest::Method::POST, "/webhooks", &body).await?;
                WebhookCheck { topic: topic.into(), found: "missing".into(), action: "created".into() }
            }
            Some(hook) if hook.status != "active" => {
                let body = serde_json::json!({ "status": "active" });
                let _: serde_json::Value =
                    rest.send_json("webhook", reqwest::Method::PUT, &format!("/webhooks/{}", hook.id), &body).await?;
                tracing::warn!(%topic, was = %hook.status, "re-enabled a webhook the store had switched off");
                WebhookCheck { topic: topic.into(), found: hook.status.clone(), action: "reenabled".into() }
            }
            Some(hook) => WebhookCheck { topic: topic.into(), found: hook.status.clone(), action: "none".into() },
        };
        checks.push(check);
    }
    Ok(checks)
}

/// The last check's outcome: `None` before the first.
type LastCheck = Option<Result<Vec<WebhookCheck>, String>>;

/// Runs `ensure` at start-up and then periodically, keeping the last result
/// for `/readyz`.
#[derive(Clone)]
pub struct Registrar {
    rest: std::sync::Arc<RestClient>,
    delivery_url: String,
    secret: SecretString,
    last: std::sync::Arc<std::sync::RwLock<LastCheck>>,
}

impl Registrar {
    /// `public_url` is this BFF's public base URL; deliveries go to `/webhooks/woocommerce` under it.
    pub fn new(rest: std::sync::Arc<RestClient>, public_url: &str, secret: SecretString) -> Self {
        let delivery_url = format!("{}/webhooks/woocommerce", public_url.trim_end_matches('/'));
        Self { rest, delivery_url, secret, last: Default::default() }
    }

    pub async fn run_once(&self) -> Result<Vec<WebhookCheck>, String> {
        let result = ensure(&self.rest, &self.delivery_url, &self.secret).await.map_err(|e| e.to_string());
        if let Err(err) = &result {
            tracing::warn!(error = %err, "could not check the store's webhooks");
        }
        *self.last.write().unwrap_or_else(|e| e.into_inner()) = Some(result.clone());
        result
    }

    /// The last check: `None` before the first.
    pub fn last(&self) -> LastCheck {
        self.last.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn spawn(self, interval: std::time::Duration) {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            loop {
                ticker.tick().await;
                let _ = self.run_once().await;
            }
        });
    }
}
