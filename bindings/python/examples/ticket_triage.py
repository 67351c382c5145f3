#!/usr/bin/env python3
"""Triage support tickets with fixbook.

Reads tickets as JSON lines, one object per line with a ``subject`` and a ``body``, from a
file or from standard input, and prints each ticket with the known problem it most likely
is, how sure fixbook is, and the first question to ask the customer::

    python ticket_triage.py tickets.jsonl
    cat tickets.jsonl | python ticket_triage.py -
    python ticket_triage.py --packs ./my-packs tickets.jsonl

A line that is not a JSON object is reported on standard error and skipped; the exit status
is then 1. Blank lines are ignored.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import IO

import fixbook


def read_tickets(stream: IO[str]) -> Iterator[tuple[int, dict[str, object] | None, str]]:
    """Yields (line number, ticket or None, error) for every non-blank line."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            ticket = json.loads(line)
        except json.JSONDecodeError as e:
            yield number, None, f"not JSON ({e.msg})"
            continue
        if not isinstance(ticket, dict):
            yield number, None, "not a JSON object"
            continue
        yield number, ticket, ""


def triage(engine: fixbook.Engine, ticket: dict[str, object]) -> list[str]:
    """The lines that describe one ticket: subject, top match, first question."""
    subject = str(ticket.get("subject") or "(no subject)")
    body = str(ticket.get("body") or "")
    # the subject often holds the error message itself: search both together
    diagnosis = engine.diagnose(f"{subject}\n{body}", limit=3)
    lines = [f"ticket: {subject}"]
    top = diagnosis.top
    if top is None:
        lines.append("  match:      none (no known problem matches; route to a person)")
        return lines
    lines.append(f"  match:      {top.id}  {top.title}")
    lines.append(f"  confidence: {top.confidence:.2f}")
    question = top.questions[0] if top.questions else None
    if question is None:
        lines.append("  ask:        nothing; remedy: " + (top.remedy[0] if top.remedy else "-"))
    else:
        choices = f"  [{' / '.join(question.choices)}]" if question.choices else ""
        lines.append(f"  ask:        {question.text}{choices}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Runs the triage; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default="-", help="JSON lines file, or - for stdin")
    parser.add_argument("--packs", action="append", default=[], help="extra pack folder")
    parser.add_argument("--no-builtin", action="store_true", help="leave the embedded packs out")
    args = parser.parse_args(argv)

    engine = fixbook.Engine(packs=args.packs, builtin=not args.no_builtin)
    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    bad = 0
    with stream:
        for number, ticket, error in read_tickets(stream):
            if ticket is None:
                print(f"{args.file}:{number}: skipped: {error}", file=sys.stderr)
                bad += 1
                continue
            print("\n".join(triage(engine, ticket)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
