"""Schemathesis hooks for scripts/schemathesis.sh: credentials for the BFF's
authenticated operations, so fuzzed requests get past authentication and
exercise the handlers behind it.

- Shopper routes (cart, checkout): a cookie session (as a browser holds it,
  writes sent with our own ``Origin`` as browsers do, see src/csrf.rs) and an
  app bearer token from ``POST /api/v1/session``, alternately, so both ways
  in are fuzzed.
- Partner routes: a bearer token from ``POST /api/v1/partner/token`` (client
  credentials from the registry the script wrote).
- Webhook deliveries: most are signed with WEBHOOK_SECRET (``before_call``),
  so fuzzed bodies reach the parser; the rest test the 401.
- Customer routes (/api/v1/me*): a signed-in customer's access token, see
  ``customer_bearer_token``.

Environment (set by the script): BFF_BASE_URL, PARTNER_CLIENT_ID,
PARTNER_CLIENT_SECRET, WEBHOOK_SECRET, FUZZ_CART_PRODUCTS, BFF_CUSTOMER_EMAIL and
BFF_CUSTOMER_PASSWORD.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import threading
import uuid

import requests
import schemathesis

BASE = os.environ["BFF_BASE_URL"].rstrip("/")
SESSION_COOKIE = "sfbff_session"
CUSTOMER_LOGIN_PATH = "/api/v1/auth/login"

# Simple products every fuzzing session starts with in its cart (their line keys are in the config).
CART_PRODUCTS = [int(p) for p in os.environ.get("FUZZ_CART_PRODUCTS", "").split(",") if p]

_lock = threading.Lock()
_cache: dict[str, object] = {}


def _cached(name: str, fetch):
    """One credential of each kind for the whole run (re-fetched after `forget`)."""
    with _lock:
        if name not in _cache:
            _cache[name] = fetch()
        return _cache[name]


def forget(name: str) -> None:
    with _lock:
        _cache.pop(name, None)


def _schema_paths() -> set[str]:
    def fetch():
        r = requests.get(f"{BASE}/openapi.json", timeout=10)
        r.raise_for_status()
        return set(r.json()["paths"])

    return _cached("schema_paths", fetch)


def _fill_cart(session: requests.Session, headers: dict[str, str]) -> list[str]:
    """Puts the products of CART_PRODUCTS in the cart; returns their line keys."""
    keys = []
    for product_id in CART_PRODUCTS:
        r = session.post(f"{BASE}/api/v1/cart/items", json={"product_id": product_id, "quantity": 1}, headers=headers, timeout=30)
        if r.status_code != 201:
            raise RuntimeError(f"adding product {product_id} answered {r.status_code}: {r.text[:200]}")
        keys += [item["key"] for item in r.json()["items"] if item["key"] not in keys]
    return keys


def _cookie_session() -> str:
    """A browser session with a filled cart: the cookie the first cart write sets (a read of
    an empty cart creates no session)."""
    with requests.Session() as session:
        _fill_cart(session, {"Origin": BASE})
        cookie = session.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise RuntimeError(f"the first cart write set no {SESSION_COOKIE} cookie")
        return cookie


def _app_token() -> str:
    """An app session with a filled cart."""
    r = requests.post(f"{BASE}/api/v1/session", timeout=30)
    if r.status_code != 201:
        raise RuntimeError(f"POST /api/v1/session answered {r.status_code}: {r.text[:200]}")
    token = r.json()["token"]
    with requests.Session() as session:
        _fill_cart(session, {"Authorization": f"Bearer {token}"})
    return token


def _partner_token() -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": os.environ["PARTNER_CLIENT_ID"],
        "client_secret": os.environ["PARTNER_CLIENT_SECRET"],
    }
    r = requests.post(f"{BASE}/api/v1/partner/token", data=form, timeout=30)
    if r.status_code != 200:
        raise RuntimeError(f"POST /api/v1/partner/token answered {r.status_code}: {r.text[:200]}")
    return r.json()["access_token"]


def customer_bearer_token() -> str:
    """A signed-in customer's access token, for the /api/v1/me* routes.

    Apps sign in with their guest session's bearer token and get a token pair
    back (see README "Customer accounts"). The customer is the demo store's
    seeded one (BFF_CUSTOMER_EMAIL / BFF_CUSTOMER_PASSWORD, set by the
    script). A refused login fails the run: customer routes are never fuzzed
    unauthenticated by accident.
    """

    def login():
        email = os.environ["BFF_CUSTOMER_EMAIL"]
        password = os.environ["BFF_CUSTOMER_PASSWORD"]
        guest = _app_token()
        r = requests.post(
            f"{BASE}{CUSTOMER_LOGIN_PATH}",
            json={"email_or_username": email, "password": password},
            headers={"Authorization": f"Bearer {guest}"},
            timeout=30,
        )
        if r.status_code != 200:
            raise RuntimeError(f"customer login answered {r.status_code}: {r.text[:200]}")
        token = (r.json().get("tokens") or {}).get("access_token")
        if not token:
            raise RuntimeError("customer login answered no access token")
        return token

    return _cached("customer", login)


def _with_header(case, name: str, value: str) -> None:
    headers = dict(case.headers or {})
    headers[name] = value
    case.headers = headers


@schemathesis.auth(refresh_interval=None).apply_to(path_regex=r"^/api/v1/(cart|checkout)")
class ShopperAuth:
    """Cookie session and app bearer token, alternately (deterministic order)."""

    def __init__(self) -> None:
        self._turn = itertools.count()

    def get(self, case, context):
        if next(self._turn) % 2 == 0:
            return ("cookie", _cached("cookie", _cookie_session))
        return ("bearer", _cached("bearer", _app_token))

    def set(self, case, data, context):
        kind, value = data
        if kind == "cookie":
            cookies = dict(case.cookies or {})
            cookies[SESSION_COOKIE] = value
            case.cookies = cookies
            # Browsers send their Origin on writes; ours is the allowed one.
            _with_header(case, "Origin", BASE)
        else:
            _with_header(case, "Authorization", f"Bearer {value}")


@schemathesis.auth(refresh_interval=None).apply_to(path_regex=r"^/api/v1/partner/(?!token$)")
class PartnerAuth:
    def get(self, case, context):
        return _cached("partner", _partner_token)

    def set(self, case, data, context):
        _with_header(case, "Authorization", f"Bearer {data}")


@schemathesis.auth(refresh_interval=None).apply_to(path_regex=r"^/api/v1/me(/|$)")
class CustomerAuth:
    """Customer routes. (Sign-out, sign-in and register are fuzzed without a
    session: the cached customer must not be signed out mid-run.)"""

    def get(self, case, context):
        return customer_bearer_token()

    def set(self, case, data, context):
        _with_header(case, "Authorization", f"Bearer {data}")


_webhook_turn = itertools.count()


@schemathesis.hook
def before_call(context, case, kwargs):
    """Signs three in four webhook deliveries as WooCommerce does (base64 HMAC-SHA256 of the body)."""
    secret = os.environ.get("WEBHOOK_SECRET")
    if case.operation.path != "/webhooks/woocommerce" or not secret:
        return
    if not isinstance(case.body, (str, bytes)) or next(_webhook_turn) % 4 == 3:
        return
    raw = case.body.encode("utf-8") if isinstance(case.body, str) else case.body
    signature = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    _with_header(case, "X-WC-Webhook-Signature", signature)


GUEST_EMAIL = "fuzz.guest@example.test"


def _guest_order(session: requests.Session, headers: dict[str, str]) -> dict:
    """Checks out the (filled) cart of `session` as a guest; returns the checkout answer."""
    billing = {"first_name": "Fuzz", "last_name": "Guest", "address_1": "1 Main St", "city": "Austin", "state": "TX",
               "postcode": "73301", "country": "US", "email": GUEST_EMAIL, "phone": "+1 512 555 0100"}
    r = session.put(f"{BASE}/api/v1/cart/addresses", json={"billing": billing}, headers=headers, timeout=30)
    r.raise_for_status()
    r = session.post(f"{BASE}/api/v1/checkout", json={"payment_method": "cod"}, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, timeout=30)
    if r.status_code != 201:
        raise RuntimeError(f"guest checkout answered {r.status_code}: {r.text[:200]}")
    return r.json()


def write_config(path: str) -> None:
    """Writes a schemathesis config whose dictionaries hold real ids, slugs, SKUs and cart line
    keys of the running demo store, so half the generated ids reach the handlers' success paths
    (and their response schemas) instead of stopping at 404. Prints FUZZ_CART_PRODUCTS=...
    """
    products = requests.get(f"{BASE}/api/v1/products", params={"per_page": 100}, timeout=60).json()["items"]
    simple = [p for p in products if p["type"] == "simple" and p["purchasable"] and p["stock"]["status"] == "in_stock"]
    variable = [p["id"] for p in products if p["type"] == "variable"][:4]
    attributes = [a["id"] for a in requests.get(f"{BASE}/api/v1/attributes", timeout=30).json()["items"]]
    categories = [c["slug"] for c in requests.get(f"{BASE}/api/v1/categories", timeout=30).json()["items"]][:6]
    tags = [t["slug"] for t in requests.get(f"{BASE}/api/v1/tags", timeout=30).json()["items"]][:6]
    cart_products = [p["id"] for p in simple[:2]]
    global CART_PRODUCTS
    CART_PRODUCTS = cart_products
    with requests.Session() as scratch:
        token = scratch.post(f"{BASE}/api/v1/session", timeout=30).json()["token"]
        line_keys = _fill_cart(scratch, {"Authorization": f"Bearer {token}"})
        order = _guest_order(scratch, {"Authorization": f"Bearer {token}"})
        # An order of the signed-in customer, so /me/orders/{id} reaches its 200.
        customer = {"Authorization": f"Bearer {customer_bearer_token()}"}
        _fill_cart(scratch, customer)
        mine = _guest_order(scratch, customer)
    dictionaries = {
        # `{id}` of /products/{id} is a string (an id or a slug).
        "product_refs": [str(p["id"]) for p in products[:6]] + [p["slug"] for p in products[:4]],
        "product_ids": [p["id"] for p in products[:6]] + variable,
        "variable_ids": variable,
        "attribute_ids": attributes,
        "cart_product_ids": [p["id"] for p in simple[:6]],
        "skus": [p["sku"] for p in products[:8] if p["sku"]],
        "slugs": [p["slug"] for p in simple[:4]],
        "line_keys": line_keys,
        "coupons": ["save10"],
        "categories": categories,
        "tags": tags or ["none"],
        "order_ids": [order["order_id"]],
        "order_keys": [order["order_key"]],
        "order_emails": [GUEST_EMAIL],
        "my_order_ids": [mine["order_id"]],
        "rate_ids": ["flat_rate:1", "local_pickup:3", "free_shipping:2"],
        "package_ids": [0],
        "payment_methods": ["cod", "bacs"],
        # Fresh keys mostly; a reused one with another body tests idempotency_key_reused.
        "idempotency_keys": [str(uuid.UUID(int=n + 1)) for n in range(40)],
        "po_numbers": ["PO-1", "PO-2"],
        "topics": ["product.created", "product.updated", "product.deleted", "product.restored", "order.updated", "coupon.updated"],
    }
    bindings = {
        "GET /api/v1/products": {"query.category": "categories", "query.tag": "tags"},
        "GET /api/v1/facets": {"query.category": "categories"},
        "GET /api/v1/products/{id}": {"path.id": "product_refs"},
        "GET /api/v1/products/{id}/variations": {"path.id": "variable_ids"},
        "GET /api/v1/products/{id}/reviews": {"path.id": "product_ids"},
        "GET /api/v1/attributes/{id}/terms": {"path.id": "attribute_ids"},
        "GET /api/v1/partner/products/{id}": {"path.id": "product_refs"},
        "POST /api/v1/partner/stock": {"body.skus[*]": "skus"},
        "POST /api/v1/cart/items": {"body.product_id": "cart_product_ids", "body.sku": "skus", "body.slug": "slugs"},
        "PATCH /api/v1/cart/items/{key}": {"path.key": "line_keys"},
        "DELETE /api/v1/cart/items/{key}": {"path.key": "line_keys"},
        "POST /api/v1/cart/coupons": {"body.code": "coupons"},
        "DELETE /api/v1/cart/coupons/{code}": {"path.code": "coupons"},
        "GET /api/v1/orders/{id}": {"path.id": "order_ids", "query.key": "order_keys", "query.email": "order_emails"},
        "GET /api/v1/me/orders/{id}": {"path.id": "my_order_ids"},
        "PUT /api/v1/cart/shipping-rate": {"body.rate_id": "rate_ids", "body.package_id": "package_ids"},
        "POST /api/v1/checkout": {"header.Idempotency-Key": "idempotency_keys", "body.payment_method": "payment_methods"},
        "POST /api/v1/partner/orders": {
            "header.Idempotency-Key": "idempotency_keys",
            "body.lines[*].sku": "skus",
            "body.po_number": "po_numbers",
        },
        "POST /webhooks/woocommerce": {"header.X-WC-Webhook-Topic": "topics"},
    }
    # No state carried between runs: the same seed gives the same run.
    lines = ["[cache]", "enabled = false", ""]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    for operation, params in bindings.items():
        inline = ", ".join(f'"{k}" = {{ dictionary = "{v}", probability = 0.5 }}' for k, v in params.items())
        lines += ["[[operations]]", f'include-name = "{operation}"', f"parameters = {{ {inline} }}", ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"FUZZ_CART_PRODUCTS={','.join(map(str, cart_products))}")


if __name__ == "__main__":
    import sys

    write_config(sys.argv[1])
