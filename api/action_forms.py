"""The pages' form for each action, generated from the action table and the request body the
API derives for it (api/action_bodies.py), and the way back from a posted form to that body.

Field types become inputs: free text a text area, a short identifier a text input, a name of a
department / user / outage a select of the existing ones, an enum a select of its labelled
values, a time a datetime-local input read in the policy's time zone, a bool a checkbox.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from api.action_bodies import body_model
from api.labels import label
from caseflow.domain import Category, Channel, CustomerTier, Satisfaction, Severity, Urgency
from caseflow.domain.actions import ActionRule
from caseflow.domain.fields import Ref, Short
from caseflow.i18n import N_, translations

# Which vocabulary (api/labels.py) names the values of each enum a message may carry.
ENUM_VOCABULARY: dict[type, str] = {
    Severity: "severity",
    Category: "category",
    Channel: "channel",
    CustomerTier: "tier",
    Urgency: "urgency",
    Satisfaction: "satisfaction",
}

# What each message field is called on a form (context "field").
FIELD_LABELS: dict[str, str] = {
    "text": N_("field", "Text"),
    "department": N_("field", "Department"),
    "reason": N_("field", "Reason"),
    "assignee": N_("field", "Assignee"),
    "question": N_("field", "Question for the customer"),
    "severity": N_("field", "Severity"),
    "tier": N_("field", "Customer tier"),
    "category": N_("field", "Category"),
    "urgency": N_("field", "Urgency"),
    "result": N_("field", "Result"),
    "process": N_("field", "How it was handled"),
    "evidence": N_("field", "Evidence"),
    "message": N_("field", "Message to the customer"),
    "channel": N_("field", "Channel"),
    "comment": N_("field", "Comment"),
    "satisfaction": N_("field", "Satisfaction"),
    "answer": N_("field", "Answer"),
    "approved": N_("field", "Approved"),
    "engineer": N_("field", "Engineer"),
    "appointment_at": N_("field", "Appointment"),
    "note": N_("field", "Note"),
    "cause": N_("field", "Cause"),
    "fix": N_("field", "Fix"),
    "outage_id": N_("field", "Outage"),
    "attachments": N_("field", "Attachments"),
    "due_at": N_("field", "Handled by"),
    "window": N_("field", "Time limit"),
    "until": N_("field", "New deadline"),
    "reply": N_("field", "Reply to the regulator"),
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # textarea / text / select / multiselect / datetime / checkbox
    required: bool
    max_length: int | None = None
    options: tuple[tuple[str, str], ...] = ()  # (value, label) for selects
    value: str = ""  # what the reader typed (shown again after a refusal)


@dataclass(frozen=True)
class ActionForm:
    name: str
    label: str
    fields: tuple[FormField, ...]


def _unwrap(hint: Any) -> tuple[Any, list[Any], bool]:
    """(base type, Annotated markers, optional?)"""
    meta: list[Any] = []
    if typing.get_origin(hint) is Annotated:
        hint, *meta = typing.get_args(hint)
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        hint = args[0] if len(args) == 1 else hint
    return hint, meta, optional


def _message_fields(rule: ActionRule) -> list[tuple[dataclasses.Field, Any, list[Any], bool]]:
    hints = typing.get_type_hints(rule.message, include_extras=True)
    fields = []
    for f in dataclasses.fields(rule.message):
        if f.name == "actor":
            continue
        base, meta, optional = _unwrap(hints[f.name])
        fields.append((f, base, meta, optional))
    return fields


def action_form(
    rule: ActionRule,
    language: str,
    references: Mapping[str, list[tuple[str, str]]],
    values: Mapping[str, str] | None = None,
) -> ActionForm:
    """The form of `rule`'s action; `references` lists the choices for each kind of name
    ("department", "user", "outage") as (value, label)."""
    tr = translations(language)
    model = body_model(rule)
    values = values or {}
    out = []
    for f, base, meta, optional in _message_fields(rule):
        info = model.model_fields[f.name]
        required = info.is_required()
        ref = next((m for m in meta if isinstance(m, Ref)), None)
        short = next((m for m in meta if isinstance(m, Short)), None)
        options: tuple[tuple[str, str], ...] = ()
        max_length = next(
            (getattr(m, "max_length", None) for m in info.metadata if hasattr(m, "max_length")),
            None,
        )
        if ref is not None and typing.get_origin(base) is list:
            widget, options = "multiselect", tuple(references.get(ref.kind, ()))
        elif ref is not None:
            widget, options = "select", tuple(references.get(ref.kind, ()))
        elif isinstance(base, type) and issubclass(base, enum.Enum):
            vocabulary = ENUM_VOCABULARY.get(base, "")
            widget = "select"
            options = tuple((m.value, label(vocabulary, m.value, language)) for m in base)
        elif base is bool:
            widget = "checkbox"
        elif base is datetime:
            widget = "datetime"
        elif short is not None:
            widget = "text"
        else:
            widget = "textarea"
        if widget == "select" and (optional or not required):
            options = (("", "—"),) + options
        source = FIELD_LABELS.get(f.name)
        out.append(
            FormField(
                name=f.name,
                label=tr.pgettext("field", source) if source else f.name,
                widget=widget,
                required=required,
                max_length=max_length,
                options=options,
                value=values.get(f.name, ""),
            )
        )
    return ActionForm(rule.name, rule.label(language), tuple(out))


def parse_form(rule: ActionRule, form: Mapping[str, Any], timezone: str) -> BaseModel:
    """The action's request body from a posted form (pydantic's ValidationError if invalid).
    An empty optional field means "not given"; a time without a zone is in `timezone`."""
    data: dict[str, Any] = {}
    for f, base, _meta, _optional in _message_fields(rule):
        raw = form.get(f.name)
        if base is bool:
            data[f.name] = raw in ("true", "on", "1")
            continue
        if typing.get_origin(base) is list:
            chosen = form.getlist(f.name) if hasattr(form, "getlist") else []
            data[f.name] = [v for v in chosen if isinstance(v, str) and v]
            continue
        if not isinstance(raw, str):
            continue
        if raw == "" and (
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        ):
            continue
        if base is datetime and raw:
            try:
                at = datetime.fromisoformat(raw)
            except ValueError:
                data[f.name] = raw  # the model refuses it with a clear message
                continue
            data[f.name] = at if at.tzinfo else at.replace(tzinfo=ZoneInfo(timezone))
            continue
        data[f.name] = raw
    return body_model(rule).model_validate(data)


def posted_values(rule: ActionRule, form: Mapping[str, Any]) -> dict[str, str]:
    """What the reader typed into the form, to show it again after a refusal."""
    return {
        f.name: form.get(f.name)
        for f, *_ in _message_fields(rule)
        if isinstance(form.get(f.name), str)
    }
