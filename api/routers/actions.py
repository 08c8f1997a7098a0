"""Agent, supervisor and customer-side actions, one route per row of the action table.

Each action is a Temporal update (named as in the table) whose validator is the table's guard,
so an action that does not fit the case's phase, role or department is refused (409/403)
before anything is recorded. Here the API checks what it alone can: the role (403 without a
workflow call), text caps, and that named departments, users and outages exist (422).

No `from __future__ import annotations` here: the generated endpoints' body types are local
variables that FastAPI must see as real classes, not strings.
"""

import asyncio

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from api.access import audit_read, check_filer
from api.action_bodies import body_model, references
from api.deps import (
    BookDep,
    EngineDep,
    LimiterDep,
    SettingsDep,
    TemporalDep,
    UserDep,
    actor_of,
    require_role,
)
from api.errors import ServiceUnavailable
from api.ratelimit import Limit, too_many
from api.references import require_assignable, require_existing, require_room_for_a_note
from api.routers.cases import load_summary
from api.schemas import CaseView, case_view
from caseflow.domain import CaseState, Phase, Role
from caseflow.domain.actions import ACTIONS, ActionRule

router = APIRouter(prefix="/cases/{case_id}/actions", tags=["actions"])
ACTION_TIMEOUT_S = 30


def _named(rule: ActionRule, body: BaseModel) -> dict[str, tuple[str, str]]:
    return {
        field: (kind, getattr(body, field))
        for field, kind in references(rule).items()
        if getattr(body, field, None)
    }


def _make_route(rule: ActionRule):
    body_type = body_model(rule)
    body_optional = all(not f.is_required() for f in body_type.model_fields.values())

    async def run_action(
        case_id, body, user, engine, temporal, settings, book, limiter
    ) -> CaseView:
        body = body if body is not None else body_type()
        limit = Limit(settings.rate_limit_actions, settings.rate_limit_actions_window)
        wait = await limiter.hit(f"actions:{user.id}", limit)
        if wait is not None:
            raise too_many(
                f"more than {limit.hits} actions in {limit.window_s} s from this caller; "
                f"retry after {wait} s",
                wait,
            )
        require_role(user, rule.roles, f"{rule.name.replace('_', ' ')} cases")
        for name, value in body.model_dump().items():
            if isinstance(value, str) and len(value) > settings.max_text_chars:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"{name} is longer than {settings.max_text_chars} characters",
                )
        summary = await load_summary(engine, case_id)
        check_filer(user, case_id, summary.filed_by)
        if summary.phase == Phase.ARCHIVED:
            # Its workflow has completed: no update could reach it (Temporal would say "not
            # found"). The same answer comes from api.errors if it completes meanwhile.
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"case {case_id} is archived; no action applies"
            )
        if not rule.applies_to(summary.case_type):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"action '{rule.name}' does not apply to {summary.case_type.value} cases",
            )
        await require_existing(engine, _named(rule, body), case_id)
        if rule.name == "note":
            await require_room_for_a_note(engine, case_id, settings.max_notes_per_case)
        if rule.name == "assign":
            await require_assignable(engine, body.assignee, body.department or summary.department)
        message = rule.message(actor=actor_of(user), **dict(body))
        handle = temporal.get_workflow_handle(case_id)
        try:
            new_state = await asyncio.wait_for(
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
            # The read model knows the case, so Temporal's "not found" means its workflow
            # closed under this update (a concurrent callback archived it): not 404 but 409.
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"case {case_id} is archived; no action applies"
            ) from None
        await audit_read(engine, user, case_id, f"POST /api/v1/cases/{{id}}/actions/{rule.name}")
        return case_view(new_state, Role(user.role), book)

    # Two thin signatures so FastAPI documents the body, optional where every field is.
    if body_optional:

        async def endpoint(
            case_id: str,
            user: UserDep,
            engine: EngineDep,
            temporal: TemporalDep,
            settings: SettingsDep,
            book: BookDep,
            limiter: LimiterDep,
            body: body_type | None = None,  # type: ignore[valid-type]
        ) -> CaseView:
            return await run_action(case_id, body, user, engine, temporal, settings, book, limiter)

    else:

        async def endpoint(
            case_id: str,
            body: body_type,  # type: ignore[valid-type]
            user: UserDep,
            engine: EngineDep,
            temporal: TemporalDep,
            settings: SettingsDep,
            book: BookDep,
            limiter: LimiterDep,
        ) -> CaseView:
            return await run_action(case_id, body, user, engine, temporal, settings, book, limiter)

    endpoint.__name__ = f"action_{rule.name}"
    return endpoint


def _description(rule: ActionRule) -> str:
    roles = ", ".join(sorted(r.value for r in rule.roles))
    types = "; ".join(
        f"{t.value} in {', '.join(sorted(p.value for p in phases))}"
        for t, phases in rule.phases.items()
    )
    scope = " (agents: only their department's cases)" if rule.scoped else ""
    extra = EXTRA_DOCS.get(rule.name, "")
    return (
        f"{rule.summary}. Allowed roles: {roles}{scope}; 403 otherwise; an intake channel "
        f"acts only on the cases it filed (404 for others). Applies to: {types}; "
        "409 in any other phase or type, or when the case is archived. 429 when the caller "
        "sent too many actions (see `Retry-After`) or the case is busy with 10 others. "
        f"{extra}Returns the case as `GET /cases/{{case_id}}` shows it."
    )


EXTRA_DOCS = {
    "note": "409 once the case holds its cap of notes (`CASEFLOW_MAX_NOTES_PER_CASE`). ",
    "assign": "The assignee must be an active agent of the department the case will be in "
    "(`department` if given, else the case's); 422 otherwise. ",
    "transfer": "422 for an unknown department or the case's own. ",
}


for _rule in ACTIONS.values():
    router.add_api_route(
        f"/{_rule.name}",
        _make_route(_rule),
        methods=["POST"],
        response_model=CaseView,
        summary=_rule.summary,
        description=_description(_rule),
        name=f"action_{_rule.name}",
    )
