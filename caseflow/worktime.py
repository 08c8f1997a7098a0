"""Working-time arithmetic: the pure functions every SLA deadline is computed with.

Three ways to measure time, chosen by a duration's unit:
- calendar ("30m", "24h"): every second counts, 24x7;
- working days ("3wd"): only time on working dates counts, 24 h per working date;
- working hours ("8wh"): only business hours on working dates count.

Working dates follow the Chinese statutory calendar (`chinese_calendar`: holidays and make-up
working days), overridden by the policy's extra dates; for years the package does not know yet
the calendar falls back to Monday-Friday and logs it once.

Workflows never consult a calendar: activities do, so replay reads their results from history
instead of depending on calendar data. The one exception is `CALENDAR_TIME`, which reads no
calendar data at all (a calendar-time deadline is a sum of instants): workflow code may plan
with it (caseflow.policy.plan_in_calendar_time).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)


class Unit(StrEnum):
    CALENDAR = "calendar"
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|wd|wh)\s*$")
_SCALE = {
    "s": (timedelta(seconds=1), Unit.CALENDAR),
    "m": (timedelta(minutes=1), Unit.CALENDAR),
    "h": (timedelta(hours=1), Unit.CALENDAR),
    "d": (timedelta(days=1), Unit.CALENDAR),
    "wh": (timedelta(hours=1), Unit.WORKING_HOURS),
    "wd": (timedelta(days=1), Unit.WORKING_DAYS),
}
# A deadline search that walks this far without finding working time has a broken calendar.
_MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Duration:
    amount: timedelta
    unit: Unit

    def scaled(self, ratio: float) -> Duration:
        # Whole seconds keep the arithmetic exact and the deadlines readable.
        return Duration(timedelta(seconds=round(self.amount.total_seconds() * ratio)), self.unit)


def parse_duration(text: str) -> Duration:
    """Parse a policy duration such as "30m", "24h", "3wd" or "8wh"."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(
            f"invalid duration {text!r}: use a number followed by s, m, h, d (calendar time), "
            "wh (working hours) or wd (working days), e.g. '24h' or '3wd'"
        )
    number, suffix = match.groups()
    scale, unit = _SCALE[suffix]
    amount = scale * float(number)
    if amount <= timedelta(0):
        raise ValueError(f"invalid duration {text!r}: must be greater than zero")
    return Duration(amount, unit)


class CalendarTime:
    """Arithmetic in calendar time only, where every second counts: no zone, no working dates,
    no business hours are read, so the result depends on nothing but its arguments."""

    def add(self, start: datetime, duration: Duration) -> datetime:
        _require_aware(start)
        if duration.unit is not Unit.CALENDAR:
            raise ValueError(f"{duration.unit.value} needs a working calendar")
        return start + duration.amount

    def elapsed(self, start: datetime, end: datetime, unit: Unit) -> timedelta:
        _require_aware(start)
        _require_aware(end)
        if unit is not Unit.CALENDAR:
            raise ValueError(f"{unit.value} needs a working calendar")
        return max(end - start, timedelta(0))

    def used(self, segments: Iterable[tuple[datetime, datetime]], unit: Unit) -> timedelta:
        """Total time of the unit's kind across several (start, end) clock segments."""
        return sum((self.elapsed(a, b, unit) for a, b in segments), timedelta(0))


CALENDAR_TIME = CalendarTime()


@dataclass
class WorkCalendar(CalendarTime):
    timezone: str  # the policy's zone: working dates and business hours are local to it
    business_start: time = time(9, 0)
    business_end: time = time(18, 0)
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.timezone)
        if self.business_start >= self.business_end:
            raise ValueError("business hours must start before they end")
        self._fallback_years: set[int] = set()

    # ------------------------------------------------------------ which dates are working
    def is_workday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._fallback_years:
                self._fallback_years.add(day.year)
                log.warning(
                    "statutory calendar has no data for %s; counting Monday-Friday as working "
                    "days (add the year's holidays to the policy's [calendar] section)",
                    day.year,
                )
            return day.weekday() < 5

    # ------------------------------------------------------------ working intervals
    def _day_interval(self, day: date, unit: Unit) -> tuple[datetime, datetime] | None:
        if not self.is_workday(day):
            return None
        if unit is Unit.WORKING_DAYS:
            start = datetime.combine(day, time(0), tzinfo=self.tz)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        else:
            start = datetime.combine(day, self.business_start, tzinfo=self.tz)
            end = datetime.combine(day, self.business_end, tzinfo=self.tz)
        return start, end

    def intervals(self, unit: Unit, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals that end after `start`, in order (each clipped to begin >= start)."""
        _require_aware(start)
        day = start.astimezone(self.tz).date()
        for offset in range(_MAX_DAYS):
            interval = self._day_interval(day + timedelta(days=offset), unit)
            if interval is None:
                continue
            lo, hi = interval
            if hi <= start:
                continue
            yield max(lo, start), hi
        raise ValueError(f"no working time within {_MAX_DAYS} days of {start.isoformat()}")

    # ------------------------------------------------------------ arithmetic
    def add(self, start: datetime, duration: Duration) -> datetime:
        """The instant at which `duration` of its kind of time has passed since `start`."""
        if duration.unit is Unit.CALENDAR:
            return super().add(start, duration)
        _require_aware(start)
        remaining = duration.amount
        if remaining <= timedelta(0):
            return start
        for lo, hi in self.intervals(duration.unit, start):
            available = hi - lo
            if remaining <= available:
                return lo + remaining
            remaining -= available
        raise AssertionError("unreachable: intervals() raises when it runs out")

    def elapsed(self, start: datetime, end: datetime, unit: Unit) -> timedelta:
        """How much time of the unit's kind lies between `start` and `end` (0 if end <= start)."""
        if unit is Unit.CALENDAR:
            return super().elapsed(start, end, unit)
        _require_aware(start)
        _require_aware(end)
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        for lo, hi in self.intervals(unit, start):
            if lo >= end:
                break
            total += min(hi, end) - lo
        return total

    def next_working_instant(self, at: datetime, unit: Unit = Unit.WORKING_HOURS) -> datetime:
        """`at` itself if it lies in working time, else the start of the next working period."""
        _require_aware(at)
        if unit is Unit.CALENDAR:
            return at
        lo, _ = next(self.intervals(unit, at))
        return lo

    def is_working_instant(self, at: datetime, unit: Unit) -> bool:
        """True if `at` lies in working time (an interval's closing instant counts as inside)."""
        if unit is Unit.CALENDAR:
            return True
        local = at.astimezone(self.tz)
        for day in (local.date(), local.date() - timedelta(days=1)):
            interval = self._day_interval(day, unit)
            if interval and interval[0] <= at <= interval[1]:
                return True
        return False


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: deadlines need a time zone")
