"""Content gaps: what the outcome store groups from texts that matched nothing."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Gap:
    """A group of texts that matched nothing and look alike.

    Attributes:
        template: the masked text, ``<*>`` where the grouped texts differ, placeholders
            (``{email}``, ``{uuid}``, ``{number}`` ...) for their variable parts.
        count: how many texts it groups.
        examples: a few of them (whole when the store keeps texts, masked otherwise).
        first_seen: when the first was recorded (``YYYY-MM-DDTHH:MM:SSZ``).
        last_seen: when the last was recorded.
    """

    template: str
    count: int
    examples: tuple[str, ...]
    first_seen: str
    last_seen: str

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Gap:
        """A gap from its JSON form (as ``fixbook gaps --json`` prints it)."""
        return cls(
            template=d["template"],
            count=d["count"],
            examples=tuple(d["examples"]),
            first_seen=d["first_seen"],
            last_seen=d["last_seen"],
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "template": self.template,
            "count": self.count,
            "examples": list(self.examples),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }


def since_arg(since: str | _dt.date | _dt.datetime | None) -> str | None:
    """``since`` as the engine reads it: ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    if since is None or isinstance(since, str):
        return since
    if isinstance(since, _dt.datetime):
        if since.tzinfo is not None:
            since = since.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return since.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(since, _dt.date):
        return since.isoformat()
    raise TypeError(f"since must be a str, date or datetime, not {type(since).__name__}")
