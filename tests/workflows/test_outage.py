"""Outages on the real time-skipping server: restoring one restores every fault case linked to
it — at intake or later, before or after the restoration — exactly once each, with one notice
to each customer; a fault its engineer already restored is not told again."""

from __future__ import annotations

import asyncio

import pytest

from caseflow.domain import (
    AcceptAction,
    CaseType,
    LinkOutageAction,
    Outcome,
    Phase,
    RestoredAction,
    RestoreOutageAction,
    WindowState,
)
from tests.factories import NETWORK
from tests.workflows.conftest import closed_state, notifications_of, settle
from workflows.fault import FaultWorkflow
from workflows.outage import OutageWorkflow

LINKED_AT_INTAKE = 25
LINKED_LATER = 25


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    yield
    await harness.terminate_open()


async def wait_for(handle, predicate, what: str, tries: int = 300):
    for _ in range(tries):
        state = await handle.query(FaultWorkflow.snapshot)
        if predicate(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id}: never {what}")


async def restored_notices(engine, case_id: str) -> list[dict]:
    notes = await notifications_of(engine, case_id)
    return [n for n in notes if n["template"] == "restored" and n["recipient"] == "customer"]


async def test_restoring_an_outage_restores_fifty_linked_faults_once_each(harness):
    outage, state = await harness.start(CaseType.OUTAGE)
    outage_id = state.case_id
    assert state.department == "network_ops" and state.outage.area == "浦东张江"
    assert set(state.windows) == {"response", "restoration"}
    await outage.execute_update(OutageWorkflow.accept, AcceptAction(NETWORK))

    at_intake = await asyncio.gather(
        *(harness.start(CaseType.FAULT, outage_id=outage_id) for _ in range(LINKED_AT_INTAKE))
    )
    later = await asyncio.gather(*(harness.start(CaseType.FAULT) for _ in range(LINKED_LATER)))
    # One of the later ones is fixed by its own engineer before it links: still told once.
    own_fix, _ = later[0]
    await own_fix.execute_update(FaultWorkflow.accept, AcceptAction(NETWORK))
    await asyncio.gather(
        *(
            h.execute_update(FaultWorkflow.link_outage, LinkOutageAction(NETWORK, outage_id))
            for h, _ in later
        )
    )
    await own_fix.execute_update(
        FaultWorkflow.restored, RestoredAction(NETWORK, "router reboot", "rebooted")
    )
    faults = [h for h, _ in (*at_intake, *later)]
    outage_state = await outage.query(OutageWorkflow.snapshot)
    for _ in range(200):  # every link reached the outage (signals, in any order)
        if len(outage_state.outage.linked) == len(faults):
            break
        await asyncio.sleep(0.05)
        outage_state = await outage.query(OutageWorkflow.snapshot)
    assert sorted(outage_state.outage.linked) == sorted(h.id for h in faults)

    state = await outage.execute_update(
        OutageWorkflow.restore_outage,
        RestoreOutageAction(NETWORK, "power loss at the exchange", "generator on"),
    )
    assert state.phase == Phase.ARCHIVED and state.outcome == Outcome.RESTORED
    assert state.windows["restoration"].state == WindowState.MET
    assert sorted(state.outage.told) == sorted(h.id for h in faults)
    await closed_state(outage)

    for handle in faults:
        fault = await wait_for(handle, lambda s: s.phase == Phase.RESOLVED, "restored")
        notices = await restored_notices(harness.engine, handle.id)
        assert len(notices) == 1, handle.id  # exactly one notice each
        if handle.id == own_fix.id:
            assert fault.fault.restored_by == "agent.network"
            assert notices[0]["params"]["cause"] == "router reboot"
        else:
            assert fault.fault.restored_by == outage_id
            assert notices[0]["params"]["cause"] == "power loss at the exchange"
            _, events = await settle(handle, harness.engine)
            assert [e["kind"] for e in events].count("restored") == 1

    # A fault linked after the outage closed learns it from the record: restored at once.
    late, _ = await harness.start(CaseType.FAULT)
    state = await late.execute_update(
        FaultWorkflow.link_outage, LinkOutageAction(NETWORK, outage_id)
    )
    assert state.phase == Phase.RESOLVED and state.fault.restored_by == outage_id
    assert len(await restored_notices(harness.engine, late.id)) == 1
    # ...and filing one against it restores it within its first steps.
    filed, _ = await harness.start(CaseType.FAULT, outage_id=outage_id)
    state = await wait_for(filed, lambda s: s.phase == Phase.RESOLVED, "restored at intake")
    assert state.windows["restoration"].state == WindowState.MET
    assert len(await restored_notices(harness.engine, filed.id)) == 1
