"""Where the guard against non-deterministic workflow code lives: in the tests' sandbox, not in
the production worker (worker.py says why). A workflow that reads the machine's clock fails
its workflow task in the runner the workflow tests use, and runs unchecked in the worker's."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.worker import Worker

from tests.sandbox import CHECKING_RUNNER
from tests.workflows.careless_clock import ReadsTheMachineClock
from worker import WORKFLOW_RUNNER


async def first_task_failure(handle) -> str:
    """The message of the workflow's first failed workflow task (waits for it to happen)."""
    while True:
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                return event.workflow_task_failed_event_attributes.failure.message
        await asyncio.sleep(0.1)


async def test_the_tests_sandbox_fails_a_workflow_that_reads_the_machine_clock(env):
    queue = f"guard-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[ReadsTheMachineClock],
        workflow_runner=CHECKING_RUNNER,
    ):
        handle = await env.client.start_workflow(
            ReadsTheMachineClock.run,
            id=f"careless-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
            run_timeout=timedelta(minutes=5),
        )
        message = await asyncio.wait_for(first_task_failure(handle), timeout=60)
        await handle.terminate("test finished")
    assert "datetime.datetime.now" in message


async def test_the_production_worker_does_not_check_it(env):
    queue = f"guard-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[ReadsTheMachineClock],
        workflow_runner=WORKFLOW_RUNNER,
    ):
        result = await env.client.execute_workflow(
            ReadsTheMachineClock.run,
            id=f"careless-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
            run_timeout=timedelta(minutes=5),
        )
    # It ran to the end on the machine's clock, unchecked: why the tests run the sandbox.
    assert datetime.fromisoformat(result).year >= 2026
