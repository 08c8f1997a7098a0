"""Complaint actions on the real time-skipping server: dispute and reopen, transfer and its
window, the validators that refuse actions (and leave no trace), and the idempotent record
activity the workflow writes PostgreSQL through."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.records import RecordActivities
from caseflow.domain import (
    AcceptAction,
    AcknowledgeAction,
    Actor,
    AuditEvent,
    CallbackAction,
    CustomerResponseAction,
    FeedbackAction,
    NoteAction,
    NotificationRequest,
    Outcome,
    Phase,
    RecordRequest,
    ResolveAction,
    Role,
    Satisfaction,
    Severity,
    TransferAction,
    WindowState,
)
from caseflow.readmodel.writes import ReadModelWriter
from tests.workflows.conftest import (
    AGENT_CS,
    AGENT_PRODUCT,
    HOTLINE,
    SUPERVISOR,
    bare_state,
    close_to,
    closed_state,
    events_of,
    notifications_of,
    settle,
)
from workflows.complaint import ComplaintWorkflow as WF

H = timedelta(hours=1)
MARGIN = timedelta(seconds=2)
AGENT_MARKETING = Actor("agent.marketing", Role.AGENT, "Zhao Lei", "marketing")


# The window mechanics as written against 2026.2 (tests/workflows/conftest.py).
pytestmark = pytest.mark.usefixtures("on_2026_2")


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    yield
    await harness.terminate_open()


def kinds(events) -> list[str]:
    return [e["kind"] for e in events]


async def refused(handle, update, arg) -> ApplicationError:
    """Run an update that must be refused; return the ApplicationError it was refused with."""
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, arg)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError), repr(cause)
    return cause


async def accepted_updates(handle) -> list[str]:
    """Names of the updates the workflow accepted, from its history."""
    history = await handle.fetch_history()
    return [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]


# ---------------------------------------------------------------------------- dispute


async def test_dispute_reopens_with_a_fresh_handling_window_and_archives_the_second_time(
    harness,
):
    handle, _ = await harness.start(severity=Severity.URGENT)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    first_handling = state.windows["handling"]
    await harness.env.sleep(10 * H)  # 10 of the 24 h used before the first resolution
    await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "refund 30", "billing"))
    state = await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "refunded"))
    follow_up = state.windows["follow_up"]
    assert state.phase == Phase.FEEDBACK_GIVEN and follow_up.state == WindowState.RUNNING
    # The customer disputes late in the follow-up window (its warning has fired by then).
    await harness.sleep_until(follow_up.opened_at + 40 * H)

    state = await handle.execute_update(WF.dispute, CustomerResponseAction(HOTLINE, "not enough"))
    assert state.phase == Phase.IN_PROGRESS and state.reopen_count == 1
    assert state.customer_confirmed is False
    handling = state.windows["handling"]
    assert handling.state == WindowState.RUNNING and handling.target == "24h"
    assert handling.opened_at >= first_handling.opened_at + 50 * H  # a new window...
    assert len(handling.segments) == 1 and handling.warned_at is None
    assert handling.due_at == handling.opened_at + 24 * H  # ...with the full target again
    assert handling.warn_at == handling.opened_at + 24 * H * 0.8
    assert state.windows["follow_up"].state == WindowState.CANCELLED
    assert "feedback" not in state.windows  # the next resolution opens a new one
    _, events = await settle(handle, harness.engine)
    reopened = events[-1]
    assert reopened["kind"] == "reopened" and reopened["data"]["reopen_count"] == "1"
    assert reopened["window"] == "handling" and reopened["deadline"] == handling.due_at
    assert reopened["actor_id"] == HOTLINE.user_id

    # The cancelled follow-up's deadline passes without a breach.
    await harness.sleep_until(follow_up.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert "breach" not in kinds(events) and state.escalation.level == 1
    assert state.windows["handling"].state == WindowState.RUNNING

    await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "refund 60", "recheck"))
    state = await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "refunded more"))
    assert state.windows["follow_up"].state == WindowState.RUNNING
    state = await handle.execute_update(
        WF.callback, CallbackAction(AGENT_CS, Satisfaction.BASICALLY_SATISFIED)
    )
    clock = await harness.env.get_current_time()
    result = await closed_state(handle)
    assert await harness.env.get_current_time() - clock < timedelta(minutes=1)
    assert result.phase == Phase.ARCHIVED and result.outcome == Outcome.RESOLVED
    assert result.reopen_count == 1 and result.resolution.result == "refund 60"
    assert result.windows["follow_up"].state == WindowState.MET
    assert not any(w.is_open for w in result.windows.values())
    _, events = await settle(handle, harness.engine)
    assert kinds(events) == [
        "intake",
        "accepted",
        "resolved",
        "feedback_delivered",
        "warning",
        "reopened",
        "resolved",
        "feedback_delivered",
        "callback",
        "archived",
    ]
    assert [e["window"] for e in events if e["kind"] == "warning"] == ["follow_up"]
    async with harness.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT phase, reopen_count, seq FROM cases WHERE case_id = :c"),
                {"c": result.case_id},
            )
        ).one()
    assert tuple(row) == ("archived", 1, result.seq)


# ---------------------------------------------------------------------------- transfer


async def test_transfer_rearms_the_window_breaches_and_only_the_new_department_takes_it(harness):
    handle, _ = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(
        WF.transfer, TransferAction(AGENT_CS, "product", "billing system")
    )
    first = state.windows["transfer"]
    assert state.phase == Phase.TRANSFERRED and state.department == "product"
    assert state.assignee is None and state.transfer_count == 1
    assert first.target == "1h" and first.due_at == first.opened_at + H

    # The old department's agent can no longer take it.
    cause = await refused(handle, WF.accept, AcceptAction(AGENT_CS))
    assert cause.type == "Forbidden" and "product" in cause.message

    # Re-transferred after 30 min: the old window is cancelled, a new full hour starts.
    await harness.sleep_until(first.opened_at + 30 * timedelta(minutes=1))
    state = await handle.execute_update(
        WF.transfer, TransferAction(AGENT_PRODUCT, "marketing", "a promotion")
    )
    second = state.windows["transfer"]
    assert state.department == "marketing" and state.transfer_count == 2
    assert second.opened_at >= first.opened_at + 30 * timedelta(minutes=1)
    assert second.due_at == second.opened_at + H and second.state == WindowState.RUNNING
    _, events = await settle(handle, harness.engine)
    transfers = [e for e in events if e["kind"] == "transferred"]
    assert [e["deadline"] for e in transfers] == [first.due_at, second.due_at]
    assert [e["data"]["to_department"] for e in transfers] == ["product", "marketing"]

    # The first window's deadline passes without effect: it was cancelled.
    await harness.sleep_until(first.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert "breach" not in kinds(events)
    assert state.windows["transfer"].state == WindowState.RUNNING

    # Nobody in marketing takes it within the hour: breach at the new deadline, escalation.
    await harness.sleep_until(second.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    [breach] = [e for e in events if e["kind"] == "breach"]
    assert breach["window"] == "transfer" and breach["deadline"] == second.due_at
    assert close_to(breach["at"], second.due_at)
    assert state.windows["transfer"].state == WindowState.BREACHED
    assert (state.escalation.level, state.escalation.window) == (2, "transfer")
    assert state.escalation.next_at == second.due_at + 4 * H

    cause = await refused(handle, WF.accept, AcceptAction(AGENT_PRODUCT))
    assert cause.type == "Forbidden"
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_MARKETING))
    assert state.phase == Phase.IN_PROGRESS and state.assignee == AGENT_MARKETING.user_id
    assert state.windows["transfer"].state == WindowState.MET_LATE
    assert state.escalation.next_at is None  # taking it up ends the transfer chain
    assert state.windows["handling"].state == WindowState.RUNNING  # handling never stopped
    await harness.sleep_until(second.due_at + 4 * H, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert state.escalation.level == 2
    notes = await notifications_of(harness.engine, state.case_id)
    transfer_alerts = [n["department"] for n in notes if n["template"] == "transfer"]
    assert transfer_alerts == ["product", "marketing"]


async def test_transfer_taken_up_in_time_is_met(harness):
    handle, _ = await harness.start()
    state = await handle.execute_update(
        WF.transfer, TransferAction(AGENT_CS, "product", "not ours")
    )
    assert state.windows["response"].state == WindowState.RUNNING  # still not accepted
    await harness.sleep_until(state.windows["transfer"].due_at, -MARGIN)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_PRODUCT))
    assert state.windows["transfer"].state == WindowState.MET
    assert state.windows["response"].state == WindowState.MET  # accepting closes both
    assert state.windows["handling"].state == WindowState.RUNNING
    await harness.env.sleep(2 * H)
    _, events = await settle(handle, harness.engine)
    assert "breach" not in kinds(events)


async def test_transfer_to_the_same_department_is_refused(harness):
    handle, state = await harness.start()
    cause = await refused(handle, WF.transfer, TransferAction(AGENT_CS, "customer_service", "x"))
    assert cause.type == "InvalidInput"
    _, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake"]


# ---------------------------------------------------------------------------- validators


async def test_accept_when_resolved_is_an_invalid_state_naming_the_phase(harness):
    handle, _ = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "fixed", "reset"))
    assert state.phase == Phase.RESOLVED
    _, before = await settle(handle, harness.engine)
    notes_before = await notifications_of(harness.engine, state.case_id)

    accepted_before = await accepted_updates(handle)
    cause = await refused(handle, WF.accept, AcceptAction(AGENT_CS))
    assert cause.type == "InvalidState"
    assert "'resolved'" in cause.message and "accept" in cause.message
    assert await accepted_updates(handle) == accepted_before == ["opened", "accept", "resolve"]
    assert cause.non_retryable

    state, after = await settle(handle, harness.engine)
    assert after == before and state.seq == len(before) and state.phase == Phase.RESOLVED
    assert await notifications_of(harness.engine, state.case_id) == notes_before


@pytest.mark.parametrize(
    ("update", "arg", "error"),
    [
        (WF.accept, AcceptAction(AGENT_PRODUCT), "Forbidden"),  # another department
        (WF.accept, AcceptAction(HOTLINE), "Forbidden"),  # a channel cannot act
        (WF.note, NoteAction(AGENT_PRODUCT, "not mine"), "Forbidden"),
        (WF.resolve, ResolveAction(AGENT_CS, "x", "y"), "InvalidState"),  # not accepted
        (WF.feedback, FeedbackAction(AGENT_CS, "x"), "InvalidState"),
        (WF.dispute, CustomerResponseAction(HOTLINE, "x"), "InvalidState"),
        (WF.acknowledge, AcknowledgeAction(SUPERVISOR), "InvalidState"),  # nothing escalated
        (WF.acknowledge, AcknowledgeAction(AGENT_CS), "Forbidden"),  # not a supervisor
    ],
    ids=[
        "other-dept",
        "channel",
        "note-other-dept",
        "resolve-new",
        "feedback-new",
        "dispute-new",
        "ack-nothing",
        "ack-agent",
    ],
)
async def test_refused_actions_leave_no_trace(harness, update, arg, error):
    handle, state = await harness.start()
    accepted_before = await accepted_updates(handle)
    cause = await refused(handle, update, arg)
    assert cause.type == error
    # Refused by the validator: not even accepted into the workflow's history.
    assert await accepted_updates(handle) == accepted_before
    if error == "InvalidState":
        assert "'new'" in cause.message or "escalation" in cause.message
    state, events = await settle(handle, harness.engine)
    assert kinds(events) == ["intake"] and state.seq == 1
    assert state.phase == Phase.NEW and state.assignee is None
    # The case still works normally afterwards.
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.phase == Phase.IN_PROGRESS


# ---------------------------------------------------------------------------- records


async def _case_row(engine, case_id: str):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT phase, seq, state->>'phase' AS snap FROM cases WHERE case_id = :c"),
                {"c": case_id},
            )
        ).one()


async def test_record_transition_is_idempotent_and_never_goes_back(db_engine):
    records = RecordActivities(ReadModelWriter(db_engine))
    activity_env = ActivityEnvironment()
    now = datetime.now(UTC).replace(microsecond=0)
    case_id = f"CMP-T-{uuid.uuid4().hex[:10]}"
    intake = RecordRequest(
        state=bare_state(case_id, now),
        events=[AuditEvent(1, "intake", now, "channel.hotline", "channel", "filed")],
        notifications=[NotificationRequest("customer", "sms", "intake_ack")],
    )
    await activity_env.run(records.record_transition, intake)
    await activity_env.run(records.record_transition, intake)  # a retry of the same request
    events = await events_of(db_engine, case_id)
    assert [(e["seq"], e["kind"]) for e in events] == [(1, "intake")]
    assert len(await notifications_of(db_engine, case_id)) == 1
    assert tuple(await _case_row(db_engine, case_id)) == ("new", 1, "new")

    later = now + timedelta(minutes=5)
    accepted = RecordRequest(
        state=bare_state(case_id, now, seq=2, phase=Phase.IN_PROGRESS),
        events=[AuditEvent(2, "accepted", later, "agent.cs", "agent", "accepted")],
    )
    await activity_env.run(records.record_transition, accepted)
    await activity_env.run(records.record_transition, intake)  # a late retry of the older one
    assert tuple(await _case_row(db_engine, case_id)) == ("in_progress", 2, "in_progress")
    events = await events_of(db_engine, case_id)
    assert [(e["seq"], e["kind"]) for e in events] == [(1, "intake"), (2, "accepted")]
    assert events[1]["at"] == later
    notes = await notifications_of(db_engine, case_id)
    assert [(n["seq"], n["template"]) for n in notes] == [(1, "intake_ack")]
