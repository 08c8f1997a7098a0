"""Personal data: who may see it unmasked, and the audit of every time someone did."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import PersonalDataAccess
from caseflow.domain import Role

# Intake channels file cases for customers but have no need to read their data back.
UNMASKED_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


async def record_access(
    engine: AsyncEngine, case_id: str, user_id: str, role: str, what: str
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            PersonalDataAccess.__table__.insert().values(
                case_id=case_id, user_id=user_id, role=role, what=what, at=datetime.now(UTC)
            )
        )
