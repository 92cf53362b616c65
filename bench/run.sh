#!/usr/bin/env bash
# bench/run.sh — catalogue throughput, miss coalescing and memory of storefront-bff.
#
# Run on purpose (not in CI), as root on a 2-core Linux box, loopback only:
#     bash bench/run.sh
# Knobs (environment): BENCH_ROUNDS (3), BENCH_DURATION (10s), BENCH_CONNS (64), BENCH_THREADS (1),
# BENCH_WARMUP (3s), BENCH_BURST (256), BENCH_RSS_PRODUCTS (100000),
# BENCH_WARM_LISTS ("100:1000 24:500" = per_page:pages), BENCH_WARM_DETAILS (3000),
# BENCH_SERVER_CORE (0), BENCH_LOAD_CORE (1), BENCH_MAX_SECS (900, hard limit),
# BENCH_SKIP_BUILD (0), BENCH_SKIP_RSS (0), BENCH_KEEP_TMP (0).
# Output: a table on stdout, bench/out/summary.txt, raw wrk output in bench/out/.
set -euo pipefail

MAX_SECS=${BENCH_MAX_SECS:-900}
# Bounded in time: re-run under `timeout`; on expiry the EXIT trap cleans up.
if [[ -z "${BENCH_UNDER_TIMEOUT:-}" ]]; then
    export BENCH_UNDER_TIMEOUT=1
    exec timeout -k 15 "$MAX_SECS" bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=$ROOT/bench/out
HELPER=$ROOT/bench/helper.py
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/storefront-bff
BARE=$TARGET/release/examples/bare_axum

DURATION=${BENCH_DURATION:-10s}
# Rounds of the four throughput runs, interleaved: each round's ratios come from
# runs seconds apart, and the verdict takes the median round, so one burst of
# other load on this shared machine cannot decide it.
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-64}
THREADS=${BENCH_THREADS:-1}
WARMUP=${BENCH_WARMUP:-3s}
BURST=${BENCH_BURST:-256}
RSS_PRODUCTS=${BENCH_RSS_PRODUCTS:-100000}
WARM_LISTS=${BENCH_WARM_LISTS:-100:1000 24:500}
WARM_DETAILS=${BENCH_WARM_DETAILS:-3000}
SC=${BENCH_SERVER_CORE:-0}   # core for the server under test
LC=${BENCH_LOAD_CORE:-1}     # core for wrk and helpers

P_BFF=18080        # BFF, demo mode (embedded store, 240 products)
P_STORE=18881      # standalone demo store (nginx upstream; coalescing upstream)
P_BARE=18082       # bare axum, same bytes as the BFF
P_NGINX=18083      # nginx proxy_cache -> demo store (upstream bytes)
P_NGINX_SAME=18087 # nginx proxy_cache -> bare axum (BFF bytes; informational)
P_BFF_COAL=18084   # BFF, WOO_URL -> counting proxy -> demo store
P_PROXY=18085      # counting proxy
P_BFF_RSS=18090    # BFF, demo mode with RSS_PRODUCTS products
P_STORE_RSS=18891  # standalone demo store with RSS_PRODUCTS products
P_BFF_RSS2=18092   # BFF, WOO_URL -> that store

LIST_PATH="/api/v1/products?per_page=24"
STORE_PATH="/wp-json/wc/store/v1/products?per_page=24"
COLD_PATH="/api/v1/products?per_page=37&page=2"

TMP=$(mktemp -d /tmp/storefront-bench.XXXXXX)
PIDS=()
declare -A NAME_OF=()

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        local alive=0
        for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [[ $alive == 0 ]] && break
        sleep 0.3
    done
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    if [[ "${BENCH_KEEP_TMP:-0}" == 1 || $rc != 0 ]]; then
        echo "bench: logs kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

log() { printf '\n== %s\n' "$*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

# start NAME CMD... : runs CMD in the background, logs to $TMP/NAME.log, sets LAST_PID.
start() {
    local name=$1; shift
    "$@" >"$TMP/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
    NAME_OF[$LAST_PID]=$name
}

# wait_up PID URL SECS : until URL answers anything over HTTP.
wait_up() {
    local pid=$1 url=$2 secs=$3 i
    for ((i = 0; i < secs * 5; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$TMP/${NAME_OF[$pid]}.log" >&2 || true
            die "${NAME_OF[$pid]} exited before answering $url"
        fi
        curl -s -o /dev/null --max-time 2 "$url" && return 0
        sleep 0.2
    done
    tail -n 20 "$TMP/${NAME_OF[$pid]}.log" >&2 || true
    die "${NAME_OF[$pid]} did not answer $url within ${secs}s"
}

stop() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/{print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }

# demo_keys LOGFILE : sets CK/CS from the key a standalone demo store printed.
demo_keys() {
    CK=$(grep -o 'ck_[A-Za-z0-9]*' "$1" | head -n 1 || true)
    CS=$(grep -o 'cs_[A-Za-z0-9]*' "$1" | head -n 1 || true)
    if [[ -z "$CK" || -z "$CS" ]]; then
        echo "bench: warning: no ck_/cs_ key found in $1; using placeholders (catalogue reads use the public Store API)" >&2
        CK=ck_bench_placeholder CS=cs_bench_placeholder
    fi
}

# Converts wrk's latency ("812.00us", "1.23ms", "1.02s") to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN{
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v/1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.2f", v*60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v*1000 }
        else printf "?" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else printf "n/a" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a+0 >= b+0) }'; }
verdict() { if ge "$1" "$2"; then echo PASS; else echo MISS; fi; }

# ---------------------------------------------------------------- 1. tools and builds
log "1. tools and builds"
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx)
command -v curl >/dev/null || need+=(curl)
command -v taskset >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
    echo "installing: ${need[*]}" >&2
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
fi
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release
    cargo build --release --example bare_axum
fi
[[ -x "$BIN" && -x "$BARE" ]] || die "missing $BIN or $BARE (build failed?)"
CORES=$(nproc)
((CORES >= 2)) || echo "bench: warning: $CORES core(s); server and wrk will share a core" >&2
for p in $P_BFF $P_STORE $P_BARE $P_NGINX $P_NGINX_SAME $P_BFF_COAL $P_PROXY $P_BFF_RSS $P_STORE_RSS $P_BFF_RSS2; do
    port_free "$p" || die "port 127.0.0.1:$p is in use"
done
mkdir -p "$OUT"

# ---------------------------------------------------------------- 2. servers
log "2. BFF (demo mode) on :$P_BFF, standalone demo store on :$P_STORE"
# Clean environment for every BFF: no stray store or config settings.
# (env -i: no WOO_*, BFF_CONFIG, CACHE_* or other setting leaks in from the caller.)
# SESSION_TOKEN_SECRET is required with WOO_URL: a throwaway one per run.
SESSION_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
BFF_ENV=(env -i PATH="$PATH" HOME="${HOME:-/root}" RUST_LOG=warn LOG_FORMAT=text)
BFF_REMOTE_ENV=("${BFF_ENV[@]}" SESSION_TOKEN_SECRET="$SESSION_SECRET")

start store taskset -c "$LC" env RUST_LOG=info "$BIN" demo-store --listen "127.0.0.1:$P_STORE"
STORE_PID=$LAST_PID
start bff "${BFF_ENV[@]}" LISTEN_ADDR="127.0.0.1:$P_BFF" METRICS_LISTEN="127.0.0.1:$((P_BFF + 1000))" taskset -c "$SC" "$BIN"
BFF_PID=$LAST_PID
wait_up "$STORE_PID" "http://127.0.0.1:$P_STORE$STORE_PATH" 60
wait_up "$BFF_PID" "http://127.0.0.1:$P_BFF/healthz" 60
demo_keys "$TMP/store.log"

# ---------------------------------------------------------------- 3. the BFF's bytes
log "3. response bytes of GET $LIST_PATH"
BODY=$TMP/bff_body.json
xcache=
for _ in 1 2 3; do
    code=$(curl -s --max-time 10 -D "$TMP/bff_headers.txt" -o "$BODY" -w '%{http_code}' "http://127.0.0.1:$P_BFF$LIST_PATH" || true)
    xcache=$(awk -F': *' 'tolower($1)=="x-cache"{gsub(/\r/,"",$2); print $2}' "$TMP/bff_headers.txt")
    [[ "$code" == 200 && "$xcache" == HIT ]] && break
    sleep 0.3
done
[[ "$code" == 200 ]] || { head -c 400 "$BODY" >&2; die "BFF answered $code for $LIST_PATH"; }
[[ "$xcache" == HIT ]] || echo "bench: warning: BFF X-Cache is '$xcache', not HIT" >&2
grep -q '"items"' "$BODY" || die "BFF body has no items: $(head -c 200 "$BODY")"
BFF_BYTES=$(stat -c %s "$BODY")
echo "BFF body: $BFF_BYTES bytes, X-Cache: $xcache" >&2

# ---------------------------------------------------------------- 4. nginx and bare axum
log "4. bare axum on :$P_BARE, nginx proxy_cache on :$P_NGINX (demo store) and :$P_NGINX_SAME (bare axum)"
start bare taskset -c "$SC" "$BARE" "$BODY" "127.0.0.1:$P_BARE"
BARE_PID=$LAST_PID
wait_up "$BARE_PID" "http://127.0.0.1:$P_BARE/" 30

NG=$TMP/nginx
mkdir -p "$NG/cache" "$NG/tmp"
AFFINITY="1$(printf '%*s' "$SC" '' | tr ' ' 0)"
cat >"$NG/nginx.conf" <<EOF
user root;
worker_processes 1;
worker_cpu_affinity $AFFINITY;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;   # like the axum servers: never close a busy keep-alive connection
    keepalive_timeout 75s;
    client_body_temp_path $NG/tmp/client;
    proxy_temp_path $NG/tmp/proxy;
    fastcgi_temp_path $NG/tmp/fastcgi;
    uwsgi_temp_path $NG/tmp/uwsgi;
    scgi_temp_path $NG/tmp/scgi;
    proxy_cache_path $NG/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=60m use_temp_path=off;

    upstream demo_store { server 127.0.0.1:$P_STORE; keepalive 8; }
    upstream bare_axum  { server 127.0.0.1:$P_BARE;  keepalive 8; }

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_cache bench;
    proxy_cache_key \$scheme\$proxy_host\$request_uri;
    proxy_cache_valid 200 10m;
    proxy_cache_lock on;
    proxy_ignore_headers Cache-Control Expires Set-Cookie Vary X-Accel-Expires X-Accel-Limit-Rate X-Accel-Buffering;
    add_header X-Cache-Status \$upstream_cache_status always;

    server { listen 127.0.0.1:$P_NGINX;      location / { proxy_pass http://demo_store; } }
    server { listen 127.0.0.1:$P_NGINX_SAME; location / { proxy_pass http://bare_axum; } }
}
EOF
nginx -t -p "$NG" -e "$NG/error.log" -c "$NG/nginx.conf" >"$TMP/nginx-t.log" 2>&1 || { cat "$TMP/nginx-t.log" >&2; die "nginx config test failed"; }
start nginx taskset -c "$SC" nginx -p "$NG" -e "$NG/error.log" -c "$NG/nginx.conf" -g 'daemon off;'
NGINX_PID=$LAST_PID
wait_up "$NGINX_PID" "http://127.0.0.1:$P_NGINX/healthz-does-not-exist" 30

# nginx_warm PORT PATH FILE : fetch until X-Cache-Status is HIT; body to FILE.
nginx_warm() {
    local port=$1 path=$2 file=$3 st= c=
    for _ in 1 2 3 4; do
        c=$(curl -s --max-time 10 -D "$file.headers" -o "$file" -w '%{http_code}' "http://127.0.0.1:$port$path" || true)
        st=$(awk -F': *' 'tolower($1)=="x-cache-status"{gsub(/\r/,"",$2); print $2}' "$file.headers")
        [[ "$c" == 200 && "$st" == HIT ]] && return 0
        sleep 0.3
    done
    die "nginx :$port$path is not a cache HIT (status $c, X-Cache-Status '$st'); see $NG/error.log"
}
nginx_warm "$P_NGINX" "$STORE_PATH" "$TMP/nginx_body.json"
nginx_warm "$P_NGINX_SAME" "$LIST_PATH" "$TMP/nginx_same_body.json"
NGINX_BYTES=$(stat -c %s "$TMP/nginx_body.json")
NGINX_ITEMS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$TMP/nginx_body.json" 2>/dev/null || echo "?")
BFF_ITEMS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$BODY" 2>/dev/null || echo "?")
cmp -s "$BODY" "$TMP/nginx_same_body.json" || die "nginx (same bytes) does not serve the BFF's bytes"
echo "bodies: BFF $BFF_BYTES bytes ($BFF_ITEMS items); nginx/demo store $NGINX_BYTES bytes ($NGINX_ITEMS products)" >&2

# ---------------------------------------------------------------- 5. throughput
log "5. $ROUNDS rounds of wrk -t$THREADS -c$CONNS -d$DURATION --latency (after $WARMUP warm-up each); server on core $SC, wrk on core $LC"
declare -A RPS=() P99=() NOTE=() CPU=() USR=()
# CPU time (clock ticks, user+system) of a process and its direct children (nginx's worker).
ticks() {
    local sum=0 p v
    for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
        v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12+$13}' || true)
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}
HZ=$(getconf CLK_TCK)
# bench NAME URL PID : warm-up, measured run, parse; also the server's own CPU use during the run
# (CPU%: near 100 means the server was the bottleneck; much lower means wrk or the machine was).
bench() {
    local name=$1 url=$2 pid=$3 round=$4 f="$OUT/wrk-$1-r$4.txt" t0 t1 t0s t1s n k="$1.$4"
    taskset -c "$LC" wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$url" >/dev/null
    t0=$(ticks "$pid"); t0s=$(date +%s.%N)
    taskset -c "$LC" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url" >"$f"
    t1=$(ticks "$pid"); t1s=$(date +%s.%N)
    RPS[$k]=$(awk '/^Requests\/sec:/{print $2}' "$f")
    P99[$k]=$(to_ms "$(awk '$1=="99%"{print $2}' "$f")")
    NOTE[$name]+=$(awk '/Non-2xx|Socket errors/{sub(/^ +/, ""); printf "%s; ", $0}' "$f")
    n=$(awk '/requests in/{print $1}' "$f")
    CPU[$k]=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v a="$t0s" -v b="$t1s" 'BEGIN{printf "%.0f", 100*d/hz/(b-a)}')
    USR[$k]=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="${n:-0}" 'BEGIN{ if (n > 0) printf "%.1f", 1e6*d/hz/n; else printf "?" }')
    printf 'round %s %-12s %10s req/s  p99 %7s ms  server CPU %3s%%  %6s us/req  %s\n' "$round" "$name" "${RPS[$k]}" "${P99[$k]}" "${CPU[$k]}" "${USR[$k]}" "${NOTE[$name]}" >&2
}
# median of the arguments (numbers)
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{ if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
# per_round KIND NAME: that figure of NAME in every round
per_round() { local -n arr=$1; local r out=(); for r in $(seq 1 "$ROUNDS"); do out+=("${arr[$2.$r]}"); done; echo "${out[@]}"; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
R_NGINX_ALL=() R_BARE_ALL=() R_NGINX_SAME_ALL=()
for round in $(seq 1 "$ROUNDS"); do
    bench bff "http://127.0.0.1:$P_BFF$LIST_PATH" "$BFF_PID" "$round"
    after=$(curl -s --max-time 5 -o /dev/null -D - "http://127.0.0.1:$P_BFF$LIST_PATH" | awk -F': *' 'tolower($1)=="x-cache"{gsub(/\r/,"",$2); print $2}' || true)
    [[ "$after" == HIT ]] || echo "bench: warning: BFF X-Cache after the run is '$after'" >&2
    bench nginx "http://127.0.0.1:$P_NGINX$STORE_PATH" "$NGINX_PID" "$round"
    bench bare "http://127.0.0.1:$P_BARE$LIST_PATH" "$BARE_PID" "$round"
    bench nginx_same "http://127.0.0.1:$P_NGINX_SAME$LIST_PATH" "$NGINX_PID" "$round"
    R_NGINX_ALL+=("$(ratio "${RPS[bff.$round]}" "${RPS[nginx.$round]}")")
    R_BARE_ALL+=("$(ratio "${RPS[bff.$round]}" "${RPS[bare.$round]}")")
    R_NGINX_SAME_ALL+=("$(ratio "${RPS[bff.$round]}" "${RPS[nginx_same.$round]}")")
    echo "round $round: BFF/nginx ${R_NGINX_ALL[-1]}, BFF/bare axum ${R_BARE_ALL[-1]}" >&2
done
for name in bff nginx bare nginx_same; do
    # The table shows each server's median round.
    RPS[$name]=$(median $(per_round RPS "$name")); P99[$name]=$(median $(per_round P99 "$name"))
    CPU[$name]=$(median $(per_round CPU "$name")); USR[$name]=$(median $(per_round USR "$name"))
done
# Paired: the BFF and bare axum loaded at the same time, both on the server
# core, so the scheduler gives each half of it and whatever else the machine
# does hits both alike; their throughputs' ratio is their cost ratio. (Each
# also evicts the other's cache lines, which costs the BFF, with the larger
# working set, more: if anything this is the stricter figure.) Informational.
R_PAIRED_ALL=()
for round in $(seq 1 "$ROUNDS"); do
    half=$((CONNS / 2))
    taskset -c "$LC" wrk -t"$THREADS" -c"$half" -d"$DURATION" "http://127.0.0.1:$P_BFF$LIST_PATH" >"$OUT/wrk-paired-bff-r$round.txt" &
    pa=$!
    taskset -c "$LC" wrk -t"$THREADS" -c"$half" -d"$DURATION" "http://127.0.0.1:$P_BARE$LIST_PATH" >"$OUT/wrk-paired-bare-r$round.txt" &
    pb=$!
    wait "$pa" "$pb"
    a=$(awk '/^Requests\/sec:/{print $2}' "$OUT/wrk-paired-bff-r$round.txt")
    b=$(awk '/^Requests\/sec:/{print $2}' "$OUT/wrk-paired-bare-r$round.txt")
    R_PAIRED_ALL+=("$(ratio "$a" "$b")")
    echo "paired round $round: BFF $a req/s, bare axum $b req/s at the same time: ${R_PAIRED_ALL[-1]}" >&2
done
R_PAIRED=$(median "${R_PAIRED_ALL[@]}")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
R_NGINX=$(median "${R_NGINX_ALL[@]}")
R_BARE=$(median "${R_BARE_ALL[@]}")
R_NGINX_SAME=$(median "${R_NGINX_SAME_ALL[@]}")

# ---------------------------------------------------------------- 6. coalescing
log "6. coalescing: $BURST concurrent cold requests, BFF (WOO_URL) -> counting proxy :$P_PROXY -> demo store :$P_STORE"
start proxy taskset -c "$LC" python3 "$HELPER" proxy "$P_PROXY" "$P_STORE"
PROXY_PID=$LAST_PID
wait_up "$PROXY_PID" "http://127.0.0.1:$P_PROXY/__bench/calls" 15
# The index off: coalescing is the pass-through path's (with the index on, the BFF's walk of the
# store would be counted, and once ready it answers the burst without the store at all).
start bff_coalesce "${BFF_REMOTE_ENV[@]}" CATALOGUE_INDEX=off METRICS_LISTEN="127.0.0.1:$((P_BFF_COAL + 1000))" WOO_URL="http://127.0.0.1:$P_PROXY" WOO_CONSUMER_KEY="$CK" WOO_CONSUMER_SECRET="$CS" \
    LISTEN_ADDR="127.0.0.1:$P_BFF_COAL" taskset -c "$SC" "$BIN"
COAL_PID=$LAST_PID
wait_up "$COAL_PID" "http://127.0.0.1:$P_BFF_COAL/healthz" 60
curl -s --max-time 5 -X POST -o /dev/null "http://127.0.0.1:$P_PROXY/__bench/reset"
BURST_JSON=$(taskset -c "$LC" python3 "$HELPER" burst "http://127.0.0.1:$P_BFF_COAL$COLD_PATH" "$BURST")
sleep 0.5
CALLS_JSON=$(curl -s --max-time 5 "http://127.0.0.1:$P_PROXY/__bench/calls")
UPSTREAM_CALLS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["total"])' "$CALLS_JSON")
BURST_OK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ok"])' "$BURST_JSON")
echo "burst: $BURST_JSON" >&2
echo "upstream: $CALLS_JSON" >&2
stop "$COAL_PID"; stop "$PROXY_PID"

# ---------------------------------------------------------------- 7. memory
RSS_A0= RSS_A1= HWM_A= RSS_B0= RSS_B1= HWM_B= RSS_S= WARM_A= WARM_B=
if [[ "${BENCH_SKIP_RSS:-0}" != 1 ]]; then
    # The throughput servers are done: free core and memory for this part.
    stop "$BFF_PID"; stop "$BARE_PID"; stop "$NGINX_PID"; stop "$STORE_PID"
    read -r -a warm_specs <<<"$WARM_LISTS"

    log "7a. RSS, demo mode: DEMO_PRODUCTS=$RSS_PRODUCTS CACHE_BUDGET_MB=128 (in-process demo store included)"
    # These rows measure a cache filled to its budget: the index (bench/index.sh measures it) and
    # the per-client miss budget and penalty box (bench/abuse.sh) are off, or they would stop
    # the one warming client from filling it.
    FILL_ENV=(CATALOGUE_INDEX=off MISS_RATE_PER_MIN=0 PENALTY_REFUSALS=0)
    start bff_rss "${BFF_ENV[@]}" "${FILL_ENV[@]}" METRICS_LISTEN="127.0.0.1:$((P_BFF_RSS + 1000))" DEMO_PRODUCTS="$RSS_PRODUCTS" CACHE_BUDGET_MB=128 LISTEN_ADDR="127.0.0.1:$P_BFF_RSS" taskset -c "$SC" "$BIN"
    A_PID=$LAST_PID
    wait_up "$A_PID" "http://127.0.0.1:$P_BFF_RSS/healthz" 180
    sleep 1
    RSS_A0=$(rss_kib "$A_PID")
    WARM_A=$(taskset -c "$LC" python3 "$HELPER" warm "http://127.0.0.1:$P_BFF_RSS" 8 "${warm_specs[@]}" --details "$WARM_DETAILS")
    sleep 2
    RSS_A1=$(rss_kib "$A_PID"); HWM_A=$(hwm_kib "$A_PID")
    echo "warm-up: $WARM_A" >&2
    echo "RSS start $(mib "$RSS_A0") MiB, after warm-up $(mib "$RSS_A1") MiB (peak $(mib "$HWM_A") MiB)" >&2
    stop "$A_PID"

    log "7b. RSS, BFF alone: WOO_URL -> standalone demo store --products $RSS_PRODUCTS"
    start store_rss taskset -c "$LC" env RUST_LOG=info "$BIN" demo-store --listen "127.0.0.1:$P_STORE_RSS" --products "$RSS_PRODUCTS"
    S_PID=$LAST_PID
    wait_up "$S_PID" "http://127.0.0.1:$P_STORE_RSS/wp-json/wc/store/v1/products?per_page=1" 180
    demo_keys "$TMP/store_rss.log"
    start bff_rss2 "${BFF_REMOTE_ENV[@]}" "${FILL_ENV[@]}" METRICS_LISTEN="127.0.0.1:$((P_BFF_RSS2 + 1000))" WOO_URL="http://127.0.0.1:$P_STORE_RSS" WOO_CONSUMER_KEY="$CK" WOO_CONSUMER_SECRET="$CS" \
        CACHE_BUDGET_MB=128 LISTEN_ADDR="127.0.0.1:$P_BFF_RSS2" taskset -c "$SC" "$BIN"
    B_PID=$LAST_PID
    wait_up "$B_PID" "http://127.0.0.1:$P_BFF_RSS2/healthz" 60
    sleep 1
    RSS_B0=$(rss_kib "$B_PID")
    WARM_B=$(taskset -c "$LC" python3 "$HELPER" warm "http://127.0.0.1:$P_BFF_RSS2" 8 "${warm_specs[@]}" --details "$WARM_DETAILS")
    sleep 2
    RSS_B1=$(rss_kib "$B_PID"); HWM_B=$(hwm_kib "$B_PID"); RSS_S=$(rss_kib "$S_PID")
    echo "warm-up: $WARM_B" >&2
    echo "RSS start $(mib "$RSS_B0") MiB, after warm-up $(mib "$RSS_B1") MiB (peak $(mib "$HWM_B") MiB); demo store process $(mib "$RSS_S") MiB" >&2
    stop "$B_PID"; stop "$S_PID"
fi

# ---------------------------------------------------------------- 8. summary
SHA=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git status --porcelain -- src crates Cargo.toml 2>/dev/null | wc -l)
CALLS_VERDICT=$([[ "$UPSTREAM_CALLS" == 1 && "$BURST_OK" == "$BURST" ]] && echo PASS || echo MISS)
{
    echo "storefront-bff bench — $(date -u +%Y-%m-%dT%H:%MZ) — commit $SHA$( ((DIRTY)) && echo " + $DIRTY uncommitted change(s) in src/ or crates/")"
    echo "machine: $CORES cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')); server pinned to core $SC, wrk to core $LC; loopback"
    echo "load: wrk -t$THREADS -c$CONNS -d$DURATION --latency after a $WARMUP warm-up, $ROUNDS interleaved rounds (bff, nginx, bare, nginx same bytes); RUST_LOG=warn; one run, so compare ratios, not absolute numbers"
    echo
    row() { printf '| %-44s | %-30s | %10s | %8s | %10s | %10s |\n' "$@"; }
    echo "each server's figures: the median of its $ROUNDS rounds; ratios: each round's own, and their median (the verdict)"
    row server "body (GET …per_page=24)" "req/s" "p99 ms" "server CPU" "CPU us/req"
    row "---" "---" "---:" "---:" "---:" "---:"
    row "storefront-bff, cache HIT" "$BFF_BYTES B, our view, $BFF_ITEMS items" "${RPS[bff]}" "${P99[bff]}" "${CPU[bff]}%" "${USR[bff]}"
    row "nginx proxy_cache HIT (demo store bytes)" "$NGINX_BYTES B, Store API, $NGINX_ITEMS items" "${RPS[nginx]}" "${P99[nginx]}" "${CPU[nginx]}%" "${USR[nginx]}"
    row "bare axum, fixed bytes (ceiling)" "$BFF_BYTES B, same as BFF" "${RPS[bare]}" "${P99[bare]}" "${CPU[bare]}%" "${USR[bare]}"
    row "nginx proxy_cache HIT (BFF bytes; info only)" "$BFF_BYTES B, same as BFF" "${RPS[nginx_same]}" "${P99[nginx_same]}" "${CPU[nginx_same]}%" "${USR[nginx_same]}"
    echo "server CPU: the server's own user+system time during the run (≈100% = server-bound; lower = wrk or other load was the limit)."
    echo "load average before/after the runs: $LOAD_BEFORE / $LOAD_AFTER (other work on the machine skews absolute numbers)"
    for k in bff nginx bare nginx_same; do
        if [[ -n "${NOTE[$k]}" ]]; then echo "note ($k): ${NOTE[$k]}"; fi
    done
    echo
    echo "BFF / nginx proxy_cache:  $R_NGINX   (target ≥ 1.2)  $(verdict "$R_NGINX" 1.2)   rounds: ${R_NGINX_ALL[*]}"
    echo "BFF / bare axum:          $R_BARE   (target ≥ 0.8)  $(verdict "$R_BARE" 0.8)   rounds: ${R_BARE_ALL[*]}"
    echo "BFF / nginx, same bytes:  $R_NGINX_SAME   (info)   rounds: ${R_NGINX_SAME_ALL[*]}"
    echo "BFF / bare axum, paired:  $R_PAIRED   (info: both loaded at once on the server core)   rounds: ${R_PAIRED_ALL[*]}"
    echo "CPU per request, BFF / bare axum: $(ratio "${USR[bff]}" "${USR[bare]}")×   (info: cost of our stack per cache hit)"
    echo "upstream calls for $BURST concurrent cold requests: $UPSTREAM_CALLS   (target 1; $BURST_OK/$BURST answered 200)  $CALLS_VERDICT"
    if [[ -n "$RSS_A1" ]]; then
        echo "RSS, demo mode (BFF + in-process demo store, $RSS_PRODUCTS products): start $(mib "$RSS_A0") MiB, after warm-up $(mib "$RSS_A1") MiB (peak $(mib "$HWM_A") MiB)"
        echo "RSS, BFF alone (WOO_URL → standalone demo store): start $(mib "$RSS_B0") MiB, after warm-up $(mib "$RSS_B1") MiB (peak $(mib "$HWM_B") MiB)  (target ≤ 256 MiB)  $(verdict 256 "$(mib "$RSS_B1")")"
        echo "warm-up (per_page:pages $WARM_LISTS, $WARM_DETAILS product details, CACHE_BUDGET_MB=128): $WARM_B"
    fi
} >"$OUT/summary.txt"
echo
cat "$OUT/summary.txt"
