"""The scheduled housekeeping workflows: the monthly report and records retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import text

from caseflow.attachments import AttachmentRecords
from caseflow.attachments.postgres import PostgresBlobStore
from caseflow.domain import RetentionRequest
from caseflow.readmodel.maintenance import Retention
from tests.db.rows import delete_rows, insert_customer_case, tables_holding
from workflows.maintenance import (
    MonthlyReportInput,
    MonthlyReportWorkflow,
    QuarterlyReportInput,
    QuarterlyReportWorkflow,
    RetentionInput,
    RetentionWorkflow,
)

PREFIX = "CMP-R-"


@pytest_asyncio.fixture(autouse=True)
async def _cleanup(db_engine):
    yield
    await delete_rows(db_engine, PREFIX)


async def _retain(harness, years: int = 3) -> int:
    return await harness.env.client.execute_workflow(
        RetentionWorkflow.run,
        RetentionInput(years=years),
        id=f"ret-{uuid.uuid4().hex[:6]}",
        task_queue=harness.task_queue,
    )


async def test_retention_anonymises_every_copy_once_with_an_audit_entry(harness):
    now = await harness.env.get_current_time()
    blobs = PostgresBlobStore(harness.engine)
    old, recent = f"{PREFIX}{uuid.uuid4().hex[:8]}", f"{PREFIX}{uuid.uuid4().hex[:8]}"
    # Unique to this test, so what other tests leave in the database cannot answer for it.
    name, phone = f"留存{uuid.uuid4().hex[:4]}", f"1370{uuid.uuid4().int % 10**7:07d}"
    other_name, other_phone = f"近期{uuid.uuid4().hex[:4]}", f"1371{uuid.uuid4().int % 10**7:07d}"
    await insert_customer_case(harness.engine, blobs, old, name, phone, now - timedelta(days=1200))
    await insert_customer_case(
        harness.engine, blobs, recent, other_name, other_phone, now - timedelta(days=30)
    )
    assert set(await tables_holding(harness.engine, [name, phone])) >= {
        "cases",
        "case_events",
        "notifications",
        "subscriptions",
        "attachments",
        "attachment_blobs",
        "case_history_runs",
    }

    assert await _retain(harness) >= 1  # other tests may leave expired cases too
    # Not a trace of the customer left in any table, attachment bytes included.
    assert await tables_holding(harness.engine, [name, phone]) == {}
    # The recent case keeps everything.
    assert "cases" in await tables_holding(harness.engine, [other_name, other_phone])
    async with harness.engine.connect() as conn:
        state = (
            await conn.execute(text("SELECT state FROM cases WHERE case_id = :c"), {"c": old})
        ).scalar_one()
        events = (
            await conn.execute(
                text("SELECT kind, seq, actor_id FROM case_events WHERE case_id = :c ORDER BY seq"),
                {"c": old},
            )
        ).all()
        notifications = (
            (
                await conn.execute(
                    text("SELECT status FROM notifications WHERE case_id = :c ORDER BY idx"),
                    {"c": old},
                )
            )
            .scalars()
            .all()
        )
        erased = (
            (
                await conn.execute(
                    text("SELECT erased_at IS NOT NULL FROM attachments WHERE case_id = :c"),
                    {"c": old},
                )
            )
            .scalars()
            .all()
        )
    assert state["customer"]["name"] == "(anonymised)" and state["customer"]["customer_id"] is None
    assert state["satisfaction"]["satisfaction"] == "satisfied"  # figures stay countable
    # Who did what and when stays; one anonymisation event closes the trail.
    assert [(k, s) for k, s, _ in events] == [
        ("intake", 1),
        ("note", 2),
        ("resolved", 3),
        ("archived", 4),
        ("anonymised", 5),
    ]
    assert events[1][2] == "agent.cs"
    # The stored readable history of its run: who did what and when stays, marked anonymised.
    async with harness.engine.connect() as conn:
        run = (
            await conn.execute(
                text("SELECT events, anonymised_at FROM case_history_runs WHERE case_id = :c"),
                {"c": old},
            )
        ).one()
    assert run.anonymised_at is not None
    assert [(e["kind"], e["actor"]) for e in run.events] == [
        ("filed", "channel.hotline"),
        ("update", "agent.cs"),
        ("recorded", "agent.cs"),
        ("update", "agent.cs"),
    ]
    assert run.events[2]["recorded"][0]["seq"] == 2
    assert notifications == ["sent", "cancelled"]
    assert erased == [True]
    assert (
        await blobs.get((await AttachmentRecords(harness.engine, blobs).for_case(old))[0].id)
        is None
    )


async def test_retention_waits_three_full_calendar_years_and_never_repeats(db_engine):
    """Through the activity's store at fixed instants (the time-skipping server moves its
    clock between workflow runs): closed on 6 March 2027 at 10:00 in Shanghai, a case is
    kept past 1 095 × 24 h, because 2028 has a 29 February, until 6 March 2030 has passed."""
    blobs = PostgresBlobStore(db_engine)
    retention = Retention(db_engine, "Asia/Shanghai", blobs)
    case_id = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    name, phone = f"甲{uuid.uuid4().hex[:4]}", f"1300{uuid.uuid4().int % 10**7:07d}"
    closed = datetime(2027, 3, 6, 2, tzinfo=UTC)
    await insert_customer_case(db_engine, blobs, case_id, name, phone, closed)

    async def run(at: datetime) -> int:
        return await retention.anonymise_batch(RetentionRequest(f"t-{uuid.uuid4()}", at, 3))

    # 6 March 2030, 03:00 local: 1 095 days and 17 hours after closing, not yet three years.
    # (The count may include other tests' cases closed in 2026 in the shared database, so the
    # case itself is what is checked.)
    await run(datetime(2030, 3, 5, 19, tzinfo=UTC))
    assert "cases" in await tables_holding(db_engine, [name])
    # 7 March 2030, 03:00 local: the anniversary has passed; once, and never again.
    assert await run(datetime(2030, 3, 6, 19, tzinfo=UTC)) >= 1
    assert await run(datetime(2030, 3, 6, 19, tzinfo=UTC)) == 0
    assert await tables_holding(db_engine, [name, phone]) == {}


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
    assert csv.startswith(f"period,{month}") and "resolution_rate" in csv


async def test_quarterly_report_for_the_previous_quarter(harness):
    now = (await harness.env.get_current_time()).astimezone(UTC)
    quarter = await harness.env.client.execute_workflow(
        QuarterlyReportWorkflow.run,
        QuarterlyReportInput(),
        id=f"qrep-{uuid.uuid4().hex[:6]}",
        task_queue=harness.task_queue,
    )
    local = now + timedelta(hours=8)  # the packaged policy's zone, Asia/Shanghai
    q = (local.month - 1) // 3  # this quarter, 0-based; the previous one is q (1-based)
    expected = f"{local.year}-Q{q}" if q else f"{local.year - 1}-Q4"
    assert quarter == expected
    async with harness.engine.connect() as conn:
        csv = (
            await conn.execute(
                text("SELECT csv FROM quarterly_reports WHERE quarter = :q"), {"q": quarter}
            )
        ).scalar_one()
    assert csv.startswith(f"period,{quarter}") and "first_contact_rate" in csv
