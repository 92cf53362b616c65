/**
 * The reference storefront: a product grid, a product page with variations,
 * a cart, checkout and order confirmation, on the typed client with the
 * session cookie only (no token in JavaScript). Hash routes:
 *
 *   #/?search=&category=&page=   product grid
 *   #/product/<slug>             product page
 *   #/cart                       cart, coupon, shipping
 *   #/checkout                   checkout form
 *   #/order/<id>                 order confirmation
 *
 * The search box suggests products as you type (GET /api/v1/search); Enter
 * without a chosen suggestion still opens the grid with `search=`.
 */
import {
  ApiError,
  call,
  createBrowserClient,
  formatMoney,
  newIdempotencyKey,
  search,
  type Address,
  type CartView,
  type Category,
  type CheckoutResult,
  type Money,
  type ProductAttribute,
  type ProductSummary,
  type SearchHit,
  type Variation,
} from "../../src/client.ts";
import { h, htmlToText, marked, mount } from "./dom.ts";

const api = createBrowserClient();
const PER_PAGE = 12;

const view = document.getElementById("view") as HTMLElement;
const notice = document.getElementById("notice") as HTMLElement;
const cartCount = document.querySelector('[data-testid="cart-count"]') as HTMLElement;
const searchForm = document.querySelector('[data-testid="search-form"]') as HTMLFormElement;
const searchInput = document.querySelector('[data-testid="search-input"]') as HTMLInputElement;
const suggestionList = document.querySelector('[data-testid="suggestions"]') as HTMLUListElement;

let categories: Category[] | undefined;
/** Bumped on every navigation so a slow answer never paints over a newer page. */
let renderSeq = 0;

// ---------------------------------------------------------------- messages

function showError(error: unknown): void {
  const message = error instanceof ApiError ? error.userMessage : "Something went wrong. Please try again.";
  if (!(error instanceof ApiError)) console.error(error);
  notice.className = "notice error";
  mount(notice, h("span", { "data-testid": "error-message" }, message), error instanceof ApiError && error.requestId ? h("small", {}, ` (ref ${error.requestId})`) : null);
  notice.hidden = false;
  notice.dataset.code = error instanceof ApiError ? error.code : "client_error";
}

function showInfo(message: string): void {
  notice.className = "notice info";
  mount(notice, h("span", { "data-testid": "info-message" }, message));
  notice.hidden = false;
  delete notice.dataset.code;
}

function clearNotice(): void {
  notice.hidden = true;
  notice.replaceChildren();
  delete notice.dataset.code;
}

/** Runs an API action with its button disabled; errors become a readable message. */
async function act<T>(button: HTMLButtonElement | null, action: () => Promise<T>): Promise<T | undefined> {
  if (button) button.disabled = true;
  document.body.dataset.busy = "true";
  try {
    const result = await action();
    return result;
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
    delete document.body.dataset.busy;
  }
}

function price(money: Money | null | undefined): string {
  return money ? formatMoney(money) : "—";
}

function setCartCount(cart: CartView): void {
  cartCount.textContent = String(cart.items_count);
}

async function refreshCartCount(): Promise<void> {
  try {
    setCartCount(await call(api.GET("/api/v1/cart")));
  } catch {
    // The count is decoration; the cart page shows errors.
  }
}

/** A stand-in tile (the reference page loads nothing but its own files and the API). */
function tile(product: { id: number; name: string }, size: "small" | "large" = "small"): HTMLElement {
  const hue = (product.id * 47) % 360;
  const initials = product.name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase() ?? "")
    .join("");
  const el = h("div", { class: `tile ${size}`, "aria-hidden": "true" }, initials);
  // Through CSSOM, not a style attribute: the page's CSP allows no inline styles.
  el.style.setProperty("--hue", String(hue));
  return el;
}

function stockLabel(status: string, low?: number | null): string {
  if (status === "out_of_stock") return "Out of stock";
  if (status === "on_backorder") return "On backorder";
  return low ? `Only ${low} left` : "In stock";
}

// ---------------------------------------------------------------- routing

interface Route {
  path: string[];
  query: URLSearchParams;
}

function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path = "/", query = ""] = hash.split("?", 2);
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

function shopHash(params: { search?: string; category?: string; page?: number }): string {
  const q = new URLSearchParams();
  if (params.search) q.set("search", params.search);
  if (params.category) q.set("category", params.category);
  if (params.page && params.page > 1) q.set("page", String(params.page));
  const s = q.toString();
  return s ? `#/?${s}` : "#/";
}

async function render(): Promise<void> {
  const seq = ++renderSeq;
  const route = currentRoute();
  const [section, arg] = route.path;
  document.body.dataset.route = section ?? "shop";
  if (section !== undefined) searchInput.value = "";
  clearNotice();
  mount(view, h("p", { class: "loading", "data-testid": "loading" }, "Loading…"));
  const stale = () => seq !== renderSeq;
  try {
    if (section === undefined) await renderShop(route.query, stale);
    else if (section === "product" && arg) await renderProduct(arg, stale);
    else if (section === "cart") await renderCart(stale);
    else if (section === "checkout") await renderCheckout(stale);
    else if (section === "order" && arg) await renderOrder(arg, stale);
    else mount(view, h("p", {}, "No such page. ", h("a", { href: "#/" }, "Back to the shop")));
  } catch (error) {
    if (stale()) return;
    mount(view, h("p", { class: "empty" }, "This page could not be loaded. ", h("a", { href: location.hash || "#/" , onclick: () => void render() }, "Retry")));
    showError(error);
  }
}

// ---------------------------------------------------------------- shop

async function renderShop(query: URLSearchParams, stale: () => boolean): Promise<void> {
  const search = query.get("search") ?? "";
  const category = query.get("category") ?? "";
  const page = Math.max(1, Number.parseInt(query.get("page") ?? "1", 10) || 1);
  searchInput.value = search;

  const [list, cats] = await Promise.all([
    call(
      api.GET("/api/v1/products", {
        params: { query: { per_page: PER_PAGE, page, ...(search ? { search } : {}), ...(category ? { category } : {}) } },
      }),
    ),
    categories ? Promise.resolve(categories) : call(api.GET("/api/v1/categories")).then((l) => (categories = l.items)),
  ]);
  if (stale()) return;

  const filter = h(
    "select",
    {
      "data-testid": "category-filter",
      "aria-label": "Category",
      onchange: (e: Event) => {
        location.hash = shopHash({ search, category: (e.target as HTMLSelectElement).value });
      },
    },
    h("option", { value: "" }, "All categories"),
    cats
      .filter((c) => c.product_count > 0)
      .map((c) => h("option", { value: c.slug, selected: c.slug === category }, `${c.parent_id ? "— " : ""}${c.name} (${c.product_count})`)),
  );

  const heading = search ? `Results for “${search}”` : category ? (cats.find((c) => c.slug === category)?.name ?? "Products") : "All products";
  const grid =
    list.items.length === 0
      ? h("p", { class: "empty", "data-testid": "no-results" }, "No products match. ", h("a", { href: "#/" }, "Show everything"))
      : h("ul", { class: "grid", "data-testid": "product-grid" }, list.items.map(productCard));

  const pager = h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    h("a", { class: "button secondary", "data-testid": "page-prev", href: shopHash({ search, category, page: page - 1 }), "aria-disabled": page <= 1 ? "true" : null }, "← Previous"),
    h("span", { "data-testid": "page-info" }, `Page ${list.page} of ${Math.max(1, list.total_pages)}`),
    h("a", { class: "button secondary", "data-testid": "page-next", href: shopHash({ search, category, page: page + 1 }), "aria-disabled": page >= list.total_pages ? "true" : null }, "Next →"),
  );

  mount(
    view,
    h("div", { class: "toolbar" }, h("h1", {}, heading), h("span", { class: "muted", "data-testid": "result-count" }, `${list.total} products`), filter),
    grid,
    list.total_pages > 1 ? pager : null,
  );
}

function productCard(p: ProductSummary): HTMLElement {
  const href = productHash(p.slug);
  const range = p.prices.range;
  const shown = range && range.min.amount !== range.max.amount ? `${price(range.min)} – ${price(range.max)}` : price(p.prices.price);
  return h(
    "li",
    { class: "card", "data-testid": "product-card", "data-slug": p.slug, "data-type": p.type },
    h("a", { href, class: "card-link" }, tile(p), h("span", { class: "name", "data-testid": "product-name" }, p.name)),
    h(
      "div",
      { class: "card-meta" },
      h("span", { class: "price", "data-testid": "product-price" }, shown),
      p.on_sale && !range && p.prices.regular_price.amount !== p.prices.price.amount ? h("s", { class: "muted" }, price(p.prices.regular_price)) : null,
      p.on_sale ? h("span", { class: "badge" }, "Sale") : null,
    ),
    h("div", { class: "muted small" }, p.type === "variable" ? "Choose options" : stockLabel(p.stock.status, p.stock.low_stock_remaining)),
  );
}

// ---------------------------------------------------------------- product

/** The key the API accepts for an attribute in `variation` (taxonomy, else label). */
function attrKey(a: ProductAttribute): string {
  return a.taxonomy ?? a.name;
}

/** Attribute value of a variation ref, by label or taxonomy ("" means "any"). */
function refValue(attributes: Record<string, string>, a: ProductAttribute): string | undefined {
  return attributes[a.name] ?? (a.taxonomy ? (attributes[a.taxonomy] ?? attributes[`attribute_${a.taxonomy}`]) : undefined);
}

async function renderProduct(slug: string, stale: () => boolean): Promise<void> {
  const product = await call(api.GET("/api/v1/products/{id}", { params: { path: { id: slug } } }));
  const variations: Variation[] =
    product.type === "variable" ? (await call(api.GET("/api/v1/products/{id}/variations", { params: { path: { id: product.id } } }))).items : [];
  if (stale()) return;

  const choosable = product.attributes.filter((a) => a.has_variations);
  const chosen = new Map<string, string>();
  const priceEl = h("p", { class: "price big", "data-testid": "product-price" }, summaryPrice(product));
  const stockEl = h("p", { class: "muted", "data-testid": "stock-status" }, product.type === "variable" ? "Choose options" : stockLabel(product.stock.status, product.stock.low_stock_remaining));
  const qty = h("input", { type: "number", min: Math.max(1, product.quantity.min), max: product.quantity.max || 9999, step: product.quantity.multiple_of || 1, value: Math.max(1, product.quantity.min), "data-testid": "quantity", "aria-label": "Quantity" });
  const add = h("button", { type: "submit", "data-testid": "add-to-cart" }, "Add to cart");
  const added = h("p", { class: "added", "data-testid": "added-message", hidden: true });

  const selected = (): Variation | undefined => {
    if (product.type !== "variable" || choosable.some((a) => !chosen.get(a.name))) return undefined;
    const ref = product.variations.find((v) => choosable.every((a) => {
      const want = refValue(v.attributes, a);
      return want === undefined || want === "" || want === chosen.get(a.name);
    }));
    return ref ? variations.find((v) => v.id === ref.id) : undefined;
  };

  const update = (): void => {
    if (product.type !== "variable") {
      add.disabled = !product.purchasable || product.stock.status === "out_of_stock";
      return;
    }
    const v = selected();
    const complete = choosable.every((a) => chosen.get(a.name));
    if (v) {
      priceEl.textContent = price(v.prices.price);
      stockEl.textContent = stockLabel(v.stock.status, v.stock.low_stock_remaining);
      add.disabled = !v.purchasable || v.stock.status === "out_of_stock";
    } else {
      priceEl.textContent = summaryPrice(product);
      stockEl.textContent = complete ? "This combination is not available" : "Choose options";
      add.disabled = true;
    }
  };

  const selects = choosable.map((a) => {
    const id = `attr-${(a.taxonomy ?? a.name).replace(/^pa_/, "").toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
    return h(
      "label",
      { class: "field" },
      a.name,
      h(
        "select",
        {
          id,
          "data-testid": id,
          "data-attribute": a.name,
          onchange: (e: Event) => {
            chosen.set(a.name, (e.target as HTMLSelectElement).value);
            update();
          },
        },
        h("option", { value: "" }, `Choose ${a.name.toLowerCase()}`),
        a.terms.map((t) => h("option", { value: t.slug }, t.name)),
      ),
    );
  });

  const form = h(
    "form",
    {
      class: "buy",
      "data-testid": "add-form",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        clearNotice();
        added.hidden = true;
        const quantity = Number.parseInt(qty.value, 10) || 1;
        const variation: Record<string, string> = {};
        for (const a of choosable) variation[attrKey(a)] = chosen.get(a.name) ?? "";
        const cart = await act(add, () =>
          call(api.POST("/api/v1/cart/items", { body: { product_id: product.id, quantity, ...(choosable.length ? { variation } : {}) } })),
        );
        if (!cart) return;
        setCartCount(cart);
        mount(added, "Added to your cart. ", h("a", { href: "#/cart", "data-testid": "view-cart" }, "View cart →"));
        added.hidden = false;
        update();
      },
    },
    selects,
    h("label", { class: "field" }, "Quantity", qty),
    add,
  );

  const description = htmlToText(product.description_html) || htmlToText(product.short_description_html);
  mount(
    view,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Shop"), product.categories[0] ? [" / ", h("a", { href: shopHash({ category: product.categories[0].slug }) }, product.categories[0].name)] : null),
    h(
      "article",
      { class: "product", "data-testid": "product-page", "data-product-id": product.id },
      tile(product, "large"),
      h(
        "div",
        { class: "details" },
        h("h1", { "data-testid": "product-title" }, product.name),
        priceEl,
        stockEl,
        form,
        added,
        description ? h("p", { class: "description" }, description) : null,
        product.sku ? h("p", { class: "muted small" }, `SKU ${product.sku}`) : null,
      ),
    ),
  );
  update();
}

function summaryPrice(p: ProductSummary): string {
  const r = p.prices.range;
  return r && r.min.amount !== r.max.amount ? `${price(r.min)} – ${price(r.max)}` : price(p.prices.price);
}

// ---------------------------------------------------------------- cart

async function renderCart(stale: () => boolean): Promise<void> {
  const cart = await call(api.GET("/api/v1/cart"));
  if (stale()) return;
  paintCart(cart);
}

function paintCart(cart: CartView): void {
  setCartCount(cart);
  if (cart.items.length === 0) {
    mount(view, h("h1", {}, "Your cart"), h("p", { class: "empty", "data-testid": "cart-empty" }, "Your cart is empty. ", h("a", { href: "#/" }, "Continue shopping")), notices(cart));
    return;
  }
  const lines = h(
    "table",
    { class: "lines", "data-testid": "cart-lines" },
    h("thead", {}, h("tr", {}, h("th", {}, "Product"), h("th", {}, "Price"), h("th", {}, "Quantity"), h("th", { class: "num" }, "Total"), h("th", {}, ""))),
    h(
      "tbody",
      {},
      cart.items.map((line) => {
        const qty = h("input", {
          type: "number",
          min: line.quantity_rules.min || 1,
          max: line.quantity_rules.max || 9999,
          step: line.quantity_rules.multiple_of || 1,
          value: line.quantity,
          disabled: !line.quantity_rules.editable,
          "data-testid": "line-quantity",
          "aria-label": `Quantity of ${line.name}`,
          onchange: async () => {
            const quantity = Number.parseInt(qty.value, 10);
            if (!quantity || quantity < 1) {
              qty.value = String(line.quantity);
              return;
            }
            clearNotice();
            const next = await act(null, () => call(api.PATCH("/api/v1/cart/items/{key}", { params: { path: { key: line.key } }, body: { quantity } })));
            if (next) paintCart(next);
            else qty.value = String(line.quantity);
          },
        });
        const remove = h("button", { type: "button", class: "link", "data-testid": "line-remove" }, "Remove");
        remove.addEventListener("click", async () => {
          clearNotice();
          const next = await act(remove, () => call(api.DELETE("/api/v1/cart/items/{key}", { params: { path: { key: line.key } } })));
          if (next) paintCart(next);
        });
        const options = Object.entries(line.variation).map(([k, v]) => `${k}: ${v}`).join(", ");
        return h(
          "tr",
          { "data-testid": "cart-line", "data-key": line.key },
          h("td", {}, h("strong", { "data-testid": "line-name" }, line.name), options ? h("div", { class: "muted small", "data-testid": "line-options" }, options) : null),
          h("td", {}, price(line.unit_price)),
          h("td", {}, qty),
          h("td", { class: "num", "data-testid": "line-total" }, price(line.total)),
          h("td", {}, remove),
        );
      }),
    ),
  );

  const couponInput = h("input", { type: "text", name: "code", placeholder: "Coupon code", "data-testid": "coupon-input", "aria-label": "Coupon code", autocomplete: "off" });
  const couponButton = h("button", { type: "submit", class: "secondary", "data-testid": "coupon-apply" }, "Apply");
  const couponForm = h(
    "form",
    {
      class: "inline",
      "data-testid": "coupon-form",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const code = couponInput.value.trim();
        if (!code) return;
        clearNotice();
        const next = await act(couponButton, () => call(api.POST("/api/v1/cart/coupons", { body: { code } })));
        if (next) {
          paintCart(next);
          showInfo(`Coupon “${code}” applied.`);
        }
      },
    },
    couponInput,
    couponButton,
  );
  const applied = cart.coupons.map((c) => {
    const remove = h("button", { type: "button", class: "link", "data-testid": "coupon-remove" }, "remove");
    remove.addEventListener("click", async () => {
      clearNotice();
      const next = await act(remove, () => call(api.DELETE("/api/v1/cart/coupons/{code}", { params: { path: { code: c.code } } })));
      if (next) paintCart(next);
    });
    return h("li", { "data-testid": "coupon-applied", "data-code": c.code }, h("strong", {}, c.code.toUpperCase()), ` −${price(c.discount)} `, remove);
  });

  mount(
    view,
    h("h1", {}, "Your cart"),
    notices(cart),
    lines,
    h(
      "div",
      { class: "cart-bottom" },
      h(
        "div",
        { class: "cart-side" },
        h("section", { class: "panel" }, h("h2", {}, "Coupon"), couponForm, applied.length ? h("ul", { class: "plain" }, applied) : null),
        cart.needs_shipping ? shippingPanel(cart) : null,
      ),
      h(
        "section",
        { class: "panel totals" },
        h("h2", {}, "Totals"),
        totalsTable(cart.totals),
        h("a", { class: "button", href: "#/checkout", "data-testid": "go-checkout" }, "Check out"),
      ),
    ),
  );
}

function notices(cart: CartView): HTMLElement | null {
  if (!cart.notices.length) return null;
  return h("ul", { class: "notices", "data-testid": "cart-notices" }, cart.notices.map((n) => h("li", { "data-code": n.code }, n.message)));
}

function totalsTable(t: CartView["totals"]): HTMLElement {
  const row = (label: string, value: string, testid: string, cls = "") => h("tr", { class: cls }, h("th", {}, label), h("td", { class: "num", "data-testid": testid }, value));
  return h(
    "table",
    { class: "sums" },
    h(
      "tbody",
      {},
      row("Items", price(t.items), "total-items"),
      t.discount.amount ? row("Discount", `−${price(t.discount)}`, "total-discount") : null,
      row("Shipping", t.shipping ? price(t.shipping) : "calculated at checkout", "total-shipping"),
      t.tax.amount ? row("Tax", price(t.tax), "total-tax") : null,
      row("Total", price(t.total), "cart-total", "grand"),
    ),
  );
}

const COUNTRIES: [string, string][] = [
  ["US", "United States"],
  ["GB", "United Kingdom"],
  ["DE", "Germany"],
  ["FR", "France"],
  ["NL", "Netherlands"],
  ["CA", "Canada"],
  ["AU", "Australia"],
];

function countrySelect(current: string, testid: string): HTMLSelectElement {
  const value = current || "US";
  const known = COUNTRIES.some(([code]) => code === value);
  return h(
    "select",
    { name: "country", "data-testid": testid, "aria-label": "Country" },
    known ? null : h("option", { value, selected: true }, value),
    COUNTRIES.map(([code, name]) => h("option", { value: code, selected: code === value }, name)),
  );
}

function shippingPanel(cart: CartView): HTMLElement {
  const country = countrySelect(cart.shipping.country || cart.billing.country || "", "ship-country");
  const postcode = h("input", { type: "text", name: "postcode", placeholder: "Postcode", value: cart.shipping.postcode || cart.billing.postcode || "", "data-testid": "ship-postcode", "aria-label": "Postcode", size: 10 });
  const update = h("button", { type: "submit", class: "secondary", "data-testid": "ship-update" }, "Update");
  const where = h(
    "form",
    {
      class: "inline",
      "data-testid": "ship-form",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        clearNotice();
        const billing: Address = { ...cart.billing, country: country.value, postcode: postcode.value.trim() };
        const shipping: Address = { ...cart.shipping, country: country.value, postcode: postcode.value.trim() };
        delete shipping.email;
        if (!billing.email) delete billing.email;
        const next = await act(update, () => call(api.PUT("/api/v1/cart/addresses", { body: { billing, shipping } })));
        if (next) paintCart(next);
      },
    },
    country,
    postcode,
    update,
  );
  const packages = cart.shipping_packages.map((pkg) =>
    h(
      "fieldset",
      { class: "rates", "data-testid": "shipping-package", "data-package-id": pkg.package_id },
      h("legend", {}, pkg.name || "Shipping"),
      pkg.rates.map((rate) => {
        const radio = h("input", {
          type: "radio",
          name: `rate-${pkg.package_id}`,
          value: rate.rate_id,
          checked: rate.selected,
          "data-testid": "shipping-rate",
          "data-rate-id": rate.rate_id,
        });
        radio.addEventListener("change", async () => {
          clearNotice();
          const next = await act(null, () => call(api.PUT("/api/v1/cart/shipping-rate", { body: { package_id: pkg.package_id, rate_id: rate.rate_id } })));
          if (next) paintCart(next);
          else void renderCart(() => false);
        });
        return h(
          "label",
          { class: "rate" },
          radio,
          ` ${rate.name} `,
          h("span", { class: "price" }, price(rate.price)),
          rate.delivery_time ? h("span", { class: "muted small" }, ` · ${rate.delivery_time}`) : null,
        );
      }),
    ),
  );
  return h(
    "section",
    { class: "panel", "data-testid": "shipping-panel" },
    h("h2", {}, "Shipping"),
    h("p", { class: "muted small" }, "Ship to:"),
    where,
    packages.length ? packages : h("p", { class: "muted", "data-testid": "no-rates" }, "Enter your country and postcode to see shipping options."),
  );
}

// ---------------------------------------------------------------- checkout

const ATTEMPT_KEY = "checkout-attempt";
const ORDER_KEY = "last-order";

interface Attempt {
  key: string;
  body: string;
}

/**
 * One Idempotency-Key per checkout attempt: the same form submitted again
 * (double click, retry after a network error) reuses it, so the order is
 * placed once; a changed form gets a new key.
 */
function idempotencyKeyFor(body: string): string {
  try {
    const saved = JSON.parse(sessionStorage.getItem(ATTEMPT_KEY) ?? "null") as Attempt | null;
    if (saved && saved.body === body) return saved.key;
  } catch {
    // fall through to a new key
  }
  const key = newIdempotencyKey();
  sessionStorage.setItem(ATTEMPT_KEY, JSON.stringify({ key, body } satisfies Attempt));
  return key;
}

async function renderCheckout(stale: () => boolean): Promise<void> {
  const cart = await call(api.GET("/api/v1/cart"));
  if (stale()) return;
  setCartCount(cart);
  if (cart.items.length === 0) {
    mount(view, h("h1", {}, "Checkout"), h("p", { class: "empty", "data-testid": "cart-empty" }, "Your cart is empty. ", h("a", { href: "#/" }, "Continue shopping")));
    return;
  }
  const b = cart.billing;
  const input = (name: keyof Address, label: string, opts: { type?: string; required?: boolean; autocomplete?: string } = {}) =>
    h(
      "label",
      { class: "field" },
      label + (opts.required ? " *" : ""),
      h("input", {
        name,
        type: opts.type ?? "text",
        required: opts.required ?? false,
        autocomplete: opts.autocomplete,
        value: (b[name] as string | undefined) ?? "",
        "data-testid": `billing-${name.replace(/_/g, "-")}`,
      }),
    );
  const methods = cart.payment_methods.length ? cart.payment_methods : ["cod"];
  const payment = h(
    "fieldset",
    { class: "rates" },
    h("legend", {}, "Payment"),
    methods.map((m, i) => h("label", { class: "rate" }, h("input", { type: "radio", name: "payment_method", value: m, checked: i === 0, "data-testid": "payment-method" }), ` ${paymentLabel(m)}`)),
  );
  const note = h("textarea", { name: "customer_note", rows: 2, "data-testid": "customer-note", maxlength: 500 });
  const place = h("button", { type: "submit", "data-testid": "place-order" }, `Place order · ${price(cart.totals.total)}`);
  const form = h(
    "form",
    {
      class: "checkout",
      "data-testid": "checkout-form",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        clearNotice();
        const data = new FormData(form);
        const field = (k: string) => String(data.get(k) ?? "").trim();
        const billing: Address = {
          first_name: field("first_name"),
          last_name: field("last_name"),
          company: "",
          address_1: field("address_1"),
          address_2: field("address_2"),
          city: field("city"),
          state: field("state"),
          postcode: field("postcode"),
          country: field("country"),
          email: field("email"),
          phone: field("phone"),
        };
        const body = {
          payment_method: field("payment_method") || methods[0] || "cod",
          billing,
          customer_note: field("customer_note") || null,
          expected_total: cart.totals.total.amount,
        };
        const key = idempotencyKeyFor(JSON.stringify(body));
        const result = await act(place, () => call(api.POST("/api/v1/checkout", { params: { header: { "Idempotency-Key": key } }, body })));
        if (!result) {
          const err = notice.dataset.code;
          if (err === "cart_changed") {
            // The total moved (prices, stock, shipping): show the new one, keep the form.
            const fresh = await call(api.GET("/api/v1/cart")).catch(() => undefined);
            if (fresh) {
              cart.totals = fresh.totals;
              place.textContent = `Place order · ${price(fresh.totals.total)}`;
              mount(summary, totalsTable(fresh.totals));
            }
          }
          return;
        }
        sessionStorage.removeItem(ATTEMPT_KEY);
        sessionStorage.setItem(ORDER_KEY, JSON.stringify({ result, email: billing.email }));
        cartCount.textContent = "0";
        location.hash = `#/order/${result.order_id}`;
      },
    },
    h(
      "fieldset",
      {},
      h("legend", {}, "Billing details"),
      h("div", { class: "row" }, input("first_name", "First name", { required: true, autocomplete: "given-name" }), input("last_name", "Last name", { required: true, autocomplete: "family-name" })),
      input("email", "Email", { type: "email", required: true, autocomplete: "email" }),
      input("address_1", "Address", { required: true, autocomplete: "address-line1" }),
      input("address_2", "Apartment, suite (optional)", { autocomplete: "address-line2" }),
      h("div", { class: "row" }, input("city", "City", { required: true, autocomplete: "address-level2" }), input("state", "State / county", { autocomplete: "address-level1" })),
      h("div", { class: "row" }, input("postcode", "Postcode", { required: true, autocomplete: "postal-code" }), h("label", { class: "field" }, "Country *", countrySelect(b.country || cart.shipping.country || "", "billing-country"))),
      input("phone", "Phone (optional)", { type: "tel", autocomplete: "tel" }),
    ),
    payment,
    h("label", { class: "field" }, "Order note (optional)", note),
    place,
  );
  const summary = h("div", {}, totalsTable(cart.totals));
  mount(
    view,
    h("h1", {}, "Checkout"),
    h(
      "div",
      { class: "checkout-layout" },
      form,
      h(
        "aside",
        { class: "panel" },
        h("h2", {}, "Order summary"),
        h("ul", { class: "plain summary" }, cart.items.map((l) => h("li", {}, `${l.quantity} × ${l.name}`, h("span", { class: "num" }, price(l.total))))),
        summary,
        h("p", { class: "small" }, h("a", { href: "#/cart" }, "← Back to cart")),
      ),
    ),
  );
}

function paymentLabel(id: string): string {
  const labels: Record<string, string> = { cod: "Cash on delivery", bacs: "Bank transfer", cheque: "Cheque" };
  return labels[id] ?? id;
}

// ---------------------------------------------------------------- order

async function renderOrder(id: string, stale: () => boolean): Promise<void> {
  let saved: { result: CheckoutResult; email: string } | undefined;
  try {
    saved = JSON.parse(sessionStorage.getItem(ORDER_KEY) ?? "null") ?? undefined;
  } catch {
    saved = undefined;
  }
  if (!saved || String(saved.result.order_id) !== id) {
    mount(view, h("h1", {}, "Order"), h("p", { class: "empty" }, "This order's confirmation is only shown in the browser tab that placed it."));
    return;
  }
  const { result, email } = saved;
  const head = [
    h("h1", { "data-testid": "order-confirmed" }, "Thank you for your order"),
    h("p", { class: "big" }, "Order number ", h("strong", { "data-testid": "order-number" }, result.order_number)),
    h("p", { class: "muted" }, `Status: ${result.status} · A confirmation goes to ${email}.`),
  ];
  mount(view, ...head, totalsTable(result.totals));
  try {
    const order = await call(api.GET("/api/v1/orders/{id}", { params: { path: { id: result.order_id }, query: { key: result.order_key, email } } }));
    if (stale()) return;
    mount(
      view,
      ...head,
      h("ul", { class: "plain summary", "data-testid": "order-lines" }, order.items.map((l) => h("li", {}, `${l.quantity} × ${l.name}`, h("span", { class: "num" }, price(l.total))))),
      totalsTable(result.totals),
      h("p", {}, h("a", { class: "button", href: "#/" }, "Continue shopping")),
    );
  } catch (error) {
    if (!stale()) showError(error);
  }
}

// ---------------------------------------------------------------- type-ahead

const SUGGEST_DELAY_MS = 150;
const SUGGEST_MIN_CHARS = 2;
const SUGGEST_COUNT = 5;

let suggestTimer: ReturnType<typeof setTimeout> | undefined;
/** Bumped on every keystroke and close: only the answer for the latest text is painted. */
let suggestSeq = 0;
let suggestAbort: AbortController | undefined;
let suggestHits: SearchHit[] = [];
let activeSuggestion = -1;

function productHash(slug: string): string {
  return `#/product/${encodeURIComponent(slug)}`;
}

function hideSuggestions(): void {
  suggestHits = [];
  activeSuggestion = -1;
  suggestionList.hidden = true;
  suggestionList.replaceChildren();
  delete suggestionList.dataset.q;
  searchInput.setAttribute("aria-expanded", "false");
  searchInput.removeAttribute("aria-activedescendant");
}

/** Drops the request that is waiting for the debounce or in flight. */
function cancelSuggestRequest(): void {
  suggestSeq++;
  clearTimeout(suggestTimer);
  suggestAbort?.abort();
  suggestAbort = undefined;
}

/** Closes the list and drops whatever is pending or in flight. */
function closeSuggestions(): void {
  cancelSuggestRequest();
  hideSuggestions();
}

function setActiveSuggestion(index: number): void {
  activeSuggestion = index;
  suggestionList.querySelectorAll<HTMLElement>('[data-testid="suggestion"]').forEach((el, i) => {
    el.setAttribute("aria-selected", String(i === index));
    if (i === index) el.scrollIntoView({ block: "nearest" });
  });
  if (index >= 0) searchInput.setAttribute("aria-activedescendant", `suggestion-${index}`);
  else searchInput.removeAttribute("aria-activedescendant");
}

function openSuggestion(index: number): void {
  const hit = suggestHits[index];
  if (!hit) return;
  closeSuggestions();
  location.hash = productHash(hit.product.slug);
}

function paintSuggestions(q: string, hits: SearchHit[]): void {
  if (hits.length === 0) {
    hideSuggestions();
    return;
  }
  suggestHits = hits;
  activeSuggestion = -1;
  searchInput.removeAttribute("aria-activedescendant");
  mount(
    suggestionList,
    hits.map((hit, i) =>
      h(
        "li",
        {
          id: `suggestion-${i}`,
          role: "option",
          class: "suggestion",
          "aria-selected": "false",
          "data-testid": "suggestion",
          "data-slug": hit.product.slug,
          // Keep the focus in the box, so its blur does not close the list before the click.
          onmousedown: (e: Event) => e.preventDefault(),
          onclick: () => openSuggestion(i),
        },
        h("span", { class: "suggestion-name", "data-testid": "suggestion-name" }, marked(hit.highlight.name_html)),
        h("span", { class: "price", "data-testid": "suggestion-price" }, summaryPrice(hit.product)),
      ),
    ),
  );
  suggestionList.dataset.q = q; // the text these suggestions answer
  suggestionList.hidden = false;
  searchInput.setAttribute("aria-expanded", "true");
}

async function fetchSuggestions(q: string, seq: number): Promise<void> {
  const abort = new AbortController();
  suggestAbort = abort;
  let hits: SearchHit[];
  try {
    hits = (await search(api, { q, per_page: SUGGEST_COUNT }, { signal: abort.signal })).items;
  } catch {
    // search_not_ready while the index is built, offline, aborted: quietly no suggestions.
    if (seq === suggestSeq) hideSuggestions();
    return;
  } finally {
    if (suggestAbort === abort) suggestAbort = undefined;
  }
  // Typed further (or closed) meanwhile: a newer request owns the list.
  if (seq !== suggestSeq || document.activeElement !== searchInput) return;
  paintSuggestions(q, hits);
}

searchInput.addEventListener("input", () => {
  const q = searchInput.value.trim();
  cancelSuggestRequest();
  if (q.length < SUGGEST_MIN_CHARS) {
    hideSuggestions();
    return;
  }
  // The list on show stays until the answer for the new text replaces it;
  // nothing in it is chosen any more, so Enter searches what was typed.
  setActiveSuggestion(-1);
  const seq = suggestSeq;
  suggestTimer = setTimeout(() => void fetchSuggestions(q, seq), SUGGEST_DELAY_MS);
});

searchInput.addEventListener("keydown", (e) => {
  if (suggestionList.hidden || suggestHits.length === 0) return;
  const n = suggestHits.length;
  if (e.key === "ArrowDown") {
    e.preventDefault();
    setActiveSuggestion(activeSuggestion + 1 >= n ? 0 : activeSuggestion + 1);
  } else if (e.key === "ArrowUp") {
    e.preventDefault();
    setActiveSuggestion(activeSuggestion <= 0 ? n - 1 : activeSuggestion - 1);
  } else if (e.key === "Enter" && activeSuggestion >= 0) {
    e.preventDefault();
    openSuggestion(activeSuggestion);
  } else if (e.key === "Escape") {
    e.preventDefault(); // keep the text (a search box clears itself on Escape)
    closeSuggestions();
  }
});

searchInput.addEventListener("blur", () => closeSuggestions());

// ---------------------------------------------------------------- start

searchForm.addEventListener("submit", (e) => {
  e.preventDefault();
  closeSuggestions();
  location.hash = shopHash({ search: searchInput.value.trim() });
});
window.addEventListener("hashchange", () => void render());
void refreshCartCount();
void render();
