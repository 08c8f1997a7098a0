"""The statistics reports as JSON, CSV and XLSX: a month or a quarter, for supervisors and
admins. Figures come from the read model as of the request (caseflow/reports.py says what each
counts); the Schedules store each closed month's and quarter's CSV as well."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status

from api.deps import StatisticsDep, UserDep, require_role
from caseflow.domain import SUPERVISORS
from caseflow.report_export import report_json, report_xlsx
from caseflow.reports import Report, report_csv

router = APIRouter(prefix="/reports", tags=["reports"])

Period = Annotated[
    str,
    Query(
        pattern=r"^20\d\d-(0[1-9]|1[0-2]|Q[1-4])$",
        description="A month (2026-11) or a quarter (2026-Q4), cut at local midnight in the "
        "active policy's time zone",
        examples=["2026-11", "2026-Q4"],
    ),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _report(period: str, user: UserDep, reports: StatisticsDep) -> Report:
    require_role(user, SUPERVISORS, "read the statistics reports")
    try:
        return await reports.report(period)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None


@router.get(
    "",
    summary="A month's or a quarter's figures (supervisors, admins)",
    description="Every figure with its Chinese and English name, numerator, denominator and "
    "target (with the section of the standard that sets it and whether it is met), the time "
    "limits per window, the statistics by category per month (附件一 §7.1), by department "
    "and per agent. Cases count in the period they were filed in.",
)
async def get_report(period: Period, user: UserDep, reports: StatisticsDep) -> dict:
    return report_json(await _report(period, user, reports))


@router.get(
    ".xlsx",
    summary="The report as an Excel workbook with Chinese headers",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook"}},
)
async def get_report_xlsx(period: Period, user: UserDep, reports: StatisticsDep) -> Response:
    report = await _report(period, user, reports)
    return Response(
        report_xlsx(report),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="caseflow-{period}.xlsx"'},
    )


@router.get(
    ".csv",
    summary="The report as CSV (UTF-8)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The CSV"}},
)
async def get_report_csv(period: Period, user: UserDep, reports: StatisticsDep) -> Response:
    report = await _report(period, user, reports)
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="caseflow-{period}.csv"'},
    )
