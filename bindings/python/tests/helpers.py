"""Plain helpers and data shared by the tests (fixtures are in conftest.py)."""

from __future__ import annotations

import json
import os
import random
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
BINDING = REPO / "bindings" / "python"
FIXTURE_PACKS = REPO / "tests" / "packs"
SESSION_TEXT = "Session token not found or invalid"
SESSION_ID = "aws-iam-identity-center/session-token-invalid"

TYPED_PACK = """\
format = 1
id = "typed"
name = "Typed facts"
version = "1.2.3"
description = "One fact of every type."

[facts."t.flag"]
type = "bool"
question = "Is the flag set?"

[facts."t.count"]
type = "int"
question = "How many retries?"

[facts."t.ratio"]
type = "float"
question = "Which share of requests fail?"

[facts."t.name"]
type = "string"
question = "Which user?"

[facts."t.mode"]
type = "enum"
values = ["fast", "slow"]
question = "Which mode?"

[facts."t.tags"]
type = "list"
question = "Which tags does the widget have?"

[[entries]]
id = "widget-jam"
title = "The widget jams"
summary = "The widget stops with 'widget jammed'."
keywords = ["widget jam"]
remedy = ["Clear the widget."]
references = [{ title = "Widget manual", url = "https://example.invalid/widget" }]

  [[entries.signatures]]
  id = "jammed"
  pattern = 'widget jammed'

  [[entries.causes]]
  id = "flag"
  title = "The flag is set"
  check = 'fact("t.flag")'

  [[entries.causes]]
  id = "count"
  title = "Too many retries"
  check = 'fact("t.count") > 3'

  [[entries.causes]]
  id = "ratio"
  title = "Most requests fail"
  check = 'fact("t.ratio") > 0.5'

  [[entries.causes]]
  id = "name"
  title = "Bob did it"
  check = 'fact("t.name") == "bob"'

  [[entries.causes]]
  id = "mode"
  title = "Slow mode"
  check = 'fact("t.mode") == "slow"'

  [[entries.causes]]
  id = "tags"
  title = "Tagged urgent"
  check = '"urgent" in fact("t.tags")'
"""

def minimal_pack(pack_id: str = "demo", title: str = "Upstream timed out") -> str:
    """A valid pack.toml with one entry matching 'upstream timed out'."""
    return textwrap.dedent(f"""\
    format = 1
    id = "{pack_id}"
    name = "Demo {pack_id}"
    version = "0.1.0"

    [[entries]]
    id = "timeout"
    title = "{title}"
    keywords = ["upstream timeout"]

      [[entries.signatures]]
      id = "upstream"
      pattern = 'upstream timed out'
    """)


def cli_binary() -> Path | None:
    """The `fixbook` command built by `cargo build -p fixbook-cli`, if present.

    ``FIXBOOK_CLI`` names it (``none``: there is none); else it is looked for in the target
    folder.
    """
    named = os.environ.get("FIXBOOK_CLI")
    if named:
        return None if named == "none" else Path(named)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    if not target.is_absolute():
        target = REPO / target
    for profile in ("debug", "release"):
        exe = target / profile / "fixbook"
        if exe.is_file() and os.access(exe, os.X_OK):
            return exe
    return None


def generated_texts(n: int) -> list[str]:
    """Tickets and log lines made from the dev queries, with noise around them."""
    lines = (REPO / "tests" / "data" / "dev-queries.jsonl").read_text(encoding="utf-8")
    queries = [json.loads(line)["q"] for line in lines.splitlines() if line.strip()]
    rng = random.Random(16)
    out = []
    for i in range(n):
        q = rng.choice(queries)
        kind = i % 3
        if kind == 0:
            out.append(f"Hi team, since this morning I get: {q}. Ticket #{i}, thanks!")
        elif kind == 1:
            out.append(f"2026-11-{1 + i % 28:02d}T10:{i % 60:02d}:00Z ERROR [worker-{i % 7}] {q}")
        else:
            out.append(f"printer on floor {i % 9} makes a noise {rng.random():.3f}")
    return out
