"""Fault repair (故障报修) on the real time-skipping server: the 2 h restoration clock counted
from the report (000 §3.1), its warning and breach at their exact instants and the escalation
that follows, dispatch with an appointment the customer is told, restoration with cause and fix,
the customer's confirmation or "still broken" (reopened, counted), and the callback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from caseflow.domain import (
    AcceptAction,
    CallbackAction,
    CaseType,
    CustomerResponseAction,
    DispatchAction,
    Outcome,
    Phase,
    ProgressAction,
    RestoredAction,
    Satisfaction,
    Urgency,
    WindowState,
)
from tests.factories import NETWORK
from tests.workflows.conftest import (
    HOTLINE,
    close_to,
    closed_state,
    notifications_of,
    settle,
)
from workflows.fault import FaultWorkflow as WF

H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    yield
    await harness.terminate_open()


def kinds(events) -> list[str]:
    return [e["kind"] for e in events]


def to_customer(notes, template: str) -> list[dict]:
    return [n for n in notes if n["template"] == template and n["recipient"] == "customer"]


async def test_a_fault_from_report_to_callback(harness):
    handle, state = await harness.start(CaseType.FAULT)
    opened = state.opened_at
    assert state.department == "network_ops" and state.phase == Phase.NEW
    # Response (1 h) and restoration (2 h) both count from the report.
    assert state.windows["response"].due_at == opened + 1 * H
    assert state.windows["restoration"].due_at == opened + 2 * H
    assert state.fault.service_number == "021-55501234" and state.urgency == Urgency.NORMAL

    await harness.sleep_until(opened + 10 * M)
    state = await handle.execute_update(WF.accept, AcceptAction(NETWORK))
    assert state.phase == Phase.IN_PROGRESS
    assert state.windows["response"].state == WindowState.MET
    dispatch = state.windows["dispatch"]
    assert dispatch.target == "30m" and close_to(dispatch.due_at, opened + 40 * M)

    appointment = datetime(2030, 1, 1, 6, 0, tzinfo=UTC)
    state = await handle.execute_update(
        WF.dispatch, DispatchAction(NETWORK, "Zhang Min", appointment, "bring a new ONT")
    )
    assert state.phase == Phase.DISPATCHED and state.windows["dispatch"].state == WindowState.MET
    assert state.fault.engineer == "Zhang Min" and state.fault.appointment_at == appointment
    await handle.execute_update(WF.progress, ProgressAction(NETWORK, "engineer on the way"))

    await harness.sleep_until(opened + 90 * M)
    state = await handle.execute_update(
        WF.restored, RestoredAction(NETWORK, "damaged fibre", "spliced and tested")
    )
    assert state.phase == Phase.RESOLVED
    assert state.windows["restoration"].state == WindowState.MET  # within its 2 h
    assert state.fault.cause == "damaged fibre" and state.fault.restored_by == "agent.network"
    assert state.windows["feedback"].state == WindowState.RUNNING

    state = await handle.execute_update(WF.confirm, CustomerResponseAction(HOTLINE, "works"))
    assert state.phase == Phase.FEEDBACK_GIVEN and state.customer_confirmed is True
    assert state.windows["follow_up"].state == WindowState.RUNNING
    state = await handle.execute_update(
        WF.callback, CallbackAction(NETWORK, Satisfaction.SATISFIED)
    )
    assert state.phase == Phase.ARCHIVED and state.outcome == Outcome.RESOLVED
    await closed_state(handle)

    _, events = await settle(handle, harness.engine)
    assert kinds(events) == [
        "intake",
        "accepted",
        "dispatched",
        "progress",
        "restored",
        "customer_confirmed",
        "callback",
        "archived",
    ]
    notes = await notifications_of(harness.engine, state.case_id)
    # The customer is kept informed at every step, each told once.
    assert [n["template"] for n in notes if n["recipient"] == "customer"] == [
        "intake_ack",
        "appointment",
        "progress",
        "restored",
    ]
    [appt] = to_customer(notes, "appointment")
    assert appt["params"]["engineer"] == "Zhang Min"
    assert datetime.fromisoformat(appt["params"]["appointment"]) == appointment
    [restored] = to_customer(notes, "restored")
    assert restored["params"]["cause"] == "damaged fibre"


async def test_restoration_breaches_at_two_hours_and_escalates(harness):
    handle, state = await harness.start(CaseType.FAULT)
    opened = state.opened_at
    await handle.execute_update(WF.accept, AcceptAction(NETWORK))
    appointment = opened + 1 * H
    await handle.execute_update(WF.dispatch, DispatchAction(NETWORK, "Li Lei", appointment))
    restoration = state.windows["restoration"]
    assert restoration.warn_at == opened + 96 * M  # 80 % of 2 h

    await harness.sleep_until(restoration.warn_at, -S)
    state, events = await settle(handle, harness.engine)
    assert "warning" not in [e["kind"] for e in events if e["window"] == "restoration"]
    await harness.sleep_until(restoration.warn_at, S)
    state, events = await settle(handle, harness.engine)
    [warning] = [e for e in events if e["kind"] == "warning" and e["window"] == "restoration"]
    assert close_to(warning["at"], opened + 96 * M)

    await harness.sleep_until(opened + 2 * H, -S)
    state, _ = await settle(handle, harness.engine)
    assert state.windows["restoration"].state == WindowState.RUNNING
    await harness.sleep_until(opened + 2 * H, S)
    state, events = await settle(handle, harness.engine)
    assert state.windows["restoration"].state == WindowState.BREACHED
    assert state.escalation.level == 2 and state.escalation.window == "restoration"
    [breach] = [e for e in events if e["kind"] == "breach"]
    assert breach["window"] == "restoration" and breach["deadline"] == opened + 2 * H
    assert close_to(breach["at"], opened + 2 * H)
    [escalated] = [e for e in events if e["kind"] == "escalated"]
    assert escalated["data"]["level"] == "2"
    notes = await notifications_of(harness.engine, state.case_id)
    assert [(n["recipient"], n["department"]) for n in notes if n["template"] == "escalation"] == [
        ("team_lead", "network_ops")
    ]
    # The next climb is armed from the deadline itself: L2 has 4 h.
    assert state.escalation.next_at == opened + 6 * H

    # Restored late: the window is met late and the chain stops climbing.
    state = await handle.execute_update(WF.restored, RestoredAction(NETWORK, "power", "fixed"))
    assert state.windows["restoration"].state == WindowState.MET_LATE
    assert state.escalation.next_at is None and state.escalation.level == 2


async def test_an_emergency_is_answered_within_thirty_minutes(harness):
    handle, state = await harness.start(CaseType.FAULT, urgency=Urgency.EMERGENCY)
    assert state.windows["response"].target == "30m"
    assert state.windows["restoration"].target == "2h"
    state = await handle.execute_update(WF.accept, AcceptAction(NETWORK))
    assert state.windows["dispatch"].target == "15m"


async def test_still_broken_reopens_with_a_fresh_restoration_clock(harness):
    handle, state = await harness.start(CaseType.FAULT)
    await handle.execute_update(WF.accept, AcceptAction(NETWORK))
    await handle.execute_update(WF.restored, RestoredAction(NETWORK, "loose plug", "replugged"))
    await harness.sleep_until(state.opened_at + 3 * H)
    state = await handle.execute_update(
        WF.dispute, CustomerResponseAction(HOTLINE, "still no internet")
    )
    assert state.phase == Phase.IN_PROGRESS and state.reopen_count == 1
    restoration = state.windows["restoration"]
    assert restoration.state == WindowState.RUNNING
    assert close_to(restoration.due_at, state.opened_at + 5 * H)  # 2 h from the reopening
    assert state.fault.restored_at is None
    # Nothing to confirm until it is restored again.
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(WF.confirm, CustomerResponseAction(HOTLINE))
    assert err.value.cause.type == "InvalidState"


async def test_a_repeated_confirmation_is_refused_and_leaves_no_trace(harness):
    handle, state = await harness.start(CaseType.FAULT)
    await handle.execute_update(WF.accept, AcceptAction(NETWORK))
    await handle.execute_update(WF.restored, RestoredAction(NETWORK, "loose plug", "replugged"))
    await handle.execute_update(WF.confirm, CustomerResponseAction(HOTLINE, "ok"))
    before, events = await settle(handle, harness.engine)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(WF.confirm, CustomerResponseAction(HOTLINE, "ok again"))
    assert err.value.cause.type == "InvalidState"
    after, events_after = await settle(handle, harness.engine)
    assert after.seq == before.seq and len(events_after) == len(events)
