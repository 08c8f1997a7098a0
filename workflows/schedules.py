"""The Temporal Schedules caseflow relies on, created idempotently at worker start."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleRange,
    ScheduleSpec,
)

from caseflow.settings import Settings
from workflows.maintenance import (
    MonthlyReportInput,
    MonthlyReportWorkflow,
    QuarterlyReportInput,
    QuarterlyReportWorkflow,
    RetentionInput,
    RetentionWorkflow,
)
from workflows.reconciler import ReconcileInput, ReconcileWorkflow

log = logging.getLogger(__name__)
MONTHLY_REPORT_ID = "caseflow-monthly-report"
QUARTERLY_REPORT_ID = "caseflow-quarterly-report"
RETENTION_ID = "caseflow-retention"
RECONCILE_ID = "caseflow-reconcile"


async def ensure_schedules(client: Client, settings: Settings, timezone: str) -> None:
    """Create the Schedules if missing; their calendars run in the policy's `timezone`."""
    tz = timezone
    schedules = {
        # 01:00 on the 1st of each month: last month's statistics.
        MONTHLY_REPORT_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                MonthlyReportWorkflow.run,
                MonthlyReportInput(),
                id=f"{MONTHLY_REPORT_ID}-run",
                task_queue=settings.task_queue,
            ),
            spec=ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(
                        day_of_month=[ScheduleRange(1)],
                        hour=[ScheduleRange(1)],
                        minute=[ScheduleRange(0)],
                        second=[ScheduleRange(0)],
                    )
                ],
                time_zone_name=tz,
            ),
        ),
        # 02:00 on the 1st of January, April, July and October: last quarter's statistics.
        QUARTERLY_REPORT_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                QuarterlyReportWorkflow.run,
                QuarterlyReportInput(),
                id=f"{QUARTERLY_REPORT_ID}-run",
                task_queue=settings.task_queue,
            ),
            spec=ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(
                        month=[ScheduleRange(1, 10, 3)],
                        day_of_month=[ScheduleRange(1)],
                        hour=[ScheduleRange(2)],
                        minute=[ScheduleRange(0)],
                        second=[ScheduleRange(0)],
                    )
                ],
                time_zone_name=tz,
            ),
        ),
        # 03:00 every day: anonymise what passed the retention period.
        RETENTION_ID: Schedule(
            action=ScheduleActionStartWorkflow(
                RetentionWorkflow.run,
                RetentionInput(years=settings.retention_years),
                id=f"{RETENTION_ID}-run",
                task_queue=settings.task_queue,
            ),
            spec=ScheduleSpec(
                calendars=[
                    ScheduleCalendarSpec(
                        hour=[ScheduleRange(3)],
                        minute=[ScheduleRange(0)],
                        second=[ScheduleRange(0)],
                    )
                ],
                time_zone_name=tz,
            ),
        ),
    }
    if settings.reconcile_minutes:
        # Every few minutes: the read model's open cases against Temporal's runs. A pass still
        # running when the next is due makes the next one skip (the Schedule's default).
        schedules[RECONCILE_ID] = Schedule(
            action=ScheduleActionStartWorkflow(
                ReconcileWorkflow.run,
                ReconcileInput(grace_seconds=settings.reconcile_grace_seconds),
                id=f"{RECONCILE_ID}-run",
                task_queue=settings.task_queue,
            ),
            spec=ScheduleSpec(
                intervals=[
                    ScheduleIntervalSpec(every=timedelta(minutes=settings.reconcile_minutes))
                ]
            ),
        )
    for schedule_id, schedule in schedules.items():
        try:
            await client.create_schedule(schedule_id, schedule)
            log.info("schedule created", extra={"schedule": schedule_id})
        except ScheduleAlreadyRunningError:
            log.debug("schedule exists", extra={"schedule": schedule_id})
