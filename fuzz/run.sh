#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 600) and prints libFuzzer's totals per target.
#
#   fuzz/run.sh 600                       # every target, one after another
#   JOBS=2 fuzz/run.sh 600                # two targets at a time
#   TARGETS="query facts" fuzz/run.sh 60  # some targets
#
# Works on the stable toolchain: with `--sanitizer none` cargo-fuzz passes no -Z flag (the
# coverage instrumentation is a stable -C flag). Set SANITIZER=address to use ASan instead;
# that needs nightly flags, e.g. RUSTC_BOOTSTRAP=1 on stable.
#
# libFuzzer runs in fork mode and goes on after a crash, timeout or OOM: every finding is saved
# under fuzz/artifacts/<target>/ (crash-*, timeout-*, oom-*). Copy a real one into
# tests/data/fuzz-regressions/<target>/, where tests/hostile.rs replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${1:-600}
JOBS=${JOBS:-1}
TARGETS=${TARGETS:-"load_pack query query_json facts check scan request_json"}
SANITIZER=${SANITIZER:-none}
FLAGS=(--sanitizer "$SANITIZER" -O --debug-assertions)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build "${FLAGS[@]}"
python3 fuzz/seeds.py
mkdir -p fuzz/logs

run_one() {
  local t=$1
  mkdir -p "fuzz/artifacts/$t"
  cargo fuzz run "${FLAGS[@]}" "$t" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=4096 -fork=1 \
    -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    >"fuzz/logs/$t.log" 2>&1 || true
  summary "$t"
}

# The last fork-mode status line holds the totals: "#EXECS: cov: .. ft: .. corp: .. exec/s: ..
# oom/timeout/crash: O/T/C time: SECONDSs job: .."
summary() {
  local t=$1 line
  line=$(grep -E '^#[0-9]+: cov:' "fuzz/logs/$t.log" | tail -n 1 || true)
  printf '%-11s %s\n' "$t" "${line:-no stats, see fuzz/logs/$t.log}"
  ls "fuzz/artifacts/$t" 2>/dev/null | sed "s/^/    $t: /" | head -n 20
}

running=0
for t in $TARGETS; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait
