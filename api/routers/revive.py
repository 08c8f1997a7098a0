"""Reviving a lost case (administrators): a new run of its workflow from the last recorded
state, windows and escalation chain as they were (api/revival.py)."""

from __future__ import annotations

from fastapi import APIRouter

from api.access import audit_read
from api.deps import BookDep, EngineDep, SettingsDep, TemporalDep, UserDep, require_role
from api.revival import revive_case
from api.schemas import CaseView, ReviveBody, case_view
from caseflow.domain import Role

router = APIRouter(prefix="/cases", tags=["cases"])
ADMINS = frozenset({Role.ADMIN})


@router.post(
    "/{case_id}/revive",
    response_model=CaseView,
    summary="Revive a lost case (administrators)",
    description="For a case the reconciler marked lost (`lost` on `GET /cases/{case_id}`: its "
    "workflow was terminated, failed, timed out or cancelled in Temporal, or is missing, while "
    "the case is open): starts a new run of its workflow from the last recorded state. Every "
    "window keeps its original deadline and the escalation chain its next climb; what fell due "
    "while the case was lost fires at once, dated at its original deadline. The audit trail "
    "records who revived it and why. 409 when the case is not lost, is archived, or Temporal "
    "has a running or completed run of it; 503 when no worker took the new run up in time.",
)
async def revive(
    case_id: str,
    body: ReviveBody,
    user: UserDep,
    engine: EngineDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    book: BookDep,
) -> CaseView:
    require_role(user, ADMINS, "revive a lost case")
    state = await revive_case(case_id, body.reason, user, engine, temporal, settings, book)
    await audit_read(engine, user, case_id, "POST /api/v1/cases/{id}/revive")
    return case_view(state, Role(user.role), book)
