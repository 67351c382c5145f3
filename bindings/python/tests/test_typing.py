"""The type stubs match the native module (mypy.stubtest), and the package type-checks."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from helpers import BINDING

needs_mypy = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None, reason="mypy is not installed"
)


@needs_mypy
def test_stubtest() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "fixbook"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr


@needs_mypy
def test_example_type_checks_against_the_installed_package() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         str(BINDING / "examples" / "ticket_triage.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert p.returncode == 0, p.stdout + p.stderr
