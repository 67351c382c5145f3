"""One engine shared by threads: same answers as one thread; reload while querying."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from helpers import REPO, SESSION_TEXT, minimal_pack

import fixbook

STABLE_PACK = """\
format = 1
id = "beta"
name = "Beta"
version = "1.0.0"

[[entries]]
id = "disk-full"
title = "Disk full"
signatures = [{ id = "full", pattern = 'disk is full' }]
"""

THREADS = 8
QUERIES_PER_THREAD = 1000
RELOADS = 10


def corpus() -> list[str]:
    lines = (REPO / "tests" / "data" / "dev-queries.jsonl").read_text(encoding="utf-8")
    texts = [json.loads(line)["q"] for line in lines.splitlines() if line.strip()]
    return texts[:20] + [SESSION_TEXT, "nothing relevant here at all", ""]


def test_eight_threads_give_the_same_answers_as_one(engine: fixbook.Engine) -> None:
    texts = corpus()
    expected = {t: engine.diagnose(t, limit=3).to_json() for t in texts}

    def work(seed: int) -> list[tuple[str, str]]:
        out = []
        for i in range(QUERIES_PER_THREAD):
            t = texts[(seed * 7 + i) % len(texts)]
            out.append((t, engine.diagnose(t, limit=3).to_json()))
        return out

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    assert sum(len(r) for r in results) == THREADS * QUERIES_PER_THREAD
    for r in results:
        for text, answer in r:
            assert answer == expected[text], text


def test_search_and_diagnose_threads_mixed(engine: fixbook.Engine) -> None:
    want = [m.id for m in engine.search(SESSION_TEXT)]

    def work(_: int) -> bool:
        return all([m.id for m in engine.search(SESSION_TEXT)] == want for _ in range(50))

    with ThreadPoolExecutor(THREADS) as pool:
        assert all(pool.map(work, range(THREADS)))


def test_reload_while_other_threads_query(write_pack) -> None:
    root: Path = write_pack("a", minimal_pack("alpha", "Title 0"))
    stable = write_pack("b", STABLE_PACK)
    engine = fixbook.Engine([root, stable], builtin=False, pack_path=False)
    stop = threading.Event()
    seen: set[str] = set()
    errors: list[BaseException] = []

    def query() -> None:
        try:
            while not stop.is_set():
                m = engine.search("upstream timed out", limit=1)
                assert len(m) == 1 and m[0].id == "alpha/timeout"
                seen.add(m[0].title)
                s = engine.search("the disk is full", limit=1)
                assert len(s) == 1 and s[0].id == "beta/disk-full"
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=query) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(1, RELOADS + 1):
            (root / "pack.toml").write_text(minimal_pack("alpha", f"Title {i}"))
            engine.reload()
            time.sleep(0.01)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert seen <= {f"Title {i}" for i in range(RELOADS + 1)}
    assert len(seen) > 1
    assert engine.search("upstream timed out")[0].title == f"Title {RELOADS}"


def test_gil_is_released_while_the_engine_works(engine: fixbook.Engine) -> None:
    big = ("INFO nothing to see here, worker-7 handled a request\n" * 60000) + SESSION_TEXT
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        time.sleep(0.05)
        before = ticks
        start = time.perf_counter()
        engine.search(big)
        elapsed = time.perf_counter() - start
        during = ticks - before
    finally:
        done.set()
        counter.join()
    # while the query ran, the other Python thread kept running
    assert elapsed > 0 and during > 10, (elapsed, during)
