#!/usr/bin/env python3
"""Median per-call time of ``Engine.search`` and ``Engine.diagnose`` from Python, to compare with the Rust API.

    python bench_overhead.py [--calls 5000] [--text "..."]

Prints the median (and 10th/90th percentiles) of one ``Engine.search(text)`` call, of the
native call alone (``EngineCore.search``: engine + JSON text), and the difference: what the
Python layer (result objects) adds; then the same for ``Engine.diagnose``
(``MEDIAN_DIAGNOSE_US``: subtract the Rust ``diagnose`` of the same text, from
``engine/examples/measure.rs``, for the whole overhead of Python). A diagnosis builds its
Python objects when first read: ``MEDIAN_DIAGNOSE_READ_US`` is the call plus reading
``.matches`` (every object built), ``MEDIAN_DIAGNOSE_JSON_US`` the call plus ``to_json()``. Build the extension in release mode for
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


def measure(calls_of: dict[str, Callable[[], object]], calls: int) -> dict[str, list[float]]:
    """Per-call times in seconds of each callable, taken in turns (one call of each per
    round) so that a drift of the machine's speed weighs on all of them alike."""
    for call in calls_of.values():
        for _ in range(min(200, calls)):  # warm up caches and the allocator
            call()
    times: dict[str, list[float]] = {label: [] for label in calls_of}
    clock = time.perf_counter_ns
    for _ in range(calls):
        for label, call in calls_of.items():
            start = clock()
            call()
            times[label].append((clock() - start) / 1e9)
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
    t = measure(
        {
            "Engine.search (typed results)": lambda: engine.search(args.text),
            "EngineCore.search (JSON text)": lambda: core.search(args.text, 10),
        },
        args.calls,
    )
    full, native = (describe(label, times) for label, times in t.items())
    print(f"{'Python layer (result objects)':<34} median {(full - native) * 1e6:9.1f} us")
    print(f"MEDIAN_PER_CALL_US={full * 1e6:.1f}")
    print(f"  diagnose({args.text!r})")
    rust = core._rust_diagnose_seconds
    t = measure(
        {
            "Engine.diagnose (call returns)": lambda: engine.diagnose(args.text),
            "EngineCore.diagnose (native)": lambda: core.diagnose(args.text),
        },
        args.calls,
    )
    # the same diagnose timed inside Rust, in this process, in turns with the Python call
    rust_times: list[float] = []
    python_times: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(args.calls):
        start = clock()
        engine.diagnose(args.text)
        python_times.append((clock() - start) / 1e9)
        rust_times.append(rust(args.text, 0))
    typed, raw = (describe(label, times) for label, times in t.items())
    in_rust = describe("diagnose inside Rust (same process)", rust_times)
    beside = describe("Engine.diagnose (beside it)", python_times)
    # measured on their own: building the objects would slow the calls measured beside them
    read = describe(
        "Engine.diagnose + .matches read",
        measure({"read": lambda: engine.diagnose(args.text).matches}, args.calls)["read"],
    )
    text = describe(
        "Engine.diagnose + .to_json()",
        measure({"json": lambda: engine.diagnose(args.text).to_json()}, args.calls)["json"],
    )
    print(f"{'Python layer (the call)':<34} median {(typed - raw) * 1e6:9.1f} us")
    print(f"{'Python over Rust (in turns)':<34} median {(beside - in_rust) * 1e6:9.1f} us")
    print(f"MEDIAN_DIAGNOSE_US={typed * 1e6:.1f}")
    print(f"MEDIAN_RUST_DIAGNOSE_US={in_rust * 1e6:.1f}")
    print(f"OVERHEAD_US={(beside - in_rust) * 1e6:.1f}")
    print(f"MEDIAN_DIAGNOSE_READ_US={read * 1e6:.1f}")
    print(f"MEDIAN_DIAGNOSE_JSON_US={text * 1e6:.1f}")

if __name__ == "__main__":
    main()
