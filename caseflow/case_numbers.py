"""Case numbers such as CMP-20261122-000123: type prefix, local date, a global counter."""

from __future__ import annotations

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
