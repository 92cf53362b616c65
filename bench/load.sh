#!/usr/bin/env bash
# bench/load.sh — the BFF under sustained mixed load, then through a store outage.
# Run on purpose (not in CI), loopback only, bounded in time:
#     bash bench/load.sh            # about 3 minutes plus the release build
# Phase 1, demo mode: warms the cache, then for LOAD_DURATION runs wrk with LOAD_CONNS
#   connections over cached catalogue routes (bench/catalogue.lua: list pages and filters,
#   product details, categories, tags, attributes, facets) and, at the same time, a second wrk
#   doing cart writes (bench/cart.lua: one app session per connection, then add-item and
#   remove-line alternately).
#   Checks: no errors on the catalogue (non-2xx/3xx and socket errors: 0), no failed cart write,
#   and the BFF's RSS growing by less than the cache budget.
# Phase 2, outage (LOAD_OUTAGE_SECS; 0 skips it): the BFF in front of a standalone demo store
#   that is frozen (SIGSTOP) for the whole window under the same catalogue load. Checks: still
#   no catalogue errors and pages served STALE, cart calls 503 with Retry-After, and after the
#   store resumes the cart is still there.
# Knobs: LOAD_DURATION (60s), LOAD_CONNS (256), LOAD_THREADS (2), LOAD_CART_CONNS (4),
# LOAD_CACHE_MB (128), LOAD_OUTAGE_SECS (60), LOAD_MAX_SECS (900), LOAD_SKIP_BUILD (0),
# LOAD_PORT (18180; +1 and +2 for phase 2). Exit status non-zero when a check fails.
# Output: stdout, and bench/out/load-summary.txt plus the raw wrk output in bench/out/.
set -euo pipefail

MAX_SECS=${LOAD_MAX_SECS:-900}
if [[ -z "${LOAD_UNDER_TIMEOUT:-}" ]]; then
    export LOAD_UNDER_TIMEOUT=1
    exec timeout -k 15 "$MAX_SECS" bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=$ROOT/bench/out
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/storefront-bff
DURATION=${LOAD_DURATION:-60s}
CONNS=${LOAD_CONNS:-256}
THREADS=${LOAD_THREADS:-2}
CART_CONNS=${LOAD_CART_CONNS:-4}
CACHE_MB=${LOAD_CACHE_MB:-128}
OUTAGE_SECS=${LOAD_OUTAGE_SECS:-60}
PORT=${LOAD_PORT:-18180}
P_STORE=$((PORT + 1)) P_BFF2=$((PORT + 2))
TMP=$(mktemp -d /tmp/storefront-load.XXXXXX)
PIDS=()

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    set +e
    for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null; done
    sleep 1
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    if ((rc != 0)); then echo "load: logs kept in $TMP" >&2; else rm -rf "$TMP"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "load: interrupted" >&2; exit 130' INT TERM

log() { printf '\n== %s\n' "$*"; }
check() { # check NAME OK(0/1) DETAIL
    if [[ $2 == 1 ]]; then echo "PASS  $1 ($3)"; else echo "FAIL  $1 ($3)"; fi
}
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/{print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
wait_up() { # wait_up PID URL
    for _ in $(seq 1 300); do
        kill -0 "$1" 2>/dev/null || { tail -n 20 "$TMP"/*.log >&2; echo "load: process $1 died" >&2; exit 1; }
        curl -s -o /dev/null --max-time 2 "$2" && return 0
        sleep 0.2
    done
    echo "load: $2 did not come up" >&2
    exit 1
}
# wrk_field FILE: errors and latency of one wrk run as "non2xx socket p50 p99 rps".
wrk_field() {
    local f=$1
    local non2xx socket p50 p99 rps
    non2xx=$(awk '/Non-2xx or 3xx responses:/{print $NF}' "$f"); non2xx=${non2xx:-0}
    socket=$(awk -F'[ ,]+' '/Socket errors:/{print $5+$7+$9+$11}' "$f"); socket=${socket:-0}
    p50=$(awk '$1=="50%"{print $2}' "$f"); p99=$(awk '$1=="99%"{print $2}' "$f")
    rps=$(awk '/Requests\/sec:/{print $2}' "$f")
    echo "$non2xx $socket $p50 $p99 $rps"
}

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
mkdir -p "$OUT"
if [[ "${LOAD_SKIP_BUILD:-0}" != 1 ]]; then
    log "build (release)"
    cargo build --release --quiet --bin storefront-bff
fi

# paths BASE: the catalogue mix (every path once), written to $TMP/paths.txt; prints cart product ids.
paths() {
    python3 - "$1" "$TMP/paths.txt" <<'EOF'
import json, sys, urllib.request
base, out = sys.argv[1], sys.argv[2]
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=30))
products = get("/api/v1/products?per_page=100")["items"]
categories = [c["slug"] for c in get("/api/v1/categories")["items"]]
tags = [t["slug"] for t in get("/api/v1/tags")["items"]]
attributes = [a["id"] for a in get("/api/v1/attributes")["items"]]
paths = [f"/api/v1/products?per_page=24&page={n}" for n in range(1, 6)]
paths += ["/api/v1/products?per_page=24&orderby=price&order=asc", "/api/v1/products?on_sale=true", "/api/v1/products?stock_status=in_stock&per_page=48"]
paths += [f"/api/v1/products?per_page=12&category={c}" for c in categories]
paths += [f"/api/v1/products?per_page=12&tag={t}" for t in tags]
paths += [f"/api/v1/products/{p['id']}" for p in products[:40]] + [f"/api/v1/products/{p['slug']}" for p in products[40:50]]
paths += [f"/api/v1/products/{p['id']}/variations" for p in products if p["type"] == "variable"][:10]
paths += ["/api/v1/categories", "/api/v1/tags", "/api/v1/attributes", "/api/v1/facets"]
paths += [f"/api/v1/attributes/{a}/terms" for a in attributes] + [f"/api/v1/facets?category={c}" for c in categories[:5]]
open(out, "w").write("\n".join(paths) + "\n")
simple = [p["id"] for p in products if p["type"] == "simple" and p["purchasable"] and p["stock"]["status"] == "in_stock"]
print(",".join(map(str, simple[:10])))
EOF
}

# warm BASE: every path twice; prints how many answered HIT the second time.
warm() {
    local base=$1 hits=0 total=0 p
    while read -r p; do
        curl -s -o /dev/null "$base$p"
        total=$((total + 1))
        curl -s -D - -o /dev/null "$base$p" | grep -qi '^x-cache: HIT' && hits=$((hits + 1))
    done <"$TMP/paths.txt"
    echo "$hits/$total"
}

##### Phase 1: sustained mixed load, demo mode
log "phase 1: demo mode on 127.0.0.1:$PORT, CACHE_BUDGET_MB=$CACHE_MB"
env -u WOO_URL LISTEN_ADDR="127.0.0.1:$PORT" CACHE_BUDGET_MB="$CACHE_MB" RUST_LOG=warn CART_RATE_PER_MIN=1000000 \
    "$BIN" >"$TMP/bff.log" 2>&1 &
BFF=$!
PIDS+=("$BFF")
wait_up "$BFF" "http://127.0.0.1:$PORT/healthz"
RSS_START=$(rss_kib "$BFF")
CART_PRODUCTS=$(paths "http://127.0.0.1:$PORT")
WARMED=$(warm "http://127.0.0.1:$PORT")
RSS_WARM=$(rss_kib "$BFF")
echo "warmed $(wc -l <"$TMP/paths.txt") paths, second pass HIT: $WARMED; cart products: $CART_PRODUCTS"
# Rate limits are exercised by the test suite; here the cart path itself is measured.
echo "catalogue: wrk -t$THREADS -c$CONNS -d$DURATION --latency; cart: wrk -t$CART_CONNS -c$CART_CONNS (one session each)"
LOAD_PATHS="$TMP/paths.txt" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s --latency -s bench/catalogue.lua \
    "http://127.0.0.1:$PORT" >"$OUT/load-catalogue.txt" 2>&1 &
W1=$!
LOAD_CART_PRODUCTS="$CART_PRODUCTS" wrk -t"$CART_CONNS" -c"$CART_CONNS" -d"$DURATION" --timeout 5s --latency -s bench/cart.lua \
    "http://127.0.0.1:$PORT" >"$OUT/load-cart.txt" 2>&1 &
W2=$!
wait "$W1" "$W2"
RSS_END=$(rss_kib "$BFF")
HWM=$(hwm_kib "$BFF")
read -r C_NON C_SOCK C_P50 C_P99 C_RPS <<<"$(wrk_field "$OUT/load-catalogue.txt")"
read -r K_NON K_SOCK K_P50 K_P99 K_RPS <<<"$(wrk_field "$OUT/load-cart.txt")"
CART_STATUSES=$(grep '^cart statuses:' "$OUT/load-cart.txt" | cut -d: -f2- || true)
kill -TERM "$BFF"

{
    echo "phase 1 (demo mode, $DURATION)"
    echo "  catalogue: $C_RPS req/s, p50 $C_P50, p99 $C_P99, non-2xx/3xx $C_NON, socket errors $C_SOCK"
    echo "  cart:      $K_RPS req/s, p50 $K_P50, p99 $K_P99, non-2xx/3xx $K_NON, socket errors $K_SOCK; statuses:$CART_STATUSES"
    echo "  RSS: start $(mib "$RSS_START") MiB, after warm-up $(mib "$RSS_WARM") MiB, end $(mib "$RSS_END") MiB (peak $(mib "$HWM") MiB); cache budget $CACHE_MB MiB"
    check "catalogue errors" "$([[ $C_NON == 0 && $C_SOCK == 0 ]] && echo 1 || echo 0)" "non-2xx $C_NON, socket $C_SOCK"
    check "cart writes" "$([[ $K_NON == 0 && $K_SOCK == 0 ]] && echo 1 || echo 0)" "non-2xx $K_NON, socket $K_SOCK"
    GROWTH=$(((RSS_END - RSS_WARM) / 1024))
    check "RSS growth within the cache budget" "$( ((GROWTH <= CACHE_MB)) && echo 1 || echo 0)" "+$GROWTH MiB over the warm-up, budget $CACHE_MB MiB"
} | tee "$OUT/load-summary.txt"

##### Phase 2: outage under load
if ((OUTAGE_SECS > 0)); then
    log "phase 2: ${OUTAGE_SECS}s store outage (standalone demo store frozen with SIGSTOP) under the same load"
    "$BIN" demo-store --listen "127.0.0.1:$P_STORE" >"$TMP/store.log" 2>&1 &
    STORE=$!
    PIDS+=("$STORE")
    wait_up "$STORE" "http://127.0.0.1:$P_STORE/wp-json/wc/store/v1/products?per_page=1"
    CK=$(grep -o 'ck_[A-Za-z0-9]*' "$TMP/store.log" | head -n 1)
    CS=$(grep -o 'cs_[A-Za-z0-9]*' "$TMP/store.log" | head -n 1)
    WOO_URL="http://127.0.0.1:$P_STORE" WOO_CONSUMER_KEY="$CK" WOO_CONSUMER_SECRET="$CS" WOO_TIMEOUT_MS=1000 \
        SESSION_TOKEN_SECRET="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" LISTEN_ADDR="127.0.0.1:$P_BFF2" \
        CACHE_TTL_LIST_SECS=2 CACHE_TTL_PRODUCT_SECS=2 CACHE_TTL_TAXONOMY_SECS=2 CACHE_STALE_WINDOW_SECS=600 \
        CACHE_BUDGET_MB="$CACHE_MB" RECONCILE_INTERVAL_SECS=0 CART_RATE_PER_MIN=1000000 RUST_LOG=warn \
        "$BIN" >"$TMP/bff2.log" 2>&1 &
    BFF2=$!
    PIDS+=("$BFF2")
    BASE2="http://127.0.0.1:$P_BFF2"
    wait_up "$BFF2" "$BASE2/healthz"
    CART_PRODUCTS=$(paths "$BASE2")
    warm "$BASE2" >/dev/null
    TOKEN=$(curl -s -X POST "$BASE2/api/v1/session" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    ADD=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"product_id\":${CART_PRODUCTS%%,*},\"quantity\":2}" "$BASE2/api/v1/cart/items")
    sleep 3 # every cached page past its TTL
    kill -STOP "$STORE"
    LOAD_PATHS="$TMP/paths.txt" wrk -t"$THREADS" -c"$CONNS" -d"${OUTAGE_SECS}s" --timeout 5s --latency -s bench/catalogue.lua \
        "$BASE2" >"$OUT/load-outage.txt" 2>&1 &
    W3=$!
    STALE=0 PROBES=0 CART503=0 CARTPROBES=0
    END=$((SECONDS + OUTAGE_SECS - 3))
    while ((SECONDS < END)); do
        PROBES=$((PROBES + 1))
        curl -s -D - -o /dev/null --max-time 5 "$BASE2/api/v1/products?per_page=24&page=1" | grep -qi '^x-cache: STALE' && STALE=$((STALE + 1))
        CARTPROBES=$((CARTPROBES + 1))
        curl -s -D - -o /dev/null --max-time 5 -H "Authorization: Bearer $TOKEN" "$BASE2/api/v1/cart" >"$TMP/cart-head.txt" || true
        head -n 1 "$TMP/cart-head.txt" | grep -q ' 503' && grep -qi '^retry-after: [1-9]' "$TMP/cart-head.txt" && CART503=$((CART503 + 1))
        sleep 2
    done
    wait "$W3"
    kill -CONT "$STORE"
    sleep 1
    AFTER=$(curl -s --max-time 10 -H "Authorization: Bearer $TOKEN" "$BASE2/api/v1/cart" |
        python3 -c 'import json,sys; c=json.load(sys.stdin); print(sum(i["quantity"] for i in c["items"]))' 2>/dev/null || echo "?")
    read -r O_NON O_SOCK O_P50 O_P99 O_RPS <<<"$(wrk_field "$OUT/load-outage.txt")"
    {
        echo "phase 2 (store frozen ${OUTAGE_SECS}s, WOO_TIMEOUT_MS=1000, TTLs 2 s)"
        echo "  catalogue: $O_RPS req/s, p50 $O_P50, p99 $O_P99, non-2xx/3xx $O_NON, socket errors $O_SOCK"
        echo "  probes: $STALE/$PROBES list pages STALE, $CART503/$CARTPROBES cart reads 503 with Retry-After; cart after recovery: $AFTER items (added 2, answer $ADD)"
        check "catalogue errors during the outage" "$([[ $O_NON == 0 && $O_SOCK == 0 ]] && echo 1 || echo 0)" "non-2xx $O_NON, socket $O_SOCK"
        check "cached pages STALE" "$([[ $PROBES -gt 0 && $STALE == "$PROBES" ]] && echo 1 || echo 0)" "$STALE/$PROBES"
        check "cart 503 with Retry-After" "$([[ $CARTPROBES -gt 0 && $CART503 == "$CARTPROBES" ]] && echo 1 || echo 0)" "$CART503/$CARTPROBES"
        check "cart intact after recovery" "$([[ $AFTER == 2 ]] && echo 1 || echo 0)" "$AFTER items"
    } | tee -a "$OUT/load-summary.txt"
fi

grep -q '^FAIL' "$OUT/load-summary.txt" && exit 1
exit 0
