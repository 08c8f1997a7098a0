"""The engine's one-round-trip pre-ping against real PostgreSQL: a connection whose backend
died is replaced on checkout, and a pinged connection still runs real transactions."""

from __future__ import annotations

from sqlalchemy import text

from caseflow.db import make_engine


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
