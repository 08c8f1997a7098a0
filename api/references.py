"""Names in a request that must exist before the API sends it on (422 otherwise)."""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.attachments.records import missing_attachments
from caseflow.db.models import CaseEventRow, CaseRow, Department, User
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
            elif kind == "case":
                query = select(CaseRow.case_id).where(CaseRow.case_id == value)
            else:
                column = Department.id if kind == "department" else User.id
                query = select(column).where(column == value)
            if (await conn.execute(query)).first() is None:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown {kind} '{value}'"
                )


async def require_assignable(engine: AsyncEngine, assignee: str, department: str | None) -> None:
    """A case is assigned only to an active agent of the department it will belong to: an
    intake channel or a supervisor handles no case, and an agent of another department could
    neither see nor act on it (the case would be orphaned)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(User.role, User.department, User.active).where(User.id == assignee)
            )
        ).first()
    if row is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown user '{assignee}'")
    if row.role != "agent" or not row.active:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"user '{assignee}' is not an active agent: cases are assigned to agents only",
        )
    if row.department != department:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"user '{assignee}' is not an agent of department '{department}', where the case "
            "would be: assign an agent of that department",
        )


async def require_room_for_a_note(engine: AsyncEngine, case_id: str, cap: int) -> None:
    """Notes are the one action any staff member can repeat without end: a case takes `cap`."""
    if cap <= 0:
        return
    async with engine.connect() as conn:
        count = (
            await conn.execute(
                select(func.count())
                .select_from(CaseEventRow)
                .where(CaseEventRow.case_id == case_id, CaseEventRow.kind == "note")
            )
        ).scalar_one()
    if count >= cap:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"case {case_id} already holds {cap} notes, the most a case takes; put further "
            "detail in the resolution or an attachment",
        )
