"""Floor figures and the standards' statistics, computed in PostgreSQL from the read model.

Everything here is one SQL round-trip over indexed columns or the JSONB snapshot, so it stays
fast with 100 000 cases and never asks Temporal about each case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.domain.case_types import CASE_TYPES

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
    unclassified: int = 0  # archived with an outcome no case type declares (a bug to look at)
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
    # What each way of ending counts for, per case type, from the case-type registry.
    rules = [
        (case_type.value, outcome.value, rule.resolved, rule.counted, rule.callback_owed)
        for case_type, spec in CASE_TYPES.items()
        for outcome, rule in spec.outcomes.items()
    ]
    outcome_params = {
        "r_type": [r[0] for r in rules],
        "r_outcome": [r[1] for r in rules],
        "r_resolved": [r[2] for r in rules],
        "r_counted": [r[3] for r in rules],
        "r_owed": [r[4] for r in rules],
    }
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    f"""
                    WITH rules AS (
                      SELECT * FROM unnest(CAST(:r_type AS text[]), CAST(:r_outcome AS text[]),
                        CAST(:r_resolved AS bool[]), CAST(:r_counted AS bool[]),
                        CAST(:r_owed AS bool[]))
                        AS r(case_type, outcome, resolved, counted, owed)
                    )
                    SELECT count(*) AS total,
                      -- ended by the customer's choice (converted, declined...): counted
                      -- neither for nor against the resolution rate
                      count(*) FILTER (WHERE c.phase = 'archived' AND r.counted) AS archived,
                      count(*) FILTER (WHERE c.phase = 'archived' AND r.resolved) AS resolved,
                      count(*) FILTER (WHERE c.phase = 'archived' AND r.owed) AS callback_base,
                      count(*) FILTER (WHERE r.owed
                          AND jsonb_typeof(c.state->'satisfaction') = 'object') AS callbacks,
                      count(*) FILTER (WHERE c.state->'satisfaction'->>'satisfaction'
                          IN ('satisfied', 'basically_satisfied')) AS satisfied,
                      -- archived with an ending no case type declares: shown, never guessed
                      count(*) FILTER (WHERE c.phase = 'archived' AND r.outcome IS NULL)
                          AS unclassified
                    FROM cases c
                    LEFT JOIN rules r
                      ON r.case_type = c.case_type AND r.outcome = c.state->>'outcome'
                    WHERE {_PERIOD}
                    """
                ),
                {**params, **outcome_params},
            )
        ).one()
        (
            report.total,
            report.archived,
            report.resolved,
            report.callback_base,
            report.callbacks,
            report.satisfied,
            report.unclassified,
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
    w.writerow(["archived_unclassified", report.unclassified, ""])
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
