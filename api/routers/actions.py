"""Agent, supervisor and customer-side actions, one route per row of the action table.

Each action is a Temporal update (named as in the table) whose validator is the table's guard,
so an action that does not fit the case's phase, role or department is refused (409/403)
before anything is recorded. What the API checks first (the caller's rate, the role, text
caps, the filer, named records) is in api/action_runner.py, shared with the pages' forms.

No `from __future__ import annotations` here: the generated endpoints' body types are local
variables that FastAPI must see as real classes, not strings.
"""

from fastapi import APIRouter

from api.access import audit_read
from api.action_bodies import body_model
from api.action_runner import perform_action
from api.deps import BookDep, EngineDep, LimiterDep, SettingsDep, TemporalDep, UserDep
from api.schemas import CaseView, case_view
from caseflow.domain import Role
from caseflow.domain.actions import ACTIONS, ActionRule

router = APIRouter(prefix="/cases/{case_id}/actions", tags=["actions"])


def _make_route(rule: ActionRule):
    body_type = body_model(rule)
    body_optional = all(not f.is_required() for f in body_type.model_fields.values())

    async def run_action(
        case_id, body, user, engine, temporal, settings, book, limiter
    ) -> CaseView:
        body = body if body is not None else body_type()
        new_state = await perform_action(
            rule, case_id, body, user, engine, temporal, settings, limiter
        )
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
