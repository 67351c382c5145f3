#!/usr/bin/env bash
# Side-by-side: count matching lines of the same generated log with the same signature set,
# with `fixbook scan --count`, `rg -c -f patterns`, and Hyperscan (Python, block mode).
#
#   bash benches/compare.sh [SIZE_MB=1024] [ENTRIES=1000]
#
# Installs ripgrep (Debian) and hyperscan (PyPI, in a venv under target/) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
ENTRIES=${2:-1000}
WORK=target/compare
mkdir -p "$WORK"

command -v rg >/dev/null || { apt-get install -y -qq ripgrep >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq ripgrep; }; }
if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q hyperscan
fi
[ -x target/release/fixbook ] || cargo build --release -q -p fixbook-cli

PACK="$WORK/pack-$ENTRIES"
[ -f "$PACK/pack.toml" ] || python3 benches/gen_pack.py --entries "$ENTRIES" --seed 7 --out "$PACK"
LOG="$WORK/log-${SIZE_MB}mb.txt"
if [ ! -f "$LOG" ]; then
  python3 benches/gen_log.py --queries "$PACK/queries.txt" --mb "$SIZE_MB" --out "$LOG"
fi
BYTES=$(stat -c %s "$LOG")
echo "log: $LOG ($((BYTES / 1048576)) MiB, $(wc -l < "$LOG") lines), $ENTRIES signatures, $(nproc) cores"

now() { date +%s.%N; }
mbps() { python3 -c "import sys; print(f'{$BYTES/1048576/($2-$1):.0f}')" -- "$1" "$2" 2>/dev/null || python3 -c "print(f'{$BYTES/1048576/($2-$1):.0f}')"; }

cat "$LOG" > /dev/null   # warm the page cache for everyone

t0=$(now); FB=$(target/release/fixbook scan --count --json --no-builtin --packs "$PACK" "$LOG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["matched_lines"])'); t1=$(now)
t2=$(now); RG=$(rg -c -i -f "$PACK/patterns.txt" "$LOG"); t3=$(now)
HS_OUT=$("$WORK/venv/bin/python" benches/hyperscan_count.py "$PACK/patterns.txt" "$LOG")
HS=$(echo "$HS_OUT" | cut -d' ' -f1); HS_SECS=$(echo "$HS_OUT" | cut -d' ' -f2)

python3 - "$BYTES" "$FB" "$(python3 -c "print($t1-$t0)")" "$RG" "$(python3 -c "print($t3-$t2)")" "$HS" "$HS_SECS" <<'PY'
import sys
b=int(sys.argv[1]); mib=b/1048576
fb,fbs,rg,rgs,hs,hss=int(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]),float(sys.argv[5]),int(sys.argv[6]),float(sys.argv[7])
rows=[("fixbook scan --count",fb,fbs),("rg -c -i -f",rg,rgs),("hyperscan (python, block mode, whole buffer)",hs,hss)]
print(f"{'tool':48} {'lines':>10} {'seconds':>8} {'MiB/s':>8}")
for n,c,s in rows: print(f"{n:48} {c:>10} {s:>8.2f} {mib/s:>8.0f}")
print(f"fixbook / rg throughput: {rgs/fbs:.2f}x   fixbook / hyperscan: {hss/fbs:.2f}x")
if not (fb==rg==hs): print(f"note: counts differ (fixbook {fb}, rg {rg}, hyperscan {hs})")
PY
