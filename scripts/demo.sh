#!/usr/bin/env bash
# Kept's main job on the embedded default: a relay on SQLite, a demo team with
# twelve weeks of realistic history, and the manager's board. Leaves the relay
# running (Ctrl-C stops it). Data lives in ./demo (remove it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo build --bins
bin=${CARGO_TARGET_DIR:-target}/debug
port=${KEPT_DEMO_PORT:-8787}
mkdir -p demo
"$bin/kept-relay" serve --db demo/relay.sqlite3 --listen "127.0.0.1:$port" &
relay=$!
trap 'kill $relay 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.1
done
if [ ! -d demo/homes/manager ]; then
  invite=$("$bin/kept-relay" team create --name "Demo Sales" --manager Mia --db demo/relay.sqlite3 --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["invite"])')
  "$bin/kept" demo --relay "http://127.0.0.1:$port" --invite "$invite" --dir demo/homes --reps 6 --weeks 12
fi
"$bin/kept" --home demo/homes/manager sync >/dev/null
echo
"$bin/kept" --home demo/homes/manager board
echo
"$bin/kept" --home demo/homes/ben week
cat <<TXT

The relay runs at http://127.0.0.1:$port with a demo team (manager Mia, reps in demo/homes/).
Try:  $bin/kept --home demo/homes/anna log call
      $bin/kept --home demo/homes/anna sync
      $bin/kept --home demo/homes/manager sync && $bin/kept --home demo/homes/manager board
Ctrl-C stops the relay.
TXT
wait $relay
