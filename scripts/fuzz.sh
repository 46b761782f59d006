#!/usr/bin/env bash
# Runs Kept's fuzz targets (fuzz/: cargo-fuzz + libFuzzer) for SECONDS each
# (default 60), every target or the ones named:
#   bash scripts/fuzz.sh              # 60 s each
#   bash scripts/fuzz.sh 600          # the long run (RELIABILITY.md)
#   bash scripts/fuzz.sh 30 csv_import
# Uses nightly (with AddressSanitizer) when rustup has it, else stable with
# RUSTC_BOOTSTRAP=1 and no sanitizer. Each run starts from the seeds in
# fuzz/corpus/<target> and the committed crash inputs in
# fuzz/regressions/<target>; what it learns goes to target/fuzz-corpus/<target>
# (kept between runs, not committed). A crash leaves its input in
# fuzz/artifacts/<target>/ and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
[ "$#" -gt 0 ] && shift
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(push_body push_sequence apply_changes pull_query blob_requests csv_import)

if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz: cargo-fuzz is missing: run scripts/install-deps.sh (cargo install cargo-fuzz --locked)" >&2
  exit 1
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
  sanitizer=()
  echo "fuzz: nightly toolchain, AddressSanitizer"
else
  # cargo-fuzz needs nightly-only flags; stable accepts them with RUSTC_BOOTSTRAP,
  # but not the sanitizers.
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
  sanitizer=(-s none)
  echo "fuzz: no nightly toolchain: stable with RUSTC_BOOTSTRAP=1, no sanitizer"
fi
target_dir="$PWD/target"
# -O: release without cargo-fuzz's blanket debug assertions; fuzz/Cargo.toml
# turns them on for every crate but Automerge.
"${fuzz[@]}" build -O "${sanitizer[@]}" --target-dir "$target_dir"

logs="$target_dir/fuzz-logs"
mkdir -p "$logs"
failed=()
for t in "${targets[@]}"; do
  work="$target_dir/fuzz-corpus/$t"
  mkdir -p "$work"
  dirs=("$work" "fuzz/corpus/$t")
  [ -d "fuzz/regressions/$t" ] && dirs+=("fuzz/regressions/$t")
  log="$logs/$t.log"
  if "${fuzz[@]}" run -O "${sanitizer[@]}" --target-dir "$target_dir" "$t" "${dirs[@]}" -- \
      -max_total_time="$secs" -timeout=60 -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    rate=$(grep -m1 '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+' || true)
    notes=$(grep -c '^note: tolerating' "$log" || true)
    echo "fuzz: $t: ${secs} s, ${runs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) inputs, no crash$([ "$notes" != 0 ] && echo " (known issues tolerated: see $log)")"
  else
    echo "fuzz: $t FAILED; its log is $log:" >&2
    grep -E "panicked at|^thread|ERROR: libFuzzer|Test unit written to|SUMMARY" "$log" | head -20 >&2 || tail -30 "$log" >&2
    failed+=("$t")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}: reproduce with cargo +nightly fuzz run <target> <the artifact>" >&2
  exit 1
fi
