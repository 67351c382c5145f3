"""The native half of the ``fixbook`` package (PyO3). Import ``fixbook``, not this."""

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, final

__all__ = [
    "__version__",
    "DEFAULT_LIMIT",
    "ENGINE_VERSION",
    "EngineCore",
    "DiagnosisCore",
    "ArrowResult",
    "diagnose_many",
    "diagnose_arrow",
    "FixbookError",
    "PackError",
    "QueryError",
    "FactError",
    "SearchIndexError",
    "OutcomesError",
    "PackWarning",
    "PackErrorDetail",
    "feedback",
    "gaps",
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
        outcomes: str | os.PathLike[str] | None = None,
        keep_text: bool = False,
        retention_days: int = 180,
    ) -> EngineCore: ...
    def search(self, text: str | bytes | bytearray, limit: int) -> str: ...
    def diagnose(
        self,
        text: str | bytes | bytearray,
        facts: Mapping[str, Any] | None = None,
        limit: int = 0,
        trace: bool = False,
    ) -> DiagnosisCore: ...
    def _rust_diagnose_seconds(self, text: str, limit: int) -> float: ...
    def reload(self) -> None: ...
    def packs(self) -> str: ...
    def entry(self, id: str) -> str | None: ...
    def fact(self, name: str) -> str | None: ...
    def skipped(self) -> list[PackErrorDetail]: ...
    def entry_ids(self) -> list[str]: ...

@final
class DiagnosisCore:
    """One diagnosis as the engine made it; ``fixbook.Diagnosis`` reads it on first access."""

    def json(self) -> str:
        """The engine's JSON text of this diagnosis (as ``fixbook search --json``)."""
    def to_py(self) -> dict[str, Any]:
        """This diagnosis as plain Python data, the shape of its JSON."""
    def __len__(self) -> int:
        """The number of matches."""

def diagnose_many(
    core: EngineCore,
    texts: Iterable[str | bytes | bytearray],
    facts: Mapping[str, Any] | Iterable[Mapping[str, Any] | None] | None = None,
    limit: int = 0,
) -> list[DiagnosisCore | Exception]:
    """Diagnoses every text in parallel; per row the answer or the row's exception."""

def diagnose_arrow(
    core: EngineCore,
    texts: Any,
    facts: Any = None,
    limit: int = 3,
) -> ArrowResult:
    """Diagnoses every row of an Arrow array of texts in parallel; a struct array of results."""

@final
class ArrowResult:
    """A struct array of results, exported through the Arrow PyCapsule interface."""

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        """``(schema capsule, array capsule)`` of the Arrow C data interface."""
    def __len__(self) -> int: ...

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

class OutcomesError(FixbookError):
    """The outcome store (an SQLite file) could not be opened, read or written."""

def feedback(
    core: EngineCore,
    entry: str,
    outcome: str,
    text: str | None = None,
    ticket: str | None = None,
) -> int:
    """Records whether ``entry`` solved a problem; returns the row id."""

def gaps(
    core: EngineCore,
    since: str | None = None,
    limit: int | None = None,
    draft: str | os.PathLike[str] | None = None,
) -> str:
    """The content gaps as JSON; with ``draft``, writes a draft pack there."""

class PackWarning(UserWarning):
    """A pack was skipped because of errors (lenient load)."""
