"""The scheduled housekeeping workflows: the monthly report and records retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import text

from tests.conftest import delete_cases
from workflows.maintenance import (
    MonthlyReportInput,
    MonthlyReportWorkflow,
    RetentionInput,
    RetentionWorkflow,
)


@pytest_asyncio.fixture(autouse=True)
async def _cleanup(db_engine):
    yield
    await delete_cases(db_engine, "CMP-R-")


async def _archived_case(engine, closed_at: datetime) -> str:
    case_id = f"CMP-R-{uuid.uuid4().hex[:8]}"
    state = (
        '{"customer": {"name": "赵六", "phone": "13711112222", "customer_id": "X1", '
        '"tier": "standard"}, "description": "home address: 1 Nanjing Road"}'
    )
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (case_id, case_type, phase, channel, tier, escalation_level, "
                "breached, warned, policy_version, seq, reopen_count, opened_at, updated_at, "
                "closed_at, state) VALUES (:c, 'complaint', 'archived', 'sms', 'standard', 1, "
                "false, false, '2026.1', 7, 0, :at, :at, :at, CAST(:s AS jsonb))"
            ),
            {"c": case_id, "at": closed_at, "s": state},
        )
    return case_id


async def test_retention_anonymises_expired_cases_once_with_an_audit_entry(harness):
    now = await harness.env.get_current_time()
    old = await _archived_case(harness.engine, now - timedelta(days=4 * 365))
    recent = await _archived_case(harness.engine, now - timedelta(days=30))
    client = harness.env.client
    first = await client.execute_workflow(
        RetentionWorkflow.run,
        RetentionInput(retention_days=3 * 365),
        id=f"ret-{uuid.uuid4().hex[:6]}",
        task_queue=harness.task_queue,
    )
    again = await client.execute_workflow(
        RetentionWorkflow.run,
        RetentionInput(retention_days=3 * 365),
        id=f"ret-{uuid.uuid4().hex[:6]}",
        task_queue=harness.task_queue,
    )
    assert first >= 1 and again == 0
    async with harness.engine.connect() as conn:
        rows = dict(
            (
                await conn.execute(
                    text("SELECT case_id, state FROM cases WHERE case_id IN (:a, :b)"),
                    {"a": old, "b": recent},
                )
            ).all()
        )
        events = (
            await conn.execute(
                text("SELECT kind, seq FROM case_events WHERE case_id = :c"), {"c": old}
            )
        ).all()
    assert rows[old]["customer"]["name"] == "(anonymised)"
    assert rows[old]["customer"]["phone"] == "" and rows[old]["customer"]["customer_id"] is None
    assert "Nanjing" not in rows[old]["description"]
    assert rows[recent]["customer"]["name"] == "赵六"
    assert events == [("anonymised", 8)]


async def test_monthly_report_for_the_previous_month(harness):
    now = (await harness.env.get_current_time()).astimezone(UTC)
    month = await harness.env.client.execute_workflow(
        MonthlyReportWorkflow.run,
        MonthlyReportInput(),
        id=f"rep-{uuid.uuid4().hex[:6]}",
        task_queue=harness.task_queue,
    )
    local = now + timedelta(hours=8)
    expected = (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert month == expected
    async with harness.engine.connect() as conn:
        csv = (
            await conn.execute(
                text("SELECT csv FROM monthly_reports WHERE month = :m"), {"m": month}
            )
        ).scalar_one()
    assert csv.startswith("period_start,") and "resolution_rate" in csv
