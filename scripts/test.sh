#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
# Installs what the tests need, then: format, lints, the dependency policy
# (cargo deny), the module graph, unit tests, integration tests against the
# embedded demo store, the secret scan over their logs, the contract suite
# against a real WooCommerce (../shared/realwoo, installed and started by
# scripts/realstore.sh), and schema fuzzing (schemathesis, installed into a
# venv under target/).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "tools the tests need"
if ! command -v redis-server >/dev/null 2>&1; then
  # The scale-out tests start their own redis-server on a free loopback port.
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
redis-server --version
if ! command -v cargo-deny >/dev/null 2>&1; then
  # The licence, ban and source policy (deny.toml); a one-off build from crates.io.
  cargo install --locked cargo-deny
fi
cargo deny --version

step "format"
cargo fmt --all --check

step "clippy (every workspace member; lints in Cargo.toml [workspace.lints])"
cargo clippy --workspace --all-targets -- -D warnings

step "dependency policy: licences, bans, sources (deny.toml; advisories need the network, see there)"
# cargo deny reads the metadata of every platform's dependencies (android_system_properties and
# the like), which a build for this machine never downloads: fetch them all first.
cargo fetch --locked >/dev/null
cargo deny --offline check --hide-inclusion-graph licenses bans sources

step "module graph of the BFF has no cycle (scripts/module-graph.py)"
python3 scripts/module-graph.py >/dev/null || { python3 scripts/module-graph.py | sed -n '/^cycle/,$p'; exit 1; }

step "unit tests (every workspace member)"
cargo test --workspace --lib --bins

step "demo store tests (its WooCommerce fidelity against the captures; one test binary)"
cargo test -p demo-store --test fidelity

step "integration tests (BFF + demo store over real TCP)"
cargo test --test api

step "secret scan over every log line and response of the integration run"
cargo test --test secret_scan

step "real-store contract suite: the BFF against a real WordPress 6.5.3 + WooCommerce 8.9.1 (../shared/realwoo)"
./scripts/realstore.sh

step "schema fuzzing: schemathesis over every operation of /openapi.json (pinned, fixed seed; ~2 minutes)"
./scripts/schemathesis.sh

if [ -d frontend-contract ] && [ -f frontend-contract/package.json ]; then
  step "frontend contract"
  ./scripts/frontend-test.sh
fi

step "all green"
