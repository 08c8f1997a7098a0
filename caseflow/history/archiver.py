"""Next to each worker: store the readable history of every case run of its task queue once
the run closes (archived, continued as new, terminated, failed or timed out).

Why a sweep of Temporal's visibility rather than a step in the workflow: a run cannot store its
own complete history (its closing event comes after its last command), a terminated run runs
no code at all, and a new command in the case workflows would change the history of every
running case (caseflow 0.2.0 is released: tests/histories must replay unchanged). The sweep
asks Temporal for the runs of this task queue's case workflows that closed since the latest
one stored (less an overlap, for visibility's lag), skips those stored already, and stores
the others oldest first, each keyed on (case id, run id): several workers may sweep at once,
and a run is stored once. A run that cannot be read now (Temporal unreachable) stops the sweep
there; the next sweep starts again from it, so nothing is skipped while Temporal still has it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import timedelta

from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError

from caseflow.domain.summaries import utc
from caseflow.history.decode import decode_tree
from caseflow.history.readable import readable_run, run_number
from caseflow.history.store import HistoryStore, StoredRun

log = logging.getLogger("caseflow.history.archiver")

# Visibility records a close a moment after the history does; a run whose record lags more
# than this behind a later one's would be missed by a sweep from the later one.
OVERLAP = timedelta(minutes=1)
BATCH = 200  # runs stored per sweep at most (a backlog drains over several sweeps)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "") + "'"


class HistoryArchiver:
    def __init__(
        self,
        client: Client,
        store: HistoryStore,
        task_queue: str,
        workflow_types: Iterable[str],
        *,
        batch: int = BATCH,
        overlap: timedelta = OVERLAP,
    ) -> None:
        self.client = client
        self.store = store
        self.task_queue = task_queue
        self.workflow_types = sorted(workflow_types)
        self.batch = batch
        self.overlap = overlap

    async def _closed_since(self) -> list[WorkflowExecution]:
        mark = await self.store.last_closed(self.task_queue)
        query = (
            f"TaskQueue = {_quoted(self.task_queue)} AND ExecutionStatus != 'Running' AND "
            f"WorkflowType IN ({', '.join(_quoted(t) for t in self.workflow_types)})"
        )
        if mark is not None:
            query += f" AND CloseTime >= {_quoted(utc(mark - self.overlap))}"
        found = [run async for run in self.client.list_workflows(query, page_size=1000)]
        stored = await self.store.stored([r.run_id for r in found])
        waiting = [r for r in found if r.run_id not in stored and r.close_time is not None]
        return sorted(waiting, key=lambda r: r.close_time)[: self.batch]

    async def sweep(self) -> int:
        """Store the runs closed since the last sweep; returns how many were stored."""
        stored = 0
        for execution in await self._closed_since():
            try:
                if await self.store_run(execution):
                    stored += 1
            except RPCError as err:
                log.warning(
                    "cannot read a closed run's history yet; the next sweep retries",
                    extra={"case_id": execution.id, "run_id": execution.run_id, "err": err.status},
                )
                break
        return stored

    async def store_run(self, execution: WorkflowExecution) -> bool:
        handle = self.client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        raw = history.to_json_dict().get("events", [])
        events = await decode_tree(raw, self.client.data_converter.payload_codec)
        run = run_number(events)
        done = await self.store.save(
            StoredRun(
                case_id=execution.id,
                run_id=execution.run_id,
                run=run,
                workflow_type=execution.workflow_type,
                task_queue=self.task_queue,
                status=execution.status.name.lower() if execution.status else "closed",
                started_at=execution.start_time,
                closed_at=execution.close_time,
                event_count=len(raw),
                events=readable_run(events, run, execution.run_id),
            )
        )
        if done:
            log.info(
                "run history stored",
                extra={"case_id": execution.id, "run": run, "events": len(raw)},
            )
        return done


async def archive_forever(archiver: HistoryArchiver, every: float) -> None:
    """Sweep every `every` seconds until cancelled; a failed sweep is logged and retried."""
    while True:
        try:
            await archiver.sweep()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep sweeping; the next one retries
            log.warning("history sweep failed", extra={"err": type(exc).__name__})
        await asyncio.sleep(every)


def start_history_archiver(archiver: HistoryArchiver, every: float) -> asyncio.Task:
    return asyncio.create_task(archive_forever(archiver, every), name="history-archiver")
