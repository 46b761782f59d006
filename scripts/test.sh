#!/usr/bin/env bash
# Runs every check and test of Kept: format, lints, the workspace's unit,
# property and integration tests, and the end-to-end tests that start a real
# relay and real `kept` clients. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --app

echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
echo "== build the binaries the end-to-end tests run"
cargo build --bins
echo "== cargo test"
cargo test

echo "== a second implementation: the JavaScript client (@automerge/automerge) against the relay and kept"
bash scripts/interop.sh

echo "== fuzz targets, short run (the long run: bash scripts/fuzz.sh 600)"
bash scripts/fuzz.sh 25

echo "== the app: web UI, Tauri build, WebDriver test in the real webview under Xvfb"
(cd app/ui && npm run check && npm run build)
cargo build -p kept-app
cargo clippy -p kept-app --all-targets -- -D warnings
cargo test -p kept-app
xvfb-run -a cargo test -p kept-tests --features app-e2e --test app_e2e

echo "== benchmarks, quick versions (so they cannot rot)"
cargo run -q -p kept-tests --bin kept-bench -- --quick
