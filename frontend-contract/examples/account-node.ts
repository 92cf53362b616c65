/**
 * A customer account from an app (no cookie jar): sign in with the guest
 * session's bearer token, read the profile and orders with the short-lived
 * access token, renew it with the single-use refresh token, sign out.
 *
 *   BFF_URL=http://127.0.0.1:8080 npx tsx examples/account-node.ts
 *
 * Uses the demo store's customer (shopper@example.test / shopper-demo-pass).
 */
import { ApiError, call, createAppClient, createBearerClient, formatMoney } from "../src/client.ts";

const baseUrl = process.env.BFF_URL ?? "http://127.0.0.1:8080";
const { client: guest } = await createAppClient({ baseUrl });

// A wrong password is one generic, typed error (no hint whether the account exists).
try {
  await call(guest.POST("/api/v1/auth/login", { body: { email_or_username: "shopper@example.test", password: "not-the-password" } }));
} catch (error) {
  if (!(error instanceof ApiError)) throw error;
  console.log(`wrong password: ${error.status} ${error.code}`);
}

const signedIn = await call(guest.POST("/api/v1/auth/login", { body: { email_or_username: "shopper@example.test", password: "shopper-demo-pass" } }));
if (!signedIn.tokens) throw new Error("an app sign-in returns tokens");
console.log(`signed in as ${signedIn.customer.first_name} (customer ${signedIn.customer.id}); access token for ${signedIn.tokens.expires_in} s`);

let api = createBearerClient(signedIn.tokens.access_token, { baseUrl });
const me = await call(api.GET("/api/v1/me"));
console.log(`profile: ${me.email}, ships to ${me.shipping.city || "(no address yet)"}`);
const orders = await call(api.GET("/api/v1/me/orders", { params: { query: { per_page: 5 } } }));
console.log(`orders: ${orders.total}${orders.items.map((o) => ` #${o.number} ${formatMoney(o.total, "en-US")}`).join(",")}`);

// Renew before the access token expires; the old refresh token is now spent.
const renewed = await call(api.POST("/api/v1/auth/refresh", { body: { refresh_token: signedIn.tokens.refresh_token } }));
api = createBearerClient(renewed.access_token, { baseUrl });
console.log(`refreshed: new refresh token ${renewed.refresh_token !== signedIn.tokens.refresh_token ? "rotated" : "NOT rotated"}`);

await call(api.POST("/api/v1/auth/logout"));
try {
  await call(api.GET("/api/v1/me"));
} catch (error) {
  if (!(error instanceof ApiError)) throw error;
  console.log(`after sign-out: ${error.status} ${error.code}`);
}
