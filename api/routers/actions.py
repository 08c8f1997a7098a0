"""Agent, supervisor and customer-side actions: each one is a Temporal update with a validator,
so an action that does not fit the case's phase is refused (409) before anything is recorded.

No `from __future__ import annotations` here: the generated endpoints' body types are local
variables that FastAPI must see as real classes, not strings.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel
from sqlalchemy import select
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from api.deps import (
    BookDep,
    EngineDep,
    SettingsDep,
    TemporalDep,
    UserDep,
    actor_of,
    require_role,
)
from api.errors import ServiceUnavailable
from api.permissions import ACTION_ROLES
from api.routers.cases import load_summary
from api.schemas import (
    AcceptBody,
    AcknowledgeBody,
    AnswerBody,
    AssignBody,
    CallbackBody,
    CaseView,
    CloseBody,
    ConsentBody,
    ConvertBody,
    CustomerReplyBody,
    CustomerResponseBody,
    FeedbackBody,
    NoteBody,
    ReclassifyBody,
    RequestInfoBody,
    ResolveBody,
    RetryBody,
    ReviewBody,
    TransferBody,
    case_view,
)
from caseflow.db.models import Department, User
from caseflow.domain import (
    AcceptAction,
    AcknowledgeAction,
    AnswerAction,
    AssignAction,
    CallbackAction,
    CloseAction,
    ConsentAction,
    ConvertAction,
    CustomerReplyAction,
    CustomerResponseAction,
    FeedbackAction,
    FirstContactResolveAction,
    NoteAction,
    Phase,
    ReclassifyAction,
    RequestInfoAction,
    ResolveAction,
    RetryAction,
    ReviewAction,
    Role,
    TransferAction,
)
from workflows.registry import WORKFLOWS

router = APIRouter(prefix="/cases/{case_id}/actions", tags=["actions"])
ACTION_TIMEOUT_S = 30


@dataclass(frozen=True)
class ActionSpec:
    body: type[BaseModel]
    message: Callable[..., Any]  # the update's argument dataclass
    summary: str


ACTIONS: dict[str, ActionSpec] = {
    "accept": ActionSpec(
        AcceptBody,
        AcceptAction,
        "Accept (take) the case; closes the response or transfer window and starts handling",
    ),
    "note": ActionSpec(NoteBody, NoteAction, "Add a note to the timeline"),
    "transfer": ActionSpec(
        TransferBody,
        TransferAction,
        "Transfer to another department (it must be taken up within the transfer window)",
    ),
    "assign": ActionSpec(AssignBody, AssignAction, "Assign to a user (supervisors)"),
    "request_info": ActionSpec(
        RequestInfoBody,
        RequestInfoAction,
        "Ask the customer for information; pauses the handling clock",
    ),
    "customer_reply": ActionSpec(
        CustomerReplyBody,
        CustomerReplyAction,
        "The customer's reply; resumes the handling clock with exact credit",
    ),
    "reclassify": ActionSpec(
        ReclassifyBody,
        ReclassifyAction,
        "Change severity, tier or category; deadlines are recomputed minus the time already used",
    ),
    "resolve": ActionSpec(
        ResolveBody, ResolveAction, "Record the resolution; starts the feedback window"
    ),
    "feedback": ActionSpec(
        FeedbackBody,
        FeedbackAction,
        "Deliver the result to the customer; starts the follow-up window",
    ),
    "confirm": ActionSpec(
        CustomerResponseBody, CustomerResponseAction, "The customer accepts the result"
    ),
    "dispute": ActionSpec(
        CustomerResponseBody,
        CustomerResponseAction,
        "The customer disputes the result; handling reopens",
    ),
    "callback": ActionSpec(
        CallbackBody, CallbackAction, "Record the satisfaction callback; the case archives"
    ),
    "acknowledge": ActionSpec(
        AcknowledgeBody,
        AcknowledgeAction,
        "Acknowledge the running escalation; the chain stops climbing (supervisors)",
    ),
    "answer": ActionSpec(AnswerBody, AnswerAction, "Inquiry: give the first answer"),
    "resolve_at_intake": ActionSpec(
        AnswerBody, FirstContactResolveAction, "Inquiry: answer and resolve at first contact"
    ),
    "close": ActionSpec(CloseBody, CloseAction, "Inquiry: close without a callback"),
    "convert": ActionSpec(
        ConvertBody, ConvertAction, "Inquiry: convert into a complaint (linked both ways)"
    ),
    "consent": ActionSpec(
        ConsentBody,
        ConsentAction,
        "Unsubscribe: the customer's explicit confirmation (二次确认); termination starts",
    ),
    "decline": ActionSpec(
        ConsentBody, ConsentAction, "Unsubscribe: the customer declines; nothing is terminated"
    ),
    "retry_termination": ActionSpec(
        RetryBody, RetryAction, "Unsubscribe: retry a failed termination"
    ),
    "review": ActionSpec(
        ReviewBody,
        ReviewAction,
        "Unsubscribe: supervisor review (复核): approve to archive, or send back",
    ),
}


async def _check_references(engine, action: str, body: BaseModel) -> None:
    """Refuse (422) actions naming departments or users that do not exist."""
    if action not in ("transfer", "assign"):
        return
    async with engine.connect() as conn:
        department = getattr(body, "department", None)
        if department:
            found = (
                await conn.execute(select(Department.id).where(Department.id == department))
            ).first()
            if found is None:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown department '{department}'"
                )
        if action == "assign":
            found = (await conn.execute(select(User.id).where(User.id == body.assignee))).first()
            if found is None:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown user '{body.assignee}'"
                )


def _make_route(action: str, spec: ActionSpec):
    body_model = spec.body
    body_optional = all(not f.is_required() for f in body_model.model_fields.values())

    async def run_action(case_id, body, user, engine, temporal, settings, book) -> CaseView:
        body = body if body is not None else body_model()
        require_role(user, ACTION_ROLES[action], f"{action.replace('_', ' ')} cases")
        for name, value in body.model_dump().items():
            if isinstance(value, str) and len(value) > settings.max_text_chars:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"{name} is longer than {settings.max_text_chars} characters",
                )
        state = await load_summary(engine, case_id)
        if state.phase == Phase.ARCHIVED:
            # Its workflow has completed: no update could reach it (Temporal would say "not
            # found"). The same answer comes from api.errors if it completes meanwhile.
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"case {case_id} is archived; no action applies"
            )
        await _check_references(engine, action, body)
        workflow_cls = WORKFLOWS[state.case_type]
        update = getattr(workflow_cls, action, None)
        if update is None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"action '{action}' does not apply to {state.case_type.value} cases",
            )
        message = spec.message(actor=actor_of(user), **body.model_dump())
        handle = temporal.get_workflow_handle(case_id)
        try:
            new_state = await asyncio.wait_for(
                handle.execute_update(update, message), ACTION_TIMEOUT_S
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
            body: body_model | None = None,  # type: ignore[valid-type]
        ) -> CaseView:
            return await run_action(case_id, body, user, engine, temporal, settings, book)

    else:

        async def endpoint(
            case_id: str,
            body: body_model,  # type: ignore[valid-type]
            user: UserDep,
            engine: EngineDep,
            temporal: TemporalDep,
            settings: SettingsDep,
            book: BookDep,
        ) -> CaseView:
            return await run_action(case_id, body, user, engine, temporal, settings, book)

    endpoint.__name__ = f"action_{action}"
    return endpoint


for _action, _spec in ACTIONS.items():
    router.add_api_route(
        f"/{_action}",
        _make_route(_action, _spec),
        methods=["POST"],
        response_model=CaseView,
        summary=_spec.summary,
        description=(
            f"{_spec.summary}. Allowed roles: "
            f"{', '.join(sorted(r.value for r in ACTION_ROLES[_action]))} (403 otherwise; agents "
            "act only on their department's cases). 409 when the case's phase does not allow "
            "it or the case is archived. Returns the case as `GET /cases/{case_id}` shows it."
        ),
        name=f"action_{_action}",
    )
