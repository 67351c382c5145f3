"""The public API: every name, the engine's methods, the result classes."""

from __future__ import annotations

import dataclasses
import doctest
import inspect
import json
import os
from pathlib import Path

import pytest
from helpers import BINDING, FIXTURE_PACKS, SESSION_ID, SESSION_TEXT, minimal_pack

import fixbook
from fixbook import _fixbook


def test_the_installed_package_is_tested() -> None:
    here = Path(fixbook.__file__).resolve()
    assert BINDING / "python" not in here.parents, f"testing the source tree: {here}"
    assert (here.parent / "py.typed").is_file()
    assert (here.parent / "_fixbook.pyi").is_file()


def test_every_public_name_exists_and_is_documented() -> None:
    assert sorted(fixbook.__all__) == sorted(set(fixbook.__all__))
    for name in fixbook.__all__:
        obj = getattr(fixbook, name)
        if name in ("__version__", "ENGINE_VERSION", "FactValue", "Verdict", "StrPath"):
            continue
        assert inspect.getdoc(obj), f"{name} has no docstring"
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not callable(member) and not isinstance(
                    member, (property, classmethod)
                ):
                    continue
                assert inspect.getdoc(getattr(obj, attr)), f"{name}.{attr} has no docstring"
    assert inspect.getdoc(fixbook)


def test_version() -> None:
    assert fixbook.__version__ == _fixbook.__version__
    parts = fixbook.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)
    assert fixbook.ENGINE_VERSION


def test_module_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(fixbook, verbose=False)
    assert tried > 0 and failures == 0


def test_search_finds_the_known_problem(engine: fixbook.Engine) -> None:
    matches = engine.search(SESSION_TEXT)
    assert isinstance(matches, list) and matches
    top = matches[0]
    assert isinstance(top, fixbook.Match)
    assert top.id == SESSION_ID
    assert top.title and top.summary
    assert top.score > 0 and 0 < top.confidence <= 1
    assert isinstance(top.evidence, fixbook.Evidence)
    assert top.evidence.signatures and isinstance(top.evidence.signatures[0], fixbook.SignatureHit)
    hit = top.evidence.signatures[0]
    assert hit.text.lower() == SESSION_TEXT.lower() and hit.span == (0, len(SESSION_TEXT))
    assert "session" in top.evidence.terms
    assert all(isinstance(c, fixbook.Cause) for c in top.causes)
    assert {c.verdict for c in top.causes} == {"unknown"}
    assert top.remedy and all(isinstance(s, str) for s in top.remedy)
    assert all(isinstance(q, fixbook.Question) for q in top.questions)
    q = top.questions[0]
    assert q.fact and q.text.endswith("?") and q.choices == ["true", "false"] and q.type == "bool"
    assert all(isinstance(r, fixbook.Reference) for r in top.references)


def test_search_limit_and_nothing_relevant(engine: fixbook.Engine) -> None:
    assert len(engine.search("An unexpected error has occurred", limit=1)) == 1
    assert engine.search("the printer on floor 3 jams on duplex pages") == []
    assert engine.search("") == []
    # 0 means the engine's default, in every door
    assert engine.search(SESSION_TEXT, limit=0) == engine.search(SESSION_TEXT) != []
    assert fixbook.DEFAULT_LIMIT == 10
    with pytest.raises(ValueError):
        engine.search(SESSION_TEXT, limit=-1)
    with pytest.raises(TypeError):
        engine.search(SESSION_TEXT, limit="3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        engine.search(42)  # type: ignore[arg-type]


def test_diagnose_with_facts_confirms_and_asks(engine: fixbook.Engine) -> None:
    d = engine.diagnose(SESSION_TEXT, facts={"session.revoked": True})
    assert isinstance(d, fixbook.Diagnosis)
    assert d.top is d.matches[0] and d
    verdicts = {c.id: c.verdict for c in d.top.causes}
    assert verdicts["session-revoked"] == "confirmed"
    assert d.top.causes[0].verdict == "confirmed"  # confirmed first
    assert all(q.fact != "session.revoked" for q in d.questions)
    assert d.questions and isinstance(d.questions[0], fixbook.Question)
    ruled_out = engine.diagnose(SESSION_TEXT, facts={"session.revoked": False})
    assert {c.id: c.verdict for c in ruled_out.top.causes}["session-revoked"] == "ruled_out"


def test_diagnose_keyword_arguments_and_trace(engine: fixbook.Engine) -> None:
    d = engine.diagnose(text=SESSION_TEXT, facts=None, limit=2, trace=True)
    assert d.trace is not None and d.trace["candidates"]
    assert "trace" not in json.loads(engine.diagnose(SESSION_TEXT).to_json())
    empty = engine.diagnose("nothing to see here, the weather is fine")
    assert not empty and empty.top is None and empty.matches == []


def test_unknown_fact_is_a_note_not_an_error(engine: fixbook.Engine) -> None:
    d = engine.diagnose(SESSION_TEXT, facts={"no.such_fact": 1})
    assert d.matches and any("no.such_fact" in n for n in d.notes)


def test_to_dict_is_the_json_object(engine: fixbook.Engine) -> None:
    d = engine.diagnose(SESSION_TEXT, limit=3)
    doc = json.loads(d.to_json())
    assert set(doc) >= {"matches", "questions"}
    assert d.to_dict() == doc
    m = d.matches[0]
    assert m.to_dict() == doc["matches"][0]
    assert set(m.to_dict()) >= {
        "id", "title", "score", "confidence", "evidence", "causes", "remedy", "questions",
        "references",
    }
    assert m.causes[0].to_dict() == doc["matches"][0]["causes"][0]
    assert m.questions[0].to_dict() == doc["matches"][0]["questions"][0]
    # to_dict hands out a copy
    m.to_dict()["id"] = "changed"
    assert m.to_dict()["id"] == SESSION_ID
    assert json.loads(d.to_json(indent=2)) == doc


def test_hand_made_records_to_dict() -> None:
    r = fixbook.Reference("Guide")
    assert r.to_dict() == {"title": "Guide", "url": None}
    c = fixbook.Cause("c", "Title", "confirmed", "why", references=[r])
    assert c.to_dict()["references"] == [{"title": "Guide", "url": None}]
    d = fixbook.Diagnosis([])
    assert json.loads(d.to_json()) == {"matches": [], "questions": [], "notes": [], "trace": None}
    assert repr(d) == "Diagnosis(matches=0, questions=0)"


def test_results_are_frozen_dataclasses(engine: fixbook.Engine) -> None:
    m = engine.search(SESSION_TEXT)[0]
    assert dataclasses.is_dataclass(m)
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.id = "x"  # type: ignore[misc]
    assert m == engine.search(SESSION_TEXT)[0]


def test_reprs_are_useful(engine: fixbook.Engine) -> None:
    d = engine.diagnose(SESSION_TEXT)
    m = d.matches[0]
    assert repr(m).startswith(f"Match(id={SESSION_ID!r}, title=")
    assert "confidence=" in repr(m)
    assert repr(d).startswith("Diagnosis(matches=1") and SESSION_ID in repr(d)
    assert repr(m.causes[0]).startswith("Cause(id='session-revoked'")
    assert "verdict='unknown'" in repr(m.causes[0])
    assert repr(m.questions[0]).startswith("Question(fact=")
    assert repr(engine).startswith("<fixbook.Engine packs=[aws-iam-identity-center")
    assert f"entries={len(engine.entry_ids)}>" in repr(engine)


def test_packs(engine: fixbook.Engine) -> None:
    packs = engine.packs
    assert packs[0].id == "aws-iam-identity-center"  # the embedded packs, first one first
    assert all(isinstance(p, fixbook.PackInfo) and p.origin == "builtin" for p in packs)
    assert sum(p.entries for p in packs) == len(engine.entry_ids)
    p = packs[0]
    assert p.name == "AWS IAM Identity Center" and p.version.count(".") == 2
    assert p.entries >= 19 and p.description
    assert p.to_dict()["origin"] == {"kind": "builtin"}
    assert "aws-iam-identity-center" in repr(p)


def test_entry_and_fact(engine: fixbook.Engine) -> None:
    e = engine.entry(SESSION_ID)
    assert isinstance(e, fixbook.Entry)
    assert e.id == SESSION_ID and e.title and e.summary
    assert e.signatures and isinstance(e.signatures[0], fixbook.Signature)
    assert e.causes and isinstance(e.causes[0], fixbook.EntryCause) and e.causes[0].check
    assert e.facts and isinstance(e.facts[0], fixbook.FactInfo)
    assert isinstance(e.location, fixbook.Location) and e.location.line >= 1
    assert e.status == "approved"
    assert e.to_dict()["id"] == SESSION_ID
    assert engine.entry("no/such-entry") is None
    f = engine.fact("saml.nameid_format")
    assert f is not None and f.type == "enum" and "email" in f.values and f.question
    assert engine.fact("no.such_fact") is None


def test_engine_from_folders(write_pack, tmp_path: Path) -> None:
    a = write_pack("a", minimal_pack("alpha"))
    b = write_pack("b", minimal_pack("beta", "Upstream timed out again"))
    for packs in (str(a), a, [a, str(b)], (a,), os.fspath(a)):
        e = fixbook.Engine(packs, builtin=False, pack_path=False)
        assert e.packs[0].id == "alpha" and e.packs[0].origin.endswith("a")
        assert e.search("upstream timed out")[0].id.endswith("/timeout")
    both = fixbook.Engine(packs=[a, b], builtin=True, pack_path=False)
    ids = [p.id for p in both.packs]
    assert ids[0] == "aws-iam-identity-center" and ids[-2:] == ["alpha", "beta"]
    # a folder of packs
    folder = fixbook.Engine(packs=tmp_path, builtin=False, pack_path=False)
    assert sorted(p.id for p in folder.packs) == ["alpha", "beta"]
    with pytest.raises(TypeError):
        fixbook.Engine(packs=42, pack_path=False)  # type: ignore[arg-type]


def test_builtin_false_and_pack_path_from_env(write_pack, monkeypatch) -> None:
    empty = fixbook.Engine(builtin=False, pack_path=False)
    assert empty.packs == [] and empty.search(SESSION_TEXT) == []
    a = write_pack("a", minimal_pack("alpha"))
    monkeypatch.setenv("FIXBOOK_PACK_PATH", str(a))
    assert [p.id for p in fixbook.Engine(builtin=False).packs] == ["alpha"]
    assert fixbook.Engine(builtin=False, pack_path=False).packs == []
    ids = [p.id for p in fixbook.Engine().packs]
    assert ids[0] == "aws-iam-identity-center" and ids[-1] == "alpha"


def test_reload_picks_up_changes(write_pack) -> None:
    root = write_pack("a", minimal_pack("alpha", "Old title"))
    e = fixbook.Engine(root, builtin=False, pack_path=False)
    assert e.search("upstream timed out")[0].title == "Old title"
    (root / "pack.toml").write_text(minimal_pack("alpha", "New title"))
    assert e.reload() is None
    assert e.search("upstream timed out")[0].title == "New title"


def test_fixture_packs_exist() -> None:
    assert (FIXTURE_PACKS / "hostile" / "pack.toml").is_file()


def test_hostile_checks_do_not_break_queries() -> None:
    e = fixbook.Engine(FIXTURE_PACKS / "hostile", builtin=False, pack_path=False)
    d = e.diagnose("the service is down", facts={"svc.up": False})
    verdicts = {c.id: c.verdict for c in d.top.causes}
    assert verdicts["honest"] == "confirmed"
    assert verdicts["loop-forever"] == "error"
    assert next(c for c in d.top.causes if c.id == "loop-forever").error


def test_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (BINDING / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) == 5
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Session token not found or invalid" in out and "'confirmed'" in out
    assert "ask next: " in out
