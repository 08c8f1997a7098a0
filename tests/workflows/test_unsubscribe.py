"""The unsubscribe case: never without consent (二次确认), idempotent termination against the
provisioning table, confirmation notice, supervisor review, and every window's expiry."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from temporalio.client import WorkflowUpdateFailedError

from caseflow.domain import (
    AcceptAction,
    CaseType,
    Channel,
    ConsentAction,
    Phase,
    RetryAction,
    ReviewAction,
    WindowState,
)
from tests.conftest import fetch_events, fetch_notifications
from tests.workflows.conftest import AGENT_CS, AGENT_PRODUCT, HOTLINE, SUPERVISOR, close_to
from workflows.unsubscribe import UnsubscribeWorkflow as WF

H = timedelta(hours=1)


async def subscribe(engine, phone: str, *services: str) -> None:
    async with engine.begin() as conn:
        for service in services:
            await conn.execute(
                text("INSERT INTO subscriptions (phone, service, status, monthly_fee_cents) "
                     "VALUES (:p, :s, 'active', 1000)"),
                {"p": phone, "s": service},
            )


async def subscriptions(engine, phone: str) -> dict[str, tuple]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT service, status, terminated_by_case, terminated_at FROM subscriptions "
                 "WHERE phone = :p"), {"p": phone},
        )
        return {r[0]: tuple(r[1:]) for r in rows}


def new_phone() -> str:
    return "15" + str(uuid.uuid4().int)[:9]


async def start(harness, phone: str, services: list[str], channel=Channel.APP):
    return await harness.start(
        CaseType.UNSUBSCRIBE, category=None, services=services, phone=phone, channel=channel
    )


async def wait_phase(harness, handle, phase: Phase, tries: int = 60):
    for _ in range(tries):
        state = await handle.query(WF.snapshot)
        if state.phase == phase:
            return state
        await harness.env.sleep(timedelta(seconds=1))
    raise AssertionError(f"never reached {phase}; at {state.phase}")


async def test_consent_by_signal_terminates_notifies_and_goes_to_review(harness):
    phone = new_phone()
    await subscribe(harness.engine, phone, "sms", "data", "voice")
    handle, state = await start(harness, phone, ["sms", "data"])
    assert state.windows["response"].target == "24h"
    handling = state.windows["handling"]
    assert handling.target == "72h" and handling.due_at == state.opened_at + 72 * H
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.phase == Phase.AWAITING_CONSENT
    consent = state.windows["consent"]
    assert consent.due_at == consent.opened_at + 24 * H
    notes = await fetch_notifications(harness.engine, state.case_id)
    assert any(n["template"] == "consent_request" and n["channel"] == "app" for n in notes)
    assert (await subscriptions(harness.engine, phone))["sms"][0] == "active"  # not yet

    await handle.signal(WF.customer_consent, ConsentAction(HOTLINE, "SMS reply Y"))
    state = await wait_phase(harness, handle, Phase.UNDER_REVIEW)
    subs = await subscriptions(harness.engine, phone)
    assert subs["sms"][:2] == ("terminated", state.case_id)
    assert subs["data"][:2] == ("terminated", state.case_id)
    assert subs["voice"][0] == "active"  # only what the customer named
    assert state.termination["service:sms"] == "terminated"
    assert state.windows["handling"].state == WindowState.MET
    notes = await fetch_notifications(harness.engine, state.case_id)
    done = [n for n in notes if n["template"] == "unsubscribe_done"]
    assert len(done) == 1 and done[0]["channel"] == "app" and done[0]["recipient"] == "customer"

    state = await handle.execute_update(WF.review, ReviewAction(SUPERVISOR, True, "checked"))
    assert state.phase == Phase.ARCHIVED and state.outcome == "terminated"
    events = await fetch_events(harness.engine, state.case_id)
    reviewed = next(e for e in events if e["kind"] == "reviewed")
    record = reviewed["data"]
    assert record["services"] == "sms, data" and record["user"] == phone
    assert record["handler"] == "agent.cs" and "sms=terminated" in record["result"]
    assert record["consent_at"] and record["completed_at"] and record["system_log"]


async def test_review_sent_back_reruns_termination_idempotently(harness):
    phone = new_phone()
    await subscribe(harness.engine, phone, "vas:music")
    handle, _ = await start(harness, phone, ["vas:music"])
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await handle.execute_update(WF.consent, ConsentAction(HOTLINE))
    await wait_phase(harness, handle, Phase.UNDER_REVIEW)
    first = await subscriptions(harness.engine, phone)
    await handle.execute_update(WF.review, ReviewAction(SUPERVISOR, False, "verify again"))
    state = await wait_phase(harness, handle, Phase.UNDER_REVIEW)
    assert state.termination["service:vas:music"] == "already_terminated"
    assert await subscriptions(harness.engine, phone) == first  # nothing terminated twice
    kinds = [e["kind"] for e in await fetch_events(harness.engine, state.case_id)]
    assert kinds.count("terminated") == 2 and "review_returned" in kinds


async def test_no_consent_in_time_closes_without_terminating(harness):
    phone = new_phone()
    await subscribe(harness.engine, phone, "data")
    handle, _ = await start(harness, phone, ["data"], channel=Channel.SMS)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    consent_due = state.windows["consent"].due_at
    await harness.env.sleep(24 * H + timedelta(seconds=5))
    result = await handle.result()
    assert result.phase == Phase.ARCHIVED and result.outcome == "not_confirmed"
    assert close_to(result.closed_at, consent_due)
    assert (await subscriptions(harness.engine, phone))["data"][0] == "active"
    events = await fetch_events(harness.engine, result.case_id)
    timeout = next(e for e in events if e["kind"] == "consent_timeout")
    assert timeout["deadline"] == consent_due
    notes = await fetch_notifications(harness.engine, result.case_id)
    assert any(n["template"] == "not_confirmed" and n["channel"] == "sms" for n in notes)


async def test_declined_consent_terminates_nothing(harness):
    phone = new_phone()
    await subscribe(harness.engine, phone, "data")
    handle, _ = await start(harness, phone, ["data"])
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(WF.decline, ConsentAction(HOTLINE, "changed my mind"))
    assert state.outcome == "declined"
    assert (await subscriptions(harness.engine, phone))["data"][0] == "active"


async def test_failed_termination_escalates_and_can_be_retried(harness):
    phone = new_phone()
    await subscribe(harness.engine, phone, "sms")
    handle, _ = await start(harness, phone, ["sms", "vas:video"])  # video is not subscribed
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await handle.execute_update(WF.consent, ConsentAction(HOTLINE))
    for _ in range(60):
        state = await handle.query(WF.snapshot)
        if (state.termination or {}).get("status") == "failed":
            break
        await harness.env.sleep(timedelta(seconds=1))
    assert state.termination["status"] == "failed"
    assert "vas:video" in state.termination["error"]
    assert state.phase == Phase.TERMINATING and state.escalation.level == 2
    assert (await subscriptions(harness.engine, phone))["sms"][0] == "active"  # all or nothing
    kinds = [e["kind"] for e in await fetch_events(harness.engine, state.case_id)]
    assert "termination_failed" in kinds and "escalated" in kinds

    await subscribe(harness.engine, phone, "vas:video")
    await handle.execute_update(WF.retry_termination, RetryAction(AGENT_CS, "fixed in BSS"))
    state = await wait_phase(harness, handle, Phase.UNDER_REVIEW)
    assert state.termination["status"] == "completed"


async def test_completion_breaches_at_72_hours(harness):
    phone = new_phone()
    await subscribe(harness.engine, phone, "data")
    handle, state = await start(harness, phone, ["data"])
    handling_due = state.windows["handling"].due_at
    await harness.env.sleep(23 * H)
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await harness.env.sleep(timedelta(hours=23, minutes=59))  # consent arrives just in time
    await handle.execute_update(WF.consent, ConsentAction(HOTLINE))
    state = await wait_phase(harness, handle, Phase.UNDER_REVIEW)
    assert state.windows["handling"].state == WindowState.MET  # done well before 72 h
    # A second case whose consent never comes before 72 h is not possible with a 24 h consent
    # window; the breach path is covered by the policy-engine tests with a longer window.
    assert handling_due == state.opened_at + 72 * H


async def test_refusals(harness):
    phone = new_phone()
    handle, _ = await start(harness, phone, ["data"])
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.accept, AcceptAction(AGENT_PRODUCT))
    assert refused.value.cause.type == "Forbidden"
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.consent, ConsentAction(HOTLINE))
    assert refused.value.cause.type == "InvalidState"  # no consent before it was asked for
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.review, ReviewAction(HOTLINE, True))
    assert refused.value.cause.type == "InvalidState"
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.retry_termination, RetryAction(AGENT_CS))
    assert refused.value.cause.type == "InvalidState"
