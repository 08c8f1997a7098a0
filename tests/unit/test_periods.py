"""Report periods cut at local midnight, and the retention cutoff in calendar years."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caseflow.periods import (
    month_bounds,
    parse_period,
    previous_month,
    previous_quarter,
    retention_cutoff,
)

SH = "Asia/Shanghai"  # UTC+8, no daylight saving: every expectation below is 8 hours back


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_month_starts_at_local_midnight():
    assert month_bounds("2026-11", SH) == (utc(2026, 10, 31, 16), utc(2026, 11, 30, 16))
    assert month_bounds("2026-12", SH) == (utc(2026, 11, 30, 16), utc(2026, 12, 31, 16))


def test_a_quarter_is_its_three_months():
    q4 = parse_period("2026-Q4", SH)
    assert q4.months == ("2026-10", "2026-11", "2026-12") and q4.kind == "quarter"
    assert (q4.since, q4.until) == (utc(2026, 9, 30, 16), utc(2026, 12, 31, 16))
    q1 = parse_period("2027-Q1", SH)
    assert (q1.since, q1.until) == (utc(2026, 12, 31, 16), utc(2027, 3, 31, 16))
    assert parse_period("2026-11", SH).kind == "month"


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26-11", "2026-1", "Q4", ""])
def test_malformed_periods_are_refused(text):
    with pytest.raises(ValueError):
        parse_period(text, SH)


def test_previous_periods_in_the_local_zone():
    # 31 December 16:30 UTC is already 1 January 00:30 in Shanghai.
    new_year = utc(2026, 12, 31, 16, 30)
    assert previous_month(new_year, SH) == "2026-12"
    assert previous_quarter(new_year, SH) == "2026-Q4"
    assert previous_quarter(utc(2026, 12, 31, 15, 59), SH) == "2026-Q3"
    assert previous_quarter(utc(2026, 4, 1, 1), SH) == "2026-Q1"


def test_retention_counts_calendar_years_with_their_leap_days():
    # Run on 6 March 2030 (local): what closed on or before 5 March 2027 has had its third
    # anniversary pass in full; that span holds 29 February 2028, so it is 1 096 days.
    at = utc(2030, 3, 5, 19)  # 03:00 on 6 March locally
    cutoff = retention_cutoff(at, 3, SH)
    assert cutoff == utc(2027, 3, 5, 16)  # 6 March 2027, 00:00 local
    assert (at - cutoff).days == 1096
    # 1 095 × 24 h would cut at 7 March 2027 03:00 local: records of 6 March 2027 a day early.


def test_a_record_closed_on_29_february_goes_after_1_march():
    # On 1 March 2027 the last day due is 28 February 2024: 29 February waits.
    assert retention_cutoff(utc(2027, 2, 28, 19), 3, SH) == utc(2024, 2, 28, 16)
    # On 2 March, 1 March 2027 (its anniversary in a common year) has passed: it goes.
    assert retention_cutoff(utc(2027, 3, 1, 19), 3, SH) == utc(2024, 3, 1, 16)


def test_retention_cutoff_on_a_leap_day():
    # 29 February 2028: the day before, 28 February 2025, is due, and nothing later.
    assert retention_cutoff(utc(2028, 2, 28, 19), 3, SH) == utc(2025, 2, 28, 16)
    # 1 March 2028: "yesterday" is 29 February 2028, whose 2025 day is 28 February.
    assert retention_cutoff(utc(2028, 2, 29, 19), 3, SH) == utc(2025, 2, 28, 16)
