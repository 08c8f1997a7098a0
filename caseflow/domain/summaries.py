"""One line saying what a case's timer or activity is for, set where it is created.

The workflow passes these as the SDK's `summary` (a timer's `timeout_summary`): Temporal keeps
them in the event history next to the command (encrypted by the payload codec like any
payload), the Temporal UI shows them on the timeline, and the readable history
(caseflow/history) reads them back instead of guessing afterwards what a timer guarded. They
are English and carry instants in UTC, ISO 8601: the readable history puts them into words in
the reader's language and the policy's time zone (caseflow/history/labels.py parses exactly
these forms; tests/unit/test_history_labels.py holds the two together).

Pure formatting: no clock, no I/O (workflow code calls it through the sandbox pass-through).
"""

from collections.abc import Iterable
from datetime import UTC, datetime

# Temporal shows a summary on one line; a longer one is cut rather than refused.
MAX_SUMMARY = 200


def utc(at: datetime) -> str:
    """2026-12-04T07:37:00Z: an instant as the summaries write it (whole seconds)."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"


def window_timer(purpose: str, window: str, target: str | None, at: datetime) -> str:
    """The case sleeps until a window's warning or deadline: "deadline of the handling window
    (3wd) at 2026-12-04T07:37:00Z"."""
    span = f" ({target})" if target else ""
    return _cut(f"{purpose} of the {window} window{span} at {utc(at)}")


def escalation_timer(level: int, window: str | None, at: datetime) -> str:
    """The case sleeps until its escalation chain climbs past `level`: "escalation past level
    2 (handling breach) at 2026-12-04T11:37:00Z"."""
    return _cut(f"escalation past level {level} ({window or 'none'} breach) at {utc(at)}")


def plan_activity(window: str, target: str, replan: bool = False) -> str:
    """plan_window for a window: "plan the handling window (3wd)"."""
    return _cut(f"{'re-plan' if replan else 'plan'} the {window} window ({target})")


def plan_escalation(target: str) -> str:
    """plan_window for the next climb of the ladder: "plan the next escalation (4h)"."""
    return _cut(f"plan the next escalation ({target})")


def record_activity(kinds: Iterable[str]) -> str:
    """record_transition: the audit events it writes, "record: accepted, note"."""
    return _cut("record: " + ", ".join(kinds))


def policy_activity(version: str | None) -> str:
    return _cut(f"resolve the policy ({version or 'active version'})")


def working_instant_activity(at: datetime) -> str:
    return _cut(f"next working instant after {utc(at)}")


def case_number_activity(case_type: str) -> str:
    return _cut(f"allocate a {case_type} number")


def termination_activity(services: Iterable[str]) -> str:
    """terminate_services: which services (never whose: no number in a summary)."""
    return _cut("terminate " + (", ".join(services) or "no service"))


def outage_activity(outage_id: str) -> str:
    return _cut(f"read the status of outage {outage_id}")
