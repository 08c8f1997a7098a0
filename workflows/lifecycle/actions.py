"""Declaring a workflow's actions from the action table.

`@action("resolve")` makes the method the Temporal update named in the table, with the table's
guard as its validator: a refused action (wrong phase, role or department) is rejected before
anything enters the history. The method then runs as the case's turn (`CaseWorkflow._turn`):
once the intake is adopted, one transition at a time, and after the same guard is applied
again under the lock, since the phase may have moved between validation and the turn.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from caseflow.domain.actions import ACTIONS
    from caseflow.domain.errors import Refusal

Check = Callable[[Any, Any], None]  # (workflow, message) -> None; raises Refusal


def refusal_error(refusal: Refusal) -> ApplicationError:
    """A refusal as the error an update fails with: its kind is the type the API maps to a
    status, its stable code the first detail."""
    return ApplicationError(
        refusal.message, refusal.code, type=refusal.kind.value, non_retryable=True
    )


def action(name: str, *, check: Check | None = None):
    """The decorated method handles action `name` (and must be called that); `check` adds the
    content rules of this case type (e.g. "already in that department") to the table's."""
    if name not in ACTIONS:
        raise KeyError(f"action {name!r} is not in the action table")

    def decorate(fn):
        if fn.__name__ != name:
            raise NameError(f"the handler of action {name!r} must be named {name!r}")

        @functools.wraps(fn)
        async def handler(self, message):
            async with self._turn(name, message, check):
                return await fn(self, message)

        update = workflow.update(name=name)(handler)

        def validate(self, message) -> None:
            self._guard(name, message, check)

        # The SDK wants a validator's parameters exactly as its update's (annotations too).
        validate.__signature__ = inspect.signature(fn).replace(return_annotation=None)
        update.validator(validate)
        return update

    return decorate
