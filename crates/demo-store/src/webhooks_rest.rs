//! REST v3 `/webhooks` and `/webhooks/{id}`: list, create, read and update the store's webhooks, shaped like `wh-01`/`wh-04`/`wh-07`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use axum::Extension;
use serde_json::{json, Value};

use super::http::{ApiCtx, Reply, WpError};
use super::server::Caller;
use super::webhooks::Hook;
use super::StoreState;

fn hooks_for(topic: &str) -> Vec<&'static str> {
    match topic {
        "product.created" => vec!["woocommerce_process_product_meta", "woocommerce_new_product", "woocommerce_new_product_variation"],
        "product.updated" => vec!["woocommerce_process_product_meta", "woocommerce_update_product", "woocommerce_update_product_variation"],
        "product.deleted" => vec!["wp_trash_post"],
        "product.restored" => vec!["untrashed_post"],
        _ => vec![],
    }
}

fn render(ctx: &ApiCtx, h: &Hook) -> Value {
    let (resource, event) = h.topic.split_once('.').unwrap_or((&h.topic, ""));
    json!({
        "id": h.id, "name": h.name, "status": h.status, "topic": h.topic, "resource": resource, "event": event,
        "hooks": hooks_for(&h.topic), "delivery_url": h.url,
        "date_created": h.created, "date_created_gmt": h.created, "date_modified": null, "date_modified_gmt": null,
        "_links": {
            "self": [{"href": ctx.rest_url(&format!("/wc/v3/webhooks/{}", h.id))}],
            "collection": [{"href": ctx.rest_url("/wc/v3/webhooks")}],
        }
    })
}

fn denied(ctx: &ApiCtx, list: bool) -> Response {
    let msg = if list { "Sorry, you cannot list resources." } else { "Sorry, you cannot view this resource." };
    ctx.error(&WpError::new(401, "woocommerce_rest_cannot_view", msg))
}

const TOPICS: &[&str] = &[
    "product.created",
    "product.updated",
    "product.deleted",
    "product.restored",
    "order.created",
    "order.updated",
    "coupon.updated",
    "customer.updated",
];

/// `GET|POST /wc/v3/webhooks`.
pub(crate) async fn collection(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    method: Method,
    body: Bytes,
) -> Response {
    if caller.0.is_none() {
        return denied(&ctx, true);
    }
    let hooks = &state.shop.webhooks;
    if method == Method::POST {
        let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(topic), Some(url)) = (text("topic"), text("delivery_url")) else {
            return ctx.error(&WpError::new(400, "rest_missing_callback_param", "Missing parameter(s): topic, delivery_url"));
        };
        if !TOPICS.contains(&topic.as_str()) || url::Url::parse(&url).is_err() {
            return ctx.error(&WpError::new(400, "rest_invalid_param", "Invalid parameter(s): topic"));
        }
        let hook = hooks.create(
            text("name").unwrap_or_else(|| format!("Webhook {topic}")),
            topic,
            url,
            text("secret").unwrap_or_default(),
            text("status").unwrap_or_else(|| "active".into()),
        );
        return ctx.respond(Reply::json(201, &render(&ctx, &hook)));
    }
    let all: Vec<Value> = hooks.all().iter().map(|h| render(&ctx, h)).collect();
    let total = all.len() as u64;
    ctx.respond(Reply::json(200, &all).paging(super::http::rest_paging(&ctx, "/wc/v3/webhooks", 1, total, 1)))
}

/// `GET|PUT|PATCH|POST /wc/v3/webhooks/{id}`.
pub(crate) async fn item(
    State(state): State<Arc<StoreState>>,
    Extension(ctx): Extension<ApiCtx>,
    Extension(caller): Extension<Caller>,
    method: Method,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if caller.0.is_none() {
        return denied(&ctx, false);
    }
    let invalid = || ctx.error(&WpError::new(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID."));
    let Ok(id) = id.parse::<u64>() else { return invalid() };
    let hooks = &state.shop.webhooks;
    let found = if matches!(method, Method::GET | Method::HEAD) {
        hooks.all().into_iter().find(|h| h.id == id)
    } else {
        let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
        hooks.update(id, text("status"), text("delivery_url"))
    };
    match found {
        Some(h) => ctx.respond(Reply::json(200, &render(&ctx, &h))),
        None => invalid(),
    }
}
