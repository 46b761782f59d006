#!/usr/bin/env bash
# Kept's main job on the embedded default: a relay on SQLite, a demo team with
# twelve weeks of realistic history, and the Kept app opened as the team's
# manager (under Xvfb when there is no display). Ctrl-C stops everything.
# Data lives in ./demo (remove it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --app
cargo build --bins
(cd app/ui && npm run build --silent)
cargo build -p kept-app
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
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
if [ ! -d demo/homes/manager ]; then
  # An organisation (leader Dana) with three teams whose managers coach differently.
  org=$("$bin/kept-relay" org create --name "Demo Org" --leader Dana --db demo/relay.sqlite3 --json)
  org_id=$(echo "$org" | field org_id)
  team() { "$bin/kept-relay" team create --name "$1" --manager "$2" --org "$org_id" --db demo/relay.sqlite3 --json | field invite; }
  url="http://127.0.0.1:$port"
  "$bin/kept" demo --relay "$url" --invite "$(team "Demo Sales" Mia)" --dir demo/homes --reps 6 --weeks 12
  "$bin/kept" demo --relay "$url" --invite "$(team "North" Omar)" --dir demo/north --reps 5 --weeks 12 \
    --first-rep 6 --seed 7 --coaching status-reports
  "$bin/kept" demo --relay "$url" --invite "$(team "South" Sofia)" --dir demo/south --reps 5 --weeks 12 \
    --first-rep 11 --seed 9 --coaching strong
  "$bin/kept" --home demo/homes/leader join "$url" "$(echo "$org" | field invite)" --device "Dana's laptop" >/dev/null
  "$bin/kept" --home demo/homes/leader org sync >/dev/null
  # The managers are Dana's coachees in the leadership team, and calibrate a discovery call together.
  session=$("$bin/kept" --home demo/homes/leader calibrate start "Discovery call: Globex renewal" \
    --interaction discovery-call --json \
    --material "Rep opens with small talk, asks about current tooling, hears a budget freeze and books a demo without naming a decision maker." |
    field id)
  "$bin/kept" --home demo/homes/leader sync >/dev/null
  scores_mia="rapport=good upfront-contract=fair pain=good budget=fair decision-process=poor next-step=good"
  scores_omar="rapport=excellent upfront-contract=good pain=excellent budget=good decision-process=fair next-step=excellent"
  scores_sofia="rapport=fair upfront-contract=poor pain=fair budget=poor decision-process=not-present next-step=fair"
  # An organisation-wide assessment map every team adopts.
  "$bin/kept" --home demo/homes/leader org publish qualification budget authority need timing next-step >/dev/null
  "$bin/kept" --home demo/homes/leader sync >/dev/null
  for who in mia:demo/homes/manager omar:demo/north/manager sofia:demo/south/manager; do
    home=${who#*:}
    who=${who%%:*}
    name=$(python3 -c "print('$who'.capitalize())")
    code=$("$bin/kept" --home demo/homes/leader invite --role rep --name "$name" --json | field code)
    # The manager's coachee home in the leadership team lives in their team's home (org/).
    "$bin/kept" --home "$home" org join "$url" "$code" --device "$name's laptop" >/dev/null
    "$bin/kept" --home "$home" org maps >/dev/null
    scores=scores_$who
    # shellcheck disable=SC2086
    "$bin/kept" --home "$home/org" calibrate score "$session" ${!scores}
    "$bin/kept" --home "$home/org" sync >/dev/null
  done
  "$bin/kept" --home demo/homes/leader sync >/dev/null
  "$bin/kept" --home demo/homes/leader calibrate reveal "$session" >/dev/null
  "$bin/kept" --home demo/homes/leader calibrate agree "$session" \
    rapport=good upfront-contract=fair pain=good budget=fair decision-process=poor next-step=fair >/dev/null
fi
"$bin/kept" --home demo/homes/manager sync >/dev/null
"$bin/kept" --home demo/homes/leader org sync >/dev/null
echo
"$bin/kept" --home demo/homes/manager board
echo
"$bin/kept" --home demo/homes/ben week
echo
"$bin/kept" --home demo/homes/leader org
echo
"$bin/kept" --home demo/homes/leader calibrate list
cat <<TXT

The relay runs at http://127.0.0.1:$port with a demo team (manager Mia, reps in demo/homes/).
The app opens as Mia (the team board). Log as a rep from another terminal and watch the board:
      $bin/kept --home demo/homes/anna log call && $bin/kept --home demo/homes/anna sync
A rep's app:  KEPT_HOME=demo/homes/anna $bin/kept-app
The leader's view (Dana, three teams):  $bin/kept --home demo/homes/leader org
Ctrl-C stops the relay and the app.
TXT
if [ -n "${DISPLAY:-}" ]; then
  KEPT_HOME=demo/homes/manager "$bin/kept-app" &
else
  echo "(no display: the app runs under Xvfb)"
  KEPT_HOME=demo/homes/manager xvfb-run -a "$bin/kept-app" &
fi
app=$!
trap 'kill $app $relay 2>/dev/null || true' EXIT
wait $relay
