"""The complaint case on the real time-skipping server: every window's warning and breach at
its exact instant, the escalation ladder, holidays, transfer, pause and reclassification credit,
dispute, and the validators that refuse actions which do not fit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from caseflow.domain import (
    AcceptAction,
    AcknowledgeAction,
    CallbackAction,
    CustomerReplyAction,
    CustomerResponseAction,
    FeedbackAction,
    Phase,
    ReclassifyAction,
    RequestInfoAction,
    ResolveAction,
    Satisfaction,
    Severity,
    TransferAction,
    WindowState,
)
from tests.conftest import fetch_events, fetch_notifications
from tests.workflows.conftest import (
    AGENT_CS,
    AGENT_PRODUCT,
    HOTLINE,
    SUPERVISOR,
    book_with,
    close_to,
    policy_harness,
    write_policy,
)
from workflows.complaint import ComplaintWorkflow as WF

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


# The window mechanics as written against 2026.2 (tests/workflows/conftest.py).
pytestmark = pytest.mark.usefixtures("on_2026_2")


async def snapshot(handle):
    return await handle.query(WF.snapshot)


def kinds(events) -> list[str]:
    return [e["kind"] for e in events]


async def test_response_window_warns_breaches_and_climbs_the_ladder(harness):
    handle, state = await harness.start()
    opened = state.opened_at
    response = state.windows["response"]
    assert state.phase == Phase.NEW and state.department == "customer_service"
    assert response.due_at == opened + 24 * H
    assert response.warn_at == opened + timedelta(hours=19.2)

    await harness.env.sleep(timedelta(hours=19))
    assert kinds(await fetch_events(harness.engine, state.case_id)) == ["intake"]

    await harness.env.sleep(timedelta(minutes=30))  # past 19.2 h: the warning
    events = await fetch_events(harness.engine, state.case_id)
    assert kinds(events) == ["intake", "warning"]
    assert events[1]["deadline"] == response.due_at
    assert close_to(events[1]["at"], response.warn_at)

    await harness.env.sleep(timedelta(hours=4, minutes=40))  # past 24 h: breach + L2
    state = await snapshot(handle)
    events = await fetch_events(harness.engine, state.case_id)
    assert kinds(events) == ["intake", "warning", "breach", "escalated"]
    breach, escalated = events[2], events[3]
    assert breach["deadline"] == response.due_at and escalated["deadline"] == response.due_at
    assert close_to(breach["at"], response.due_at)
    assert state.windows["response"].state == WindowState.BREACHED
    assert state.escalation.level == 2
    # L2 has 4 h, counted from the deadline itself so the ladder never drifts.
    assert state.escalation.next_at == response.due_at + 4 * H
    recipients = [
        (n["recipient"], n["template"])
        for n in await fetch_notifications(harness.engine, state.case_id)
    ]
    assert ("agent", "warning") in recipients and ("team_lead", "escalation") in recipients

    await harness.env.sleep(4 * H)  # nobody acted: L3
    state = await snapshot(handle)
    assert state.escalation.level == 3
    assert state.escalation.next_at == response.due_at + 12 * H  # L3 has 8 h

    await harness.env.sleep(8 * H)  # L4 = the top: no further timer
    state = await snapshot(handle)
    assert state.escalation.level == 4 and state.escalation.next_at is None
    events = await fetch_events(harness.engine, state.case_id)
    assert kinds(events).count("escalated") == 3
    manager = [
        n
        for n in await fetch_notifications(harness.engine, state.case_id)
        if n["recipient"] == "manager"
    ]
    assert len(manager) == 1
    # The manager's alert waits for business hours (policy: business_hours_only).
    sent_at, not_before = events[-1]["at"], manager[0]["not_before"]
    local = not_before.astimezone(SHANGHAI)
    assert not_before >= sent_at and time(9) <= local.time() <= time(18)
    assert _is_workday(local.date())

    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.windows["response"].state == WindowState.MET_LATE
    assert state.escalation.level == 4  # the level stays; the chain is over


def _is_workday(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # years the package does not know: Monday-Friday
        return day.weekday() < 5


async def test_acting_on_the_breached_window_stops_the_chain(harness):
    handle, state = await harness.start()
    await harness.env.sleep(24 * H + timedelta(minutes=1))
    assert (await snapshot(handle)).escalation.level == 2
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.escalation.next_at is None
    await harness.env.sleep(10 * H)
    assert (await snapshot(handle)).escalation.level == 2


async def test_supervisor_acknowledgment_stops_the_chain(harness):
    handle, state = await harness.start()
    await harness.env.sleep(24 * H + timedelta(minutes=1))
    state = await handle.execute_update(WF.acknowledge, AcknowledgeAction(SUPERVISOR, "mine"))
    assert state.escalation.next_at is None and state.escalation.acknowledged_by == "supervisor"
    await harness.env.sleep(10 * H)
    assert (await snapshot(handle)).escalation.level == 2
    events = await fetch_events(harness.engine, state.case_id)
    assert "escalation_acknowledged" in kinds(events)


async def test_handling_feedback_and_follow_up_windows_breach_at_their_deadlines(harness):
    handle, _ = await harness.start(severity=Severity.URGENT)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    handling = state.windows["handling"]
    assert handling.target == "24h" and handling.due_at == handling.opened_at + 24 * H
    await harness.env.sleep(24 * H + timedelta(seconds=5))
    state = await snapshot(handle)
    assert state.windows["handling"].state == WindowState.BREACHED
    assert state.escalation.window == "handling" and state.escalation.level == 2

    state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "fixed", "checked"))
    assert state.windows["handling"].state == WindowState.MET_LATE
    feedback = state.windows["feedback"]
    assert feedback.due_at == feedback.opened_at + 24 * H
    await harness.env.sleep(24 * H + timedelta(seconds=5))
    state = await snapshot(handle)
    assert state.windows["feedback"].state == WindowState.BREACHED
    assert state.escalation.window == "feedback" and state.escalation.level == 3

    state = await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "done"))
    follow_up = state.windows["follow_up"]
    assert follow_up.due_at == follow_up.opened_at + 48 * H
    await harness.env.sleep(48 * H + timedelta(seconds=5))
    state = await snapshot(handle)
    assert state.windows["follow_up"].state == WindowState.BREACHED
    assert state.escalation.level == 4

    events = await fetch_events(harness.engine, state.case_id)
    breaches = [e for e in events if e["kind"] == "breach"]
    assert [e["window"] for e in breaches] == ["handling", "feedback", "follow_up"]
    for e, window in zip(breaches, (handling, feedback, follow_up), strict=True):
        assert e["deadline"] == window.due_at and close_to(e["at"], window.due_at)
    warnings = [e["window"] for e in events if e["kind"] == "warning"]
    assert warnings == ["handling", "feedback", "follow_up"]


def _add_working_days(start: datetime, days: int, holidays: set[date]) -> datetime:
    """Independent reference: N working days = N x 24 h of time on working dates."""
    remaining = timedelta(days=days)
    cursor = start.astimezone(SHANGHAI)
    while True:
        day = cursor.date()
        end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        if day not in holidays and _is_workday(day):
            if end_of_day - cursor >= remaining:
                return cursor + remaining
            remaining -= end_of_day - cursor
        cursor = end_of_day


async def test_three_working_days_skip_the_next_holiday(env, db_engine, tmp_path):
    # The statutory data ends with 2026, so the "holiday" is declared in a test policy: the three
    # working days after today (Asia/Shanghai) are holidays, as a Golden Week would be.
    today = (await env.get_current_time()).astimezone(SHANGHAI).date()
    holidays, day = [], today
    while len(holidays) < 3:
        day += timedelta(days=1)
        if _is_workday(day):
            holidays.append(day)
    listed = ", ".join(f"{d.isoformat()}" for d in holidays)
    write_policy(tmp_path, "9001.1", {"extra_holidays = []": f"extra_holidays = [{listed}]"})
    book = book_with(tmp_path, "9001.1")
    async with policy_harness(env, db_engine, book) as local:
        handle, state = await local.start(severity=Severity.GENERAL)
        state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
        handling = state.windows["handling"]
        assert state.policy_version == "9001.1" and handling.target == "3wd"
        expected = _add_working_days(handling.opened_at, 3, set(holidays))
        assert handling.due_at == expected
        assert handling.due_at.astimezone(SHANGHAI).date() > holidays[-1]
        without = _add_working_days(handling.opened_at, 3, set())
        assert handling.due_at > without  # the holidays pushed it out


async def test_dispute_reopens_handling_with_a_fresh_window(harness):
    handle, _ = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "refund 30", "billing"))
    await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "refunded"))
    await harness.env.sleep(2 * H)
    state = await handle.execute_update(WF.dispute, CustomerResponseAction(HOTLINE, "not enough"))
    assert state.phase == Phase.IN_PROGRESS and state.reopen_count == 1
    handling = state.windows["handling"]
    assert handling.state == WindowState.RUNNING and handling.target == "3wd"
    assert handling.opened_at > state.opened_at + 2 * H  # a new window, full target
    assert "follow_up" not in state.windows or state.windows["follow_up"].state in (
        WindowState.CANCELLED,
    )
    await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "refund 60", "recheck"))
    await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "refunded more"))
    await handle.execute_update(
        WF.callback, CallbackAction(AGENT_CS, Satisfaction.BASICALLY_SATISFIED)
    )
    result = await handle.result()
    assert result.phase == Phase.ARCHIVED and result.outcome == "resolved"
    assert result.reopen_count == 1
    events = kinds(await fetch_events(harness.engine, result.case_id))
    assert events.count("resolved") == 2 and "reopened" in events and events[-1] == "archived"


async def test_transfer_rearms_the_transfer_window(harness):
    handle, _ = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(
        WF.transfer, TransferAction(AGENT_CS, "product", "billing system")
    )
    first = state.windows["transfer"]
    assert state.phase == Phase.TRANSFERRED and state.department == "product"
    assert first.due_at == first.opened_at + H
    await harness.env.sleep(timedelta(minutes=30))
    state = await handle.execute_update(
        WF.transfer, TransferAction(AGENT_PRODUCT, "marketing", "a promotion")
    )
    second = state.windows["transfer"]
    assert second.opened_at >= first.opened_at + timedelta(minutes=30)
    assert second.due_at == second.opened_at + H  # re-armed: a full hour again
    await harness.env.sleep(H + timedelta(seconds=5))
    state = await snapshot(handle)
    assert state.windows["transfer"].state == WindowState.BREACHED
    assert state.escalation.window == "transfer" and state.escalation.level == 2
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.accept, AcceptAction(AGENT_PRODUCT))
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "Forbidden"
    state = await handle.execute_update(WF.transfer, TransferAction(SUPERVISOR, "product", "back"))
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_PRODUCT))
    assert state.phase == Phase.IN_PROGRESS and state.assignee == "agent.product"
    assert state.windows["transfer"].state == WindowState.MET
    assert state.transfer_count == 3
    events = await fetch_events(harness.engine, state.case_id)
    assert kinds(events).count("transferred") == 3


async def test_waiting_on_the_customer_pauses_handling_with_exact_credit(harness):
    handle, _ = await harness.start(severity=Severity.URGENT)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await harness.env.sleep(10 * H)
    state = await handle.execute_update(WF.request_info, RequestInfoAction(AGENT_CS, "Which bill?"))
    handling = state.windows["handling"]
    assert state.phase == Phase.WAITING_CUSTOMER
    assert handling.state == WindowState.PAUSED and handling.due_at is None
    await harness.env.sleep(timedelta(days=5))
    events = kinds(await fetch_events(harness.engine, state.case_id))
    assert "warning" not in events and "breach" not in events
    state = await handle.execute_update(
        WF.customer_reply, CustomerReplyAction(HOTLINE, "the October one")
    )
    handling = state.windows["handling"]
    resumed_at = handling.segments[-1].start
    used = handling.segments[0].end - handling.segments[0].start
    assert used == timedelta(hours=10) or close_to(
        handling.segments[0].start + used, handling.segments[0].start + 10 * H
    )
    assert handling.due_at == resumed_at + (24 * H - used)
    assert handling.warn_at == resumed_at + (timedelta(hours=19.2) - used)
    events = await fetch_events(harness.engine, state.case_id)
    assert [e["kind"] for e in events][-2:] == ["paused", "resumed"]


async def test_reclassification_recomputes_the_remaining_time(harness):
    handle, _ = await harness.start(severity=Severity.GENERAL)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    accepted = state.windows["handling"].opened_at
    await harness.env.sleep(10 * H)
    state = await handle.execute_update(
        WF.reclassify, ReclassifyAction(AGENT_CS, "customer's rights harmed", Severity.URGENT)
    )
    handling = state.windows["handling"]
    assert state.severity == Severity.URGENT and handling.target == "24h"
    assert handling.due_at == accepted + 24 * H  # = now + (24 h - 10 h used)
    events = await fetch_events(harness.engine, state.case_id)
    assert events[-1]["kind"] == "reclassified" and "3wd" in events[-1]["summary"]


async def test_reclassification_past_the_new_target_breaches_at_once(harness):
    handle, _ = await harness.start(severity=Severity.GENERAL)
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await harness.env.sleep(30 * H)
    state = await handle.execute_update(
        WF.reclassify, ReclassifyAction(AGENT_CS, "urgent after all", Severity.URGENT)
    )
    await harness.env.sleep(timedelta(seconds=2))
    state = await snapshot(handle)
    assert state.windows["handling"].state == WindowState.BREACHED
    assert state.escalation.level == 2


async def test_actions_that_do_not_fit_are_refused_and_leave_no_trace(harness):
    handle, state = await harness.start()
    before = await fetch_events(harness.engine, state.case_id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "x", "y"))
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidState"
    assert "'new'" in cause.message and "in_progress" in cause.message
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.accept, AcceptAction(AGENT_PRODUCT))
    assert refused.value.cause.type == "Forbidden"
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.accept, AcceptAction(HOTLINE))
    assert refused.value.cause.type == "Forbidden"
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.acknowledge, AcknowledgeAction(SUPERVISOR))
    assert refused.value.cause.type == "InvalidState"  # nothing escalated yet
    assert await fetch_events(harness.engine, state.case_id) == before
    assert (await snapshot(handle)).seq == len(before)


async def test_vip_customers_get_a_shorter_response_window(harness):
    from caseflow.domain import CustomerTier

    _, state = await harness.start(tier=CustomerTier.VIP)
    response = state.windows["response"]
    assert response.target == "12h" and response.due_at == state.opened_at + 12 * H
