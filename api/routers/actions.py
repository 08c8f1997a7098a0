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

from api.action_bodies import body_model, references
from api.deps import BookDep, EngineDep, SettingsDep, TemporalDep, UserDep, actor_of, require_role
from api.errors import ServiceUnavailable
from api.references import require_existing
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

    async def run_action(case_id, body, user, engine, temporal, settings, book) -> CaseView:
        body = body if body is not None else body_type()
        require_role(user, rule.roles, f"{rule.name.replace('_', ' ')} cases")
        for name, value in body.model_dump().items():
            if isinstance(value, str) and len(value) > settings.max_text_chars:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"{name} is longer than {settings.max_text_chars} characters",
                )
        summary = await load_summary(engine, case_id)
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
            body: body_type | None = None,  # type: ignore[valid-type]
        ) -> CaseView:
            return await run_action(case_id, body, user, engine, temporal, settings, book)

    else:

        async def endpoint(
            case_id: str,
            body: body_type,  # type: ignore[valid-type]
            user: UserDep,
            engine: EngineDep,
            temporal: TemporalDep,
            settings: SettingsDep,
            book: BookDep,
        ) -> CaseView:
            return await run_action(case_id, body, user, engine, temporal, settings, book)

    endpoint.__name__ = f"action_{rule.name}"
    return endpoint


def _description(rule: ActionRule) -> str:
    roles = ", ".join(sorted(r.value for r in rule.roles))
    types = "; ".join(
        f"{t.value} in {', '.join(sorted(p.value for p in phases))}"
        for t, phases in rule.phases.items()
    )
    scope = " (agents: only their department's cases)" if rule.scoped else ""
    return (
        f"{rule.summary}. Allowed roles: {roles}{scope}; 403 otherwise. Applies to: {types}; "
        "409 in any other phase or type, or when the case is archived. Returns the case as "
        "`GET /cases/{case_id}` shows it."
    )


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
