#!/usr/bin/env bash
# The second implementation: a JavaScript client on the official
# @automerge/automerge package (tests/interop-js), written from docs/FORMAT.md
# and docs/PROTOCOL.md, against a real kept-relay and the kept CLI.
#
#   bash scripts/interop.sh            # after `cargo build` (uses target/debug)
#   CARGO_TARGET_DIR=/elsewhere bash scripts/interop.sh
#   KEPT_BIN=… KEPT_RELAY_BIN=… bash scripts/interop.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
export KEPT_BIN=${KEPT_BIN:-$target/debug/kept}
export KEPT_RELAY_BIN=${KEPT_RELAY_BIN:-$target/debug/kept-relay}
for b in "$KEPT_BIN" "$KEPT_RELAY_BIN"; do
    if [ ! -x "$b" ]; then
        echo "interop: $b is missing: build it first (cargo build -p kept-cli -p kept-relay) or set KEPT_BIN / KEPT_RELAY_BIN" >&2
        exit 1
    fi
done
command -v node >/dev/null || { echo "interop: node (20+) is needed" >&2; exit 1; }
cd tests/interop-js
# The exact @automerge/automerge of package-lock.json (npm install only if the lock cannot be used).
if ! npm ci --no-audit --no-fund --prefer-offline; then
    npm install --no-audit --no-fund || [ -d node_modules/@automerge/automerge ] || exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kept-interop.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
KEPT_INTEROP_TMP=$scratch node --test --test-reporter=tap test/interop.test.js
