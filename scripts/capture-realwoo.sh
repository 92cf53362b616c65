#!/usr/bin/env bash
# Captures, from the real store of ../shared/realwoo, each behaviour where the demo store once
# differed from the real WooCommerce 8.9.1 (issue 17), into tests/fixtures/realwoo/. The demo
# store's fidelity tests (tests/demo_store_realwoo.rs) hold it to these. Run on purpose, with the
# store up (`../shared/realwoo/realwoo.sh up`); only the Store API is used, so no key is captured.
set -euo pipefail
cd "$(dirname "$0")/.."
export REALWOO_DIR=${REALWOO_DIR:-$PWD/target/realwoo}
# shellcheck disable=SC1091
source "$REALWOO_DIR/keys.env"
S="$WOO_URL/wp-json/wc/store/v1"
out=tests/fixtures/realwoo
mkdir -p "$out"

# capture NAME WHAT CURL-ARGS...: the response (status line, headers, body) after `###` lines.
capture() {
  local name=$1 what=$2; shift 2
  { echo "### $what"
    echo "### curl -sS -i $*" | sed -E 's/(Cart-Token: )[^ ]+/\1$CART_TOKEN/; s/(Nonce: )[^ ]+/\1$NONCE/'
    echo "###"
    curl -sS -i "$@" | sed -E 's/^(Cart-Token: ).*/\1$CART_TOKEN_REDACTED/I'
  } > "$out/$name.http"
  echo "captured $out/$name.http"
}

hidden=$(curl -sS "$S/products?per_page=100" | python3 -c 'import json,sys; print(next(p["id"] for p in json.load(sys.stdin) if p["slug"]=="silk-scarf"))')
draft_slug=scented-candle
draft=$(curl -sS "$S/products/$draft_slug" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
hoodies=$(curl -sS "$S/products/categories" | python3 -c 'import json,sys; print(next(c["id"] for c in json.load(sys.stdin) if c["slug"]=="hoodies"))')
single=$(curl -sS "$S/products?per_page=100" | python3 -c 'import json,sys; print(next(p["id"] for p in json.load(sys.stdin) if p["sold_individually"]))')

capture rw-01-products-list-hidden "GET /products lists a catalog-hidden product (id $hidden) unless asked for catalog_visibility" "$S/products?per_page=100&orderby=id&order=asc"
capture rw-02-products-catalog-visibility "GET /products?catalog_visibility=catalog leaves it out" "$S/products?per_page=100&orderby=id&order=asc&catalog_visibility=catalog"
capture rw-03-products-category-slug "GET /products?category=SLUG matches nothing: ids only (wp_parse_id_list)" "$S/products?category=hoodies"
capture rw-04-products-category-id-and-slug "GET /products?category=ID,SLUG: the slug counts as 0, the id matches" "$S/products?category=$hoodies,hoodies&orderby=id&order=asc"
capture rw-05-product-draft-by-id "GET /products/{id} of a draft product answers it (no status check)" "$S/products/$draft"
capture rw-06-product-draft-by-slug "GET /products/{slug} of a draft product answers it too" "$S/products/$draft_slug"
capture rw-07-products-include-draft "GET /products?include={draft id}: the list answers only published products" "$S/products?include=$draft"

# A cart with the sold-individually product, then adding it again and changing its quantity.
hdrs=$(mktemp)
curl -sS -D "$hdrs" -o /dev/null "$S/cart"
token=$(grep -i '^cart-token:' "$hdrs" | cut -d' ' -f2 | tr -d '\r')
nonce=$(grep -i '^nonce:' "$hdrs" | cut -d' ' -f2 | tr -d '\r')
key=$(curl -sS -X POST "$S/cart/add-item" -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' \
  -d "{\"id\":$single,\"quantity\":3}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["key"])')
capture rw-08-cart-add-sold-individually-again "POST /cart/add-item of a sold-individually product (id $single) already in the cart" \
  -X POST "$S/cart/add-item" -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' -d "{\"id\":$single,\"quantity\":1}"
capture rw-09-cart-update-sold-individually "POST /cart/update-item of a sold-individually line, to 1 (any change is refused)" \
  -X POST "$S/cart/update-item" -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' -d "{\"key\":\"$key\",\"quantity\":1}"

# A guest order, then its page with a wrong email inside WooCommerce's 10-minute grace period.
curl -sS -o /dev/null -X POST "$S/cart/remove-item" -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' -d "{\"key\":\"$key\"}"
tee=$(curl -sS "$S/products?type=simple&stock_status[]=instock&per_page=100" | python3 -c 'import json,sys; print(next(p["id"] for p in json.load(sys.stdin) if not p["sold_individually"] and p["low_stock_remaining"] is None))')
curl -sS -o /dev/null -X POST "$S/cart/add-item" -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' -d "{\"id\":$tee,\"quantity\":1}"
placed=$(curl -sS -X POST "$S/checkout" -H "Cart-Token: $token" -H "Nonce: $nonce" -H 'Content-Type: application/json' \
  -d '{"billing_address":{"first_name":"Alex","last_name":"Tester","address_1":"123 Main St","city":"Los Angeles","state":"CA","postcode":"90001","country":"US","email":"alex.tester@example.test"},"payment_method":"cod"}')
order=$(echo "$placed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["order_id"])')
okey=$(echo "$placed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["order_key"])')
capture rw-10-order-wrong-email-in-grace "GET /order/{id} with the right key and a wrong email, right after checkout: 200 (grace period); items[].id is the line item id, not product $tee" \
  "$S/order/$order?key=$okey&billing_email=someone-else@example.test"
rm -f "$hdrs"
