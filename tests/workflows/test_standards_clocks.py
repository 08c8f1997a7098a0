"""Every clock the standards set, counted from the instant they name, on the real time-skipping
server with policy 2026.3 (the default): complaint handling from receipt (001 §6.2.3), urgent
complaints answered and handled within 24 h together (000 §2.4), the 30-minute decision and the
24 h after a transfer (000 §4.1), send-back and urge (002 附件五 §6.6, §6.7), the reminder and
closing of a silent customer (000 §5.3), three callback attempts, a supervisor's extension
(000 §4.3), a late arrival, and a regulator's appeal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from caseflow.domain import (
    AcceptAction,
    CallbackAttemptAction,
    CaseType,
    CustomerReplyAction,
    ExtendAction,
    FeedbackAction,
    NoteAction,
    Outcome,
    Phase,
    ReplyRegulatorAction,
    RequestInfoAction,
    ResolveAction,
    SendBackAction,
    Severity,
    TransferAction,
    UrgeAction,
    WindowName,
    WindowState,
)
from caseflow.policy import get_policy_book
from caseflow.worktime import parse_duration
from tests.factories import REGULATOR
from tests.workflows.conftest import (
    AGENT_CS,
    AGENT_PRODUCT,
    SUPERVISOR,
    close_to,
    closed_state,
    notifications_of,
    settle,
)
from workflows.appeal import AppealWorkflow
from workflows.complaint import ComplaintWorkflow as WF

H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    yield
    await harness.terminate_open()


def calendar():
    return get_policy_book().get("2026.3").calendar_model


def kinds(events) -> list[str]:
    return [e["kind"] for e in events]


async def refusal(handle, update, arg) -> tuple[str, str]:
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(update, arg)
    return err.value.cause.type, err.value.cause.details[0]


async def test_complaint_handling_counts_from_receipt_not_acceptance(harness):
    handle, state = await harness.start(severity=Severity.GENERAL)
    assert state.policy_version == "2026.3"
    received = state.received_at
    handling = state.windows["handling"]  # running from the intake
    assert handling.opened_at == received and handling.state == WindowState.RUNNING
    assert handling.due_at == calendar().add(received, parse_duration("3wd"))
    # Accepted 20 hours later: the same deadline, not a fresh 3 working days.
    await harness.sleep_until(received + 20 * H)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.windows["handling"].due_at == handling.due_at
    assert state.first_responsible == "agent.cs"


async def test_an_urgent_complaint_is_answered_and_handled_within_24h_of_receipt(harness):
    handle, state = await harness.start(severity=Severity.URGENT)
    received = state.received_at
    assert state.windows["response"].due_at == received + 24 * H
    assert state.windows["handling"].due_at == received + 24 * H  # together, not one after
    await harness.sleep_until(received + 23 * H)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.windows["handling"].due_at == received + 24 * H
    await harness.sleep_until(received + 24 * H, S)
    state, events = await settle(handle, harness.engine)
    assert state.windows["handling"].state == WindowState.BREACHED
    assert [e["window"] for e in events if e["kind"] == "breach"] == ["decision", "handling"]


async def test_the_decision_is_due_30_minutes_after_receipt(harness):
    handle, state = await harness.start()
    decision = state.windows["decision"]
    assert decision.due_at == state.received_at + 30 * M
    await harness.sleep_until(decision.due_at, -S)
    state, _ = await settle(handle, harness.engine)
    assert state.windows["decision"].state == WindowState.RUNNING
    await harness.sleep_until(decision.due_at, S)
    state, events = await settle(handle, harness.engine)
    assert state.windows["decision"].state == WindowState.BREACHED
    [breach] = [e for e in events if e["kind"] == "breach"]
    assert breach["window"] == "decision" and breach["deadline"] == decision.due_at
    assert state.escalation.level == 2
    # Taking it up now is late: met late, and the climb it drove stops.
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    assert state.windows["decision"].state == WindowState.MET_LATE
    assert state.escalation.next_at is None


async def test_a_transfer_must_be_handled_within_24h_and_the_customer_is_told(harness):
    handle, state = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await harness.sleep_until(state.received_at + 10 * M)
    state = await handle.execute_update(
        WF.transfer, TransferAction(AGENT_CS, "product", "a tariff question")
    )
    transferred_at = state.windows["completion"].opened_at
    assert state.windows["decision"].state == WindowState.MET  # judged within its 30 min
    assert close_to(state.windows["completion"].due_at, transferred_at + 24 * H)
    assert close_to(state.windows["transfer"].due_at, transferred_at + 1 * H)
    assert state.first_responsible == "agent.cs" and state.transferred_from == "customer_service"
    notes = await notifications_of(harness.engine, state.case_id)
    [told] = [n for n in notes if n["template"] == "forwarded"]
    assert told["recipient"] == "customer" and told["params"]["department"] == "product"
    # The first responsible hears of it, may still add a note, but no longer acts on it.
    assert [n["recipient"] for n in notes if n["template"] == "followed_transferred"] == [
        "agent.cs"
    ]
    await handle.execute_update(WF.note, NoteAction(AGENT_CS, "called the customer back"))
    kind, code = await refusal(handle, WF.accept, AcceptAction(AGENT_CS))
    assert (kind, code) == ("Forbidden", "department")

    await handle.execute_update(WF.accept, AcceptAction(AGENT_PRODUCT))
    await harness.sleep_until(transferred_at + 24 * H, -S)
    state, _ = await settle(handle, harness.engine)
    assert state.windows["completion"].state == WindowState.RUNNING
    await harness.sleep_until(transferred_at + 24 * H, S)
    state, events = await settle(handle, harness.engine)
    assert state.windows["completion"].state == WindowState.BREACHED
    assert [e["window"] for e in events if e["kind"] == "breach"] == ["completion"]
    state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_PRODUCT, "ok", "checked"))
    assert state.windows["completion"].state == WindowState.MET_LATE


async def test_send_back_returns_the_case_to_the_sending_department(harness):
    handle, state = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    # Nothing to send back before a transfer.
    assert await refusal(handle, WF.send_back, SendBackAction(AGENT_CS, "not ours")) == (
        "InvalidState",
        "not_transferred",
    )
    await handle.execute_update(WF.transfer, TransferAction(AGENT_CS, "product", "tariff"))
    state = await handle.execute_update(
        WF.send_back, SendBackAction(AGENT_PRODUCT, "a billing question, not a tariff one")
    )
    assert state.department == "customer_service" and state.phase == Phase.TRANSFERRED
    assert state.assignee is None and state.transferred_from is None
    assert state.windows["completion"].state == WindowState.CANCELLED
    assert state.windows["transfer"].state == WindowState.RUNNING
    _, events = await settle(handle, harness.engine)
    [sent] = [e for e in events if e["kind"] == "sent_back"]
    assert sent["data"]["to_department"] == "customer_service"
    notes = await notifications_of(harness.engine, state.case_id)
    assert [(n["department"], n["recipient"]) for n in notes if n["template"] == "sent_back"] == [
        ("customer_service", "agent")
    ]
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))  # taken up again


async def test_an_urge_climbs_one_level_when_its_deadline_passes(harness):
    handle, state = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    now = await harness.env.get_current_time()
    # Only supervisors urge; a deadline in the past is refused.
    assert (await refusal(handle, WF.urge, UrgeAction(AGENT_CS, now + 2 * H, "x")))[0] == (
        "Forbidden"
    )
    assert await refusal(handle, WF.urge, UrgeAction(SUPERVISOR, now - H, "x")) == (
        "InvalidInput",
        "urge_deadline",
    )
    state = await handle.execute_update(WF.urge, UrgeAction(SUPERVISOR, now + 2 * H, "today"))
    due = state.windows["urge"].due_at
    assert close_to(due, now + 2 * H) and state.urge.by == "supervisor"
    await harness.sleep_until(due, S)
    state, events = await settle(handle, harness.engine)
    assert state.windows["urge"].state == WindowState.BREACHED and state.escalation.level == 2
    assert [e["window"] for e in events if e["kind"] == "breach"] == ["urge"]
    notes = await notifications_of(harness.engine, state.case_id)
    assert [n["recipient"] for n in notes if n["template"] == "urged"] == ["agent.cs"]


async def test_a_silent_customer_is_reminded_then_the_case_closes(harness):
    handle, state = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(
        WF.request_info, RequestInfoAction(AGENT_CS, "which month?")
    )
    asked = state.windows["reply"].opened_at
    assert close_to(state.windows["reply_reminder"].due_at, asked + 48 * H)
    assert close_to(state.windows["reply"].due_at, calendar().add(asked, parse_duration("7wd")))
    await harness.sleep_until(asked + 48 * H, S)
    state, events = await settle(handle, harness.engine)
    assert "customer_reminded" in kinds(events) and state.phase == Phase.WAITING_CUSTOMER
    assert "warning" not in [e["kind"] for e in events if e["window"] == "reply"]
    await harness.sleep_until(state.windows["reply"].due_at, S)
    final = await closed_state(handle)
    assert final.outcome == Outcome.NO_RESPONSE
    _, events = await settle(handle, harness.engine)
    assert kinds(events)[-2:] == ["no_response", "archived"]
    notes = await notifications_of(harness.engine, final.case_id)
    assert [n["template"] for n in notes if n["recipient"] == "customer"][-2:] == [
        "info_reminder",
        "no_response",
    ]


async def test_a_reply_in_time_stops_the_reminder_and_the_closing(harness):
    handle, state = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await handle.execute_update(WF.request_info, RequestInfoAction(AGENT_CS, "which month?"))
    state = await handle.execute_update(WF.customer_reply, CustomerReplyAction(AGENT_CS, "May"))
    assert state.windows["reply"].state == WindowState.CANCELLED
    assert state.windows["reply_reminder"].state == WindowState.CANCELLED


async def test_three_unanswered_callbacks_close_the_case_as_unreachable(harness):
    handle, _ = await harness.start()
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "refunded", "checked"))
    await handle.execute_update(WF.feedback, FeedbackAction(AGENT_CS, "refunded"))
    for n in (1, 2):
        state = await handle.execute_update(
            WF.callback_attempt, CallbackAttemptAction(AGENT_CS, "no answer")
        )
        assert state.phase == Phase.FEEDBACK_GIVEN and state.callback_attempts == n
    state = await handle.execute_update(WF.callback_attempt, CallbackAttemptAction(AGENT_CS))
    assert state.outcome == Outcome.UNREACHABLE and state.satisfaction is None
    assert state.windows["follow_up"].state == WindowState.MET  # attempted in time
    _, events = await settle(handle, harness.engine)
    attempts = [e for e in events if e["kind"] == "callback_attempt"]
    assert [(e["data"]["attempt"], e["data"]["reached"]) for e in attempts] == [
        ("1", "false"),
        ("2", "false"),
        ("3", "false"),
    ]


async def test_an_extension_is_capped_and_reported_as_extended(harness):
    handle, state = await harness.start(severity=Severity.URGENT)
    handling = state.windows["handling"]
    length = handling.due_at - handling.opened_at
    # Agents may not; longer than the window's own length may not either.
    assert (
        await refusal(
            handle, WF.extend, ExtendAction(AGENT_CS, WindowName.HANDLING, handling.due_at + H, "x")
        )
    )[0] == "Forbidden"
    too_long = handling.due_at + length + M
    assert await refusal(
        handle, WF.extend, ExtendAction(SUPERVISOR, WindowName.HANDLING, too_long, "x")
    ) == ("InvalidInput", "too_long")
    state = await handle.execute_update(
        WF.extend,
        ExtendAction(SUPERVISOR, WindowName.HANDLING, handling.due_at + 12 * H, "new bill"),
    )
    extended = state.windows["handling"]
    assert extended.due_at == handling.due_at + 12 * H and extended.extensions == 1
    assert extended.extended_from == handling.due_at
    # Once only (the policy's cap).
    assert await refusal(
        handle,
        WF.extend,
        ExtendAction(SUPERVISOR, WindowName.HANDLING, handling.due_at + 20 * H, "x"),
    ) == ("InvalidState", "extension_cap")
    # Past the old deadline, within the new one: no breach of handling...
    await harness.sleep_until(handling.due_at, H)
    state, events = await settle(handle, harness.engine)
    assert state.windows["handling"].state == WindowState.RUNNING
    assert "handling" not in [e["window"] for e in events if e["kind"] == "breach"]
    await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "ok", "checked"))
    # ...and reported as extended, never as on time.
    assert state.windows["handling"].state == WindowState.MET_EXTENDED
    [event] = [e for e in events if e["kind"] == "extended"]
    assert event["deadline"] == handling.due_at + 12 * H


async def test_a_case_that_arrives_late_is_breached_and_climbs_one_level(harness):
    now = await harness.env.get_current_time()
    handle, state = await harness.start(severity=Severity.URGENT, received_at=now - 50 * H)
    assert state.received_at == now - 50 * H
    state, events = await settle(handle, harness.engine)
    # Response, handling and the decision were all past due: breached at intake, one climb.
    assert state.escalation.level == 2
    assert {e["window"] for e in events if e["kind"] == "breach"} == {
        "response",
        "handling",
        "decision",
    }
    assert kinds(events).count("escalated") == 1 and "arrived_late" in kinds(events)
    assert "warning" not in kinds(events)
    assert close_to(state.escalation.next_at, now + 4 * H)  # L2's time from the arrival


async def test_a_regulators_appeal_starts_at_l3_and_must_be_answered_in_time(harness):
    complaint, state = await harness.start()
    about = state.case_id
    appeal, state = await harness.start(CaseType.APPEAL, appeal_of=about)
    assert state.escalation.level == 3 and state.department == "customer_service"
    assert state.filed_by == REGULATOR.user_id and state.links["appeal_of"] == about
    handling = state.windows["handling"]
    assert handling.target == "3wd"  # the MIIT's own deadline (policy row appeal-miit)
    # The appealed case learns of it.
    for _ in range(100):
        linked = await complaint.query(WF.snapshot)
        if "appealed_by" in linked.links:
            break
        await harness.env.sleep(S)
    assert linked.links["appealed_by"] == state.case_id
    await harness.sleep_until(handling.due_at, S)
    state, events = await settle(appeal, harness.engine)
    assert state.escalation.level == 4  # one climb from L3
    await appeal.execute_update(AppealWorkflow.accept, AcceptAction(AGENT_CS))
    state = await appeal.execute_update(
        AppealWorkflow.reply_regulator, ReplyRegulatorAction(AGENT_CS, "refunded; customer ok")
    )
    assert state.phase == Phase.ARCHIVED and state.outcome == Outcome.RESOLVED
    notes = await notifications_of(harness.engine, state.case_id)
    assert [n["recipient"] for n in notes if n["template"] == "regulator_reply"] == [
        REGULATOR.user_id
    ]
