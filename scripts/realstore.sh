#!/usr/bin/env bash
# The real-store stage: brings up the real WordPress 6.5.3 + WooCommerce 8.9.1 of
# ../shared/realwoo on loopback (installing PHP, MariaDB and nginx from Debian the first time),
# then runs the contract suite (tests/realstore/) against it, one test at a time (they share the
# store's carts, stock and orders). Extra arguments go to the test binary, e.g. a test name.
set -euo pipefail
cd "$(dirname "$0")/.."
export REALWOO_DIR=${REALWOO_DIR:-$PWD/target/realwoo}
realwoo=${REALWOO_SH:-../shared/realwoo/realwoo.sh}
if [ ! -f "$realwoo" ]; then
  echo "error: $realwoo not found (the real store lives in ../shared/realwoo; set REALWOO_SH)" >&2
  exit 1
fi
start=$(date +%s)
bash "$realwoo" up
cargo test --test realstore -- --test-threads=1 "$@"
echo "real-store stage: $(( $(date +%s) - start )) s"
