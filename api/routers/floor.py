"""The floor (supervisors: every open case, filters, counts) and the agents' workbench (my
cases first, then my department's unassigned ones, by next deadline), with the notifications
that failed to go out. Both read the PostgreSQL read model only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.page_auth import PageUser, is_supervising
from api.page_render import render
from caseflow.db.models import CaseRow, NotificationRow, User
from caseflow.domain import OPEN_PHASES, CaseType, Phase, Role
from caseflow.domain.case_types import CASE_TYPES
from caseflow.readmodel.lost import LostCases

router = APIRouter(include_in_schema=False)
REFRESH_SECONDS = 15
PAGE_SIZE = 100
FAILED_SHOWN = 20
LOST_SHOWN = 50
OPEN = [p.value for p in OPEN_PHASES]

CASE_COLUMNS = (
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


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def _case_rows(rows) -> list[dict]:
    return [
        {**r._mapping, "customer": f"{r.name or ''} {mask_phone(r.phone or '')}".strip()}
        for r in rows
    ]


async def failed_notifications(conn: AsyncConnection, user: User) -> tuple[int, list]:
    """Notifications that could not be delivered (the newest first), in the reader's scope."""
    where = NotificationRow.status == "failed"
    query = select(
        NotificationRow.id,
        NotificationRow.case_id,
        NotificationRow.template,
        NotificationRow.channel,
        NotificationRow.recipient,
        NotificationRow.attempts,
        NotificationRow.last_error,
        NotificationRow.created_at,
    )
    count = select(func.count()).select_from(NotificationRow)
    if user.role == Role.AGENT.value:
        query = query.join(CaseRow, CaseRow.case_id == NotificationRow.case_id)
        count = count.join(CaseRow, CaseRow.case_id == NotificationRow.case_id)
        where = and_(where, CaseRow.department == user.department)
    total = (await conn.execute(count.where(where))).scalar_one()
    rows = (
        await conn.execute(
            query.where(where).order_by(NotificationRow.created_at.desc()).limit(FAILED_SHOWN)
        )
    ).all()
    return total, rows


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, user: PageUser) -> HTMLResponse:
    """Agents start at their workbench, supervisors and administrators on the floor."""
    if is_supervising(user):
        return await floor(request, user)
    return await workbench(request, user)


@router.get("/work", response_class=HTMLResponse)
async def workbench(request: Request, user: PageUser) -> HTMLResponse:
    mine = CaseRow.assignee == user.id
    unassigned = and_(CaseRow.assignee.is_(None), CaseRow.department == user.department)
    if user.department is None:  # supervisors without a department: every unassigned case
        unassigned = CaseRow.assignee.is_(None)
    # 首问负责制 (002 §7.3): the agent who took the case first follows it after a transfer.
    followed = CaseRow.first_responsible == user.id
    group = case((mine, 0), (unassigned, 1), else_=2)
    async with request.app.state.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(*CASE_COLUMNS, group.label("group"))
                .where(CaseRow.phase.in_(OPEN), or_(mine, unassigned, followed))
                # Mine first, then the department's unassigned, then those I follow; each by
                # its next deadline.
                .order_by(
                    group,
                    CaseRow.next_deadline.asc().nulls_last(),
                    CaseRow.opened_at,
                )
                .limit(PAGE_SIZE)
            )
        ).all()
        failed_total, failed = await failed_notifications(conn, user)
    cases = _case_rows(rows)
    return render(
        request,
        "workbench.html",
        user=user,
        now=datetime.now(UTC),
        refresh=REFRESH_SECONDS,
        mine=[c for c in cases if c["group"] == 0],
        unassigned=[c for c in cases if c["group"] == 1],
        followed=[c for c in cases if c["group"] == 2],
        failed_total=failed_total,
        failed=failed,
    )


@router.get("/floor", response_class=HTMLResponse)
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
    now = datetime.now(UTC)
    conditions = []
    if user.role == Role.AGENT.value:
        department = user.department  # agents see their own department only
    conditions.append(CaseRow.phase == phase if phase else CaseRow.phase.in_(OPEN))
    if type:
        conditions.append(CaseRow.case_type == type.value)
    if department:
        conditions.append(CaseRow.department == department)
    if assignee:
        conditions.append(CaseRow.assignee == assignee)
    if overdue:
        conditions.append(or_(CaseRow.breached, CaseRow.next_deadline < now))
    where = and_(*conditions)
    open_scope = CaseRow.phase.in_(OPEN)
    if user.role == Role.AGENT.value:
        open_scope = and_(open_scope, CaseRow.department == user.department)
    async with request.app.state.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(*CASE_COLUMNS)
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
        failed_total, failed = await failed_notifications(conn, user)
    # Lost cases (the reconciler's finding) come first on a supervisor's floor: their clocks
    # stopped, and only a person can set them going again.
    engine = request.app.state.engine
    lost = await LostCases(engine).lost(LOST_SHOWN) if is_supervising(user) else []
    lost_total = await LostCases(engine).count() if is_supervising(user) else 0
    matrix = {(t, p): n for t, p, n in matrix_rows}
    by_type = [
        {"case_type": t.value, "n": sum(n for (ct, _), n in matrix.items() if ct == t.value)}
        for t in CASE_TYPES
    ]
    filters = {
        "type": type.value if type else None,
        "phase": phase,
        "department": department,
        "assignee": assignee,
        "overdue": overdue,
    }
    return render(
        request,
        "floor.html",
        user=user,
        now=now,
        refresh=REFRESH_SECONDS,
        cases=_case_rows(rows),
        total=total,
        offset=offset,
        limit=PAGE_SIZE,
        query=urlencode({k: v for k, v in filters.items() if v}),
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
        failed_total=failed_total,
        failed=failed,
        lost=lost,
        lost_total=lost_total,
        can_revive=user.role == Role.ADMIN.value,
    )
