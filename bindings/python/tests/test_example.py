"""The ticket-triage example, run as a program."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import BINDING

import fixbook

EXAMPLE = BINDING / "examples" / "ticket_triage.py"
TICKETS = BINDING / "examples" / "tickets.jsonl"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
    )


def test_triage_a_file() -> None:
    p = run(str(TICKETS))
    assert p.returncode == 0, p.stderr
    out = p.stdout
    tickets = [json.loads(line) for line in TICKETS.read_text(encoding="utf-8").splitlines()]
    assert out.count("ticket: ") == len(tickets)
    for t in tickets:
        assert f"ticket: {t['subject']}" in out
    assert "match:      aws-iam-identity-center/session-token-invalid" in out
    assert "confidence: " in out
    # the question asked is the engine's best one for that ticket
    first = tickets[0]
    assert first["subject"] == "Session token not found or invalid"
    d = fixbook.Engine().diagnose(f"{first['subject']}\n{first['body']}", limit=3)
    assert d.top is not None and d.top.questions, "the session-token ticket has a question"
    assert f"ask:        {d.top.questions[0].text}" in out
    assert "match:      none" in out  # the printer ticket


def test_triage_stdin_and_bad_lines() -> None:
    lines = [
        json.dumps({"subject": "Login", "body": "An unexpected error has occurred after Okta"}),
        "",
        "not json",
        "[1, 2]",
        json.dumps({"subject": "Tokens", "body": "Session token not found or invalid"}),
    ]
    p = run("-", stdin="\n".join(lines) + "\n")
    assert p.returncode == 1
    assert p.stdout.count("ticket: ") == 2
    assert "-:3: skipped: not JSON" in p.stderr
    assert "-:4: skipped: not a JSON object" in p.stderr


def test_triage_with_own_packs(tmp_path: Path) -> None:
    pack = tmp_path / "p"
    pack.mkdir()
    (pack / "pack.toml").write_text(
        'format = 1\nid = "print"\nname = "Printers"\nversion = "1.0.0"\n\n'
        '[facts."printer.duplex"]\ntype = "bool"\nquestion = "Is duplex printing on?"\n\n'
        '[[entries]]\nid = "jam"\ntitle = "Paper jam"\nkeywords = ["printer jams"]\n'
        'signatures = [{ id = "jam", pattern = \'printer jams\' }]\n\n'
        '  [[entries.causes]]\n  id = "duplex"\n  title = "Duplex unit"\n'
        '  check = \'fact("printer.duplex")\'\n',
        encoding="utf-8",
    )
    tickets = tmp_path / "t.jsonl"
    tickets.write_text(json.dumps({"subject": "Printer jams", "body": "every day"}) + "\n")
    p = run("--no-builtin", "--packs", str(pack), str(tickets))
    assert p.returncode == 0, p.stderr
    assert "match:      print/jam  Paper jam" in p.stdout
    assert "ask:        Is duplex printing on?  [true / false]" in p.stdout
