"""Figures for docs/outcomes.md: unmatched texts generated from templates, grouped by
`fixbook gaps`; the cost of the outcome store on a query.

    python benches/outcomes_figures.py DB_FOLDER [N]

Needs the `fixbook` Python package (bindings/python/run-tests.sh installs it into
target/python-venv). Writes DB_FOLDER/gaps.db and DB_FOLDER/prior.db.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

import fixbook

TEMPLATES = [
    "badge reader at door {n} rejected card {card} for {email}",
    "replica lag on {ip} reached {n} seconds at {ts}",
    "print job {uuid} stuck in queue of team {team}",
    "vpn tunnel to {ip} dropped after {ts} for {email}",
    "nightly export {team} to s3 bucket failed for {email} at {ts}",
    "coffee machine on floor {n} reports descaling needed",
    "license server {ip} refused seat {card} for {email}",
    "laptop {uuid} failed disk encryption check at {ts}",
]
WEIGHTS = [40, 25, 12, 8, 6, 4, 3, 2]


def text(rng: random.Random, template: str) -> str:
    return template.format(
        n=rng.randrange(1, 60),
        card=rng.randrange(1_000_000, 9_999_999),
        email=f"{rng.choice(['ann', 'bo', 'cy', 'di'])}.{rng.randrange(999)}@corp.example",
        ip=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
        ts=f"2026-11-{rng.randrange(1, 29):02}T{rng.randrange(24):02}:{rng.randrange(60):02}:00Z",
        uuid=f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-8{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}",
        team=rng.choice(["blue", "green", "red", "amber"]),
    )


def main() -> None:
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(17)
    (out / "gaps.db").unlink(missing_ok=True)
    engine = fixbook.Engine(pack_path=False, outcomes=out / "gaps.db")
    t0 = time.perf_counter()
    for _ in range(n):
        template = rng.choices(TEMPLATES, WEIGHTS)[0]
        assert engine.search(text(rng, template)) == []
    t1 = time.perf_counter()
    gaps = engine.gaps()
    t2 = time.perf_counter()
    print(f"recorded {n} unmatched searches in {t1 - t0:.2f} s ({(t1 - t0) / n * 1e6:.0f} us each)")
    print(f"grouped into {len(gaps)} templates in {(t2 - t1) * 1e3:.0f} ms")
    for g in gaps:
        print(f"  {g.count:>6}  {g.template}")

    # the cost of the store on a query that matches: plain engine vs one with history
    (out / "prior.db").unlink(missing_ok=True)
    plain = fixbook.Engine(pack_path=False)
    stored = fixbook.Engine(pack_path=False, outcomes=out / "prior.db")
    ids = plain.entry_ids
    for i in range(5000):
        stored.feedback(ids[i % len(ids)], "resolved" if rng.random() < 0.6 else "not-resolved")
    q = "An unexpected error has occurred"
    for name, e in (("no store", plain), ("store, 5000 reports", stored)):
        for _ in range(50):
            e.search(q)
        times = []
        for _ in range(500):
            s = time.perf_counter()
            e.search(q)
            times.append(time.perf_counter() - s)
        times.sort()
        print(
            f"search {q!r}, {name}: median {statistics.median(times) * 1e6:.0f} us, "
            f"p99 {times[int(len(times) * 0.99)] * 1e6:.0f} us"
        )


if __name__ == "__main__":
    main()
