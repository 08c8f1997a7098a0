"""The summaries caseflow's workflows give their timers and plan activities, read back.

They are written by caseflow/domain/summaries.py (kept free of `re`: the domain is pure); the
patterns here accept exactly those forms, and tests/unit/test_history_labels.py checks every
form round-trips. A summary of another form (or none, in histories from before summaries)
reads as no label: the readable history then says only what Temporal itself recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_WINDOW_TIMER = re.compile(
    r"^(?P<purpose>warning|deadline) of the (?P<window>[a-z_]+) window"
    r"(?: \((?P<target>[^)]*)\))? at (?P<at>\S+)$"
)
_ESCALATION_TIMER = re.compile(
    r"^escalation past level (?P<level>\d+) \((?P<window>[a-z_]+) breach\) at (?P<at>\S+)$"
)
_PLAN = re.compile(r"^(?P<re>re-)?plan the (?P<window>[a-z_]+) window \((?P<target>[^)]*)\)$")
_PLAN_ESCALATION = re.compile(r"^plan the next escalation \((?P<target>[^)]*)\)$")


@dataclass(frozen=True)
class TimerLabel:
    """What a timer was started for: a window's "warning" or "deadline", or an "escalation"
    climb past `level` of the chain `window` drives."""

    purpose: str
    window: str | None
    at: datetime
    target: str | None = None
    level: int | None = None


@dataclass(frozen=True)
class PlanLabel:
    """What a plan_window activity planned: a window (`window` set) or the next climb."""

    window: str | None
    target: str
    replan: bool = False


def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def timer_label(summary: str | None) -> TimerLabel | None:
    if not summary:
        return None
    if m := _WINDOW_TIMER.match(summary):
        at = _instant(m["at"])
        if at is not None:
            return TimerLabel(m["purpose"], m["window"], at, target=m["target"])
    if m := _ESCALATION_TIMER.match(summary):
        at = _instant(m["at"])
        window = None if m["window"] == "none" else m["window"]
        if at is not None:
            return TimerLabel("escalation", window, at, level=int(m["level"]))
    return None


def plan_label(summary: str | None) -> PlanLabel | None:
    if not summary:
        return None
    if m := _PLAN.match(summary):
        return PlanLabel(m["window"], m["target"], replan=bool(m["re"]))
    if m := _PLAN_ESCALATION.match(summary):
        return PlanLabel(None, m["target"])
    return None
