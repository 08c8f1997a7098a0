"""The inquiry case (咨询) on the real time-skipping server, with the real activities and
PostgreSQL: every window (response 5 min, first answer 30 min on the phone, handling 24 h or 48 h
for business-rule questions, feedback 2 working days, follow-up 48 h) warns and breaches at its
own deadline; first-contact resolution; conversion into a linked complaint; and the refusals.
Each step is checked in the workflow's state and in the rows PostgreSQL holds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from temporalio.client import WorkflowUpdateFailedError

from caseflow.domain import (
    AcceptAction,
    Actor,
    AnswerAction,
    CallbackAction,
    CaseType,
    Category,
    Channel,
    CloseAction,
    ConvertAction,
    FeedbackAction,
    FirstContactResolveAction,
    Outcome,
    Phase,
    ResolveAction,
    ReviewAction,
    Role,
    Satisfaction,
    Severity,
    WindowState,
)
from tests.workflows.conftest import (
    AGENT_CS,
    AGENT_PRODUCT,
    HOTLINE,
    SUPERVISOR,
    close_to,
    closed_state,
    notifications_of,
    settle,
)
from workflows.complaint import ComplaintWorkflow
from workflows.inquiry import InquiryWorkflow as WF

SHANGHAI = ZoneInfo("Asia/Shanghai")
S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
DAY = timedelta(days=1)
MARGIN = 2 * S
AGENT_POLICY = Actor("agent.policy", Role.AGENT, "Zhao Min", "policy")

# The 2026 dates on which the statutory calendar is not plain Monday-Friday (State Council
# notice for 2026: holidays on weekdays, make-up working days on weekends). The calendar
# package knows no later year; caseflow then counts Monday-Friday.
STATUTORY_2026 = frozenset(
    date.fromisoformat(d)
    for d in (
        "2026-01-01",
        "2026-01-02",
        "2026-01-04",
        "2026-02-14",
        "2026-02-16",
        "2026-02-17",
        "2026-02-18",
        "2026-02-19",
        "2026-02-20",
        "2026-02-23",
        "2026-02-28",
        "2026-04-06",
        "2026-05-01",
        "2026-05-04",
        "2026-05-05",
        "2026-05-09",
        "2026-06-19",
        "2026-09-20",
        "2026-09-25",
        "2026-10-01",
        "2026-10-02",
        "2026-10-05",
        "2026-10-06",
        "2026-10-07",
        "2026-10-10",
    )
)
THURSDAY = 3


# The window mechanics as written against 2026.2 (tests/workflows/conftest.py).
pytestmark = pytest.mark.usefixtures("on_2026_2")


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    """Each test's cases end with it, so later sleeps do not drive their timers."""
    yield
    await harness.terminate_open()


async def start(harness, channel: Channel = Channel.WEB, category: Category | None = None):
    return await harness.start(CaseType.INQUIRY, channel=channel, category=category)


def kinds(events) -> list[str]:
    return [e["kind"] for e in events]


def of_kind(events, kind: str) -> list[dict]:
    return [e for e in events if e["kind"] == kind]


async def next_plain_weekday(env, weekday: int, at: time) -> datetime:
    """The next `weekday` at `at` (Shanghai) after today whose following five days are plain
    Monday-Friday ones (no statutory exception), so a deadline can be worked out by hand."""
    day = (await env.get_current_time()).astimezone(SHANGHAI).date() + DAY
    while day.weekday() != weekday or any(day + DAY * i in STATUTORY_2026 for i in range(6)):
        day += DAY
    return datetime.combine(day, at, tzinfo=SHANGHAI)


# ---------------------------------------------------------------- response (5 minutes)


async def test_response_warns_at_four_minutes_and_breaches_at_five(harness):
    handle, state = await start(harness)
    response = state.windows["response"]
    assert response.target == "5m" and response.opened_at == state.opened_at
    assert response.due_at == state.opened_at + 5 * M
    assert response.warn_at == state.opened_at + 4 * M
    assert state.department == "customer_service"  # no category: the default department
    _, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake"] and events[0]["deadline"] == response.due_at
    notes = await notifications_of(harness.engine, state.case_id)
    assert [(n["recipient"], n["channel"], n["template"]) for n in notes] == [
        ("customer", "web", "intake_ack"),
        ("agent", "internal", "new_case"),
    ]

    await harness.sleep_until(response.due_at, -MARGIN)
    state, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "warning"]
    assert close_to(events[1]["at"], response.warn_at)
    assert state.windows["response"].state == WindowState.RUNNING

    await harness.sleep_until(response.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "warning", "breach", "escalated"]
    breach = events[2]
    assert breach["window"] == "response" and breach["deadline"] == response.due_at
    assert close_to(breach["at"], response.due_at)
    assert state.windows["response"].state == WindowState.BREACHED
    assert (state.escalation.level, state.escalation.window) == (2, "response")
    assert state.escalation.next_at == response.due_at + 4 * H
    notes = await notifications_of(harness.engine, state.case_id)
    assert [
        (n["recipient"], n["params"]["level"]) for n in notes if n["template"] == "escalation"
    ] == [("team_lead", "2")]

    # Taking the ticket late closes the window late and stops the chain (the level stays).
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.windows["response"].state == WindowState.MET_LATE
    assert state.escalation.level == 2 and state.escalation.next_at is None
    assert state.assignee == "agent.cs" and state.phase == Phase.IN_PROGRESS


# ---------------------------------------------------------------- first answer (30 minutes)


async def test_phone_inquiry_first_answer_clock_starts_at_accept_and_is_met(harness):
    handle, state = await start(harness, channel=Channel.PHONE)
    assert "first_answer" not in state.windows  # not before the ticket is taken
    await harness.sleep_until(state.opened_at + 3 * M)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    first, handling = state.windows["first_answer"], state.windows["handling"]
    accepted_at = handling.opened_at
    assert close_to(accepted_at, state.opened_at + 3 * M)
    assert state.windows["response"].state == WindowState.MET
    # Opened by the accept itself (not at intake), in the same step as the handling window.
    assert first.target == "30m" and close_to(first.opened_at, accepted_at)
    assert first.due_at == first.opened_at + 30 * M
    assert first.warn_at == first.opened_at + 24 * M
    assert handling.target == "24h" and handling.due_at == accepted_at + 24 * H

    await harness.sleep_until(first.opened_at + 20 * M)
    state = await handle.execute_update(WF.answer, AnswerAction(AGENT_CS, "your plan is X"))
    assert state.windows["first_answer"].state == WindowState.MET
    assert state.first_answer.answer == "your plan is X"
    assert state.windows["handling"].state == WindowState.RUNNING  # the answer is not the end

    # Past the 30 minutes: the answered window neither warns nor breaches.
    await harness.sleep_until(first.opened_at + 31 * M)
    state, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "accepted", "first_answer"]
    assert events[1]["deadline"] == accepted_at + 24 * H
    assert events[2]["window"] == "first_answer" and events[2]["actor_id"] == "agent.cs"
    assert state.escalation.level == 1


async def test_first_answer_breaches_exactly_at_thirty_minutes(harness):
    handle, _ = await start(harness, channel=Channel.PHONE)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    first = state.windows["first_answer"]

    await harness.sleep_until(first.due_at, -MARGIN)
    state, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "accepted", "warning"]
    assert events[2]["window"] == "first_answer" and close_to(events[2]["at"], first.warn_at)
    assert state.escalation.level == 1

    await harness.sleep_until(first.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert kinds(events)[-2:] == ["breach", "escalated"]
    breach = events[-2]
    assert breach["window"] == "first_answer" and breach["deadline"] == first.due_at
    assert close_to(breach["at"], first.due_at)
    assert state.windows["first_answer"].state == WindowState.BREACHED
    assert state.windows["handling"].state == WindowState.RUNNING
    assert (state.escalation.level, state.escalation.window) == (2, "first_answer")
    assert state.escalation.next_at == first.due_at + 4 * H

    state = await handle.execute_update(WF.answer, AnswerAction(AGENT_CS, "late answer"))
    assert state.windows["first_answer"].state == WindowState.MET_LATE
    assert state.escalation.next_at is None and state.escalation.level == 2


async def test_web_inquiry_has_no_first_answer_window(harness):
    handle, _ = await start(harness, channel=Channel.WEB)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert set(state.windows) == {"response", "handling"}


# ---------------------------------------------------------------- handling (24 h / 48 h)


@pytest.mark.parametrize(
    ("category", "department", "agent", "target"),
    [
        (None, "customer_service", AGENT_CS, 24 * H),
        (Category.RULES, "policy", AGENT_POLICY, 48 * H),  # a business-rule question
    ],
    ids=["general", "rules"],
)
async def test_handling_window_breaches_at_its_deadline(
    harness, category, department, agent, target
):
    handle, state = await start(harness, category=category)
    assert state.department == department
    state = await handle.execute_update(WF.accept, AcceptAction(agent))
    handling = state.windows["handling"]
    assert handling.target == f"{int(target / H)}h"
    assert handling.due_at == handling.opened_at + target
    assert handling.warn_at == handling.opened_at + target * 0.8

    await harness.sleep_until(handling.due_at, -MARGIN)
    state, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "accepted", "warning"]
    assert close_to(events[-1]["at"], handling.warn_at)

    await harness.sleep_until(handling.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert kinds(events)[-2:] == ["breach", "escalated"]
    assert events[-2]["window"] == "handling" and events[-2]["deadline"] == handling.due_at
    assert close_to(events[-2]["at"], handling.due_at)
    assert (state.escalation.level, state.escalation.window) == (2, "handling")

    state = await handle.execute_update(WF.resolve, ResolveAction(agent, "explained", "kb"))
    assert state.windows["handling"].state == WindowState.MET_LATE
    assert state.phase == Phase.RESOLVED and state.escalation.next_at is None
    assert state.resolution.department == department


# ---------------------------------------------------------------- feedback and follow-up


async def test_feedback_in_two_working_days_then_follow_up_in_48_hours(harness):
    # Resolved on a Thursday at 15:00 (Shanghai): 2 working days = the 9 h left of Thursday,
    # all of Friday, and 15 h of Monday (the weekend does not count) -> Monday 15:00.
    thursday = await next_plain_weekday(harness.env, THURSDAY, time(15, 0))
    await harness.sleep_until(thursday)
    handle, _ = await start(harness)
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "answered", "kb"))
    feedback = state.windows["feedback"]
    resolved_at = feedback.opened_at
    assert resolved_at.astimezone(SHANGHAI).date() == thursday.date()
    assert close_to(resolved_at, thursday)
    expected_due = resolved_at + 4 * DAY  # Monday, the same time of day
    assert expected_due.astimezone(SHANGHAI).weekday() == 0
    # 80 % = 38.4 h: 33 h by Friday midnight, 5.4 h into Monday = 9.6 h before the deadline.
    expected_warn = expected_due - timedelta(hours=9, minutes=36)
    assert feedback.target == "2wd"
    assert feedback.due_at == expected_due and feedback.warn_at == expected_warn
    _, events = await settle(handle, harness.engine)
    assert events[-1]["kind"] == "resolved" and events[-1]["deadline"] == expected_due

    # The whole weekend passes quietly; the warning comes on Monday morning.
    await harness.sleep_until(expected_warn, -MARGIN)
    _, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "accepted", "resolved"]
    await harness.sleep_until(expected_due, -MARGIN)
    _, events = await settle(handle, harness.engine)
    assert kinds(events)[-1] == "warning" and close_to(events[-1]["at"], expected_warn)
    await harness.sleep_until(expected_due, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert kinds(events)[-2:] == ["breach", "escalated"]
    assert events[-2]["window"] == "feedback" and events[-2]["deadline"] == expected_due
    assert close_to(events[-2]["at"], expected_due)
    assert (state.escalation.level, state.escalation.window) == (2, "feedback")

    # The result is delivered (late) on the channel the customer used; follow-up starts.
    state = await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "here it is"))
    assert state.windows["feedback"].state == WindowState.MET_LATE
    assert state.phase == Phase.FEEDBACK_GIVEN and state.escalation.next_at is None
    follow_up = state.windows["follow_up"]
    assert follow_up.target == "48h" and follow_up.due_at == follow_up.opened_at + 48 * H
    notes = await notifications_of(harness.engine, state.case_id)
    [delivered] = [n for n in notes if n["template"] == "feedback"]
    assert (delivered["recipient"], delivered["channel"]) == ("customer", "web")
    assert delivered["params"]["message"] == "here it is"

    await harness.sleep_until(follow_up.due_at, -MARGIN)
    state, events = await settle(handle, harness.engine)
    assert of_kind(events, "breach")[-1]["window"] == "feedback"
    await harness.sleep_until(follow_up.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    breach = of_kind(events, "breach")[-1]
    assert breach["window"] == "follow_up" and breach["deadline"] == follow_up.due_at
    assert close_to(breach["at"], follow_up.due_at)
    assert (state.escalation.level, state.escalation.window) == (3, "follow_up")

    await handle.execute_update(WF.callback, CallbackAction(AGENT_CS, Satisfaction.SATISFIED))
    final = await closed_state(handle)
    assert final.phase == Phase.ARCHIVED and final.outcome == Outcome.RESOLVED
    assert final.windows["follow_up"].state == WindowState.MET_LATE
    assert final.satisfaction.satisfaction == "satisfied"
    _, events = await settle(handle, harness.engine)
    assert kinds(events)[-2:] == ["callback", "archived"]
    assert events[-1]["data"] == {"outcome": "resolved"}


# ---------------------------------------------------------------- first-contact resolution


@pytest.mark.parametrize("ending", ["close", "callback"])
async def test_first_contact_resolution_records_feedback_and_runs_follow_up(harness, ending):
    handle, state = await start(harness, channel=Channel.PHONE)
    assert state.phase == Phase.NEW
    state = await handle.execute_update(
        WF.resolve_at_intake, FirstContactResolveAction(AGENT_CS, "roaming is on by default")
    )
    assert state.phase == Phase.FEEDBACK_GIVEN and state.assignee == "agent.cs"
    assert state.windows["response"].state == WindowState.MET
    assert "handling" not in state.windows and "first_answer" not in state.windows
    assert state.resolution.process == "answered at first contact"
    assert state.resolution.result == "roaming is on by default"
    assert state.feedback.message == "roaming is on by default"
    assert state.feedback.channel == "phone" and state.feedback.delivered_by == "agent.cs"
    follow_up = state.windows["follow_up"]
    assert follow_up.state == WindowState.RUNNING and follow_up.target == "48h"
    assert close_to(follow_up.opened_at, state.updated_at)
    assert follow_up.due_at == follow_up.opened_at + 48 * H
    _, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "resolved_at_first_contact"]
    assert events[1]["window"] == "follow_up" and events[1]["deadline"] == follow_up.due_at

    if ending == "close":
        await handle.execute_update(WF.close, CloseAction(AGENT_CS, "no callback wanted"))
        expected, last, kind = Outcome.CLOSED, WindowState.CANCELLED, "closed"
    else:
        await handle.execute_update(
            WF.callback, CallbackAction(AGENT_CS, Satisfaction.BASICALLY_SATISFIED)
        )
        expected, last, kind = Outcome.RESOLVED, WindowState.MET, "callback"
    final = await closed_state(handle)
    assert final.phase == Phase.ARCHIVED and final.outcome == expected
    assert final.windows["follow_up"].state == last and final.closed_at is not None
    _, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "resolved_at_first_contact", kind, "archived"]
    assert events[-1]["data"] == {"outcome": expected.value}
    async with harness.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT phase, state->>'outcome' FROM cases WHERE case_id = :c"),
                {"c": final.case_id},
            )
        ).one()
    assert tuple(row) == ("archived", expected.value)


# ---------------------------------------------------------------- conversion


async def test_conversion_creates_a_linked_complaint_and_archives_the_inquiry(harness):
    handle, state = await start(harness, channel=Channel.PHONE)
    inquiry_id = state.case_id
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(
        WF.convert,
        ConvertAction(AGENT_CS, Category.NETWORK, Severity.MAJOR, "customer is aggrieved"),
    )
    complaint_id = state.links["converted_to"]
    assert complaint_id.startswith("CMP-") and complaint_id != inquiry_id
    assert state.phase == Phase.ARCHIVED and state.outcome == Outcome.CONVERTED
    assert all(not w.is_open for w in state.windows.values())

    complaint = harness.env.client.get_workflow_handle(complaint_id)
    harness.handles.append(complaint)
    cstate = await complaint.execute_update(ComplaintWorkflow.opened)  # intake recorded
    assert cstate.case_type == CaseType.COMPLAINT
    assert cstate.links == {"converted_from": inquiry_id}
    assert (cstate.category, cstate.severity) == (Category.NETWORK, Severity.MAJOR)
    assert cstate.department == "network_ops" and cstate.phase == Phase.NEW
    assert cstate.customer == state.customer and cstate.channel == Channel.PHONE
    assert "customer is aggrieved" in cstate.description and inquiry_id in cstate.description
    assert cstate.windows["response"].due_at == cstate.opened_at + 24 * H

    final = await closed_state(handle)
    assert final.links == {"converted_to": complaint_id}
    _, inquiry_events = await settle(handle, harness.engine)
    assert kinds(inquiry_events) == ["intake", "accepted", "converted", "archived"]
    assert inquiry_events[2]["data"] == {"complaint_id": complaint_id}
    assert inquiry_events[3]["data"] == {"outcome": "converted"}
    _, complaint_events = await settle(complaint, harness.engine)
    assert kinds(complaint_events) == ["intake"]
    assert complaint_events[0]["actor_id"] == "agent.cs"
    async with harness.engine.connect() as conn:
        rows = dict(
            (
                await conn.execute(
                    text("SELECT case_id, state->'links' FROM cases WHERE case_id IN (:a, :b)"),
                    {"a": inquiry_id, "b": complaint_id},
                )
            ).all()
        )
    assert rows == {
        inquiry_id: {"converted_to": complaint_id},
        complaint_id: {"converted_from": inquiry_id},
    }


# ---------------------------------------------------------------- refusals


async def refused(handle, update, arg) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, arg)
    return info.value.cause.type


async def test_actions_that_do_not_fit_are_refused_and_leave_no_trace(harness):
    handle, state = await start(harness)
    assert await refused(handle, WF.answer, AnswerAction(AGENT_CS, "too early")) == "InvalidState"
    assert await refused(handle, WF.close, CloseAction(AGENT_CS, "x")) == "InvalidState"
    assert await refused(handle, WF.accept, AcceptAction(AGENT_PRODUCT)) == "Forbidden"
    assert await refused(handle, WF.accept, AcceptAction(HOTLINE)) == "Forbidden"

    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(
            WF.resolve_at_intake, FirstContactResolveAction(AGENT_CS, "too late")
        )
    assert info.value.cause.type == "InvalidState"
    assert "in_progress" in info.value.cause.message
    assert await refused(handle, WF.accept, AcceptAction(AGENT_CS)) == "InvalidState"
    assert (
        await refused(handle, WF.callback, CallbackAction(AGENT_CS, Satisfaction.SATISFIED))
        == "InvalidState"
    )
    assert await refused(handle, WF.feedback, FeedbackAction(AGENT_CS, "x")) == "InvalidState"

    state, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake", "accepted"] and state.seq == 2
    assert state.phase == Phase.IN_PROGRESS


async def test_review_on_an_inquiry_is_an_invalid_state(harness):
    handle, _ = await start(harness)
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert await refused(handle, "review", ReviewAction(SUPERVISOR, True)) == "InvalidState"
