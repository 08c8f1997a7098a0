"""The policy table driving running complaints: holidays declared in a policy move working-day
deadlines, reclassification re-plans against the pinned version with the time already used
credited, and the warning ratio and ladder timings come from the policy file, not from code.

Tests that need a policy of their own write a copy of 2026.1.toml under a test version into
tmp_path and run a worker of their own with it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from caseflow.domain import (
    AcceptAction,
    ReclassifyAction,
    ResolveAction,
    Severity,
    WindowState,
)
from tests.workflows.conftest import (
    AGENT_CS,
    book_with,
    close_to,
    policy_harness,
    settle,
    write_policy,
)
from workflows.complaint import ComplaintWorkflow as WF

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
DAY = timedelta(days=1)
MARGIN = timedelta(seconds=2)


@pytest.fixture(autouse=True)
async def _end_cases(harness):
    yield
    await harness.terminate_open()


def toml_dates(days: list[date]) -> str:
    return "[" + ", ".join(d.isoformat() for d in days) + "]"


async def shanghai_today(env) -> date:
    """The server's date in Asia/Shanghai, moved past midnight if midnight is minutes away
    (a case filed now must be filed on the date the test policy was written for)."""
    now = (await env.get_current_time()).astimezone(SHANGHAI)
    midnight = datetime.combine(now.date() + DAY, time(0), tzinfo=SHANGHAI)
    if midnight - now < timedelta(minutes=10):
        await env.sleep(midnight - now + timedelta(minutes=1))
        now = (await env.get_current_time()).astimezone(SHANGHAI)
    return now.date()


async def every_day_working_book(env, tmp_path, version: str, replace=None):
    """A policy in which every date around now is a working day (declared make-up days), so a
    working-day target is plain calendar time whatever the weekday or the statutory data."""
    today = await shanghai_today(env)
    workdays = [today + DAY * i for i in range(-2, 30)]
    write_policy(
        tmp_path,
        version,
        {"extra_workdays = []": f"extra_workdays = {toml_dates(workdays)}", **(replace or {})},
    )
    return book_with(tmp_path, version)


async def test_three_working_days_filed_the_day_before_a_holiday_end_after_it(
    env, db_engine, tmp_path
):
    # The statutory calendar package has no data beyond 2026, so the holiday is declared in a
    # test policy: the three days after today are holidays. Every other date nearby is declared
    # a working day, so the expected deadline can be worked out by hand below.
    today = await shanghai_today(env)
    holidays = [today + DAY * i for i in (1, 2, 3)]
    workdays = [today] + [today + DAY * i for i in range(4, 15)]
    write_policy(
        tmp_path,
        "9000.1",
        {
            "extra_holidays = []": f"extra_holidays = {toml_dates(holidays)}",
            "extra_workdays = []": f"extra_workdays = {toml_dates(workdays)}",
        },
    )
    async with policy_harness(env, db_engine, book_with(tmp_path, "9000.1")) as h:
        handle, state = await h.start(severity=Severity.GENERAL)
        assert state.policy_version == "9000.1"
        # Calendar-time windows do not care about holidays.
        assert state.windows["response"].due_at == state.opened_at + 24 * H
        state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
        handling = state.windows["handling"]
        start = handling.opened_at
        assert handling.target == "3wd" and start.astimezone(SHANGHAI).date() == today

        # By hand: what is left of today counts, the three holidays do not, the rest of the
        # 72 h is taken from the first day after them.
        left_today = datetime.combine(holidays[0], time(0), tzinfo=SHANGHAI) - start
        after_holidays = datetime.combine(holidays[-1] + DAY, time(0), tzinfo=SHANGHAI)
        expected_due = after_holidays + (72 * H - left_today)
        expected_warn = after_holidays + (72 * H * 0.8 - left_today)
        assert expected_due == start + 6 * DAY  # three working days plus three holidays
        assert handling.due_at == expected_due
        assert handling.warn_at == expected_warn
        assert handling.due_at.astimezone(SHANGHAI).date() > holidays[-1]

        # The timer is armed for that instant: nothing at the holiday-free deadline...
        await h.sleep_until(start + 72 * H, MARGIN)
        state, events = await settle(handle, db_engine)
        assert [e["kind"] for e in events] == ["intake", "accepted"]
        assert state.windows["handling"].state == WindowState.RUNNING
        # ...the warning and the breach at the holiday-shifted instants.
        await h.sleep_until(expected_due, MARGIN)
        state, events = await settle(handle, db_engine)
        warning, breach = (next(e for e in events if e["kind"] == k) for k in ("warning", "breach"))
        assert close_to(warning["at"], expected_warn)
        assert breach["deadline"] == expected_due and close_to(breach["at"], expected_due)
        assert state.escalation.level == 2


async def test_urgent_reclassified_to_general_keeps_the_time_used(env, db_engine, tmp_path):
    book = await every_day_working_book(env, tmp_path, "9000.2")
    async with policy_harness(env, db_engine, book) as h:
        handle, _ = await h.start(severity=Severity.URGENT)
        state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
        accepted = state.windows["handling"].opened_at
        assert state.windows["handling"].due_at == accepted + 24 * H
        await h.sleep_until(accepted + 10 * H)

        state = await handle.execute_update(
            WF.reclassify, ReclassifyAction(AGENT_CS, "not urgent after all", Severity.GENERAL)
        )
        handling = state.windows["handling"]
        assert state.severity == Severity.GENERAL and handling.target == "3wd"
        # Remaining = 72 h - the 10 h used: the deadline counts from acceptance, not from now.
        assert handling.due_at == accepted + 72 * H
        assert handling.warn_at == accepted + 72 * H * 0.8
        assert handling.opened_at == accepted and handling.state == WindowState.RUNNING
        state, events = await settle(handle, db_engine)
        reclassified = events[-1]
        assert reclassified["kind"] == "reclassified" and reclassified["actor_id"] == "agent.cs"
        assert "'handling': '24h'" in reclassified["summary"]
        assert "'handling': '3wd'" in reclassified["summary"]

        # The old 24 h deadline (and its warning point) pass without effect.
        await h.sleep_until(accepted + 24 * H, MARGIN)
        state, events = await settle(handle, db_engine)
        assert [e["kind"] for e in events][-1] == "reclassified"
        await h.sleep_until(accepted + 72 * H, MARGIN)
        state, events = await settle(handle, db_engine)
        [breach] = [e for e in events if e["kind"] == "breach"]
        assert breach["deadline"] == accepted + 72 * H


async def test_general_reclassified_to_urgent_gets_what_is_left_of_24_hours(harness):
    handle, _ = await harness.start(severity=Severity.GENERAL)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    accepted = state.windows["handling"].opened_at
    await harness.sleep_until(accepted + 10 * H)
    state = await handle.execute_update(
        WF.reclassify, ReclassifyAction(AGENT_CS, "rights harmed", Severity.URGENT)
    )
    handling = state.windows["handling"]
    assert state.severity == Severity.URGENT and handling.target == "24h"
    assert handling.due_at == accepted + 24 * H  # = now + (24 h - 10 h used)
    assert handling.warn_at == accepted + 24 * H * 0.8
    await harness.sleep_until(handling.due_at, MARGIN)
    state, events = await settle(handle, harness.engine)
    assert [e["kind"] for e in events][-4:] == ["reclassified", "warning", "breach", "escalated"]
    breach = events[-2]
    assert breach["deadline"] == accepted + 24 * H and close_to(breach["at"], accepted + 24 * H)


async def test_general_reclassified_to_urgent_after_30_hours_breaches_at_once(harness):
    handle, _ = await harness.start(severity=Severity.GENERAL)
    state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
    accepted = state.windows["handling"].opened_at
    await harness.sleep_until(accepted + 30 * H)
    state = await handle.execute_update(
        WF.reclassify, ReclassifyAction(AGENT_CS, "urgent after all", Severity.URGENT)
    )
    # 30 h used of a 24 h target: nothing left, the deadline is the reclassification itself.
    await harness.env.sleep(MARGIN)
    state, events = await settle(handle, harness.engine)
    kinds = [e["kind"] for e in events]
    at = kinds.index("reclassified")
    reclassified_at = events[at]["at"]
    assert close_to(reclassified_at, accepted + 30 * H)
    handling = state.windows["handling"]
    # Planned with nothing left: due at the instant of the re-plan (inside the update).
    assert accepted + 30 * H <= handling.due_at <= reclassified_at
    assert handling.state == WindowState.BREACHED
    assert kinds[at:] == ["reclassified", "warning", "breach", "escalated"]
    breach = events[at + 2]
    assert breach["deadline"] == handling.due_at and close_to(breach["at"], handling.due_at)
    assert state.escalation.level == 2 and state.escalation.window == "handling"


async def test_warning_ratio_and_ladder_times_come_from_the_policy(env, db_engine, tmp_path):
    write_policy(
        tmp_path,
        "9000.3",
        {
            "warn_ratio = 0.8": "warn_ratio = 0.5",
            'acts_within = "4h"': 'acts_within = "30m"',
            'acts_within = "8h"': 'acts_within = "1h"',
        },
    )
    async with policy_harness(env, db_engine, book_with(tmp_path, "9000.3")) as h:
        handle, state = await h.start(severity=Severity.URGENT)
        response = state.windows["response"]
        assert response.warn_at == response.opened_at + 12 * H  # 50 % of 24 h
        await h.sleep_until(response.warn_at, MARGIN)
        state, events = await settle(handle, db_engine)
        assert [e["kind"] for e in events] == ["intake", "warning"]
        await h.sleep_until(response.due_at, MARGIN)
        state, _ = await settle(handle, db_engine)
        assert state.escalation.next_at == response.due_at + 30 * timedelta(minutes=1)
        await h.sleep_until(response.due_at + 90 * timedelta(minutes=1), MARGIN)
        state, events = await settle(handle, db_engine)
        climbs = [e for e in events if e["kind"] == "escalated"]
        assert [e["data"]["level"] for e in climbs] == ["2", "3", "4"]
        assert close_to(climbs[1]["at"], response.due_at + 30 * timedelta(minutes=1))
        assert close_to(climbs[2]["at"], response.due_at + 90 * timedelta(minutes=1))
        assert state.escalation.level == 4 and state.escalation.next_at is None


async def test_reclassification_that_lifts_a_breach_stops_its_escalation(env, db_engine, tmp_path):
    book = await every_day_working_book(env, tmp_path, "9000.4")
    async with policy_harness(env, db_engine, book) as h:
        handle, _ = await h.start(severity=Severity.URGENT)
        state = await handle.execute_update(WF.accept, AcceptAction(AGENT_CS))
        accepted = state.windows["handling"].opened_at
        await h.sleep_until(accepted + 24 * H, MARGIN)
        state, _ = await settle(handle, db_engine)
        assert state.windows["handling"].state == WindowState.BREACHED
        assert state.escalation.level == 2

        state = await handle.execute_update(
            WF.reclassify, ReclassifyAction(AGENT_CS, "general after all", Severity.GENERAL)
        )
        handling = state.windows["handling"]
        # The breach is lifted: 3 working days from acceptance, 47 h still to go.
        assert handling.state == WindowState.RUNNING and handling.due_at == accepted + 72 * H
        # Past the instant L3 would have been reached for the (lifted) breach: no climb.
        await h.sleep_until(accepted + 28 * H, MARGIN)
        state, events = await settle(handle, db_engine)
        assert [e["data"]["level"] for e in events if e["kind"] == "escalated"] == ["2"]
        assert state.escalation.level == 2 and state.escalation.next_at is None
        # The resolution, well within the new target, is on time.
        state = await handle.execute_update(WF.resolve, ResolveAction(AGENT_CS, "ok", "done"))
        assert state.windows["handling"].state == WindowState.MET
