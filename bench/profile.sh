#!/usr/bin/env bash
# bench/profile.sh — instructions per cached catalogue read, BFF vs bare axum,
# counted with valgrind's callgrind: repeatable where wall-clock numbers on a
# shared machine are not (see bench/README.md, "Profiling a cache hit").
#
#     bash bench/profile.sh            # needs valgrind and wrk; loopback only
# Knobs: PROFILE_DURATION (4s of load under callgrind), PROFILE_CONNS (16),
# PROFILE_TOP (30 functions by self cost), PROFILE_BUILD (1: build first, with
# line tables so functions have names). Output in bench/out/callgrind.*.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=$ROOT/bench/out
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/storefront-bff
BARE=$TARGET/release/examples/bare_axum
D=${PROFILE_DURATION:-4s}
C=${PROFILE_CONNS:-16}
TOP=${PROFILE_TOP:-30}
PATHQ="/api/v1/products?per_page=24"
P_BFF=18180
P_BARE=18182
command -v valgrind >/dev/null && command -v wrk >/dev/null || { echo "needs valgrind and wrk (apt-get install valgrind wrk)" >&2; exit 1; }
if [[ "${PROFILE_BUILD:-1}" == 1 ]]; then
    CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release --bin storefront-bff --example bare_axum
fi
mkdir -p "$OUT"
rm -f "$OUT"/callgrind.*
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

up() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.3; done; echo "no answer from $1" >&2; exit 1; }

# measure NAME PORT PID : zero the counters after a warm-up, load, dump; prints Ir per request.
measure() {
    local name=$1 port=$2 pid=$3 n file ir
    up "http://127.0.0.1:$port$PATHQ"
    curl -s -o /dev/null "http://127.0.0.1:$port$PATHQ"
    taskset -c 1 wrk -t1 -c"$C" -d2s "http://127.0.0.1:$port$PATHQ" >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    n=$(taskset -c 1 wrk -t1 -c"$C" -d"$D" "http://127.0.0.1:$port$PATHQ" | awk '/requests in/{print $1}')
    callgrind_control -d "$pid" >/dev/null 2>&1
    sleep 0.5
    file=$(ls "$OUT"/callgrind."$name".*.1)
    ir=$(awk '/^summary:/{print $2; exit}' "$file")
    printf '%-5s %8d requests  %8s instructions/request  (%s)\n' "$name" "$n" "$(awk -v a="$ir" -v b="$n" 'BEGIN{printf "%.0f", a/b}')" "$file"
    python3 "$ROOT/bench/cgtop.py" "$file" "$n" "$TOP" >"$OUT/callgrind.$name.top.txt"
}

# The BFF in demo mode, pinned like bench/run.sh does.
env -i PATH="$PATH" HOME="${HOME:-/root}" RUST_LOG=warn LOG_FORMAT=text LISTEN_ADDR="127.0.0.1:$P_BFF" \
    taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.bff.%p" "$BIN" >"$OUT/callgrind.bff.log" 2>&1 &
PIDS+=($!)
measure bff "$P_BFF" "${PIDS[-1]}"
curl -s -o "$OUT/body.json" "http://127.0.0.1:$P_BFF$PATHQ"
taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.bare.%p" "$BARE" "$OUT/body.json" "127.0.0.1:$P_BARE" \
    >"$OUT/callgrind.bare.log" 2>&1 &
PIDS+=($!)
measure bare "$P_BARE" "${PIDS[-1]}"
echo "top functions by self cost: $OUT/callgrind.bff.top.txt, $OUT/callgrind.bare.top.txt"
