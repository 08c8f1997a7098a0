"""The outbox delivery worker against real PostgreSQL: sent once, retried, held back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import text

from caseflow.notify.delivery import DeliveryWorker
from tests.conftest import delete_cases


@pytest_asyncio.fixture(autouse=True)
async def _cleanup(db_engine):
    yield
    await delete_cases(db_engine, "CMP-D-")


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple] = []
        self.fail = fail

    async def send(self, channel, recipient, subject, body) -> None:
        await asyncio.sleep(0.01)
        if self.fail:
            raise ConnectionError("SMS gateway down")
        self.calls.append((channel, recipient, subject, body))


async def _case_with_notifications(engine, n: int, **extra) -> str:
    case_id = f"CMP-D-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO cases (case_id, case_type, phase, channel, tier, escalation_level, "
            "breached, warned, policy_version, seq, reopen_count, opened_at, updated_at, state) "
            "VALUES (:c, 'complaint', 'new', 'sms', 'standard', 1, false, false, '2026.1', 1, 0, "
            ":now, :now, '{}')"), {"c": case_id, "now": now})
        for i in range(n):
            await conn.execute(text(
                "INSERT INTO notifications (case_id, seq, idx, recipient, channel, template, "
                "params, status, created_at, not_before) VALUES (:c, 1, :i, 'customer', 'sms', "
                "'intake_ack', CAST(:p AS jsonb), 'pending', :now, :nb)"),
                {"c": case_id, "i": i, "p": f'{{"case_id": "{case_id}"}}', "now": now,
                 "nb": extra.get("not_before")})
    return case_id


async def _rows(engine, case_id):
    async with engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT status, attempts, body, sent_at, last_error FROM notifications "
            "WHERE case_id = :c ORDER BY idx"), {"c": case_id})).all()


async def _drain(engine):
    # Other tests' rows may be pending too: send them to a throwaway recorder first.
    while await DeliveryWorker(engine, Recorder()).run_once(1000):
        pass


async def test_sent_once_with_rendered_text(db_engine):
    await _drain(db_engine)
    case_id = await _case_with_notifications(db_engine, 3)
    recorder = Recorder()
    workers = [DeliveryWorker(db_engine, recorder) for _ in range(3)]
    await asyncio.gather(*(w.run_once() for w in workers))  # concurrent workers
    await asyncio.gather(*(w.run_once() for w in workers))  # and again: nothing left
    mine = [c for c in recorder.calls if case_id in c[3]]
    assert len(mine) == 3
    rows = await _rows(db_engine, case_id)
    assert all(r.status == "sent" and r.attempts == 1 and r.sent_at for r in rows)
    assert rows[0].body.startswith("【caseflow】您的诉求已受理")


async def test_failures_are_retried_then_marked_failed(db_engine):
    await _drain(db_engine)
    case_id = await _case_with_notifications(db_engine, 1)
    worker = DeliveryWorker(db_engine, Recorder(fail=True), max_attempts=3)
    for _ in range(2):
        await worker.run_once()
    (row,) = await _rows(db_engine, case_id)
    assert row.status == "pending" and row.attempts == 2 and "gateway down" in row.last_error
    await worker.run_once()
    (row,) = await _rows(db_engine, case_id)
    assert row.status == "failed" and row.attempts == 3


async def test_not_before_holds_a_notification_back(db_engine):
    await _drain(db_engine)
    later = datetime.now(UTC) + timedelta(hours=3)
    case_id = await _case_with_notifications(db_engine, 1, not_before=later)
    await DeliveryWorker(db_engine, Recorder()).run_once()
    (row,) = await _rows(db_engine, case_id)
    assert row.status == "pending"
