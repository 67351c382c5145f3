"""Exceptions: the hierarchy, pack errors with file/line/column, I/O errors."""

from __future__ import annotations

import errno
import warnings
from pathlib import Path

import pytest
from helpers import FIXTURE_PACKS, SESSION_TEXT, minimal_pack

import fixbook

MANIFEST = """\
format = 1
id = "broken"
name = "Broken"
version = "1.0.0"
"""


def load_strict(root: Path) -> fixbook.PackError:
    with pytest.raises(fixbook.PackError) as info:
        fixbook.Engine(root, builtin=False, strict=True, pack_path=False)
    return info.value


def test_hierarchy() -> None:
    assert issubclass(fixbook.FixbookError, Exception)
    for cls in (fixbook.PackError, fixbook.QueryError, fixbook.SearchIndexError):
        assert issubclass(cls, fixbook.FixbookError)
    assert issubclass(fixbook.QueryError, ValueError)
    assert issubclass(fixbook.FactError, fixbook.QueryError)
    assert issubclass(fixbook.FactError, ValueError)
    assert not issubclass(fixbook.PackError, ValueError)
    assert issubclass(fixbook.PackWarning, UserWarning)
    for cls in (fixbook.FixbookError, fixbook.PackError, fixbook.QueryError, fixbook.FactError):
        assert cls.__module__ == "fixbook"
        assert cls.__doc__
    assert fixbook.PackErrorDetail.__module__ == "fixbook"


def test_pack_error_raised_by_hand_has_errors() -> None:
    with pytest.raises(fixbook.PackError) as info:
        raise fixbook.PackError("by hand")
    assert list(info.value.errors) == []


def test_bad_toml(write_pack) -> None:
    root = write_pack(
        "bad-toml",
        MANIFEST,
        {"entries/a.toml": '[[entries]]\nid = "timeout"\ntitle = "Upstream timed out\n'},
    )
    err = load_strict(root)
    assert len(err.errors) == 1
    e = err.errors[0]
    assert isinstance(e, fixbook.PackErrorDetail)
    assert e.kind == "toml-syntax"
    assert Path(e.path) == root / "entries" / "a.toml"
    assert e.line == 3 and e.column >= 1
    assert "TOML syntax" in e.message
    assert str(e).startswith(f"{e.path}:3:{e.column}: ")
    assert e.path in str(err) and "1 pack error" in str(err)


def test_unknown_key_with_hint(write_pack) -> None:
    root = write_pack(
        "unknown-key",
        MANIFEST,
        {"entries/a.toml": '[[entries]]\nid = "timeout"\ntitel = "Upstream timed out"\nkeywords = ["x"]\n'},
    )
    e = load_strict(root).errors[0]
    assert e.kind == "unknown-key"
    assert (e.line, e.column) == (3, 1)
    assert "did you mean `title`" in e.message + e.hint
    assert e.entry in (None, "broken/timeout")
    d = e.to_dict()
    assert d["kind"] == "unknown-key" and d["line"] == 3 and set(d) == {
        "kind", "path", "line", "column", "message", "hint", "entry",
    }
    assert repr(e).startswith('PackErrorDetail(kind="unknown-key"')


def test_bad_regex(write_pack) -> None:
    entry = """\
    [[entries]]
    id = "timeout"
    title = "Upstream timed out"

      [[entries.signatures]]
      id = "upstream"
      pattern = 'upstream (timed out'
    """
    e = load_strict(write_pack("bad-regex", MANIFEST, {"entries/a.toml": entry})).errors[0]
    assert e.kind == "bad-regex"
    assert e.line == 7 and e.column > 1
    assert "invalid regex" in e.message
    assert e.hint


def test_every_problem_is_reported_at_once(write_pack) -> None:
    files = {
        "entries/a.toml": '[[entries]]\nid = "a"\ntitel = "A"\nkeywords = ["a"]\n',
        "entries/b.toml": '[[entries]]\nid = "b"\ntitle = "B"\nsignatures = [{ id = "s", pattern = "(" }]\n',
    }
    err = load_strict(write_pack("two", MANIFEST, files))
    assert sorted(e.kind for e in err.errors) == ["bad-regex", "unknown-key"]
    assert {Path(e.path).name for e in err.errors} == {"a.toml", "b.toml"}


@pytest.mark.parametrize(
    "fixture",
    ["broken-toml-syntax", "broken-unknown-key", "broken-bad-regex", "broken-rhai-syntax",
     "broken-undeclared-fact", "broken-duplicate-entry"],
)
def test_fixture_broken_packs(fixture: str) -> None:
    err = load_strict(FIXTURE_PACKS / fixture)
    assert err.errors and all(e.path and e.message for e in err.errors)
    assert all(e.line >= 1 for e in err.errors if e.kind != "io")


def test_lenient_load_skips_with_warning(write_pack) -> None:
    good = write_pack("good", minimal_pack("good"))
    bad = write_pack("bad", MANIFEST, {"entries/a.toml": "[[entries]\n"})
    with pytest.warns(fixbook.PackWarning, match="skipped pack"):
        e = fixbook.Engine([good, bad], builtin=False, pack_path=False)
    assert [p.id for p in e.packs] == ["good"]
    assert [s.kind for s in e.skipped] == ["toml-syntax"]
    assert e.search("upstream timed out")


def test_failed_reload_keeps_the_loaded_set(write_pack) -> None:
    root = write_pack("a", minimal_pack("alpha"))
    e = fixbook.Engine(root, builtin=False, pack_path=False)
    (root / "pack.toml").write_text(minimal_pack("alpha") + "bogus_key = 1\n")
    with pytest.raises(fixbook.PackError) as info:
        e.reload()
    assert any(d.kind == "unknown-key" for d in info.value.errors)
    assert [p.id for p in e.packs] == ["alpha"]
    assert e.search("upstream timed out")


def test_strict_reload_raises(write_pack) -> None:
    root = write_pack("a", minimal_pack("alpha"))
    e = fixbook.Engine(root, builtin=True, strict=True, pack_path=False)
    (root / "pack.toml").write_text("format = 1\nid = \n")
    with pytest.raises(fixbook.PackError):
        e.reload()
    assert e.search(SESSION_TEXT)


def test_reload_without_pack_toml_keeps_the_loaded_set(write_pack) -> None:
    # an editor's save may delete pack.toml for a moment: the pack is not dropped
    root = write_pack("a", minimal_pack("alpha"))
    e = fixbook.Engine(root, builtin=False, pack_path=False)
    (root / "pack.toml").rename(root / "pack.toml.bak")
    with pytest.raises(fixbook.PackError) as info:
        e.reload()
    assert any(d.kind == "io" and d.path == str(root) for d in info.value.errors)
    assert [p.id for p in e.packs] == ["alpha"]
    assert e.search("upstream timed out")
    (root / "pack.toml.bak").rename(root / "pack.toml")
    e.reload()
    assert [p.id for p in e.packs] == ["alpha"]


def test_folder_without_a_pack_is_reported(tmp_path: Path, write_pack) -> None:
    good = write_pack("good", minimal_pack("good"))
    empty = tmp_path / "empty"
    empty.mkdir()
    # an error in every mode, decided by the engine (as the CLI and C report it)
    with pytest.raises(fixbook.PackError, match="no pack here") as info:
        fixbook.Engine([good, empty], builtin=False, pack_path=False)
    assert [(d.kind, d.path) for d in info.value.errors] == [("io", str(empty))]
    err = load_strict(empty)
    assert [(d.kind, d.path) for d in err.errors] == [("io", str(empty))]


def test_missing_folder_is_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    with pytest.raises(FileNotFoundError) as info:
        fixbook.Engine(missing, pack_path=False)
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == str(missing)
    # the first named folder without a pack is the one reported
    with pytest.raises(OSError):
        fixbook.Engine([missing, tmp_path], pack_path=False)


def test_missing_folder_on_pack_path_is_fine(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FIXBOOK_PACK_PATH", str(tmp_path / "not-there"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fixbook.PackWarning)
        e = fixbook.Engine()
    assert e.search(SESSION_TEXT)
