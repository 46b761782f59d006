#!/usr/bin/env bash
# Installs what Kept needs to build and test on a fresh Debian machine (as root):
# Debian packages, the Rust components the checks use, and (with --app) the
# WebKitGTK stack, Xvfb and WebDriver tools for the Tauri app. Idempotent.
set -euo pipefail

want_app=0
[ "${1:-}" = "--app" ] && want_app=1

need=(build-essential pkg-config libssl-dev ca-certificates curl python3)
if [ "$want_app" = 1 ]; then
  need+=(libwebkit2gtk-4.1-dev librsvg2-dev libsoup-3.0-dev libayatana-appindicator3-dev xvfb xauth webkit2gtk-driver nodejs npm)
fi
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  # nodejs/npm may already come from elsewhere on this machine: keep what works.
  if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
fi

if [ "$want_app" = 1 ]; then
  # tauri-driver bridges WebDriver to WebKitWebDriver for the app's end-to-end test.
  if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    echo "install-deps: installing tauri-driver"
    cargo install tauri-driver --version '^2' --locked --quiet
  fi
  # The web UI's packages (pinned by package-lock.json).
  (cd "$(dirname "$0")/../app/ui" && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm ci --no-audit --no-fund --loglevel=error; fi)
fi

if ! command -v cargo >/dev/null; then
  echo "install-deps: no Rust toolchain (cargo) on PATH; install Rust 1.85 or newer (rustup) first" >&2
  exit 1
fi
if command -v rustup >/dev/null; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
