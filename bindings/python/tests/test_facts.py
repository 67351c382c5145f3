"""Facts from a dict: every type, and clear errors for the wrong type."""

from __future__ import annotations

from collections import OrderedDict
from types import MappingProxyType
from typing import Any

import pytest

import fixbook

TEXT = "error: widget jammed at station 4"


def verdicts(engine: fixbook.Engine, facts: Any) -> dict[str, str]:
    d = engine.diagnose(TEXT, facts=facts)
    assert d.top is not None and d.top.id == "typed/widget-jam"
    return {c.id: c.verdict for c in d.top.causes}


def test_without_facts_everything_is_unknown_and_asked(typed_engine: fixbook.Engine) -> None:
    d = typed_engine.diagnose(TEXT)
    assert {c.verdict for c in d.top.causes} == {"unknown"}
    asked = {q.fact: q for q in d.questions}
    assert set(asked) == {"t.flag", "t.count", "t.ratio", "t.name", "t.mode", "t.tags"}
    assert asked["t.mode"].choices == ["fast", "slow"] and asked["t.mode"].type == "enum"
    assert asked["t.flag"].choices == ["true", "false"]
    assert asked["t.count"].type == "int" and asked["t.tags"].type == "list"


def test_every_type_confirms(typed_engine: fixbook.Engine) -> None:
    facts = {
        "t.flag": True,
        "t.count": 5,
        "t.ratio": 0.75,
        "t.name": "bob",
        "t.mode": "slow",
        "t.tags": ["urgent", "blue"],
    }
    assert set(verdicts(typed_engine, facts).values()) == {"confirmed"}
    assert typed_engine.diagnose(TEXT, facts=facts).questions == []


def test_every_type_rules_out(typed_engine: fixbook.Engine) -> None:
    facts = {
        "t.flag": False,
        "t.count": 1,
        "t.ratio": 0.25,
        "t.name": "alice",
        "t.mode": "FAST",  # enum values match case-insensitively
        "t.tags": ("blue",),
    }
    assert set(verdicts(typed_engine, facts).values()) == {"ruled_out"}


def test_lossless_conversions(typed_engine: fixbook.Engine) -> None:
    # an int is a fine float; one string is a one-item list; any Mapping will do
    v = verdicts(typed_engine, OrderedDict([("t.ratio", 1), ("t.tags", "urgent")]))
    assert v["ratio"] == "confirmed" and v["tags"] == "confirmed"
    v = verdicts(typed_engine, MappingProxyType({"t.count": 2**40}))
    assert v["count"] == "confirmed"
    v = verdicts(typed_engine, {"t.tags": []})
    assert v["tags"] == "ruled_out"


def test_strings_are_parsed_into_the_declared_type(typed_engine: fixbook.Engine) -> None:
    # as from a form or `--fact k=v`: text converts to the declared type
    facts = {"t.flag": "yes", "t.count": "5", "t.ratio": "0.75", "t.tags": "urgent"}
    v = verdicts(typed_engine, facts)
    assert [v[k] for k in ("flag", "count", "ratio", "tags")] == ["confirmed"] * 4


@pytest.mark.parametrize(
    ("fact", "value", "declared"),
    [
        ("t.flag", 1, "bool"),
        ("t.flag", "maybe", "bool"),
        ("t.count", True, "int"),  # bool is an int subclass in Python: still refused
        ("t.count", 2.5, "int"),
        ("t.count", "many", "int"),
        ("t.ratio", "half", "float"),
        ("t.ratio", False, "float"),
        ("t.name", 7, "string"),
        ("t.mode", "medium", "enum, one of fast, slow"),
        ("t.mode", 1, "enum"),
        ("t.tags", 3, "list"),
    ],
)
def test_wrong_type_names_fact_and_declared_type(
    typed_engine: fixbook.Engine, fact: str, value: object, declared: str
) -> None:
    with pytest.raises(fixbook.FactError) as info:
        typed_engine.diagnose(TEXT, facts={fact: value})
    message = str(info.value)
    assert f"`{fact}`" in message
    assert f"expected {declared}" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, fixbook.QueryError)


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ({"a": 1}, "got dict"),
        (None, "got NoneType"),
        ({1, 2}, "got set"),
        (["urgent", 3], "list holding int"),
        (2**80, "out of the 64-bit range"),
        ("\ud800", "surrogate"),
    ],
)
def test_unsupported_python_values(typed_engine: fixbook.Engine, value: object, got: str) -> None:
    with pytest.raises(fixbook.FactError) as info:
        typed_engine.diagnose(TEXT, facts={"t.tags": value})
    assert "`t.tags`" in str(info.value) and got in str(info.value)
    assert "expected list" in str(info.value)


def test_unsupported_value_of_undeclared_fact(typed_engine: fixbook.Engine) -> None:
    with pytest.raises(fixbook.FactError, match="`x.y`: expected bool, int, float, string or a list of strings"):
        typed_engine.diagnose(TEXT, facts={"x.y": object()})


def test_facts_must_be_a_mapping_with_str_keys(typed_engine: fixbook.Engine) -> None:
    with pytest.raises(TypeError, match="facts must be a mapping"):
        typed_engine.diagnose(TEXT, facts=[("t.flag", True)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fact names must be str"):
        typed_engine.diagnose(TEXT, facts={1: True})  # type: ignore[dict-item]


def test_facts_captured_from_text_are_evidence() -> None:
    e = fixbook.Engine(pack_path=False)
    d = e.diagnose(
        "Cannot perform the operation on the protected role 'AWSReservedSSO_Admin_0123456789abcdef'"
    )
    assert d.top is not None
    facts = d.top.evidence.facts
    assert any(isinstance(v, str) and v.startswith("AWSReservedSSO_") for v in facts.values())
