/**
 * `/docs/` (Swagger UI served by the binary) works with no internet: it
 * renders, lists the catalogue, cart and checkout operations, and "Try it
 * out" → Execute on GET /api/v1/products answers 200, with every request
 * staying on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";
import { launchBrowser, nonLocal, results, startBff, type Bff, type Browser } from "./harness.ts";

let bff: Bff;
let browser: Browser;

before(async () => {
  bff = await startBff("docs");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await bff?.stop();
});

test("/docs renders offline and Try it out on GET /api/v1/products answers 200", async () => {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(`${bff.url}/docs/`);
  await page.locator(".swagger-ui .info .title").waitFor();
  assert.match(await page.locator(".swagger-ui .info .title").innerText(), /storefront-bff/);
  await page.locator(".opblock").first().waitFor();
  await page.screenshot({ path: join(results, "docs.png") });

  // Every operation a storefront needs is listed.
  await page.locator(".opblock").first().waitFor();
  const listed = await page.locator(".opblock-summary-path").allInnerTexts();
  const paths = listed.map((p) => p.replace(/\u200b/g, "").trim());
  for (const want of [
    "/api/v1/products",
    "/api/v1/products/{id}",
    "/api/v1/categories",
    "/api/v1/cart",
    "/api/v1/cart/items",
    "/api/v1/cart/coupons",
    "/api/v1/cart/shipping-rate",
    "/api/v1/checkout",
    "/api/v1/orders/{id}",
  ]) {
    assert.ok(paths.includes(want), `${want} is listed (listed: ${paths.join(", ")})`);
  }
  for (const tag of ["catalogue", "cart"]) {
    await page.locator(`.opblock-tag[data-tag="${tag}"]`).waitFor();
  }

  // Try it out → Execute on GET /api/v1/products.
  // By Swagger UI's operation id (tag + operationId): the partner API also has a products route.
  const op = page.locator("#operations-catalogue-list_products");
  await op.locator(".opblock-summary").first().click();
  await op.locator(".try-out__btn").click();
  await op.locator('tr[data-param-name="per_page"] input').fill("3");
  await op.locator(".execute").click();
  const status = op.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor();
  assert.equal((await status.innerText()).trim(), "200");
  const body = await op.locator(".live-responses-table .response-col_description pre").first().innerText();
  assert.match(body, /"items"/);
  await status.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(results, "docs-try-it-out.png") });

  assert.ok(browser.requests.some((u) => u.includes("/api/v1/products?")), "the call went out from the page");
  assert.deepEqual(nonLocal(browser.requests), [], "no request left 127.0.0.1");
});
