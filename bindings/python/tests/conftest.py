"""Shared fixtures. The tests run against the *installed* ``fixbook`` package."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import TYPED_PACK

import fixbook


@pytest.fixture(autouse=True, scope="session")
def hermetic_pack_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No user packs leak in: an empty FIXBOOK_PACK_PATH and data folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FIXBOOK_PACK_PATH", "")
        mp.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
        yield


@pytest.fixture(scope="session")
def engine() -> fixbook.Engine:
    """The embedded packs only; shared by the tests that only read."""
    return fixbook.Engine(pack_path=False)


PackWriter = Callable[..., Path]


@pytest.fixture()
def write_pack(tmp_path: Path) -> PackWriter:
    """``write_pack(name, pack_toml, {"entries/a.toml": text})`` -> the pack folder."""

    def write(name: str, pack_toml: str, files: dict[str, str] | None = None) -> Path:
        root = tmp_path / name
        root.mkdir(parents=True)
        (root / "pack.toml").write_text(textwrap.dedent(pack_toml), encoding="utf-8")
        for rel, text in (files or {}).items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return write


@pytest.fixture()
def typed_engine(write_pack: PackWriter) -> fixbook.Engine:
    """An engine with only the pack that declares a fact of every type."""
    return fixbook.Engine(write_pack("typed", TYPED_PACK), builtin=False, pack_path=False)
