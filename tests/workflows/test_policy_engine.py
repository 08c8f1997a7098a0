"""The SLA policy engine end to end, with test policy files (copies of 2026.1.toml under test
versions) loaded by `PolicyBook.load(tmp_dir, active=...)` into a worker of this module's own:
pause credit, reclassification credit, the escalation ladder's timing and business-hours alerts,
tier rows, and running cases keeping the version they pinned when a new one is published."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import text
from temporalio.client import WorkflowUpdateFailedError
from temporalio.worker import Replayer

from caseflow.domain import (
    AcceptAction,
    AcknowledgeAction,
    CustomerReplyAction,
    CustomerTier,
    Phase,
    ReclassifyAction,
    RequestInfoAction,
    Severity,
    WindowState,
)
from caseflow.policy import PolicyBook
from caseflow.temporal import DATA_CONVERTER
from tests.sandbox import checked_worker
from tests.workflows.conftest import (
    AGENT_CS,
    HOTLINE,
    SUPERVISOR,
    Harness,
    close_to,
    notifications_of,
    policy_harness,
    settle,
    sleep_until,
    write_policy,
)
from tests.workflows.test_inquiry import THURSDAY, next_plain_weekday
from worker import claim_checks
from workflows.complaint import ComplaintWorkflow as WF
from workflows.inquiry import InquiryWorkflow
from workflows.unsubscribe import UnsubscribeWorkflow

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
DAY = timedelta(days=1)
MARGIN = timedelta(seconds=2)

BASE = "9100.1"  # the packaged table, as a test version
FAST_VIP = "9100.5"  # the same with the VIP row's response shortened to 6 h
VIP_ROW = 'tier = "vip"          # green channel: faster first response\nresponse = "12h"'


# The window mechanics as written against 2026.2 (tests/workflows/conftest.py).
pytestmark = pytest.mark.usefixtures("on_2026_2")


@pytest_asyncio.fixture(scope="module")
async def policy_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("policies")
    write_policy(folder, BASE, {})
    write_policy(folder, FAST_VIP, {VIP_ROW: VIP_ROW.replace('"12h"', '"6h"')})
    return folder


@pytest_asyncio.fixture(scope="module")
async def h(env, db_engine, policy_dir):
    book = PolicyBook.load(policy_dir, active=BASE)
    assert book.active_version == BASE and FAST_VIP in book.policies
    async with policy_harness(env, db_engine, book) as harness:
        yield harness


@pytest.fixture(autouse=True)
async def _end_cases(h):
    yield
    await h.terminate_open()


def kinds(events) -> list[str]:
    return [e["kind"] for e in events]


def of_kind(events, kind: str) -> list[dict]:
    return [e for e in events if e["kind"] == kind]


def escalation_notes(notes) -> list[tuple]:
    return [
        (n["recipient"], n["params"]["level"], n["not_before"])
        for n in notes
        if n["template"] == "escalation"
    ]


# ---------------------------------------------------------------- (a) pause credit


async def test_waiting_on_the_customer_pauses_the_clock_and_credits_the_time_used(h):
    handle, state = await h.start(severity=Severity.URGENT)
    assert state.policy_version == BASE
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    handling = state.windows["handling"]
    accepted = handling.opened_at
    assert handling.target == "24h" and handling.due_at == accepted + 24 * H

    await h.sleep_until(accepted + 10 * H)
    state = await handle.execute_update(
        WF.request_info, RequestInfoAction(AGENT_CS, "which bill do you mean?")
    )
    paused = state.windows["handling"]
    assert state.phase == Phase.WAITING_CUSTOMER and paused.state == WindowState.PAUSED
    assert paused.due_at is None and paused.warn_at is None
    paused_at = paused.segments[0].end
    used = paused_at - accepted
    assert close_to(paused_at, accepted + 10 * H)

    # Three days pass: the warning point (19.2 h) and the old deadline (24 h) go by silently.
    await h.sleep_until(paused_at + 3 * DAY)
    state, events = await settle(handle, h.engine)
    assert kinds(events) == ["intake", "accepted", "paused"]
    assert state.escalation.level == 1 and state.windows["handling"].state == WindowState.PAUSED
    notes = await notifications_of(h.engine, state.case_id)
    assert [(n["recipient"], n["channel"]) for n in notes if n["template"] == "info_request"] == [
        ("customer", "phone")
    ]
    assert escalation_notes(notes) == []

    state = await handle.execute_update(
        WF.customer_reply, CustomerReplyAction(HOTLINE, "the March bill")
    )
    resumed = state.windows["handling"]
    resumed_at = resumed.segments[1].start
    assert state.phase == Phase.IN_PROGRESS and resumed.state == WindowState.RUNNING
    assert close_to(resumed_at, paused_at + 3 * DAY)
    # Exactly what was left: 24 h minus the 10 h used before the pause.
    assert resumed.due_at == resumed_at + (24 * H - used)
    assert close_to(resumed.due_at, resumed_at + 14 * H)
    assert resumed.warn_at == resumed_at + (24 * H * 0.8 - used)
    _, events = await settle(handle, h.engine)
    assert events[-1]["kind"] == "resumed" and events[-1]["deadline"] == resumed.due_at

    await h.sleep_until(resumed.due_at, -MARGIN)
    _, events = await settle(handle, h.engine)
    assert kinds(events)[3:] == ["resumed", "warning"]
    assert close_to(events[-1]["at"], resumed.warn_at)
    await h.sleep_until(resumed.due_at, MARGIN)
    state, events = await settle(handle, h.engine)
    assert kinds(events)[3:] == ["resumed", "warning", "breach", "escalated"]
    assert events[-2]["deadline"] == resumed.due_at and close_to(events[-2]["at"], resumed.due_at)
    assert (state.escalation.level, state.escalation.window) == (2, "handling")


# ---------------------------------------------------------------- (b) reclassification credit


async def test_general_reclassified_to_urgent_gets_what_is_left_of_24_hours(h):
    handle, _ = await h.start(severity=Severity.GENERAL)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    accepted = state.windows["handling"].opened_at
    assert state.windows["handling"].target == "3wd"

    await h.sleep_until(accepted + 6 * H)
    state = await handle.execute_update(
        WF.reclassify, ReclassifyAction(AGENT_CS, "rights harmed", Severity.URGENT)
    )
    handling = state.windows["handling"]
    assert state.severity == Severity.URGENT and state.policy_version == BASE
    assert handling.target == "24h" and handling.opened_at == accepted
    # due = now + (24 h - the 6 h used) = the acceptance + 24 h, to the microsecond.
    assert handling.due_at == accepted + 24 * H
    assert handling.warn_at == accepted + 24 * H * 0.8
    _, events = await settle(handle, h.engine)
    reclassified = events[-1]
    assert reclassified["kind"] == "reclassified" and reclassified["actor_id"] == "agent.cs"
    assert close_to(reclassified["at"], accepted + 6 * H)
    assert "severity general -> urgent" in reclassified["summary"]
    assert "{'handling': '3wd'} -> {'handling': '24h'}" in reclassified["summary"]

    await h.sleep_until(handling.due_at, MARGIN)
    state, events = await settle(handle, h.engine)
    assert kinds(events)[-4:] == ["reclassified", "warning", "breach", "escalated"]
    assert events[-2]["deadline"] == accepted + 24 * H
    assert close_to(events[-2]["at"], accepted + 24 * H)


async def test_reclassifying_after_the_new_target_is_used_up_breaches_at_once(h):
    handle, _ = await h.start(severity=Severity.GENERAL)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    accepted = state.windows["handling"].opened_at
    await h.sleep_until(accepted + 25 * H)
    state, events = await settle(handle, h.engine)
    assert kinds(events) == ["intake", "accepted"]  # 25 h is well inside 3 working days

    state = await handle.execute_update(
        WF.reclassify, ReclassifyAction(AGENT_CS, "urgent after all", Severity.URGENT)
    )
    due = state.windows["handling"].due_at
    assert accepted + 25 * H <= due <= accepted + 25 * H + MARGIN  # nothing left: due now
    await h.env.sleep(MARGIN)
    state, events = await settle(handle, h.engine)
    assert kinds(events) == ["intake", "accepted", "reclassified", "warning", "breach", "escalated"]
    breach = events[4]
    assert breach["window"] == "handling" and breach["deadline"] == due
    assert close_to(breach["at"], events[2]["at"])  # at the reclassification itself
    assert state.windows["handling"].state == WindowState.BREACHED
    assert (state.escalation.level, state.escalation.window) == (2, "handling")


# ---------------------------------------------------------------- (c) the ladder


async def test_ladder_climbs_on_time_and_the_manager_is_alerted_in_business_hours(h):
    # Filed Thursday 08:00 (Shanghai): the 24 h response window breaches Friday 08:00 (L2),
    # L3 at 12:00, L4 (manager, business hours only) at 20:00 Friday, whose alert waits for
    # Monday 09:00, the next working instant.
    thursday = await next_plain_weekday(h.env, THURSDAY, time(8, 0))
    monday_9 = datetime.combine(thursday.date() + 4 * DAY, time(9, 0), tzinfo=SHANGHAI)
    await h.sleep_until(thursday)
    handle, state = await h.start(severity=Severity.URGENT)
    due = state.windows["response"].due_at
    assert close_to(due, thursday + DAY) and due == state.opened_at + 24 * H

    await h.sleep_until(due, MARGIN)
    state, events = await settle(handle, h.engine)
    assert kinds(events) == ["intake", "warning", "breach", "escalated"]
    assert (state.escalation.level, state.escalation.next_at) == (2, due + 4 * H)

    await h.sleep_until(due + 4 * H, -MARGIN)
    state, _ = await settle(handle, h.engine)
    assert state.escalation.level == 2
    await h.sleep_until(due + 4 * H, MARGIN)
    state, events = await settle(handle, h.engine)
    assert (state.escalation.level, state.escalation.next_at) == (3, due + 12 * H)
    assert close_to(events[-1]["at"], due + 4 * H) and events[-1]["data"]["level"] == "3"

    await h.sleep_until(due + 12 * H, -MARGIN)
    state, _ = await settle(handle, h.engine)
    assert state.escalation.level == 3
    await h.sleep_until(due + 12 * H, MARGIN)
    state, events = await settle(handle, h.engine)
    assert (state.escalation.level, state.escalation.next_at) == (4, None)  # the top
    l4 = events[-1]
    assert l4["data"]["level"] == "4" and close_to(l4["at"], due + 12 * H)
    assert l4["at"].astimezone(SHANGHAI).time() >= time(18)  # Friday evening...
    notes = await notifications_of(h.engine, state.case_id)
    assert escalation_notes(notes) == [
        ("team_lead", "2", None),
        ("supervisor", "3", None),
        ("manager", "4", monday_9),
    ]

    # Nothing climbs past the top, however long nobody acts.
    await h.sleep_until(due + 36 * H)
    state, later = await settle(handle, h.engine)
    assert len(later) == len(events) and state.escalation.level == 4


async def test_acknowledgment_stops_the_chain(h):
    handle, state = await h.start(severity=Severity.URGENT)
    due = state.windows["response"].due_at
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.acknowledge, AcknowledgeAction(SUPERVISOR))
    assert refused.value.cause.type == "InvalidState"  # nothing to acknowledge yet

    await h.sleep_until(due + 4 * H, MARGIN)
    state, _ = await settle(handle, h.engine)
    assert state.escalation.level == 3
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(WF.acknowledge, AcknowledgeAction(AGENT_CS))
    assert refused.value.cause.type == "Forbidden"  # supervisors acknowledge
    state = await handle.execute_update(WF.acknowledge, AcknowledgeAction(SUPERVISOR, "I am on it"))
    esc = state.escalation
    assert (esc.level, esc.next_at, esc.acknowledged_by) == (3, None, "supervisor")

    await h.sleep_until(due + 24 * H)  # well past when L4 would have been reached
    state, events = await settle(handle, h.engine)
    assert state.escalation.level == 3
    assert [e["data"]["level"] for e in of_kind(events, "escalated")] == ["2", "3"]
    assert events[-1]["kind"] == "escalation_acknowledged"
    assert events[-1]["window"] == "response" and events[-1]["actor_id"] == "supervisor"
    notes = await notifications_of(h.engine, state.case_id)
    assert [r for r, _, _ in escalation_notes(notes)] == ["team_lead", "supervisor"]


# ---------------------------------------------------------------- (d) tier rows


async def test_vip_response_window_comes_from_the_policy_row(h):
    _, standard = await h.start(tier=CustomerTier.STANDARD)
    vip_handle, vip = await h.start(tier=CustomerTier.VIP)
    fast_handle, fast = await h.start(tier=CustomerTier.VIP, policy_version=FAST_VIP)
    assert standard.windows["response"].target == "24h"
    assert vip.windows["response"].target == "12h"
    assert vip.windows["response"].due_at == vip.opened_at + 12 * H
    # Same code, another row: the version whose VIP row says 6 h gives 6 h.
    assert fast.policy_version == FAST_VIP
    assert fast.windows["response"].due_at == fast.opened_at + 6 * H
    _, events = await settle(vip_handle, h.engine)
    assert events[0]["deadline"] == vip.opened_at + 12 * H

    await h.sleep_until(vip.opened_at + 12 * H, MARGIN)
    for handle, target in ((fast_handle, 6 * H), (vip_handle, 12 * H)):
        state, events = await settle(handle, h.engine)
        [breach] = of_kind(events, "breach")
        assert breach["deadline"] == state.opened_at + target
        assert close_to(breach["at"], state.opened_at + target)
    standard_now = await h.env.client.get_workflow_handle(standard.case_id).query(WF.snapshot)
    assert standard_now.windows["response"].state == WindowState.RUNNING


# ---------------------------------------------------------------- (e) policy change


async def test_a_running_case_keeps_its_version_when_a_new_one_is_published(
    env, db_engine, tmp_path
):
    version_a, version_b = "9100.10", "9100.11"
    write_policy(tmp_path, version_a, {})
    queue = f"tq-{uuid.uuid4().hex[:8]}"
    # No sticky cache: the case's next task must reach whichever worker runs then (a deploy).
    book_a = PolicyBook.load(tmp_path, active=version_a)
    async with checked_worker(env.client, db_engine, queue, book_a, max_cached_workflows=0):
        old = Harness(env, db_engine, queue)
        handle, state = await old.start(severity=Severity.GENERAL)
        assert state.policy_version == version_a
        state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
        handling = state.windows["handling"]
        accepted = handling.opened_at

    # Version B is published: shorter response for new cases, 12 h urgent handling.
    write_policy(
        tmp_path,
        version_b,
        {
            'response = "24h"      # 2025 规范': 'response = "6h"       # 2025 规范',
            'response = "24h"\nhandling = "24h"': 'response = "24h"\nhandling = "12h"',
        },
    )
    book_b = PolicyBook.load(tmp_path, active=version_b)
    assert set(book_b.policies) >= {version_a, version_b}
    new = Harness(env, db_engine, queue)
    new.handles.append(handle)
    try:
        async with checked_worker(env.client, db_engine, queue, book_b):
            _, fresh = await new.start(severity=Severity.GENERAL)
            assert fresh.policy_version == version_b
            assert fresh.windows["response"].due_at == fresh.opened_at + 6 * H

            # 13 h on: under B's 12 h an urgent case would be overdue; the running case is not.
            await sleep_until(env, accepted + 13 * H)
            state, events = await settle(handle, db_engine)
            assert state.policy_version == version_a
            assert kinds(events) == ["intake", "accepted"]
            assert state.windows["handling"].due_at == handling.due_at  # A's deadline stands
            state = await handle.execute_update(
                WF.reclassify, ReclassifyAction(AGENT_CS, "rights harmed", Severity.URGENT)
            )
            # Resolved against A: 24 h (not B's 12 h) minus the 13 h used.
            assert state.policy_version == version_a
            assert state.windows["handling"].target == "24h"
            assert state.windows["handling"].due_at == accepted + 24 * H
            await env.sleep(MARGIN)
            state, events = await settle(handle, db_engine)
            assert kinds(events) == ["intake", "accepted", "reclassified"]
            assert state.windows["handling"].state == WindowState.RUNNING
            # The new case, meanwhile, breached B's 6 h response window.
            fresh_events = (await settle(new.handles[-1], db_engine))[1]
            [breach] = of_kind(fresh_events, "breach")
            assert breach["deadline"] == fresh.opened_at + 6 * H
            async with db_engine.connect() as conn:
                versions = dict(
                    (
                        await conn.execute(
                            text(
                                "SELECT case_id, policy_version FROM cases "
                                "WHERE case_id IN (:a, :b)"
                            ),
                            {"a": state.case_id, "b": fresh.case_id},
                        )
                    ).all()
                )
            assert versions == {state.case_id: version_a, fresh.case_id: version_b}
            history = await handle.fetch_history()
    finally:
        await new.terminate_open()

    # The history replays after the change: every deadline is in it, no policy is read.
    replayer = Replayer(
        workflows=[WF, InquiryWorkflow, UnsubscribeWorkflow],
        data_converter=DATA_CONVERTER,
        interceptors=[claim_checks(time_skipping_server=True)],
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
