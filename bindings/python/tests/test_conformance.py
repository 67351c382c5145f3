"""The conformance cases (tests/data/conformance.toml) through Python, and the result classes
checked against the answer's JSON Schema (schema/diagnosis.schema.json, generated from the
engine's Rust types).

The cases file's header documents its format; the Rust API and the C functions answer the
same cases (tests/conformance.rs, bindings/c/tests/conformance.rs).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from typing import Any

import pytest
from helpers import REPO

import fixbook
from fixbook import _model

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

CASES = tomllib.loads((REPO / "tests/data/conformance.toml").read_text(encoding="utf-8"))[
    "case"
]
SCHEMA = json.loads((REPO / "schema/diagnosis.schema.json").read_text(encoding="utf-8"))

# the error kinds of the engine (ErrorKind::as_str), as Python exception classes
KINDS: list[tuple[type[BaseException], str]] = [
    (fixbook.FactError, "fact"),
    (fixbook.QueryError, "query"),
    (fixbook.PackError, "pack"),
    (fixbook.SearchIndexError, "index"),
    (OSError, "io"),
]


def ask(engine: fixbook.Engine, case: dict[str, Any]) -> dict[str, Any] | str:
    """The Python door's answer: the diagnosis as JSON, or the error's kind."""
    text: str | bytes = bytes.fromhex(case["text_hex"]) if "text_hex" in case else case["text"]
    kwargs: dict[str, Any] = {}
    if "limit" in case:
        kwargs["limit"] = case["limit"]
    try:
        if case.get("facts"):
            d = engine.diagnose(text, case["facts"], **kwargs)
        else:
            d = engine.diagnose(text, **kwargs)
    except fixbook.FixbookError as e:
        return next(kind for cls, kind in KINDS if isinstance(e, cls))
    except OSError:
        return "io"
    return d.to_dict()


@pytest.fixture(scope="module")
def answers(engine: fixbook.Engine) -> dict[str, dict[str, Any] | str]:
    return {case["name"]: ask(engine, case) for case in CASES}


def test_the_cases_are_read() -> None:
    assert len(CASES) >= 10
    assert len({c["name"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any], answers: dict[str, dict[str, Any] | str]) -> None:
    answer = answers[case["name"]]
    if "error" in case:
        assert answer == case["error"]
        return
    assert isinstance(answer, dict), f"a {answer} error, expected an answer"
    matches = answer["matches"]
    if "top" in case:
        assert (matches[0]["id"] if matches else "") == case["top"]
    if "matches" in case:
        assert len(matches) == case["matches"]
    for cause, verdict in case.get("verdicts", {}).items():
        got = {c["id"]: c["verdict"] for c in matches[0]["causes"]}
        assert got.get(cause) == verdict, cause
    if "note" in case:
        assert any(case["note"] in n for n in answer.get("notes", [])), answer.get("notes")
    if "same_as" in case:
        assert answer == answers[case["same_as"]]


def test_search_answers_like_diagnose(engine: fixbook.Engine) -> None:
    for case in CASES:
        if case.get("facts"):
            continue
        text = bytes.fromhex(case["text_hex"]) if "text_hex" in case else case["text"]
        got = [m.id for m in engine.search(text, case.get("limit", fixbook.DEFAULT_LIMIT))]
        want = ask(engine, case)
        assert isinstance(want, dict)
        assert got == [m["id"] for m in want["matches"]], case["name"]


# --- the result classes follow the schema ------------------------------------------------

# Python class -> the schema definition it mirrors
CLASSES: dict[type, str] = {
    _model.Diagnosis: "",
    _model.Match: "Match",
    _model.Evidence: "Evidence",
    _model.SignatureHit: "SignatureEvidence",
    _model.Symptom: "SymptomResult",
    _model.Cause: "CauseResult",
    _model.Question: "Question",
    _model.Reference: "Reference",
    _model.Place: "Place",
}

JSON_TYPES = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": float,
    "array": list,
    "object": dict,
}


def definition(name: str) -> dict[str, Any]:
    return SCHEMA if name == "" else SCHEMA["$defs"][name]


def json_types(prop: dict[str, Any]) -> set[str]:
    if "$ref" in prop:
        return json_types(SCHEMA["$defs"][prop["$ref"].rsplit("/", 1)[1]])
    if "oneOf" in prop:
        return set().union(*(json_types(p) for p in prop["oneOf"]))
    if "anyOf" in prop:
        return set().union(*(json_types(p) for p in prop["anyOf"]))
    t = prop.get("type", [])
    return set(t if isinstance(t, list) else [t])


def origin(hint: Any) -> set[type]:
    """The plain types an annotation allows (list[str] -> list, X | None -> X and None)."""
    o = typing.get_origin(hint)
    if o is typing.Union or str(o) == "<class 'types.UnionType'>":
        return set().union(*(origin(a) for a in typing.get_args(hint)))
    if o is typing.Literal:
        return {type(a) for a in typing.get_args(hint)}
    if hint is type(None):
        return {type(None)}
    if o is not None:
        return {list if o is tuple else o}
    if hint is typing.Any:
        return {object}
    if isinstance(hint, type) and issubclass(hint, _model._Record):
        return {dict}
    return {hint}


@pytest.mark.parametrize("cls", list(CLASSES), ids=[c.__name__ for c in CLASSES])
def test_result_class_follows_the_schema(cls: type) -> None:
    d = definition(CLASSES[cls])
    props: dict[str, Any] = d["properties"]
    required = set(d.get("required", []))
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    assert set(fields) == set(props), f"{cls.__name__}: fields differ from the schema"
    hints = typing.get_type_hints(cls, vars(_model))
    for name, f in fields.items():
        no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if no_default:
            assert name in required, f"{cls.__name__}.{name} is optional in the schema"
        allowed = origin(hints[name])
        for jt in json_types(props[name]):
            want = type(None) if jt == "null" else JSON_TYPES[jt]
            ok = object in allowed or want in allowed or (want is int and float in allowed)
            assert ok, f"{cls.__name__}.{name}: schema type {jt}, annotation {hints[name]}"


def test_every_schema_definition_of_the_answer_has_a_class() -> None:
    # the trace and its parts (a candidate's resolution prior too) stay a plain dict in
    # Python; facts are plain values
    plain = {"Trace", "Candidate", "CheckTrace", "Prior", "FactValue", "FactType", "Verdict"}
    mirrored = set(CLASSES.values()) - {""}
    assert set(SCHEMA["$defs"]) - plain == mirrored
