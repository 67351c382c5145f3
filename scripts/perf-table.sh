#!/usr/bin/env bash
# Measures every row of the performance table (issue 19, docs/performance.md) in one run on
# this machine and prints one line per row: what, value, target.
#
#   bash scripts/perf-table.sh [--quick] [--python] [--skip-scan]
#
# Builds the release CLI and the `measure` example (and the Python extension) once, then reuses
# the existing measurements: engine/examples/measure.rs (load, diagnose percentiles and mean,
# synthetic packs of benches/gen_pack.py), hyperfine (whole-process CLI),
# bindings/python/bench_overhead.py (Python per call), bindings/python/bench_spark.py
# --skip-spark (threads, diagnose_many) and benches/compare.sh (scan vs rg and Hyperscan).
# Ratios come from this one run. `--quick`: fewer calls and runs, a small log, no 50k pack
# (a smoke run, figures not worth quoting). `--python`: also the Python rows (builds the
# extension in release mode with maturin: its feature set differs from the CLI's, so the
# first build recompiles the dependency tree, about 30 minutes on a busy 2-core machine).
# `--skip-scan`: no scan row (the slowest step; for a round that does not touch the scan).
# The raw output of each step is kept in target/perf/ (or $PERF_OUT). Installs hyperfine and
# /usr/bin/time (Debian), and with --python a venv with maturin and pyarrow, when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=0
PYTHON=0
SCAN=1
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    --python) PYTHON=1 ;;
    --skip-scan) SCAN=0 ;;
    *) echo "usage: $0 [--quick] [--python] [--skip-scan]" >&2; exit 2 ;;
  esac
done
W=${PERF_OUT:-target/perf}
mkdir -p "$W"
export FIXBOOK_CACHE_DIR="$PWD/$W/cache"

need() { command -v "$1" >/dev/null || { apt-get install -y -qq "$2" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }; }
need hyperfine hyperfine
[ -x /usr/bin/time ] || need time time

echo "== build (release)" >&2
cargo build --release -q -p fixbook-cli --bin fixbook -p fixbook --example measure
VENV="$W/venv"
PY="$VENV/bin/python"
if [ $PYTHON = 1 ]; then
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'maturin>=1.9.4,<2' 'pyarrow==21.0.0'
  fi
  (export PATH="$PWD/$VENV/bin:$PATH" CARGO_TARGET_DIR="$PWD/target" PIP_DISABLE_PIP_VERSION_CHECK=1
   "$VENV/bin/pip" install -q --no-build-isolation --force-reinstall --no-deps ./bindings/python)
fi
MEASURE=target/release/examples/measure

row() { printf '%-58s | %-34s | %s\n' "$1" "$2" "$3"; }
# field VALUE_LABEL FILE: the number after "LABEL " on the first line holding it
num() { grep -o "$1 [0-9.]*" "$2" | head -1 | awk '{print $NF}'; }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }

echo "== $(date -u +%FT%TZ) $(git rev-parse --short HEAD) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# 1-2: diagnose in process, shipped packs
$MEASURE > "$W/seed.txt"
SEED_P50=$(num "diagnose: p50" "$W/seed.txt"); SEED_MEAN=$(num "mean" "$W/seed.txt")
python3 -c 'import json,sys; [print(json.loads(l)["q"].replace("\n"," ")) for l in open("tests/data/dev-queries.jsonl") if l.strip()]' > "$W/dev.txt"
$MEASURE --queries "$W/dev.txt" > "$W/dev-measure.txt"
DEV_MEAN=$(num "mean" "$W/dev-measure.txt"); DEV_P50=$(num "diagnose: p50" "$W/dev-measure.txt")

# 3: whole process, index cache warm
RUNS=$([ $QUICK = 1 ] && echo 10 || echo 40)
hyperfine -N -w 3 -r "$RUNS" --export-json "$W/cli.json" \
  'target/release/fixbook search "Session token not found or invalid"' > "$W/cli.txt"
CLI_MS=$(python3 -c "import json; r=json.load(open('$W/cli.json'))['results'][0]; print(f\"{r['median']*1e3:.1f} ms (CPU {(r['user']+r['system'])*1e3:.1f} ms)\")")

# 4-6: Python per call over Rust; threads and diagnose_many (one process, no Spark)
if [ $PYTHON = 1 ]; then
  CALLS=$([ $QUICK = 1 ] && echo 1000 || echo 5000)
  "$PY" bindings/python/bench_overhead.py --calls "$CALLS" --text "Session token not found or invalid" > "$W/py-overhead.txt"
  PY_DIAG=$(grep -o 'MEDIAN_DIAGNOSE_US=[0-9.]*' "$W/py-overhead.txt" | cut -d= -f2)
  PY_READ=$(grep -o 'MEDIAN_DIAGNOSE_READ_US=[0-9.]*' "$W/py-overhead.txt" | cut -d= -f2)
  PY_TURNS=$(grep -o 'OVERHEAD_US=[0-9.-]*' "$W/py-overhead.txt" | cut -d= -f2)
  PY_OVER="$PY_TURNS µs in turns with Rust in one process (vs measure's p50: $(python3 -c "print(f'{$PY_DIAG-$SEED_P50:.1f}')"); with .matches read $(python3 -c "print(f'{$PY_READ-$SEED_P50:.1f}')") µs)"
  ROWS=$([ $QUICK = 1 ] && echo 4000 || echo 20000)
  "$PY" bindings/python/bench_spark.py --rows "$ROWS" --sample "$ROWS" --skip-spark > "$W/py-threads.txt"
  TWO=$(grep '2 threads / 1 thread' "$W/py-threads.txt" | grep -o '[0-9.]*x' | head -1)
  MANY=$(grep 'diagnose_many / loop' "$W/py-threads.txt" | grep -o '[0-9.]*x' | head -1)
else
  PY_OVER="not measured (--python)"; TWO=$PY_OVER; MANY=$PY_OVER
fi

# 7-9: synthetic packs (the packs and queries of benches/scale.sh)
pack() { local p=target/scale/pack-$1; [ -f "$p/pack.toml" ] || python3 benches/gen_pack.py --entries "$1" --seed 42 --out "$p" >/dev/null; echo "$p"; }
P10=$(pack 10000)
rm -rf "$W/cache-10k"
$MEASURE --cache "$W/cache-10k" --queries "$P10/queries.txt" "$P10" > "$W/10k-cold.txt"
$MEASURE --cache "$W/cache-10k" --queries "$P10/queries.txt" "$P10" > "$W/10k-warm.txt"
COLD10=$(num "load:" "$W/10k-cold.txt"); WARM10=$(num "load:" "$W/10k-warm.txt")
Q10=$(num "diagnose: p50" "$W/10k-warm.txt")
if [ $QUICK = 0 ]; then
  P50K=$(pack 50000)
  rm -rf "$W/cache-50k"
  /usr/bin/time -v $MEASURE --cache "$W/cache-50k" --queries "$P50K/queries.txt" "$P50K" > "$W/50k.txt" 2> "$W/50k-time.txt"
  COLD50=$(num "load:" "$W/50k.txt"); P99_50=$(num "p99" <(grep diagnose "$W/50k.txt")); Q50=$(num "diagnose: p50" "$W/50k.txt")
  RSS50=$(awk '/Maximum resident/ {printf "%.0f", $NF/1024}' "$W/50k-time.txt")
fi

# 10: scan against rg and Hyperscan, same log and patterns, one run
MB=$([ $QUICK = 1 ] && echo 32 || echo 256)
if [ $SCAN = 1 ]; then
  bash benches/compare.sh "$MB" 1000 > "$W/scan.txt"
  SCAN_RATIOS=$(grep 'fixbook / rg' "$W/scan.txt" | awk '{print $5 " / " $9}')
else
  SCAN_RATIOS="not measured (--skip-scan)"
fi

echo
row "what" "value" "target"
row "diagnose, exact seed error, one core (measure)" "p50 $SEED_P50 µs, mean $SEED_MEAN µs" "≤ 10 µs"
row "diagnose, mean over the dev queries (measure)" "mean $DEV_MEAN µs (p50 $DEV_P50)" "≤ 25 µs"
row "whole-process fixbook search TEXT (hyperfine median)" "$CLI_MS" "≤ 10 ms"
row "Python diagnose over Rust, same text (bench_overhead)" "$PY_OVER" "≤ 5 µs"
row "Python 2 threads / 1 thread (bench_spark)" "$TWO" "≥ 1.8×"
row "Python diagnose_many / one-thread loop (bench_spark)" "$MANY" "≥ 1.8×"
row "10k entries: warm start / cold load (measure)" "$WARM10 ms / $COLD10 ms" "≤ 100 ms / ≤ 500 ms"
if [ $QUICK = 0 ]; then
  row "50k entries: cold load / diagnose p99 / peak RSS" "$COLD50 ms / $P99_50 µs / $RSS50 MiB" "≤ 2000 ms / ≤ 250 µs / ≤ 300 MiB"
  row "query growth 10k → 50k (diagnose p50 ratio)" "$(ratio "$Q50" "$Q10")× ($Q10 → $Q50 µs)" "≤ 1.5×"
else
  row "50k entries / growth 10k → 50k" "skipped (--quick)" ""
fi
row "scan vs rg / vs Hyperscan (compare.sh $MB MiB)" "$SCAN_RATIOS" "≥ 2× / ≥ 0.5×"
