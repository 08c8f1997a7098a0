"""Nothing diverges silently: the read model's open cases against Temporal's runs.

Temporal is the source of truth for a case's clock; the read model is what people look at. If
a case's workflow ends while the read model still shows the case open (someone terminated it
with the CLI, a bug failed it, a restore of Temporal's database lost it), nobody would be
warned of its deadlines again. The reconciler compares the two with Temporal's visibility
store, a page of up to 1 000 runs per call, never one describe per case:

1. the open cases in the read model (with the sequence number each was seen at);
2. the ids of every running case workflow (one visibility query, paged);
3. for the few open cases with no running workflow, every run Temporal knows of them (one
   query per 100 ids): a case is lost when its latest run was terminated, failed, timed out
   or cancelled. A run that ended by continue-as-new is never the verdict (its successor is
   the latest run, or about to be); a completed run means the case archived meanwhile; a case
   Temporal knows nothing of is missing once it is older than the grace period (a workflow
   started a moment ago may not be visible yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio.client import Client, WorkflowExecutionStatus

from caseflow.domain import LostStatus
from caseflow.domain.case_types import CASE_TYPES

PAGE_SIZE = 1000  # runs per visibility page
IDS_PER_QUERY = 100  # workflow ids per "WorkflowId IN (...)" query
CASE_WORKFLOW_TYPES = tuple(sorted({s.workflow for s in CASE_TYPES.values()}))

ENDED_LOST = {
    WorkflowExecutionStatus.TERMINATED: LostStatus.TERMINATED,
    WorkflowExecutionStatus.FAILED: LostStatus.FAILED,
    WorkflowExecutionStatus.TIMED_OUT: LostStatus.TIMED_OUT,
    WorkflowExecutionStatus.CANCELED: LostStatus.CANCELED,
}


@dataclass(frozen=True)
class Run:
    """One run of a case's workflow as visibility lists it."""

    workflow_id: str
    run_id: str
    status: WorkflowExecutionStatus
    start_time: datetime


@dataclass(frozen=True)
class Verdict:
    case_id: str
    status: LostStatus
    run_id: str | None  # the run that ended (None: missing)


SAFE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,200}")  # case numbers: no quote can end a literal


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values if SAFE_ID.fullmatch(v))


def latest_runs(runs: Iterable[Run]) -> dict[str, Run]:
    """Each workflow id's latest run (by start time; a continued or revived run starts after
    the run before it)."""
    latest: dict[str, Run] = {}
    for run in runs:
        seen = latest.get(run.workflow_id)
        if seen is None or (run.start_time, run.run_id) > (seen.start_time, seen.run_id):
            latest[run.workflow_id] = run
    return latest


def verdicts(
    suspects: Sequence[tuple[str, datetime]],
    runs: Iterable[Run],
    now: datetime,
    grace: timedelta,
) -> list[Verdict]:
    """Which of the open cases that have no running workflow are lost. `suspects`: (case id,
    opened at); `runs`: every run visibility knows of those ids."""
    latest = latest_runs(runs)
    found = []
    for case_id, opened_at in suspects:
        run = latest.get(case_id)
        if run is None:
            if opened_at <= now - grace:
                found.append(Verdict(case_id, LostStatus.MISSING, None))
            continue
        status = ENDED_LOST.get(run.status)
        if status is not None:
            found.append(Verdict(case_id, status, run.run_id))
        # RUNNING (started since step 2), CONTINUED_AS_NEW (its successor is starting) and
        # COMPLETED (archived since step 1) are not lost.
    return found


class TemporalRuns:
    """Visibility queries through the worker's client (its namespace)."""

    def __init__(self, client: Client, workflow_types: Sequence[str] = CASE_WORKFLOW_TYPES):
        self.client = client
        self.types = _quoted(workflow_types)

    async def running_ids(self) -> set[str]:
        query = f"ExecutionStatus = 'Running' AND WorkflowType IN ({self.types})"
        return {w.id async for w in self.client.list_workflows(query, page_size=PAGE_SIZE)}

    async def runs_of(self, case_ids: Sequence[str]) -> list[Run]:
        runs: list[Run] = []
        ids = [c for c in case_ids if SAFE_ID.fullmatch(c)]
        for i in range(0, len(ids), IDS_PER_QUERY):
            batch = ids[i : i + IDS_PER_QUERY]
            query = f"WorkflowId IN ({_quoted(batch)})"
            async for w in self.client.list_workflows(query, page_size=PAGE_SIZE):
                if w.status is not None:
                    runs.append(Run(w.id, w.run_id, w.status, w.start_time))
        return runs
