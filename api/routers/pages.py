"""Server-rendered pages for people: the floor, a case's story, reports.

Pages read the PostgreSQL read model (fast with 100 000 cases); only the supervisor actions and
the raw history go to Temporal. Sign-in stores the user's token in an HttpOnly cookie.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from pydantic import TypeAdapter
from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from api.deps import NotSignedIn, actor_of, user_for_token
from api.routers.cases import case_runs
from caseflow.db.models import CaseEventRow, CaseRow, MonthlyReport, User
from caseflow.domain import (
    OPEN_PHASES,
    AcknowledgeAction,
    AssignAction,
    CaseState,
    CaseType,
    Phase,
    Role,
)
from caseflow.domain.case_types import CASE_TYPES
from caseflow.pii import record_access
from caseflow.readmodel.maintenance import month_bounds
from caseflow.reports import TARGETS, build_report, report_csv

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))


@pass_context
def _when(context, value) -> str:
    """Timestamps as people read them: in the policy's time zone, to the second."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    tz = ZoneInfo(context["request"].app.state.book.active.timezone)
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


templates.env.filters["when"] = _when
COOKIE = "caseflow_token"
REFRESH_SECONDS = 15
PAGE_SIZE = 100
_state = TypeAdapter(CaseState)


def _engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


def _temporal(request: Request) -> Client:
    return request.app.state.temporal


async def page_user(request: Request) -> User:
    token = request.cookies.get(COOKIE)
    user = await user_for_token(request, token) if token else None
    if user is None:
        raise NotSignedIn
    return user


PageUser = Annotated[User, Depends(page_user)]


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def _render(request: Request, name: str, status_code: int = 200, **ctx) -> HTMLResponse:
    ctx.setdefault("flash", request.query_params.get("flash"))
    ctx.setdefault("flash_kind", request.query_params.get("kind"))
    ctx.setdefault("timezone", request.app.state.book.active.timezone)  # shown with the times
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


# ------------------------------------------------------------------ sign in / out
@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return _render(request, "login.html", user=None)


@router.post("/login")
async def login(request: Request, token: Annotated[str, Form(max_length=500)]) -> Response:
    if await user_for_token(request, token) is None:
        return _render(
            request,
            "login.html",
            status_code=401,
            user=None,
            flash="Unknown or inactive token.",
            flash_kind="error",
        )
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600)
    return response


@router.get("/logout")
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


# ------------------------------------------------------------------ the floor
@router.get("/", response_class=HTMLResponse)
async def floor(
    request: Request,
    user: PageUser,
    type: Annotated[CaseType | None, Query()] = None,  # noqa: A002 - the filter's public name
    phase: Annotated[str | None, Query(max_length=32)] = None,
    department: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    type_ = type
    now = datetime.now(UTC)
    conditions = []
    if user.role == Role.AGENT.value:
        department = user.department  # agents see their own department only
    if phase:
        conditions.append(CaseRow.phase == phase)
    else:
        conditions.append(CaseRow.phase.in_([p.value for p in OPEN_PHASES]))
    if type_:
        conditions.append(CaseRow.case_type == type_.value)
    if department:
        conditions.append(CaseRow.department == department)
    if assignee:
        conditions.append(CaseRow.assignee == assignee)
    if overdue:
        conditions.append(or_(CaseRow.breached, CaseRow.next_deadline < now))
    where = and_(*conditions)
    open_scope = CaseRow.phase.in_([p.value for p in OPEN_PHASES])
    if user.role == Role.AGENT.value:
        open_scope = and_(open_scope, CaseRow.department == user.department)
    async with _engine(request).connect() as conn:
        rows = (
            await conn.execute(
                select(
                    CaseRow.case_id,
                    CaseRow.case_type,
                    CaseRow.severity,
                    CaseRow.phase,
                    CaseRow.next_deadline,
                    CaseRow.next_window,
                    CaseRow.breached,
                    CaseRow.warned,
                    CaseRow.escalation_level,
                    CaseRow.department,
                    CaseRow.assignee,
                    CaseRow.state["customer"]["name"].astext.label("name"),
                    CaseRow.state["customer"]["phone"].astext.label("phone"),
                )
                .where(where)
                # At risk first: breached, then warned, then the nearest deadline.
                .order_by(
                    CaseRow.breached.desc(),
                    CaseRow.warned.desc(),
                    CaseRow.next_deadline.asc().nulls_last(),
                    CaseRow.opened_at,
                )
                .limit(PAGE_SIZE)
                .offset(offset)
            )
        ).all()
        total = (await conn.execute(select(func.count()).where(where))).scalar_one()
        summary = (
            await conn.execute(
                select(
                    func.count(),
                    func.count().filter(CaseRow.breached),
                    func.count().filter(and_(CaseRow.warned, ~CaseRow.breached)),
                ).where(open_scope)
            )
        ).one()
        matrix_rows = (
            await conn.execute(
                select(CaseRow.case_type, CaseRow.phase, func.count())
                .where(open_scope)
                .group_by(CaseRow.case_type, CaseRow.phase)
            )
        ).all()
        departments = (await conn.execute(text("SELECT id FROM departments ORDER BY id"))).all()
    matrix = {(t, p): n for t, p, n in matrix_rows}
    by_type = [
        {"case_type": t.value, "n": sum(n for (ct, _), n in matrix.items() if ct == t.value)}
        for t in CASE_TYPES
    ]
    cases = [{**r._mapping, "customer": f"{r.name} {mask_phone(r.phone or '')}"} for r in rows]
    filters = {
        "type": type_.value if type_ else None,
        "phase": phase,
        "department": department,
        "assignee": assignee,
        "overdue": overdue,
    }
    query = urlencode({k: v for k, v in filters.items() if v})
    return _render(
        request,
        "floor.html",
        user=user,
        now=now,
        refresh=REFRESH_SECONDS,
        cases=cases,
        total=total,
        offset=offset,
        limit=PAGE_SIZE,
        query=query,
        f=filters,
        counts={
            "open": summary[0],
            "breached": summary[1],
            "at_risk": summary[2],
            "by_type": by_type,
        },
        matrix=matrix,
        case_types=[t.value for t in CASE_TYPES],
        phases=[p.value for p in Phase if p in OPEN_PHASES],
        departments=[d for (d,) in departments],
    )


# ------------------------------------------------------------------ one case
async def _load_case(request: Request, user: User, case_id: str) -> CaseState:
    async with _engine(request).connect() as conn:
        row = (await conn.execute(select(CaseRow.state).where(CaseRow.case_id == case_id))).first()
    if row is None:
        raise HTTPException(404, f"case {case_id} not found")
    state = _state.validate_python(row.state)
    if user.role == Role.AGENT.value and state.department != user.department:
        raise HTTPException(403, f"case {case_id} belongs to another department")
    return state


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(request: Request, user: PageUser, case_id: str) -> HTMLResponse:
    state = await _load_case(request, user, case_id)
    async with _engine(request).connect() as conn:
        events = (
            await conn.execute(
                select(CaseEventRow)
                .where(CaseEventRow.case_id == case_id)
                .order_by(CaseEventRow.seq)
            )
        ).all()
        agents = (
            await conn.execute(
                select(User.id, User.name, User.department)
                .where(User.role == Role.AGENT.value, User.active)
                .order_by(User.id)
            )
        ).all()
    settings = request.app.state.settings
    temporal_ui = (
        f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}/workflows/{case_id}"
        if settings.temporal_ui_url
        else None
    )
    supervising = user.role in (Role.SUPERVISOR.value, Role.ADMIN.value)
    customer = (
        state.customer.name
        + " "
        + (state.customer.phone if supervising else mask_phone(state.customer.phone))
    )
    if supervising:
        await record_access(_engine(request), case_id, user.id, user.role, "case page")
    return _render(
        request,
        "case.html",
        user=user,
        c=_state.dump_python(state, mode="json"),
        customer=customer,
        events=events,
        agents=agents,
        can_supervise=supervising,
        temporal_ui=temporal_ui,
    )


@router.get("/cases/{case_id}/history", response_class=HTMLResponse)
async def history_page(request: Request, user: PageUser, case_id: str) -> HTMLResponse:
    if user.role not in (Role.SUPERVISOR.value, Role.ADMIN.value):
        raise HTTPException(403, "only supervisors may read the Temporal history")
    await _load_case(request, user, case_id)
    temporal = _temporal(request)
    events = []
    for number, run in enumerate(await case_runs(temporal, case_id), start=1):
        history = await temporal.get_workflow_handle(case_id, run_id=run.run_id).fetch_history()
        events += _history_rows(number, history.to_json_dict().get("events", []))
    return _render(request, "history.html", user=user, case_id=case_id, events=events)


def _history_rows(run: int, raw: list[dict]) -> list[dict]:
    events = []
    for e in raw:
        kind = e.get("eventType", "")
        attrs = next((v for k, v in e.items() if k.endswith("EventAttributes")), {})
        detail = {
            k: v
            for k, v in attrs.items()
            if k
            in (
                "activityType",
                "timerId",
                "startToFireTimeout",
                "updateId",
                "signalName",
                "meta",
                "workflowTaskCompletedEventId",
                "failure",
            )
        }
        events.append(
            {
                "run": run,
                "id": e.get("eventId"),
                "time": e.get("eventTime"),
                "type": kind,
                "detail": detail,
            }
        )
    return events


async def _supervise(request: Request, user: User, case_id: str, update, arg) -> Response:
    if user.role not in (Role.SUPERVISOR.value, Role.ADMIN.value):
        raise HTTPException(403, "only supervisors may do this from the page")
    await _load_case(request, user, case_id)  # 404 / 403 before anything reaches the case
    handle = _temporal(request).get_workflow_handle(case_id)
    try:
        await handle.execute_update(update, arg, result_type=CaseState)
        flash, kind = f"{update} done", "ok"
    except WorkflowUpdateFailedError as err:
        flash, kind = str(getattr(err.cause, "message", err.cause)), "error"
    except RPCError as err:
        flash, kind = f"could not reach the case: {err.message}", "error"
    return RedirectResponse(
        f"/cases/{case_id}?{urlencode({'flash': flash, 'kind': kind})}", status_code=303
    )


@router.post("/cases/{case_id}/acknowledge")
async def acknowledge_from_page(
    request: Request,
    user: PageUser,
    case_id: str,
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return await _supervise(
        request, user, case_id, "acknowledge", AcknowledgeAction(actor_of(user), comment)
    )


@router.post("/cases/{case_id}/assign")
async def assign_from_page(
    request: Request,
    user: PageUser,
    case_id: str,
    assignee: Annotated[str, Form(max_length=64)],
) -> Response:
    async with _engine(request).connect() as conn:
        target = (await conn.execute(select(User.department).where(User.id == assignee))).first()
    if target is None:
        raise HTTPException(422, f"unknown user {assignee}")
    return await _supervise(
        request,
        user,
        case_id,
        "assign",
        AssignAction(actor_of(user), assignee=assignee, department=target.department),
    )


# ------------------------------------------------------------------ reports
def _month_range(
    request: Request, month: str | None
) -> tuple[datetime | None, datetime | None, str]:
    """A month cut at local midnight in the policy's time zone (as the monthly Schedule)."""
    if not month:
        return None, None, "all time"
    try:
        start, end = month_bounds(month, request.app.state.book.active.timezone)
    except ValueError:
        raise HTTPException(422, "month must look like 2026-11") from None
    return start, end, month


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(
    request: Request,
    user: PageUser,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> HTMLResponse:
    since, until, label = _month_range(request, month)
    report = await build_report(_engine(request), since, until)
    headline = [
        ("resolution rate", report.resolution_rate, TARGETS["resolution_rate"]),
        ("callback coverage", report.callback_coverage, TARGETS["callback_coverage"]),
        ("satisfaction", report.satisfaction_rate, TARGETS["satisfaction_rate"]),
    ]
    async with _engine(request).connect() as conn:
        stored = (
            await conn.execute(
                select(MonthlyReport.month, MonthlyReport.generated_at)
                .order_by(MonthlyReport.month.desc())
                .limit(24)
            )
        ).all()
    return _render(
        request,
        "reports.html",
        user=user,
        r=report,
        month=month,
        period_label=label,
        headline=headline,
        stored=stored,
        max_cat=max([n for *_, n in report.by_category] or [1]),
        max_dept=max([n for *_, n in report.by_department] or [1]),
    )


@router.get("/reports.csv")
async def reports_csv(
    request: Request,
    user: PageUser,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    since, until, label = _month_range(request, month)
    report = await build_report(_engine(request), since, until)
    filename = f"caseflow-report-{label.replace(' ', '-')}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/monthly/{month}.csv")
async def monthly_report_csv(request: Request, user: PageUser, month: str) -> Response:
    """The statistics report the monthly Schedule stored (附件一 §7.1)."""
    async with _engine(request).connect() as conn:
        row = (
            await conn.execute(select(MonthlyReport).where(MonthlyReport.month == month))
        ).first()
    if row is None:
        raise HTTPException(
            404,
            f"no stored report for {month}; reports are generated on "
            "the 1st of the following month",
        )
    return Response(
        row.csv,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="caseflow-monthly-{month}.csv"'},
    )
