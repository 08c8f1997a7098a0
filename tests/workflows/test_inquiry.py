"""The inquiry case: 5-minute take-up, 30-minute first answer on the phone, 24 h handling (48 h
for business-rule questions), first-contact resolution, closing and conversion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from temporalio.client import WorkflowUpdateFailedError

from caseflow.domain import (
    AcceptAction,
    AnswerAction,
    CallbackAction,
    CaseType,
    Category,
    Channel,
    CloseAction,
    ConvertAction,
    FeedbackAction,
    FirstContactResolveAction,
    Phase,
    ResolveAction,
    Satisfaction,
    Severity,
    WindowState,
)
from tests.conftest import fetch_events
from tests.workflows.conftest import AGENT_CS, SUPERVISOR, close_to
from workflows.complaint import ComplaintWorkflow
from workflows.inquiry import InquiryWorkflow as WF

M = timedelta(minutes=1)
H = timedelta(hours=1)


async def start(harness, **kw):
    kw.setdefault("category", None)
    return await harness.start(CaseType.INQUIRY, **kw)


async def test_ticket_must_be_taken_within_five_minutes(harness):
    handle, state = await start(harness)
    response = state.windows["response"]
    assert response.target == "5m" and response.due_at == state.opened_at + 5 * M
    await harness.env.sleep(5 * M + timedelta(seconds=2))
    state = await handle.query(WF.snapshot)
    assert state.windows["response"].state == WindowState.BREACHED
    assert state.escalation.level == 2
    events = await fetch_events(harness.engine, state.case_id)
    breach = next(e for e in events if e["kind"] == "breach")
    assert breach["deadline"] == response.due_at and close_to(breach["at"], response.due_at)


async def test_phone_inquiry_first_answer_within_thirty_minutes(harness):
    handle, _ = await start(harness, channel=Channel.PHONE)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    first = state.windows["first_answer"]
    handling = state.windows["handling"]
    assert first.due_at == first.opened_at + 30 * M
    assert handling.target == "24h" and handling.due_at == handling.opened_at + 24 * H
    await harness.env.sleep(30 * M + timedelta(seconds=2))
    state = await handle.query(WF.snapshot)
    assert state.windows["first_answer"].state == WindowState.BREACHED
    state = await handle.execute_update(WF.answer, AnswerAction(AGENT_CS, "your plan is X"))
    assert state.windows["first_answer"].state == WindowState.MET_LATE
    assert state.escalation.next_at is None


async def test_web_inquiry_has_no_first_answer_window(harness):
    handle, _ = await start(harness, channel=Channel.WEB)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert "first_answer" not in state.windows


async def test_business_rule_question_gets_48_hours(harness):
    handle, state = await start(harness, channel=Channel.WEB, category=Category.RULES)
    assert state.department == "policy"  # routed by category, like a complaint
    state = await handle.execute_update(WF.accept, AcceptAction(SUPERVISOR))
    handling = state.windows["handling"]
    assert handling.target == "48h" and handling.due_at == handling.opened_at + 48 * H


async def test_feedback_within_two_working_days_then_callback(harness):
    handle, _ = await start(harness, channel=Channel.WEB)
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "answered", "kb"))
    feedback = state.windows["feedback"]
    assert feedback.target == "2wd"
    # Two working days: at least 48 h of time, more when a weekend or holiday intervenes.
    assert feedback.due_at >= feedback.opened_at + 48 * H
    assert feedback.due_at <= feedback.opened_at + 48 * H + timedelta(days=12)
    await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "here is the answer"))
    await handle.execute_update(WF.callback, CallbackAction(AGENT_CS, Satisfaction.SATISFIED))
    result = await handle.result()
    assert result.phase == Phase.ARCHIVED and result.outcome == "resolved"


async def test_first_contact_resolution_records_feedback_and_keeps_follow_up(harness):
    handle, _ = await start(harness)
    state = await handle.execute_update(
        WF.resolve_at_intake, FirstContactResolveAction(AGENT_CS, "roaming is on by default")
    )
    assert state.phase == Phase.FEEDBACK_GIVEN
    assert state.windows["response"].state == WindowState.MET
    assert state.feedback["message"] == "roaming is on by default"
    assert state.resolution["process"] == "answered at first contact"
    follow_up = state.windows["follow_up"]
    assert follow_up.state == WindowState.RUNNING and follow_up.target == "48h"
    state = await handle.execute_update(WF.close, CloseAction(AGENT_CS, "no callback wanted"))
    result = await handle.result()
    assert result.outcome == "closed"
    events = [e["kind"] for e in await fetch_events(harness.engine, result.case_id)]
    assert events == ["intake", "resolved_at_first_contact", "closed", "archived"]


async def test_conversion_creates_a_linked_complaint_and_closes_the_inquiry(harness):
    handle, _ = await start(harness)
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(
        WF.convert,
        ConvertAction(AGENT_CS, Category.SERVICE, Severity.MAJOR, "customer is aggrieved"),
    )
    complaint_id = state.links["converted_to"]
    assert state.phase == Phase.ARCHIVED and state.outcome == "converted"
    assert complaint_id.startswith("CMP-")
    complaint = harness.env.client.get_workflow_handle(complaint_id)
    harness.handles.append(complaint)
    for _ in range(50):
        async with harness.engine.connect() as conn:
            found = (await conn.execute(
                text("SELECT 1 FROM cases WHERE case_id = :c"), {"c": complaint_id}
            )).first()
        if found:
            break
        await harness.env.sleep(timedelta(seconds=1))
    cstate = await complaint.query(ComplaintWorkflow.snapshot)
    assert cstate.links == {"converted_from": state.case_id}
    assert cstate.severity == Severity.MAJOR and cstate.phase == Phase.NEW
    assert "customer is aggrieved" in cstate.description
    inquiry_events = [e["kind"] for e in await fetch_events(harness.engine, state.case_id)]
    assert inquiry_events[-2:] == ["converted", "archived"]
    assert [e["kind"] for e in await fetch_events(harness.engine, complaint_id)] == ["intake"]


async def test_inquiry_refuses_steps_it_does_not_have(harness):
    handle, _ = await start(harness)
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            WF.resolve_at_intake, FirstContactResolveAction(AGENT_CS, "too late")
        )
    assert refused.value.cause.type == "InvalidState"
    assert "in_progress" in refused.value.cause.message
