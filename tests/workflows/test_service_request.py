"""Service requests (业务办理) on the real time-skipping server: 1 / 3 / 7 working days by kind,
counted from the request (000 §2.4), on the statutory calendar; fulfilment tells the customer
what was done; the callback archives."""

from __future__ import annotations

import pytest

from caseflow.domain import (
    AcceptAction,
    CallbackAction,
    CaseType,
    FulfilAction,
    Outcome,
    Phase,
    Satisfaction,
    ServiceKind,
    WindowState,
)
from caseflow.policy import get_policy_book
from caseflow.worktime import parse_duration
from tests.workflows.conftest import AGENT_CS, closed_state, notifications_of, settle
from workflows.service_request import ServiceRequestWorkflow as WF


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    yield
    await harness.terminate_open()


@pytest.mark.parametrize(
    ("kind", "target"),
    [(ServiceKind.BUSINESS, "1wd"), (ServiceKind.ACCOUNT, "3wd"), (ServiceKind.APPLICATION, "7wd")],
)
async def test_handling_counts_working_days_from_the_request(harness, kind, target):
    _, state = await harness.start(CaseType.SERVICE_REQUEST, kind=kind.value)
    handling = state.windows["handling"]
    assert handling.target == target and handling.opened_at == state.opened_at
    calendar = get_policy_book().active.calendar_model
    assert handling.due_at == calendar.add(state.opened_at, parse_duration(target))
    assert state.department == "customer_service" and state.kind == kind.value


async def test_a_request_fulfilled_then_called_back(harness):
    handle, state = await harness.start(CaseType.SERVICE_REQUEST, kind="account")
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.phase == Phase.IN_PROGRESS
    assert state.windows["handling"].state == WindowState.RUNNING  # it ran from the request
    state = await handle.execute_update(
        WF.fulfil, FulfilAction(AGENT_CS, "billing address changed")
    )
    assert state.phase == Phase.FEEDBACK_GIVEN
    assert state.windows["handling"].state == WindowState.MET
    assert state.fulfilment.result == "billing address changed"
    state = await handle.execute_update(
        WF.callback, CallbackAction(AGENT_CS, Satisfaction.BASICALLY_SATISFIED)
    )
    assert state.outcome == Outcome.RESOLVED
    await closed_state(handle)
    _, events = await settle(handle, harness.engine)
    assert [e["kind"] for e in events] == [
        "intake",
        "accepted",
        "fulfilled",
        "callback",
        "archived",
    ]
    notes = await notifications_of(harness.engine, state.case_id)
    [told] = [n for n in notes if n["template"] == "fulfilled"]
    assert (
        told["recipient"] == "customer" and told["params"]["message"] == "billing address changed"
    )
