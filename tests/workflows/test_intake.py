"""The API's intake and the workflow's agree. A case started with the API's plan adopts it as
it is (no policy or clock activity runs) and records exactly the intake the API answered
with; a case started without one (a child case, a tool) resolves the same intake itself."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

from pydantic import TypeAdapter
from sqlalchemy import text
from temporalio.client import WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy

from caseflow.domain import (
    AcceptAction,
    CaseInput,
    CaseState,
    CaseType,
    Channel,
    Phase,
    Severity,
    Start,
    WindowState,
)
from caseflow.intake import intake_record, plan_intake, policy_request
from caseflow.policy import get_policy_book
from caseflow.worktime import Unit, parse_duration
from tests.factories import case_input
from tests.workflows.conftest import AGENT_CS, AGENT_PRODUCT
from workflows.registry import WORKFLOWS

STATE_JSON = TypeAdapter(CaseState)


def windows_at_intake(case_type: CaseType) -> list[str]:
    """The windows the active policy starts at receipt for this type."""
    inp = filed(case_type, None)
    return get_policy_book().resolve(policy_request(inp, None)).opening_at(Start.RECEIPT)


def filed(case_type: CaseType, opened_at) -> CaseInput:
    return case_input(
        case_type, severity=Severity.URGENT, channel=Channel.WECHAT, opened_at=opened_at
    )


def local_activities(history) -> list[str]:
    names = []
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            attrs = event.marker_recorded_event_attributes
            if attrs.marker_name == "core_local_activity":
                meta = json.loads(attrs.details["data"].payloads[0].data)
                names.append(meta["activity_type"])
    return names


async def test_a_planned_intake_is_adopted_and_recorded_as_the_api_answered(harness):
    book = get_policy_book()
    # Filed a little before the worker got to it: the clocks run from the filing.
    opened = (await harness.env.get_current_time()).astimezone(UTC) - timedelta(seconds=30)
    for case_type in CaseType:
        windows = windows_at_intake(case_type)
        inp = filed(case_type, opened)
        inp.intake = plan_intake(book, inp, opened)
        expected = intake_record(inp, opened, inp.intake)
        workflow_cls = WORKFLOWS[case_type]
        handle = await harness.env.client.start_workflow(
            workflow_cls.run, inp, id=inp.case_id, task_queue=harness.task_queue
        )
        harness.handles.append(handle)
        state = await handle.execute_update(workflow_cls.opened)

        assert state == expected.state, case_type
        assert state.opened_at == opened and state.seq == 1
        assert [w.state for w in state.windows.values()] == [WindowState.RUNNING] * len(windows)
        # Nothing was resolved again: the only local activity is the intake's record.
        assert local_activities(await handle.fetch_history()) == ["record_transition"]
        async with harness.engine.connect() as conn:
            row = (
                await conn.execute(
                    text("SELECT seq, department, state FROM cases WHERE case_id = :c"),
                    {"c": inp.case_id},
                )
            ).one()
            events = (
                await conn.execute(
                    text("SELECT seq, kind, at FROM case_events WHERE case_id = :c"),
                    {"c": inp.case_id},
                )
            ).all()
        assert (row.seq, row.department) == (1, expected.state.department)
        assert row.state == STATE_JSON.dump_python(expected.state, mode="json")
        assert [(e.seq, e.kind, e.at) for e in events] == [(1, "intake", opened)]


async def test_without_a_plan_the_workflow_resolves_the_same_intake(harness):
    book = get_policy_book()
    for case_type in CaseType:
        handle, state = await harness.start(case_type)
        history = await handle.fetch_history()
        # The plan the API would have made at the same instant for the same filing.
        inp = filed(case_type, state.opened_at)
        inp.severity, inp.channel = state.severity, state.channel
        plan = plan_intake(book, inp, state.opened_at)
        # Working time is planned by the activity; calendar time ("24h") in workflow code.
        working = [
            name
            for name in plan.windows
            if parse_duration(plan.policy.targets[name]).unit is not Unit.CALENDAR
        ]
        assert local_activities(history) == [
            "resolve_policy",
            *(["plan_window"] * len(working)),
            "record_transition",
        ], case_type
        # Same routing, same deadlines.
        assert state.department == plan.policy.department
        assert state.policy_version == plan.policy.version
        assert {n: (w.due_at, w.warn_at) for n, w in state.windows.items()} == {
            n: (p.due_at, p.warn_at) for n, p in plan.windows.items()
        }


async def test_an_action_in_the_first_task_waits_for_the_intake(harness):
    """The API does not wait for a worker, so an agent's action can reach a case together with
    its start: it is applied after the intake, and checked against the routed case."""
    book = get_policy_book()
    workflow_cls = WORKFLOWS[CaseType.COMPLAINT]
    results = {}
    for who in (AGENT_CS, AGENT_PRODUCT):
        opened = (await harness.env.get_current_time()).astimezone(UTC)
        inp = filed(CaseType.COMPLAINT, opened)
        inp.intake = plan_intake(book, inp, opened)
        start = WithStartWorkflowOperation(
            workflow_cls.run,
            inp,
            id=inp.case_id,
            task_queue=harness.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        )
        try:
            results[who.user_id] = await harness.env.client.execute_update_with_start_workflow(
                workflow_cls.accept, AcceptAction(who), start_workflow_operation=start
            )
        except WorkflowUpdateFailedError as err:
            results[who.user_id] = err.cause.type
        harness.handles.append(await start.workflow_handle())

    state = results[AGENT_CS.user_id]
    assert state.phase == Phase.IN_PROGRESS and state.seq == 2
    assert state.department == "customer_service" and state.assignee == AGENT_CS.user_id
    # Another department's agent is refused once the case is routed, not before.
    assert results[AGENT_PRODUCT.user_id] == "Forbidden"
