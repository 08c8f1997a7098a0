"""The unsubscribe case (退订) on the real time-skipping server, with the real provisioning
activity acting on PostgreSQL's subscriptions table: never without the customer's consent
(二次确认), idempotent termination, the confirmation notice on the customer's reply channel,
the supervisor's review (复核) and the record it archives, and every window's expiry (consent
24 h from acceptance, completion 72 h from the request)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import text
from temporalio.client import WorkflowUpdateFailedError

from caseflow.domain import (
    AcceptAction,
    CaseInput,
    CaseState,
    CaseType,
    Channel,
    ConsentAction,
    Customer,
    Outcome,
    Phase,
    RequestInfoAction,
    ResolveAction,
    RetryAction,
    ReviewAction,
    Termination,
    TerminationStatus,
    WindowState,
)
from tests.workflows.conftest import (
    AGENT_CS,
    AGENT_PRODUCT,
    HOTLINE,
    SUPERVISOR,
    book_with,
    close_to,
    closed_state,
    notifications_of,
    policy_harness,
    settle,
    write_policy,
)
from workflows.unsubscribe import UnsubscribeWorkflow as WF

H = timedelta(hours=1)
MARGIN = timedelta(seconds=2)
LONG_CONSENT = "9310.1"  # a test policy whose consent window (96 h) outlasts the 72 h one


# The window mechanics as written against 2026.2 (tests/workflows/conftest.py).
pytestmark = pytest.mark.usefixtures("on_2026_2")


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    """Each test's cases end with it, so later sleeps do not drive their timers."""
    yield
    await harness.terminate_open()


@pytest_asyncio.fixture(scope="module")
async def long_consent(env, db_engine, tmp_path_factory):
    """A worker whose policy gives the customer 96 h to consent (a policy row, not code)."""
    folder = tmp_path_factory.mktemp("policies")
    write_policy(folder, LONG_CONSENT, {'consent = "24h"': 'consent = "96h"'})
    async with policy_harness(env, db_engine, book_with(folder, LONG_CONSENT)) as h:
        yield h


# ---------------------------------------------------------------- helpers


def new_phone() -> str:
    return "15" + str(uuid.uuid4().int)[:9]


async def subscribe(engine, phone: str, *services: str) -> None:
    async with engine.begin() as conn:
        for service in services:
            await conn.execute(
                text(
                    "INSERT INTO subscriptions (phone, service, status, monthly_fee_cents) "
                    "VALUES (:p, :s, 'active', 1000)"
                ),
                {"p": phone, "s": service},
            )


async def subscriptions(engine, phone: str) -> dict[str, tuple]:
    """service -> (status, terminated_by_case, terminated_at)"""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT service, status, terminated_by_case, terminated_at FROM subscriptions "
                "WHERE phone = :p"
            ),
            {"p": phone},
        )
        return {r[0]: tuple(r[1:]) for r in rows}


async def start(
    harness,
    phone: str,
    services: list[str],
    channel: Channel = Channel.APP,
    reply_channel: Channel | None = None,
):
    case_id = f"UNS-T-{uuid.uuid4().hex[:10]}"
    inp = CaseInput(
        case_id=case_id,
        case_type=CaseType.UNSUBSCRIBE,
        customer=Customer("王五", phone),
        channel=channel,
        reply_channel=reply_channel,
        description="please stop these services",
        created_by=HOTLINE,
        search_attributes=False,  # the test server does not index custom attributes
        services=services,
        policy_version=harness.default_policy_version,
    )
    handle = await harness.env.client.start_workflow(
        WF.run, inp, id=case_id, task_queue=harness.task_queue
    )
    harness.handles.append(handle)
    return handle, await handle.execute_update(WF.opened)


async def wait_for(handle, done, what: str, timeout: float = 15.0) -> CaseState:
    """Poll the snapshot (in real time: the server's clock does not move) until `done`."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while True:
        state = await handle.query(WF.snapshot)
        if done(state):
            return state
        assert loop.time() < give_up, f"{state.case_id} never got {what}; at {state.phase}"
        await asyncio.sleep(0.05)


async def wait_phase(handle, phase: Phase) -> CaseState:
    return await wait_for(handle, lambda s: s.phase == phase, phase.value)


def kinds(events) -> list[str]:
    return [e["kind"] for e in events]


def of_kind(events, kind: str) -> list[dict]:
    return [e for e in events if e["kind"] == kind]


def customer_notes(notes, template: str) -> list[tuple]:
    return [(n["recipient"], n["channel"]) for n in notes if n["template"] == template]


async def refused(handle, update, arg) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await handle.execute_update(update, arg)
    return info.value.cause.type


# ---------------------------------------------------------------- the whole way


async def test_consent_terminates_notifies_and_archives_after_review(harness):
    engine = harness.engine
    phone = new_phone()
    await subscribe(engine, phone, "sms", "data", "voice")
    # Filed in the app, the customer asked for replies by SMS.
    handle, state = await start(harness, phone, ["sms", "data"], Channel.APP, Channel.SMS)
    case_id, opened = state.case_id, state.opened_at
    assert state.phase == Phase.NEW and state.reply_channel == Channel.SMS
    assert state.windows["response"].target == "24h"
    assert state.windows["response"].due_at == opened + 24 * H
    handling = state.windows["handling"]  # the completion clock runs from the request
    assert handling.target == "72h" and handling.opened_at == opened
    assert handling.due_at == opened + 72 * H

    await harness.sleep_until(opened + 2 * H)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.phase == Phase.AWAITING_CONSENT and state.assignee == "agent.cs"
    assert state.windows["response"].state == WindowState.MET
    consent = state.windows["consent"]
    assert consent.target == "24h" and close_to(consent.opened_at, opened + 2 * H)
    assert consent.due_at == consent.opened_at + 24 * H
    assert state.windows["handling"].due_at == opened + 72 * H  # acceptance does not restart it
    _, events = await settle(handle, engine)
    assert kinds(events) == ["intake", "accepted"]
    notes = await notifications_of(engine, case_id)
    [ask] = [n for n in notes if n["template"] == "consent_request"]
    assert (ask["recipient"], ask["channel"]) == ("customer", "sms")
    assert ask["params"]["services"] == "sms, data"
    assert {s: v[0] for s, v in (await subscriptions(engine, phone)).items()} == {
        "sms": "active",
        "data": "active",
        "voice": "active",
    }  # nothing before consent

    # The customer's SMS reply, relayed by the SMS gateway's channel.
    state = await handle.execute_update(WF.consent, ConsentAction(HOTLINE, "SMS reply Y"))
    assert state.phase == Phase.TERMINATING  # the termination runs after the answer
    state = await wait_phase(handle, Phase.UNDER_REVIEW)
    subs = await subscriptions(engine, phone)
    assert subs["sms"][:2] == ("terminated", case_id) and subs["sms"][2] is not None
    assert subs["data"][:2] == ("terminated", case_id) and subs["data"][2] is not None
    assert subs["voice"] == ("active", None, None)  # only what the customer named
    termination = state.termination
    assert termination.status == TerminationStatus.COMPLETED and termination.on_time is True
    assert termination.results == {"sms": "terminated", "data": "terminated"}
    assert close_to(termination.completed_at, subs["sms"][2])
    assert state.windows["consent"].state == WindowState.MET
    assert state.windows["handling"].state == WindowState.MET
    assert state.consent.by == "channel.hotline"
    review = state.windows["review"]
    assert review.target == "1wd" and review.state == WindowState.RUNNING
    state, events = await settle(handle, engine)
    assert kinds(events) == ["intake", "accepted", "consent_given", "terminated"]
    assert events[2]["actor_id"] == "channel.hotline" and events[2]["window"] == "consent"
    assert events[3]["window"] == "review" and events[3]["deadline"] == review.due_at
    notes = await notifications_of(engine, case_id)
    assert customer_notes(notes, "unsubscribe_done") == [("customer", "sms")]
    [done] = [n for n in notes if n["template"] == "unsubscribe_done"]
    assert done["params"]["services"] == "sms, data"
    assert [(n["recipient"], n["channel"]) for n in notes if n["template"] == "review"] == [
        ("supervisor", "internal")
    ]

    # A repeated SMS reply is refused: no second termination, nothing recorded.
    assert await refused(handle, WF.consent, ConsentAction(HOTLINE, "Y again")) == "InvalidState"
    again, events_again = await settle(handle, engine)
    assert again.seq == state.seq and len(events_again) == len(events)
    assert await subscriptions(engine, phone) == subs

    # The supervisor approves: archived with the record the standard asks for (§6.4.1).
    state = await handle.execute_update(WF.review, ReviewAction(SUPERVISOR, True, "checked"))
    assert state.phase == Phase.ARCHIVED and state.outcome == Outcome.TERMINATED
    assert state.windows["review"].state == WindowState.MET
    final = await closed_state(handle)
    assert final.outcome == Outcome.TERMINATED
    _, events = await settle(handle, engine)
    assert kinds(events)[-2:] == ["reviewed", "archived"]
    reviewed = events[-2]
    assert reviewed["actor_id"] == "supervisor"
    record = reviewed["data"]
    assert set(record) == {
        "services",
        "user",
        "requested_at",
        "consent_at",
        "completed_at",
        "handler",
        "result",
        "system_log",
    }
    # The record names the customer by case, not by phone: it sits in the audit trail.
    assert record["services"] == "sms, data" and record["user"] == f"customer of {case_id}"
    assert phone not in str(record)
    assert datetime.fromisoformat(record["requested_at"]) == opened
    assert datetime.fromisoformat(record["consent_at"]) == final.consent.at
    assert close_to(datetime.fromisoformat(record["consent_at"]), events[2]["at"])
    assert datetime.fromisoformat(record["completed_at"]) == termination.completed_at
    assert record["handler"] == "agent.cs"
    assert record["result"] == "sms=terminated, data=terminated"
    assert record["system_log"] == f"case {case_id}, audit events 1..{reviewed['seq'] - 1}"
    assert events[-1]["data"] == {"outcome": "terminated"}
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT phase, state->>'outcome' FROM cases WHERE case_id = :c"),
                {"c": case_id},
            )
        ).one()
    assert tuple(row) == ("archived", "terminated")


# ---------------------------------------------------------------- consent by update, send-back


async def test_consent_by_update_and_a_sent_back_review_reruns_termination_idempotently(
    harness,
):
    engine = harness.engine
    phone = new_phone()
    await subscribe(engine, phone, "vas:music", "data")
    handle, _ = await start(harness, phone, ["vas:music"])
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(WF.consent, ConsentAction(HOTLINE, "yes, stop it"))
    assert state.phase == Phase.TERMINATING  # the termination runs after the answer
    assert state.windows["consent"].state == WindowState.MET
    state = await wait_phase(handle, Phase.UNDER_REVIEW)
    assert state.termination.results["vas:music"] == "terminated"
    first = await subscriptions(engine, phone)
    assert first["vas:music"][:2] == ("terminated", state.case_id)
    terminated_at = first["vas:music"][2]

    state = await handle.execute_update(
        WF.review, ReviewAction(SUPERVISOR, False, "verify with the BSS again")
    )
    assert state.phase == Phase.TERMINATING
    assert state.review.approved is False and state.review.reviewer == "supervisor"
    state = await wait_phase(handle, Phase.UNDER_REVIEW)
    # Verified again, terminated once: the provisioning row is exactly as before.
    assert state.termination.status == TerminationStatus.COMPLETED
    assert state.termination.results["vas:music"] == "already_terminated"
    after = await subscriptions(engine, phone)
    assert after == first and after["vas:music"][2] == terminated_at
    assert after["data"] == ("active", None, None)
    assert state.windows["review"].state == WindowState.RUNNING  # a fresh review window
    # The re-run changed nothing, so the customer is not told a second time.
    notes = await notifications_of(engine, state.case_id)
    assert [n["template"] for n in notes].count("unsubscribe_done") == 1
    assert [n["template"] for n in notes].count("review") == 2
    _, events = await settle(handle, engine)
    assert kinds(events) == [
        "intake",
        "accepted",
        "consent_given",
        "terminated",
        "review_returned",
        "terminated",
    ]
    assert events[2]["summary"].startswith("customer confirmed the unsubscribe of vas:music")
    assert events[4]["actor_id"] == "supervisor"

    state = await handle.execute_update(WF.review, ReviewAction(SUPERVISOR, True))
    assert state.outcome == Outcome.TERMINATED
    assert (await closed_state(handle)).phase == Phase.ARCHIVED
    assert await subscriptions(engine, phone) == first


# ---------------------------------------------------------------- no consent, declined


async def test_no_consent_within_24_hours_closes_as_not_confirmed_at_the_deadline(harness):
    engine = harness.engine
    phone = new_phone()
    await subscribe(engine, phone, "data")
    handle, _ = await start(harness, phone, ["data"], channel=Channel.SMS)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    consent = state.windows["consent"]

    await harness.sleep_until(consent.due_at, -MARGIN)
    state, events = await settle(handle, engine)
    assert state.phase == Phase.AWAITING_CONSENT
    assert kinds(events) == ["intake", "accepted", "warning"]  # 80 % of the consent window
    assert events[-1]["window"] == "consent" and close_to(events[-1]["at"], consent.warn_at)

    await harness.sleep_until(consent.due_at, MARGIN)
    final = await closed_state(handle)
    assert final.phase == Phase.ARCHIVED and final.outcome == Outcome.NOT_CONFIRMED
    assert close_to(final.closed_at, consent.due_at)
    assert final.termination is None
    assert final.windows["handling"].state == WindowState.CANCELLED
    assert final.escalation.level == 1  # not a breach: the customer simply did not confirm
    _, events = await settle(handle, engine)
    assert kinds(events) == ["intake", "accepted", "warning", "consent_timeout", "archived"]
    timeout = events[3]
    assert timeout["window"] == "consent" and timeout["deadline"] == consent.due_at
    assert close_to(timeout["at"], consent.due_at)
    assert events[4]["data"] == {"outcome": "not_confirmed"}
    assert await subscriptions(engine, phone) == {"data": ("active", None, None)}
    notes = await notifications_of(engine, final.case_id)
    [told] = [n for n in notes if n["template"] == "not_confirmed"]
    assert (told["recipient"], told["channel"]) == ("customer", "sms")
    assert told["params"]["reason"] == "no confirmation"


async def test_declined_consent_closes_and_terminates_nothing(harness):
    engine = harness.engine
    phone = new_phone()
    await subscribe(engine, phone, "data")
    handle, _ = await start(harness, phone, ["data"])
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(WF.decline, ConsentAction(HOTLINE, "changed my mind"))
    assert state.phase == Phase.ARCHIVED and state.outcome == Outcome.DECLINED
    final = await closed_state(handle)
    assert final.termination is None and final.consent is None
    _, events = await settle(handle, engine)
    assert kinds(events) == ["intake", "accepted", "consent_declined", "archived"]
    assert events[2]["actor_id"] == "channel.hotline"
    assert events[3]["data"] == {"outcome": "declined"}
    assert await subscriptions(engine, phone) == {"data": ("active", None, None)}
    notes = await notifications_of(engine, final.case_id)
    assert [
        (n["channel"], n["params"]["reason"]) for n in notes if n["template"] == "not_confirmed"
    ] == [("app", "declined")]


# ---------------------------------------------------------------- failed termination


async def test_failed_termination_escalates_and_a_retry_completes_it(harness):
    engine = harness.engine
    phone = new_phone()
    await subscribe(engine, phone, "sms")
    handle, state = await start(harness, phone, ["sms", "vas:video"])  # video: not subscribed
    opened = state.opened_at
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await handle.execute_update(WF.consent, ConsentAction(HOTLINE))
    state = await wait_for(
        handle,
        lambda s: s.termination is not None and s.termination.status == TerminationStatus.FAILED,
        "a failed termination",
    )
    assert state.phase == Phase.TERMINATING
    assert "vas:video" in state.termination.error
    assert phone not in state.termination.error  # errors name the case, not the customer
    assert (state.escalation.level, state.escalation.window) == (2, "handling")
    assert (await subscriptions(engine, phone))["sms"] == ("active", None, None)  # all or none
    state, events = await settle(handle, engine)
    assert kinds(events) == [
        "intake",
        "accepted",
        "consent_given",
        "termination_failed",
        "escalated",
    ]
    failed = events[3]
    assert failed["window"] == "handling" and failed["deadline"] == opened + 72 * H
    assert events[4]["data"]["level"] == "2" and events[4]["window"] == "handling"
    # L2 has its 4 h from the failure itself.
    assert state.escalation.next_at == failed["at"] + 4 * H
    notes = await notifications_of(engine, state.case_id)
    assert [
        (n["recipient"], n["params"]["level"]) for n in notes if n["template"] == "escalation"
    ] == [("team_lead", "2")]

    # Nobody acts: L3 four hours later.
    await harness.sleep_until(failed["at"] + 4 * H, MARGIN)
    state, events = await settle(handle, engine)
    assert state.escalation.level == 3 and state.phase == Phase.TERMINATING
    assert close_to(events[-1]["at"], failed["at"] + 4 * H)

    # The missing subscription is fixed in the BSS; the agent retries and it completes.
    await subscribe(engine, phone, "vas:video")
    state = await handle.execute_update(WF.retry_termination, RetryAction(AGENT_CS, "fixed"))
    assert state.termination == Termination(status=TerminationStatus.RETRYING)
    state = await wait_phase(handle, Phase.UNDER_REVIEW)
    assert state.termination.status == TerminationStatus.COMPLETED
    assert state.termination.on_time is True
    assert state.termination.results["vas:video"] == "terminated"
    assert state.windows["handling"].state == WindowState.MET  # within the 72 h
    assert state.escalation.next_at is None and state.escalation.level == 3  # chain stopped
    subs = await subscriptions(engine, phone)
    assert {s: v[:2] for s, v in subs.items()} == {
        "sms": ("terminated", state.case_id),
        "vas:video": ("terminated", state.case_id),
    }
    _, events = await settle(handle, engine)
    assert kinds(events)[-2:] == ["termination_retried", "terminated"]
    assert await refused(handle, WF.retry_termination, RetryAction(AGENT_CS)) == "InvalidState"


# ---------------------------------------------------------------- the 72 h completion window


async def test_completion_window_breaches_at_72_hours_while_consent_is_awaited(long_consent):
    h = long_consent
    engine = h.engine
    phone = new_phone()
    await subscribe(engine, phone, "data")
    handle, state = await start(h, phone, ["data"])
    assert state.policy_version == LONG_CONSENT
    handling_due = state.opened_at + 72 * H
    assert state.windows["handling"].due_at == handling_due
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    consent = state.windows["consent"]
    assert consent.target == "96h" and consent.due_at == consent.opened_at + 96 * H

    await h.sleep_until(handling_due, -MARGIN)
    state, events = await settle(handle, engine)
    assert of_kind(events, "breach") == [] and state.escalation.level == 1
    assert [e["window"] for e in of_kind(events, "warning")] == ["handling"]  # at 57.6 h

    # 72 h after the request the completion window breaches, consent or not.
    await h.sleep_until(handling_due, MARGIN)
    state, events = await settle(handle, engine)
    assert state.phase == Phase.AWAITING_CONSENT
    assert state.windows["handling"].state == WindowState.BREACHED
    [breach] = of_kind(events, "breach")
    assert breach["window"] == "handling" and breach["deadline"] == handling_due
    assert close_to(breach["at"], handling_due)
    assert (state.escalation.level, state.escalation.window) == (2, "handling")
    assert state.escalation.next_at == handling_due + 4 * H

    # Still no consent: the ladder climbs, then the consent window closes the case (nothing
    # terminated) at its own deadline.
    await h.sleep_until(consent.due_at, MARGIN)
    final = await closed_state(handle)
    assert final.outcome == Outcome.NOT_CONFIRMED and close_to(final.closed_at, consent.due_at)
    _, events = await settle(handle, engine)
    assert [(e["kind"], e["window"]) for e in events[2:]] == [
        ("warning", "handling"),
        ("breach", "handling"),
        ("escalated", "handling"),
        ("escalated", "handling"),
        ("warning", "consent"),
        ("escalated", "handling"),
        ("consent_timeout", "consent"),
        ("archived", None),
    ]
    climbs = of_kind(events, "escalated")
    assert [e["data"]["level"] for e in climbs] == ["2", "3", "4"]
    assert close_to(climbs[1]["at"], handling_due + 4 * H)
    assert close_to(climbs[2]["at"], handling_due + 12 * H)
    assert await subscriptions(engine, phone) == {"data": ("active", None, None)}


async def test_consent_after_the_breach_still_terminates_late(long_consent):
    h = long_consent
    engine = h.engine
    phone = new_phone()
    await subscribe(engine, phone, "data")
    handle, state = await start(h, phone, ["data"])
    handling_due = state.opened_at + 72 * H
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await h.sleep_until(handling_due, H)
    state = await handle.execute_update(WF.consent, ConsentAction(HOTLINE))
    state = await wait_phase(handle, Phase.UNDER_REVIEW)
    assert state.windows["handling"].state == WindowState.MET_LATE
    assert state.termination.on_time is False
    assert state.escalation.next_at is None  # the breached window is closed: chain stopped
    assert (await subscriptions(engine, phone))["data"][:2] == ("terminated", state.case_id)


async def test_a_sent_back_review_keeps_a_late_termination_late(long_consent):
    h = long_consent
    phone = new_phone()
    await subscribe(h.engine, phone, "data")
    handle, state = await start(h, phone, ["data"])
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await h.sleep_until(state.opened_at + 72 * H, H)
    await handle.execute_update(WF.consent, ConsentAction(HOTLINE))
    state = await wait_phase(handle, Phase.UNDER_REVIEW)
    assert state.termination.on_time is False
    completed_at = state.termination.completed_at
    await handle.execute_update(WF.review, ReviewAction(SUPERVISOR, False, "check again"))
    state = await wait_for(
        handle,
        lambda s: s.phase == Phase.UNDER_REVIEW and s.termination.completed_at != completed_at,
        "the re-run",
    )
    assert state.windows["handling"].state == WindowState.MET_LATE
    assert state.termination.results["data"] == "already_terminated"
    assert state.termination.on_time is False


# ---------------------------------------------------------------- refusals


async def test_who_may_do_what_and_when(harness):
    engine = harness.engine
    phone = new_phone()
    await subscribe(engine, phone, "data")
    handle, _ = await start(harness, phone, ["data"])
    # An agent of another department cannot take a customer-service case.
    assert await refused(handle, WF.accept, AcceptAction(AGENT_PRODUCT)) == "Forbidden"
    assert await refused(handle, WF.accept, AcceptAction(HOTLINE)) == "Forbidden"
    # No consent (or refusal) before the customer was asked.
    assert await refused(handle, WF.consent, ConsentAction(HOTLINE)) == "InvalidState"
    assert await refused(handle, WF.decline, ConsentAction(HOTLINE)) == "InvalidState"
    # Complaint steps do not apply to an unsubscribe: it has no such update at all.
    assert not hasattr(WF, "resolve") and not hasattr(WF, "request_info")
    assert await refused(handle, "resolve", ResolveAction(AGENT_CS, "x", "y")) == "InvalidState"
    state, events = await settle(handle, engine)
    assert state.phase == Phase.NEW and kinds(events) == ["intake"]

    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert (
        await refused(handle, "request_info", RequestInfoAction(AGENT_CS, "why?")) == "InvalidState"
    )
    assert await refused(handle, WF.review, ReviewAction(SUPERVISOR, True)) == "InvalidState"
    assert await refused(handle, WF.retry_termination, RetryAction(AGENT_CS)) == "InvalidState"
    await handle.execute_update(WF.consent, ConsentAction(HOTLINE))
    state = await wait_phase(handle, Phase.UNDER_REVIEW)
    # Only a supervisor reviews: not the channel acting for the customer, not the agent.
    assert await refused(handle, WF.review, ReviewAction(HOTLINE, True)) == "Forbidden"
    assert await refused(handle, WF.review, ReviewAction(AGENT_CS, True)) == "Forbidden"
    assert await refused(handle, WF.retry_termination, RetryAction(AGENT_CS)) == "InvalidState"
    state, events = await settle(handle, engine)
    assert kinds(events) == ["intake", "accepted", "consent_given", "terminated"]
    assert state.phase == Phase.UNDER_REVIEW and state.review is None
