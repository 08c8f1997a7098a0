"""Case numbers such as CMP-20261122-000123: type prefix, local date, a global counter.

The date is the filing date in the policy's time zone (the one `timezone` setting).
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.domain import CaseType
from caseflow.domain.case_types import spec


def format_case_number(case_type: CaseType, at: datetime, counter: int, timezone: str) -> str:
    return f"{spec(case_type).prefix}-{at.astimezone(ZoneInfo(timezone)):%Y%m%d}-{counter:06d}"


class CaseNumbers:
    """Draws one number at a time from the database sequence (never reused, even on rollback):
    what a workflow's case-number activity uses (a converted inquiry's new complaint)."""

    def __init__(self, engine: AsyncEngine, timezone: str) -> None:
        self._engine = engine
        self._timezone = timezone

    async def allocate(self, case_type: CaseType, at: datetime) -> str:
        async with self._engine.connect() as conn:
            counter = (await conn.execute(text("SELECT nextval('case_number_seq')"))).scalar_one()
        return format_case_number(case_type, at, counter, self._timezone)


class CaseNumberBlock:
    """Hands out sequence numbers drawn `size` at a time: one database round trip per block
    instead of one per case (intake is the hottest path). Numbers are still never reused; the
    rest of a block is lost when the process stops, and with several API processes the
    numbers of one day are not in filing order. Both are fine for a case number."""

    def __init__(self, engine: AsyncEngine, size: int, timezone: str) -> None:
        self._engine = engine
        self._size = size
        self._timezone = timezone
        self._free: deque[int] = deque()
        self._lock = asyncio.Lock()

    async def next(self, case_type: CaseType, at: datetime) -> str:
        async with self._lock:  # one block drawn at a time, and none drawn twice
            if not self._free:
                async with self._engine.connect() as conn:
                    drawn = await conn.execute(
                        text("SELECT nextval('case_number_seq') FROM generate_series(1, :n)"),
                        {"n": self._size},
                    )
                    self._free.extend(sorted(drawn.scalars()))
            counter = self._free.popleft()
        return format_case_number(case_type, at, counter, self._timezone)
