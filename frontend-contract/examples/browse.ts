/**
 * Browse the catalogue: categories, a search, a category page, one product
 * with its variations, and what an API error looks like.
 *
 *   BFF_URL=http://127.0.0.1:8080 npx tsx examples/browse.ts
 *
 * Catalogue reads are public: no session is needed.
 */
import { ApiError, call, createBrowserClient, formatMoney, type ProductSummary } from "../src/client.ts";

const baseUrl = process.env.BFF_URL ?? "http://127.0.0.1:8080";
// The cookie client works in Node too; Node's fetch simply keeps no cookies.
const api = createBrowserClient({ baseUrl });

function line(p: ProductSummary): string {
  const r = p.prices.range;
  const price = r && r.min.amount !== r.max.amount ? `${formatMoney(r.min, "en-US")}–${formatMoney(r.max, "en-US")}` : formatMoney(p.prices.price, "en-US");
  return `  #${p.id} ${p.name} (${p.type}) ${price}${p.on_sale ? " SALE" : ""}`;
}

// 1. Categories (with parent ids for a tree).
const categories = await call(api.GET("/api/v1/categories"));
console.log(`categories: ${categories.items.map((c) => `${c.slug} (${c.product_count})`).join(", ")}`);

// 2. Full-text search, first page of 5.
const found = await call(api.GET("/api/v1/products", { params: { query: { search: "pullover", per_page: 5 } } }));
console.log(`search "pullover": ${found.total} products, ${found.total_pages} pages`);
found.items.forEach((p) => console.log(line(p)));

// 3. A category, second page, cheapest first.
const category = categories.items.find((c) => c.product_count > 4)?.slug ?? "uncategorized";
const page2 = await call(api.GET("/api/v1/products", { params: { query: { category, page: 2, per_page: 4, orderby: "price", order: "asc" } } }));
console.log(`category ${category}, page ${page2.page} of ${page2.total_pages}:`);
page2.items.forEach((p) => console.log(line(p)));

// 4. One variable product by slug: attributes, and the map from choices to variations.
const variable = found.items.find((p) => p.type === "variable");
if (variable) {
  const product = await call(api.GET("/api/v1/products/{id}", { params: { path: { id: variable.slug } } }));
  console.log(`product ${product.slug}: ${product.attributes.map((a) => `${a.name}=[${a.terms.map((t) => t.slug).join("|")}]`).join(" ")}`);
  const variations = await call(api.GET("/api/v1/products/{id}/variations", { params: { path: { id: product.id } } }));
  for (const v of variations.items.slice(0, 3)) {
    console.log(`  variation #${v.id} ${JSON.stringify(v.attributes)} ${formatMoney(v.prices.price, "en-US")} ${v.stock.status}`);
  }
}

// 5. Errors are typed: code, message, request id and the fields at fault.
try {
  await call(api.GET("/api/v1/products", { params: { query: { per_page: 500 } } }));
} catch (error) {
  if (!(error instanceof ApiError)) throw error;
  console.log(`error ${error.status} ${error.code}: ${error.userMessage} [request ${error.requestId}]`);
}
