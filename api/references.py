"""Names in a request that must exist before the API sends it on (422 otherwise)."""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import CaseRow, Department, User
from caseflow.domain import CaseType


async def require_existing(engine: AsyncEngine, named: dict[str, tuple[str, str]]) -> None:
    """`named` maps a field to (kind, value) with kind "department", "user" or "outage"."""
    if not named:
        return
    async with engine.connect() as conn:
        for kind, value in named.values():
            if kind == "outage":
                query = select(CaseRow.case_id).where(
                    CaseRow.case_id == value, CaseRow.case_type == CaseType.OUTAGE.value
                )
            elif kind == "case":
                query = select(CaseRow.case_id).where(CaseRow.case_id == value)
            else:
                column = Department.id if kind == "department" else User.id
                query = select(column).where(column == value)
            if (await conn.execute(query)).first() is None:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown {kind} '{value}'"
                )
