"""The outbox figures in /metrics against real PostgreSQL: what waits, how long the longest-due
row has waited (rows scheduled for later do not count), and what was given up on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import text

from caseflow.metrics import collect
from caseflow.notify.delivery import DeliveryWorker
from tests.conftest import delete_cases

PREFIX = "CMP-OBX-"


class Accepting:
    """A gateway that takes everything."""

    async def send(self, channel, recipient, subject, body) -> None:
        return None


@pytest_asyncio.fixture
async def engine(db_engine):
    # Due rows other tests left would age the figures: send them out of the way first.
    while await DeliveryWorker(db_engine, Accepting()).run_once(1000):
        pass
    yield db_engine
    await delete_cases(db_engine, PREFIX)


async def _outbox_figures(engine) -> dict[str, float]:
    names = ("caseflow_outbox_pending", "caseflow_outbox_oldest_pending_seconds")
    names += ("caseflow_outbox_failed",)
    return {f.name: f.samples[0].value for f in await collect(engine) if f.name in names}


async def _notifications(engine, rows: list[tuple[str, datetime, datetime | None]]) -> None:
    """One synthetic case with notifications (status, created_at, not_before)."""
    case_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (case_id, case_type, phase, channel, tier, escalation_level, "
                "breached, warned, policy_version, seq, reopen_count, opened_at, updated_at, "
                "state) VALUES (:c, 'complaint', 'new', 'sms', 'standard', 1, false, false, "
                "'2026.1', 1, 0, :now, :now, '{}')"
            ),
            {"c": case_id, "now": now},
        )
        for idx, (status, created_at, not_before) in enumerate(rows):
            await conn.execute(
                text(
                    "INSERT INTO notifications (case_id, seq, idx, recipient, channel, template, "
                    "params, status, created_at, attempts, language, not_before) VALUES "
                    "(:c, 1, :idx, 'customer', 'sms', 'intake_ack', '{}', :status, :created, 0, "
                    "'zh', :not_before)"
                ),
                {
                    "c": case_id,
                    "idx": idx,
                    "status": status,
                    "created": created_at,
                    "not_before": not_before,
                },
            )


async def test_backlog_age_counts_due_rows_only_and_failures_are_counted(engine):
    before = await _outbox_figures(engine)
    assert before["caseflow_outbox_oldest_pending_seconds"] == 0  # nothing due waits
    now = datetime.now(UTC)
    # Scheduled for tomorrow morning (business hours), though written an hour ago: not due.
    await _notifications(engine, [("pending", now - timedelta(hours=1), now + timedelta(hours=9))])
    after = await _outbox_figures(engine)
    assert after["caseflow_outbox_pending"] == before["caseflow_outbox_pending"] + 1
    assert after["caseflow_outbox_oldest_pending_seconds"] == 0

    # Due for 20 minutes with nobody sending it, and one given up on; a sent row counts nowhere.
    await _notifications(
        engine,
        [
            ("pending", now - timedelta(minutes=20), None),
            ("failed", now - timedelta(hours=2), None),
            ("sent", now - timedelta(hours=3), None),
        ],
    )
    after = await _outbox_figures(engine)
    assert after["caseflow_outbox_pending"] == before["caseflow_outbox_pending"] + 2
    assert after["caseflow_outbox_failed"] == before["caseflow_outbox_failed"] + 1
    assert after["caseflow_outbox_oldest_pending_seconds"] >= 20 * 60
