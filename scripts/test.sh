#!/usr/bin/env bash
# Runs every check and test of Kept: format, lints, the workspace's unit,
# property and integration tests, and the end-to-end tests that start a real
# relay and real `kept` clients. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
echo "== build the binaries the end-to-end tests run"
cargo build --bins
echo "== cargo test"
cargo test
