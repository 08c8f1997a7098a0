"""The reconciler, run by a Temporal Schedule every few minutes (workflows/schedules.py): the
read model's open cases against Temporal's runs; a case whose workflow ended while it is open
is marked lost, and supervisors are alerted (caseflow/reconcile.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.reconcile import ReconcileActivities
    from caseflow.domain import ReconcileRequest, ReconcileResult

# A pass that keeps failing gives way to the next scheduled one.
RECONCILE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=1), maximum_attempts=3
)


@dataclass
class ReconcileInput:
    grace_seconds: int = 300  # how old a case Temporal knows nothing of must be to count


@workflow.defn
class ReconcileWorkflow:
    @workflow.run
    async def run(self, inp: ReconcileInput) -> ReconcileResult:
        result = await workflow.execute_activity_method(
            ReconcileActivities.reconcile_cases,
            ReconcileRequest(at=workflow.now(), grace_seconds=inp.grace_seconds),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RECONCILE_RETRY,
        )
        if result.lost:
            workflow.logger.warning(
                "lost cases marked", extra={"lost": len(result.lost), "open": result.open_cases}
            )
        return result
