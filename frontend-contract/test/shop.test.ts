/**
 * The reference storefront in real Chromium against the real BFF and its demo
 * store: browse, search, a variable product, cart, coupon, shipping, checkout,
 * order confirmation; the cart survives a reload; errors read as sentences;
 * type-ahead suggestions in the search box.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launchBrowser, nonLocal, results, startBff, type Bff, type Browser } from "./harness.ts";

let bff: Bff;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  bff = await startBff("shop");
  browser = await launchBrowser();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`console: ${message.text()} @ ${message.location().url}`);
  });
});

after(async () => {
  await browser?.close();
  await bff?.stop();
});

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(results, `${name}.png`), fullPage: true });
}

/** The page's visible error, asserted to be a sentence and not raw JSON. */
async function readableError(): Promise<string> {
  const error = page.getByTestId("error-message");
  await error.waitFor({ state: "visible" });
  const text = (await error.innerText()).trim();
  assert.ok(text.length > 5, `an error message is shown (${text})`);
  assert.ok(!text.includes("{") && !text.includes('"code"'), `the error is not raw JSON: ${text}`);
  return text;
}

describe("reference storefront", () => {
  test("the grid shows products with formatted prices, a category filter and paging", async () => {
    await page.goto(`${bff.url}/`);
    await page.getByTestId("product-grid").waitFor();
    const cards = page.getByTestId("product-card");
    assert.ok((await cards.count()) > 0, "products are listed");
    const firstPrice = await cards.first().getByTestId("product-price").innerText();
    assert.match(firstPrice, /^\$\d[\d,]*\.\d\d/, `money is formatted: ${firstPrice}`);

    await page.getByTestId("category-filter").selectOption("hoodies");
    await page.waitForFunction(() => location.hash.includes("category=hoodies"));
    await page.getByRole("heading", { name: "Hoodies" }).waitFor();
    const info = page.getByTestId("page-info");
    assert.match(await info.innerText(), /^Page 1 of \d+$/);
    const firstHoodie = await cards.first().getAttribute("data-slug");
    await page.getByTestId("page-next").click();
    await page.waitForFunction(() => location.hash.includes("page=2"));
    await page.getByText(/^Page 2 of \d+$/).waitFor();
    assert.notEqual(await cards.first().getAttribute("data-slug"), firstHoodie, "page 2 shows other products");
    await page.getByTestId("page-prev").click();
    await page.getByText(/^Page 1 of \d+$/).waitFor();
    await screenshot("shop-grid");
  });

  test("search → variable product → size and colour → cart → coupon → reload → shipping → checkout → order number", async () => {
    await page.goto(`${bff.url}/`);
    await page.getByTestId("search-input").fill("pullover");
    await page.getByTestId("search-submit").click();
    await page.getByRole("heading", { name: /Results for “pullover”/ }).waitFor();
    const variable = page.locator('[data-testid="product-card"][data-type="variable"]').first();
    await variable.waitFor();
    await variable.getByRole("link").click();

    await page.getByTestId("product-page").waitFor();
    const title = await page.getByTestId("product-title").innerText();
    const add = page.getByTestId("add-to-cart");
    assert.equal(await add.isDisabled(), true, "nothing can be added before the options are chosen");
    await page.getByTestId("attr-size").selectOption({ label: "M" });
    await page.getByTestId("attr-color").selectOption({ label: "Blue" });
    await page.waitForFunction(() => !(document.querySelector('[data-testid="add-to-cart"]') as HTMLButtonElement).disabled);
    assert.match(await page.getByTestId("product-price").innerText(), /^\$\d+\.\d\d$/, "the variation's own price is shown");
    await screenshot("shop-product");
    await add.click();
    await page.getByTestId("added-message").waitFor({ state: "visible" });
    assert.equal(await page.getByTestId("cart-count").innerText(), "1");

    await page.getByTestId("view-cart").click();
    const line = page.getByTestId("cart-line");
    await line.waitFor();
    assert.equal(await line.count(), 1);
    assert.equal(await line.getByTestId("line-name").innerText().then((t) => t.startsWith(title)), true, "the line is the product");
    assert.match(await line.getByTestId("line-options").innerText(), /M/);

    // Quantity change.
    const before = await page.getByTestId("cart-total").innerText();
    await line.getByTestId("line-quantity").fill("2");
    await line.getByTestId("line-quantity").press("Enter");
    await page.waitForFunction(() => document.querySelector('[data-testid="cart-count"]')?.textContent === "2");
    assert.notEqual(await page.getByTestId("cart-total").innerText(), before, "the total follows the quantity");

    // A bad coupon is a readable message; the demo coupon applies.
    await page.getByTestId("coupon-input").fill("nope");
    await page.getByTestId("coupon-apply").click();
    const message = await readableError();
    assert.match(message, /coupon|nope/i, `the message is about the coupon: ${message}`);
    await screenshot("shop-error");
    await page.getByTestId("coupon-input").fill("save10");
    await page.getByTestId("coupon-apply").click();
    await page.getByTestId("coupon-applied").waitFor();
    await page.getByTestId("total-discount").waitFor();
    assert.equal(await page.getByTestId("error-message").count(), 0, "the old error is gone");

    // Reload mid-flow: the session cookie brings the same cart back.
    await page.reload();
    await page.getByTestId("cart-line").waitFor();
    assert.equal(await page.getByTestId("cart-line").count(), 1);
    assert.equal(await page.getByTestId("line-quantity").inputValue(), "2");
    await page.getByTestId("coupon-applied").waitFor();
    assert.equal(await page.getByTestId("cart-count").innerText(), "2");

    // Shipping: rates follow the address; pick one.
    if ((await page.getByTestId("shipping-rate").count()) === 0) {
      await page.getByTestId("ship-country").selectOption("US");
      await page.getByTestId("ship-postcode").fill("94103");
      await page.getByTestId("ship-update").click();
    }
    const rates = page.getByTestId("shipping-rate");
    await rates.first().waitFor();
    const count = await rates.count();
    let choice = rates.first();
    for (let i = 0; i < count; i++) {
      if (!(await rates.nth(i).isChecked())) {
        choice = rates.nth(i);
        break;
      }
    }
    const rateId = await choice.getAttribute("data-rate-id");
    await choice.check();
    await page.waitForFunction(
      (id) => (document.querySelector(`[data-testid="shipping-rate"][data-rate-id="${id}"]`) as HTMLInputElement | null)?.checked === true && !document.body.dataset.busy,
      rateId,
    );
    assert.match(await page.getByTestId("total-shipping").innerText(), /\$\d/);
    await screenshot("shop-cart");

    // Checkout.
    await page.getByTestId("go-checkout").click();
    await page.getByTestId("checkout-form").waitFor();
    await page.getByTestId("billing-first-name").fill("Ada");
    await page.getByTestId("billing-last-name").fill("Lovelace");
    await page.getByTestId("billing-email").fill("ada@example.com");
    await page.getByTestId("billing-address-1").fill("1 Analytical Way");
    await page.getByTestId("billing-city").fill("San Francisco");
    await page.getByTestId("billing-state").fill("CA");
    await page.getByTestId("billing-postcode").fill("94103");
    await page.getByTestId("billing-country").selectOption("US");
    await page.getByTestId("place-order").click();

    const number = page.getByTestId("order-number");
    await number.waitFor();
    assert.match(await number.innerText(), /\S+/, "an order number is shown");
    await page.getByTestId("order-lines").waitFor();
    assert.equal(await page.getByTestId("cart-count").innerText(), "0");
    await screenshot("shop-order");

    // The order emptied the cart.
    await page.getByTestId("cart-link").click();
    await page.getByTestId("cart-empty").waitFor();
  });

  test("rate limits and non-JSON failures are readable too", async () => {
    await page.goto(`${bff.url}/#/cart`);
    await page.getByTestId("cart-empty").waitFor();
    const product = await (await fetch(`${bff.url}/api/v1/products?per_page=20&stock_status=in_stock`)).json() as { items: { slug: string; type: string; purchasable: boolean }[] };
    const simple = product.items.find((p) => p.type === "simple" && p.purchasable);
    assert.ok(simple, "a simple product in stock");
    await page.goto(`${bff.url}/#/product/${simple.slug}`);
    await page.getByTestId("product-page").waitFor();

    await page.route("**/api/v1/cart/items", (route) =>
      route.fulfill({
        status: 429,
        headers: { "content-type": "application/json", "retry-after": "7" },
        body: JSON.stringify({ error: { code: "rate_limited", message: "Too many requests; slow down.", request_id: "test-429" } }),
      }),
    );
    await page.getByTestId("add-to-cart").click();
    assert.match(await readableError(), /Too many requests.*7 s/);

    await page.unroute("**/api/v1/cart/items");
    await page.route("**/api/v1/cart/items", (route) => route.fulfill({ status: 502, headers: { "content-type": "text/html" }, body: "<html><body>Bad gateway</body></html>" }));
    await page.getByTestId("add-to-cart").click();
    assert.match(await readableError(), /502/);
    await page.unroute("**/api/v1/cart/items");
  });

  test("type-ahead: highlighted suggestions as you type, typo tolerant, click, keyboard, Escape, blur, stale answers", async () => {
    await page.goto(`${bff.url}/`);
    await page.getByTestId("product-grid").waitFor();
    // Search answers 503 search_not_ready until the catalogue index is built: wait for /readyz to report it.
    await page.waitForFunction(
      async () => {
        const health = (await (await fetch("/readyz")).json()) as { index?: { ready?: boolean } | null };
        return health.index?.ready === true;
      },
      undefined,
      { polling: 250, timeout: 60_000 },
    );
    const input = page.getByTestId("search-input");
    const list = page.getByTestId("suggestions");
    const items = list.getByTestId("suggestion");
    /** The list once it answers `q` (it carries the text it answers in data-q). */
    const answering = (q: string) => page.locator(`[data-testid="suggestions"][data-q="${q}"]`);

    // One character: no request, no list.
    await input.fill("h");
    await input.fill("");
    assert.equal(await list.isVisible(), false, "no suggestions under two characters");

    // "hood": the last word is a prefix, so hoodies come up, each with the matched part marked.
    await input.fill("hood");
    await answering("hood").waitFor({ state: "visible" });
    const count = await items.count();
    assert.ok(count >= 1 && count <= 5, `1–5 suggestions (per_page=5): ${count}`);
    for (let i = 0; i < count; i++) {
      const item = items.nth(i);
      assert.ok((await item.locator("mark").count()) > 0, `suggestion ${i} has a <mark>`);
      assert.match(await item.locator("mark").first().innerText(), /^hood/i, "the typed word is what is marked");
      assert.match(await item.getByTestId("suggestion-name").innerText(), /hood/i);
      assert.match(await item.getByTestId("suggestion-price").innerText(), /\$\d/, "a price is shown");
    }
    assert.equal(await input.getAttribute("aria-expanded"), "true");
    await screenshot("shop-typeahead");

    // Escape closes and keeps the text; blur closes too.
    await input.press("Escape");
    await list.waitFor({ state: "hidden" });
    assert.equal(await input.inputValue(), "hood");
    await input.fill("hoodi");
    await answering("hoodi").waitFor({ state: "visible" });
    await page.getByRole("heading", { name: "All products" }).click();
    await list.waitFor({ state: "hidden" });

    // A typo ("hoodei": one edit away from "hoodie") still suggests a hoodie.
    await input.fill("hoodei");
    await answering("hoodei").waitFor({ state: "visible" });
    const hoodie = items.filter({ hasText: /hoodie/i }).first();
    assert.ok((await hoodie.count()) > 0, `a hoodie despite the typo: ${(await items.allInnerTexts()).join(" | ")}`);

    // Clicking a suggestion opens that product's page.
    const clicked = hoodie;
    const slug = await clicked.getAttribute("data-slug");
    const name = (await clicked.getByTestId("suggestion-name").innerText()).trim();
    assert.ok(slug);
    await clicked.click();
    await page.waitForFunction((s) => location.hash === `#/product/${encodeURIComponent(s)}`, slug);
    await page.getByTestId("product-page").waitFor();
    assert.equal((await page.getByTestId("product-title").innerText()).trim(), name, "the suggested product's page");
    await list.waitFor({ state: "hidden" });

    // Keyboard: ArrowDown twice, ArrowUp once, Enter opens the first suggestion.
    await input.fill("hood");
    await answering("hood").waitFor({ state: "visible" });
    const first = await items.first().getAttribute("data-slug");
    await input.press("ArrowDown");
    if ((await items.count()) > 1) {
      await input.press("ArrowDown");
      assert.equal(await items.nth(1).getAttribute("aria-selected"), "true");
      await input.press("ArrowUp");
    }
    assert.equal(await items.first().getAttribute("aria-selected"), "true");
    await input.press("Enter");
    await page.waitForFunction((s) => location.hash === `#/product/${encodeURIComponent(s)}`, first!);
    await page.getByTestId("product-page").waitFor();

    // An answer that typing has overtaken never replaces the newer one: "hood" is held back
    // until "hoodie" has been answered and shown.
    let releaseOld!: () => void;
    const held = new Promise<void>((r) => (releaseOld = r));
    let oldDone!: Promise<void>;
    const oldQuery = (url: URL) => url.pathname === "/api/v1/search" && url.searchParams.get("q") === "hood";
    await page.route(
      oldQuery,
      (route) => {
        oldDone = held.then(() => route.continue()).catch(() => undefined); // may have been cancelled by the page
        return oldDone;
      },
    );
    const oldRequest = page.waitForRequest((r) => new URL(r.url()).searchParams.get("q") === "hood");
    await input.fill("hood");
    await oldRequest;
    await input.fill("hoodie");
    await answering("hoodie").waitFor({ state: "visible" });
    const fresh = await items.allInnerTexts();
    releaseOld();
    await oldDone;
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    assert.equal(await list.getAttribute("data-q"), "hoodie", "the stale answer did not replace the list");
    assert.deepEqual(await items.allInnerTexts(), fresh);
    await page.unroute(oldQuery);

    // Submitting the form still opens the grid with search=.
    await input.press("Enter");
    await page.waitForFunction(() => location.hash === "#/?search=hoodie");
    await page.getByRole("heading", { name: /Results for “hoodie”/ }).waitFor();
    await list.waitFor({ state: "hidden" });
  });

  test("the page made no request beyond 127.0.0.1 and raised no script errors", () => {
    assert.ok(browser.requests.length > 10, "requests were recorded");
    assert.deepEqual(nonLocal(browser.requests), []);
    // 503 from search is search_not_ready before the index is built: the box shows no suggestions then.
    const unexpected = pageErrors.filter((e) => !/status of (4\d\d|502)/.test(e) && !/status of 503 .*\/api\/v1\/search\?/.test(e));
    assert.deepEqual(unexpected, []);
  });
});
