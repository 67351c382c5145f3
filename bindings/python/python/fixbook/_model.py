"""Typed result classes, built from the engine's canonical JSON.

Every class is a frozen dataclass. Objects the engine made keep the JSON object they were
built from, so ``to_dict()`` returns exactly that object (the shape ``fixbook search --json``
prints) and ``Diagnosis.to_json()`` returns the engine's JSON text unchanged.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, Union

__all__ = [
    "Cause",
    "Diagnosis",
    "Entry",
    "EntryCause",
    "Evidence",
    "FactInfo",
    "FactValue",
    "Location",
    "Match",
    "PackInfo",
    "Place",
    "Question",
    "Reference",
    "Signature",
    "SignatureHit",
    "Symptom",
    "Verdict",
]

FactValue: TypeAlias = Union[bool, int, float, str, list[str]]
"""A fact's value: ``bool``, ``int``, ``float``, ``str`` (also enum values) or ``list[str]``."""

Verdict: TypeAlias = Union[
    Literal["confirmed"], Literal["ruled_out"], Literal["unknown"], Literal["error"]
]
"""A check's outcome: the cause applies, does not apply, needs a missing fact, or failed."""

JSON: TypeAlias = dict[str, Any]


class _Record:
    """Shared behaviour: ``to_dict()``."""

    __slots__ = ()
    # the JSON object an engine-made record came from (keyword-only, not compared or shown)
    _source: JSON | None

    def to_dict(self) -> dict[str, Any]:
        """This record as a JSON-ready dict, in the engine's JSON shape."""
        if self._source is not None:
            return copy.deepcopy(self._source)
        return {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if not f.name.startswith("_")
        }


def _plain(v: Any) -> Any:
    # a hand-made record's value as JSON-ready data
    if isinstance(v, _Record):
        return v.to_dict()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


@dataclass(frozen=True, slots=True)
class Reference(_Record):
    """Further reading: a page title and, when known, its address."""

    title: str
    """Title of the page."""
    url: str | None = None
    """Address, if any."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Reference:
        """Builds a reference from its JSON object."""
        return cls(d["title"], d.get("url"), _source=d)


@dataclass(frozen=True, slots=True)
class Place(_Record):
    """Where to look for evidence: a log, console or tool, an event name, a hint."""

    place: str
    """The log, console or tool."""
    event: str | None = None
    """An event name to filter on."""
    hint: str | None = None
    """What to look for."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Place:
        """Builds a place from its JSON object."""
        return cls(d["place"], d.get("event"), d.get("hint"), _source=d)


@dataclass(frozen=True, slots=True)
class SignatureHit(_Record):
    """A signature (error-message pattern) that matched the input."""

    id: str
    """Signature id inside the entry."""
    span: tuple[int, int]
    """Byte range of the match in the normalised input."""
    text: str
    """The matched text."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> SignatureHit:
        """Builds a signature hit from its JSON object."""
        start, end = d["span"]
        return cls(d["id"], (start, end), d["text"], _source=d)


@dataclass(frozen=True, slots=True)
class Symptom(_Record):
    """A symptom of the entry and its verdict."""

    id: str
    """Symptom id inside the entry."""
    description: str
    """What it means."""
    verdict: Verdict
    """The verdict."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Symptom:
        """Builds a symptom from its JSON object."""
        return cls(d["id"], d["description"], d["verdict"], _source=d)


@dataclass(frozen=True, slots=True)
class Evidence(_Record):
    """Why an entry matched: signatures, search terms, and facts read from the text."""

    signatures: list[SignatureHit]
    """Signatures that matched, with where."""
    terms: list[str]
    """Search terms (analysed form) found in the entry."""
    facts: dict[str, FactValue]
    """Facts read from the text (signature captures and extractors)."""
    symptoms: list[Symptom] = field(default_factory=list)
    """Symptom verdicts."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Evidence:
        """Builds evidence from its JSON object."""
        return cls(
            [SignatureHit.from_dict(s) for s in d.get("signatures", ())],
            list(d.get("terms", ())),
            dict(d.get("facts", {})),
            [Symptom.from_dict(s) for s in d.get("symptoms", ())],
            _source=d,
        )


@dataclass(frozen=True, slots=True)
class Cause(_Record):
    """One possible cause of a match, with the verdict of its check."""

    id: str
    """Cause id inside the entry."""
    title: str
    """One-line title."""
    verdict: Verdict
    """``confirmed``, ``ruled_out``, ``unknown`` (a fact is missing) or ``error``."""
    explanation: str
    """Why this causes the problem."""
    remedy: list[str] = field(default_factory=list)
    """Steps that fix it."""
    facts_read: list[str] = field(default_factory=list)
    """Facts the check read."""
    missing_facts: list[str] = field(default_factory=list)
    """Facts it needed that were missing (for ``unknown``)."""
    error: str | None = None
    """What went wrong (for ``error``)."""
    references: list[Reference] = field(default_factory=list)
    """Further reading."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Cause:
        """Builds a cause from its JSON object."""
        return cls(
            d["id"],
            d["title"],
            d["verdict"],
            d.get("explanation", ""),
            list(d.get("remedy", ())),
            list(d.get("facts_read", ())),
            list(d.get("missing_facts", ())),
            d.get("error"),
            [Reference.from_dict(r) for r in d.get("references", ())],
            _source=d,
        )


@dataclass(frozen=True, slots=True)
class Question(_Record):
    """A question to ask a person: its answer is the value of one fact."""

    fact: str
    """The fact it asks for; pass the answer as ``facts={fact: value}``."""
    text: str
    """The question text."""
    type: str
    """The fact's type: ``bool``, ``int``, ``float``, ``string``, ``enum`` or ``list``."""
    choices: list[str] = field(default_factory=list)
    """Allowed answers (enum values; ``true``/``false`` for bools); empty for free answers."""
    decides: int = 0
    """How many undecided causes and symptoms its answer would decide."""
    entries: list[str] = field(default_factory=list)
    """The matched entries the answer matters to."""
    information: float = 0.0
    """Expected information of its answer, in bits (the questions are ordered by it)."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Question:
        """Builds a question from its JSON object."""
        return cls(
            d["fact"],
            d["text"],
            d.get("type", "string"),
            list(d.get("choices", ())),
            d.get("decides", 0),
            list(d.get("entries", ())),
            float(d.get("information", 0.0)),
            _source=d,
        )


@dataclass(frozen=True, slots=True)
class Match(_Record):
    """A known problem that matches the input."""

    id: str
    """``pack/entry``."""
    title: str
    """The entry's title."""
    score: float
    """Relevance score (higher is better; comparable within one answer)."""
    confidence: float
    """How sure the engine is, 0 to 1."""
    evidence: Evidence
    """Why it matched."""
    causes: list[Cause] = field(default_factory=list)
    """The causes, confirmed first, ruled out last."""
    remedy: list[str] = field(default_factory=list)
    """Fix steps: those of confirmed causes first, then the entry's general remedy."""
    questions: list[Question] = field(default_factory=list)
    """Questions that would decide this entry's undecided causes, most useful first."""
    references: list[Reference] = field(default_factory=list)
    """Further reading."""
    summary: str = ""
    """The entry's summary."""
    where_to_look: list[Place] = field(default_factory=list)
    """Where to look for evidence."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Match:
        """Builds a match from its JSON object."""
        return cls(
            d["id"],
            d["title"],
            d["score"],
            d["confidence"],
            Evidence.from_dict(d.get("evidence", {})),
            [Cause.from_dict(c) for c in d.get("causes", ())],
            list(d.get("remedy", ())),
            [Question.from_dict(q) for q in d.get("questions", ())],
            [Reference.from_dict(r) for r in d.get("references", ())],
            d.get("summary", ""),
            [Place.from_dict(p) for p in d.get("where_to_look", ())],
            _source=d,
        )

    def __repr__(self) -> str:
        return (
            f"Match(id={self.id!r}, title={self.title!r}, score={self.score:.3f}, "
            f"confidence={self.confidence:.3f}, causes={len(self.causes)}, "
            f"questions={len(self.questions)})"
        )


@dataclass(frozen=True, slots=True)
class Diagnosis(_Record):
    """The engine's answer: matches best first, and the questions to ask next."""

    matches: list[Match]
    """Matches, best first; empty when nothing is relevant."""
    questions: list[Question] = field(default_factory=list)
    """Questions across all matches, the one that decides most first."""
    notes: list[str] = field(default_factory=list)
    """Notes about the input (truncated, invalid UTF-8 replaced, unknown facts ignored)."""
    trace: dict[str, Any] | None = None
    """The decision trace (every candidate and why it won or lost), when asked for."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)
    _json: str | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_json(cls, text: str) -> Diagnosis:
        """Builds a diagnosis from the engine's JSON text (as ``fixbook search --json``)."""
        matches, questions, notes, trace, source = _diagnosis_fields(json.loads(text))
        return cls(matches, questions, notes, trace, _source=source, _json=text)

    def to_json(self, indent: int | None = None) -> str:
        """The diagnosis as JSON: the same document as ``fixbook search --json``.

        Without ``indent`` this is the engine's own compact JSON text.
        """
        if indent is None and self._json is not None:
            return self._json
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @property
    def top(self) -> Match | None:
        """The best match, or None when nothing matched."""
        return self.matches[0] if self.matches else None

    def __bool__(self) -> bool:
        return bool(self.matches)

    def __repr__(self) -> str:
        best = f", top={self.matches[0].id!r}" if self.matches else ""
        return f"Diagnosis(matches={len(self.matches)}, questions={len(self.questions)}{best})"


def _diagnosis_fields(d: JSON) -> tuple[Any, ...]:
    # Diagnosis's fields from its JSON object, in order, and that object (`_source`)
    return (
        [Match.from_dict(m) for m in d.get("matches", ())],
        [Question.from_dict(q) for q in d.get("questions", ())],
        list(d.get("notes", ())),
        d.get("trace"),
        d,
    )


class _EngineDiagnosis(Diagnosis):
    """A ``Diagnosis`` the engine made, read from the engine's structure on first access.

    The call that diagnoses returns as soon as the engine has answered; the ``Match``,
    ``Cause`` and ``Question`` objects are built the first time a field is read (all of
    them at once, then kept), and ``to_json()`` asks the engine for its JSON text without
    building them. It is a ``Diagnosis`` in every other way: same fields, equality, repr,
    ``to_dict()``, pickling and ``dataclasses.replace``.
    """

    __slots__ = ("_native",)

    @classmethod
    def _of(cls, native: Any) -> Diagnosis:
        d = object.__new__(cls)
        _NATIVE.__set__(d, native)
        return d

    def _build(self) -> None:
        native = _NATIVE.__get__(self)
        matches, questions, notes, trace, source = _diagnosis_fields(native.to_py())
        for slot, value in zip(_SLOTS, (matches, questions, notes, trace, source)):
            slot.__set__(self, value)
        _SLOTS_JSON.__set__(self, None)

    def to_json(self, indent: int | None = None) -> str:
        """The diagnosis as JSON: the same document as ``fixbook search --json``.

        Without ``indent`` this is the engine's own compact JSON text.
        """
        if indent is None:
            try:
                return _NATIVE.__get__(self).json()  # type: ignore[no-any-return]
            except AttributeError:  # made by dataclasses.replace or unpickled: no engine answer
                pass
        return Diagnosis.to_json(self, indent)

    def __bool__(self) -> bool:
        try:
            return len(_NATIVE.__get__(self)) > 0
        except AttributeError:
            return bool(self.matches)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Diagnosis):
            return NotImplemented
        return (self.matches, self.questions, self.notes, self.trace) == (
            other.matches,
            other.questions,
            other.notes,
            other.trace,
        )

    def __reduce__(self) -> Any:
        # pickles (and copies) as a plain Diagnosis: the engine's answer does not travel
        fields = (self.matches, self.questions, self.notes, self.trace, self._source)
        return (_rebuild_diagnosis, (*fields, self.to_json()))


def _rebuild_diagnosis(
    matches: Any, questions: Any, notes: Any, trace: Any, source: Any, text: str
) -> Diagnosis:
    return Diagnosis(matches, questions, notes, trace, _source=source, _json=text)


def _lazy_field(name: str) -> property:
    slot = Diagnosis.__dict__[name]

    def get(self: _EngineDiagnosis) -> Any:
        try:
            return slot.__get__(self)
        except AttributeError:
            self._build()
            return slot.__get__(self)

    return property(get, slot.__set__, doc=Diagnosis.__dict__[name].__doc__)


_NATIVE = _EngineDiagnosis.__dict__["_native"]
_SLOTS = tuple(Diagnosis.__dict__[n] for n in ("matches", "questions", "notes", "trace", "_source"))
_SLOTS_JSON = Diagnosis.__dict__["_json"]
for _name in ("matches", "questions", "notes", "trace", "_source", "_json"):
    setattr(_EngineDiagnosis, _name, _lazy_field(_name))
del _name


@dataclass(frozen=True, slots=True)
class PackInfo(_Record):
    """A loaded pack."""

    id: str
    """Pack id."""
    name: str
    """Human name."""
    version: str
    """Semver version."""
    description: str = ""
    """What the pack covers."""
    origin: str = "builtin"
    """``builtin`` (embedded), or the folder it was loaded from."""
    entries: int = 0
    """Number of entries."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> PackInfo:
        """Builds pack info from its JSON object."""
        origin = d.get("origin") or {"kind": "builtin"}
        return cls(
            d["id"],
            d["name"],
            d["version"],
            d.get("description", ""),
            origin.get("path") or origin.get("kind", "builtin"),
            d.get("entries", 0),
            _source=d,
        )

    def __repr__(self) -> str:
        return f"PackInfo(id={self.id!r}, name={self.name!r}, version={self.version!r})"


@dataclass(frozen=True, slots=True)
class FactInfo(_Record):
    """A fact declared by a pack: its type and the question that asks for it."""

    name: str
    """Dotted name, e.g. ``saml.nameid_format``."""
    type: str
    """``bool``, ``int``, ``float``, ``string``, ``enum`` or ``list``."""
    values: list[str] = field(default_factory=list)
    """Allowed values (enums only)."""
    description: str = ""
    """What the fact means."""
    question: str = ""
    """The question that asks a person for it."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> FactInfo:
        """Builds a fact declaration from its JSON object."""
        return cls(
            d["name"],
            d["type"],
            list(d.get("values", ())),
            d.get("description", ""),
            d.get("question", ""),
            _source=d,
        )


@dataclass(frozen=True, slots=True)
class Signature(_Record):
    """An entry's signature: an error-message regex."""

    id: str
    """Signature id inside the entry."""
    pattern: str
    """The pattern as written."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Signature:
        """Builds a signature from its JSON object."""
        return cls(d["id"], d["pattern"], _source=d)


@dataclass(frozen=True, slots=True)
class EntryCause(_Record):
    """A cause as written in an entry: its check's source and remedy."""

    id: str
    """Cause id inside the entry."""
    title: str
    """One-line title."""
    check: str | None = None
    """The Rhai check's source."""
    remedy: list[str] = field(default_factory=list)
    """Steps that fix it."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> EntryCause:
        """Builds an entry cause from its JSON object."""
        return cls(d["id"], d["title"], d.get("check"), list(d.get("remedy", ())), _source=d)


@dataclass(frozen=True, slots=True)
class Location(_Record):
    """Where something is written: file, line, column (1-based)."""

    path: str
    """File path as shown to users."""
    line: int
    """Line, 1-based."""
    column: int
    """Column, 1-based."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Location:
        """Builds a location from its JSON object."""
        return cls(d["path"], d["line"], d["column"], _source=d)


@dataclass(frozen=True, slots=True)
class Entry(_Record):
    """A known problem as written in its pack (``fixbook show ID``)."""

    id: str
    """``pack/entry``."""
    title: str
    """Title."""
    summary: str
    """Summary."""
    tags: list[str]
    """Tags."""
    keywords: list[str]
    """Keywords for full-text lookup."""
    aliases: list[str]
    """Paraphrases for full-text lookup."""
    signatures: list[Signature]
    """Error-message patterns."""
    causes: list[EntryCause]
    """Possible causes with their checks."""
    facts: list[FactInfo]
    """Facts the entry's checks may read."""
    remedy: list[str]
    """General remedy."""
    references: list[Reference]
    """Further reading."""
    where_to_look: list[Place]
    """Where to look for evidence."""
    status: str
    """``draft``, ``approved`` or ``retired``."""
    location: Location
    """File and line where the entry is written."""
    _source: JSON | None = field(default=None, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_dict(cls, d: JSON) -> Entry:
        """Builds an entry from its JSON object."""
        return cls(
            d["id"],
            d["title"],
            d.get("summary", ""),
            list(d.get("tags", ())),
            list(d.get("keywords", ())),
            list(d.get("aliases", ())),
            [Signature.from_dict(s) for s in d.get("signatures", ())],
            [EntryCause.from_dict(c) for c in d.get("causes", ())],
            [FactInfo.from_dict(f) for f in d.get("facts", ())],
            list(d.get("remedy", ())),
            [Reference.from_dict(r) for r in d.get("references", ())],
            [Place.from_dict(p) for p in d.get("where_to_look", ())],
            d.get("status", "approved"),
            Location.from_dict(d["location"]),
            _source=d,
        )

    def __repr__(self) -> str:
        return f"Entry(id={self.id!r}, title={self.title!r})"
