"""A case's page: its story (windows, records, timeline, notifications and how each was
delivered) and a form for every action its phase allows the reader, posted back here and sent
through the same code path as the API's action routes (api/action_runner.py).

A refusal is shown in place, next to the form, in the reader's language: translated by its
stable code (the workflow validators' codes, or the API's own), never by its English text.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.access import check_can_read
from api.action_bodies import MAX_TEXT
from api.action_forms import action_form, parse_form, posted_values
from api.action_runner import ActionRefused, perform_action
from api.errors import UPDATE_OUTLIVED_WORKFLOW, ServiceUnavailable
from api.labels import label
from api.page_auth import PageUser, PostingUser, is_supervising
from api.page_render import gettext_for, page_language, render
from api.revival import revive_case
from api.routers.cases import load_state_and_lost
from api.routers.floor import mask_phone
from caseflow.db.models import Attachment, CaseEventRow, CaseRow, Department, NotificationRow, User
from caseflow.domain import STAFF, CaseState, CaseType, Phase, Role
from caseflow.domain.actions import ACTIONS, allowed_now
from caseflow.i18n import N_
from caseflow.pii import record_access
from caseflow.settings import TEMPORAL_UI_PATH

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
_state = TypeAdapter(CaseState)

# What a refusal says, by its code (context "refusal"): the workflow validators' codes
# (caseflow/domain/errors.py, guard.py) and the API's own (api/action_runner.py).
REFUSALS: dict[str, str] = {
    "phase": N_("refusal", "This action does not fit the case's current phase."),
    "role": N_("refusal", "Your role may not take this action."),
    "department": N_("refusal", "The case belongs to another department."),
    "not_applicable": N_("refusal", "This action does not apply to this type of case."),
    "not_filer": N_("refusal", "The case was not filed through this channel."),
    "same_department": N_("refusal", "The case is already in that department."),
    "no_escalation": N_("refusal", "No escalation is running on this case."),
    "already_confirmed": N_("refusal", "The customer has already answered."),
    "already_linked": N_("refusal", "The fault is already linked to an outage."),
    "nothing_to_retry": N_("refusal", "There is no failed termination to retry."),
    "no_change": N_("refusal", "Nothing would change."),
    "archived": N_("refusal", "The case is archived: no action applies."),
    "too_long": N_("refusal", "A text is too long."),
    "unknown_reference": N_("refusal", "The department, user or outage named does not exist."),
    "invalid": N_("refusal", "Some fields are missing or invalid."),
    "unavailable": N_("refusal", "The case did not answer in time; check it before retrying."),
    "not_lost": N_("refusal", "The case is not lost (its workflow runs, or it is archived)."),
    "refused": N_("refusal", "The case refused this action."),
}


def refusal_text(request: Request, code: str | None) -> str:
    source = REFUSALS.get(code or "", REFUSALS["refused"])
    return gettext_for(request).pgettext("refusal", source)


async def load_case(request: Request, user: User, case_id: str) -> CaseState:
    async with request.app.state.engine.connect() as conn:
        row = (await conn.execute(select(CaseRow.state).where(CaseRow.case_id == case_id))).first()
    if row is None:
        raise HTTPException(404, f"case {case_id} not found")
    state = _state.validate_python(row.state)
    check_can_read(user, state)
    return state


def temporal_ui_link(settings, case_id: str) -> str | None:
    """The case's workflow in the Temporal UI: under this origin when the API serves the UI
    (/temporal, api/routers/temporal_ui.py), else on the UI's own origin, or none."""
    base = TEMPORAL_UI_PATH if settings.temporal_ui_upstream else settings.temporal_ui_url
    if not base:
        return None
    return f"{base.rstrip('/')}/namespaces/{settings.temporal_namespace}/workflows/{case_id}"


def _actions_for(user: User, state: CaseState) -> list:
    role = Role(user.role)
    rules = [r for r in allowed_now(state.case_type, state.phase) if role in r.roles]
    # Acknowledging is for an escalation that is still climbing.
    return [r for r in rules if r.name != "acknowledge" or state.escalation.next_at]


async def _references(
    request: Request, language: str, case_id: str
) -> dict[str, list[tuple[str, str]]]:
    async with request.app.state.engine.connect() as conn:
        files = (
            await conn.execute(
                select(Attachment.id, Attachment.filename)
                .where(Attachment.case_id == case_id, Attachment.erased_at.is_(None))
                .order_by(Attachment.uploaded_at)
            )
        ).all()
        departments = (await conn.execute(select(Department.id).order_by(Department.id))).all()
        users = (
            await conn.execute(
                select(User.id, User.name, User.department)
                .where(User.active, User.role.in_([r.value for r in STAFF]))
                .order_by(User.id)
            )
        ).all()
        outages = (
            await conn.execute(
                select(CaseRow.case_id)
                .where(
                    CaseRow.case_type == CaseType.OUTAGE.value,
                    CaseRow.phase != Phase.ARCHIVED.value,
                )
                .order_by(CaseRow.opened_at.desc())
                .limit(50)
            )
        ).all()
    return {
        "department": [(d, label("department", d, language)) for (d,) in departments],
        "user": [
            (u.id, f"{u.name} ({label('department', u.department, language)})") for u in users
        ],
        "outage": [(o, o) for (o,) in outages],
        "attachment": [(f.id, f.filename) for f in files],
    }


async def _case_page(
    request: Request,
    user: User,
    case_id: str,
    status_code: int = 200,
    errors: dict[str, dict[str, str]] | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> HTMLResponse:
    state = await load_case(request, user, case_id)
    _, lost = await load_state_and_lost(request.app.state.engine, case_id)
    language = page_language(request)
    async with request.app.state.engine.connect() as conn:
        events = (
            await conn.execute(
                select(CaseEventRow)
                .where(CaseEventRow.case_id == case_id)
                .order_by(CaseEventRow.seq)
            )
        ).all()
        notifications = (
            await conn.execute(
                select(
                    NotificationRow.id,
                    NotificationRow.template,
                    NotificationRow.recipient,
                    NotificationRow.channel,
                    NotificationRow.status,
                    NotificationRow.attempts,
                    NotificationRow.provider,
                    NotificationRow.route,
                    NotificationRow.last_error,
                    NotificationRow.created_at,
                    NotificationRow.sent_at,
                )
                .where(NotificationRow.case_id == case_id)
                .order_by(NotificationRow.seq, NotificationRow.idx)
            )
        ).all()
    settings = request.app.state.settings
    supervising = is_supervising(user)
    customer = (
        state.customer.name
        + " "
        + (state.customer.phone if supervising else mask_phone(state.customer.phone))
    )
    if supervising:
        await record_access(request.app.state.engine, case_id, user.id, user.role, "case page")
    references = await _references(request, language, case_id)
    values = values or {}
    forms = [
        action_form(rule, language, references, values.get(rule.name))
        for rule in _actions_for(user, state)
    ]
    done = request.query_params.get("done")
    return render(
        request,
        "case.html",
        status_code=status_code,
        user=user,
        c=_state.dump_python(state, mode="json"),
        customer=customer,
        events=events,
        notifications=notifications,
        forms=forms,
        errors=errors or {},
        done=ACTIONS[done].label(language) if done in ACTIONS else None,
        can_supervise=supervising,
        temporal_ui=temporal_ui_link(settings, case_id) if supervising else None,
        lost=lost,
        can_revive=user.role == Role.ADMIN.value,
        revived=request.query_params.get("revived") == "1",
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, user: PageUser, case_id: str) -> HTMLResponse:
    return await _case_page(request, user, case_id)


@router.post("/cases/{case_id}/actions/{name}")
async def act_from_page(request: Request, user: PostingUser, case_id: str, name: str) -> Response:
    rule = ACTIONS.get(name)
    if rule is None:
        raise HTTPException(404, f"no action named {name}")
    await load_case(request, user, case_id)  # 404 / 403 before anything reaches the case
    form = await request.form()
    status_code, code = 200, None
    try:
        body = parse_form(rule, form, request.app.state.book.active.timezone)
        await perform_action(
            rule,
            case_id,
            body,
            user,
            request.app.state.engine,
            request.app.state.temporal,
            request.app.state.settings,
            request.app.state.limiter,
        )
    except ValidationError:
        status_code, code = 422, "invalid"
    except ActionRefused as exc:
        status_code, code = exc.status_code, exc.code
    except HTTPException as exc:
        status_code, code = exc.status_code, "refused"
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        status_code, code = 409, "refused"
        if isinstance(cause, ApplicationError):
            if cause.type == UPDATE_OUTLIVED_WORKFLOW:
                code = "archived"
            elif cause.details:
                code = str(cause.details[0])
            status_code = {"Forbidden": 403, "InvalidInput": 422}.get(cause.type or "", 409)
    except ServiceUnavailable:
        status_code, code = 503, "unavailable"
    except RPCError as exc:
        already = exc.status == RPCStatusCode.NOT_FOUND and "already completed" in exc.message
        status_code, code = (409, "archived") if already else (503, "unavailable")
    if code is None:
        log.info("action from a page", extra={"case_id": case_id, "action": name})
        return RedirectResponse(f"/cases/{case_id}?done={name}", status_code=303)
    log.info("action refused on a page", extra={"case_id": case_id, "action": name, "code": code})
    return await _case_page(
        request,
        user,
        case_id,
        status_code=status_code,
        errors={name: {"code": code, "text": refusal_text(request, code)}},
        values={name: posted_values(rule, form)},
    )


@router.post("/cases/{case_id}/revive")
async def revive_from_page(request: Request, user: PostingUser, case_id: str) -> Response:
    """An administrator revives a lost case (api/revival.py, as `POST .../revive`)."""
    await load_case(request, user, case_id)
    form = await request.form()
    reason = form.get("reason")
    code = None
    status_code = 200
    if user.role != Role.ADMIN.value:
        status_code, code = 403, "role"
    elif not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_TEXT:
        status_code, code = 422, "invalid"
    else:
        try:
            await revive_case(
                case_id,
                reason.strip(),
                user,
                request.app.state.engine,
                request.app.state.temporal,
                request.app.state.settings,
                request.app.state.book,
            )
        except HTTPException as exc:
            status_code, code = exc.status_code, "not_lost" if exc.status_code == 409 else "refused"
        except ServiceUnavailable:
            status_code, code = 503, "unavailable"
    if code is None:
        log.info("case revived from a page", extra={"case_id": case_id, "by": user.id})
        return RedirectResponse(f"/cases/{case_id}?revived=1", status_code=303)
    return await _case_page(
        request,
        user,
        case_id,
        status_code=status_code,
        errors={"revive": {"code": code, "text": refusal_text(request, code)}},
    )
