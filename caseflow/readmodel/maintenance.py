"""Scheduled housekeeping on the read model: the monthly and quarterly statistics reports, and
retention."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.attachments.port import BlobStore
from caseflow.db.models import MonthlyReport, QuarterlyReport
from caseflow.domain import RetentionRequest
from caseflow.periods import (
    Period,
    month_bounds,
    parse_period,
    previous_month,
    previous_quarter,
    retention_cutoff,
)
from caseflow.readmodel.erasure import ANONYMISED, strip_case
from caseflow.reports import Report, build_report, customer_base, report_csv

__all__ = ["ANONYMISED", "StatisticsReports", "Retention", "month_bounds", "previous_month"]


class StatisticsReports:
    """Builds a period's report with the settings' customer base and stores its CSV."""

    def __init__(
        self,
        engine: AsyncEngine,
        timezone: str,
        base: int | None = None,
        base_by_month: dict[str, int] | None = None,
    ) -> None:
        self.engine = engine
        self.timezone = timezone
        self.base = base
        self.base_by_month = base_by_month or {}

    async def build(self, period: Period) -> Report:
        return await build_report(
            self.engine,
            period.since,
            period.until,
            timezone=self.timezone,
            customer_base=customer_base(period.months, self.base, self.base_by_month),
            label=period.label,
        )

    async def report(self, label: str) -> Report:
        """A month ("2026-11") or a quarter ("2026-Q4"), as of now."""
        return await self.build(parse_period(label, self.timezone))

    async def all_time(self) -> Report:
        """Every case in the read model (no customer base: it is configured per month)."""
        return await build_report(self.engine, timezone=self.timezone, label="all time")

    async def generate(self, month: str | None, at: datetime) -> str:
        """Build and store the month's report (re-running replaces it); returns the month."""
        month = month or previous_month(at, self.timezone)
        report = await self.report(month)
        await self._store(MonthlyReport, dict(month=month, csv=report_csv(report)), "month")
        return month

    async def generate_quarter(self, quarter: str | None, at: datetime) -> str:
        """Build and store the quarter's report (re-running replaces it); returns it."""
        quarter = quarter or previous_quarter(at, self.timezone)
        report = await self.report(quarter)
        await self._store(QuarterlyReport, dict(quarter=quarter, csv=report_csv(report)), "quarter")
        return quarter

    async def _store(self, table, values: dict, key: str) -> None:
        values["generated_at"] = datetime.now(UTC)
        stmt = insert(table).values(**values)
        async with self.engine.begin() as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=[key], set_=values))


class Retention:
    def __init__(self, engine: AsyncEngine, timezone: str, blobs: BlobStore) -> None:
        self.engine = engine
        self.timezone = timezone
        self.blobs = blobs

    async def anonymise_batch(self, req: RetentionRequest) -> int:
        """Strip personal data from up to `batch` cases archived `years` full calendar years
        ago or more, each with an audit event; already anonymised cases are skipped, so
        retries do nothing twice."""
        cutoff = retention_cutoff(req.at, req.years, self.timezone)
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            case_ids = (
                await conn.execute(
                    text(
                        """
                        SELECT case_id FROM cases
                        WHERE phase = 'archived' AND closed_at < :cutoff
                          AND state->'customer'->>'name' <> :anon
                        ORDER BY closed_at LIMIT :batch FOR UPDATE SKIP LOCKED
                        """
                    ),
                    {"cutoff": cutoff, "anon": ANONYMISED, "batch": req.batch},
                )
            ).scalars()
            done = 0
            for case_id in list(case_ids):
                done += await strip_case(
                    conn,
                    case_id,
                    self.blobs,
                    kind="anonymised",
                    summary=f"personal data removed after the {req.years}-year retention period",
                    data={"run": req.run_key},
                    actor_id="system",
                    actor_role="admin",
                    now=now,
                )
            await conn.execute(
                text(
                    """
                    INSERT INTO retention_runs (run_key, cutoff, anonymised, ran_at)
                    VALUES (:key, :cutoff, :n, :now)
                    ON CONFLICT (run_key) DO UPDATE
                      SET anonymised = retention_runs.anonymised + EXCLUDED.anonymised
                    """
                ),
                {"key": req.run_key, "cutoff": cutoff, "n": done, "now": now},
            )
        return done
