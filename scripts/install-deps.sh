#!/usr/bin/env bash
# Installs what Kept needs to build and test on a fresh Debian machine (as root):
# Debian packages, the Rust components the checks use, and (with --app) the
# WebKitGTK stack, Xvfb and WebDriver tools for the Tauri app. Idempotent.
set -euo pipefail

want_app=0
[ "${1:-}" = "--app" ] && want_app=1

need=(build-essential pkg-config libssl-dev ca-certificates curl python3 postgresql postgresql-client)
if [ "$want_app" = 1 ]; then
  need+=(libwebkit2gtk-4.1-dev librsvg2-dev libsoup-3.0-dev libayatana-appindicator3-dev xvfb xauth webkit2gtk-driver
        gstreamer1.0-plugins-base gstreamer1.0-plugins-good)
  # GStreamer's base and good plugins: the webview plays (and reads the length of) recorded answers.
  # Node.js may come from elsewhere on this machine: install Debian's only if there is none.
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
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

# PostgreSQL for the relay's PostgreSQL tests (127.0.0.1:5432, trust auth for local tests).
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
  if [ -n "$ver" ]; then
    echo "install-deps: starting PostgreSQL $ver"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null || pg_ctlcluster "$ver" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "install-deps: PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
fi
# The tests connect as postgres@127.0.0.1 without a password (a fresh Debian
# install asks for one): allow local loopback connections for this test machine.
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf 2>/dev/null | sort -V | tail -1)
  if [ -n "$hba" ] && ! grep -q "kept-tests" "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust # kept-tests: loopback only' "$hba"
    ver=$(basename "$(dirname "$(dirname "$hba")")")
    pg_ctlcluster --skip-systemctl-redirect "$ver" main reload 2>/dev/null || pg_ctlcluster "$ver" main reload || true
  fi
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

# cargo-fuzz for the fuzz targets (scripts/fuzz.sh; a short run is part of scripts/test.sh).
if ! command -v cargo-fuzz >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo-fuzz" ]; then
  echo "install-deps: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi
