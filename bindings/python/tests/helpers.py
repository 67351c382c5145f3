"""Plain helpers and data shared by the tests (fixtures are in conftest.py)."""

from __future__ import annotations

import os
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
