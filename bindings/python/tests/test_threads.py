"""One engine shared by threads: same answers as one thread; reloads while querying."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
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


# Reloads under load: 16 threads query while this one reloads RELOAD_CYCLES times, every
# other reload breaking the packs and the others switching between two good sets that answer
# differently (each pack's version, entry title and cause verdict). Every answer must be one
# set's answer as a whole; a broken reload must raise and keep the loaded set.

READERS = 16
RELOAD_CYCLES = 100

PROBE_PACK = """\
format = {format}
id = "probe-{name}"
name = "Probe {name}"
version = "{version}"

[facts."{name}.flag"]
type = "bool"
question = "Is the {name} flag set?"

[[entries]]
id = "probe"
title = "Consistency probe {name}, set {label}"
signatures = [{{ id = "probe", pattern = '{pattern}' }}]

  [[entries.causes]]
  id = "flag"
  title = "The flag decides"
  check = '{negate}fact("{check_fact}.flag")'
"""

PROBE_TEXT = "consistency probe failed"
PROBE_FACTS = {"one.flag": True, "two.flag": True}
VERSIONS = ["1.0.0", "2.0.0"]


def probe_pack(
    name: str,
    good_set: int,
    *,
    format: int = 1,  # noqa: A002 - the manifest key
    pattern: str = "consistency probe",
    check_fact: str | None = None,
) -> str:
    """Pack `name` of good set 0 (set A: checks `fact(..)`) or 1 (set B: `!fact(..)`)."""
    return PROBE_PACK.format(
        format=format,
        name=name,
        version=VERSIONS[good_set],
        label="AB"[good_set],
        pattern=pattern,
        negate="!" if good_set else "",
        check_fact=check_fact or name,
    )


def probe(engine: fixbook.Engine, q: int) -> str:
    facts = PROBE_FACTS if q else None
    return engine.diagnose(PROBE_TEXT, facts, limit=5).to_json()


def test_sixteen_readers_and_a_hundred_reloads_see_one_consistent_set(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()

    def write_good(good_set: int) -> None:
        (one / "pack.toml").write_text(probe_pack("one", good_set))
        (two / "pack.toml").write_text(probe_pack("two", good_set))

    def break_packs(good_set: int, how: int) -> str:
        """Breaks the loaded good set; returns the kind of error the reload must report."""
        if how == 0:
            (one / "pack.toml").write_text('format = 1\nid = "broken"\nname = "Broken\n')
            return "toml-syntax"
        if how == 1:
            (two / "pack.toml").write_text(probe_pack("two", good_set, pattern="(unclosed"))
            return "bad-regex"
        if how == 2:  # pack.toml gone: deleted, or an editor's save half done
            (one / "pack.toml").unlink()
            return "io"
        if how == 3:
            (two / "pack.toml").write_text(probe_pack("two", good_set, check_fact="nope"))
            return "undeclared-fact"
        (one / "pack.toml").write_text(probe_pack("one", good_set, format=99))
        return "unsupported-format"

    # the answers of each good set, from the same engine
    write_good(0)
    engine = fixbook.Engine([one, two], builtin=False, pack_path=False)
    expected: list[list[str]] = []
    for good_set in (0, 1):
        write_good(good_set)
        engine.reload()
        expected.append([probe(engine, q) for q in (0, 1)])
    for q in (0, 1):
        assert expected[0][q] != expected[1][q]
    for good_set, label in ((0, "A"), (1, "B")):
        titles = [m.title for m in fixbook.Diagnosis.from_json(expected[good_set][0]).matches]
        assert sorted(titles) == [f"Consistency probe {n}, set {label}" for n in ("one", "two")]
        verdicts = {
            c.verdict
            for m in fixbook.Diagnosis.from_json(expected[good_set][1]).matches
            for c in m.causes
        }
        assert verdicts == {"confirmed" if good_set == 0 else "ruled_out"}
    write_good(0)
    engine.reload()

    stop = threading.Event()
    counts = [[0, 0] for _ in range(READERS)]  # answers from set A, set B, per reader
    neither: list[str] = []
    errors: list[BaseException] = []

    def read(index: int) -> None:
        i = index
        try:
            while True:
                q = i % 2
                answer = probe(engine, q)
                if answer == expected[0][q]:
                    counts[index][0] += 1
                elif answer == expected[1][q]:
                    counts[index][1] += 1
                else:
                    neither.append(answer)
                i += 1
                if stop.is_set():
                    break
                time.sleep(0.02)  # leave the reloading thread its share of the cores
        except BaseException as e:  # noqa: BLE001 - a panic is a BaseException; reported below
            errors.append(e)

    readers = [threading.Thread(target=read, args=(i,), daemon=True) for i in range(READERS)]
    for t in readers:
        t.start()
    current = 0
    refused: list[str] = []
    start = time.perf_counter()
    try:
        for i in range(RELOAD_CYCLES):
            if i % 2 == 0:
                kind = break_packs(current, (i // 2) % 5)
                with pytest.raises(fixbook.PackError) as info:
                    engine.reload()
                kinds = {d.kind for d in info.value.errors}
                assert kind in kinds, (i, kind, str(info.value))
                refused.append(kind)
                # the loaded set is kept, and answers
                assert [p.version for p in engine.packs] == [VERSIONS[current]] * 2, i
                assert probe(engine, 0) == expected[current][0], i
                write_good(current)
            else:
                current = 1 - current
                write_good(current)
                engine.reload()
                assert [p.version for p in engine.packs] == [VERSIONS[current]] * 2, i
    finally:
        stop.set()
        deadline = time.monotonic() + 60
        for t in readers:
            t.join(max(0.0, deadline - time.monotonic()))
    elapsed = time.perf_counter() - start
    assert not any(t.is_alive() for t in readers), "every reader ends: no deadlock"
    assert not errors, errors
    assert not neither, neither[0]
    per_set = [sum(c[s] for c in counts) for s in (0, 1)]
    assert all(sum(c) > 0 for c in counts), counts
    # queries ran all along the reloads: both sets answered
    assert per_set[0] > 0 and per_set[1] > 0, per_set
    assert len(refused) == RELOAD_CYCLES // 2
    print(
        f"{READERS} readers, {sum(per_set)} answers (set A {per_set[0]}, set B {per_set[1]}), "
        f"{RELOAD_CYCLES} reloads ({len(refused)} refused) in {elapsed:.1f} s"
    )


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
