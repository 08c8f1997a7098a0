"""Working-time arithmetic on the real Chinese statutory calendar, plus its algebraic laws."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.domain import PlanRequest, Segment
from caseflow.policy import PolicyBook, plan_in_calendar_time
from caseflow.worktime import CALENDAR_TIME, Duration, Unit, WorkCalendar, parse_duration

SH = ZoneInfo("Asia/Shanghai")
TZ = "Asia/Shanghai"  # the packaged policies' zone
CAL = WorkCalendar(TZ)
BOOK = PolicyBook.load()


def at(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("30m", timedelta(minutes=30), Unit.CALENDAR),
        ("24h", timedelta(hours=24), Unit.CALENDAR),
        ("1.5h", timedelta(minutes=90), Unit.CALENDAR),
        ("2d", timedelta(days=2), Unit.CALENDAR),
        ("3wd", timedelta(days=3), Unit.WORKING_DAYS),
        ("8wh", timedelta(hours=8), Unit.WORKING_HOURS),
    ],
)
def test_parse_duration(text, amount, unit):
    assert parse_duration(text) == Duration(amount, unit)


@pytest.mark.parametrize("text", ["3x", "", "-1h", "0h", "wd", "3 days"])
def test_parse_duration_rejects_with_a_helpful_message(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_three_working_days_across_national_day_2025():
    # 2025: Oct 1-8 off; Sun Sep 28 and Sat Oct 11 are make-up working days.
    assert chinese_calendar.is_workday(date(2025, 9, 28))
    assert not chinese_calendar.is_workday(date(2025, 10, 8))
    # Fri Sep 26 10:00: 14 h left of Friday, Sat 27 off, Sun 28 (24 h) and Mon 29 (24 h) count:
    # 62 h, the last 10 h fall on Tue Sep 30.
    assert CAL.add(at(2025, 9, 26, 10), parse_duration("3wd")) == at(2025, 9, 30, 10)
    # Filed Tue Sep 30 10:00: 14 h that day, then nothing until Thu Oct 9.
    assert CAL.add(at(2025, 9, 30, 10), parse_duration("3wd")) == at(2025, 10, 11, 10)


def test_three_working_days_filed_the_friday_before_national_day_2026():
    # 2026: Oct 1-7 off; Sun Sep 20 and Sat Oct 10 are make-up working days.
    assert not chinese_calendar.is_workday(date(2026, 10, 1))
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    # Fri Sep 25 is itself a holiday (Mid-Autumn Festival): filed then, the clock waits for
    # Mon 28; Mon, Tue, Wed are the 3 working days, ending as Wed Sep 30 ends.
    assert not chinese_calendar.is_workday(date(2026, 9, 25))
    assert CAL.add(at(2026, 9, 25, 10), parse_duration("3wd")) == at(2026, 10, 1, 0)
    # Thu Sep 24 10:00: 14 h Thu; Fri-Sun off; Mon 28, Tue 29 (48 h) -> 62 h; Wed 30 10:00.
    assert CAL.add(at(2026, 9, 24, 10), parse_duration("3wd")) == at(2026, 9, 30, 10)
    # Filed Wed Sep 30 10:00: 14 h; Oct 1-7 off; Thu 8, Fri 9 (48 h); Sat 10 (make-up) 10 h.
    assert CAL.add(at(2026, 9, 30, 10), parse_duration("3wd")) == at(2026, 10, 10, 10)


def test_spring_festival_2026_is_skipped():
    holidays = [
        d
        for d in (date(2026, 2, 15) + timedelta(i) for i in range(12))
        if not chinese_calendar.is_workday(d)
    ]
    assert date(2026, 2, 17) in holidays  # the Lunar New Year
    start = at(2026, 2, 13, 12)  # a working Friday before the holiday
    end = CAL.add(start, parse_duration("2wd"))
    assert CAL.elapsed(start, end, Unit.WORKING_DAYS) == timedelta(days=2)
    assert all(not CAL.is_workday(d) for d in holidays)
    assert end.date() > max(holidays) - timedelta(days=1)


def test_working_hours_stop_at_close_of_business():
    # Fri Nov 20 2026 17:00 + 8 wh: 1 h on Friday, 7 h on Monday -> Mon 16:00.
    assert CAL.add(at(2026, 11, 20, 17), parse_duration("8wh")) == at(2026, 11, 23, 16)
    # Started before opening: counting begins at 09:00.
    assert CAL.add(at(2026, 11, 23, 7), parse_duration("2wh")) == at(2026, 11, 23, 11)


def test_elapsed_over_a_weekend_and_a_holiday():
    assert CAL.elapsed(at(2026, 11, 20, 18), at(2026, 11, 23, 9), Unit.WORKING_HOURS) == timedelta(
        0
    )
    assert CAL.elapsed(at(2026, 9, 30, 0), at(2026, 10, 8, 0), Unit.WORKING_DAYS) == timedelta(
        days=1
    )
    assert CAL.elapsed(at(2026, 9, 30), at(2026, 10, 8), Unit.CALENDAR) == timedelta(days=8)


def test_policy_overrides_win_over_the_statutory_calendar():
    cal = WorkCalendar(
        TZ,
        extra_holidays=frozenset({date(2026, 11, 23)}),
        extra_workdays=frozenset({date(2026, 11, 22)}),
    )
    assert cal.is_workday(date(2026, 11, 22)) and not cal.is_workday(date(2026, 11, 23))
    assert cal.add(at(2026, 11, 22, 0), parse_duration("2wd")) == at(2026, 11, 25, 0)


def test_years_without_statutory_data_fall_back_to_monday_to_friday(caplog):
    cal = WorkCalendar(TZ)
    assert cal.is_workday(date(2031, 1, 6)) and not cal.is_workday(date(2031, 1, 4))
    assert cal.add(at(2031, 1, 3, 12), parse_duration("1wd")) == at(2031, 1, 6, 12)
    assert "no data for 2031" in caplog.text


def test_next_working_instant():
    assert CAL.next_working_instant(at(2026, 11, 21, 3)) == at(2026, 11, 23, 9)
    assert CAL.next_working_instant(at(2026, 11, 23, 10)) == at(2026, 11, 23, 10)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        CAL.add(datetime(2026, 1, 1), parse_duration("1h"))


# ------------------------------------------------------------------ properties
instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2026, 12, 20),
).map(lambda d: d.replace(tzinfo=UTC))
amounts = st.integers(min_value=0, max_value=15 * 86400).map(lambda s: timedelta(seconds=s))
units = st.sampled_from(list(Unit))
PROPS = settings(max_examples=150, deadline=None)


@PROPS
@given(instants, amounts, amounts, units)
def test_monotonic(t, a, b, unit):
    a, b = sorted((a, b))
    assert CAL.add(t, Duration(a, unit)) <= CAL.add(t, Duration(b, unit))


@PROPS
@given(instants, amounts, amounts, units)
def test_adding_a_then_b_equals_adding_a_plus_b(t, a, b, unit):
    assert CAL.add(CAL.add(t, Duration(a, unit)), Duration(b, unit)) == CAL.add(
        t, Duration(a + b, unit)
    )


@PROPS
@given(
    instants,
    amounts.filter(lambda a: a > timedelta(0)),
    st.sampled_from([Unit.WORKING_DAYS, Unit.WORKING_HOURS]),
)
def test_deadlines_land_in_working_time(t, a, unit):
    assert CAL.is_working_instant(CAL.add(t, Duration(a, unit)), unit)


@PROPS
@given(instants, amounts, units)
def test_elapsed_inverts_add(t, a, unit):
    assert CAL.elapsed(t, CAL.add(t, Duration(a, unit)), unit) == a


@PROPS
@given(instants, amounts, amounts, units)
def test_elapsed_is_additive_over_a_split(t, a, b, unit):
    mid, end = t + a, t + a + b
    assert CAL.elapsed(t, end, unit) == CAL.elapsed(t, mid, unit) + CAL.elapsed(mid, end, unit)


def test_business_hours_must_be_ordered():
    with pytest.raises(ValueError, match="business hours"):
        WorkCalendar(TZ, business_start=time(18), business_end=time(9))


# ------------------------------------------------- the plans workflow code makes itself
targets = st.integers(min_value=1, max_value=96 * 60).map(lambda m: f"{m}m")
segment_lengths = st.lists(st.integers(min_value=0, max_value=3 * 86400), max_size=3)


@PROPS
@given(instants, targets, segment_lengths, st.sampled_from([0.5, 0.8, 1.0]))
def test_a_calendar_time_plan_in_workflow_code_is_the_activitys(t, target, lengths, ratio):
    """caseflow.policy.plan_in_calendar_time (run by workflow code, caseflow.patches) makes
    exactly the plan the planner activity makes with the policy's calendar, for a fresh window
    or one whose earlier segments already used time (a resumed one)."""
    segments, start = [], t
    for seconds in lengths:
        segments.append(Segment(start=start, end=start + timedelta(seconds=seconds)))
        start = start + timedelta(seconds=seconds, hours=1)  # paused an hour in between
    now = start
    segments.append(Segment(start=now))
    req = PlanRequest(
        policy_version=BOOK.active_version,
        target=target,
        warn_ratio=ratio,
        now=now,
        used_segments=segments,
    )
    inline = plan_in_calendar_time(req)
    assert inline == BOOK.plan(req)
    assert inline.due_at == now + max(
        parse_duration(target).amount - timedelta(seconds=sum(lengths)), timedelta(0)
    )


@pytest.mark.parametrize("target", ["3wd", "8wh"])
def test_a_working_time_plan_is_left_to_the_activity(target):
    req = PlanRequest(BOOK.active_version, target, 0.8, at(2026, 10, 1), [])
    assert plan_in_calendar_time(req) is None
    assert BOOK.plan(req).due_at > at(2026, 10, 8)  # National Day: the calendar was read


def test_calendar_time_reads_no_calendar():
    with pytest.raises(ValueError, match="working calendar"):
        CALENDAR_TIME.add(at(2026, 10, 1), parse_duration("3wd"))
