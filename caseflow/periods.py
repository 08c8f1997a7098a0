"""Report periods: calendar months and quarters cut at local midnight in the policy's time
zone, and the retention cutoff in calendar years.

A case belongs to the period in which it was filed, as the customer's clock (the policy's
zone) saw it: a complaint filed at 00:30 Beijing time on 1 December is December's, although it
is still 30 November in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    """[since, until) in UTC; `label` is "2026-11", "2026-Q4" or "all time"; `months` the
    calendar months it spans (the customer base is configured per month)."""

    label: str
    since: datetime | None
    until: datetime | None
    months: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        if not self.months:
            return "all"
        return "quarter" if len(self.months) == 3 else "month"


def _local_midnight(year: int, month: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(date(year, month, 1), time(0), tzinfo=tz).astimezone(UTC)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """A calendar month ("2026-10") as [start, end) in UTC, cut at local midnight."""
    match = _MONTH.match(month)
    if match is None:
        raise ValueError(f"a month looks like 2026-11, not {month!r}")
    tz = ZoneInfo(timezone)
    year, mon = int(match[1]), int(match[2])
    return _local_midnight(year, mon, tz), _local_midnight(*_next_month(year, mon), tz)


def parse_period(text: str, timezone: str) -> Period:
    """ "2026-11" (a month) or "2026-Q4" (a quarter: October to December)."""
    text = text.strip()
    match = _QUARTER.match(text)
    if match:
        year, quarter = int(match[1]), int(match[2])
        first = 3 * (quarter - 1) + 1
        months = tuple(f"{year:04d}-{m:02d}" for m in range(first, first + 3))
        since, _ = month_bounds(months[0], timezone)
        _, until = month_bounds(months[-1], timezone)
        return Period(text, since, until, months)
    if _MONTH.match(text):
        since, until = month_bounds(text, timezone)
        return Period(text, since, until, (text,))
    raise ValueError(f"a period looks like 2026-11 (a month) or 2026-Q4 (a quarter), not {text!r}")


def all_time() -> Period:
    return Period("all time", None, None)


def previous_month(at: datetime, timezone: str) -> str:
    """The month before the one `at` falls in, locally ("2026-10" on any day of November)."""
    local = at.astimezone(ZoneInfo(timezone))
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def previous_quarter(at: datetime, timezone: str) -> str:
    """The quarter before the one `at` falls in, locally ("2026-Q3" on any day of Q4)."""
    local = at.astimezone(ZoneInfo(timezone))
    quarter = (local.month - 1) // 3 + 1
    year, quarter = (local.year, quarter - 1) if quarter > 1 else (local.year - 1, 4)
    return f"{year:04d}-Q{quarter}"


def _years_back(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def retention_cutoff(at: datetime, years: int, timezone: str) -> datetime:
    """Records closed before the returned instant have been kept `years` full calendar years
    at `at` (000 §4.2, 附件一 §7.3: kept at least three years, then destroyed).

    Counted in calendar years in the policy's zone, so a span with 29 February in it is 1 096
    days, not 3 × 365. A record closed on day D is kept until D's anniversary has passed in
    full: it goes on the day after (a record closed on 29 February has its anniversary on
    1 March of a common year, so it goes on 2 March). Whole days, so the daily Schedule
    never cuts a day in half.
    """
    tz = ZoneInfo(timezone)
    yesterday = at.astimezone(tz).date() - timedelta(days=1)
    last_day = _years_back(yesterday, years)  # its anniversary was yesterday: it is due
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
