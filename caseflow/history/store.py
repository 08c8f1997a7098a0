"""The readable history of every closed run of a case, in PostgreSQL (`case_history_runs`).

Temporal keeps a closed run only for its namespace's retention (24 h on the dev server); the
records must live for years (000 §4.2). The worker's archiver (caseflow/history/archiver.py)
stores each run once it closes, keyed on (case id, run id): a retry, or a second worker, writes
nothing twice. The copy is decoded (the customer's data in clear, like the read model), so it
is covered like the read model: retention and erasure anonymise it
(caseflow/readmodel/erasure.py), the personal-data export includes it, and a run stored after
its case was anonymised is stored anonymised.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.history.readable import ReadableEvent
from caseflow.readmodel.erasure import ANONYMISED, anonymised_history

_events = TypeAdapter(list[ReadableEvent])


class StoredRun(BaseModel):
    case_id: str
    run_id: str
    run: int
    workflow_type: str
    task_queue: str
    status: str
    started_at: datetime
    closed_at: datetime
    event_count: int
    events: list[ReadableEvent]
    anonymised_at: datetime | None = None


class HistoryStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def save(self, run: StoredRun) -> bool:
        """Store a closed run once; False when it was stored before. The case's row is read
        FOR SHARE, so an erasure (which takes it FOR UPDATE) runs wholly before or after: a
        run stored after its case was anonymised is stored anonymised."""
        events = _events.dump_python(run.events, mode="json")
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            name = (
                await conn.execute(
                    text(
                        "SELECT state->'customer'->>'name' FROM cases WHERE case_id = :c FOR SHARE"
                    ),
                    {"c": run.case_id},
                )
            ).scalar_one_or_none()
            anonymised = name == ANONYMISED
            if anonymised:
                events = anonymised_history(events)
            inserted = await conn.execute(
                text(
                    """
                    INSERT INTO case_history_runs (case_id, run_id, run, workflow_type,
                      task_queue, status, started_at, closed_at, event_count, events, stored_at,
                      anonymised_at)
                    VALUES (:c, :r, :run, :wt, :q, :status, :started, :closed, :n,
                      CAST(:events AS jsonb), :now, :anon)
                    ON CONFLICT (case_id, run_id) DO NOTHING
                    """
                ),
                {
                    "c": run.case_id,
                    "r": run.run_id,
                    "run": run.run,
                    "wt": run.workflow_type,
                    "q": run.task_queue,
                    "status": run.status,
                    "started": run.started_at,
                    "closed": run.closed_at,
                    "n": run.event_count,
                    "events": json.dumps(events, ensure_ascii=False),
                    "now": now,
                    "anon": now if anonymised else None,
                },
            )
        return inserted.rowcount == 1

    async def runs(self, case_id: str) -> list[StoredRun]:
        """Every stored run of the case, oldest first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT case_id, run_id, run, workflow_type, task_queue, status, started_at, "
                    "closed_at, event_count, events, anonymised_at FROM case_history_runs "
                    "WHERE case_id = :c ORDER BY started_at, run"
                ),
                {"c": case_id},
            )
            return [StoredRun.model_validate(dict(r._mapping)) for r in rows]

    async def stored(self, run_ids: list[str]) -> set[str]:
        """Which of these runs are stored already."""
        if not run_ids:
            return set()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT run_id FROM case_history_runs WHERE run_id = ANY(:ids)"),
                {"ids": run_ids},
            )
            return {r.run_id for r in rows}

    async def last_closed(self, task_queue: str) -> datetime | None:
        """When the latest run stored from this task queue closed (the archiver's mark)."""
        async with self.engine.connect() as conn:
            return (
                await conn.execute(
                    text("SELECT max(closed_at) FROM case_history_runs WHERE task_queue = :q"),
                    {"q": task_queue},
                )
            ).scalar_one()
