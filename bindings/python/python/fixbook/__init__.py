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

import json
import os
import warnings
from collections.abc import Iterable, Mapping
from typing import TypeAlias, Union

from ._fixbook import (
    DEFAULT_LIMIT,
    ENGINE_VERSION,
    EngineCore,
    FactError,
    FixbookError,
    PackError,
    PackErrorDetail,
    PackWarning,
    QueryError,
    SearchIndexError,
    __version__,
)
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
    "Location",
    "Match",
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

    Raises:
        PackError: in strict mode, when a folder in ``packs`` holds no pack, or when no
            pack could be loaded at all; ``.errors`` lists every problem with its file, line
            and column.
        FileNotFoundError: a folder in ``packs`` does not exist.
    """

    __slots__ = ("_core",)

    def __init__(
        self,
        packs: StrPath | Iterable[StrPath] | None = None,
        builtin: bool = True,
        strict: bool = False,
        *,
        pack_path: bool = True,
    ) -> None:
        self._core = EngineCore(packs, builtin, strict, pack_path)
        self._warn_skipped()

    def search(self, text: str | bytes, limit: int = DEFAULT_LIMIT) -> list[Match]:
        """The known problems that match ``text``, best first (at most ``limit``; 0 means
        ``DEFAULT_LIMIT``, the engine's default in every door).

        ``text`` may be anything a person pastes: an error string, a log excerpt, a whole
        ticket, even 10 MB of it. ``bytes`` are decoded as UTF-8, invalid sequences replaced.
        An unrelated text gives an empty list, not a guess.
        """
        answer = json.loads(self._core.search(text, _limit(limit)))
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
        return Diagnosis.from_json(self._core.diagnose(text, facts, _limit(limit), trace))

    def reload(self) -> None:
        """Re-reads every pack and swaps the new set in atomically.

        Queries running meanwhile (in other threads) see the old set or the new one, never
        a mix. On failure the loaded set is kept and ``PackError`` is raised.
        """
        self._core.reload()
        self._warn_skipped()

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


def _limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, not {type(limit).__name__}")
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    return limit
