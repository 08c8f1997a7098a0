"""Reads of single cases from the read model (lists and reports have their own modules)."""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import CaseRow
from caseflow.domain import CaseState, CaseType, OutageStatus

_state = TypeAdapter(CaseState)


async def case_state(engine: AsyncEngine, case_id: str) -> CaseState | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(CaseRow.state).where(CaseRow.case_id == case_id))).first()
    return None if row is None else _state.validate_python(row.state)


class OutageQueries:
    """What a fault case needs to know about the outage it links to."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def outage_status(self, outage_id: str) -> OutageStatus:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(CaseRow.state["outage"].label("outage")).where(
                        CaseRow.case_id == outage_id,
                        CaseRow.case_type == CaseType.OUTAGE.value,
                    )
                )
            ).first()
        if row is None:
            return OutageStatus(outage_id=outage_id, exists=False)
        outage = row.outage or {}
        restored = outage.get("restored_at")
        return OutageStatus(
            outage_id=outage_id,
            exists=True,
            restored_at=datetime.fromisoformat(restored) if restored else None,
            cause=outage.get("cause"),
            fix=outage.get("fix"),
        )
