"""The native half of the ``fixbook`` package (PyO3). Import ``fixbook``, not this."""

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, final

__all__ = [
    "__version__",
    "DEFAULT_LIMIT",
    "ENGINE_VERSION",
    "EngineCore",
    "FixbookError",
    "PackError",
    "QueryError",
    "FactError",
    "SearchIndexError",
    "PackWarning",
    "PackErrorDetail",
]

__version__: str
ENGINE_VERSION: str
DEFAULT_LIMIT: int

@final
class EngineCore:
    """The engine, answering in the canonical JSON; ``fixbook.Engine`` wraps it."""

    def __new__(
        cls,
        packs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
        builtin: bool = True,
        strict: bool = False,
        pack_path: bool = True,
    ) -> EngineCore: ...
    def search(self, text: str | bytes | bytearray, limit: int) -> str: ...
    def diagnose(
        self,
        text: str | bytes | bytearray,
        facts: Mapping[str, Any] | None = None,
        limit: int = 0,
        trace: bool = False,
    ) -> str: ...
    def reload(self) -> None: ...
    def packs(self) -> str: ...
    def entry(self, id: str) -> str | None: ...
    def fact(self, name: str) -> str | None: ...
    def skipped(self) -> list[PackErrorDetail]: ...
    def entry_ids(self) -> list[str]: ...

@final
class PackErrorDetail:
    """One problem in a pack: where it is, what is wrong, how to fix it."""

    @property
    def kind(self) -> str:
        """Stable kind: ``toml-syntax``, ``unknown-key``, ``bad-regex``, ..."""
    @property
    def path(self) -> str:
        """The file, as the user knows it (a path, or ``builtin:<pack>/<file>``)."""
    @property
    def line(self) -> int:
        """Line, 1-based (0 when the problem concerns the whole file or folder)."""
    @property
    def column(self) -> int:
        """Column in characters, 1-based (0 when unknown)."""
    @property
    def message(self) -> str:
        """What is wrong."""
    @property
    def hint(self) -> str:
        """How to fix it."""
    @property
    def entry(self) -> str | None:
        """The entry it concerns (``pack/entry``), if any."""
    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict."""

class FixbookError(Exception):
    """Base class of every error fixbook raises (I/O problems are OSError)."""

class PackError(FixbookError):
    """Packs failed to load or validate; ``errors`` lists every problem found."""

    errors: Sequence[PackErrorDetail]

class QueryError(FixbookError, ValueError):
    """A query is invalid: its structure or its facts, never its text."""

class FactError(QueryError):
    """A fact value does not fit the fact's declared type."""

class SearchIndexError(FixbookError):
    """The full-text index could not be built."""

class PackWarning(UserWarning):
    """A pack was skipped because of errors (lenient load)."""
