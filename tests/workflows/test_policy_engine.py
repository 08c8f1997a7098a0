"""The SLA policy engine end to end: rows not code, pinned versions, working-time pauses,
reclassification credit, ladder timing and business-hours alerts."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import text
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from caseflow.domain import (
    AcceptAction,
    CaseType,
    ConsentAction,
    CustomerTier,
    Phase,
    ReclassifyAction,
    Severity,
    WindowState,
)
from caseflow.temporal import DATA_CONVERTER
from tests.conftest import fetch_events
from tests.workflows.conftest import AGENT_CS, HOTLINE, Harness, book_with, write_policy
from worker import build_worker
from workflows.complaint import ComplaintWorkflow
from workflows.registry import ALL_WORKFLOWS
from workflows.unsubscribe import UnsubscribeWorkflow

H = timedelta(hours=1)


async def test_vulnerable_customers_get_priority_by_policy_row(harness):
    _, state = await harness.start(tier=CustomerTier.VULNERABLE)
    assert state.windows["response"].target == "12h"


async def test_running_cases_keep_their_pinned_policy_after_a_new_version(env, db_engine,
                                                                          tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    write_policy(old_dir, "9100.1", {})
    write_policy(new_dir, "9100.1", {})
    write_policy(new_dir, "9100.2", {'response = "24h"      # 2025 规范': 'response = "6h" #'})
    queue = f"tq-{uuid.uuid4().hex[:8]}"
    # No sticky cache: the case's next task must reach whichever worker runs then (a deploy).
    old_book = book_with(old_dir, "9100.1")
    async with build_worker(env.client, db_engine, queue, old_book, max_cached_workflows=0):
        old = Harness(env, db_engine, queue)
        handle, state = await old.start()
        assert state.policy_version == "9100.1"
        due_before = state.windows["response"].due_at
    # Version 9100.2 is published; a new worker knows both and pins 9100.2 for new cases.
    async with build_worker(env.client, db_engine, queue, book_with(new_dir, "9100.2")):
        new = Harness(env, db_engine, queue)
        _, fresh = await new.start()
        assert fresh.policy_version == "9100.2"
        assert fresh.windows["response"].due_at == fresh.opened_at + 6 * H
        state = await handle.query(ComplaintWorkflow.snapshot)
        assert state.policy_version == "9100.1"
        assert state.windows["response"].due_at == due_before
        state = await handle.execute_update(
            ComplaintWorkflow.reclassify,
            ReclassifyAction(AGENT_CS, "VIP after all", tier=CustomerTier.VIP),
        )
        assert state.policy_version == "9100.1"  # still resolved against its own version
        assert state.windows["response"].target == "12h"
        history = await handle.fetch_history()
        await new.terminate_open()
        await old.terminate_open()
    # Replaying the running case's history needs no policy at all: every deadline is in it.
    await Replayer(workflows=ALL_WORKFLOWS, data_converter=DATA_CONVERTER).replay_workflow(
        WorkflowHistory.from_json(state.case_id, history.to_json())
    )


async def test_working_hours_target_pauses_outside_business_hours(env, db_engine, tmp_path):
    # A policy stating handling in working hours: 16 wh = two 9-hour business days minus 2 h.
    write_policy(tmp_path, "9200.1", {'handling = "3wd"      # 标准': 'handling = "16wh" #'})
    queue = f"tq-{uuid.uuid4().hex[:8]}"
    async with build_worker(env.client, db_engine, queue, book_with(tmp_path, "9200.1")):
        h = Harness(env, db_engine, queue)
        handle, _ = await h.start()
        state = await handle.execute_update(ComplaintWorkflow.accept, AcceptAction(AGENT_CS))
        handling = state.windows["handling"]
        calendar = book_with(tmp_path, "9200.1").get("9200.1").calendar_model
        from caseflow.worktime import Unit

        # The deadline is exactly 16 business hours after acceptance...
        used = calendar.elapsed(handling.opened_at, handling.due_at, Unit.WORKING_HOURS)
        assert used == timedelta(hours=16)
        # ...lands inside business hours, and is at least two calendar days away.
        assert calendar.is_working_instant(handling.due_at, Unit.WORKING_HOURS)
        assert handling.due_at - handling.opened_at >= timedelta(hours=16)
        await h.terminate_open()


async def test_unsubscribe_completion_breach_at_72h(env, db_engine, tmp_path):
    # With a 96 h consent window (a policy row), the 72 h completion clock runs out first.
    write_policy(tmp_path, "9300.1", {'consent = "24h"': 'consent = "96h"'})
    queue = f"tq-{uuid.uuid4().hex[:8]}"
    async with build_worker(env.client, db_engine, queue, book_with(tmp_path, "9300.1")):
        h = Harness(env, db_engine, queue)
        phone = "17" + str(uuid.uuid4().int)[:9]
        async with db_engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO subscriptions (phone, service, status, monthly_fee_cents) "
                     "VALUES (:p, 'data', 'active', 0)"),
                {"p": phone},
            )
        handle, state = await h.start(
            CaseType.UNSUBSCRIBE, category=None, services=["data"], phone=phone
        )
        due = state.windows["handling"].due_at
        assert due == state.opened_at + 72 * H
        await handle.execute_update(UnsubscribeWorkflow.accept, AcceptAction(AGENT_CS))
        await env.sleep(72 * H + timedelta(seconds=5))
        state = await handle.query(UnsubscribeWorkflow.snapshot)
        assert state.phase == Phase.AWAITING_CONSENT
        assert state.windows["handling"].state == WindowState.BREACHED
        assert state.escalation.level == 2 and state.escalation.window == "handling"
        events = await fetch_events(db_engine, state.case_id)
        breach = next(e for e in events if e["kind"] == "breach")
        assert breach["deadline"] == due
        # Consent still counts after the breach: the termination then completes (late).
        await handle.execute_update(UnsubscribeWorkflow.consent, ConsentAction(HOTLINE))
        for _ in range(30):
            state = await handle.query(UnsubscribeWorkflow.snapshot)
            if state.phase == Phase.UNDER_REVIEW:
                break
            await env.sleep(timedelta(seconds=1))
        assert state.phase == Phase.UNDER_REVIEW
        assert state.windows["handling"].state == WindowState.MET_LATE
        await h.terminate_open()


async def test_reclassification_credit_in_working_days(harness):
    handle, _ = await harness.start(severity=Severity.GENERAL)
    state = await handle.execute_update(ComplaintWorkflow.accept, AcceptAction(AGENT_CS))
    first_due = state.windows["handling"].due_at
    await harness.env.sleep(5 * H)
    state = await handle.execute_update(
        ComplaintWorkflow.reclassify,
        ReclassifyAction(AGENT_CS, "major outage", Severity.MAJOR),
    )
    handling = state.windows["handling"]
    assert handling.target == "5wd"
    # Same start, same calendar, a longer target: the deadline moves out by 2 working days and
    # the 5 h already used are credited (the window did not restart).
    assert handling.due_at > first_due
    assert handling.opened_at == state.windows["handling"].segments[0].start
    assert handling.due_at - first_due >= timedelta(hours=48)
