"""The caseflow worker: runs every case workflow and the activities they call.

Scale out by starting more workers on the same task queue (`python -m worker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.cases import CaseActivities
from activities.clock import ClockActivities
from activities.maintenance import MaintenanceActivities
from activities.records import RecordActivities
from caseflow.db import make_engine
from caseflow.logging import setup_logging
from caseflow.notify.delivery import start_delivery_task
from caseflow.policy import PolicyBook, PolicyError, get_policy_book
from caseflow.provisioning import PostgresProvisioning, ProvisioningPort
from caseflow.schedules import ensure_schedules
from caseflow.settings import Settings, get_settings
from caseflow.temporal import connect, metrics_runtime
from workflows.registry import ALL_WORKFLOWS

log = logging.getLogger("caseflow.worker")

# The sandbox re-imports a workflow's module for every case it opens. The shared lifecycle is
# large and pure (no I/O, time only from workflow.now()), so it is passed through: opening a
# case then costs a fraction of the CPU. The replay tests still run it in the full sandbox.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows.lifecycle")
)


def build_worker(
    client: Client,
    engine: AsyncEngine,
    task_queue: str,
    book: PolicyBook | None = None,
    provisioning: ProvisioningPort | None = None,
    **options,
) -> Worker:
    """A worker with every workflow and activity registered (also used by the tests)."""
    clock = ClockActivities(book)
    records = RecordActivities(engine)
    cases = CaseActivities(engine, provisioning or PostgresProvisioning(engine))
    maintenance = MaintenanceActivities(engine)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=ALL_WORKFLOWS,
        workflow_runner=options.pop("workflow_runner", WORKFLOW_RUNNER),
        activities=[*clock.all(), *records.all(), *cases.all(), *maintenance.all()],
        # Activities are async: they run on the event loop, no thread pool needed.
        max_concurrent_activities=200,
        **options,
    )


async def run_worker(settings: Settings) -> None:
    book = get_policy_book()  # fails loudly at start if the policy files are invalid
    runtime = (
        metrics_runtime(settings.worker_metrics_address)
        if settings.worker_metrics_address
        else None
    )
    client = await connect(settings, runtime)
    engine = make_engine(settings.database_url)
    if settings.schedules:
        await ensure_schedules(client, settings)
    worker = build_worker(client, engine, settings.task_queue, book)
    # The outbox is delivered next to the worker; several workers share it safely.
    delivery = start_delivery_task(engine)
    log.info(
        "worker started",
        extra={
            "task_queue": settings.task_queue,
            "temporal": settings.temporal_address,
            "policy_version": book.active_version,
        },
    )
    try:
        await worker.run()
    finally:
        delivery.cancel()
        await engine.dispose()


def main() -> None:
    settings = get_settings()
    setup_logging(settings)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_worker(settings))
    except PolicyError as exc:
        log.error("cannot start: %s", exc)
        sys.exit(2)


if __name__ == "__main__":
    main()
