#!/usr/bin/env bash
# Frontend contract checks, as CI runs them (scripts/test.sh calls this):
# installs what is missing (Debian's chromium, npm packages), then checks the
# generated types and the committed page bundle for drift, typechecks, builds
# the BFF (debug) and runs the Node examples and the real-browser tests.
# Screenshots and server logs land in frontend-contract/test-results/.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_BIN" ]; then
  step "installing Debian's chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
for tool in node npm cargo; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done

cd frontend-contract
# npm ci unless node_modules already holds exactly this lockfile's packages.
if ! cmp -s package-lock.json node_modules/.frontend-test-lock 2>/dev/null; then
  step "npm ci (frontend-contract)"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.frontend-test-lock
fi

step "drift: src/schema.d.ts matches openapi/openapi.json"
npm run --silent check:types

step "drift: web/dist is what web/ builds to"
npm run --silent check:web

step "typecheck (tsc --noEmit)"
npm run --silent typecheck

cd ..
step "build the BFF (debug; embeds web/dist)"
cargo build --quiet --bin storefront-bff
export BFF_BIN="$PWD/target/debug/storefront-bff"

step "examples in Node and the storefront and /docs in Chromium"
cd frontend-contract
rm -rf test-results
npm run --silent test:browser

step "frontend contract green (screenshots in frontend-contract/test-results/)"
