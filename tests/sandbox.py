"""The workers the workflow tests run: caseflow's, on the time-skipping server, with every
workflow module in the SDK's full sandbox.

The production worker runs case workflows without a sandbox (worker.py says why: it passed
every workflow module through, so its restrictions guarded nothing of caseflow's). Here every
workflow module is imported inside the sandbox, so a non-deterministic call in workflow code
(the machine's clock, random, I/O) fails the test that reaches it, as the replay tests'
`Replayer` (whose default is this same sandbox) fails a history that reaches it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from caseflow.policy import PolicyBook
from worker import build_worker

CHECKING_RUNNER = SandboxedWorkflowRunner()


def checked_worker(
    client: Client,
    engine: AsyncEngine,
    task_queue: str,
    book: PolicyBook | None = None,
    **options,
) -> Worker:
    """`worker.build_worker` for the time-skipping server, its workflows in the full sandbox."""
    return build_worker(
        client,
        engine,
        task_queue,
        book,
        time_skipping_server=True,
        workflow_runner=CHECKING_RUNNER,
        **options,
    )
