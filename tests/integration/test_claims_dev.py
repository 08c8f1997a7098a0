"""Signed actor claims on the real dev server, API and worker: whoever reaches Temporal without
the claim key cannot act on a case or stand in for another case. A forged update is refused
(nothing in the history); a forged signal between cases is dropped, while the outage's own word
(signed by the worker) still restores its faults."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from caseflow.domain import Actor, NoteAction, OutageRestored, Role
from caseflow.temporal import DATA_CONVERTER
from tests.integration.conftest import act, auth
from tests.integration.test_api_new_types import FAULT, OUTAGE, file
from workflows.outage import OUTAGE_RESTORED


def unsigned(stack) -> Client:
    base = stack["client"]
    return Client(base.service_client, namespace=base.namespace, data_converter=DATA_CONVERTER)


def event_types(history) -> list[str]:
    return [e.event_type for e in history.events]


async def test_a_forged_update_is_refused_and_a_forged_signal_dropped(http, stack):
    outage = (await file(http, OUTAGE, who="network"))["case_id"]
    fault = (await file(http, {**FAULT, "outage_id": outage}))["case_id"]
    forged = unsigned(stack)

    with pytest.raises(WorkflowUpdateFailedError) as info:
        await forged.get_workflow_handle(fault).execute_update(
            "note", NoteAction(Actor("anyone", Role.ADMIN), "forged")
        )
    assert info.value.cause.type == "Forbidden"

    # "The outage is restored", sent by no outage: the fault must not believe it.
    word = OutageRestored(outage, "forged cause", "forged fix", datetime.now(UTC))
    await forged.get_workflow_handle(fault).signal(OUTAGE_RESTORED, word)
    # Ordering barrier: an action through the API after the signal; once it is answered, the
    # signal (delivered before it) has been handled.
    case = await act(http, fault, "note", "network", {"text": "checked the cabinet"})
    history = await stack["client"].get_workflow_handle(fault).fetch_history()
    signalled = [
        i
        for i, e in enumerate(history.events)
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    accepted = [
        i
        for i, e in enumerate(history.events)
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert signalled and signalled[-1] < accepted[-1]
    assert case["phase"] not in ("resolved", "feedback_given", "archived")
    timeline = (
        await http.get(f"/api/v1/cases/{fault}/timeline", headers=auth("supervisor"))
    ).json()
    assert "restored" not in [e["kind"] for e in timeline]
    assert not any("forged" in (e["summary"] or "") for e in timeline)

    # The outage's own restoration reaches the fault: signed by the worker, checked, applied.
    await act(http, outage, "restore_outage", "network", {"cause": "fibre cut", "fix": "spliced"})
    for _ in range(100):
        case = (await http.get(f"/api/v1/cases/{fault}", headers=auth("supervisor"))).json()
        if case["phase"] == "resolved":
            break
        await asyncio.sleep(0.1)
    assert case["phase"] == "resolved" and case["fault"]["cause"] == "fibre cut"
