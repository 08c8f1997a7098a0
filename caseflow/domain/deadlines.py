"""The one rule for "what is due next" on a case: lists, the detail view and the search
attributes all show the same instant."""

from datetime import datetime

from caseflow.domain.enums import WindowState
from caseflow.domain.state import CaseState

ESCALATION = "escalation"  # what a pending climb of the ladder is called in `next_deadline`


def next_deadline(state: CaseState) -> tuple[datetime, str] | None:
    """The earliest running window deadline or pending escalation climb, with what it belongs
    to (a window name or "escalation"); None when nothing is counting down. A breached window
    is past its deadline: what is due next for it is the escalation's next climb."""
    candidates = [
        (w.due_at, name)
        for name, w in state.windows.items()
        if w.state == WindowState.RUNNING and w.due_at is not None
    ]
    if state.escalation.next_at is not None:
        candidates.append((state.escalation.next_at, ESCALATION))
    return min(candidates) if candidates else None
