"""Lost cases in the read model, on real PostgreSQL: marking one appends its `lost` event and
the supervisors' alert at the next sequence number, once, and never over a case that moved on;
the next snapshot a live run writes clears the mark; /metrics counts what is lost."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from pydantic import TypeAdapter
from sqlalchemy import text

from caseflow.domain import (
    AuditEvent,
    CaseState,
    CaseType,
    Channel,
    Customer,
    LostStatus,
    Phase,
    RecordRequest,
)
from caseflow.metrics import collect
from caseflow.readmodel.lost import LostCases
from caseflow.readmodel.writes import write_transition
from tests.conftest import delete_cases, fetch_events, fetch_notifications

PREFIX = "CMP-LOST-"
NOW = datetime.now(UTC)


@pytest_asyncio.fixture
async def engine(db_engine):
    yield db_engine
    await delete_cases(db_engine, PREFIX)


def snapshot(case_id: str, seq: int, phase: Phase = Phase.IN_PROGRESS) -> RecordRequest:
    state = CaseState(
        case_id=case_id,
        case_type=CaseType.COMPLAINT,
        phase=phase,
        customer=Customer("李四", "13900000000"),
        channel=Channel.PHONE,
        reply_channel=Channel.PHONE,
        description="d",
        department="customer_service",
        assignee=None,
        policy_version="2026.3",
        opened_at=NOW - timedelta(hours=1),
        updated_at=NOW,
        seq=seq,
    )
    event = AuditEvent(seq, "note", NOW, "agent.cs", "agent", f"step {seq}")
    return RecordRequest(state=state, events=[event])


async def lost_metric(engine) -> float:
    (family,) = [f for f in await collect(engine) if f.name == "caseflow_cases_lost"]
    return family.samples[0].value


async def test_marking_a_case_lost_records_it_once_with_an_alert(engine):
    case_id = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    await write_transition(engine, snapshot(case_id, 1))
    await write_transition(engine, snapshot(case_id, 2))
    store = LostCases(engine)
    before = await lost_metric(engine)
    (seen,) = [c for c in await store.open_cases() if c.case_id == case_id]
    assert seen.seq == 2

    assert await store.mark_lost(seen, LostStatus.TERMINATED, "run-1", NOW)
    assert not await store.mark_lost(seen, LostStatus.TERMINATED, "run-1", NOW)  # once
    assert case_id not in {c.case_id for c in await store.open_cases()}
    events = await fetch_events(engine, case_id)
    assert [(e["seq"], e["kind"]) for e in events] == [(1, "note"), (2, "note"), (3, "lost")]
    assert events[-1]["data"] == {"status": "terminated", "run_id": "run-1"}
    assert "terminated in Temporal (run run-1)" in events[-1]["summary"]
    (alert,) = await fetch_notifications(engine, case_id)
    assert (alert["seq"], alert["recipient"], alert["channel"], alert["template"]) == (
        3,
        "supervisor",
        "internal",
        "case_lost",
    )
    assert alert["department"] == "customer_service" and alert["status"] == "pending"
    assert alert["params"] == {"case_id": case_id, "lost": "terminated"}
    (row,) = [c for c in await store.lost(1000) if c.case_id == case_id]
    assert (row.lost_status, row.lost_run_id) == ("terminated", "run-1")
    assert await lost_metric(engine) == before + 1

    # The snapshot carries the lost event's sequence: a revived run records after it.
    state = TypeAdapter(CaseState).validate_python((await _row(engine, case_id))["state"])
    assert state.seq == 3
    # The first snapshot of a live run clears the mark.
    await write_transition(engine, snapshot(case_id, 4))
    assert case_id not in {c.case_id for c in await store.lost(1000)}
    assert case_id in {c.case_id for c in await store.open_cases()}
    assert await lost_metric(engine) == before


async def test_a_case_that_moved_on_or_was_archived_is_not_marked(engine):
    moved = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    await write_transition(engine, snapshot(moved, 1))
    store = LostCases(engine)
    (seen,) = [c for c in await store.open_cases() if c.case_id == moved]
    await write_transition(engine, snapshot(moved, 2))  # a live workflow recorded meanwhile
    assert not await store.mark_lost(seen, LostStatus.MISSING, None, NOW)
    assert [e["kind"] for e in await fetch_events(engine, moved)] == ["note", "note"]

    archived = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    await write_transition(engine, snapshot(archived, 1, Phase.ARCHIVED))
    assert archived not in {c.case_id for c in await store.open_cases()}
    stale = type(seen)(archived, 1, NOW)
    assert not await store.mark_lost(stale, LostStatus.TERMINATED, "r", NOW)


async def _row(engine, case_id: str) -> dict:
    async with engine.connect() as conn:
        row = await conn.execute(text("SELECT * FROM cases WHERE case_id = :c"), {"c": case_id})
        return dict(row.one()._mapping)
