//! How Store API refusals of cart and checkout actions map to our errors:
//! each WooCommerce code the shopper can act on gets its own stable code.

use axum::http::StatusCode;

use crate::catalogue::views::text;
use crate::error::ApiError;
use crate::upstream::UpstreamError;

pub fn cart_error(err: UpstreamError) -> ApiError {
    let UpstreamError::Woo { status, code, message, .. } = &err else {
        return ApiError::from_upstream(err, "not_found");
    };
    let (status_code, ours) = match code.as_str() {
        "woocommerce_rest_cart_invalid_product" | "woocommerce_rest_product_invalid_id" => (StatusCode::NOT_FOUND, "product_not_found"),
        "woocommerce_rest_product_out_of_stock" => (StatusCode::CONFLICT, "cart_item_out_of_stock"),
        "woocommerce_rest_product_partially_out_of_stock" | "woocommerce_product_not_enough_stock" | "woocommerce_rest_cart_item_error" => {
            (StatusCode::CONFLICT, "cart_item_insufficient_stock")
        }
        "woocommerce_rest_product_not_purchasable" => (StatusCode::UNPROCESSABLE_ENTITY, "product_not_purchasable"),
        "woocommerce_rest_variation_id_from_variation_data"
        | "woocommerce_rest_missing_variation_data"
        | "woocommerce_rest_invalid_variation_data" => (StatusCode::UNPROCESSABLE_ENTITY, "variation_not_found"),
        "woocommerce_rest_cart_coupon_error" | "woocommerce_rest_cart_coupon_errors" => {
            (StatusCode::UNPROCESSABLE_ENTITY, "coupon_rejected")
        }
        // Over the product's "maximum quantity allowed in the cart" (or under its minimum), or
        // any change to a sold-individually line (`readonly_quantity`, real 8.9.1).
        "invalid_quantity" | "readonly_quantity" => (StatusCode::UNPROCESSABLE_ENTITY, "cart_item_quantity_limit"),
        // Removing a coupon that is not applied (WooCommerce answers 409 with this code).
        "woocommerce_rest_cart_coupon_invalid_code" => (StatusCode::UNPROCESSABLE_ENTITY, "coupon_not_applied"),
        "woocommerce_rest_cart_invalid_key" => (StatusCode::NOT_FOUND, "cart_item_not_found"),
        "woocommerce_rest_cart_empty" => (StatusCode::CONFLICT, "cart_empty"),
        "woocommerce_rest_cart_invalid_shipping_rate" | "woocommerce_rest_cart_invalid_package" => {
            (StatusCode::UNPROCESSABLE_ENTITY, "shipping_rate_not_found")
        }
        "woocommerce_rest_invalid_order" => (StatusCode::NOT_FOUND, "order_not_found"),
        "woocommerce_rest_missing_email_address"
        | "rest_invalid_param"
        | "rest_missing_callback_param"
        | "woocommerce_rest_checkout_invalid_payment_method"
        | "woocommerce_rest_checkout_missing_payment_method" => (StatusCode::UNPROCESSABLE_ENTITY, "checkout_invalid"),
        _ => return ApiError::from_upstream(err, "not_found"),
    };
    tracing::info!(woo_code = %code, woo_status = *status, code = ours, "store refused a cart action");
    ApiError::Rejected { status: status_code, code: ours, message: text(message) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::Api;

    fn woo(status: u16, code: &str) -> ApiError {
        cart_error(UpstreamError::Woo { api: Api::StoreApi, status, code: code.into(), message: "m".into() })
    }

    #[test]
    fn refusals_the_shopper_can_act_on_are_4xx_not_502() {
        // Each of these answered 502 `upstream_error` before (found by schema fuzzing and review).
        for (status, code, ours, want) in [
            (409, "woocommerce_rest_cart_coupon_invalid_code", "coupon_not_applied", 422),
            (400, "invalid_quantity", "cart_item_quantity_limit", 422),
            (400, "readonly_quantity", "cart_item_quantity_limit", 422),
            (400, "woocommerce_rest_invalid_variation_data", "variation_not_found", 422),
            (400, "woocommerce_rest_checkout_missing_payment_method", "checkout_invalid", 422),
        ] {
            let err = woo(status, code);
            assert_eq!((err.status().as_u16(), err.code()), (want, ours), "{code}");
        }
        // Unknown codes and the store's own failures stay gateway errors.
        assert_eq!(woo(400, "something_new").code(), "upstream_error");
        assert_eq!(woo(500, "internal_server_error").code(), "upstream_unavailable");
    }
}
