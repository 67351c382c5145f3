"""Diagnosis.to_json() is the JSON of `fixbook search --json`."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from helpers import SESSION_TEXT, cli_binary

import fixbook

TEXTS = [
    SESSION_TEXT,
    "An unexpected error has occurred after signing in with Okta",
    "Cannot perform the operation on the protected role 'AWSReservedSSO_Admin_0123456789abcdef'",
    "Erreur : « Session token not found or invalid » 🙁",
    "the printer on floor 3 jams",
]


@pytest.mark.parametrize("text", TEXTS)
def test_to_json_equals_cli_search_json(engine: fixbook.Engine, text: str) -> None:
    exe = cli_binary()
    if exe is None:
        pytest.skip("the fixbook CLI is not built (cargo build -p fixbook-cli)")
    env = dict(os.environ)  # the hermetic pack path set by conftest
    cli = subprocess.run(
        [str(exe), "search", "--json", "--limit", "5", text],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert cli.returncode in (0, 1), cli.stderr  # 1: nothing matched, as grep
    ours = engine.diagnose(text, limit=5)
    assert json.loads(ours.to_json()) == json.loads(cli.stdout)
    assert ours.to_dict() == json.loads(cli.stdout)
