"""diagnose_many and diagnose_arrow: the same answers as diagnose, row by row; bad rows fail alone."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from helpers import REPO, SESSION_ID, SESSION_TEXT, TYPED_PACK

import fixbook


def corpus() -> list[str]:
    lines = (REPO / "tests" / "data" / "dev-queries.jsonl").read_text(encoding="utf-8")
    texts = [json.loads(line)["q"] for line in lines.splitlines() if line.strip()]
    return texts + [SESSION_TEXT, "nothing relevant here at all", "", "x" * 1_000_000]


def test_diagnose_many_equals_diagnose_row_by_row(engine: fixbook.Engine) -> None:
    texts = corpus() * 3
    many = engine.diagnose_many(texts, limit=3)
    assert len(many) == len(texts)
    for text, d in zip(texts, many):
        assert d.to_json() == engine.diagnose(text, limit=3).to_json(), text[:80]


def test_diagnose_many_per_row_facts_and_errors(typed_engine: fixbook.Engine) -> None:
    texts = ["widget jammed", "widget jammed", "widget jammed", 42]
    facts = [{"t.flag": True}, {"t.count": "many"}, None, None]
    out = typed_engine.diagnose_many(texts, facts, errors="return")  # type: ignore[arg-type]
    assert isinstance(out[0], fixbook.Diagnosis)
    assert out[0].to_json() == typed_engine.diagnose("widget jammed", {"t.flag": True}).to_json()
    assert isinstance(out[1], fixbook.FactError) and "t.count" in str(out[1])
    assert isinstance(out[2], fixbook.Diagnosis)
    assert isinstance(out[3], TypeError)
    with pytest.raises(fixbook.FactError, match="t.count"):
        typed_engine.diagnose_many(texts[:2], facts[:2])
    with pytest.raises(ValueError, match="one mapping"):
        typed_engine.diagnose_many(texts, facts[:2])


def test_diagnose_arrow_equals_diagnose(engine: fixbook.Engine) -> None:
    texts = corpus()
    arr = pa.array(texts + [None])
    out = engine.diagnose_arrow(arr, limit=3)
    assert isinstance(out, pa.StructArray) and len(out) == len(texts) + 1
    rows = out.to_pylist()
    for text, row in zip(texts, rows):
        d = engine.diagnose(text, limit=3)
        assert row["diagnosis"] == d.to_json(), text[:80]
        assert row["error"] is None
        if d.matches:
            assert row["id"] == d.matches[0].id and row["title"] == d.matches[0].title
            assert row["confidence"] == pytest.approx(d.matches[0].confidence)
        else:
            assert row["id"] is None and row["confidence"] is None
        assert row["question"] == (d.questions[0].fact if d.questions else None)
    assert rows[-1] == dict.fromkeys(rows[-1])  # a null text: every field null
    assert rows[texts.index(SESSION_TEXT)]["id"] == SESSION_ID
    # large strings, views, binary and chunked arrays give the same rows
    for variant in (
        arr.cast(pa.large_string()),
        arr.cast(pa.string_view()),
        pa.array([t.encode() if t is not None else None for t in texts + [None]]),
        pa.chunked_array([arr[:5], arr[5:]]),
    ):
        assert engine.diagnose_arrow(variant, limit=3).to_pylist() == rows


def test_diagnose_arrow_bad_facts_fail_their_row_only(typed_engine: fixbook.Engine) -> None:
    texts = pa.array(["widget jammed"] * 5)
    facts = pa.array(['{"t.flag": true}', "{not json", '{"t.count": "many"}', None, '{"t.x": {}}'])
    rows = typed_engine.diagnose_arrow(texts, facts).to_pylist()
    good = typed_engine.diagnose("widget jammed", {"t.flag": True}, limit=3).to_json()
    assert rows[0]["diagnosis"] == good and rows[0]["error"] is None
    assert "not a JSON object" in rows[1]["error"] and rows[1]["diagnosis"] is None
    assert "t.count" in rows[2]["error"]
    assert rows[3]["error"] is None and rows[3]["id"] == "typed/widget-jam"
    assert "t.x" in rows[4]["error"]
    with pytest.raises(TypeError, match="Arrow"):
        typed_engine.diagnose_arrow(["widget jammed"])
    with pytest.raises(TypeError, match="strings or binary"):
        typed_engine.diagnose_arrow(pa.array([1, 2]))


def test_typed_pack_fixture_is_used(tmp_path: Path) -> None:
    # the Arrow path reads the same packs as diagnose (no hidden default engine)
    (tmp_path / "typed").mkdir()
    (tmp_path / "typed" / "pack.toml").write_text(TYPED_PACK, encoding="utf-8")
    e = fixbook.Engine(tmp_path / "typed", builtin=False, pack_path=False)
    assert e.diagnose_arrow(pa.array(["widget jammed"])).to_pylist()[0]["id"] == "typed/widget-jam"
