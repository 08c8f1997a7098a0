"""Case numbers such as CMP-20261122-000123: type prefix, local date, a global counter."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from caseflow.domain import CASE_PREFIX, CaseType

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def format_case_number(case_type: CaseType, at: datetime, counter: int) -> str:
    return f"{CASE_PREFIX[case_type]}-{at.astimezone(LOCAL_TZ):%Y%m%d}-{counter:06d}"


async def allocate_case_number(
    db: AsyncEngine | AsyncConnection, case_type: CaseType, at: datetime
) -> str:
    """Draw the next number from the database sequence (never reused, even on rollback)."""
    if isinstance(db, AsyncEngine):
        async with db.connect() as conn:
            counter = (await conn.execute(text("SELECT nextval('case_number_seq')"))).scalar_one()
    else:
        counter = (await db.execute(text("SELECT nextval('case_number_seq')"))).scalar_one()
    return format_case_number(case_type, at, counter)


class CaseNumberBlock:
    """Hands out sequence numbers drawn `size` at a time: one database round trip per block
    instead of one per case (intake is the hottest path). Numbers are still never reused; the
    rest of a block is lost when the process stops, and with several API processes the
    numbers of one day are not in filing order. Both are fine for a case number."""

    def __init__(self, engine: AsyncEngine, size: int = 20) -> None:
        self._engine = engine
        self._size = size
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
        return format_case_number(case_type, at, counter)
