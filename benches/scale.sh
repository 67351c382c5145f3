#!/usr/bin/env bash
# Scale: synthetic packs of 1k, 10k and 50k entries. For each: load time, search and diagnose
# p50/p99 (engine/examples/measure.rs), peak memory (/usr/bin/time -v), and scan throughput
# on a generated log.
#
#   bash benches/scale.sh [SIZES="1000 10000 50000"] [LOG_MB=256]
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${1:-"1000 10000 50000"}
LOG_MB=${2:-256}
WORK=target/scale
mkdir -p "$WORK"
[ -x /usr/bin/time ] || { apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time; }; }
cargo build --release -q -p fixbook-cli -p fixbook --example measure
for n in $SIZES; do
  pack="$WORK/pack-$n"
  [ -f "$pack/pack.toml" ] || python3 benches/gen_pack.py --entries "$n" --seed 42 --out "$pack"
  echo "== $n entries"
  /usr/bin/time -v target/release/examples/measure --queries "$pack/queries.txt" "$pack" 2> "$WORK/time-$n.txt"
  grep -E "Maximum resident set size" "$WORK/time-$n.txt" | sed 's/^\s*/peak memory (KiB): /; s/Maximum resident set size (kbytes): //'
  log="$WORK/log-$n-${LOG_MB}mb.txt"
  [ -f "$log" ] || python3 benches/gen_log.py --queries "$pack/queries.txt" --mb "$LOG_MB" --out "$log"
  cat "$log" > /dev/null
  start=$(date +%s.%N)
  target/release/fixbook scan --count --json --no-builtin --packs "$pack" "$log" > "$WORK/scan-$n.json"
  end=$(date +%s.%N)
  python3 -c "import json; d=json.load(open('$WORK/scan-$n.json')); s=$end-$start; print(f'scan: {$LOG_MB/s:.0f} MiB/s ({s:.2f} s for $LOG_MB MiB incl. load, {d[\"matched_lines\"]} matching lines)')"
done
