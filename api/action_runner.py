"""Taking one action of the action table on a case: the one code path behind the API's action
routes (api/routers/actions.py) and the pages' action forms.

What it checks here is what only the API can: the caller's rate (429), the role (before any
workflow call), text caps, that an intake channel acts only on the cases it filed, that the
case is not archived and the action applies to its type, that named departments, users,
outages and attachments exist, the per-case note cap, and that an assignee is an active agent
of the right department. Everything else (phase, department, the content rules of the case's
type) is the workflow's update validator's to refuse, with the action table's guard.
"""

from __future__ import annotations

import asyncio

from fastapi import HTTPException, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.access import check_filer
from api.action_bodies import references
from api.deps import actor_of
from api.errors import ServiceUnavailable
from api.ratelimit import Limit, RateLimiter
from api.references import require_assignable, require_existing, require_room_for_a_note
from api.routers.cases import load_summary
from caseflow.db.models import User
from caseflow.domain import CaseState, Phase, Role
from caseflow.domain.actions import ActionRule
from caseflow.settings import Settings

ACTION_TIMEOUT_S = 30


class ActionRefused(HTTPException):
    """A refusal the API answers as before ({"detail"}), carrying a stable `code` too, so the
    pages can say it in the reader's language (the workflows' refusals carry theirs)."""

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        super().__init__(status_code, detail)
        self.code = code


def _named(rule: ActionRule, body: BaseModel) -> dict[str, tuple[str, str]]:
    return {
        field: (kind, getattr(body, field))
        for field, kind in references(rule).items()
        if getattr(body, field, None)
    }


async def perform_action(
    rule: ActionRule,
    case_id: str,
    body: BaseModel,
    user: User,
    engine: AsyncEngine,
    temporal: Client,
    settings: Settings,
    limiter: RateLimiter | None = None,
) -> CaseState:
    """Send `rule`'s action with `body` to the case as `user`; the case's new state.

    `limiter`: count this against the caller's action rate (the API routes and the pages do;
    an admin's bulk reassignment does not). Raises ActionRefused / HTTPException (403, 404,
    409, 422, 429), ServiceUnavailable, and the Temporal client's errors (a refusal from the
    workflow: WorkflowUpdateFailedError), which api.errors turns into answers."""
    if limiter is not None:
        limit = Limit(settings.rate_limit_actions, settings.rate_limit_actions_window)
        await limiter.charge(f"actions:{user.id}", limit, "actions")
    if Role(user.role) not in rule.roles:
        roles = ", ".join(sorted(r.value for r in rule.roles))
        what = f"{rule.name.replace('_', ' ')} cases"
        raise ActionRefused(
            status.HTTP_403_FORBIDDEN,
            "role",
            f"role '{user.role}' may not {what} (allowed: {roles})",
        )
    for name, value in body.model_dump().items():
        if isinstance(value, str) and len(value) > settings.max_text_chars:
            raise ActionRefused(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "too_long",
                f"{name} is longer than {settings.max_text_chars} characters",
            )
    summary = await load_summary(engine, case_id)
    check_filer(user, case_id, summary.filed_by)
    if summary.phase == Phase.ARCHIVED:
        # Its workflow has completed: no update could reach it (Temporal would say "not
        # found"). The same answer comes from api.errors if it completes meanwhile.
        raise ActionRefused(
            status.HTTP_409_CONFLICT, "archived", f"case {case_id} is archived; no action applies"
        )
    if not rule.applies_to(summary.case_type):
        raise ActionRefused(
            status.HTTP_409_CONFLICT,
            "not_applicable",
            f"action '{rule.name}' does not apply to {summary.case_type.value} cases",
        )
    try:
        await require_existing(engine, _named(rule, body), case_id)
    except HTTPException as exc:
        raise ActionRefused(exc.status_code, "unknown_reference", exc.detail) from None
    if rule.name == "note":
        await require_room_for_a_note(engine, case_id, settings.max_notes_per_case)
    if rule.name == "assign":
        await require_assignable(engine, body.assignee, body.department or summary.department)
    message = rule.message(actor=actor_of(user), **dict(body))
    handle = temporal.get_workflow_handle(case_id)
    try:
        return await asyncio.wait_for(
            handle.execute_update(rule.name, message, result_type=CaseState),
            ACTION_TIMEOUT_S,
        )
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise ServiceUnavailable(
            f"case {case_id} did not answer within {ACTION_TIMEOUT_S} s (is a worker "
            "running?); the action may still apply: check the case before retrying"
        ) from None
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        # The read model knows the case, so Temporal's "not found" means its workflow closed
        # under this update (a concurrent callback archived it): not 404 but 409.
        raise ActionRefused(
            status.HTTP_409_CONFLICT, "archived", f"case {case_id} is archived; no action applies"
        ) from None
