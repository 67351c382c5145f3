#!/usr/bin/env python3
"""Median per-call time of ``Engine.search`` and ``Engine.diagnose`` from Python, to compare with the Rust API.

    python bench_overhead.py [--calls 5000] [--text "..."]

Prints the median (and 10th/90th percentiles) of one ``Engine.search(text)`` call, of the
native call alone (``EngineCore.search``: engine + JSON text), and the difference: what the
Python layer (JSON parsing, result objects) adds; then the same for ``Engine.diagnose``
(``MEDIAN_DIAGNOSE_US``: subtract the Rust ``diagnose`` of the same text, from
``engine/examples/measure.rs``, for the whole overhead of Python). Build the extension in release mode for
numbers worth comparing (``pip install ./bindings/python`` does).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import fixbook
from fixbook import _fixbook

TEXT = "Session token not found or invalid"


def measure(call: Callable[[], object], calls: int) -> list[float]:
    """Per-call times in seconds."""
    for _ in range(min(200, calls)):  # warm up caches and the allocator
        call()
    times = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        call()
        times.append((clock() - start) / 1e9)
    return times


def describe(label: str, times: list[float]) -> float:
    """Prints one line; returns the median in seconds."""
    q = statistics.quantiles(times, n=10)
    median = statistics.median(times)
    print(f"{label:<34} median {median * 1e6:9.1f} us   p10 {q[0] * 1e6:9.1f}   p90 {q[-1] * 1e6:9.1f}")
    return median


def main() -> None:
    """Runs the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--text", default=TEXT)
    args = parser.parse_args()

    engine = fixbook.Engine(pack_path=False)
    core = _fixbook.EngineCore(None, True, False, False)
    assert engine.search(args.text), "the text should match something"
    print(f"fixbook {fixbook.__version__}: {len(engine.entry_ids)} entries; {args.calls} calls of")
    print(f"  search({args.text!r})")
    full = describe("Engine.search (typed results)", measure(lambda: engine.search(args.text), args.calls))
    native = describe("EngineCore.search (JSON text)", measure(lambda: core.search(args.text, 10), args.calls))
    print(f"{'Python layer (JSON -> objects)':<34} median {(full - native) * 1e6:9.1f} us")
    print(f"MEDIAN_PER_CALL_US={full * 1e6:.1f}")
    print(f"  diagnose({args.text!r})")
    typed = describe("Engine.diagnose (Diagnosis)", measure(lambda: engine.diagnose(args.text), args.calls))
    raw = describe("EngineCore.diagnose (JSON text)", measure(lambda: core.diagnose(args.text), args.calls))
    print(f"{'Python layer (JSON -> objects)':<34} median {(typed - raw) * 1e6:9.1f} us")
    print(f"MEDIAN_DIAGNOSE_US={typed * 1e6:.1f}")


if __name__ == "__main__":
    main()
