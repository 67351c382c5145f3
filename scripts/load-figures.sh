#!/usr/bin/env bash
# Load figures of the HTTP door (docs/performance.md, "Server"): `POST /v1/diagnose` on the
# shipped packs with the query corpus (tests/data/dev-queries.jsonl), from wrk on loopback at
# 1, 8 and 64 connections, each against in-process `Engine::diagnose` throughput on the same
# queries right after it in the same run, and the server's resident memory at start and end.
#
#   bash scripts/load-figures.sh                 # 10 s per figure
#   SECONDS_EACH=30 bash scripts/load-figures.sh
#   MEMORY_SECONDS=600 bash scripts/load-figures.sh   # and a 10-minute run at 8 connections,
#                                                     # resident memory every 30 s
#
# Builds release binaries; installs wrk from Debian when it is missing. The load generator
# runs on the same cores as the server, so the HTTP figures are a lower bound. The server
# runs with limits.max_concurrency = 64, so no request is shed (the figures would otherwise
# count fast 429s); the script prints how many answers were not 200.
set -euo pipefail
cd "$(dirname "$0")/.."

EACH=${SECONDS_EACH:-10}
MEMORY=${MEMORY_SECONDS:-0}
CORES=$(nproc)
OUT=target/load
QUERIES=tests/data/dev-queries.jsonl
mkdir -p "$OUT"

if ! command -v wrk >/dev/null 2>&1; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get install -y wrk >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
fi

cargo build --quiet --release -p fixbook-cli
cargo build --quiet --release -p fixbook-server --example diagnose_throughput
FIXBOOK=target/release/fixbook
INPROC=target/release/examples/diagnose_throughput

# one request body per corpus query, rotated by each wrk thread
python3 - "$QUERIES" "$OUT/diagnose.lua" <<'PY'
import json, sys
queries = [json.loads(l)["q"] for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
bodies = ",\n".join("[==[" + json.dumps({"text": q}) + "]==]" for q in queries)
open(sys.argv[2], "w", encoding="utf-8").write(f"""
local bodies = {{ {bodies} }}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  return wrk.format(nil, "/v1/diagnose", nil, bodies[(i % #bodies) + 1])
end
done = function(s, latency, requests)
  local secs = s.duration / 1e6
  io.write(string.format("FIGURES requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f not_200=%d socket_errors=%d\\n",
    s.requests, s.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    s.errors.status, s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout))
end
""")
PY

printf '[limits]\nmax_concurrency = 64\n' > "$OUT/server.toml"
FIXBOOK_PACK_PATH= "$FIXBOOK" serve --listen 127.0.0.1:0 --no-cache --config "$OUT/server.toml" \
  > "$OUT/server.out" 2> "$OUT/server.err" &
SERVER=$!
trap 'kill -TERM "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^listening on' "$OUT/server.out" 2>/dev/null && break
  sleep 0.1
done
URL=$(sed -n 's/^listening on //p' "$OUT/server.out" | head -1)
[ -n "$URL" ] || { cat "$OUT/server.err"; exit 1; }
rss() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER/status"; }

wrk_run() { # CONNECTIONS SECONDS -> the FIGURES line
  local c=$1 threads=$(( $1 < CORES ? $1 : CORES ))
  wrk -t "$threads" -c "$c" -d "${2}s" -s "$OUT/diagnose.lua" "$URL" | sed -n 's/^FIGURES //p'
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }

wrk_run 8 2 >/dev/null   # warm-up
RSS_START=$(rss)
# each HTTP figure is followed at once by its in-process baseline (min(connections, cores)
# threads), so that both see the same load from whatever else runs on the machine
declare -A HTTP INPROCESS
for c in 1 8 64; do
  HTTP[$c]=$(wrk_run "$c" "$EACH")
  INPROCESS[$c]=$("$INPROC" "$QUERIES" $(( c < CORES ? c : CORES )) "$EACH")
done
RSS_END=$(rss)

echo
echo "machine: $CORES cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)); $EACH s per figure"
echo
echo "| connections | requests/s | p50 | p99 | not 200 | in-process (threads) | ratio |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 8 64; do
  line=${HTTP[$c]}
  base=${INPROCESS[$c]}
  rps=$(field rps "$line"); in_rps=$(field rps "$base"); t=$(field threads "$base")
  ratio=$(awk -v a="$rps" -v b="$in_rps" 'BEGIN { printf "%.0f %%", 100 * a / b }')
  echo "| $c | $rps | $(field p50_ms "$line") ms | $(field p99_ms "$line") ms | $(( $(field not_200 "$line") + $(field socket_errors "$line") )) | $in_rps ($t) | $ratio |"
done
echo
for c in 1 8 64; do echo "in-process after $c connections: ${INPROCESS[$c]}"; done
echo "server resident memory: $RSS_START MiB after warm-up, $RSS_END MiB after the runs"

if [ "$MEMORY" -gt 0 ]; then
  echo
  echo "memory run: 8 connections for $MEMORY s, resident MiB every 30 s:"
  wrk_run 8 "$MEMORY" > "$OUT/memory.figures" &
  LOAD=$!
  samples=""
  while kill -0 "$LOAD" 2>/dev/null; do samples="$samples $(rss)"; sleep 30; done
  wait "$LOAD"
  echo "  $samples"
  echo "  $(cat "$OUT/memory.figures")"
fi
