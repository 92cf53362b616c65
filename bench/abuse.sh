#!/usr/bin/env bash
# bench/abuse.sh — the BFF as a hostile anonymous client sees it (issue 19's table), each row
# PASS/FAIL against its target. Run on purpose, not in CI; loopback only; bounded in time
# (ABUSE_MAX_SECS, default 1500). Many clients are played by binding 127.x.y.z source addresses.
#     bash bench/abuse.sh                   # release build, then ~8 minutes of rows
# Knobs: ABUSE_FLOOD_SECS (60), ABUSE_CACHE_MB (32), ABUSE_CART_READS (1000000),
# ABUSE_SILENT_CONNS (20000), ABUSE_PORT (18280; +1 store, +2 counting proxy, +3 metrics),
# ABUSE_SKIP_BUILD=1 to use the existing target/release binary (ABUSE_BIN another one), ABUSE_ROWS
# to play only some rows (their numbers, e.g. ABUSE_ROWS=4 for the unique-query floods),
# ABUSE_ERROR_PAUSE (0.01 s) a flooding connection's pause after a refused or closed connection.
# The engine is bench/abuse.py.
set -euo pipefail
MAX_SECS=${ABUSE_MAX_SECS:-1500}
if [[ -z "${ABUSE_UNDER_TIMEOUT:-}" ]]; then
    export ABUSE_UNDER_TIMEOUT=1
    exec timeout -k 15 "$MAX_SECS" bash "$0" "$@"
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export ABUSE_BIN=${ABUSE_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/storefront-bff}
if [[ "${ABUSE_SKIP_BUILD:-0}" != 1 ]]; then
    echo "== build (release)"
    cargo build --release --quiet --bin storefront-bff
fi
exec python3 bench/abuse.py
