"""The outcome store from Python: feedback moves the ranking, unmatched texts become gaps."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
from pathlib import Path

import pytest
from helpers import cli_binary

import fixbook

IDP = "aws-iam-identity-center/external-idp-unexpected-error"
MFA = "aws-iam-identity-center/authenticator-app-unexpected-error"
TEXT = "An unexpected error has occurred"


def test_feedback_reorders_the_two_entries_sharing_a_message(tmp_path: Path) -> None:
    db = tmp_path / "outcomes.db"
    engine = fixbook.Engine(pack_path=False, outcomes=db)
    before = [m.id for m in engine.search(TEXT)]
    assert {IDP, MFA} <= set(before)
    winner, loser = (IDP, MFA) if before.index(MFA) < before.index(IDP) else (MFA, IDP)
    for i in range(30):
        engine.feedback(winner, "resolved", ticket=f"T-{i}")
        engine.feedback(loser, "not-resolved", text=f"still broken for user{i}@example.com")
    after = [m.id for m in engine.search(TEXT)]
    assert after[0] == winner
    assert set(after) == set(before)
    trace = engine.diagnose(TEXT, trace=True).trace
    assert trace is not None
    cand = next(c for c in trace["candidates"] if c["id"] == winner)
    assert cand["prior"]["note"].startswith("resolved 30 of 30 times: +")
    # a new engine on the same file sees the same history
    again = fixbook.Engine(pack_path=False, outcomes=db)
    assert again.search(TEXT)[0].id == winner


def test_unmatched_texts_become_gaps_and_a_draft(tmp_path: Path) -> None:
    engine = fixbook.Engine(pack_path=False, outcomes=tmp_path / "o.db")
    for n in range(6):
        assert engine.search(f"badge reader at door {n} rejected card 88412{n}77 for j{n}@corp.example") == []
    assert engine.search("the coffee machine on level two leaks water") == []
    gaps = engine.gaps(since=dt.date(2000, 1, 1))
    assert [g.count for g in gaps] == [6, 1]
    assert gaps[0].template == "badge reader at door <*> rejected card {number} for {email}"
    assert all("@" not in e for e in gaps[0].examples), "texts are stored masked by default"
    assert isinstance(gaps[0], fixbook.Gap) and gaps[0].to_dict()["count"] == 6
    assert engine.gaps(since=dt.datetime(2999, 1, 1, tzinfo=dt.timezone.utc)) == []
    draft = tmp_path / "drafts"
    engine.gaps(draft=draft)
    drafted = fixbook.Engine(draft, builtin=False, pack_path=False)
    d = drafted.diagnose("badge reader at door 7 rejected card 1234567 for x@y.example")
    assert d.matches == [], "drafted entries are drafts: they match only when asked for"
    assert len(drafted.entry_ids) == 2


def test_keep_text_stores_texts_whole(tmp_path: Path) -> None:
    engine = fixbook.Engine(pack_path=False, outcomes=tmp_path / "o.db", keep_text=True)
    engine.search("quota of team blue exceeded by ann@corp.example")
    assert engine.gaps()[0].examples == ("quota of team blue exceeded by ann@corp.example",)


def test_errors_are_exceptions(tmp_path: Path) -> None:
    plain = fixbook.Engine(pack_path=False)
    with pytest.raises(fixbook.QueryError, match="no outcome store"):
        plain.feedback(IDP, "resolved")
    engine = fixbook.Engine(pack_path=False, outcomes=tmp_path / "o.db")
    with pytest.raises(fixbook.QueryError, match="no entry"):
        engine.feedback("nope/nothing", "resolved")
    with pytest.raises(fixbook.QueryError, match="resolved"):
        engine.feedback(IDP, "maybe")
    with pytest.raises(fixbook.QueryError, match="date"):
        engine.gaps(since="last tuesday")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all\n" * 200)
    with pytest.raises(fixbook.OutcomesError, match="not an SQLite database"):
        fixbook.Engine(pack_path=False, outcomes=junk)
    foreign = tmp_path / "crm.db"
    with sqlite3.connect(foreign) as c:
        c.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(fixbook.OutcomesError, match="another program"):
        fixbook.Engine(pack_path=False, outcomes=foreign)
    assert issubclass(fixbook.OutcomesError, fixbook.FixbookError)


def test_cli_and_python_share_a_store(tmp_path: Path) -> None:
    cli = cli_binary()
    if cli is None:
        pytest.skip("the fixbook command is not built")
    db = tmp_path / "o.db"
    fixbook.Engine(pack_path=False, outcomes=db)  # created by Python, written by the CLI
    subprocess.run(
        [cli, "feedback", "--outcomes", str(db), IDP, "resolved", "--ticket", "T-9"],
        check=True,
        capture_output=True,
    )
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT entry, resolved, ticket FROM feedback").fetchall() == [
            (IDP, 1, "T-9")
        ]
