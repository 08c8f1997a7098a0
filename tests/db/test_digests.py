"""Staff alert digests against real PostgreSQL: one message per recipient, department,
template, escalation level and minute, listing every case; each row marked delivered once,
also with two delivery workers side by side; customers' notices never merged."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import text

from caseflow.domain import AuditEvent, CaseType, NotificationRequest
from caseflow.intake import intake_record, plan_intake
from caseflow.notify.delivery import DeliveryWorker
from caseflow.policy import get_policy_book
from caseflow.readmodel.writes import write_transition
from tests.conftest import delete_cases
from tests.db.test_delivery import Recorder
from tests.factories import case_input

PREFIX = "CMP-DGS-"


@pytest_asyncio.fixture(autouse=True)
async def _isolated(db_engine):
    # Rows other tests left pending would be claimed too: send them out of the way first.
    while await DeliveryWorker(db_engine, Recorder()).run_once(1000):
        pass
    yield
    await delete_cases(db_engine, PREFIX)


def _department() -> str:
    """A department of this test alone: digest keys of other tests never meet it."""
    return f"dgs-{uuid.uuid4().hex[:8]}"


async def _alerts(
    engine,
    n: int,
    department: str,
    *,
    template: str = "escalation",
    recipient: str = "team_lead",
    channel: str = "internal",
    level: str | None = "2",
) -> list[str]:
    """n cases, each with one pending alert row (as record_transition writes them)."""
    now = datetime.now(UTC)
    case_ids = [f"{PREFIX}{uuid.uuid4().hex[:10]}" for _ in range(n)]
    params = {"level_name": "L2 team lead", "reason": "response window breached"}
    if level is not None:
        params["level"] = level
    async with engine.begin() as conn:
        for case_id in case_ids:
            await conn.execute(
                text(
                    "INSERT INTO cases (case_id, case_type, phase, channel, tier, "
                    "escalation_level, breached, warned, policy_version, seq, reopen_count, "
                    "opened_at, updated_at, state) VALUES (:c, 'complaint', 'new', 'sms', "
                    "'standard', 1, true, false, '2026.3', 1, 0, :now, :now, '{}')"
                ),
                {"c": case_id, "now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO notifications (case_id, seq, idx, recipient, channel, template, "
                    "department, params, status, created_at, attempts, language) VALUES "
                    "(:c, 1, 0, :recipient, :channel, :template, :department, "
                    "CAST(:params AS jsonb), 'pending', :now, 0, 'zh')"
                ),
                {
                    "c": case_id,
                    "recipient": recipient,
                    "channel": channel,
                    "template": template,
                    "department": department,
                    "params": json.dumps({"case_id": case_id, **params}),
                    "now": now,
                },
            )
    return case_ids


async def _rows(engine, case_ids: list[str]) -> list:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT case_id, status, attempts, digest_id, body, sent_at, not_before "
                "FROM notifications WHERE case_id = ANY(:ids) ORDER BY id"
            ),
            {"ids": case_ids},
        )
        return result.all()


def _messages_about(recorder: Recorder, case_ids: list[str]) -> list[tuple]:
    return [c for c in recorder.calls if any(cid in (c[2] or "") + c[3] for cid in case_ids)]


async def _drain(worker: DeliveryWorker) -> None:
    while await worker.run_once(1000):
        pass


async def test_alerts_of_one_department_level_and_minute_go_out_as_one_message(db_engine):
    department = _department()
    case_ids = await _alerts(db_engine, 12, department)
    recorder = Recorder()
    # Claims of 5: the first claim's digest collects the other seven rows of its key.
    worker = DeliveryWorker(db_engine, recorder, claim=5)
    await _drain(worker)

    (message,) = _messages_about(recorder, case_ids)
    channel, recipient, subject, body = message
    assert (channel, recipient) == ("internal", "team_lead")
    assert subject == "12件工单已升级至第2级（L2 team lead）"
    assert all(case_id in body for case_id in case_ids)  # it lists every case

    rows = await _rows(db_engine, case_ids)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    assert len({r.digest_id for r in rows}) == 1 and rows[0].digest_id is not None
    assert {r.body for r in rows} == {body}  # each row records the message it went out in
    async with db_engine.connect() as conn:
        digest = (
            await conn.execute(
                text(
                    "SELECT recipient, department, template, level, rows FROM "
                    "notification_digests WHERE id = :id"
                ),
                {"id": rows[0].digest_id},
            )
        ).one()
    assert tuple(digest) == ("team_lead", department, "escalation", "2", 12)

    await _drain(worker)  # sent rows are never sent again
    assert len(_messages_about(recorder, case_ids)) == 1
    assert {r.attempts for r in await _rows(db_engine, case_ids)} == {1}


async def test_departments_levels_and_templates_are_digested_apart(db_engine):
    a, b = _department(), _department()
    groups = [
        await _alerts(db_engine, 3, a),
        await _alerts(db_engine, 2, b),
        await _alerts(db_engine, 2, a, level="3"),
        await _alerts(db_engine, 2, a, template="warning", recipient="agent", level=None),
    ]
    recorder = Recorder()
    await _drain(DeliveryWorker(db_engine, recorder))
    for case_ids in groups:
        (message,) = _messages_about(recorder, case_ids)
        assert all(case_id in message[3] for case_id in case_ids)
    assert len(_messages_about(recorder, [c for g in groups for c in g])) == 4


async def test_a_single_alert_reads_as_before(db_engine):
    (case_id,) = await _alerts(db_engine, 1, _department())
    recorder = Recorder()
    await _drain(DeliveryWorker(db_engine, recorder))
    ((_, _, subject, body),) = _messages_about(recorder, [case_id])
    assert subject == f"工单{case_id}已升级至第2级"
    assert "L2 team lead" in body


async def test_alerts_after_the_minutes_digest_wait_for_the_next_minute(db_engine):
    department = _department()
    first = await _alerts(db_engine, 3, department)
    at = datetime.now(UTC)
    recorder = Recorder()
    await _drain(DeliveryWorker(db_engine, recorder, clock=lambda: at))
    assert len(_messages_about(recorder, first)) == 1

    later = await _alerts(db_engine, 2, department)
    await _drain(DeliveryWorker(db_engine, recorder, clock=lambda: at))
    assert _messages_about(recorder, later) == []  # this minute's message has gone out
    next_minute = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    assert {(r.status, r.not_before) for r in await _rows(db_engine, later)} == {
        ("pending", next_minute)
    }

    await _drain(DeliveryWorker(db_engine, recorder, clock=lambda: next_minute))
    (message,) = _messages_about(recorder, later)
    assert all(case_id in message[3] for case_id in later)
    assert not any(case_id in message[3] for case_id in first)
    rows = await _rows(db_engine, first + later)
    assert {r.status for r in rows} == {"sent"}
    assert len({r.digest_id for r in rows}) == 2


async def test_customer_notices_are_never_digested(db_engine):
    department = _department()
    case_ids = [
        *await _alerts(db_engine, 3, department, recipient="customer", channel="sms"),
        # even a staff template addressed to the customer, or a staff alert on another channel
        *await _alerts(db_engine, 2, department, recipient="customer", channel="internal"),
        *await _alerts(db_engine, 2, department, channel="email"),
    ]
    recorder = Recorder()
    await _drain(DeliveryWorker(db_engine, recorder))
    assert len(_messages_about(recorder, case_ids)) == 7
    rows = await _rows(db_engine, case_ids)
    assert {(r.status, r.digest_id) for r in rows} == {("sent", None)}


async def test_two_delivery_workers_send_one_digest_and_each_row_once(db_engine):
    department = _department()
    case_ids = await _alerts(db_engine, 40, department)
    recorder = Recorder(delay=0.05)  # a gateway round trip: the workers interleave
    minute = datetime.now(UTC)
    pending = set(case_ids)
    # Each minute: one message. Rows the other worker held while the minute's digest was
    # collected (it then found the minute taken) wait for the next minute, where the same race
    # can defer a few again; every minute sends some, so this ends.
    for _ in range(len(case_ids)):
        before = len(_messages_about(recorder, case_ids))
        workers = [
            DeliveryWorker(db_engine, recorder, claim=4, clock=lambda m=minute: m) for _ in range(2)
        ]
        await asyncio.gather(*(_drain(w) for w in workers))

        assert len(_messages_about(recorder, case_ids)) == before + 1  # one message a minute
        rows = await _rows(db_engine, case_ids)
        still = {r.case_id for r in rows if r.status != "sent"}
        assert still < pending  # the minute's message carried some of what was pending
        next_minute = minute.replace(second=0, microsecond=0) + timedelta(minutes=1)
        assert {(r.status, r.not_before) for r in rows if r.case_id in still} <= {
            ("pending", next_minute)
        }
        pending, minute = still, next_minute
        if not pending:
            break

    rows = await _rows(db_engine, case_ids)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}
    messages = _messages_about(recorder, case_ids)
    # every case in exactly one message
    assert sorted(c for m in messages for c in case_ids if c in m[3]) == sorted(case_ids)


async def test_a_failed_digest_gives_its_minute_back_and_is_retried_whole(db_engine):
    case_ids = await _alerts(db_engine, 4, _department())
    await _drain(DeliveryWorker(db_engine, Recorder(fail=True), retry_delay=0))
    rows = await _rows(db_engine, case_ids)
    assert {(r.status, r.attempts, r.digest_id) for r in rows} == {("pending", 1, None)}

    recorder = Recorder()
    await _drain(
        DeliveryWorker(db_engine, recorder, clock=lambda: datetime.now(UTC) + timedelta(seconds=1))
    )
    (message,) = _messages_about(recorder, case_ids)
    assert all(case_id in message[3] for case_id in case_ids)
    assert {(r.status, r.attempts) for r in await _rows(db_engine, case_ids)} == {("sent", 2)}


async def test_a_breach_recorded_twice_notifies_once(db_engine):
    """A retried record activity (a worker crashed after writing) writes the same transition
    again: the alert row is written once and sent once."""
    inp = case_input(CaseType.COMPLAINT, case_id_=f"{PREFIX}{uuid.uuid4().hex[:10]}")
    opened = datetime.now(UTC)
    intake = intake_record(inp, opened, plan_intake(get_policy_book(), inp, opened))
    await write_transition(db_engine, intake)
    state = dataclasses.replace(intake.state, seq=intake.state.seq + 2)
    events = [
        AuditEvent(state.seq - 1, "breach", opened, "system", "system", "response breached"),
        AuditEvent(state.seq, "escalated", opened, "system", "system", "escalated to L2"),
    ]
    alert = NotificationRequest(
        "team_lead",
        "internal",
        "escalation",
        department=_department(),
        params={"case_id": inp.case_id, "level": "2", "level_name": "L2", "reason": "breach"},
    )
    for _ in range(2):
        await write_transition(
            db_engine,
            dataclasses.replace(intake, state=state, events=events, notifications=[alert]),
        )

    recorder = Recorder()
    await _drain(DeliveryWorker(db_engine, recorder))
    escalations = [r for r in await _rows(db_engine, [inp.case_id]) if "L2" in (r.body or "")]
    assert [(r.status, r.attempts) for r in escalations] == [("sent", 1)]
    assert len([c for c in recorder.about(inp.case_id) if c[1] == "team_lead"]) == 1


async def test_digests_of_long_gone_minutes_are_pruned(db_engine):
    department = _department()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    async with db_engine.begin() as conn:
        for minute in (now - timedelta(days=2), now - timedelta(hours=1)):
            await conn.execute(
                text(
                    "INSERT INTO notification_digests (recipient, department, template, level, "
                    "minute, rows) VALUES ('team_lead', :d, 'escalation', '2', :m, 3)"
                ),
                {"d": department, "m": minute},
            )
    assert await DeliveryWorker(db_engine, Recorder()).prune_digests() >= 1
    async with db_engine.connect() as conn:
        kept = (
            (
                await conn.execute(
                    text("SELECT minute FROM notification_digests WHERE department = :d"),
                    {"d": department},
                )
            )
            .scalars()
            .all()
        )
    assert kept == [now - timedelta(hours=1)]
