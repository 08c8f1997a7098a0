"""The patches of case workflow code (`workflow.patched` ids), and how a run knows its own.

A patch asked of `workflow.patched` costs a case two history events: its marker and the SDK's
upsert of `TemporalChangeVersion`. A case started by code that already has the patch needs
neither: whoever starts it lists the patches in its input (`CaseInput.patches`, signed with the
start like the rest of the input), and the run takes the patched path without asking. A run
without the list (started before it existed, or by a tool that leaves it out) asks
`workflow.patched`, so a case that was running when a patch was deployed, and every committed
history, replays as before.

Listing a patch can only switch the new path on, never off: a hostile input that names a patch
gets the code the server runs today (e.g. the start's claim is checked either way).
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow

# The start's and signals' claims are checked (caseflow.claim_interceptors).
SIGNED_CLAIMS = "signed-claims"
# The clock loop keeps its timer while the next instant stays (workflows/lifecycle/base.py).
KEPT_TIMER = "kept-timer"
# A window counted in calendar time is planned in workflow code, without a local activity: its
# deadline is plain arithmetic on `workflow.now()`, no calendar data (workflows/lifecycle/clock.py).
CALENDAR_PLANS = "calendar-plans-in-workflow"

# What a case started by this code is born with.
CURRENT: tuple[str, ...] = (SIGNED_CLAIMS, KEPT_TIMER, CALENDAR_PLANS)


def born_with() -> list[str]:
    """The `patches` of a new case's input."""
    return list(CURRENT)


def applied(patches: Sequence[str] | None, patch: str) -> bool:
    """Whether a run takes `patch`'s path: born with it, else as `workflow.patched` says (which
    records its marker the first time it says yes)."""
    return (patches is not None and patch in patches) or workflow.patched(patch)
