"""Scheduled housekeeping on the read model: the monthly statistics report and retention."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import MonthlyReport
from caseflow.domain import RetentionRequest
from caseflow.reports import build_report, report_csv

ANONYMISED = "(anonymised)"


def month_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """A calendar month ("2026-10") as [start, end), cut at local midnight in `timezone`:
    a case filed at 00:30 Beijing time on the 1st belongs to the month that begins then."""
    tz = ZoneInfo(timezone)
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=tz)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start.astimezone(UTC), end.astimezone(UTC)


def previous_month(at: datetime, timezone: str) -> str:
    """The month before the one `at` falls in, locally ("2026-10" on any day of November)."""
    local = at.astimezone(ZoneInfo(timezone))
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


class MonthlyReports:
    def __init__(self, engine: AsyncEngine, timezone: str) -> None:
        self.engine = engine
        self.timezone = timezone

    async def generate(self, month: str | None, at: datetime) -> str:
        """Build and store the month's report (re-running replaces it); returns the month."""
        month = month or previous_month(at, self.timezone)
        since, until = month_bounds(month, self.timezone)
        report = await build_report(self.engine, since, until)
        values = dict(month=month, csv=report_csv(report), generated_at=datetime.now(UTC))
        stmt = insert(MonthlyReport).values(**values)
        async with self.engine.begin() as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=["month"], set_=values))
        return month


class Retention:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def anonymise_batch(self, req: RetentionRequest) -> int:
        """Strip personal data from up to `batch` cases archived before the cutoff, each with
        an audit event; already anonymised cases are skipped, so retries do nothing twice."""
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    text(
                        """
                        SELECT case_id, seq FROM cases
                        WHERE phase = 'archived' AND closed_at < :cutoff
                          AND state->'customer'->>'name' <> :anon
                        ORDER BY closed_at LIMIT :batch FOR UPDATE SKIP LOCKED
                        """
                    ),
                    {"cutoff": req.cutoff, "anon": ANONYMISED, "batch": req.batch},
                )
            ).all()
            now = datetime.now(UTC)
            for case_id, seq in rows:
                await conn.execute(
                    text(
                        """
                        UPDATE cases SET seq = :seq, updated_at = :now,
                          state = jsonb_set(jsonb_set(state, '{customer}',
                            (state->'customer') || jsonb_build_object(
                              'name', CAST(:anon AS text), 'phone', '',
                              'customer_id', NULL)),
                            '{description}', to_jsonb(CAST(:anon AS text)))
                        WHERE case_id = :case_id
                        """
                    ),
                    {"seq": seq + 1, "now": now, "anon": ANONYMISED, "case_id": case_id},
                )
                await conn.execute(
                    text(
                        """
                        INSERT INTO case_events
                          (case_id, seq, kind, at, actor_id, actor_role, summary, data)
                        VALUES (:case_id, :seq, 'anonymised', :now, 'system', 'admin',
                          :summary, CAST(:data AS jsonb))
                        ON CONFLICT ON CONSTRAINT uq_case_events_case_seq DO NOTHING
                        """
                    ),
                    {
                        "case_id": case_id,
                        "seq": seq + 1,
                        "now": now,
                        "summary": "personal data removed after the retention period",
                        "data": f'{{"run": "{req.run_key}"}}',
                    },
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
                {"key": req.run_key, "cutoff": req.cutoff, "n": len(rows), "now": now},
            )
        return len(rows)
