"""The summaries workflows give their timers and plan activities (caseflow/domain/summaries.py)
read back by the readable history (caseflow/history/labels.py): every form round-trips, and a
summary of any other form is no label rather than a wrong one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from caseflow.domain import WindowName, summaries
from caseflow.history.labels import PlanLabel, TimerLabel, plan_label, timer_label

AT = datetime(2026, 12, 4, 7, 37, 12, 345678, tzinfo=UTC)


@pytest.mark.parametrize("window", [w.value for w in WindowName])
@pytest.mark.parametrize("purpose", ["warning", "deadline"])
@pytest.mark.parametrize("target", ["3wd", "24h", "30m", "8wh", "12345s", None])
def test_window_timers_round_trip(window, purpose, target):
    text = summaries.window_timer(purpose, window, target, AT)
    assert timer_label(text) == TimerLabel(
        purpose, window, AT.replace(microsecond=0), target=target
    )


def test_escalation_timers_round_trip_with_or_without_a_window():
    text = summaries.escalation_timer(2, "handling", AT)
    assert text == "escalation past level 2 (handling breach) at 2026-12-04T07:37:12Z"
    assert timer_label(text) == TimerLabel(
        "escalation", "handling", AT.replace(microsecond=0), level=2
    )
    assert timer_label(summaries.escalation_timer(3, None, AT)).window is None


def test_instants_are_written_in_utc_whatever_zone_they_come_in():
    local = AT.astimezone(timezone(timedelta(hours=8)))
    text = summaries.window_timer("deadline", "handling", "3wd", local)
    assert text == "deadline of the handling window (3wd) at 2026-12-04T07:37:12Z"


@pytest.mark.parametrize("replan", [False, True])
def test_plans_round_trip(replan):
    assert plan_label(summaries.plan_activity("feedback", "24h", replan)) == PlanLabel(
        "feedback", "24h", replan
    )
    assert plan_label(summaries.plan_escalation("4h")) == PlanLabel(None, "4h")


@pytest.mark.parametrize(
    "text",
    [None, "", "record: accepted", "resolve the policy (2026.3)", "deadline of the x window at"],
)
def test_anything_else_is_no_label(text):
    assert timer_label(text) is None and plan_label(text) is None


def test_a_summary_never_outgrows_one_line():
    text = summaries.record_activity(["note"] * 100)
    assert len(text) <= summaries.MAX_SUMMARY and text.endswith("…")
    assert summaries.termination_activity(["vas:music", "data"]) == "terminate vas:music, data"
