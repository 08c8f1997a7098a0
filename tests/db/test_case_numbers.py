"""Case numbers drawn in blocks from the real PostgreSQL sequence: unique under concurrency,
across processes (two blocks), and one round trip per block."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from caseflow.case_numbers import CaseNumberBlock
from caseflow.domain import CaseType

AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
TZ = "Asia/Shanghai"


async def _sequence_value(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT last_value FROM case_number_seq"))).scalar_one()


async def test_numbers_are_unique_across_concurrent_callers_and_processes(db_engine):
    api_a, api_b = CaseNumberBlock(db_engine, 7, TZ), CaseNumberBlock(db_engine, 7, TZ)
    drawn = await asyncio.gather(
        *(block.next(CaseType.COMPLAINT, AT) for _ in range(50) for block in (api_a, api_b))
    )
    assert len(set(drawn)) == 100
    assert all(n.startswith("CMP-20261123-") for n in drawn)


async def test_one_sequence_round_trip_per_block(db_engine):
    block = CaseNumberBlock(db_engine, 10, TZ)
    first = await block.next(CaseType.INQUIRY, AT)
    after_first = await _sequence_value(db_engine)
    rest = [await block.next(CaseType.INQUIRY, AT) for _ in range(9)]
    # Nine more numbers came from the block in hand: the sequence did not move.
    assert await _sequence_value(db_engine) == after_first
    counters = [int(n.rsplit("-", 1)[1]) for n in [first, *rest]]
    assert counters == list(range(counters[0], counters[0] + 10))
    await block.next(CaseType.INQUIRY, AT)  # the 11th draws the next block
    assert await _sequence_value(db_engine) >= after_first + 10


async def test_the_date_is_local_to_the_policy_time_zone(db_engine):
    """23:30 UTC on 30 November is already 1 December in Beijing."""
    late = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    beijing = await CaseNumberBlock(db_engine, 1, TZ).next(CaseType.FAULT, late)
    utc = await CaseNumberBlock(db_engine, 1, "UTC").next(CaseType.FAULT, late)
    assert beijing.startswith("FLT-20261201-") and utc.startswith("FLT-20261130-")
