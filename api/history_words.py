"""A readable history event (caseflow/history/readable.py) in words: in the reader's language
(the Babel catalog, context "history"), with instants in the policy's time zone and time limits
spelled out ("3wd" -> "3 working days").

"agent.cs: accept (update accept) -> in progress", "timer for the handling window, fires
2026-12-04 15:37 (3 working days)", "recorded on the timeline: deadline breached (handling) ->
escalated to level 2", "continued as new (run 2)".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.labels import label
from caseflow.history.readable import SYSTEM, ReadableEvent, RecordedEvent
from caseflow.i18n import N_, translations

# What each kind of event is called (the page's filter, the exports' "kind" column).
KIND_NAMES: dict[str, str] = {
    "filed": N_("history_kind", "case filed"),
    "run_started": N_("history_kind", "run started"),
    "update": N_("history_kind", "action (update)"),
    "signal": N_("history_kind", "signal"),
    "timer": N_("history_kind", "timer started"),
    "timer_fired": N_("history_kind", "timer fired"),
    "activity": N_("history_kind", "activity"),
    "recorded": N_("history_kind", "recorded on the timeline"),
    "child": N_("history_kind", "case started"),
    "signal_external": N_("history_kind", "signal sent"),
    "attributes": N_("history_kind", "search attributes"),
    "continued": N_("history_kind", "continued as new"),
    "completed": N_("history_kind", "run completed"),
    "failed": N_("history_kind", "run failed"),
    "terminated": N_("history_kind", "run terminated"),
    "timed_out": N_("history_kind", "run timed out"),
    "cancel_requested": N_("history_kind", "cancellation requested"),
    "cancelled": N_("history_kind", "run cancelled"),
    "task_failed": N_("history_kind", "workflow task failed"),
    "other": N_("history_kind", "other"),
}

UNITS = {
    ("s", False): N_("duration", "%(num)s second"),
    ("s", True): N_("duration", "%(num)s seconds"),
    ("m", False): N_("duration", "%(num)s minute"),
    ("m", True): N_("duration", "%(num)s minutes"),
    ("h", False): N_("duration", "%(num)s hour"),
    ("h", True): N_("duration", "%(num)s hours"),
    ("d", False): N_("duration", "%(num)s day"),
    ("d", True): N_("duration", "%(num)s days"),
    ("wh", False): N_("duration", "%(num)s working hour"),
    ("wh", True): N_("duration", "%(num)s working hours"),
    ("wd", False): N_("duration", "%(num)s working day"),
    ("wd", True): N_("duration", "%(num)s working days"),
}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d|wd|wh)$")

T = {
    "filed": N_("history", "%(actor)s filed the case: %(type)s"),
    "run_started": N_("history", "run %(run)s started, carrying the case on from run %(previous)s"),
    "update": N_("history", "%(actor)s: %(action)s (update %(name)s)"),
    "update_result": N_("history", "%(text)s → %(phase)s"),
    "opened": N_("history", "caseflow's API read the recorded intake (update opened)"),
    "update_refused": N_("history", "%(text)s, refused: %(failure)s"),
    "signal": N_("history", "signal %(name)s received"),
    "timer_deadline": N_("history", "timer for the %(window)s window, fires %(at)s (%(target)s)"),
    "timer_warning": N_(
        "history", "warning timer for the %(window)s window, fires %(at)s (%(target)s)"
    ),
    "timer_escalation": N_(
        "history", "escalation timer (%(window)s breach, at level %(level)s), fires %(at)s"
    ),
    "timer_plain": N_("history", "timer, fires %(at)s"),
    "timer_cancelled": N_("history", "%(text)s; cancelled %(when)s: the case changed first"),
    "fired_deadline": N_("history", "timer fired: the %(window)s window's deadline"),
    "fired_warning": N_("history", "timer fired: the %(window)s window's warning"),
    "fired_escalation": N_("history", "timer fired: the escalation of the %(window)s breach"),
    "fired_plain": N_("history", "timer fired"),
    "recorded": N_("history", "recorded on the timeline: %(what)s"),
    "rec_breach": N_("history", "breach of %(window)s"),
    "rec_escalated": N_("history", "escalated to level %(level)s"),
    "rec_warning": N_("history", "warning: %(window)s nearly used"),
    "rec_by": N_("history", "%(event)s by %(actor)s"),
    "plan_window": N_("history", "planned the %(window)s window (%(target)s): due %(due)s"),
    "plan_escalation": N_("history", "planned the next escalation (%(target)s): at %(due)s"),
    "plan_plain": N_("history", "planned a deadline: due %(due)s"),
    "policy": N_("history", "policy %(version)s applies"),
    "working_instant": N_("history", "next working time: %(at)s"),
    "case_number": N_("history", "case number %(number)s allocated"),
    "terminate": N_("history", "terminating the services (%(label)s)"),
    "outage": N_("history", "read the linked outage's status"),
    "activity": N_("history", "activity %(name)s"),
    "activity_failed": N_("history", "%(text)s, failed: %(failure)s"),
    "child": N_("history", "started case %(id)s (%(type)s)"),
    "signal_external": N_("history", "told %(id)s: %(name)s"),
    "attributes": N_("history", "search attributes: %(values)s"),
    "continued": N_("history", "continued as new (run %(run)s)"),
    "completed": N_("history", "run completed: the case is %(phase)s"),
    "completed_plain": N_("history", "run completed"),
    "failed": N_("history", "run failed: %(failure)s"),
    "terminated": N_("history", "terminated by %(actor)s: %(reason)s"),
    "timed_out": N_("history", "run timed out"),
    "cancel_requested": N_("history", "cancellation requested by %(actor)s"),
    "cancelled": N_("history", "run cancelled"),
    "task_failed": N_("history", "workflow task failed: %(failure)s"),
    "other": N_("history", "%(name)s"),
    "system": N_("history", "system"),
    "unknown": N_("history", "someone"),
}


class Words:
    """Texts of one language in one time zone."""

    def __init__(self, language: str, timezone: str) -> None:
        self.language = language
        self.zone = ZoneInfo(timezone)
        self.tr = translations(language)

    def t(self, key: str, **params: Any) -> str:
        return self.tr.pgettext("history", T[key]) % params

    def kind(self, kind: str) -> str:
        return self.tr.pgettext("history_kind", KIND_NAMES.get(kind, KIND_NAMES["other"]))

    def when(self, at: datetime | str | None) -> str:
        if isinstance(at, str):
            try:
                at = datetime.fromisoformat(at.replace("Z", "+00:00"))
            except ValueError:
                return at
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if at else "—"

    def duration(self, target: str | None) -> str:
        m = _DURATION.match(target or "")
        if not m:
            return target or "—"
        number, unit = m.groups()
        num = float(number)
        shown = int(num) if num.is_integer() else num
        source = UNITS[(unit, num != 1)]
        return self.tr.pgettext("duration", source) % {"num": shown}

    def window(self, window: str | None) -> str:
        return label("window", window, self.language)

    def actor(self, actor: str | None) -> str:
        if actor == SYSTEM:
            return self.t("system")
        return actor or self.t("unknown")

    def label(self, vocabulary: str, code: Any) -> str:
        return label(vocabulary, code, self.language)


def _recorded_phrase(w: Words, r: RecordedEvent) -> str:
    if r.kind == "breach":
        return w.t("rec_breach", window=w.window(r.window))
    if r.kind == "escalated":
        return w.t("rec_escalated", level=r.data.get("level", "?"))
    if r.kind == "warning":
        return w.t("rec_warning", window=w.window(r.window))
    event = w.label("event", r.kind)
    if r.actor_id and r.actor_id != SYSTEM:
        return w.t("rec_by", event=event, actor=r.actor_id)
    return event


def _timer(w: Words, e: ReadableEvent) -> str:
    at = w.when(e.fires_at)
    if e.purpose in ("deadline", "warning"):
        text = w.t(
            f"timer_{e.purpose}", window=w.window(e.window), at=at, target=w.duration(e.target)
        )
    elif e.purpose == "escalation":
        text = w.t("timer_escalation", window=w.window(e.window), level=e.level or "?", at=at)
    else:
        text = w.t("timer_plain", at=at)
    if e.status == "cancelled":
        text = w.t("timer_cancelled", text=text, when=w.when(e.closed_at))
    return text


def _fired(w: Words, e: ReadableEvent) -> str:
    if e.purpose in ("deadline", "warning", "escalation"):
        return w.t(f"fired_{e.purpose}", window=w.window(e.window))
    return w.t("fired_plain")


def _field(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else None


def _activity(w: Words, e: ReadableEvent) -> str:
    result = e.result
    match e.name:
        case "plan_window":
            due = w.when(_field(result, "due_at"))
            if e.window:
                text = w.t(
                    "plan_window", window=w.window(e.window), target=w.duration(e.target), due=due
                )
            elif e.target:
                text = w.t("plan_escalation", target=w.duration(e.target), due=due)
            else:
                text = w.t("plan_plain", due=due)
        case "resolve_policy":
            text = w.t("policy", version=_field(result, "version") or "?")
        case "next_working_instant":
            text = w.t("working_instant", at=w.when(result if isinstance(result, str) else None))
        case "allocate_case_number":
            text = w.t("case_number", number=result if isinstance(result, str) else "?")
        case "terminate_services":
            text = w.t("terminate", label=e.label or "")
        case "outage_status":
            text = w.t("outage")
        case _:
            text = w.t("activity", name=e.name or "?")
    if e.failure:
        text = w.t("activity_failed", text=text, failure=e.failure)
    return text


def _update(w: Words, e: ReadableEvent) -> str:
    name = e.name or "?"
    if name == "opened":
        return w.t("opened")
    action = w.label("action", name)
    text = w.t("update", actor=w.actor(e.actor), action=action, name=name)
    if e.status == "refused":
        return w.t("update_refused", text=text, failure=e.failure or "")
    phase = _field(e.result, "phase")
    return w.t("update_result", text=text, phase=w.label("phase", phase)) if phase else text


def _filed(w: Words, e: ReadableEvent) -> str:
    return w.t(
        "filed", actor=w.actor(e.actor), type=w.label("case_type", _field(e.args, "case_type"))
    )


def describe(e: ReadableEvent, w: Words) -> str:
    """One event in words."""
    handlers: dict[str, Callable[[], str]] = {
        "filed": lambda: _filed(w, e),
        "run_started": lambda: w.t("run_started", run=e.run, previous=max(e.run - 1, 1)),
        "update": lambda: _update(w, e),
        "signal": lambda: w.t("signal", name=e.name or "?"),
        "timer": lambda: _timer(w, e),
        "timer_fired": lambda: _fired(w, e),
        "activity": lambda: _activity(w, e),
        "recorded": lambda: w.t(
            "recorded", what=" → ".join(_recorded_phrase(w, r) for r in e.recorded) or "—"
        ),
        "child": lambda: w.t("child", id=e.label or "?", type=e.name or "?"),
        "signal_external": lambda: w.t("signal_external", id=e.label or "?", name=e.name or "?"),
        "attributes": lambda: w.t(
            "attributes",
            values=", ".join(f"{k}={v}" for k, v in (e.args or {}).items()) or "—",
        ),
        "continued": lambda: w.t("continued", run=e.run + 1),
        "completed": lambda: (
            w.t("completed", phase=w.label("phase", _field(e.result, "phase")))
            if _field(e.result, "phase")
            else w.t("completed_plain")
        ),
        "failed": lambda: w.t("failed", failure=e.failure or "?"),
        "terminated": lambda: w.t("terminated", actor=w.actor(e.actor), reason=e.failure or "—"),
        "timed_out": lambda: w.t("timed_out"),
        "cancel_requested": lambda: w.t("cancel_requested", actor=w.actor(e.actor)),
        "cancelled": lambda: w.t("cancelled"),
        "task_failed": lambda: w.t("task_failed", failure=e.failure or "?"),
    }
    handler = handlers.get(e.kind)
    return handler() if handler else w.t("other", name=e.name or e.kind)
