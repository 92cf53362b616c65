#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
# Installs what the tests need, then: format, lints, unit tests, integration
# tests against the embedded demo store, and the secret scan over their logs.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --check

step "clippy"
cargo clippy --all-targets -- -D warnings

step "unit tests"
cargo test --lib --bins

step "integration tests (BFF + demo store over real TCP)"
cargo test --test api

step "secret scan over every log line and response of the integration run"
cargo test --test secret_scan

if [ -d frontend-contract ] && [ -f frontend-contract/package.json ]; then
  step "frontend contract"
  ./scripts/frontend-test.sh
fi

step "all green"
