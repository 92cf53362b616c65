#!/usr/bin/env bash
# bench/index.sh — the catalogue index against issue 20's targets, each printed PASS/FAIL:
# the full walk of INDEX_PRODUCTS products (time, RSS after), INDEX_SECS of never-seen queries at
# saturation (requests per second), INDEX_LATENCY_SECS more below it (p99), the store calls of
# both, and a price change seen after its webhook.
# Run on purpose (not in CI), loopback only, bounded in time (INDEX_MAX_SECS, default 1200):
#     bash bench/index.sh                   # release build, then ~4 minutes
# Knobs: INDEX_PRODUCTS (100000), INDEX_SECS (60), INDEX_CONNS (32), INDEX_LATENCY_SECS (20),
# INDEX_LATENCY_CONNS (4), INDEX_PORT (18380; +1 store,
# +2 metrics), INDEX_SKIP_BUILD=1 to use the existing target/release binary (INDEX_BIN another).
# The engine is bench/index.py; wrk plays the client (bench/index.lua).
set -euo pipefail
MAX_SECS=${INDEX_MAX_SECS:-1200}
if [[ -z "${INDEX_UNDER_TIMEOUT:-}" ]]; then
    export INDEX_UNDER_TIMEOUT=1
    exec timeout -k 15 "$MAX_SECS" bash "$0" "$@"
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
export INDEX_BIN=${INDEX_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/storefront-bff}
if [[ "${INDEX_SKIP_BUILD:-0}" != 1 ]]; then
    echo "== build (release)"
    cargo build --release --quiet --bin storefront-bff
fi
exec python3 bench/index.py
