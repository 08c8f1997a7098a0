"""Nobody acts as someone else through Temporal (caseflow.claims), on the time-skipping server:
a client without the claim key — anyone who can reach Temporal's frontend — cannot act on a
case, whoever its message names, and cannot start one; nothing it sends reaches the history or
the read model. (Signals between cases: tests/integration/test_claims_dev.py, on the dev
server, since this server drops the headers of signals between workflows.)"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from temporalio.client import Client, WorkflowFailureError, WorkflowUpdateFailedError

from caseflow.claim_interceptors import SignClaims
from caseflow.claims import ClaimKeys
from caseflow.codec import new_key_setting
from caseflow.domain import Actor, CaseType, NoteAction, Phase, Role
from caseflow.patches import born_with
from caseflow.temporal import DATA_CONVERTER
from tests.factories import case_input
from tests.workflows.conftest import AGENT_CS, settle
from workflows.complaint import ComplaintWorkflow as WF

ADMIN = Actor("anyone", Role.ADMIN, "who knows")


def client_of(harness, keys: ClaimKeys | None = None) -> Client:
    """Another client of the same server: unsigned, or signing with another key."""
    base = harness.env.client
    return Client(
        base.service_client,
        namespace=base.namespace,
        data_converter=DATA_CONVERTER,
        interceptors=[SignClaims(keys)] if keys else [],
    )


def update_history_of(history) -> list[str]:
    return [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]


@pytest.mark.parametrize("signer", ["unsigned", "another key"])
async def test_an_update_without_the_apis_signature_is_refused_and_leaves_no_trace(harness, signer):
    handle, _ = await harness.start()
    keys = ClaimKeys.parse(new_key_setting("k9")) if signer == "another key" else None
    forged = client_of(harness, keys).get_workflow_handle(handle.id)
    for actor in (ADMIN, AGENT_CS):  # an invented admin, or a real agent's name
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await forged.execute_update(WF.note, NoteAction(actor, "I was here"))
        assert info.value.cause.type == "Forbidden"
        assert "only caseflow's API acts on cases" in str(info.value.cause)
    # The same note through the signing client is taken, and only it reaches the case.
    await handle.execute_update(WF.note, NoteAction(AGENT_CS, "called back"))
    state, events = await settle(handle, harness.engine)
    assert [e["summary"] for e in events if e["kind"] == "note"] == ["called back"]
    assert update_history_of(await handle.fetch_history()) == ["opened", "note"]


# Born with the signed-claims patch (as the API files cases) or asking `workflow.patched`: an
# input that lists the patch only says the check runs, it cannot skip it.
@pytest.mark.parametrize("patches", [None, born_with()], ids=["asking", "born with patches"])
async def test_a_case_started_without_the_apis_signature_fails_before_anything_is_recorded(
    harness, patches
):
    inp = case_input(CaseType.COMPLAINT, patches=patches)
    handle = await client_of(harness).start_workflow(
        WF.run, inp, id=inp.case_id, task_queue=harness.task_queue
    )
    with pytest.raises(WorkflowFailureError) as info:
        await handle.result()
    assert info.value.cause.type == "Forbidden"
    assert "was not started by caseflow" in str(info.value.cause)
    async with harness.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT count(*) FROM cases WHERE case_id = :c"), {"c": inp.case_id}
            )
        ).scalar_one()
    assert rows == 0
    # A signed start of another case works as ever.
    _, state = await harness.start()
    assert state.phase == Phase.NEW
