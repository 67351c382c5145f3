"""A diagnosis the engine returns behaves as one built from its JSON, however it is read."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import threading

import fixbook

SESSION_TEXT = "Session token not found or invalid"
OKTA_TEXT = "An unexpected error has occurred after signing in with Okta"


def test_an_engine_diagnosis_equals_the_one_built_from_its_json(engine: fixbook.Engine) -> None:
    for text, facts in ((SESSION_TEXT, None), (OKTA_TEXT, {"saml.nameid_format": "persistent"})):
        d = engine.diagnose(text, facts)
        # to_json first: the engine's text, without building the objects
        text_json = d.to_json()
        rebuilt = fixbook.Diagnosis.from_json(text_json)
        assert isinstance(d, fixbook.Diagnosis)
        assert d == rebuilt and rebuilt == d
        assert d.matches == rebuilt.matches and d.questions == rebuilt.questions
        assert d.notes == rebuilt.notes and d.trace == rebuilt.trace
        assert d.to_dict() == json.loads(text_json) == rebuilt.to_dict()
        assert d.to_json() == text_json
        assert repr(d) == repr(rebuilt)
        assert json.loads(d.to_json(indent=2)) == json.loads(text_json)


def test_reading_a_field_first_gives_the_same_answer(engine: fixbook.Engine) -> None:
    first = engine.diagnose(OKTA_TEXT, {"saml.nameid_format": "persistent"})
    cause = first.matches[0].causes[0]
    assert (cause.id, cause.verdict) == ("nameid-not-email", "confirmed")
    second = engine.diagnose(OKTA_TEXT, {"saml.nameid_format": "persistent"})
    assert first.to_json() == second.to_json()
    assert first.top is not None and first.top.id == second.matches[0].id


def test_truth_follows_the_matches(engine: fixbook.Engine) -> None:
    assert engine.diagnose(SESSION_TEXT)
    nothing = engine.diagnose("my coffee machine makes a strange noise")
    assert not nothing and nothing.matches == [] and nothing.top is None


def test_the_trace_is_read_lazily_too(engine: fixbook.Engine) -> None:
    d = engine.diagnose(SESSION_TEXT, trace=True)
    assert d.trace is not None and d.trace == json.loads(d.to_json())["trace"]
    assert engine.diagnose(SESSION_TEXT).trace is None


def test_it_stays_frozen(engine: fixbook.Engine) -> None:
    d = engine.diagnose(SESSION_TEXT)
    try:
        d.matches = []  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("a diagnosis must not be writable")
    assert d.matches, "the failed write must not have changed it"


def test_it_pickles_copies_and_replaces_as_a_plain_diagnosis(engine: fixbook.Engine) -> None:
    d = engine.diagnose(SESSION_TEXT)
    for other in (pickle.loads(pickle.dumps(d)), copy.deepcopy(d), copy.copy(d)):
        assert type(other) is fixbook.Diagnosis
        assert other == d and other.to_json() == d.to_json() and other.to_dict() == d.to_dict()
    cut = dataclasses.replace(d, matches=d.matches[:1])
    assert cut.matches == d.matches[:1] and cut.questions == d.questions and cut.notes == d.notes
    assert bool(dataclasses.replace(d, matches=[])) is False


def test_diagnose_many_answers_build_on_first_read_too(engine: fixbook.Engine) -> None:
    texts = [SESSION_TEXT, OKTA_TEXT, "nothing to see here"]
    many = engine.diagnose_many(texts, limit=3)
    for text, d in zip(texts, many):
        one = engine.diagnose(text, limit=3)
        assert d.to_json() == one.to_json()
        assert d == one and d.to_dict() == one.to_dict()


def test_threads_reading_one_answer_see_the_same_objects(engine: fixbook.Engine) -> None:
    # the first read builds the objects once; readers racing it see complete, equal fields
    for _ in range(20):
        d = engine.diagnose(OKTA_TEXT)
        seen: list[object] = []
        readers = [threading.Thread(target=lambda: seen.append(d.matches)) for _ in range(4)]
        for t in readers:
            t.start()
        for t in readers:
            t.join()
        assert len(seen) == 4 and all(s == seen[0] for s in seen)
        assert seen[0] == fixbook.Diagnosis.from_json(d.to_json()).matches
