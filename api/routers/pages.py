"""Pages for reading: a case's readable history (supervisors), its exports, and the reports.

Reports read the PostgreSQL read model (fast with 100 000 cases); the history reads Temporal
(and caseflow's stored copy of the runs Temporal no longer keeps: api/readable_history.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.deps import StatisticsDep
from api.history_export import XLSX, history_csv, history_xlsx
from api.history_words import Words, describe
from api.page_auth import PageUser, is_supervising
from api.page_render import gettext_for, page_language, render
from api.readable_history import (
    HistoryFilter,
    ReadableHistory,
    limit_history_reads,
    read_history,
)
from api.routers.case_page import load_case, temporal_ui_link
from caseflow.db.models import MonthlyReport, User
from caseflow.history.readable import KINDS, ReadableEvent
from caseflow.i18n import N_
from caseflow.pii import record_access
from caseflow.readmodel.maintenance import StatisticsReports
from caseflow.reports import TARGETS, Report, report_csv

router = APIRouter(include_in_schema=False)
RESOLUTION_RATE = N_("report", "resolution rate")
CALLBACK_COVERAGE = N_("report", "callback coverage")
SATISFACTION = N_("report", "satisfaction")
ALL_TIME = N_("report", "all time")


@dataclass
class _HistoryRead:
    history: ReadableHistory
    events: list[ReadableEvent]
    filters: HistoryFilter
    words: Words


def _local(value: str | None, timezone: str, what: str) -> datetime | None:
    """A datetime-local field (2026-12-04T15:37), read in the policy's zone."""
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{what} must look like 2026-12-04T15:37") from None
    return at.replace(tzinfo=ZoneInfo(timezone)) if at.tzinfo is None else at


Text = Annotated[str | None, Query(max_length=64)]
Kinds = Annotated[list[str], Query(max_length=len(KINDS))]
Instant = Annotated[str | None, Query(max_length=40)]


@dataclass(frozen=True)
class HistoryQuery:
    """The history page's filters, as typed in its form (times in the policy's zone)."""

    actor: str | None
    window: str | None
    kind: list[str]
    since: str | None
    until: str | None


def history_query(
    actor: Text = None,
    window: Text = None,
    kind: Kinds = [],  # noqa: B006 - FastAPI copies query defaults
    since: Instant = None,
    until: Instant = None,
) -> HistoryQuery:
    return HistoryQuery(actor, window, kind, since, until)


HistoryQueryDep = Annotated[HistoryQuery, Depends(history_query)]


async def _read_history(
    request: Request, user: User, case_id: str, what: str, q: HistoryQuery
) -> _HistoryRead:
    """The readable history for a page or an export: supervisors and admins only, and every
    read written to the personal-data access log."""
    if not is_supervising(user):
        raise HTTPException(403, "only supervisors and admins read a case's Temporal history")
    await load_case(request, user, case_id)
    timezone = request.app.state.book.active.timezone
    filters = HistoryFilter(
        actor=q.actor or None,
        window=q.window or None,
        kinds=[k for k in q.kind if k in KINDS],
        since=_local(q.since, timezone, "since"),
        until=_local(q.until, timezone, "until"),
    )
    state = request.app.state
    await limit_history_reads(state.limiter, state.settings, user.id)
    engine = state.engine
    history = await read_history(state.temporal, engine, case_id)
    await record_access(engine, case_id, user.id, user.role, what)
    words = Words(page_language(request), timezone)
    return _HistoryRead(history, history.filtered(filters), filters, words)


@router.get("/cases/{case_id}/history", response_class=HTMLResponse)
async def history_page(
    request: Request,
    user: PageUser,
    case_id: str,
    q: HistoryQueryDep,
) -> HTMLResponse:
    read = await _read_history(request, user, case_id, "history page", q)
    w = read.words
    settings = request.app.state.settings
    query = request.url.query
    return render(
        request,
        "history.html",
        user=user,
        case_id=case_id,
        runs=read.history.runs,
        rows=[(e, describe(e, w)) for e in read.events],
        total=len(read.history.events),
        f=read.filters,
        since=q.since or "",
        until=q.until or "",
        actors=read.history.actors(),
        windows=read.history.windows(),
        kinds=[(k, w.kind(k)) for k in KINDS],
        export_query=f"?{query}" if query else "",
        temporal_ui=temporal_ui_link(settings, case_id),
        pretty=_pretty,
        who=w.actor,
    )


def _pretty(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str)


@router.get("/cases/{case_id}/history.csv")
async def history_csv_export(
    request: Request,
    user: PageUser,
    case_id: str,
    q: HistoryQueryDep,
) -> Response:
    read = await _read_history(request, user, case_id, "history export (CSV)", q)
    return Response(
        history_csv(read.history, read.events, read.words),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file(case_id)}-history.csv"'},
    )


@router.get("/cases/{case_id}/history.xlsx")
async def history_xlsx_export(
    request: Request,
    user: PageUser,
    case_id: str,
    q: HistoryQueryDep,
) -> Response:
    read = await _read_history(request, user, case_id, "history export (XLSX)", q)
    return Response(
        history_xlsx(read.history, read.events, read.words, read.filters),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{_file(case_id)}-history.xlsx"'},
    )


def _file(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", case_id)


# ------------------------------------------------------------------ reports
async def _figures(reports: StatisticsReports, month: str | None) -> Report:
    """A month cut at local midnight in the policy's time zone (as the monthly Schedule), or
    every case when no month is named."""
    if not month:
        return await reports.all_time()
    try:
        return await reports.report(month)
    except ValueError:
        raise HTTPException(422, "month must look like 2026-11") from None


Month = Annotated[str | None, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$")]


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(
    request: Request,
    user: PageUser,
    reports: StatisticsDep,
    month: Month = None,
) -> HTMLResponse:
    report = await _figures(reports, month)
    label = month
    tr = gettext_for(request)
    headline = [
        (tr.pgettext("report", name), value, TARGETS[target])
        for name, value, target in (
            (RESOLUTION_RATE, report.resolution_rate, "resolution_rate"),
            (CALLBACK_COVERAGE, report.callback_coverage, "callback_coverage"),
            (SATISFACTION, report.satisfaction_rate, "satisfaction_rate"),
        )
    ]
    if not month:
        label = tr.pgettext("report", ALL_TIME)
    async with request.app.state.engine.connect() as conn:
        stored = (
            await conn.execute(
                select(MonthlyReport.month, MonthlyReport.generated_at)
                .order_by(MonthlyReport.month.desc())
                .limit(24)
            )
        ).all()
    return render(
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
    reports: StatisticsDep,
    month: Month = None,
) -> Response:
    report = await _figures(reports, month)
    label = month or "all time"
    filename = f"caseflow-report-{label.replace(' ', '-')}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/monthly/{month}.csv")
async def monthly_report_csv(request: Request, user: PageUser, month: str) -> Response:
    """The statistics report the monthly Schedule stored (附件一 §7.1)."""
    async with request.app.state.engine.connect() as conn:
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
