"""Workflows run by Temporal Schedules: the monthly and quarterly reports, records retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.maintenance import MaintenanceActivities
    from caseflow.domain import MonthlyReportRequest, QuarterlyReportRequest, RetentionRequest

from workflows.lifecycle.recording import RECORD_RETRY


@dataclass
class MonthlyReportInput:
    month: str | None = None  # "2026-10"; None = the month before the scheduled run


@workflow.defn
class MonthlyReportWorkflow:
    @workflow.run
    async def run(self, inp: MonthlyReportInput) -> str:
        # Which month "last month" is depends on the policy's time zone: the activity knows it.
        month = await workflow.execute_activity_method(
            MaintenanceActivities.generate_monthly_report,
            MonthlyReportRequest(month=inp.month, at=workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RECORD_RETRY,
        )
        workflow.logger.info("monthly report generated", extra={"month": month})
        return month


@dataclass
class QuarterlyReportInput:
    quarter: str | None = None  # "2026-Q3"; None = the quarter before the scheduled run


@workflow.defn
class QuarterlyReportWorkflow:
    @workflow.run
    async def run(self, inp: QuarterlyReportInput) -> str:
        quarter = await workflow.execute_activity_method(
            MaintenanceActivities.generate_quarterly_report,
            QuarterlyReportRequest(quarter=inp.quarter, at=workflow.now()),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RECORD_RETRY,
        )
        workflow.logger.info("quarterly report generated", extra={"quarter": quarter})
        return quarter


@dataclass
class RetentionInput:
    years: int = 3  # full calendar years in the policy's zone (leap days included)


@workflow.defn
class RetentionWorkflow:
    @workflow.run
    async def run(self, inp: RetentionInput) -> int:
        # One instant for every batch of the run, so a run that crosses midnight cuts once.
        at = workflow.now()
        total = 0
        while True:  # batches keep each activity short; the loop ends when nothing is left
            done = await workflow.execute_activity_method(
                MaintenanceActivities.anonymise_expired,
                RetentionRequest(
                    run_key=workflow.info().workflow_id + "/" + workflow.info().run_id,
                    at=at,
                    years=inp.years,
                ),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RECORD_RETRY,
            )
            total += done
            if done == 0:
                return total
