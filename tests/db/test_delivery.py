"""The outbox delivery worker against real PostgreSQL: rendered, sent once, retried, failed,
held back, skipped while locked, and shared safely between concurrent workers."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import text

from caseflow.notify.delivery import DeliveryWorker, LogSender, start_delivery_task
from caseflow.notify.port import PermanentDeliveryError
from tests.conftest import delete_cases

PREFIX = "CMP-DLV-"  # synthetic cases of this module, removed after each test


@pytest_asyncio.fixture(autouse=True)
async def _isolated(db_engine):
    # Rows other tests left pending would be claimed too: send them out of the way first.
    while await DeliveryWorker(db_engine, Recorder()).run_once(1000):
        pass
    yield
    await delete_cases(db_engine, PREFIX)


class Recorder:
    """A Sender that records every call; optionally fails every call after recording it."""

    def __init__(self, fail: bool = False, delay: float = 0.0) -> None:
        self.calls: list[tuple[str, str, str | None, str]] = []
        self.fail = fail
        self.delay = delay

    async def send(self, channel, recipient, subject, body) -> None:
        self.calls.append((channel, recipient, subject, body))
        await asyncio.sleep(self.delay)  # a gateway round trip: lets other workers interleave
        if self.fail:
            raise ConnectionError("SMS gateway down")

    def about(self, case_id: str) -> list[tuple]:
        return [c for c in self.calls if case_id in (c[2] or "") + c[3]]


async def _case(engine, notes: list[dict]) -> str:
    """A cases row and its notifications, written directly (as record_transition would)."""
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
        for idx, note in enumerate(notes):
            await conn.execute(
                text(
                    "INSERT INTO notifications (case_id, seq, idx, recipient, channel, "
                    "template, department, params, status, created_at, attempts, language, "
                    "not_before) VALUES (:c, 1, :idx, :recipient, :channel, :template, "
                    "'complaints', CAST(:params AS jsonb), 'pending', :now, 0, :language, "
                    ":not_before)"
                ),
                {
                    "c": case_id,
                    "idx": idx,
                    "recipient": note.get("recipient", "customer"),
                    "channel": note.get("channel", "sms"),
                    "template": note.get("template", "intake_ack"),
                    "params": json.dumps({"case_id": case_id, **note.get("params", {})}),
                    "now": now,
                    "language": note.get("language", "zh"),
                    "not_before": note.get("not_before"),
                },
            )
    return case_id


async def _rows(engine, case_id: str) -> list:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT idx, status, attempts, subject, body, sent_at, last_error, not_before "
                "FROM notifications WHERE case_id = :c ORDER BY idx"
            ),
            {"c": case_id},
        )
        return result.all()


async def test_renders_sends_and_marks_each_row_once(db_engine):
    case_id = await _case(
        db_engine,
        [
            {},  # the customer's intake acknowledgement by SMS, in Chinese
            {"channel": "email", "language": "en"},
            {
                "recipient": "team_lead",
                "channel": "internal",
                "template": "escalation",
                "params": {"level": "2", "level_name": "L2 team lead", "reason": "breached"},
            },
        ],
    )
    recorder = Recorder()
    worker = DeliveryWorker(db_engine, recorder)
    assert await worker.run_once() >= 3  # ">=": a running workflow may add rows of its own

    sms, email, alert = recorder.about(case_id)
    assert sms == (
        "sms",
        "customer",
        None,
        f"【caseflow】您的投诉已受理，工单号{case_id}，我们将在规定时限内处理并回复您。",
    )
    assert email[:2] == ("email", "customer") and "Dear customer" in email[3]
    assert alert[:2] == ("internal", "team_lead") and "L2 team lead" in alert[3]

    rows = await _rows(db_engine, case_id)
    assert [r.status for r in rows] == ["sent"] * 3
    assert all(r.attempts == 1 and r.sent_at is not None for r in rows)
    # What was sent is what is stored: the record shows the customer's exact text.
    assert [(r.subject, r.body) for r in rows] == [(c[2], c[3]) for c in (sms, email, alert)]

    await worker.run_once()  # a sent row is never sent again
    assert len(recorder.about(case_id)) == 3
    assert [r.attempts for r in await _rows(db_engine, case_id)] == [1, 1, 1]


async def test_failed_sends_are_retried_then_marked_failed(db_engine):
    case_id = await _case(db_engine, [{}])
    gateway = Recorder(fail=True)
    worker = DeliveryWorker(db_engine, gateway, max_attempts=3, retry_delay=0)

    for attempt in (1, 2):
        assert await worker.run_once() == 0
        (row,) = await _rows(db_engine, case_id)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.last_error == "ConnectionError: SMS gateway down"
        assert row.sent_at is None

    await worker.run_once()
    (row,) = await _rows(db_engine, case_id)
    assert (row.status, row.attempts) == ("failed", 3)

    await worker.run_once()  # a failed row is left alone
    (row,) = await _rows(db_engine, case_id)
    assert row.attempts == 3
    assert len(gateway.about(case_id)) == 3


class FailsFor(Recorder):
    """Fails only the sends to one recipient."""

    def __init__(self, recipient: str) -> None:
        super().__init__()
        self.recipient = recipient

    async def send(self, channel, recipient, subject, body) -> None:
        await super().send(channel, recipient, subject, body)
        if recipient == self.recipient:
            raise ConnectionError("staff inbox down")


async def test_a_failing_row_does_not_hold_back_the_rows_claimed_with_it(db_engine):
    case_id = await _case(db_engine, [{}, {"recipient": "team_lead", "channel": "internal"}, {}])
    gateway = FailsFor("team_lead")
    worker = DeliveryWorker(db_engine, gateway, retry_delay=0)
    await worker.run_once()
    rows = await _rows(db_engine, case_id)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1), ("pending", 1), ("sent", 1)]
    assert rows[1].last_error == "ConnectionError: staff inbox down"
    assert rows[0].body and rows[2].body and rows[1].body is None
    assert len(gateway.about(case_id)) == 3  # the failed row was not retried in that pass


async def test_more_rows_than_one_claim_are_all_sent_in_one_pass(db_engine):
    notes = [{"template": "info_request", "params": {"question": f"Q{i:02d}"}} for i in range(45)]
    case_id = await _case(db_engine, notes)
    recorder = Recorder()
    assert await DeliveryWorker(db_engine, recorder, claim=20).run_once(batch=100) >= 45
    assert len({c[3] for c in recorder.about(case_id)}) == 45
    assert {r.status for r in await _rows(db_engine, case_id)} == {"sent"}


async def test_a_failed_send_backs_off_before_the_next_attempt(db_engine):
    case_id = await _case(db_engine, [{}])
    worker = DeliveryWorker(db_engine, Recorder(fail=True), retry_delay=600)
    await worker.run_once()
    await worker.run_once()  # too early for the retry
    (row,) = await _rows(db_engine, case_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.not_before > datetime.now(UTC) + timedelta(minutes=9)


async def test_not_before_holds_a_notification_back(db_engine):
    later = datetime.now(UTC) + timedelta(hours=3)
    case_id = await _case(db_engine, [{"not_before": later}])
    recorder = Recorder()
    await DeliveryWorker(db_engine, recorder).run_once()
    (row,) = await _rows(db_engine, case_id)
    assert row.status == "pending" and not recorder.about(case_id)

    async with db_engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE notifications SET not_before = now() - interval '1 second' "
                "WHERE case_id = :c"
            ),
            {"c": case_id},
        )
    await DeliveryWorker(db_engine, recorder).run_once()
    assert len(recorder.about(case_id)) == 1


async def test_a_row_locked_elsewhere_is_skipped_not_waited_for(db_engine):
    case_id = await _case(db_engine, [{}, {}])
    recorder = Recorder()
    async with db_engine.connect() as other:
        # Another worker is in the middle of sending idx 0: it holds the row lock.
        await other.execute(
            text("SELECT id FROM notifications WHERE case_id = :c AND idx = 0 FOR UPDATE"),
            {"c": case_id},
        )
        await asyncio.wait_for(DeliveryWorker(db_engine, recorder).run_once(), 10)
        assert len(recorder.about(case_id)) == 1
        assert [r.status for r in await _rows(db_engine, case_id)] == ["pending", "sent"]
        await other.rollback()
    await DeliveryWorker(db_engine, recorder).run_once()
    assert len(recorder.about(case_id)) == 2


async def test_concurrent_workers_never_send_a_row_twice(db_engine):
    # Distinct questions make distinct bodies, so a duplicate send would show.
    notes = [{"template": "info_request", "params": {"question": f"Q{i:02d}"}} for i in range(40)]
    case_id = await _case(db_engine, notes)
    recorders = [Recorder(delay=0.005) for _ in range(3)]
    # Small claims, so that three workers get a share of 40 rows.
    workers = [DeliveryWorker(db_engine, r, claim=4) for r in recorders]

    await asyncio.gather(*(w.run_once(batch=100) for w in workers))

    bodies = [c[3] for r in recorders for c in r.about(case_id)]
    assert len(bodies) == 40 and len(set(bodies)) == 40  # each row sent once, none twice
    shares = [len(r.about(case_id)) for r in recorders]
    assert all(n > 0 for n in shares), shares  # and the workers really did share the work
    rows = await _rows(db_engine, case_id)
    assert all(r.status == "sent" and r.attempts == 1 for r in rows)
    await asyncio.gather(*(w.run_once() for w in workers))
    assert sum(len(r.about(case_id)) for r in recorders) == 40


async def test_log_sender_writes_a_structured_line_without_the_body(caplog):
    body = "【caseflow】your number 13800138000"
    with caplog.at_level(logging.INFO, logger="caseflow.notify.delivery"):
        await LogSender().send("sms", "customer", None, body)
    (record,) = caplog.records
    assert (record.channel, record.recipient, record.chars) == ("sms", "customer", len(body))
    assert "13800138000" not in record.getMessage()


async def test_background_task_delivers_until_cancelled(db_engine):
    case_id = await _case(db_engine, [{}])
    recorder = Recorder()
    task = start_delivery_task(db_engine, recorder, interval=0.05)
    try:
        for _ in range(100):
            if recorder.about(case_id):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(recorder.about(case_id)) == 1
    (row,) = await _rows(db_engine, case_id)
    assert row.status == "sent"


async def test_a_plain_sender_row_records_its_provider_and_recipient_label(db_engine):
    case_id = await _case(db_engine, [{}, {"recipient": "team_lead", "channel": "internal"}])
    await DeliveryWorker(db_engine, LogSender()).run_once()
    await DeliveryWorker(db_engine, Recorder()).run_once()  # nothing left for it
    rows = await _fetch(db_engine, case_id)
    assert [(r.status, r.provider, r.route) for r in rows] == [
        ("sent", "log", "customer"),
        ("sent", "log", "team_lead"),
    ]


class Refuses(Recorder):
    """Refuses every send for good, as a gateway does a number that does not exist."""

    async def send(self, channel, recipient, subject, body) -> None:
        await super().send(channel, recipient, subject, body)
        raise PermanentDeliveryError("aliyun_sms isv.MOBILE_NUMBER_ILLEGAL")


async def test_a_permanent_failure_is_not_retried(db_engine):
    case_id = await _case(db_engine, [{}])
    gateway = Refuses()
    worker = DeliveryWorker(db_engine, gateway, max_attempts=5, retry_delay=0)
    await worker.run_once()
    await worker.run_once()
    (row,) = await _rows(db_engine, case_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == "PermanentDeliveryError: aliyun_sms isv.MOBILE_NUMBER_ILLEGAL"
    assert len(gateway.about(case_id)) == 1


async def _fetch(engine, case_id: str) -> list:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT status, provider, route FROM notifications WHERE case_id = :c ORDER BY idx"
            ),
            {"c": case_id},
        )
        return result.all()
