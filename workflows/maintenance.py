"""Workflows run by Temporal Schedules: the monthly report and records retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import ActivityName, RetentionRequest

from workflows.lifecycle import RECORD_RETRY

LOCAL_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no DST: months are cut at local midnight


@dataclass
class MonthlyReportInput:
    month: str | None = None  # "2026-10"; None = the month before the scheduled run


@workflow.defn
class MonthlyReportWorkflow:
    @workflow.run
    async def run(self, inp: MonthlyReportInput) -> str:
        month = inp.month
        if month is None:
            local = workflow.now() + LOCAL_OFFSET
            year, mon = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
            month = f"{year:04d}-{mon:02d}"
        total = await workflow.execute_activity(
            ActivityName.GENERATE_MONTHLY_REPORT,
            month,
            result_type=int,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RECORD_RETRY,
        )
        workflow.logger.info("monthly report generated", extra={"month": month, "cases": total})
        return month


@dataclass
class RetentionInput:
    retention_days: int = 3 * 365


@workflow.defn
class RetentionWorkflow:
    @workflow.run
    async def run(self, inp: RetentionInput) -> int:
        cutoff = workflow.now() - timedelta(days=inp.retention_days)
        total = 0
        while True:  # batches keep each activity short; the loop ends when nothing is left
            done = await workflow.execute_activity(
                ActivityName.ANONYMISE_EXPIRED,
                RetentionRequest(
                    run_key=workflow.info().workflow_id + "/" + workflow.info().run_id,
                    cutoff=cutoff,
                ),
                result_type=int,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RECORD_RETRY,
            )
            total += done
            if done == 0:
                return total
