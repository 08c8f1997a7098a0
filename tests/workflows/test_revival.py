"""A lost case revived, on the time-skipping server with the real activities, PostgreSQL and
the API's revival code (api/revival.py): the new run starts from the read model's last
recorded state, records who revived it after the reconciler's `lost` event, and keeps every
window's original deadline. What fell due while the case was lost fires at once, dated and
anchored at its original deadline; a case lost half-way through a termination finishes it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import HTTPException
from temporalio.client import WorkflowExecutionStatus

from api.revival import revive_case
from caseflow.db.models import User
from caseflow.domain import (
    AcceptAction,
    AuditEvent,
    CaseState,
    CaseType,
    Consent,
    LostStatus,
    Phase,
    RecordRequest,
    TerminationStatus,
    WindowName,
    WindowState,
)
from caseflow.policy import get_policy_book
from caseflow.readmodel.lost import LostCases
from caseflow.readmodel.queries import case_state
from caseflow.readmodel.writes import write_transition
from caseflow.settings import Settings
from tests.conftest import fetch_events
from tests.workflows.conftest import AGENT_CS, HOTLINE, settle
from tests.workflows.test_unsubscribe import new_phone, start, subscribe, subscriptions, wait_phase
from workflows.complaint import ComplaintWorkflow
from workflows.unsubscribe import UnsubscribeWorkflow

ADMIN = User(id="admin", name="admin", role="admin", token_hash="-")
H = timedelta(hours=1)


def settings_for(harness) -> Settings:
    return Settings(task_queue=harness.task_queue, search_attributes=False)


async def lose(harness, handle, case_id: str) -> None:
    """What an operator's `temporal workflow terminate` and the reconciler's next pass do."""
    await handle.terminate("operator error")
    assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
    store = LostCases(harness.engine)
    (seen,) = [c for c in await store.open_cases() if c.case_id == case_id]
    now = await harness.env.get_current_time()
    assert await store.mark_lost(seen, LostStatus.TERMINATED, handle.result_run_id, now)


async def revive(harness, case_id: str, reason: str = "terminated by mistake") -> CaseState:
    return await revive_case(
        case_id,
        reason,
        ADMIN,
        harness.engine,
        harness.env.client,
        settings_for(harness),
        get_policy_book(),
    )


async def test_a_revived_case_fires_what_fell_due_at_its_original_deadlines(harness):
    handle, filed = await harness.start(CaseType.COMPLAINT, policy_version="2026.3")
    case_id = filed.case_id
    decision = filed.windows[WindowName.DECISION.value]  # 30 min from receipt (000 §4.1)
    response = filed.windows[WindowName.RESPONSE.value]
    _, events = await settle(handle, harness.engine)
    assert [e["kind"] for e in events] == ["intake"]

    await lose(harness, handle, case_id)
    with pytest.raises(HTTPException) as unknown:
        await revive(harness, f"{case_id}-X")
    assert unknown.value.status_code == 404
    # Lost for longer than the decision window: nothing fires meanwhile, nobody is warned.
    await harness.sleep_until(decision.due_at, timedelta(minutes=10))
    assert [e["kind"] for e in await _events(harness, case_id)] == ["intake", "lost"]

    state = await revive(harness, case_id)
    assert state.run == 2 and state.seq >= 3
    new = harness.env.client.get_workflow_handle(case_id)
    harness.handles.append(new)
    state, events = await settle(new, harness.engine)
    kinds = [e["kind"] for e in events]
    assert kinds[:3] == ["intake", "lost", "revived"]
    assert events[2]["actor_id"] == "admin" and "terminated by mistake" in events[2]["summary"]
    assert events[2]["data"]["lost"] == "terminated"
    # The decision window kept its deadline: warned, breached and escalated now, dated and
    # anchored at the original instants, never at the revival's.
    assert kinds[3:] == ["warning", "breach", "escalated"]
    breach = events[4]
    assert breach["window"] == "decision" and breach["deadline"] == decision.due_at
    assert state.windows["decision"].state == WindowState.BREACHED
    assert state.windows["decision"].due_at == decision.due_at
    assert state.windows["response"].due_at == response.due_at  # still running, same deadline
    assert state.escalation.level == 2
    assert state.escalation.next_at == decision.due_at + 4 * H  # L2's 4 h from the deadline
    # The lost mark is gone with the first record of the new run; a second revive is refused.
    assert not [c for c in await LostCases(harness.engine).lost(1000) if c.case_id == case_id]
    with pytest.raises(HTTPException) as again:
        await revive(harness, case_id)
    assert again.value.status_code == 409

    # The revived case is a case like any other: it answers actions and keeps time.
    state = await new.execute_update(ComplaintWorkflow.accept, AcceptAction(AGENT_CS))
    assert state.phase == Phase.IN_PROGRESS and state.windows["response"].state == WindowState.MET


async def test_a_case_lost_while_terminating_finishes_its_termination(harness):
    engine = harness.engine
    phone = new_phone()
    await subscribe(engine, phone, "sms", "data")
    handle, state = await start(harness, phone, ["data"])
    state = await handle.execute_update(UnsubscribeWorkflow.accept, AcceptAction(AGENT_CS))
    state, _ = await settle(handle, engine)
    assert state.phase == Phase.AWAITING_CONSENT
    await handle.terminate("worker host lost")
    # The last record before the loss: the customer's consent, the termination about to run
    # (as the consent transition records it).
    now = await harness.env.get_current_time()
    consented = await case_state(engine, state.case_id)
    consented.phase = Phase.TERMINATING
    consented.consent = Consent(at=now, by=HOTLINE.user_id)
    consented.windows["consent"].state = WindowState.MET
    consented.windows["consent"].closed_at = now
    consented.seq += 1
    event = AuditEvent(consented.seq, "consent_given", now, HOTLINE.user_id, "channel", "Y")
    await write_transition(engine, RecordRequest(state=consented, events=[event]))
    store = LostCases(engine)
    (seen,) = [c for c in await store.open_cases() if c.case_id == state.case_id]
    assert await store.mark_lost(seen, LostStatus.TERMINATED, None, now)
    assert (await subscriptions(engine, phone))["data"][0] == "active"

    await revive(harness, state.case_id, "host lost mid-termination")
    new = harness.env.client.get_workflow_handle(state.case_id)
    harness.handles.append(new)
    state = await wait_phase(new, Phase.UNDER_REVIEW)
    assert state.termination.status == TerminationStatus.COMPLETED
    assert state.termination.results == {"data": "terminated"}
    subs = await subscriptions(engine, phone)
    assert subs["data"][:2] == ("terminated", state.case_id) and subs["sms"][0] == "active"
    _, events = await settle(new, engine)
    assert [e["kind"] for e in events][-3:] == ["lost", "revived", "terminated"]


async def _events(harness, case_id: str) -> list[dict]:
    return await fetch_events(harness.engine, case_id)
