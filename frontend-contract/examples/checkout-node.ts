/**
 * Cart and checkout from Node (or any client without a cookie jar): start a
 * session, then send `Authorization: Bearer <token>` on every call.
 *
 *   BFF_URL=http://127.0.0.1:8080 npx tsx examples/checkout-node.ts
 *
 * Steps: find a variable product → add one variation → coupon `save10` →
 * address → shipping rate → checkout with an Idempotency-Key (and retry it:
 * same order, not a second one) → guest order confirmation.
 */
import { ApiError, call, createAppClient, formatMoney, newIdempotencyKey, type Address, type CartView } from "../src/client.ts";

const baseUrl = process.env.BFF_URL ?? "http://127.0.0.1:8080";
const money = (m: { amount: number; currency: string; minor_unit: number }) => formatMoney(m, "en-US");
const show = (label: string, cart: CartView) =>
  console.log(`${label}: ${cart.items_count} item(s), discount ${money(cart.totals.discount)}, shipping ${cart.totals.shipping ? money(cart.totals.shipping) : "?"}, total ${money(cart.totals.total)}`);

const { client: api, token } = await createAppClient({ baseUrl });
console.log(`session started (token ${token.slice(0, 6)}…)`);

// A variable product and one purchasable variation of it.
const list = await call(api.GET("/api/v1/products", { params: { query: { search: "pullover", per_page: 20 } } }));
const summary = list.items.find((p) => p.type === "variable");
if (!summary) throw new Error("no variable product found");
const product = await call(api.GET("/api/v1/products/{id}", { params: { path: { id: summary.slug } } }));
const variations = await call(api.GET("/api/v1/products/{id}/variations", { params: { path: { id: product.id } } }));
const variation = variations.items.find((v) => v.purchasable && v.stock.status === "in_stock");
if (!variation) throw new Error(`no variation of ${product.slug} in stock`);
console.log(`product ${product.name}, variation ${JSON.stringify(variation.attributes)} at ${money(variation.prices.price)}`);

// Add it by slug with its attributes (labels like "Size" or taxonomies like "pa_size" both work).
let cart = await call(api.POST("/api/v1/cart/items", { body: { slug: product.slug, quantity: 2, variation: variation.attributes } }));
show("added", cart);

// A coupon the store does not know is a readable, typed error.
try {
  await call(api.POST("/api/v1/cart/coupons", { body: { code: "nope" } }));
} catch (error) {
  if (!(error instanceof ApiError)) throw error;
  console.log(`coupon "nope" refused: ${error.code}: ${error.message}`);
}
cart = await call(api.POST("/api/v1/cart/coupons", { body: { code: "save10" } }));
show("coupon save10", cart);

// Address first: shipping rates follow it.
const billing: Address = {
  first_name: "Ada",
  last_name: "Lovelace",
  address_1: "1 Analytical Way",
  city: "San Francisco",
  state: "CA",
  postcode: "94103",
  country: "US",
  email: "ada@example.com",
  phone: "",
};
cart = await call(api.PUT("/api/v1/cart/addresses", { body: { billing } }));
const pkg = cart.shipping_packages[0];
const rate = pkg?.rates.find((r) => !r.selected) ?? pkg?.rates[0];
if (pkg && rate) {
  cart = await call(api.PUT("/api/v1/cart/shipping-rate", { body: { package_id: pkg.package_id, rate_id: rate.rate_id } }));
  console.log(`shipping: ${rate.name} (${money(rate.price)})`);
}
show("ready", cart);

// Checkout: one Idempotency-Key per attempt; `expected_total` guards against a total that moved.
const key = newIdempotencyKey();
const body = { payment_method: cart.payment_methods[0] ?? "cod", billing, expected_total: cart.totals.total.amount };
const order = await call(api.POST("/api/v1/checkout", { params: { header: { "Idempotency-Key": key } }, body }));
console.log(`order #${order.order_number} (${order.status}), total ${money(order.totals.total)}, payment ${order.payment_result.status}`);

// A retry with the same key (say, after a timeout) returns the same order.
const again = await call(api.POST("/api/v1/checkout", { params: { header: { "Idempotency-Key": key } }, body }));
console.log(`retry with the same key → order #${again.order_number} (${again.order_id === order.order_id ? "same order" : "DIFFERENT ORDER"})`);
if (again.order_id !== order.order_id) process.exit(1);

// Guest order confirmation: order key + billing email.
const confirmed = await call(api.GET("/api/v1/orders/{id}", { params: { path: { id: order.order_id }, query: { key: order.order_key, email: billing.email ?? "" } } }));
console.log(`confirmation: ${confirmed.status}, ${confirmed.items.map((l) => `${l.quantity} × ${l.name}`).join(", ")}`);
