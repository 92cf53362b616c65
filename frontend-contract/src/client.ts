/**
 * A small typed client for the storefront-bff API.
 *
 * - `createBrowserClient()` for pages: the session lives in an HttpOnly cookie
 *   the browser sends by itself; no token ever touches JavaScript.
 * - `createAppClient()` for Node, mobile and other clients without a cookie
 *   jar: it starts a session (`POST /api/v1/session`) and sends
 *   `Authorization: Bearer <token>` on every call.
 *
 * Every call goes through `call()`, which returns the typed body or throws an
 * `ApiError` carrying the API's `{error: {code, message, request_id, fields}}`.
 */
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema";

export type { components, operations, paths };
export type Schemas = components["schemas"];
export type Money = Schemas["Money"];
export type ProductSummary = Schemas["ProductSummary"];
export type ProductDetail = Schemas["ProductDetail"];
export type ProductAttribute = Schemas["ProductAttribute"];
export type Variation = Schemas["Variation"];
export type VariationRef = Schemas["VariationRef"];
export type Category = Schemas["Category"];
export type CartView = Schemas["CartView"];
export type CartLine = Schemas["CartLine"];
export type ShippingPackage = Schemas["ShippingPackage"];
export type Address = Schemas["Address"];
export type CheckoutBody = Schemas["CheckoutBody"];
export type CheckoutResult = Schemas["CheckoutResult"];
export type OrderView = Schemas["OrderView"];
export type ErrorDetail = Schemas["ErrorDetail"];
/** Every `code` an error body can carry: switch on it. */
export type ErrorCode = Schemas["ErrorCode"];
export type FieldError = Schemas["FieldError"];
export type ProductPage = Schemas["Page_ProductSummary"];
export type CustomerView = Schemas["CustomerView"];
export type SignInResult = Schemas["SignInResult"];
export type TokenPair = Schemas["TokenPair"];
export type OrderSummary = Schemas["OrderSummary"];
export type OrderDetail = Schemas["OrderDetail"];
/** Query parameters of `GET /api/v1/products`. */
export type ProductQuery = NonNullable<operations["list_products"]["parameters"]["query"]>;
export type SearchResults = Schemas["SearchResults"];
export type SearchHit = Schemas["SearchHit"];
export type Highlight = Schemas["Highlight"];
/** Query parameters of `GET /api/v1/search` (`q` is required). */
export type SearchQuery = operations["search"]["parameters"]["query"];

/** The openapi-fetch client typed with this API's paths. */
export type StorefrontClient = Client<paths>;

export interface Options {
  /** Where the BFF is, e.g. `http://127.0.0.1:8080`. Browser default: the page's own origin. */
  baseUrl?: string;
  /** A custom fetch (tests, instrumentation). */
  fetch?: ClientOptions["fetch"];
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

function defaultBaseUrl(): string {
  return typeof location !== "undefined" ? location.origin : "http://127.0.0.1:8080";
}

/**
 * For browsers. Sends the session cookie (`credentials: "include"`, which for
 * same-origin pages is the same as the default). A cross-origin page also
 * needs its origin in the server's `CORS_ORIGINS`.
 */
export function createBrowserClient(options: Options = {}): StorefrontClient {
  return createClient<paths>({
    baseUrl: options.baseUrl ?? defaultBaseUrl(),
    credentials: "include",
    headers: options.headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** A client that sends `Authorization: Bearer <token>` (no cookies). */
export function createBearerClient(token: string, options: Options = {}): StorefrontClient {
  return createClient<paths>({
    baseUrl: options.baseUrl ?? defaultBaseUrl(),
    credentials: "omit",
    headers: { ...options.headers, Authorization: `Bearer ${token}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

export interface AppSession {
  client: StorefrontClient;
  token: string;
  /** Seconds until the token expires (as the server said when it was issued). */
  expiresIn: number;
}

/**
 * For Node and apps: starts a session with `POST /api/v1/session` and returns
 * a client that sends its bearer token. Keep `token` to resume the same cart
 * later with `createBearerClient(token)`.
 */
export async function createAppClient(options: Options = {}): Promise<AppSession> {
  const anonymous = createClient<paths>({
    baseUrl: options.baseUrl ?? defaultBaseUrl(),
    credentials: "omit",
    headers: options.headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const session = await call(anonymous.POST("/api/v1/session"));
  return { client: createBearerClient(session.token, options), token: session.token, expiresIn: session.expires_in };
}

/** An error answer of the API (or a failure to reach it), ready to show. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** Stable machine-readable code, e.g. `coupon_rejected`, `rate_limited`. */
  readonly code: string;
  /** Quote this in bug reports (same as the `X-Request-Id` header). */
  readonly requestId: string | undefined;
  /** Which inputs were wrong, on validation errors. */
  readonly fields: FieldError[];
  /** From `Retry-After`, on 429 and 503. */
  readonly retryAfterSeconds: number | undefined;
  /** The full `error` object as sent (may carry extras, e.g. `cart` on `cart_changed`). */
  readonly detail: (ErrorDetail & Record<string, unknown>) | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    requestId?: string | undefined;
    fields?: FieldError[] | undefined;
    retryAfterSeconds?: number | undefined;
    detail?: (ErrorDetail & Record<string, unknown>) | undefined;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.fields = init.fields ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.detail = init.detail;
  }

  /** Builds the error from a non-2xx response and its (already parsed) body. */
  static fromResponse(response: Response, body: unknown): ApiError {
    const retry = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
    const retryAfterSeconds = Number.isFinite(retry) ? retry : undefined;
    const requestId = response.headers.get("x-request-id") ?? undefined;
    const detail = isErrorBody(body) ? body.error : undefined;
    if (detail) {
      return new ApiError({
        status: response.status,
        code: detail.code,
        message: detail.message,
        requestId: detail.request_id || requestId,
        fields: detail.fields ?? [],
        retryAfterSeconds,
        detail,
      });
    }
    // Not our error shape (e.g. a proxy's HTML page): never show the raw body.
    return new ApiError({
      status: response.status,
      code: `http_${response.status}`,
      message: `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}. Please try again.`,
      requestId,
      retryAfterSeconds,
    });
  }

  /** A failure to reach the server at all (offline, DNS, connection refused). */
  static network(cause: unknown): ApiError {
    const error = new ApiError({ status: 0, code: "network_error", message: "Could not reach the shop. Check your connection and try again." });
    (error as { cause?: unknown }).cause = cause;
    return error;
  }

  /** One readable sentence (plus field problems and a retry hint) for shoppers. */
  get userMessage(): string {
    let text = this.message;
    if (this.fields.length > 0) {
      text += ` (${this.fields.map((f) => `${f.field}: ${f.message}`).join("; ")})`;
    }
    if (this.retryAfterSeconds !== undefined && (this.status === 429 || this.status === 503)) {
      text += ` Try again in ${this.retryAfterSeconds} s.`;
    }
    return text;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

function isErrorBody(body: unknown): body is { error: ErrorDetail & Record<string, unknown> } {
  if (typeof body !== "object" || body === null || !("error" in body)) return false;
  const error = (body as { error: unknown }).error;
  return typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string" && typeof (error as { message?: unknown }).message === "string";
}

/**
 * Awaits an openapi-fetch call: the typed body on success, an `ApiError`
 * otherwise. Usage: `const cart = await call(api.GET("/api/v1/cart"));`
 */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (cause) {
    throw ApiError.network(cause);
  }
  if (!result.response.ok || result.error !== undefined) {
    throw ApiError.fromResponse(result.response, result.error);
  }
  return result.data as T;
}

/**
 * `GET /api/v1/search`: typo-tolerant, the last word matched as a prefix, best
 * first, with `highlight.name_html` (escaped HTML, `<mark>` around the matched
 * words). Throws an `ApiError`; `search_not_ready` (503) until the catalogue
 * index is built. Pass `signal` to cancel a request that typing has made stale.
 *
 *     const { items } = await search(api, { q: "hood", per_page: 5 });
 */
export function search(client: StorefrontClient, query: SearchQuery, init: { signal?: AbortSignal } = {}): Promise<SearchResults> {
  return call(client.GET("/api/v1/search", { params: { query }, ...(init.signal ? { signal: init.signal } : {}) }));
}

/**
 * Formats the API's money type, e.g. `{amount: 1999, currency: "USD", minor_unit: 2}`
 * → `$19.99` (in the given or the runtime's locale).
 */
export function formatMoney(money: Money, locale?: string): string {
  const value = money.amount / 10 ** money.minor_unit;
  try {
    return new Intl.NumberFormat(locale, {
      style: "currency",
      currency: money.currency,
      minimumFractionDigits: money.minor_unit,
      maximumFractionDigits: money.minor_unit,
    }).format(value);
  } catch {
    return `${value.toFixed(money.minor_unit)} ${money.currency}`;
  }
}

/** A fresh `Idempotency-Key` for one checkout attempt (reuse it for retries of that attempt). */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
