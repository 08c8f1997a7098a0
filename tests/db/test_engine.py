"""The engine's one-round-trip pre-ping against real PostgreSQL: a connection whose backend
died is replaced on checkout, and a pinged connection still runs real transactions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from caseflow.db import make_engine
from caseflow.db.errors import StoreError
from caseflow.domain import (
    AuditEvent,
    CaseState,
    CaseType,
    Channel,
    Customer,
    Phase,
    RecordRequest,
)
from caseflow.readmodel.writes import ReadModelWriter


async def test_a_dead_pooled_connection_is_replaced_on_checkout(pg_url, db_engine):
    engine = make_engine(pg_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with db_engine.connect() as admin:  # the pooled connection's server side dies
            await admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        async with engine.connect() as conn:  # the ping notices, the pool reconnects
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid
    finally:
        await engine.dispose()


async def test_a_pinged_connection_still_rolls_back(pg_url):
    engine = make_engine(pg_url, pool_size=1)
    try:
        for _ in range(2):  # the second checkout is pinged
            async with engine.connect() as conn:
                await conn.execute(text("CREATE TEMP TABLE IF NOT EXISTS t (x int)"))
                await conn.commit()
                await conn.execute(text("INSERT INTO t VALUES (1)"))
                await conn.rollback()  # a transaction, not autocommit: nothing stays
                assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    finally:
        await engine.dispose()


async def test_a_failed_write_names_the_case_never_a_value(db_engine):
    """The driver echoes a value it cannot encode; the record activity's error (which reaches
    the worker's log and the case's history) names the case and the error's class only."""
    now = datetime.now(UTC)
    state = CaseState(
        case_id="CMP-ERR-1",
        case_type=CaseType.COMPLAINT,
        phase=Phase.NEW,
        customer=Customer("诸葛隐秘", "13987650123"),
        channel=Channel.PHONE,
        reply_channel=Channel.PHONE,
        description="d",
        department="customer_service",
        assignee=None,
        policy_version="2026.3",
        opened_at=now,
        updated_at=now,
        seq=1,
    )
    state.escalation.level = 13987650123  # out of the column's range: the driver echoes it
    request = RecordRequest(state, [AuditEvent(1, "intake", now, "channel.hotline", "channel", "")])
    with pytest.raises(StoreError) as failed:
        await ReadModelWriter(db_engine).write(request)
    message = str(failed.value)
    assert "13987650123" not in message and "诸葛隐秘" not in message
    assert message.startswith("case CMP-ERR-1: recording events 1..1 failed: ")
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
