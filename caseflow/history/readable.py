"""Temporal's events of one run as `ReadableEvent`s: who did what, when, with which arguments
and result, and what each timer and activity was for. Language-neutral (the API and the pages
put them into words, api/history_words.py) and JSON-safe (the store keeps them as they are).

What is kept from each Temporal event:
- the start: the case's input (the customer, the description, who filed it), without the
  intake plan and limits (they are the case's state, not what anyone said);
- an update: its name, the actor and the arguments; its result (the case's phase, assignee,
  department, level and outcome after it, and the last timeline number) or why it failed,
  both from the completion event;
- a timer: its label (caseflow/domain/summaries.py), when it fires, and whether it fired or
  was cancelled because the case changed first; a fired timer is an event of its own;
- a local activity (a marker): its label and result; `record_transition` lists the audit
  events it wrote (the timeline's rows, by number);
- signals, activities, child cases, search attributes, and how the run ended.
Workflow task bookkeeping (scheduled, started, completed) is left out; a failed or timed-out
task is kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from caseflow.history.decode import Decoded, all_values, first_value, plain
from caseflow.history.labels import plan_label, timer_label

Kind = Literal[
    "filed",
    "run_started",
    "update",
    "signal",
    "timer",
    "timer_fired",
    "activity",
    "recorded",
    "child",
    "signal_external",
    "attributes",
    "continued",
    "completed",
    "failed",
    "terminated",
    "timed_out",
    "cancel_requested",
    "cancelled",
    "task_failed",
    "other",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
SYSTEM = "system"  # the actor of what the case's own timers and steps did

_SKIPPED = {
    "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED",
    "EVENT_TYPE_WORKFLOW_TASK_STARTED",
    "EVENT_TYPE_WORKFLOW_TASK_COMPLETED",
    "EVENT_TYPE_ACTIVITY_TASK_STARTED",
}
# The case's input without what is plan rather than statement (and large): the intake plan,
# the history limits, the carried state of a continued run (summarised instead).
_INPUT_DROPPED = ("intake", "limits", "search_attributes", "carried")


class RecordedEvent(BaseModel):
    """An audit event a `record_transition` wrote: a row of the case's timeline."""

    seq: int
    kind: str
    at: datetime | None = None
    actor_id: str | None = None
    window: str | None = None
    deadline: datetime | None = None
    summary: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class ReadableEvent(BaseModel):
    run: int = Field(description="Which run of the case (1 = the first; continue-as-new counts up)")
    run_id: str
    event_id: int = Field(description="Temporal's event id in that run")
    at: datetime
    kind: Kind
    actor: str | None = Field(None, description="Who acted: a user id, or system")
    name: str | None = Field(None, description="The update, signal, activity or workflow type")
    label: str | None = Field(None, description="The summary given where it was created")
    purpose: str | None = Field(None, description="A timer's: warning, deadline or escalation")
    window: str | None = None
    target: str | None = Field(None, description="The window's time limit, e.g. 3wd")
    level: int | None = Field(None, description="An escalation timer's current level")
    fires_at: datetime | None = None
    status: str | None = Field(
        None, description="fired / cancelled, completed / failed / refused, ..."
    )
    closed_at: datetime | None = Field(None, description="When the timer, activity or update ended")
    args: Any = Field(None, description="The decoded arguments")
    result: Any = Field(None, description="The decoded result (a case's state summarised)")
    failure: str | None = None
    recorded: list[RecordedEvent] = Field(
        default_factory=list, description="The timeline rows a record wrote"
    )
    timeline_seq: int | None = Field(
        None, description="The timeline row at this instant (the case page's #ev-<seq>)"
    )

    def windows(self) -> set[str]:
        found = {self.window} if self.window else set()
        return found | {r.window for r in self.recorded if r.window}

    def actors(self) -> set[str]:
        found = {self.actor} if self.actor else set()
        return found | {r.actor_id for r in self.recorded if r.actor_id}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _seconds(duration: Any) -> float | None:
    """Temporal's JSON duration "1439.712813s"."""
    if isinstance(duration, str) and duration.endswith("s"):
        try:
            return float(duration[:-1])
        except ValueError:
            return None
    return None


def _summary(event: dict) -> str | None:
    meta = event.get("userMetadata") or {}
    value = meta.get("summary")
    value = value.value if isinstance(value, Decoded) else None
    return value if isinstance(value, str) else None


def _failure(failure: Any) -> str | None:
    if not isinstance(failure, dict):
        return None
    message = failure.get("message") or ""
    info = failure.get("applicationFailureInfo") or {}
    kind = info.get("type")
    return f"{kind}: {message}" if kind and message else (message or kind or "failed")


def summarise_state(value: Any) -> Any:
    """A case's state (an update's or the run's result) as what changed for people: phase,
    assignee, department, escalation level, outcome, and the last timeline number."""
    if isinstance(value, dict) and {"case_id", "phase", "windows"} <= set(value):
        escalation = value.get("escalation") if isinstance(value.get("escalation"), dict) else {}
        return {
            "phase": value.get("phase"),
            "assignee": value.get("assignee"),
            "department": value.get("department"),
            "escalation_level": escalation.get("level"),
            "outcome": value.get("outcome"),
            "seq": value.get("seq"),
        }
    return value


def _input(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    kept = {k: v for k, v in value.items() if k not in _INPUT_DROPPED}
    carried = value.get("carried")
    if isinstance(carried, dict) and isinstance(carried.get("state"), dict):
        kept["continues"] = summarise_state(carried["state"])
    return kept


def _actor_of(value: Any) -> str | None:
    if isinstance(value, dict):
        actor = value.get("actor") or value.get("created_by")
        if isinstance(actor, dict) and isinstance(actor.get("user_id"), str):
            return actor["user_id"]
    return None


def _without_actor(value: Any) -> Any:
    if isinstance(value, dict) and "actor" in value:
        return {k: v for k, v in value.items() if k != "actor"}
    return value


def _recorded(result: Any) -> list[RecordedEvent]:
    if not isinstance(result, list):
        return []
    out = []
    for item in result:
        if isinstance(item, dict) and isinstance(item.get("seq"), int):
            out.append(RecordedEvent.model_validate(item, strict=False))
    return out


def _policy(value: Any) -> Any:
    if isinstance(value, dict) and "targets" in value and "ladder" in value:
        return {k: value.get(k) for k in ("version", "department", "targets")}
    return value


class _Builder:
    """One pass over a run's decoded events; later events complete earlier rows (an update's
    result, a timer's end, an activity's outcome)."""

    def __init__(self, run: int, run_id: str) -> None:
        self.run = run
        self.run_id = run_id
        self.rows: list[ReadableEvent] = []
        self.updates: dict[str, ReadableEvent] = {}
        self.by_event: dict[int, ReadableEvent] = {}  # timers, activities, children, signals
        self.timers: dict[str, ReadableEvent] = {}

    def add(self, event_id: int, at: datetime, kind: str, **fields: Any) -> ReadableEvent:
        row = ReadableEvent(
            run=self.run, run_id=self.run_id, event_id=event_id, at=at, kind=kind, **fields
        )
        self.rows.append(row)
        return row

    def close(self, started_id: Any, status: str, at: datetime, **fields: Any) -> None:
        row = self.by_event.get(int(started_id)) if str(started_id).isdigit() else None
        if row is not None:
            row.status, row.closed_at = status, at
            for name, value in fields.items():
                setattr(row, name, value)

    def event(self, event: dict) -> None:
        kind = event.get("eventType", "")
        if kind in _SKIPPED:
            return
        event_id = int(event.get("eventId", 0))
        at = _time(event.get("eventTime")) or datetime.min
        attrs = next((v for k, v in event.items() if k.endswith("EventAttributes")), {}) or {}
        summary = _summary(event)
        match kind:
            case "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED":
                value = first_value(attrs.get("input"))
                continued = isinstance(value, dict) and value.get("carried") is not None
                self.add(
                    event_id,
                    at,
                    "run_started" if continued else "filed",
                    actor=SYSTEM if continued else _actor_of(value),
                    name=(attrs.get("workflowType") or {}).get("name"),
                    args=_input(value),
                )
            case "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
                request = attrs.get("acceptedRequest") or {}
                inp = request.get("input") or {}
                args = all_values(inp.get("args"))
                first = args[0] if len(args) == 1 else args
                row = self.add(
                    event_id,
                    at,
                    "update",
                    # `opened` (the API's read of a recorded intake) carries no actor.
                    actor=_actor_of(first) or SYSTEM,
                    name=inp.get("name"),
                    args=_without_actor(first) if args else None,
                )
                update_id = (request.get("meta") or {}).get("updateId") or attrs.get(
                    "protocolInstanceId"
                )
                if update_id:
                    self.updates[update_id] = row
            case "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED":
                update_id = (attrs.get("meta") or {}).get("updateId")
                row = self.updates.get(update_id or "")
                if row is not None:
                    outcome = attrs.get("outcome") or {}
                    row.closed_at = at
                    if "failure" in outcome:
                        row.status, row.failure = "refused", _failure(outcome["failure"])
                    else:
                        row.status = "completed"
                        row.result = summarise_state(first_value(outcome.get("success")))
                        if isinstance(row.result, dict) and isinstance(row.result.get("seq"), int):
                            row.timeline_seq = row.result["seq"]
            case "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED":
                value = first_value(attrs.get("input"))
                self.add(
                    event_id,
                    at,
                    "signal",
                    actor=_actor_of(value) or SYSTEM,
                    name=attrs.get("signalName"),
                    args=value,
                )
            case "EVENT_TYPE_TIMER_STARTED":
                label = timer_label(summary)
                seconds = _seconds(attrs.get("startToFireTimeout"))
                fires = label.at if label else None
                if fires is None and seconds is not None:
                    fires = at + timedelta(seconds=seconds)
                row = self.add(
                    event_id,
                    at,
                    "timer",
                    actor=SYSTEM,
                    name=attrs.get("timerId"),
                    label=summary,
                    purpose=label.purpose if label else None,
                    window=label.window if label else None,
                    target=label.target if label else None,
                    level=label.level if label else None,
                    fires_at=fires,
                    status="pending",
                )
                self.by_event[event_id] = row
                self.timers[str(attrs.get("timerId"))] = row
            case "EVENT_TYPE_TIMER_FIRED":
                started = self.timers.get(str(attrs.get("timerId")))
                self.close(attrs.get("startedEventId"), "fired", at)
                self.add(
                    event_id,
                    at,
                    "timer_fired",
                    actor=SYSTEM,
                    name=attrs.get("timerId"),
                    label=started.label if started else summary,
                    purpose=started.purpose if started else None,
                    window=started.window if started else None,
                    target=started.target if started else None,
                    level=started.level if started else None,
                    fires_at=started.fires_at if started else None,
                )
            case "EVENT_TYPE_TIMER_CANCELED":
                self.close(attrs.get("startedEventId"), "cancelled", at)
            case "EVENT_TYPE_MARKER_RECORDED":
                self._marker(event_id, at, attrs, summary)
            case "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED":
                row = self.add(
                    event_id,
                    at,
                    "activity",
                    actor=SYSTEM,
                    name=(attrs.get("activityType") or {}).get("name"),
                    label=summary,
                    args=first_value(attrs.get("input")),
                    status="scheduled",
                )
                self.by_event[event_id] = row
            case "EVENT_TYPE_ACTIVITY_TASK_COMPLETED":
                self.close(
                    attrs.get("scheduledEventId"),
                    "completed",
                    at,
                    result=first_value(attrs.get("result")),
                )
            case (
                "EVENT_TYPE_ACTIVITY_TASK_FAILED"
                | "EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT"
                | "EVENT_TYPE_ACTIVITY_TASK_CANCELED"
            ):
                status = kind.removeprefix("EVENT_TYPE_ACTIVITY_TASK_").lower()
                self.close(
                    attrs.get("scheduledEventId"),
                    status,
                    at,
                    failure=_failure(attrs.get("failure")) or status,
                )
            case "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED":
                row = self.add(
                    event_id,
                    at,
                    "child",
                    actor=SYSTEM,
                    name=(attrs.get("workflowType") or {}).get("name"),
                    label=attrs.get("workflowId"),
                    args=_input(first_value(attrs.get("input"))),
                    status="initiated",
                )
                self.by_event[event_id] = row
            case "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED":
                self.close(attrs.get("initiatedEventId"), "started", at)
            case "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED":
                self.close(attrs.get("initiatedEventId"), "failed", at, failure=attrs.get("cause"))
            case "EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED":
                target = (attrs.get("workflowExecution") or {}).get("workflowId")
                row = self.add(
                    event_id,
                    at,
                    "signal_external",
                    actor=SYSTEM,
                    name=attrs.get("signalName"),
                    label=target,
                    args=first_value(attrs.get("input")),
                    status="initiated",
                )
                self.by_event[event_id] = row
            case "EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED":
                self.close(attrs.get("initiatedEventId"), "delivered", at)
            case "EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED":
                self.close(attrs.get("initiatedEventId"), "failed", at, failure=attrs.get("cause"))
            case "EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES":
                fields = ((attrs.get("searchAttributes") or {}).get("indexedFields")) or {}
                self.add(
                    event_id,
                    at,
                    "attributes",
                    actor=SYSTEM,
                    args={name: plain(value) for name, value in sorted(fields.items())},
                )
            case "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW":
                self.add(
                    event_id,
                    at,
                    "continued",
                    actor=SYSTEM,
                    label=attrs.get("newExecutionRunId"),
                    args=_input(first_value(attrs.get("input"))),
                )
            case "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED":
                self.add(
                    event_id,
                    at,
                    "completed",
                    actor=SYSTEM,
                    result=summarise_state(first_value(attrs.get("result"))),
                )
            case "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED":
                self.add(
                    event_id, at, "failed", actor=SYSTEM, failure=_failure(attrs.get("failure"))
                )
            case "EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED":
                self.add(
                    event_id,
                    at,
                    "terminated",
                    actor=attrs.get("identity") or None,
                    failure=attrs.get("reason") or None,
                )
            case "EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT":
                self.add(event_id, at, "timed_out", actor=SYSTEM)
            case "EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED":
                self.add(
                    event_id,
                    at,
                    "cancel_requested",
                    actor=attrs.get("identity") or None,
                    failure=attrs.get("cause") or None,
                )
            case "EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED":
                self.add(event_id, at, "cancelled", actor=SYSTEM)
            case "EVENT_TYPE_WORKFLOW_TASK_FAILED" | "EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT":
                self.add(
                    event_id,
                    at,
                    "task_failed",
                    actor=SYSTEM,
                    failure=_failure(attrs.get("failure"))
                    or attrs.get("cause")
                    or attrs.get("timeoutType"),
                )
            case _:
                self.add(
                    event_id,
                    at,
                    "other",
                    name=kind.removeprefix("EVENT_TYPE_").lower(),
                    label=summary,
                )

    def _marker(self, event_id: int, at: datetime, attrs: dict, summary: str | None) -> None:
        details = attrs.get("details") or {}
        if attrs.get("markerName") != "core_local_activity":
            # A version marker (workflow.patched) or another SDK marker.
            self.add(
                event_id,
                at,
                "other",
                actor=SYSTEM,
                name=attrs.get("markerName"),
                args={k: plain(v) for k, v in details.items()},
            )
            return
        meta = first_value(details.get("data"))
        activity = meta.get("activity_type") if isinstance(meta, dict) else None
        result = first_value(details.get("result"))
        failure = _failure(attrs.get("failure"))
        status = "failed" if failure else "completed"
        if activity == "record_transition":
            recorded = _recorded(result)
            first = recorded[0] if recorded else None
            self.add(
                event_id,
                at,
                "recorded",
                actor=first.actor_id if first else SYSTEM,
                name=activity,
                label=summary,
                window=next((r.window for r in recorded if r.window), None),
                recorded=recorded,
                status=status,
                failure=failure,
                timeline_seq=first.seq if first else None,
            )
            return
        plan = plan_label(summary) if activity == "plan_window" else None
        self.add(
            event_id,
            at,
            "activity",
            actor=SYSTEM,
            name=activity,
            label=summary,
            window=plan.window if plan else None,
            target=plan.target if plan else None,
            result=_policy(result),
            status=status,
            failure=failure,
        )

    def finish(self) -> list[ReadableEvent]:
        """Each row without a timeline number of its own points at the timeline's last row
        recorded before it (the jump to "the same instant" on the case page)."""
        last: int | None = None
        for row in self.rows:
            if row.kind == "recorded" and row.recorded:
                last = max(r.seq for r in row.recorded)
            elif row.timeline_seq is None:
                row.timeline_seq = last
        return self.rows


def readable_run(events: list[dict], run: int, run_id: str) -> list[ReadableEvent]:
    """The readable events of one run, from its history with payloads decoded
    (caseflow.history.decode.decode_tree)."""
    builder = _Builder(run, run_id)
    for event in events:
        builder.event(event)
    return builder.finish()


def run_number(events: list[dict]) -> int:
    """Which run of its case a decoded history is: 1 for the first; a continued run carries
    its number in its input (the state it continues, counted up at continue-as-new)."""
    if not events:
        return 1
    attrs = events[0].get("workflowExecutionStartedEventAttributes") or {}
    value = first_value(attrs.get("input"))
    carried = value.get("carried") if isinstance(value, dict) else None
    state = carried.get("state") if isinstance(carried, dict) else None
    run = state.get("run") if isinstance(state, dict) else None
    return run if isinstance(run, int) and run >= 1 else 1
