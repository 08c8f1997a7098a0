"""The reconciler's activity: the read model's open cases against Temporal's runs, and the
lost ones marked (caseflow/reconcile.py says how; workflows/reconciler.py runs it on a
Schedule)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from temporalio import activity

from caseflow.domain import LostStatus, ReconcileRequest, ReconcileResult
from caseflow.reconcile import Run, verdicts

log = logging.getLogger(__name__)


class OpenCaseLike(Protocol):
    case_id: str
    seq: int
    opened_at: datetime


class OpenCaseStore(Protocol):
    async def open_cases(self) -> Sequence[OpenCaseLike]: ...

    async def mark_lost(
        self, case: OpenCaseLike, status: LostStatus, run_id: str | None, at: datetime
    ) -> bool: ...


class RunDirectory(Protocol):
    async def running_ids(self) -> set[str]: ...

    async def runs_of(self, case_ids: Sequence[str]) -> list[Run]: ...


class ReconcileActivities:
    def __init__(self, cases: OpenCaseStore, runs: RunDirectory) -> None:
        self.cases = cases
        self.runs = runs

    @activity.defn
    async def reconcile_cases(self, req: ReconcileRequest) -> ReconcileResult:
        """Mark every open case whose workflow ended (or is unknown to Temporal) as lost.
        Safe to repeat: a case is marked once, and only while nothing else moved it on."""
        # The read model first: a case filed after this list is not judged by this pass, and
        # every case on it was started in Temporal before it was recorded here.
        open_cases = {c.case_id: c for c in await self.cases.open_cases()}
        running = await self.runs.running_ids()
        suspects = [c for case_id, c in open_cases.items() if case_id not in running]
        activity.heartbeat(len(suspects))
        runs = await self.runs.runs_of([c.case_id for c in suspects]) if suspects else []
        lost = []
        for verdict in verdicts(
            [(c.case_id, c.opened_at) for c in suspects],
            runs,
            req.at,
            timedelta(seconds=req.grace_seconds),
        ):
            case = open_cases[verdict.case_id]
            if await self.cases.mark_lost(case, verdict.status, verdict.run_id, req.at):
                lost.append(case.case_id)
                log.warning(
                    "case lost: its workflow ended while the case is open",
                    extra={
                        "case_id": case.case_id,
                        "status": verdict.status.value,
                        "run_id": verdict.run_id or "",
                    },
                )
        return ReconcileResult(
            open_cases=len(open_cases), running=len(open_cases) - len(suspects), lost=lost
        )
