"""Shared fixtures: a real embedded PostgreSQL, migrated and seeded, for the whole session."""

from __future__ import annotations

import os
import warnings

import pytest
import pytest_asyncio
from sqlalchemy import text

from caseflow.db import make_engine
from caseflow.db.migrate import migrate
from caseflow.devstack import start_embedded_postgres, stop_embedded_postgres
from caseflow.seed import seed_demo
from tests.keys import TEST_CLAIM_KEYS

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

# Set before any Settings is read; the API and worker subprocesses inherit it.
os.environ.setdefault("CASEFLOW_CLAIM_KEYS", TEST_CLAIM_KEYS)


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory) -> str:
    pgdata = tmp_path_factory.mktemp("pg") / "data"
    _, url = start_embedded_postgres(pgdata)
    yield url
    stop_embedded_postgres(pgdata)


@pytest_asyncio.fixture(scope="session")
async def db_engine(pg_url):
    await migrate(pg_url)
    engine = make_engine(pg_url)
    await seed_demo(engine)
    yield engine
    await engine.dispose()


async def fetch_events(engine, case_id: str) -> list[dict]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT * FROM case_events WHERE case_id = :c ORDER BY seq"), {"c": case_id}
        )
        return [dict(r._mapping) for r in rows]


async def fetch_notifications(engine, case_id: str) -> list[dict]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT * FROM notifications WHERE case_id = :c ORDER BY seq, idx"),
            {"c": case_id},
        )
        return [dict(r._mapping) for r in rows]


async def delete_cases(engine, prefix: str) -> None:
    """Remove synthetic read-model rows a test wrote directly (only activities write real
    ones), so later tests such as the API fuzzing never meet half-made cases."""
    async with engine.begin() as conn:
        for table in (
            "notifications",
            "case_events",
            "personal_data_access",
            "case_history_runs",
            "cases",
        ):
            await conn.execute(
                text(f"DELETE FROM {table} WHERE case_id LIKE :p"), {"p": f"{prefix}%"}
            )
