"""Bounded history on the real time-skipping server: a case continues as new before its history
nears any of Temporal's per-run limits (events, bytes, updates), carrying its exact state. Its
deadlines, pending warnings, escalation level and next climb are the same before and after, its
audit trail stays complete and in order, and actions sent during the switch reach the new run.

Limits are set small through the case's input (production defaults: caseflow.domain.inputs)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowExecutionStatus

from caseflow.domain import (
    AcceptAction,
    CaseState,
    CaseType,
    HistoryLimits,
    NoteAction,
    Phase,
    ResolveAction,
    Severity,
    WindowState,
)
from tests.factories import case_input
from tests.workflows.conftest import AGENT_CS, close_to, settle
from workflows.complaint import ComplaintWorkflow as WF

H = timedelta(hours=1)
S = timedelta(seconds=1)


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    yield
    await harness.terminate_open()


async def start(harness, limits: HistoryLimits, **kwargs):
    # The window mechanics these tests were written against (handling from acceptance).
    kwargs.setdefault("policy_version", "2026.2")
    inp = case_input(CaseType.COMPLAINT, **kwargs)
    inp.limits = limits
    first = await harness.env.client.start_workflow(
        WF.run, inp, id=inp.case_id, task_queue=harness.task_queue
    )
    harness.handles.append(first)
    await first.execute_update(WF.opened)
    # The case, not one run of it: the handle follows continue-as-new.
    return harness.env.client.get_workflow_handle(inp.case_id), first


async def runs_of(harness, case_id: str) -> list:
    """The case's runs, oldest first (the time-skipping server has no visibility listing)."""
    handle = harness.env.client.get_workflow_handle(case_id)
    runs = []
    desc = await handle.describe()
    run_id = desc.run_id
    # Walk back from the current run through each run's first event (its predecessor).
    while run_id:
        run = harness.env.client.get_workflow_handle(case_id, run_id=run_id)
        history = await run.fetch_history()
        start = history.events[0].workflow_execution_started_event_attributes
        runs.insert(0, (run_id, (await run.describe()).status))
        run_id = start.continued_execution_run_id
    return runs


def same_clocks(a: CaseState, b: CaseState) -> None:
    assert a.windows == b.windows
    assert a.escalation == b.escalation
    assert a.phase == b.phase and a.assignee == b.assignee and a.department == b.department


async def note_until_run(handle, case_id: str, run: int, text: str = "note", limit: int = 200):
    """Add notes one by one until the case is in run `run`; returns the states around it."""
    for i in range(limit):
        state = await handle.execute_update(WF.note, NoteAction(AGENT_CS, f"{text} {i}"))
        current = await handle.query(WF.snapshot)
        if current.run >= run:
            return state, current
    raise AssertionError(f"{case_id} never reached run {run}")


async def test_event_count_continues_as_new_with_the_exact_state(harness):
    handle, first = await start(harness, HistoryLimits(max_events=80))
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    before, after = await note_until_run(handle, first.id, 2)
    assert after.run == 2 and after.seq == before.seq
    same_clocks(before, after)
    assert after.windows["handling"].state == WindowState.RUNNING
    runs = await runs_of(harness, first.id)
    assert [status for _, status in runs] == [
        WorkflowExecutionStatus.CONTINUED_AS_NEW,
        WorkflowExecutionStatus.RUNNING,
    ]
    # The audit trail is one sequence across runs; the next action continues it.
    state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "done", "checked"))
    assert state.phase == Phase.RESOLVED and state.seq == after.seq + 1
    _, events = await settle(handle, harness.engine)
    assert [e["seq"] for e in events] == list(range(1, state.seq + 1))


async def test_history_size_continues_as_new_before_large_notes_fill_it(harness):
    handle, first = await start(harness, HistoryLimits(max_bytes=64 * 1024))
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    before, after = await note_until_run(handle, first.id, 2, text="x" * 4000, limit=40)
    same_clocks(before, after)
    history = await harness.env.client.get_workflow_handle(
        first.id, run_id=(await runs_of(harness, first.id))[0][0]
    ).fetch_history()
    size = sum(e.ByteSize() for e in history.events)
    assert size < 2 * 64 * 1024  # it moved on well inside the size it was given


async def test_update_count_continues_as_new(harness):
    handle, first = await start(harness, HistoryLimits(max_updates=5))
    before, after = await note_until_run(handle, first.id, 2)
    assert before.seq == 6  # intake + 5 notes: the 5th accepted update filled the run
    same_clocks(before, after)


async def test_a_breached_case_climbs_at_the_same_instant_after_continuing(harness):
    """The chain is carried: the next climb fires at the instant armed before the switch."""
    handle, first = await start(harness, HistoryLimits(max_updates=3), severity=Severity.URGENT)
    state = await handle.query(WF.snapshot)
    due = state.windows["response"].due_at
    await harness.sleep_until(due, S)
    breached, _ = await settle(handle, harness.engine)
    assert breached.escalation.level == 2 and breached.escalation.next_at == due + 4 * H
    before, after = await note_until_run(handle, first.id, 2)
    assert after.escalation == breached.escalation  # level and next climb, exactly
    assert after.windows["response"].state == WindowState.BREACHED
    await harness.sleep_until(due + 4 * H, S)
    climbed, events = await settle(handle, harness.engine)
    assert climbed.escalation.level == 3
    [l3] = [e for e in events if e["kind"] == "escalated" and e["data"]["level"] == "3"]
    assert close_to(l3["at"], due + 4 * H)


async def test_actions_sent_during_the_switch_all_reach_a_run(harness):
    handle, first = await start(harness, HistoryLimits(max_updates=4))
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    results = await asyncio.gather(
        *(handle.execute_update(WF.note, NoteAction(AGENT_CS, f"burst {i}")) for i in range(20))
    )
    assert len(results) == 20
    final = await handle.query(WF.snapshot)
    assert final.run >= 2
    _, events = await settle(handle, harness.engine)
    notes = sorted(e["summary"] for e in events if e["kind"] == "note")
    assert notes == sorted(f"burst {i}" for i in range(20))  # none lost, none twice
