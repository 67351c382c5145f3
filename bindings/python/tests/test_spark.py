"""fixbook.spark in Spark local mode (local[2]): annotate equals Engine.diagnose row by row.

Needs Java 17+ (run-tests.sh installs Debian's openjdk-17-jdk-headless when `java` is
missing) and the [spark] extra; skipped only when no `java` is found. One SparkSession
for the module.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import SESSION_TEXT, generated_texts, minimal_pack

import fixbook

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="no Java (pyspark needs 17+)")

ROWS = 3000


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    from pyspark.sql import SparkSession

    # the workers run this interpreter (the venv with fixbook installed)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    s = (
        SparkSession.builder.master("local[2]")
        .appName("fixbook-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    yield s
    s.stop()


def test_annotate_equals_diagnose_row_by_row(spark, engine: fixbook.Engine) -> None:  # type: ignore[no-untyped-def]
    from fixbook.spark import annotate, summarize

    texts = generated_texts(ROWS) + [SESSION_TEXT]
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "n long, body string")
    rows = annotate(df, "body", limit=3).orderBy("n").collect()
    assert len(rows) == len(texts)
    matched = 0
    unmatched_texts = set()
    for r, text in zip(rows, texts):
        assert r["body"] == text
        d = engine.diagnose(text, limit=3)
        assert r["fixbook_diagnosis"] == d.to_json(), text
        assert r["fixbook_error"] is None
        top = d.matches[0] if d.matches else None
        assert r["fixbook_id"] == (top.id if top else None)
        assert r["fixbook_title"] == (top.title if top else None)
        if top:
            matched += 1
            assert r["fixbook_confidence"] == pytest.approx(top.confidence)
        else:
            unmatched_texts.add(text)
        assert r["fixbook_questions"] == (d.questions[0].fact if d.questions else None)
    assert 0 < matched < len(texts)

    s = summarize(annotate(df, "body"), top=5)
    assert s.rows == len(texts) and s.matched == matched
    assert s.unmatched == len(texts) - matched and s.errors == 0
    assert sum(e.count for e in s.entries) == matched
    assert s.top_unmatched and s.top_unmatched[0][1] >= s.top_unmatched[-1][1]
    # the top unmatched texts are texts the engine matches nothing in (printer tickets, and
    # generic messages without the domain context a pack needs)
    assert all(t in unmatched_texts for t, _ in s.top_unmatched)
    assert 0 < s.share_unmatched < 1


def test_bad_rows_give_per_row_results_never_a_failed_job(spark, typed_engine) -> None:  # type: ignore[no-untyped-def]
    from fixbook.spark import annotate, summarize

    huge = "widget jammed " + "lorem ipsum " * 90_000  # about 1 MB
    data = [
        (0, None, '{"t.flag": true}'),
        (1, "", None),
        (2, huge, None),
        (3, "widget jammed", "{not json"),
        (4, "widget jammed", '{"t.count": "many"}'),
        (5, "widget jammed", '{"t.flag": true}'),
        (6, "caf\u00e9 \u202e \U0001f600 \x00", None),
    ]
    df = spark.createDataFrame(data, "n int, body string, facts string")
    packs = typed_engine_packs(typed_engine)
    rows = {r["n"]: r for r in annotate(df, "body", packs=packs, builtin=False, facts_col="facts").collect()}
    assert len(rows) == len(data)
    assert rows[0]["fixbook_diagnosis"] is None and rows[0]["fixbook_error"] is None
    assert rows[1]["fixbook_id"] is None and rows[1]["fixbook_error"] is None
    assert rows[1]["fixbook_diagnosis"] == typed_engine.diagnose("", limit=3).to_json()
    assert rows[2]["fixbook_diagnosis"] == typed_engine.diagnose(huge, limit=3).to_json()
    assert "not a JSON object" in rows[3]["fixbook_error"]
    assert "t.count" in rows[4]["fixbook_error"]
    assert rows[5]["fixbook_diagnosis"] == typed_engine.diagnose(
        "widget jammed", {"t.flag": True}, limit=3
    ).to_json()
    assert rows[6]["fixbook_error"] is None
    s = summarize(annotate(df, "body", packs=packs, builtin=False, facts_col="facts"))
    assert (s.rows, s.errors, s.null_texts) == (7, 2, 1)

    # a map column of facts works like the JSON strings
    mdf = spark.createDataFrame(
        [(0, "widget jammed", {"t.flag": "true"})], "n int, body string, facts map<string,string>"
    )
    r = annotate(mdf, "body", packs=packs, builtin=False, facts_col="facts").collect()[0]
    assert r["fixbook_error"] is None or "t.flag" in r["fixbook_error"]


def typed_engine_packs(typed_engine) -> list[str]:  # type: ignore[no-untyped-def]
    # the typed pack's folder, as loaded by the fixture
    return [p.origin for p in typed_engine.packs]


def test_custom_packs_shipped_with_add_file_are_used(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from fixbook import spark as fs

    pack = tmp_path / "shipped-demo"
    pack.mkdir()
    (pack / "pack.toml").write_text(minimal_pack("shipped"), encoding="utf-8")
    df = spark.createDataFrame([(i, f"job {i}: upstream timed out") for i in range(50)], "n int, body string")
    rows = fs.annotate(df, "body", packs=[pack], builtin=False).collect()
    assert {r["fixbook_id"] for r in rows} == {"shipped/timeout"}
    # what travels to the workers names the folder only: they find it through SparkFiles
    spec = fs._pack_spec(df, [pack], False)
    assert spec.sources == (("sparkfiles", "shipped-demo"),)
    # the same packs as zip bytes
    rows = fs.annotate(df, "body", packs=fs.pack_archive(pack), builtin=False).collect()
    assert {r["fixbook_id"] for r in rows} == {"shipped/timeout"}
    # a broken pack fails on the driver, before any job, with where and what
    (pack / "pack.toml").write_text("format = 1\nid = 3\n", encoding="utf-8")
    with pytest.raises(fixbook.PackError):
        fs.annotate(df, "body", packs=[pack], builtin=False)


def test_worker_engine_is_built_once_and_rebuilt_when_packs_change(tmp_path: Path) -> None:
    from fixbook import spark as fs

    spec = fs.PackSpec(builtin=True, sources=(), signature="a")
    batches = [pa.record_batch([pa.array([SESSION_TEXT] * 10)], names=["body"]) for _ in range(4)]
    before = fs._BUILDS
    out = list(fs._annotate_batches(batches, spec, 0, False, 3, [f"x{i}" for i in range(6)]))
    assert len(out) == 4 and fs._BUILDS == before + 1
    list(fs._annotate_batches(batches, spec, 0, False, 3, [f"x{i}" for i in range(6)]))
    assert fs._BUILDS == before + 1  # reused
    other = fs.PackSpec(builtin=True, sources=(), signature="b")
    list(fs._annotate_batches(batches, other, 0, False, 3, [f"x{i}" for i in range(6)]))
    assert fs._BUILDS == before + 2
