"""The store of closed runs' readable histories (caseflow/history/store.py) on the real
PostgreSQL: a run is stored once whatever the retries, and a run that closes after its case was
anonymised is stored anonymised."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest_asyncio
from sqlalchemy import text

from caseflow.attachments.postgres import PostgresBlobStore
from caseflow.history.readable import ReadableEvent
from caseflow.history.store import HistoryStore, StoredRun
from caseflow.readmodel.erasure import strip_case
from tests.db.rows import delete_rows, insert_customer_case, tables_holding

PREFIX = "CMP-HS-"
CLOSED = datetime(2026, 11, 2, 3, tzinfo=UTC)


@pytest_asyncio.fixture(autouse=True)
async def _cleanup(db_engine):
    yield
    await delete_rows(db_engine, PREFIX)


def run(case_id: str, run_id: str, text_: str) -> StoredRun:
    return StoredRun(
        case_id=case_id,
        run_id=run_id,
        run=2,
        workflow_type="ComplaintWorkflow",
        task_queue="tests",
        status="completed",
        started_at=CLOSED,
        closed_at=CLOSED,
        event_count=9,
        events=[
            ReadableEvent(
                run=2,
                run_id=run_id,
                event_id=5,
                at=CLOSED,
                kind="update",
                actor="agent.cs",
                name="note",
                args={"text": text_},
            )
        ],
    )


async def test_a_run_is_stored_once(db_engine):
    store = HistoryStore(db_engine)
    case_id = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    name, phone = f"存{uuid.uuid4().hex[:4]}", f"1350{uuid.uuid4().int % 10**7:07d}"
    await insert_customer_case(
        db_engine, PostgresBlobStore(db_engine), case_id, name, phone, CLOSED
    )
    assert await store.save(run(case_id, "r2", "first")) is True
    assert await store.save(run(case_id, "r2", "a retry")) is False
    runs = await store.runs(case_id)
    assert [(r.run_id, r.events[0].args) for r in runs if r.run_id == "r2"] == [
        ("r2", {"text": "first"})
    ]
    assert await store.stored(["r2", "nope"]) == {"r2"}


async def test_a_run_closing_after_the_erasure_is_stored_anonymised(db_engine):
    store = HistoryStore(db_engine)
    blobs = PostgresBlobStore(db_engine)
    case_id = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    name, phone = f"迟{uuid.uuid4().hex[:4]}", f"1351{uuid.uuid4().int % 10**7:07d}"
    await insert_customer_case(db_engine, blobs, case_id, name, phone, CLOSED)
    async with db_engine.begin() as conn:
        assert await strip_case(
            conn,
            case_id,
            blobs,
            kind="erased",
            summary="erased",
            data={},
            actor_id="admin",
            actor_role="admin",
            now=datetime.now(UTC),
        )
    assert await tables_holding(db_engine, [name, phone]) == {}
    assert await store.save(run(case_id, "late", f"called {name} on {phone}")) is True
    assert await tables_holding(db_engine, [name, phone]) == {}
    async with db_engine.connect() as conn:
        late = (
            await conn.execute(
                text("SELECT events, anonymised_at FROM case_history_runs WHERE run_id = 'late'")
            )
        ).one()
    assert late.anonymised_at is not None
    assert late.events[0]["actor"] == "agent.cs" and late.events[0]["args"] == {}
