"""Names in a request that must exist before the API sends it on (422 otherwise)."""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.attachments.records import missing_attachments
from caseflow.db.models import CaseRow, Department, User
from caseflow.domain import CaseType


async def require_existing(
    engine: AsyncEngine, named: dict[str, tuple[str, object]], case_id: str | None = None
) -> None:
    """`named` maps a field to (kind, value) with kind "department", "user" or "outage", or
    "attachment" with a list of ids that must be live attachments of `case_id`."""
    if not named:
        return
    for kind, value in named.values():
        if kind == "attachment":
            missing = await missing_attachments(engine, case_id or "", list(value))
            if missing:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"unknown attachment '{missing[0]}' on case {case_id}: upload it to this "
                    "case first (POST /cases/{case_id}/attachments)",
                )
    async with engine.connect() as conn:
        for kind, value in named.values():
            if kind == "attachment":
                continue
            if kind == "outage":
                query = select(CaseRow.case_id).where(
                    CaseRow.case_id == value, CaseRow.case_type == CaseType.OUTAGE.value
                )
            else:
                column = Department.id if kind == "department" else User.id
                query = select(column).where(column == value)
            if (await conn.execute(query)).first() is None:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown {kind} '{value}'"
                )
