"""The Schedules the worker creates, on the real dev server: the quarterly report beside the
monthly one, in the policy's time zone, retention in calendar years, and the reconciler every
few minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseflow.settings import Settings
from workflows.maintenance import RetentionInput
from workflows.reconciler import ReconcileInput
from workflows.schedules import (
    MONTHLY_REPORT_ID,
    QUARTERLY_REPORT_ID,
    RECONCILE_ID,
    RETENTION_ID,
    ensure_schedules,
)

pytestmark = pytest.mark.integration


async def test_report_retention_and_reconciler_schedules(temporal_env):
    client = temporal_env.client
    settings = Settings(task_queue="sched-test", reconcile_minutes=3, reconcile_grace_seconds=90)
    await ensure_schedules(client, settings, "Asia/Shanghai")
    await ensure_schedules(client, settings, "Asia/Shanghai")  # again
    try:
        quarterly = await client.get_schedule_handle(QUARTERLY_REPORT_ID).describe()
        spec = quarterly.schedule.spec
        assert spec.time_zone_name == "Asia/Shanghai"
        (calendar,) = spec.calendars
        months = [
            m for r in calendar.month for m in range(r.start, (r.end or r.start) + 1, r.step or 1)
        ]
        assert months == [1, 4, 7, 10]
        assert [r.start for r in calendar.day_of_month] == [1]
        assert [r.start for r in calendar.hour] == [2]
        retention = await client.get_schedule_handle(RETENTION_ID).describe()
        (arg,) = await client.data_converter.decode(
            retention.schedule.action.args, [RetentionInput]
        )
        assert arg == RetentionInput(years=3)
        reconcile = await client.get_schedule_handle(RECONCILE_ID).describe()
        (interval,) = reconcile.schedule.spec.intervals
        assert interval.every == timedelta(minutes=3)
        (arg,) = await client.data_converter.decode(
            reconcile.schedule.action.args, [ReconcileInput]
        )
        assert arg == ReconcileInput(grace_seconds=90)
    finally:
        for schedule_id in (MONTHLY_REPORT_ID, QUARTERLY_REPORT_ID, RETENTION_ID, RECONCILE_ID):
            await client.get_schedule_handle(schedule_id).delete()
