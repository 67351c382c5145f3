#!/usr/bin/env python3
"""Writes a synthetic log of about --mb MiB: ordinary log lines with, every ~200 lines, one
line carrying a known error (taken from the synthetic pack's queries.txt). Deterministic."""
import argparse
import random

FILLER = [
    "INFO  http request handled method=GET path=/api/v1/items status=200 duration_ms={n}",
    "DEBUG cache hit key=user:{n} ttl=300",
    "INFO  scheduler tick jobs_due=0 next_run_in_s={n}",
    "WARN  slow query took {n} ms on table orders",
    "INFO  worker {n} heartbeat ok",
    "DEBUG connection pool size=20 idle={n}",
]

ap = argparse.ArgumentParser()
ap.add_argument("--queries", required=True)
ap.add_argument("--mb", type=int, default=1024)
ap.add_argument("--out", required=True)
a = ap.parse_args()
r = random.Random(1)
errors = [l.rstrip("\n") for l in open(a.queries) if l.startswith("2026")]
target = a.mb * 1048576
block = []
for i in range(20000):
    if i % 200 == 0 and errors:
        block.append(r.choice(errors))
    else:
        block.append("2026-11-02T10:%02d:%02dZ " % (r.randint(0, 59), r.randint(0, 59)) + r.choice(FILLER).format(n=r.randint(1, 99999)))
text = ("\n".join(block) + "\n").encode()
with open(a.out, "wb") as f:
    written = 0
    while written < target:
        f.write(text)
        written += len(text)
