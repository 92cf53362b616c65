//! `POST /webhooks/woocommerce`: the receiver WooCommerce delivers to.

use std::sync::Arc;

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::{parse, Webhooks};
use crate::error::{ApiError, ErrorBody};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A new webhook's creation ping: form-encoded `webhook_id=N`, unsigned.
fn is_ping(headers: &HeaderMap, body: &[u8]) -> bool {
    header(headers, "x-wc-webhook-signature").is_none()
        && body.len() <= 32
        && std::str::from_utf8(body)
            .ok()
            .and_then(|b| b.strip_prefix("webhook_id="))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|c| c.is_ascii_digit()))
}

/// Receives a WooCommerce webhook delivery.
#[utoipa::path(post, path = "/webhooks/woocommerce", tag = "webhooks",
    request_body(content = String, description = "The raw delivery body (JSON), signed in X-WC-Webhook-Signature"),
    params(
        ("X-WC-Webhook-Signature" = String, Header, description = "base64(HMAC-SHA256(body, secret))"),
        ("X-WC-Webhook-Topic" = String, Header, description = "e.g. product.updated"),
        ("X-WC-Webhook-ID" = Option<String>, Header, description = "Webhook id"),
        ("X-WC-Webhook-Delivery-ID" = Option<String>, Header, description = "Delivery id"),
    ),
    responses(
        (status = 200, description = "Creation ping acknowledged"),
        (status = 202, description = "Accepted (processed in the background, or a duplicate)"),
        (status = 204, description = "Topic ignored"),
        (status = 400, description = "The body could not be read", body = ErrorBody),
        (status = 401, description = "`invalid_signature`", body = ErrorBody),
        (status = 422, description = "Signed, but not a body we understand", body = ErrorBody),
        (status = 503, description = "Busy; the store should retry", body = ErrorBody),
    ))]
pub async fn receive(
    State(hooks): State<Arc<Webhooks>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    // Over BODY_LIMIT_BYTES: our 413 in the error shape, not axum's plain-text one.
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::BadRequest("The body could not be read.".into()),
    })?;
    if is_ping(&headers, &body) {
        return Ok(StatusCode::OK);
    }
    // The signature is checked on the raw bytes before anything is parsed.
    let signed = header(&headers, "x-wc-webhook-signature").is_some_and(|sig| hooks.secrets.verify(&body, sig));
    if !signed {
        hooks.stats.rejected.fetch_add(1, Ordering::Relaxed);
        if !hooks.secrets.is_configured() {
            tracing::warn!("webhook refused: WEBHOOK_SECRET is not configured");
        }
        return Err(ApiError::InvalidSignature);
    }
    hooks.stats.received.fetch_add(1, Ordering::Relaxed);
    let topic = header(&headers, "x-wc-webhook-topic").unwrap_or("");
    let event = match parse(topic, &body) {
        Ok(Some(event)) => event,
        Ok(None) => return Ok(StatusCode::NO_CONTENT),
        Err(reason) => {
            tracing::warn!(%topic, %reason, "signed webhook with an unreadable body");
            return Err(ApiError::field("body", "not a WooCommerce resource body for this topic"));
        }
    };
    let webhook_id = header(&headers, "x-wc-webhook-id").unwrap_or("");
    let delivery_id = header(&headers, "x-wc-webhook-delivery-id").unwrap_or("");
    let first = hooks.first_delivery(webhook_id, delivery_id, &body).await.map_err(|err| {
        tracing::error!(error = %err, "webhook dedupe store unavailable");
        ApiError::SessionStoreUnavailable
    })?;
    if !first {
        hooks.stats.duplicates.fetch_add(1, Ordering::Relaxed);
        return Ok(StatusCode::ACCEPTED);
    }
    hooks.enqueue(event).map_err(|_| ApiError::Busy)?;
    Ok(StatusCode::ACCEPTED)
}
