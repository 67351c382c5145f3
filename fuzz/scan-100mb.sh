#!/usr/bin/env bash
# Generates MB megabytes (default 100) of log text, some lines of which carry known error
# messages, pipes it to `fixbook scan -` and prints the wall time and peak RSS (from GNU
# time -v). Uses target/release/fixbook, else target/debug/fixbook (build with
# `cargo build --release -p fixbook-cli`).
#
#   fuzz/scan-100mb.sh          # 100 MB
#   fuzz/scan-100mb.sh 10       # 10 MB
#   NONASCII=0 fuzz/scan-100mb.sh   # without the non-ASCII lines (see docs/security.md, F8)
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${1:-100}
export NONASCII=${NONASCII:-1}
BIN=target/release/fixbook
[ -x "$BIN" ] || BIN=target/debug/fixbook
[ -x "$BIN" ] || { echo "no fixbook binary: cargo build --release -p fixbook-cli" >&2; exit 1; }
if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi

# One line in 1000 carries a known message; the others are ordinary log noise, with a
# 64 kB line and a line of non-ASCII text now and then.
gen() {
  python3 - "$MB" <<'PY'
import os, random, sys
nonascii = os.environ.get("NONASCII", "1") != "0"
target = int(sys.argv[1]) << 20
rnd = random.Random(100)
known = [
    "Session token not found or invalid",
    "Permission denied (publickey).",
    "Back-off restarting failed container",
    "An unexpected error has occurred",
]
noise = [
    "GET /api/v1/orders/{n} 200 {n}ms user=alice@example.com ip=10.0.{n}.7",
    "worker-{n} finished batch {n} in {n} ms; queue depth {n}",
    "cache miss for key session:{n}; fetching from origin",
    "INFO scheduler: job {n} completed with status ok",
    "DEBUG tls handshake with 192.168.{n}.1 took {n} ms",
]
out = sys.stdout.buffer
written = 0
i = 0
while written < target:
    i += 1
    ts = f"2026-11-28T12:{i // 60 % 60:02}:{i % 60:02}Z "
    if i % 1000 == 0:
        line = ts + "ERROR " + known[(i // 1000) % len(known)]
    elif i % 50000 == 0:
        line = ts + "x" * 65536
    elif nonascii and i % 7919 == 0:
        line = ts + "ошибка: не удалось подключиться к серверу " + "データベース接続エラー"
    else:
        line = ts + rnd.choice(noise).replace("{n}", str(rnd.randrange(100000)))
    b = (line + "\n").encode()
    out.write(b)
    written += len(b)
PY
}

echo "scanning ${MB} MB with $BIN"
gen | /usr/bin/time -v "$BIN" scan - >/tmp/fixbook-scan.out 2>/tmp/fixbook-scan.time || {
  echo "fixbook scan exited with $?" >&2
}
hits=$(grep -c . /tmp/fixbook-scan.out || true)
wall=$(grep 'Elapsed (wall clock)' /tmp/fixbook-scan.time | awk '{print $NF}')
rss=$(grep 'Maximum resident set size' /tmp/fixbook-scan.time | awk '{print $NF}')
echo "output lines: $hits"
echo "wall time:    $wall"
echo "peak RSS:     $((rss / 1024)) MB ($rss kB)"
