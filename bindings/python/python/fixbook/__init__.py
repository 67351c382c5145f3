"""fixbook: an embeddable troubleshooting rules engine.

Paste an error string, a log excerpt or a whole ticket; fixbook answers with the known
problems it matches, why it thinks so, which cause applies given what is known, what to ask
next, and how to fix it. The knowledge lives in packs (TOML folders).

>>> import fixbook
>>> engine = fixbook.Engine()
>>> top = engine.search("Session token not found or invalid")[0]
>>> top.id
'aws-iam-identity-center/session-token-invalid'
>>> d = engine.diagnose(
...     "An unexpected error has occurred after signing in with Okta",
...     facts={"saml.nameid_format": "persistent"},
... )
>>> cause = d.matches[0].causes[0]
>>> cause.id, cause.verdict
('nameid-not-email', 'confirmed')

One ``Engine`` may be shared by any number of threads; the GIL is released while it works.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypeAlias, Union, overload

from . import _fixbook
from ._fixbook import (
    DEFAULT_LIMIT,
    DiagnosisCore,
    ENGINE_VERSION,
    EngineCore,
    FactError,
    FixbookError,
    OutcomesError,
    PackError,
    PackErrorDetail,
    PackWarning,
    QueryError,
    SearchIndexError,
    __version__,
)
from ._fixbook import feedback as _feedback
from ._fixbook import gaps as _gaps
from ._outcomes import Gap, since_arg
from ._model import _EngineDiagnosis
from ._model import (
    Cause,
    Diagnosis,
    Entry,
    EntryCause,
    Evidence,
    FactInfo,
    FactValue,
    Location,
    Match,
    PackInfo,
    Place,
    Question,
    Reference,
    Signature,
    SignatureHit,
    Symptom,
    Verdict,
)

__all__ = [
    "DEFAULT_LIMIT",
    "ENGINE_VERSION",
    "Cause",
    "Diagnosis",
    "Engine",
    "Entry",
    "EntryCause",
    "Evidence",
    "FactError",
    "FactInfo",
    "FactValue",
    "FixbookError",
    "Gap",
    "Location",
    "Match",
    "OutcomesError",
    "PackError",
    "PackErrorDetail",
    "PackInfo",
    "PackWarning",
    "Place",
    "Question",
    "QueryError",
    "Reference",
    "SearchIndexError",
    "Signature",
    "SignatureHit",
    "StrPath",
    "Symptom",
    "Verdict",
    "__version__",
]

StrPath: TypeAlias = Union[str, "os.PathLike[str]"]
"""A file-system path: ``str`` or ``os.PathLike`` (e.g. ``pathlib.Path``)."""


class Engine:
    """The troubleshooting engine: loaded packs, searched from any number of threads.

    ``Engine()`` loads what the ``fixbook`` command loads: the embedded packs, then every
    pack on the pack path (``FIXBOOK_PACK_PATH``, then the user's data folder), then
    ``packs``.

    Args:
        packs: a pack folder, a folder of packs, or a list of them (``str`` or
            ``os.PathLike``). A folder that does not exist raises ``FileNotFoundError``; one
            with no pack in it raises ``PackError`` naming it, in every mode (the engine
            decides, as in the CLI and C). A ``reload`` that finds a loaded pack's
            ``pack.toml`` gone raises ``PackError`` and keeps the loaded packs.
        builtin: load the packs embedded in the library (default ``True``).
        strict: any broken pack fails the load with ``PackError``; by default broken packs
            are skipped with a ``PackWarning`` and listed in ``skipped``.
        pack_path: also load the user's pack path (default ``True``); ``False`` makes the
            engine independent of the environment.
        outcomes: an outcome store (SQLite file, created if missing): ``feedback`` records
            there, diagnoses that match nothing are recorded for ``gaps``, and resolution
            history adjusts the ranking (boundedly, shown in the trace).
        keep_text: store texts whole (default: masked, variable parts replaced by
            placeholders).
        retention_days: rows older than this are deleted (default 180; 0 keeps all).

    Raises:
        PackError: in strict mode, when a folder in ``packs`` holds no pack, or when no
            pack could be loaded at all; ``.errors`` lists every problem with its file, line
            and column.
        FileNotFoundError: a folder in ``packs`` does not exist.
        OutcomesError: ``outcomes`` is not an outcome store (another kind of file, a
            damaged or foreign database, one made by a newer fixbook).
    """

    __slots__ = ("_core",)

    def __init__(
        self,
        packs: StrPath | Iterable[StrPath] | None = None,
        builtin: bool = True,
        strict: bool = False,
        *,
        pack_path: bool = True,
        outcomes: StrPath | None = None,
        keep_text: bool = False,
        retention_days: int = 180,
    ) -> None:
        self._core = EngineCore(
            packs, builtin, strict, pack_path, outcomes, keep_text, retention_days
        )
        self._warn_skipped()

    def search(self, text: str | bytes, limit: int = DEFAULT_LIMIT) -> list[Match]:
        """The known problems that match ``text``, best first (at most ``limit``; 0 means
        ``DEFAULT_LIMIT``, the engine's default in every door).

        ``text`` may be anything a person pastes: an error string, a log excerpt, a whole
        ticket, even 10 MB of it. ``bytes`` are decoded as UTF-8, invalid sequences replaced.
        An unrelated text gives an empty list, not a guess.
        """
        answer = self._core.diagnose(text, None, _limit(limit), False).to_py()
        return [Match.from_dict(m) for m in answer["matches"]]

    def diagnose(
        self,
        text: str | bytes,
        facts: Mapping[str, FactValue] | None = None,
        limit: int = DEFAULT_LIMIT,
        *,
        trace: bool = False,
    ) -> Diagnosis:
        """Diagnoses ``text`` given what is known: matches with cause verdicts, and questions.

        Args:
            text: the error string, log excerpt or ticket.
            facts: known facts, ``{"user.provisioned": False, "saml.nameid_format":
                "persistent"}``; values are ``bool``, ``int``, ``float``, ``str`` (also enum
                values) or ``list[str]``. Facts no loaded pack declares are ignored (with a
                note).
            limit: the most matches to return; 0 means ``DEFAULT_LIMIT``.
            trace: include the decision trace (every candidate and why it won or lost).

        Raises:
            FactError: a fact's value does not fit its declared type (the message names the
                fact and the type). ``FactError`` is a ``QueryError`` and a ``ValueError``.
        """
        return _EngineDiagnosis._of(self._core.diagnose(text, facts, _limit(limit), trace))

    @overload
    def diagnose_many(
        self,
        texts: Iterable[str | bytes],
        facts: Mapping[str, FactValue] | Sequence[Mapping[str, FactValue] | None] | None = ...,
        limit: int = ...,
        *,
        errors: Literal["raise"] = ...,
    ) -> list[Diagnosis]: ...
    @overload
    def diagnose_many(
        self,
        texts: Iterable[str | bytes],
        facts: Mapping[str, FactValue] | Sequence[Mapping[str, FactValue] | None] | None = ...,
        limit: int = ...,
        *,
        errors: Literal["return"],
    ) -> list[Diagnosis | Exception]: ...

    def diagnose_many(
        self,
        texts: Iterable[str | bytes],
        facts: Mapping[str, FactValue] | Sequence[Mapping[str, FactValue] | None] | None = None,
        limit: int = 10,
        *,
        errors: Literal["raise", "return"] = "raise",
    ) -> list[Diagnosis] | list[Diagnosis | Exception]:
        """Diagnoses many texts at once, in parallel on all cores (the GIL is released).

        Each answer equals ``diagnose(text, facts, limit)`` for its row.

        Args:
            texts: the texts (``str`` or ``bytes``).
            facts: ``None``, one mapping of facts for every text, or a sequence of mappings
                (or ``None``) with one item per text.
            limit: the most matches per text.
            errors: ``"raise"`` (default) raises the first failing row's error (its notes
                name the row); ``"return"`` puts each failing row's exception object in its
                place in the list and diagnoses the other rows.

        Raises:
            FactError: (``errors="raise"``) a row's fact does not fit its declared type.
            TypeError: a text is not ``str`` or ``bytes`` (per row, like ``FactError``).
            ValueError: ``facts`` is a sequence of another length than ``texts``.
        """
        if not isinstance(texts, (list, tuple)):
            texts = list(texts)
        if errors not in ("raise", "return"):
            raise ValueError(f'errors must be "raise" or "return", got {errors!r}')
        answers = _fixbook.diagnose_many(self._core, texts, facts, _limit(limit))
        out: list[Diagnosis | Exception] = []
        for i, a in enumerate(answers):
            if isinstance(a, DiagnosisCore):
                out.append(_EngineDiagnosis._of(a))
            elif errors == "raise":
                if hasattr(a, "add_note"):
                    a.add_note(f"in row {i} of diagnose_many")
                raise a
            else:
                out.append(a)
        return out

    def diagnose_arrow(
        self,
        texts: Any,
        facts: Any = None,
        limit: int = 3,
    ) -> Any:
        """Diagnoses every row of an Arrow array of texts, in parallel (the GIL released).

        For pandas, Polars, DuckDB or Spark data: the texts go in and the answers come out as
        Arrow columns, with no Python object per row. Needs ``pyarrow``.

        Args:
            texts: a ``pyarrow.Array`` or ``ChunkedArray`` of strings or binary (or any
                object with ``__arrow_c_array__``); nulls give null answers.
            facts: ``None`` or an Arrow string array as long as ``texts``: each row a JSON
                object of facts (``{"user.provisioned": false}``) or null.
            limit: the most matches kept in each row's ``diagnosis``.

        Returns:
            A ``pyarrow.StructArray`` with one row per text and the fields ``id`` (the best
            match's ``pack/entry``, null when nothing matched), ``title``, ``confidence``
            (float64), ``question`` (the fact of the first question, or null), ``diagnosis``
            (the whole answer as the engine's JSON, as ``Diagnosis.to_json()``) and ``error``
            (null, or why that row could not be diagnosed: invalid facts JSON, a fact of the
            wrong type). A failing row never fails the others.
        """
        import pyarrow as pa  # type: ignore[import-untyped]  # optional: only needed here

        texts = _one_chunk(pa, texts)
        if facts is not None:
            facts = _one_chunk(pa, facts)
        result = _fixbook.diagnose_arrow(self._core, texts, facts, _limit(limit))
        return pa.array(result)

    def reload(self) -> None:
        """Re-reads every pack and swaps the new set in atomically.

        Queries running meanwhile (in other threads) see the old set or the new one, never
        a mix. On failure the loaded set is kept and ``PackError`` is raised.
        """
        self._core.reload()
        self._warn_skipped()

    def feedback(
        self,
        entry: str,
        outcome: str,
        *,
        text: str | None = None,
        ticket: str | None = None,
    ) -> int:
        """Records whether ``entry`` (``pack/entry``) solved a problem.

        ``outcome`` is ``"resolved"`` or ``"not-resolved"``. Returns the row id; the row is
        committed when this returns.

        Raises:
            QueryError: no outcome store is open, the entry is not loaded, or the outcome
                is neither value.
            OutcomesError: the store could not be written.
        """
        return _feedback(self._core, entry, outcome, text, ticket)

    def gaps(
        self,
        *,
        since: str | _dt.date | _dt.datetime | None = None,
        limit: int | None = None,
        draft: StrPath | None = None,
    ) -> list[Gap]:
        """The texts that matched nothing, grouped into templates, biggest first.

        Args:
            since: only texts recorded since then (a ``date``, ``datetime`` or
                ``"YYYY-MM-DD"``; UTC).
            limit: at most this many templates.
            draft: a new folder to write a draft pack into: one draft entry per template,
                tests from its examples (passes ``fixbook lint`` and ``fixbook test``).
        """
        raw = _gaps(self._core, since_arg(since), limit, draft)
        return [Gap.from_dict(g) for g in json.loads(raw)["gaps"]]

    @property
    def packs(self) -> list[PackInfo]:
        """The loaded packs (id, name, version, description, origin, number of entries)."""
        return [PackInfo.from_dict(p) for p in json.loads(self._core.packs())]

    @property
    def skipped(self) -> list[PackErrorDetail]:
        """Problems with packs that were skipped at load (lenient mode)."""
        return self._core.skipped()

    @property
    def entry_ids(self) -> list[str]:
        """Every loaded entry id (``pack/entry``), in load order."""
        return self._core.entry_ids()

    def entry(self, id: str) -> Entry | None:
        """The entry ``id`` (``pack/entry``) as written in its pack, or None."""
        raw = self._core.entry(id)
        return None if raw is None else Entry.from_dict(json.loads(raw))

    def fact(self, name: str) -> FactInfo | None:
        """The declaration of fact ``name`` (type, allowed values, question), or None."""
        raw = self._core.fact(name)
        return None if raw is None else FactInfo.from_dict(json.loads(raw))

    def __repr__(self) -> str:
        packs = self.packs
        ids = ", ".join(p.id for p in packs)
        return f"<fixbook.Engine packs=[{ids}] entries={sum(p.entries for p in packs)}>"

    def _warn_skipped(self) -> None:
        for problem in self._core.skipped():
            warnings.warn(f"fixbook: skipped pack: {problem}", PackWarning, stacklevel=3)


def _one_chunk(pa: Any, arr: Any) -> Any:
    # a ChunkedArray (a pandas/Polars/Table column) has no __arrow_c_array__
    if isinstance(arr, pa.ChunkedArray):
        return arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, not {type(limit).__name__}")
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return limit
