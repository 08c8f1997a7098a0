"""Pages for reading: a case's raw Temporal history (supervisors) and the reports.

Reports read the PostgreSQL read model (fast with 100 000 cases); only the raw history goes to
Temporal.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.deps import StatisticsDep
from api.page_auth import PageUser, is_supervising
from api.page_render import gettext_for, render
from api.routers.case_page import load_case
from api.routers.cases import case_runs
from caseflow.db.models import MonthlyReport
from caseflow.i18n import N_
from caseflow.readmodel.maintenance import StatisticsReports
from caseflow.reports import TARGETS, Report, report_csv

router = APIRouter(include_in_schema=False)
RESOLUTION_RATE = N_("report", "resolution rate")
CALLBACK_COVERAGE = N_("report", "callback coverage")
SATISFACTION = N_("report", "satisfaction")
ALL_TIME = N_("report", "all time")


@router.get("/cases/{case_id}/history", response_class=HTMLResponse)
async def history_page(request: Request, user: PageUser, case_id: str) -> HTMLResponse:
    if not is_supervising(user):
        raise HTTPException(403, "only supervisors may read the Temporal history")
    await load_case(request, user, case_id)
    temporal = request.app.state.temporal
    events = []
    for number, run in enumerate(await case_runs(temporal, case_id), start=1):
        history = await temporal.get_workflow_handle(case_id, run_id=run.run_id).fetch_history()
        events += _history_rows(number, history.to_json_dict().get("events", []))
    return render(request, "history.html", user=user, case_id=case_id, events=events)


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
