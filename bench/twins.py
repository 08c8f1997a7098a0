"""The raw Temporal twins caseflow is measured against, and the worker that runs them.

Defined once here (issue 13) so they cannot drift:

- `Trivial`: started, signalled, updated and queried directly — the baseline for intake
  (start) and actions (update).
- `Twin`: the same shape as a case's first task and its first deadline. On start it runs one
  local activity that writes one row to PostgreSQL in one transaction, then waits on one timer;
  when the timer fires it runs one local activity writing one row. With the timer a day away
  it is the twin of a case the worker opens (the sustained figure); with every twin's timer at
  one shared instant it is the twin of the post-holiday avalanche.

The twin worker runs in its own process (`python -m bench.twins --address ... --database-url
... --task-queue ...`), as caseflow's worker does, with caseflow's worker options
(`worker.worker_options`) and workflow runner, and without payload encryption.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import activity, workflow

TWIN_TABLE = """
CREATE TABLE IF NOT EXISTS bench_twin (
    id text NOT NULL,
    kind text NOT NULL,
    due_at timestamptz,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (id, kind)
)
"""
LA_TIMEOUT = timedelta(seconds=30)


@dataclass
class TwinInput:
    due_at: datetime  # when its one timer fires


@dataclass
class TwinRow:
    id: str
    kind: str  # "opened" (first task) or "fired" (the timer)
    due_at: datetime | None = None


@workflow.defn
class Trivial:
    def __init__(self) -> None:
        self.signals = 0

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.signals >= 2)
        return self.signals

    @workflow.signal
    def poke(self) -> None:
        self.signals += 1

    @workflow.update
    def bump(self) -> int:
        self.signals += 1
        return self.signals

    @workflow.query
    def count(self) -> int:
        return self.signals


@workflow.defn
class Twin:
    @workflow.run
    async def run(self, inp: TwinInput) -> None:
        wid = workflow.info().workflow_id
        await workflow.execute_local_activity(
            write_row, TwinRow(wid, "opened"), start_to_close_timeout=LA_TIMEOUT
        )
        delay = inp.due_at - workflow.now()
        if delay > timedelta(0):
            await workflow.sleep(delay)
        await workflow.execute_local_activity(
            write_row, TwinRow(wid, "fired", inp.due_at), start_to_close_timeout=LA_TIMEOUT
        )


_engine = None  # the twin worker's engine (set in main; activities are module functions)


@activity.defn
async def write_row(row: TwinRow) -> None:
    """One row in one transaction, idempotent like caseflow's record activity."""
    from sqlalchemy import text

    assert _engine is not None
    async with _engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO bench_twin (id, kind, due_at) VALUES (:id, :kind, :due_at) "
                "ON CONFLICT DO NOTHING"
            ),
            {"id": row.id, "kind": row.kind, "due_at": row.due_at},
        )


async def run_twin_worker(address: str, database_url: str, task_queue: str) -> None:
    global _engine
    from temporalio.client import Client
    from temporalio.worker import Worker

    from caseflow.db import make_engine
    from caseflow.settings import get_settings
    from caseflow.temporal import DATA_CONVERTER
    from worker import WORKFLOW_RUNNER, worker_options

    _engine = make_engine(database_url)
    client = await Client.connect(address, data_converter=DATA_CONVERTER)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[Trivial, Twin],
        activities=[write_row],
        workflow_runner=WORKFLOW_RUNNER,  # caseflow's: no sandbox
        **worker_options(get_settings()),
    )
    try:
        await worker.run()
    finally:
        await _engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description="run the raw Temporal twins' worker")
    parser.add_argument("--address", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_twin_worker(args.address, args.database_url, args.task_queue))


if __name__ == "__main__":
    main()
