"""Where the guard against non-deterministic workflow code lives: in the tests' sandbox, not in
the production worker (worker.py says why). A workflow that reads the machine's clock runs
unchecked in the worker's runner, and the runner the workflow tests use refuses it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from temporalio.worker import Replayer, Worker

from tests.sandbox import CHECKING_RUNNER
from tests.workflows.careless_clock import ReadsTheMachineClock
from worker import WORKFLOW_RUNNER


async def test_the_tests_sandbox_refuses_what_the_production_worker_runs_unchecked(env):
    queue = f"guard-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[ReadsTheMachineClock],
        workflow_runner=WORKFLOW_RUNNER,
    ):
        handle = await env.client.start_workflow(
            ReadsTheMachineClock.run,
            id=f"careless-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
            run_timeout=timedelta(minutes=5),
        )
        read = await handle.result()
    # The worker ran it to the end on the machine's clock.
    assert datetime.fromisoformat(read).year >= 2026

    # Replayed in the tests' sandbox (run on the shared server, a failing workflow task would
    # retry there until terminated), the same code fails at the clock.
    replayer = Replayer(workflows=[ReadsTheMachineClock], workflow_runner=CHECKING_RUNNER)
    result = await replayer.replay_workflow(
        await handle.fetch_history(), raise_on_replay_failure=False
    )
    assert "datetime.datetime.now" in str(result.replay_failure)
