"""Every complaint SLA window on the real time-skipping server: the warning at 80 %, the breach
at the deadline itself, the escalation ladder (L2 -> L3 -> L4 and no further), what stops the
chain, and the handling clock's pause credit. Each step is checked in the workflow's state and
in the rows PostgreSQL holds (case_events, notifications)."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from caseflow.domain import (
    AcceptAction,
    AcknowledgeAction,
    CallbackAction,
    CustomerReplyAction,
    FeedbackAction,
    Phase,
    RequestInfoAction,
    ResolveAction,
    Satisfaction,
    Severity,
    WindowState,
)
from caseflow.policy import PolicyBook
from caseflow.worktime import parse_duration
from tests.workflows.conftest import (
    AGENT_CS,
    HOTLINE,
    SUPERVISOR,
    close_to,
    notifications_of,
    settle,
)
from workflows.complaint import ComplaintWorkflow as WF

H = timedelta(hours=1)
S = timedelta(seconds=1)
MARGIN = 2 * S  # how far before / after an instant the clock is stopped to look
SHANGHAI = ZoneInfo("Asia/Shanghai")

# window -> its calendar target for an urgent complaint (packaged policy 2026.1)
TARGETS = {"response": 24 * H, "handling": 24 * H, "feedback": 24 * H, "follow_up": 48 * H}
WINDOWS = list(TARGETS)


# The window mechanics as written against 2026.2 (tests/workflows/conftest.py).
pytestmark = pytest.mark.usefixtures("on_2026_2")


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    """Each test's cases end with it, so later sleeps do not drive their timers."""
    yield
    await harness.terminate_open()


async def open_window(harness, name: str):
    """An urgent complaint brought, without delay, to the point where `name` starts."""
    handle, state = await harness.start(severity=Severity.URGENT)
    if name != "response":
        state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    if name in ("feedback", "follow_up"):
        state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "fixed", "reset"))
    if name == "follow_up":
        state = await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "fixed"))
    return handle, state.windows[name]


async def act_on(handle, name: str):
    """The action that ends window `name`."""
    if name == "response":
        return await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    if name == "handling":
        return await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "fixed", "reset"))
    if name == "feedback":
        return await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "fixed"))
    return await handle.execute_update(
        WF.callback, CallbackAction(AGENT_CS, Satisfaction.SATISFIED)
    )


def of_kind(events, kind: str, window: str | None = None) -> list[dict]:
    return [e for e in events if e["kind"] == kind and (window is None or e["window"] == window)]


def alerts(notes, template: str) -> list[dict]:
    return [n for n in notes if n["template"] == template]


@pytest.mark.parametrize("name", WINDOWS)
async def test_window_warns_then_breaches_at_its_deadline_and_climbs_the_ladder(harness, name):
    handle, w = await open_window(harness, name)
    target = TARGETS[name]
    assert w.state == WindowState.RUNNING
    assert w.due_at == w.opened_at + target
    assert w.warn_at == w.opened_at + target * 0.8  # 19.2 h of 24 h, 38.4 h of 48 h
    case_id = (await handle.query(WF.snapshot)).case_id
    warned_recipient = "agent" if name == "response" else AGENT_CS.user_id

    # Just before the warning point: nothing.
    await harness.sleep_until(w.warn_at, -MARGIN)
    state, events = await settle(handle, harness.engine)
    assert of_kind(events, "warning") == [] and state.windows[name].warned_at is None

    # Just after it: exactly one warning, about this window's deadline, sent to its owner.
    await harness.sleep_until(w.warn_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    warnings = of_kind(events, "warning")
    assert len(warnings) == 1
    assert warnings[0]["window"] == name and warnings[0]["deadline"] == w.due_at
    assert close_to(warnings[0]["at"], w.warn_at)
    assert close_to(state.windows[name].warned_at, w.warn_at)
    notes = alerts(await notifications_of(harness.engine, case_id), "warning")
    assert [(n["recipient"], n["seq"], n["params"]["window"]) for n in notes] == [
        (warned_recipient, warnings[0]["seq"], name)
    ]

    # Just before the deadline: still running, no breach, level 1.
    await harness.sleep_until(w.due_at, -MARGIN)
    state, events = await settle(handle, harness.engine)
    assert of_kind(events, "breach") == [] and of_kind(events, "escalated") == []
    assert state.windows[name].state == WindowState.RUNNING and state.escalation.level == 1

    # Just after it: one breach at the deadline itself, one escalation to L2 (team lead).
    await harness.sleep_until(w.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    [breach] = of_kind(events, "breach")
    [escalated] = of_kind(events, "escalated")
    assert breach["window"] == name and breach["deadline"] == w.due_at
    assert close_to(breach["at"], w.due_at)
    assert escalated["data"]["level"] == "2" and escalated["deadline"] == w.due_at
    assert escalated["window"] == name and escalated["seq"] == breach["seq"] + 1
    assert len(of_kind(events, "warning")) == 1  # the warning did not repeat
    current = state.windows[name]
    assert current.state == WindowState.BREACHED and close_to(current.breached_at, w.due_at)
    esc = state.escalation
    assert (esc.level, esc.window) == (2, name)
    assert esc.next_at == w.due_at + 4 * H  # L2 acts within 4 h, counted from the deadline
    notes = alerts(await notifications_of(harness.engine, case_id), "escalation")
    assert [(n["recipient"], n["params"]["level"]) for n in notes] == [("team_lead", "2")]

    # Nobody acts: 4 h later L3 (supervisor), whose 8 h run from that climb.
    await harness.sleep_until(w.due_at + 4 * H, -MARGIN)
    state, _ = await settle(handle, harness.engine)
    assert state.escalation.level == 2
    await harness.sleep_until(w.due_at + 4 * H, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert state.escalation.level == 3
    assert state.escalation.next_at == w.due_at + 12 * H
    climb = of_kind(events, "escalated")[-1]
    assert climb["data"]["level"] == "3" and climb["deadline"] == w.due_at + 4 * H
    assert close_to(climb["at"], w.due_at + 4 * H)

    # 8 h more: L4, the department manager, the top of the ladder: no further timer.
    await harness.sleep_until(w.due_at + 12 * H, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert state.escalation.level == 4 and state.escalation.next_at is None
    assert close_to(of_kind(events, "escalated")[-1]["at"], w.due_at + 12 * H)
    notes = alerts(await notifications_of(harness.engine, case_id), "escalation")
    assert [(n["recipient"], n["params"]["level"]) for n in notes] == [
        ("team_lead", "2"),
        ("supervisor", "3"),
        ("manager", "4"),
    ]
    manager = notes[-1]
    assert manager["not_before"] is not None and manager["not_before"] >= manager["created_at"]
    assert time(9) <= manager["not_before"].astimezone(SHANGHAI).time() <= time(18)
    for n in notes[:2]:
        assert n["not_before"] is None  # only the manager's level waits for business hours

    # A day later nothing more has happened.
    await harness.env.sleep(24 * H)
    state, later = await settle(handle, harness.engine)
    assert len(later) == len(events) and state.escalation.level == 4

    # Acting on the window now closes it late; the level stays where it got to.
    state = await act_on(handle, name)
    closed = state.windows[name]
    assert closed.state == WindowState.MET_LATE and closed.closed_at > closed.due_at
    assert state.escalation.level == 4 and state.escalation.next_at is None


@pytest.mark.parametrize("name", WINDOWS)
async def test_acting_on_the_breached_window_stops_the_chain(harness, name):
    handle, w = await open_window(harness, name)
    await harness.sleep_until(w.due_at, MARGIN)
    state, _ = await settle(handle, harness.engine)
    assert state.escalation.level == 2 and state.escalation.next_at is not None

    state = await act_on(handle, name)
    assert state.windows[name].state == WindowState.MET_LATE
    assert state.escalation.next_at is None and state.escalation.level == 2
    if name == "follow_up":
        assert state.phase == Phase.ARCHIVED
        return
    # Well past the moment L3 would have been reached: no climb.
    await harness.sleep_until(w.due_at + 4 * H, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert state.escalation.level == 2
    assert [e["data"]["level"] for e in of_kind(events, "escalated")] == ["2"]


async def test_supervisor_acknowledgment_stops_the_chain(harness):
    handle, w = await open_window(harness, "handling")
    await harness.sleep_until(w.due_at, MARGIN)
    await harness.sleep_until(w.due_at + 4 * H, MARGIN)  # L3
    state, _ = await settle(handle, harness.engine)
    assert state.escalation.level == 3

    state = await handle.execute_update(WF.acknowledge, AcknowledgeAction(SUPERVISOR, "mine"))
    esc = state.escalation
    assert esc.next_at is None and esc.acknowledged_by == SUPERVISOR.user_id
    assert esc.level == 3 and esc.window == "handling"
    await harness.sleep_until(w.due_at + 12 * H, 10 * MARGIN)  # where L4 would have come
    state, events = await settle(handle, harness.engine)
    assert state.escalation.level == 3
    assert [e["data"]["level"] for e in of_kind(events, "escalated")] == ["2", "3"]
    [ack] = of_kind(events, "escalation_acknowledged")
    assert ack["actor_id"] == SUPERVISOR.user_id and ack["window"] == "handling"
    # The breach itself is still open until someone handles it.
    assert state.windows["handling"].state == WindowState.BREACHED
    state = await act_on(handle, "handling")
    assert state.windows["handling"].state == WindowState.MET_LATE


async def test_general_handling_is_three_working_days_from_acceptance(harness):
    handle, _ = await harness.start(severity=Severity.GENERAL)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    w = state.windows["handling"]
    calendar = PolicyBook.load().get(state.policy_version).calendar_model
    assert w.target == "3wd"
    assert w.due_at == calendar.add(w.opened_at, parse_duration("3wd"))
    assert w.warn_at == calendar.add(w.opened_at, parse_duration("3wd").scaled(0.8))
    assert w.due_at - w.opened_at >= 72 * H  # non-working days only ever add to it
    _, events = await settle(handle, harness.engine)
    assert events[-1]["kind"] == "accepted" and events[-1]["deadline"] == w.due_at

    await harness.sleep_until(w.due_at, -MARGIN)
    state, events = await settle(handle, harness.engine)
    assert of_kind(events, "breach") == [] and len(of_kind(events, "warning")) == 1
    await harness.sleep_until(w.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    [breach] = of_kind(events, "breach")
    assert breach["deadline"] == w.due_at and close_to(breach["at"], w.due_at)
    assert state.escalation.level == 2


async def test_waiting_on_the_customer_pauses_handling_with_exact_credit(harness):
    handle, w = await open_window(harness, "handling")
    accepted = w.opened_at
    await harness.sleep_until(accepted + 10 * H)
    state = await handle.execute_update(WF.request_info, RequestInfoAction(AGENT_CS, "Which?"))
    paused = state.windows["handling"]
    assert state.phase == Phase.WAITING_CUSTOMER
    assert paused.state == WindowState.PAUSED and paused.due_at is None and paused.warn_at is None
    used = paused.segments[0].end - paused.segments[0].start
    assert 10 * H <= used < 10 * H + 5 * S

    # Five days pass: far beyond the warning point and the deadline, and nothing fires.
    await harness.env.sleep(timedelta(days=5))
    state, events = await settle(handle, harness.engine)
    assert state.windows["handling"].state == WindowState.PAUSED
    assert of_kind(events, "warning") == [] and of_kind(events, "breach") == []
    assert events[-1]["kind"] == "paused" and events[-1]["window"] == "handling"

    state = await handle.execute_update(WF.customer_reply, CustomerReplyAction(HOTLINE, "Oct"))
    resumed = state.windows["handling"]
    resumed_at = resumed.segments[-1].start
    assert state.phase == Phase.IN_PROGRESS and resumed.state == WindowState.RUNNING
    assert len(resumed.segments) == 2
    assert resumed.due_at == resumed_at + (24 * H - used)  # exactly the 14 h that were left
    assert close_to(resumed.due_at, resumed_at + 14 * H)
    assert resumed.warn_at == resumed_at + (24 * H * 0.8 - used)
    state, events = await settle(handle, harness.engine)
    assert events[-1]["kind"] == "resumed" and events[-1]["deadline"] == resumed.due_at

    # The clock really restarted with 14 h left: warning and breach at the new instants.
    await harness.sleep_until(resumed.due_at, -MARGIN)
    state, events = await settle(handle, harness.engine)
    [warning] = of_kind(events, "warning")
    assert close_to(warning["at"], resumed.warn_at) and of_kind(events, "breach") == []
    await harness.sleep_until(resumed.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    [breach] = of_kind(events, "breach")
    assert breach["deadline"] == resumed.due_at and close_to(breach["at"], resumed.due_at)
