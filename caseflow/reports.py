"""Floor figures and the standards' statistics, computed in PostgreSQL from the read model.

Everything here is one SQL round-trip over indexed columns or the JSONB snapshot, so it stays
fast with 100 000 cases and never asks Temporal about each case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# The standards' targets (规范 §1.3, 标准 §9.1): shown next to the measured figures.
TARGETS = {
    "resolution_rate": 0.95,
    "callback_coverage": 0.80,
    "satisfaction_rate": 0.85,
}


@dataclass
class WindowFigure:
    case_type: str
    window: str
    closed: int
    on_time: int
    breached_open: int

    @property
    def on_time_rate(self) -> float | None:
        finished = self.closed + self.breached_open
        return self.on_time / finished if finished else None


@dataclass
class Report:
    since: datetime | None
    until: datetime | None
    total: int = 0
    archived: int = 0
    resolved: int = 0
    callback_base: int = 0  # resolved complaints and inquiries: the cases owed a callback
    callbacks: int = 0
    satisfied: int = 0
    windows: list[WindowFigure] = field(default_factory=list)
    by_category: list[tuple[str, str, int]] = field(default_factory=list)  # type, category, n
    by_department: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.archived if self.archived else None

    @property
    def callback_coverage(self) -> float | None:
        return self.callbacks / self.callback_base if self.callback_base else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.callbacks if self.callbacks else None


_PERIOD = (
    "(CAST(:since AS timestamptz) IS NULL OR opened_at >= :since) AND "
    "(CAST(:until AS timestamptz) IS NULL OR opened_at < :until)"
)


async def build_report(
    engine: AsyncEngine, since: datetime | None = None, until: datetime | None = None
) -> Report:
    params = {"since": since, "until": until}
    report = Report(since=since, until=until)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    f"""
                    SELECT count(*) AS total,
                      -- converted / not confirmed / declined cases ended by the customer's
                      -- choice: they count neither for nor against the resolution rate
                      count(*) FILTER (WHERE phase = 'archived' AND coalesce(state->>'outcome',
                          '') NOT IN ('converted', 'not_confirmed', 'declined')) AS archived,
                      count(*) FILTER (WHERE phase = 'archived'
                          AND state->>'outcome' IN ('resolved', 'closed', 'terminated'))
                          AS resolved,
                      count(*) FILTER (WHERE phase = 'archived'
                          AND state->>'outcome' IN ('resolved', 'closed')) AS callback_base,
                      count(*) FILTER (WHERE state->>'outcome' IN ('resolved', 'closed')
                          AND jsonb_typeof(state->'satisfaction') = 'object') AS callbacks,
                      count(*) FILTER (WHERE state->'satisfaction'->>'satisfaction'
                          IN ('satisfied', 'basically_satisfied')) AS satisfied
                    FROM cases WHERE {_PERIOD}
                    """
                ),
                params,
            )
        ).one()
        (
            report.total,
            report.archived,
            report.resolved,
            report.callback_base,
            report.callbacks,
            report.satisfied,
        ) = row
        rows = await conn.execute(
            text(
                f"""
                SELECT case_type, w.key AS window,
                  count(*) FILTER (WHERE w.value->>'state' IN ('met', 'met_late')) AS closed,
                  count(*) FILTER (WHERE w.value->>'state' = 'met') AS on_time,
                  count(*) FILTER (WHERE w.value->>'state' = 'breached') AS breached_open
                FROM cases, jsonb_each(state->'windows') AS w
                WHERE {_PERIOD}
                GROUP BY case_type, w.key ORDER BY case_type, w.key
                """
            ),
            params,
        )
        report.windows = [WindowFigure(*r) for r in rows]
        report.by_category = await _breakdown(conn, "category", params)
        report.by_department = await _breakdown(conn, "department", params)
    return report


async def _breakdown(conn, column: str, params: dict) -> list[tuple[str, str, int]]:
    """Cases per type and `column` (a fixed column name, never user input)."""
    rows = await conn.execute(
        text(
            f"SELECT case_type, coalesce({column}, '-'), count(*) FROM cases "
            f"WHERE {_PERIOD} GROUP BY 1, 2 ORDER BY 1, 3 DESC"
        ),
        params,
    )
    return [tuple(r) for r in rows]


def report_csv(report: Report) -> str:
    """The monthly statistics (附件一 §7.1) as CSV: one section per table, UTF-8."""
    import csv
    import io

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["period_start", report.since.isoformat() if report.since else ""])
    w.writerow(["period_end", report.until.isoformat() if report.until else ""])
    w.writerow([])
    w.writerow(["metric", "value", "target"])
    w.writerow(["cases", report.total, ""])
    w.writerow(["archived", report.archived, ""])
    for name in ("resolution_rate", "callback_coverage", "satisfaction_rate"):
        value = getattr(report, name)
        w.writerow([name, "" if value is None else f"{value:.4f}", TARGETS[name]])
    w.writerow([])
    w.writerow(["case_type", "window", "closed", "on_time", "breached_open", "on_time_rate"])
    for f in report.windows:
        rate = f.on_time_rate
        w.writerow(
            [
                f.case_type,
                f.window,
                f.closed,
                f.on_time,
                f.breached_open,
                "" if rate is None else f"{rate:.4f}",
            ]
        )
    w.writerow([])
    w.writerow(["case_type", "category", "cases"])
    w.writerows(report.by_category)
    w.writerow([])
    w.writerow(["case_type", "department", "cases"])
    w.writerows(report.by_department)
    return out.getvalue()
