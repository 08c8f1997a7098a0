"""Request bodies derived from the action table's messages.

An action's body is its message dataclass minus `actor` (who acts always comes from the bearer
token, never from the body). Field types carry over; `str` fields are free text capped at
MAX_TEXT (required ones must not be empty), or identifiers where a `Short` marker says so;
`Doc` markers become descriptions and examples; `Ref` markers name what the API must find
before it sends the action (a department, a user, an outage, the case's own attachments).
A field with a dataclass `default_factory` keeps it (an omitted list is an empty list).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model, model_validator

from caseflow.domain.actions import ACTIONS, ActionRule
from caseflow.domain.fields import Doc, Ref, Short

MAX_TEXT = 4000  # Settings.max_text_chars default; the route re-checks against Settings
# Actions whose optional fields are alternatives: at least one must be given (api/openapi.py
# documents the same rule, so a schema-valid body is never refused for it).
AT_LEAST_ONE: dict[str, tuple[str, ...]] = {
    "reclassify": ("severity", "urgency", "tier", "category"),
}


def no_nul(value: Any, where: str = "body") -> None:
    """PostgreSQL text cannot hold NUL: refuse it here instead of failing in an activity."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{where} contains a NUL character")
    if isinstance(value, dict):
        for key, item in value.items():
            no_nul(key, where)
            no_nul(item, f"{where}.{key}")
    elif isinstance(value, list):
        for item in value:
            no_nul(item, where)


class Body(BaseModel):
    """Every request body: unknown fields and NUL characters are refused (422)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _text_is_storable(cls, data: Any) -> Any:
        no_nul(data)
        return data


def _markers(hint: Any) -> tuple[Any, list[Any]]:
    if typing.get_origin(hint) is Annotated:
        base, *meta = typing.get_args(hint)
        return base, meta
    return hint, []


def _is_text(base: Any) -> bool:
    return base is str or (
        typing.get_origin(base) in (typing.Union, types.UnionType) and str in typing.get_args(base)
    )


MAX_LIST_ITEMS = 20  # e.g. attachment ids on one action


def _field(
    base: Any, meta: list[Any], required: bool, default: Any, factory: Any = None
) -> tuple[Any, Any]:
    doc = next((m for m in meta if isinstance(m, Doc)), None)
    short = next((m for m in meta if isinstance(m, Short)), None)
    kwargs: dict[str, Any] = {}
    if doc is not None:
        if doc.description:
            kwargs["description"] = doc.description
        if doc.example is not None:
            kwargs["examples"] = [doc.example]
    if _is_text(base):
        kwargs["max_length"] = short.max_length if short else MAX_TEXT
        if required:
            kwargs["min_length"] = 1
    if typing.get_origin(base) is list:
        kwargs["max_length"] = MAX_LIST_ITEMS
    if base is datetime:
        base = AwareDatetime  # a time must say its zone
    if factory is not None:  # a dataclass default_factory: a fresh value, never None
        return base, Field(default_factory=factory, **kwargs)
    return base, Field(... if required else default, **kwargs)


def references(rule: ActionRule) -> dict[str, str]:
    """Body field -> what it names ("department", "user", "outage"), for the API to check."""
    hints = typing.get_type_hints(rule.message, include_extras=True)
    refs = {}
    for f in dataclasses.fields(rule.message):
        _, meta = _markers(hints[f.name])
        ref = next((m for m in meta if isinstance(m, Ref)), None)
        if ref is not None:
            refs[f.name] = ref.kind
    return refs


def _at_least_one(fields: tuple[str, ...]):
    def check(self: Body) -> Body:
        if all(getattr(self, f, None) is None for f in fields):
            *rest, last = fields
            raise ValueError(f"needs a new {', '.join(rest)} or {last}")
        return self

    return check


def body_model(rule: ActionRule) -> type[Body]:
    """The request body of `rule`'s action (one model per action, named after it)."""
    return _body_model(rule.name)


@functools.cache
def _body_model(name: str) -> type[Body]:
    rule = ACTIONS[name]
    hints = typing.get_type_hints(rule.message, include_extras=True)
    fields: dict[str, Any] = {}
    example: dict[str, Any] = {}
    for f in dataclasses.fields(rule.message):
        if f.name == "actor":
            continue
        base, meta = _markers(hints[f.name])
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = None if f.default is dataclasses.MISSING else f.default
        factory = None if f.default_factory is dataclasses.MISSING else f.default_factory
        fields[f.name] = _field(base, meta, required, default, factory)
        doc = next((m for m in meta if isinstance(m, Doc)), None)
        if doc is not None and doc.example is not None:
            example[f.name] = doc.example
    model_name = "".join(part.capitalize() for part in name.split("_")) + "Body"
    # A base of its own carries the example (create_model takes a base or a config, not both).
    namespace: dict[str, Any] = {
        "model_config": ConfigDict(
            extra="forbid", json_schema_extra={"examples": [example]} if example else None
        )
    }
    if name in AT_LEAST_ONE:
        namespace["_one_given"] = model_validator(mode="after")(_at_least_one(AT_LEAST_ONE[name]))
    base = type(f"_{model_name}", (Body,), namespace)
    return create_model(model_name, __base__=base, __doc__=rule.summary, **fields)
