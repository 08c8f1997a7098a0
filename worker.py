"""The caseflow worker: runs every case workflow and the activities they call.

Scale out by starting more workers on the same task queue (`python -m worker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.cases import CaseActivities, Provisioning
from activities.clock import ClockActivities
from activities.maintenance import MaintenanceActivities
from activities.reconcile import ReconcileActivities
from activities.records import RecordActivities
from caseflow.attachments import build_blob_store
from caseflow.case_numbers import CaseNumbers
from caseflow.claim_interceptors import VerifyClaims
from caseflow.db import make_engine
from caseflow.domain.case_types import CASE_TYPES
from caseflow.health_server import start_health_server
from caseflow.history.archiver import HistoryArchiver, start_history_archiver
from caseflow.history.store import HistoryStore
from caseflow.logging import setup_logging
from caseflow.notify.delivery import start_delivery_task
from caseflow.policy import PolicyBook, PolicyError, get_policy_book
from caseflow.provisioning import PostgresProvisioning
from caseflow.readmodel.lost import LostCases
from caseflow.readmodel.maintenance import Retention, StatisticsReports
from caseflow.readmodel.queries import OutageQueries
from caseflow.readmodel.writes import ReadModelWriter
from caseflow.reconcile import TemporalRuns
from caseflow.settings import SettingError, Settings, get_settings
from caseflow.temporal import connect, metrics_runtime
from workflows.registry import ALL_WORKFLOWS, CASE_WORKFLOW_TYPES
from workflows.schedules import ensure_schedules

log = logging.getLogger("caseflow.worker")

# Case workflows run without the SDK's sandbox in the worker. The sandbox's restrictions only
# guard code it imports itself, and the worker passed every workflow module through (it
# re-imported them for every case it opened or replayed: 30 % of the worker's CPU), so they
# guarded nothing of caseflow's; what was left cost a sandbox `exec` for every payload of every
# activation and completion, on each of the SDK's three passes over them. Measured on the
# 2-core machine (a committed history replayed as after an eviction, the encryption codec on):
# an escalated complaint took 82 ms of CPU in the passed-through sandbox and 45 ms without it.
# The guard lives in the tests instead: the workflow tests' workers and the replay tests run
# every workflow module in the full sandbox (`tests/sandbox.py`), whose restrictions fail a
# non-deterministic call.
WORKFLOW_RUNNER = UnsandboxedWorkflowRunner()


def worker_options(settings: Settings) -> dict:
    """Slots, pollers and cache of a caseflow worker (the benchmark's raw twins use the same)."""
    return {
        # Activities are async: they run on the event loop, no thread pool needed.
        "max_concurrent_activities": 200,
        "max_cached_workflows": settings.worker_cached_cases,
    }


def history_archiver(client: Client, engine: AsyncEngine, task_queue: str) -> HistoryArchiver:
    """Stores the readable history of this task queue's case runs once they close."""
    workflows = {spec.workflow for spec in CASE_TYPES.values()}
    return HistoryArchiver(client, HistoryStore(engine), task_queue, workflows)


def claim_checks(settings: Settings | None = None, time_skipping_server: bool = False):
    """Every actor a case records is one the API authenticated (caseflow/claims.py). Part of
    the case workflows' code: its `signed-claims` patch marker is in their histories, so a
    Replayer needs it (and the claim keys) as much as a worker does."""
    settings = settings or get_settings()
    return VerifyClaims(
        settings.claim_key_ring(), CASE_WORKFLOW_TYPES, time_skipping_server=time_skipping_server
    )


def build_worker(
    client: Client,
    engine: AsyncEngine,
    task_queue: str,
    book: PolicyBook | None = None,
    provisioning: Provisioning | None = None,
    settings: Settings | None = None,
    **options,
) -> Worker:
    """A worker with every workflow and activity registered (also used by the tests)."""
    book = book or get_policy_book()
    timezone = book.active.timezone
    clock = ClockActivities(book)
    records = RecordActivities(ReadModelWriter(engine))
    cases = CaseActivities(
        CaseNumbers(engine, timezone),
        provisioning or PostgresProvisioning(engine),
        OutageQueries(engine),
    )
    settings = settings or get_settings()
    maintenance = MaintenanceActivities(
        StatisticsReports(engine, timezone, settings.customer_base, settings.customer_base_months),
        Retention(engine, timezone, build_blob_store(settings, engine)),
    )
    # The reconciler asks Temporal's visibility through the worker's own client.
    reconcile = ReconcileActivities(LostCases(engine), TemporalRuns(client))
    verify = claim_checks(settings, options.pop("time_skipping_server", False))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=ALL_WORKFLOWS,
        interceptors=[verify, *options.pop("interceptors", [])],
        workflow_runner=options.pop("workflow_runner", WORKFLOW_RUNNER),
        **{**worker_options(settings), **options},
        activities=[
            clock.resolve_policy,
            clock.plan_window,
            clock.next_working_instant,
            records.record_transition,
            cases.allocate_case_number,
            cases.terminate_services,
            cases.outage_status,
            maintenance.generate_monthly_report,
            maintenance.generate_quarterly_report,
            maintenance.anonymise_expired,
            reconcile.reconcile_cases,
        ],
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
        await ensure_schedules(client, settings, book.active.timezone)
    worker = build_worker(client, engine, settings.task_queue, book, settings=settings)
    # The outbox is delivered next to the worker; several workers share it safely.
    delivery = start_delivery_task(engine, timezone=book.active.timezone)
    # So is the store of each closed run's readable history (keyed on case and run).
    archiver = (
        start_history_archiver(
            history_archiver(client, engine, settings.task_queue), settings.history_archive_seconds
        )
        if settings.history_archive_seconds
        else None
    )
    # GET /healthz for liveness probes: 200 while the worker polls and the outbox is delivered.
    health = (
        await start_health_server(
            settings.worker_health_address, lambda: worker.is_running and not delivery.done()
        )
        if settings.worker_health_address
        else None
    )
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
        if archiver is not None:
            archiver.cancel()
        if health is not None:
            health.close()
        await engine.dispose()


def main() -> None:
    settings = get_settings()
    setup_logging(settings)
    # `docker stop` / Kubernetes send SIGTERM: treat it as Ctrl-C, which asyncio turns into a
    # cancellation, so the worker shuts down gracefully instead of dying mid-task.
    signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_worker(settings))
    except (PolicyError, SettingError) as exc:
        log.error("cannot start: %s", exc)
        sys.exit(2)


if __name__ == "__main__":
    main()
