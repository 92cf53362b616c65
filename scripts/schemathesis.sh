#!/usr/bin/env bash
# Schema fuzzing: schemathesis (pinned, in a venv under target/) runs every
# operation of the BFF's /openapi.json against a BFF in demo mode (embedded
# demo store, a throwaway partner registry), with a fixed example budget and
# seed. Checks: no 5xx, responses match their schemas, statuses and content
# types are documented. Credentials come from scripts/schemathesis_hooks.py.
# Exits non-zero on any failure; reports and the BFF log land in
# target/schemathesis/.
#
#   SCHEMATHESIS_MAX_EXAMPLES  examples per operation and phase (default 100, about 80 s)
#   SCHEMATHESIS_SEED          seed (default 8; same seed, same inputs)
#   BFF_BIN                    a prebuilt binary (default: cargo build, debug)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
VENV="${SCHEMATHESIS_VENV:-target/schemathesis-venv}"
OUT=target/schemathesis
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-100}"
SEED="${SCHEMATHESIS_SEED:-8}"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | grep -o '[0-9][0-9.]*$')" != "$VERSION" ]; then
  step "schemathesis $VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

if [ -z "${BFF_BIN:-}" ]; then
  step "build the BFF (debug)"
  cargo build --quiet --bin storefront-bff
  BFF_BIN=target/debug/storefront-bff
fi

rm -rf "$OUT" && mkdir -p "$OUT"

# The demo store's seeded customer (user 2), for the customer routes and as the partner's customer.
export BFF_CUSTOMER_EMAIL=shopper@example.test BFF_CUSTOMER_PASSWORD=shopper-demo-pass

# A throwaway partner with every scope and a limit the fuzzer cannot reach.
export PARTNER_CLIENT_ID=fuzz-client
PARTNER_CLIENT_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export PARTNER_CLIENT_SECRET
WEBHOOK_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
export WEBHOOK_SECRET
hash="$(printf '%s' "$PARTNER_CLIENT_SECRET" | "$BFF_BIN" partner hash-secret)"
cat >"$OUT/partners.toml" <<EOF
[[partner]]
id = "fuzz"
name = "Schemathesis"
client_id = "$PARTNER_CLIENT_ID"
client_secret_hash = "$hash"
scopes = ["catalog:read", "stock:read", "orders:read", "orders:write"]
customer_id = 2
rate_limit_per_minute = 100000

[partner.prices]
default_discount_percent = 5
EOF
"$BFF_BIN" partner check "$OUT/partners.toml"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export BFF_BASE_URL="http://127.0.0.1:$port"
step "BFF in demo mode on $BFF_BASE_URL"
# Rate limits and the sign-in guard out of reach: the fuzzer is one client sending
# thousands of writes and wrong passwords (429 itself stays documented and is
# checked by the integration tests).
env -u WOO_URL LISTEN_ADDR="127.0.0.1:$port" PARTNERS_FILE="$OUT/partners.toml" DEMO_PRODUCTS=60 WEBHOOK_SECRET="$WEBHOOK_SECRET" \
  CART_RATE_PER_MIN=1000000 CHECKOUT_RATE_PER_MIN=1000000 SESSION_RATE_PER_MIN=1000000 MISS_RATE_PER_MIN=0 LOGIN_MAX_FAILURES=1000 \
  LOG_FORMAT=json RUST_LOG=info \
  "$BFF_BIN" >"$OUT/bff.log" 2>&1 &
bff=$!
trap 'kill "$bff" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$BFF_BASE_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$bff" 2>/dev/null || { cat "$OUT/bff.log"; echo "error: the BFF did not start" >&2; exit 1; }
  sleep 0.2
done

step "test data: real ids, slugs, SKUs and cart line keys of the demo store"
eval "$("$VENV/bin/python" scripts/schemathesis_hooks.py "$OUT/schemathesis.toml")"
export FUZZ_CART_PRODUCTS

step "schemathesis run (max $MAX_EXAMPLES examples per operation, seed $SEED)"
status=0
SCHEMATHESIS_HOOKS=scripts/schemathesis_hooks.py "$VENV/bin/schemathesis" --config-file "$OUT/schemathesis.toml" \
  run "$BFF_BASE_URL/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 2 \
  --phases examples,coverage,fuzzing --request-timeout 20 --no-color \
  --report junit,ndjson --report-dir "$OUT" || status=$?

step "the BFF log: no panics"
if grep -n '"panic\|panicked at' "$OUT/bff.log"; then
  echo "error: the BFF panicked (see $OUT/bff.log)" >&2
  status=1
fi
kill -0 "$bff" 2>/dev/null || { echo "error: the BFF died during the run" >&2; status=1; }

echo "schemathesis: $(( $(date +%s) - started ))s, exit $status (reports in $OUT/)"
exit "$status"
