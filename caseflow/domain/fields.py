"""Markers on message fields, read by the API when it derives request bodies from the action
table's messages (plain metadata in `Annotated`: the payload converter ignores them).

A `str` field without a marker is free text, capped by the API at `Settings.max_text_chars`
(required fields must not be empty).
"""

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Doc:
    """What the field means, for the OpenAPI docs and forms."""

    description: str
    example: Any = None


@dataclass(frozen=True)
class Ref:
    """The value names another record; the API refuses (422) a name that does not exist (an
    attachment: also one that belongs to another case)."""

    kind: Literal["department", "user", "outage", "case", "attachment"]


@dataclass(frozen=True)
class Short:
    """An identifier-like text rather than prose: at most `max_length` characters."""

    max_length: int = 64
