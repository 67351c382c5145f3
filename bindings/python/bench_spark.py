#!/usr/bin/env python3
"""Throughput of fixbook on Spark and in one process (a measurement, not a test).

    python bench_spark.py [--rows 1000000] [--skip-spark]

Prints rows/s for:
  * a plain Python loop over ``Engine.diagnose`` (one thread),
  * ``Engine.diagnose_many`` (rows in parallel on rayon, GIL released; answers parsed into
    ``Diagnosis`` objects) and the native ``diagnose_many`` alone (JSON strings),
  * ``Engine.diagnose_arrow`` (Arrow in, Arrow out),
  * two Python threads calling ``Engine.diagnose`` (the 2 threads / 1 thread ratio),
  * ``fixbook.spark.annotate`` in ``local[2]`` over the same rows (written to a no-op sink),
    and the peak RSS of the Spark Python workers.
The loop, thread and ``diagnose_many`` figures use a sample (``--sample`` rows), the Arrow
figure ``--arrow-rows`` rows (100k a call); each is scaled to rows/s.
Build the extension in release mode for figures worth quoting.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa

import fixbook
from fixbook import _fixbook

# the tickets and log lines the Spark tests use
sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
from helpers import generated_texts  # noqa: E402

# rows per diagnose_arrow call: one call answers at most what fits an Arrow string column
ARROW_CHUNK = 100_000


def rate(label: str, rows: int, seconds: float) -> float:
    r = rows / seconds
    print(f"{label:<48} {r:>10.0f} rows/s   ({rows} rows in {seconds:.2f} s)", flush=True)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=20_000)
    ap.add_argument("--arrow-rows", type=int, default=200_000, help="rows for diagnose_arrow")
    ap.add_argument("--skip-spark", action="store_true")
    args = ap.parse_args()
    engine = fixbook.Engine(pack_path=False)
    data = generated_texts(args.rows)
    sample = data[: args.sample]
    engine.diagnose_many(sample[:1000], limit=3)  # warm up

    t = time.perf_counter()
    for s in sample:
        engine.diagnose(s, limit=3)
    loop = rate("Python loop over Engine.diagnose", len(sample), time.perf_counter() - t)

    def work(part: list[str]) -> None:
        for s in part:
            engine.diagnose(s, limit=3)

    halves = [sample[0::2], sample[1::2]]
    ths = [threading.Thread(target=work, args=(h,)) for h in halves]
    t = time.perf_counter()
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    two = rate("2 Python threads over Engine.diagnose", len(sample), time.perf_counter() - t)
    print(f"{'  2 threads / 1 thread':<48} {two / loop:>10.2f}x")

    t = time.perf_counter()
    engine.diagnose_many(sample, limit=3)
    many = rate("Engine.diagnose_many (Diagnosis objects)", len(sample), time.perf_counter() - t)
    t = time.perf_counter()
    _fixbook.diagnose_many(engine._core, sample, None, 3)
    native = rate("native diagnose_many (answers unconverted)", len(sample), time.perf_counter() - t)
    print(f"{'  diagnose_many / loop':<48} {many / loop:>10.2f}x  (native {native / loop:.2f}x)")

    arr = pa.array(data)
    rows = min(len(arr), args.arrow_rows)
    t = time.perf_counter()
    for start in range(0, rows, ARROW_CHUNK):
        engine.diagnose_arrow(arr.slice(start, min(ARROW_CHUNK, rows - start)), limit=3)
    arrow = rate("Engine.diagnose_arrow (100k rows a call)", rows, time.perf_counter() - t)
    print(f"{'  diagnose_arrow / loop':<48} {arrow / loop:>10.2f}x")
    print(f"{'peak RSS of this process':<48} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:>10.0f} MiB")

    if args.skip_spark:
        return
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from fixbook.spark import annotate

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    df = spark.createDataFrame(pa.table({"body": arr}).to_pandas()).repartition(2).cache()
    df.count()

    def peak_rss_workers() -> float:
        # the workers report their own peak RSS (ru_maxrss of the worker process)
        def probe(it):  # type: ignore[no-untyped-def]
            import resource as r

            for _ in it:
                pass
            yield pa.record_batch([pa.array([r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024.0])], names=["m"])

        return max(x["m"] for x in df.mapInArrow(probe, "m double").collect())

    # warm: the workers build their engines once
    annotate(df.limit(1000), "body").write.format("noop").mode("overwrite").save()
    t = time.perf_counter()
    annotate(df, "body", limit=3).write.format("noop").mode("overwrite").save()
    sp = rate("fixbook.spark.annotate, local[2] (noop sink)", len(data), time.perf_counter() - t)
    t = time.perf_counter()
    df.select(F.length("body")).write.format("noop").mode("overwrite").save()
    base = time.perf_counter() - t
    print(f"{'  Spark scan of the same rows alone':<48} {base:>10.2f} s")
    print(f"{'  annotate / diagnose_arrow in one process':<48} {sp / arrow:>10.2f}x")
    print(f"{'peak RSS of a Spark Python worker':<48} {peak_rss_workers():>10.0f} MiB")
    spark.stop()


if __name__ == "__main__":
    main()
